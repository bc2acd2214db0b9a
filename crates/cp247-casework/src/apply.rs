//! What a message does to the local case, shared by receiving, sending and the outbox:
//! recorded in the unit of work that stores the message.
//!
//! Every change goes through `cp247_case`'s transition function ([`Tx::record_case_event`]):
//! a message from the wrong side, or one that cannot happen in the case's state, is refused
//! and nothing of it is stored.

use cp247_case::reply::{Message, parse_message_json};
use cp247_case::{Case, CaseEvent, MessageKind, Msg, Opening, Reply, Role, TransitionError};
use cp247_domain::{Address, MessageId, TicketId};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, CaseText, EscalationDirection, EscalationRecord,
    NewTicket, OurRole, Store, StoreError, TicketKind, TicketState, Tx,
};
use jiff::Timestamp;
use serde_json::json;

/// What a verified incoming message does to this node's cases.
#[derive(Debug, Clone)]
pub enum Plan {
    /// It opens a case (a request, or an escalation notice for a ticket this node has not
    /// seen): the ticket and the case, with its first event recorded.
    Open {
        /// The ticket to create.
        ticket: Box<NewTicket>,
        /// The case.
        case: Box<Case>,
        /// The escalation received, when opened by an escalation notice.
        escalation: Option<EscalationRecord>,
    },
    /// It is an event on an existing case.
    Record {
        /// The ticket.
        ticket: TicketId,
        /// The reply as decoded.
        reply: Box<Reply>,
    },
}

/// Why a message cannot be applied to a case: a stable code and a sentence (no content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRefusal {
    /// `invalid_document`, `invalid_reply`, `unknown_message_type`, `unknown_ticket`,
    /// `wrong_side`, `illegal_transition`, `case_conflict`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl CaseRefusal {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The refusal for a transition the case does not allow.
    pub fn transition(e: &TransitionError) -> Self {
        Self::new(crate::error::transition_code(e), e.to_string())
    }
}

/// The ticket kind stored for a request kind (`art29`, `art31`, …).
pub fn ticket_kind(kind: MessageKind) -> &'static str {
    kind.request_article().map_or("case", |a| a.as_str())
}

fn problems_text(report: &cp247_case::Report) -> String {
    let shown: Vec<String> = report
        .errors()
        .take(5)
        .map(|p| format!("{} at {}", p.code().as_str(), p.path()))
        .collect();
    format!(
        "{} problem(s): {}",
        report.errors().count(),
        shown.join("; ")
    )
}

/// A verified incoming message, as the case work sees it.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    /// The verified sender.
    pub sender: Address,
    /// The ticket the header names.
    pub ticket: &'a TicketId,
    /// The header's message type.
    pub message_type: &'a str,
    /// The message id.
    pub message_id: MessageId,
    /// The body.
    pub body: &'a serde_json::Value,
    /// The header's urgency.
    pub urgency: cp247_domain::Urgency,
}

/// Decides what the verified message `m` does on this node (`me`), reading the case (if
/// any) from `store`.
pub async fn plan(
    store: &Store,
    me: Address,
    m: Incoming<'_>,
    now: Timestamp,
) -> Result<Plan, CaseRefusal> {
    let Incoming {
        sender,
        ticket,
        message_type,
        message_id,
        body,
        urgency,
    } = m;
    let bytes = serde_json::to_vec(body)
        .map_err(|_| CaseRefusal::new("invalid_reply", "the body is not JSON"))?;
    let existing = match store
        .load_case_for(cp247_store::Viewer::Peer(sender.party), ticket)
        .await
    {
        Ok(case) => Some(case),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => {
            tracing::error!(error = %e, "reading a case failed");
            return Err(CaseRefusal::new(
                "store_unavailable",
                "this node cannot read the case right now; send it again later",
            ));
        }
    };
    let parsed = parse_message_json(
        message_type,
        &bytes,
        existing.as_ref().map(|c| c.reply_context()),
    )
    .map_err(|e| match e {
        cp247_case::reply::MessageError::UnknownType(_) => {
            CaseRefusal::new("unknown_message_type", e.to_string())
        }
        cp247_case::reply::MessageError::NeedsCase(_) => CaseRefusal::new(
            "unknown_ticket",
            format!(
                "ticket {ticket} is not known to this node as shared with {}",
                sender.party
            ),
        ),
        cp247_case::reply::MessageError::Unreadable(_) => {
            CaseRefusal::new("invalid_reply", e.to_string())
        }
    })?;
    let Some(message) = parsed.message else {
        let code = if parsed.kind.is_request() {
            "invalid_document"
        } else {
            "invalid_reply"
        };
        return Err(CaseRefusal::new(
            code,
            format!(
                "the {} body has {}",
                parsed.kind.name(),
                problems_text(&parsed.report)
            ),
        ));
    };
    let open = |doc: &cp247_forms::Document, kind: MessageKind, first: CaseEvent| {
        if ticket.party() != sender.party {
            return Err(CaseRefusal::new(
                "unknown_ticket",
                format!(
                    "ticket {ticket} is not known to this node, and a new ticket must be opened by its sender"
                ),
            ));
        }
        let opening = Opening::for_request(ticket.clone(), Role::Requested, doc, sender, now)
            .map_err(|e| CaseRefusal::new("invalid_document", e.to_string()))?;
        let mut case = Case::open(opening);
        case.record(first, now)
            .map_err(|e| CaseRefusal::transition(&e))?;
        let kind_text = ticket_kind(kind);
        let bad = |e: StoreError| CaseRefusal::new("invalid_document", e.to_string());
        Ok(NewTicket {
            id: ticket.clone(),
            our_role: OurRole::Requested,
            our_party: me.party,
            counterpart: sender.party,
            kind: TicketKind::parse(kind_text).map_err(bad)?,
            state: TicketState::parse(case.state().name()).map_err(bad)?,
            urgency,
            title: CaseText::new(format!("{kind_text} from {}", sender.party)).map_err(bad)?,
            reference: None,
            created_at: now,
        })
        .map(|t| (t, case))
    };
    match (message, existing) {
        (Message::Request(doc), None) => {
            let (t, case) = open(&doc, parsed.kind, CaseEvent::Received(Msg::Request))?;
            Ok(Plan::Open {
                ticket: Box::new(t),
                case: Box::new(case),
                escalation: None,
            })
        }
        (Message::Request(_), Some(case)) => Err(CaseRefusal::new(
            "illegal_transition",
            format!(
                "ticket {ticket} already has its request (the case is {}); a new request needs a new ticket",
                case.state()
            ),
        )),
        (Message::Reply(Reply::EscalationNotice(n)), None) => {
            let kind = MessageKind::of_request(&n.request).ok_or_else(|| {
                CaseRefusal::new("invalid_reply", "the escalation notice carries no request")
            })?;
            let (t, case) = open(&n.request, kind, CaseEvent::EscalationReceived)?;
            let escalation = EscalationRecord {
                ticket: ticket.clone(),
                direction: EscalationDirection::In,
                escalated_at: now,
                due_at: n.acknowledgement_due_at.timestamp(),
                target: me.to_string(),
                message_id: Some(message_id),
                details: json!({
                    "from": sender.to_string(),
                    "original_message": n.original_message.to_string(),
                    "original_sent_at": n.original_sent_at,
                }),
            };
            Ok(Plan::Open {
                ticket: Box::new(t),
                case: Box::new(case),
                escalation: Some(escalation),
            })
        }
        (Message::Reply(reply), Some(_)) => Ok(Plan::Record {
            ticket: ticket.clone(),
            reply: Box::new(reply),
        }),
        (Message::Reply(_), None) => Err(CaseRefusal::new(
            "unknown_ticket",
            format!(
                "ticket {ticket} is not known to this node as shared with {}",
                sender.party
            ),
        )),
    }
}

/// Why applying a plan failed.
#[derive(Debug)]
pub enum ApplyError {
    /// The case does not allow the event; nothing may be committed.
    Transition(TransitionError),
    /// The message cannot be applied (an unknown ticket, the case changed meanwhile).
    Refused(CaseRefusal),
    /// The store failed.
    Store(StoreError),
}

impl ApplyError {
    /// The case-work error of a local action (sending a reply).
    pub fn into_error(self) -> crate::Error {
        match self {
            ApplyError::Transition(e) => crate::Error::Transition(e),
            ApplyError::Refused(r) if r.code == "case_conflict" => crate::Error::Conflict,
            ApplyError::Refused(r) => crate::Error::NotFound {
                what: crate::error::Missing::Ticket,
                key: r.message,
            },
            ApplyError::Store(e) => crate::Error::store("recording a case event", e),
        }
    }

    /// The refusal a received message gets.
    pub fn into_refusal(self) -> Result<CaseRefusal, StoreError> {
        match self {
            ApplyError::Transition(e) => Ok(CaseRefusal::transition(&e)),
            ApplyError::Refused(r) => Ok(r),
            ApplyError::Store(e) => Err(e),
        }
    }
}

impl From<StoreError> for ApplyError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Transition { error, .. } => ApplyError::Transition(*error),
            StoreError::Conflict { .. } => ApplyError::Refused(CaseRefusal::new(
                "case_conflict",
                "the case changed while this message was applied; send it again",
            )),
            other => ApplyError::Store(other),
        }
    }
}

/// A reply sent or received by this node, to record on its case.
#[derive(Debug, Clone, Copy)]
pub struct ReplyEvent<'a> {
    /// The ticket.
    pub ticket: &'a TicketId,
    /// The reply.
    pub reply: &'a Reply,
    /// Sent by this node (true) or received.
    pub sent: bool,
    /// Its message id.
    pub message: MessageId,
    /// The message it answers, if said.
    pub in_reply_to: Option<MessageId>,
    /// Who caused it.
    pub actor: &'a Actor,
    /// When.
    pub at: Timestamp,
}

/// Records `r` on the case of its ticket within `tx`; when it grants an extension, also
/// extends the preservation of the earlier ticket. Returns the case after it.
pub async fn record_reply(tx: &mut Tx, r: ReplyEvent<'_>) -> Result<Case, ApplyError> {
    let ReplyEvent {
        ticket,
        reply,
        sent,
        message,
        in_reply_to,
        actor,
        at,
    } = r;
    let mut case = tx.load_case(ticket).await?.ok_or_else(|| {
        ApplyError::Refused(CaseRefusal::new(
            "unknown_ticket",
            format!("ticket {ticket} has no case on this node"),
        ))
    })?;
    let event = case
        .event_for(sent, reply, message, in_reply_to)
        .map_err(ApplyError::Transition)?;
    tx.record_case_event(&mut case, event, at, Some(&message), actor)
        .await?;
    if let Reply::ExtensionConfirmed(e) = reply {
        extend_previous(tx, &case, e.new_preserved_until.timestamp(), actor, at).await?;
    }
    Ok(case)
}

/// After an extension is granted on `extension`, moves the end of the preservation held by the
/// case it extends (its previous ticket), when this node has that case.
async fn extend_previous(
    tx: &mut Tx,
    extension: &Case,
    until: Timestamp,
    actor: &Actor,
    at: Timestamp,
) -> Result<(), ApplyError> {
    let Some(previous) = extension.previous_ticket() else {
        return Ok(());
    };
    let Some(mut held) = tx.load_case(previous).await? else {
        tracing::warn!(ticket = %extension.ticket(), previous = %previous, "the extended ticket is not known here");
        return Ok(());
    };
    let event = CaseEvent::PreservationExtended {
        until,
        by: extension.ticket().clone(),
    };
    tx.record_case_event(&mut held, event, at, None, actor)
        .await?;
    tx.append_audit(&AuditRecord {
        actor: actor.clone(),
        action: AuditAction::Reply,
        ticket: Some(previous.clone()),
        result: AuditResult::Ok,
        details: json!({
            "event": "preservation_extended",
            "by": extension.ticket().to_string(),
            "preserved_until": until.to_string(),
        }),
        at,
    })
    .await?;
    Ok(())
}

/// Records the system receipt of `message` on `ticket` in its own unit of work: see
/// [`record_receipt_in`]. The scheduler's catch-up calls it for receipts stored before the
/// delivery worker recorded both together (or by a version that did not). `true` when it
/// recorded the receipt; running it again records nothing more.
pub async fn record_receipt(
    store: &Store,
    ticket: &TicketId,
    message: &MessageId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = store.begin().await?;
    if record_receipt_in(&mut tx, ticket, message, at).await? {
        tx.commit().await?;
        Ok(true)
    } else {
        tx.rollback().await?;
        Ok(false)
    }
}

/// In the unit of work that stores the peer's signed receipt for `message` on `ticket`
/// (`Tx::mark_delivered`): when that message is the case's request (this node is the
/// requester) and the case has no receipt yet, records the system receipt. A receipt for any
/// other message, or a case that cannot take it, changes nothing (`false`).
pub async fn record_receipt_in(
    tx: &mut Tx,
    ticket: &TicketId,
    message: &MessageId,
    at: Timestamp,
) -> Result<bool, StoreError> {
    let events = tx.case_events(ticket).await?;
    let is_request = events.iter().any(|e| {
        e.message_id.as_ref() == Some(message) && e.recorded.event == CaseEvent::Sent(Msg::Request)
    });
    if !is_request {
        return Ok(false);
    }
    let Some(mut case) = tx.load_case(ticket).await? else {
        return Ok(false);
    };
    if case.role() != Role::Requester || case.receipt_at().is_some() {
        return Ok(false);
    }
    match tx
        .record_case_event(
            &mut case,
            CaseEvent::SystemReceipt,
            at,
            Some(message),
            &Actor::node(),
        )
        .await
    {
        Ok(_) => Ok(true),
        Err(StoreError::Transition { error, .. }) => {
            tracing::info!(ticket = %ticket, reason = %error, "a receipt changes nothing on this case");
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_domain::{Instant, PartyCode, Urgency};
    use cp247_store::{DeliveryState, MessageType, OutgoingMessage, StoreOptions, WorkerId};
    use rand::SeedableRng;

    fn t0() -> Timestamp {
        "2026-11-28T20:00:00Z".parse().unwrap()
    }

    /// A requester's case whose request is claimed by a delivery worker.
    async fn sent_request(store: &Store) -> (TicketId, MessageId) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let fr = PartyCode::parse("FR").unwrap();
        let md = PartyCode::parse("MD").unwrap();
        let ticket = TicketId::generate(fr, t0(), &mut rng);
        let m = MessageId::generate(t0(), &mut rng);
        let doc = cp247_forms::examples::example(cp247_forms::Kind::Art29).unwrap();
        let opening = Opening::for_request(
            ticket.clone(),
            Role::Requester,
            &doc,
            Address::primary(md),
            t0(),
        )
        .unwrap();
        let mut case = Case::open(opening);
        case.record(CaseEvent::Sent(Msg::Request), t0()).unwrap();
        let mut tx = store.begin().await.unwrap();
        tx.create_ticket(&NewTicket {
            id: ticket.clone(),
            our_role: OurRole::Requester,
            our_party: fr,
            counterpart: md,
            kind: TicketKind::parse("art29_preservation").unwrap(),
            state: TicketState::parse("sent").unwrap(),
            urgency: Urgency::Urgent,
            title: CaseText::new("Preservation").unwrap(),
            reference: None,
            created_at: t0(),
        })
        .await
        .unwrap();
        tx.insert_outgoing(&OutgoingMessage {
            id: m,
            ticket: ticket.clone(),
            sender: Address::primary(fr),
            recipient: Address::primary(md),
            message_type: MessageType::parse("request").unwrap(),
            written_at: Instant::utc(t0()),
            sealed: b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n".to_vec(),
            payload_json: "{}".to_owned(),
            attachments: Vec::new(),
            urgency: Urgency::Urgent,
            queued_at: t0(),
        })
        .await
        .unwrap();
        tx.create_case(&case, Some(&m), &Actor::node())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let w = WorkerId::new("test-worker").unwrap();
        let claims = store
            .claim_due(None, &w, t0(), std::time::Duration::from_secs(30), 10)
            .await
            .unwrap();
        assert_eq!(claims.len(), 1);
        (ticket, m)
    }

    fn receipts(events: &[cp247_store::CaseEventRow]) -> usize {
        events
            .iter()
            .filter(|e| e.recorded.event == CaseEvent::SystemReceipt)
            .count()
    }

    /// A receipt stored without its case event (a crash between the two steps): the
    /// catch-up records it once; run again, it records nothing more.
    #[tokio::test]
    async fn the_catch_up_records_a_missing_receipt_exactly_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("node.db").display());
        let store = Store::connect(&url, StoreOptions::default()).await.unwrap();
        let (ticket, m) = sent_request(&store).await;
        let at = t0() + jiff::SignedDuration::from_secs(5);
        store.mark_delivered(&m, b"receipt", at).await.unwrap();
        assert_eq!(
            store.delivery_status(&m).await.unwrap().state,
            DeliveryState::Delivered
        );
        assert_eq!(receipts(&store.case_events(&ticket).await.unwrap()), 0);

        assert!(record_receipt(&store, &ticket, &m, at).await.unwrap());
        assert!(!record_receipt(&store, &ticket, &m, at).await.unwrap());
        assert_eq!(receipts(&store.case_events(&ticket).await.unwrap()), 1);
        assert!(
            store
                .delivered_requests_without_receipt(10)
                .await
                .unwrap()
                .is_empty()
        );
        let case = store
            .load_case_for(cp247_store::Viewer::Local(ticket.party()), &ticket)
            .await
            .unwrap();
        assert_eq!(case.receipt_at(), Some(at));
        // A message that is not the request (an unknown id) records nothing.
        let other = MessageId::generate(t0(), &mut rand::rngs::StdRng::seed_from_u64(9));
        assert!(!record_receipt(&store, &ticket, &other, at).await.unwrap());
        store.close().await;
    }
}

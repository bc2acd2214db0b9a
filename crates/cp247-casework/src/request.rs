//! Sending a request: the one path of the API and the web composer.

use cp247_case::{Case, CaseEvent, MessageKind, Msg, Opening};
use cp247_domain::{Address, MessageId, PartyCode, TicketId};
use cp247_forms::{Document, Kind};
use cp247_seal::{Attachment, Handling, TlpMarking};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, CaseText, NewTicket, OurRole, TicketKind,
    TicketState,
};
use serde_json::json;

use crate::CaseWork;
use crate::error::{Error, Refused};
use crate::sealing::{Draft, seal};

/// The state of a ticket this node opens by sending a request.
pub const SENT_STATE: &str = "sent";

/// A valid request document and where it goes.
#[derive(Debug)]
pub struct RequestToSend {
    /// The requested Party's contact point.
    pub to: Address,
    /// The document (decoded by cp247-forms, so without errors).
    pub document: Document,
    /// A reference of the requesting authority, shown in lists.
    pub reference: Option<String>,
    /// Keep the fact and subject of the request confidential.
    pub confidential: bool,
    /// A TLP marking.
    pub marking: Option<TlpMarking>,
    /// Files sent with the request (checked against the limits), sealed and signed with it.
    pub attachments: Vec<Attachment>,
}

/// What [`CaseWork::send_request`] queued.
#[derive(Debug, Clone)]
pub struct QueuedRequest {
    /// The new ticket.
    pub ticket: TicketId,
    /// The request's message id.
    pub message_id: MessageId,
    /// Where it goes.
    pub recipient: Address,
}

/// The Party a request document is addressed to (`requested_authority.party`).
fn requested_party(doc: &Document) -> Option<PartyCode> {
    match doc {
        Document::Art29(d) => Some(d.requested_authority.party.code()),
        Document::Art31(d) => Some(d.requested_authority.party.code()),
        Document::Art35(d) => Some(d.requested_authority.party.code()),
        Document::Art30(_) => None,
    }
}

impl CaseWork {
    /// Sends a request for `actor`: checks the recipient against the document and the
    /// directory, seals the document, and commits ticket + case + message + outbox + audit in
    /// one unit of work, then wakes the recipient's outbox worker.
    pub async fn send_request(
        &self,
        actor: Actor,
        req: RequestToSend,
    ) -> Result<QueuedRequest, Error> {
        let now = self.clock.now();
        let document = req.document;
        let to = req.to;
        if to == self.me {
            return Err(Error::refused(
                Refused::RecipientIsSelf,
                "a node does not send requests to itself",
            ));
        }
        // A request opens its own ticket; an extension or a follow-up names the earlier
        // ticket in its document, and an Art. 30 disclosure is a reply on the preservation's
        // case.
        if document.kind() == Kind::Art30 {
            return Err(Error::refused(
                Refused::NotARequest,
                "an Art. 30 disclosure answers a preservation request: send it as a partial_traffic_disclosure reply on the preservation's case",
            ));
        }
        if let Some(addressed) = requested_party(&document)
            && addressed != to.party
        {
            return Err(Error::refused(
                Refused::RecipientMismatch,
                format!(
                    "the document is addressed to {addressed} (requested_authority.party) but would be sent to {}",
                    to.party
                ),
            ));
        }
        let kind = MessageKind::of_request(&document)
            .ok_or_else(|| Error::refused(Refused::NotARequest, "the document is not a request"))?;
        let ticket_kind = crate::apply::ticket_kind(kind);
        let reference = req
            .reference
            .as_deref()
            .map(CaseText::new)
            .transpose()
            .map_err(|e| Error::refused(Refused::InvalidReference, e.to_string()))?;
        // The thread-local generator must not live across an await.
        let (ticket_id, message_id) = {
            let mut rng = rand::rng();
            (
                TicketId::generate(self.me.party, now, &mut rng),
                MessageId::generate(now, &mut rng),
            )
        };
        let urgency = crate::sealing::urgency_of(&document);
        let opening = Opening::for_request(
            ticket_id.clone(),
            cp247_case::Role::Requester,
            &document,
            to,
            now,
        )
        .map_err(|e| Error::refused(Refused::NotARequest, e.to_string()))?;
        let mut case = Case::open(opening);
        case.record(CaseEvent::Sent(Msg::Request), now)
            .map_err(|e| Error::internal("opening a case", &e))?;
        let draft = Draft::request(
            &ticket_id,
            message_id,
            to,
            &document,
            Handling {
                confidential: req.confidential,
                marking: req.marking,
            },
            req.attachments,
        )?;
        let sealed = seal(self, draft, now).await?;

        let store_err = |e| Error::store("recording a request", e);
        let mut tx = self.store.begin().await.map_err(store_err)?;
        tx.create_ticket(&NewTicket {
            id: ticket_id.clone(),
            our_role: OurRole::Requester,
            our_party: self.me.party,
            counterpart: to.party,
            kind: TicketKind::parse(ticket_kind).map_err(store_err)?,
            state: TicketState::parse(SENT_STATE).map_err(store_err)?,
            urgency,
            title: CaseText::new(format!("{ticket_kind} request to {}", to.party))
                .map_err(store_err)?,
            reference,
            created_at: now,
        })
        .await
        .map_err(store_err)?;
        tx.create_case(&case, Some(&message_id), &actor)
            .await
            .map_err(store_err)?;
        tx.insert_outgoing(&sealed.message)
            .await
            .map_err(store_err)?;
        // Audit entries last, in one unit of work with what they record: the ticket's
        // creation, then the message queued for the peer.
        tx.append_audit(&AuditRecord {
            actor: actor.clone(),
            action: AuditAction::Create,
            ticket: Some(ticket_id.clone()),
            result: AuditResult::Ok,
            details: json!({
                "ticket_kind": ticket_kind,
                "counterpart": to.party.to_string(),
                "urgency": urgency,
            }),
            at: now,
        })
        .await
        .map_err(store_err)?;
        tx.append_audit(&AuditRecord {
            actor,
            action: AuditAction::Send,
            ticket: Some(ticket_id.clone()),
            result: AuditResult::Ok,
            details: json!({
                "message_id": message_id.to_string(),
                "message_type": kind.name(),
                "recipient": to.to_string(),
                "sealed_sha256": sealed.sha256,
                "attachments": sealed.attachments_audit,
            }),
            at: now,
        })
        .await
        .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        self.wake(to.party);
        tracing::info!(message_id = %message_id, ticket = %ticket_id, recipient = %to, "request queued");
        Ok(QueuedRequest {
            ticket: ticket_id,
            message_id,
            recipient: to,
        })
    }
}

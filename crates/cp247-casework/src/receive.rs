//! The node's inbox: a message a transport opened and verified is applied to its case and
//! stored with its signed receipt, its audit entry and (for a new urgent or emergency request)
//! the duty officer's alert, in one unit of work. A replay gets the original receipt and
//! changes nothing; a message the case refuses is stored nowhere.

use cp247_domain::{Address, Instant, MessageId, TicketId, Urgency};
use cp247_seal::{Receipt, Verified};
use cp247_store::{
    Accepted as Stored, Actor, AuditAction, AuditRecord, AuditResult, IncomingMessage,
    NewAttachment, StoreError, TicketChange,
};
use cp247_transport::{Accepted, Arrival, BoxFuture, Inbox, Refusal};
use jiff::Timestamp;
use serde_json::json;

use crate::CaseWork;
use crate::apply::{ApplyError, CaseRefusal, Incoming, Plan, ReplyEvent};

/// Why storing a message with its case change failed.
enum AcceptError {
    Refused(CaseRefusal),
    Store(StoreError),
}

/// A message stored for the first time.
#[derive(Debug, Clone)]
struct NewMessage {
    message_id: MessageId,
    ticket: TicketId,
    sender: Address,
    message_type: String,
    urgency: Urgency,
    opened_ticket: bool,
    received_at: Timestamp,
}

fn store_refusal(e: &StoreError) -> Refusal {
    tracing::error!(error = %e, "the store failed while receiving a message");
    Refusal::unavailable()
}

impl Inbox for CaseWork {
    fn accept<'a>(&'a self, arrival: Arrival<'a>) -> BoxFuture<'a, Result<Accepted, Refusal>> {
        Box::pin(self.receive(arrival.verified, arrival.sealed))
    }
}

impl CaseWork {
    /// Applies the verified message `verified` (whose exact sealed bytes are `sealed`) to its
    /// case and stores it with its receipt; see the module documentation.
    pub async fn receive(&self, verified: &Verified, sealed: &[u8]) -> Result<Accepted, Refusal> {
        let now = self.clock.now();
        let sender = verified.sender();
        let header = verified.header().clone();

        // A replay of an accepted message: the original receipt, without signing anew.
        if let Some((receipt, _)) = self
            .store
            .incoming_receipt(sender.party, &header.message_id)
            .await
            .map_err(|e| store_refusal(&e))?
        {
            return Ok(Accepted::Duplicate { receipt });
        }

        let plan = crate::apply::plan(
            &self.store,
            self.me,
            Incoming {
                sender,
                ticket: &header.ticket,
                message_type: header.message_type.as_str(),
                message_id: header.message_id,
                body: verified.body(),
                urgency: header.urgency,
            },
            now,
        )
        .await
        .map_err(|r| Refusal::new(r.code, r.message))?;
        let change = match &plan {
            Plan::Open { ticket, .. } => TicketChange::Create((**ticket).clone()),
            Plan::Record { .. } => TicketChange::Unchanged,
        };
        let opened_ticket = matches!(change, TicketChange::Create(_));
        let head = self
            .store
            .audit_head()
            .await
            .map_err(|e| store_refusal(&e))?;
        // A request that opens a case here: the receipt states when this contact point owes
        // the acknowledgement — if the sender reads receipts that can say it (ADR 0028).
        let ack_due = match &plan {
            Plan::Open {
                escalation: None, ..
            } => self.ack_due(now, header.urgency).map(Instant::utc),
            Plan::Open {
                escalation: Some(_),
                ..
            }
            | Plan::Record { .. } => None,
        };
        let receipt = Receipt::for_message(
            verified.sealed_sha256(),
            header.message_id,
            sender,
            self.me,
            Instant::utc(now),
            Some(format!("{}:{}", head.seq, head.hash)),
        )
        .with_ack_due(ack_due)
        .for_reader(self.peer_level(&sender));
        let signed = cp247_seal::sign_receipt(&receipt, &self.key, now).map_err(|e| {
            tracing::error!(error = %e, "signing a receipt failed");
            Refusal::new("internal_error", "this node could not sign a receipt")
        })?;
        let message_type = cp247_store::MessageType::parse(header.message_type.as_str())
            .map_err(|e| Refusal::new("payload", e.to_string()))?;
        // The files are stored apart, decoded; the readable payload is the header and body.
        let payload_json =
            String::from_utf8(verified.payload().canonical_json_without_attachments())
                .map_err(|_| Refusal::new("payload", "the payload is not UTF-8 JSON"))?;
        let attachments: Vec<NewAttachment> = verified
            .payload()
            .attachments
            .iter()
            .map(|a| NewAttachment {
                file_name: a.file_name().as_str().to_owned(),
                media_type: a.media_type().as_str().to_owned(),
                content: a.content().to_vec(),
            })
            .collect();
        let incoming = IncomingMessage {
            id: header.message_id,
            ticket: header.ticket.clone(),
            sender,
            recipient: self.me,
            message_type,
            written_at: header.created_at,
            sealed: sealed.to_vec(),
            payload_json,
            attachments,
            receipt: signed.as_bytes().to_vec(),
            received_at: now,
        };
        let audit = AuditRecord {
            actor: Actor::peer(sender),
            action: AuditAction::Receive,
            ticket: Some(header.ticket.clone()),
            result: AuditResult::Ok,
            details: json!({
                "message_id": header.message_id.to_string(),
                "message_type": header.message_type.as_str(),
                "sealed_sha256": hex::encode(verified.sealed_sha256()),
                "signer": verified.signer().to_string(),
                "attachments": verified.payload().attachments.iter().map(|a| json!({
                    "size": a.size(),
                    "sha256": a.sha256_hex(),
                })).collect::<Vec<_>>(),
            }),
            at: now,
        };
        let new = NewMessage {
            message_id: header.message_id,
            ticket: header.ticket.clone(),
            sender,
            message_type: header.message_type.as_str().to_owned(),
            urgency: header.urgency,
            opened_ticket,
            received_at: now,
        };
        match self
            .store_with_case(&incoming, &change, &audit, &plan, &new)
            .await
        {
            Ok(Stored::New) => {
                tracing::info!(
                    message_id = %header.message_id,
                    sender = %sender,
                    ticket = %header.ticket,
                    message_type = %header.message_type.as_str(),
                    "message received"
                );
                Ok(Accepted::New {
                    receipt: incoming.receipt,
                })
            }
            Ok(Stored::Duplicate { receipt, .. }) => Ok(Accepted::Duplicate { receipt }),
            Err(AcceptError::Store(e)) if e.is_conflict() => Err(Refusal::new(
                "ticket_conflict",
                format!(
                    "ticket {} exists on this node but is not shared with {}",
                    header.ticket, sender.party
                ),
            )),
            Err(AcceptError::Refused(r)) => Err(Refusal::new(r.code, r.message)),
            Err(AcceptError::Store(e)) => Err(store_refusal(&e)),
        }
    }

    /// Stores the message, its ticket change, the case change of `plan`, the audit entry and
    /// the alert it raises in one unit of work; a case that refuses the message rolls
    /// everything back.
    async fn store_with_case(
        &self,
        incoming: &IncomingMessage,
        change: &TicketChange,
        audit: &AuditRecord,
        plan: &Plan,
        new: &NewMessage,
    ) -> Result<Stored, AcceptError> {
        let mut tx = self.store.begin().await.map_err(AcceptError::Store)?;
        let accepted = tx
            .accept_incoming(incoming, change, audit)
            .await
            .map_err(AcceptError::Store)?;
        if let Stored::Duplicate { .. } = accepted {
            tx.rollback().await.map_err(AcceptError::Store)?;
            return Ok(accepted);
        }
        let actor = Actor::peer(incoming.sender);
        let applied = match plan {
            Plan::Open {
                case, escalation, ..
            } => {
                let r = tx.create_case(case, Some(&incoming.id), &actor).await;
                match (r, escalation) {
                    (Ok(()), Some(e)) => tx.record_escalation(e).await.map(|_| ()),
                    (r, _) => r,
                }
                .map_err(ApplyError::from)
            }
            Plan::Record { ticket, reply } => crate::apply::record_reply(
                &mut tx,
                ReplyEvent {
                    ticket,
                    reply,
                    sent: false,
                    message: incoming.id,
                    in_reply_to: None,
                    actor: &actor,
                    at: incoming.received_at,
                },
            )
            .await
            .map(|_| ()),
        };
        if let Err(e) = applied {
            return Err(match e.into_refusal() {
                Ok(r) => AcceptError::Refused(r),
                Err(e) => AcceptError::Store(e),
            });
        }
        let alert = self.new_request_alert(new);
        let stored_alert = match &alert {
            Some(alert) => tx
                .insert_alert(&self.alert_record(alert))
                .await
                .map_err(AcceptError::Store)?,
            None => false,
        };
        tx.commit().await.map_err(AcceptError::Store)?;
        if stored_alert {
            self.alert_stored();
        }
        Ok(accepted)
    }

    /// The alert a newly stored message raises, if any: only a message that opened a ticket
    /// here (a new request) and is urgent or an emergency.
    fn new_request_alert(&self, m: &NewMessage) -> Option<cp247_notify::Alert> {
        match m.urgency {
            Urgency::Urgent | Urgency::Emergency => {}
            Urgency::Routine => return None,
        }
        if !m.opened_ticket {
            return None;
        }
        let snapshot = self.directory.snapshot();
        let directory = snapshot.current().map(|c| c.directory());
        let phones = directory
            .and_then(|d| d.contact_point(&m.sender))
            .map(|cp| {
                cp.duty_phones
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let ack_due = self.ack_due(m.received_at, m.urgency);
        Some(cp247_notify::Alert::NewRequest {
            message_id: m.message_id,
            ticket: m.ticket.clone(),
            kind: ticket_kind_of(&m.message_type).to_owned(),
            urgency: m.urgency,
            from: m.sender,
            received_at: m.received_at,
            ack_due,
            phones,
        })
    }
}

impl CaseWork {
    /// When this contact point owes the acknowledgement of a request of `urgency` received at
    /// `received_at`, counted in its own calendar (none without a directory entry).
    fn ack_due(&self, received_at: Timestamp, urgency: Urgency) -> Option<Timestamp> {
        let snapshot = self.directory.snapshot();
        let directory = snapshot.current().map(|c| c.directory());
        directory
            .and_then(|d| d.contact_point(&self.me))
            .and_then(|cp| {
                cp247_case::OfficeCalendar::of(cp)
                    .deadline(received_at, self.policy.acknowledgement(urgency))
            })
    }
}

/// The ticket kind a message type opens: `art29_request` → `art29`; other types name
/// themselves.
pub fn ticket_kind_of(message_type: &str) -> &str {
    match message_type.split_once('_') {
        Some((prefix, _))
            if prefix.len() == 5
                && prefix.starts_with("art")
                && prefix.bytes().skip(3).all(|b| b.is_ascii_digit()) =>
        {
            prefix
        }
        _ => message_type,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_kinds_come_from_message_types() {
        assert_eq!(ticket_kind_of("art29_request"), "art29");
        assert_eq!(ticket_kind_of("art35_request"), "art35");
        assert_eq!(ticket_kind_of("acknowledgement"), "acknowledgement");
        assert_eq!(ticket_kind_of("artxy_request"), "artxy_request");
    }
}

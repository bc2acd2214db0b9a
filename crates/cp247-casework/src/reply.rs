//! Replying on a case and closing it: the one path of the API and the web composer.

use cp247_case::reply::{Message, parse_message_json};
use cp247_case::{Case, CaseEvent, CaseState, MessageKind, Reply};
use cp247_domain::{Address, MessageId, TicketId};
use cp247_seal::{Attachment, Handling, TlpMarking};
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, Direction, Page, Viewer};
use serde_json::{Value, json};

use crate::CaseWork;
use crate::apply::{self, ReplyEvent};
use crate::error::{Error, Refused};
use crate::sealing::{Draft, seal};

/// A reply to send on a case.
#[derive(Debug, Clone, Copy)]
pub struct ReplyInput<'a> {
    /// The reply document (cp247-case JSON; its `kind` names the reply type).
    pub reply: &'a Value,
    /// The message this answers.
    pub in_reply_to: Option<MessageId>,
    /// Keep the fact and subject confidential.
    pub confidential: bool,
    /// A TLP marking.
    pub marking: Option<TlpMarking>,
    /// Files sent with the reply, already checked against the limits.
    pub attachments: &'a [Attachment],
}

/// A reply recorded, sealed and queued.
#[derive(Debug, Clone)]
pub struct SentReply {
    /// Its message id.
    pub message_id: MessageId,
    /// Its kind.
    pub kind: MessageKind,
    /// Where it goes.
    pub recipient: Address,
    /// The case's state after it.
    pub state: CaseState,
    /// Warnings the decoder reported (no error).
    pub warnings: cp247_case::Report,
}

impl CaseWork {
    /// Case `id` of this node, rebuilt from its events.
    pub async fn case(&self, id: &TicketId) -> Result<Case, Error> {
        self.store
            .load_case_for(Viewer::Local(self.me.party), id)
            .await
            .map_err(|e| Error::store("reading a case", e))
    }

    /// Where this node's next message on `case` goes: the contact point that last wrote to us
    /// on the ticket (after an escalation, the alternate that took the case), else the
    /// counterpart.
    async fn reply_recipient(&self, case: &Case) -> Result<Address, Error> {
        let messages = self
            .store
            .messages_for(
                Viewer::Local(self.me.party),
                case.ticket(),
                Page {
                    offset: 0,
                    limit: 500,
                },
            )
            .await
            .map_err(|e| Error::store("listing messages", e))?;
        Ok(messages
            .items
            .iter()
            .rev()
            .find(|m| m.direction == Direction::In)
            .map_or(case.opening().counterpart, |m| m.sender))
    }

    /// Sends a reply on case `id` for `actor`: decodes it against the case (every problem with
    /// its code and path), checks the transition, seals it to the contact point that handles
    /// the case, and records the transition, the sealed message, the outbox entry and the
    /// audit entry in one unit of work.
    pub async fn send_reply(
        &self,
        id: &TicketId,
        actor: Actor,
        input: ReplyInput<'_>,
    ) -> Result<SentReply, Error> {
        let now = self.clock.now();
        let case = self.case(id).await?;
        let kind_name = input
            .reply
            .get("kind")
            .and_then(Value::as_str)
            .ok_or_else(|| {
                Error::refused(
                    Refused::UnreadableReply,
                    "the reply has no \"kind\" naming its type (e.g. acknowledgement, preservation_confirmed)",
                )
            })?
            .to_owned();
        let kind = MessageKind::from_name(&kind_name)
            .filter(|k| !k.is_request())
            .ok_or_else(|| {
                Error::refused(
                    Refused::UnreadableReply,
                    format!(
                        "'{}' is not a reply type of cp247",
                        kind_name.chars().take(64).collect::<String>()
                    ),
                )
            })?;
        if kind == MessageKind::EscalationNotice {
            return Err(Error::refused(
                Refused::NotSentByOfficers,
                "an escalation notice is sent by the node's scheduler when an urgent request is not acknowledged in time",
            ));
        }
        let bytes = serde_json::to_vec(input.reply)
            .map_err(|e| Error::refused(Refused::UnreadableReply, e.to_string()))?;
        let parsed = parse_message_json(kind.name(), &bytes, Some(case.reply_context()))
            .map_err(|e| Error::refused(Refused::UnreadableReply, e.to_string()))?;
        let reply = match parsed.message {
            Some(Message::Reply(r)) => r,
            Some(Message::Request(_)) | None => return Err(Error::InvalidReply(parsed.report)),
        };
        let warnings = parsed.report;
        let message_id = {
            let mut rng = rand::rng();
            MessageId::generate(now, &mut rng)
        };
        // Checked before sealing, so a refused reply costs nothing; checked again in the unit
        // of work against the case as it is then.
        case.clone()
            .record(
                case.event_for(true, &reply, message_id, input.in_reply_to)
                    .map_err(Error::Transition)?,
                now,
            )
            .map_err(Error::Transition)?;
        let to = self.reply_recipient(&case).await?;
        let body: Value = serde_json::from_str(&cp247_case::reply::to_json_string(&reply))
            .map_err(|e| Error::internal("encoding a reply", &e))?;
        let sealed = seal(
            self,
            Draft {
                ticket: id,
                id: message_id,
                to,
                kind,
                urgency: case.urgency(),
                body,
                handling: Handling {
                    confidential: input.confidential,
                    marking: input.marking,
                },
                attachments: input.attachments.to_vec(),
            },
            now,
        )
        .await?;
        let store_err = |e| Error::store("recording a reply", e);
        let mut tx = self.store.begin().await.map_err(store_err)?;
        let after = apply::record_reply(
            &mut tx,
            ReplyEvent {
                ticket: id,
                reply: &reply,
                sent: true,
                message: message_id,
                in_reply_to: input.in_reply_to,
                actor: &actor,
                at: now,
            },
        )
        .await
        .map_err(apply::ApplyError::into_error)?;
        tx.insert_outgoing(&sealed.message)
            .await
            .map_err(store_err)?;
        let action = match reply {
            Reply::Acknowledgement(_) => AuditAction::Acknowledge,
            _ => AuditAction::Reply,
        };
        tx.append_audit(&AuditRecord {
            actor,
            action,
            ticket: Some(id.clone()),
            result: AuditResult::Ok,
            details: json!({
                "message_id": message_id.to_string(),
                "message_type": kind.name(),
                "recipient": to.to_string(),
                "state": after.state().name(),
                "sealed_sha256": sealed.sha256,
                "attachments": sealed.attachments_audit,
            }),
            at: now,
        })
        .await
        .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        self.wake(to.party);
        tracing::info!(message_id = %message_id, ticket = %id, message_type = kind.name(), recipient = %to, "reply queued");
        Ok(SentReply {
            message_id,
            kind,
            recipient: to,
            state: after.state(),
            warnings,
        })
    }

    /// Closes case `id` for `actor` when it has its outcome (audited, one unit of work).
    pub async fn close(&self, id: &TicketId, actor: Actor) -> Result<CaseState, Error> {
        self.case(id).await?;
        let now = self.clock.now();
        let store_err = |e| Error::store("closing a case", e);
        let mut tx = self.store.begin().await.map_err(store_err)?;
        let Some(mut case) = tx.load_case(id).await.map_err(store_err)? else {
            return Err(Error::no_ticket(id));
        };
        let state = tx
            .record_case_event(&mut case, CaseEvent::Close, now, None, &actor)
            .await
            .map_err(store_err)?;
        tx.append_audit(&AuditRecord {
            actor,
            action: AuditAction::Close,
            ticket: Some(id.clone()),
            result: AuditResult::Ok,
            details: json!({ "outcome": state.outcome().map(|o| o.as_str()) }),
            at: now,
        })
        .await
        .map_err(store_err)?;
        tx.commit().await.map_err(store_err)?;
        Ok(state)
    }
}

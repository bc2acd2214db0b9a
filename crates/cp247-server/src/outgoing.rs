//! Sealing a case message for a peer node: the payload (header + body), signed by this node
//! and encrypted to the recipient's key from the directory, ready to be queued in the outbox by
//! the caller's unit of work.

use cp247_directory::Channel;
use cp247_domain::{Address, Instant, MessageId, TicketId, Urgency};
use cp247_seal::{Attachment, Handling, Header, MessageType, Payload};
use cp247_store::OutgoingMessage;
use jiff::Timestamp;
use serde_json::Value;

use crate::node::NodeContext;

/// Why a message could not be sealed for its recipient: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SealRefusal {
    /// `directory_unusable`, `recipient_unavailable`, `recipient_has_no_node`, `internal_error`.
    pub code: &'static str,
    /// What is wrong.
    pub message: String,
}

impl SealRefusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// A sealed message ready for the outbox, and the SHA-256 of its sealed bytes.
#[derive(Debug)]
pub struct Sealed {
    /// The outbox entry.
    pub message: OutgoingMessage,
    /// Hex SHA-256 of the sealed bytes (for the audit entry).
    pub sha256: String,
    /// Size and SHA-256 of each attachment (for the audit entry).
    pub attachments_audit: Value,
}

/// What to seal.
#[derive(Debug)]
pub struct Draft<'a> {
    /// The ticket.
    pub ticket: &'a TicketId,
    /// The message id.
    pub id: MessageId,
    /// The recipient contact point.
    pub to: Address,
    /// The envelope's message type (`acknowledgement`, `escalation_notice`, …).
    pub message_type: &'a str,
    /// The urgency.
    pub urgency: Urgency,
    /// The body (canonical JSON of the document or reply).
    pub body: Value,
    /// Handling.
    pub handling: Handling,
    /// Files sealed with the body (already within the node's limits).
    pub attachments: Vec<Attachment>,
}

/// Seals `draft` at `now` for its recipient's node.
pub fn seal(ctx: &NodeContext, draft: Draft<'_>, now: Timestamp) -> Result<Sealed, SealRefusal> {
    let snapshot = ctx.directory.snapshot();
    let traffic = snapshot
        .traffic(now)
        .map_err(|e| SealRefusal::new("directory_unusable", e.to_string()))?;
    let cp = traffic.contact_point(&draft.to).map_err(|e| {
        SealRefusal::new(
            "recipient_unavailable",
            format!("{} cannot receive messages now: {e}", draft.to),
        )
    })?;
    match &cp.channel {
        Channel::Node(_) => {}
        Channel::Email(_) => {
            return Err(SealRefusal::new(
                "recipient_has_no_node",
                format!(
                    "{} is reached by OpenPGP e-mail, which this node does not send yet; use the e-mail channel listed in the directory",
                    draft.to
                ),
            ));
        }
    }
    let cert = traffic
        .encryption_cert(&draft.to)
        .map_err(|e| SealRefusal::new("recipient_unavailable", e.to_string()))?
        .clone();
    let internal = |what: &str, e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "{what}");
        SealRefusal::new("internal_error", "the node failed to seal the message")
    };
    let payload = Payload {
        header: Header {
            message_id: draft.id,
            ticket: draft.ticket.clone(),
            message_type: MessageType::parse(draft.message_type)
                .map_err(|e| internal("naming a message type", &e))?,
            sender: ctx.me,
            recipient: draft.to,
            created_at: Instant::utc(now),
            urgency: draft.urgency,
            handling: draft.handling,
        },
        body: draft.body,
        attachments: draft.attachments,
    };
    let sealed = cp247_seal::seal_with_limits(&payload, &ctx.key, &cert, now, &ctx.inbound.limits)
        .map_err(|e| internal("sealing a message", &e))?;
    // The files are stored apart; the readable payload is the header and body.
    let payload_json = String::from_utf8(payload.canonical_json_without_attachments())
        .map_err(|e| internal("encoding a payload", &e))?;
    let message_type = cp247_store::MessageType::parse(draft.message_type)
        .map_err(|e| internal("naming a message type", &e))?;
    Ok(Sealed {
        sha256: sealed.sha256_hex(),
        attachments_audit: crate::routes::attachments::audit_json(&payload.attachments),
        message: OutgoingMessage {
            id: draft.id,
            ticket: draft.ticket.clone(),
            sender: ctx.me,
            recipient: draft.to,
            message_type,
            written_at: payload.header.created_at,
            sealed: sealed.as_bytes().to_vec(),
            payload_json,
            attachments: crate::routes::attachments::to_store(&payload.attachments),
            urgency: draft.urgency,
            queued_at: now,
        },
    })
}

//! Sealing a case message for its recipient: the payload (header + body), signed by this node
//! and encrypted to the recipient's key from the directory (and to this node), ready to be
//! queued in the outbox by the caller's unit of work. The one sealing path of requests,
//! replies and escalation notices.

use cp247_case::MessageKind;
use cp247_directory::Channel;
use cp247_domain::{Address, Instant, MessageId, TicketId, Urgency};
use cp247_forms::Document;
use cp247_seal::{Attachment, Cert, Handling, Header, MessageType, Payload};
use cp247_store::OutgoingMessage;
use jiff::Timestamp;
use serde_json::Value;

use crate::CaseWork;
use crate::error::{Error, Refused};

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
    /// The kind of message: the envelope's message type.
    pub kind: MessageKind,
    /// The urgency.
    pub urgency: Urgency,
    /// The body (canonical JSON of the document or reply).
    pub body: Value,
    /// Handling.
    pub handling: Handling,
    /// Files sealed with the body (already within the node's limits).
    pub attachments: Vec<Attachment>,
}

/// The certificate to encrypt to for `to`, refused unless the contact point can take traffic
/// now and has a node.
pub fn recipient_cert(work: &CaseWork, to: &Address, now: Timestamp) -> Result<Cert, Error> {
    let snapshot = work.directory.snapshot();
    let traffic = snapshot
        .traffic(now)
        .map_err(|e| Error::directory(e.to_string()))?;
    let cp = traffic.contact_point(to).map_err(|e| {
        Error::refused(
            Refused::RecipientUnavailable,
            format!("{to} cannot receive messages now: {e}"),
        )
    })?;
    match &cp.channel {
        Channel::Node(_) => {}
        Channel::Email(_) => {
            return Err(Error::refused(
                Refused::RecipientHasNoNode,
                format!(
                    "{to} is reached by OpenPGP e-mail, which this node does not send yet; use the e-mail channel listed in the directory"
                ),
            ));
        }
    }
    traffic
        .encryption_cert(to)
        .cloned()
        .map_err(|e| Error::refused(Refused::RecipientUnavailable, e.to_string()))
}

impl<'a> Draft<'a> {
    /// The draft of request `document` on a new ticket: its kind and urgency are the
    /// document's own (the envelope's message type is [`MessageKind::of_request`]'s name).
    pub fn request(
        ticket: &'a TicketId,
        id: MessageId,
        to: Address,
        document: &Document,
        handling: Handling,
        attachments: Vec<Attachment>,
    ) -> Result<Self, Error> {
        let kind = MessageKind::of_request(document)
            .ok_or_else(|| Error::refused(Refused::NotARequest, "the document is not a request"))?;
        let body: Value = serde_json::from_str(&cp247_forms::to_json_string(document))
            .map_err(|e| Error::internal("encoding a document", &e))?;
        Ok(Self {
            ticket,
            id,
            to,
            kind,
            urgency: urgency_of(document),
            body,
            handling,
            attachments,
        })
    }
}

/// The urgency a request document states (an Art. 30 disclosure answers a preservation
/// request and is urgent).
pub fn urgency_of(doc: &Document) -> Urgency {
    match doc {
        Document::Art29(d) => d.urgency.level(),
        Document::Art31(d) => d.urgency.level(),
        Document::Art35(d) => d.urgency.level(),
        Document::Art30(_) => Urgency::Urgent,
    }
}

/// The payload of `draft` sent by `me` at `now`: the one shape of every message a node — or
/// `cp247 envelope seal` — sends.
pub fn payload(me: Address, draft: Draft<'_>, now: Timestamp) -> Result<Payload, Error> {
    Ok(Payload {
        header: Header {
            message_id: draft.id,
            ticket: draft.ticket.clone(),
            message_type: MessageType::parse(draft.kind.name())
                .map_err(|e| Error::internal("naming a message type", &e))?,
            sender: me,
            recipient: draft.to,
            created_at: Instant::utc(now),
            urgency: draft.urgency,
            handling: draft.handling,
        },
        body: draft.body,
        attachments: draft.attachments,
    })
}

/// Seals `draft` at `now` for its recipient's node. The OpenPGP work runs on the blocking
/// pool, off the async workers.
pub async fn seal(work: &CaseWork, draft: Draft<'_>, now: Timestamp) -> Result<Sealed, Error> {
    let cert = recipient_cert(work, &draft.to, now)?;
    // The envelope this release writes; refused here if the recipient cannot read it.
    let envelope = cp247_domain::Format::Envelope
        .version_of(cp247_seal::PAYLOAD_FORMAT)
        .unwrap_or(1);
    crate::versions::check_readable(
        &draft.to,
        work.peer_level(&draft.to),
        cp247_domain::Format::Envelope,
        envelope,
    )?;
    let message_type = draft.kind.name();
    let payload = payload(work.me, draft, now)?;
    let key = work.key.clone();
    let limits = work.limits;
    let (payload, sealed) = tokio::task::spawn_blocking(move || {
        let sealed = cp247_seal::seal_with_limits(&payload, &key, &cert, now, &limits);
        (payload, sealed)
    })
    .await
    .map_err(|e| Error::internal("sealing a message", &e))?;
    let sealed = sealed.map_err(|e| Error::internal("sealing a message", &e))?;
    // The files are stored apart; the readable payload is the header and body.
    let payload_json = String::from_utf8(payload.canonical_json_without_attachments())
        .map_err(|e| Error::internal("encoding a payload", &e))?;
    let stored_type = cp247_store::MessageType::parse(message_type)
        .map_err(|e| Error::internal("naming a message type", &e))?;
    Ok(Sealed {
        sha256: sealed.sha256_hex(),
        attachments_audit: crate::attachments::audit_json(&payload.attachments),
        message: OutgoingMessage {
            id: payload.header.message_id,
            ticket: payload.header.ticket.clone(),
            sender: work.me,
            recipient: payload.header.recipient,
            message_type: stored_type,
            written_at: payload.header.created_at,
            sealed: sealed.as_bytes().to_vec(),
            payload_json,
            attachments: crate::attachments::to_store(&payload.attachments),
            urgency: payload.header.urgency,
            queued_at: now,
        },
    })
}

//! The inbound pipeline: sealed bytes from the network → `Unverified` → `Verified` against the
//! current directory → stored with the receipt, the ticket change and an audit entry in one
//! transaction → the signed receipt to send back. A replay gets the original receipt.
//!
//! Every refusal has a stable code, an HTTP status and a sentence, and leaves an audit entry.

use std::sync::Arc;

use cp247_directory::{DirectoryState, TrafficRefusal};
use cp247_domain::{Address, Clock, Instant, MessageId, TicketId, Urgency};
use cp247_seal::{Limits, NodeKey, OpenError, OpenPolicy, Receipt};
use cp247_store::{
    Accepted, Actor, AuditAction, AuditRecord, AuditResult, IncomingMessage, NewAttachment, Store,
    StoreError, TicketChange,
};
use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::casework::{ApplyError, CaseRefusal, Plan};
use crate::metrics::Metrics;

/// Why storing a message with its case change failed.
enum AcceptError {
    Refused(CaseRefusal),
    Store(StoreError),
}

/// The state a ticket opened by an incoming request starts in.
pub const RECEIVED_STATE: &str = "received";

/// Why an incoming message was refused: a stable code, the HTTP status that carries it and a
/// sentence for the sender's operator. Never contains payload content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InboundRefusal {
    /// Stable snake_case code (the seal, directory and store codes, plus a few of the
    /// pipeline's own).
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong.
    pub message: String,
}

/// The HTTP status for a refusal code. The table is the protocol's (docs/protocol/federation.md).
pub fn status_for(code: &str) -> u16 {
    match code {
        "too_large" | "too_many_attachments" | "attachment_too_large" | "attachments_too_large" => {
            413
        }
        "malformed"
        | "no_integrity_protection"
        | "modification_detected"
        | "unsigned"
        | "weak_hash"
        | "payload"
        | "invalid_payload"
        | "invalid_file_name"
        | "invalid_media_type"
        | "invalid_base64"
        | "attachment_size_mismatch"
        | "invalid_attachment_hash"
        | "attachment_hash_mismatch"
        | "session_key_undecryptable" => 400,
        "not_encrypted_to_us" | "recipient_not_us" => 421,
        "unknown_signer"
        | "signer_not_listed_for_sender"
        | "key_suspended"
        | "key_revoked"
        | "key_expired"
        | "key_policy"
        | "bad_signature"
        | "signature_expired"
        | "party_absent"
        | "contact_point_absent"
        | "party_suspended"
        | "party_revoked"
        | "contact_point_suspended"
        | "contact_point_revoked"
        | "no_key_in_force" => 403,
        "too_old"
        | "time_mismatch"
        | "unknown_ticket"
        | "invalid_document"
        | "invalid_reply"
        | "unknown_message_type" => 422,
        "wrong_side" => 403,
        "illegal_transition" | "case_conflict" => 409,
        "from_the_future" => 425,
        "ticket_conflict" => 409,
        "directory_unusable" | "store_unavailable" => 503,
        _ => 500,
    }
}

impl InboundRefusal {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status: status_for(code),
            message: message.into(),
        }
    }

    fn open(e: &OpenError) -> Self {
        let message = match e {
            // Payload errors may quote decrypted content: say only what kind of problem it is.
            OpenError::Payload(_) => {
                "the decrypted payload is not a valid cp247 payload".to_owned()
            }
            other => other.to_string(),
        };
        Self::new(e.code(), message)
    }

    fn traffic(e: &TrafficRefusal) -> Self {
        Self::new(e.code(), e.to_string())
    }

    fn store(e: &StoreError) -> Self {
        tracing::error!(error = %e, "the store failed while receiving a message");
        Self::new(
            "store_unavailable",
            "this node cannot store the message right now; send it again later",
        )
    }
}

/// What became of an accepted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// Stored for the first time.
    New {
        /// The signed receipt (armored).
        receipt: Vec<u8>,
        /// The message.
        message_id: MessageId,
        /// Its ticket.
        ticket: TicketId,
        /// The verified sender.
        sender: Address,
        /// The message type (`art29_request`, `acknowledgement`…).
        message_type: String,
        /// The urgency the sender gave it.
        urgency: Urgency,
        /// Whether this message opened a new ticket on this node (a new incoming request).
        opened_ticket: bool,
        /// When it was received (this node's clock).
        received_at: Timestamp,
    },
    /// Stored before: the original receipt.
    Duplicate {
        /// The receipt issued the first time.
        receipt: Vec<u8>,
    },
}

impl Received {
    /// The receipt to send back.
    pub fn receipt(&self) -> &[u8] {
        match self {
            Received::New { receipt, .. } | Received::Duplicate { receipt } => receipt,
        }
    }
}

/// Everything the pipeline needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// This node's key.
    pub key: Arc<NodeKey>,
    /// This node's contact point.
    pub me: Address,
    /// The store.
    pub store: Store,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Size bounds for opening.
    pub limits: Limits,
    /// Time rules for verifying.
    pub policy: OpenPolicy,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

impl Inbound {
    /// Runs the pipeline on `bytes` with the directory `directory` (a snapshot). A refusal is
    /// audited (best effort: a failing audit write is logged) and counted.
    pub async fn receive(
        &self,
        bytes: &[u8],
        directory: &DirectoryState,
    ) -> Result<Received, InboundRefusal> {
        let now = self.clock.now();
        let mut claimed = None;
        let result = self
            .receive_inner(bytes, directory, now, &mut claimed)
            .await;
        match &result {
            Ok(Received::New { .. }) => self.metrics.inbox("accepted", false),
            Ok(Received::Duplicate { .. }) => self.metrics.inbox("duplicate", false),
            Err(refusal) => {
                self.metrics.inbox(refusal.code, true);
                self.audit_refusal(bytes, claimed.as_ref(), refusal, now)
                    .await;
            }
        }
        result
    }

    async fn receive_inner(
        &self,
        bytes: &[u8],
        directory: &DirectoryState,
        now: Timestamp,
        claimed: &mut Option<(Address, MessageId)>,
    ) -> Result<Received, InboundRefusal> {
        if bytes.len() > self.limits.max_sealed_bytes {
            return Err(InboundRefusal::new(
                "too_large",
                format!(
                    "the message is {} bytes long; this node accepts at most {}",
                    bytes.len(),
                    self.limits.max_sealed_bytes
                ),
            ));
        }
        let traffic = directory
            .traffic(now)
            .map_err(|e| InboundRefusal::new("directory_unusable", e.to_string()))?;
        let unverified = cp247_seal::open(bytes, &self.key, &self.limits)
            .map_err(|e| InboundRefusal::open(&e))?;
        let header = unverified.claimed_header();
        *claimed = Some((header.sender, header.message_id));
        let verified = unverified
            .verify(&traffic, &self.me, now, &self.policy)
            .map_err(|e| InboundRefusal::open(&e))?;
        let sender = verified.sender();
        traffic
            .contact_point(&sender)
            .map_err(|e| InboundRefusal::traffic(&e))?;
        let header = verified.header().clone();

        // A replay of an accepted message: the original receipt, without signing anew.
        if let Some((receipt, _)) = self
            .store
            .incoming_receipt(sender.party, &header.message_id)
            .await
            .map_err(|e| InboundRefusal::store(&e))?
        {
            return Ok(Received::Duplicate { receipt });
        }

        let plan = crate::casework::plan(
            &self.store,
            self.me,
            crate::casework::Incoming {
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
        .map_err(|r| InboundRefusal::new(r.code, r.message))?;
        let change = match &plan {
            Plan::Open { ticket, .. } => TicketChange::Create((**ticket).clone()),
            Plan::Record { .. } => TicketChange::Unchanged,
        };
        let opened_ticket = matches!(change, TicketChange::Create(_));
        let head = self
            .store
            .audit_head()
            .await
            .map_err(|e| InboundRefusal::store(&e))?;
        let receipt = Receipt::for_message(
            verified.sealed_sha256(),
            header.message_id,
            sender,
            self.me,
            Instant::utc(now),
            Some(format!("{}:{}", head.seq, head.hash)),
        );
        let signed = cp247_seal::sign_receipt(&receipt, &self.key, now).map_err(|e| {
            tracing::error!(error = %e, "signing a receipt failed");
            InboundRefusal::new("internal_error", "this node could not sign a receipt")
        })?;
        let message_type = cp247_store::MessageType::parse(header.message_type.as_str())
            .map_err(|e| InboundRefusal::new("payload", e.to_string()))?;
        // The files are stored apart, decoded; the readable payload is the header and body.
        let payload_json =
            String::from_utf8(verified.payload().canonical_json_without_attachments())
                .map_err(|_| InboundRefusal::new("payload", "the payload is not UTF-8 JSON"))?;
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
            sealed: bytes.to_vec(),
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
        match self
            .accept_with_case(&incoming, &change, &audit, &plan)
            .await
        {
            Ok(Accepted::New) => {
                tracing::info!(
                    message_id = %header.message_id,
                    sender = %sender,
                    ticket = %header.ticket,
                    message_type = %header.message_type.as_str(),
                    "message received"
                );
                Ok(Received::New {
                    receipt: incoming.receipt,
                    message_id: header.message_id,
                    ticket: header.ticket,
                    sender,
                    message_type: header.message_type.as_str().to_owned(),
                    urgency: header.urgency,
                    opened_ticket,
                    received_at: now,
                })
            }
            Ok(Accepted::Duplicate { receipt, .. }) => Ok(Received::Duplicate { receipt }),
            Err(AcceptError::Store(e)) if e.is_conflict() => Err(InboundRefusal::new(
                "ticket_conflict",
                format!(
                    "ticket {} exists on this node but is not shared with {}",
                    header.ticket, sender.party
                ),
            )),
            Err(AcceptError::Refused(r)) => Err(InboundRefusal::new(r.code, r.message)),
            Err(AcceptError::Store(e)) => Err(InboundRefusal::store(&e)),
        }
    }

    /// Stores the message, its ticket change, the case change of `plan` and the audit entry in
    /// one unit of work; a case that refuses the message rolls everything back.
    async fn accept_with_case(
        &self,
        incoming: &IncomingMessage,
        change: &TicketChange,
        audit: &AuditRecord,
        plan: &Plan,
    ) -> Result<Accepted, AcceptError> {
        let mut tx = self.store.begin().await.map_err(AcceptError::Store)?;
        let accepted = tx
            .accept_incoming(incoming, change, audit)
            .await
            .map_err(AcceptError::Store)?;
        if let Accepted::Duplicate { .. } = accepted {
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
            Plan::Record { ticket, reply } => crate::casework::record_reply(
                &mut tx,
                crate::casework::ReplyEvent {
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
        match applied {
            Ok(()) => {}
            Err(ApplyError::Refused(r)) => return Err(AcceptError::Refused(r)),
            Err(ApplyError::Store(e)) => return Err(AcceptError::Store(e)),
        }
        tx.commit().await.map_err(AcceptError::Store)?;
        Ok(accepted)
    }

    async fn audit_refusal(
        &self,
        bytes: &[u8],
        claimed: Option<&(Address, MessageId)>,
        refusal: &InboundRefusal,
        now: Timestamp,
    ) {
        let actor = match claimed {
            Some((sender, _)) => Actor::parse(&format!("unverified:{sender}")),
            None => Actor::parse("unverified:unknown"),
        };
        let Ok(actor) = actor else { return };
        let record = AuditRecord {
            actor,
            action: AuditAction::Reject,
            ticket: None,
            result: AuditResult::Denied,
            details: json!({
                "code": refusal.code,
                "reason": refusal.message,
                "claimed_sender": claimed.map(|(s, _)| s.to_string()),
                "claimed_message_id": claimed.map(|(_, id)| id.to_string()),
                "sealed_sha256": hex::encode(Sha256::digest(bytes)),
                "size": bytes.len(),
            }),
            at: now,
        };
        if let Err(e) = self.store.append_audit(&record).await {
            tracing::error!(error = %e, code = refusal.code, "could not audit a refused message");
        }
        tracing::warn!(
            code = refusal.code,
            claimed_sender = ?claimed.map(|(s, _)| s.to_string()),
            "incoming message refused"
        );
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
    fn every_code_has_a_deliberate_status() {
        for (code, status) in [
            ("too_large", 413),
            ("attachment_too_large", 413),
            ("attachments_too_large", 413),
            ("too_many_attachments", 413),
            ("attachment_hash_mismatch", 400),
            ("invalid_file_name", 400),
            ("invalid_payload", 400),
            ("modification_detected", 400),
            ("recipient_not_us", 421),
            ("unknown_signer", 403),
            ("party_revoked", 403),
            ("too_old", 422),
            ("from_the_future", 425),
            ("ticket_conflict", 409),
            ("directory_unusable", 503),
            ("something_new", 500),
        ] {
            assert_eq!(status_for(code), status, "{code}");
        }
    }

    #[test]
    fn ticket_kinds_come_from_message_types() {
        assert_eq!(ticket_kind_of("art29_request"), "art29");
        assert_eq!(ticket_kind_of("art35_request"), "art35");
        assert_eq!(ticket_kind_of("acknowledgement"), "acknowledgement");
        assert_eq!(ticket_kind_of("artxy_request"), "artxy_request");
    }
}

//! The inbound side of the node-to-node transport: sealed bytes from the network →
//! `Unverified` → `Verified` against the current directory → handed to the node's
//! [`Inbox`] (case work), which stores the message with its case change and returns the
//! signed receipt. A replay gets the original receipt.
//!
//! Every refusal has a stable code and an HTTP status ([`cp247_transport::refusal::CODES`])
//! and leaves an audit entry.

use std::sync::Arc;

use cp247_directory::DirectoryState;
use cp247_domain::{Address, Clock, MessageId};
use cp247_seal::{Limits, NodeKey, OpenPolicy};
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, Store};
use cp247_transport::{Accepted, Arrival, ChannelKind, Inbox, Metrics, Refusal};
use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};

/// Everything the pipeline needs; cheap to clone.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// This node's key.
    pub key: Arc<NodeKey>,
    /// This node's contact point.
    pub me: Address,
    /// Case work, which takes verified messages.
    pub inbox: Arc<dyn Inbox>,
    /// The store (refusals are audited).
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
    ) -> Result<Accepted, Refusal> {
        let now = self.clock.now();
        let mut claimed = None;
        let result = self
            .receive_inner(bytes, directory, now, &mut claimed)
            .await;
        match &result {
            Ok(Accepted::New { .. }) => self.metrics.inbox("accepted", false),
            Ok(Accepted::Duplicate { .. }) => self.metrics.inbox("duplicate", false),
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
    ) -> Result<Accepted, Refusal> {
        if bytes.len() > self.limits.max_sealed_bytes {
            return Err(Refusal::new(
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
            .map_err(|e| Refusal::new("directory_unusable", e.to_string()))?;
        let unverified =
            cp247_seal::open(bytes, &self.key, &self.limits).map_err(|e| Refusal::open(&e))?;
        let header = unverified.claimed_header();
        *claimed = Some((header.sender, header.message_id));
        let verified = unverified
            .verify(&traffic, &self.me, now, &self.policy)
            .map_err(|e| Refusal::open(&e))?;
        traffic
            .contact_point(&verified.sender())
            .map_err(|e| Refusal::traffic(&e))?;
        self.inbox
            .accept(Arrival {
                verified: &verified,
                sealed: bytes,
                channel: ChannelKind::Node,
            })
            .await
    }

    async fn audit_refusal(
        &self,
        bytes: &[u8],
        claimed: Option<&(Address, MessageId)>,
        refusal: &Refusal,
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

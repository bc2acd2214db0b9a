//! The inbound side of the node-to-node transport: sealed bytes from the network →
//! `Unverified` → `Verified` against the current directory → handed to the node's
//! [`Inbox`] (case work), which stores the message with its case change and returns the
//! signed receipt. A replay gets the original receipt.
//!
//! Every refusal has a stable code and an HTTP status ([`cp247_transport::refusal::CODES`])
//! and is counted in the audit log: one entry per (source, code) and interval with its count,
//! at most [`RefusalPolicy::max_tallies`] of them per interval plus one overflow entry
//! (`cp247_store::Store::tally_refusal`, ADR 0026), so a stranger cannot grow the log without
//! bound. [`flush_task`] writes the tallies of intervals that are over.

use std::sync::Arc;
use std::time::Duration;

use cp247_directory::DirectoryState;
use cp247_domain::{Address, Clock, MessageId};
use cp247_seal::{Limits, NodeKey, OpenPolicy};
use cp247_store::{RefusalPolicy, Refused, Store};
use cp247_transport::{Accepted, Arrival, ChannelKind, Inbox, Metrics, Refusal};
use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;

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
    /// How refusals are counted in the audit log.
    pub refusals: RefusalPolicy,
}

/// The source of a post whose network address is not known (a caller other than the
/// listener).
pub const UNKNOWN_SOURCE: &str = "unknown";

impl Inbound {
    /// Runs the pipeline on `bytes` with the directory `directory` (a snapshot). A refusal is
    /// audited (best effort: a failing audit write is logged) and counted.
    pub async fn receive(
        &self,
        bytes: &[u8],
        directory: &DirectoryState,
    ) -> Result<Accepted, Refusal> {
        self.receive_from(bytes, directory, UNKNOWN_SOURCE).await
    }

    /// [`Inbound::receive`] for a post from `source` (an IPv4 address or an IPv6 /64 prefix):
    /// its refusal is counted under that source.
    pub async fn receive_from(
        &self,
        bytes: &[u8],
        directory: &DirectoryState,
        source: &str,
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
                self.audit_refusal(bytes, claimed.as_ref(), refusal, source, now)
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
        source: &str,
        now: Timestamp,
    ) {
        let refused = Refused {
            source,
            code: refusal.code,
            at: now,
            details: json!({
                "code": refusal.code,
                "reason": refusal.message,
                "claimed_sender": claimed.map(|(s, _)| s.to_string()),
                "claimed_message_id": claimed.map(|(_, id)| id.to_string()),
                "sealed_sha256": hex::encode(Sha256::digest(bytes)),
                "size": bytes.len(),
            }),
        };
        if let Err(e) = self.store.tally_refusal(&refused, &self.refusals).await {
            tracing::error!(error = %e, code = refusal.code, "could not count a refused message");
        }
        // Tallies of intervals that are over are written now (the task does it too).
        if let Err(e) = self.store.flush_refusals(now).await {
            tracing::error!(error = %e, "could not write counted refusals to the audit log");
        }
        tracing::warn!(
            code = refusal.code,
            claimed_sender = ?claimed.map(|(s, _)| s.to_string()),
            "incoming message refused"
        );
    }
}

/// How often [`flush_task`] looks at the clock: a tenth of the interval, between 100 ms and
/// 1 min.
fn flush_poll(interval: jiff::SignedDuration) -> Duration {
    Duration::try_from(interval)
        .unwrap_or(Duration::from_secs(60))
        .checked_div(10)
        .unwrap_or_default()
        .clamp(Duration::from_millis(100), Duration::from_secs(60))
}

/// Writes the refusal tallies of intervals that are over (on `clock`) to the audit log, until
/// `stop`, and once more then.
pub async fn flush_task(
    store: Store,
    clock: Arc<dyn Clock>,
    policy: RefusalPolicy,
    stop: CancellationToken,
) {
    let poll = flush_poll(policy.interval);
    loop {
        match store.flush_refusals(clock.now()).await {
            Ok(written) if !written.is_empty() => {
                tracing::info!(
                    entries = written.len(),
                    "counted refusals written to the audit log"
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(error = %e, "could not write counted refusals; retrying later")
            }
        }
        tokio::select! {
            () = stop.cancelled() => break,
            () = tokio::time::sleep(poll) => {}
        }
    }
    // Intervals that ended while the node was stopping are written before it stops.
    if let Err(e) = store.flush_refusals(clock.now()).await {
        tracing::error!(error = %e, "could not write counted refusals at shutdown");
    }
}

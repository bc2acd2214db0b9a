//! The inbound side of the node-to-node transport: sealed bytes from the network →
//! `Unverified` → `Verified` against the current directory → handed to the node's
//! [`Inbox`] (case work), which stores the message with its case change and returns the
//! signed receipt. A replay gets the original receipt.
//!
//! Every refusal has a stable code and an HTTP status ([`cp247_transport::refusal::CODES`])
//! and is counted in the audit log: one entry per (source, code) and interval with its count,
//! at most [`RefusalPolicy::max_tallies`] of them per interval plus one overflow entry
//! (`cp247_store::Store::tally_refusal`, ADR 0026), so a stranger cannot grow the log without
//! bound; [`flush_task`] writes the tallies of intervals that are over. `inbound_busy` refuses
//! no message but asks the sender to come back: it is only counted in the metrics.
//!
//! Opening is expensive and a stranger can ask for it: at most [`Admission`]'s number of
//! messages are opened at once (the excess is `inbound_busy`, 503 with `Retry-After`), each on
//! tokio's blocking pool rather than on the async workers, and the signer is looked up in the
//! directory before anything is inflated or parsed ([`cp247_seal::open_listed`]).

use std::sync::Arc;
use std::time::Duration;

use cp247_directory::DirectoryState;
use cp247_domain::{Address, Clock, MessageId};
use cp247_seal::{Limits, NodeKey, OpenPolicy, Verified};
use cp247_store::{RefusalPolicy, Refused, Store};
use cp247_transport::{Accepted, Arrival, ChannelKind, Inbox, Metrics, Refusal};
use jiff::Timestamp;
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// The default number of inbound messages opened at once.
pub const DEFAULT_MAX_OPENING: usize = 4;

/// What a busy node asks senders to wait before they post again (`Retry-After`).
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How many inbound messages are opened at once; the excess is refused with `inbound_busy`.
#[derive(Debug, Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
    max: usize,
}

impl Admission {
    /// At most `max` messages at once (at least one).
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        Self {
            slots: Arc::new(Semaphore::new(max)),
            max,
        }
    }

    /// The bound.
    pub fn max(&self) -> usize {
        self.max
    }

    /// Seconds a refused sender is asked to wait (`Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        BUSY_RETRY_AFTER.as_secs()
    }

    fn admit(&self) -> Result<OwnedSemaphorePermit, Refusal> {
        self.slots.clone().try_acquire_owned().map_err(|_| {
            Refusal::new(
                "inbound_busy",
                format!(
                    "this node is opening as many messages as it may at once ({}); send it again in {} s",
                    self.max,
                    self.retry_after_secs()
                ),
            )
        })
    }
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_OPENING)
    }
}

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
    /// How many messages are opened at once.
    pub admission: Admission,
    /// How refusals are counted in the audit log.
    pub refusals: RefusalPolicy,
}

/// The source of a post whose network address is not known (a caller other than the
/// listener).
pub const UNKNOWN_SOURCE: &str = "unknown";

impl Inbound {
    /// Runs the pipeline on `bytes` with the directory `directory` (a snapshot). A refusal is
    /// audited (best effort: a failing audit write is logged) and counted; `inbound_busy` is
    /// only counted.
    pub async fn receive(
        &self,
        bytes: Vec<u8>,
        directory: Arc<DirectoryState>,
    ) -> Result<Accepted, Refusal> {
        self.receive_from(bytes, directory, UNKNOWN_SOURCE).await
    }

    /// [`Inbound::receive`] for a post from `source` (an IPv4 address or an IPv6 /64 prefix):
    /// its refusal is counted under that source.
    pub async fn receive_from(
        &self,
        bytes: Vec<u8>,
        directory: Arc<DirectoryState>,
        source: &str,
    ) -> Result<Accepted, Refusal> {
        let now = self.clock.now();
        let mut claimed = None;
        let sha256: [u8; 32] = Sha256::digest(&bytes).into();
        let size = bytes.len();
        let result = self
            .receive_inner(bytes, directory, now, &mut claimed)
            .await;
        match &result {
            Ok(Accepted::New { .. }) => self.metrics.inbox("accepted", false),
            Ok(Accepted::Duplicate { .. }) => self.metrics.inbox("duplicate", false),
            Err(refusal) if refusal.code == "inbound_busy" => {
                self.metrics.inbox(refusal.code, true);
                tracing::debug!(code = refusal.code, "incoming message deferred");
            }
            Err(refusal) => {
                self.metrics.inbox(refusal.code, true);
                self.audit_refusal(&sha256, size, claimed.as_ref(), refusal, source, now)
                    .await;
            }
        }
        result
    }

    async fn receive_inner(
        &self,
        bytes: Vec<u8>,
        directory: Arc<DirectoryState>,
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
        // Checked here so that a node without a usable directory answers without opening.
        directory
            .traffic(now)
            .map_err(|e| Refusal::new("directory_unusable", e.to_string()))?;
        let permit = self.admission.admit()?;
        // The permit travels with the work: a sender that hangs up does not free its slot
        // before the opening it started has ended.
        let key = self.key.clone();
        let me = self.me;
        let limits = self.limits;
        let policy = self.policy;
        let task_directory = directory.clone();
        let opened = tokio::task::spawn_blocking(move || {
            let outcome =
                open_and_verify(&bytes, &key, &me, &limits, &policy, &task_directory, now);
            (outcome, bytes, permit)
        })
        .await;
        let (outcome, bytes, _permit) = opened.map_err(|e| {
            tracing::error!(error = %e, "opening an incoming message failed");
            Refusal::new(
                "internal_error",
                "this node failed while opening the message",
            )
        })?;
        let verified = match outcome {
            Ok(verified) => verified,
            Err((refusal, header)) => {
                *claimed = header;
                return Err(refusal);
            }
        };
        *claimed = Some((verified.sender(), verified.header().message_id));
        let traffic = directory
            .traffic(now)
            .map_err(|e| Refusal::new("directory_unusable", e.to_string()))?;
        traffic
            .contact_point(&verified.sender())
            .map_err(|e| Refusal::traffic(&e))?;
        self.inbox
            .accept(Arrival {
                verified: &verified,
                sealed: &bytes,
                channel: ChannelKind::Node,
            })
            .await
    }

    async fn audit_refusal(
        &self,
        sealed_sha256: &[u8; 32],
        size: usize,
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
                "sealed_sha256": hex::encode(sealed_sha256),
                "size": size,
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

/// What a refused opening knows of the claimed header (for the audit entry).
type Claimed = Option<(Address, MessageId)>;

/// The OpenPGP work, on a blocking thread: open (signer first) and verify against the
/// directory as it is now.
fn open_and_verify(
    bytes: &[u8],
    key: &NodeKey,
    me: &Address,
    limits: &Limits,
    policy: &OpenPolicy,
    directory: &DirectoryState,
    now: Timestamp,
) -> Result<Verified, (Refusal, Claimed)> {
    let traffic = directory
        .traffic(now)
        .map_err(|e| (Refusal::new("directory_unusable", e.to_string()), None))?;
    let unverified = cp247_seal::open_listed(bytes, key, limits, &traffic)
        .map_err(|e| (Refusal::open(&e), None))?;
    let header = unverified.claimed_header();
    let claimed = Some((header.sender, header.message_id));
    unverified
        .verify(&traffic, me, now, policy)
        .map_err(|e| (Refusal::open(&e), claimed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_defers_the_excess() {
        let admission = Admission::new(2);
        let first = admission.admit().unwrap();
        let _second = admission.admit().unwrap();
        let busy = admission.admit().unwrap_err();
        assert_eq!((busy.code, busy.status), ("inbound_busy", 503));
        assert!(busy.message.contains("5 s"), "{}", busy.message);
        // A slot frees when a message is done.
        drop(first);
        let _third = admission.admit().unwrap();
        assert!(admission.admit().is_err());
        // Zero would refuse everything: the bound is at least one.
        assert_eq!(Admission::new(0).max(), 1);
        assert_eq!(Admission::default().max(), DEFAULT_MAX_OPENING);
    }
}

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
//! messages are opened at once (the excess waits its turn in a bounded waiting room, and
//! beyond it is `inbound_busy`, 503 with `Retry-After`), each on
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

/// The default number of inbound messages that may wait for an opening slot; a quarter of
/// them may come from one source.
pub const DEFAULT_MAX_WAITING: usize = 64;

/// How long a message may wait for an opening slot before it is deferred.
pub const ADMISSION_WAIT: Duration = Duration::from_secs(10);

/// Verified messages being stored at once, per opening slot, where the database takes
/// several writers at once (PostgreSQL); see [`Admission::storing_at_once`].
pub const STORING_PER_OPENING: usize = 4;

/// What a busy node asks senders to wait before they post again (`Retry-After`).
pub const BUSY_RETRY_AFTER: Duration = Duration::from_secs(5);

/// How many inbound messages are opened at once, and how many may wait for a turn.
///
/// A message that finds every slot taken waits, in arrival order, for at most
/// [`ADMISSION_WAIT`]; it is deferred with `inbound_busy` (503, `Retry-After`) only when it
/// waited that long, or when the waiting room is full: `max_waiting` messages in all, a quarter
/// of them (at least one) from one source. A peer's burst (its outbox sends up to
/// `[delivery] concurrency_per_peer` at once) therefore queues instead of being sent back for
/// five seconds, while what waits holds only its sealed bytes, already read and bounded by the
/// body limit; what is opened at once, and so inflated, stays at `max`.
///
/// A message that verified (its signer is listed) hands its opening slot over to one of the
/// places for messages being stored ([`Admission::to_storing`]; `max` of them unless
/// [`Admission::storing_at_once`] says otherwise): the next message is opened while the
/// database commits the last. Only a listed peer's messages reach that stage.
#[derive(Debug, Clone)]
pub struct Admission {
    slots: Arc<Semaphore>,
    storing: Arc<Semaphore>,
    max: usize,
    max_waiting: usize,
    per_source: usize,
    wait: Duration,
    waiting: Arc<std::sync::Mutex<Waiting>>,
}

/// Who waits for a slot now.
#[derive(Debug, Default)]
struct Waiting {
    total: usize,
    by_source: std::collections::HashMap<String, usize>,
}

/// One message's place in the waiting room, given back when it is dropped (admitted, timed
/// out, or abandoned because the sender hung up).
struct Place {
    waiting: Arc<std::sync::Mutex<Waiting>>,
    source: String,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        w.total = w.total.saturating_sub(1);
        if let Some(n) = w.by_source.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                w.by_source.remove(&self.source);
            }
        }
    }
}

impl Admission {
    /// At most `max` messages opened at once (at least one), and at most `max_waiting` waiting.
    pub fn new(max: usize, max_waiting: usize) -> Self {
        let max = max.max(1);
        Self {
            slots: Arc::new(Semaphore::new(max)),
            storing: Arc::new(Semaphore::new(max)),
            max,
            max_waiting,
            per_source: (max_waiting / 4).max(1).min(max_waiting),
            wait: ADMISSION_WAIT,
            waiting: Arc::default(),
        }
    }

    /// The same with `places` messages being stored at once (at least one). A database with
    /// one writer at a time (SQLite) gains nothing from more than `max`: its writers would only
    /// poll for the lock, and the unlucky ones wait hundreds of milliseconds. PostgreSQL, whose
    /// commits take milliseconds and overlap, is given `STORING_PER_OPENING × max`, so that
    /// commits do not hold deliveries to `max` at once.
    pub fn storing_at_once(mut self, places: usize) -> Self {
        self.storing = Arc::new(Semaphore::new(places.max(1)));
        self
    }

    /// The same with another longest wait (tests).
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// The bound on messages opened at once.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The bound on messages waiting, and on those of one source.
    pub fn max_waiting(&self) -> (usize, usize) {
        (self.max_waiting, self.per_source)
    }

    /// Messages waiting now.
    pub fn waiting(&self) -> usize {
        self.waiting.lock().unwrap_or_else(|e| e.into_inner()).total
    }

    /// Seconds a refused sender is asked to wait (`Retry-After`).
    pub fn retry_after_secs(&self) -> u64 {
        BUSY_RETRY_AFTER.as_secs()
    }

    /// A slot for a message from `source`: at once when one is free, else after a wait in
    /// arrival order; `inbound_busy` when the waiting room is full or the wait ran out.
    pub async fn admit(&self, source: &str) -> Result<OwnedSemaphorePermit, Refusal> {
        if let Ok(permit) = self.slots.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let _place = self.take_place(source)?;
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(_)) | Err(_) => Err(self.busy()),
        }
    }

    /// Trades a verified message's opening slot for a place among those being stored: the
    /// opening slot is given back once the place is held (waiting for one keeps it, so a slow
    /// store slows opening down rather than piling verified payloads up).
    pub async fn to_storing(
        &self,
        opening: OwnedSemaphorePermit,
    ) -> Result<OwnedSemaphorePermit, Refusal> {
        let storing = self.storing.clone().acquire_owned().await.map_err(|_| {
            Refusal::new(
                "internal_error",
                "this node failed while admitting the message",
            )
        })?;
        drop(opening);
        Ok(storing)
    }

    fn take_place(&self, source: &str) -> Result<Place, Refusal> {
        let mut w = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        let mine = w.by_source.get(source).copied().unwrap_or(0);
        if w.total >= self.max_waiting || mine >= self.per_source {
            return Err(self.busy());
        }
        w.total += 1;
        *w.by_source.entry(source.to_owned()).or_insert(0) += 1;
        Ok(Place {
            waiting: self.waiting.clone(),
            source: source.to_owned(),
        })
    }

    fn busy(&self) -> Refusal {
        Refusal::new(
            "inbound_busy",
            format!(
                "this node is opening as many messages as it may at once ({}) and others are waiting; send it again in {} s",
                self.max,
                self.retry_after_secs()
            ),
        )
    }
}

impl Default for Admission {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_OPENING, DEFAULT_MAX_WAITING)
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
            .receive_inner(bytes, directory, now, source, &mut claimed)
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
        source: &str,
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
        let permit = self.admission.admit(source).await?;
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
        let (outcome, bytes, opening) = opened.map_err(|e| {
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
        // From a listed peer: the next message may be opened while this one is stored.
        let _storing = self.admission.to_storing(opening).await?;
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

    /// Lets spawned tasks run until each waits on something.
    async fn settle() {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn admission_queues_a_burst_and_defers_only_beyond_the_waiting_room() {
        // One slot; four may wait, one of them per source.
        let admission = Admission::new(1, 4).with_wait(Duration::from_secs(30));
        assert_eq!(admission.max_waiting(), (4, 1));
        let first = admission.admit("a").await.unwrap();

        // A second message from another source waits for the slot instead of being deferred.
        let waiter = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.admit("b").await.map(|_permit| ()) })
        };
        settle().await;
        assert_eq!(admission.waiting(), 1);
        assert!(!waiter.is_finished());

        // The same source may not take a second place: deferred at once, with the 5 s.
        let busy = admission.admit("b").await.unwrap_err();
        assert_eq!((busy.code, busy.status), ("inbound_busy", 503));
        assert!(busy.message.contains("5 s"), "{}", busy.message);

        // Three more sources fill the room; the next is deferred at once.
        let mut others = Vec::new();
        for source in ["c", "d", "e"] {
            let admission = admission.clone();
            others.push(tokio::spawn(async move {
                admission.admit(source).await.map(|_permit| ())
            }));
        }
        settle().await;
        assert_eq!(admission.waiting(), 4);
        let full = admission.admit("f").await.unwrap_err();
        assert_eq!(full.code, "inbound_busy");

        // A sender that hangs up gives its place back.
        others.pop().unwrap().abort();
        settle().await;
        assert_eq!(admission.waiting(), 3);

        // The slot, once free, goes to the first to have waited; then to the next ones.
        drop(first);
        waiter.await.unwrap().unwrap();
        for other in others {
            other.await.unwrap().unwrap();
        }
        assert_eq!(admission.waiting(), 0);

        // Zero would refuse everything: the bound is at least one.
        assert_eq!(Admission::new(0, 0).max(), 1);
        assert_eq!(Admission::default().max(), DEFAULT_MAX_OPENING);
        assert_eq!(
            Admission::default().max_waiting(),
            (DEFAULT_MAX_WAITING, DEFAULT_MAX_WAITING / 4)
        );
    }

    #[tokio::test]
    async fn a_verified_message_gives_its_opening_slot_back_while_it_is_stored() {
        let admission = Admission::new(1, 0).storing_at_once(STORING_PER_OPENING);
        let mut stored = Vec::new();
        for _ in 0..STORING_PER_OPENING {
            let opening = admission.admit("peer").await.unwrap();
            stored.push(admission.to_storing(opening).await.unwrap());
        }
        // Every storing place is taken: the next verified message keeps its opening slot
        // while it waits for one, so nothing more is opened meanwhile.
        let opening = admission.admit("peer").await.unwrap();
        let waiting = {
            let admission = admission.clone();
            tokio::spawn(async move { admission.to_storing(opening).await.map(|_place| ()) })
        };
        settle().await;
        assert!(!waiting.is_finished());
        assert_eq!(
            admission.admit("other").await.unwrap_err().code,
            "inbound_busy"
        );
        // A message stored frees its place; the waiting one takes it and frees the slot.
        stored.pop();
        waiting.await.unwrap().unwrap();
        drop(admission.admit("other").await.unwrap());
    }

    #[tokio::test]
    async fn a_wait_that_runs_out_is_deferred_and_without_a_room_nothing_waits() {
        let admission = Admission::new(1, 4).with_wait(Duration::from_millis(50));
        let _held = admission.admit("a").await.unwrap();
        let late = admission.admit("b").await.unwrap_err();
        assert_eq!((late.code, late.status), ("inbound_busy", 503));
        assert_eq!(admission.waiting(), 0);

        // No waiting room: the excess is deferred at once, as before the room existed.
        let strict = Admission::new(1, 0).with_wait(Duration::from_secs(30));
        let _held = strict.admit("a").await.unwrap();
        assert_eq!(strict.admit("b").await.unwrap_err().code, "inbound_busy");
    }
}

//! The outbox's workers: one per peer Party, each claiming that peer's due outbox entries,
//! handing the exact sealed bytes to the [`Transport`] of the channel the directory lists for
//! the recipient, and recording the outcome — the verified signed receipt with its case event,
//! in one unit of work. All state is in the store, so a restart — or a `kill -9` — loses
//! nothing: claimed entries whose worker died are claimed again when their lease expires, and
//! the receiver's de-duplication makes the second copy a no-op that returns the original
//! receipt.
//!
//! Failures are retried with capped exponential backoff and jitter; a permanent refusal (the
//! message itself is refused) or a message older than the give-up time becomes undeliverable.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cp247_directory::{DirectoryState, TrafficRefusal};
use cp247_domain::PartyCode;
use cp247_store::{Claim, DeliveryState, StoreError, WorkerId};
use cp247_transport::{ChannelKind, Evidence, Outgoing, SendFailure, Transport};
use jiff::{SignedDuration, Timestamp};
use rand::Rng;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::CaseWork;

/// How the workers behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxSettings {
    /// How long a claim is held.
    pub lease: Duration,
    /// The first retry delay.
    pub first_retry: Duration,
    /// The longest retry delay.
    pub max_backoff: Duration,
    /// After this long without a receipt, a message is undeliverable.
    pub give_up_after: SignedDuration,
    /// How often an idle worker looks for due entries.
    pub poll_every: Duration,
    /// Messages in flight to one peer.
    pub concurrency_per_peer: usize,
    /// Entries claimed at once.
    pub batch: u32,
}

/// The delay before retry number `attempt` (1 after the first failure): `first · 2^(n-1)`,
/// capped at `max`, then scaled by a random factor in [0.5, 1] so that many messages failing
/// together do not come back together.
pub fn backoff(attempt: u32, first: Duration, max: Duration, rng: &mut impl Rng) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let raw = first.saturating_mul(1u32 << exp).min(max);
    raw.mul_f64(rng.random_range(0.5..=1.0))
}

/// The outbox of one node (or of one process sharing a PostgreSQL database with others: each
/// process names its workers differently).
#[derive(Debug)]
pub struct Outbox {
    work: Arc<CaseWork>,
    transports: HashMap<ChannelKind, Arc<dyn Transport>>,
    settings: OutboxSettings,
    worker_prefix: String,
}

impl Outbox {
    /// The outbox of `work`, sending through `transports` (one per channel; a message to a
    /// channel without a transport waits, retried, until its give-up time). `worker_prefix`
    /// names this process in leases (e.g. `FR/primary#pid`).
    pub fn new(
        work: Arc<CaseWork>,
        transports: Vec<Arc<dyn Transport>>,
        settings: OutboxSettings,
        worker_prefix: String,
    ) -> Self {
        Self {
            work,
            transports: transports.into_iter().map(|t| (t.carries(), t)).collect(),
            settings,
            worker_prefix,
        }
    }

    /// Runs the workers until `shutdown`: one per Party in the directory, started and stopped
    /// as the directory changes, restarted if one ends unexpectedly; plus the sweeper that
    /// gives up on messages older than the give-up time and counts the queue for metrics.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let mut directory_changes = self.work.directory.subscribe();
        let mut workers: HashMap<PartyCode, CancellationToken> = HashMap::new();
        let mut tasks: JoinSet<PartyCode> = JoinSet::new();
        let mut sweep = tokio::time::interval(Duration::from_secs(15));
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let wanted = self.peers();
            workers.retain(|party, token| {
                let keep = wanted.contains(party);
                if !keep {
                    token.cancel();
                }
                keep
            });
            for party in wanted {
                if let std::collections::hash_map::Entry::Vacant(slot) = workers.entry(party) {
                    let token = shutdown.child_token();
                    slot.insert(token.clone());
                    let this = self.clone();
                    tasks.spawn(async move {
                        this.worker(party, token).await;
                        party
                    });
                }
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                changed = directory_changes.changed() => {
                    if changed.is_err() {
                        break;
                    }
                }
                _ = sweep.tick() => self.sweep().await,
                Some(ended) = tasks.join_next() => {
                    // A worker ends only when told to; otherwise it is restarted on the next
                    // pass of the loop.
                    if let Ok(party) = ended {
                        if workers.get(&party).is_some_and(|t| !t.is_cancelled()) {
                            tracing::error!(peer = %party, "a delivery worker stopped; restarting it");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                        }
                        workers.remove(&party);
                    }
                }
            }
        }
        for token in workers.values() {
            token.cancel();
        }
        while tasks.join_next().await.is_some() {}
    }

    fn peers(&self) -> Vec<PartyCode> {
        self.work
            .directory
            .snapshot()
            .current()
            .map(|d| d.directory().parties().iter().map(|p| p.party).collect())
            .unwrap_or_default()
    }

    async fn sweep(&self) {
        let now = self.work.clock.now();
        let before = now
            .checked_sub(self.settings.give_up_after)
            .unwrap_or(Timestamp::MIN);
        match self.work.store.expire_undeliverable(before, now).await {
            Ok(expired) => {
                for id in &expired {
                    tracing::warn!(message_id = %id, "message not delivered in time: undeliverable");
                }
            }
            Err(e) => tracing::error!(error = %e, "expiring old outbox entries failed"),
        }
        for state in [
            DeliveryState::Queued,
            DeliveryState::InFlight,
            DeliveryState::Retrying,
            DeliveryState::Undeliverable,
        ] {
            match self.work.store.count_deliveries(state).await {
                Ok(n) => self.work.metrics.set_queue(state.as_str(), n),
                Err(e) => tracing::debug!(error = %e, "counting the outbox failed"),
            }
        }
    }

    /// Delivers, one after the other, every message due now (whatever its peer), as the
    /// workers would: for tools and tests that drive a node step by step on a manual clock.
    /// Returns how many were attempted.
    pub async fn deliver_due(&self) -> Result<usize, StoreError> {
        let Ok(worker) = WorkerId::new(format!("{}/all", self.worker_prefix)) else {
            return Ok(0);
        };
        let now = self.work.clock.now();
        let claims = self
            .work
            .store
            .claim_due(None, &worker, now, self.settings.lease, self.settings.batch)
            .await?;
        let n = claims.len();
        for claim in claims {
            self.deliver(claim).await;
        }
        Ok(n)
    }

    /// One peer's worker.
    async fn worker(self: Arc<Self>, party: PartyCode, stop: CancellationToken) {
        let Ok(worker) = WorkerId::new(format!("{}/{party}", self.worker_prefix)) else {
            tracing::error!(peer = %party, "invalid worker name");
            return;
        };
        let wake = self.work.waker(party);
        tracing::debug!(peer = %party, "delivery worker started");
        loop {
            if stop.is_cancelled() {
                break;
            }
            let now = self.work.clock.now();
            let claims = match self
                .work
                .store
                .claim_due(
                    Some(party),
                    &worker,
                    now,
                    self.settings.lease,
                    self.settings.batch,
                )
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    tracing::error!(peer = %party, error = %e, "claiming due messages failed");
                    Vec::new()
                }
            };
            if claims.is_empty() {
                tokio::select! {
                    () = stop.cancelled() => break,
                    () = wake.notified() => {}
                    () = tokio::time::sleep(self.settings.poll_every) => {}
                }
                continue;
            }
            let mut in_flight = JoinSet::new();
            for claim in claims {
                while in_flight.len() >= self.settings.concurrency_per_peer.max(1) {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        _ = in_flight.join_next() => {}
                    }
                }
                let this = self.clone();
                in_flight.spawn(async move { this.deliver(claim).await });
            }
            loop {
                tokio::select! {
                    () = stop.cancelled() => return,
                    next = in_flight.join_next() => if next.is_none() { break },
                }
            }
        }
        tracing::debug!(peer = %party, "delivery worker stopped");
    }

    /// One attempt at one claimed message, and its outcome recorded.
    async fn deliver(&self, claim: Claim) {
        let started = std::time::Instant::now();
        let snapshot = self.work.directory.snapshot();
        let peer = claim.peer.party;
        let work = &self.work;
        match self.attempt(&snapshot, &claim).await {
            Ok(Evidence::SignedReceipt(receipt)) => {
                let now = work.clock.now();
                match self.store_receipt(&claim, &receipt, now).await {
                    Ok(()) => {
                        work.metrics
                            .delivered(peer, started.elapsed().as_secs_f64());
                        tracing::info!(message_id = %claim.message_id, peer = %claim.peer, attempt = claim.attempt, "delivered");
                        if let Err(e) = work.store.record_peer_contact(peer, now, None).await {
                            tracing::debug!(error = %e, "recording a peer contact failed");
                        }
                    }
                    Err(e) => {
                        // The lease will expire and the message be sent again; the peer
                        // returns the same receipt.
                        tracing::error!(message_id = %claim.message_id, error = %e, "storing a receipt failed");
                    }
                }
            }
            Err(SendFailure::Permanent { code, reason }) => {
                work.metrics.delivery_failed(peer, &code);
                work.metrics.undeliverable(peer);
                let now = work.clock.now();
                tracing::warn!(message_id = %claim.message_id, peer = %claim.peer, code = %code, "refused for good: undeliverable");
                let _ = work.store.record_peer_error(peer, now, &reason).await;
                if let Err(e) = work
                    .store
                    .mark_undeliverable(&claim.message_id, &reason, now)
                    .await
                {
                    tracing::error!(message_id = %claim.message_id, error = %e, "marking a message undeliverable failed");
                }
            }
            Err(SendFailure::Transient { code, reason }) => {
                work.metrics.delivery_failed(peer, &code);
                let now = work.clock.now();
                let _ = work.store.record_peer_error(peer, now, &reason).await;
                let age = now.duration_since(claim.first_queued_at);
                if age >= self.settings.give_up_after {
                    work.metrics.undeliverable(peer);
                    let why = format!(
                        "not delivered within {} hours of being queued; last error: {reason}",
                        self.settings.give_up_after.as_hours()
                    );
                    tracing::warn!(message_id = %claim.message_id, peer = %claim.peer, "given up: undeliverable");
                    if let Err(e) = work
                        .store
                        .mark_undeliverable(&claim.message_id, &why, now)
                        .await
                    {
                        tracing::error!(message_id = %claim.message_id, error = %e, "marking a message undeliverable failed");
                    }
                    return;
                }
                let delay = backoff(
                    claim.attempt,
                    self.settings.first_retry,
                    self.settings.max_backoff,
                    &mut rand::rng(),
                );
                let next = now
                    .checked_add(SignedDuration::try_from(delay).unwrap_or(SignedDuration::MAX))
                    .unwrap_or(now);
                tracing::info!(message_id = %claim.message_id, peer = %claim.peer, attempt = claim.attempt, code = %code, retry_in_ms = delay.as_millis() as u64, "delivery failed; will retry");
                if let Err(e) = work.store.mark_retry(&claim, next, &reason).await {
                    tracing::debug!(message_id = %claim.message_id, error = %e, "scheduling a retry failed (lease lost?)");
                }
            }
        }
    }

    /// Stores the verified `receipt` of `claim` and, when the message is its case's request,
    /// the case's system receipt — in one transaction, so that a crash never leaves a
    /// delivered request whose case still waits for its receipt (and may escalate wrongly). A
    /// conflict with another writer of the case (an acknowledgement arriving at that moment)
    /// is retried at once, a few times; after that the lease expires and the message is sent
    /// again, and the peer returns the same receipt.
    async fn store_receipt(
        &self,
        claim: &Claim,
        receipt: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tries = 0;
        loop {
            tries += 1;
            match self.store_receipt_once(claim, receipt, now).await {
                Err(e) if e.is_conflict() && tries < 3 => continue,
                other => return other,
            }
        }
    }

    async fn store_receipt_once(
        &self,
        claim: &Claim,
        receipt: &[u8],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let mut tx = self.work.store.begin().await?;
        tx.mark_delivered(&claim.message_id, receipt, now).await?;
        crate::apply::record_receipt_in(&mut tx, &claim.ticket, &claim.message_id, now).await?;
        tx.commit().await
    }

    /// Hands `claim` to the transport of its recipient's channel.
    async fn attempt(
        &self,
        snapshot: &DirectoryState,
        claim: &Claim,
    ) -> Result<Evidence, SendFailure> {
        let now = self.work.clock.now();
        let transient = |code: &str, reason: String| SendFailure::Transient {
            code: code.to_owned(),
            reason,
        };
        let traffic = snapshot
            .traffic(now)
            .map_err(|e| transient("directory_unusable", e.to_string()))?;
        let cp = traffic.contact_point(&claim.peer).map_err(|e| match e {
            TrafficRefusal::PartyRevoked { .. } | TrafficRefusal::ContactPointRevoked { .. } => {
                SendFailure::Permanent {
                    code: e.code().to_owned(),
                    reason: e.to_string(),
                }
            }
            other => transient(other.code(), other.to_string()),
        })?;
        let kind = ChannelKind::of(&cp.channel);
        let Some(transport) = self.transports.get(&kind) else {
            return Err(transient(
                "no_transport",
                format!(
                    "{} is reached by {}, which this node does not send",
                    claim.peer,
                    match kind {
                        ChannelKind::Node => "a cp247 node",
                        ChannelKind::Email => "OpenPGP e-mail",
                    }
                ),
            ));
        };
        transport
            .send(
                &cp.channel,
                snapshot,
                Outgoing {
                    message_id: &claim.message_id,
                    ticket: &claim.ticket,
                    recipient: &claim.peer,
                    sealed: &claim.sealed,
                },
            )
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn backoff_doubles_is_capped_and_jittered() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let first = Duration::from_secs(5);
        let max = Duration::from_secs(1800);
        for attempt in 1..=40u32 {
            let raw = first
                .saturating_mul(1u32 << attempt.saturating_sub(1).min(30))
                .min(max);
            for _ in 0..50 {
                let d = backoff(attempt, first, max, &mut rng);
                assert!(
                    d <= raw && d >= raw / 2,
                    "attempt {attempt}: {d:?} vs {raw:?}"
                );
            }
        }
        assert!(backoff(1, first, max, &mut rng) <= first);
        assert!(backoff(100, first, max, &mut rng) >= max / 2);
    }
}

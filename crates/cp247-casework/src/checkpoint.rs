//! Signed checkpoints of the audit chain.
//!
//! Periodically (the `[audit] checkpoint_every` interval, read on the node's injected clock)
//! the node appends a `checkpoint` entry to its audit chain, signs that entry's sequence number
//! and hash ([`cp247_store::checkpoint_signing_text`]) with its signing key as an OpenPGP
//! detached signature (verifiable with `gpg --verify`), and stores the signature — all in one
//! unit of work. A checkpoint is made only when the chain has grown since the last one, so an
//! idle node does not add entries. `cp247 audit verify` checks every stored signature against
//! the node's certificate and walks the chain against them: an entry removed after a
//! checkpoint shows as a truncation.

use std::sync::Arc;
use std::time::Duration;

use cp247_domain::Clock;
use cp247_seal::NodeKey;
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, Checkpoint, Page, Store, StoreError,
    checkpoint_signing_text,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// Why a checkpoint could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    /// The database failed.
    #[error("cannot record an audit checkpoint: {0}")]
    Store(#[from] StoreError),
    /// The key could not sign.
    #[error("cannot sign an audit checkpoint: {0}")]
    Sign(#[from] cp247_seal::SealError),
}

/// Signs a checkpoint now when the chain has grown since the last checkpoint and the last one
/// is at least `every` old (or there is none). Returns the new checkpoint, if one was made.
pub async fn checkpoint_if_due(
    store: &Store,
    key: &NodeKey,
    now: Timestamp,
    every: SignedDuration,
) -> Result<Option<Checkpoint>, CheckpointError> {
    let head = store.audit_head().await?;
    let last = store
        .checkpoints(Page::first(1))
        .await?
        .items
        .into_iter()
        .next();
    if head.seq == 0 {
        return Ok(None);
    }
    if let Some(last) = &last
        && (last.seq >= head.seq || now.duration_since(last.signed_at) < every)
    {
        return Ok(None);
    }
    let mut tx = store.begin().await?;
    let entry = tx
        .append_audit(&AuditRecord {
            actor: Actor::node(),
            action: AuditAction::Checkpoint,
            ticket: None,
            result: AuditResult::Ok,
            details: json!({
                "previous_checkpoint": last.as_ref().map(|c| c.seq),
                "signer": key.fingerprint().to_string(),
            }),
            at: now,
        })
        .await?;
    let text = checkpoint_signing_text(entry.seq, &entry.hash);
    let signature = cp247_seal::sign_detached(key, text.as_bytes(), now)?;
    let checkpoint = Checkpoint {
        seq: entry.seq,
        head_hash: entry.hash,
        signature,
        signed_at: entry.at,
    };
    tx.record_checkpoint(&checkpoint).await?;
    tx.commit().await?;
    Ok(Some(checkpoint))
}

/// How often the task looks at the clock: a tenth of the interval, between 100 ms and 1 min.
fn poll_interval(every: Duration) -> Duration {
    (every / 10).clamp(Duration::from_millis(100), Duration::from_secs(60))
}

/// The checkpoint task: checks at start and then every poll interval until `stop`.
pub async fn run(
    store: Store,
    key: Arc<NodeKey>,
    clock: Arc<dyn Clock>,
    every: Duration,
    stop: CancellationToken,
) {
    let signed_every = SignedDuration::try_from(every).unwrap_or(SignedDuration::MAX);
    let poll = poll_interval(every);
    loop {
        match checkpoint_if_due(&store, &key, clock.now(), signed_every).await {
            Ok(Some(c)) => {
                tracing::info!(seq = c.seq, hash = %c.head_hash, "signed an audit checkpoint")
            }
            Ok(None) => {}
            // Another process of the same node (PostgreSQL) may have signed the same entry.
            Err(CheckpointError::Store(e)) if e.is_conflict() => {
                tracing::debug!(error = %e, "audit checkpoint made by another process");
            }
            Err(e) => tracing::error!(error = %e, "audit checkpoint failed; retrying later"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(poll) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_domain::ManualClock;
    use cp247_seal::Cert;

    async fn store_in(dir: &std::path::Path) -> Store {
        let url = format!("sqlite://{}", dir.join("audit.db").display());
        Store::connect(&url, cp247_store::StoreOptions::default())
            .await
            .unwrap()
    }

    async fn append(store: &Store, at: Timestamp) {
        store
            .append_audit(&AuditRecord {
                actor: Actor::node(),
                action: AuditAction::View,
                ticket: None,
                result: AuditResult::Ok,
                details: json!({}),
                at,
            })
            .await
            .unwrap();
    }

    fn verifies(cert: &Cert, c: &Checkpoint) {
        let text = checkpoint_signing_text(c.seq, &c.head_hash);
        cp247_seal::verify_detached(cert, text.as_bytes(), &c.signature, c.signed_at).unwrap();
    }

    #[tokio::test]
    async fn checkpoints_are_signed_when_due_and_only_when_the_chain_grew() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_in(tmp.path()).await;
        let t0: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        let key = NodeKey::generate("FR test node", t0, None).unwrap();
        let hour = SignedDuration::from_hours(1);
        // An empty chain: nothing to sign.
        assert!(
            checkpoint_if_due(&store, &key, t0, hour)
                .await
                .unwrap()
                .is_none()
        );
        append(&store, t0).await;
        let first = checkpoint_if_due(&store, &key, t0, hour)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(first.seq, 2, "the checkpoint entry follows the one entry");
        assert_eq!(store.audit_head().await.unwrap().seq, 2);
        verifies(&key.cert(), &first);
        // Not due yet, even though the chain grew; then due.
        append(&store, t0 + SignedDuration::from_mins(10)).await;
        let soon = t0 + SignedDuration::from_mins(59);
        assert!(
            checkpoint_if_due(&store, &key, soon, hour)
                .await
                .unwrap()
                .is_none()
        );
        let later = t0 + hour;
        let second = checkpoint_if_due(&store, &key, later, hour)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(second.seq, 4);
        verifies(&key.cert(), &second);
        // Idle: due by time, but nothing new since the last checkpoint.
        let idle = later + SignedDuration::from_hours(5);
        assert!(
            checkpoint_if_due(&store, &key, idle, hour)
                .await
                .unwrap()
                .is_none()
        );
        assert!(store.verify_chain(&[]).await.unwrap().is_intact());
        store.close().await;
    }

    #[tokio::test]
    async fn the_task_follows_the_injected_clock() {
        let tmp = tempfile::tempdir().unwrap();
        let store = store_in(tmp.path()).await;
        let t0: Timestamp = "2026-11-29T10:00:00Z".parse().unwrap();
        let key = Arc::new(NodeKey::generate("FR test node", t0, None).unwrap());
        let clock = ManualClock::new(t0);
        append(&store, t0).await;
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(
            store.clone(),
            key,
            Arc::new(clock.clone()),
            Duration::from_secs(1),
            stop.clone(),
        ));
        let newest = |store: Store| async move {
            store
                .checkpoints(Page::first(1))
                .await
                .unwrap()
                .items
                .first()
                .map(|c| c.seq)
        };
        let mut seen = None;
        for _ in 0..100 {
            seen = newest(store.clone()).await;
            if seen.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(seen, Some(2), "signed at start");
        append(&store, t0).await;
        // The node's clock does not move: no new checkpoint, however long the task runs.
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(newest(store.clone()).await, Some(2));
        clock.advance(SignedDuration::from_secs(1));
        for _ in 0..100 {
            seen = newest(store.clone()).await;
            if seen == Some(4) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(seen, Some(4), "signed once the clock moved by the interval");
        stop.cancel();
        task.await.unwrap();
        store.close().await;
    }

    #[test]
    fn the_poll_interval_follows_the_checkpoint_interval_within_bounds() {
        assert_eq!(
            poll_interval(Duration::from_secs(1)),
            Duration::from_millis(100)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(60)),
            Duration::from_secs(6)
        );
        assert_eq!(
            poll_interval(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
    }
}

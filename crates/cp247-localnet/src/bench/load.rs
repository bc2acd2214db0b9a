//! The two load patterns both paths are driven with: a saturating burst (N messages, at most C
//! in flight) and a fixed offered load (R messages per second for a given count, open loop:
//! the schedule does not wait for earlier messages, at most C in flight).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use cp247_domain::{Clock, SystemClock};
use jiff::Timestamp;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

/// One submitted message: its key (a message id, a sequence number) and the wall-clock
/// instant its submission began.
#[derive(Debug, Clone)]
pub struct Submitted {
    /// What identifies it when it arrives.
    pub key: String,
    /// When the submission began (before any sealing or signing).
    pub at: Timestamp,
}

/// The wall clock (the nodes stamp their records with it too).
pub fn wall() -> Timestamp {
    SystemClock.now()
}

/// Submits `n` messages, at most `concurrency` at a time, as fast as they are taken.
pub async fn burst<F, Fut>(
    n: usize,
    concurrency: usize,
    submit: F,
) -> anyhow::Result<Vec<Submitted>>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<Submitted>> + Send + 'static,
{
    let mut set = JoinSet::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        while set.len() >= concurrency.max(1) {
            if let Some(done) = set.join_next().await {
                out.push(done.context("a submission task failed")??);
            }
        }
        let submit = submit.clone();
        set.spawn(async move { submit(i).await });
    }
    while let Some(done) = set.join_next().await {
        out.push(done.context("a submission task failed")??);
    }
    Ok(out)
}

/// Submits `n` messages at `rate` per second on a fixed schedule, at most `concurrency` in
/// flight (a submission waits for a slot, so an overloaded system shows as latency).
pub async fn fixed_rate<F, Fut>(
    n: usize,
    rate: f64,
    concurrency: usize,
    submit: F,
) -> anyhow::Result<Vec<Submitted>>
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<Submitted>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.001)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut set = JoinSet::new();
    for i in 0..n {
        ticks.tick().await;
        // Latency counts from the scheduled instant, including any wait for a slot.
        let scheduled = wall();
        let submit = submit.clone();
        let slots = slots.clone();
        set.spawn(async move {
            let _slot = slots.acquire_owned().await.context("the slots closed")?;
            let mut done = submit(i).await?;
            done.at = scheduled;
            anyhow::Ok(done)
        });
    }
    let mut out = Vec::with_capacity(n);
    while let Some(done) = set.join_next().await {
        out.push(done.context("a submission task failed")??);
    }
    Ok(out)
}

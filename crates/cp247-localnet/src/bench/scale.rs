//! Scale: K nodes as processes, each sending M requests to random peers, while a tenth of
//! the nodes are killed with SIGKILL during the traffic and restarted. Every message must be
//! stored exactly once by its recipient; reports the time to drain after the last restart
//! and the idle resident memory per node.
//!
//! A node is not killed while the bench is inside one of its API calls (the bench holds a
//! per-node gate): an API call cut by the kill leaves the client not knowing whether the
//! request was queued, which is the client's ambiguity, not the network's. Deliveries between
//! nodes are cut at any point.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::{LocalNode, NetworkSettings, NodePlan, ServeProcess};
use anyhow::{Context, bail};
use cp247_server::config::{DeliverySection, PeersSection, Period};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::Serialize;
use tokio::sync::{Mutex, RwLock};
use tokio::task::JoinSet;

use super::api::{Api, http_client, request_body};
use super::load::wall;
use super::stats;
use super::twonode::ExactlyOnce;

/// What the scale run is asked to do.
#[derive(Debug, Clone)]
pub struct ScalePlan {
    /// K.
    pub nodes: usize,
    /// M.
    pub per_node: usize,
    /// Percentage of nodes killed and restarted.
    pub kill_percent: usize,
    /// API calls in flight at once.
    pub concurrency: usize,
    /// The whole run's bound.
    pub bound: Duration,
}

/// The outcome.
#[derive(Debug, Clone, Serialize)]
pub struct ScaleRun {
    /// K.
    pub nodes: usize,
    /// M.
    pub per_node: usize,
    /// Nodes killed with SIGKILL during traffic and restarted.
    pub killed: usize,
    /// The exactly-once check over all K·M messages.
    pub exactly_once: ExactlyOnce,
    /// Seconds to provision K node directories (keys, databases, tokens, directory).
    pub provision_seconds: f64,
    /// Seconds until all K nodes answered `/readyz`.
    pub startup_seconds: f64,
    /// Seconds from the last restart until every message had a verified receipt.
    pub drain_seconds: f64,
    /// Idle resident memory per node, MiB.
    pub idle_rss_mib: RssSummary,
    /// Seconds for the whole run.
    pub total_seconds: f64,
}

/// Mean, minimum and maximum of a per-node figure.
#[derive(Debug, Clone, Serialize)]
pub struct RssSummary {
    /// Mean.
    pub mean: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Sum over all nodes.
    pub total: f64,
}

struct Slot {
    node: LocalNode,
    api: Api,
    process: Mutex<Option<ServeProcess>>,
    /// Held for reading by API calls, for writing while the node is down.
    gate: RwLock<()>,
}

/// Runs the scale scenario within `plan.bound`; every node is stopped (or killed) at the end.
pub async fn run(exe: &Path, root: &Path, plan: &ScalePlan) -> anyhow::Result<ScaleRun> {
    let started = Instant::now();
    let slots: Arc<Mutex<Vec<Arc<Slot>>>> = Arc::new(Mutex::new(Vec::new()));
    let outcome = tokio::time::timeout(
        plan.bound,
        scenario(exe, root, plan, slots.clone(), started),
    )
    .await;
    // Stop every node, whatever happened: closing standard input, then SIGKILL after 30 s.
    let slots = slots.lock().await.clone();
    let mut stops = JoinSet::new();
    for slot in slots {
        stops.spawn(async move {
            let mut guard = slot.process.lock().await;
            if let Some(p) = guard.as_mut() {
                let _ = p.stop(Duration::from_secs(30)).await;
            }
            guard.take();
        });
    }
    while stops.join_next().await.is_some() {}
    match outcome {
        Ok(result) => result,
        Err(_) => bail!(
            "the scale run did not finish within {} s; every node was stopped",
            plan.bound.as_secs()
        ),
    }
}

async fn scenario(
    exe: &Path,
    root: &Path,
    plan: &ScalePlan,
    registry: Arc<Mutex<Vec<Arc<Slot>>>>,
    started: Instant,
) -> anyhow::Result<ScaleRun> {
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let codes = crate::party_codes(plan.nodes)?;
    let plans: Vec<NodePlan> = codes
        .iter()
        .map(|code| NodePlan {
            party: *code,
            party_name: format!("Party {code}"),
            unit_name: format!("{code} bench unit"),
            time_zone: "Europe/Paris".to_owned(),
            duty_phone: "+33140000000".to_owned(),
            database_url: None,
        })
        .collect();
    let settings = NetworkSettings {
        authority_name: "cp247 bench directory authority".to_owned(),
        delivery: DeliverySection {
            lease: Period::secs(6),
            first_retry: Period::millis(500),
            max_backoff: Period::secs(2),
            // One worker per peer polls its outbox, each poll a write transaction: K·(K−1)
            // pollers on the machine. At 2 s (the default) 100 nodes spend 2 cores on polling
            // alone; new messages wake their worker at once, so only retries wait for a poll.
            poll_every: Period::secs(20),
            concurrency_per_peer: 4,
            batch: 16,
            ..DeliverySection::default()
        },
        peers: Some(PeersSection {
            connect_timeout: Period::secs(1),
            read_timeout: Period::secs(4),
            total_timeout: Period::secs(4),
        }),
        refresh_every: Period::secs(600),
        directory_validity: jiff::SignedDuration::from_hours(24),
    };
    let provisioned = crate::provision(root, &plans, &settings, wall()).await?;
    let provision_seconds = started.elapsed().as_secs_f64();

    let http = http_client()?;
    let env = Arc::new(vec![("RUST_LOG".to_owned(), "warn".to_owned())]);
    let exe = Arc::new(exe.to_path_buf());
    {
        let mut registry = registry.lock().await;
        for node in provisioned {
            registry.push(Arc::new(Slot {
                api: Api::of(&node, &http),
                node,
                process: Mutex::new(None),
                gate: RwLock::new(()),
            }));
        }
    }
    let slots = registry.lock().await.clone();

    // Start every node at once; each unlocks its key and opens its database.
    let starting = Instant::now();
    let mut set = JoinSet::new();
    for slot in &slots {
        let (slot, exe, env) = (slot.clone(), exe.clone(), env.clone());
        set.spawn(async move { start(&slot, &exe, &env).await });
    }
    while let Some(done) = set.join_next().await {
        done.context("a start task failed")??;
    }
    let startup_seconds = starting.elapsed().as_secs_f64();

    // The traffic: M requests from every node to random other nodes, in random order.
    let mut traffic: Vec<(usize, usize)> = Vec::with_capacity(plan.nodes * plan.per_node);
    {
        let mut rng = rand::rng();
        for from in 0..slots.len() {
            for _ in 0..plan.per_node {
                let mut to = rng.random_range(0..slots.len() - 1);
                if to >= from {
                    to += 1;
                }
                traffic.push((from, to));
            }
        }
        traffic.shuffle(&mut rng);
    }
    let victims: Vec<usize> = {
        let k = (slots.len() * plan.kill_percent)
            .div_ceil(100)
            .min(slots.len());
        let mut all: Vec<usize> = (0..slots.len()).collect();
        all.shuffle(&mut rand::rng());
        all.truncate(k);
        all
    };
    let kill_after = traffic.len() / 3;
    let submitted = Arc::new(AtomicUsize::new(0));
    let sent: Arc<std::sync::Mutex<HashMap<String, String>>> = Arc::default();

    let senders = {
        let slots = slots.clone();
        let submitted = submitted.clone();
        let sent = sent.clone();
        let concurrency = plan.concurrency;
        tokio::spawn(async move {
            let mut set = JoinSet::new();
            for (from, to) in traffic {
                while set.len() >= concurrency.max(1) {
                    if let Some(done) = set.join_next().await {
                        done.context("a submission task failed")??;
                    }
                }
                let (Some(from), Some(to)) = (slots.get(from).cloned(), slots.get(to).cloned())
                else {
                    bail!("a traffic entry names no node");
                };
                let (submitted, sent) = (submitted.clone(), sent.clone());
                set.spawn(async move {
                    let body = request_body(&to.node.code, None)?;
                    let _open = from.gate.read().await;
                    let s = from.api.submit(body).await?;
                    sent.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(s.key, to.node.code.clone());
                    submitted.fetch_add(1, Ordering::Relaxed);
                    anyhow::Ok(())
                });
            }
            while let Some(done) = set.join_next().await {
                done.context("a submission task failed")??;
            }
            anyhow::Ok(())
        })
    };

    // Kill the victims once a third of the traffic is in, then restart them.
    while submitted.load(Ordering::Relaxed) < kill_after && !senders.is_finished() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut gates = Vec::new();
    for v in &victims {
        let Some(slot) = slots.get(*v) else { continue };
        gates.push(slot.gate.write().await);
        if let Some(p) = slot.process.lock().await.as_mut() {
            p.kill().await;
        }
        slot.process.lock().await.take();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut set = JoinSet::new();
    for v in &victims {
        let Some(slot) = slots.get(*v).cloned() else {
            continue;
        };
        let (exe, env) = (exe.clone(), env.clone());
        set.spawn(async move { start(&slot, &exe, &env).await });
    }
    while let Some(done) = set.join_next().await {
        done.context("a restart task failed")??;
    }
    let last_restart = Instant::now();
    drop(gates);

    senders.await.context("the traffic task failed")??;
    for slot in &slots {
        slot.api
            .wait_drained(plan.bound.saturating_sub(started.elapsed()))
            .await?;
    }
    let drain_seconds = last_restart.elapsed().as_secs_f64();

    let sent = sent.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut received = Vec::new();
    for slot in &slots {
        received.push((slot.node.code.clone(), slot.api.received().await?));
    }
    let exactly_once = ExactlyOnce::check(&sent, &received);

    // Idle: let the workers settle, then read each node's resident memory.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut rss = Vec::new();
    for slot in &slots {
        if let Some(pid) = slot
            .process
            .lock()
            .await
            .as_ref()
            .and_then(ServeProcess::pid)
            && let Some(mib) = stats::rss_mib(pid)
        {
            rss.push(mib);
        }
    }
    let total: f64 = rss.iter().sum();
    let idle_rss_mib = RssSummary {
        mean: total / rss.len().max(1) as f64,
        min: rss.iter().copied().fold(f64::INFINITY, f64::min),
        max: rss.iter().copied().fold(0.0, f64::max),
        total,
    };
    Ok(ScaleRun {
        nodes: slots.len(),
        per_node: plan.per_node,
        killed: victims.len(),
        exactly_once,
        provision_seconds,
        startup_seconds,
        drain_seconds,
        idle_rss_mib,
        total_seconds: started.elapsed().as_secs_f64(),
    })
}

async fn start(slot: &Slot, exe: &Path, env: &[(String, String)]) -> anyhow::Result<()> {
    let process = slot.node.spawn(exe, env).await?;
    *slot.process.lock().await = Some(process);
    slot.api.wait_ready(Duration::from_secs(120)).await
}

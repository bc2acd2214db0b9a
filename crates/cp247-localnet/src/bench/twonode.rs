//! The cp247 path: two nodes (FR sends, MD receives) as `cp247 serve` processes on
//! 127.0.0.1, requests submitted through FR's API, latency from the submission to the verified
//! receipt stored at FR.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::{NetworkSettings, NodePlan, ServeProcess};
use anyhow::{Context, bail};
use cp247_domain::PartyCode;
use cp247_server::config::{DeliverySection, PeersSection, Period};
use serde::Serialize;

use super::api::{Api, Delivered, http_client, request_body};
use super::load::{self, Submitted, wall};
use super::stats::{self, Latency};
use super::{Plan, Saturation};

/// One run of the cp247 path on one database backend.
#[derive(Debug, Clone, Serialize)]
pub struct Cp247Run {
    /// `sqlite` or `postgresql`.
    pub backend: String,
    /// The saturating burst.
    pub saturation: Saturation,
    /// Latency at the fixed offered load, submission → verified receipt stored at the sender.
    pub latency_ms: Latency,
    /// The same messages, from the sender's queueing (inside the API call) to the receipt.
    pub queued_to_receipt_ms: Latency,
    /// The offered load, requests per second.
    pub offered_per_s: f64,
    /// CPU seconds of both node processes per delivery during the burst.
    pub cpu_seconds_per_delivery: f64,
    /// Peak resident memory of each node, MiB.
    pub peak_rss_mib: BTreeMap<String, f64>,
    /// Every message received exactly once.
    pub exactly_once: ExactlyOnce,
}

/// The result of checking that every sent message was stored exactly once by its recipient.
#[derive(Debug, Clone, Serialize)]
pub struct ExactlyOnce {
    /// Messages sent (accepted by the sender's API).
    pub sent: usize,
    /// Stored exactly once by the right recipient.
    pub exactly_once: usize,
    /// Sent but not stored by the recipient.
    pub missing: usize,
    /// Stored more than once, or by another node, or never sent.
    pub unexpected: usize,
}

impl ExactlyOnce {
    /// Compares what was sent (`message id → recipient`) with what each node stored.
    pub fn check(sent: &HashMap<String, String>, received: &[(String, Vec<String>)]) -> Self {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut unexpected = 0;
        for (node, ids) in received {
            for id in ids {
                match sent.get(id) {
                    Some(to) if to == node => *seen.entry(id.as_str()).or_default() += 1,
                    _ => unexpected += 1,
                }
            }
        }
        let exactly_once = seen.values().filter(|n| **n == 1).count();
        unexpected += seen
            .values()
            .filter(|n| **n > 1)
            .map(|n| n - 1)
            .sum::<usize>();
        ExactlyOnce {
            sent: sent.len(),
            exactly_once,
            missing: sent.len() - seen.len(),
            unexpected,
        }
    }

    /// True when every message arrived once and nothing else arrived.
    pub fn holds(&self) -> bool {
        self.exactly_once == self.sent && self.missing == 0 && self.unexpected == 0
    }
}

fn ms_between(from: jiff::Timestamp, to: jiff::Timestamp) -> f64 {
    to.duration_since(from).as_secs_f64() * 1000.0
}

/// Runs the cp247 path once. `databases` gives FR's and MD's database URLs (`None`: SQLite).
pub async fn run(
    exe: &Path,
    root: &Path,
    backend: &str,
    databases: [Option<String>; 2],
    plan: &Plan,
) -> anyhow::Result<Cp247Run> {
    std::fs::create_dir_all(root).with_context(|| format!("cannot create {}", root.display()))?;
    let [fr_db, md_db] = databases;
    let plans = [
        ("FR", "France", fr_db),
        ("MD", "Republic of Moldova", md_db),
    ]
    .into_iter()
    .map(|(code, name, db)| {
        Ok(NodePlan {
            party: PartyCode::parse(code)?,
            party_name: name.to_owned(),
            unit_name: format!("{name} (bench)"),
            time_zone: "Europe/Paris".to_owned(),
            duty_phone: "+33140000000".to_owned(),
            database_url: db,
        })
    })
    .collect::<anyhow::Result<Vec<_>>>()?;
    let settings = NetworkSettings {
        authority_name: "cp247 bench directory authority".to_owned(),
        delivery: DeliverySection {
            lease: Period::secs(30),
            first_retry: Period::millis(200),
            max_backoff: Period::secs(2),
            poll_every: Period::millis(500),
            concurrency_per_peer: 16,
            batch: 64,
            ..DeliverySection::default()
        },
        peers: Some(PeersSection {
            connect_timeout: Period::secs(2),
            read_timeout: Period::secs(10),
            total_timeout: Period::secs(10),
        }),
        refresh_every: Period::secs(300),
        directory_validity: jiff::SignedDuration::from_hours(24),
    };
    let nodes = crate::provision(root, &plans, &settings, wall()).await?;
    let (Some(fr_node), Some(md_node)) = (nodes.first(), nodes.get(1)) else {
        bail!("two nodes were provisioned, not {}", nodes.len());
    };
    let env = [("RUST_LOG".to_owned(), "warn".to_owned())];
    let mut fr_proc = fr_node.spawn(exe, &env).await?;
    let mut md_proc = md_node.spawn(exe, &env).await?;
    let http = http_client()?;
    let fr = Api::of(fr_node, &http);
    let md = Api::of(md_node, &http);
    fr.wait_ready(Duration::from_secs(60)).await?;
    md.wait_ready(Duration::from_secs(60)).await?;

    let outcome = measure(&fr, &md, &fr_proc, &md_proc, plan).await;
    let fr_stop = fr_proc.stop(Duration::from_secs(30)).await;
    let md_stop = md_proc.stop(Duration::from_secs(30)).await;
    let mut run = outcome?;
    if !fr_stop? || !md_stop? {
        bail!("a bench node did not stop cleanly (see the serve.log files)");
    }
    run.backend = backend.to_owned();
    Ok(run)
}

async fn measure(
    fr: &Api,
    md: &Api,
    fr_proc: &ServeProcess,
    md_proc: &ServeProcess,
    plan: &Plan,
) -> anyhow::Result<Cp247Run> {
    let body = Arc::new(request_body("MD", plan.attachment.bytes())?);
    let submit = {
        let fr = fr.clone();
        let body = body.clone();
        move |_i: usize| {
            let fr = fr.clone();
            let body = body.clone();
            async move { fr.submit(body.to_vec()).await }
        }
    };
    let drain_within = Duration::from_secs(plan.drain_timeout_secs);
    let mut sent: HashMap<String, String> = HashMap::new();

    // Warm-up (connections, caches, the database's first pages); not measured.
    for s in load::burst(plan.warmup, plan.concurrency, submit.clone()).await? {
        sent.insert(s.key, "MD".to_owned());
    }
    fr.wait_drained(drain_within).await?;

    // Saturation: a burst of `messages`, at most `concurrency` in flight.
    let pids = [fr_proc.pid(), md_proc.pid()];
    let cpu = || -> f64 {
        pids.iter()
            .flatten()
            .filter_map(|p| stats::cpu_seconds(*p))
            .sum()
    };
    let cpu_before = cpu();
    let burst = load::burst(plan.messages, plan.concurrency, submit.clone()).await?;
    fr.wait_drained(drain_within).await?;
    let cpu_used = cpu() - cpu_before;
    let delivered = by_id(fr.delivered().await?);
    let saturation = saturation_of(&burst, &delivered)?;
    for s in &burst {
        sent.insert(s.key.clone(), "MD".to_owned());
    }

    // Fixed offered load.
    let fixed = load::fixed_rate(plan.fixed_count(), plan.rate, plan.concurrency, submit).await?;
    fr.wait_drained(drain_within).await?;
    let delivered = by_id(fr.delivered().await?);
    let mut latency = Vec::new();
    let mut queued = Vec::new();
    for s in &fixed {
        let d = delivered
            .get(&s.key)
            .with_context(|| format!("message {} has no receipt", s.key))?;
        latency.push(ms_between(s.at, d.delivered_at));
        queued.push(ms_between(d.queued_at, d.delivered_at));
        sent.insert(s.key.clone(), "MD".to_owned());
    }
    if delivered.len() != sent.len() {
        bail!(
            "FR shows {} delivered messages; {} were sent",
            delivered.len(),
            sent.len()
        );
    }

    let exactly_once = ExactlyOnce::check(&sent, &[("MD".to_owned(), md.received().await?)]);
    let mut peak_rss_mib = BTreeMap::new();
    for (code, pid) in [("FR", pids[0]), ("MD", pids[1])] {
        if let Some(mib) = pid.and_then(stats::peak_rss_mib) {
            peak_rss_mib.insert(code.to_owned(), mib);
        }
    }
    Ok(Cp247Run {
        backend: String::new(),
        saturation,
        latency_ms: Latency::of(latency),
        queued_to_receipt_ms: Latency::of(queued),
        offered_per_s: plan.rate,
        cpu_seconds_per_delivery: cpu_used / plan.messages.max(1) as f64,
        peak_rss_mib,
        exactly_once,
    })
}

fn by_id(delivered: Vec<Delivered>) -> HashMap<String, Delivered> {
    delivered
        .into_iter()
        .map(|d| (d.message_id.clone(), d))
        .collect()
}

/// Throughput of a burst: messages over the time from the first submission to the last
/// verified receipt.
fn saturation_of(
    burst: &[Submitted],
    delivered: &HashMap<String, Delivered>,
) -> anyhow::Result<Saturation> {
    let first = burst.iter().map(|s| s.at).min().context("an empty burst")?;
    let mut last = first;
    for s in burst {
        let d = delivered
            .get(&s.key)
            .with_context(|| format!("message {} has no receipt", s.key))?;
        last = last.max(d.delivered_at);
    }
    Ok(Saturation::new(
        burst.len(),
        ms_between(first, last) / 1000.0,
    ))
}

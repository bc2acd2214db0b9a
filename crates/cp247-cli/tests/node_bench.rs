#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// A measurement, not a test of behaviour: a failed step stops it loudly.

//! Delivery throughput and latency between two `cp247 serve` processes on this machine.
//!
//! Ignored by default (it measures, it does not check); run it in release:
//!
//! ```text
//! cargo test --release -p cp247-cli --test node_bench -- --ignored --nocapture
//! ```
//!
//! `CP247_BENCH_N` sets the burst size (default 1000); `CP247_TEST_PG_URL` adds a PostgreSQL
//! run. Latency is per message, from the instant it was queued (the API's transaction) to the
//! instant its verified receipt was stored, as recorded by the sending node; throughput is
//! messages with verified receipts per second over the burst.

mod node_harness;

use std::time::{Duration, Instant};

use jiff::Timestamp;
use node_harness::{Network, NodeOptions, client, fast_delivery, get, note, pg_database};
use serde_json::Value;

#[allow(clippy::disallowed_methods)] // the measurement reads its environment
fn burst_size() -> usize {
    std::env::var("CP247_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() as f64 - 1.0)).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// (queued at, latency in ms) of every delivered message, latency = queued → receipt stored,
/// in the order they were queued.
async fn latencies(http: &reqwest::Client, node: &node_harness::NodeProc) -> Vec<(Timestamp, f64)> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = get(
            http,
            node,
            &format!("/api/v1/deliveries?state=delivered&offset={offset}&limit=500"),
        )
        .await;
        let items = page["items"].as_array().unwrap();
        for d in items {
            let at =
                |k: &str| -> Timestamp { d[k].as_str().unwrap().parse::<Timestamp>().unwrap() };
            let ms = at("delivered_at")
                .duration_since(at("first_queued_at"))
                .as_secs_f64()
                * 1000.0;
            out.push((at("first_queued_at"), ms));
        }
        offset += items.len();
        if page["next"].is_null() {
            break;
        }
    }
    out.sort_by_key(|(queued, _)| *queued);
    out
}

fn sorted_ms(samples: &[(Timestamp, f64)]) -> Vec<f64> {
    let mut ms: Vec<f64> = samples.iter().map(|(_, m)| *m).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    ms
}

async fn measure(label: &str, fr_db: Option<String>, md_db: Option<String>) {
    let n = burst_size();
    let mut delivery = fast_delivery();
    delivery.batch = 64;
    delivery.concurrency_per_peer = 16;
    let mut net = Network::new(vec![
        NodeOptions {
            code: "FR",
            database_url: fr_db,
            delivery: delivery.clone(),
        },
        NodeOptions {
            code: "MD",
            database_url: md_db,
            delivery,
        },
    ])
    .await;
    net.node("FR").start().await;
    net.node("MD").start().await;
    let http = client();

    // 1. Unloaded latency: one message at a time.
    let single = 50;
    for _ in 0..single {
        let (ticket, _) = node_harness::send_request(&http, net.node("FR"), "MD").await;
        loop {
            let shown: Value =
                get(&http, net.node("FR"), &format!("/api/v1/tickets/{ticket}")).await;
            if shown["messages"][0]["delivery"]["state"] == "delivered" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    let unloaded = sorted_ms(&latencies(&http, net.node("FR")).await);

    // 2. A burst of n messages, queued as fast as the API takes them.
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        while set.len() >= 16 {
            set.join_next().await.unwrap().unwrap();
        }
        let remote = node_harness::RemoteNode {
            url: net.node("FR").url.clone(),
            officer: net.node("FR").officer.clone(),
        };
        set.spawn(async move {
            remote.send("MD").await;
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    let queued_in = started.elapsed().as_secs_f64();
    node_harness::wait_all_delivered(&http, net.node("FR"), n + single, 600).await;
    let all_in = started.elapsed().as_secs_f64();
    let all = latencies(&http, net.node("FR")).await;
    // The burst: everything queued after the unloaded messages.
    let burst = sorted_ms(all.get(single..).unwrap_or_default());
    note(&format!(
        "\n[{label}] unloaded, one message at a time ({single} messages): latency p50 {:.1} ms, p99 {:.1} ms",
        percentile(&unloaded, 50.0),
        percentile(&unloaded, 99.0)
    ));
    note(&format!(
        "[{label}] burst of {n} messages: queued through the API in {queued_in:.2} s ({:.0}/s incl. validation and sealing); all delivered with verified receipts after {all_in:.2} s: {:.0} messages/s; latency p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        n as f64 / queued_in,
        n as f64 / all_in,
        percentile(&burst, 50.0),
        percentile(&burst, 99.0),
        burst.last().copied().unwrap_or(f64::NAN)
    ));

    // 3. Delivery alone: n messages wait in the outbox while MD is down; then MD starts and
    //    the outbox drains.
    net.node("MD").stop();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..n {
        while set.len() >= 16 {
            set.join_next().await.unwrap().unwrap();
        }
        let remote = node_harness::RemoteNode {
            url: net.node("FR").url.clone(),
            officer: net.node("FR").officer.clone(),
        };
        set.spawn(async move {
            remote.send("MD").await;
        });
    }
    while let Some(done) = set.join_next().await {
        done.unwrap();
    }
    net.node("MD").start().await;
    let drain_start = Instant::now();
    node_harness::wait_all_delivered(&http, net.node("FR"), 2 * n + single, 900).await;
    let drained_in = drain_start.elapsed().as_secs_f64();
    note(&format!(
        "[{label}] outbox of {n} messages drained to a peer that came back: {drained_in:.2} s, {:.0} messages/s delivered with verified receipts",
        n as f64 / drained_in
    ));
    net.node("FR").stop();
    net.node("MD").stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --release -- --ignored --nocapture"]
async fn delivery_throughput_and_latency_between_two_nodes() {
    measure("sqlite", None, None).await;
    if let (Some(fr), Some(md)) = (pg_database("bench FR"), pg_database("bench MD")) {
        measure("postgresql", Some(fr.url.clone()), Some(md.url.clone())).await;
    }
}

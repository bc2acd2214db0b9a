//! Counters of the node's federation traffic, rendered in the Prometheus text format.
//!
//! Hand-written rather than a metrics framework: a handful of counters and one gauge, labelled
//! only by peer Party and stable refusal codes (never by message content), and a renderer
//! whose output a test pins.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use cp247_domain::PartyCode;

/// Bounds of the delivery-latency histogram, in seconds.
const LATENCY_BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0, 30.0];

/// The node's federation counters. Cheap to update from any task.
#[derive(Debug, Default)]
pub struct Metrics {
    delivered: Mutex<BTreeMap<&'static str, u64>>,
    failures: Mutex<BTreeMap<(&'static str, String), u64>>,
    undeliverable: Mutex<BTreeMap<&'static str, u64>>,
    inbox: Mutex<BTreeMap<(&'static str, String), u64>>,
    queue: Mutex<BTreeMap<&'static str, u64>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_us: AtomicU64,
    directory_refreshes: Mutex<BTreeMap<String, u64>>,
}

/// A code used as a label: only `[a-z0-9_]`, at most 64 characters, else `other`.
fn label(code: &str) -> String {
    if !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        code.to_owned()
    } else {
        "other".to_owned()
    }
}

fn bump<K: Ord>(map: &Mutex<BTreeMap<K, u64>>, key: K) {
    let mut guard = map.lock().unwrap_or_else(|p| p.into_inner());
    *guard.entry(key).or_insert(0) += 1;
}

impl Metrics {
    /// A message was delivered to `peer` and its receipt verified, `seconds` after the attempt
    /// started.
    pub fn delivered(&self, peer: PartyCode, seconds: f64) {
        bump(&self.delivered, peer.as_str());
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            if seconds <= *bound
                && let Some(b) = self.latency_buckets.get(i)
            {
                b.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        let us = (seconds * 1e6).clamp(0.0, 1e15) as u64;
        self.latency_sum_us.fetch_add(us, Ordering::Relaxed);
    }

    /// An attempt to deliver to `peer` failed with `code` (a refusal code or a transport kind).
    pub fn delivery_failed(&self, peer: PartyCode, code: &str) {
        bump(&self.failures, (peer.as_str(), label(code)));
    }

    /// A message to `peer` was given up.
    pub fn undeliverable(&self, peer: PartyCode) {
        bump(&self.undeliverable, peer.as_str());
    }

    /// An incoming message ended with `outcome`: `accepted`, `duplicate` or a refusal code.
    pub fn inbox(&self, outcome: &str, refused: bool) {
        let kind = if refused { "refused" } else { "accepted" };
        bump(&self.inbox, (kind, label(outcome)));
    }

    /// The outbox holds `count` entries in `state` (set by the periodic queue census).
    pub fn set_queue(&self, state: &'static str, count: u64) {
        let mut guard = self.queue.lock().unwrap_or_else(|p| p.into_inner());
        guard.insert(state, count);
    }

    /// A directory refresh ended with `outcome` (`accepted`, `unchanged` or a refusal code).
    pub fn directory_refresh(&self, outcome: &str) {
        bump(&self.directory_refreshes, label(outcome));
    }

    /// Messages delivered so far (all peers).
    pub fn delivered_total(&self) -> u64 {
        let guard = self.delivered.lock().unwrap_or_else(|p| p.into_inner());
        guard.values().sum()
    }

    /// The Prometheus text exposition of every counter.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let lock = |m: &Mutex<BTreeMap<&'static str, u64>>| {
            m.lock().unwrap_or_else(|p| p.into_inner()).clone()
        };
        let _ = writeln!(
            out,
            "# HELP cp247_deliveries_total Messages delivered to a peer with a verified receipt.\n# TYPE cp247_deliveries_total counter"
        );
        for (peer, n) in lock(&self.delivered) {
            let _ = writeln!(out, "cp247_deliveries_total{{peer=\"{peer}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP cp247_delivery_failures_total Failed delivery attempts, by peer and reason code.\n# TYPE cp247_delivery_failures_total counter"
        );
        let failures = self
            .failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for ((peer, code), n) in failures {
            let _ = writeln!(
                out,
                "cp247_delivery_failures_total{{peer=\"{peer}\",code=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP cp247_undeliverable_total Messages given up.\n# TYPE cp247_undeliverable_total counter"
        );
        for (peer, n) in lock(&self.undeliverable) {
            let _ = writeln!(out, "cp247_undeliverable_total{{peer=\"{peer}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP cp247_outbox_entries Outbox entries by delivery state.\n# TYPE cp247_outbox_entries gauge"
        );
        for (state, n) in lock(&self.queue) {
            let _ = writeln!(out, "cp247_outbox_entries{{state=\"{state}\"}} {n}");
        }
        let _ = writeln!(
            out,
            "# HELP cp247_inbox_messages_total Incoming messages, accepted (new or duplicate) or refused by code.\n# TYPE cp247_inbox_messages_total counter"
        );
        let inbox = self.inbox.lock().unwrap_or_else(|p| p.into_inner()).clone();
        for ((kind, code), n) in inbox {
            let _ = writeln!(
                out,
                "cp247_inbox_messages_total{{result=\"{kind}\",code=\"{code}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP cp247_directory_refreshes_total Directory refreshes by outcome.\n# TYPE cp247_directory_refreshes_total counter"
        );
        let refreshes = self
            .directory_refreshes
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for (outcome, n) in refreshes {
            let _ = writeln!(
                out,
                "cp247_directory_refreshes_total{{outcome=\"{outcome}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP cp247_delivery_seconds Time from sending a message to holding its verified receipt.\n# TYPE cp247_delivery_seconds histogram"
        );
        for (i, bound) in LATENCY_BUCKETS.iter().enumerate() {
            let n = self
                .latency_buckets
                .get(i)
                .map_or(0, |b| b.load(Ordering::Relaxed));
            let _ = writeln!(out, "cp247_delivery_seconds_bucket{{le=\"{bound}\"}} {n}");
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "cp247_delivery_seconds_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.latency_sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "cp247_delivery_seconds_sum {sum}");
        let _ = writeln!(out, "cp247_delivery_seconds_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_with_safe_labels() {
        let m = Metrics::default();
        let md = PartyCode::parse("MD").unwrap();
        m.delivered(md, 0.02);
        m.delivered(md, 2.0);
        m.delivery_failed(md, "connect");
        m.delivery_failed(md, "evil\"} 1\nx{");
        m.inbox("accepted", false);
        m.inbox("unknown_signer", true);
        m.set_queue("queued", 3);
        let text = m.render();
        assert!(
            text.contains("cp247_deliveries_total{peer=\"MD\"} 2"),
            "{text}"
        );
        assert!(text.contains("cp247_delivery_failures_total{peer=\"MD\",code=\"other\"} 1"));
        assert!(
            text.contains(
                "cp247_inbox_messages_total{result=\"refused\",code=\"unknown_signer\"} 1"
            )
        );
        assert!(text.contains("cp247_outbox_entries{state=\"queued\"} 3"));
        assert!(text.contains("cp247_delivery_seconds_bucket{le=\"0.025\"} 1"));
        assert!(text.contains("cp247_delivery_seconds_bucket{le=\"5\"} 2"));
        assert!(text.contains("cp247_delivery_seconds_count 2"));
        assert!(!text.contains("evil"));
        assert_eq!(m.delivered_total(), 2);
    }
}

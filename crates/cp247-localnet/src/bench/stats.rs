//! Small measurement helpers: percentiles, process CPU time and memory from `/proc`.

use std::collections::HashMap;

use serde::Serialize;

/// Latency percentiles in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latency {
    /// How many samples.
    pub samples: usize,
    /// Median.
    pub p50: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// The largest.
    pub max: f64,
}

impl Latency {
    /// Percentiles (nearest rank) of `samples` (milliseconds, any order).
    pub fn of(mut samples: Vec<f64>) -> Latency {
        samples.sort_by(f64::total_cmp);
        Latency {
            samples: samples.len(),
            p50: percentile(&samples, 50.0),
            p95: percentile(&samples, 95.0),
            p99: percentile(&samples, 99.0),
            max: samples.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// The nearest-rank percentile of sorted samples; NaN when empty.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted
        .get(rank.clamp(1, sorted.len()) - 1)
        .copied()
        .unwrap_or(f64::NAN)
}

/// Linux reports process times in clock ticks of 1/100 s (USER_HZ) on every architecture
/// cp247 runs on.
const TICKS_PER_SECOND: f64 = 100.0;

fn stat_fields(pid: u32) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    let (_, rest) = text.rsplit_once(')')?;
    Some(rest.split_whitespace().map(str::to_owned).collect())
}

fn field(fields: &[String], n: usize) -> f64 {
    // `fields[0]` is field 3 of proc(5) (the state).
    fields
        .get(n - 3)
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
}

/// User + system CPU seconds of a process (its own, not its children's).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    Some((field(&f, 14) + field(&f, 15)) / TICKS_PER_SECOND)
}

/// User + system CPU seconds of a process and of its children that it has waited for.
pub fn cpu_seconds_with_children(pid: u32) -> Option<f64> {
    let f = stat_fields(pid)?;
    Some((field(&f, 14) + field(&f, 15) + field(&f, 16) + field(&f, 17)) / TICKS_PER_SECOND)
}

fn status_kib(pid: u32, key: &str) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
}

/// Peak resident memory (VmHWM) in MiB.
pub fn peak_rss_mib(pid: u32) -> Option<f64> {
    status_kib(pid, "VmHWM:").map(|k| k / 1024.0)
}

/// Current resident memory (VmRSS) in MiB.
pub fn rss_mib(pid: u32) -> Option<f64> {
    status_kib(pid, "VmRSS:").map(|k| k / 1024.0)
}

/// CPU seconds (own + waited-for children) of every process whose command name is one of
/// `names`, by pid.
pub fn cpu_by_name(names: &[&str]) -> HashMap<u32, f64> {
    let mut out = HashMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if names.contains(&comm.trim())
            && let Some(cpu) = cpu_seconds_with_children(pid)
        {
            out.insert(pid, cpu);
        }
    }
    out
}

/// CPU seconds spent between two [`cpu_by_name`] snapshots (processes that ended in between
/// count through their parent's children time).
pub fn cpu_between(before: &HashMap<u32, f64>, after: &HashMap<u32, f64>) -> f64 {
    after
        .iter()
        .map(|(pid, cpu)| cpu - before.get(pid).copied().unwrap_or(0.0))
        .filter(|d| *d > 0.0)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let l = Latency::of((1..=100).rev().map(f64::from).collect());
        assert_eq!((l.p50, l.p95, l.p99, l.max), (50.0, 95.0, 99.0, 100.0));
        let one = Latency::of(vec![7.0]);
        assert_eq!((one.p50, one.p99), (7.0, 7.0));
        assert!(Latency::of(Vec::new()).p50.is_nan());
    }

    #[test]
    fn this_process_has_cpu_time_and_memory() {
        let me = std::process::id();
        assert!(cpu_seconds(me).is_some());
        assert!(peak_rss_mib(me).is_some_and(|m| m > 0.0));
        assert!(rss_mib(me).is_some_and(|m| m > 0.0));
    }
}

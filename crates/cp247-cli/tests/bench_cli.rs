#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! `cp247 bench --quick`: tiny counts, the real parts (two nodes on SQLite — and on
//! PostgreSQL when `CP247_TEST_PG_URL` is set —, gpg + SMTP through the local Postfix, the
//! machine limit, the scale scenario with a SIGKILL), then the JSON's shape, every message
//! stored exactly once, and no process of the run left behind.
//!
//! The status-quo part needs `gpg` and the loopback Postfix (`bash scripts/postfix-local.sh`);
//! without them the part is skipped loudly — except under `CI=true`, where the test fails.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[allow(clippy::disallowed_methods)] // the test reads its environment
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn ci() -> bool {
    env("CI").is_some_and(|v| v == "true")
}

/// Whether gpg and an SMTP server on the configured loopback address are there.
fn status_quo_available() -> Result<(), String> {
    let gpg = Command::new("gpg").arg("--version").output();
    if !gpg.is_ok_and(|o| o.status.success()) {
        return Err("gpg is not installed".into());
    }
    let smtp = env("CP247_TEST_SMTP").unwrap_or_else(|| "127.0.0.1:25".into());
    let addr: std::net::SocketAddr = smtp.parse().map_err(|e| format!("{smtp}: {e}"))?;
    std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_secs(2))
        .map_err(|e| format!("no SMTP server on {smtp}: {e}"))?;
    let maildir = env("CP247_TEST_MAILDIR").unwrap_or_else(|| "/home/cp247mail/Maildir".into());
    if !Path::new(&maildir).join("new").is_dir() {
        return Err(format!("{maildir}/new does not exist"));
    }
    Ok(())
}

/// Pids of processes whose command line mentions `needle`.
fn processes_mentioning(needle: &str) -> Vec<(u32, String)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
            continue;
        };
        let text = String::from_utf8_lossy(&cmdline).replace('\0', " ");
        if text.contains(needle) {
            out.push((pid, text));
        }
    }
    out
}

fn num(v: &Value, what: &str) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("{what} is not a number: {v}"))
}

fn check_latency(v: &Value, samples: usize, what: &str) {
    assert_eq!(v["samples"], samples, "{what}: {v}");
    let (p50, p95, p99, max) = (
        num(&v["p50"], what),
        num(&v["p95"], what),
        num(&v["p99"], what),
        num(&v["max"], what),
    );
    assert!(
        0.0 < p50 && p50 <= p95 && p95 <= p99 && p99 <= max,
        "{what}: {v}"
    );
}

fn check_exactly_once(v: &Value, sent: usize, what: &str) {
    assert_eq!(v["sent"], sent, "{what}: {v}");
    assert_eq!(v["exactly_once"], sent, "{what}: {v}");
    assert_eq!(v["missing"], 0, "{what}: {v}");
    assert_eq!(v["unexpected"], 0, "{what}: {v}");
}

#[test]
fn quick_bench_measures_every_part_delivers_exactly_once_and_leaves_nothing_running() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let json_path = tmp.path().join("bench.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cp247"));
    cmd.arg("bench")
        .arg("--quick")
        .arg("--dir")
        .arg(&work)
        .arg("--json")
        .arg(&json_path);
    let with_status_quo = match status_quo_available() {
        Ok(()) => true,
        Err(why) => {
            assert!(
                !ci(),
                "under CI=true the status-quo path must run: {why} (run scripts/postfix-local.sh)"
            );
            eprintln!("\n*** SKIPPED the status-quo part of cp247 bench: {why} ***\n");
            cmd.arg("--skip").arg("status-quo");
            false
        }
    };
    let with_pg = env("CP247_TEST_PG_URL").is_some();
    if !with_pg {
        assert!(
            !ci(),
            "CP247_TEST_PG_URL is not set: under CI=true the PostgreSQL run must happen"
        );
        eprintln!(
            "\n*** SKIPPED the PostgreSQL part of cp247 bench: CP247_TEST_PG_URL is not set ***\n"
        );
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "cp247 bench --quick failed ({}):\n{stdout}\n{stderr}",
        out.status
    );

    // The table: the three columns side by side and the ratios.
    assert!(stdout.contains("throughput at saturation"), "{stdout}");
    assert!(stdout.contains("cp247 (sqlite)"), "{stdout}");
    assert!(stdout.contains("machine limit"), "{stdout}");
    assert!(stdout.contains("cp247 / machine limit"), "{stdout}");

    let report: Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(report["format"], "cp247-bench/1");
    assert_eq!(report["quick"], true);
    let plan = &report["plan"];
    let messages = plan["messages"].as_u64().unwrap() as usize;
    let warmup = plan["warmup"].as_u64().unwrap() as usize;
    let fixed =
        (num(&plan["rate"], "rate") * num(&plan["fixed_seconds"], "seconds")).round() as usize;
    assert!(messages > 0 && fixed > 0, "{plan}");
    assert!(report["payload_bytes"].as_u64().unwrap() > 1000);
    assert!(report["machine"]["cores"].as_u64().unwrap() >= 1);

    let runs = report["cp247"].as_array().unwrap();
    assert_eq!(runs.len(), if with_pg { 2 } else { 1 }, "{report}");
    for (run, backend) in runs.iter().zip(["sqlite", "postgresql"]) {
        assert_eq!(run["backend"], backend);
        assert_eq!(run["saturation"]["messages"], messages);
        assert!(num(&run["saturation"]["deliveries_per_s"], "throughput") > 0.0);
        check_latency(&run["latency_ms"], fixed, backend);
        check_latency(&run["queued_to_receipt_ms"], fixed, backend);
        assert!(num(&run["cpu_seconds_per_delivery"], "cpu") > 0.0, "{run}");
        for node in ["FR", "MD"] {
            assert!(num(&run["peak_rss_mib"][node], "rss") > 1.0, "{run}");
        }
        check_exactly_once(&run["exactly_once"], warmup + messages + fixed, backend);
    }

    let limit = &report["limit"];
    for key in [
        "t_seal_ms",
        "t_open_ms",
        "t_commit_ms",
        "t_rtt_ms",
        "deliveries_per_s",
    ] {
        assert!(num(&limit[key], key) > 0.0, "{limit}");
    }
    assert!(limit["sealed_bytes"].as_u64().unwrap() > limit["payload_bytes"].as_u64().unwrap() / 2);
    assert!(num(&report["ratios"]["fraction_of_limit"], "fraction") > 0.0);

    if with_status_quo {
        let sq = &report["status_quo"];
        assert_eq!(sq["verified"], warmup + messages + fixed, "{sq}");
        assert!(num(&sq["saturation"]["deliveries_per_s"], "sq throughput") > 0.0);
        check_latency(&sq["latency_ms"], fixed, "status quo");
        assert!(num(&report["ratios"]["throughput_vs_status_quo"], "ratio") > 0.0);
        assert!(num(&report["ratios"]["p99_status_quo_over_cp247"], "ratio") > 0.0);
    } else {
        assert!(report["status_quo"].is_null());
    }

    let scale = &report["scale"];
    let (k, m) = (
        scale["nodes"].as_u64().unwrap() as usize,
        scale["per_node"].as_u64().unwrap() as usize,
    );
    assert!(k >= 2 && m >= 1, "{scale}");
    assert!(scale["killed"].as_u64().unwrap() >= 1, "{scale}");
    check_exactly_once(&scale["exactly_once"], k * m, "scale");
    assert!(num(&scale["drain_seconds"], "drain") >= 0.0);
    assert!(
        num(&scale["idle_rss_mib"]["mean"], "idle rss") > 1.0,
        "{scale}"
    );

    // Nothing the run started is still running: no node, gpg or gpg-agent names its
    // directory.
    let left = processes_mentioning(&work.display().to_string());
    assert!(left.is_empty(), "processes left running: {left:?}");
}

#[test]
fn bench_refuses_a_non_loopback_smtp_server_and_an_existing_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_cp247"))
        .args(["bench", "--quick", "--smtp", "192.0.2.1:25", "--dir"])
        .arg(tmp.path().join("w"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("loopback"), "{stderr}");
    assert!(
        !tmp.path().join("w").exists(),
        "nothing is created for refused input"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_cp247"))
        .args(["bench", "--quick", "--dir"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("exists"), "{stderr}");
}

//! `cp247 bench`: one run on this machine that measures cp247 end to end, today's practice
//! (gpg + SMTP through the local Postfix) and the machine's limit for sealed, durable
//! deliveries, side by side with ratios from the same run; plus the scale scenario (K nodes,
//! a tenth killed with SIGKILL during traffic and restarted, exactly-once check).
//!
//! Everything runs on loopback, in a fresh directory, bounded in time and count; every child
//! process (nodes, gpg, gpg-agents) is stopped at the end, on an error and on Ctrl-C.
//! The method is in docs/performance.md and ADR 0014.
//!
//! Exit codes: 0 when every part ran and every check held (each message stored exactly once
//! by its recipient); 1 otherwise (the reason is printed; the JSON is still written when the
//! measurements completed).

mod api;
mod limit;
mod load;
mod scale;
mod stats;
mod statusquo;
mod twonode;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use crate::PgDatabase;
use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use rand::Rng;
use serde::Serialize;

/// A part of the bench that `--skip` leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Part {
    /// The cp247 two-node path on SQLite.
    Cp247,
    /// The cp247 two-node path on PostgreSQL (runs when a PostgreSQL URL is given).
    Postgres,
    /// gpg + SMTP through the local Postfix.
    StatusQuo,
    /// The machine limit.
    Limit,
    /// The K-node scenario with kills.
    Scale,
}

/// `cp247 bench`
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Tiny counts (seconds, not minutes): the defaults below become 20 messages, 1 s of
    /// fixed load, 6 nodes × 2 messages. For CI.
    #[arg(long)]
    pub quick: bool,
    /// Write the results as JSON to FILE (replaced whole).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Messages in the saturating burst [default: 1000].
    #[arg(long, value_name = "N")]
    pub messages: Option<usize>,
    /// Submissions in flight at once, both paths [default: 16].
    #[arg(long, value_name = "C", default_value_t = 16)]
    pub concurrency: usize,
    /// Offered load for the latency measurement, requests per second.
    #[arg(long, value_name = "R", default_value_t = 20.0)]
    pub rate: f64,
    /// How long the fixed load is offered, seconds [default: 15].
    #[arg(long, value_name = "S")]
    pub seconds: Option<f64>,
    /// Nodes in the scale scenario (K) [default: 100].
    #[arg(long, value_name = "K")]
    pub nodes: Option<usize>,
    /// Requests each node sends in the scale scenario (M) [default: 10].
    #[arg(long, value_name = "M")]
    pub per_node: Option<usize>,
    /// Percentage of the K nodes killed with SIGKILL during traffic and restarted.
    #[arg(long, value_name = "P", default_value_t = 10)]
    pub kill_percent: usize,
    /// Send every request of the cp247 path with an attachment of SIZE random bytes
    /// (`1MiB`, `512KiB`, `65536`; at most 4 MiB), generated once; the status-quo path
    /// carries the same bytes as a MIME attachment. The scale scenario sends none.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub attachment_size: Option<usize>,
    /// Leave out a part (repeatable).
    #[arg(long, value_enum, value_name = "PART")]
    pub skip: Vec<Part>,
    /// The SMTP server of the status-quo path (loopback only).
    #[arg(
        long,
        value_name = "HOST:PORT",
        env = "CP247_TEST_SMTP",
        default_value = "127.0.0.1:25"
    )]
    pub smtp: String,
    /// The Maildir the status-quo mail is delivered to.
    #[arg(
        long,
        value_name = "DIR",
        env = "CP247_TEST_MAILDIR",
        default_value = "/home/cp247mail/Maildir"
    )]
    pub maildir: PathBuf,
    /// The status-quo mail's recipient.
    #[arg(long, value_name = "ADDRESS", default_value = "cp247mail@cp247.test")]
    pub recipient: String,
    /// A PostgreSQL server (administrative URL): the cp247 path is repeated on it, in fresh
    /// databases dropped at the end.
    #[arg(
        long,
        value_name = "URL",
        env = "CP247_TEST_PG_URL",
        hide_env_values = true
    )]
    pub pg_url: Option<String>,
    /// Work in DIR (must not exist) instead of a new temporary directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Keep the working directory (node logs, databases) at the end.
    #[arg(long)]
    pub keep: bool,
}

/// The largest `--attachment-size`: the status-quo mail (MIME base64, then gpg's armor) must
/// stay under Postfix's default `message_size_limit` (10 MB).
pub const MAX_ATTACHMENT_SIZE: usize = 4 * 1024 * 1024;

/// Reads `1MiB`, `512KiB`, `2M`, `64K`, `65536` or `65536B` (binary multiples).
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let n: usize = number
        .parse()
        .map_err(|_| format!("'{text}' is not a size: write e.g. 1MiB, 512KiB or 65536"))?;
    let factor = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "k" => 1024,
        "M" | "MiB" => 1024 * 1024,
        other => {
            return Err(format!(
                "'{other}' is not a unit: use B, KiB or MiB (binary multiples)"
            ));
        }
    };
    let size = n
        .checked_mul(factor)
        .ok_or_else(|| format!("'{text}' is too large"))?;
    if size == 0 || size > MAX_ATTACHMENT_SIZE {
        return Err(format!(
            "the attachment size must be 1 byte to 4 MiB ({MAX_ATTACHMENT_SIZE} bytes): the status-quo mail must stay under Postfix's default message size limit"
        ));
    }
    Ok(size)
}

/// The bench's attachment: random bytes generated once, sent with every request of the cp247
/// path and in every status-quo mail. `Debug` shows only the size.
#[derive(Clone, Default)]
pub struct BenchFile(Option<std::sync::Arc<Vec<u8>>>);

impl BenchFile {
    /// `size` random bytes, or none.
    pub fn random(size: Option<usize>) -> Self {
        BenchFile(size.map(|n| {
            let mut bytes = vec![0u8; n];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
            std::sync::Arc::new(bytes)
        }))
    }

    /// The bytes, if any.
    pub fn bytes(&self) -> Option<&[u8]> {
        self.0.as_deref().map(Vec::as_slice)
    }

    /// Their number (0 without an attachment).
    pub fn len(&self) -> usize {
        self.0.as_ref().map_or(0, |b| b.len())
    }

    /// No attachment (or an empty one).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for BenchFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "BenchFile({} bytes)", self.len())
    }
}

/// The counts of one run.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// Messages in the burst.
    pub messages: usize,
    /// In flight at once.
    pub concurrency: usize,
    /// Offered load, per second.
    pub rate: f64,
    /// Seconds of fixed load.
    pub fixed_seconds: f64,
    /// Unmeasured messages sent first.
    pub warmup: usize,
    /// The longest wait for a phase's messages to arrive.
    pub drain_timeout_secs: u64,
    /// Bytes of the attachment each request carries (0: none).
    pub attachment_bytes: usize,
    /// The attachment itself (not in the JSON).
    #[serde(skip)]
    pub attachment: BenchFile,
}

impl Plan {
    /// Messages sent at the fixed load.
    pub fn fixed_count(&self) -> usize {
        ((self.rate * self.fixed_seconds).round() as usize).max(1)
    }
}

/// Throughput of a saturating burst.
#[derive(Debug, Clone, Serialize)]
pub struct Saturation {
    /// Messages in the burst.
    pub messages: usize,
    /// From the first submission to the last verified arrival.
    pub seconds: f64,
    /// messages / seconds.
    pub deliveries_per_s: f64,
}

impl Saturation {
    fn new(messages: usize, seconds: f64) -> Self {
        Saturation {
            messages,
            seconds,
            deliveries_per_s: messages as f64 / seconds.max(1e-9),
        }
    }
}

/// Ratios from the same run (cp247 on SQLite).
#[derive(Debug, Clone, Serialize)]
pub struct Ratios {
    /// cp247 deliveries/s ÷ status-quo deliveries/s.
    pub throughput_vs_status_quo: Option<f64>,
    /// Status-quo p99 ÷ cp247 p99 at the fixed load.
    pub p99_status_quo_over_cp247: Option<f64>,
    /// cp247 deliveries/s ÷ the machine limit.
    pub fraction_of_limit: Option<f64>,
}

/// Everything the run measured (the JSON document).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The format of this document.
    pub format: &'static str,
    /// When the run started (UTC).
    pub started_at: String,
    /// The machine.
    pub machine: Machine,
    /// Quick mode.
    pub quick: bool,
    /// The counts.
    pub plan: Plan,
    /// Size of the request body submitted through the API (with the attachment in base64,
    /// when there is one), bytes.
    pub payload_bytes: usize,
    /// Size of the attachment each request carries on both paths (0: none), bytes.
    pub attachment_bytes: usize,
    /// The cp247 path, per backend.
    pub cp247: Vec<twonode::Cp247Run>,
    /// The status-quo path.
    pub status_quo: Option<statusquo::StatusQuoRun>,
    /// The machine limit.
    pub limit: Option<limit::MachineLimit>,
    /// Ratios.
    pub ratios: Ratios,
    /// The scale scenario.
    pub scale: Option<scale::ScaleRun>,
    /// Parts left out.
    pub skipped: Vec<String>,
    /// Seconds for the whole run.
    pub total_seconds: f64,
}

/// What the run ran on.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Cores available.
    pub cores: usize,
    /// `/proc/loadavg` at the start (other work on the machine shows here).
    pub load_average_at_start: String,
    /// `/proc/loadavg` at the end.
    pub load_average_at_end: String,
    /// Total memory, MiB.
    pub memory_mib: f64,
    /// This build's version.
    pub cp247_version: &'static str,
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn memory_mib() -> f64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |k| k / 1024.0)
}

/// The working directory; removed on drop unless kept.
struct WorkDir {
    path: PathBuf,
    remove: bool,
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if self.remove {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// `cp247 bench`: `exe` is the `cp247` executable, started as `cp247 serve` for each node.
pub fn run(args: BenchArgs, exe: &Path) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let bound = if args.quick {
        Duration::from_secs(10 * 60)
    } else {
        Duration::from_secs(60 * 60)
    };
    runtime.block_on(async move {
        // Ctrl-C, SIGTERM and the overall bound drop the bench future: every child is killed
        // (kill_on_drop), gpg-agents are stopped and databases dropped by their guards.
        tokio::select! {
            outcome = tokio::time::timeout(bound, bench(args, exe)) => match outcome {
                Ok(result) => result,
                Err(_) => bail!("the bench did not finish within {} min; everything it started was stopped", bound.as_secs() / 60),
            },
            () = interrupted() => bail!("interrupted; everything the bench started was stopped"),
        }
    })
}

async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

fn check_loopback(smtp: &str) -> anyhow::Result<()> {
    let addr: std::net::SocketAddr = smtp.parse().with_context(|| {
        format!("--smtp {smtp}: give an IP address and port, e.g. 127.0.0.1:25")
    })?;
    if !addr.ip().is_loopback() {
        bail!("--smtp {smtp}: the bench sends mail only to a loopback address");
    }
    Ok(())
}

async fn bench(args: BenchArgs, exe: &Path) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let started_at = load::wall().to_string();
    let load_at_start = loadavg();
    if args.concurrency == 0 || args.concurrency > 1024 {
        bail!("--concurrency must be between 1 and 1024");
    }
    if !(args.rate > 0.0 && args.rate <= 10_000.0) {
        bail!("--rate must be above 0 and at most 10000 per second");
    }
    if args.kill_percent > 100 {
        bail!("--kill-percent is a percentage (0 to 100)");
    }
    check_loopback(&args.smtp)?;
    let quick = args.quick;
    let plan = Plan {
        messages: args
            .messages
            .unwrap_or(if quick { 20 } else { 1000 })
            .clamp(1, 1_000_000),
        concurrency: args.concurrency,
        rate: args.rate,
        fixed_seconds: args
            .seconds
            .unwrap_or(if quick { 1.0 } else { 15.0 })
            .clamp(0.05, 3600.0),
        warmup: if quick { 2 } else { 20 },
        drain_timeout_secs: if quick { 120 } else { 600 },
        attachment_bytes: args.attachment_size.unwrap_or(0),
        attachment: BenchFile::random(args.attachment_size),
    };
    let nodes = args.nodes.unwrap_or(if quick { 6 } else { 100 });
    if !(2..=200).contains(&nodes) {
        bail!("--nodes must be between 2 and 200");
    }
    let scale_plan = scale::ScalePlan {
        nodes,
        per_node: args
            .per_node
            .unwrap_or(if quick { 2 } else { 10 })
            .clamp(1, 1000),
        kill_percent: args.kill_percent,
        concurrency: 8,
        bound: Duration::from_secs(600),
    };

    let (root, remove) = match &args.dir {
        Some(dir) => {
            if dir.exists() {
                bail!(
                    "{} exists; cp247 bench works in a fresh directory",
                    dir.display()
                );
            }
            (dir.clone(), false)
        }
        None => (
            std::env::temp_dir().join(format!(
                "cp247-bench-{}-{}",
                std::process::id(),
                rand::rng().random::<u32>()
            )),
            !args.keep,
        ),
    };
    std::fs::create_dir_all(&root).with_context(|| format!("cannot create {}", root.display()))?;
    let work = WorkDir {
        path: root.clone(),
        remove,
    };
    let skip = |p: Part| args.skip.contains(&p);
    let mut skipped = Vec::new();
    say(&format!(
        "cp247 bench: working in {} ({} cores, load average {})",
        root.display(),
        std::thread::available_parallelism().map_or(1, usize::from),
        loadavg()
    ));

    let limit = if skip(Part::Limit) {
        skipped.push("limit".to_owned());
        None
    } else {
        say("machine limit: seal, open, durable commit, loopback round trip …");
        let budget = Duration::from_millis(if quick { 200 } else { 2000 });
        Some(limit::measure(&root, budget, plan.attachment.bytes()).await?)
    };

    let mut cp247 = Vec::new();
    if skip(Part::Cp247) {
        skipped.push("cp247".to_owned());
    } else {
        say("cp247 path (SQLite): two nodes …");
        cp247.push(
            twonode::run(
                exe,
                &root.join("cp247-sqlite"),
                "sqlite",
                [None, None],
                &plan,
            )
            .await?,
        );
    }
    match (&args.pg_url, skip(Part::Postgres)) {
        (Some(url), false) => {
            say("cp247 path (PostgreSQL): two nodes …");
            let fr = PgDatabase::create(url, "cp247_bench_fr")?;
            let md = PgDatabase::create(url, "cp247_bench_md")?;
            cp247.push(
                twonode::run(
                    exe,
                    &root.join("cp247-postgresql"),
                    "postgresql",
                    [Some(fr.url.clone()), Some(md.url.clone())],
                    &plan,
                )
                .await?,
            );
        }
        (None, false) => skipped.push("postgres (no PostgreSQL URL given)".to_owned()),
        (_, true) => skipped.push("postgres".to_owned()),
    }

    let status_quo = if skip(Part::StatusQuo) {
        skipped.push("status-quo".to_owned());
        None
    } else {
        say("status quo: gpg + SMTP through Postfix + Maildir …");
        let mail = statusquo::MailSetup {
            smtp: args.smtp.clone(),
            maildir: args.maildir.clone(),
            recipient: args.recipient.clone(),
        };
        Some(statusquo::run(&root, &mail, &plan).await?)
    };

    let scale = if skip(Part::Scale) {
        skipped.push("scale".to_owned());
        None
    } else {
        say(&format!(
            "scale: {} nodes × {} messages, {} % killed and restarted …",
            scale_plan.nodes, scale_plan.per_node, scale_plan.kill_percent
        ));
        Some(scale::run(exe, &root.join("scale"), &scale_plan).await?)
    };

    let sqlite = cp247.iter().find(|r| r.backend == "sqlite");
    let ratios = Ratios {
        throughput_vs_status_quo: sqlite
            .zip(status_quo.as_ref())
            .map(|(c, s)| c.saturation.deliveries_per_s / s.saturation.deliveries_per_s.max(1e-9)),
        p99_status_quo_over_cp247: sqlite
            .zip(status_quo.as_ref())
            .map(|(c, s)| s.latency_ms.p99 / c.latency_ms.p99.max(1e-9)),
        fraction_of_limit: sqlite
            .zip(limit.as_ref())
            .map(|(c, l)| c.saturation.deliveries_per_s / l.deliveries_per_s.max(1e-9)),
    };
    let report = Report {
        format: "cp247-bench/1",
        started_at,
        machine: Machine {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            load_average_at_start: load_at_start,
            load_average_at_end: loadavg(),
            memory_mib: memory_mib(),
            cp247_version: env!("CARGO_PKG_VERSION"),
        },
        quick,
        payload_bytes: api::request_body("MD", plan.attachment.bytes())?.len(),
        attachment_bytes: plan.attachment_bytes,
        plan,
        cp247,
        status_quo,
        limit,
        ratios,
        scale,
        skipped,
        total_seconds: started.elapsed().as_secs_f64(),
    };
    print!("{}", table(&report));
    if let Some(path) = &args.json {
        write_json(path, &report)?;
        say(&format!("JSON written to {}", path.display()));
    }
    if args.keep || args.dir.is_some() {
        say(&format!(
            "node logs and databases kept in {}",
            root.display()
        ));
    }
    drop(work);

    let mut failures = Vec::new();
    for run in &report.cp247 {
        if !run.exactly_once.holds() {
            failures.push(format!("cp247 ({}): {:?}", run.backend, run.exactly_once));
        }
    }
    if let Some(s) = &report.scale
        && !s.exactly_once.holds()
    {
        failures.push(format!("scale: {:?}", s.exactly_once));
    }
    if failures.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!(
            "cp247 bench: not every message was stored exactly once: {}",
            failures.join("; ")
        );
        Ok(ExitCode::FAILURE)
    }
}

fn say(line: &str) {
    // Progress goes to standard error; the table is the standard output.
    eprintln!("{line}");
}

fn write_json(path: &Path, report: &Report) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report).context("encoding the report")?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, format!("{text}\n"))
        .with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

fn f(v: f64, digits: usize) -> String {
    if v.is_finite() {
        format!("{v:.digits$}")
    } else {
        "—".to_owned()
    }
}

/// The side-by-side table.
pub fn table(r: &Report) -> String {
    let mut cols: Vec<(String, [String; 6])> = Vec::new();
    for c in &r.cp247 {
        let rss = c
            .peak_rss_mib
            .iter()
            .map(|(k, v)| format!("{k} {}", f(*v, 0)))
            .collect::<Vec<_>>()
            .join(", ");
        cols.push((
            format!("cp247 ({})", c.backend),
            [
                f(c.saturation.deliveries_per_s, 1),
                f(c.latency_ms.p50, 1),
                f(c.latency_ms.p95, 1),
                f(c.latency_ms.p99, 1),
                f(c.cpu_seconds_per_delivery * 1000.0, 2),
                rss,
            ],
        ));
    }
    if let Some(s) = &r.status_quo {
        cols.push((
            "status quo (gpg+SMTP)".to_owned(),
            [
                f(s.saturation.deliveries_per_s, 1),
                f(s.latency_ms.p50, 1),
                f(s.latency_ms.p95, 1),
                f(s.latency_ms.p99, 1),
                f(s.cpu_seconds_per_delivery * 1000.0, 2),
                "—".to_owned(),
            ],
        ));
    }
    if let Some(l) = &r.limit {
        cols.push((
            "machine limit".to_owned(),
            [
                f(l.deliveries_per_s, 1),
                "—".to_owned(),
                "—".to_owned(),
                "—".to_owned(),
                f(
                    l.t_seal_ms + l.t_open_ms + 2.0 * l.t_commit_ms + l.t_rtt_ms,
                    2,
                ),
                "—".to_owned(),
            ],
        ));
    }
    let rows = [
        "throughput at saturation (deliveries/s)".to_owned(),
        format!("latency p50 at {} req/s (ms)", f(r.plan.rate, 0)),
        format!("latency p95 at {} req/s (ms)", f(r.plan.rate, 0)),
        format!("latency p99 at {} req/s (ms)", f(r.plan.rate, 0)),
        "CPU per delivery (ms)".to_owned(),
        "peak RSS per node (MiB)".to_owned(),
    ];
    let label_w = rows.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let col_w: Vec<usize> = cols
        .iter()
        .map(|(h, v)| {
            v.iter()
                .map(|s| s.chars().count())
                .chain([h.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    out.push('\n');
    if !cols.is_empty() {
        out.push_str(&format!("{:label_w$}", ""));
        for ((h, _), w) in cols.iter().zip(&col_w) {
            out.push_str(&format!("  {h:>w$}"));
        }
        out.push('\n');
        for (i, row) in rows.iter().enumerate() {
            out.push_str(&format!("{row:label_w$}"));
            for ((_, v), w) in cols.iter().zip(&col_w) {
                out.push_str(&format!("  {:>w$}", v.get(i).map_or("", String::as_str)));
            }
            out.push('\n');
        }
        out.push('\n');
    }
    if let Some(x) = r.ratios.throughput_vs_status_quo {
        out.push_str(&format!(
            "cp247 / status quo, throughput:     {}×\n",
            f(x, 1)
        ));
    }
    if let Some(x) = r.ratios.p99_status_quo_over_cp247 {
        out.push_str(&format!(
            "status quo / cp247, p99 latency:    {}×\n",
            f(x, 1)
        ));
    }
    if let Some(x) = r.ratios.fraction_of_limit {
        out.push_str(&format!(
            "cp247 / machine limit, throughput:  {} %\n",
            f(x * 100.0, 1)
        ));
    }
    if let Some(l) = &r.limit {
        out.push_str(&format!(
            "limit = {} cores / (seal {} + open {} + 2 × commit {} + rtt {} ms)\n",
            l.cores,
            f(l.t_seal_ms, 3),
            f(l.t_open_ms, 3),
            f(l.t_commit_ms, 3),
            f(l.t_rtt_ms, 3)
        ));
    }
    for c in &r.cp247 {
        out.push_str(&format!(
            "cp247 ({}): {} of {} messages stored exactly once by the recipient; queued → receipt p50 {} ms, p99 {} ms\n",
            c.backend,
            c.exactly_once.exactly_once,
            c.exactly_once.sent,
            f(c.queued_to_receipt_ms.p50, 1),
            f(c.queued_to_receipt_ms.p99, 1)
        ));
    }
    if let Some(s) = &r.scale {
        out.push_str(&format!(
            "scale: {} nodes × {} messages, {} killed (SIGKILL) and restarted: {} of {} delivered exactly once ({} missing, {} unexpected); drained {} s after the last restart; idle RSS per node {} MiB (max {}); start-up {} s\n",
            s.nodes,
            s.per_node,
            s.killed,
            s.exactly_once.exactly_once,
            s.exactly_once.sent,
            s.exactly_once.missing,
            s.exactly_once.unexpected,
            f(s.drain_seconds, 1),
            f(s.idle_rss_mib.mean, 1),
            f(s.idle_rss_mib.max, 1),
            f(s.startup_seconds, 1)
        ));
    }
    let attachment = if r.attachment_bytes > 0 {
        format!(
            " (request body with a {}-byte attachment in base64; the status quo carries the same bytes as a MIME attachment{})",
            r.attachment_bytes,
            r.status_quo
                .as_ref()
                .map(|s| format!(", {} bytes signed and encrypted", s.plaintext_bytes))
                .unwrap_or_default()
        )
    } else {
        String::new()
    };
    out.push_str(&format!(
        "payload {} bytes{attachment}; load average at start {}, at end {}; {} s in all\n",
        r.payload_bytes,
        r.machine.load_average_at_start,
        r.machine.load_average_at_end,
        f(r.total_seconds, 0)
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_sizes_parse_in_binary_units_and_are_bounded() {
        for (text, bytes) in [
            ("1MiB", 1024 * 1024),
            ("1M", 1024 * 1024),
            ("512KiB", 512 * 1024),
            ("64K", 64 * 1024),
            ("65536", 65536),
            ("100B", 100),
            ("4MiB", 4 * 1024 * 1024),
        ] {
            assert_eq!(parse_size(text), Ok(bytes), "{text}");
        }
        for bad in ["", "MiB", "1GiB", "1.5MiB", "0", "5MiB", "-1", "1 TB"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
        let file = BenchFile::random(Some(1000));
        assert_eq!(file.len(), 1000);
        assert_eq!(file.bytes().map(<[u8]>::len), Some(1000));
        assert!(!format!("{file:?}").contains('['));
        assert_eq!(BenchFile::random(None).bytes(), None);
    }
}

//! `cp247 serve --config FILE`: run a node until SIGINT or SIGTERM.
//!
//! Exit codes: 0 after a clean stop; 1 when the node cannot start (the reason is printed: an
//! invalid or insecure configuration, a missing key or authority certificate, a wrong
//! passphrase, a database in use…); 2 when it did not stop within 30 seconds.
//!
//! On start it prints one line on standard output, `cp247 node FR/primary listening on
//! http://127.0.0.1:8443`, for scripts; logs go to standard error (`--log-format json` for
//! machines; the level follows `RUST_LOG`, default `info`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, ValueEnum};
use cp247_domain::SystemClock;
use cp247_server::config::{ConfigFile, ENV_PREFIX};
use cp247_server::node::{self, STOP_TIMEOUT};

/// `cp247 serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The node's configuration file (`cp247.toml` in its directory).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// A file holding the passphrase of the node key (else CP247_PASSPHRASE).
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,
    /// Log format on standard error.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Stop (cleanly) when standard input reaches its end: lets a parent process (`cp247 demo`,
    /// test harnesses) stop the node by closing a pipe, and stops it if the parent dies.
    #[arg(long, hide = true)]
    pub stop_on_stdin_eof: bool,
}

/// How logs are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Sets up logging on standard error. The filter comes from `RUST_LOG` (default `info`).
pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

/// The `CP247__…` configuration overrides from the environment (the CLI is the one place that
/// reads it).
pub fn config_overrides() -> Vec<(String, String)> {
    std::env::vars()
        .filter(|(name, _)| name.starts_with(ENV_PREFIX))
        .collect()
}

/// `cp247 serve`.
pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging(args.log_format);
    let config = ConfigFile::load(&args.config, &config_overrides())?;
    let passphrase = crate::node::read_passphrase(args.passphrase_file.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let running = node::start(config, passphrase, Arc::new(SystemClock)).await?;
        let scheme = if running.context.tls_pin.is_some() {
            "https"
        } else {
            "http"
        };
        {
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "cp247 node {} listening on {scheme}://{}",
                running.context.me, running.local_addr
            )?;
            if let Some(pin) = running.context.tls_pin {
                writeln!(out, "tls_sha256 {pin}")?;
            }
            if let Some(officers) = running.officers_addr {
                writeln!(
                    out,
                    "officers' web interface and API on {scheme}://{officers}"
                )?;
            }
            out.flush()?;
        }
        let stop = running.shutdown_token();
        let reason = wait_for_stop(args.stop_on_stdin_eof, stop.clone()).await;
        tracing::info!(reason, "stopping");
        stop.cancel();
        match tokio::time::timeout(STOP_TIMEOUT, running.wait()).await {
            Ok(()) => Ok(ExitCode::SUCCESS),
            Err(_) => {
                eprintln!(
                    "cp247: the node did not stop within {} s",
                    STOP_TIMEOUT.as_secs()
                );
                Ok(ExitCode::from(2))
            }
        }
    })
}

/// Waits for SIGINT, SIGTERM, the end of standard input (when asked) or an internal stop.
async fn wait_for_stop(
    stdin_eof: bool,
    internal: tokio_util::sync::CancellationToken,
) -> &'static str {
    let stdin_closed = async {
        if stdin_eof {
            // A plain thread blocks on the read; it tells the runtime when the pipe closes.
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            let watcher = std::thread::Builder::new()
                .name("stdin-watch".into())
                .spawn(move || {
                    use std::io::Read;
                    let mut stdin = std::io::stdin().lock();
                    let mut buf = [0u8; 64];
                    while let Ok(n) = stdin.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                    }
                    let _ = tx.send(());
                });
            if watcher.is_ok() {
                let _ = rx.await;
            } else {
                std::future::pending::<()>().await;
            }
        } else {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(error = %e, "cannot watch SIGTERM");
                return "no signal handler";
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "SIGINT",
            _ = term.recv() => "SIGTERM",
            () = stdin_closed => "standard input closed",
            () = internal.cancelled() => "internal failure",
        }
    }
    #[cfg(not(unix))]
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => "interrupt",
            () = stdin_closed => "standard input closed",
            () = internal.cancelled() => "internal failure",
        }
    }
}

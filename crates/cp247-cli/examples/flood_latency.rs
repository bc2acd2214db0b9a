//! Opt-in measurement for issue #10 / ADR 0022 (not a test; run through
//! `scripts/flood-latency.sh` against a release build of `cp247 demo`): the latency of
//! `/healthz` from one address while another address holds idle TCP connections to the node.
//!
//! ```text
//! flood_latency ADDR [--flood N] [--requests R] [--from IP] [--flood-from IP] [--reopen-ms MS]
//! ```
//!
//! 1. R requests with no flood (the baseline); 2. N connections opened from `--flood-from`
//!    (default 127.0.0.1), no byte sent, held; 3. R requests again from `--from` (default
//!    127.0.0.2), each on a new connection (`Connection: close`). With `--reopen-ms`, every
//!    flood connection the server closes is opened again after that pause (a sustained flood);
//!    without it, the closed sockets are kept as they are. Prints p50, p99 and the maximum, the
//!    failures, and how many flood connections the server had closed.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

struct Args {
    target: SocketAddr,
    flood: usize,
    requests: usize,
    from: IpAddr,
    flood_from: IpAddr,
    reopen: Option<Duration>,
}

fn args() -> anyhow::Result<Args> {
    let mut it = std::env::args().skip(1);
    let target = it
        .next()
        .context("usage: flood_latency HOST:PORT [--flood N] [--requests R] [--from IP] [--flood-from IP] [--reopen-ms MS]")?
        .parse()
        .context("the target must be an address such as 127.0.0.1:8443")?;
    let mut a = Args {
        target,
        flood: 2_000,
        requests: 200,
        from: "127.0.0.2".parse()?,
        flood_from: "127.0.0.1".parse()?,
        reopen: None,
    };
    while let Some(flag) = it.next() {
        let value = it.next().with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--flood" => a.flood = value.parse()?,
            "--requests" => a.requests = value.parse()?,
            "--from" => a.from = value.parse()?,
            "--flood-from" => a.flood_from = value.parse()?,
            "--reopen-ms" => a.reopen = Some(Duration::from_millis(value.parse()?)),
            other => bail!("unknown option {other}"),
        }
    }
    Ok(a)
}

fn raise_open_files(need: u64) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let now = getrlimit(Resource::Nofile);
    if now.current.is_some_and(|c| c < need) {
        let target = now.maximum.map_or(need, |m| m.min(need));
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(target),
                maximum: now.maximum,
            },
        );
    }
}

async fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = match from {
        IpAddr::V4(_) => TcpSocket::new_v4()?,
        IpAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.bind(SocketAddr::new(from, 0))?;
    socket.connect(to).await
}

/// One `/healthz` on a new connection; the time to the end of the answer.
async fn healthz(from: IpAddr, to: SocketAddr) -> anyhow::Result<Duration> {
    let start = Instant::now();
    let mut stream = connect_from(from, to).await?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: node\r\nConnection: close\r\n\r\n")
        .await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let took = start.elapsed();
    if !answer.starts_with(b"HTTP/1.1 200") {
        bail!("not 200");
    }
    Ok(took)
}

async fn measure(label: &str, a: &Args) {
    let mut times = Vec::with_capacity(a.requests);
    let mut failures = 0usize;
    for _ in 0..a.requests {
        match tokio::time::timeout(Duration::from_secs(30), healthz(a.from, a.target)).await {
            Ok(Ok(t)) => times.push(t),
            _ => failures += 1,
        }
    }
    times.sort();
    let at = |q: f64| {
        times
            .get(((times.len() as f64 * q).ceil() as usize).saturating_sub(1))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{label}: {} requests from {}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms, failed {failures}",
        a.requests,
        a.from,
        at(0.50),
        at(0.99),
        at(1.0),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let a = args()?;
    raise_open_files(a.flood as u64 * 2 + 1_024);
    measure("without flood", &a).await;

    let closed = Arc::new(AtomicUsize::new(0));
    let mut held = Vec::with_capacity(a.flood);
    for _ in 0..a.flood {
        held.push(connect_from(a.flood_from, a.target).await?);
    }
    println!(
        "opened {} idle connections from {} ({})",
        a.flood,
        a.flood_from,
        if a.reopen.is_some() {
            "each reopened when the server closes it"
        } else {
            "held, never reopened"
        }
    );
    let mut tasks = tokio::task::JoinSet::new();
    for mut stream in held {
        let closed = closed.clone();
        let (from, to, reopen) = (a.flood_from, a.target, a.reopen);
        tasks.spawn(async move {
            loop {
                let mut byte = [0u8; 1];
                let _ = stream.read(&mut byte).await;
                closed.fetch_add(1, Ordering::Relaxed);
                let Some(pause) = reopen else {
                    // Keep the closed socket, like a client that does not notice.
                    std::future::pending::<()>().await;
                    return;
                };
                tokio::time::sleep(pause).await;
                match connect_from(from, to).await {
                    Ok(s) => stream = s,
                    Err(_) => return,
                }
            }
        });
    }
    measure("during the flood", &a).await;
    println!(
        "the server had closed {} flood connections by the end",
        closed.load(Ordering::Relaxed)
    );
    tasks.abort_all();
    Ok(())
}

//! Networks of cp247 nodes on one machine, out of the `cp247` command (which stays thin): the
//! scaffolding the demo, the bench and the process tests share, and the two commands built on
//! it — [`demo`] (`cp247 demo`) and [`bench`] (`cp247 bench`). The CLI parses their arguments
//! and calls [`demo::run`] and [`bench::run`] with its own executable, which they start as
//! `cp247 serve` child processes.
//!
//! The scaffolding: a fresh directory authority, node directories (locked key, configuration,
//! pinned authority certificate, passphrase file; written through
//! `cp247_server::provision`, the same `cp247.toml` schema every command reads), API tokens
//! issued in each node's database before it starts, one signed directory listing every node,
//! and each node run as a child process (`cp247 serve`) on 127.0.0.1 with plain HTTP (the only
//! place cp247 allows it).
//!
//! Every child is started with `kill_on_drop`: dropping a [`ServeProcess`] (an error, a
//! panic, Ctrl-C unwinding the runtime) kills the node, so nothing is left running.

pub mod bench;
pub mod demo;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use cp247_domain::{ContactPointRole, PartyCode};
use cp247_seal::Passphrase;
use cp247_server::auth::Role;
use cp247_server::config::{ConfigFile, DeliverySection, PeersSection, Period};
use cp247_server::provision::{self, Authority, Listing, ListingStatus, NodeSpec, ProvisionedNode};
use rand::Rng;
use serde_json::Value;
use tokio::process::{Child, ChildStdin, Command};

/// Reads a JSON response of at most `limit` bytes.
pub async fn read_json(mut response: reqwest::Response, limit: usize) -> anyhow::Result<Value> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.context("reading the answer")? {
        if body.len() + chunk.len() > limit {
            bail!("the answer is larger than {limit} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).context("the answer is not JSON")
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?.port())
}

/// A free TCP port on 127.0.0.1 below the kernel's ephemeral range (from
/// `/proc/sys/net/ipv4/ip_local_port_range`, 32768 when unreadable), chosen at random: a port
/// a node listens on later must not be handed out meanwhile as the source port of an outgoing
/// connection — with many nodes on one machine, that happens.
pub fn listen_port() -> anyhow::Result<u16> {
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            t.split_whitespace()
                .next()
                .and_then(|v| v.parse::<u16>().ok())
        })
        .unwrap_or(32768);
    if low <= 12_000 {
        return free_port();
    }
    let mut rng = rand::rng();
    for _ in 0..200 {
        let port = rng.random_range(10_000..low);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    free_port()
}

/// A random passphrase of 24 unambiguous characters.
pub fn random_passphrase() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..24)
        .map(|_| {
            let i = rng.random_range(0..ALPHABET.len());
            char::from(ALPHABET.get(i).copied().unwrap_or(b'a'))
        })
        .collect()
}

/// The first `n` country Party codes (ISO 3166-1 alpha-2, in cp247's order), for networks
/// larger than a demo. An error when fewer exist.
pub fn party_codes(n: usize) -> anyhow::Result<Vec<PartyCode>> {
    let out: Vec<PartyCode> = PartyCode::countries().take(n).collect();
    if out.len() == n {
        Ok(out)
    } else {
        bail!(
            "only {} Party codes exist; {n} nodes were asked for",
            out.len()
        )
    }
}

/// One node to provision.
#[derive(Debug, Clone)]
pub struct NodePlan {
    /// The Party.
    pub party: PartyCode,
    /// The Party's name as listed.
    pub party_name: String,
    /// The unit's name.
    pub unit_name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Duty phone (E.164).
    pub duty_phone: String,
    /// The database URL (`None`: SQLite in the node directory).
    pub database_url: Option<String>,
}

/// Settings shared by every node of a local network.
#[derive(Debug, Clone)]
pub struct NetworkSettings {
    /// The authority's name.
    pub authority_name: String,
    /// Outbox settings.
    pub delivery: DeliverySection,
    /// Peer call settings (`None`: the defaults).
    pub peers: Option<PeersSection>,
    /// How often nodes re-read the directory file.
    pub refresh_every: Period,
    /// How long the signed directory is valid.
    pub directory_validity: jiff::SignedDuration,
}

/// A provisioned node with its API tokens (not running).
#[derive(Debug, Clone)]
pub struct LocalNode {
    /// The Party code, as text.
    pub code: String,
    /// The node's files.
    pub node: ProvisionedNode,
    /// An officer token.
    pub officer: String,
    /// An admin token.
    pub admin: String,
}

impl LocalNode {
    /// The node's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> &str {
        &self.node.endpoint
    }

    /// Starts `exe serve` for this node (see [`ServeProcess::spawn`]).
    pub async fn spawn(
        &self,
        exe: &Path,
        env: &[(String, String)],
    ) -> anyhow::Result<ServeProcess> {
        ServeProcess::spawn(exe, &self.code, &self.node.dir, &self.node.config_path, env).await
    }
}

/// Creates the authority, one node directory per plan (under `root/CODE`), API tokens, and
/// the signed directory `root/directory.json`; writes `root/authority-cert.asc`.
pub async fn provision(
    root: &Path,
    plans: &[NodePlan],
    settings: &NetworkSettings,
    now: jiff::Timestamp,
) -> anyhow::Result<Vec<LocalNode>> {
    let authority = Authority::generate(&settings.authority_name, now)?;
    let mut listings = Vec::new();
    let mut nodes = Vec::new();
    let mut ports = std::collections::HashSet::new();
    for plan in plans {
        // Random picks may repeat within one network; none may be given twice.
        let mut port = listen_port()?;
        let mut tries = 0;
        while !ports.insert(port) {
            tries += 1;
            if tries > 100 {
                bail!(
                    "cannot find {} distinct free ports on 127.0.0.1",
                    plans.len()
                );
            }
            port = listen_port()?;
        }
        let passphrase = random_passphrase();
        let spec = NodeSpec {
            party: plan.party,
            point: ContactPointRole::Primary,
            name: plan.unit_name.clone(),
            listen: format!("127.0.0.1:{port}").parse()?,
            endpoint: format!("http://127.0.0.1:{port}"),
            tls: false,
            database_url: plan.database_url.clone(),
            directory_source: Some("../directory.json".into()),
            passphrase_file: true,
            delivery: Some(settings.delivery.clone()),
            peers: settings.peers.clone(),
            limits: None,
            refresh_every: Some(settings.refresh_every),
        };
        let code = plan.party.as_str().to_owned();
        let node = provision::init_node(
            &root.join(&code),
            &spec,
            &authority.cert(),
            &Passphrase::new(passphrase.clone()),
            &passphrase,
            now,
        )?;
        let (officer, admin) = issue_tokens(&node.config_path, now).await?;
        listings.push(Listing {
            party_name: plan.party_name.clone(),
            node: node.clone(),
            duty_phones: vec![plan.duty_phone.clone()],
            time_zone: plan.time_zone.clone(),
            status: ListingStatus::Active,
        });
        nodes.push(LocalNode {
            code,
            node,
            officer,
            admin,
        });
    }
    authority.publish(
        &root.join("directory.json"),
        &listings,
        1,
        now,
        settings.directory_validity,
    )?;
    std::fs::write(root.join("authority-cert.asc"), authority.cert().armored())
        .context("writing the authority certificate")?;
    Ok(nodes)
}

/// Issues an officer and an admin token of machine accounts in the node's database (before it
/// starts), as the host operator; returns (officer, admin).
pub async fn issue_tokens(config: &Path, now: jiff::Timestamp) -> anyhow::Result<(String, String)> {
    use cp247_server::tokens::{self, Grant, Issuer, OperatorPath, TokenRequest};
    let config = ConfigFile::load(config, &[])?;
    let store =
        cp247_store::Store::connect(&config.database_url, cp247_store::StoreOptions::default())
            .await?;
    let mut out = Vec::new();
    let policy = config.file.tokens.policy();
    for (name, role) in [
        ("local-officer", Role::Officer),
        ("local-admin", Role::Administrator),
    ] {
        // A local network's tokens live as long as the node allows: test networks move their
        // clocks through whole preservations (months).
        let issued = tokens::issue(
            &store,
            now,
            &policy,
            &Issuer::Operator(OperatorPath::Offline),
            &TokenRequest {
                name: name.to_owned(),
                grant: Grant::Machine(role),
                lifetime_days: Some(policy.max_days),
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("issuing the {name} token: {e}"))?;
        out.push(issued.secret.reveal().to_owned());
    }
    store.close().await;
    let admin = out.pop().context("no admin token")?;
    let officer = out.pop().context("no officer token")?;
    Ok((officer, admin))
}

/// A running `cp247 serve` child process. Dropping it kills the process.
#[derive(Debug)]
pub struct ServeProcess {
    /// The Party code.
    pub code: String,
    /// The node directory (its `serve.log` and `serve.out` are there).
    pub dir: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
}

/// How long a node may take to print its "listening" line.
pub const START_TIMEOUT: Duration = Duration::from_secs(120);

impl ServeProcess {
    /// Starts `exe serve --config CONFIG --passphrase-file DIR/passphrase --stop-on-stdin-eof`
    /// with `env` added, logging to `DIR/serve.log` (appended), and waits for its "listening"
    /// line (at most [`START_TIMEOUT`]).
    pub async fn spawn(
        exe: &Path,
        code: &str,
        dir: &Path,
        config: &Path,
        env: &[(String, String)],
    ) -> anyhow::Result<ServeProcess> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("serve.log"))
            .with_context(|| format!("cannot open the log of {code}"))?;
        let out_path = dir.join("serve.out");
        let out = std::fs::File::create(&out_path)
            .with_context(|| format!("cannot create the output file of {code}"))?;
        let mut child = Command::new(exe)
            .arg("serve")
            .arg("--config")
            .arg(config)
            .arg("--passphrase-file")
            .arg(dir.join("passphrase"))
            .arg("--stop-on-stdin-eof")
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start the {code} node"))?;
        let stdin = child.stdin.take().context("no stdin pipe")?;
        let mut process = ServeProcess {
            code: code.to_owned(),
            dir: dir.to_path_buf(),
            child,
            stdin: Some(stdin),
        };
        let started = std::time::Instant::now();
        while started.elapsed() < START_TIMEOUT {
            let text = std::fs::read_to_string(&out_path).unwrap_or_default();
            if text.contains("listening on") {
                return Ok(process);
            }
            if let Ok(Some(_)) = process.child.try_wait() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        process.kill().await;
        bail!(
            "the {code} node did not start; the end of its log:\n{}",
            process.log_tail(20)
        )
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The last `n` lines of the node's log.
    pub fn log_tail(&self, n: usize) -> String {
        let log = std::fs::read_to_string(self.dir.join("serve.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines
            .get(lines.len().saturating_sub(n)..)
            .unwrap_or_default()
            .join("\n")
    }

    /// SIGKILL, waited for: the node gets no chance to finish anything.
    pub async fn kill(&mut self) {
        self.stdin = None;
        let _ = self.child.kill().await;
    }

    /// A clean stop: closes the node's standard input and waits up to `timeout`; a node still
    /// running then is killed. `Ok(true)` when it exited successfully (or by a signal that
    /// reached it from the terminal).
    pub async fn stop(&mut self, timeout: Duration) -> anyhow::Result<bool> {
        self.stdin = None;
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(status)) => Ok(status.success() || status.code().is_none()),
            Ok(Err(e)) => Err(e).with_context(|| format!("waiting for the {} node", self.code)),
            Err(_) => {
                let _ = self.child.kill().await;
                Ok(false)
            }
        }
    }
}

/// A fresh PostgreSQL database made with the `createdb` tool through an administrative URL
/// (`postgres://user@host:port/db`); dropped (`dropdb --force`) when this value drops.
#[derive(Debug)]
pub struct PgDatabase {
    /// The new database's URL.
    pub url: String,
    name: String,
    admin: url::Url,
}

fn pg_args(admin: &url::Url) -> Vec<String> {
    let mut args = vec![
        "-h".to_owned(),
        admin.host_str().unwrap_or("127.0.0.1").to_owned(),
        "-p".to_owned(),
        admin.port().unwrap_or(5432).to_string(),
    ];
    if !admin.username().is_empty() {
        args.push("-U".to_owned());
        args.push(admin.username().to_owned());
    }
    args
}

impl PgDatabase {
    /// Creates `PREFIX_PID_RANDOM` on the server of `admin_url`.
    pub fn create(admin_url: &str, prefix: &str) -> anyhow::Result<PgDatabase> {
        let admin = url::Url::parse(admin_url).context("the PostgreSQL URL does not parse")?;
        let name = format!("{prefix}_{}_{}", std::process::id(), rand::random::<u32>());
        let out = std::process::Command::new("createdb")
            .args(pg_args(&admin))
            .arg(&name)
            .env("PGPASSWORD", admin.password().unwrap_or_default())
            .output()
            .context("cannot run createdb (PostgreSQL client tools)")?;
        if !out.status.success() {
            bail!(
                "cannot create a PostgreSQL database on {}: {}",
                admin.host_str().unwrap_or("?"),
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        let mut db = admin.clone();
        db.set_path(&format!("/{name}"));
        Ok(PgDatabase {
            url: db.to_string(),
            name,
            admin,
        })
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = std::process::Command::new("dropdb")
            .args(pg_args(&self.admin))
            .arg("--if-exists")
            .arg("--force")
            .arg(&self.name)
            .env("PGPASSWORD", self.admin.password().unwrap_or_default())
            .output();
    }
}

//! A harness for process tests: a directory authority, node directories under a temporary
//! directory, and real `cp247 serve` processes (the binary under test) on 127.0.0.1 — started,
//! stopped cleanly, or killed with SIGKILL; every process is killed when its handle drops.
//!
//! PostgreSQL: [`pg_database`] creates a fresh database per test from `CP247_TEST_PG_URL` with
//! the `createdb` tool and drops it at the end. When the variable is unset or the server does
//! not answer, the test is skipped loudly — except under `CI=true`, where it fails.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use cp247_domain::{Clock, ContactPointRole, PartyCode, SystemClock};
use cp247_seal::Passphrase;
use cp247_server::config::{ConfigFile, DeliverySection, PeersSection, Period};
use cp247_server::provision::{
    self, Authority, EmailListing, Listing, ListingStatus, NodeSpec, ProvisionedNode,
};
use serde_json::{Value, json};

pub const PASS: &str = "process-test passphrase, not secret";

pub fn now() -> jiff::Timestamp {
    SystemClock.now()
}

pub fn free_port() -> u16 {
    cp247_localnet::free_port().unwrap()
}

/// Delivery settings that make retries and lease take-overs quick.
pub fn fast_delivery() -> DeliverySection {
    DeliverySection {
        lease: Period::secs(4),
        first_retry: Period::millis(200),
        max_backoff: Period::secs(2),
        poll_every: Period::millis(100),
        ..DeliverySection::default()
    }
}

pub fn fast_peers() -> PeersSection {
    PeersSection {
        connect_timeout: Period::secs(1),
        read_timeout: Period::secs(3),
        total_timeout: Period::secs(3),
    }
}

pub use cp247_localnet::PgDatabase;

/// A fresh database through `CP247_TEST_PG_URL`, or `None` (skip) outside CI.
#[allow(clippy::disallowed_methods)] // the test reads its environment
pub fn pg_database(test: &str) -> Option<PgDatabase> {
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let Ok(url) = std::env::var("CP247_TEST_PG_URL") else {
        if ci {
            panic!(
                "CP247_TEST_PG_URL is not set: under CI=true the PostgreSQL process tests must run"
            );
        }
        eprintln!("\n*** SKIPPED {test} on PostgreSQL: CP247_TEST_PG_URL is not set ***\n");
        return None;
    };
    match PgDatabase::create(&url, "cp247_node") {
        Ok(db) => Some(db),
        Err(why) => {
            if ci {
                panic!("cannot create a PostgreSQL test database through {url}: {why:#}");
            }
            eprintln!(
                "\n*** SKIPPED {test} on PostgreSQL: the server does not answer ({why:#}) ***\n"
            );
            None
        }
    }
}

/// A node's files and, when running, its process.
pub struct NodeProc {
    pub code: &'static str,
    pub provisioned: ProvisionedNode,
    pub url: String,
    pub officer: String,
    pub admin: String,
    /// Extra environment for the process (`CP247__…` overrides).
    pub env: Vec<(String, String)>,
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    starts: u32,
}

impl NodeProc {
    pub fn dir(&self) -> &Path {
        &self.provisioned.dir
    }

    pub fn config(&self) -> &Path {
        &self.provisioned.config_path
    }

    /// The process id of the running node (to read its memory from `/proc`).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn is_running(&mut self) -> bool {
        match &mut self.child {
            Some(c) => matches!(c.try_wait(), Ok(None)),
            None => false,
        }
    }

    /// Starts `cp247 serve` and waits until `/readyz` answers 200.
    pub async fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.code);
        self.starts += 1;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir().join("serve.log"))
            .unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_cp247"))
            .arg("serve")
            .arg("--config")
            .arg(self.config())
            .arg("--passphrase-file")
            .arg(self.dir().join("passphrase"))
            .arg("--stop-on-stdin-eof")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("cp247 serve starts");
        self.stdin = child.stdin.take();
        self.child = Some(child);
        let http = client();
        let deadline = Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(r) = http.get(format!("{}/readyz", self.url)).send().await
                && r.status() == 200
            {
                return;
            }
            if !self.is_running() {
                panic!("{} exited during start:\n{}", self.code, self.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "{} not ready in 90 s:\n{}",
                self.code,
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
        self.stdin = None;
    }

    /// A clean stop (end of standard input), waited for.
    pub fn stop(&mut self) {
        self.stdin = None;
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(40);
            loop {
                match child.try_wait() {
                    Ok(Some(status)) => {
                        assert!(status.success(), "{} stopped with {status}", self.code);
                        return;
                    }
                    Ok(None) if Instant::now() < deadline => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    _ => {
                        let _ = child.kill();
                        panic!("{} did not stop in 40 s:\n{}", self.code, self.log_tail());
                    }
                }
            }
        }
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(self.dir().join("serve.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// A second process of the same node (same directory, database and key) listening on
    /// `port`: on PostgreSQL, several processes may serve one node.
    pub fn twin(&self, port: u16) -> NodeProc {
        let mut env = self.env.clone();
        env.push(("CP247__LISTEN".into(), format!("127.0.0.1:{port}")));
        NodeProc {
            code: self.code,
            provisioned: self.provisioned.clone(),
            url: format!("http://127.0.0.1:{port}"),
            officer: self.officer.clone(),
            admin: self.admin.clone(),
            env,
            child: None,
            stdin: None,
            starts: 0,
        }
    }

    /// The database URL of this node.
    pub fn database_url(&self) -> String {
        ConfigFile::load(self.config(), &self.env)
            .unwrap()
            .database_url
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub fn client() -> reqwest::Client {
    cp247_federation::tls::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// A network: authority, node directories, the signed directory file.
pub struct Network {
    pub tmp: tempfile::TempDir,
    pub authority: Authority,
    pub nodes: Vec<NodeProc>,
    pub serial: u64,
}

/// What a node is made of.
pub struct NodeOptions {
    pub code: &'static str,
    pub database_url: Option<String>,
    pub delivery: DeliverySection,
}

impl NodeOptions {
    pub fn sqlite(code: &'static str) -> Self {
        Self {
            code,
            database_url: None,
            delivery: fast_delivery(),
        }
    }
}

impl Network {
    /// Node directories for `nodes` (tokens issued, directory signed); nothing started.
    pub async fn new(nodes: Vec<NodeOptions>) -> Network {
        Self::new_with_keys_from(nodes, now()).await
    }

    /// The same, with every key created at `created` (so messages can be dated back to it).
    pub async fn new_with_keys_from(nodes: Vec<NodeOptions>, created: jiff::Timestamp) -> Network {
        let tmp = tempfile::tempdir().unwrap();
        let authority = Authority::generate("Process test secretariat", created).unwrap();
        let mut procs = Vec::new();
        for options in nodes {
            let port = free_port();
            let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            // "MD-alt" is the alternate contact point of MD, served by its own node.
            let (party, point) = match options.code.strip_suffix("-alt") {
                Some(party) => (party, ContactPointRole::Alternate),
                None => (options.code, ContactPointRole::Primary),
            };
            let spec = NodeSpec {
                party: PartyCode::parse(party).unwrap(),
                point,
                name: format!("{} test unit", options.code),
                listen,
                endpoint: format!("http://127.0.0.1:{port}"),
                tls: false,
                database_url: options.database_url.clone(),
                directory_source: Some("../directory.json".into()),
                passphrase_file: true,
                delivery: Some(options.delivery.clone()),
                peers: Some(fast_peers()),
                limits: None,
                refresh_every: Some(Period::secs(2)),
            };
            let provisioned = provision::init_node(
                &tmp.path().join(options.code),
                &spec,
                &authority.cert(),
                &Passphrase::new(PASS.into()),
                PASS,
                created,
            )
            .unwrap();
            let (officer, admin) = issue_tokens(&provisioned.config_path).await;
            procs.push(NodeProc {
                code: options.code,
                url: provisioned.endpoint.clone(),
                provisioned,
                officer,
                admin,
                env: Vec::new(),
                child: None,
                stdin: None,
                starts: 0,
            });
        }
        let mut net = Network {
            tmp,
            authority,
            nodes: procs,
            serial: 0,
        };
        net.publish(&[]);
        net
    }

    /// Signs and writes a new directory (next serial) with the given statuses.
    pub fn publish(&mut self, statuses: &[(&str, ListingStatus)]) {
        self.publish_valid_for(statuses, jiff::SignedDuration::from_hours(24));
    }

    /// The same, valid for `valid_for` from now (a test that moves its nodes' clocks weeks
    /// ahead needs a directory that is still valid then).
    pub fn publish_valid_for(
        &mut self,
        statuses: &[(&str, ListingStatus)],
        valid_for: jiff::SignedDuration,
    ) {
        self.publish_with_email(statuses, &[], valid_for);
    }

    /// The same, with contact points that have no node (reached by PGP/MIME e-mail).
    pub fn publish_with_email(
        &mut self,
        statuses: &[(&str, ListingStatus)],
        emails: &[EmailListing],
        valid_for: jiff::SignedDuration,
    ) {
        self.serial += 1;
        let listings: Vec<Listing> = self
            .nodes
            .iter()
            .map(|n| Listing {
                party_name: format!("Party {}", n.code),
                node: n.provisioned.clone(),
                duty_phones: vec!["+33140000000".into()],
                time_zone: "Europe/Paris".into(),
                status: statuses
                    .iter()
                    .find(|(c, _)| *c == n.code)
                    .map_or(ListingStatus::Active, |(_, s)| s.clone()),
            })
            .collect();
        self.authority
            .publish_with_email(
                &self.tmp.path().join("directory.json"),
                &listings,
                emails,
                self.serial,
                now(),
                valid_for,
            )
            .unwrap();
    }

    pub fn node(&mut self, code: &str) -> &mut NodeProc {
        self.nodes.iter_mut().find(|n| n.code == code).unwrap()
    }
}

/// An officer and an admin token, written into the node's database before it starts.
pub async fn issue_tokens(config: &Path) -> (String, String) {
    cp247_localnet::issue_tokens(config, now()).await.unwrap()
}

pub fn art29() -> Value {
    serde_json::from_str(cp247_forms::examples::json(cp247_forms::Kind::Art29)).unwrap()
}

/// What a task needs to call a node's API (cloneable into spawned tasks).
pub struct RemoteNode {
    pub url: String,
    pub officer: String,
}

impl RemoteNode {
    /// Sends the Art. 29 example to `to`; an error when the node does not answer 201.
    pub async fn try_send(&self, to: &str) -> Result<(String, String), String> {
        let http = client();
        let r = http
            .post(format!("{}/api/v1/requests", self.url))
            .bearer_auth(&self.officer)
            .json(&json!({ "to": to, "document": art29() }))
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let body: Value = r.json().await.map_err(|e| e.to_string())?;
        if status != 201 {
            return Err(format!("{status}: {body}"));
        }
        Ok((
            body["ticket"].as_str().unwrap_or_default().to_owned(),
            body["message_id"].as_str().unwrap_or_default().to_owned(),
        ))
    }

    /// Sends the Art. 29 example to `to`; returns (ticket, message id).
    pub async fn send(&self, to: &str) -> (String, String) {
        let http = client();
        let r = http
            .post(format!("{}/api/v1/requests", self.url))
            .bearer_auth(&self.officer)
            .json(&json!({ "to": to, "document": art29() }))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, 201, "{body}");
        (
            body["ticket"].as_str().unwrap().to_owned(),
            body["message_id"].as_str().unwrap().to_owned(),
        )
    }
}

/// Sends the Art. 29 example from `from` to `to`; returns (ticket, message id).
pub async fn send_request(http: &reqwest::Client, from: &NodeProc, to: &str) -> (String, String) {
    let r = http
        .post(format!("{}/api/v1/requests", from.url))
        .bearer_auth(&from.officer)
        .json(&json!({ "to": to, "document": art29() }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    (
        body["ticket"].as_str().unwrap().to_owned(),
        body["message_id"].as_str().unwrap().to_owned(),
    )
}

/// GET a JSON document with the officer token.
pub async fn get(http: &reqwest::Client, node: &NodeProc, path: &str) -> Value {
    let r = http
        .get(format!("{}{path}", node.url))
        .bearer_auth(&node.officer)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "GET {path}: {}", r.status());
    r.json().await.unwrap()
}

/// How many outgoing messages of `node` are in `state` (all pages).
pub async fn count_deliveries(http: &reqwest::Client, node: &NodeProc, state: &str) -> usize {
    let mut total = 0;
    let mut offset = 0;
    loop {
        let page = get(
            http,
            node,
            &format!("/api/v1/deliveries?state={state}&offset={offset}&limit=500"),
        )
        .await;
        let n = page["items"].as_array().unwrap().len();
        total += n;
        if page["next"].is_null() {
            return total;
        }
        offset += n;
    }
}

/// Waits until `node` has `n` delivered messages (or panics after `secs`).
pub async fn wait_all_delivered(http: &reqwest::Client, node: &mut NodeProc, n: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let delivered = count_deliveries(http, node, "delivered").await;
        if delivered >= n {
            assert_eq!(delivered, n, "more deliveries than messages");
            return;
        }
        if Instant::now() >= deadline {
            let undeliverable = count_deliveries(http, node, "undeliverable").await;
            panic!(
                "{}: only {delivered} of {n} delivered after {secs} s ({undeliverable} undeliverable)\n{}",
                node.code,
                node.log_tail()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Writes the summary line of a long test to stderr (shown with --nocapture).
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// The process-test directory, for reading files after the nodes stopped.
pub fn path_of(net: &Network, rel: &str) -> PathBuf {
    net.tmp.path().join(rel)
}

/// Whether the tests run under `CI=true` (a missing prerequisite then fails instead of skipping).
pub fn ci() -> bool {
    #[allow(clippy::disallowed_methods)] // the CI switch of the test harness
    let ci = std::env::var("CI").is_ok_and(|v| v == "true");
    ci
}

/// The loopback Postfix (`CP247_TEST_SMTP`, `CP247_TEST_MAILDIR`, set up by
/// `scripts/postfix-local.sh`), or `None` (a loud skip; under `CI=true` a failure).
pub fn loopback_postfix() -> Option<(String, std::path::PathBuf)> {
    #[allow(clippy::disallowed_methods)] // test prerequisites come from the environment
    let vars = (
        std::env::var("CP247_TEST_SMTP").ok(),
        std::env::var("CP247_TEST_MAILDIR").ok(),
    );
    let (Some(smtp), Some(maildir)) = vars else {
        assert!(
            !ci(),
            "CP247_TEST_SMTP and CP247_TEST_MAILDIR must be set under CI=true (run scripts/postfix-local.sh)"
        );
        eprintln!("SKIPPED: CP247_TEST_SMTP / CP247_TEST_MAILDIR not set");
        return None;
    };
    let reachable = std::net::TcpStream::connect_timeout(
        &smtp.parse().expect("CP247_TEST_SMTP is IP:PORT"),
        Duration::from_secs(5),
    )
    .is_ok();
    assert!(reachable, "the SMTP server {smtp} is not reachable");
    Some((smtp, maildir.into()))
}

#![allow(dead_code)] // each test file uses part of the harness
//! The in-process web test harness shared by `web.rs`, `web_compose.rs` and `web_reply.rs`: a FR
//! node started on 127.0.0.1 with a manual clock, and MD listed in the same signed directory
//! but never started (its listing gives pages the other side's unit and time zone).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use cp247_casework::keys::Passphrase;
use cp247_domain::{Clock, ContactPointRole, ManualClock, PartyCode, SystemClock};
use cp247_server::config::ConfigFile;
use cp247_server::node::{self, RunningNode};
use cp247_server::provision::{self, Authority, Listing, ListingStatus, NodeSpec};

/// The nodes' key passphrase (and the test authority's).
pub const PASS: &str = "correct horse battery staple";

/// A running FR node.
pub struct Node {
    pub _tmp: tempfile::TempDir,
    pub node: RunningNode,
    pub clock: Arc<ManualClock>,
    pub base: String,
}

/// How MD, the other Party, is listed.
#[derive(Debug, Clone, Copy)]
pub struct Other {
    /// Its unit's name.
    pub unit: &'static str,
    /// Its time zone.
    pub zone: &'static str,
}

pub async fn start_with(other: Other) -> Node {
    start_configured(other, |_| {}).await
}

/// The same, with the node's configuration changed by `edit` before it starts.
pub async fn start_configured(
    other: Other,
    edit: impl FnOnce(&mut cp247_server::config::NodeConfig),
) -> Node {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let now = SystemClock.now();
    let authority = Authority::generate("Test secretariat", now).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let spec = NodeSpec {
        party: PartyCode::parse("FR").unwrap(),
        point: ContactPointRole::Primary,
        name: "FR unit".into(),
        listen,
        endpoint: format!("http://127.0.0.1:{port}"),
        tls: false,
        database_url: None,
        directory_source: Some("../directory.json".into()),
        passphrase_file: true,
        delivery: None,
        peers: None,
        limits: None,
        refresh_every: None,
    };
    let provisioned = provision::init_node(
        &root.join("FR"),
        &spec,
        &authority.cert(),
        &Passphrase::new(PASS.into()),
        PASS,
        now,
    )
    .unwrap();
    // A second Party, never started: its listing gives pages the other side's zone and unit.
    let listed = provision::init_node(
        &root.join("MD"),
        &NodeSpec {
            party: PartyCode::parse("MD").unwrap(),
            name: other.unit.into(),
            endpoint: "http://127.0.0.1:9".into(),
            directory_source: None,
            ..spec.clone()
        },
        &authority.cert(),
        &Passphrase::new(PASS.into()),
        PASS,
        now,
    )
    .unwrap();
    authority
        .publish(
            &root.join("directory.json"),
            &[
                Listing {
                    party_name: "France".into(),
                    node: provisioned.clone(),
                    duty_phones: vec!["+33140000000".into()],
                    time_zone: "Europe/Paris".into(),
                    status: ListingStatus::Active,
                },
                Listing {
                    party_name: "Moldova".into(),
                    node: listed,
                    duty_phones: vec!["+37322000000".into()],
                    time_zone: other.zone.into(),
                    status: ListingStatus::Active,
                },
            ],
            1,
            now,
            jiff::SignedDuration::from_hours(24),
        )
        .unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let mut config = ConfigFile::load(&provisioned.config_path, &[]).unwrap();
    edit(&mut config);
    let node = node::start(config, Passphrase::new(PASS.into()), clock.clone())
        .await
        .unwrap();
    let base = format!("http://{}", node.local_addr);
    Node {
        _tmp: tmp,
        node,
        clock,
        base,
    }
}

pub fn client() -> reqwest::Client {
    cp247_federation::tls::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A token of `account`, issued as that person would from their signed-in session (through
/// the one issuing path, `cp247_server::tokens::issue`).
pub async fn own_token(n: &Node, account: &cp247_store::Account) -> String {
    use cp247_server::tokens::{Grant, Issuer, TokenRequest, issue};
    let ctx = &n.node.context;
    issue(
        &ctx.store,
        n.clock.now(),
        &ctx.config.file.tokens.policy(),
        &Issuer::Person(account.clone()),
        &TokenRequest {
            name: format!("t-{}", account.username),
            grant: Grant::OwnAccount,
            lifetime_days: None,
        },
    )
    .await
    .unwrap()
    .secret
    .reveal()
    .to_owned()
}

/// A token of a new machine account with `role`, issued by the host operator.
pub async fn machine_token(n: &Node, name: &str, role: cp247_server::auth::Role) -> String {
    use cp247_server::tokens::{Grant, Issuer, OperatorPath, TokenRequest, issue};
    let ctx = &n.node.context;
    issue(
        &ctx.store,
        n.clock.now(),
        &ctx.config.file.tokens.policy(),
        &Issuer::Operator(OperatorPath::Offline),
        &TokenRequest {
            name: name.to_owned(),
            grant: Grant::Machine(role),
            lifetime_days: None,
        },
    )
    .await
    .unwrap()
    .secret
    .reveal()
    .to_owned()
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! A network upgraded one node at a time (ADR 0028): FR and DE read protocol level 2 and the
//! directory lists them so; MD reads only level 1 (`[federation] reads = 1`, not listed).
//! Level 2 adds one thing: a receipt that states `ack_due` (`cp247-receipt/2`). Nodes talk
//! through their real listeners and the HTTPS transport (plain HTTP on loopback).
//!
//! What is asserted: FR *downgrades* its receipt for MD to version 1 (the content allows it:
//! `ack_due` only informs), so MD's deliveries are accepted and nobody is refused; DE and FR
//! exchange version 2 receipts with the instant; each node's identity names its level; and,
//! as a control that the versions matter, a directory that lists MD at a level it does not
//! read makes MD refuse FR's receipt with `unsupported_version` and keep retrying.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cp247_casework::evidence::read_receipt;
use cp247_casework::keys::Passphrase;
use cp247_domain::{AdvertisedLevel, ContactPointRole, PartyCode, ProtocolLevel, SystemClock};
use cp247_server::auth::Role;
use cp247_server::config::{ConfigFile, DeliverySection, PeersSection, Period};
use cp247_server::node::{self, RunningNode};
use cp247_server::provision::{self, Authority, Listing, ListingStatus, NodeSpec, ProvisionedNode};
use serde_json::{Value, json};

const PASS: &str = "correct horse battery staple";

fn now() -> jiff::Timestamp {
    use cp247_domain::Clock;
    SystemClock.now()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Net {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    authority: Authority,
    nodes: Vec<ProvisionedNode>,
}

impl Net {
    /// Nodes for `parties`, each with the `[federation] reads` given (None: the default, this
    /// release's highest), none listed with a level yet.
    fn build(parties: &[(&str, Option<u16>)]) -> Net {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let authority = Authority::generate("Test secretariat", now()).unwrap();
        let mut nodes = Vec::new();
        for (code, reads) in parties {
            let port = free_port();
            let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let spec = NodeSpec {
                party: PartyCode::parse(code).unwrap(),
                point: ContactPointRole::Primary,
                name: format!("{code} unit"),
                listen,
                endpoint: format!("http://127.0.0.1:{port}"),
                tls: false,
                database_url: None,
                directory_source: Some("../directory.json".into()),
                passphrase_file: true,
                delivery: Some(DeliverySection {
                    lease: Period::secs(6),
                    first_retry: Period::millis(200),
                    max_backoff: Period::secs(1),
                    poll_every: Period::millis(100),
                    ..DeliverySection::default()
                }),
                peers: Some(PeersSection {
                    connect_timeout: Period::secs(2),
                    read_timeout: Period::secs(4),
                    total_timeout: Period::secs(5),
                }),
                limits: None,
                refresh_every: Some(Period::secs(1)),
            };
            let node = provision::init_node(
                &root.join(code),
                &spec,
                &authority.cert(),
                &Passphrase::new(PASS.into()),
                PASS,
                now(),
            )
            .unwrap();
            if let Some(level) = reads {
                // The operator's key for staged upgrades.
                let text = std::fs::read_to_string(&node.config_path).unwrap();
                std::fs::write(
                    &node.config_path,
                    format!("{text}\n[federation]\nreads = {level}\n"),
                )
                .unwrap();
            }
            nodes.push(node);
        }
        Net {
            _tmp: tmp,
            root,
            authority,
            nodes,
        }
    }

    /// Lists each node with the level given (None: no level listed) and publishes.
    fn publish(&mut self, serial: u64, levels: &[Option<u16>]) {
        for (node, level) in self.nodes.iter_mut().zip(levels) {
            node.reads = level.map(|n| AdvertisedLevel::new(n).unwrap());
        }
        let listings: Vec<Listing> = self
            .nodes
            .iter()
            .map(|n| Listing {
                party_name: format!("Party {}", n.address.party),
                node: n.clone(),
                duty_phones: vec!["+33140000000".into()],
                time_zone: "Europe/Paris".into(),
                status: ListingStatus::Active,
            })
            .collect();
        self.authority
            .publish(
                &self.root.join("directory.json"),
                &listings,
                serial,
                now(),
                jiff::SignedDuration::from_hours(24),
            )
            .unwrap();
    }
}

async fn start(net: &Net, i: usize) -> RunningNode {
    let config = ConfigFile::load(&net.nodes[i].config_path, &[]).unwrap();
    node::start(config, Passphrase::new(PASS.into()), Arc::new(SystemClock))
        .await
        .unwrap()
}

async fn stop(node: RunningNode) {
    node.shutdown_token().cancel();
    tokio::time::timeout(Duration::from_secs(30), node.wait())
        .await
        .expect("the node stops within 30 s");
}

async fn token(node: &RunningNode) -> String {
    use cp247_server::tokens::{Grant, Issuer, OperatorPath, TokenRequest, issue};
    let ctx = &node.context;
    issue(
        &ctx.store,
        now(),
        &ctx.config.file.tokens.policy(),
        &Issuer::Operator(OperatorPath::Offline),
        &TokenRequest {
            name: "officer".into(),
            grant: Grant::Machine(Role::Officer),
            lifetime_days: None,
        },
    )
    .await
    .unwrap()
    .secret
    .reveal()
    .to_owned()
}

fn base(node: &RunningNode) -> String {
    format!("http://{}", node.local_addr)
}

/// The Art. 29 example, from `from` to `to`.
fn art29(from: &str, to: &str) -> Value {
    let mut doc: Value =
        serde_json::from_str(cp247_forms::examples::json(cp247_forms::Kind::Art29)).unwrap();
    doc["requested_authority"]["party"] = json!(to);
    doc["requesting_authority"]["party"] = json!(from);
    doc["investigative_authority"]["party"] = json!(from);
    doc
}

/// Sends an Art. 29 request from `from` to `to` and returns its ticket.
async fn send(http: &reqwest::Client, from: &RunningNode, tok: &str, to: &str) -> String {
    let r = http
        .post(format!("{}/api/v1/requests", base(from)))
        .bearer_auth(tok)
        .json(&json!({ "to": to, "document": art29(from.context.me.party.as_str(), to) }))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    body["ticket"].as_str().unwrap().to_owned()
}

async fn delivery(http: &reqwest::Client, node: &RunningNode, tok: &str, ticket: &str) -> Value {
    let shown: Value = http
        .get(format!("{}/api/v1/tickets/{ticket}", base(node)))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    shown["messages"][0]["delivery"].clone()
}

/// Waits until the first message of `ticket` is delivered; returns its receipt.
async fn delivered_receipt(
    http: &reqwest::Client,
    node: &RunningNode,
    tok: &str,
    ticket: &str,
) -> cp247_casework::evidence::Receipt {
    for _ in 0..300 {
        let d = delivery(http, node, tok, ticket).await;
        if d["state"] == "delivered" {
            assert_eq!(d["attempts"], 1, "delivered at the first attempt: {d}");
            return read_receipt(d["receipt"].as_str().unwrap().as_bytes()).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{ticket} was not delivered in 30 s");
}

async fn identity_protocol(http: &reqwest::Client, node: &RunningNode) -> String {
    let id: Value = http
        .get(format!("{}/federation/v1/identity", base(node)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    id["protocol"].as_str().unwrap().to_owned()
}

/// Refusals a node answered, from its audit log (action `reject`).
async fn refusals(node: &RunningNode) -> usize {
    let entries = node.context.store.audit_entries(0, 10_000).await.unwrap();
    entries
        .iter()
        .filter(|e| e.action.as_str() == "reject")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_level_1_node_and_level_2_nodes_work_together_one_receipt_version_each() {
    // FR and DE on this release's level (2); MD held at level 1.
    let mut net = Net::build(&[("FR", None), ("DE", None), ("MD", Some(1))]);
    net.publish(1, &[Some(2), Some(2), None]);
    let fr = start(&net, 0).await;
    let de = start(&net, 1).await;
    let md = start(&net, 2).await;
    cp247_federation::tls::install_crypto_provider();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let (fr_tok, de_tok, md_tok) = (token(&fr).await, token(&de).await, token(&md).await);

    // Each node says what it reads.
    assert_eq!(identity_protocol(&http, &fr).await, "cp247-federation/2");
    assert_eq!(identity_protocol(&http, &md).await, "cp247-federation/1");
    assert_eq!(md.context.work.level(), ProtocolLevel::V1);

    // MD → FR: FR writes its receipt for a level-1 reader: version 1, no ack_due. MD reads
    // it at the first attempt; nothing is refused anywhere.
    let t1 = send(&http, &md, &md_tok, "FR").await;
    let r1 = delivered_receipt(&http, &md, &md_tok, &t1).await;
    assert_eq!(r1.version(), 1);
    assert_eq!(r1.ack_due, None);

    // DE → FR: both read level 2: the receipt is version 2 and states when FR owes the
    // acknowledgement, after it received the request.
    let t2 = send(&http, &de, &de_tok, "FR").await;
    let r2 = delivered_receipt(&http, &de, &de_tok, &t2).await;
    assert_eq!(r2.version(), 2);
    let due = r2.ack_due.expect("a level-2 receipt states ack_due");
    assert!(
        due.timestamp() > r2.received_at.timestamp(),
        "{due} after {}",
        r2.received_at
    );

    // FR → MD: MD (level 1 reader, this release) writes for FR what FR reads.
    let t3 = send(&http, &fr, &fr_tok, "MD").await;
    let r3 = delivered_receipt(&http, &fr, &fr_tok, &t3).await;
    assert_eq!(r3.version(), 2);

    for n in [&fr, &de, &md] {
        assert_eq!(refusals(n).await, 0, "{} refused nothing", n.context.me);
    }

    // Control: a directory that lists MD at level 2 while MD still reads level 1. FR now
    // writes receipt/2 for MD, which MD refuses as a version it does not read: the message
    // is not delivered and the attempt names the reason.
    net.publish(2, &[Some(2), Some(2), Some(2)]);
    for n in [&fr, &md] {
        for _ in 0..300 {
            let serial = n
                .context
                .directory
                .snapshot()
                .current()
                .map(|d| d.directory().serial());
            if serial == Some(2) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let t4 = send(&http, &md, &md_tok, "FR").await;
    let mut last = Value::Null;
    for _ in 0..100 {
        last = delivery(&http, &md, &md_tok, &t4).await;
        if last["attempts"].as_u64().unwrap_or(0) >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(last["state"], "delivered", "{last}");
    assert!(
        last.to_string().contains("unsupported_version")
            || last.to_string().contains("cp247-receipt/2"),
        "{last}"
    );

    stop(fr).await;
    stop(de).await;
    stop(md).await;
}

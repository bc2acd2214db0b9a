#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! Two or three nodes started in-process on 127.0.0.1, talking through their real listeners:
//! request → delivery → receipt, refusals over HTTP, readiness, tokens, metrics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cp247_domain::{ContactPointRole, PartyCode, SystemClock};
use cp247_seal::Passphrase;
use cp247_server::auth::{IssuedToken, Role};
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

fn fast_delivery() -> DeliverySection {
    DeliverySection {
        lease: Period::secs(6),
        first_retry: Period::millis(200),
        max_backoff: Period::secs(2),
        poll_every: Period::millis(100),
        ..DeliverySection::default()
    }
}

fn fast_peers() -> PeersSection {
    PeersSection {
        connect_timeout: Period::secs(2),
        read_timeout: Period::secs(4),
        total_timeout: Period::secs(5),
    }
}

impl Net {
    fn build(parties: &[&str], tls: bool) -> Net {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let authority = Authority::generate("Test secretariat", now()).unwrap();
        let mut nodes = Vec::new();
        for code in parties {
            let port = free_port();
            let listen: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
            let scheme = if tls { "https" } else { "http" };
            let spec = NodeSpec {
                party: PartyCode::parse(code).unwrap(),
                point: ContactPointRole::Primary,
                name: format!("{code} unit"),
                listen,
                endpoint: format!("{scheme}://127.0.0.1:{port}"),
                tls,
                database_url: None,
                directory_source: Some("../directory.json".into()),
                passphrase_file: true,
                delivery: Some(fast_delivery()),
                peers: Some(fast_peers()),
                limits: None,
                refresh_every: None,
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
            nodes.push(node);
        }
        let net = Net {
            _tmp: tmp,
            root,
            authority,
            nodes,
        };
        net.publish(1, &[]);
        net
    }

    fn publish(&self, serial: u64, statuses: &[(&str, ListingStatus)]) {
        let listings: Vec<Listing> = self
            .nodes
            .iter()
            .map(|n| Listing {
                party_name: format!("Party {}", n.address.party),
                node: n.clone(),
                duty_phones: vec!["+33140000000".into()],
                time_zone: "Europe/Paris".into(),
                status: statuses
                    .iter()
                    .find(|(p, _)| *p == n.address.party.as_str())
                    .map_or(ListingStatus::Active, |(_, s)| s.clone()),
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

    fn config(&self, i: usize) -> &Path {
        &self.nodes[i].config_path
    }
}

async fn start(config: &Path) -> RunningNode {
    let config = ConfigFile::load(config, &[]).unwrap();
    node::start(config, Passphrase::new(PASS.into()), Arc::new(SystemClock))
        .await
        .unwrap()
}

async fn token(node: &RunningNode, role: Role) -> String {
    let issued = IssuedToken::generate();
    let record = issued
        .record(&format!("t-{}", role.as_str()), role, now())
        .unwrap();
    let mut tx = node.context.store.begin().await.unwrap();
    tx.create_api_token(&record).await.unwrap();
    tx.commit().await.unwrap();
    issued.reveal().to_owned()
}

fn client() -> reqwest::Client {
    cp247_federation::tls::install_crypto_provider();
    reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn base(node: &RunningNode) -> String {
    format!("http://{}", node.local_addr)
}

async fn stop(node: RunningNode) {
    node.shutdown_token().cancel();
    tokio::time::timeout(Duration::from_secs(30), node.wait())
        .await
        .expect("the node stops within 30 s");
}

fn art29_to_md() -> Value {
    serde_json::from_str(cp247_forms::examples::json(cp247_forms::Kind::Art29)).unwrap()
}

async fn wait_delivered(
    http: &reqwest::Client,
    node: &RunningNode,
    tok: &str,
    ticket: &str,
) -> Value {
    for _ in 0..300 {
        let shown: Value = http
            .get(format!("{}/api/v1/tickets/{ticket}", base(node)))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if shown["messages"][0]["delivery"]["state"] == "delivered" {
            return shown;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not delivered in 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_is_delivered_with_a_verified_receipt_and_shows_up_at_the_peer() {
    let net = Net::build(&["FR", "MD"], false);
    let fr = start(net.config(0)).await;
    let md = start(net.config(1)).await;
    let http = client();
    let fr_officer = token(&fr, Role::Officer).await;
    let md_officer = token(&md, Role::Officer).await;

    for n in [&fr, &md] {
        let r = http
            .get(format!("{}/readyz", base(n)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    let created = http
        .post(format!("{}/api/v1/requests", base(&fr)))
        .bearer_auth(&fr_officer)
        .json(&json!({ "to": "MD", "document": art29_to_md(), "reference": "LYON-2026-001" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    assert!(ticket.starts_with("FR-"));

    let shown = wait_delivered(&http, &fr, &fr_officer, &ticket).await;
    let delivery = &shown["messages"][0]["delivery"];
    assert_eq!(delivery["attempts"], 1);
    assert!(
        delivery["receipt"]
            .as_str()
            .unwrap()
            .contains("BEGIN PGP MESSAGE")
    );
    // The signed receipt moves the case to delivered (recorded just after the outbox entry):
    // no person has acknowledged it yet.
    let mut state = shown["ticket"]["state"].clone();
    for _ in 0..100 {
        if state == "delivered" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let again: Value = http
            .get(format!("{}/api/v1/cases/{ticket}", base(&fr)))
            .bearer_auth(&fr_officer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state = again["case"]["state"].clone();
        assert!(state == "sent" || state == "delivered", "{again}");
    }
    assert_eq!(state, "delivered");

    // The receiving node has the ticket, opened by FR, with the verified payload.
    let at_md: Value = http
        .get(format!("{}/api/v1/tickets/{ticket}", base(&md)))
        .bearer_auth(&md_officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_md["ticket"]["our_role"], "requested");
    assert_eq!(at_md["ticket"]["counterpart"], "FR");
    assert_eq!(at_md["messages"][0]["direction"], "in");
    assert_eq!(at_md["messages"][0]["payload"]["body"]["kind"], "art29");

    stop(fr).await;
    stop(md).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_nodes_pin_each_other() {
    let net = Net::build(&["FR", "MD"], true);
    let fr = start(net.config(0)).await;
    let md = start(net.config(1)).await;
    let http = reqwest::Client::builder()
        .tls_danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let tok = token(&fr, Role::Officer).await;
    let base_fr = format!("https://{}", fr.local_addr);
    let created: Value = http
        .post(format!("{base_fr}/api/v1/requests"))
        .bearer_auth(&tok)
        .json(&json!({ "to": "MD", "document": art29_to_md() }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    let mut delivered = false;
    for _ in 0..300 {
        let shown: Value = http
            .get(format!("{base_fr}/api/v1/tickets/{ticket}"))
            .bearer_auth(&tok)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if shown["messages"][0]["delivery"]["state"] == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered);
    stop(fr).await;
    stop(md).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_refuses_without_a_token_and_explains_bad_documents() {
    let net = Net::build(&["FR", "MD"], false);
    let fr = start(net.config(0)).await;
    let http = client();
    for (method, path, guard) in cp247_server::routes::ROUTES {
        if !matches!(guard, cp247_server::routes::Guard::Token(_)) {
            continue;
        }
        let url = format!("{}{path}", base(&fr));
        let r = match method {
            "GET" => http.get(url),
            _ => http.post(url).json(&json!({})),
        }
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "unauthorized");
    }
    let monitor = token(&fr, Role::Monitor).await;
    let r = http
        .get(format!("{}/api/v1/tickets", base(&fr)))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .get(format!("{}/metrics", base(&fr)))
        .bearer_auth(&monitor)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("cp247_delivery_seconds_count")
    );

    let officer = token(&fr, Role::Officer).await;
    let mut doc = art29_to_md();
    doc["requested_authority"]["party"] = json!("GE");
    let r = http
        .post(format!("{}/api/v1/requests", base(&fr)))
        .bearer_auth(&officer)
        .json(&json!({ "to": "MD", "document": doc }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "recipient_mismatch", "{body}");

    let mut doc = art29_to_md();
    doc.as_object_mut().unwrap().remove("urgency");
    let r = http
        .post(format!("{}/api/v1/requests", base(&fr)))
        .bearer_auth(&officer)
        .json(&json!({ "to": "MD", "document": doc }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_document");
    assert!(!body["problems"].as_array().unwrap().is_empty(), "{body}");

    let r = http
        .get(format!("{}/api/v1/tickets/FR-2026-ZZZZZZ", base(&fr)))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for h in [
        "x-content-type-options",
        "content-security-policy",
        "cache-control",
    ] {
        assert!(r.headers().contains_key(h), "{h}");
    }
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "ticket_not_found");
    stop(fr).await;
}

async fn case_view(http: &reqwest::Client, node: &RunningNode, tok: &str, ticket: &str) -> Value {
    http.get(format!("{}/api/v1/cases/{ticket}", base(node)))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `[cases] ack_limit` is what the scheduler escalates by: with an urgent limit of 10 minutes
/// on FR (the default is 2 hours) the unacknowledged urgent request is escalated after 10
/// minutes of FR's clock, not before; MD, with the default, still owes its acknowledgement
/// two hours after the request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_acknowledgement_limit_decides_when_the_scheduler_escalates() {
    use cp247_domain::ManualClock;
    let net = Net::build(&["FR", "MD"], false);
    // Whole microseconds, as the store keeps instants.
    let start_at = cp247_store::truncate_to_micros(now());
    let clock = Arc::new(ManualClock::new(start_at));
    let env = vec![
        (
            "CP247__CASES__ACK_LIMIT__URGENT".to_owned(),
            "10m".to_owned(),
        ),
        // Not longer than the urgent limit (the configuration refuses that).
        (
            "CP247__CASES__ACK_LIMIT__EMERGENCY".to_owned(),
            "5m".to_owned(),
        ),
    ];
    let fr_config = ConfigFile::load(net.config(0), &env).unwrap();
    let fr = node::start(fr_config, Passphrase::new(PASS.into()), clock.clone())
        .await
        .unwrap();
    let md_config = ConfigFile::load(net.config(1), &[]).unwrap();
    let md = node::start(md_config, Passphrase::new(PASS.into()), clock.clone())
        .await
        .unwrap();
    let http = client();
    let fr_officer = token(&fr, Role::Officer).await;
    let md_officer = token(&md, Role::Officer).await;

    let document = art29_to_md();
    assert_eq!(document["urgency"], "urgent", "the example is urgent");
    let created: Value = http
        .post(format!("{}/api/v1/requests", base(&fr)))
        .bearer_auth(&fr_officer)
        .json(&json!({ "to": "MD", "document": document }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    wait_delivered(&http, &fr, &fr_officer, &ticket).await;
    let mut v = case_view(&http, &fr, &fr_officer, &ticket).await;
    for _ in 0..100 {
        if v["case"]["state"] == "delivered" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        v = case_view(&http, &fr, &fr_officer, &ticket).await;
    }
    assert_eq!(v["case"]["state"], "delivered", "{v}");
    let request_at: jiff::Timestamp = v["case"]["request_at"].as_str().unwrap().parse().unwrap();
    let fr_due: jiff::Timestamp = v["due"][0]["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(v["due"][0]["kind"], "human_acknowledgement");
    assert_eq!(fr_due - request_at, jiff::SignedDuration::from_mins(10));
    // MD counts its own default (the scenario's Paris office; urgent is elapsed time).
    let at_md = case_view(&http, &md, &md_officer, &ticket).await;
    let md_due: jiff::Timestamp = at_md["due"][0]["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(md_due - request_at, jiff::SignedDuration::from_hours(2));

    // One minute before the configured limit: nothing.
    clock.set(request_at + jiff::SignedDuration::from_mins(9));
    let pass = cp247_server::scheduler::run_pass(&fr.context)
        .await
        .unwrap();
    assert_eq!(pass.escalations, 0);
    let v = case_view(&http, &fr, &fr_officer, &ticket).await;
    assert!(v["escalations"].as_array().unwrap().is_empty(), "{v}");

    // One minute after it (an hour and 49 minutes before the default): escalated, once.
    clock.set(request_at + jiff::SignedDuration::from_mins(11));
    cp247_server::scheduler::run_pass(&fr.context)
        .await
        .unwrap();
    cp247_server::scheduler::run_pass(&fr.context)
        .await
        .unwrap();
    let v = case_view(&http, &fr, &fr_officer, &ticket).await;
    let escalations = v["escalations"].as_array().unwrap();
    assert_eq!(escalations.len(), 1, "{v}");
    assert_eq!(escalations[0]["direction"], "out");
    let due_at: jiff::Timestamp = escalations[0]["acknowledgement_due_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(due_at, fr_due);
    assert!(v["case"]["escalated_at"].is_string(), "{v}");

    stop(fr).await;
    stop(md).await;
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! Two or three nodes started in-process on 127.0.0.1, talking through their real listeners:
//! request → delivery → receipt, refusals over HTTP, readiness, tokens, metrics.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cp247_casework::keys::Passphrase;
use cp247_domain::{ContactPointRole, PartyCode, SystemClock};
use cp247_server::auth::Role;
use cp247_server::config::{ConfigFile, DeliverySection, LimitsSection, PeersSection, Period};
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
        Self::build_with_limits(parties, tls, |_| None)
    }

    fn build_with_limits(
        parties: &[&str],
        tls: bool,
        limits: impl Fn(&str) -> Option<LimitsSection>,
    ) -> Net {
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
                limits: limits(code),
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
    use cp247_server::tokens::{Grant, Issuer, OperatorPath, TokenRequest, issue};
    let ctx = &node.context;
    issue(
        &ctx.store,
        now(),
        &ctx.config.file.tokens.policy(),
        &Issuer::Operator(OperatorPath::Offline),
        &TokenRequest {
            name: format!("t-{}", role.as_str()),
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

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

async fn post(http: &reqwest::Client, url: String, tok: &str, body: &Value) -> (u16, Value) {
    let r = http
        .post(url)
        .bearer_auth(tok)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// FR: small attachment limits (4 KiB per file, 8 KiB together, 3 files); MD: the smallest
/// (1 KiB); DE: the defaults.
fn small_limits(code: &str) -> Option<LimitsSection> {
    let (files, per_file, total) = match code {
        "FR" => (3, 4096, 8192),
        "MD" => (3, 1024, 1024),
        _ => return None,
    };
    Some(LimitsSection {
        max_attachments: files,
        max_attachment_bytes: per_file,
        max_attachments_total_bytes: total,
        ..LimitsSection::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_sealed_delivered_listed_and_downloaded_by_their_parties_only() {
    let net = Net::build_with_limits(&["FR", "MD", "DE"], false, small_limits);
    let fr = start(net.config(0)).await;
    let de = start(net.config(2)).await;
    let http = client();
    let fr_officer = token(&fr, Role::Officer).await;
    let de_officer = token(&de, Role::Officer).await;

    // A request to DE with two files, one of them an HTML page (served as a download only).
    let log: Vec<u8> = (0..3000u32).map(|i| (i % 251) as u8).collect();
    let html = b"<html><script>alert(1)</script></html>".to_vec();
    let mut doc = art29_to_md();
    doc["requested_authority"]["party"] = json!("DE");
    let (status, created) = post(
        &http,
        format!("{}/api/v1/requests", base(&fr)),
        &fr_officer,
        &json!({ "to": "DE", "document": doc, "attachments": [
            { "file_name": "connexions 2026-11-28.log", "media_type": "text/plain", "content_base64": b64(&log) },
            { "file_name": "page.html", "media_type": "TEXT/HTML", "content_base64": b64(&html) },
        ]}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    let message_id = created["message_id"].as_str().unwrap().to_owned();
    let shown = wait_delivered(&http, &fr, &fr_officer, &ticket).await;
    let listed = &shown["messages"][0]["attachments"];
    assert_eq!(listed[0]["file_name"], "connexions 2026-11-28.log");
    assert_eq!(listed[0]["media_type"], "text/plain");
    assert_eq!(listed[0]["size"], 3000);
    assert_eq!(listed[0]["sha256"], sha256_hex(&log));
    assert_eq!(listed[1]["media_type"], "text/html");
    // The readable payload does not repeat the files.
    assert!(shown["messages"][0]["payload"].get("attachments").is_none());

    // At DE, the verified files are listed in the ticket and case views and download
    // byte-identical, with headers that stop a browser from rendering them.
    let at_de: Value = http
        .get(format!("{}/api/v1/tickets/{ticket}", base(&de)))
        .bearer_auth(&de_officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(at_de["messages"][0]["attachments"], *listed);
    let case: Value = http
        .get(format!("{}/api/v1/cases/{ticket}", base(&de)))
        .bearer_auth(&de_officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let in_timeline = case["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["message_id"] == message_id.as_str())
        .unwrap();
    assert_eq!(in_timeline["message"]["attachments"], *listed);
    let download = |node: &RunningNode, tok: &str, ticket: &str, message: &str, index: u32| {
        http.get(format!(
            "{}/api/v1/tickets/{ticket}/messages/{message}/attachments/{index}",
            base(node)
        ))
        .bearer_auth(tok.to_owned())
        .send()
    };
    let r = download(&de, &de_officer, &ticket, &message_id, 0)
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/plain");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"connexions 2026-11-28.log\"; filename*=UTF-8''connexions%202026-11-28.log"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), log.as_slice());
    let r = download(&de, &de_officer, &ticket, &message_id, 1)
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), html.as_slice());
    // The sender downloads its own copy too.
    let r = download(&fr, &fr_officer, &ticket, &message_id, 0)
        .await
        .unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), log.as_slice());

    // DE answers with a file: the acknowledgement carries it back to FR.
    let mut ack: Value = serde_json::from_str(
        cp247_case::reply::examples::json(cp247_case::MessageKind::Acknowledgement).unwrap(),
    )
    .unwrap();
    ack["received_at"] = json!(now().to_string());
    ack["next_step_eta"] = json!({ "not_applicable": { "reason": "The next step depends on the provider's answer." } });
    let receipt_scan = b"%PDF-1.7 scanned receipt".to_vec();
    let (status, replied) = post(
        &http,
        format!("{}/api/v1/cases/{ticket}/replies", base(&de)),
        &de_officer,
        &json!({ "reply": ack, "attachments": [
            { "file_name": "accusé de réception.pdf", "media_type": "application/pdf", "content_base64": b64(&receipt_scan) },
        ]}),
    )
    .await;
    assert_eq!(status, 201, "{replied}");
    let reply_id = replied["message_id"].as_str().unwrap().to_owned();
    let mut got = None;
    for _ in 0..300 {
        let r = download(&fr, &fr_officer, &ticket, &reply_id, 0)
            .await
            .unwrap();
        if r.status() == 200 {
            got = Some((
                r.headers()["content-type"].to_str().unwrap().to_owned(),
                r.bytes().await.unwrap(),
            ));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (content_type, bytes) = got.expect("the reply's file reaches FR within 30 s");
    assert_eq!(content_type, "application/pdf");
    assert_eq!(bytes.as_ref(), receipt_scan.as_slice());

    // Each download is audited as an export, naming the file by its hash, not its name.
    let exports = de
        .context
        .store
        .audit_for_ticket(
            &cp247_domain::TicketId::parse(&ticket).unwrap(),
            cp247_store::Page::first(100),
        )
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action == cp247_store::AuditAction::Export)
        .collect::<Vec<_>>();
    assert_eq!(exports.len(), 2, "{exports:?}");
    let details = exports[0].details.to_string();
    assert!(details.contains(&sha256_hex(&log)), "{details}");
    assert!(!details.contains("connexions"), "{details}");

    // Another Party's ticket, another message, a missing index, a bad index: refused.
    for (node, tok, t, m, i, status, code) in [
        (
            &de,
            &de_officer,
            "FR-2026-ZZZZZZ",
            message_id.as_str(),
            "0",
            404,
            "ticket_not_found",
        ),
        (
            &de,
            &de_officer,
            ticket.as_str(),
            reply_id.as_str(),
            "5",
            404,
            "attachment_not_found",
        ),
        (
            &de,
            &de_officer,
            ticket.as_str(),
            "01936f1e-8a2b-7c3d-9e4f-0123456789ab",
            "0",
            404,
            "attachment_not_found",
        ),
        (
            &de,
            &de_officer,
            ticket.as_str(),
            message_id.as_str(),
            "-1",
            400,
            "invalid_attachment_index",
        ),
        (
            &de,
            &de_officer,
            ticket.as_str(),
            "not-an-id",
            "0",
            400,
            "invalid_message_id",
        ),
    ] {
        let r = http
            .get(format!(
                "{}/api/v1/tickets/{t}/messages/{m}/attachments/{i}",
                base(node)
            ))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), status, "{t} {m} {i}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], code, "{body}");
    }
    // A node of a third Party has no such ticket at all.
    let other = start(net.config(1)).await;
    let md_officer = token(&other, Role::Officer).await;
    let r = download(&other, &md_officer, &ticket, &message_id, 0)
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "ticket_not_found");
    stop(other).await;
    stop(fr).await;
    stop(de).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_over_the_limits_or_malformed_are_refused_at_the_api_and_by_the_receiver() {
    let net = Net::build_with_limits(&["FR", "MD"], false, small_limits);
    let fr = start(net.config(0)).await;
    let md = start(net.config(1)).await;
    let http = client();
    let officer = token(&fr, Role::Officer).await;
    let url = format!("{}/api/v1/requests", base(&fr));
    let file = |name: &str, media_type: &str, bytes: &[u8]| json!({ "file_name": name, "media_type": media_type, "content_base64": b64(bytes) });
    let request =
        |files: Value| json!({ "to": "MD", "document": art29_to_md(), "attachments": files });

    // Over FR's limits: the attachment's code, the field path, the text in both languages.
    for (files, status, code, path) in [
        (
            json!([
                file("a.txt", "text/plain", b"a"),
                file("b.txt", "text/plain", b"b"),
                file("c.bin", "application/octet-stream", &[0; 4097])
            ]),
            413,
            "attachment_too_large",
            "attachments[2].content_base64",
        ),
        (
            json!([
                file("a.bin", "application/octet-stream", &[0; 4096]),
                file("b.bin", "application/octet-stream", &[0; 4096]),
                file("c.bin", "application/octet-stream", &[0; 1])
            ]),
            413,
            "attachments_too_large",
            "attachments",
        ),
        (
            json!([
                file("a", "text/plain", b""),
                file("b", "text/plain", b""),
                file("c", "text/plain", b""),
                file("d", "text/plain", b"")
            ]),
            413,
            "too_many_attachments",
            "attachments",
        ),
        (
            json!([file("a.txt", "text/plain", b"a"), { "file_name": "b.txt", "media_type": "text/plain", "content_base64": "not*base64" }]),
            422,
            "invalid_attachment",
            "attachments[1].content_base64",
        ),
        (
            json!([file("../../etc/passwd", "text/plain", b"a")]),
            422,
            "invalid_attachment",
            "attachments[0].file_name",
        ),
        (
            json!([file("capture.png", "image/png; charset=binary", b"a")]),
            422,
            "invalid_attachment",
            "attachments[0].media_type",
        ),
    ] {
        let (got, body) = post(&http, url.clone(), &officer, &request(files)).await;
        assert_eq!(got, status, "{body}");
        assert_eq!(body["error"], code, "{body}");
        let problem = &body["problems"][0];
        assert_eq!(problem["path"], path, "{body}");
        assert!(problem["message"]["en"].as_str().unwrap().contains(path));
        assert!(problem["message"]["fr"].as_str().unwrap().contains(path));
    }
    // Nothing was sent.
    let tickets: Value = http
        .get(format!("{}/api/v1/tickets", base(&fr)))
        .bearer_auth(&officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tickets["items"].as_array().unwrap().len(), 0, "{tickets}");

    // Within FR's limits but over MD's: MD refuses it on opening (413 attachment_too_large,
    // before verifying or storing anything) and FR gives up at once.
    let (status, created) = post(
        &http,
        url.clone(),
        &officer,
        &request(json!([file(
            "grand.bin",
            "application/octet-stream",
            &[7; 2000]
        )])),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    let mut reason = None;
    for _ in 0..300 {
        let shown: Value = http
            .get(format!("{}/api/v1/tickets/{ticket}", base(&fr)))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let d = &shown["messages"][0]["delivery"];
        if d["state"] == "undeliverable" {
            reason = Some(d["undeliverable_reason"].as_str().unwrap().to_owned());
            break;
        }
        assert_ne!(d["state"], "delivered", "{shown}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let reason = reason.expect("undeliverable within 30 s");
    assert!(reason.contains("attachment_too_large"), "{reason}");
    assert!(reason.contains("413"), "{reason}");
    let md_officer = token(&md, Role::Officer).await;
    let r = http
        .get(format!("{}/api/v1/tickets/{ticket}", base(&md)))
        .bearer_auth(&md_officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "MD stored nothing");
    stop(fr).await;
    stop(md).await;
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
    let pass = cp247_casework::scheduler::run_pass(&fr.context.work)
        .await
        .unwrap();
    assert_eq!(pass.escalations, 0);
    let v = case_view(&http, &fr, &fr_officer, &ticket).await;
    assert!(v["escalations"].as_array().unwrap().is_empty(), "{v}");

    // One minute after it (an hour and 49 minutes before the default): escalated, once.
    clock.set(request_at + jiff::SignedDuration::from_mins(11));
    cp247_casework::scheduler::run_pass(&fr.context.work)
        .await
        .unwrap();
    cp247_casework::scheduler::run_pass(&fr.context.work)
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

/// Issue #10: every refused unauthenticated post used to add its own audit entry, so a
/// stranger could grow the evidence log without bound. A thousand junk posts from one address
/// now leave one tally (no entry) while their interval lasts, and one audit entry with the
/// count 1 000 once the node's (injected) clock has passed the interval.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_refused_posts_from_one_address_are_one_audit_entry_with_their_count() {
    use cp247_domain::ManualClock;
    use cp247_store::AuditAction;
    let net = Net::build(&["MD"], false);
    let start_at = cp247_store::truncate_to_micros(now());
    let clock = Arc::new(ManualClock::new(start_at));
    let config = ConfigFile::load(net.config(0), &[]).unwrap();
    let interval = config.file.audit.refusal_policy().interval;
    let md = node::start(config, Passphrase::new(PASS.into()), clock.clone())
        .await
        .unwrap();
    let store = md.context.store.clone();
    let rejects = || async {
        let mut found = Vec::new();
        let mut after = 0;
        loop {
            let page = store.audit_entries(after, 500).await.unwrap();
            let Some(last) = page.last() else { break };
            after = last.seq;
            found.extend(page.into_iter().filter(|e| e.action == AuditAction::Reject));
        }
        found
    };
    let before = store.audit_head().await.unwrap().seq;
    let http = client();
    let junk = b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n".to_vec();
    for _ in 0..1000 {
        let r = http
            .post(format!("{}/federation/v1/messages", base(&md)))
            .header("content-type", "application/pgp-encrypted")
            .body(junk.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
    }
    // Nothing written to the log by the strangers while the interval lasts; one tally.
    assert!(rejects().await.is_empty());
    let pending = store.pending_refusals().await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (pending[0].source.as_str(), pending[0].code.as_str()),
        ("127.0.0.1", "malformed")
    );
    assert_eq!(pending[0].count, 1000);
    let grown = store.audit_head().await.unwrap().seq - before;
    assert!(grown <= 1, "the log grew by {grown} entries");

    // The interval is over on the node's clock: the next refusal writes the tally's entry
    // before it is answered (the node's task would too).
    clock.set(start_at + interval);
    let r = http
        .post(format!("{}/federation/v1/messages", base(&md)))
        .header("content-type", "application/pgp-encrypted")
        .body(junk.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let written = rejects().await;
    assert_eq!(written.len(), 1, "{written:?}");
    let details: Value = serde_json::from_str(&written[0].details).unwrap();
    assert_eq!(details["count"], 1000, "{details}");
    assert_eq!(details["code"], "malformed");
    assert_eq!(written[0].actor.as_str(), "unverified:127.0.0.1");
    let pending = store.pending_refusals().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].count, 1, "the new interval's tally");
    assert!(store.verify_chain(&[]).await.unwrap().is_intact());
    stop(md).await;
}

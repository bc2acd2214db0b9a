#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! Issue #10, attack 2: one address takes a node off the network. Two real nodes on
//! 127.0.0.1 (MD, attacked; FR, its peer, whose node calls MD from 127.0.0.1). 2,000 TCP
//! connections from a third address, 127.0.0.3, that never send a byte are opened to MD and
//! held; meanwhile an officer signs in to MD's web interface from 127.0.0.2, `/healthz`
//! answers, FR delivers a request to MD at its first attempt and gets its signed receipt, and
//! MD closes every idle connection (none sent a byte).
//!
//! Before ADR 0022 the listener had no per-source cap and no time limit before protocol
//! detection: 1,024 of the idle sockets filled every slot for as long as they were held, and
//! the officer and the peer were refused.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cp247_casework::keys::Passphrase;
use cp247_domain::{Clock, ContactPointRole, PartyCode, SystemClock};
use cp247_server::accounts::{Enrolment, Password, enrol};
use cp247_server::auth::Role;
use cp247_server::config::{ConfigFile, DeliverySection, PeersSection, Period};
use cp247_server::node::{self, RunningNode};
use cp247_server::provision::{self, Authority, Listing, ListingStatus, NodeSpec};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;
use tokio::net::{TcpSocket, TcpStream};

const PASS: &str = "correct horse battery staple";
const OFFICER_PASSWORD: &str = "a long enough password";
/// The idle connections of the flood.
const FLOOD: usize = 2_000;
/// MD's first-byte time limit in this test (the default is 10 s).
const FIRST_BYTE: Duration = Duration::from_secs(2);
/// The attacked node's request-head limit in this test (protocol detection included).
const HEAD: Period = Period::secs(120);
/// Time allowed beyond the first-byte limit for the server's close to be seen (a loaded
/// machine); with it, still well below `HEAD`.
const MARGIN: Duration = Duration::from_secs(40);

/// Raises this process's soft limit of open files to what the flood needs (its 2,000 sockets,
/// the nodes' sockets and databases), within the hard limit; no `unsafe`, no shell.
fn enough_descriptors() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    const NEED: u64 = 8_192;
    let now = getrlimit(Resource::Nofile);
    if now.current.is_none_or(|c| c >= NEED) {
        return;
    }
    let target = now.maximum.map_or(NEED, |max| max.min(NEED));
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(target),
            maximum: now.maximum,
        },
    )
    .unwrap();
    assert!(
        target >= FLOOD as u64 + 1_024,
        "the hard limit of open files ({target}) is too low for a flood of {FLOOD} connections"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// FR and MD, provisioned in one signed directory; returns their configuration files.
fn network(root: &std::path::Path) -> Vec<PathBuf> {
    let now = SystemClock.now();
    let authority = Authority::generate("Test secretariat", now).unwrap();
    let mut listings = Vec::new();
    let mut configs = Vec::new();
    for code in ["FR", "MD"] {
        let port = free_port();
        let spec = NodeSpec {
            party: PartyCode::parse(code).unwrap(),
            point: ContactPointRole::Primary,
            name: format!("{code} unit"),
            listen: format!("127.0.0.1:{port}").parse().unwrap(),
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
            refresh_every: None,
        };
        let node = provision::init_node(
            &root.join(code),
            &spec,
            &authority.cert(),
            &Passphrase::new(PASS.into()),
            PASS,
            now,
        )
        .unwrap();
        configs.push(node.config_path.clone());
        listings.push(Listing {
            party_name: format!("Party {code}"),
            node,
            duty_phones: vec!["+33140000000".into()],
            time_zone: "Europe/Paris".into(),
            status: ListingStatus::Active,
        });
    }
    authority
        .publish(
            &root.join("directory.json"),
            &listings,
            1,
            now,
            jiff::SignedDuration::from_hours(24),
        )
        .unwrap();
    configs
}

async fn start(config: &std::path::Path, first_byte: Option<Duration>) -> RunningNode {
    let mut config = ConfigFile::load(config, &[]).unwrap();
    if let Some(limit) = first_byte {
        config.file.connections.first_byte_timeout =
            Period::millis(u64::try_from(limit.as_millis()).unwrap());
        // Much longer than the first-byte limit and its margin below, so that the idle
        // connections can only have been closed by the first-byte limit.
        config.file.connections.request_head_timeout = HEAD;
    }
    node::start(config, Passphrase::new(PASS.into()), Arc::new(SystemClock))
        .await
        .unwrap()
}

async fn machine_token(node: &RunningNode, role: Role) -> String {
    use cp247_server::tokens::{Grant, Issuer, OperatorPath, TokenRequest, issue};
    let ctx = &node.context;
    issue(
        &ctx.store,
        SystemClock.now(),
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

/// An HTTP client whose connections come from `source`.
fn client_from(source: &str) -> reqwest::Client {
    cp247_federation::tls::install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(source.parse::<IpAddr>().unwrap())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn csrf(id: &str) -> String {
    cp247_server::web::session::csrf_for(id)
}

fn cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, _) = v.split_once(';')?;
            let (k, val) = pair.split_once('=')?;
            (k == name).then(|| val.to_owned())
        })
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// The web sign-in (password, then the TOTP code); returns the signed-in session's cookie.
async fn sign_in(base: &str, http: &reqwest::Client, officer: &Enrolment) -> String {
    let page = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let pre = cookie(&page, "cp247_pre").expect("a pre-session cookie");
    let r = http
        .post(format!("{base}/sign-in"))
        .header(COOKIE, format!("cp247_pre={pre}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", csrf(&pre).as_str()),
            ("username", officer.account.username.as_str()),
            ("password", OFFICER_PASSWORD),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/sign-in/code");
    let pending = cookie(&r, "cp247_session").expect("a session cookie");
    let secs = u64::try_from(SystemClock.now().as_second()).unwrap();
    let r = http
        .post(format!("{base}/sign-in/code"))
        .header(COOKIE, format!("cp247_session={pending}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", csrf(&pending).as_str()),
            ("code", officer.totp.code_at(secs).as_str()),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let session = cookie(&r, "cp247_session").expect("the signed-in session");
    let inbox = http
        .get(format!("{base}/inbox"))
        .header(COOKIE, format!("cp247_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), StatusCode::OK, "the inbox after sign-in");
    session
}

/// The flood's address: neither the peer's (FR's node calls from 127.0.0.1) nor the officer's.
const FLOOD_SOURCE: &str = "127.0.0.3";

/// Opens `n` TCP connections from [`FLOOD_SOURCE`] to `to` and sends nothing on them.
async fn flood(to: SocketAddr, n: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(n);
    let from = SocketAddr::new(FLOOD_SOURCE.parse().unwrap(), 0);
    for _ in 0..n {
        let socket = TcpSocket::new_v4().unwrap();
        socket.bind(from).unwrap();
        held.push(socket.connect(to).await.unwrap());
    }
    held
}

/// Waits until the server has closed every held connection (a read ends: EOF or reset), until
/// `deadline`; returns how many were still open then.
async fn still_open_at(held: Vec<TcpStream>, deadline: tokio::time::Instant) -> usize {
    let mut reads = tokio::task::JoinSet::new();
    for mut stream in held {
        reads.spawn(async move {
            let mut byte = [0u8; 1];
            match tokio::time::timeout_at(deadline, stream.read(&mut byte)).await {
                Ok(Ok(0) | Err(_)) => false,
                Ok(Ok(_)) => panic!("the server sent bytes on a connection that sent none"),
                Err(_) => true,
            }
        });
    }
    let mut open = 0;
    while let Some(still) = reads.join_next().await {
        open += usize::from(still.unwrap());
    }
    open
}

async fn stop(node: RunningNode) {
    node.shutdown_token().cancel();
    tokio::time::timeout(Duration::from_secs(30), node.wait())
        .await
        .expect("the node stops within 30 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_idle_connections_from_one_address_do_not_take_the_node_off_the_network() {
    enough_descriptors();
    let tmp = tempfile::tempdir().unwrap();
    let configs = network(tmp.path());
    // MD is attacked; FR is its peer (the example request goes from FR to MD).
    let fr = start(&configs[0], None).await;
    let md = start(&configs[1], Some(FIRST_BYTE)).await;
    let md_base = format!("http://{}", md.local_addr);
    let md_officer = machine_token(&md, Role::Officer).await;
    let fr_officer = machine_token(&fr, Role::Officer).await;
    let officer = enrol(
        &md.context.store,
        &md.context.web.secrets,
        "duty.officer",
        "Duty officer",
        Role::Officer,
        &Password::new(OFFICER_PASSWORD.into()),
        "cp247 MD",
        SystemClock.now(),
    )
    .await
    .unwrap();

    // The attack: every connection opened, none sends a byte; all are held by the client.
    let held = flood(md.local_addr, FLOOD).await;
    assert_eq!(held.len(), FLOOD);
    // Watched from now on, while the officer and the peer go about their work. MD must close
    // every idle connection it accepted (the others at once) by its first-byte limit: none may
    // be open after that limit and a margin for a loaded machine, long before any other limit
    // (the request head's, 120 s here) could have closed them.
    let closing = tokio::spawn(still_open_at(
        held,
        tokio::time::Instant::now() + FIRST_BYTE + MARGIN,
    ));

    // While they are held: the probe and an officer from another address get in at once.
    let elsewhere = client_from("127.0.0.2");
    let health = elsewhere
        .get(format!("{md_base}/healthz"))
        .send()
        .await
        .expect("/healthz answers from 127.0.0.2 during the flood");
    assert_eq!(health.status(), StatusCode::OK);
    sign_in(&md_base, &elsewhere, &officer).await;

    // A peer delivers a request and gets its signed receipt at its first attempt: FR's node
    // calls from 127.0.0.1, and the flood's cap on 127.0.0.3 does not touch it.
    let http = client_from("127.0.0.2");
    let document: Value =
        serde_json::from_str(cp247_forms::examples::json(cp247_forms::Kind::Art29)).unwrap();
    let created = http
        .post(format!("http://{}/api/v1/requests", fr.local_addr))
        .bearer_auth(&fr_officer)
        .json(&json!({ "to": "MD", "document": document }))
        .send()
        .await
        .unwrap();
    let status = created.status();
    let created: Value = created.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    let mut delivered = None;
    for _ in 0..300 {
        let shown: Value = http
            .get(format!("http://{}/api/v1/tickets/{ticket}", fr.local_addr))
            .bearer_auth(&fr_officer)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if shown["messages"][0]["delivery"]["state"] == "delivered" {
            delivered = Some(shown);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let delivered = delivered.expect("FR's request is delivered to MD within 30 s");
    assert_eq!(
        delivered["messages"][0]["delivery"]["attempts"], 1,
        "the peer was not delayed by the flood: {delivered}"
    );
    assert!(
        delivered["messages"][0]["delivery"]["receipt"]
            .as_str()
            .unwrap()
            .contains("BEGIN PGP MESSAGE"),
        "{delivered}"
    );
    let at_md = http
        .get(format!("{md_base}/api/v1/tickets/{ticket}"))
        .bearer_auth(&md_officer)
        .send()
        .await
        .unwrap();
    assert_eq!(at_md.status(), StatusCode::OK, "MD has the ticket");

    let open = closing.await.unwrap();
    assert_eq!(open, 0, "idle connections still open on the server's side");

    // The flood's own address is served again once its sockets are gone.
    let health = client_from(FLOOD_SOURCE)
        .get(format!("{md_base}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    stop(fr).await;
    stop(md).await;
}

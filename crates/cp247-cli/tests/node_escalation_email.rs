#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! Real `cp247 serve` processes: FR sends an urgent Art. 29 request to MD's primary contact
//! point, whose alternate has no node — the directory lists only an e-mail address and a
//! certificate for it. Nobody acknowledges; FR's scheduler escalates, and the request arrives in
//! the loopback Postfix's Maildir as PGP/MIME that GnuPG decrypts and whose signature it
//! verifies as FR's node key. FR's duty officers are alerted through the webhook: the
//! escalation and each reminder exactly once, however many scheduler passes follow.

mod node_harness;

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cp247_domain::{Address, PartyCode};
use cp247_notify::Secret;
use cp247_notify::webhook::{SIGNATURE_HEADER, verify_signature};
use cp247_seal::Cert;
use cp247_server::provision::EmailListing;
use mail_parser::{MessageParser, MimeHeaders};
use node_harness::{Network, NodeOptions, NodeProc, art29, ci, client, loopback_postfix};
use serde_json::{Value, json};

const SECRET: &str = "escalation-test webhook secret";
const FROM: &str = "cp247-fr-escalation@cp247.test";

type Calls = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn record(State(calls): State<Calls>, headers: HeaderMap, body: Bytes) -> StatusCode {
    calls.lock().unwrap().push((headers, body));
    StatusCode::NO_CONTENT
}

/// The loopback Postfix and GnuPG, or `None` (a loud skip; under `CI=true` a failure).
fn prerequisites() -> Option<(String, PathBuf)> {
    let gpg = Command::new("gpg")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !gpg {
        assert!(!ci(), "gpg is required under CI=true");
        eprintln!("SKIPPED: gpg missing");
        return None;
    }
    loopback_postfix()
}

/// A throw-away GnuPG home holding the e-mail-only contact point's secret key.
struct Gpg {
    dir: tempfile::TempDir,
}

impl Gpg {
    fn new() -> Self {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Self { dir }
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        let out = Command::new("gpg")
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--batch", "--yes", "--pinentry-mode", "loopback"])
            .args(["--passphrase", ""])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// A new key (certify, sign and encrypt subkeys); its armored certificate.
    fn generate(&self, uid: &str) -> String {
        self.run(&["--quick-gen-key", uid, "ed25519", "cert", "never"]);
        let out = self.run(&["--with-colons", "--list-keys", uid]);
        let fpr = String::from_utf8_lossy(&out)
            .lines()
            .find_map(|l| l.strip_prefix("fpr:::::::::"))
            .map(|f| f.trim_end_matches(':').to_owned())
            .unwrap();
        self.run(&["--quick-add-key", &fpr, "ed25519", "sign", "never"]);
        self.run(&["--quick-add-key", &fpr, "cv25519", "encr", "never"]);
        String::from_utf8(self.run(&["--armor", "--export", &fpr])).unwrap()
    }

    fn import(&self, armored: &str) {
        let file = self.dir.path().join("import.asc");
        std::fs::write(&file, armored).unwrap();
        self.run(&["--import", file.to_str().unwrap()]);
    }

    /// Decrypts `armored`: (plaintext, status lines).
    fn decrypt(&self, armored: &[u8]) -> (Vec<u8>, String) {
        let input = self.dir.path().join("in.asc");
        let output = self.dir.path().join("out");
        let status = self.dir.path().join("status");
        std::fs::write(&input, armored).unwrap();
        self.run(&[
            "--trust-model",
            "always",
            "--status-file",
            status.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--decrypt",
            input.to_str().unwrap(),
        ]);
        (
            std::fs::read(output).unwrap(),
            std::fs::read_to_string(status).unwrap(),
        )
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--kill", "gpg-agent"])
            .status();
    }
}

fn maildir_files(maildir: &Path) -> HashSet<PathBuf> {
    let mut out = HashSet::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(maildir.join(sub)) {
            out.extend(entries.flatten().map(|e| e.path()));
        }
    }
    out
}

/// The mails that arrived since `before` and contain `needle`.
fn new_mails(maildir: &Path, before: &HashSet<PathBuf>, needle: &str) -> Vec<Vec<u8>> {
    maildir_files(maildir)
        .difference(before)
        .filter_map(|p| std::fs::read(p).ok())
        .filter(|b| String::from_utf8_lossy(b).contains(needle))
        .collect()
}

async fn call(
    node: &NodeProc,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", node.url);
    let http = client();
    let mut r = match method {
        "GET" => http.get(url),
        _ => http.post(url),
    }
    .bearer_auth(token);
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn case(node: &NodeProc, ticket: &str) -> Value {
    let (status, v) = call(
        node,
        "GET",
        &format!("/api/v1/cases/{ticket}"),
        &node.officer,
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// The webhook calls so far, each checked against the shared secret: event → keys.
fn hooks(calls: &Calls) -> BTreeMap<String, Vec<(String, Value)>> {
    let mut out: BTreeMap<String, Vec<(String, Value)>> = BTreeMap::new();
    for (headers, body) in calls.lock().unwrap().iter() {
        let sig = headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
        assert!(verify_signature(&Secret::new(SECRET.into()), body, sig));
        let json: Value = serde_json::from_slice(body).unwrap();
        let event = json["event"].as_str().unwrap().to_owned();
        let key = json["id"].as_str().map(str::to_owned).unwrap_or_default();
        out.entry(event).or_default().push((key, json));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_escalation_to_an_email_only_alternate_arrives_as_pgp_mime_and_alerts_once() {
    let Some((smtp, maildir)) = prerequisites() else {
        return;
    };
    let calls: Calls = Arc::default();
    let app = axum::Router::new()
        .route("/hook", post(record))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let mut net = Network::new(vec![NodeOptions::sqlite("FR"), NodeOptions::sqlite("MD")]).await;
    // MD's alternate contact point: no node, an e-mail address and a certificate.
    let gpg = Gpg::new();
    let alt_cert = gpg.generate("MD alternate 24/7 <cp247mail@cp247.test>");
    let md_alt = EmailListing {
        address: Address::alternate(PartyCode::parse("MD").unwrap()),
        email: "cp247mail@cp247.test".into(),
        cert: Cert::from_armored(&alt_cert).unwrap(),
        duty_phones: vec!["+37322000111".into()],
        time_zone: "Europe/Chisinau".into(),
    };
    net.publish_with_email(&[], &[md_alt], jiff::SignedDuration::from_hours(24 * 30));
    gpg.import(&net.node("FR").provisioned.cert.armored());
    let fr_fingerprint = net.node("FR").provisioned.cert.fingerprint().to_string();

    let fr_dir = net.node("FR").dir().to_path_buf();
    let secret = fr_dir.join("webhook-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (host, port) = smtp.rsplit_once(':').unwrap();
    let mut config = std::fs::read_to_string(net.node("FR").config()).unwrap();
    config.push_str(&format!(
        "\n[notify]\nsmtp_host = \"{host}\"\nsmtp_port = {port}\nsmtp_security = \"none\"\n\
         from = \"cp247 FR <{FROM}>\"\n\
         webhook_url = \"http://{hook_addr}/hook\"\nwebhook_secret_file = \"webhook-secret\"\n\
         webhook_timeout = \"5s\"\n"
    ));
    std::fs::write(net.node("FR").config(), config).unwrap();
    for code in ["FR", "MD"] {
        let n = net.node(code);
        n.env
            .push(("CP247__CASES__SCHEDULER_EVERY".into(), "200ms".into()));
        n.env
            .push(("CP247__TESTING__CLOCK_CONTROL".into(), "true".into()));
        n.start().await;
    }
    let before = maildir_files(&maildir);
    let fr = &net.nodes[0];

    // The urgent request to MD's primary contact point, delivered; nobody acknowledges.
    let (status, v) = call(
        fr,
        "POST",
        "/api/v1/requests",
        &fr.officer,
        Some(json!({ "to": "MD", "document": art29() })),
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let ticket = v["ticket"].as_str().unwrap().to_owned();
    let request_id = v["message_id"].as_str().unwrap().to_owned();
    let mut delivered = false;
    for _ in 0..300 {
        if case(fr, &ticket).await["case"]["state"] == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "the request was not delivered to MD");

    // Past the two-hour acknowledgement limit: FR escalates to MD's alternate by e-mail.
    let (status, v) = call(
        fr,
        "POST",
        "/api/v1/testing/clock",
        &fr.admin,
        Some(json!({ "advance": "121m" })),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let mut view = Value::Null;
    for _ in 0..300 {
        view = case(fr, &ticket).await;
        if view["escalations"][0]["target"] == "MD/alternate" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let escalation = &view["escalations"][0];
    assert_eq!(escalation["target"], "MD/alternate", "{view}");
    assert_eq!(escalation["direction"], "out");
    assert_eq!(escalation["details"]["channel"], "email", "{escalation}");

    // The e-mail lands in the Maildir: PGP/MIME, decrypted by the alternate's key, signed by
    // FR's node key, carrying the request itself.
    let mut mails = Vec::new();
    for _ in 0..300 {
        mails = new_mails(&maildir, &before, FROM);
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one escalation e-mail");
    let raw = String::from_utf8_lossy(&mails[0]).into_owned();
    assert!(raw.contains("multipart/encrypted"), "{raw}");
    assert!(raw.contains("application/pgp-encrypted"), "{raw}");
    assert!(
        !raw.contains(&ticket),
        "the ticket travels only inside the encryption"
    );
    let mail = MessageParser::default().parse(&mails[0]).unwrap();
    let (entity, status) = gpg.decrypt(mail.part(2).unwrap().contents());
    for token in ["DECRYPTION_OKAY", "GOODMDC", "GOODSIG", "VALIDSIG"] {
        assert!(
            status.contains(&format!("[GNUPG:] {token}")),
            "{token}:\n{status}"
        );
    }
    let validsig = status.lines().find(|l| l.contains("VALIDSIG")).unwrap();
    assert!(
        validsig.ends_with(&fr_fingerprint),
        "{validsig} is not FR's key {fr_fingerprint}"
    );
    let inner = MessageParser::default().parse(&entity).unwrap();
    let text = inner.body_text(0).unwrap();
    assert!(text.contains(&ticket), "{text}");
    assert!(text.contains("MD/primary first"), "{text}");
    let enclosed = inner
        .attachments()
        .find(|a| a.attachment_name() == Some(&format!("request-{ticket}.json")))
        .expect("the request is enclosed");
    let payload: Value = serde_json::from_slice(enclosed.contents()).unwrap();
    assert_eq!(
        payload["header"]["message_id"],
        request_id.as_str(),
        "{payload}"
    );
    assert_eq!(payload["body"], art29());

    // The webhook: the escalation once, with MD's duty phones, and each reminder that fired
    // once. A day later and many scheduler passes on, nothing repeats.
    let mut seen = BTreeMap::new();
    for _ in 0..300 {
        seen = hooks(&calls);
        if seen.contains_key("escalation") && seen.contains_key("deadline") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, v) = call(
        fr,
        "POST",
        "/api/v1/testing/clock",
        &fr.admin,
        Some(json!({ "advance": "24h" })),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let seen_after = hooks(&calls);
    assert_eq!(seen_after.len(), seen.len(), "{seen_after:?}");
    let escalations = &seen_after["escalation"];
    assert_eq!(escalations.len(), 1, "{escalations:?}");
    let esc = &escalations[0].1;
    assert_eq!(esc["ticket"], ticket.as_str());
    assert_eq!(esc["channel"], "email", "{esc}");
    assert!(esc.to_string().contains("+37322000111"), "{esc}");
    let view = case(fr, &ticket).await;
    let fired: Vec<String> = view["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_owned())
        .collect();
    assert!(!fired.is_empty(), "no reminder fired: {view}");
    let deadlines = seen_after.get("deadline").cloned().unwrap_or_default();
    for key in &fired {
        let n = deadlines
            .iter()
            .filter(|(k, _)| k == &format!("deadline:{key}"))
            .count();
        assert_eq!(n, 1, "reminder {key}: {deadlines:?}");
    }
    assert_eq!(
        new_mails(&maildir, &before, FROM).len(),
        1,
        "the e-mail went once"
    );

    net.node("FR").stop();
    net.node("MD").stop();
}

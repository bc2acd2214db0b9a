#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! Two real `cp247 serve` processes: when MD receives a new urgent or emergency request, its
//! duty officer gets an e-mail (through the loopback Postfix, read back from the Maildir) and
//! the webhook is called — once per request: a replayed message does not alert again, and a
//! routine request does not alert at all.

mod node_harness;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_notify::Secret;
use cp247_notify::webhook::{SIGNATURE_HEADER, verify_signature};
use cp247_seal::{Cert, Handling, Header, MessageType, NodeKey, Passphrase, Payload};
use mail_parser::MessageParser;
use node_harness::{Network, NodeOptions, PASS, art29, client, loopback_postfix, now};
use serde_json::Value;

const SECRET: &str = "process-test webhook secret";

type Calls = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

async fn record(State(calls): State<Calls>, headers: HeaderMap, body: Bytes) -> StatusCode {
    calls.lock().unwrap().push((headers, body));
    StatusCode::NO_CONTENT
}

fn mails_with(maildir: &std::path::Path, needle: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(entries) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for e in entries.flatten() {
            if let Ok(bytes) = std::fs::read(e.path())
                && String::from_utf8_lossy(&bytes).contains(needle)
            {
                out.push(bytes);
            }
        }
    }
    out
}

fn sealed(fr: &NodeKey, md: &Cert, urgency: Urgency) -> (Vec<u8>, String) {
    let at = now();
    let mut rng = rand::rng();
    let ticket = TicketId::generate(PartyCode::parse("FR").unwrap(), at, &mut rng);
    let payload = Payload {
        header: Header {
            message_id: MessageId::generate(at, &mut rng),
            ticket: ticket.clone(),
            message_type: MessageType::parse("art29_request").unwrap(),
            sender: Address::primary(PartyCode::parse("FR").unwrap()),
            recipient: Address::primary(PartyCode::parse("MD").unwrap()),
            created_at: Instant::utc(at),
            urgency,
            handling: Handling {
                confidential: true,
                marking: None,
            },
        },
        body: art29(),
        attachments: Vec::new(),
    };
    let bytes = cp247_seal::seal(&payload, fr, md, at).unwrap().into_bytes();
    (bytes, ticket.to_string())
}

async fn post_sealed(url: &str, bytes: &[u8]) -> Value {
    let r = client()
        .post(format!("{url}/federation/v1/messages"))
        .header("content-type", "application/pgp-encrypted")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_urgent_request_alerts_the_duty_officer_once_by_mail_and_webhook() {
    let Some((smtp, maildir)) = loopback_postfix() else {
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
    let md_dir = net.node("MD").dir().to_path_buf();
    let secret = md_dir.join("webhook-secret");
    std::fs::write(&secret, format!("{SECRET}\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let (host, port) = smtp.rsplit_once(':').unwrap();
    let mut config = std::fs::read_to_string(net.node("MD").config()).unwrap();
    config.push_str(&format!(
        "\n[notify]\nsmtp_host = \"{host}\"\nsmtp_port = {port}\nsmtp_security = \"none\"\n\
         from = \"cp247 MD <cp247-md@cp247.test>\"\n\
         webhook_url = \"http://{hook_addr}/hook\"\nwebhook_secret_file = \"webhook-secret\"\n\
         webhook_timeout = \"5s\"\n\n\
         [[notify.duty_officers]]\nemail = \"MD duty officer <cp247mail@cp247.test>\"\n"
    ));
    std::fs::write(net.node("MD").config(), config).unwrap();
    net.node("MD").start().await;
    let md_url = net.node("MD").url.clone();
    let md_cert = net.node("MD").provisioned.cert.clone();
    let fr_text = std::fs::read_to_string(net.node("FR").dir().join("node-key.asc")).unwrap();
    let fr = NodeKey::from_locked_armored(&fr_text, &Passphrase::new(PASS.into())).unwrap();

    // A routine request first: stored, no alert.
    let (routine, routine_ticket) = sealed(&fr, &md_cert, Urgency::Routine);
    assert_eq!(post_sealed(&md_url, &routine).await["outcome"], "accepted");
    // An emergency request, then the same bytes again (a replay inside the window).
    let (urgent, ticket) = sealed(&fr, &md_cert, Urgency::Emergency);
    assert_eq!(post_sealed(&md_url, &urgent).await["outcome"], "accepted");
    assert_eq!(post_sealed(&md_url, &urgent).await["outcome"], "duplicate");

    // The webhook is called for the emergency request (the queue is worked in order, so the
    // routine request, had it alerted, would have been called first).
    let mut hooked = Vec::new();
    for _ in 0..300 {
        hooked = calls.lock().unwrap().clone();
        if !hooked.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(hooked.len(), 1, "exactly one webhook call so far");
    let (headers, body) = &hooked[0];
    let sig = headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
    assert!(verify_signature(&Secret::new(SECRET.into()), body, sig));
    let json: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["event"], "new_request");
    assert_eq!(json["ticket"], ticket.as_str());
    assert_eq!(json["urgency"], "emergency");
    assert_eq!(json["from"], "FR/primary");
    assert_eq!(json["duty_phones"][0], "+33140000000");
    assert!(json["ack_due"].is_string(), "{json}");

    // The e-mail lands in the Maildir.
    let mut mails = Vec::new();
    for _ in 0..300 {
        mails = mails_with(&maildir, &ticket);
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "one alert e-mail for {ticket}");
    let mail = MessageParser::default().parse(&mails[0]).unwrap();
    assert_eq!(
        mail.subject().unwrap(),
        format!("[cp247] EMERGENCY art29 request from FR: {ticket}")
    );
    let text = mail.body_text(0).unwrap();
    assert!(text.contains("+33140000000"), "{text}");
    assert!(text.contains("Acknowledge: by"), "{text}");
    // Nothing of the request's content travels: the example's data stay in cp247.
    let doc = art29().to_string();
    let sample: String = doc.chars().skip(40).take(30).collect();
    assert!(!String::from_utf8_lossy(&mails[0]).contains(&sample));

    // Give a second (wrong) alert time to show up, then check there was none, nor any for the
    // routine request.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(calls.lock().unwrap().len(), 1);
    assert_eq!(mails_with(&maildir, &ticket).len(), 1);
    assert!(mails_with(&maildir, &routine_ticket).is_empty());

    net.node("MD").stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_with_a_bad_notify_section_refuses_to_start_and_says_why() {
    let mut net = Network::new(vec![NodeOptions::sqlite("MD")]).await;
    let mut config = std::fs::read_to_string(net.node("MD").config()).unwrap();
    config.push_str(
        "\n[notify]\nsmtp_host = \"mail.example.org\"\nsmtp_security = \"none\"\nfrom = \"md@cp247.test\"\n",
    );
    std::fs::write(net.node("MD").config(), &config).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cp247"))
        .arg("serve")
        .arg("--config")
        .arg(net.node("MD").config())
        .arg("--passphrase-file")
        .arg(net.node("MD").dir().join("passphrase"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("notify.smtp_host") && err.contains("loopback"),
        "{err}"
    );
}

/// The alert outbox is durable: MD's relay is unreachable when an emergency request arrives,
/// so the alert waits (stored, retried); MD is stopped, restarted with the relay reachable,
/// and the alert is mailed — once: a further restart sends nothing more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alert_waiting_for_the_relay_survives_a_restart_and_is_mailed_once() {
    let Some((smtp, maildir)) = loopback_postfix() else {
        return;
    };
    let mut net = Network::new(vec![NodeOptions::sqlite("FR"), NodeOptions::sqlite("MD")]).await;
    let (host, port) = smtp.rsplit_once(':').unwrap();
    let mut config = std::fs::read_to_string(net.node("MD").config()).unwrap();
    config.push_str(&format!(
        "\n[notify]\nsmtp_host = \"{host}\"\nsmtp_port = {port}\nsmtp_security = \"none\"\n\
         smtp_timeout = \"5s\"\nfrom = \"cp247 MD <cp247-md@cp247.test>\"\n\n\
         [[notify.duty_officers]]\nemail = \"MD duty officer <cp247mail@cp247.test>\"\n"
    ));
    std::fs::write(net.node("MD").config(), config).unwrap();
    // First run: the relay's port is one nobody listens on.
    let closed = node_harness::free_port();
    net.node("MD")
        .env
        .push(("CP247__NOTIFY__SMTP_PORT".into(), closed.to_string()));
    net.node("MD").start().await;
    let md_url = net.node("MD").url.clone();
    let md_cert = net.node("MD").provisioned.cert.clone();
    let fr_text = std::fs::read_to_string(net.node("FR").dir().join("node-key.asc")).unwrap();
    let fr = NodeKey::from_locked_armored(&fr_text, &Passphrase::new(PASS.into())).unwrap();
    let (urgent, ticket) = sealed(&fr, &md_cert, Urgency::Emergency);
    assert_eq!(post_sealed(&md_url, &urgent).await["outcome"], "accepted");
    // The first attempt fails (and is recorded as such) before MD stops.
    for _ in 0..300 {
        if net.node("MD").log_tail().contains("alert e-mail failed") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        net.node("MD").log_tail().contains("alert e-mail failed"),
        "{}",
        net.node("MD").log_tail()
    );
    net.node("MD").stop();
    assert!(mails_with(&maildir, &ticket).is_empty());

    // Second run, the relay reachable: the stored alert goes out.
    net.node("MD").env.clear();
    net.node("MD").start().await;
    let mut mails = Vec::new();
    for _ in 0..600 {
        mails = mails_with(&maildir, &ticket);
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(mails.len(), 1, "the alert for {ticket} after the restart");
    let mail = MessageParser::default().parse(&mails[0]).unwrap();
    assert_eq!(
        mail.subject().unwrap(),
        format!("[cp247] EMERGENCY art29 request from FR: {ticket}")
    );
    // Let the sender record it, then restart once more: nothing is sent again.
    tokio::time::sleep(Duration::from_secs(1)).await;
    net.node("MD").stop();
    net.node("MD").start().await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    net.node("MD").stop();
    assert_eq!(mails_with(&maildir, &ticket).len(), 1, "mailed once");
}

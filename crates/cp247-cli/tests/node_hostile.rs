#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! Hostile messages posted over HTTP to a running node: a forged sender, an unknown signer, a
//! message for another node, a replay inside the window (the original receipt) and after it,
//! a suspended and a revoked sender. Each is refused with its status and stable code, is
//! counted in an audit entry of its source, code and interval, and changes nothing else.

mod node_harness;

use std::time::Duration;

use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_seal::{Cert, Handling, Header, MessageType, NodeKey, Passphrase, Payload};
use cp247_server::provision::ListingStatus;
use cp247_store::{AuditAction, Store};
use node_harness::{Network, NodeOptions, PASS, art29, client, now};
use serde_json::{Value, json};

fn key_of(net: &mut Network, code: &str) -> NodeKey {
    let text = std::fs::read_to_string(net.node(code).dir().join("node-key.asc")).unwrap();
    NodeKey::from_locked_armored(&text, &Passphrase::new(PASS.into())).unwrap()
}

fn primary(code: &str) -> Address {
    Address::primary(PartyCode::parse(code).unwrap())
}

/// A sealed Art. 29 request: signed by `signer`, claiming `sender`, addressed (header) to
/// `recipient`, encrypted to `to`, created at `at`.
fn sealed(
    signer: &NodeKey,
    sender: Address,
    recipient: Address,
    to: &Cert,
    at: jiff::Timestamp,
) -> Vec<u8> {
    let mut rng = rand::rng();
    let payload = Payload {
        header: Header {
            message_id: MessageId::generate(at, &mut rng),
            ticket: TicketId::generate(sender.party, at, &mut rng),
            message_type: MessageType::parse("art29_request").unwrap(),
            sender,
            recipient,
            created_at: Instant::utc(at),
            urgency: Urgency::Urgent,
            handling: Handling {
                confidential: true,
                marking: None,
            },
        },
        body: art29(),
        attachments: Vec::new(),
    };
    cp247_seal::seal(&payload, signer, to, at)
        .unwrap()
        .into_bytes()
}

async fn post(http: &reqwest::Client, url: &str, bytes: &[u8]) -> (u16, Value) {
    let r = http
        .post(format!("{url}/federation/v1/messages"))
        .header("content-type", "application/pgp-encrypted")
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_messages_are_refused_with_their_code_and_audited() {
    // Keys dated 40 days back, so that a message can be dated 31 days back.
    let created = now()
        .checked_sub(jiff::SignedDuration::from_hours(40 * 24))
        .unwrap();
    let mut net = Network::new_with_keys_from(
        vec![
            NodeOptions::sqlite("FR"),
            NodeOptions::sqlite("GE"),
            NodeOptions::sqlite("MD"),
        ],
        created,
    )
    .await;
    // MD keeps a short message-age window so that a replay can outlive it in this test.
    // Refusals are counted over 1 s intervals here, so that each is written soon.
    net.node("MD").env = vec![
        ("CP247__LIMITS__MAX_MESSAGE_AGE".into(), "8s".into()),
        ("CP247__DELIVERY__GIVE_UP_AFTER".into(), "6s".into()),
        ("CP247__AUDIT__REFUSAL_INTERVAL".into(), "1s".into()),
    ];
    net.node("MD").start().await;
    let md_url = net.node("MD").url.clone();
    let fr = key_of(&mut net, "FR");
    let ge = key_of(&mut net, "GE");
    let md_cert = net.node("MD").provisioned.cert.clone();
    let ge_cert = net.node("GE").provisioned.cert.clone();
    let stranger = NodeKey::generate("not in the directory", created, None).unwrap();
    let http = client();
    let (fr_a, md_a, ge_a) = (primary("FR"), primary("MD"), primary("GE"));
    let t = now();
    let old = t
        .checked_sub(jiff::SignedDuration::from_hours(31 * 24))
        .unwrap();

    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "GE's key claiming to be FR",
            sealed(&ge, fr_a, md_a, &md_cert, t),
            403,
            "signer_not_listed_for_sender",
        ),
        (
            "a key the directory does not list",
            sealed(&stranger, fr_a, md_a, &md_cert, t),
            403,
            "unknown_signer",
        ),
        (
            "a message addressed to GE, encrypted to MD",
            sealed(&fr, fr_a, ge_a, &md_cert, t),
            421,
            "recipient_not_us",
        ),
        (
            "a message encrypted to GE only",
            sealed(&fr, fr_a, ge_a, &ge_cert, t),
            421,
            "not_encrypted_to_us",
        ),
        (
            "a message 31 days old",
            sealed(&fr, fr_a, md_a, &md_cert, old),
            422,
            "too_old",
        ),
        (
            "not an OpenPGP message",
            b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n".to_vec(),
            400,
            "malformed",
        ),
    ];
    let mut expected_codes = Vec::new();
    for (what, bytes, status, code) in &cases {
        let (got, body) = post(&http, &md_url, bytes).await;
        assert_eq!(
            (got, body["error"].as_str().unwrap()),
            (*status, *code),
            "{what}: {body}"
        );
        assert!(!body["message"].as_str().unwrap().is_empty());
        expected_codes.push(*code);
    }

    // A replay inside the window: the original receipt, byte for byte, and nothing new.
    let genuine = sealed(&fr, fr_a, md_a, &md_cert, now());
    let (s1, first) = post(&http, &md_url, &genuine).await;
    assert_eq!(
        (s1, first["outcome"].as_str().unwrap()),
        (200, "accepted"),
        "{first}"
    );
    let (s2, second) = post(&http, &md_url, &genuine).await;
    assert_eq!(
        (s2, second["outcome"].as_str().unwrap()),
        (200, "duplicate")
    );
    assert_eq!(first["receipt"], second["receipt"]);
    // After the window (8 s here), the same bytes are refused as too old.
    tokio::time::sleep(Duration::from_secs(10)).await;
    let (s3, third) = post(&http, &md_url, &genuine).await;
    assert_eq!(
        (s3, third["error"].as_str().unwrap()),
        (422, "too_old"),
        "{third}"
    );
    expected_codes.push("too_old");

    // GE suspended, then revoked, by newer directories.
    let since = now()
        .checked_sub(jiff::SignedDuration::from_mins(1))
        .unwrap();
    for (status, code) in [
        (
            ListingStatus::Suspended(since, "Suspected compromise of its node key.".into()),
            "key_suspended",
        ),
        (
            ListingStatus::Revoked(since, "The Party left the network.".into()),
            "key_revoked",
        ),
    ] {
        net.publish(&[("GE", status)]);
        let md = net.node("MD");
        let refreshed = http
            .post(format!("{}/api/v1/directory/refresh", md.url))
            .bearer_auth(&md.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(refreshed.status(), 200);
        let (got, body) = post(&http, &md_url, &sealed(&ge, ge_a, md_a, &md_cert, now())).await;
        assert_eq!(
            (got, body["error"].as_str().unwrap()),
            (403, code),
            "{body}"
        );
        expected_codes.push(code);
    }

    // Nothing but the genuine message was stored; every refusal is in the audit log.
    let md = net.node("MD");
    let tickets: Value = http
        .get(format!("{}/api/v1/tickets", md.url))
        .bearer_auth(&md.officer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tickets["items"].as_array().unwrap().len(), 1, "{tickets}");
    let db = md.database_url();
    // The last refusals' interval ends; the node writes its counts at the latest when it stops.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    md.stop();
    let store = Store::connect(&db, Default::default()).await.unwrap();
    let entries = store.audit_entries(0, 500).await.unwrap();
    let rejected: Vec<String> = entries
        .iter()
        .filter(|e| e.action == AuditAction::Reject)
        .map(|e| {
            let details: Value = serde_json::from_str(&e.details).unwrap();
            assert!(e.actor.as_str().starts_with("unverified:"), "{}", e.actor);
            assert!(details["first"]["sealed_sha256"].is_string(), "{details}");
            assert_eq!(details["count"], 1, "{details}");
            assert_eq!(details["source"], "127.0.0.1", "{details}");
            details["code"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(
        rejected, expected_codes,
        "one audit entry per refusal code and interval (each here counts one), in order"
    );
    let received = entries
        .iter()
        .filter(|e| e.action == AuditAction::Receive)
        .count();
    assert_eq!(received, 1);
    assert!(store.verify_chain(&[]).await.unwrap().faults.is_empty());
    store.close().await;
    let _ = json!({});
}

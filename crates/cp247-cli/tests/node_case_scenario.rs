#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! The done-when scenario of issue #5 with real `cp247 serve` processes on 127.0.0.1: France
//! (requester), Moldova's primary contact point and Moldova's alternate contact point (its own
//! node). The nodes' clocks are moved forward through the test-only clock control
//! (`[testing] clock_control`, loopback only), the requested side first so that no message
//! ever looks as if it came from the future.
//!
//! Art. 29 request → signed receipt → no human acknowledgement → escalation to the alternate →
//! acknowledgement → preservation confirmed (preserved_until) → reminders at the right clock
//! times → extension (its own ticket) → Art. 31 follow-up chained → MLA submitted (clock
//! frozen) → executed → closed.

mod node_harness;

use std::time::Duration;

use node_harness::{Network, NodeOptions, NodeProc, art29, client};
use serde_json::{Value, json};

const SCHEDULER: (&str, &str) = ("CP247__CASES__SCHEDULER_EVERY", "200ms");
const CLOCK: (&str, &str) = ("CP247__TESTING__CLOCK_CONTROL", "true");

async fn call(
    node: &NodeProc,
    method: &str,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let http = client();
    let url = format!("{}{path}", node.url);
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
    assert_eq!(status, 200, "{}: {v}", node.code);
    v
}

/// Polls the case view of `ticket` on `node` until `ok` holds (at most 30 s).
async fn wait_case(
    node: &NodeProc,
    ticket: &str,
    what: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    for _ in 0..300 {
        let (status, v) = call(
            node,
            "GET",
            &format!("/api/v1/cases/{ticket}"),
            &node.officer,
            None,
        )
        .await;
        if status == 200 && ok(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "{}: {what} did not happen in 30 s\n{}",
        node.code,
        node.log_tail()
    );
}

/// Moves `node`'s clock forward; returns its new time.
async fn advance(node: &NodeProc, by: &str) -> jiff::Timestamp {
    let (status, v) = call(
        node,
        "POST",
        "/api/v1/testing/clock",
        &node.admin,
        Some(json!({ "advance": by })),
    )
    .await;
    assert_eq!(status, 200, "{}: {v}", node.code);
    v["now"].as_str().unwrap().parse().unwrap()
}

async fn node_now(node: &NodeProc) -> jiff::Timestamp {
    advance(node, "0s").await
}

async fn reply(node: &NodeProc, ticket: &str, body: Value) -> Value {
    let (status, v) = call(
        node,
        "POST",
        &format!("/api/v1/cases/{ticket}/replies"),
        &node.officer,
        Some(json!({ "reply": body })),
    )
    .await;
    assert_eq!(status, 201, "{}: {v}", node.code);
    v
}

async fn request(node: &NodeProc, to_alternate: bool, document: Value) -> String {
    let mut body = json!({ "to": "MD", "document": document });
    if to_alternate {
        body["contact_point"] = json!("alternate");
    }
    let (status, v) = call(node, "POST", "/api/v1/requests", &node.officer, Some(body)).await;
    assert_eq!(status, 201, "{}: {v}", node.code);
    v["ticket"].as_str().unwrap().to_owned()
}

fn example(kind: &str) -> Value {
    let k = cp247_case::MessageKind::from_name(kind).unwrap();
    serde_json::from_str(cp247_case::reply::examples::json(k).unwrap()).unwrap()
}

fn na(reason: &str) -> Value {
    json!({ "not_applicable": { "reason": reason } })
}

fn at(t: jiff::Timestamp) -> String {
    t.to_string()
}

fn ticket_ref(ticket: &str) -> Value {
    json!({
        "ticket_id": ticket,
        "counterpart_reference": "CCCI-2026-311",
        "date": "2026-02-21",
        "channel": "network_system",
        "requesting_contact": "Office anti-cybercriminalité (OFAC), 24/7 contact point, Nanterre, France; ofac-247@example.org; +33199001234",
        "executing_contact": "General Police Inspectorate, Centre for Combating Cyber Crime, Chișinău; cccc-247@example.com; +37322000000"
    })
}

fn events(v: &Value) -> Vec<String> {
    v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap().to_owned())
        .collect()
}

fn has_event(v: &Value, name: &str) -> bool {
    events(v).iter().any(|e| e == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_escalation_preservation_reminders_extension_follow_up_mla_execution_closing() {
    let mut net = Network::new(vec![
        NodeOptions::sqlite("FR"),
        NodeOptions::sqlite("MD"),
        NodeOptions::sqlite("MD-alt"),
    ])
    .await;
    // Valid long enough for the clocks to move through the whole preservation.
    net.publish_valid_for(&[], jiff::SignedDuration::from_hours(24 * 400));
    for code in ["FR", "MD", "MD-alt"] {
        let n = net.node(code);
        n.env.push((SCHEDULER.0.into(), SCHEDULER.1.into()));
        n.env.push((CLOCK.0.into(), CLOCK.1.into()));
        n.start().await;
    }
    let fr = &net.nodes[0];
    let md = &net.nodes[1];
    let alt = &net.nodes[2];

    // 1. The urgent Art. 29 request to Moldova's primary contact point.
    let a = request(fr, false, art29()).await;
    // 2. The receiving node's signed receipt: delivered, but no person has acknowledged.
    let v = wait_case(fr, &a, "the receipt", |v| v["case"]["state"] == "delivered").await;
    assert!(v["case"]["human_ack_at"].is_null());
    assert!(has_event(&v, "system_receipt"), "{:?}", events(&v));
    let due = &v["due"][0];
    assert_eq!(due["kind"], "human_acknowledgement");
    assert_eq!(due["owed_by"], "requested");
    let at_md = wait_case(md, &a, "the request at MD", |v| {
        v["case"]["state"] == "delivered"
    })
    .await;
    assert_eq!(at_md["case"]["role"], "requested");

    // 3. Nobody at MD's primary acknowledges within two hours: FR escalates to the alternate.
    for n in [md, alt, fr] {
        advance(n, "121m").await;
    }
    let v = wait_case(fr, &a, "the escalation", |v| has_event(v, "escalated")).await;
    assert_eq!(v["escalations"][0]["direction"], "out");
    assert_eq!(v["escalations"][0]["target"], "MD/alternate");
    assert!(
        has_event(&v, "reminder:acknowledgement_overdue"),
        "{:?}",
        events(&v)
    );
    let esc = v["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "escalated")
        .unwrap();
    assert_eq!(esc["message"]["recipient"], "MD/alternate");
    // The alternate's node opens the case from the notice and records the escalation.
    let at_alt = wait_case(alt, &a, "the escalation at the alternate", |v| {
        v["case"]["state"] == "delivered"
    })
    .await;
    assert_eq!(at_alt["escalations"][0]["direction"], "in");
    assert!(has_event(&at_alt, "escalation_received"));

    // 4. The alternate's duty officer acknowledges.
    let now = node_now(alt).await;
    let mut ack = example("acknowledgement");
    ack["received_at"] = json!(at(now));
    ack["next_step_eta"] = na("The next step depends on the provider's answer.");
    reply(alt, &a, ack).await;
    let v = wait_case(fr, &a, "the acknowledgement", |v| {
        v["case"]["state"] == "in_progress"
    })
    .await;
    assert!(v["case"]["human_ack_at"].is_string());

    // 5. Preservation confirmed for 90 days.
    let now = node_now(alt).await;
    let until = now + jiff::SignedDuration::from_hours(24 * 90);
    let mut confirmed = example("preservation_confirmed");
    confirmed["preserved_at"] = json!(at(now));
    confirmed["preserved_until"] = json!(at(until));
    reply(alt, &a, confirmed).await;
    let v = wait_case(fr, &a, "the preservation", |v| {
        v["case"]["state"] == "preserved"
    })
    .await;
    let shown_until: jiff::Timestamp = v["case"]["preserved_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(shown_until, until);
    assert!(
        !v["reminders"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "preservation_expiring"),
        "no expiry reminder yet"
    );

    // 6. Reminders at the right clock times: 14 days before the end, not before.
    let fr_now = node_now(fr).await;
    let to_reminder = until - jiff::SignedDuration::from_hours(24 * 14) - fr_now;
    let secs = to_reminder.as_secs() + 60;
    for n in [md, alt, fr] {
        advance(n, &format!("{secs}s")).await;
    }
    let v = wait_case(fr, &a, "the 14-day reminder", |v| {
        v["reminders"].as_array().unwrap().iter().any(|r| {
            r["key"]
                .as_str()
                .unwrap()
                .contains("preservation_expiring.14d")
        })
    })
    .await;
    let r = v["reminders"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| {
            r["key"]
                .as_str()
                .unwrap()
                .contains("preservation_expiring.14d")
        })
        .unwrap();
    let fire_at: jiff::Timestamp = r["fire_at"].as_str().unwrap().parse().unwrap();
    let fired_at: jiff::Timestamp = r["fired_at"].as_str().unwrap().parse().unwrap();
    // 14 days before at the same wall-clock time in Paris (no DST change inside the window
    // is assumed by the equality only when there is none; the key names the target).
    assert!(fire_at <= fired_at, "{r}");
    assert!(
        fired_at - fire_at < jiff::SignedDuration::from_mins(5),
        "{r}"
    );
    assert!(r["key"].as_str().unwrap().ends_with(&at(until)), "{r}");
    assert!(!v["reminders"].as_array().unwrap().iter().any(|r| {
        r["key"]
            .as_str()
            .unwrap()
            .contains("preservation_expiring.7d")
    }));

    // 7. Extension: its own ticket, naming the first, to the alternate that handles the case.
    let mut ext = art29();
    ext["request_status"] = json!("extension");
    ext["previous_ticket"] = ticket_ref(&a);
    let b = request(fr, true, ext).await;
    wait_case(alt, &b, "the extension request at the alternate", |v| {
        v["case"]["state"] == "delivered"
    })
    .await;
    let now = node_now(alt).await;
    let mut ack = example("acknowledgement");
    ack["received_at"] = json!(at(now));
    ack["next_step_eta"] = na("The extension is decided today.");
    reply(alt, &b, ack).await;
    let new_until = until + jiff::SignedDuration::from_hours(24 * 60);
    let mut granted = example("extension_confirmed");
    granted["previous_preserved_until"] = json!(at(until));
    granted["new_preserved_until"] = json!(at(new_until));
    reply(alt, &b, granted).await;
    let v = wait_case(fr, &a, "the extended preservation", |v| {
        v["case"]["preservation"]["extensions"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    })
    .await;
    let extended: jiff::Timestamp = v["case"]["preserved_until"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(extended, new_until);
    assert_eq!(case(fr, &b).await["case"]["state"], "executed");

    // 8. The Art. 31 follow-up names the preservation: the chain shows all three.
    let mut follow =
        serde_json::from_str::<Value>(cp247_forms::examples::json(cp247_forms::Kind::Art31))
            .unwrap();
    follow["previous_preservation"] = ticket_ref(&a);
    let c = request(fr, true, follow).await;
    let v = wait_case(alt, &c, "the follow-up at the alternate", |v| {
        v["case"]["state"] == "delivered"
    })
    .await;
    assert_eq!(v["case"]["previous_ticket"], a.as_str());
    let v = case(fr, &a).await;
    let chain: Vec<&str> = v["chain"]["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["ticket"].as_str().unwrap())
        .collect();
    assert_eq!(chain[0], a.as_str());
    assert!(
        chain.contains(&b.as_str()) && chain.contains(&c.as_str()),
        "{chain:?}"
    );

    // 9. MLA submitted: the preservation clock is frozen.
    let now = node_now(fr).await;
    let mut mla = example("mla_submitted_notice");
    mla["submitted_at"] = json!(at(now));
    reply(fr, &a, mla).await;
    wait_case(alt, &a, "the MLA notice", |v| {
        v["case"]["state"] == "mla_pending"
    })
    .await;
    let secs = (new_until - node_now(fr).await).as_secs() + 3600;
    for n in [md, alt, fr] {
        advance(n, &format!("{secs}s")).await;
    }
    tokio::time::sleep(Duration::from_millis(800)).await;
    let v = case(fr, &a).await;
    assert_eq!(
        v["case"]["state"], "mla_pending",
        "frozen: no lapse after the old end"
    );
    assert!(!has_event(&v, "lapsed"));

    // 10. The follow-up is executed; both sides close it.
    let now = node_now(alt).await;
    let mut ack = example("acknowledgement");
    ack["received_at"] = json!(at(now));
    ack["next_step_eta"] = na("The data are produced today.");
    reply(alt, &c, ack).await;
    reply(alt, &c, example("executed")).await;
    wait_case(fr, &c, "the execution", |v| {
        v["case"]["state"] == "executed"
    })
    .await;
    for n in [fr, alt] {
        let (status, v) = call(
            n,
            "POST",
            &format!("/api/v1/cases/{c}/close"),
            &n.officer,
            None,
        )
        .await;
        assert_eq!(status, 200, "{v}");
        assert_eq!(v["state"], "closed");
        assert_eq!(v["outcome"], "executed");
    }
    // Closed accepts nothing more.
    let (status, v) = call(
        fr,
        "POST",
        &format!("/api/v1/cases/{c}/close"),
        &fr.officer,
        None,
    )
    .await;
    assert_eq!(status, 409, "{v}");
    assert_eq!(v["error"], "illegal_transition");
    assert!(v["messages"]["fr"].is_string());

    // 11. Both sides' audit logs verify: the binary, as a process, on each stopped node.
    for code in ["FR", "MD", "MD-alt"] {
        net.node(code).stop();
    }
    for code in ["FR", "MD", "MD-alt"] {
        let checked = audit_verify(net.node(code));
        assert!(checked > 0, "{code}: no audit entry checked");
    }
}

/// Runs `cp247 audit verify` on a stopped node; asserts that it reports an intact log and
/// returns the number of entries it says it checked.
fn audit_verify(node: &NodeProc) -> u64 {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cp247"))
        .args(["audit", "verify", "--config"])
        .arg(node.config())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}: audit verify failed ({}):\n{stdout}{stderr}",
        node.code,
        out.status
    );
    // "the audit log of MD/primary is intact: N entries, head …"
    let summary = stdout
        .lines()
        .find_map(|l| l.split_once(" is intact: "))
        .map(|(_, rest)| rest)
        .unwrap_or_else(|| panic!("{}: no verdict in\n{stdout}", node.code));
    summary
        .split_once(" entries")
        .and_then(|(n, _)| n.parse().ok())
        .unwrap_or_else(|| panic!("{}: no entry count in «{summary}»", node.code))
}

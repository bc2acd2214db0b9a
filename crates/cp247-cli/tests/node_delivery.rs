#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! Real `cp247 serve` processes on 127.0.0.1: a request travels from FR to MD and comes back
//! with a verified signed receipt; a peer that is down is retried and, once back, receives the
//! message exactly once.

mod node_harness;

use std::time::Duration;

use node_harness::{Network, NodeOptions, client, count_deliveries, get, send_request};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_reaches_the_peer_and_its_receipt_comes_back() {
    let mut net = Network::new(vec![NodeOptions::sqlite("FR"), NodeOptions::sqlite("MD")]).await;
    net.node("FR").start().await;
    net.node("MD").start().await;
    let http = client();
    let (ticket, message_id) = send_request(&http, net.node("FR"), "MD").await;

    let mut delivered = None;
    for _ in 0..300 {
        let shown = get(&http, net.node("FR"), &format!("/api/v1/tickets/{ticket}")).await;
        if shown["messages"][0]["delivery"]["state"] == "delivered" {
            delivered = Some(shown);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let shown = delivered.expect("delivered within 30 s");
    let message = &shown["messages"][0];
    assert_eq!(message["message_id"], message_id.as_str());
    assert_eq!(message["delivery"]["attempts"], 1);
    let receipt = message["delivery"]["receipt"].as_str().unwrap();
    assert!(
        receipt.starts_with("-----BEGIN PGP MESSAGE-----"),
        "{receipt}"
    );

    let at_md = get(&http, net.node("MD"), &format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(at_md["ticket"]["counterpart"], "FR");
    assert_eq!(at_md["messages"].as_array().unwrap().len(), 1);
    assert_eq!(at_md["messages"][0]["message_id"], message_id.as_str());
    assert_eq!(
        at_md["messages"][0]["sealed_sha256"],
        message["sealed_sha256"]
    );

    net.node("FR").stop();
    net.node("MD").stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_is_down_gets_the_message_once_when_it_is_back() {
    let mut net = Network::new(vec![NodeOptions::sqlite("FR"), NodeOptions::sqlite("MD")]).await;
    net.node("FR").start().await;
    let http = client();
    let (ticket, _) = send_request(&http, net.node("FR"), "MD").await;

    // MD is down: the message waits, retried, with the reason in words.
    let mut seen_retrying = None;
    for _ in 0..100 {
        let shown = get(&http, net.node("FR"), &format!("/api/v1/tickets/{ticket}")).await;
        let d = &shown["messages"][0]["delivery"];
        if d["state"] == "retrying" && d["attempts"].as_u64().unwrap() >= 2 {
            seen_retrying = Some(d.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let d = seen_retrying.expect("the message is retried while MD is down");
    let error = d["last_error"].as_str().unwrap();
    assert!(error.contains("cannot connect"), "{error}");
    assert!(d["next_attempt_at"].is_string());
    assert_eq!(
        count_deliveries(&http, net.node("FR"), "delivered").await,
        0
    );

    net.node("MD").start().await;
    let mut delivered = false;
    for _ in 0..300 {
        let shown = get(&http, net.node("FR"), &format!("/api/v1/tickets/{ticket}")).await;
        if shown["messages"][0]["delivery"]["state"] == "delivered" {
            delivered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered, "delivered once MD is back");
    let at_md = get(&http, net.node("MD"), "/api/v1/tickets").await;
    assert_eq!(at_md["items"].as_array().unwrap().len(), 1, "{at_md}");
    let shown = get(&http, net.node("MD"), &format!("/api/v1/tickets/{ticket}")).await;
    assert_eq!(
        shown["messages"].as_array().unwrap().len(),
        1,
        "exactly once"
    );

    net.node("FR").stop();
    net.node("MD").stop();
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! Real `cp247 serve` processes on 127.0.0.1: a request with a 1 MiB attachment travels from FR
//! to MD, sealed and signed with the request; MD lists it and serves byte-identical bytes with
//! the same SHA-256; a third Party's node knows nothing of it.

mod node_harness;

use base64::Engine as _;
use node_harness::{Network, NodeOptions, art29, client, get, wait_all_delivered};
use rand::RngCore as _;
use serde_json::{Value, json};
use sha2::Digest as _;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_mib_attachment_reaches_the_peer_identical() {
    let mut net = Network::new(vec![
        NodeOptions::sqlite("FR"),
        NodeOptions::sqlite("MD"),
        NodeOptions::sqlite("DE"),
    ])
    .await;
    net.node("FR").start().await;
    net.node("MD").start().await;
    net.node("DE").start().await;
    let http = client();

    let mut file = vec![0u8; 1024 * 1024];
    rand::rng().fill_bytes(&mut file);
    let sha = hex::encode(sha2::Sha256::digest(&file));
    let fr = net.node("FR");
    let r = http
        .post(format!("{}/api/v1/requests", fr.url))
        .bearer_auth(&fr.officer)
        .json(&json!({ "to": "MD", "document": art29(), "attachments": [{
            "file_name": "journaux de connexion.bin",
            "media_type": "application/octet-stream",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(&file),
        }]}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let created: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{created}");
    let ticket = created["ticket"].as_str().unwrap().to_owned();
    let message_id = created["message_id"].as_str().unwrap().to_owned();
    wait_all_delivered(&http, net.node("FR"), 1, 60).await;

    let md = net.node("MD");
    let shown = get(&http, md, &format!("/api/v1/tickets/{ticket}")).await;
    let listed = &shown["messages"][0]["attachments"][0];
    assert_eq!(listed["file_name"], "journaux de connexion.bin");
    assert_eq!(listed["size"], 1024 * 1024);
    assert_eq!(listed["sha256"], sha.as_str());
    let path = format!("/api/v1/tickets/{ticket}/messages/{message_id}/attachments/0");
    let r = http
        .get(format!("{}{path}", md.url))
        .bearer_auth(&md.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/octet-stream");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(bytes.len(), file.len());
    assert!(bytes.as_ref() == file.as_slice(), "the bytes differ");
    assert_eq!(hex::encode(sha2::Sha256::digest(&bytes)), sha);

    // The third Party's node has no such ticket; its officers cannot read the file.
    let de = net.node("DE");
    let r = http
        .get(format!("{}{path}", de.url))
        .bearer_auth(&de.officer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "ticket_not_found");
    // Without a token, nothing.
    let md_url = net.node("MD").url.clone();
    let r = http.get(format!("{md_url}{path}")).send().await.unwrap();
    assert_eq!(r.status(), 401);

    for code in ["FR", "MD", "DE"] {
        net.node(code).stop();
    }
}

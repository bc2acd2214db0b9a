#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! `listen_officers`: with a separate address for the officers, the peers' address serves
//! only the federation endpoint and `/healthz`, and the officers' address serves the web
//! interface, the API and the probes but not the federation endpoint (ADR 0022).

mod web_harness;

use std::time::Duration;

use cp247_server::auth::Role;
use reqwest::StatusCode;
use web_harness::{Other, client, machine_token, start_configured};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_officers_routes_are_served_only_on_the_officers_address() {
    let n = start_configured(
        Other {
            unit: "MD unit",
            zone: "Europe/Chisinau",
        },
        |config| config.listen_officers = Some("127.0.0.1:0".parse().unwrap()),
    )
    .await;
    let officers = n
        .node
        .officers_addr
        .expect("the node listens for officers apart");
    assert_ne!(officers, n.node.local_addr);
    let peers = &n.base;
    let officers = format!("http://{officers}");
    let http = client();
    let officer = machine_token(&n, "desk", Role::Officer).await;
    let monitor = machine_token(&n, "probe", Role::Monitor).await;

    let status = |base: &str, method: &str, path: &str, token: Option<&str>| {
        let http = http.clone();
        let url = format!("{base}{path}");
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let token = token.map(str::to_owned);
        async move {
            let mut request = http.request(method, url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            request.send().await.unwrap().status()
        }
    };

    // The peers' address: the federation endpoint and the liveness probe, nothing else.
    assert_eq!(
        status(peers, "GET", "/federation/v1/identity", None).await,
        StatusCode::OK
    );
    assert_eq!(status(peers, "GET", "/healthz", None).await, StatusCode::OK);
    // A message that is not one is refused by the endpoint itself, not by the router.
    assert_ne!(
        status(peers, "POST", "/federation/v1/messages", None).await,
        StatusCode::NOT_FOUND
    );
    for (method, path, token) in [
        ("GET", "/", None),
        ("POST", "/sign-in", None),
        ("GET", "/inbox", None),
        ("GET", "/static/app.css", None),
        ("GET", "/api/v1/tickets", Some(officer.as_str())),
        ("POST", "/api/v1/requests", Some(officer.as_str())),
        ("GET", "/api/v1/openapi.json", None),
        ("GET", "/metrics", Some(monitor.as_str())),
        ("GET", "/readyz", None),
    ] {
        assert_eq!(
            status(peers, method, path, token).await,
            StatusCode::NOT_FOUND,
            "{method} {path} on the peers' address"
        );
    }

    // The officers' address: the rest, but not the federation endpoint.
    for (method, path, token) in [
        ("GET", "/", None),
        ("GET", "/static/app.css", None),
        ("GET", "/api/v1/tickets", Some(officer.as_str())),
        ("GET", "/api/v1/openapi.json", None),
        ("GET", "/metrics", Some(monitor.as_str())),
        ("GET", "/healthz", None),
    ] {
        assert_eq!(
            status(&officers, method, path, token).await,
            StatusCode::OK,
            "{method} {path} on the officers' address"
        );
    }
    for (method, path) in [
        ("GET", "/federation/v1/identity"),
        ("POST", "/federation/v1/messages"),
    ] {
        assert_eq!(
            status(&officers, method, path, None).await,
            StatusCode::NOT_FOUND,
            "{method} {path} on the officers' address"
        );
    }

    n.node.shutdown_token().cancel();
    tokio::time::timeout(Duration::from_secs(30), n.node.wait())
        .await
        .expect("the node stops");
}

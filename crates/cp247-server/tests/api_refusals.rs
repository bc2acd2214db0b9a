#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! Every refusal of the API's extractors — a query string, a path, a JSON body, its content
//! type, its length — is the documented JSON error (`{"error": CODE, "message": …}` with a
//! stable code), never axum's `text/plain` answer (issue #11: schemathesis found GET
//! /api/v1/cases, /tickets, /deliveries and /due answering bad query strings in plain text).
//! Also: the rules the OpenAPI document states for token names and references are the
//! server's, and the node serves the document.

mod web_harness;

use cp247_server::auth::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use web_harness::{Node, Other, client, machine_token, start_with};

async fn start() -> Node {
    start_with(Other {
        unit: "MD unit",
        zone: "Europe/Chisinau",
    })
    .await
}

/// Checks that `response` is the API's JSON error with `status` and `code`; returns its body.
async fn refused(response: reqwest::Response, status: StatusCode, code: &str, what: &str) -> Value {
    assert_eq!(response.status(), status, "{what}");
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: {content_type}: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["error"], code, "{what}: {body}");
    let message = body["message"].as_str().unwrap();
    assert!(!message.is_empty(), "{what}");
    // No internals: no Rust type paths, no source locations.
    for leak in ["::", ".rs:", "axum", "serde"] {
        assert!(!message.contains(leak), "{what}: {message}");
    }
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert!(
        keys.iter()
            .all(|k| ["error", "message"].contains(&k.as_str())),
        "{what}: {body}"
    );
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_query_strings_are_json_errors_on_every_listing() {
    let n = start().await;
    let http = client();
    let officer = machine_token(&n, "case-system", Role::Officer).await;
    for route in [
        "/api/v1/cases",
        "/api/v1/tickets",
        "/api/v1/deliveries",
        "/api/v1/due",
    ] {
        for query in [
            "limit=abc",
            "offset=-1",
            "limit=99999999999999999999",
            "unknown=1",
            "within=%FF%FE",
            "limit=1&limit=2",
        ] {
            // /due takes only `within` (text, checked after parsing); the listings take
            // offset, limit (and state).
            let code = match (route, query) {
                ("/api/v1/due", "within=%FF%FE") => "invalid_within",
                (_, _) => "invalid_query",
            };
            let status = StatusCode::BAD_REQUEST;
            let r = http
                .get(format!("{}{route}?{query}", n.base))
                .bearer_auth(&officer)
                .send()
                .await
                .unwrap();
            refused(r, status, code, &format!("GET {route}?{query}")).await;
        }
    }
    // The checks after parsing keep their own codes, in the same body.
    for (path, code) in [
        ("/api/v1/cases?limit=0", "invalid_page"),
        ("/api/v1/tickets?limit=501", "invalid_page"),
        ("/api/v1/deliveries?state=lost", "invalid_state"),
        ("/api/v1/due?within=91d", "invalid_within"),
        ("/api/v1/due?within=soon", "invalid_within"),
    ] {
        let r = http
            .get(format!("{}{path}", n.base))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        refused(r, StatusCode::BAD_REQUEST, code, path).await;
    }
    // Without a token, the answer is 401 whatever the query: authentication comes first.
    let r = http
        .get(format!("{}/api/v1/cases?limit=abc", n.base))
        .send()
        .await
        .unwrap();
    refused(r, StatusCode::UNAUTHORIZED, "unauthorized", "no token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_paths_and_bodies_are_json_errors() {
    let n = start().await;
    let http = client();
    let officer = machine_token(&n, "case-system", Role::Officer).await;
    let admin = machine_token(&n, "admin-system", Role::Administrator).await;

    // Paths: a segment that is not UTF-8, a ticket id of the wrong form.
    for (path, code) in [
        ("/api/v1/tickets/%FF%FE", "invalid_path"),
        ("/api/v1/cases/%C0", "invalid_path"),
        ("/api/v1/cases/not-a-ticket", "invalid_ticket_id"),
        ("/api/v1/cases/UK-2026-ABCDEF", "invalid_ticket_id"),
    ] {
        let r = http
            .get(format!("{}{path}", n.base))
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap();
        refused(r, StatusCode::BAD_REQUEST, code, path).await;
    }

    // Bodies of POST /api/v1/requests and POST /api/v1/cases/{ticket}/replies.
    let big = vec![b' '; 64 * 1024 * 1024];
    for route in ["/api/v1/requests", "/api/v1/cases/FR-2026-ABCDEF/replies"] {
        let cases: Vec<(Option<&str>, Vec<u8>, StatusCode, &str)> = vec![
            (
                None,
                b"{}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                Some("text/plain"),
                b"{}".to_vec(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
            ),
            (
                Some("application/json"),
                b"{".to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_json",
            ),
            (
                Some("application/json"),
                b"[]".to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_json",
            ),
            (
                Some("application/json"),
                br#"{"to": 7, "reply": 7, "document": 7}"#.to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_json",
            ),
            (
                Some("application/json"),
                br#"{"to": "MD", "reply": {}, "document": {}, "surprise": 1}"#.to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_json",
            ),
            (
                Some("application/json"),
                br#"{"to": "MD", "reply": {}, "document": {}, "marking": ""}"#.to_vec(),
                StatusCode::BAD_REQUEST,
                "invalid_json",
            ),
            (
                Some("application/json"),
                big.clone(),
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
            ),
        ];
        for (content_type, body, status, code) in cases {
            let mut request = http
                .post(format!("{}{route}", n.base))
                .bearer_auth(&officer)
                .body(body.clone());
            if let Some(t) = content_type {
                request = request.header("content-type", t);
            }
            let what = format!(
                "POST {route} ({content_type:?}, {} bytes)",
                body.len().min(40)
            );
            // A body over the limit may be cut off while it is still being sent.
            match request.send().await {
                Ok(r) => {
                    refused(r, status, code, &what).await;
                }
                Err(e) if status == StatusCode::PAYLOAD_TOO_LARGE => {
                    assert!(e.is_request() || e.is_body(), "{what}: {e}");
                }
                Err(e) => panic!("{what}: {e}"),
            }
        }
    }

    // The rules the document states for a token's name (TokenName) are the server's.
    let (longest, too_long) = ("x".repeat(64), "y".repeat(65));
    for (name, ok) in [
        ("grafana", true),
        (" padded name ", true),
        ("   ", false),
        ("", false),
        ("tab\there", false),
        ("café", false),
        (longest.as_str(), true),
        (too_long.as_str(), false),
    ] {
        let r = http
            .post(format!("{}/api/v1/tokens", n.base))
            .bearer_auth(&admin)
            .json(&json!({ "name": name, "role": "monitor" }))
            .send()
            .await
            .unwrap();
        if ok {
            assert_eq!(r.status(), StatusCode::CREATED, "{name:?}");
        } else {
            refused(
                r,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_token_name",
                name,
            )
            .await;
        }
    }
    // A null is the same as a missing optional field (the document says so).
    let r = http
        .post(format!("{}/api/v1/tokens", n.base))
        .bearer_auth(&admin)
        .json(
            &json!({ "name": "nulls", "role": "monitor", "account": null, "lifetime_days": null }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);

    // A reference over the documented length is refused before anything is read.
    let r = http
        .post(format!("{}/api/v1/requests", n.base))
        .bearer_auth(&officer)
        .json(&json!({ "to": "MD", "document": {}, "reference": "é".repeat(251) }))
        .send()
        .await
        .unwrap();
    refused(
        r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_reference",
        "long reference",
    )
    .await;

    // The node serves the committed document (default limits).
    let served: Value = http
        .get(format!("{}/api/v1/openapi.json", n.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let committed: Value = serde_json::from_str(cp247_server::routes::openapi::TEMPLATE).unwrap();
    assert_eq!(served, committed);
}

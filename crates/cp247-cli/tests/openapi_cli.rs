#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Process tests: a failed step must stop the test loudly.

//! The OpenAPI document (`docs/api/openapi.json`) against two real `cp247 serve` processes:
//! the document is valid JSON Schema 2020-12 where it holds schemas, the node serves it; every
//! API route of the node's route table (`cp247_server::routes::ROUTES`: the REST API, the
//! federation endpoint, probes and metrics; not the web pages) is documented and every documented
//! operation is one of them and exists on the node; and each route's actual answers — successes and
//! errors — have a documented status and a body that the documented schema accepts.

mod node_harness;

use cp247_server::routes::{Guard, ROUTES};
use node_harness::{Network, NodeOptions, NodeProc, art29, client};
use reqwest::Method;
use serde_json::{Value, json};

/// The routes the OpenAPI document describes: everything but the web pages and the fallback.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
        || path.starts_with("/federation/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// (method, sample path, public) of every API route in the node's route table.
fn api_routes() -> Vec<(&'static str, &'static str, bool)> {
    ROUTES
        .iter()
        .filter(|(_, p, _)| is_api(p))
        .map(|(m, p, g)| (*m, *p, matches!(g, Guard::Public(_))))
        .collect()
}

const DOCUMENT: &str = include_str!("../../../docs/api/openapi.json");

fn document() -> Value {
    serde_json::from_str(DOCUMENT).unwrap()
}

/// True when the concrete `path` fits the documented `template` (`{name}` matches a segment).
fn fits(template: &str, path: &str) -> bool {
    let path = path.split('?').next().unwrap();
    let t: Vec<&str> = template.split('/').collect();
    let p: Vec<&str> = path.split('/').collect();
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}') && !p.is_empty()))
}

/// The documented operations: (METHOD, path template).
fn operations(doc: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.push((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

fn operation<'a>(doc: &'a Value, method: &str, path: &str) -> (&'a str, &'a Value) {
    let found: Vec<(&str, &Value)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(template, _)| fits(template, path))
        .filter_map(|(template, item)| {
            item.get(method.to_ascii_lowercase())
                .map(|op| (template.as_str(), op))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{method} {path}: documented {} times",
        found.len()
    );
    found[0]
}

/// Follows a local `$ref` to a component.
fn deref<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap(),
        None => v,
    }
}

/// A validator for `schema`, inside the whole document so that its references resolve.
fn validator(doc: &Value, schema: &Value) -> jsonschema::Validator {
    let mut root = doc.clone();
    root["$defs"] = json!({ "target": schema });
    root["$ref"] = json!("#/$defs/target");
    jsonschema::draft202012::new(&root).unwrap()
}

/// Checks one answer against the document; returns the body.
#[allow(clippy::too_many_arguments)] // one argument per part of the request, read at each call
async fn check(
    doc: &Value,
    http: &reqwest::Client,
    node: &NodeProc,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<(&str, Vec<u8>)>,
    expected: &[u16],
) -> Value {
    let mut request = http.request(method.clone(), format!("{}{path}", node.url));
    if let Some(t) = token {
        request = request.bearer_auth(t);
    }
    if let Some((content_type, bytes)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.unwrap();
    assert!(
        expected.contains(&status),
        "{method} {path}: status {status}, expected {expected:?}: {text}"
    );
    let (template, op) = operation(doc, method.as_str(), path);
    let documented = op["responses"].get(status.to_string()).unwrap_or_else(|| {
        panic!("{method} {template}: status {status} is not documented: {text}")
    });
    let documented = deref(doc, documented);
    let Some(content) = documented.get("content").and_then(Value::as_object) else {
        return Value::Null;
    };
    let media = content_type.split(';').next().unwrap().trim();
    let spec = content.get(media).unwrap_or_else(|| {
        panic!("{method} {template} {status}: content type {media} is not documented")
    });
    let value: Value = if media == "application/json" {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
    } else {
        Value::String(text)
    };
    let v = validator(doc, &spec["schema"]);
    let errors: Vec<String> = v
        .iter_errors(&value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path} {status}: the body does not fit the documented schema:\n{}\n{value}",
        errors.join("\n")
    );
    value
}

#[test]
fn the_document_is_openapi_3_1_with_valid_schemas() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    for (name, schema) in doc["components"]["schemas"].as_object().unwrap() {
        jsonschema::draft202012::meta::validate(schema)
            .unwrap_or_else(|e| panic!("components.schemas.{name}: {e}"));
        validator(&doc, schema);
    }
    // The validators do reject what the schemas refuse (so the checks below can fail).
    let error = validator(&doc, &json!({ "$ref": "#/components/schemas/Error" }));
    assert!(error.is_valid(&json!({ "error": "ticket_not_found", "message": "No." })));
    assert!(!error.is_valid(&json!({})));
    assert!(!error.is_valid(&json!({ "error": "Bad Code", "message": "No." })));
    assert!(!error.is_valid(&json!({ "error": "x", "message": "No.", "trace": "…" })));
    let ticket = validator(&doc, &json!({ "$ref": "#/components/schemas/TicketView" }));
    assert!(!ticket.is_valid(&json!({ "ticket": {}, "messages": [], "more_messages": false })));
    for (method, path) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_ascii_lowercase()];
        assert!(
            op["operationId"].is_string(),
            "{method} {path}: operationId"
        );
        assert!(op["summary"].is_string(), "{method} {path}: summary");
        assert!(
            !op["responses"].as_object().unwrap().is_empty(),
            "{method} {path}: responses"
        );
    }
}

#[test]
fn every_route_is_documented_and_every_documented_operation_is_a_route() {
    let doc = document();
    let documented = operations(&doc);
    let routes = api_routes();
    for (method, path, _) in &routes {
        let matches = documented
            .iter()
            .filter(|(m, t)| m == method && fits(t, path))
            .count();
        assert_eq!(matches, 1, "{method} {path} is documented {matches} times");
    }
    for (method, template) in &documented {
        assert!(
            routes
                .iter()
                .any(|(m, p, _)| m == method && fits(template, p)),
            "{method} {template} is documented but is not an API route of the node"
        );
        let public = routes
            .iter()
            .any(|(m, p, public)| *public && m == method && fits(template, p));
        let op = &doc["paths"][template][method.to_ascii_lowercase()];
        let security = op.get("security").unwrap_or(&doc["security"]);
        assert_eq!(
            security.as_array().unwrap().is_empty(),
            public,
            "{method} {template}: the document's security disagrees with the route lists"
        );
        if !public {
            assert!(
                op["responses"]["401"].is_object(),
                "{method} {template}: a protected operation documents 401"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_node_answers_as_documented() {
    let doc = document();
    let mut net = Network::new(vec![NodeOptions::sqlite("DE"), NodeOptions::sqlite("MD")]).await;
    let http = client();
    net.node("DE").start().await;
    net.node("MD").start().await;
    let de = net.node("DE");
    let (officer, admin) = (de.officer.clone(), de.admin.clone());
    let de = &*de;
    let j = |v: Value| Some(("application/json", serde_json::to_vec(&v).unwrap()));

    // Every documented operation exists on the node (no fallback answer).
    for (method, template) in operations(&doc) {
        let path = api_routes()
            .into_iter()
            .map(|(_, p, _)| p)
            .find(|p| fits(&template, p))
            .unwrap();
        let r = http
            .request(method.parse().unwrap(), format!("{}{path}", de.url))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        // The error code, not the text: the document itself names the codes.
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned));
        assert!(
            !matches!(
                code.as_deref(),
                Some("no_such_route" | "method_not_allowed")
            ),
            "{method} {path}: not a route of the node ({status}): {text}"
        );
    }

    // Probes, identity, the document itself.
    check(&doc, &http, de, Method::GET, "/healthz", None, None, &[200]).await;
    check(&doc, &http, de, Method::GET, "/readyz", None, None, &[200]).await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/federation/v1/identity",
        None,
        None,
        &[200],
    )
    .await;
    let served = check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/openapi.json",
        None,
        None,
        &[200],
    )
    .await;
    assert_eq!(served, doc, "the node serves the committed document");

    // Requests: created, and refused in each documented way.
    let sent = check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/requests",
        Some(&officer),
        j(json!({ "to": "MD", "document": art29(), "reference": "DE-REF-1", "attachments": [
            { "file_name": "journal.txt", "media_type": "text/plain", "content_base64": "aGVsbG8K" },
        ] })),
        &[201],
    )
    .await;
    let ticket = sent["ticket"].as_str().unwrap().to_owned();
    let message_id = sent["message_id"].as_str().unwrap().to_owned();
    for (token, body, status) in [
        (None, j(json!({ "to": "MD", "document": art29() })), 401),
        (
            Some(officer.as_str()),
            Some(("application/json", b"{".to_vec())),
            400,
        ),
        (Some(officer.as_str()), j(json!({ "to": "MD" })), 400),
        (
            Some(officer.as_str()),
            j(json!({ "to": "DE", "document": art29() })),
            422,
        ),
        (
            Some(officer.as_str()),
            j(json!({ "to": "XX", "document": art29() })),
            400,
        ),
        (
            Some(officer.as_str()),
            j(json!({ "to": "MD", "document": art29(), "attachments": [
                { "file_name": "a/b.txt", "media_type": "text/plain", "content_base64": "a" },
            ] })),
            422,
        ),
    ] {
        check(
            &doc,
            &http,
            de,
            Method::POST,
            "/api/v1/requests",
            token,
            body,
            &[status],
        )
        .await;
    }
    let mut broken = art29();
    broken["requested_authority"]["party"] = json!("GE");
    check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/requests",
        Some(&officer),
        j(json!({ "to": "MD", "document": broken })),
        &[400, 422],
    )
    .await;
    let mut invalid = art29();
    invalid.as_object_mut().unwrap().remove("urgency");
    let refused = check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/requests",
        Some(&officer),
        j(json!({ "to": "MD", "document": invalid })),
        &[400, 422],
    )
    .await;
    assert!(refused["error"].is_string());

    // Tickets: list, show (after delivery, with the receipt), refusals.
    node_harness::wait_all_delivered(&http, net.node("DE"), 1, 60).await;
    let de = &*net.node("DE");
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tickets",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tickets?limit=1&offset=0",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tickets?limit=0",
        Some(&officer),
        None,
        &[400],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tickets",
        None,
        None,
        &[401],
    )
    .await;
    let shown = check(
        &doc,
        &http,
        de,
        Method::GET,
        &format!("/api/v1/tickets/{ticket}"),
        Some(&officer),
        None,
        &[200],
    )
    .await;
    assert_eq!(shown["messages"][0]["delivery"]["state"], "delivered");
    assert_eq!(shown["messages"][0]["attachments"][0]["size"], 6);
    let file = check(
        &doc,
        &http,
        de,
        Method::GET,
        &format!("/api/v1/tickets/{ticket}/messages/{message_id}/attachments/0"),
        Some(&officer),
        None,
        &[200],
    )
    .await;
    assert_eq!(file, json!("hello\n"));
    for (index, status) in [("1", 404), ("x", 400)] {
        check(
            &doc,
            &http,
            de,
            Method::GET,
            &format!("/api/v1/tickets/{ticket}/messages/{message_id}/attachments/{index}"),
            Some(&officer),
            None,
            &[status],
        )
        .await;
    }
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tickets/not-a-ticket",
        Some(&officer),
        None,
        &[400],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tickets/DE-2026-ABCD",
        Some(&officer),
        None,
        &[404],
    )
    .await;

    // Deliveries.
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/deliveries?state=delivered",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/deliveries",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/deliveries?state=lost",
        Some(&officer),
        None,
        &[400],
    )
    .await;

    // Directory, peers, tokens, metrics: roles.
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/directory",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/directory/refresh",
        Some(&admin),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/directory/refresh",
        Some(&officer),
        None,
        &[403],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/peers",
        Some(&admin),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/peers",
        Some(&officer),
        None,
        &[403],
    )
    .await;
    let token = json!({ "name": "grafana", "role": "monitor" });
    let issued = check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/tokens",
        Some(&admin),
        j(token.clone()),
        &[201],
    )
    .await;
    // Refusals of the token route: a name taken, an unknown role, no role, a body that is not
    // JSON, a lifetime over the maximum, and (ADR 0020) any role but monitor and any person's
    // account, which an administrator may never issue.
    for (body, status) in [
        (j(token), 409),
        (j(json!({ "name": "x", "role": "god" })), 422),
        (j(json!({ "name": "x" })), 422),
        (Some(("application/json", b"{".to_vec())), 400),
        (
            j(json!({ "name": "x", "role": "monitor", "lifetime_days": 9999 })),
            422,
        ),
        (j(json!({ "name": "x", "role": "officer" })), 403),
        (j(json!({ "name": "x", "account": "nobody-here" })), 403),
    ] {
        check(
            &doc,
            &http,
            de,
            Method::POST,
            "/api/v1/tokens",
            Some(&admin),
            body,
            &[status],
        )
        .await;
    }
    let listed = check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tokens",
        Some(&admin),
        None,
        &[200],
    )
    .await;
    assert!(listed["items"].as_array().unwrap().len() >= 3, "{listed}");
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/tokens",
        Some(&officer),
        None,
        &[403],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/tokens/999/revoke",
        Some(&admin),
        None,
        &[404],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/tokens/999/revoke",
        Some(&officer),
        None,
        &[403],
    )
    .await;
    let monitor = issued["token"].as_str().unwrap();
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/metrics",
        Some(monitor),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/metrics",
        Some(&admin),
        None,
        &[200],
    )
    .await;
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/metrics",
        Some(&officer),
        None,
        &[403],
    )
    .await;
    check(&doc, &http, de, Method::GET, "/metrics", None, None, &[401]).await;
    // The administrator revokes the monitor token: it stops at once.
    let revoke = format!("/api/v1/tokens/{}/revoke", issued["id"]);
    let revoked = check(
        &doc,
        &http,
        de,
        Method::POST,
        &revoke,
        Some(&admin),
        None,
        &[200],
    )
    .await;
    assert_eq!(revoked["state"], "revoked");
    check(
        &doc,
        &http,
        de,
        Method::GET,
        "/metrics",
        Some(monitor),
        None,
        &[401],
    )
    .await;

    // Federation refusals.
    check(
        &doc,
        &http,
        de,
        Method::POST,
        "/federation/v1/messages",
        None,
        Some(("text/plain", b"hello".to_vec())),
        &[415],
    )
    .await;
    let junk = check(
        &doc,
        &http,
        de,
        Method::POST,
        "/federation/v1/messages",
        None,
        Some((
            "application/pgp-encrypted",
            b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n".to_vec(),
        )),
        &[400, 403, 422],
    )
    .await;
    assert!(junk["error"].is_string());

    // The receiving side: the incoming message, without a delivery.
    let md = &*net.node("MD");
    let md_officer = md.officer.clone();
    let seen = check(
        &doc,
        &http,
        md,
        Method::GET,
        &format!("/api/v1/tickets/{ticket}"),
        Some(&md_officer),
        None,
        &[200],
    )
    .await;
    assert_eq!(seen["messages"][0]["direction"], "in");
    assert!(seen["messages"][0]["delivery"].is_null());

    // Cases: the requester's and the requested side's view, what is due, refusals.
    let (de, md) = (&net.nodes[0], &net.nodes[1]);
    assert_eq!((de.code, md.code), ("DE", "MD"));
    let cases = check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/cases?limit=10",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    assert!(
        cases["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == ticket.as_str()),
        "{cases}"
    );
    for (path, token, status) in [
        ("/api/v1/cases?limit=0", Some(officer.as_str()), 400),
        ("/api/v1/cases", None, 401),
        ("/api/v1/cases", Some(admin.as_str()), 403),
        ("/api/v1/cases/not-a-ticket", Some(officer.as_str()), 400),
        ("/api/v1/cases/DE-2026-ABCD", Some(officer.as_str()), 404),
        ("/api/v1/due?within=91d", Some(officer.as_str()), 400),
        ("/api/v1/due?within=soon", Some(officer.as_str()), 400),
        ("/api/v1/due", None, 401),
    ] {
        check(&doc, &http, de, Method::GET, path, token, None, &[status]).await;
    }
    let case = check(
        &doc,
        &http,
        de,
        Method::GET,
        &format!("/api/v1/cases/{ticket}"),
        Some(&officer),
        None,
        &[200],
    )
    .await;
    assert_eq!(case["case"]["role"], "requester");
    assert!(!case["timeline"].as_array().unwrap().is_empty(), "{case}");
    let due = check(
        &doc,
        &http,
        de,
        Method::GET,
        "/api/v1/due?within=7d",
        Some(&officer),
        None,
        &[200],
    )
    .await;
    assert!(
        due["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["ticket"] == ticket.as_str()),
        "{due}"
    );
    // No outcome yet: the case cannot be closed.
    let refused = check(
        &doc,
        &http,
        de,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/close"),
        Some(&officer),
        None,
        &[409],
    )
    .await;
    assert_eq!(refused["error"], "illegal_transition");
    assert!(refused["messages"]["fr"].is_string());
    let mut ack: Value = serde_json::from_str(
        cp247_case::reply::examples::json(cp247_case::MessageKind::Acknowledgement).unwrap(),
    )
    .unwrap();
    ack["received_at"] = due["now"].clone();
    ack["next_step_eta"] = json!({ "not_applicable": { "reason": "Depends on the provider." } });
    // The requester cannot acknowledge its own request.
    let refused = check(
        &doc,
        &http,
        de,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/replies"),
        Some(&officer),
        j(json!({ "reply": ack })),
        &[409],
    )
    .await;
    assert_eq!(refused["error"], "wrong_side", "{refused}");
    assert!(refused["messages"]["en"].is_string());
    check(
        &doc,
        &http,
        de,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/replies"),
        None,
        j(json!({ "reply": ack })),
        &[401],
    )
    .await;
    // The requested side: an invalid reply is refused with its problems, a valid one queued.
    let at_md = check(
        &doc,
        &http,
        md,
        Method::GET,
        &format!("/api/v1/cases/{ticket}"),
        Some(&md_officer),
        None,
        &[200],
    )
    .await;
    assert_eq!(at_md["case"]["role"], "requested");
    let mut bad = ack.clone();
    bad["received_at"] = json!("yesterday evening");
    let refused = check(
        &doc,
        &http,
        md,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/replies"),
        Some(&md_officer),
        j(json!({ "reply": bad })),
        &[422],
    )
    .await;
    assert_eq!(refused["error"], "invalid_reply");
    assert!(
        !refused["problems"].as_array().unwrap().is_empty(),
        "{refused}"
    );
    check(
        &doc,
        &http,
        md,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/replies"),
        Some(&md_officer),
        j(json!({ "reply": { "kind": "a_poem" } })),
        &[422],
    )
    .await;
    check(
        &doc,
        &http,
        md,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/replies"),
        Some(&md_officer),
        Some(("application/json", b"{".to_vec())),
        &[400],
    )
    .await;
    let queued = check(
        &doc,
        &http,
        md,
        Method::POST,
        &format!("/api/v1/cases/{ticket}/replies"),
        Some(&md_officer),
        j(json!({ "reply": ack })),
        &[201],
    )
    .await;
    assert_eq!(queued["message_type"], "acknowledgement");
    // Clock control is off on these nodes: the route answers like an unknown path.
    let hidden = check(
        &doc,
        &http,
        de,
        Method::POST,
        "/api/v1/testing/clock",
        Some(&admin),
        j(json!({ "advance": "1d" })),
        &[404],
    )
    .await;
    assert_eq!(hidden["error"], "no_such_route");
    for (token, status) in [(None, 401), (Some(officer.as_str()), 403)] {
        check(
            &doc,
            &http,
            de,
            Method::POST,
            "/api/v1/testing/clock",
            token,
            j(json!({ "advance": "1d" })),
            &[status],
        )
        .await;
    }

    // Undocumented paths answer with the documented error body.
    let r = http
        .get(format!("{}/api/v1/nothing", md.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.unwrap();
    let errors = validator(&doc, &json!({ "$ref": "#/components/schemas/Error" }));
    assert!(errors.is_valid(&body), "{body}");
}

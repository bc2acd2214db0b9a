#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! API tokens over a real node on 127.0.0.1 (ADR 0020): the two escapes of issue #10 (an
//! administrator's token issuing an officer token, or a token of an officer's account), the
//! Tokens page, expiry, revocation through the API, the page and the operator socket, and the
//! socket itself (a running node, permissions, bounded input). The route × role × origin
//! matrix is `web.rs`'s `every_route_for_every_role_and_token_origin`.

mod web_harness;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use cp247_domain::Clock;
use cp247_server::accounts::{Enrolment, Password, enrol};
use cp247_server::auth::Role;
use cp247_server::operator::{self, ClientError, OperatorRequest};
use cp247_store::{AuditAction, AuditResult, Page, SessionStage};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use web_harness::{Node, Other, client, machine_token, start_with};

async fn start() -> Node {
    start_with(Other {
        unit: "MD unit",
        zone: "Europe/Chisinau",
    })
    .await
}

async fn person(n: &Node, username: &str, role: Role) -> Enrolment {
    enrol(
        &n.node.context.store,
        &n.node.context.web.secrets,
        username,
        &format!("{username} name"),
        role,
        &Password::new("a long enough password".into()),
        "cp247 FR",
        n.clock.now(),
    )
    .await
    .unwrap()
}

/// A signed-in session, written straight into the store (sign-in has its own tests).
async fn session(n: &Node, account: u64) -> String {
    let id = cp247_server::web::session::new_id().to_string();
    n.node
        .context
        .store
        .create_session(
            &cp247_server::web::session::id_hash(&id),
            account,
            SessionStage::SignedIn,
            n.clock.now(),
        )
        .await
        .unwrap();
    id
}

fn csrf(id: &str) -> String {
    cp247_server::web::session::csrf_for(id)
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

async fn post_form(
    n: &Node,
    http: &reqwest::Client,
    session: &str,
    path: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    http.post(format!("{}{path}", n.base))
        .header(COOKIE, format!("cp247_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(pairs))
        .send()
        .await
        .unwrap()
}

async fn page(n: &Node, http: &reqwest::Client, session: &str) -> String {
    let r = http
        .get(format!("{}/tokens", n.base))
        .header(COOKIE, format!("cp247_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

/// The token shown once on the Tokens page's answer.
fn shown_token(body: &str) -> Option<String> {
    let start = body.find("id=\"new-token\">")? + "id=\"new-token\">".len();
    let rest = &body[start..];
    Some(rest[..rest.find('<')?].to_owned())
}

async fn get(n: &Node, http: &reqwest::Client, token: &str, path: &str) -> StatusCode {
    http.get(format!("{}{path}", n.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn post_json(
    n: &Node,
    http: &reqwest::Client,
    token: &str,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let r = http
        .post(format!("{}{path}", n.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap())
}

async fn token_audit(n: &Node) -> Vec<cp247_store::AuditEntry> {
    n.node
        .context
        .store
        .audit_entries(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| matches!(e.action, AuditAction::TokenIssue | AuditAction::TokenRevoke))
        .collect()
}

/// Sends `bytes` on a new connection (the node may answer and close before reading them all:
/// write errors are ignored) and reads the one answer line.
async fn raw_line(path: &std::path::Path, bytes: &[u8]) -> String {
    let s = tokio::net::UnixStream::connect(path).await.unwrap();
    let (read, mut write) = s.into_split();
    let _ = write.write_all(bytes).await;
    let _ = write.shutdown().await;
    let mut line = String::new();
    tokio::io::BufReader::new(read)
        .read_line(&mut line)
        .await
        .unwrap();
    line
}

fn socket(n: &Node) -> std::path::PathBuf {
    operator::socket_path(&n.node.context.config.base_dir)
}

async fn stop(n: Node) {
    n.node.shutdown_token().cancel();
    tokio::time::timeout(Duration::from_secs(30), n.node.wait())
        .await
        .expect("the node stops");
}

/// Issue #10, first form: the administrator's token gets 403 on the tickets, but on 9c79c9f
/// `POST /api/v1/tokens {"name":"x","role":"officer"}` returned an officer token (201) that
/// read every ticket. Now: 403 `not_issuable`, no token, no account, an audited refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_token_cannot_issue_an_officer_token() {
    let n = start().await;
    let http = client();
    let admin = machine_token(&n, "ops-admin", Role::Administrator).await;
    assert_eq!(
        get(&n, &http, &admin, "/api/v1/tickets").await,
        StatusCode::FORBIDDEN
    );
    for role in ["officer", "supervisor", "administrator", "read_only"] {
        let name = format!("x-{role}");
        let (status, body) = post_json(
            &n,
            &http,
            &admin,
            "/api/v1/tokens",
            json!({ "name": name, "role": role }),
        )
        .await;
        if let Some(escaped) = body["token"].as_str() {
            let tickets = get(&n, &http, escaped, "/api/v1/tickets").await;
            panic!(
                "the administrator's token issued a {role} token ({status}); GET /api/v1/tickets with it: {tickets}"
            );
        }
        assert_eq!(status, StatusCode::FORBIDDEN, "{role}: {body}");
        assert_eq!(body["error"], "not_issuable", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("monitor tokens only"),
            "{body}"
        );
        let store = &n.node.context.store;
        assert!(store.account_named(&format!("token-{name}")).await.is_err());
    }
    // The one thing it may issue: a monitor token, which reads metrics and no case.
    let (status, body) = post_json(
        &n,
        &http,
        &admin,
        "/api/v1/tokens",
        json!({ "name": "grafana", "role": "monitor" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let monitor = body["token"].as_str().unwrap();
    assert_eq!(body["account"], "token-grafana");
    assert_eq!(get(&n, &http, monitor, "/metrics").await, StatusCode::OK);
    assert_eq!(
        get(&n, &http, monitor, "/api/v1/tickets").await,
        StatusCode::FORBIDDEN
    );
    // The monitor token issues nothing.
    let (status, _) = post_json(
        &n,
        &http,
        monitor,
        "/api/v1/tokens",
        json!({ "name": "m2", "role": "monitor" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let audit = token_audit(&n).await;
    let denied: Vec<_> = audit
        .iter()
        .filter(|e| e.result == AuditResult::Denied)
        .collect();
    assert_eq!(denied.len(), 4);
    assert!(denied.iter().all(|e| e.actor.as_str() == "token:ops-admin"));
    assert!(
        denied[0].details.contains("\"role\":\"officer\""),
        "{}",
        denied[0].details
    );
    stop(n).await;
}

/// Issue #10, second form: on 9c79c9f `{"name":"y","account":"officer"}` issued a token that
/// carried an existing officer's role without that person's password or second factor. Now:
/// 403 `not_issuable`, and the officer's account has no token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_token_cannot_issue_a_token_for_an_officers_account() {
    let n = start().await;
    let http = client();
    let officer = person(&n, "officer", Role::Officer).await;
    let supervisor = person(&n, "sup", Role::Supervisor).await;
    let admin = machine_token(&n, "ops-admin", Role::Administrator).await;
    for (name, account) in [("y", "officer"), ("z", "sup"), ("w", "token-ops-admin")] {
        let (status, body) = post_json(
            &n,
            &http,
            &admin,
            "/api/v1/tokens",
            json!({ "name": name, "account": account }),
        )
        .await;
        if let Some(escaped) = body["token"].as_str() {
            let tickets = get(&n, &http, escaped, "/api/v1/tickets").await;
            panic!(
                "the administrator's token issued a token of '{account}' ({status}); GET /api/v1/tickets with it: {tickets}"
            );
        }
        assert_eq!(status, StatusCode::FORBIDDEN, "{account}: {body}");
        assert_eq!(body["error"], "not_issuable", "{body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .contains("another person's account"),
            "{body}"
        );
    }
    let store = &n.node.context.store;
    for account in [&officer.account, &supervisor.account] {
        let own = store
            .api_tokens_of(account.id, Page::first(10))
            .await
            .unwrap();
        assert!(own.items.is_empty(), "{:?}", own.items);
    }
    stop(n).await;
}

/// The Tokens page: a signed-in person issues a token for their own account (name, lifetime),
/// sees it once, lists and revokes their own; CSRF-checked; another person's token is a 404;
/// the page speaks English and French; the token acts with the person's role only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tokens_page_issues_lists_and_revokes_own_tokens_in_both_languages() {
    let n = start().await;
    let http = client();
    let alice = person(&n, "alice", Role::Officer).await;
    let bob = person(&n, "bob", Role::Officer).await;
    let ada = person(&n, "ada", Role::Administrator).await;
    let s = session(&n, alice.account.id).await;
    let body = page(&n, &http, &s).await;
    assert!(
        body.contains("API tokens") && body.contains("(officer)"),
        "{body}"
    );
    assert!(body.contains("You have no tokens."));
    assert!(
        body.contains("<option value=\"90\" selected>90 days</option>"),
        "{body}"
    );
    assert!(
        !body.contains("value=\"730\""),
        "no lifetime above the maximum"
    );

    // Without the CSRF token: refused, nothing stored.
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens",
        &[("name", "laptop"), ("lifetime_days", "30")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let store = &n.node.context.store;
    assert!(
        store
            .api_tokens_of(alice.account.id, Page::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let c = csrf(&s);
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens",
        &[("csrf", &c), ("name", "laptop"), ("lifetime_days", "30")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body = r.text().await.unwrap();
    let token = shown_token(&body).expect("the token is shown");
    assert!(token.starts_with("cp247_"));
    assert!(body.contains("shown only this once"), "{body}");
    assert_eq!(
        get(&n, &http, &token, "/api/v1/tickets").await,
        StatusCode::OK
    );
    assert_eq!(
        get(&n, &http, &token, "/api/v1/peers").await,
        StatusCode::FORBIDDEN
    );
    let listed = page(&n, &http, &s).await;
    assert!(!listed.contains(&token), "the token is shown once only");
    assert!(
        listed.contains("laptop") && listed.contains("Live"),
        "{listed}"
    );
    let record = &store
        .api_tokens_of(alice.account.id, Page::first(10))
        .await
        .unwrap()
        .items[0];
    assert_eq!(record.origin, cp247_store::TokenOrigin::Session);
    assert_eq!(record.issued_by, "user:alice");
    assert_eq!(
        record.expires_at,
        record.created_at + jiff::SignedDuration::from_hours(30 * 24)
    );

    // Problems are shown next to the form, and nothing is stored.
    for (pairs, status, text) in [
        (
            vec![("name", "laptop"), ("lifetime_days", "30")],
            422,
            "exists already",
        ),
        (
            vec![("name", "x"), ("lifetime_days", "9999")],
            422,
            "Choose one of the lifetimes",
        ),
        (
            vec![("name", "x"), ("lifetime_days", "0")],
            422,
            "Choose one of the lifetimes",
        ),
        (
            vec![("name", " "), ("lifetime_days", "30")],
            422,
            "Give the token a name",
        ),
        (
            vec![("name", "two\nlines"), ("lifetime_days", "30")],
            422,
            "one line",
        ),
    ] {
        let mut all = vec![("csrf", c.as_str())];
        all.extend(pairs);
        let r = post_form(&n, &http, &s, "/tokens", &all).await;
        assert_eq!(r.status().as_u16(), status);
        let body = r.text().await.unwrap();
        assert!(body.contains(text), "{text}: {body}");
        assert!(shown_token(&body).is_none());
    }
    assert_eq!(
        store
            .api_tokens_of(alice.account.id, Page::first(10))
            .await
            .unwrap()
            .items
            .len(),
        1
    );

    // Bob cannot revoke Alice's token: the same 404 as an unknown one.
    let sb = session(&n, bob.account.id).await;
    let id = record.id.to_string();
    let r = post_form(
        &n,
        &http,
        &sb,
        "/tokens/revoke",
        &[("csrf", &csrf(&sb)), ("id", &id)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = post_form(
        &n,
        &http,
        &sb,
        "/tokens/revoke",
        &[("csrf", &csrf(&sb)), ("id", "999")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        get(&n, &http, &token, "/api/v1/tickets").await,
        StatusCode::OK
    );
    // Alice can, at once.
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens/revoke",
        &[("csrf", &c), ("id", &id)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/tokens");
    assert_eq!(
        get(&n, &http, &token, "/api/v1/tickets").await,
        StatusCode::UNAUTHORIZED
    );
    assert!(page(&n, &http, &s).await.contains("Revoked on"));

    // A person holds at most 50 working tokens; revoking one frees a place.
    for i in 0..cp247_server::tokens::MAX_LIVE_TOKENS_PER_ISSUER {
        let name = format!("bulk-{i}");
        let r = post_form(
            &n,
            &http,
            &s,
            "/tokens",
            &[("csrf", &c), ("name", &name), ("lifetime_days", "7")],
        )
        .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{i}");
    }
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens",
        &[
            ("csrf", &c),
            ("name", "one-too-many"),
            ("lifetime_days", "7"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("revoke one you no longer use")
    );
    let bulk = store
        .api_tokens_of(alice.account.id, Page::first(1))
        .await
        .unwrap()
        .items[0]
        .id
        .to_string();
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens/revoke",
        &[("csrf", &c), ("id", &bulk)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens",
        &[("csrf", &c), ("name", "one-more"), ("lifetime_days", "7")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);

    // In French.
    store
        .set_account_lang(alice.account.id, "fr")
        .await
        .unwrap();
    let fr = page(&n, &http, &s).await;
    assert!(
        fr.contains("Vos jetons") && fr.contains("(officier)") && fr.contains("Révoqué le"),
        "{fr}"
    );
    assert!(
        fr.contains("<option value=\"90\" selected>90 jours</option>"),
        "{fr}"
    );

    // The administrator's own token is an administrator's: no case, and it issues no case token.
    let sa = session(&n, ada.account.id).await;
    let r = post_form(
        &n,
        &http,
        &sa,
        "/tokens",
        &[
            ("csrf", &csrf(&sa)),
            ("name", "ada-cli"),
            ("lifetime_days", "7"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ada_token = shown_token(&r.text().await.unwrap()).unwrap();
    assert_eq!(
        get(&n, &http, &ada_token, "/api/v1/peers").await,
        StatusCode::OK
    );
    assert_eq!(
        get(&n, &http, &ada_token, "/api/v1/tickets").await,
        StatusCode::FORBIDDEN
    );

    // Audited: who, name, role, account, origin, expiry; never the token.
    let audit = token_audit(&n).await;
    let issued: Vec<_> = audit
        .iter()
        .filter(|e| e.action == AuditAction::TokenIssue)
        .collect();
    assert_eq!(issued.len(), 2 + 51);
    assert_eq!(issued[0].actor.as_str(), "user:alice");
    for key in [
        "\"name\":\"laptop\"",
        "\"role\":\"officer\"",
        "\"account\":\"alice\"",
        "\"origin\":\"session\"",
        "\"expires_at\"",
    ] {
        assert!(
            issued[0].details.contains(key),
            "{key}: {}",
            issued[0].details
        );
    }
    let revoked: Vec<_> = audit
        .iter()
        .filter(|e| e.action == AuditAction::TokenRevoke)
        .collect();
    assert_eq!(revoked.len(), 2);
    assert_eq!(revoked[0].actor.as_str(), "user:alice");
    assert!(
        audit
            .iter()
            .all(|e| !e.details.contains(&token) && !e.details.contains(&ada_token))
    );
    stop(n).await;
}

/// An expired token is refused like a revoked one, from its expiry on, and listed as expired
/// (API, page); lifetimes above the node's maximum are refused on every path.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_expire_and_are_refused_like_revoked_ones() {
    let n = start().await;
    let http = client();
    let alice = person(&n, "alice", Role::Officer).await;
    let admin = machine_token(&n, "ops-admin", Role::Administrator).await;
    let s = session(&n, alice.account.id).await;
    let r = post_form(
        &n,
        &http,
        &s,
        "/tokens",
        &[
            ("csrf", &csrf(&s)),
            ("name", "week"),
            ("lifetime_days", "7"),
        ],
    )
    .await;
    let week = shown_token(&r.text().await.unwrap()).unwrap();
    let answer = operator::call(
        &socket(&n),
        &OperatorRequest::Create {
            name: "cms".into(),
            role: "officer".into(),
            lifetime_days: None,
        },
    )
    .await
    .unwrap();
    let cms = answer["secret"].as_str().unwrap().to_owned();
    let issued_at = cp247_store::truncate_to_micros(n.clock.now());
    let expires: jiff::Timestamp = answer["token"]["expires_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        expires,
        issued_at + jiff::SignedDuration::from_hours(90 * 24),
        "the default lifetime"
    );

    n.clock
        .advance(jiff::SignedDuration::from_hours(7 * 24) - jiff::SignedDuration::from_secs(60));
    assert_eq!(
        get(&n, &http, &week, "/api/v1/tickets").await,
        StatusCode::OK
    );
    n.clock.advance(jiff::SignedDuration::from_secs(61));
    assert_eq!(
        get(&n, &http, &week, "/api/v1/tickets").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&n, &http, &cms, "/api/v1/tickets").await,
        StatusCode::OK
    );
    let r = http
        .get(format!("{}/api/v1/tokens", n.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let list: Value = r.json().await.unwrap();
    let state = |name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .map(|t| t["state"].as_str().unwrap().to_owned())
    };
    assert_eq!(state("week").as_deref(), Some("expired"));
    assert_eq!(state("cms").as_deref(), Some("live"));
    let s = session(&n, alice.account.id).await;
    assert!(page(&n, &http, &s).await.contains("Expired"));
    n.clock.advance(jiff::SignedDuration::from_hours(83 * 24));
    assert_eq!(
        get(&n, &http, &cms, "/api/v1/tickets").await,
        StatusCode::UNAUTHORIZED
    );

    // The operator's administrator token has expired too, by now.
    assert_eq!(
        get(&n, &http, &admin, "/api/v1/peers").await,
        StatusCode::UNAUTHORIZED
    );
    let admin = machine_token(&n, "ops-admin-2", Role::Administrator).await;
    // Too long a lifetime: refused by the API and the socket (the page offers none).
    let (status, body) = post_json(
        &n,
        &http,
        &admin,
        "/api/v1/tokens",
        json!({ "name": "long", "role": "monitor", "lifetime_days": 366 }),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_lifetime"))
    );
    let err = operator::call(
        &socket(&n),
        &OperatorRequest::Create {
            name: "long".into(),
            role: "officer".into(),
            lifetime_days: Some(1000),
        },
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, ClientError::Refused { code, .. } if code == "invalid_lifetime"),
        "{err}"
    );
    stop(n).await;
}

/// Revocation through the API (administrator: any token), the operator socket and the page
/// takes effect on the next request and is audited once, never with the token's text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revocation_through_the_api_and_the_socket_is_immediate_and_audited() {
    let n = start().await;
    let http = client();
    let alice = person(&n, "alice", Role::Officer).await;
    let admin = machine_token(&n, "ops-admin", Role::Administrator).await;
    let alice_token = web_harness::own_token(&n, &alice.account).await;
    let cms = machine_token(&n, "cms", Role::Supervisor).await;
    let store = &n.node.context.store;
    let id_of = |name: &'static str| async move {
        store
            .api_tokens(Page::first(50))
            .await
            .unwrap()
            .items
            .into_iter()
            .find(|t| t.name == name)
            .unwrap()
            .id
    };
    // The administrator lists every token, with account, origin and state; never the text.
    let r = http
        .get(format!("{}/api/v1/tokens", n.base))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains(&alice_token) && !text.contains("sha256"),
        "{text}"
    );
    let list: Value = serde_json::from_str(&text).unwrap();
    let alice_row = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["account"] == "alice")
        .unwrap();
    assert_eq!(alice_row["origin"], "session");
    assert_eq!(alice_row["issued_by"], "user:alice");
    assert_eq!(alice_row["state"], "live");
    // Others may not list or revoke.
    assert_eq!(
        get(&n, &http, &alice_token, "/api/v1/tokens").await,
        StatusCode::FORBIDDEN
    );

    // The administrator revokes a person's token: at once, audited once.
    let id = id_of("t-alice").await;
    let path = format!("/api/v1/tokens/{id}/revoke");
    let (status, body) = post_json(&n, &http, &admin, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "revoked");
    assert_eq!(
        get(&n, &http, &alice_token, "/api/v1/tickets").await,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = post_json(&n, &http, &admin, &path, json!({})).await;
    assert_eq!(status, StatusCode::OK, "revoking twice changes nothing");
    for bad in ["/api/v1/tokens/999/revoke", "/api/v1/tokens/x/revoke"] {
        let (status, body) = post_json(&n, &http, &admin, bad, json!({})).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("no_such_token"))
        );
    }
    // An officer's token cannot revoke.
    let other = web_harness::own_token(&n, &person(&n, "bob", Role::Officer).await.account).await;
    let (status, _) = post_json(
        &n,
        &http,
        &other,
        &format!("/api/v1/tokens/{}/revoke", id_of("cms").await),
        json!({}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        get(&n, &http, &cms, "/api/v1/tickets").await,
        StatusCode::OK
    );

    // The operator revokes through the socket.
    let answer = operator::call(
        &socket(&n),
        &OperatorRequest::Revoke {
            id: id_of("cms").await,
        },
    )
    .await
    .unwrap();
    assert_eq!(answer["token"]["state"], "revoked");
    assert_eq!(
        get(&n, &http, &cms, "/api/v1/tickets").await,
        StatusCode::UNAUTHORIZED
    );
    let err = operator::call(&socket(&n), &OperatorRequest::Revoke { id: 999 })
        .await
        .unwrap_err();
    assert!(
        matches!(&err, ClientError::Refused { code, .. } if code == "no_such_token"),
        "{err}"
    );

    let audit = token_audit(&n).await;
    let revokes: Vec<_> = audit
        .iter()
        .filter(|e| e.action == AuditAction::TokenRevoke)
        .collect();
    let actors: Vec<_> = revokes.iter().map(|e| e.actor.as_str()).collect();
    assert_eq!(actors, vec!["token:ops-admin", "operator:socket"]);
    assert!(
        revokes[0].details.contains("\"account\":\"alice\""),
        "{}",
        revokes[0].details
    );
    assert!(
        revokes[1].details.contains("\"role\":\"supervisor\""),
        "{}",
        revokes[1].details
    );
    for e in &audit {
        for t in [&admin, &alice_token, &cms, &other] {
            assert!(!e.details.contains(t.as_str()));
        }
    }
    stop(n).await;
}

/// The operator socket of a running node: machine tokens of any role (listed, working,
/// audited as `operator:socket`), never a token for a person's account; mode 0600.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_socket_issues_machine_tokens_to_a_running_node() {
    let n = start().await;
    let http = client();
    let path = socket(&n);
    let meta = std::fs::symlink_metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let answer = operator::call(
        &path,
        &OperatorRequest::Create {
            name: "case-system".into(),
            role: "officer".into(),
            lifetime_days: Some(30),
        },
    )
    .await
    .unwrap();
    let token = answer["secret"].as_str().unwrap();
    assert_eq!(answer["token"]["account"], "token-case-system");
    assert_eq!(answer["token"]["origin"], "operator");
    assert_eq!(answer["token"]["issued_by"], "operator:socket");
    assert_eq!(
        get(&n, &http, token, "/api/v1/tickets").await,
        StatusCode::OK
    );
    let list = operator::call(
        &path,
        &OperatorRequest::List {
            offset: 0,
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(list["items"][0]["name"], "case-system");
    assert!(!list.to_string().contains(token));
    // A person's account is not for the operator: the request has no such field.
    let reply = raw_line(
        &path,
        b"{\"op\":\"create\",\"name\":\"a\",\"role\":\"officer\",\"account\":\"alice\"}\n",
    )
    .await;
    assert!(reply.contains("\"invalid_request\""), "{reply}");
    for (req, code) in [
        (
            OperatorRequest::Create {
                name: "case-system".into(),
                role: "officer".into(),
                lifetime_days: None,
            },
            "token_name_taken",
        ),
        (
            OperatorRequest::Create {
                name: "r".into(),
                role: "root".into(),
                lifetime_days: None,
            },
            "invalid_role",
        ),
        (
            OperatorRequest::List {
                offset: 0,
                limit: 0,
            },
            "invalid_page",
        ),
    ] {
        let err = operator::call(&path, &req).await.unwrap_err();
        assert!(
            matches!(&err, ClientError::Refused { code: c, .. } if c == code),
            "{err}"
        );
    }
    let audit = token_audit(&n).await;
    let last = audit.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.result),
        ("operator:socket", AuditResult::Ok)
    );
    assert!(
        last.details.contains("\"origin\":\"operator\""),
        "{}",
        last.details
    );

    // Stopping the node removes the socket; the client then says nobody serves it.
    let base = n.node.context.config.base_dir.clone();
    stop(n).await;
    assert!(!path.exists());
    let err = operator::call(
        &operator::socket_path(&base),
        &OperatorRequest::List {
            offset: 0,
            limit: 1,
        },
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ClientError::NotRunning(_)), "{err}");
}

/// A socket other users could open is refused by the client and by the node (until it is
/// private again); a file in the way stops `bind`, a socket another live process serves is
/// left to it; a stale socket is replaced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_socket_is_refused_when_too_open() {
    let n = start().await;
    let path = socket(&n);
    let list = OperatorRequest::List {
        offset: 0,
        limit: 1,
    };
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o666)).unwrap();
    let err = operator::call(&path, &list).await.unwrap_err();
    assert!(
        matches!(err, ClientError::TooOpen { mode: 0o666, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("0666"), "{err}");
    // The node itself refuses while the mode is too open.
    let reply = raw_line(&path, b"{\"op\":\"list\"}\n").await;
    assert!(
        reply.contains("\"socket_too_open\"") && !reply.contains("\"items\""),
        "{reply}"
    );
    for mode in [0o660, 0o604] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        assert!(matches!(
            operator::call(&path, &list).await,
            Err(ClientError::TooOpen { .. })
        ));
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(operator::call(&path, &list).await.is_ok());

    // bind: a live socket is not taken over; a file in the way is not removed.
    let err = operator::bind(&path).unwrap_err();
    assert!(
        err.in_use && err.to_string().contains("another running process"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let in_the_way = dir.path().join(operator::SOCKET_NAME);
    std::fs::write(&in_the_way, "keep me").unwrap();
    let err = operator::bind(&in_the_way).unwrap_err();
    assert!(
        !err.in_use && err.to_string().contains("not a socket"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&in_the_way).unwrap(), "keep me");
    // A stale socket (nobody listening) is replaced, private.
    let stale = dir.path().join("stale.sock");
    drop(std::os::unix::net::UnixListener::bind(&stale).unwrap());
    std::fs::set_permissions(&stale, std::fs::Permissions::from_mode(0o777)).unwrap();
    let bound = operator::bind(&stale).unwrap();
    assert_eq!(
        std::fs::metadata(bound.path())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let long = dir.path().join("x".repeat(120));
    assert!(
        operator::bind(&long)
            .unwrap_err()
            .to_string()
            .contains("shorter path")
    );
    stop(n).await;
}

/// The socket reads at most one bounded line per connection, refuses what is not a request,
/// answers a silent client after the time limit, and serves a bounded number at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_socket_bounds_its_input() {
    let n = start().await;
    let path = socket(&n);
    async fn exchange(path: &std::path::Path, bytes: &[u8]) -> Value {
        serde_json::from_str(&raw_line(path, bytes).await).unwrap()
    }
    let huge = vec![b'{'; 64 * 1024];
    let r = exchange(&path, &huge).await;
    assert_eq!(r["code"], "too_large", "{r}");
    assert!(r["error"].as_str().unwrap().contains("4096 bytes"), "{r}");
    for (bytes, code) in [
        (&b"not json\n"[..], "invalid_request"),
        (b"{\"op\":\"drop_tables\"}\n", "invalid_request"),
        (b"{\"op\":\"revoke\",\"id\":-1}\n", "invalid_request"),
        (b"\n", "invalid_request"),
    ] {
        let r = exchange(&path, bytes).await;
        assert_eq!(r["code"], code, "{r}");
        assert_eq!(r["ok"], false);
    }
    // Silent clients hold the slots; the next one is told the socket is busy, at once.
    let mut held = Vec::new();
    for _ in 0..operator::MAX_CONNECTIONS {
        held.push(tokio::net::UnixStream::connect(&path).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = tokio::time::timeout(
        Duration::from_secs(5),
        exchange(&path, b"{\"op\":\"list\"}\n"),
    )
    .await
    .expect("answered at once");
    assert_eq!(r["code"], "busy", "{r}");
    // A silent client is answered and dropped after the time limit.
    let first = held.remove(0);
    let mut reply = String::new();
    tokio::time::timeout(
        operator::IO_TIMEOUT * 2,
        tokio::io::BufReader::new(first).read_line(&mut reply),
    )
    .await
    .expect("the node ends a silent connection")
    .unwrap();
    assert!(reply.contains("\"timeout\""), "{reply}");
    drop(held);
    // Then it serves again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = exchange(&path, b"{\"op\":\"list\"}\n").await;
    assert_eq!(r["ok"], true, "{r}");
    stop(n).await;
}

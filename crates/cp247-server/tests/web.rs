#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! The web interface over a real node on 127.0.0.1: every route × every role × every token
//! origin × anonymous,
//! the sign-in steps (password, then TOTP computed here), session rotation, sign-out,
//! disablement and timeouts on the next request, CSRF and origin checks, no user enumeration
//! (by code path, throttled answers included), security headers, languages. Throttling itself
//! is in `web_throttle.rs`.

mod web_harness;

use web_harness::{Node, Other, client, start_with};

use std::collections::BTreeMap;
use std::time::Duration;

use cp247_domain::{Clock, PartyCode};
use cp247_server::accounts::{Enrolment, Password, enrol};
use cp247_server::auth::{Access, Role};
use cp247_server::routes::{Guard, ROUTES};
use cp247_store::SessionStage;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};

const USER_PASSWORD: &str = "a long enough password";

async fn start() -> Node {
    start_with(Other {
        unit: "MD unit",
        zone: "America/New_York",
    })
    .await
}

impl Node {
    async fn enrol(&self, username: &str, role: Role) -> Enrolment {
        enrol(
            &self.node.context.store,
            &self.node.context.web.secrets,
            username,
            &format!("{username} name"),
            role,
            &Password::new(USER_PASSWORD.into()),
            "cp247 FR",
            self.clock.now(),
        )
        .await
        .unwrap()
    }

    /// A signed-in session for `account`, written straight into the store (the sign-in steps
    /// have their own tests).
    async fn session(&self, account: u64) -> String {
        let id = cp247_server::web::session::new_id().to_string();
        self.node
            .context
            .store
            .create_session(
                &cp247_server::web::session::id_hash(&id),
                account,
                SessionStage::SignedIn,
                self.clock.now(),
            )
            .await
            .unwrap();
        id
    }

    async fn token_for(&self, account: &cp247_store::Account) -> String {
        web_harness::own_token(self, account).await
    }

    async fn stop(self) {
        self.node.shutdown_token().cancel();
        tokio::time::timeout(Duration::from_secs(30), self.node.wait())
            .await
            .expect("the node stops");
    }
}

/// URL-encoded forms (the workspace's reqwest has no `form` feature).
trait FormExt {
    fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self;
}

impl FormExt for reqwest::RequestBuilder {
    fn form<K: AsRef<str>, V: AsRef<str>>(self, pairs: &[(K, V)]) -> Self {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish();
        self.header("content-type", "application/x-www-form-urlencoded")
            .body(body)
    }
}

fn csrf(id: &str) -> String {
    cp247_server::web::session::csrf_for(id)
}

/// The value of cookie `name` set by `response`.
fn set_cookie(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, _) = v.split_once(';')?;
            let (k, val) = pair.split_once('=')?;
            (k == name).then(|| val.to_owned())
        })
}

/// The issue's role model, written out independently of `Access::allows`: officer and
/// supervisor do case work; the administrator manages but cannot read case content; read-only
/// sees the directory; monitor reads metrics.
fn expected(access: Access, role: Role) -> bool {
    let roles: &[Role] = match access {
        Access::CaseWork => &[Role::Officer, Role::Supervisor],
        Access::Directory => &[
            Role::Officer,
            Role::Supervisor,
            Role::Administrator,
            Role::ReadOnly,
        ],
        Access::Administration => &[Role::Administrator],
        Access::Monitoring => &[Role::Monitor, Role::Administrator],
        Access::SignedIn => &Role::ALL,
        Access::SignInThrottles => &[Role::Supervisor, Role::Administrator],
    };
    roles.contains(&role)
}

/// Every way a token can come into being, including the attempts that must fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A person of this role issues it from their signed-in session (the Tokens page).
    SelfIssued(Role),
    /// The administrator's token asks `POST /api/v1/tokens` for a machine account of this role.
    AdminIssued(Role),
    /// The administrator's token asks `POST /api/v1/tokens` for the account of the person of
    /// this role.
    AdminForAccount(Role),
    /// The token the administrator issued for themselves asks for a machine account of this
    /// role (a credential the administrator created, creating another).
    AdminSelfIssuedAsks(Role),
    /// The host operator issues it through the running node's socket.
    Operator(Role),
}

/// The issue's token policy, written out independently of `cp247_server::tokens`: the role a
/// token of this origin carries, or `None` when it must not come into being at all. A person
/// gets their own role; the administrator gets monitor tokens only; the operator any machine
/// role; nobody a token for someone else's account.
fn token_role(origin: Origin) -> Option<Role> {
    match origin {
        Origin::SelfIssued(r) | Origin::Operator(r) => Some(r),
        Origin::AdminIssued(r) | Origin::AdminSelfIssuedAsks(r) => {
            (r == Role::Monitor).then_some(Role::Monitor)
        }
        Origin::AdminForAccount(_) => None,
    }
}

/// Every origin the matrix tries.
fn origins() -> Vec<Origin> {
    let mut all = Vec::new();
    for r in Role::ALL {
        if r.signs_in() {
            all.push(Origin::SelfIssued(r));
            all.push(Origin::AdminForAccount(r));
        }
        all.push(Origin::AdminIssued(r));
        all.push(Origin::AdminSelfIssuedAsks(r));
        all.push(Origin::Operator(r));
    }
    all
}

/// The token in the Tokens page's answer (shown once).
fn shown_token(body: &str) -> Option<String> {
    let start = body.find("id=\"new-token\">")? + "id=\"new-token\">".len();
    let rest = &body[start..];
    Some(rest[..rest.find('<')?].to_owned())
}

/// Issues a token through the Tokens page of `session`.
async fn self_issue(n: &Node, http: &reqwest::Client, session: &str, name: &str) -> String {
    let r = http
        .post(format!("{}/tokens", n.base))
        .header(COOKIE, format!("cp247_session={session}"))
        .form(&[
            ("csrf", csrf(session).as_str()),
            ("name", name),
            ("lifetime_days", "90"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    shown_token(&r.text().await.unwrap()).expect("the page shows the new token")
}

/// Asks `POST /api/v1/tokens` with `bearer`; the token if one was issued, and the status.
async fn api_issue(
    n: &Node,
    http: &reqwest::Client,
    bearer: &str,
    body: serde_json::Value,
) -> (StatusCode, Option<String>) {
    let r = http
        .post(format!("{}/api/v1/tokens", n.base))
        .bearer_auth(bearer)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: serde_json::Value = r.json().await.unwrap();
    (status, v["token"].as_str().map(str::to_owned))
}

/// (who, role the caller should have — `None`: it should have no rights —, API token,
/// session id) of one call in the matrix.
type Caller<'a> = (String, Option<Role>, Option<&'a str>, Option<String>);

/// Every route (from `ROUTES`, so a new route cannot escape) × every role × every way a token
/// comes into being (self-issued from a session, the administrator's monitor token, the
/// operator's machine tokens through the socket, and every token the administrator tries to
/// create for another role or account) × sessions × anonymous: each answer must be what the
/// independent tables (`token_role`, `expected`) allow, with zero unexpected allows and zero
/// unexpected refusals. On 9c79c9f the administrator's attempts issued officer and supervisor
/// tokens and a token of a person's account, which then read cases.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_for_every_role_and_token_origin() {
    let n = start().await;
    let http = client();
    let mut persons = BTreeMap::new();
    for role in Role::ALL.into_iter().filter(Role::signs_in) {
        let e = n
            .enrol(&format!("u-{}", role.as_str().replace('_', "-")), role)
            .await;
        persons.insert(role.as_str(), e.account);
    }
    // The administrator's token, as the operator gives one (the demo's `local-admin`).
    let admin = web_harness::machine_token(&n, "ops-admin", Role::Administrator).await;
    let admin_session = n.session(persons["administrator"].id).await;
    let admin_own = self_issue(&n, &http, &admin_session, "admin-own").await;
    let socket = cp247_server::operator::socket_path(&n.node.context.config.base_dir);
    let mut unexpected = Vec::new();
    let mut tokens: Vec<(Origin, String)> = Vec::new();
    for (i, origin) in origins().into_iter().enumerate() {
        let name = format!("m-{i}");
        let (status, token) = match origin {
            Origin::SelfIssued(r) => {
                let s = n.session(persons[r.as_str()].id).await;
                (
                    StatusCode::CREATED,
                    Some(self_issue(&n, &http, &s, &name).await),
                )
            }
            Origin::AdminIssued(r) => {
                let body = serde_json::json!({ "name": name, "role": r.as_str() });
                api_issue(&n, &http, &admin, body).await
            }
            Origin::AdminSelfIssuedAsks(r) => {
                let body = serde_json::json!({ "name": name, "role": r.as_str() });
                api_issue(&n, &http, &admin_own, body).await
            }
            Origin::AdminForAccount(r) => {
                let username = persons[r.as_str()].username.clone();
                let body = serde_json::json!({ "name": name, "account": username });
                api_issue(&n, &http, &admin, body).await
            }
            Origin::Operator(r) => {
                let answer = cp247_server::operator::call(
                    &socket,
                    &cp247_server::operator::OperatorRequest::Create {
                        name: name.clone(),
                        role: r.as_str().to_owned(),
                        lifetime_days: None,
                    },
                )
                .await
                .unwrap();
                (
                    StatusCode::CREATED,
                    answer["secret"].as_str().map(str::to_owned),
                )
            }
        };
        match (token_role(origin), token) {
            (Some(_), Some(t)) => tokens.push((origin, t)),
            (Some(_), None) => unexpected.push(format!("not issued: {origin:?}: {status}")),
            (None, None) => {
                if status != StatusCode::FORBIDDEN {
                    unexpected.push(format!("refused with {status}, not 403: {origin:?}"));
                }
            }
            // A token that must not exist: probed below, where it must be refused everywhere.
            (None, Some(t)) => {
                unexpected.push(format!("ISSUED: {origin:?}: {status}"));
                tokens.push((origin, t));
            }
        }
    }
    // Nothing the administrator asked for reached a person's account or a case role.
    for account in persons.values() {
        let own = n
            .node
            .context
            .store
            .api_tokens_of(account.id, cp247_store::Page::first(50))
            .await
            .unwrap();
        for t in &own.items {
            if t.origin != cp247_store::TokenOrigin::Session {
                unexpected.push(format!(
                    "a {:?} token on {}'s account",
                    t.origin, account.username
                ));
            }
        }
    }

    let pre = "pre-session-id-for-the-matrix-test-000000000";
    for (method, path, guard) in ROUTES {
        // Callers: anonymous, each token by origin, each role by session. A fresh session per
        // call, so that signing out does not end the next call's session.
        let mut callers: Vec<Caller<'_>> = vec![("anonymous".into(), None, None, None)];
        for (origin, token) in &tokens {
            callers.push((
                format!("token {origin:?}"),
                token_role(*origin),
                Some(token.as_str()),
                None,
            ));
        }
        for (role, account) in &persons {
            callers.push((
                format!("{role} session"),
                Role::parse(role).ok(),
                None,
                Some(n.session(account.id).await),
            ));
        }
        for (who, role, token, session) in callers {
            let session = session.as_deref();
            let url = format!("{}{path}", n.base);
            let cookie_id = session.unwrap_or(pre);
            let mut req = match method {
                "GET" => http.get(&url),
                _ => http
                    .post(&url)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!(
                        "csrf={}&lang=fr&username=x&password=y&code=123456",
                        csrf(cookie_id)
                    )),
            };
            req = match session {
                Some(s) => req.header(COOKIE, format!("cp247_session={s}")),
                None => req.header(COOKIE, format!("cp247_pre={pre}")),
            };
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            let status = r.status();
            let location = r
                .headers()
                .get(LOCATION)
                .map(|l| l.to_str().unwrap().to_owned());
            let body = r.text().await.unwrap();
            let allowed = match guard {
                Guard::Public(_) => true,
                Guard::Token(access) => {
                    token.is_some() && role.is_some_and(|r| expected(access, r))
                }
                Guard::Session(access) => {
                    session.is_some() && role.is_some_and(|r| expected(access, r))
                }
            };
            let refused = match guard {
                Guard::Public(_) => {
                    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                }
                Guard::Token(_) => {
                    status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN
                }
                Guard::Session(_) => {
                    status == StatusCode::FORBIDDEN
                        || (status == StatusCode::SEE_OTHER && location.as_deref() == Some("/"))
                }
            };
            // The directory refresh may fail upstream (502) and the sign-in steps refuse
            // made-up credentials (401): those are answers of an allowed call.
            let upstream = status == StatusCode::BAD_GATEWAY
                || (matches!(guard, Guard::Public(_))
                    && status == StatusCode::UNAUTHORIZED
                    && path.starts_with("/sign-in"));
            if allowed && refused && !upstream {
                unexpected.push(format!("refused: {method} {path} as {who}: {status}"));
            }
            if !allowed && !refused {
                unexpected.push(format!("ALLOWED: {method} {path} as {who}: {status}"));
            }
            let unrouted = body.contains("\"no_such_route\"");
            // The test clock control answers as an unknown path where it is off (here).
            assert_eq!(
                unrouted,
                path == "/no/such/route"
                    || (path == "/api/v1/testing/clock" && allowed && !refused),
                "{method} {path} as {who}: {body}"
            );
        }
    }
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    // Each issue and each refused attempt is in the audit log, never with a token's text.
    let audit = n.node.context.store.audit_entries(0, 500).await.unwrap();
    let issues: Vec<_> = audit
        .iter()
        .filter(|e| e.action == cp247_store::AuditAction::TokenIssue)
        .collect();
    let denied = issues
        .iter()
        .filter(|e| e.result == cp247_store::AuditResult::Denied)
        .count();
    let refused_origins = origins()
        .into_iter()
        .filter(|o| token_role(*o).is_none())
        .count();
    assert_eq!(denied, refused_origins);
    assert_eq!(issues.len() - denied, tokens.len() + 2);
    for e in &issues {
        assert!(!e.details.contains("cp247_"), "{}", e.details);
    }
    n.stop().await;
}

/// Signs in through both steps; returns the signed-in session id.
async fn sign_in(n: &Node, http: &reqwest::Client, e: &Enrolment) -> String {
    let r = http.get(format!("{}/", n.base)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let pre = set_cookie(&r, "cp247_pre").expect("a pre-session cookie");
    let body = r.text().await.unwrap();
    assert!(
        body.contains(&format!("value=\"{}\"", csrf(&pre))),
        "{body}"
    );
    let r = http
        .post(format!("{}/sign-in", n.base))
        .header(COOKIE, format!("cp247_pre={pre}"))
        .form(&[
            ("csrf", csrf(&pre).as_str()),
            ("username", e.account.username.as_str()),
            ("password", USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/sign-in/code");
    let pending = set_cookie(&r, "cp247_session").expect("a session cookie");
    let secs = u64::try_from(n.clock.now().as_second()).unwrap();
    let code = e.totp.code_at(secs);
    let r = http
        .post(format!("{}/sign-in/code", n.base))
        .header(COOKIE, format!("cp247_session={pending}"))
        .form(&[("csrf", csrf(&pending).as_str()), ("code", code.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{:?}", r.text().await);
    let signed_in = set_cookie(&r, "cp247_session").expect("a new session cookie");
    // Rotation: a new id at sign-in; the password step's id is dead.
    assert_ne!(signed_in, pending);
    let old = http
        .get(format!("{}/inbox", n.base))
        .header(COOKIE, format!("cp247_session={pending}"))
        .send()
        .await
        .unwrap();
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
    signed_in
}

async fn get_inbox(n: &Node, http: &reqwest::Client, session: &str) -> reqwest::Response {
    http.get(format!("{}/inbox", n.base))
        .header(COOKIE, format!("cp247_session={session}"))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_lifecycle_sign_in_rotation_sign_out_disable_and_timeouts() {
    let n = start().await;
    let http = client();
    let alice = n.enrol("alice", Role::Officer).await;
    let s = sign_in(&n, &http, &alice).await;

    let r = get_inbox(&n, &http, &s).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe"),
        "{csp}"
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert_eq!(r.headers()["referrer-policy"], "same-origin");
    let body = r.text().await.unwrap();
    assert!(body.contains("alice name"));
    assert!(
        !body.contains("<script") && !body.contains("style="),
        "no inline script or style"
    );

    // The same TOTP code cannot be used twice (a second sign-in within the same step fails).
    let r = http
        .post(format!("{}/sign-in", n.base))
        .header(COOKIE, "cp247_pre=p")
        .form(&[
            ("csrf", csrf("p").as_str()),
            ("username", "alice"),
            ("password", USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let pending = set_cookie(&r, "cp247_session").unwrap();
    let secs = u64::try_from(n.clock.now().as_second()).unwrap();
    let r = http
        .post(format!("{}/sign-in/code", n.base))
        .header(COOKIE, format!("cp247_session={pending}"))
        .form(&[
            ("csrf", csrf(&pending).as_str()),
            ("code", alice.totp.code_at(secs).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a replayed TOTP code is refused"
    );
    // A recovery code works once.
    let code = alice.recovery.reveal().next().unwrap().to_owned();
    for expected in [StatusCode::SEE_OTHER, StatusCode::UNAUTHORIZED] {
        let r = http
            .post(format!("{}/sign-in", n.base))
            .header(COOKIE, "cp247_pre=p")
            .form(&[
                ("csrf", csrf("p").as_str()),
                ("username", "alice"),
                ("password", USER_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        let pending = set_cookie(&r, "cp247_session").unwrap();
        let r = http
            .post(format!("{}/sign-in/code", n.base))
            .header(COOKIE, format!("cp247_session={pending}"))
            .form(&[("csrf", csrf(&pending).as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), expected);
    }

    // Idle timeout on the injected clock: 29 minutes is fine, 30 more is not.
    n.clock.advance(jiff::SignedDuration::from_mins(29));
    assert_eq!(get_inbox(&n, &http, &s).await.status(), StatusCode::OK);
    n.clock.advance(jiff::SignedDuration::from_mins(30));
    assert_eq!(
        get_inbox(&n, &http, &s).await.status(),
        StatusCode::SEE_OTHER
    );

    // Sign-out takes effect on the next request, and needs the CSRF token.
    n.clock.advance(jiff::SignedDuration::from_secs(60));
    let s = sign_in(&n, &http, &alice).await;
    let r = http
        .post(format!("{}/sign-out", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(get_inbox(&n, &http, &s).await.status(), StatusCode::OK);
    let r = http
        .post(format!("{}/sign-out", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", csrf(&s).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Signed out"));
    assert_eq!(
        get_inbox(&n, &http, &s).await.status(),
        StatusCode::SEE_OTHER
    );

    // Disablement takes effect on the next request, for sessions and tokens alike.
    n.clock.advance(jiff::SignedDuration::from_secs(60));
    let s = sign_in(&n, &http, &alice).await;
    let token = n.token_for(&alice.account).await;
    let api = |t: String| {
        let http = http.clone();
        let url = format!("{}/api/v1/tickets", n.base);
        async move { http.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    assert_eq!(api(token.clone()).await, StatusCode::OK);
    let mut tx = n.node.context.store.begin().await.unwrap();
    tx.disable_account(alice.account.id, n.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        get_inbox(&n, &http, &s).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(api(token).await, StatusCode::UNAUTHORIZED);

    // The absolute timeout ends even a busy session.
    let bob = n.enrol("bob", Role::Supervisor).await;
    let s = sign_in(&n, &http, &bob).await;
    for _ in 0..(12 * 60 / 20) {
        n.clock.advance(jiff::SignedDuration::from_mins(20));
        if get_inbox(&n, &http, &s).await.status() != StatusCode::OK {
            break;
        }
    }
    assert_eq!(
        get_inbox(&n, &http, &s).await.status(),
        StatusCode::SEE_OTHER
    );
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_enumeration_csrf_origin_and_throttled_answers() {
    let n = start().await;
    let http = client();
    n.enrol("alice", Role::Officer).await;
    let disabled = n.enrol("carol", Role::Officer).await;
    let mut tx = n.node.context.store.begin().await.unwrap();
    tx.disable_account(disabled.account.id, n.clock.now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let passwords = n.node.context.web.passwords.clone();

    let attempt = |user: &'static str, password: &'static str| {
        let http = http.clone();
        let url = format!("{}/sign-in", n.base);
        async move {
            let r = http
                .post(url)
                .header(COOKIE, "cp247_pre=p")
                .form(&[
                    ("csrf", csrf("p").as_str()),
                    ("username", user),
                    ("password", password),
                ])
                .send()
                .await
                .unwrap();
            let status = r.status();
            let cookie = set_cookie(&r, "cp247_session");
            (
                status,
                cookie,
                r.text().await.unwrap().replace(user, "USER"),
            )
        }
    };
    // Unknown user, wrong password, disabled account: one hash computed each, same answer.
    let mut answers = Vec::new();
    for (user, password) in [
        ("nobody", "whatever password"),
        ("alice", "wrong password here"),
        ("carol", USER_PASSWORD),
    ] {
        let before = passwords.verifications();
        let (status, cookie, body) = attempt(user, password).await;
        assert_eq!(
            passwords.verifications(),
            before + 1,
            "{user}: one Argon2id hash"
        );
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(cookie.is_none());
        answers.push(body);
    }
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[1], answers[2]);

    // CSRF: no token, a wrong token, a token of another cookie, a foreign Origin.
    for (cookie, token, origin) in [
        ("cp247_pre=p", None, None),
        ("cp247_pre=p", Some("nope".to_owned()), None),
        ("cp247_pre=p", Some(csrf("q")), None),
        ("cp247_pre=p", Some(csrf("p")), Some("http://evil.example")),
        ("", Some(csrf("p")), None),
    ] {
        let mut form = vec![
            ("username", "alice".to_owned()),
            ("password", USER_PASSWORD.to_owned()),
        ];
        if let Some(t) = token {
            form.push(("csrf", t));
        }
        let mut req = http.post(format!("{}/sign-in", n.base)).form(&form);
        if !cookie.is_empty() {
            req = req.header(COOKIE, cookie);
        }
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        let before = passwords.verifications();
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(passwords.verifications(), before, "refused before any work");
    }
    // A same-origin Origin passes.
    let r = http
        .post(format!("{}/sign-in", n.base))
        .header(COOKIE, "cp247_pre=p")
        .header("origin", n.base.clone())
        .form(&[
            ("csrf", csrf("p").as_str()),
            ("username", "alice"),
            ("password", USER_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Throttling: a name that is an account's and one that is not get the same answers, and
    // once throttled, no hash is computed. (The free attempts and the delays are in
    // web_throttle.rs.)
    n.enrol("dave", Role::Officer).await;
    let mut throttled = Vec::new();
    for user in ["dave", "nobody2"] {
        let mut refusals = 0;
        let body = loop {
            let before = passwords.verifications();
            let (status, _, body) = attempt(user, "wrong password here").await;
            if status == StatusCode::TOO_MANY_REQUESTS {
                assert_eq!(
                    passwords.verifications(),
                    before,
                    "{user}: no hash when throttled"
                );
                break body;
            }
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{user}");
            assert_eq!(passwords.verifications(), before + 1, "{user}: one hash");
            assert_eq!(body, answers[0]);
            refusals += 1;
            assert!(refusals < 20, "{user} is never throttled");
        };
        throttled.push((refusals, body));
    }
    assert_eq!(throttled[0], throttled[1]);
    assert!(throttled[0].1.contains("Too many"), "{}", throttled[0].1);
    n.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_speak_the_chosen_language_and_escape_case_text() {
    let n = start().await;
    let http = client();
    // Before sign-in, Accept-Language decides.
    let fr = http
        .get(format!("{}/", n.base))
        .header("accept-language", "fr-FR,fr;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        fr.contains("lang=\"fr\"") && fr.contains("Mot de passe"),
        "{fr}"
    );
    let en = http
        .get(format!("{}/", n.base))
        .header("accept-language", "de, en;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\"") && en.contains("Password"));

    // The choice is remembered on the account.
    let alice = n.enrol("alice", Role::Officer).await;
    let s = n.session(alice.account.id).await;
    let r = http
        .post(format!("{}/language", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", csrf(&s).as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(set_cookie(&r, "cp247_lang").is_some());
    let page = get_inbox(&n, &http, &s).await.text().await.unwrap();
    assert!(page.contains("Boîte de réception"), "{page}");
    let page = http
        .get(format!("{}/directory", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Annuaire") && page.contains("Europe/Paris"),
        "{page}"
    );
    assert!(page.contains("+33140000000"));

    // Case text is escaped, never markup.
    let mut tx = n.node.context.store.begin().await.unwrap();
    tx.create_ticket(&cp247_store::NewTicket {
        id: cp247_domain::TicketId::parse("FR-2026-ABCDEF").unwrap(),
        our_role: cp247_store::OurRole::Requested,
        our_party: PartyCode::parse("FR").unwrap(),
        counterpart: PartyCode::parse("MD").unwrap(),
        kind: cp247_store::TicketKind::parse("art29").unwrap(),
        state: cp247_store::TicketState::parse("received").unwrap(),
        urgency: cp247_domain::Urgency::Urgent,
        title: cp247_store::CaseText::new("<script>alert(1)</script> & co").unwrap(),
        reference: None,
        created_at: n.clock.now(),
    })
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let page = get_inbox(&n, &http, &s).await.text().await.unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(
        page.contains("&#60;script&#62;alert(1)&#60;/script&#62; &#38; co"),
        "{page}"
    );
    assert!(page.contains("FR-2026-ABCDEF"));
    n.stop().await;
}

/// Stores an urgent Art. 29 request received from MD on `ticket` (ticket and case, through the
/// store, as the federation inbox does).
async fn received_case(n: &Node, ticket: &str) -> cp247_domain::TicketId {
    let id = cp247_domain::TicketId::parse(ticket).unwrap();
    let now = n.clock.now();
    let doc = cp247_forms::examples::example(cp247_forms::Kind::Art29).unwrap();
    let md = cp247_domain::Address::primary(PartyCode::parse("MD").unwrap());
    let opening =
        cp247_case::Opening::for_request(id.clone(), cp247_case::Role::Requested, &doc, md, now)
            .unwrap();
    let mut case = cp247_case::Case::open(opening);
    case.record(
        cp247_case::CaseEvent::Received(cp247_case::Msg::Request),
        now,
    )
    .unwrap();
    let mut tx = n.node.context.store.begin().await.unwrap();
    tx.create_ticket(&cp247_store::NewTicket {
        id: id.clone(),
        our_role: cp247_store::OurRole::Requested,
        our_party: PartyCode::parse("FR").unwrap(),
        counterpart: PartyCode::parse("MD").unwrap(),
        kind: cp247_store::TicketKind::parse("art29").unwrap(),
        state: cp247_store::TicketState::parse("delivered").unwrap(),
        urgency: case.urgency(),
        title: cp247_store::CaseText::new("Ransomware <b>server</b>").unwrap(),
        reference: None,
        created_at: now,
    })
    .await
    .unwrap();
    tx.create_case(&case, None, &cp247_store::Actor::node())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn get_page(
    n: &Node,
    http: &reqwest::Client,
    session: &str,
    path: &str,
) -> (StatusCode, String) {
    let r = http
        .get(format!("{}{path}", n.base))
        .header(COOKIE, format!("cp247_session={session}"))
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_page_shows_timeline_deadlines_in_both_zones_and_allowed_replies() {
    let n = start().await;
    let http = client();
    let id = received_case(&n, "MD-2026-ABCDEF").await;
    let officer = n.enrol("olga", Role::Officer).await;
    let s = n.session(officer.account.id).await;

    let (status, page) = get_page(&n, &http, &s, &format!("/cases/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // The timeline: the request received, with its state after, in words.
    assert!(
        page.contains("Received: Preservation request (Art. 29)"),
        "{page}"
    );
    // The deadline of a person's acknowledgement, owed by this node, in both zones.
    assert!(page.contains("Acknowledgement by a person"), "{page}");
    assert!(page.contains("Our time (Europe/Paris)"), "{page}");
    assert!(page.contains("Their time (America/New_York)"), "{page}");
    assert!(page.contains(" Europe/Paris ("), "{page}");
    assert!(page.contains(" America/New_York ("), "{page}");
    assert!(
        page.contains(">in ") || page.contains(">overdue by "),
        "{page}"
    );
    // What may be sent now: an acknowledgement, a refusal; never a request or the
    // escalation notice.
    assert!(
        page.contains(&format!(
            "<li><a href=\"/cases/{id}/replies/acknowledgement\">Acknowledgement</a></li>"
        )),
        "{page}"
    );
    assert!(!page.contains("replies/escalation_notice"), "{page}");
    // Case text is escaped; no raw codes for states.
    assert!(
        page.contains("Ransomware &#60;b&#62;server&#60;/b&#62;"),
        "{page}"
    );
    assert!(!page.contains(">delivered<"), "{page}");
    // The chain lists the ticket itself.
    assert!(
        page.contains("aria-current=\"page\">MD-2026-ABCDEF"),
        "{page}"
    );

    // The inbox links to it; the due page lists its acknowledgement deadline.
    let (_, inbox) = get_page(&n, &http, &s, "/inbox").await;
    assert!(inbox.contains(&format!("href=\"/cases/{id}\"")), "{inbox}");
    assert!(inbox.contains("href=\"/due\""), "{inbox}");
    let (status, due) = get_page(&n, &http, &s, "/due").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        due.contains(&format!("href=\"/cases/{id}\""))
            && due.contains("Acknowledgement by a person"),
        "{due}"
    );
    // Once the deadline has passed, the item stays on the due page, overdue.
    n.clock.advance(jiff::SignedDuration::from_hours(24 * 30));
    // (The session timed out meanwhile: a new one.)
    let s = n.session(officer.account.id).await;
    let (_, due) = get_page(&n, &http, &s, "/due").await;
    assert!(due.contains("overdue by"), "{due}");

    // An unknown ticket is a page saying so.
    let (status, page) = get_page(&n, &http, &s, "/cases/MD-2026-ZZZZZZ").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("No such case"), "{page}");

    // French: the same case, every label translated.
    let r = http
        .post(format!("{}/language", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", csrf(&s).as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get_page(&n, &http, &s, &format!("/cases/{id}")).await;
    assert!(page.contains("lang=\"fr\""), "{page}");
    assert!(
        page.contains("Chronologie") && page.contains("Échéances"),
        "{page}"
    );
    assert!(page.contains("Notre heure (Europe/Paris)"), "{page}");
    assert!(page.contains("Leur heure (America/New_York)"), "{page}");
    assert!(page.contains("en retard de"), "{page}");
    assert!(!page.contains("⟦"), "a label is missing: {page}");

    // A read-only user and an administrator are refused the case page and the due page.
    for role in [Role::ReadOnly, Role::Administrator] {
        let e = n
            .enrol(&format!("r-{}", role.as_str().replace('_', "-")), role)
            .await;
        let other = n.session(e.account.id).await;
        for path in [format!("/cases/{id}"), "/due".to_owned()] {
            let (status, page) = get_page(&n, &http, &other, &path).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} as {role:?}: {page}");
            assert!(!page.contains("Ransomware"));
        }
    }
    n.stop().await;
}

/// A stored duty-officer alert of `node` on `ticket`, raised `mins` minutes from now.
async fn stored_alert(
    n: &Node,
    alert: &cp247_notify::Alert,
    node: cp247_domain::Address,
    mins: i64,
) {
    let stored = n
        .node
        .context
        .store
        .insert_alert(&cp247_store::NewAlert {
            key: alert.key(),
            node,
            ticket: alert.ticket().clone(),
            event: alert.event().to_owned(),
            body: alert.json().to_string(),
            created_at: n.clock.now() + jiff::SignedDuration::from_mins(mins),
            send: false,
        })
        .await
        .unwrap();
    assert!(stored);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_alerts_page_lists_the_nodes_alerts_newest_first_and_marks_them_seen() {
    let n = start().await;
    let http = client();
    let first = received_case(&n, "MD-2026-AAAAAA").await;
    let second = received_case(&n, "MD-2026-BBBBBB").await;
    let fr = cp247_domain::Address::primary(PartyCode::parse("FR").unwrap());
    let md = cp247_domain::Address::primary(PartyCode::parse("MD").unwrap());
    let now = n.clock.now();
    let new_request = cp247_notify::Alert::NewRequest {
        message_id: cp247_domain::MessageId::generate(now, &mut rand::rng()),
        ticket: first.clone(),
        kind: "art29".into(),
        urgency: cp247_domain::Urgency::Emergency,
        from: md,
        received_at: now,
        ack_due: None,
        phones: vec!["+37322000000".into()],
    };
    let deadline = cp247_notify::Alert::Deadline {
        key: format!("{second}/preservation_expiring.7d/2026-12-10T00:00:00Z"),
        ticket: second.clone(),
        what: "preservation_expiring".into(),
        due: now,
        counterpart: md,
        phones: vec![],
    };
    // Another contact point's alert in the same database (never shown here).
    let foreign = cp247_notify::Alert::Deadline {
        key: "foreign".into(),
        ticket: second.clone(),
        what: "acknowledgement_overdue".into(),
        due: now,
        counterpart: fr,
        phones: vec![],
    };
    stored_alert(&n, &new_request, fr, 0).await;
    stored_alert(&n, &deadline, fr, 5).await;
    stored_alert(&n, &foreign, cp247_domain::Address::alternate(fr.party), 9).await;

    let officer = n.enrol("odile", Role::Officer).await;
    let s = n.session(officer.account.id).await;
    let (status, page) = get_page(&n, &http, &s, "/alerts").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // Newest first, each linking to its case, both unseen; not the other contact point's.
    let at_second = page.find(&format!("href=\"/cases/{second}\"")).unwrap();
    let at_first = page.find(&format!("href=\"/cases/{first}\"")).unwrap();
    assert!(at_second < at_first, "{page}");
    assert_eq!(page.matches("<tr class=\"unseen\">").count(), 2, "{page}");
    assert!(
        page.contains("New emergency request from MD/primary"),
        "{page}"
    );
    assert!(page.contains("The preservation ends in 7 days"), "{page}");
    assert!(!page.contains("foreign") && !page.contains("No acknowledgement by a person"));
    // The navigation of every page counts the unseen alerts.
    assert!(page.contains("2 unseen"), "{page}");
    let (_, inbox) = get_page(&n, &http, &s, "/inbox").await;
    assert!(
        inbox.contains("href=\"/alerts\"") && inbox.contains("2 unseen"),
        "{inbox}"
    );

    // Marking seen needs the session's CSRF token.
    let key = deadline.key();
    let r = http
        .post(format!("{}/alerts/seen", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", "wrong"), ("key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (_, page) = get_page(&n, &http, &s, "/alerts").await;
    assert_eq!(page.matches("<tr class=\"unseen\">").count(), 2, "{page}");
    let r = http
        .post(format!("{}/alerts/seen", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", csrf(&s).as_str()), ("key", key.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get(LOCATION).unwrap(), "/alerts");
    let (_, page) = get_page(&n, &http, &s, "/alerts").await;
    assert_eq!(page.matches("<tr class=\"unseen\">").count(), 1, "{page}");
    assert!(page.contains("Seen by user:odile"), "{page}");
    assert!(page.contains("1 unseen"), "{page}");
    // Another contact point's alert cannot be marked from here.
    let r = http
        .post(format!("{}/alerts/seen", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", csrf(&s).as_str()), ("key", "foreign")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let alt = cp247_domain::Address::alternate(fr.party);
    assert_eq!(
        n.node.context.store.unseen_alert_count(alt).await.unwrap(),
        1
    );

    // French labels.
    let r = http
        .post(format!("{}/language", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .form(&[("csrf", csrf(&s).as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = get_page(&n, &http, &s, "/alerts").await;
    assert!(
        page.contains("Alertes") && page.contains("1 non vue(s)"),
        "{page}"
    );
    assert!(page.contains("Marquer comme vue"), "{page}");
    assert!(!page.contains("⟦"), "a label is missing: {page}");

    // Read-only users and administrators get neither the page nor the count.
    for role in [Role::ReadOnly, Role::Administrator] {
        let e = n
            .enrol(&format!("a-{}", role.as_str().replace('_', "-")), role)
            .await;
        let other = n.session(e.account.id).await;
        let (status, page) = get_page(&n, &http, &other, "/alerts").await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{role:?}: {page}");
        let (_, directory) = get_page(&n, &http, &other, "/directory").await;
        assert!(!directory.contains("href=\"/alerts\""), "{directory}");
        let r = http
            .post(format!("{}/alerts/seen", n.base))
            .header(COOKIE, format!("cp247_session={other}"))
            .form(&[
                ("csrf", csrf(&other).as_str()),
                ("key", new_request.key().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role:?}");
    }
    assert_eq!(
        n.node.context.store.unseen_alert_count(fr).await.unwrap(),
        1
    );
    n.stop().await;
}

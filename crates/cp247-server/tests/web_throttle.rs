#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: a failed setup step should stop the test loudly.

//! Sign-in throttling over a real node on 127.0.0.1 (issue #10, ADR 0021), with clients bound
//! to other loopback addresses (127.0.0.2, …) as attackers: guesses from another address never
//! keep the officer out; 50 parallel guesses are evaluated at most six times (five free and the
//! one that starts the first delay, counted by the Argon2id hash counter); attempts during a
//! delay are refused without extending it; second-factor guesses are throttled too; behind a
//! trusted proxy the source is the header's address, IPv6 by /64; supervisors see and lift
//! throttles.

mod web_harness;

use web_harness::{Node, Other, start_configured};

use std::net::IpAddr;
use std::time::Duration;

use cp247_domain::Clock;
use cp247_server::accounts::{Enrolment, Password, enrol};
use cp247_server::auth::Role;
use cp247_store::{AuditAction, SessionStage};
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, RETRY_AFTER, SET_COOKIE};

const PASSWORD: &str = "the duty officer's password";

const OTHER: Other = Other {
    unit: "MD unit",
    zone: "Europe/Chisinau",
};

async fn start() -> Node {
    start_configured(OTHER, |_| {}).await
}

async fn enrol_as(n: &Node, username: &str, role: Role) -> Enrolment {
    enrol(
        &n.node.context.store,
        &n.node.context.web.secrets,
        username,
        &format!("{username} name"),
        role,
        &Password::new(PASSWORD.into()),
        "cp247 FR",
        n.clock.now(),
    )
    .await
    .unwrap()
}

/// A client whose connections come from `local` (a loopback address).
fn client_from(local: &str) -> reqwest::Client {
    cp247_federation::tls::install_crypto_provider();
    reqwest::Client::builder()
        .local_address(local.parse::<IpAddr>().unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn csrf(id: &str) -> String {
    cp247_server::web::session::csrf_for(id)
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().copied())
        .finish()
}

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

/// What one sign-in step answered.
#[derive(Debug)]
struct Answer {
    status: StatusCode,
    session: Option<String>,
    retry_after: Option<String>,
    body: String,
}

async fn answer(r: reqwest::Response) -> Answer {
    Answer {
        status: r.status(),
        session: set_cookie(&r, "cp247_session"),
        retry_after: r
            .headers()
            .get(RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned()),
        body: r.text().await.unwrap(),
    }
}

/// The password step, with `extra` headers.
async fn password_with(
    n: &Node,
    http: &reqwest::Client,
    user: &str,
    password: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut req = http
        .post(format!("{}/sign-in", n.base))
        .header(COOKIE, "cp247_pre=p")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", &csrf("p")),
            ("username", user),
            ("password", password),
        ]));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    answer(req.send().await.unwrap()).await
}

async fn password(n: &Node, http: &reqwest::Client, user: &str, password: &str) -> Answer {
    password_with(n, http, user, password, &[]).await
}

/// The second-factor step for the password step's session `pending`.
async fn code_with(
    n: &Node,
    http: &reqwest::Client,
    pending: &str,
    code: &str,
    extra: &[(&str, &str)],
) -> Answer {
    let mut req = http
        .post(format!("{}/sign-in/code", n.base))
        .header(COOKIE, format!("cp247_session={pending}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", &csrf(pending)), ("code", code)]));
    for (k, v) in extra {
        req = req.header(*k, *v);
    }
    answer(req.send().await.unwrap()).await
}

fn current_code(n: &Node, e: &Enrolment) -> String {
    e.totp
        .code_at(u64::try_from(n.clock.now().as_second()).unwrap())
}

/// Both steps from `http` (with `extra` headers); returns the signed-in session.
async fn sign_in_with(
    n: &Node,
    http: &reqwest::Client,
    e: &Enrolment,
    extra: &[(&str, &str)],
) -> String {
    let a = password_with(n, http, &e.account.username, PASSWORD, extra).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "password step: {a:?}");
    let pending = a.session.unwrap();
    let a = code_with(n, http, &pending, &current_code(n, e), extra).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "code step: {a:?}");
    let session = a.session.unwrap();
    let inbox = http
        .get(format!("{}/inbox", n.base))
        .header(COOKIE, format!("cp247_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(inbox.status(), StatusCode::OK);
    session
}

async fn sign_in(n: &Node, http: &reqwest::Client, e: &Enrolment) -> String {
    sign_in_with(n, http, e, &[]).await
}

fn hashes(n: &Node) -> u64 {
    n.node.context.web.passwords.verifications()
}

async fn stop(n: Node) {
    n.node.shutdown_token().cancel();
    tokio::time::timeout(Duration::from_secs(30), n.node.wait())
        .await
        .expect("the node stops");
}

/// The attack of issue #10: an attacker who knows the duty officer's user name guesses from
/// 127.0.0.2 — 20 guesses at once, then one every 14 minutes, which kept the account locked
/// indefinitely. The officer signs in (password and TOTP code) from 127.0.0.1 every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_from_another_address_never_keep_the_officer_out() {
    let n = start().await;
    let duty = enrol_as(&n, "duty", Role::Officer).await;
    let attacker = client_from("127.0.0.2");
    let officer = client_from("127.0.0.1");

    let before = hashes(&n);
    let mut throttled = 0;
    for i in 0..20 {
        let a = password(&n, &attacker, "duty", &format!("guess number {i}")).await;
        match a.status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("guess {i}: {other}"),
        }
    }
    // Five free guesses and the one that starts the first delay were evaluated.
    assert_eq!(hashes(&n) - before, 6);
    assert_eq!(throttled, 14);
    sign_in(&n, &officer, &duty).await;

    // The same while the guesses run.
    let guesses = {
        let http = attacker.clone();
        let base = n.base.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let r = http
                    .post(format!("{base}/sign-in"))
                    .header(COOKIE, "cp247_pre=p")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(&[
                        ("csrf", &csrf("p")),
                        ("username", "duty"),
                        ("password", &format!("parallel guess {i}")),
                    ]))
                    .send()
                    .await
                    .unwrap();
                assert!(matches!(
                    r.status(),
                    StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
                ));
            }
        })
    };
    n.clock.advance(jiff::SignedDuration::from_secs(31));
    sign_in(&n, &officer, &duty).await;
    guesses.await.unwrap();

    // One guess every 14 minutes: each is admitted (the delays are shorter), none locks.
    for round in 0..4 {
        n.clock.advance(jiff::SignedDuration::from_mins(14));
        let a = password(&n, &attacker, "duty", "a slow guess").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED, "round {round}");
        sign_in(&n, &officer, &duty).await;
    }
    stop(n).await;
}

/// 50 parallel guesses (a known name, then an unknown one) are evaluated at most six times:
/// each attempt is admitted by a conditional update before the password is hashed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_guesses_are_evaluated_at_most_six_times() {
    let n = start().await;
    let duty = enrol_as(&n, "duty", Role::Officer).await;
    for (user, from) in [("duty", "127.0.0.2"), ("nobody", "127.0.0.3")] {
        let http = client_from(from);
        let before = hashes(&n);
        let mut tasks = Vec::new();
        for i in 0..50 {
            let http = http.clone();
            let base = n.base.clone();
            tasks.push(tokio::spawn(async move {
                http.post(format!("{base}/sign-in"))
                    .header(COOKIE, "cp247_pre=p")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(form(&[
                        ("csrf", &csrf("p")),
                        ("username", user),
                        ("password", &format!("parallel guess {i}")),
                    ]))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut refused = 0;
        let mut throttled = 0;
        for t in tasks {
            match t.await.unwrap() {
                StatusCode::UNAUTHORIZED => refused += 1,
                StatusCode::TOO_MANY_REQUESTS => throttled += 1,
                other => panic!("{user}: {other}"),
            }
        }
        let evaluated = hashes(&n) - before;
        assert_eq!(evaluated, refused, "{user}: one hash per evaluated guess");
        assert!(evaluated <= 6, "{user}: {evaluated} guesses evaluated");
        assert_eq!(refused + throttled, 50);
    }

    // Second-factor guesses: the password is known (phished), the code is guessed in parallel
    // from 127.0.0.4. At most six codes are evaluated; the rest are refused unchecked.
    let thief = client_from("127.0.0.4");
    let a = password(&n, &thief, "duty", PASSWORD).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER);
    let pending = a.session.unwrap();
    // Wrong codes: none of those valid one step before, now or one step after.
    let secs = u64::try_from(n.clock.now().as_second()).unwrap();
    let valid: Vec<String> = [secs - 30, secs, secs + 30]
        .iter()
        .map(|t| duty.totp.code_at(*t))
        .collect();
    let guesses: Vec<String> = (0..40u32)
        .map(|i| format!("{:06}", 123_457 * (i + 1) % 1_000_000))
        .filter(|g| !valid.contains(g))
        .take(20)
        .collect();
    assert_eq!(guesses.len(), 20);
    let mut tasks = Vec::new();
    for guess in guesses {
        let http = thief.clone();
        let base = n.base.clone();
        let pending = pending.clone();
        tasks.push(tokio::spawn(async move {
            http.post(format!("{base}/sign-in/code"))
                .header(COOKIE, format!("cp247_session={pending}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[("csrf", &csrf(&pending)), ("code", &guess)]))
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            StatusCode::UNAUTHORIZED => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            StatusCode::SEE_OTHER => panic!("a wrong code was accepted"),
            other => panic!("{other}"),
        }
    }
    // Five free and the one that starts the first delay.
    assert_eq!(refused, 6, "second-factor guesses evaluated");
    // The owner, from their own address, is not slowed down.
    sign_in(&n, &client_from("127.0.0.1"), &duty).await;
    stop(n).await;
}

/// Attempts during a delay are refused (429, `Retry-After`) and do not extend it; the delays
/// grow 1 s, 2 s…; when a delay is over, the right password is let in from the same address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_during_a_delay_do_not_extend_it() {
    let n = start().await;
    enrol_as(&n, "duty", Role::Officer).await;
    let http = client_from("127.0.0.2");
    for _ in 0..6 {
        let a = password(&n, &http, "duty", "wrong password").await;
        assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    }
    // A 1-second delay: ten attempts during it, the right password among them, are refused
    // before any hash and leave it at one second.
    for _ in 0..5 {
        for pw in ["wrong password", PASSWORD] {
            let before = hashes(&n);
            let a = password(&n, &http, "duty", pw).await;
            assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS, "{}", a.body);
            assert_eq!(a.retry_after.as_deref(), Some("1"));
            assert!(a.body.contains("Wait 1 seconds"), "{}", a.body);
            assert_eq!(hashes(&n), before);
        }
        n.clock.advance(jiff::SignedDuration::from_millis(100));
    }
    // Half a second after it ended (the ten attempts took 0.5 s of it): admitted; wrong again,
    // so the next delay is 2 s.
    n.clock.advance(jiff::SignedDuration::from_millis(500));
    assert_eq!(
        password(&n, &http, "duty", "wrong password").await.status,
        StatusCode::UNAUTHORIZED
    );
    let a = password(&n, &http, "duty", PASSWORD).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(a.retry_after.as_deref(), Some("2"));
    n.clock.advance(jiff::SignedDuration::from_secs(2));
    let a = password(&n, &http, "duty", PASSWORD).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.body, "");
    // The success started the count over: five free again.
    for _ in 0..5 {
        assert_eq!(
            password(&n, &http, "duty", "wrong password").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    stop(n).await;
}

/// Behind a reverse proxy: the source is the address the trusted proxy wrote in the header
/// (IPv6 grouped by /64), never the header of anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_the_header_is_the_source_and_ipv6_counts_by_64() {
    let n = start_configured(OTHER, |c| {
        c.file.web.client_address_header = Some("X-Forwarded-For".into());
        c.file.web.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let duty = enrol_as(&n, "duty", Role::Officer).await;
    let proxy = client_from("127.0.0.1");
    // A spray within one /64: one source.
    let before = hashes(&n);
    for i in 0..20 {
        let from = format!("2001:db8:1:2::{:x}", i + 1);
        let a = password_with(&n, &proxy, "duty", "a guess", &[("x-forwarded-for", &from)]).await;
        assert!(matches!(
            a.status,
            StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
        ));
    }
    assert_eq!(hashes(&n) - before, 6);
    // The officer behind the same proxy, from another network: in.
    sign_in_with(&n, &proxy, &duty, &[("x-forwarded-for", "2001:db8:9::1")]).await;
    // A client that is not the proxy cannot choose its source by writing the header.
    let spoofer = client_from("127.0.0.2");
    let a = password_with(
        &n,
        &spoofer,
        "duty",
        "a guess",
        &[("x-forwarded-for", "2001:db8:9::1")],
    )
    .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    let rows = n
        .node
        .context
        .store
        .sign_in_throttles(n.clock.now(), n.node.context.web.throttle.policy(), 100)
        .await
        .unwrap();
    let sources: Vec<&str> = rows.iter().map(|r| r.source.as_str()).collect();
    assert!(sources.contains(&"2001:db8:1:2::/64"), "{sources:?}");
    assert!(sources.contains(&"127.0.0.2"), "{sources:?}");
    assert!(!sources.contains(&"2001:db8:9::/64"), "{sources:?}");
    stop(n).await;
}

/// Supervisors (and administrators) see the throttles in force and lift them, with the
/// session's CSRF token, audited; officers do not; the page speaks French too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supervisors_see_throttles_and_lift_them() {
    let n = start().await;
    enrol_as(&n, "duty", Role::Officer).await;
    let chief = enrol_as(&n, "chief", Role::Supervisor).await;
    let officer = enrol_as(&n, "olga", Role::Officer).await;
    let http = client_from("127.0.0.2");
    for _ in 0..7 {
        password(&n, &http, "duty", "mistyped password").await;
    }
    assert_eq!(
        password(&n, &http, "duty", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    let session = |account: u64| {
        let n = &n;
        async move {
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
    };
    let page = |s: String| {
        let http = http.clone();
        let url = format!("{}/throttles", n.base);
        async move {
            let r = http
                .get(url)
                .header(COOKIE, format!("cp247_session={s}"))
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let s = session(chief.account.id).await;
    let (status, body) = page(s.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("<th scope=\"row\">duty</th>"), "{body}");
    assert!(body.contains("127.0.0.2"), "{body}");
    assert!(body.contains("this name from this address"), "{body}");
    assert!(body.contains("href=\"/throttles\""), "{body}");
    let bucket = body
        .split("name=\"bucket\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    // Officers neither see nor lift.
    let o = session(officer.account.id).await;
    assert_eq!(page(o.clone()).await.0, StatusCode::FORBIDDEN);
    let lift = |s: String, token: String| {
        let http = http.clone();
        let url = format!("{}/throttles/lift", n.base);
        let bucket = bucket.clone();
        async move {
            http.post(url)
                .header(COOKIE, format!("cp247_session={s}"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(form(&[
                    ("csrf", &token),
                    ("scope", "pair"),
                    ("bucket", &bucket),
                ]))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        lift(o.clone(), csrf(&o)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        lift(s.clone(), "wrong".into()).await.status(),
        StatusCode::FORBIDDEN
    );
    let r = lift(s.clone(), csrf(&s)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/throttles");
    // Lifted: the right password is let in at once from the same address.
    assert_eq!(
        password(&n, &http, "duty", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let audit = n.node.context.store.audit_entries(0, 1000).await.unwrap();
    let entry = audit
        .iter()
        .find(|e| e.details.contains("sign_in_throttle_lifted"))
        .expect("the lift is audited");
    assert_eq!(entry.action, AuditAction::AccountChange);
    assert_eq!(entry.actor.to_string(), "user:chief");
    assert!(entry.details.contains("127.0.0.2"), "{}", entry.details);
    // An unknown throttle: a page saying so.
    let r = http
        .post(format!("{}/throttles/lift", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[
            ("csrf", &csrf(&s)),
            ("scope", "pair"),
            ("bucket", "x"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // French.
    for _ in 0..7 {
        password(&n, &http, "duty", "mistyped password").await;
    }
    let r = http
        .post(format!("{}/language", n.base))
        .header(COOKIE, format!("cp247_session={s}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form(&[("csrf", &csrf(&s)), ("lang", "fr")]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, body) = page(s.clone()).await;
    assert!(
        body.contains("Freins de connexion") && body.contains("ce nom depuis cette adresse"),
        "{body}"
    );
    assert!(!body.contains("⟦"), "a label is missing: {body}");
    stop(n).await;
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Webhooks against a small axum server on 127.0.0.1:0: signed body, retries on 5xx, no retry
//! on 4xx, redirects never followed, timeouts bounded, and the alert queue.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use common::*;
use cp247_domain::{Address, MessageId, PartyCode, TicketId, Urgency};
use cp247_notify::webhook::{EVENT_HEADER, SIGNATURE_HEADER, verify_signature};
use cp247_notify::{
    Alert, Notifier, NotifySettings, Secret, Webhook, WebhookSettings, WebhookUrl, alert_worker,
};
use tokio_util::sync::CancellationToken;

const SECRET: &str = "webhook-secret-0123456789";

#[derive(Clone, Default)]
struct Hook {
    calls: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    /// Statuses to answer with, in order; 200 once exhausted.
    script: Arc<Mutex<Vec<u16>>>,
    redirected: Arc<Mutex<u32>>,
}

async fn hook(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    h.calls.lock().unwrap().push((headers, body));
    let next = {
        let mut s = h.script.lock().unwrap();
        if s.is_empty() { 200 } else { s.remove(0) }
    };
    match next {
        307 => Redirect::temporary("/elsewhere").into_response(),
        999 => {
            tokio::time::sleep(Duration::from_secs(5)).await;
            StatusCode::OK.into_response()
        }
        code => StatusCode::from_u16(code).unwrap().into_response(),
    }
}

async fn elsewhere(State(h): State<Hook>) -> StatusCode {
    *h.redirected.lock().unwrap() += 1;
    StatusCode::OK
}

async fn serve(script: Vec<u16>) -> (Hook, String) {
    let h = Hook::default();
    *h.script.lock().unwrap() = script;
    let app = axum::Router::new()
        .route("/hook", post(hook))
        .route("/elsewhere", post(elsewhere).get(elsewhere))
        .with_state(h.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (h, format!("http://{addr}/hook"))
}

fn settings(url: &str, attempts: u32, timeout: Duration) -> WebhookSettings {
    WebhookSettings {
        url: WebhookUrl::parse(url).unwrap(),
        secret: Secret::new(SECRET.into()),
        timeout,
        attempts,
        first_retry: Duration::from_millis(20),
    }
}

fn alert() -> Alert {
    let mut rng = rand::rng();
    Alert::NewRequest {
        message_id: MessageId::generate(system_now(), &mut rng),
        ticket: TicketId::parse("MD-2026-0000ABCD").unwrap(),
        kind: "art29".into(),
        urgency: Urgency::Urgent,
        from: Address::primary(PartyCode::parse("MD").unwrap()),
        received_at: system_now(),
        ack_due: None,
        phones: vec!["+373 22 000 111".into()],
    }
}

#[tokio::test]
async fn an_alert_is_posted_once_signed_over_its_exact_body() {
    let (h, url) = serve(vec![]).await;
    let notifier = Notifier::new(
        NotifySettings {
            webhook: Some(settings(&url, 3, Duration::from_secs(5))),
            ..NotifySettings::default()
        },
        node_key("fr"),
        clock(),
    )
    .unwrap();
    let a = alert();
    let report = notifier.send_alert(&a).await;
    assert!(report.all_sent(), "{report:?}");
    let calls = h.calls.lock().unwrap().clone();
    assert_eq!(calls.len(), 1);
    let (headers, body) = &calls[0];
    let sig = headers.get(SIGNATURE_HEADER).unwrap().to_str().unwrap();
    assert!(verify_signature(&Secret::new(SECRET.into()), body, sig));
    assert!(!verify_signature(
        &Secret::new("another-secret-000000".into()),
        body,
        sig
    ));
    assert_eq!(
        headers.get(EVENT_HEADER).unwrap().to_str().unwrap(),
        a.key()
    );
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    let json: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(json["event"], "new_request");
    assert_eq!(json["format"], "cp247-alert/1");
    assert_eq!(json["ticket"], "MD-2026-0000ABCD");
    assert_eq!(json["urgency"], "urgent");
    assert_eq!(json["duty_phones"][0], "+373 22 000 111");
    assert!(json["sent_at"].is_string());
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let (h, url) = serve(vec![503, 500]).await;
    let hook = Webhook::new(settings(&url, 3, Duration::from_secs(5))).unwrap();
    let attempts = hook.post("k", b"{}".to_vec()).await.unwrap();
    assert_eq!(attempts, 3);
    assert_eq!(h.calls.lock().unwrap().len(), 3);

    let (h, url) = serve(vec![503, 503, 503, 503]).await;
    let hook = Webhook::new(settings(&url, 2, Duration::from_secs(5))).unwrap();
    let err = hook.post("k", b"{}".to_vec()).await.unwrap_err();
    assert_eq!(err.attempts, 2);
    assert!(err.reason.contains("503"), "{err}");
    assert_eq!(h.calls.lock().unwrap().len(), 2);
}

#[tokio::test]
async fn client_errors_are_not_retried_and_redirects_not_followed() {
    let (h, url) = serve(vec![401]).await;
    let hook = Webhook::new(settings(&url, 5, Duration::from_secs(5))).unwrap();
    let err = hook.post("k", b"{}".to_vec()).await.unwrap_err();
    assert_eq!((err.attempts, h.calls.lock().unwrap().len()), (1, 1));
    assert!(err.reason.contains("401"), "{err}");

    let (h, url) = serve(vec![307]).await;
    let hook = Webhook::new(settings(&url, 5, Duration::from_secs(5))).unwrap();
    let err = hook.post("k", b"{}".to_vec()).await.unwrap_err();
    assert!(err.reason.contains("307"), "{err}");
    assert_eq!(*h.redirected.lock().unwrap(), 0);
    assert_eq!(h.calls.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn a_hanging_receiver_costs_at_most_attempts_times_the_timeout() {
    let (h, url) = serve(vec![999, 999]).await;
    let hook = Webhook::new(settings(&url, 2, Duration::from_millis(300))).unwrap();
    let err = hook.post("k", b"{}".to_vec()).await.unwrap_err();
    assert_eq!(err.attempts, 2);
    assert!(err.reason.contains("no answer within 300 ms"), "{err}");
    assert_eq!(h.calls.lock().unwrap().len(), 2);

    // An unreachable receiver is an error too, with the URL but never the secret.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let hook = Webhook::new(settings(
        &format!("http://127.0.0.1:{port}/hook?token=abc"),
        1,
        Duration::from_secs(2),
    ))
    .unwrap();
    let err = hook
        .post("k", b"{}".to_vec())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains(&format!("127.0.0.1:{port}/hook")), "{err}");
    assert!(!err.contains(SECRET) && !err.contains("token=abc"), "{err}");
}

#[tokio::test]
async fn the_alert_queue_sends_each_alert_and_stops_on_shutdown() {
    let (h, url) = serve(vec![]).await;
    let notifier = Arc::new(
        Notifier::new(
            NotifySettings {
                webhook: Some(settings(&url, 1, Duration::from_secs(5))),
                ..NotifySettings::default()
            },
            node_key("fr"),
            clock(),
        )
        .unwrap(),
    );
    let token = CancellationToken::new();
    let (queue, worker) = alert_worker(notifier, 8, token.clone());
    let task = tokio::spawn(worker);
    let (a, b) = (alert(), alert());
    assert!(queue.submit(a.clone()));
    assert!(queue.submit(b.clone()));
    for _ in 0..100 {
        if h.calls.lock().unwrap().len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let keys: Vec<String> = h
        .calls
        .lock()
        .unwrap()
        .iter()
        .map(|(hd, _)| hd.get(EVENT_HEADER).unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, vec![a.key(), b.key()]);
    token.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
    assert!(!queue.submit(alert()), "a stopped worker takes nothing");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests: failing loudly on a broken setup is the point.

//! The pinned transport against a real TLS listener on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::routing::post;
use cp247_federation::client::{ClientLimits, PeerClient, PostOutcome, TransportError};
use cp247_federation::endpoint::PeerEndpoint;
use cp247_federation::listen::{self, ListenMode, ServeLimits};
use cp247_federation::tls::{TlsIdentity, TlsPin};
use cp247_federation::wire::{AcceptedBody, ErrorBody, Outcome};
use tokio_util::sync::CancellationToken;

fn now() -> jiff::Timestamp {
    "2026-03-01T08:00:00Z".parse().unwrap()
}

fn router() -> Router {
    Router::new().route(
        "/federation/v1/messages",
        post(|body: Bytes| async move {
            if body.starts_with(b"bad") {
                return (
                    axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(
                        serde_json::to_value(ErrorBody {
                            error: "message_too_old".into(),
                            message: "too old".into(),
                        })
                        .unwrap(),
                    ),
                );
            }
            (
                axum::http::StatusCode::OK,
                axum::Json(
                    serde_json::to_value(AcceptedBody {
                        outcome: Outcome::Accepted,
                        receipt: format!("receipt for {} bytes", body.len()),
                    })
                    .unwrap(),
                ),
            )
        }),
    )
}

struct Server {
    addr: SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    async fn start(mode: ListenMode) -> Self {
        let listener = listen::bind(
            "127.0.0.1:0".parse().unwrap(),
            matches!(mode, ListenMode::Tls(_)),
        )
        .await
        .unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = CancellationToken::new();
        let token = stop.clone();
        let task = tokio::spawn(async move {
            listen::serve(listener, mode, router(), ServeLimits::default(), token)
                .await
                .unwrap();
        });
        Self { addr, stop, task }
    }

    async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(20), self.task)
            .await
            .expect("the listener drains and stops")
            .unwrap();
    }
}

fn tls_identity() -> TlsIdentity {
    cp247_federation::tls::install_crypto_provider();
    TlsIdentity::generate(&["127.0.0.1".into()], now(), 1).unwrap()
}

#[tokio::test]
async fn a_pinned_client_talks_to_the_pinned_server() {
    let id = tls_identity();
    let server = Server::start(ListenMode::Tls(Arc::new(id.server_config().unwrap()))).await;
    let endpoint = PeerEndpoint::parse(&format!("https://{}", server.addr)).unwrap();
    let client = PeerClient::new(endpoint, Some(id.pin()), ClientLimits::default()).unwrap();
    for _ in 0..3 {
        match client.post_sealed(b"sealed bytes").await.unwrap() {
            PostOutcome::Accepted { receipt, duplicate } => {
                assert_eq!(receipt, b"receipt for 12 bytes");
                assert!(!duplicate);
            }
            other => panic!("{other:?}"),
        }
    }
    match client.post_sealed(b"bad one").await.unwrap() {
        PostOutcome::Refused(r) => {
            assert_eq!((r.status, r.code.as_str()), (422, "message_too_old"));
            assert!(r.is_permanent());
        }
        other => panic!("{other:?}"),
    }
    server.stop().await;
}

#[tokio::test]
async fn a_wrong_pin_is_refused_with_both_fingerprints() {
    let id = tls_identity();
    let other = tls_identity();
    let server = Server::start(ListenMode::Tls(Arc::new(id.server_config().unwrap()))).await;
    let endpoint = PeerEndpoint::parse(&format!("https://{}", server.addr)).unwrap();
    let client = PeerClient::new(endpoint, Some(other.pin()), ClientLimits::default()).unwrap();
    let err = client.post_sealed(b"sealed bytes").await.unwrap_err();
    match &err {
        TransportError::PinMismatch { mismatch, .. } => {
            assert_eq!(mismatch.pinned, other.pin());
            assert_eq!(mismatch.presented, id.pin());
        }
        other => panic!("expected a pin mismatch, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains(&id.pin().to_string()) && text.contains(&other.pin().to_string()),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test]
async fn https_without_a_pin_and_plain_http_off_loopback_are_refused_before_connecting() {
    let endpoint = PeerEndpoint::parse("https://127.0.0.1:9").unwrap();
    assert!(matches!(
        PeerClient::new(endpoint, None, ClientLimits::default()),
        Err(TransportError::NoPin(_))
    ));
    let err = PeerEndpoint::parse("http://192.0.2.10:8080").unwrap_err();
    assert!(err.to_string().contains("plain HTTP"), "{err}");
    // And a listener refuses plain HTTP on a non-loopback address before binding.
    let err = listen::bind("0.0.0.0:0".parse().unwrap(), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("without TLS"), "{err}");
}

#[tokio::test]
async fn plain_http_works_between_loopback_addresses() {
    let server = Server::start(ListenMode::PlainLoopback).await;
    let endpoint = PeerEndpoint::parse(&format!("http://{}", server.addr)).unwrap();
    let client = PeerClient::new(endpoint, None, ClientLimits::default()).unwrap();
    assert!(matches!(
        client.post_sealed(b"x").await.unwrap(),
        PostOutcome::Accepted { .. }
    ));
    server.stop().await;
}

#[tokio::test]
async fn an_unreachable_peer_is_reported_in_words() {
    // Bind then drop to get a port nobody listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let id = tls_identity();
    let endpoint = PeerEndpoint::parse(&format!("https://127.0.0.1:{port}")).unwrap();
    let client = PeerClient::new(endpoint, Some(id.pin()), ClientLimits::default()).unwrap();
    let err = client.post_sealed(b"x").await.unwrap_err();
    assert!(matches!(err, TransportError::Connect { .. }), "{err:?}");
    assert!(err.to_string().contains("cannot connect"), "{err}");
}

#[tokio::test]
async fn responses_larger_than_the_limit_are_not_read() {
    let server = Server::start(ListenMode::PlainLoopback).await;
    // The receipt JSON is about 60 bytes: a 16-byte limit must stop the read.
    let endpoint = PeerEndpoint::parse(&format!("http://{}", server.addr)).unwrap();
    let limits = ClientLimits {
        max_response_bytes: 16,
        ..ClientLimits::default()
    };
    let client = PeerClient::new(endpoint, None, limits).unwrap();
    let err = client.post_sealed(b"x").await.unwrap_err();
    assert!(
        matches!(err, TransportError::ResponseTooLarge { limit: 16, .. }),
        "{err:?}"
    );
    server.stop().await;
}

#[tokio::test]
async fn a_silent_peer_times_out() {
    // A TCP server that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            let (s, _) = listener.accept().await.unwrap();
            held.push(s);
        }
    });
    let endpoint = PeerEndpoint::parse(&format!("http://{addr}")).unwrap();
    let limits = ClientLimits {
        total_timeout: Duration::from_millis(300),
        read_timeout: Duration::from_millis(300),
        ..ClientLimits::default()
    };
    let client = PeerClient::new(endpoint, None, limits).unwrap();
    let err = client.post_sealed(b"x").await.unwrap_err();
    assert!(matches!(err, TransportError::Timeout { .. }), "{err:?}");
    hold.abort();
}

#[test]
fn pins_of_distinct_certificates_differ() {
    let a = tls_identity();
    let b = tls_identity();
    assert_ne!(a.pin(), b.pin());
    assert_eq!(TlsPin::parse(&a.pin().to_string()).unwrap(), a.pin());
}

//! The node's HTTP surface and the layers around it: security headers, request timeout, body
//! limits, panic catching, sensitive-header redaction and request tracing.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::node::NodeContext;

pub mod api;
pub mod cases;
pub mod federation;
pub mod ops;

/// The routes that take no API token, with why. Every other route's handler takes an
/// authentication extractor; `tests/api.rs` checks that every route not listed here answers
/// 401 without a token.
pub const PUBLIC_ROUTES: [(&str, &str, &str); 4] = [
    (
        "POST",
        "/federation/v1/messages",
        "peers authenticate each message by its OpenPGP signature",
    ),
    (
        "GET",
        "/federation/v1/identity",
        "public facts: the node's address, certificate and clock",
    ),
    ("GET", "/healthz", "liveness probe: no data"),
    ("GET", "/readyz", "readiness probe: check names only"),
];

/// The routes that need a token: (method, path with sample parameters, role).
pub const PROTECTED_ROUTES: [(&str, &str, &str); 15] = [
    ("POST", "/api/v1/requests", "officer"),
    ("GET", "/api/v1/tickets", "officer"),
    ("GET", "/api/v1/tickets/FR-2026-ABCDEF", "officer"),
    ("GET", "/api/v1/directory", "officer"),
    ("POST", "/api/v1/directory/refresh", "admin"),
    ("GET", "/api/v1/peers", "admin"),
    ("POST", "/api/v1/tokens", "admin"),
    ("GET", "/api/v1/deliveries", "officer"),
    ("GET", "/metrics", "monitor"),
    ("GET", "/api/v1/cases", "officer"),
    ("GET", "/api/v1/cases/FR-2026-ABCDEF", "officer"),
    ("POST", "/api/v1/cases/FR-2026-ABCDEF/replies", "officer"),
    ("POST", "/api/v1/cases/FR-2026-ABCDEF/close", "officer"),
    ("GET", "/api/v1/due", "officer"),
    ("POST", "/api/v1/testing/clock", "admin"),
];

/// The node's router.
pub fn router(ctx: Arc<NodeContext>) -> Router {
    let limits = &ctx.config.file.limits;
    let api_limit = limits.max_api_body_bytes;
    let timeout = limits.request_timeout.duration();
    let tls = ctx.tls_pin.is_some();

    let federation = Router::new()
        .route("/federation/v1/messages", post(federation::post_message))
        .route("/federation/v1/identity", get(federation::identity))
        // The message route reads its body itself, with its own limit and a JSON refusal.
        .layer(DefaultBodyLimit::disable());
    let api = Router::new()
        .route("/api/v1/requests", post(api::create_request))
        .route("/api/v1/tickets", get(api::list_tickets))
        .route("/api/v1/tickets/{id}", get(api::show_ticket))
        .route("/api/v1/deliveries", get(api::list_deliveries))
        .route("/api/v1/directory", get(api::directory_status))
        .route("/api/v1/directory/refresh", post(api::refresh_directory))
        .route("/api/v1/peers", get(api::peers))
        .route("/api/v1/tokens", post(api::create_token))
        .route("/api/v1/cases", get(cases::list_cases))
        .route("/api/v1/cases/{id}", get(cases::show_case))
        .route("/api/v1/cases/{id}/replies", post(cases::post_reply))
        .route("/api/v1/cases/{id}/close", post(cases::close_case))
        .route("/api/v1/due", get(cases::due))
        .route("/api/v1/testing/clock", post(cases::move_clock))
        .layer(DefaultBodyLimit::max(api_limit));
    let ops = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics));

    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
        (
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        ),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    if tls {
        headers.push((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"));
    }
    let mut router = federation
        .merge(api)
        .merge(ops)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx);
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router.layer(
        ServiceBuilder::new()
            .layer(SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
            ]))
            .layer(TraceLayer::new_for_http())
            .layer(CatchPanicLayer::custom(panic_response))
            .layer(TimeoutLayer::with_status_code(
                StatusCode::REQUEST_TIMEOUT,
                timeout.max(Duration::from_secs(1)),
            )),
    )
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The payload of a panic may hold anything; it is not logged.
    tracing::error!("a request handler panicked; the node goes on");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal_error",
        "the node failed to process the request; the cause is in its log",
    )
    .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "no_such_route",
        "there is no such path on this node; see docs/protocol/federation.md and the API guide",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this path does not accept that HTTP method",
    )
}

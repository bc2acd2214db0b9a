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

use crate::auth::Access;
use crate::error::ApiError;
use crate::node::NodeContext;

pub mod api;
pub mod attachments;
pub mod cases;
pub mod extract;
pub mod federation;
pub mod openapi;
pub mod ops;

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone, with why.
    Public(&'static str),
    /// An API token whose account's role [`Access::allows`].
    Token(Access),
    /// A web session whose account's role [`Access::allows`].
    Session(Access),
}

/// Every route of the node: (method, path with sample parameters, guard). `tests/web.rs`
/// checks every route against every role and anonymous callers, and that the router has no
/// route missing here.
pub const ROUTES: [(&str, &str, Guard); 48] = [
    (
        "POST",
        "/federation/v1/messages",
        Guard::Public("peers authenticate each message by its OpenPGP signature"),
    ),
    (
        "GET",
        "/federation/v1/identity",
        Guard::Public("public facts: the node's address, certificate and clock"),
    ),
    ("GET", "/healthz", Guard::Public("liveness probe: no data")),
    (
        "GET",
        "/readyz",
        Guard::Public("readiness probe: check names only"),
    ),
    ("POST", "/api/v1/requests", Guard::Token(Access::CaseWork)),
    ("GET", "/api/v1/tickets", Guard::Token(Access::CaseWork)),
    (
        "GET",
        "/api/v1/tickets/FR-2026-ABCDEF",
        Guard::Token(Access::CaseWork),
    ),
    (
        "GET",
        "/api/v1/tickets/FR-2026-ABCDEF/messages/01936f1e-8a2b-7c3d-9e4f-0123456789ab/attachments/0",
        Guard::Token(Access::CaseWork),
    ),
    ("GET", "/api/v1/directory", Guard::Token(Access::Directory)),
    (
        "POST",
        "/api/v1/directory/refresh",
        Guard::Token(Access::Administration),
    ),
    ("GET", "/api/v1/peers", Guard::Token(Access::Administration)),
    (
        "POST",
        "/api/v1/tokens",
        Guard::Token(Access::Administration),
    ),
    (
        "GET",
        "/api/v1/tokens",
        Guard::Token(Access::Administration),
    ),
    (
        "POST",
        "/api/v1/tokens/999/revoke",
        Guard::Token(Access::Administration),
    ),
    ("GET", "/api/v1/deliveries", Guard::Token(Access::CaseWork)),
    ("GET", "/metrics", Guard::Token(Access::Monitoring)),
    (
        "GET",
        "/",
        Guard::Public("the sign-in page (signed-in people are sent on to their first page)"),
    ),
    (
        "POST",
        "/sign-in",
        Guard::Public("the password step (CSRF-checked, throttled per name and source)"),
    ),
    (
        "GET",
        "/sign-in/code",
        Guard::Public("the second-factor form, for a session past the password step"),
    ),
    (
        "POST",
        "/sign-in/code",
        Guard::Public("the second-factor step, for a session past the password step"),
    ),
    (
        "POST",
        "/language",
        Guard::Public("the language choice (CSRF-checked); saved on the account when signed in"),
    ),
    ("GET", "/static/app.css", Guard::Public("the stylesheet")),
    ("POST", "/sign-out", Guard::Session(Access::SignedIn)),
    ("GET", "/inbox", Guard::Session(Access::CaseWork)),
    (
        "GET",
        "/cases/FR-2026-ABCDEF",
        Guard::Session(Access::CaseWork),
    ),
    (
        "GET",
        "/cases/FR-2026-ABCDEF/replies/acknowledgement",
        Guard::Session(Access::CaseWork),
    ),
    (
        "POST",
        "/cases/FR-2026-ABCDEF/replies/acknowledgement",
        Guard::Session(Access::CaseWork),
    ),
    (
        "POST",
        "/cases/FR-2026-ABCDEF/close",
        Guard::Session(Access::CaseWork),
    ),
    ("GET", "/due", Guard::Session(Access::CaseWork)),
    ("GET", "/directory", Guard::Session(Access::Directory)),
    ("GET", "/compose", Guard::Session(Access::CaseWork)),
    ("POST", "/compose", Guard::Session(Access::CaseWork)),
    (
        "GET",
        "/cases/FR-2026-ABCDEF/messages/01890a5d-ac96-774b-bcce-b302099a8057/pdf",
        Guard::Session(Access::CaseWork),
    ),
    ("GET", "/alerts", Guard::Session(Access::CaseWork)),
    ("POST", "/alerts/seen", Guard::Session(Access::CaseWork)),
    ("GET", "/tokens", Guard::Session(Access::SignedIn)),
    ("POST", "/tokens", Guard::Session(Access::SignedIn)),
    ("POST", "/tokens/revoke", Guard::Session(Access::SignedIn)),
    ("GET", "/throttles", Guard::Session(Access::SignInThrottles)),
    (
        "POST",
        "/throttles/lift",
        Guard::Session(Access::SignInThrottles),
    ),
    // Not a route: the fallback answers 404 with the API's error body.
    (
        "GET",
        "/no/such/route",
        Guard::Public("the fallback: 404 for every unknown path"),
    ),
    (
        "GET",
        "/api/v1/openapi.json",
        Guard::Public("the API's description: no data"),
    ),
    ("GET", "/api/v1/cases", Guard::Token(Access::CaseWork)),
    (
        "GET",
        "/api/v1/cases/FR-2026-ABCDEF",
        Guard::Token(Access::CaseWork),
    ),
    (
        "POST",
        "/api/v1/cases/FR-2026-ABCDEF/replies",
        Guard::Token(Access::CaseWork),
    ),
    (
        "POST",
        "/api/v1/cases/FR-2026-ABCDEF/close",
        Guard::Token(Access::CaseWork),
    ),
    ("GET", "/api/v1/due", Guard::Token(Access::CaseWork)),
    (
        "POST",
        "/api/v1/testing/clock",
        Guard::Token(Access::Administration),
    ),
];

/// Which part of the node's HTTP surface a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// Everything (one listen address).
    All,
    /// The federation endpoint (`/federation/…`) and `/healthz`: what the peers' network sees
    /// when `listen_officers` is set.
    Federation,
    /// Everything but the federation endpoint: the officers' web interface, the API and the
    /// probes, on `listen_officers`.
    Officers,
}

/// The node's router, with every route.
pub fn router(ctx: Arc<NodeContext>) -> Router {
    router_for(ctx, Surface::All)
}

/// The router of one listener: the routes of `surface` (others answer 404).
pub fn router_for(ctx: Arc<NodeContext>, surface: Surface) -> Router {
    let limits = &ctx.config.file.limits;
    // The body limit grows by exactly what the attachment limits allow (base64 and JSON).
    let api_limit = limits.api_body_limit();
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
        .route(
            "/api/v1/tickets/{id}/messages/{message_id}/attachments/{index}",
            get(attachments::download),
        )
        .route("/api/v1/deliveries", get(api::list_deliveries))
        .route("/api/v1/directory", get(api::directory_status))
        .route("/api/v1/directory/refresh", post(api::refresh_directory))
        .route("/api/v1/peers", get(api::peers))
        .route(
            "/api/v1/tokens",
            get(api::list_tokens).post(api::create_token),
        )
        .route("/api/v1/tokens/{id}/revoke", post(api::revoke_token))
        .route("/api/v1/cases", get(cases::list_cases))
        .route("/api/v1/cases/{id}", get(cases::show_case))
        .route("/api/v1/cases/{id}/replies", post(cases::post_reply))
        .route("/api/v1/cases/{id}/close", post(cases::close_case))
        .route("/api/v1/due", get(cases::due))
        .route("/api/v1/testing/clock", post(cases::move_clock))
        .layer(DefaultBodyLimit::max(api_limit));
    let health = Router::new().route("/healthz", get(ops::healthz));
    let ops = Router::new()
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/api/v1/openapi.json", get(ops::openapi));

    let web = crate::web::router(ctx.clone());

    let mut headers = vec![
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
        (
            HeaderName::from_static("cross-origin-resource-policy"),
            "same-origin",
        ),
    ];
    if tls {
        headers.push((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000"));
    }
    let routes = match surface {
        Surface::All => federation.merge(health).merge(api).merge(ops).merge(web),
        Surface::Federation => federation.merge(health),
        Surface::Officers => health.merge(api).merge(ops).merge(web),
    };
    let mut router = routes
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(ctx);
    // Pages set their own policy (a same-origin stylesheet; referrers kept within the site, so
    // that browsers send an Origin the CSRF check can compare); everything else gets none.
    router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
    ));
    router = router.layer(SetResponseHeaderLayer::if_not_present(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    ));
    for (name, value) in headers {
        router = router.layer(SetResponseHeaderLayer::overriding(
            name,
            HeaderValue::from_static(value),
        ));
    }
    router
        .layer(
            ServiceBuilder::new()
                .layer(SetSensitiveRequestHeadersLayer::new([
                    header::AUTHORIZATION,
                    header::COOKIE,
                ]))
                .layer(TraceLayer::new_for_http())
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::REQUEST_TIMEOUT,
                    timeout.max(Duration::from_secs(1)),
                )),
        )
        // Outermost: every error of an API path is the API's JSON error body, whichever layer or
        // extractor refused the request.
        .layer(axum::middleware::from_fn(extract::json_errors))
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

//! The officers' web interface: server-rendered pages (askama), sessions, CSRF, sign-in with a
//! second factor, and a strict Content-Security-Policy (no script at all, one same-origin
//! stylesheet).

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use cp247_store::SessionLimits;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::accounts::{AccountError, Passwords};
use crate::node::NodeContext;
use crate::secrets::SecretsKey;
use crate::throttle::{ClientAddresses, Throttle};

pub mod alerts;
pub mod case_pages;
pub mod compose;
pub mod form;
pub mod pages;
pub mod pdf;
pub mod reply;
pub mod session;
pub mod throttles;
pub mod tokens;

pub use session::CookieNames;

/// The Content-Security-Policy of every page: nothing but this site's stylesheet and images,
/// forms posted only here, never framed.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                            form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Everything the web interface shares.
#[derive(Debug)]
pub struct WebState {
    /// The password hasher (with its dummy hash for unknown users).
    pub passwords: Arc<Passwords>,
    /// Session timeouts.
    pub limits: SessionLimits,
    /// Cookie names and attributes.
    pub cookies: CookieNames,
    /// The sign-in throttle (per user name and source, and per source; in the store).
    pub throttle: Arc<Throttle>,
    /// Where the client's address comes from (`[web]`).
    pub client_addresses: ClientAddresses,
    /// The key the TOTP seeds are sealed under.
    pub secrets: Arc<SecretsKey>,
}

impl WebState {
    /// The web state of a node (`tls`: it serves HTTPS).
    pub fn new(
        tls: bool,
        limits: SessionLimits,
        throttle: Arc<Throttle>,
        client_addresses: ClientAddresses,
        secrets: Arc<SecretsKey>,
    ) -> Result<Self, AccountError> {
        Ok(Self {
            passwords: Arc::new(Passwords::new()?),
            limits,
            cookies: CookieNames::new(tls),
            throttle,
            client_addresses,
            secrets,
        })
    }
}

/// The default session limits: 30 minutes idle, 12 hours (a duty shift) absolute.
pub const DEFAULT_SESSION_LIMITS: SessionLimits = SessionLimits {
    idle: jiff::SignedDuration::from_mins(30),
    absolute: jiff::SignedDuration::from_hours(12),
};

/// The web routes (their table is [`crate::routes::ROUTES`]).
pub fn router(ctx: Arc<NodeContext>) -> Router<Arc<NodeContext>> {
    Router::new()
        .route("/", get(pages::home))
        .route("/sign-in", post(pages::sign_in))
        .route("/sign-in/code", get(pages::code_form).post(pages::code))
        .route("/sign-out", post(pages::sign_out))
        .route("/language", post(pages::language))
        .route("/inbox", get(pages::inbox))
        .route("/cases/{id}", get(case_pages::case))
        .route(
            "/cases/{id}/replies/{kind}",
            get(reply::compose).post(reply::submit),
        )
        .route("/cases/{id}/close", post(reply::close_page))
        .route("/due", get(case_pages::due))
        .route("/directory", get(pages::directory))
        .route(
            "/compose",
            get(compose::compose_form).post(compose::compose_post),
        )
        .route("/cases/{id}/messages/{message}/pdf", get(pdf::message_pdf))
        .route("/alerts", get(alerts::alerts))
        .route("/alerts/seen", post(alerts::mark_seen))
        .route("/tokens", get(tokens::tokens_page).post(tokens::create))
        .route("/tokens/revoke", post(tokens::revoke))
        .route("/throttles", get(throttles::list))
        .route("/throttles/lift", post(throttles::lift))
        .route("/static/app.css", get(pages::stylesheet))
        .layer(axum::middleware::from_fn_with_state(
            ctx,
            session::csrf_guard,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(PAGE_CSP),
        ))
        // With `no-referrer`, browsers send `Origin: null` on form posts, which the CSRF check
        // must refuse; `same-origin` keeps referrers within the node and the Origin real.
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

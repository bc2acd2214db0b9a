//! The officers' web interface: server-rendered pages (askama), sessions, CSRF, sign-in with a
//! second factor, and a strict Content-Security-Policy (no script at all, one same-origin
//! stylesheet).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::routing::{get, post};
use cp247_store::SessionLimits;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::accounts::{AccountError, Passwords};
use crate::node::NodeContext;

pub mod alerts;
pub mod case_pages;
pub mod compose;
pub mod pages;
pub mod pdf;
pub mod reply;
pub mod session;
pub mod tokens;

pub use session::CookieNames;

/// The Content-Security-Policy of every page: nothing but this site's stylesheet and images,
/// forms posted only here, never framed.
pub const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
                            form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Sign-in attempts allowed per client address within [`ATTEMPT_WINDOW`].
pub const ATTEMPTS_PER_WINDOW: u32 = 20;
/// The window of the per-address limit.
pub const ATTEMPT_WINDOW: Duration = Duration::from_secs(10 * 60);
/// Client addresses tracked at most (memory stays bounded under a spray of addresses).
const MAX_TRACKED: usize = 10_000;

/// Everything the web interface shares.
#[derive(Debug)]
pub struct WebState {
    /// The password hasher (with its dummy hash for unknown users).
    pub passwords: Arc<Passwords>,
    /// Session timeouts.
    pub limits: SessionLimits,
    /// Cookie names and attributes.
    pub cookies: CookieNames,
    /// Per-address limit of sign-in attempts.
    pub attempts: AttemptLimiter,
}

impl WebState {
    /// The web state of a node (`tls`: it serves HTTPS).
    pub fn new(tls: bool, limits: SessionLimits) -> Result<Self, AccountError> {
        Ok(Self {
            passwords: Arc::new(Passwords::new()?),
            limits,
            cookies: CookieNames::new(tls),
            attempts: AttemptLimiter::default(),
        })
    }
}

/// The default session limits: 30 minutes idle, 12 hours (a duty shift) absolute.
pub const DEFAULT_SESSION_LIMITS: SessionLimits = SessionLimits {
    idle: jiff::SignedDuration::from_mins(30),
    absolute: jiff::SignedDuration::from_hours(12),
};

/// A fixed-window counter of sign-in attempts per client address, bounded in memory. It uses
/// the monotonic clock of the runtime (a rate, not a business time).
#[derive(Debug, Default)]
pub struct AttemptLimiter {
    windows: Mutex<HashMap<IpAddr, (tokio::time::Instant, u32)>>,
}

impl AttemptLimiter {
    /// Counts an attempt from `addr`; false when the address is over its limit (or when too
    /// many addresses are tracked at once, which fails closed).
    pub fn allow(&self, addr: IpAddr) -> bool {
        let now = tokio::time::Instant::now();
        let Ok(mut map) = self.windows.lock() else {
            return false;
        };
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (start, _)| now.duration_since(*start) < ATTEMPT_WINDOW);
        }
        if map.len() >= MAX_TRACKED && !map.contains_key(&addr) {
            tracing::warn!("too many addresses are trying to sign in; refusing new ones for now");
            return false;
        }
        let entry = map.entry(addr).or_insert((now, 0));
        if now.duration_since(entry.0) >= ATTEMPT_WINDOW {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1 <= ATTEMPTS_PER_WINDOW
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_attempt_limit_counts_per_address() {
        let l = AttemptLimiter::default();
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        for _ in 0..ATTEMPTS_PER_WINDOW {
            assert!(l.allow(a));
        }
        assert!(!l.allow(a));
        assert!(l.allow(b));
    }
}

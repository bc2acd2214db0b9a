//! The sign-in throttles page (`/throttles`, supervisors and administrators): the throttles in
//! force — which user name (when it is an account's) from which source, how many attempts,
//! until when attempts are refused — each with a form to lift it (`POST /throttles/lift`,
//! CSRF-checked by the web router's guard, audited). See [`crate::throttle`] and ADR 0021.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, ThrottleScope};
use serde::Deserialize;
use serde_json::json;

use super::pages::{Chrome, Tr, message_page, our_zone, shown_time};
use super::session::{Person, WebRefusal};
use crate::auth::Access;
use crate::node::NodeContext;

/// The most throttles the page shows (most recent first).
pub const THROTTLES_SHOWN: u32 = 500;

/// A signed-in supervisor or administrator.
#[derive(Debug, Clone)]
pub struct ThrottleViewer(pub Person);

impl axum::extract::FromRequestParts<Arc<NodeContext>> for ThrottleViewer {
    type Rejection = WebRefusal;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        ctx: &Arc<NodeContext>,
    ) -> Result<Self, Self::Rejection> {
        match super::session::person(parts, ctx).await? {
            None => Err(WebRefusal::SignIn),
            Some(p) if Access::SignInThrottles.allows(p.role) => Ok(Self(p)),
            Some(p) => Err(WebRefusal::Forbidden(p.lang)),
        }
    }
}

/// One row of the page.
#[derive(Debug, Clone)]
pub struct ThrottleLine {
    /// `pair` or `source` (for the form).
    pub scope: &'static str,
    /// The row's key (for the form).
    pub bucket: String,
    /// What it counts (label).
    pub what: String,
    /// The account, or a label for a name that is no account's.
    pub account: String,
    /// The source.
    pub source: String,
    /// Attempts counted (password step; sources: both steps).
    pub attempts: u32,
    /// Second-factor attempts counted.
    pub code_attempts: u32,
    /// Until when attempts are refused, or empty.
    pub delayed_until: String,
    /// The last admitted attempt.
    pub last: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "throttles.html")]
struct ThrottlesPage {
    c: Chrome,
    rows: Vec<ThrottleLine>,
}

/// `GET /throttles`.
pub async fn list(
    State(ctx): State<Arc<NodeContext>>,
    ThrottleViewer(p): ThrottleViewer,
) -> Result<Response, WebRefusal> {
    let now = ctx.clock.now();
    let tr = Tr(p.lang);
    let zone = our_zone(&ctx);
    let rows = ctx
        .store
        .sign_in_throttles(now, ctx.web.throttle.policy(), THROTTLES_SHOWN)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "listing sign-in throttles failed");
            WebRefusal::Unavailable
        })?
        .into_iter()
        .map(|r| ThrottleLine {
            scope: r.scope.as_str(),
            what: tr.t(match r.scope {
                ThrottleScope::Pair => "web-throttle-pair",
                ThrottleScope::Source => "web-throttle-source",
            }),
            account: match (r.scope, r.username) {
                (ThrottleScope::Source, _) => tr.t("web-throttle-any-account"),
                (ThrottleScope::Pair, Some(name)) => name,
                (ThrottleScope::Pair, None) => tr.t("web-throttle-unknown-name"),
            },
            source: r.source,
            attempts: r.attempts,
            code_attempts: r.code_attempts,
            delayed_until: r
                .delayed_until
                .map_or_else(String::new, |t| shown_time(t, &zone)),
            last: shown_time(r.last_at, &zone),
            bucket: r.bucket,
        })
        .collect();
    Ok(ThrottlesPage {
        c: Chrome::for_person(&ctx, &p, "web-throttles-title"),
        rows,
    }
    .into_response())
}

/// The lift form (the CSRF field is checked by the router's guard).
#[derive(Debug, Deserialize)]
pub struct LiftForm {
    #[serde(default)]
    scope: String,
    #[serde(default)]
    bucket: String,
}

/// `POST /throttles/lift`: the row's counters start over (audited), back to the list.
pub async fn lift(
    State(ctx): State<Arc<NodeContext>>,
    ThrottleViewer(p): ThrottleViewer,
    Form(form): Form<LiftForm>,
) -> Result<Response, WebRefusal> {
    let not_found = || {
        message_page(
            StatusCode::NOT_FOUND,
            p.lang,
            "web-throttle-not-found-title",
            "web-throttle-not-found-text",
        )
    };
    let Ok(scope) = ThrottleScope::parse(&form.scope) else {
        return Ok(not_found());
    };
    if form.bucket.is_empty() || form.bucket.len() > 200 {
        return Ok(not_found());
    }
    let now = ctx.clock.now();
    let lifted = ctx
        .store
        .lift_sign_in_throttle(scope, &form.bucket, now)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "lifting a sign-in throttle failed");
            WebRefusal::Unavailable
        })?;
    let Some(row) = lifted else {
        return Ok(not_found());
    };
    let actor = Actor::user(&p.account.username).map_err(|_| WebRefusal::Unavailable)?;
    ctx.store
        .append_audit(&AuditRecord {
            actor,
            action: AuditAction::AccountChange,
            ticket: None,
            result: AuditResult::Ok,
            details: json!({
                "change": "sign_in_throttle_lifted",
                "scope": row.scope.as_str(),
                "account": row.username,
                "source": row.source,
                "attempts": row.attempts,
                "code_attempts": row.code_attempts,
            }),
            at: now,
        })
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "the audit entry of a lifted throttle could not be written");
            WebRefusal::Unavailable
        })?;
    Ok(Redirect::to("/throttles").into_response())
}

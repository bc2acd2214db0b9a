//! The API tokens page (`/tokens`): a signed-in person lists their own tokens, issues one for
//! their own account (a name and a lifetime; the token is shown once, in the answer to the
//! form), and revokes one of theirs. The forms are CSRF-checked by the web router's guard; the
//! policy (own account only, the account's role, bounded lifetime, audited) is
//! [`crate::tokens`]'s, the same as the API's and the operator socket's (ADR 0020).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cp247_store::{ApiToken, Page};
use serde::Deserialize;

use super::pages::{Chrome, Tr, message_page, our_zone, shown_time};
use super::session::{AnyPerson, Person, WebRefusal};
use crate::node::NodeContext;
use crate::tokens::{Grant, IssueError, Issuer, TokenRequest};

/// The most tokens the page lists (newest first).
pub const TOKENS_SHOWN: u32 = 200;

/// The lifetimes offered (days), besides the node's default; those above its maximum are left
/// out.
const OFFERED_DAYS: [u32; 6] = [7, 30, 90, 180, 365, 730];

/// One row of the page.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Its id (for the revoke form).
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Created, with zone.
    pub created: String,
    /// Expires, with zone.
    pub expires: String,
    /// Last used, with zone, or "never".
    pub last_used: String,
    /// Its state (label).
    pub state: String,
    /// Whether it still works (then it can be revoked).
    pub live: bool,
}

/// A token just issued, shown once.
#[derive(Debug, Clone)]
pub struct IssuedView {
    /// Its name.
    pub name: String,
    /// The token text.
    pub secret: String,
    /// When it expires, with zone.
    pub expires: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "tokens.html")]
struct TokensPage {
    c: Chrome,
    role: String,
    our_zone: String,
    rows: Vec<TokenRow>,
    lifetimes: Vec<(u32, bool)>,
    issued: Option<IssuedView>,
    problem: String,
    name: String,
}

fn row(tr: Tr, t: &ApiToken, now: jiff::Timestamp, zone: &jiff::tz::TimeZone) -> TokenRow {
    let state = match (t.revoked_at, t.is_live(now)) {
        (Some(at), _) => tr.t1("web-tokens-state-revoked", "at", &shown_time(at, zone)),
        (None, true) => tr.t("web-tokens-state-live"),
        (None, false) => tr.t("web-tokens-state-expired"),
    };
    TokenRow {
        id: t.id,
        name: t.name.clone(),
        created: shown_time(t.created_at, zone),
        expires: shown_time(t.expires_at, zone),
        last_used: t
            .last_used_at
            .map_or_else(|| tr.t("web-tokens-never"), |at| shown_time(at, zone)),
        state,
        live: t.is_live(now),
    }
}

/// The lifetimes to offer: the default, and the usual ones up to the maximum.
fn lifetimes(ctx: &NodeContext, chosen: Option<u32>) -> Vec<(u32, bool)> {
    let policy = ctx.config.file.tokens.policy();
    let selected = chosen.unwrap_or(policy.default_days);
    let mut days: Vec<u32> = OFFERED_DAYS
        .into_iter()
        .chain([policy.default_days, policy.max_days])
        .filter(|d| *d >= 1 && *d <= policy.max_days)
        .collect();
    days.sort_unstable();
    days.dedup();
    days.into_iter().map(|d| (d, d == selected)).collect()
}

/// What the page shows besides the list.
struct Extra {
    issued: Option<IssuedView>,
    problem: String,
    name: String,
    lifetime: Option<u32>,
}

async fn page(
    ctx: &NodeContext,
    p: &Person,
    status: StatusCode,
    extra: Extra,
) -> Result<Response, WebRefusal> {
    let tr = Tr(p.lang);
    let zone = our_zone(ctx);
    let now = ctx.clock.now();
    let list = ctx
        .store
        .api_tokens_of(
            p.account.id,
            Page {
                offset: 0,
                limit: TOKENS_SHOWN,
            },
        )
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    let page = TokensPage {
        c: Chrome::for_person(ctx, p, "web-tokens-title"),
        role: tr.t(&format!(
            "web-account-role-{}",
            p.role.as_str().replace('_', "-")
        )),
        our_zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        rows: list.items.iter().map(|t| row(tr, t, now, &zone)).collect(),
        lifetimes: lifetimes(ctx, extra.lifetime),
        issued: extra.issued,
        problem: extra.problem,
        name: extra.name,
    };
    Ok((status, page).into_response())
}

/// `GET /tokens`: the signed-in person's tokens and the form to issue one.
pub async fn tokens_page(
    State(ctx): State<Arc<NodeContext>>,
    AnyPerson(p): AnyPerson,
) -> Result<Response, WebRefusal> {
    page(
        &ctx,
        &p,
        StatusCode::OK,
        Extra {
            issued: None,
            problem: String::new(),
            name: String::new(),
            lifetime: None,
        },
    )
    .await
}

/// The form to issue a token (the CSRF field is checked by the router's guard).
#[derive(Debug, Deserialize)]
pub struct NewTokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    lifetime_days: String,
}

/// `POST /tokens`: issues a token for the signed-in person's own account (audited) and shows
/// it once; a problem is shown next to the form (422), and nothing is stored.
pub async fn create(
    State(ctx): State<Arc<NodeContext>>,
    AnyPerson(p): AnyPerson,
    Form(form): Form<NewTokenForm>,
) -> Result<Response, WebRefusal> {
    let tr = Tr(p.lang);
    let name: String = form.name.trim().chars().take(80).collect();
    let lifetime = form.lifetime_days.trim().parse::<u32>().ok();
    let refuse = |key: &str| Extra {
        issued: None,
        problem: tr.t(key),
        name: name.clone(),
        lifetime,
    };
    if name.is_empty() {
        return page(
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            refuse("web-tokens-name-missing"),
        )
        .await;
    }
    let Some(days) = lifetime else {
        return page(
            &ctx,
            &p,
            StatusCode::UNPROCESSABLE_ENTITY,
            refuse("web-tokens-lifetime-invalid"),
        )
        .await;
    };
    let result = crate::tokens::issue(
        &ctx.store,
        ctx.clock.now(),
        &ctx.config.file.tokens.policy(),
        &Issuer::Person(p.account.clone()),
        &TokenRequest {
            name: name.clone(),
            grant: Grant::OwnAccount,
            lifetime_days: Some(days),
        },
    )
    .await;
    let key = match result {
        Ok(issued) => {
            let zone = our_zone(&ctx);
            let shown = IssuedView {
                name: issued.token.name.clone(),
                secret: issued.secret.reveal().to_owned(),
                expires: shown_time(issued.token.expires_at, &zone),
            };
            return page(
                &ctx,
                &p,
                StatusCode::CREATED,
                Extra {
                    issued: Some(shown),
                    problem: String::new(),
                    name: String::new(),
                    lifetime: None,
                },
            )
            .await;
        }
        Err(IssueError::Name(_)) => "web-tokens-name-invalid",
        Err(IssueError::NameTaken(_)) => "web-tokens-name-taken",
        Err(IssueError::TooMany(_)) => "web-tokens-too-many",
        Err(IssueError::Lifetime(_)) => "web-tokens-lifetime-invalid",
        Err(IssueError::NotAllowed(_)) => "web-tokens-not-allowed",
        Err(IssueError::NoSuchToken(_)) | Err(IssueError::Store(_)) => {
            return Err(WebRefusal::Unavailable);
        }
    };
    page(&ctx, &p, StatusCode::UNPROCESSABLE_ENTITY, refuse(key)).await
}

/// The revoke form.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    id: String,
}

/// `POST /tokens/revoke`: revokes one of the signed-in person's tokens (audited), back to the
/// list. Another person's token is the same 404 as an unknown one.
pub async fn revoke(
    State(ctx): State<Arc<NodeContext>>,
    AnyPerson(p): AnyPerson,
    Form(form): Form<RevokeForm>,
) -> Result<Response, WebRefusal> {
    let not_found = || {
        message_page(
            StatusCode::NOT_FOUND,
            p.lang,
            "web-tokens-not-found-title",
            "web-tokens-not-found-text",
        )
    };
    let Ok(id) = form.id.trim().parse::<u64>() else {
        return Ok(not_found());
    };
    match crate::tokens::revoke(
        &ctx.store,
        ctx.clock.now(),
        &Issuer::Person(p.account.clone()),
        id,
    )
    .await
    {
        Ok(_) => Ok(Redirect::to("/tokens").into_response()),
        Err(IssueError::NoSuchToken(_)) => Ok(not_found()),
        Err(e) => {
            tracing::warn!(error = %e, "revoking a token from the web failed");
            Err(WebRefusal::Unavailable)
        }
    }
}

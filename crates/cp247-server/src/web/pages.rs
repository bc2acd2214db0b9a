//! The page handlers and their templates (`templates/*.html`). Every label comes from the one
//! Fluent catalogue (`cp247-i18n`, `web.ftl`), in the viewer's language.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Extension, Form, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use cp247_domain::Urgency;
use cp247_federation::listen::ClientAddr;
use cp247_i18n::Lang;
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, Page, SessionStage, Viewer};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Deserialize;
use serde_json::json;

use super::session::{
    self, AnyPerson, CaseWorker, DirectoryViewer, Person, WebRefusal, cookie, csrf_for,
    ensure_pre_session, id_hash, lang_of, new_id, with_cookie,
};
use crate::accounts::{Password, SignIn, SignInError};
use crate::auth::Access;
use crate::node::NodeContext;
use crate::throttle::Source;

/// Looks labels up in one language.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// The text of `key`.
    pub fn t(&self, key: &str) -> String {
        cp247_i18n::text(self.0, key)
    }

    /// The text of `key` with one argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        cp247_i18n::text_args(self.0, key, &[(name, value)])
    }
}

/// What every page's frame needs.
#[derive(Debug, Clone)]
pub struct Chrome {
    /// Labels.
    pub tr: Tr,
    /// The page language (`en`, `fr`).
    pub lang: &'static str,
    /// The window title.
    pub title: String,
    /// The node (Party and contact point).
    pub node: String,
    /// The signed-in person's name, if any.
    pub user: Option<String>,
    /// The CSRF token for the frame's forms.
    pub csrf: String,
    /// Show case pages in the navigation.
    pub nav_cases: bool,
    /// Show the directory in the navigation.
    pub nav_directory: bool,
    /// Show the sign-in throttles in the navigation.
    pub nav_throttles: bool,
    /// The node's unseen alerts, shown in the navigation (with the case pages).
    pub unseen_alerts: u64,
}

impl Chrome {
    pub(crate) fn new(ctx: &NodeContext, lang: Lang, title_key: &str, csrf: String) -> Self {
        Self {
            tr: Tr(lang),
            lang: lang.code(),
            title: cp247_i18n::text(lang, title_key),
            node: ctx.me.to_string(),
            user: None,
            csrf,
            nav_cases: false,
            nav_directory: false,
            nav_throttles: false,
            unseen_alerts: 0,
        }
    }

    pub(crate) fn for_person(ctx: &NodeContext, p: &Person, title_key: &str) -> Self {
        Self {
            user: Some(p.account.display_name.clone()),
            nav_cases: Access::CaseWork.allows(p.role),
            nav_directory: Access::Directory.allows(p.role),
            nav_throttles: Access::SignInThrottles.allows(p.role),
            unseen_alerts: p.unseen_alerts,
            ..Self::new(ctx, p.lang, title_key, p.csrf.clone())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "message.html")]
struct MessagePage {
    c: Chrome,
    text: String,
}

/// A page with a title and one sentence (refusals, errors), with `status`.
pub fn message_page(status: StatusCode, lang: Lang, title_key: &str, text_key: &str) -> Response {
    let c = Chrome {
        tr: Tr(lang),
        lang: lang.code(),
        title: cp247_i18n::text(lang, title_key),
        node: String::new(),
        user: None,
        csrf: String::new(),
        nav_cases: false,
        nav_directory: false,
        nav_throttles: false,
        unseen_alerts: 0,
    };
    let page = MessagePage {
        text: cp247_i18n::text(lang, text_key),
        c,
    };
    (status, page).into_response()
}

#[derive(Template, WebTemplate)]
#[template(path = "sign_in.html")]
struct SignInPage {
    c: Chrome,
    failed: bool,
    username: String,
}

/// `GET /`: the sign-in page, or the signed-in person's first page.
pub async fn home(
    State(ctx): State<Arc<NodeContext>>,
    headers: HeaderMap,
) -> Result<Response, WebRefusal> {
    let (parts, ()) = request_parts(&headers);
    if let Some(p) = session::person(&parts, &ctx).await? {
        let to = if Access::CaseWork.allows(p.role) {
            "/inbox"
        } else {
            "/directory"
        };
        return Ok(Redirect::to(to).into_response());
    }
    Ok(sign_in_page(&ctx, &headers, StatusCode::OK, false, ""))
}

fn request_parts(headers: &HeaderMap) -> (axum::http::request::Parts, ()) {
    let mut request = axum::http::Request::new(());
    *request.headers_mut() = headers.clone();
    request.into_parts()
}

fn sign_in_page(
    ctx: &NodeContext,
    headers: &HeaderMap,
    status: StatusCode,
    failed: bool,
    username: &str,
) -> Response {
    let lang = lang_of(headers, ctx, None);
    let (csrf, cookie) = ensure_pre_session(headers, ctx);
    let page = SignInPage {
        c: Chrome::new(ctx, lang, "web-sign-in-title", csrf),
        failed,
        username: username.chars().take(80).collect(),
    };
    with_cookie((status, page).into_response(), cookie)
}

/// The sign-in form. `Debug` shows neither field.
#[derive(Deserialize)]
pub struct SignInForm {
    username: String,
    password: String,
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SignInForm(***)")
    }
}

/// Fuzz harness (`fuzz/`, and the seed replay in `tests/fuzz_seeds.rs`): any bytes as the
/// body of the sign-in form and of the second-factor form, decoded as the handlers' `Form`
/// extractor decodes them. Never panics, whatever the bytes.
#[doc(hidden)]
pub fn fuzz_sign_in_form(data: &[u8]) {
    if let Ok(form) = serde_urlencoded::from_bytes::<SignInForm>(data) {
        let shown: String = form.username.chars().take(80).collect();
        assert!(shown.chars().count() <= 80);
        let _ = form.password.len();
    }
    if let Ok(form) = serde_urlencoded::from_bytes::<CodeForm>(data) {
        let _ = form.code.trim().len();
    }
}

/// The answer to an attempt the throttle did not admit: `429` with the seconds to wait
/// (`until`: when the delay ends; `None`: the throttle's table is full, try in a minute). The
/// same whether or not the name is an account's.
fn too_many(ctx: &NodeContext, lang: Lang, until: Option<Timestamp>) -> Response {
    let secs = until.map_or(60, |t| {
        let left = u128::try_from(t.duration_since(ctx.clock.now()).as_millis()).unwrap_or(0);
        // Rounded up, at least one second.
        u64::try_from(left.div_ceil(1000))
            .unwrap_or(u64::MAX)
            .max(1)
    });
    let c = Chrome::new(ctx, lang, "web-too-many-title", String::new());
    let page = MessagePage {
        text: cp247_i18n::text_args(
            lang,
            if until.is_some() {
                "web-too-many-text"
            } else {
                "web-too-many-busy-text"
            },
            &[("seconds", secs.to_string().as_str())],
        ),
        c,
    };
    let mut r = (StatusCode::TOO_MANY_REQUESTS, page).into_response();
    if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// The throttling source of a request: the TCP peer's address, or the client's address a
/// trusted proxy wrote (`[web]`); requests that did not come through the listener, as in tests
/// of the router alone, share one source.
fn source_of(
    ctx: &NodeContext,
    client: Option<Extension<ClientAddr>>,
    headers: &HeaderMap,
) -> Source {
    let peer = client.map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |Extension(c)| c.0.ip());
    Source::of(ctx.web.client_addresses.client(peer, headers))
}

fn signer(ctx: &NodeContext) -> SignIn {
    SignIn {
        store: ctx.store.clone(),
        clock: ctx.clock.clone(),
        passwords: ctx.web.passwords.clone(),
        throttle: ctx.web.throttle.clone(),
        secrets: ctx.web.secrets.clone(),
    }
}

async fn audit(ctx: &NodeContext, who: &str, action: AuditAction, result: AuditResult, step: &str) {
    let Ok(actor) = Actor::user(who) else { return };
    let record = AuditRecord {
        actor,
        action,
        ticket: None,
        result,
        details: json!({ "step": step }),
        at: ctx.clock.now(),
    };
    if let Err(e) = ctx.store.append_audit(&record).await {
        tracing::warn!(error = %e, "the audit entry of a sign-in step could not be written");
    }
}

/// `POST /sign-in`: the password step. The same page answers every failure.
pub async fn sign_in(
    State(ctx): State<Arc<NodeContext>>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(form): Form<SignInForm>,
) -> Response {
    let lang = lang_of(&headers, &ctx, None);
    let source = source_of(&ctx, client, &headers);
    let username = form.username.trim().to_owned();
    match signer(&ctx)
        .password(&username, Password::new(form.password), &source)
        .await
    {
        Ok(account) => {
            let id = new_id();
            let now = ctx.clock.now();
            if let Err(e) = ctx
                .store
                .create_session(&id_hash(&id), account.id, SessionStage::SecondFactor, now)
                .await
            {
                tracing::warn!(error = %e, "a sign-in session could not be stored");
                return WebRefusal::Unavailable.into_response();
            }
            let mut r = Redirect::to("/sign-in/code").into_response();
            let cookies = &ctx.web.cookies;
            r.headers_mut()
                .append(SET_COOKIE, cookies.set(cookies.session, &id, None));
            r
        }
        Err(SignInError::Refused(_)) => {
            audit(
                &ctx,
                "unknown",
                AuditAction::SignIn,
                AuditResult::Denied,
                "password",
            )
            .await;
            sign_in_page(&ctx, &headers, StatusCode::UNAUTHORIZED, true, &username)
        }
        Err(SignInError::Throttled { until }) => {
            tracing::info!(%source, "a sign-in attempt was refused by the throttle");
            too_many(&ctx, lang, until)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the password step failed");
            WebRefusal::Unavailable.into_response()
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "code.html")]
struct CodePage {
    c: Chrome,
    failed: bool,
}

/// The account awaiting its second factor in this request's session.
async fn pending(
    ctx: &NodeContext,
    headers: &HeaderMap,
) -> Result<Option<(u64, String)>, WebRefusal> {
    let Some(id) = cookie(headers, ctx.web.cookies.session) else {
        return Ok(None);
    };
    let live = ctx
        .store
        .touch_session(&id_hash(id), ctx.clock.now(), PENDING_LIMITS)
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    Ok(live
        .filter(|l| l.session.stage == SessionStage::SecondFactor)
        .map(|l| (l.account.id, id.to_owned())))
}

/// A password step is valid for five minutes.
const PENDING_LIMITS: cp247_store::SessionLimits = cp247_store::SessionLimits {
    idle: jiff::SignedDuration::from_mins(5),
    absolute: jiff::SignedDuration::from_mins(5),
};

/// `GET /sign-in/code`: the second-factor form.
pub async fn code_form(
    State(ctx): State<Arc<NodeContext>>,
    headers: HeaderMap,
) -> Result<Response, WebRefusal> {
    let Some((_, id)) = pending(&ctx, &headers).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    let lang = lang_of(&headers, &ctx, None);
    Ok(CodePage {
        c: Chrome::new(&ctx, lang, "web-code-title", csrf_for(&id)),
        failed: false,
    }
    .into_response())
}

/// The second-factor form. `Debug` redacts the code.
#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

impl std::fmt::Debug for CodeForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CodeForm(***)")
    }
}

/// `POST /sign-in/code`: a TOTP or recovery code. Success ends the password step's session
/// and starts a new one under a new id (rotation).
pub async fn code(
    State(ctx): State<Arc<NodeContext>>,
    client: Option<Extension<ClientAddr>>,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, WebRefusal> {
    let lang = lang_of(&headers, &ctx, None);
    let source = source_of(&ctx, client, &headers);
    let Some((account_id, old_id)) = pending(&ctx, &headers).await? else {
        return Ok(Redirect::to("/").into_response());
    };
    match signer(&ctx)
        .second_factor(account_id, &form.code, &source)
        .await
    {
        Ok(account) => {
            let now = ctx.clock.now();
            let new = new_id();
            ctx.store
                .end_session(&id_hash(&old_id), now)
                .await
                .map_err(|_| WebRefusal::Unavailable)?;
            ctx.store
                .create_session(&id_hash(&new), account.id, SessionStage::SignedIn, now)
                .await
                .map_err(|_| WebRefusal::Unavailable)?;
            audit(
                &ctx,
                &account.username,
                AuditAction::SignIn,
                AuditResult::Ok,
                "second_factor",
            )
            .await;
            let mut r = Redirect::to("/").into_response();
            let cookies = &ctx.web.cookies;
            r.headers_mut()
                .append(SET_COOKIE, cookies.set(cookies.session, &new, None));
            r.headers_mut()
                .append(SET_COOKIE, cookies.clear(cookies.pre));
            Ok(r)
        }
        Err(SignInError::Refused(_)) => {
            audit(
                &ctx,
                "unknown",
                AuditAction::SignIn,
                AuditResult::Denied,
                "second_factor",
            )
            .await;
            Ok((
                StatusCode::UNAUTHORIZED,
                CodePage {
                    c: Chrome::new(&ctx, lang, "web-code-title", csrf_for(&old_id)),
                    failed: true,
                },
            )
                .into_response())
        }
        Err(SignInError::Throttled { until }) => {
            tracing::info!(%source, "a second-factor attempt was refused by the throttle");
            Ok(too_many(&ctx, lang, until))
        }
        Err(e) => {
            tracing::warn!(error = %e, "the second-factor step failed");
            Err(WebRefusal::Unavailable)
        }
    }
}

/// `POST /sign-out`: ends the session now.
pub async fn sign_out(
    State(ctx): State<Arc<NodeContext>>,
    AnyPerson(p): AnyPerson,
) -> Result<Response, WebRefusal> {
    ctx.store
        .end_session(&p.session_hash, ctx.clock.now())
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    audit(
        &ctx,
        &p.account.username,
        AuditAction::SignOut,
        AuditResult::Ok,
        "sign_out",
    )
    .await;
    let r = message_page(
        StatusCode::OK,
        p.lang,
        "web-signed-out-title",
        "web-signed-out-text",
    );
    let cookies = &ctx.web.cookies;
    Ok(with_cookie(r, Some(cookies.clear(cookies.session))))
}

/// The language form.
#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    lang: String,
}

/// `POST /language`: remembers the choice (on the account when signed in, and in a cookie).
pub async fn language(
    State(ctx): State<Arc<NodeContext>>,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Result<Response, WebRefusal> {
    let Ok(lang) = form.lang.parse::<Lang>() else {
        return Ok(message_page(
            StatusCode::BAD_REQUEST,
            lang_of(&headers, &ctx, None),
            "web-bad-request-title",
            "web-bad-language",
        ));
    };
    let (parts, ()) = request_parts(&headers);
    if let Some(p) = session::person(&parts, &ctx).await? {
        ctx.store
            .set_account_lang(p.account.id, lang.code())
            .await
            .map_err(|_| WebRefusal::Unavailable)?;
    }
    let mut r = Redirect::to("/").into_response();
    let cookies = &ctx.web.cookies;
    r.headers_mut().append(
        SET_COOKIE,
        cookies.set(cookies.lang, lang.code(), Some(365 * 24 * 3600)),
    );
    Ok(r)
}

/// A time shown with its zone: `2026-11-29 14:05 Europe/Paris (+01:00)`.
pub fn shown_time(at: Timestamp, tz: &TimeZone) -> String {
    let zoned = at.to_zoned_datetime(tz.clone());
    let name = tz.iana_name().unwrap_or("UTC");
    format!(
        "{} {name} ({})",
        zoned.strftime("%Y-%m-%d %H:%M"),
        zoned.offset()
    )
}

/// The zone this node's officers work in: their contact point's, from the directory.
pub(crate) fn our_zone(ctx: &NodeContext) -> TimeZone {
    let snapshot = ctx.directory.snapshot();
    snapshot
        .current()
        .and_then(|d| {
            d.directory()
                .contact_point(&ctx.me)
                .map(|cp| cp.time_zone.time_zone())
        })
        .unwrap_or(TimeZone::UTC)
}

/// One row of the inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    /// Ticket id.
    pub id: String,
    /// Urgency label.
    pub urgency: String,
    /// Urgency class (`routine`, `urgent`, `emergency`).
    pub urgency_class: &'static str,
    /// Kind.
    pub kind: String,
    /// Direction label.
    pub direction: String,
    /// The other Party.
    pub counterpart: String,
    /// State.
    pub state: String,
    /// Title (case text; escaped by the template).
    pub title: String,
    /// Created, with zone.
    pub created: String,
    /// The soonest due item (what, when, time remaining), if any.
    pub next_due: String,
    /// Whether that item is overdue.
    pub overdue: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "inbox.html")]
struct InboxPage {
    c: Chrome,
    rows: Vec<InboxRow>,
}

fn urgency_rank(u: Urgency) -> u8 {
    match u {
        Urgency::Emergency => 0,
        Urgency::Urgent => 1,
        Urgency::Routine => 2,
    }
}

/// Whether a ticket still waits for a human acknowledgement.
fn awaiting_acknowledgement(state: &str) -> bool {
    matches!(state, "received" | "sent" | "delivered")
}

/// `GET /inbox`: the node's tickets. Urgent or emergency tickets awaiting a person's
/// acknowledgement first, then by urgency, then those awaiting acknowledgement, then the
/// soonest due item (the same deadlines as `/due`), then the newest.
pub async fn inbox(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
) -> Result<Response, WebRefusal> {
    let paged = ctx
        .store
        .list_tickets_for(
            Viewer::Local(ctx.me.party),
            Page {
                offset: 0,
                limit: 500,
            },
        )
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    let now = ctx.clock.now();
    let mut soonest: std::collections::HashMap<String, cp247_case::Due> =
        std::collections::HashMap::new();
    for item in ctx
        .work
        .due_across(now)
        .await
        .map_err(|_| WebRefusal::Unavailable)?
    {
        let slot = soonest.entry(item.ticket.to_string());
        match slot {
            std::collections::hash_map::Entry::Occupied(mut o) => {
                if item.due.due_at < o.get().due_at {
                    o.insert(item.due);
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(item.due);
            }
        }
    }
    let mut tickets = paged.items;
    tickets.sort_by(|a, b| {
        let key = |t: &cp247_store::Ticket| {
            let awaiting = awaiting_acknowledgement(t.state.as_str());
            (
                !(awaiting && t.urgency != Urgency::Routine),
                urgency_rank(t.urgency),
                !awaiting,
                soonest
                    .get(t.id.as_str())
                    .map_or((true, Timestamp::MAX), |d| (false, d.due_at)),
                std::cmp::Reverse(t.created_at),
            )
        };
        key(a).cmp(&key(b))
    });
    let tz = our_zone(&ctx);
    let tr = Tr(p.lang);
    let rows = tickets
        .iter()
        .map(|t| {
            let due = soonest.get(t.id.as_str());
            InboxRow {
                id: t.id.to_string(),
                urgency: tr.t(&format!("web-urgency-{}", t.urgency.as_str())),
                urgency_class: t.urgency.as_str(),
                kind: tr.t(&format!("{}-short", t.kind)),
                direction: tr.t(match t.our_role {
                    cp247_store::OurRole::Requester => "web-direction-out",
                    cp247_store::OurRole::Requested => "web-direction-in",
                }),
                counterpart: t.counterpart.to_string(),
                state: tr.t(&format!(
                    "case-state-{}",
                    t.state.as_str().replace('_', "-")
                )),
                title: t.title.as_str().to_owned(),
                created: shown_time(t.created_at, &tz),
                next_due: due.map_or_else(String::new, |d| {
                    format!(
                        "{}: {} ({})",
                        d.kind.label(p.lang),
                        shown_time(d.due_at, &tz),
                        super::case_pages::remaining(tr, now, d.due_at)
                    )
                }),
                overdue: due.is_some_and(|d| d.overdue),
            }
        })
        .collect();
    Ok(InboxPage {
        c: Chrome::for_person(&ctx, &p, "web-inbox-title"),
        rows,
    }
    .into_response())
}

/// One contact point in the directory view.
#[derive(Debug, Clone)]
pub struct PointRow {
    /// Primary or alternate (label).
    pub role: String,
    /// The unit.
    pub unit: String,
    /// Duty phones.
    pub phones: Vec<String>,
    /// IANA zone.
    pub zone: String,
    /// Local time there now, with zone.
    pub local_now: String,
    /// Office hours (operator text).
    pub hours: String,
    /// In office hours now.
    pub open_now: bool,
    /// Status name.
    pub status: String,
    /// Channel (node or e-mail).
    pub channel: String,
}

/// One Party in the directory view.
#[derive(Debug, Clone)]
pub struct PartyRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Status.
    pub status: String,
    /// Contact points.
    pub points: Vec<PointRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    own_party: String,
    serial: String,
    parties: Vec<PartyRow>,
}

/// `GET /directory`: Parties, contact points, phones, zones, office hours, open now.
pub async fn directory(
    State(ctx): State<Arc<NodeContext>>,
    DirectoryViewer(p): DirectoryViewer,
) -> Response {
    let now = ctx.clock.now();
    let tr = Tr(p.lang);
    let snapshot = ctx.directory.snapshot();
    let (serial, parties) = match snapshot.current() {
        None => (tr.t("web-directory-none"), Vec::new()),
        Some(d) => {
            let dir = d.directory();
            let parties = dir
                .parties()
                .iter()
                .map(|e| PartyRow {
                    code: e.party.to_string(),
                    name: e.name.as_str().to_owned(),
                    status: e.status.name().to_owned(),
                    points: e
                        .contact_points()
                        .map(|(role, cp)| {
                            let tz = cp.time_zone.time_zone();
                            PointRow {
                                role: tr.t(&format!("web-point-{}", role.as_str())),
                                unit: cp.unit.as_str().to_owned(),
                                phones: cp
                                    .duty_phones
                                    .iter()
                                    .map(|p| p.as_str().to_owned())
                                    .collect(),
                                zone: cp.time_zone.as_str().to_owned(),
                                local_now: shown_time(now, &tz),
                                hours: cp.office_hours.to_string(),
                                open_now: cp.is_in_office_hours(now),
                                status: cp.status.name().to_owned(),
                                channel: cp.channel.kind().to_owned(),
                            }
                        })
                        .collect(),
                })
                .collect();
            (dir.serial().to_string(), parties)
        }
    };
    DirectoryPage {
        c: Chrome::for_person(&ctx, &p, "web-directory-title"),
        own_party: ctx.me.party.to_string(),
        serial,
        parties,
    }
    .into_response()
}

/// `GET /static/app.css`: the one stylesheet (no inline style anywhere).
pub async fn stylesheet() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

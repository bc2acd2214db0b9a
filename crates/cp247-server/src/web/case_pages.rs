//! The case page (`/cases/{ticket}`) and the due items page (`/due`). Both read through the
//! same case work as the officer API (`CaseWork::case_view`, `CaseWork::due_across`);
//! this module only turns what they read into labelled rows in the viewer's language.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cp247_case::{CaseEvent, Due, MessageKind, Role};
use cp247_domain::{Address, MessageId, TicketId};
use cp247_i18n::Lang;
use cp247_store::{Actor, DeliveryState};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::pages::{Chrome, Tr, message_page, our_zone, shown_time};
use super::session::{CaseWorker, Person, WebRefusal};
use crate::node::NodeContext;
use cp247_casework::views::CaseView;

/// The zone of `address`'s contact point, from the directory.
fn zone_of(ctx: &NodeContext, address: &Address) -> Option<TimeZone> {
    let snapshot = ctx.directory.snapshot();
    snapshot.current().and_then(|d| {
        d.directory()
            .contact_point(address)
            .map(|cp| cp.time_zone.time_zone())
    })
}

/// "in 3 h 05 min" / "overdue by 2 d 4 h", in the viewer's language.
pub fn remaining(tr: Tr, now: Timestamp, at: Timestamp) -> String {
    let secs = at.as_second() - now.as_second();
    let abs = secs.unsigned_abs();
    let (d, h, m) = (abs / 86_400, (abs % 86_400) / 3600, (abs % 3600) / 60);
    let span = if d > 0 {
        cp247_i18n::text_args(
            tr.0,
            "web-span-days-hours",
            &[("days", &d.to_string()), ("hours", &h.to_string())],
        )
    } else {
        format!("{h} h {m:02} min")
    };
    if secs < 0 {
        tr.t1("web-overdue-by", "span", &span)
    } else {
        tr.t1("web-due-in", "span", &span)
    }
}

fn side_label(tr: Tr, owed_by: Role, ours: Role) -> String {
    tr.t(if owed_by == ours {
        "web-owed-by-us"
    } else {
        "web-owed-by-them"
    })
}

fn delivery_label(tr: Tr, state: DeliveryState) -> String {
    tr.t(match state {
        DeliveryState::Queued => "web-delivery-queued",
        DeliveryState::InFlight => "web-delivery-in-flight",
        DeliveryState::Delivered => "web-delivery-delivered",
        DeliveryState::Retrying => "web-delivery-retrying",
        DeliveryState::Undeliverable => "web-delivery-undeliverable",
    })
}

fn event_label(lang: Lang, event: &CaseEvent, request: cp247_case::MessageKind) -> String {
    let tr = Tr(lang);
    match event {
        CaseEvent::Sent(m) => tr.t1("web-event-sent", "kind", &m.kind(request).label(lang)),
        CaseEvent::Received(m) => tr.t1("web-event-received", "kind", &m.kind(request).label(lang)),
        CaseEvent::SystemReceipt => tr.t("web-event-system-receipt"),
        CaseEvent::Escalated => tr.t("web-event-escalated"),
        CaseEvent::EscalationReceived => tr.t("web-event-escalation-received"),
        CaseEvent::ReminderDue(k) => tr.t1("web-event-reminder", "what", &k.label(lang)),
        CaseEvent::Lapsed => tr.t("web-event-lapsed"),
        CaseEvent::PreservationExtended { by, .. } => {
            tr.t1("web-event-extended", "ticket", by.as_str())
        }
        CaseEvent::Close => tr.t("web-event-closed"),
    }
}

/// One timeline row.
#[derive(Debug, Clone)]
pub struct EventRow {
    /// Sequence number.
    pub seq: u64,
    /// When, in the viewer's zone.
    pub at: String,
    /// What happened (label).
    pub what: String,
    /// The state after (label).
    pub state: String,
    /// Who recorded it.
    pub actor: String,
    /// The message's sender → recipient, if any.
    pub message: String,
    /// Its delivery state (outgoing messages), if any.
    pub delivery: String,
    /// The message's id (empty: no message), for its PDF.
    pub message_id: String,
}

/// One deadline row.
#[derive(Debug, Clone)]
pub struct DueRow {
    /// The ticket.
    pub ticket: String,
    /// What is due (label).
    pub what: String,
    /// Who owes it (label).
    pub owed_by: String,
    /// When, in the viewer's zone.
    pub ours: String,
    /// When, in the other Party's zone.
    pub theirs: String,
    /// Time remaining or overdue.
    pub remaining: String,
    /// Overdue now.
    pub overdue: bool,
}

/// One ticket of the chain.
#[derive(Debug, Clone)]
pub struct ChainRow {
    /// Ticket id.
    pub ticket: String,
    /// Its request kind (label).
    pub kind: String,
    /// Depth from the first ticket.
    pub depth: usize,
    /// Whether it is the case shown.
    pub current: bool,
}

/// One escalation.
#[derive(Debug, Clone)]
pub struct EscalationRow {
    /// When.
    pub at: String,
    /// To whom.
    pub target: String,
    /// Acknowledgement due (viewer's zone).
    pub due: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    ticket: String,
    title: String,
    state: String,
    kind: String,
    urgency: String,
    urgency_class: &'static str,
    role: String,
    counterpart: String,
    our_zone: String,
    their_zone: String,
    events: Vec<EventRow>,
    due: Vec<DueRow>,
    chain: Vec<ChainRow>,
    missing: Vec<String>,
    chain_error: String,
    escalations: Vec<EscalationRow>,
    compose: Vec<(String, String)>,
    actions: Vec<Action>,
    can_close: bool,
    notice: String,
}

/// A reply the case allows now, with its composer.
#[derive(Debug, Clone)]
pub struct Action {
    /// The composer's path.
    pub href: String,
    /// The reply kind (label).
    pub label: String,
}

/// `GET /cases/{ticket}` parameters: what was just done (after a composer or closing).
#[derive(Debug, Default, serde::Deserialize)]
pub struct CaseQuery {
    /// The kind of the reply just sent.
    #[serde(default)]
    pub sent: Option<String>,
    /// The case was just closed.
    #[serde(default)]
    pub closed: Option<String>,
}

/// The confirmation of what was just done, in the viewer's language (only known kinds are
/// named; nothing of the query is echoed).
fn notice_of(lang: Lang, q: &CaseQuery) -> String {
    let tr = Tr(lang);
    if let Some(kind) = q
        .sent
        .as_deref()
        .and_then(cp247_case::MessageKind::from_name)
    {
        return tr.t1("web-case-sent", "kind", &kind.label(lang));
    }
    if q.closed.is_some() {
        return tr.t("web-case-closed-now");
    }
    String::new()
}

fn due_row(
    tr: Tr,
    ticket: &TicketId,
    d: &Due,
    ours: Role,
    zones: (&TimeZone, Option<&TimeZone>),
    now: Timestamp,
) -> DueRow {
    DueRow {
        ticket: ticket.to_string(),
        what: d.kind.label(tr.0),
        owed_by: side_label(tr, d.owed_by, ours),
        ours: shown_time(d.due_at, zones.0),
        theirs: zones
            .1
            .map_or_else(|| tr.t("web-zone-unknown"), |tz| shown_time(d.due_at, tz)),
        remaining: remaining(tr, now, d.due_at),
        overdue: d.overdue,
    }
}

fn page_error(p: &Person, e: &cp247_casework::Error) -> Response {
    if e.kind() == cp247_casework::ErrorKind::NotFound {
        message_page(
            StatusCode::NOT_FOUND,
            p.lang,
            "web-case-not-found-title",
            "web-case-not-found-text",
        )
    } else {
        WebRefusal::Unavailable.into_response()
    }
}

fn case_page(ctx: &NodeContext, p: &Person, v: &CaseView, notice: String) -> CasePage {
    let tr = Tr(p.lang);
    let lang = p.lang;
    let case = &v.case;
    let ours = our_zone(ctx);
    let counterpart = case.opening().counterpart;
    let theirs = zone_of(ctx, &counterpart);
    let request = case.opening().kind;
    let events = v
        .events
        .iter()
        .map(|e| {
            let (message, delivery, message_id) = match v.message_of(e) {
                Some((m, d)) => (
                    format!("{} → {}", m.sender, m.recipient),
                    d.map(|d| delivery_label(tr, d.state)).unwrap_or_default(),
                    m.id.to_string(),
                ),
                None => (String::new(), String::new(), String::new()),
            };
            EventRow {
                seq: e.seq,
                at: shown_time(e.recorded.at, &ours),
                what: event_label(lang, &e.recorded.event, request),
                state: e.recorded.state.label(lang),
                actor: e.actor.as_str().to_owned(),
                message,
                delivery,
                message_id,
            }
        })
        .collect();
    let mut due: Vec<&Due> = v.due.iter().collect();
    due.sort_by_key(|d| d.due_at);
    let due = due
        .into_iter()
        .map(|d| {
            due_row(
                tr,
                case.ticket(),
                d,
                case.role(),
                (&ours, theirs.as_ref()),
                v.now,
            )
        })
        .collect();
    let (chain, missing, chain_error) = match &v.chain {
        Ok(c) => (
            c.entries
                .iter()
                .map(|e| ChainRow {
                    ticket: e.ticket.to_string(),
                    kind: e.kind.label(lang),
                    depth: e.depth,
                    current: &e.ticket == case.ticket(),
                })
                .collect(),
            c.missing.iter().map(ToString::to_string).collect(),
            String::new(),
        ),
        Err(e) => (Vec::new(), Vec::new(), e.clone()),
    };
    let escalations = v
        .escalations
        .iter()
        .map(|e| EscalationRow {
            at: shown_time(e.escalated_at, &ours),
            target: e.target.clone(),
            due: shown_time(e.due_at, &ours),
        })
        .collect();
    let probe = MessageId::generate(v.now, &mut rand::rng());
    let actions = case
        .allowed_replies(probe, v.now)
        .into_iter()
        .filter(|k| super::reply::composable(*k))
        .map(|k| Action {
            href: format!("/cases/{}/replies/{}", case.ticket(), k.name()),
            label: k.label(lang),
        })
        .collect();
    let can_close = case.clone().record(CaseEvent::Close, v.now).is_ok();
    let urgency = case.urgency();
    // The requesting side continues a preservation with an extension or an Art. 31 request.
    let compose = match (case.role(), request) {
        (Role::Requester, MessageKind::PreservationRequest | MessageKind::ExtensionRequest) => {
            let base = format!(
                "previous={}&to={}&point={}",
                case.ticket(),
                counterpart.party,
                counterpart.point.as_str()
            );
            vec![
                (
                    format!("/compose?kind=art29&status=extension&{base}"),
                    tr.t("web-case-compose-extend"),
                ),
                (
                    format!("/compose?kind=art31&status=follow_up_preservation&{base}"),
                    tr.t("web-case-compose-follow-up"),
                ),
            ]
        }
        _ => Vec::new(),
    };
    CasePage {
        c: Chrome::for_person(ctx, p, "web-case-title"),
        ticket: case.ticket().to_string(),
        title: v.ticket.title.as_str().to_owned(),
        state: case.state().label(lang),
        kind: request.label(lang),
        urgency: tr.t(&format!("web-urgency-{}", urgency.as_str())),
        urgency_class: urgency.as_str(),
        role: tr.t(match case.role() {
            Role::Requester => "web-role-requester",
            Role::Requested => "web-role-requested",
        }),
        counterpart: counterpart.to_string(),
        our_zone: ours.iana_name().unwrap_or("UTC").to_owned(),
        their_zone: theirs
            .as_ref()
            .and_then(|z| z.iana_name())
            .map_or_else(|| tr.t("web-zone-unknown"), ToOwned::to_owned),
        events,
        due,
        chain,
        missing,
        chain_error,
        escalations,
        actions,
        compose,
        can_close,
        notice,
    }
}

/// `GET /cases/{ticket}`: the case page (officers and supervisors). The view is audited.
pub async fn case(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Path(id): Path<String>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, WebRefusal> {
    let Ok(id) = TicketId::parse(&id) else {
        return Ok(message_page(
            StatusCode::NOT_FOUND,
            p.lang,
            "web-case-not-found-title",
            "web-case-not-found-text",
        ));
    };
    let actor = Actor::user(&p.account.username).map_err(|_| WebRefusal::Unavailable)?;
    let v = match ctx.work.case_view(&id, actor, "case_page").await {
        Ok(v) => v,
        Err(e) => return Ok(page_error(&p, &e)),
    };
    Ok(case_page(&ctx, &p, &v, notice_of(p.lang, &q)).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "due.html")]
struct DuePage {
    c: Chrome,
    our_zone: String,
    rows: Vec<DueRow>,
}

/// The next 24 hours.
const DUE_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);

/// `GET /due`: what is due in the next 24 hours across the open cases, overdue first.
pub async fn due(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
) -> Result<Response, WebRefusal> {
    let tr = Tr(p.lang);
    let now = ctx.clock.now();
    let until = now.checked_add(DUE_WINDOW).unwrap_or(now);
    let mut items = ctx
        .work
        .due_across(now)
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    items.retain(|i| i.due.due_at <= until);
    items.sort_by_key(|i| i.due.due_at);
    let ours = our_zone(&ctx);
    let rows = items
        .iter()
        .map(|i| {
            let theirs = zone_of(&ctx, &i.counterpart);
            due_row(tr, &i.ticket, &i.due, i.role, (&ours, theirs.as_ref()), now)
        })
        .collect();
    Ok(DuePage {
        c: Chrome::for_person(&ctx, &p, "web-due-title"),
        our_zone: ours.iana_name().unwrap_or("UTC").to_owned(),
        rows,
    }
    .into_response())
}

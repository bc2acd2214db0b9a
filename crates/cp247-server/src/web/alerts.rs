//! The alerts page (`/alerts`): the node's duty-officer alerts (new urgent requests, deadlines,
//! escalations), newest first, the unseen ones highlighted, each linking to its case, with a
//! "mark as seen" form (`POST /alerts/seen`, CSRF-checked by the web router's guard). The
//! navigation of every page shows the number of unseen alerts ([`super::pages::Chrome`]).

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cp247_i18n::Lang;
use cp247_store::{Actor, AlertDelivery, Page, StoredAlert};
use serde::Deserialize;
use serde_json::Value;

use super::pages::{Chrome, Tr, message_page, our_zone, shown_time};
use super::session::{CaseWorker, WebRefusal};
use crate::node::NodeContext;

/// The most alerts the page shows (newest first).
pub const ALERTS_SHOWN: u32 = 200;

/// One row of the alerts page.
#[derive(Debug, Clone)]
pub struct AlertRow {
    /// The alert's key (for the form).
    pub key: String,
    /// The ticket.
    pub ticket: String,
    /// What happened (label).
    pub what: String,
    /// When it was raised, in the node's zone.
    pub raised: String,
    /// Its e-mail and webhook delivery (label).
    pub delivery: String,
    /// Whether nobody has marked it seen.
    pub unseen: bool,
    /// Who saw it and when (label), if seen.
    pub seen: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "alerts.html")]
struct AlertsPage {
    c: Chrome,
    our_zone: String,
    rows: Vec<AlertRow>,
}

/// What an alert says, in the viewer's language, from its stored JSON (typed values only).
fn what(tr: Tr, alert: &StoredAlert) -> String {
    let body: Value = serde_json::from_str(&alert.body).unwrap_or(Value::Null);
    let field = |name: &str| body[name].as_str().unwrap_or("?").to_owned();
    match alert.event.as_str() {
        "new_request" => cp247_i18n::text_args(
            tr.0,
            "web-alert-new-request",
            &[
                (
                    "urgency",
                    &tr.t(&format!("web-urgency-{}", field("urgency"))),
                ),
                ("from", &field("from")),
            ],
        ),
        "escalation" => cp247_i18n::text_args(
            tr.0,
            "web-alert-escalation",
            &[("to", &field("alternate")), ("from", &field("unanswered"))],
        ),
        "deadline" => cp247_i18n::text_args(
            tr.0,
            "web-alert-deadline",
            &[
                (
                    "what",
                    &deadline_label(tr, &field("what"), &field("reminder")),
                ),
                ("with", &field("counterpart")),
            ],
        ),
        _ => tr.t("web-alert-other"),
    }
}

/// A deadline alert's `what` (a reminder kind, or the lapse) in the viewer's language; the
/// days before the end of a preservation come from the reminder key (`…/preservation_expiring.14d/…`).
fn deadline_label(tr: Tr, what: &str, reminder: &str) -> String {
    match what {
        "preservation_lapsed" => tr.t("web-event-lapsed"),
        "preservation_expiring" => {
            let days = reminder
                .split('/')
                .find_map(|part| part.strip_prefix("preservation_expiring."))
                .and_then(|d| d.strip_suffix('d'))
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
                .unwrap_or("?");
            tr.t1("case-reminder-preservation-expiring", "days", days)
        }
        "acknowledgement_overdue"
        | "answer_due"
        | "risk_decision_due"
        | "preservation_expired"
        | "mla_follow_up_due"
        | "next_step_overdue" => tr.t(&format!("case-reminder-{}", what.replace('_', "-"))),
        other => other.to_owned(),
    }
}

fn delivery_label(tr: Tr, d: AlertDelivery) -> String {
    tr.t(match d {
        AlertDelivery::Off => "web-alert-delivery-off",
        AlertDelivery::Pending => "web-alert-delivery-pending",
        AlertDelivery::Sent => "web-alert-delivery-sent",
        AlertDelivery::Failed => "web-alert-delivery-failed",
    })
}

/// `GET /alerts`.
pub async fn alerts(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
) -> Result<Response, WebRefusal> {
    let tr = Tr(p.lang);
    let zone = our_zone(&ctx);
    let list = ctx
        .work
        .alerts(Page {
            offset: 0,
            limit: ALERTS_SHOWN,
        })
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    let rows = list
        .items
        .iter()
        .map(|a| AlertRow {
            key: a.key.clone(),
            ticket: a.ticket.to_string(),
            what: what(tr, a),
            raised: shown_time(a.created_at, &zone),
            delivery: delivery_label(tr, a.delivery),
            unseen: a.seen.is_none(),
            seen: a.seen.as_ref().map_or_else(String::new, |(at, by)| {
                cp247_i18n::text_args(
                    tr.0,
                    "web-alert-seen-by",
                    &[("who", by.as_str()), ("at", &shown_time(*at, &zone))],
                )
            }),
        })
        .collect();
    Ok(AlertsPage {
        c: Chrome::for_person(&ctx, &p, "web-alerts-title"),
        our_zone: zone.iana_name().unwrap_or("UTC").to_owned(),
        rows,
    }
    .into_response())
}

/// The "mark as seen" form (the CSRF field is checked by the router's guard).
#[derive(Debug, Deserialize)]
pub struct SeenForm {
    #[serde(default)]
    key: String,
}

/// `POST /alerts/seen`: marks one of the node's alerts seen (audited), back to the list.
pub async fn mark_seen(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Form(form): Form<SeenForm>,
) -> Result<Response, WebRefusal> {
    let actor = Actor::user(&p.account.username).map_err(|_| WebRefusal::Unavailable)?;
    match ctx.work.mark_alert_seen(&form.key, &actor).await {
        Ok(()) => Ok(Redirect::to("/alerts").into_response()),
        Err(e) if e.kind() == cp247_casework::ErrorKind::NotFound => Ok(not_found(p.lang)),
        Err(e) => {
            tracing::warn!(error = %e, "marking an alert seen failed");
            Err(WebRefusal::Unavailable)
        }
    }
}

fn not_found(lang: Lang) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        lang,
        "web-alert-not-found-title",
        "web-alert-not-found-text",
    )
}

//! The officer API of case work: cases with their timelines and chains, what is due, every
//! reply type, closing, and (test networks only) the clock control.
//!
//! # Shapes (for the OpenAPI document)
//!
//! * `GET /api/v1/cases?offset=&limit=` → `{"items": [CaseSummary], "next": {"offset","limit"}|null}`
//!   where `CaseSummary = {"ticket", "our_role": "requester"|"requested", "counterpart",
//!   "kind", "state", "urgency", "title", "created_at", "updated_at"}`.
//! * `GET /api/v1/cases/{ticket}` → `{"ticket": CaseSummary, "case": CaseFacts, "timeline":
//!   [TimelineEntry], "reminders": [FiredReminder], "escalations": [Escalation], "due": [Due],
//!   "chain": {"entries": [{"ticket","kind","parent","depth","opened_at"}], "missing": [ticket]}}`.
//!   `CaseFacts = {"state", "state_label": {"en","fr"}, "role", "article", "request_at",
//!   "receipt_at", "human_ack_at", "escalated_at", "escalation_received_at",
//!   "preserved_until", "preservation": {"preserved_at","first_until","until","frozen_at",
//!   "extensions":[{"by","until","at"}]}|null, "previous_ticket", "related_tickets"}`.
//!   `TimelineEntry = {"seq", "at", "event" ("sent:acknowledgement", "system_receipt",
//!   "escalated", "reminder:preservation_expiring", …), "state" (after), "actor",
//!   "message": {"message_id","direction","sender","recipient","message_type","sealed_sha256",
//!   "attachments": [{"index","file_name","media_type","size","sha256"}],
//!   "delivery": {"state","attempts","delivered_at",…}|null}|null}`. The view is audited.
//! * `GET /api/v1/due?within=24h` (`30m`, `7d`, at most 90d; default 24h) → `{"now", "until",
//!   "items": [{"ticket","kind","owed_by","due_at","overdue","label":{"en","fr"}}]}`, soonest
//!   first, overdue items included.
//! * `POST /api/v1/cases/{ticket}/replies` with `{"reply": {…cp247-case reply JSON with its
//!   "kind"…}, "in_reply_to": message id?, "confidential": bool?, "marking": TLP?,
//!   "attachments": [{"file_name","media_type","content_base64"}]?}` →
//!   201 `{"ticket","message_id","message_type","recipient","state","warnings":[Problem]}`.
//!   Errors: 422 `invalid_reply` with `problems: [{"code","path","severity","message":
//!   {"en","fr"}}]`; 409 `illegal_transition` / `wrong_side` with `messages: {"en","fr"}`;
//!   422 `not_sent_by_officers` for `escalation_notice` (the scheduler sends it).
//! * `POST /api/v1/cases/{ticket}/close` (empty body) → 200 `{"ticket","state"}`; 409
//!   `illegal_transition` while the case has no outcome.
//! * `POST /api/v1/testing/clock` (admin; only with `[testing] clock_control`) with
//!   `{"advance": "7d"}` → `{"now","offset_seconds"}`; 404 `no_such_route` otherwise.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cp247_case::Case;
use cp247_casework::ReplyInput;
use cp247_casework::TlpMarking;
use cp247_casework::attachments::FileInput;
use cp247_domain::{Instant, MessageId, TicketId};
use cp247_i18n::Lang;
use cp247_store::Actor;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Admin, Officer};
use crate::config::Period;
use crate::error::{ApiError, problems_json};
use crate::node::NodeContext;
use crate::routes::api::{PageQuery, delivery_json, page, ticket_json};
use crate::routes::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::openapi::MAX_WITHIN_DAYS;

fn both(f: impl Fn(Lang) -> String) -> Value {
    json!({ "en": f(Lang::En), "fr": f(Lang::Fr) })
}

fn parse_ticket(id: &str) -> Result<TicketId, ApiError> {
    TicketId::parse(id).map_err(|e| ApiError::bad_request("invalid_ticket_id", e.to_string()))
}

fn ts(at: jiff::Timestamp) -> Instant {
    Instant::utc(at)
}

/// `GET /api/v1/cases`: the cases (tickets) of this node, newest first.
pub async fn list_cases(
    State(ctx): State<Arc<NodeContext>>,
    _officer: Officer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let paged = ctx.work.tickets(page(&q)?).await?;
    Ok(Json(json!({
        "items": paged.items.iter().map(ticket_json).collect::<Vec<_>>(),
        "next": paged.next.map(|p| json!({ "offset": p.offset, "limit": p.limit })),
    })))
}

fn case_facts(case: &Case) -> Value {
    let p = case.preservation().map(|p| {
        json!({
            "preserved_at": ts(p.preserved_at),
            "first_until": ts(p.first_until),
            "until": ts(p.until),
            "frozen_at": p.frozen_at.map(ts),
            "extensions": p.extensions.iter().map(|e| json!({
                "by": e.by, "until": ts(e.until), "at": ts(e.at),
            })).collect::<Vec<_>>(),
        })
    });
    let state = case.state();
    json!({
        "state": state.name(),
        "state_label": both(|l| state.label(l)),
        "outcome": state.outcome().map(|o| o.as_str()),
        "role": case.role().as_str(),
        "article": case.article().as_str(),
        "request_kind": case.opening().kind.name(),
        "urgency": case.urgency(),
        "counterpart": case.opening().counterpart.to_string(),
        "request_at": case.request_at().map(ts),
        "receipt_at": case.receipt_at().map(ts),
        "human_ack_at": case.human_ack_at().map(ts),
        "escalated_at": case.escalated_at().map(ts),
        "escalation_received_at": case.escalation_received_at().map(ts),
        "preserved_until": state.preserved_until().map(ts),
        "preservation": p,
        "previous_ticket": case.previous_ticket(),
        "related_tickets": case.related_tickets(),
    })
}

/// `GET /api/v1/cases/{ticket}`: the case, its timeline (every event with its message and the
/// message's delivery state), the reminders fired, the escalations, what is due and the
/// chain. The view is audited.
pub async fn show_case(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_ticket(&id)?;
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("auditing", &e))?;
    let v = ctx.work.case_view(&id, actor, "case").await?;
    let timeline: Vec<Value> = v
        .events
        .iter()
        .map(|e| {
            let message = v.message_of(e).map(|(m, d)| {
                json!({
                    "message_id": m.id,
                    "direction": m.direction.as_str(),
                    "sender": m.sender.to_string(),
                    "recipient": m.recipient.to_string(),
                    "message_type": m.message_type.as_str(),
                    "sealed_sha256": m.sealed_sha256,
                    "attachments": crate::routes::attachments::list_json(&m.attachments),
                    "delivery": d.map(|d| delivery_json(d, &ctx)),
                })
            });
            json!({
                "seq": e.seq,
                "at": ts(e.recorded.at),
                "event": cp247_store::event_name(&e.recorded.event),
                "state": e.recorded.state.name(),
                "actor": e.actor.as_str(),
                "message_id": e.message_id,
                "message": message,
            })
        })
        .collect();
    let reminders: Vec<Value> = v
        .reminders
        .iter()
        .map(|r| {
            json!({
                "key": r.key.as_str(), "kind": r.kind, "owed_by": r.owed_by.as_str(),
                "target": ts(r.target), "fire_at": ts(r.fire_at), "fired_at": ts(r.fired_at),
            })
        })
        .collect();
    let escalations: Vec<Value> = v
        .escalations
        .iter()
        .map(|e| {
            json!({
                "direction": e.direction.as_str(), "escalated_at": ts(e.escalated_at),
                "acknowledgement_due_at": ts(e.due_at), "target": e.target,
                "message_id": e.message_id, "details": e.details,
            })
        })
        .collect();
    let due: Vec<Value> = v.due.iter().map(|d| due_json(&id, d)).collect();
    let chain = match &v.chain {
        Ok(c) => json!({
            "entries": c.entries.iter().map(|e| json!({
                "ticket": e.ticket, "kind": e.kind.name(), "parent": e.parent,
                "depth": e.depth, "opened_at": ts(e.opened_at),
            })).collect::<Vec<_>>(),
            "missing": c.missing,
        }),
        Err(e) => json!({ "error": e }),
    };
    Ok(Json(json!({
        "ticket": ticket_json(&v.ticket),
        "case": case_facts(&v.case),
        "timeline": timeline,
        "reminders": reminders,
        "escalations": escalations,
        "due": due,
        "chain": chain,
    })))
}

fn due_json(ticket: &TicketId, d: &cp247_case::Due) -> Value {
    json!({
        "ticket": ticket,
        "kind": d.kind.name(),
        "owed_by": d.owed_by.as_str(),
        "due_at": ts(d.due_at),
        "overdue": d.overdue,
        "label": both(|l| d.kind.label(l)),
    })
}

/// `GET /api/v1/due` parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// How far ahead (`24h`, `30m`, `7d`); at most 90 days.
    #[serde(default)]
    pub within: Option<String>,
}

/// `GET /api/v1/due?within=24h`: what is due across all open cases until now + `within`,
/// overdue items included, soonest first.
pub async fn due(
    State(ctx): State<Arc<NodeContext>>,
    _officer: Officer,
    ApiQuery(q): ApiQuery<DueQuery>,
) -> Result<Json<Value>, ApiError> {
    let within: Period = q
        .within
        .as_deref()
        .unwrap_or("24h")
        .parse()
        .map_err(|e: String| ApiError::bad_request("invalid_within", e))?;
    if within.duration() > std::time::Duration::from_secs(MAX_WITHIN_DAYS * 86_400) {
        return Err(ApiError::bad_request(
            "invalid_within",
            format!("within is at most {MAX_WITHIN_DAYS}d"),
        ));
    }
    let now = ctx.clock.now();
    let until = now.checked_add(within.signed()).unwrap_or(now);
    let items = ctx
        .work
        .due_across(now)
        .await?
        .into_iter()
        .filter(|i| i.due.due_at <= until)
        .map(|i| (i.due.due_at, due_json(&i.ticket, &i.due)));
    let mut items: Vec<(jiff::Timestamp, Value)> = items.collect();
    items.sort_by_key(|(at, _)| *at);
    Ok(Json(json!({
        "now": ts(now),
        "until": ts(until),
        "items": items.into_iter().map(|(_, v)| v).collect::<Vec<_>>(),
    })))
}

/// `POST /api/v1/cases/{ticket}/replies` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewReply {
    /// The reply document (cp247-case JSON; its `kind` names the reply type).
    pub reply: Value,
    /// The message this answers (for answers to a request for information: which one).
    #[serde(default)]
    pub in_reply_to: Option<MessageId>,
    /// Keep the fact and subject confidential (default true).
    #[serde(default)]
    pub confidential: Option<bool>,
    /// A TLP marking.
    #[serde(default)]
    pub marking: Option<TlpMarking>,
    /// Files sent with the reply (e.g. the data package of an execution), sealed and signed
    /// with it.
    #[serde(default)]
    pub attachments: Vec<FileInput>,
}

/// `POST /api/v1/cases/{ticket}/replies`: validate the reply against the case, record the
/// transition, seal and queue the reply, audit — one unit of work
/// (`cp247_casework::CaseWork::send_reply`).
pub async fn post_reply(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    ApiPath(id): ApiPath<String>,
    ApiJson(req): ApiJson<NewReply>,
) -> Result<Response, ApiError> {
    let id = parse_ticket(&id)?;
    let attachments =
        cp247_casework::attachments::parse(req.attachments, &ctx.work.limits().attachments)?;
    let actor =
        Actor::token(officer.name()).map_err(|e| ApiError::store("recording a reply", &e))?;
    let sent = ctx
        .work
        .send_reply(
            &id,
            actor,
            ReplyInput {
                reply: &req.reply,
                in_reply_to: req.in_reply_to,
                confidential: req.confidential.unwrap_or(true),
                marking: req.marking,
                attachments: &attachments,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "ticket": id,
            "message_id": sent.message_id,
            "message_type": sent.kind.name(),
            "recipient": sent.recipient.to_string(),
            "state": sent.state.name(),
            "warnings": problems_json(&sent.warnings),
        })),
    )
        .into_response())
}

/// `POST /api/v1/cases/{ticket}/close`: close a case that has its outcome (audited).
pub async fn close_case(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_ticket(&id)?;
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("closing a case", &e))?;
    let state = ctx.work.close(&id, actor).await?;
    Ok(Json(
        json!({ "ticket": id, "state": state.name(), "outcome": state.outcome().map(|o| o.as_str()) }),
    ))
}

/// `POST /api/v1/testing/clock` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClockMove {
    /// How far forward (`90m`, `14d`).
    pub advance: Period,
}

/// `POST /api/v1/testing/clock` (admin, test networks only): move the node's clock forward.
pub async fn move_clock(
    State(ctx): State<Arc<NodeContext>>,
    admin: Admin,
    // Read after the clock check: a node without clock control answers like an unknown path,
    // whatever the body.
    body: Result<ApiJson<ClockMove>, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let Some(clock) = &ctx.test_clock else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_route",
            "there is no such path on this node; see docs/protocol/federation.md and the API guide",
        ));
    };
    let ApiJson(req) = body?;
    let offset = clock.advance(req.advance.signed());
    let now = ctx.clock.now();
    tracing::warn!(admin = %admin.name(), advance = %req.advance, now = %now, "TEST CLOCK moved forward");
    Ok(Json(
        json!({ "now": ts(now), "offset_seconds": offset.as_secs() }),
    ))
}

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
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cp247_case::reply::{Message, parse_message_json};
use cp247_case::{Case, CaseEvent, MessageKind, Reply, due_items, order_chain};
use cp247_domain::{Address, Instant, MessageId, TicketId};
use cp247_federation::casework::{self, ApplyError};
use cp247_i18n::Lang;
use cp247_seal::{Handling, TlpMarking};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, Direction, Page, StoreError, Viewer,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{Admin, Officer};
use crate::config::Period;
use crate::error::ApiError;
use crate::node::NodeContext;
use crate::outgoing::{self, Draft};
use crate::routes::api::{PageQuery, delivery_json, page, ticket_json};

fn both(f: impl Fn(Lang) -> String) -> Value {
    json!({ "en": f(Lang::En), "fr": f(Lang::Fr) })
}

fn parse_ticket(id: &str) -> Result<TicketId, ApiError> {
    TicketId::parse(id).map_err(|e| ApiError::bad_request("invalid_ticket_id", e.to_string()))
}

async fn load(ctx: &NodeContext, id: &TicketId) -> Result<Case, ApiError> {
    ctx.store
        .load_case_for(Viewer::Local(ctx.me.party), id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { .. } => ApiError::ticket_not_found(id.as_str()),
            other => ApiError::store("reading a case", &other),
        })
}

fn transition_error(e: &cp247_case::TransitionError) -> ApiError {
    let r = casework::CaseRefusal::transition(e);
    ApiError::new(StatusCode::CONFLICT, r.code, e.to_string())
        .with("messages", both(|l| e.message(l)))
}

fn apply_error(e: ApplyError, context: &str) -> ApiError {
    match e {
        ApplyError::Refused(r) => ApiError::new(StatusCode::CONFLICT, r.code, r.message),
        ApplyError::Store(StoreError::Transition { error, .. }) => transition_error(&error),
        ApplyError::Store(other) => ApiError::store(context, &other),
    }
}

fn ts(at: jiff::Timestamp) -> Instant {
    Instant::utc(at)
}

/// `GET /api/v1/cases`: the cases (tickets) of this node, newest first.
pub async fn list_cases(
    State(ctx): State<Arc<NodeContext>>,
    _officer: Officer,
    Query(q): Query<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let paged = ctx
        .store
        .list_tickets_for(Viewer::Local(ctx.me.party), page(&q)?)
        .await
        .map_err(|e| ApiError::store("listing cases", &e))?;
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

/// Everything a view of one case shows, read once for the API route and the case page.
#[derive(Debug)]
pub struct CaseView {
    /// The ticket.
    pub ticket: cp247_store::Ticket,
    /// The case, rebuilt from its events.
    pub case: Case,
    /// Every recorded event, in order.
    pub events: Vec<cp247_store::CaseEventRow>,
    /// The ticket's messages (both directions).
    pub messages: Vec<cp247_store::StoredMessage>,
    /// The delivery state of each outgoing message.
    pub deliveries: Vec<cp247_store::DeliveryStatus>,
    /// The reminders fired.
    pub reminders: Vec<cp247_store::FiredReminder>,
    /// The escalations.
    pub escalations: Vec<cp247_store::EscalationRecord>,
    /// What is due on the case (empty when the directory knows neither side's calendar).
    pub due: Vec<cp247_case::Due>,
    /// The ticket chain, or why it cannot be ordered.
    pub chain: Result<cp247_case::Chain, String>,
    /// When the view was read.
    pub now: jiff::Timestamp,
}

impl CaseView {
    /// The message of an event, with its delivery when it went out.
    pub fn message_of(
        &self,
        e: &cp247_store::CaseEventRow,
    ) -> Option<(
        &cp247_store::StoredMessage,
        Option<&cp247_store::DeliveryStatus>,
    )> {
        let mid = e.message_id?;
        let m = self.messages.iter().find(|m| m.id == mid)?;
        let delivery = match m.direction {
            Direction::Out => self.deliveries.iter().find(|d| d.message_id == m.id),
            Direction::In => None,
        };
        Some((m, delivery))
    }
}

/// Reads the view of case `id` for `actor` and audits it (`view`: `"case"` or `"case_page"`).
pub async fn case_view(
    ctx: &NodeContext,
    id: &TicketId,
    actor: Actor,
    view: &str,
) -> Result<CaseView, ApiError> {
    let viewer = Viewer::Local(ctx.me.party);
    let case = load(ctx, id).await?;
    let ticket = ctx
        .store
        .find_ticket_for(viewer, id)
        .await
        .map_err(|e| ApiError::store("reading a ticket", &e))?;
    let store_err = |what: &'static str| move |e: StoreError| ApiError::store(what, &e);
    let events = ctx
        .store
        .case_events(id)
        .await
        .map_err(store_err("reading case events"))?;
    let all = Page {
        offset: 0,
        limit: 500,
    };
    let messages = ctx
        .store
        .messages_for(viewer, id, all)
        .await
        .map_err(store_err("listing messages"))?
        .items;
    let deliveries = ctx
        .store
        .deliveries_for_ticket(id, all)
        .await
        .map_err(store_err("listing deliveries"))?
        .items;
    let reminders = ctx
        .store
        .fired_reminders(id)
        .await
        .map_err(store_err("reading reminders"))?;
    let escalations = ctx
        .store
        .escalations_for(id)
        .await
        .map_err(store_err("reading escalations"))?;
    let now = ctx.clock.now();
    let due = crate::scheduler::calendars(ctx, &case)
        .map(|cal| due_items(&case, &cal, &ctx.policy, now))
        .unwrap_or_default();
    let links = ctx
        .store
        .chain_links(id)
        .await
        .map_err(store_err("reading a ticket chain"))?;
    let chain = order_chain(id, &links).map_err(|e| e.to_string());
    ctx.store
        .append_audit(&AuditRecord {
            actor,
            action: AuditAction::View,
            ticket: Some(id.clone()),
            result: AuditResult::Ok,
            details: json!({ "view": view, "events": events.len() }),
            at: now,
        })
        .await
        .map_err(store_err("auditing a view"))?;
    Ok(CaseView {
        ticket,
        case,
        events,
        messages,
        deliveries,
        reminders,
        escalations,
        due,
        chain,
        now,
    })
}

/// `GET /api/v1/cases/{ticket}`: the case, its timeline (every event with its message and the
/// message's delivery state), the reminders fired, the escalations, what is due and the
/// chain. The view is audited.
pub async fn show_case(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_ticket(&id)?;
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("auditing", &e))?;
    let v = case_view(&ctx, &id, actor, "case").await?;
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

/// One item due on an open case.
#[derive(Debug, Clone)]
pub struct DueOn {
    /// The case's ticket.
    pub ticket: TicketId,
    /// This node's side of the case.
    pub role: cp247_case::Role,
    /// The other Party's contact point.
    pub counterpart: Address,
    /// What is due.
    pub due: cp247_case::Due,
}

/// What is due on every open case at `now` (overdue items included), unsorted. Cases whose
/// calendars the directory does not give are left out.
pub async fn due_across(ctx: &NodeContext, now: jiff::Timestamp) -> Result<Vec<DueOn>, ApiError> {
    let tickets = ctx
        .store
        .open_case_tickets(ctx.config.file.cases.scheduler_batch)
        .await
        .map_err(|e| ApiError::store("listing open cases", &e))?;
    let mut items = Vec::new();
    for t in tickets {
        let Ok(case) = ctx
            .store
            .load_case_for(Viewer::Local(ctx.me.party), &t)
            .await
        else {
            continue;
        };
        let Some(cal) = crate::scheduler::calendars(ctx, &case) else {
            continue;
        };
        for d in due_items(&case, &cal, &ctx.policy, now) {
            items.push(DueOn {
                ticket: t.clone(),
                role: case.role(),
                counterpart: case.opening().counterpart,
                due: d,
            });
        }
    }
    Ok(items)
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
    Query(q): Query<DueQuery>,
) -> Result<Json<Value>, ApiError> {
    let within: Period = q
        .within
        .as_deref()
        .unwrap_or("24h")
        .parse()
        .map_err(|e: String| ApiError::bad_request("invalid_within", e))?;
    if within.duration() > std::time::Duration::from_secs(90 * 86_400) {
        return Err(ApiError::bad_request(
            "invalid_within",
            "within is at most 90d",
        ));
    }
    let now = ctx.clock.now();
    let until = now.checked_add(within.signed()).unwrap_or(now);
    let items = due_across(&ctx, now)
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
    pub attachments: Vec<crate::routes::attachments::AttachmentInput>,
}

fn problems_json(report: &cp247_case::Report) -> Value {
    Value::Array(
        report
            .problems()
            .iter()
            .map(|p| {
                json!({
                    "code": p.code().as_str(),
                    "path": p.path().to_string(),
                    "severity": format!("{:?}", p.severity()).to_lowercase(),
                    "message": both(|l| p.message(l)),
                })
            })
            .collect(),
    )
}

/// Where this node's next message on `case` goes: the contact point that last wrote to us on
/// the ticket (after an escalation, the alternate that took the case), else the counterpart.
async fn recipient(ctx: &NodeContext, case: &Case) -> Result<Address, ApiError> {
    let messages = ctx
        .store
        .messages_for(
            Viewer::Local(ctx.me.party),
            case.ticket(),
            Page {
                offset: 0,
                limit: 500,
            },
        )
        .await
        .map_err(|e| ApiError::store("listing messages", &e))?;
    Ok(messages
        .items
        .iter()
        .rev()
        .find(|m| m.direction == Direction::In)
        .map_or(case.opening().counterpart, |m| m.sender))
}

/// Why a reply or a closing was not recorded. Nothing was sent or stored in any case.
#[derive(Debug)]
pub enum CaseWorkError {
    /// The reply has problems (codes, paths, en/fr messages).
    Invalid(cp247_case::Report),
    /// The case refuses the event in its current state (or the reply comes from the wrong
    /// side).
    Transition(cp247_case::TransitionError),
    /// Any other failure, with its API answer.
    Api(ApiError),
}

impl From<ApiError> for CaseWorkError {
    fn from(e: ApiError) -> Self {
        CaseWorkError::Api(e)
    }
}

impl CaseWorkError {
    /// The API answer.
    pub fn into_api(self) -> ApiError {
        match self {
            CaseWorkError::Invalid(report) => ApiError::unprocessable(
                "invalid_reply",
                format!(
                    "the reply has {} problem(s); nothing was sent",
                    report.errors().count()
                ),
            )
            .with("problems", problems_json(&report)),
            CaseWorkError::Transition(e) => transition_error(&e),
            CaseWorkError::Api(e) => e,
        }
    }
}

/// A reply to send on a case.
#[derive(Debug, Clone, Copy)]
pub struct ReplyInput<'a> {
    /// The reply document (cp247-case JSON; its `kind` names the reply type).
    pub reply: &'a Value,
    /// The message this answers.
    pub in_reply_to: Option<MessageId>,
    /// Keep the fact and subject confidential.
    pub confidential: bool,
    /// A TLP marking.
    pub marking: Option<TlpMarking>,
    /// Files sent with the reply, already checked against the limits.
    pub attachments: &'a [cp247_seal::Attachment],
}

/// A reply recorded, sealed and queued.
#[derive(Debug, Clone)]
pub struct SentReply {
    /// Its message id.
    pub message_id: MessageId,
    /// Its kind.
    pub kind: MessageKind,
    /// Where it goes.
    pub recipient: Address,
    /// The case's state after it.
    pub state: cp247_case::CaseState,
    /// Warnings the decoder reported (no error).
    pub warnings: cp247_case::Report,
}

/// Sends a reply on case `id` for `actor`: decodes it against the case (every problem with
/// its code and path), checks the transition, seals it to the contact point that handles the
/// case, and records the transition, the sealed message, the outbox entry and the audit entry
/// in one unit of work. The officer API and the web composer both call this.
pub async fn send_reply(
    ctx: &NodeContext,
    id: &TicketId,
    actor: Actor,
    input: ReplyInput<'_>,
) -> Result<SentReply, CaseWorkError> {
    let now = ctx.clock.now();
    let case = load(ctx, id).await?;
    let kind_name = input
        .reply
        .get("kind")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_reply",
                "the reply has no \"kind\" naming its type (e.g. acknowledgement, preservation_confirmed)",
            )
        })?
        .to_owned();
    let kind = MessageKind::from_name(&kind_name)
        .filter(|k| !k.is_request())
        .ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_reply",
                format!(
                    "'{}' is not a reply type of cp247",
                    kind_name.chars().take(64).collect::<String>()
                ),
            )
        })?;
    if kind == MessageKind::EscalationNotice {
        return Err(ApiError::unprocessable(
            "not_sent_by_officers",
            "an escalation notice is sent by the node's scheduler when an urgent request is not acknowledged in time",
        )
        .into());
    }
    let bytes = serde_json::to_vec(input.reply)
        .map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    let parsed = parse_message_json(kind.name(), &bytes, Some(case.reply_context()))
        .map_err(|e| ApiError::unprocessable("invalid_reply", e.to_string()))?;
    let reply = match parsed.message {
        Some(Message::Reply(r)) => r,
        Some(Message::Request(_)) | None => return Err(CaseWorkError::Invalid(parsed.report)),
    };
    let warnings = parsed.report;
    // Checked before sealing, so a refused reply costs nothing; checked again in the unit of
    // work against the case as it is then.
    let message_id = {
        let mut rng = rand::rng();
        MessageId::generate(now, &mut rng)
    };
    case.clone()
        .record(
            case.event_for(true, &reply, message_id, input.in_reply_to)
                .map_err(CaseWorkError::Transition)?,
            now,
        )
        .map_err(CaseWorkError::Transition)?;
    let to = recipient(ctx, &case).await?;
    let body: Value = serde_json::from_str(&cp247_case::reply::to_json_string(&reply))
        .map_err(|e| ApiError::internal("encoding a reply", &e))?;
    let sealed = outgoing::seal(
        ctx,
        Draft {
            ticket: id,
            id: message_id,
            to,
            message_type: kind.name(),
            urgency: case.urgency(),
            body,
            handling: Handling {
                confidential: input.confidential,
                marking: input.marking,
            },
            attachments: input.attachments.to_vec(),
        },
        now,
    )
    .map_err(|e| match e.code {
        "directory_unusable" => ApiError::unavailable(e.code, e.message),
        "internal_error" => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, e.code, e.message),
        code => ApiError::unprocessable(code, e.message),
    })?;
    let store_err = |e: StoreError| ApiError::store("recording a reply", &e);
    let mut tx = ctx.store.begin().await.map_err(store_err)?;
    let after = casework::record_reply(
        &mut tx,
        casework::ReplyEvent {
            ticket: id,
            reply: &reply,
            sent: true,
            message: message_id,
            in_reply_to: input.in_reply_to,
            actor: &actor,
            at: now,
        },
    )
    .await
    .map_err(|e| CaseWorkError::Api(apply_error(e, "recording a reply")))?;
    tx.insert_outgoing(&sealed.message)
        .await
        .map_err(store_err)?;
    let action = match reply {
        Reply::Acknowledgement(_) => AuditAction::Acknowledge,
        _ => AuditAction::Reply,
    };
    tx.append_audit(&AuditRecord {
        actor,
        action,
        ticket: Some(id.clone()),
        result: AuditResult::Ok,
        details: json!({
            "message_id": message_id.to_string(),
            "message_type": kind.name(),
            "recipient": to.to_string(),
            "state": after.state().name(),
            "sealed_sha256": sealed.sha256,
            "attachments": sealed.attachments_audit,
        }),
        at: now,
    })
    .await
    .map_err(store_err)?;
    tx.commit().await.map_err(|e| match e {
        StoreError::Conflict { .. } => ApiError::new(
            StatusCode::CONFLICT,
            "case_conflict",
            "the case changed meanwhile; read it again and retry",
        ),
        other => store_err(other),
    })?;
    ctx.deliverer.wake(to.party);
    tracing::info!(message_id = %message_id, ticket = %id, message_type = kind.name(), recipient = %to, "reply queued");
    Ok(SentReply {
        message_id,
        kind,
        recipient: to,
        state: after.state(),
        warnings,
    })
}

/// `POST /api/v1/cases/{ticket}/replies`: validate the reply against the case, record the
/// transition, seal and queue the reply, audit — one unit of work ([`send_reply`]).
pub async fn post_reply(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    Path(id): Path<String>,
    body: Result<Json<NewReply>, axum::extract::rejection::JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(req) = body.map_err(crate::routes::api::json_rejection)?;
    let id = parse_ticket(&id)?;
    let attachments =
        crate::routes::attachments::parse(req.attachments, &ctx.inbound.limits.attachments)?;
    let actor =
        Actor::token(officer.name()).map_err(|e| ApiError::store("recording a reply", &e))?;
    let sent = send_reply(
        &ctx,
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
    .await
    .map_err(CaseWorkError::into_api)?;
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

/// Closes case `id` for `actor` when it has its outcome (audited, one unit of work). The
/// officer API and the web case page both call this.
pub async fn close(
    ctx: &NodeContext,
    id: &TicketId,
    actor: Actor,
) -> Result<cp247_case::CaseState, CaseWorkError> {
    load(ctx, id).await?;
    let now = ctx.clock.now();
    let store_err = |e: StoreError| ApiError::store("closing a case", &e);
    let mut tx = ctx.store.begin().await.map_err(store_err)?;
    let Some(mut case) = tx.load_case(id).await.map_err(store_err)? else {
        return Err(ApiError::ticket_not_found(id.as_str()).into());
    };
    let state = tx
        .record_case_event(&mut case, CaseEvent::Close, now, None, &actor)
        .await
        .map_err(|e| match e {
            StoreError::Transition { error, .. } => CaseWorkError::Transition(*error),
            other => CaseWorkError::Api(store_err(other)),
        })?;
    tx.append_audit(&AuditRecord {
        actor,
        action: AuditAction::Close,
        ticket: Some(id.clone()),
        result: AuditResult::Ok,
        details: json!({ "outcome": state.outcome().map(|o| o.as_str()) }),
        at: now,
    })
    .await
    .map_err(store_err)?;
    tx.commit().await.map_err(store_err)?;
    Ok(state)
}

/// `POST /api/v1/cases/{ticket}/close`: close a case that has its outcome (audited).
pub async fn close_case(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_ticket(&id)?;
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("closing a case", &e))?;
    let state = close(&ctx, &id, actor)
        .await
        .map_err(CaseWorkError::into_api)?;
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
    body: Result<Json<ClockMove>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    let Some(clock) = &ctx.test_clock else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_route",
            "there is no such path on this node; see docs/protocol/federation.md and the API guide",
        ));
    };
    let Json(req) = body.map_err(|e| ApiError::bad_request("invalid_json", e.body_text()))?;
    let offset = clock.advance(req.advance.signed());
    let now = ctx.clock.now();
    tracing::warn!(admin = %admin.name(), advance = %req.advance, now = %now, "TEST CLOCK moved forward");
    Ok(Json(
        json!({ "now": ts(now), "offset_seconds": offset.as_secs() }),
    ))
}

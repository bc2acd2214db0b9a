//! The officer REST API (bearer tokens): create and send requests, list tickets, show a
//! ticket's messages with each outbound message's delivery state; plus the admin operations
//! (directory refresh, tokens, peers).

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cp247_casework::RequestToSend;
use cp247_casework::TlpMarking;
use cp247_casework::attachments::FileInput;
use cp247_domain::{Address, ContactPointRole, Instant, PartyCode, TicketId};
use cp247_federation::directory::Refreshed;
use cp247_forms::Kind;
use cp247_i18n::Lang;
use cp247_store::{Actor, DeliveryState, DeliveryStatus, Page, StoredMessage, Ticket};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::{Admin, DirectoryReader, Officer, Role};
use crate::error::ApiError;
use crate::node::NodeContext;
use crate::routes::extract::{ApiJson, ApiPath, ApiQuery};
use crate::routes::openapi::{
    DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, MAX_REFERENCE_CHARS, MAX_TOKEN_NAME,
};

/// `POST /api/v1/requests` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// The requested Party.
    pub to: PartyCode,
    /// Which of its contact points (default: primary).
    #[serde(default)]
    pub contact_point: Option<ContactPointRole>,
    /// The request document (cp247-forms JSON).
    pub document: Value,
    /// An existing ticket this document follows up (required for an Art. 30 disclosure).
    #[serde(default)]
    pub ticket: Option<TicketId>,
    /// A reference of the requesting authority, shown in lists.
    #[serde(default)]
    pub reference: Option<String>,
    /// Keep the fact and subject of the request confidential (default true).
    #[serde(default)]
    pub confidential: Option<bool>,
    /// A TLP marking.
    #[serde(default)]
    pub marking: Option<TlpMarking>,
    /// Files sent with the request (sealed and signed with it).
    #[serde(default)]
    pub attachments: Vec<FileInput>,
}

/// `POST /api/v1/requests`: read and validate the document, then case work sends it
/// (`cp247_casework::CaseWork::send_request`: seal, and commit ticket + message + outbox +
/// audit in one transaction; the outbox delivers it).
pub async fn create_request(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    ApiJson(req): ApiJson<NewRequest>,
) -> Result<Response, ApiError> {
    if let Some(reference) = &req.reference
        && reference.chars().count() > MAX_REFERENCE_CHARS
    {
        return Err(ApiError::unprocessable(
            "invalid_reference",
            format!("a reference has at most {MAX_REFERENCE_CHARS} characters"),
        ));
    }
    // The files first: a body over the limits is refused before the document is read.
    let attachments =
        cp247_casework::attachments::parse(req.attachments, &ctx.work.limits().attachments)?;

    let document_bytes = serde_json::to_vec(&req.document)
        .map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))?;
    let parsed = cp247_forms::parse_json(&document_bytes).map_err(|e| {
        ApiError::bad_request(
            "invalid_document",
            format!("the document cannot be read: {e}"),
        )
    })?;
    let problems: Vec<Value> = parsed
        .report
        .problems()
        .iter()
        .map(|p| {
            json!({
                "code": p.code().to_string(),
                "path": p.path().to_string(),
                "severity": format!("{:?}", p.severity()).to_lowercase(),
                "message": p.message(Lang::En),
            })
        })
        .collect();
    let Some(document) = parsed.document else {
        return Err(ApiError::unprocessable(
            "invalid_document",
            format!(
                "the document has {} problem(s); nothing was sent",
                parsed.report.errors().count()
            ),
        )
        .with("problems", Value::Array(problems)));
    };
    if document.kind() != Kind::Art30
        && let Some(id) = &req.ticket
    {
        return Err(ApiError::unprocessable(
            "ticket_not_allowed",
            format!(
                "a request opens its own ticket, so it cannot be added to ticket {id}: an extension or a follow-up names the earlier ticket in its document (request_status); replies go to POST /api/v1/cases/{{ticket}}/replies"
            ),
        ));
    }
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("auditing", &e))?;
    let queued = ctx
        .work
        .send_request(
            actor,
            RequestToSend {
                to: Address {
                    party: req.to,
                    point: req.contact_point.unwrap_or(ContactPointRole::Primary),
                },
                document,
                reference: req.reference,
                confidential: req.confidential.unwrap_or(true),
                marking: req.marking,
                attachments,
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "ticket": queued.ticket,
            "message_id": queued.message_id,
            "recipient": queued.recipient.to_string(),
            "state": DeliveryState::Queued.as_str(),
            "warnings": problems,
        })),
    )
        .into_response())
}

/// Paging parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Rows to skip.
    #[serde(default)]
    pub offset: u64,
    /// Rows to return (at most 500).
    #[serde(default = "default_limit")]
    pub limit: u32,
    /// Only deliveries in this state (for `/api/v1/deliveries`).
    #[serde(default)]
    pub state: Option<String>,
}

fn default_limit() -> u32 {
    DEFAULT_PAGE_LIMIT
}

pub(crate) fn page(q: &PageQuery) -> Result<Page, ApiError> {
    if q.limit == 0 || q.limit > MAX_PAGE_LIMIT {
        return Err(ApiError::bad_request(
            "invalid_page",
            format!("limit must be between 1 and {MAX_PAGE_LIMIT}"),
        ));
    }
    Ok(Page {
        offset: q.offset,
        limit: q.limit,
    })
}

pub(crate) fn ticket_json(t: &Ticket) -> Value {
    json!({
        "id": t.id,
        "our_role": t.our_role.as_str(),
        "counterpart": t.counterpart,
        "kind": t.kind.as_str(),
        "state": t.state.as_str(),
        "urgency": t.urgency,
        "title": t.title.as_str(),
        "reference": t.reference.as_ref().map(|r| r.as_str()),
        "created_at": Instant::utc(t.created_at),
        "updated_at": Instant::utc(t.updated_at),
    })
}

/// `GET /api/v1/tickets?offset=&limit=`.
pub async fn list_tickets(
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

/// The delivery state of an outgoing message, as shown to officers. For an undeliverable
/// message, the recipient's duty phones from the directory, so someone can call.
pub(crate) fn delivery_json(d: &DeliveryStatus, ctx: &NodeContext) -> Value {
    let duty_phones: Option<Vec<String>> = (d.state == DeliveryState::Undeliverable).then(|| {
        ctx.directory
            .snapshot()
            .current()
            .and_then(|dir| dir.directory().contact_point(&d.peer))
            .map(|cp| {
                cp.duty_phones
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    });
    json!({
        "state": d.state.as_str(),
        "attempts": d.attempts,
        "first_queued_at": Instant::utc(d.first_queued_at),
        "next_attempt_at": d.next_attempt_at.map(Instant::utc),
        "last_attempt_at": d.last_attempt_at.map(Instant::utc),
        "last_error": d.last_error,
        "delivered_at": d.delivered_at.map(Instant::utc),
        "receipt": d.receipt.as_ref().map(|r| String::from_utf8_lossy(r).into_owned()),
        "undeliverable_reason": d.undeliverable_reason,
        "duty_phones": duty_phones,
    })
}

fn message_json(m: &StoredMessage, delivery: Option<Value>) -> Value {
    let payload: Value = serde_json::from_str(&m.payload_json).unwrap_or(Value::Null);
    json!({
        "message_id": m.id,
        "direction": m.direction.as_str(),
        "sender": m.sender.to_string(),
        "recipient": m.recipient.to_string(),
        "message_type": m.message_type.as_str(),
        "written_at": m.written_at,
        "stored_at": Instant::utc(m.stored_at),
        "sealed_sha256": m.sealed_sha256,
        "payload": payload,
        "attachments": crate::routes::attachments::list_json(&m.attachments),
        "delivery": delivery,
    })
}

/// `GET /api/v1/tickets/{id}`: the ticket, its messages (with payloads) and the delivery state
/// of each outgoing one. The read is audited.
pub async fn show_ticket(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id = TicketId::parse(&id)
        .map_err(|e| ApiError::bad_request("invalid_ticket_id", e.to_string()))?;
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("auditing", &e))?;
    let view = ctx.work.ticket_view(&id, actor).await?;
    let shown: Vec<Value> = view
        .messages
        .items
        .iter()
        .map(|m| message_json(m, view.delivery_of(m).map(|d| delivery_json(d, &ctx))))
        .collect();
    let (ticket, messages) = (view.ticket, view.messages);
    Ok(Json(json!({
        "ticket": ticket_json(&ticket),
        "messages": shown,
        "more_messages": messages.next.is_some(),
    })))
}

/// `GET /api/v1/deliveries?state=undeliverable`: outgoing messages by delivery state.
pub async fn list_deliveries(
    State(ctx): State<Arc<NodeContext>>,
    _officer: Officer,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let state_text = q.state.as_deref().unwrap_or("undeliverable");
    let state = DeliveryState::ALL
        .into_iter()
        .find(|s| s.as_str() == state_text)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_state",
                "state must be queued, in_flight, delivered, retrying or undeliverable",
            )
        })?;
    let paged = ctx.work.deliveries(state, page(&q)?).await?;
    let items: Vec<Value> = paged
        .items
        .iter()
        .map(|d| {
            let mut v = delivery_json(d, &ctx);
            if let Some(map) = v.as_object_mut() {
                map.insert("message_id".into(), json!(d.message_id));
                map.insert("ticket".into(), json!(d.ticket));
                map.insert("peer".into(), json!(d.peer.to_string()));
            }
            v
        })
        .collect();
    Ok(Json(json!({
        "items": items,
        "next": paged.next.map(|p| json!({ "offset": p.offset, "limit": p.limit })),
    })))
}

/// `GET /api/v1/directory`: what the node uses now.
pub async fn directory_status(
    State(ctx): State<Arc<NodeContext>>,
    _reader: DirectoryReader,
) -> Json<Value> {
    let snapshot = ctx.directory.snapshot();
    let health = snapshot.health(ctx.clock.now());
    let current = snapshot.current().map(|d| {
        let dir = d.directory();
        json!({
            "serial": dir.serial(),
            "issued_at": dir.issued_at(),
            "expires_at": dir.expires_at(),
            "parties": dir.parties().iter().map(|p| p.party).collect::<Vec<_>>(),
        })
    });
    Json(json!({
        "health": health.code(),
        "permits_traffic": health.permits_traffic(),
        "warning": health.warning(),
        "current": current,
        "source": ctx.config.directory_source.to_string(),
    }))
}

/// `POST /api/v1/directory/refresh` (admin): fetch and offer the published directory now.
pub async fn refresh_directory(
    State(ctx): State<Arc<NodeContext>>,
    _admin: Admin,
) -> Result<Json<Value>, ApiError> {
    match ctx.sync.refresh().await {
        Ok(Refreshed::Accepted { previous, serial }) => Ok(Json(
            json!({ "outcome": "accepted", "serial": serial, "previous": previous }),
        )),
        Ok(Refreshed::Unchanged { serial }) => {
            Ok(Json(json!({ "outcome": "unchanged", "serial": serial })))
        }
        Err(e) => Err(ApiError::new(
            StatusCode::BAD_GATEWAY,
            "directory_refresh_failed",
            e.to_string(),
        )
        .with("reason_code", json!(e.code()))),
    }
}

/// `GET /api/v1/peers` (admin): what this node saw of each peer.
pub async fn peers(
    State(ctx): State<Arc<NodeContext>>,
    _admin: Admin,
) -> Result<Json<Value>, ApiError> {
    let states = ctx
        .store
        .peer_states(Page {
            offset: 0,
            limit: 500,
        })
        .await
        .map_err(|e| ApiError::store("listing peers", &e))?;
    let items: Vec<Value> = states
        .items
        .iter()
        .map(|p| {
            json!({
                "party": p.party,
                "last_contact_at": p.last_contact_at.map(Instant::utc),
                "last_error": p.last_error,
                "last_error_at": p.last_error_at.map(Instant::utc),
                "clock_skew_ms": p.clock_skew_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/v1/tokens` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewToken {
    /// A unique name.
    pub name: String,
    /// The role of the API-only account created for the token: an administrator may ask only
    /// for `monitor` (ADR 0020).
    #[serde(default)]
    pub role: Option<String>,
    /// Refused: a token for a person's account is issued only by that person, from their
    /// signed-in session. Parsed so that the refusal says so.
    #[serde(default)]
    pub account: Option<String>,
    /// Its lifetime in days (default and maximum from `[tokens]`), written as JSON allows a
    /// whole number (`30` or `30.0`).
    #[serde(default, deserialize_with = "whole_number")]
    pub lifetime_days: Option<u32>,
}

/// A whole number that JSON may write with a fraction of zero (`30.0`, `3e1`): JSON Schema's
/// `integer`, which the OpenAPI document promises.
fn whole_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    let text = number.to_string();
    text.strip_suffix(".0")
        .unwrap_or(&text)
        .parse::<u32>()
        .map(Some)
        .map_err(|_| serde::de::Error::custom(format!("{number} is not a whole number of days")))
}

/// The answer to a token creation: the token, shown this once.
#[derive(Serialize)]
struct IssuedBody<'a> {
    id: u64,
    name: &'a str,
    role: &'a str,
    account: &'a str,
    expires_at: String,
    token: &'a str,
}

/// An issue or revocation refused, as an API error.
pub(crate) fn issue_error(e: crate::tokens::IssueError) -> ApiError {
    use crate::tokens::IssueError;
    let code = e.code();
    match e {
        IssueError::NotAllowed(why) => ApiError::new(StatusCode::FORBIDDEN, code, why),
        IssueError::Lifetime(m) | IssueError::Name(m) => ApiError::unprocessable(code, m),
        IssueError::TooMany(_) => ApiError::new(StatusCode::CONFLICT, code, e.to_string()),
        IssueError::NameTaken(_) => ApiError::new(StatusCode::CONFLICT, code, e.to_string()),
        IssueError::NoSuchToken(_) => ApiError::new(StatusCode::NOT_FOUND, code, e.to_string()),
        IssueError::Store(e) => ApiError::store("issuing or revoking a token", &e),
    }
}

/// `POST /api/v1/tokens` (administrator): issues a **monitor** token of a new API-only account,
/// shown once and stored as a hash. Any other role, and any person's account, is refused with
/// 403 `not_issuable` (ADR 0020).
pub async fn create_token(
    State(ctx): State<Arc<NodeContext>>,
    admin: Admin,
    ApiJson(req): ApiJson<NewToken>,
) -> Result<Response, ApiError> {
    use crate::tokens::{Grant, Issuer, TokenRequest};
    // The documented rule (TokenName), stricter than the store's: ASCII, so that the length
    // in characters a client can check is the length in bytes the store checks.
    if req.name.trim().is_empty()
        || req.name.len() > MAX_TOKEN_NAME
        || !req.name.bytes().all(|b| b == b' ' || b.is_ascii_graphic())
    {
        return Err(ApiError::unprocessable(
            "invalid_token_name",
            format!(
                "a token's name is printable ASCII, not blank, at most {MAX_TOKEN_NAME} characters"
            ),
        ));
    }
    let grant = match (&req.account, &req.role) {
        (Some(username), None) => Grant::Account(username.clone()),
        (None, Some(role)) => Grant::Machine(
            Role::parse(role).map_err(|e| ApiError::unprocessable("invalid_role", e))?,
        ),
        (Some(_), Some(_)) | (None, None) => {
            return Err(ApiError::unprocessable(
                "invalid_token_request",
                "give 'role' (an administrator issues 'monitor' tokens), not 'account'",
            ));
        }
    };
    let issued = crate::tokens::issue(
        &ctx.store,
        ctx.clock.now(),
        &ctx.config.file.tokens.policy(),
        &Issuer::AdminToken(admin.0),
        &TokenRequest {
            name: req.name,
            grant,
            lifetime_days: req.lifetime_days,
        },
    )
    .await
    .map_err(issue_error)?;
    let t = &issued.token;
    Ok((
        StatusCode::CREATED,
        Json(IssuedBody {
            id: t.id,
            name: &t.name,
            role: t.role.as_str(),
            account: &t.account,
            expires_at: t.expires_at.to_string(),
            token: issued.secret.reveal(),
        }),
    )
        .into_response())
}

/// `GET /api/v1/tokens?offset=&limit=` (administrator): every token (live, expired and
/// revoked), never their text.
pub async fn list_tokens(
    State(ctx): State<Arc<NodeContext>>,
    _admin: Admin,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let paged = ctx
        .store
        .api_tokens(page(&q)?)
        .await
        .map_err(|e| ApiError::store("listing tokens", &e))?;
    let now = ctx.clock.now();
    Ok(Json(json!({
        "items": paged.items.iter().map(|t| crate::tokens::view(t, now)).collect::<Vec<_>>(),
        "next": paged.next.map(|p| json!({ "offset": p.offset, "limit": p.limit })),
    })))
}

/// `POST /api/v1/tokens/{id}/revoke` (administrator): revokes any token, at once (audited).
pub async fn revoke_token(
    State(ctx): State<Arc<NodeContext>>,
    admin: Admin,
    ApiPath(id): ApiPath<String>,
) -> Result<Json<Value>, ApiError> {
    let id: u64 = id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_token",
            "a token id is a whole number (see GET /api/v1/tokens)",
        )
    })?;
    let now = ctx.clock.now();
    let t = crate::tokens::revoke(
        &ctx.store,
        now,
        &crate::tokens::Issuer::AdminToken(admin.0),
        id,
    )
    .await
    .map_err(issue_error)?;
    Ok(Json(crate::tokens::view(&t, now)))
}

//! `GET /cases/{ticket}/messages/{message_id}/pdf?lang=en|fr`: any message of one of this
//! node's cases (a request, or a reply of any type) rendered as a PDF in English or French by
//! `cp247-render`. The ticket and its messages are read scoped to this node's Party in the
//! query; the download is audited as an export.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cp247_case::MessageKind;
use cp247_domain::{MessageId, TicketId};
use cp247_forms::Node;
use cp247_i18n::Lang;
use cp247_render::generic::{MessageHead, message_view};
use cp247_render::{DocumentView, Row, Value};
use cp247_store::{Actor, StoredMessage};
use serde::Deserialize;
use serde_json::json;

use super::pages::{message_page, our_zone, shown_time};
use super::session::{CaseWorker, Person, WebRefusal};
use crate::node::NodeContext;

/// The language asked for.
#[derive(Debug, Deserialize)]
pub struct PdfQuery {
    /// `en` or `fr` (default: the viewer's language).
    #[serde(default)]
    pub lang: Option<String>,
}

fn not_found(p: &Person) -> Response {
    message_page(
        StatusCode::NOT_FOUND,
        p.lang,
        "web-message-not-found-title",
        "web-message-not-found-text",
    )
}

/// Why a message could not be rendered.
#[derive(Debug, thiserror::Error)]
enum PdfFailure {
    #[error("the stored payload is not readable: {0}")]
    Payload(String),
    #[error("the stored request document is not valid")]
    Document,
    #[error(transparent)]
    Render(#[from] cp247_render::RenderError),
}

/// The rendered message: PDF bytes.
fn render(
    ctx_zone: &jiff::tz::TimeZone,
    m: &StoredMessage,
    lang: Lang,
) -> Result<Vec<u8>, PdfFailure> {
    let payload = Node::from_json(m.payload_json.as_bytes())
        .map_err(|e| PdfFailure::Payload(e.to_string()))?;
    let body = payload
        .get("body")
        .ok_or_else(|| PdfFailure::Payload("no body".into()))?;
    let t = |k: &str| cp247_i18n::text(lang, k);
    let kind = MessageKind::from_name(m.message_type.as_str());
    let kind_label = kind.map_or_else(|| m.message_type.as_str().to_owned(), |k| k.label(lang));
    let meta = vec![
        Row::new(t("web-pdf-ticket"), Value::Text(m.ticket.to_string())),
        Row::new(t("web-pdf-message"), Value::Text(m.id.to_string())),
        Row::new(t("web-pdf-kind"), Value::Text(kind_label.clone())),
        Row::new(t("web-pdf-from"), Value::Text(m.sender.to_string())),
        Row::new(t("web-pdf-to"), Value::Text(m.recipient.to_string())),
        Row::new(
            t("web-pdf-written-at"),
            Value::Text(shown_time(m.written_at.timestamp(), ctx_zone)),
        ),
        Row::new(t("web-pdf-sha256"), Value::Text(m.sealed_sha256.clone())),
    ];
    let date = m
        .written_at
        .timestamp()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let is_request = kind.is_some_and(MessageKind::is_request);
    let view: DocumentView = if is_request {
        let parsed = cp247_forms::decode(body);
        let doc = parsed.document.ok_or(PdfFailure::Document)?;
        let mut view = cp247_render::view(&doc, lang);
        view.meta.extend(meta);
        view
    } else {
        let ordered = in_example_order(kind, body);
        message_view(
            MessageHead {
                title: kind_label.clone(),
                meta,
                running_head: format!("{kind_label} — {}", m.ticket),
            },
            &ordered,
            lang,
        )
    };
    Ok(cp247_render::render_view_pdf(&view, date)?)
}

/// The stored body is canonical JSON, whose keys are sorted; the reply's own order (that of
/// its example in `cp247-case`) reads better. Members the example lacks keep their place at
/// the end.
fn in_example_order(kind: Option<MessageKind>, body: &Node) -> Node {
    let example = kind
        .and_then(cp247_case::reply::examples::json)
        .and_then(|j| Node::from_json(j.as_bytes()).ok());
    match (example, body) {
        (Some(Node::Object(order)), Node::Object(entries)) => {
            let rank = |k: &str| order.iter().position(|(o, _)| o == k).unwrap_or(usize::MAX);
            let mut sorted = entries.clone();
            sorted.sort_by_key(|(k, _)| rank(k.as_str()));
            Node::Object(sorted)
        }
        _ => body.clone(),
    }
}

/// `GET /cases/{ticket}/messages/{message_id}/pdf?lang=en|fr` (officers and supervisors).
pub async fn message_pdf(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Path((ticket, message)): Path<(String, String)>,
    query: Result<Query<PdfQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebRefusal> {
    let lang = match query {
        Ok(Query(PdfQuery { lang: None })) => p.lang,
        Ok(Query(PdfQuery { lang: Some(l) })) => match l.parse::<Lang>() {
            Ok(l) => l,
            Err(_) => {
                return Ok(message_page(
                    StatusCode::BAD_REQUEST,
                    p.lang,
                    "web-bad-request-title",
                    "web-bad-language",
                ));
            }
        },
        Err(_) => {
            return Ok(message_page(
                StatusCode::BAD_REQUEST,
                p.lang,
                "web-bad-request-title",
                "web-bad-language",
            ));
        }
    };
    let (Ok(ticket), Ok(message)) = (TicketId::parse(&ticket), MessageId::parse(&message)) else {
        return Ok(not_found(&p));
    };
    let m = match ctx.work.message(&ticket, &message).await {
        Ok(m) => m,
        Err(e) if e.kind() == cp247_casework::ErrorKind::NotFound => return Ok(not_found(&p)),
        Err(_) => return Err(WebRefusal::Unavailable),
    };
    let zone = our_zone(&ctx);
    let message_type = m.message_type.as_str().to_owned();
    // Typesetting takes tens of milliseconds of CPU: off the async workers.
    let rendered = tokio::task::spawn_blocking(move || render(&zone, &m, lang))
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    let bytes = match rendered {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, %message, "a message could not be rendered as PDF");
            return Err(WebRefusal::Unavailable);
        }
    };
    let actor = Actor::user(&p.account.username).map_err(|_| WebRefusal::Unavailable)?;
    ctx.work
        .record_export(
            actor,
            &ticket,
            json!({
                "message_id": message.to_string(),
                "message_type": message_type,
                "format": "pdf",
                "lang": lang.code(),
            }),
        )
        .await
        .map_err(|_| WebRefusal::Unavailable)?;
    let filename = format!("{ticket}-{message}-{}.pdf", lang.code());
    let mut r = (StatusCode::OK, bytes).into_response();
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(r)
}

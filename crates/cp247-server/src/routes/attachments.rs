//! Attachments in the officer API: the `attachments` of `POST /api/v1/requests` and `POST
//! /api/v1/cases/{ticket}/replies` (`[{file_name, media_type, content_base64}]`), checked
//! against the node's limits before anything is decoded; and
//! `GET /api/v1/tickets/{ticket}/messages/{message_id}/attachments/{index}`, which returns a
//! file of one of the node's own tickets as a download (audited as an export).

use std::fmt;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use base64::Engine as _;
use cp247_domain::{MessageId, TicketId};
use cp247_i18n::Lang;
use cp247_seal::{
    Attachment, AttachmentError, AttachmentLimits, FileName, MediaType, base64_decoded_len,
    decode_base64,
};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, NewAttachment, StoreError, Viewer,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::Officer;
use crate::error::ApiError;
use crate::node::NodeContext;

/// One file of a request or reply body. `Debug` shows neither the name nor the content.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    /// The file's name (no folders).
    pub file_name: String,
    /// Its media type, `type/subtype` (compared in lower case).
    pub media_type: String,
    /// The bytes, standard base64 with padding.
    pub content_base64: String,
}

impl fmt::Debug for AttachmentInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AttachmentInput(<{} base64 characters>)",
            self.content_base64.len()
        )
    }
}

/// The text of a problem in `lang`, from the catalogue (`attachment.ftl`).
fn problem_text(e: &AttachmentError, lang: Lang) -> String {
    let path = e.path();
    let (key, count, size, max) = match e {
        AttachmentError::TooMany { count, limit } => (
            "attachment-problem-too-many-attachments".to_owned(),
            count.to_string(),
            String::new(),
            limit.to_string(),
        ),
        AttachmentError::FileTooLarge { size, limit, .. } => (
            "attachment-problem-attachment-too-large".to_owned(),
            String::new(),
            size.to_string(),
            limit.to_string(),
        ),
        AttachmentError::TotalTooLarge { total, limit } => (
            "attachment-problem-attachments-too-large".to_owned(),
            String::new(),
            total.to_string(),
            limit.to_string(),
        ),
        AttachmentError::FileName { reason, .. } => (
            format!("attachment-problem-file-name-{}", reason.key()),
            String::new(),
            String::new(),
            String::new(),
        ),
        AttachmentError::MediaType { .. } => (
            "attachment-problem-invalid-media-type".to_owned(),
            String::new(),
            String::new(),
            String::new(),
        ),
        // The API takes only the content: size and hash are computed, never mismatched.
        AttachmentError::Base64 { .. }
        | AttachmentError::SizeMismatch { .. }
        | AttachmentError::InvalidHash { .. }
        | AttachmentError::HashMismatch { .. } => (
            "attachment-problem-invalid-base64".to_owned(),
            String::new(),
            String::new(),
            String::new(),
        ),
    };
    cp247_i18n::text_args(
        lang,
        &key,
        &[
            ("path", path.as_str()),
            ("count", count.as_str()),
            ("size", size.as_str()),
            ("max", max.as_str()),
        ],
    )
}

/// A problem as the API shows it: code, field path, severity and the text in each language.
fn problem_json(e: &AttachmentError) -> Value {
    json!({
        "code": e.code(),
        "path": e.path(),
        "severity": "error",
        "message": { "en": problem_text(e, Lang::En), "fr": problem_text(e, Lang::Fr) },
    })
}

/// Checks and decodes the files of an API body against `limits`: first the count and the sizes
/// the base64 lengths give (nothing is decoded for a body over the limits: 413 with the
/// attachment's code), then every name, media type and base64 text (422
/// `invalid_attachment` with every problem). Nothing is sent while a problem remains.
pub fn parse(
    inputs: Vec<AttachmentInput>,
    limits: &AttachmentLimits,
) -> Result<Vec<Attachment>, ApiError> {
    let lengths: Vec<Option<u64>> = inputs
        .iter()
        .map(|a| base64_decoded_len(&a.content_base64))
        .collect();
    let sizes: Vec<u64> = lengths.iter().map(|n| n.unwrap_or(0)).collect();
    if let Err(e) = limits.check_sizes(&sizes) {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            e.code(),
            format!("{e}; nothing was sent"),
        )
        .with("problems", Value::Array(vec![problem_json(&e)])));
    }
    let mut problems: Vec<AttachmentError> = Vec::new();
    let mut out = Vec::with_capacity(inputs.len());
    for (index, (a, length)) in inputs.into_iter().zip(lengths).enumerate() {
        let name = FileName::parse(&a.file_name)
            .map_err(|reason| AttachmentError::FileName { index, reason });
        let media_type = MediaType::parse(&a.media_type.to_ascii_lowercase())
            .map_err(|reason| AttachmentError::MediaType { index, reason });
        let content = length
            .and_then(|_| decode_base64(&a.content_base64))
            .ok_or(AttachmentError::Base64 { index });
        match (name, media_type, content) {
            (Ok(name), Ok(media_type), Ok(content)) => {
                out.push(Attachment::new(name, media_type, content));
            }
            (name, media_type, content) => {
                problems.extend(name.err());
                problems.extend(media_type.err());
                problems.extend(content.err());
            }
        }
    }
    let Some(first) = problems.first() else {
        return Ok(out);
    };
    Err(ApiError::unprocessable(
        "invalid_attachment",
        format!(
            "the attachments have {} problem(s), the first at {}; nothing was sent",
            problems.len(),
            first.path()
        ),
    )
    .with(
        "problems",
        Value::Array(problems.iter().map(problem_json).collect()),
    ))
}

/// The files of a sealed payload as the store keeps them.
pub fn to_store(attachments: &[Attachment]) -> Vec<NewAttachment> {
    attachments
        .iter()
        .map(|a| NewAttachment {
            file_name: a.file_name().as_str().to_owned(),
            media_type: a.media_type().as_str().to_owned(),
            content: a.content().to_vec(),
        })
        .collect()
}

/// What the audit entry of a sent message says of its files: size and hash (a name may be
/// case plaintext).
pub fn audit_json(attachments: &[Attachment]) -> Value {
    Value::Array(
        attachments
            .iter()
            .map(|a| json!({ "size": a.size(), "sha256": a.sha256_hex() }))
            .collect(),
    )
}

/// How a message's files are listed in the ticket and case views (no bytes).
pub fn list_json(attachments: &[cp247_store::AttachmentInfo]) -> Value {
    Value::Array(
        attachments
            .iter()
            .map(|a| {
                json!({
                    "index": a.index,
                    "file_name": a.file_name,
                    "media_type": a.media_type,
                    "size": a.size,
                    "sha256": a.sha256,
                })
            })
            .collect(),
    )
}

/// Media types a browser shows without running anything; every other type (HTML, SVG, XML,
/// scripts, unknown) is served as `application/octet-stream`.
const SAFE_TYPES: [&str; 12] = [
    "application/pdf",
    "application/zip",
    "application/gzip",
    "application/json",
    "application/octet-stream",
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "text/plain",
    "text/csv",
    "application/vnd.tcpdump.pcap",
];

/// The `Content-Type` a download is served with.
pub fn safe_content_type(media_type: &str) -> &'static str {
    SAFE_TYPES
        .iter()
        .find(|t| **t == media_type)
        .copied()
        .unwrap_or("application/octet-stream")
}

/// `Content-Disposition: attachment` with an ASCII fallback name and the UTF-8 name
/// (RFC 6266, RFC 8187).
pub fn content_disposition(file_name: &str) -> String {
    let fallback: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';') || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in file_name.bytes() {
        if b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#' | b'$' | b'&' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            )
        {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// `GET /api/v1/tickets/{ticket}/messages/{message_id}/attachments/{index}`: the file's bytes
/// as a download, from a ticket of this node's own Party only; audited (`export`).
pub async fn download(
    State(ctx): State<Arc<NodeContext>>,
    officer: Officer,
    Path((ticket, message, index)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let ticket = TicketId::parse(&ticket)
        .map_err(|e| ApiError::bad_request("invalid_ticket_id", e.to_string()))?;
    let message = MessageId::parse(&message)
        .map_err(|e| ApiError::bad_request("invalid_message_id", e.to_string()))?;
    let index: u32 = index.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_attachment_index",
            "the attachment index is a whole number from 0",
        )
    })?;
    let file = ctx
        .store
        .attachment_for(Viewer::Local(ctx.me.party), &ticket, &message, index)
        .await
        .map_err(|e| match e {
            StoreError::NotFound { what: "ticket", .. } => {
                ApiError::ticket_not_found(ticket.as_str())
            }
            StoreError::NotFound { .. } => ApiError::new(
                StatusCode::NOT_FOUND,
                "attachment_not_found",
                format!("message {message} on ticket {ticket} has no attachment {index}"),
            ),
            StoreError::Conflict { .. } => ApiError::new(
                StatusCode::CONFLICT,
                "ambiguous_message",
                format!(
                    "two messages on ticket {ticket} have the id {message}; the sealed messages in the ticket view are the evidence"
                ),
            ),
            other => ApiError::store("reading an attachment", &other),
        })?;
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("auditing", &e))?;
    ctx.store
        .append_audit(&AuditRecord {
            actor,
            action: AuditAction::Export,
            ticket: Some(ticket.clone()),
            result: AuditResult::Ok,
            // The file name may be case plaintext: the hash identifies the file.
            details: json!({
                "what": "attachment",
                "message_id": message.to_string(),
                "direction": file.direction.as_str(),
                "index": index,
                "size": file.info.size,
                "sha256": file.info.sha256,
            }),
            at: ctx.clock.now(),
        })
        .await
        .map_err(|e| ApiError::store("auditing an export", &e))?;
    let digest = hex::decode(&file.info.sha256)
        .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
        .unwrap_or_default();
    let value = |text: String| {
        HeaderValue::from_str(&text).map_err(|e| ApiError::internal("writing a header", &e))
    };
    let mut response = Response::new(Body::from(file.content));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(safe_content_type(&file.info.media_type)),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        value(content_disposition(&file.info.file_name))?,
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    headers.insert(
        axum::http::HeaderName::from_static("repr-digest"),
        value(format!("sha-256=:{digest}:"))?,
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, media_type: &str, content_base64: &str) -> AttachmentInput {
        AttachmentInput {
            file_name: name.to_owned(),
            media_type: media_type.to_owned(),
            content_base64: content_base64.to_owned(),
        }
    }

    fn problems(e: &ApiError) -> Vec<(String, String)> {
        e.field("problems")
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    p["code"].as_str().unwrap().to_owned(),
                    p["path"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn good_files_are_decoded_and_hashed() {
        let files = parse(
            vec![
                input("capture.png", "Image/PNG", "iVBORw0KGgo="),
                input("vide.txt", "text/plain", ""),
            ],
            &AttachmentLimits::default(),
        )
        .unwrap();
        assert_eq!(files.len(), 2);
        assert_eq!(files[0].media_type().as_str(), "image/png");
        assert_eq!(files[0].content(), b"\x89PNG\r\n\x1a\n");
        assert_eq!(files[1].size(), 0);
    }

    #[test]
    fn limits_come_first_with_the_field_path() {
        let limits = AttachmentLimits {
            max_files: 3,
            max_file_bytes: 6,
            max_total_bytes: 9,
        };
        // attachments[2] is over the per-file limit; its base64 is never decoded.
        let e = parse(
            vec![
                input("a", "text/plain", "YWJj"),
                input("b", "text/plain", "YWJj"),
                input("c", "text/plain", "*not base64 but 12 bytes long*xx"),
            ],
            &limits,
        )
        .unwrap_err();
        assert_eq!(e.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(e.code(), "attachment_too_large");
        assert_eq!(
            problems(&e),
            vec![(
                "attachment_too_large".to_owned(),
                "attachments[2].content_base64".to_owned()
            )]
        );
        let e = parse(
            vec![
                input("a", "text/plain", "YWJjZGU="),
                input("b", "text/plain", "YWJjZGU="),
            ],
            &limits,
        )
        .unwrap_err();
        assert_eq!(e.code(), "attachments_too_large");
        let e = parse(vec![input("a", "text/plain", ""); 4], &limits).unwrap_err();
        assert_eq!(e.code(), "too_many_attachments");
        assert_eq!(problems(&e)[0].1, "attachments");
    }

    #[test]
    fn bad_names_types_and_base64_are_all_reported() {
        let e = parse(
            vec![
                input("../../etc/passwd", "text/plain", "YWJj"),
                input("ok.txt", "text/html; charset=utf-8", "YWJj"),
                input("ok.txt", "text/plain", "YW Jj"),
                input("ok.txt", "text/plain", "YR=="),
                input("facture\u{202E}fdp.exe", "application/pdf", "YWJj"),
            ],
            &AttachmentLimits::default(),
        )
        .unwrap_err();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.code(), "invalid_attachment");
        assert_eq!(
            problems(&e),
            vec![
                (
                    "invalid_file_name".to_owned(),
                    "attachments[0].file_name".to_owned()
                ),
                (
                    "invalid_media_type".to_owned(),
                    "attachments[1].media_type".to_owned()
                ),
                (
                    "invalid_base64".to_owned(),
                    "attachments[2].content_base64".to_owned()
                ),
                (
                    "invalid_base64".to_owned(),
                    "attachments[3].content_base64".to_owned()
                ),
                (
                    "invalid_file_name".to_owned(),
                    "attachments[4].file_name".to_owned()
                ),
            ]
        );
        for p in e.field("problems").unwrap().as_array().unwrap() {
            for lang in ["en", "fr"] {
                let text = p["message"][lang].as_str().unwrap();
                assert!(!text.contains('⟦'), "{text}");
                assert!(text.contains(p["path"].as_str().unwrap()), "{text}");
            }
            // The name is never quoted back.
            assert!(!p.to_string().contains("passwd"));
        }
    }

    #[test]
    fn downloads_never_render_active_content() {
        for (given, served) in [
            ("application/pdf", "application/pdf"),
            ("image/png", "image/png"),
            ("text/html", "application/octet-stream"),
            ("image/svg+xml", "application/octet-stream"),
            ("application/xhtml+xml", "application/octet-stream"),
            ("text/javascript", "application/octet-stream"),
            ("application/x-unknown", "application/octet-stream"),
        ] {
            assert_eq!(safe_content_type(given), served, "{given}");
        }
        assert_eq!(
            content_disposition("capture écran \"1\".png"),
            "attachment; filename=\"capture _cran _1_.png\"; filename*=UTF-8''capture%20%C3%A9cran%20%221%22.png"
        );
    }
}

//! Attachments in the officer API: the `attachments` of `POST /api/v1/requests` and `POST
//! /api/v1/cases/{ticket}/replies` (`[{file_name, media_type, content_base64}]`) are checked
//! by case work (`cp247_casework::attachments`) against the node's limits before anything is
//! decoded; and
//! `GET /api/v1/tickets/{ticket}/messages/{message_id}/attachments/{index}`, which returns a
//! file of one of the node's own tickets as a download (audited as an export).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use base64::Engine as _;
use cp247_domain::{MessageId, TicketId};
use cp247_store::Actor;
use serde_json::{Value, json};

use crate::auth::Officer;
use crate::error::ApiError;
use crate::node::NodeContext;
use crate::routes::extract::ApiPath;

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
    ApiPath((ticket, message, index)): ApiPath<(String, String, String)>,
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
    let actor = Actor::token(officer.name()).map_err(|e| ApiError::store("auditing", &e))?;
    let file = ctx
        .work
        .export_attachment(&ticket, &message, index, actor)
        .await?;
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
    use axum::http::StatusCode;
    use cp247_casework::attachments::{Attachment, AttachmentLimits, FileInput};

    /// The API's answer for files: case work's checks, mapped as every handler maps them.
    fn parse(
        inputs: Vec<FileInput>,
        limits: &AttachmentLimits,
    ) -> Result<Vec<Attachment>, ApiError> {
        cp247_casework::attachments::parse(inputs, limits).map_err(ApiError::from)
    }

    fn input(name: &str, media_type: &str, content_base64: &str) -> FileInput {
        FileInput {
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

//! Files sent with a request or a reply (`[{file_name, media_type, content_base64}]` in the
//! API), checked against the node's limits before anything is decoded, and what the store and
//! the audit trail keep of them.

use std::fmt;

use cp247_i18n::Lang;
pub use cp247_seal::{Attachment, AttachmentLimits};
use cp247_seal::{AttachmentError, FileName, MediaType, base64_decoded_len, decode_base64};
use cp247_store::NewAttachment;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Error;

/// A problem of one file (or of the files together), with its field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentProblem(AttachmentError);

impl AttachmentProblem {
    /// The stable code (`attachment_too_large`, `invalid_file_name`, …).
    pub fn code(&self) -> &'static str {
        self.0.code()
    }

    /// The field path (`attachments[2].file_name`).
    pub fn path(&self) -> String {
        self.0.path()
    }

    /// What is wrong, in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        problem_text(&self.0, lang)
    }

    /// As the API shows it: code, field path, severity and the text in each language.
    pub fn json(&self) -> Value {
        json!({
            "code": self.code(),
            "path": self.path(),
            "severity": "error",
            "message": { "en": self.message(Lang::En), "fr": self.message(Lang::Fr) },
        })
    }
}

/// One file of a request or reply body. `Debug` shows neither the name nor the content.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInput {
    /// The file's name (no folders).
    pub file_name: String,
    /// Its media type, `type/subtype` (compared in lower case).
    pub media_type: String,
    /// The bytes, standard base64 with padding.
    pub content_base64: String,
}

impl fmt::Debug for FileInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FileInput(<{} base64 characters>)",
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

/// Checks and decodes the files of an API body against `limits`: first the count and the sizes
/// the base64 lengths give (nothing is decoded for a body over the limits: 413 with the
/// attachment's code), then every name, media type and base64 text (422
/// `invalid_attachment` with every problem). Nothing is sent while a problem remains.
pub fn parse(inputs: Vec<FileInput>, limits: &AttachmentLimits) -> Result<Vec<Attachment>, Error> {
    let lengths: Vec<Option<u64>> = inputs
        .iter()
        .map(|a| base64_decoded_len(&a.content_base64))
        .collect();
    let sizes: Vec<u64> = lengths.iter().map(|n| n.unwrap_or(0)).collect();
    if let Err(e) = limits.check_sizes(&sizes) {
        return Err(Error::Attachments {
            problems: vec![AttachmentProblem(e)],
            too_large: true,
        });
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
    if problems.is_empty() {
        return Ok(out);
    }
    Err(Error::Attachments {
        problems: problems.into_iter().map(AttachmentProblem).collect(),
        too_large: false,
    })
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

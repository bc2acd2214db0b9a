//! Assembling e-mail: a plain alert, and PGP/MIME (RFC 3156) messages whose inner entity is
//! signed by the node and encrypted to a certificate by `cp247-seal`.
//!
//! A PGP/MIME message is `multipart/encrypted; protocol="application/pgp-encrypted"` with two
//! parts: `application/pgp-encrypted` (`Version: 1`) and `application/octet-stream` (the
//! armored OpenPGP message). The real subject travels inside the encrypted entity (a
//! `protected-headers="v1"` header block, as mail clients display it); the outer subject is
//! generic, so that the mail relays see only who wrote to whom and when.

use std::time::SystemTime;

use cp247_seal::{Cert, NodeKey, SealError};
use jiff::Timestamp;
use lettre::Message;
use lettre::message::header::{ContentDisposition, ContentTransferEncoding, ContentType};
use lettre::message::{Attachment, MultiPart, SinglePart};

use crate::text::{MailAddress, Subject};

/// The outer subject of every encrypted message.
pub const ENCRYPTED_SUBJECT: &str = "[cp247] encrypted message";

/// Why a message could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// lettre refused the message (a header it cannot write).
    #[error("the e-mail could not be assembled: {0}")]
    Build(String),
    /// The OpenPGP step failed (the certificate is not usable now, or the entity is too big).
    #[error("the e-mail could not be encrypted: {0}")]
    Seal(#[from] SealError),
}

fn build_err(e: impl std::fmt::Display) -> MailError {
    MailError::Build(e.to_string())
}

/// A Message-ID unique to this message, in the sender's domain: `<cp247.KEY@DOMAIN>`, where KEY
/// is made of the characters of `key` that are allowed in a Message-ID.
pub fn message_id(key: &str, nonce: &str, from: &MailAddress) -> String {
    let clean: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '.'
            }
        })
        .take(120)
        .collect();
    format!("<cp247.{clean}.{nonce}@{}>", from.domain())
}

/// The Date header's instant (from the node's clock, never the system's).
fn system_time(at: Timestamp) -> SystemTime {
    std::time::Duration::try_from(at.as_duration())
        .ok()
        .and_then(|d| SystemTime::UNIX_EPOCH.checked_add(d))
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A plain-text e-mail (UTF-8, line ends as lettre writes them: CRLF).
pub fn plain(
    from: &MailAddress,
    to: &MailAddress,
    subject: &Subject,
    text: &str,
    message_id: String,
    at: Timestamp,
) -> Result<Message, MailError> {
    Message::builder()
        .from(from.mailbox().clone())
        .to(to.mailbox().clone())
        .subject(subject.as_str())
        .message_id(Some(message_id))
        .date(system_time(at))
        .user_agent(concat!("cp247/", env!("CARGO_PKG_VERSION")).to_owned())
        .singlepart(text_part(text))
        .map_err(build_err)
}

fn text_part(text: &str) -> SinglePart {
    SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .header(ContentTransferEncoding::QuotedPrintable)
        .body(text.replace("\r\n", "\n").replace('\n', "\r\n"))
}

/// The inner entity of an encrypted message: the protected subject and the body. `body` is a
/// formatted MIME part (headers, blank line, content) that becomes the entity's content.
fn protected_entity(subject: &Subject, body: &[u8]) -> Result<Vec<u8>, MailError> {
    // A multipart/mixed wrapper whose header block carries the protected subject
    // (draft-autocrypt-lamps-protected-headers); the one part inside is the real content.
    let boundary = format!("cp247-protected-{}", hex::encode(rand_bytes()));
    let mut out = Vec::with_capacity(body.len() + 512);
    out.extend_from_slice(
        format!(
            "Content-Type: multipart/mixed; boundary=\"{boundary}\"; protected-headers=\"v1\"\r\n\
             Subject: {}\r\n\
             \r\n\
             --{boundary}\r\n",
            encoded_word(subject.as_str())
        )
        .as_bytes(),
    );
    out.extend_from_slice(body);
    if !body.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Ok(out)
}

/// The subject as a header value: as it is when ASCII, else an RFC 2047 encoded word.
fn encoded_word(text: &str) -> String {
    use base64::Engine as _;
    if text.is_ascii() {
        text.to_owned()
    } else {
        format!(
            "=?utf-8?b?{}?=",
            base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
        )
    }
}

fn rand_bytes() -> [u8; 12] {
    // The boundary only has to be absent from the body; the content is base64/QP so it never
    // contains a line starting with "--cp247-protected-"; random bytes make it unique anyway.
    let id = uuid::Uuid::new_v4();
    let mut out = [0u8; 12];
    out.copy_from_slice(&id.as_bytes()[..12]);
    out
}

/// Wraps an armored OpenPGP message as RFC 3156 `multipart/encrypted`.
fn encrypted_message(
    from: &MailAddress,
    to: &MailAddress,
    armored: String,
    message_id: String,
    at: Timestamp,
) -> Result<Message, MailError> {
    let control = SinglePart::builder()
        .header(ContentType::parse("application/pgp-encrypted").map_err(build_err)?)
        .header(ContentDisposition::attachment("version.txt"))
        .body(String::from("Version: 1\r\n"));
    let data = SinglePart::builder()
        .header(
            ContentType::parse("application/octet-stream; name=\"encrypted.asc\"")
                .map_err(build_err)?,
        )
        .header(ContentDisposition::inline_with_name("encrypted.asc"))
        .header(ContentTransferEncoding::SevenBit)
        .body(armored.replace("\r\n", "\n").replace('\n', "\r\n"));
    Message::builder()
        .from(from.mailbox().clone())
        .to(to.mailbox().clone())
        .subject(ENCRYPTED_SUBJECT)
        .message_id(Some(message_id))
        .date(system_time(at))
        .user_agent(concat!("cp247/", env!("CARGO_PKG_VERSION")).to_owned())
        .multipart(
            MultiPart::encrypted("application/pgp-encrypted".to_owned())
                .singlepart(control)
                .singlepart(data),
        )
        .map_err(build_err)
}

/// A plain-text message, signed by `key` and encrypted to `cert` (and to the node), as
/// PGP/MIME. The subject is protected (inside the encryption).
#[allow(clippy::too_many_arguments)]
pub fn encrypted_text(
    from: &MailAddress,
    to: &MailAddress,
    subject: &Subject,
    text: &str,
    message_id: String,
    key: &NodeKey,
    cert: &Cert,
    at: Timestamp,
) -> Result<Message, MailError> {
    let inner = protected_entity(subject, &text_part(text).formatted())?;
    let armored = cp247_seal::seal_mime_entity(&inner, key, cert, at)?;
    encrypted_message(from, to, armored, message_id, at)
}

/// A file carried inside an encrypted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enclosure {
    /// The file name (ASCII letters, digits, `.-_` only).
    pub file_name: String,
    /// Its MIME type (`application/json`).
    pub content_type: String,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A message with a text part and files, signed by `key` and encrypted to `cert` (and to the
/// node), as PGP/MIME: the e-mail channel to contact points without a node.
#[allow(clippy::too_many_arguments)]
pub fn encrypted_with_files(
    from: &MailAddress,
    to: &MailAddress,
    subject: &Subject,
    text: &str,
    files: &[Enclosure],
    message_id: String,
    key: &NodeKey,
    cert: &Cert,
    at: Timestamp,
) -> Result<Message, MailError> {
    let mut mixed = MultiPart::mixed().singlepart(text_part(text));
    for file in files {
        let name: String = file
            .file_name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .take(80)
            .collect();
        let name = if name.is_empty() {
            "file.bin".into()
        } else {
            name
        };
        let content_type = ContentType::parse(&file.content_type).map_err(build_err)?;
        mixed = mixed.singlepart(Attachment::new(name).body(file.bytes.clone(), content_type));
    }
    let inner = protected_entity(subject, &mixed.formatted())?;
    let armored = cp247_seal::seal_mime_entity(&inner, key, cert, at)?;
    encrypted_message(from, to, armored, message_id, at)
}

//! The plaintext of a sealed message: a header, an opaque body and optional attachments, as
//! canonical JSON.

use std::fmt;

use crate::attachment::{Attachment, AttachmentError, AttachmentLimits, WireAttachment};

use cp247_domain::protocol::{Format, ProtocolLevel, UnreadableVersion, check_marker};
use cp247_domain::{Address, Instant, MessageId, TicketId, Urgency};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The largest payload (canonical JSON) without attachments cp247 seals or opens by default:
/// 8 MiB. Attachments add their own allowance ([`AttachmentLimits::payload_allowance`]).
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 8 * 1024 * 1024;

/// The format marker written in every payload, so a later format can be told apart. Every
/// protocol level reads this version and no other yet ([`cp247_domain::protocol::LEVELS`]); a
/// later version is refused with [`PayloadError::UnsupportedVersion`].
pub const PAYLOAD_FORMAT: &str = "cp247-envelope/1";

/// Why a text is not a [`MessageType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{0}' is not a message type: expected 1 to 64 characters a-z, 0-9 and _, starting with a letter (e.g. preservation_request)"
)]
pub struct MessageTypeError(String);

/// The kind of a message, a snake_case name such as `preservation_request` or
/// `acknowledgement`. The seal layer checks only the form; the meaning belongs to the forms and
/// federation crates.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageType(String);

impl MessageType {
    /// Parses a snake_case name.
    pub fn parse(text: &str) -> Result<Self, MessageTypeError> {
        let ok = (1..=64).contains(&text.len())
            && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(MessageTypeError(text.chars().take(80).collect()))
        }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for MessageType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageType({})", self.0)
    }
}

impl Serialize for MessageType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for MessageType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A Traffic Light Protocol marking (FIRST TLP 2.0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TlpMarking {
    /// Disclosure is not limited.
    #[serde(rename = "TLP:CLEAR")]
    Clear,
    /// Limited to the community.
    #[serde(rename = "TLP:GREEN")]
    Green,
    /// Limited to the recipient's organisation and its clients on a need-to-know basis.
    #[serde(rename = "TLP:AMBER")]
    Amber,
    /// Limited to the recipient's organisation only.
    #[serde(rename = "TLP:AMBER+STRICT")]
    AmberStrict,
    /// For the eyes and ears of the individual recipients only.
    #[serde(rename = "TLP:RED")]
    Red,
}

/// How the message must be handled (fields.md §10.2 `request_confidential`, `handling_marking`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Handling {
    /// Keep the fact and subject of the request confidential (Budapest Convention Art. 27(8)).
    pub confidential: bool,
    /// An optional TLP marking.
    pub marking: Option<TlpMarking>,
}

/// The header of a sealed message. The sender and created_at are claims until
/// [`crate::Unverified::verify`] has checked them against the signature and the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// The message's id (UUIDv7); with the sender, the key of the receiver's de-duplication.
    pub message_id: MessageId,
    /// The ticket (case) the message belongs to.
    pub ticket: TicketId,
    /// The kind of message.
    pub message_type: MessageType,
    /// The sending contact point.
    pub sender: Address,
    /// The receiving contact point.
    pub recipient: Address,
    /// When the sender created the message.
    pub created_at: Instant,
    /// How urgent it is.
    pub urgency: Urgency,
    /// Confidentiality and marking.
    pub handling: Handling,
}

/// Header, body and attachments. `Debug` never shows the body or the files (case plaintext).
#[derive(Clone, PartialEq)]
pub struct Payload {
    /// The header.
    pub header: Header,
    /// A forms document or a reply; opaque to the seal layer.
    pub body: Value,
    /// Files carried with the body (screenshots, logs, the data package of an execution), in
    /// order; empty for most messages.
    pub attachments: Vec<Attachment>,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("header", &self.header)
            .field("body", &"<redacted>")
            .field("attachments", &self.attachments)
            .finish()
    }
}

/// Why bytes are not a canonical payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// Larger than allowed.
    #[error("the payload is {actual} bytes; at most {limit} are accepted")]
    TooLarge {
        /// Its size.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON, or not the payload's shape.
    #[error("the payload is not a cp247 payload: {0}")]
    Invalid(String),
    /// Valid JSON but not in canonical form (sorted keys, no whitespace, no duplicates).
    #[error(
        "the payload is not canonical JSON (keys sorted, no whitespace, no duplicate keys, format {PAYLOAD_FORMAT})"
    )]
    NotCanonical,
    /// The attachments are over the limits, malformed, or do not match their size or hash.
    #[error("the payload's attachments are refused: {0}")]
    Attachment(#[from] AttachmentError),
    /// A later version of the envelope format, which this build does not read (its fields
    /// are not examined).
    #[error(transparent)]
    UnsupportedVersion(UnreadableVersion),
}

/// The `format` member alone, whatever else the JSON holds: read only when a payload or
/// receipt does not parse, to tell a later version from a broken document.
#[derive(Deserialize)]
pub(crate) struct FormatOnly {
    format: Option<String>,
}

/// The version error for `bytes` whose format marker names a version of `format` that
/// `level` does not read, if it does; `None` when the marker is absent, not of this format, or
/// a version that is read (then the document's own error stands).
pub(crate) fn unreadable_version(
    bytes: &[u8],
    format: Format,
    level: ProtocolLevel,
) -> Option<UnreadableVersion> {
    let marker = serde_json::from_slice::<FormatOnly>(bytes).ok()?.format?;
    check_marker(format, &marker, level).err().flatten()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    attachments: Option<Vec<WireAttachment>>,
    format: String,
    header: Header,
    body: Value,
}

impl Payload {
    /// The canonical JSON form: UTF-8, object keys sorted by byte order, no insignificant
    /// whitespace. This is exactly what is signed.
    /// The `attachments` array is written only when there are attachments.
    pub fn canonical_json(&self) -> Vec<u8> {
        self.canonical(true)
    }

    /// The canonical JSON of the header and body only, as if there were no attachments: what a
    /// node keeps as the message's readable payload, next to the attachments stored apart. For
    /// a message without attachments it is [`Payload::canonical_json`].
    pub fn canonical_json_without_attachments(&self) -> Vec<u8> {
        self.canonical(false)
    }

    fn canonical(&self, with_attachments: bool) -> Vec<u8> {
        // Header fields are all strings, booleans or nested objects: serialisation to a
        // Value cannot fail, and the body already is a Value.
        let header = serde_json::to_value(&self.header).unwrap_or(Value::Null);
        let mut map = serde_json::Map::new();
        if with_attachments && !self.attachments.is_empty() {
            map.insert(
                "attachments".into(),
                Value::Array(self.attachments.iter().map(Attachment::to_json).collect()),
            );
        }
        map.insert("body".into(), self.body.clone());
        map.insert("format".into(), Value::String(PAYLOAD_FORMAT.into()));
        map.insert("header".into(), header);
        let mut out = Vec::new();
        write_canonical(&Value::Object(map), &mut out);
        out
    }

    /// Parses the canonical JSON form, refusing anything larger than `limit` bytes, any
    /// unknown field, and any text that is not byte-for-byte canonical; attachments within the
    /// default [`AttachmentLimits`].
    pub fn from_canonical_json(bytes: &[u8], limit: usize) -> Result<Payload, PayloadError> {
        Self::from_canonical_json_with(bytes, limit, &AttachmentLimits::default())
    }

    /// [`Payload::from_canonical_json`] with the attachments bounded by `attachments`: the
    /// count and declared sizes are checked before any content is decoded, then each file's
    /// base64, size and SHA-256 ([`AttachmentError`]).
    pub fn from_canonical_json_with(
        bytes: &[u8],
        limit: usize,
        attachments: &AttachmentLimits,
    ) -> Result<Payload, PayloadError> {
        if bytes.len() > limit {
            return Err(PayloadError::TooLarge {
                actual: bytes.len(),
                limit,
            });
        }
        // A later version may add fields: its marker is looked at before its shape is
        // blamed, so the sender learns that the version is the problem.
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| {
            unreadable_version(bytes, Format::Envelope, ProtocolLevel::HIGHEST).map_or_else(
                || PayloadError::Invalid(e.to_string()),
                PayloadError::UnsupportedVersion,
            )
        })?;
        if let Err(Some(e)) = check_marker(Format::Envelope, &wire.format, ProtocolLevel::HIGHEST) {
            return Err(PayloadError::UnsupportedVersion(e));
        }
        if wire.format != PAYLOAD_FORMAT {
            return Err(PayloadError::Invalid(format!(
                "unknown format '{}', expected '{PAYLOAD_FORMAT}'",
                wire.format.chars().take(40).collect::<String>()
            )));
        }
        let attachments = match wire.attachments {
            // An empty array is not canonical: the key is omitted when there is no file.
            Some(list) if list.is_empty() => return Err(PayloadError::NotCanonical),
            Some(list) => crate::attachment::from_wire(list, attachments)?,
            None => Vec::new(),
        };
        let payload = Payload {
            header: wire.header,
            body: wire.body,
            attachments,
        };
        if payload.canonical_json() != bytes {
            return Err(PayloadError::NotCanonical);
        }
        Ok(payload)
    }
}

/// Writes `v` canonically: keys sorted by their UTF-8 bytes, no whitespace, strings escaped as
/// serde_json escapes them, numbers as serde_json prints them.
pub(crate) fn write_canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_string(k, out);
                out.push(b':');
                write_canonical(val, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        Value::String(s) => write_string(s, out),
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            out.extend_from_slice(v.to_string().as_bytes());
        }
    }
}

fn write_string(s: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(Value::String(s.to_owned()).to_string().as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use cp247_domain::{ContactPointRole, PartyCode};
    use proptest::prelude::*;
    use sha2::{Digest, Sha256};

    pub(crate) fn sample_header() -> Header {
        Header {
            message_id: MessageId::parse("01936f1e-8a2b-7c3d-9e4f-0123456789ab").unwrap(),
            ticket: TicketId::parse("FR-2026-7K3QZP").unwrap(),
            message_type: MessageType::parse("preservation_request").unwrap(),
            sender: Address::primary(PartyCode::parse("FR").unwrap()),
            recipient: Address {
                party: PartyCode::parse("MD").unwrap(),
                point: ContactPointRole::Alternate,
            },
            created_at: Instant::parse("2026-11-28T20:00:00+01:00").unwrap(),
            urgency: Urgency::Urgent,
            handling: Handling {
                confidential: true,
                marking: Some(TlpMarking::AmberStrict),
            },
        }
    }

    #[test]
    fn canonical_form_is_sorted_and_compact() {
        let p = Payload {
            header: sample_header(),
            body: serde_json::json!({"z": 1, "a": [true, null, "é\n"], "m": {"y": 2, "b": 1.5}}),
            attachments: Vec::new(),
        };
        let text = String::from_utf8(p.canonical_json()).unwrap();
        assert!(text.starts_with(r#"{"body":{"a":[true,null,"é\n"],"m":{"b":1.5,"y":2},"z":1},"format":"cp247-envelope/1","header":{"created_at":"2026-11-28T20:00:00+01:00","handling":{"confidential":true,"marking":"TLP:AMBER+STRICT"},"message_id":"#), "{text}");
        assert!(!text.contains(' '));
        let back =
            Payload::from_canonical_json(text.as_bytes(), DEFAULT_MAX_PAYLOAD_BYTES).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn refuses_non_canonical_unknown_and_oversized() {
        let p = Payload {
            header: sample_header(),
            body: serde_json::json!({"k": "v"}),
            attachments: Vec::new(),
        };
        let canon = p.canonical_json();
        let mut spaced = b" ".to_vec();
        spaced.extend_from_slice(&canon);
        assert_eq!(
            Payload::from_canonical_json(&spaced, 1 << 20),
            Err(PayloadError::NotCanonical)
        );
        let text = String::from_utf8(canon.clone()).unwrap();
        let dup = text.replacen(r#"{"k":"v"}"#, r#"{"k":"w","k":"v"}"#, 1);
        assert_eq!(
            Payload::from_canonical_json(dup.as_bytes(), 1 << 20),
            Err(PayloadError::NotCanonical)
        );
        let unknown = text.replacen(r#""format""#, r#""extra":1,"format""#, 1);
        assert!(matches!(
            Payload::from_canonical_json(unknown.as_bytes(), 1 << 20),
            Err(PayloadError::Invalid(_))
        ));
        let in_header = text.replacen(r#""urgency""#, r#""unknown":1,"urgency""#, 1);
        assert!(matches!(
            Payload::from_canonical_json(in_header.as_bytes(), 1 << 20),
            Err(PayloadError::Invalid(_))
        ));
        assert!(matches!(
            Payload::from_canonical_json(&canon, 10),
            Err(PayloadError::TooLarge { .. })
        ));
        let other = text.replacen("cp247-envelope/1", "cp247-other/1", 1);
        assert!(matches!(
            Payload::from_canonical_json(other.as_bytes(), 1 << 20),
            Err(PayloadError::Invalid(_))
        ));
    }

    /// A later envelope version is refused as such, even when it carries fields this build
    /// does not know (which would otherwise make it merely invalid).
    #[test]
    fn a_later_envelope_version_is_refused_with_its_own_error() {
        let p = Payload {
            header: sample_header(),
            body: serde_json::json!({"k": "v"}),
            attachments: Vec::new(),
        };
        let text = String::from_utf8(p.canonical_json()).unwrap();
        let later = text.replacen("cp247-envelope/1", "cp247-envelope/2", 1);
        let with_field = later.replacen(r#""urgency""#, r#""later_field":1,"urgency""#, 1);
        for bytes in [later, with_field] {
            match Payload::from_canonical_json(bytes.as_bytes(), 1 << 20) {
                Err(PayloadError::UnsupportedVersion(e)) => {
                    assert_eq!(e.marker, "cp247-envelope/2");
                    assert_eq!(e.highest, 1);
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn message_types() {
        for ok in [
            "acknowledgement",
            "preservation_request",
            "a",
            "art29_reply",
        ] {
            assert!(MessageType::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["", "Ack", "9lives", "a-b", "a b", &"x".repeat(65), "é"] {
            assert!(MessageType::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn debug_hides_the_body() {
        let p = Payload {
            header: sample_header(),
            body: serde_json::json!({"secret": "CANARY-PLAINTEXT"}),
            attachments: vec![attachment("CANARY-NAME.txt", b"CANARY-CONTENT")],
        };
        let shown = format!("{p:?}");
        assert!(!shown.contains("CANARY"), "{shown}");
    }

    fn attachment(name: &str, content: &[u8]) -> Attachment {
        Attachment::new(
            crate::attachment::FileName::parse(name).unwrap(),
            crate::attachment::MediaType::parse("application/octet-stream").unwrap(),
            content.to_vec(),
        )
    }

    fn with_files(files: Vec<Attachment>) -> Payload {
        Payload {
            header: sample_header(),
            body: serde_json::json!({"k": "v"}),
            attachments: files,
        }
    }

    #[test]
    fn no_attachments_leave_the_canonical_form_unchanged() {
        let p = with_files(Vec::new());
        let text = String::from_utf8(p.canonical_json()).unwrap();
        assert!(text.starts_with(r#"{"body":{"k":"v"},"format":"#), "{text}");
        assert!(!text.contains("attachments"));
        assert_eq!(p.canonical_json(), p.canonical_json_without_attachments());
        // An explicit empty array is another spelling of "none": not canonical.
        let empty = text.replacen(r#"{"body""#, r#"{"attachments":[],"body""#, 1);
        assert_eq!(
            Payload::from_canonical_json(empty.as_bytes(), 1 << 20),
            Err(PayloadError::NotCanonical)
        );
    }

    #[test]
    fn attachments_are_written_sorted_first_and_checked() {
        let p = with_files(vec![attachment("a.txt", b"hello")]);
        let text = String::from_utf8(p.canonical_json()).unwrap();
        let sha = hex::encode(Sha256::digest(b"hello"));
        assert!(
            text.starts_with(&format!(
                r#"{{"attachments":[{{"content_base64":"aGVsbG8=","file_name":"a.txt","media_type":"application/octet-stream","sha256":"{sha}","size":5}}],"body":"#
            )),
            "{text}"
        );
        let back = Payload::from_canonical_json(text.as_bytes(), 1 << 20).unwrap();
        assert_eq!(back, p);
        assert_eq!(
            p.canonical_json_without_attachments(),
            with_files(Vec::new()).canonical_json()
        );

        let refused =
            |edited: String| match Payload::from_canonical_json(edited.as_bytes(), 1 << 20) {
                Err(PayloadError::Attachment(e)) => e,
                other => panic!("{other:?}"),
            };
        // Other bytes with the same length: the hash no longer matches.
        let e = refused(text.replacen("aGVsbG8=", "aGVsbG0=", 1));
        assert_eq!(e, AttachmentError::HashMismatch { index: 0 });
        assert_eq!(e.path(), "attachments[0].sha256");
        let e = refused(text.replacen(r#""size":5"#, r#""size":6"#, 1));
        assert_eq!(e.code(), "attachment_size_mismatch");
        let e = refused(text.replacen("aGVsbG8=", "aGVs*G8=", 1));
        assert_eq!(e, AttachmentError::Base64 { index: 0 });
        assert_eq!(e.path(), "attachments[0].content_base64");
        let e = refused(text.replacen("a.txt", "../a.txt", 1));
        assert_eq!(e.code(), "invalid_file_name");
        assert_eq!(e.path(), "attachments[0].file_name");
        let e = refused(text.replacen("application/octet-stream", "text/html;x", 1));
        assert_eq!(e.code(), "invalid_media_type");
        let e = refused(text.replacen(&sha, &sha.to_uppercase(), 1));
        assert_eq!(e.code(), "invalid_attachment_hash");
        let unknown = text.replacen(
            r#""content_base64""#,
            r#""comment":"x","content_base64""#,
            1,
        );
        assert!(matches!(
            Payload::from_canonical_json(unknown.as_bytes(), 1 << 20),
            Err(PayloadError::Invalid(_))
        ));
    }

    #[test]
    fn limits_are_checked_on_declared_sizes_before_decoding() {
        let p = with_files(vec![
            attachment("a.bin", &[1; 10]),
            attachment("b.bin", &[2; 10]),
            attachment("c.bin", &[3; 10]),
        ]);
        let bytes = p.canonical_json();
        let limits = |files, per_file, total| AttachmentLimits {
            max_files: files,
            max_file_bytes: per_file,
            max_total_bytes: total,
        };
        let parse = |l: AttachmentLimits| Payload::from_canonical_json_with(&bytes, 1 << 20, &l);
        assert_eq!(parse(limits(3, 10, 30)).unwrap(), p);
        assert_eq!(
            parse(limits(2, 10, 30)),
            Err(PayloadError::Attachment(AttachmentError::TooMany {
                count: 3,
                limit: 2
            }))
        );
        assert_eq!(
            parse(limits(3, 9, 30)),
            Err(PayloadError::Attachment(AttachmentError::FileTooLarge {
                index: 0,
                size: 10,
                limit: 9
            }))
        );
        assert_eq!(
            parse(limits(3, 10, 29)),
            Err(PayloadError::Attachment(AttachmentError::TotalTooLarge {
                total: 30,
                limit: 29
            }))
        );
        // A declared size over the limit is refused even when the content is garbage: nothing
        // is decoded first.
        let text = String::from_utf8(bytes.clone()).unwrap();
        let lying = text.replacen(r#""size":10"#, r#""size":99999999999"#, 1);
        assert!(matches!(
            Payload::from_canonical_json_with(lying.as_bytes(), 1 << 20, &limits(3, 10, 30)),
            Err(PayloadError::Attachment(AttachmentError::FileTooLarge {
                index: 0,
                ..
            }))
        ));
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| Value::Number(n.into())),
            ".{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                prop::collection::btree_map(".{0,8}", inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn attachments_round_trip(
            files in prop::collection::vec(
                ("[a-zA-Z0-9é_-][a-zA-Z0-9 é_-]{0,20}\\.[a-z]{1,4}", prop::collection::vec(any::<u8>(), 0..600)),
                0..4,
            ),
        ) {
            let files: Vec<Attachment> =
                files.iter().map(|(name, bytes)| attachment(name, bytes)).collect();
            let p = with_files(files.clone());
            let bytes = p.canonical_json();
            let back = Payload::from_canonical_json(&bytes, DEFAULT_MAX_PAYLOAD_BYTES).unwrap();
            prop_assert_eq!(back.canonical_json(), bytes);
            for (got, sent) in back.attachments.iter().zip(&files) {
                prop_assert_eq!(got.content(), sent.content());
                prop_assert_eq!(got.sha256(), <[u8; 32]>::from(Sha256::digest(sent.content())));
                prop_assert_eq!(got.size(), sent.content().len() as u64);
            }
            prop_assert_eq!(back, p);
        }

        #[test]
        fn canonical_round_trip(body in json_value()) {
            let p = Payload { header: sample_header(), body, attachments: Vec::new() };
            let bytes = p.canonical_json();
            let back = Payload::from_canonical_json(&bytes, DEFAULT_MAX_PAYLOAD_BYTES).unwrap();
            prop_assert_eq!(back.canonical_json(), bytes);
            prop_assert_eq!(back, p);
        }
    }
}

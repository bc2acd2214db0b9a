//! The plaintext of a sealed message: a header and an opaque body, as canonical JSON.

use std::fmt;

use cp247_domain::{Address, Instant, MessageId, TicketId, Urgency};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// The largest payload (canonical JSON) cp247 seals or opens by default: 8 MiB.
pub const DEFAULT_MAX_PAYLOAD_BYTES: usize = 8 * 1024 * 1024;

/// The format marker written in every payload, so a later format can be told apart.
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

/// Header and body. `Debug` never shows the body (case plaintext).
#[derive(Clone, PartialEq)]
pub struct Payload {
    /// The header.
    pub header: Header,
    /// A forms document or a reply; opaque to the seal layer.
    pub body: Value,
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payload")
            .field("header", &self.header)
            .field("body", &"<redacted>")
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
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    header: Header,
    body: Value,
}

impl Payload {
    /// The canonical JSON form: UTF-8, object keys sorted by byte order, no insignificant
    /// whitespace. This is exactly what is signed.
    pub fn canonical_json(&self) -> Vec<u8> {
        // Header fields are all strings, booleans or nested objects: serialisation to a
        // Value cannot fail, and the body already is a Value.
        let header = serde_json::to_value(&self.header).unwrap_or(Value::Null);
        let mut map = serde_json::Map::new();
        map.insert("body".into(), self.body.clone());
        map.insert("format".into(), Value::String(PAYLOAD_FORMAT.into()));
        map.insert("header".into(), header);
        let mut out = Vec::new();
        write_canonical(&Value::Object(map), &mut out);
        out
    }

    /// Parses the canonical JSON form, refusing anything larger than `limit` bytes, any
    /// unknown field, and any text that is not byte-for-byte canonical.
    pub fn from_canonical_json(bytes: &[u8], limit: usize) -> Result<Payload, PayloadError> {
        if bytes.len() > limit {
            return Err(PayloadError::TooLarge {
                actual: bytes.len(),
                limit,
            });
        }
        let wire: Wire =
            serde_json::from_slice(bytes).map_err(|e| PayloadError::Invalid(e.to_string()))?;
        if wire.format != PAYLOAD_FORMAT {
            return Err(PayloadError::Invalid(format!(
                "unknown format '{}', expected '{PAYLOAD_FORMAT}'",
                wire.format.chars().take(40).collect::<String>()
            )));
        }
        let payload = Payload {
            header: wire.header,
            body: wire.body,
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
        let other = text.replacen("cp247-envelope/1", "cp247-envelope/9", 1);
        assert!(matches!(
            Payload::from_canonical_json(other.as_bytes(), 1 << 20),
            Err(PayloadError::Invalid(_))
        ));
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
        };
        assert!(!format!("{p:?}").contains("CANARY"));
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
        fn canonical_round_trip(body in json_value()) {
            let p = Payload { header: sample_header(), body };
            let bytes = p.canonical_json();
            let back = Payload::from_canonical_json(&bytes, DEFAULT_MAX_PAYLOAD_BYTES).unwrap();
            prop_assert_eq!(back.canonical_json(), bytes);
            prop_assert_eq!(back, p);
        }
    }
}

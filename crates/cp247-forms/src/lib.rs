//! cp247 request documents: the Art. 29 preservation request (with the Art. 30 ask), the
//! Art. 30 partial disclosure of traffic data, the Art. 31 subscriber information request and
//! the Art. 35 assistance request — typed model, decoding with a complete problem report, and
//! canonical JSON — and every reply on a case ([`reply`]: acknowledgement, refusal,
//! preservation confirmed, …, named by its [`MessageKind`]), read and written by the same
//! machinery, with the same conventions, codes ([`Code::REPLY`] for the rules only replies
//! have) and paths, as JSON and as XML (ADR 0023).
//!
//! # Representation conventions (JSON; XML follows the same tree)
//!
//! * **Top level.** One object: `{"kind": "art29" | "art30" | "art31" | "art35", …fields}`.
//!   Keys are the snake_case field names of the Rust structs in [`documents`] and [`shared`], in
//!   the same order. Unknown keys are errors; so are duplicate keys.
//! * **No blank field, ever.** Every key of the model is present. A mandatory field holds a real
//!   value. An optional field ([`Field`]) holds a value or
//!   `{"not_applicable": {"reason": "…"}}` or `{"unknown": {"reason": "…"}}`; some optional
//!   fields ([`Applicable`]) accept only `not_applicable`, because their author always knows.
//!   A [`Reason`] is a sentence: blank, "n/a", "-", "none", "unknown" or any single word is
//!   refused. A mandatory list ([`NonEmpty`]) has at least one element; an optional list is a
//!   non-empty array or `not_applicable`/`unknown` with a reason — never `[]`.
//! * **Fields that depend on another.** `request_status` is a plain string and the tickets it
//!   needs are sibling fields: Art. 29 `"request_status": "new" | "extension"` with
//!   `previous_ticket`; Art. 31 `"new" | "follow_up_mla" | "follow_up_preservation"` with
//!   `previous_mla` and `previous_preservation`. `urgency` (`routine`, `urgent`, `emergency`)
//!   has a sibling `urgency_justification`. In the typed model these pairs are single enums
//!   ([`PreservationStatus`], [`SubscriberRequestStatus`], [`UrgencyStatement`]), so an
//!   extension without its ticket, or an urgent request without a justification, cannot be
//!   built.
//! * **Scalars.** Dates are ISO 8601 calendar dates (`2026-02-20`). Instants are RFC 3339 with
//!   an explicit offset (`2026-02-20T13:28:00+01:00`); a bare local time is an error. Where an
//!   instant was observed (identifiers, traffic records) it is a [`DateTimeTz`] object:
//!   `{"instant", "zone" (IANA), "original_text" (verbatim, the only time text allowed without
//!   an offset), "source_clock"}`. Durations are `P<n>D`. Party codes are ISO 3166-1 alpha-2
//!   (GB, never UK); the organisation codes EU, INTERPOL, EUROPOL and EUROJUST are accepted only
//!   for an investigative authority. Enumerations are snake_case strings. Ports, months and AS
//!   numbers are JSON integers. Phones are E.164 (`+33140000000`), e-mail addresses
//!   `local@domain`, URLs absolute with a host, domains IDNA (either label form, kept as
//!   written).
//! * **Identifiers.** `{"kind", "value", "connection", "observed", "service", "note"}`: `value`
//!   is always a string, parsed according to `kind` (an `ipv4` value must be an IPv4 address);
//!   `connection` (`{"port", "protocol", "direction"}`) has a value only for IP addresses.
//! * **Paths.** Problems name fields as `data_items[1].identifiers[0].observed.start`
//!   (0-based indexes); the document itself is `(document)`. Paths are the same for JSON and
//!   XML input.
//!
//! # Decoding
//!
//! [`decode()`] walks the whole [`Node`] tree and collects every problem (wrong type, missing or
//! unknown field, blank text, placeholder reason, bad code or format, rule between fields)
//! with its [`Code`] and [`FieldPath`]; it builds the typed [`Document`] only when there is no
//! error. [`parse_json`] adds the input bounds: at most [`MAX_DOCUMENT_BYTES`] bytes and
//! [`MAX_DEPTH`] levels, refused with a [`FormsError`] (as is input that is not well-formed).
//! XML readers build a [`Node`] (scalars as [`Node::Text`]) and call [`decode()`], so the
//! rules and the paths are the same for both formats.
//!
//! [`encode`] is the inverse of [`decode()`]: `decode(&encode(&d))` gives back `d`, and
//! [`to_json_string`] writes canonical, indented JSON.
//!
//! # Examples, tests and decisions
//!
//! [`examples`] holds one complete, valid document per kind (one fictional case through all
//! four). The feature `strategies` exposes proptest strategies that generate valid documents
//! (`cp247_forms::strategies`, for the tests of this crate and of the crates that read or render
//! documents). `tests/corpus/` holds faulty documents, each with the exact codes and paths
//! expected (see its README). The design choices are recorded in
//! `docs/adr/0006-request-document-model-and-validation.md`.
#![warn(missing_docs)]

mod decode;
pub mod documents;
mod encode;
mod error;
pub mod examples;
pub mod field;
pub mod grounds;
pub mod kind;
pub mod node;
pub mod problem;
pub mod reply;
pub mod schemas;
pub mod shared;
#[cfg(feature = "strategies")]
pub mod strategies;
pub mod xml;

pub use decode::{MAX_LIST_ITEMS, Parsed, decode, parse_json};
pub use documents::{
    Art30Ground, AssistanceRequest, AssistanceType, Document, Kind, MlaIntention,
    PreservationRequest, PreservationStatus, SubscriberElement, SubscriberInfoRequest,
    SubscriberRequestStatus, TrafficDisclosure, UrgencyStatement, Withholding,
};
pub use encode::{encode, to_json_string};
pub use error::FormsError;
pub use field::{Applicable, Field, NonEmpty, Reason, ReasonError};
pub use grounds::{GroundKind, OffenceScope, RefusalGround};
pub use kind::{Article, MessageKind, Role};
pub use node::{MAX_DEPTH, MAX_DOCUMENT_BYTES, Node};
pub use problem::{Code, FieldPath, Problem, Report, Severity};
pub use reply::{Message, ParsedMessage, ParsedReply, Reply, ReplyContext};
pub use shared::DateTimeTz;

//! Every reply of fields.md §10.12 that concerns a Convention request, as a typed document.
//!
//! # Representation
//!
//! A reply is one JSON object (or the same tree from XML): `{"kind": "<message type>", …}`,
//! where the kind is the wire name of its [`MessageKind`] — the `message_type` of the envelope
//! header, which must agree. The conventions are those of request documents (see the
//! `cp247_forms` crate documentation): every key present, optional fields given as
//! `{"not_applicable": {"reason": "…"}}` or `{"unknown": {"reason": "…"}}`, reasons that are
//! sentences, instants with an explicit offset, snake_case enumerations, bounded lists,
//! problems reported with a stable code and a path such as `grounds[1].ground`.
//!
//! A refusal ground is written `{"ground": "essential_interests", "kind": "legal"}`: the kind
//! (`legal`, `impossibility`, `other`) is part of the message so that a reader never mistakes
//! "the data were deleted" for a legal refusal; it must be the ground's own kind.
//!
//! Per-item statuses and answers name items and questions by their number, starting at 1, in
//! the order of the request (`data_items` of Art. 29, `subscriber_targets` of Art. 31,
//! `identifiers` of Art. 35) or of the request for information.
//!
//! # Context
//!
//! Whether a reply is valid depends on the request it answers: which reply types exist for the
//! article, which refusal grounds the article allows (Art. 29(4) only for offences other than
//! those of Arts. 2–11), how many items the request has, how long a preservation it asked for.
//! [`ReplyContext::for_request`] derives this from the request document; the node keeps it
//! with the case (`cp247_case::Case::reply_context`).

mod decode;
mod encode;
pub mod examples;

use std::fmt;

use crate::shared::{
    Choice, Condition, DataCategory, LongText, ProviderRef, Sha256, Text, TicketRef,
};
use crate::{Applicable, Document, Field, FormsError, Node, NonEmpty, Reason, TrafficDisclosure};
use cp247_domain::{Channel, Instant, MessageId, Urgency};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::grounds::{OffenceScope, RefusalGround};
use crate::kind::{Article, MessageKind};
use crate::problem::Report;
use crate::shared::choice;

pub use decode::{
    decode_message, decode_reply, decode_reply_without_case, parse_message_json, parse_reply_json,
};
pub use encode::{encode_reply, to_json_string};

/// What a reply is checked against: facts of the request it answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyContext {
    /// The article of the request.
    pub article: Article,
    /// True when the request is an Art. 29 extension request.
    pub extension: bool,
    /// Whether the request's offences are all Convention offences (Art. 29(4)).
    pub offences: OffenceScope,
    /// How many items the request has (data items, subscriber targets or identifiers).
    pub items: u16,
    /// The preservation period the request asked for, in days.
    pub requested_period_days: Option<u32>,
}

impl ReplyContext {
    /// The context of replies to `doc`; `None` for an Art. 30 document, which is itself a
    /// reply.
    pub fn for_request(doc: &Document) -> Option<Self> {
        let count = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
        match doc {
            Document::Art29(d) => Some(Self {
                article: Article::Art29,
                extension: matches!(
                    d.request_status,
                    crate::PreservationStatus::Extension { .. }
                ),
                offences: OffenceScope::of(d.offences.iter()),
                items: count(d.data_items.len()),
                requested_period_days: d.requested_period.value().map(|p| p.days()),
            }),
            Document::Art30(_) => None,
            Document::Art31(d) => Some(Self {
                article: Article::Art31,
                extension: false,
                offences: OffenceScope::of(d.offences.iter()),
                items: count(d.subscriber_targets.len()),
                requested_period_days: None,
            }),
            Document::Art35(d) => Some(Self {
                article: Article::Art35,
                extension: false,
                offences: d
                    .offences
                    .value()
                    .map_or(OffenceScope::IncludesOtherOffences, |o| {
                        OffenceScope::of(o.iter())
                    }),
                items: d.identifiers.value().map_or(0, |ids| count(ids.len())),
                requested_period_days: None,
            }),
        }
    }
}

/// The result of reading a well-formed reply: the typed reply when there is no error, and
/// every problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedReply {
    /// The reply, present exactly when the report has no error.
    pub reply: Option<Reply>,
    /// Every problem, in document order.
    pub report: Report,
}

/// A request or a reply: the body of any case message.
#[derive(Debug, Clone, PartialEq, Eq)]
// A request document is about 1.5 KB; messages are decoded once and passed by reference.
#[allow(clippy::large_enum_variant)]
pub enum Message {
    /// A request, which opens a case.
    Request(Document),
    /// A reply on a case.
    Reply(Reply),
}

/// The result of reading a message body against its envelope's message type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedMessage {
    /// The kind named by the header.
    pub kind: MessageKind,
    /// The message, present exactly when the report has no error.
    pub message: Option<Message>,
    /// Every problem.
    pub report: Report,
}

/// Why a message body cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The header names no cp247 message type.
    #[error("'{0}' is not a cp247 message type (e.g. art29_request, acknowledgement, refused)")]
    UnknownType(String),
    /// A reply arrived for no known case: it cannot be checked, and only requests and
    /// escalation notices open a case.
    #[error("a {0} message answers a case, and no case is known for its ticket")]
    NeedsCase(MessageKind),
    /// The body is not a well-formed tree within the limits.
    #[error(transparent)]
    Unreadable(#[from] FormsError),
}

choice! {
    @serde
    /// What happened to one item of a preservation request (fields.md §10.13).
    PreservationItemStatus {
        /// Preserved entirely.
        Preserved = "preserved",
        /// Preserved in part (the note says what).
        PartiallyPreserved = "partially_preserved",
        /// No such data.
        NotFound = "not_found",
        /// Deleted before preservation.
        AlreadyDeleted = "already_deleted",
        /// Held outside the requested Party's jurisdiction.
        NotInJurisdiction = "not_in_jurisdiction",
        /// Preservation of this item is refused, on a ground Art. 29 allows.
        Refused = "refused",
    }
}

choice! {
    @serde
    /// Why preservation is risky (Art. 29(6)).
    RiskKind {
        /// Preservation will not ensure the future availability of the data.
        AvailabilityNotEnsured = "availability_not_ensured",
        /// It would threaten the confidentiality of the requester's investigation.
        ConfidentialityThreatened = "confidentiality_threatened",
        /// It would otherwise prejudice the requester's investigation.
        InvestigationPrejudiced = "investigation_prejudiced",
    }
}

choice! {
    @serde
    /// Why preserved data are released (fields.md §10.12).
    ReleaseReason {
        /// The requester no longer needs them.
        NoLongerNeeded = "no_longer_needed",
        /// The preservation period ended without extension or request for mutual assistance.
        Lapsed = "lapsed",
        /// The request for mutual assistance was executed.
        MlaExecuted = "mla_executed",
        /// The request for mutual assistance was refused.
        MlaRefused = "mla_refused",
    }
}

/// Why a text is not a [`MediaType`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a media type: write type/subtype, e.g. application/zip or text/csv")]
pub struct MediaTypeError;

/// The format of a delivered package: a media type `type/subtype` (RFC 6838 names, no
/// parameters), kept as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MediaType(String);

impl MediaType {
    /// Parses `type/subtype`.
    pub fn parse(text: &str) -> Result<Self, MediaTypeError> {
        let name_ok = |s: &str| {
            (1..=127).contains(&s.len())
                && s.starts_with(|c: char| c.is_ascii_alphanumeric())
                && s.bytes().all(|b| {
                    b.is_ascii_alphanumeric()
                        || matches!(
                            b,
                            b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+'
                        )
                })
        };
        match text.split_once('/') {
            Some((t, s)) if name_ok(t) && name_ok(s) => Ok(Self(text.to_owned())),
            _ => Err(MediaTypeError),
        }
    }

    /// The media type as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MediaType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A human acknowledgement of the request (Art. 25(3), 35).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acknowledgement {
    /// When the request was received.
    pub received_at: Instant,
    /// The requested Party's own reference.
    pub receiver_reference: Text,
    /// Who handles it.
    pub assigned_handler: Field<Text>,
    /// When the next step is expected.
    pub next_step_eta: Field<Instant>,
}

/// The request is incomplete or unclear (Art. 27(6)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestForInformation {
    /// The questions, numbered from 1 in this order.
    pub questions: NonEmpty<LongText>,
    /// True when work cannot go on until the answers come.
    pub blocking: bool,
    /// When the answers are needed.
    pub respond_by: Field<Instant>,
}

/// One answer to a request for information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The number of the question (from 1).
    pub question: u16,
    /// The answer.
    pub answer: LongText,
}

/// The answers to a request for information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InformationProvided {
    /// The answers (one per question number at most).
    pub answers: NonEmpty<Answer>,
    /// The request, corrected, when the answers change it.
    pub updated_request: Applicable<Document>,
}

/// A refusal ground, with its kind written next to it on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ground(pub RefusalGround);

/// The status of one item of a preservation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemStatus {
    /// The number of the item in the request (from 1).
    pub item: u16,
    /// What happened to it.
    pub status: PreservationItemStatus,
    /// The ground, for a refused item (and only then).
    pub ground: Applicable<Ground>,
    /// Details.
    pub note: Field<LongText>,
}

/// The data are preserved (Art. 29(3), (7)): the execution of a preservation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreservationConfirmed {
    /// When the data were preserved.
    pub preserved_at: Instant,
    /// Until when: at least 60 days after `preserved_at` (Art. 29(7)).
    pub preserved_until: Instant,
    /// The providers holding the data, with their references.
    pub providers: NonEmpty<ProviderRef>,
    /// The status of every item of the request.
    pub items: NonEmpty<ItemStatus>,
    /// Notes.
    pub notes: Field<LongText>,
    /// The Art. 30 disclosure made at the same time, if any.
    pub traffic_disclosure: Applicable<TrafficDisclosure>,
}

impl PreservationConfirmed {
    /// The shortest preservation Art. 29(7) allows, in days.
    pub const MIN_DAYS: i64 = 60;
    /// The longest preservation accepted, in days (ten years).
    pub const MAX_DAYS: i64 = 3650;
}

/// Preservation will not ensure availability or threatens the investigation (Art. 29(6)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreservationRiskNotice {
    /// Which risk.
    pub risk: RiskKind,
    /// Details.
    pub details: LongText,
    /// When the requester must decide.
    pub decision_needed_by: Instant,
}

/// The requester's decision after a risk notice (JSON `decision` and `modification`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Preserve anyway; `modification` is not applicable, for this reason.
    Proceed {
        /// Why there is no modification.
        no_modification: Reason,
    },
    /// Withdraw the request; `modification` is not applicable, for this reason.
    Withdraw {
        /// Why there is no modification.
        no_modification: Reason,
    },
    /// Change the request, as described.
    Modify {
        /// The change.
        modification: LongText,
    },
}

impl Decision {
    /// The wire name (`proceed`, `withdraw`, `modify`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Decision::Proceed { .. } => "proceed",
            Decision::Withdraw { .. } => "withdraw",
            Decision::Modify { .. } => "modify",
        }
    }

    /// The modification, or why there is none.
    pub fn modification(&self) -> Applicable<&LongText> {
        match self {
            Decision::Proceed { no_modification } | Decision::Withdraw { no_modification } => {
                Applicable::NotApplicable(no_modification.clone())
            }
            Decision::Modify { modification } => Applicable::Value(modification),
        }
    }
}

/// The requester's decision (Art. 29(6)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequesterDecision {
    /// The decision (JSON `decision` and, for `modify`, `modification`).
    pub decision: Decision,
    /// Why.
    pub explanation: Field<LongText>,
}

/// Art. 30 expedited disclosure of preserved traffic data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialTrafficDisclosure {
    /// The disclosure document (forms crate, kind `art30`).
    pub disclosure: TrafficDisclosure,
}

/// Delivery of the data that executes a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataDelivery {
    /// The package's id in the delivery channel.
    pub package_id: Text,
    /// SHA-256 of the package's bytes.
    pub sha256: Sha256,
    /// Its format.
    pub format: MediaType,
    /// Its size in bytes.
    pub size_bytes: u64,
    /// The categories of data it contains (no duplicates).
    pub categories: NonEmpty<DataCategory>,
    /// How the data were obtained and handled.
    pub chain_of_custody: Field<LongText>,
}

impl DataDelivery {
    /// The largest size accepted (2^53 − 1, exact in every JSON reader).
    pub const MAX_SIZE: u64 = (1 << 53) - 1;
}

/// The request is executed (Art. 27(7)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Executed {
    /// When.
    pub executed_at: Instant,
    /// The data delivered (mandatory for Art. 31).
    pub data_delivery: Applicable<DataDelivery>,
    /// The answer, for assistance that is information.
    pub answer: Applicable<LongText>,
    /// Conditions on the use of what is supplied (Art. 28).
    pub conditions: Field<NonEmpty<Condition>>,
}

/// A part of a request that was not executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotExecuted {
    /// The item (from 1), when the part is an item of the request.
    pub item: Applicable<u16>,
    /// Why: a ground the article allows.
    pub ground: Ground,
    /// Explanation.
    pub explanation: LongText,
}

/// Part of the request is executed (Art. 27(6)–(7)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartiallyExecuted {
    /// When.
    pub executed_at: Instant,
    /// The data delivered (mandatory for Art. 31).
    pub data_delivery: Applicable<DataDelivery>,
    /// The answer, for assistance that is information.
    pub answer: Applicable<LongText>,
    /// What was not executed, and why.
    pub not_executed: NonEmpty<NotExecuted>,
    /// Conditions (Art. 28).
    pub conditions: Field<NonEmpty<Condition>>,
}

/// The request is refused (Arts. 27(4), 29(4)–(5), 30(2)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The grounds (no duplicates), each allowed by the article.
    pub grounds: NonEmpty<Ground>,
    /// The reasons (Art. 27(7)).
    pub explanation: LongText,
    /// What the requester could do instead.
    pub alternatives: Field<LongText>,
}

/// Execution is postponed (Art. 27(5)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postponed {
    /// Why (prejudice to domestic proceedings).
    pub reason: LongText,
    /// When execution is expected.
    pub expected_date: Field<Date>,
}

/// Execution subject to conditions (Arts. 27(6), 28(2)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionsProposed {
    /// The conditions.
    pub conditions: NonEmpty<Condition>,
    /// Why.
    pub explanation: Field<LongText>,
}

/// The requester's answer to conditions (Art. 28(3)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConditionsResponse {
    /// The conditions are accepted and bind the requester.
    Accepted {
        /// A note, if any.
        note: Applicable<LongText>,
    },
    /// The requester cannot comply; the requested Party decides.
    CannotComply {
        /// Why.
        explanation: LongText,
    },
}

/// A significant delay is likely (Art. 27(7)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelayNotice {
    /// Why.
    pub reason: LongText,
    /// When the result is now expected.
    pub new_eta: Instant,
}

/// An extension request is granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionConfirmed {
    /// The end of the preservation before the extension.
    pub previous_preserved_until: Instant,
    /// The new end: later than the previous one.
    pub new_preserved_until: Instant,
}

/// The request for mutual assistance is submitted: the data stay preserved pending its
/// decision (Art. 29(7)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MlaSubmittedNotice {
    /// The request for mutual assistance.
    pub mla_ticket: TicketRef,
    /// When it was submitted.
    pub submitted_at: Instant,
    /// Through which channel.
    pub channel: Channel,
    /// The central authority it was submitted to or through.
    pub central_authority: Text,
}

/// The holder of the data warns that a preservation expires soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreservationExpiryWarning {
    /// When the warning was written.
    pub warned_at: Instant,
    /// When the preservation expires.
    pub expires_at: Instant,
    /// Whole days between the two.
    pub days_left: u32,
}

/// The preserved data are released.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreservationReleased {
    /// Why.
    pub reason: ReleaseReason,
    /// When.
    pub released_at: Instant,
    /// Details.
    pub explanation: Field<LongText>,
}

/// Forwarded to the competent authority (Art. 27(9)(c)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referred {
    /// The authority the request was forwarded to.
    pub referred_to: Text,
    /// When.
    pub referred_at: Instant,
    /// How to reach that authority.
    pub contact: Field<LongText>,
    /// Why.
    pub explanation: Field<LongText>,
}

/// The requester withdraws the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawn {
    /// Why.
    pub reason: LongText,
}

/// An urgent request was not acknowledged in time: the request again, for the other contact
/// point of the requested Party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationNotice {
    /// The message that carried the request to the first contact point.
    pub original_message: MessageId,
    /// When it was sent.
    pub original_sent_at: Instant,
    /// When a human acknowledgement was due.
    pub acknowledgement_due_at: Instant,
    /// When the requester escalated.
    pub escalated_at: Instant,
    /// The urgency (urgent or emergency).
    pub urgency: Urgency,
    /// The request itself, so the alternate contact point can act on it alone.
    pub request: Document,
}

/// A reply of any type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// See [`Acknowledgement`].
    Acknowledgement(Acknowledgement),
    /// See [`RequestForInformation`].
    RequestForInformation(RequestForInformation),
    /// See [`InformationProvided`].
    InformationProvided(Box<InformationProvided>),
    /// See [`PreservationConfirmed`].
    PreservationConfirmed(Box<PreservationConfirmed>),
    /// See [`PreservationRiskNotice`].
    PreservationRiskNotice(PreservationRiskNotice),
    /// See [`RequesterDecision`].
    RequesterDecision(RequesterDecision),
    /// See [`PartialTrafficDisclosure`].
    PartialTrafficDisclosure(Box<PartialTrafficDisclosure>),
    /// See [`Executed`].
    Executed(Executed),
    /// See [`PartiallyExecuted`].
    PartiallyExecuted(PartiallyExecuted),
    /// See [`Refused`].
    Refused(Refused),
    /// See [`Postponed`].
    Postponed(Postponed),
    /// See [`ConditionsProposed`].
    ConditionsProposed(ConditionsProposed),
    /// See [`ConditionsResponse`].
    ConditionsResponse(ConditionsResponse),
    /// See [`DelayNotice`].
    DelayNotice(DelayNotice),
    /// See [`ExtensionConfirmed`].
    ExtensionConfirmed(ExtensionConfirmed),
    /// See [`MlaSubmittedNotice`].
    MlaSubmittedNotice(MlaSubmittedNotice),
    /// See [`PreservationExpiryWarning`].
    PreservationExpiryWarning(PreservationExpiryWarning),
    /// See [`PreservationReleased`].
    PreservationReleased(PreservationReleased),
    /// See [`Referred`].
    Referred(Referred),
    /// See [`Withdrawn`].
    Withdrawn(Withdrawn),
    /// See [`EscalationNotice`].
    EscalationNotice(Box<EscalationNotice>),
}

impl Reply {
    /// The message kind (and so the wire name) of the reply.
    pub fn kind(&self) -> MessageKind {
        match self {
            Reply::Acknowledgement(_) => MessageKind::Acknowledgement,
            Reply::RequestForInformation(_) => MessageKind::RequestForInformation,
            Reply::InformationProvided(_) => MessageKind::InformationProvided,
            Reply::PreservationConfirmed(_) => MessageKind::PreservationConfirmed,
            Reply::PreservationRiskNotice(_) => MessageKind::PreservationRiskNotice,
            Reply::RequesterDecision(_) => MessageKind::RequesterDecision,
            Reply::PartialTrafficDisclosure(_) => MessageKind::PartialTrafficDisclosure,
            Reply::Executed(_) => MessageKind::Executed,
            Reply::PartiallyExecuted(_) => MessageKind::PartiallyExecuted,
            Reply::Refused(_) => MessageKind::Refused,
            Reply::Postponed(_) => MessageKind::Postponed,
            Reply::ConditionsProposed(_) => MessageKind::ConditionsProposed,
            Reply::ConditionsResponse(_) => MessageKind::ConditionsResponse,
            Reply::DelayNotice(_) => MessageKind::DelayNotice,
            Reply::ExtensionConfirmed(_) => MessageKind::ExtensionConfirmed,
            Reply::MlaSubmittedNotice(_) => MessageKind::MlaSubmittedNotice,
            Reply::PreservationExpiryWarning(_) => MessageKind::PreservationExpiryWarning,
            Reply::PreservationReleased(_) => MessageKind::PreservationReleased,
            Reply::Referred(_) => MessageKind::Referred,
            Reply::Withdrawn(_) => MessageKind::Withdrawn,
            Reply::EscalationNotice(_) => MessageKind::EscalationNotice,
        }
    }

    /// The tree of the reply (see [`encode_reply`]).
    pub fn to_node(&self) -> Node {
        encode_reply(self)
    }
}

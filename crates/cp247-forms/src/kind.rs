//! The two sides of a case, the articles a case can be opened under, and the kinds of message
//! with their wire names (the `message_type` of the envelope header).

use std::fmt;

use crate::{Document, Kind, PreservationStatus};
use serde::{Deserialize, Serialize};

/// Which side of a case a node is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The Party that sent the request.
    Requester,
    /// The Party that received it.
    Requested,
}

impl Role {
    /// Both roles.
    pub const ALL: [Role; 2] = [Role::Requester, Role::Requested];

    /// The other side.
    pub fn other(self) -> Role {
        match self {
            Role::Requester => Role::Requested,
            Role::Requested => Role::Requester,
        }
    }

    /// The snake_case name (`requester`, `requested`), as the store writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Requested => "requested",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The article of the Convention that a request (and so its case) is made under. Art. 30 is a
/// reply on an Art. 29 case, not a case of its own; it appears here because Art. 30(2) has its
/// own closed list of grounds for withholding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Article {
    /// Art. 29, expedited preservation of stored computer data.
    Art29,
    /// Art. 30, expedited disclosure of preserved traffic data.
    Art30,
    /// Art. 31, mutual assistance regarding accessing of stored computer data.
    Art31,
    /// Art. 35, the 24/7 Network's assistance.
    Art35,
}

impl Article {
    /// Every article.
    pub const ALL: [Article; 4] = [
        Article::Art29,
        Article::Art30,
        Article::Art31,
        Article::Art35,
    ];

    /// The articles a case can be opened under.
    pub const CASES: [Article; 3] = [Article::Art29, Article::Art31, Article::Art35];

    /// The snake_case name (`art29`, …), the same as the forms crate's document kinds.
    pub fn as_str(self) -> &'static str {
        match self {
            Article::Art29 => "art29",
            Article::Art30 => "art30",
            Article::Art31 => "art31",
            Article::Art35 => "art35",
        }
    }

    /// The article of a document kind.
    pub fn of_kind(kind: Kind) -> Article {
        match kind {
            Kind::Art29 => Article::Art29,
            Kind::Art30 => Article::Art30,
            Kind::Art31 => Article::Art31,
            Kind::Art35 => Article::Art35,
        }
    }

    /// The forms crate's document kind of the article.
    pub fn kind(self) -> Kind {
        match self {
            Article::Art29 => Kind::Art29,
            Article::Art30 => Kind::Art30,
            Article::Art31 => Kind::Art31,
            Article::Art35 => Kind::Art35,
        }
    }
}

impl fmt::Display for Article {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! kinds {
    ($( $(#[$meta:meta])* $variant:ident = $wire:literal, $author:ident, [$($article:ident),+]; )*) => {
        /// Every kind of message exchanged on a case: the requests, which open a case, and the
        /// replies of fields.md §10.12 that concern Convention requests, plus the escalation
        /// notice that goes to the alternate contact point.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum MessageKind { $( $(#[$meta])* $variant, )* }

        impl MessageKind {
            /// Every kind.
            pub const ALL: &'static [MessageKind] = &[$(MessageKind::$variant,)*];

            /// The wire name: the `message_type` of the envelope header, and the `kind` of a
            /// reply's body.
            pub fn name(self) -> &'static str {
                match self { $(MessageKind::$variant => $wire,)* }
            }

            /// Which side writes messages of this kind.
            pub fn author(self) -> Role {
                match self { $(MessageKind::$variant => Role::$author,)* }
            }

            /// Whether a case under `article` has messages of this kind.
            pub fn allowed_for(self, article: Article) -> bool {
                match self { $(MessageKind::$variant => matches!(article, $(Article::$article)|+),)* }
            }
        }
    };
}

kinds! {
    /// A new Art. 29 preservation request (with the Art. 30 ask).
    PreservationRequest = "art29_request", Requester, [Art29];
    /// A request to extend a preservation: a new Art. 29 request, `request_status: extension`,
    /// on a new ticket that names the previous one.
    ExtensionRequest = "art29_extension_request", Requester, [Art29];
    /// An Art. 31 request for subscriber information.
    SubscriberInfoRequest = "art31_request", Requester, [Art31];
    /// An Art. 35 request for technical or legal assistance.
    AssistanceRequest = "art35_request", Requester, [Art35];
    /// A person has acknowledged the request (the signed receipt of the node is not one).
    Acknowledgement = "acknowledgement", Requested, [Art29, Art31, Art35];
    /// The request is incomplete or unclear: questions, possibly blocking.
    RequestForInformation = "request_for_information", Requested, [Art29, Art31, Art35];
    /// The answers to a request for information.
    InformationProvided = "information_provided", Requester, [Art29, Art31, Art35];
    /// The data are preserved until a date (Art. 29(3), (7)).
    PreservationConfirmed = "preservation_confirmed", Requested, [Art29];
    /// Preservation will not ensure availability, or threatens confidentiality or the
    /// investigation (Art. 29(6)).
    PreservationRiskNotice = "preservation_risk_notice", Requested, [Art29];
    /// The requester's decision after a risk notice (Art. 29(6)).
    RequesterDecision = "requester_decision", Requester, [Art29];
    /// Art. 30 expedited disclosure of preserved traffic data.
    PartialTrafficDisclosure = "partial_traffic_disclosure", Requested, [Art29];
    /// The request is executed (Art. 27(7)), with the data delivery or the answer.
    Executed = "executed", Requested, [Art31, Art35];
    /// Part of the request is executed; the rest is not, with grounds.
    PartiallyExecuted = "partially_executed", Requested, [Art31, Art35];
    /// The request is refused, on grounds the article allows.
    Refused = "refused", Requested, [Art29, Art31, Art35];
    /// Execution is postponed (Art. 27(5)); preservation is never postponed (Art. 29(3)).
    Postponed = "postponed", Requested, [Art31, Art35];
    /// Execution subject to conditions (Arts. 27(6), 28(2)).
    ConditionsProposed = "conditions_proposed", Requested, [Art29, Art31, Art35];
    /// The requester accepts the conditions or says it cannot comply (Art. 28(3)).
    ConditionsResponse = "conditions_response", Requester, [Art29, Art31, Art35];
    /// A significant delay is likely (Art. 27(7)).
    DelayNotice = "delay_notice", Requested, [Art29, Art31, Art35];
    /// An extension request is granted: the new `preserved_until`.
    ExtensionConfirmed = "extension_confirmed", Requested, [Art29];
    /// The request for mutual assistance is submitted: the preservation is kept pending its
    /// decision (Art. 29(7)), so its expiry is frozen.
    MlaSubmittedNotice = "mla_submitted_notice", Requester, [Art29];
    /// The holder of the data warns that a preservation expires soon.
    PreservationExpiryWarning = "preservation_expiry_warning", Requested, [Art29];
    /// The preserved data are released.
    PreservationReleased = "preservation_released", Requested, [Art29];
    /// Forwarded to the competent authority (Art. 27(9)(c)).
    Referred = "referred", Requested, [Art29, Art31, Art35];
    /// The requester withdraws the request.
    Withdrawn = "withdrawn", Requester, [Art29, Art31, Art35];
    /// An urgent request was not acknowledged in time: the request, sent again to the other
    /// contact point of the requested Party.
    EscalationNotice = "escalation_notice", Requester, [Art29, Art31, Art35];
}

impl MessageKind {
    /// The kind with wire name `name`.
    pub fn from_name(name: &str) -> Option<MessageKind> {
        MessageKind::ALL.iter().copied().find(|k| k.name() == name)
    }

    /// The name people read, in `lang` ("Preservation confirmed").
    pub fn label(self, lang: cp247_i18n::Lang) -> String {
        cp247_i18n::text(
            lang,
            &format!("case-kind-{}", self.name().replace('_', "-")),
        )
    }

    /// True for the four requests (each opens a new case).
    pub fn is_request(self) -> bool {
        self.request_article().is_some()
    }

    /// The article of a request kind; `None` for a reply.
    pub fn request_article(self) -> Option<Article> {
        match self {
            MessageKind::PreservationRequest | MessageKind::ExtensionRequest => {
                Some(Article::Art29)
            }
            MessageKind::SubscriberInfoRequest => Some(Article::Art31),
            MessageKind::AssistanceRequest => Some(Article::Art35),
            MessageKind::Acknowledgement
            | MessageKind::RequestForInformation
            | MessageKind::InformationProvided
            | MessageKind::PreservationConfirmed
            | MessageKind::PreservationRiskNotice
            | MessageKind::RequesterDecision
            | MessageKind::PartialTrafficDisclosure
            | MessageKind::Executed
            | MessageKind::PartiallyExecuted
            | MessageKind::Refused
            | MessageKind::Postponed
            | MessageKind::ConditionsProposed
            | MessageKind::ConditionsResponse
            | MessageKind::DelayNotice
            | MessageKind::ExtensionConfirmed
            | MessageKind::MlaSubmittedNotice
            | MessageKind::PreservationExpiryWarning
            | MessageKind::PreservationReleased
            | MessageKind::Referred
            | MessageKind::Withdrawn
            | MessageKind::EscalationNotice => None,
        }
    }

    /// Whether a message of this kind may open a case on the node that receives it: a request,
    /// or an escalation notice (the alternate contact point may run a node of its own, which
    /// has not seen the ticket before).
    pub fn opens_case(self) -> bool {
        self.is_request() || self == MessageKind::EscalationNotice
    }

    /// The request kind that carries `doc`: an Art. 29 request is a new request or an
    /// extension according to its `request_status`. `None` for an Art. 30 document, which is
    /// not a request (it travels inside a `partial_traffic_disclosure` reply).
    pub fn of_request(doc: &Document) -> Option<MessageKind> {
        match doc {
            Document::Art29(d) => Some(match d.request_status {
                PreservationStatus::New { .. } => MessageKind::PreservationRequest,
                PreservationStatus::Extension { .. } => MessageKind::ExtensionRequest,
            }),
            Document::Art30(_) => None,
            Document::Art31(_) => Some(MessageKind::SubscriberInfoRequest),
            Document::Art35(_) => Some(MessageKind::AssistanceRequest),
        }
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for MessageKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for MessageKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        MessageKind::from_name(&text).ok_or_else(|| {
            serde::de::Error::custom(format_args!(
                "'{}' is not a cp247 message type",
                text.chars().take(64).collect::<String>()
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_envelope_message_types() {
        let mut seen = std::collections::BTreeSet::new();
        for k in MessageKind::ALL {
            assert!(seen.insert(k.name()), "{k} twice");
            assert_eq!(MessageKind::from_name(k.name()), Some(*k));
            let n = k.name();
            assert!((1..=64).contains(&n.len()));
            assert!(n.starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(
                n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            );
        }
        assert_eq!(MessageKind::from_name("art30_request"), None);
        assert_eq!(MessageKind::from_name("Refused"), None);
        assert_eq!(MessageKind::ALL.len(), 25);
    }

    #[test]
    fn requests_are_written_by_the_requester_and_open_cases() {
        for k in MessageKind::ALL {
            if k.is_request() {
                assert_eq!(k.author(), Role::Requester);
                assert!(k.opens_case());
                let a = k.request_article().unwrap();
                assert!(k.allowed_for(a));
            }
            assert!(!k.allowed_for(Article::Art30), "{k} on an Art. 30 case");
        }
        assert!(MessageKind::EscalationNotice.opens_case());
        assert!(!MessageKind::Refused.opens_case());
    }

    #[test]
    fn preservation_replies_belong_to_art29_and_execution_to_art31_and_art35() {
        use MessageKind as M;
        for k in [
            M::PreservationConfirmed,
            M::PreservationRiskNotice,
            M::RequesterDecision,
            M::PartialTrafficDisclosure,
            M::ExtensionConfirmed,
            M::MlaSubmittedNotice,
            M::PreservationExpiryWarning,
            M::PreservationReleased,
        ] {
            assert!(k.allowed_for(Article::Art29), "{k}");
            assert!(!k.allowed_for(Article::Art31), "{k}");
            assert!(!k.allowed_for(Article::Art35), "{k}");
        }
        for k in [M::Executed, M::PartiallyExecuted, M::Postponed] {
            assert!(!k.allowed_for(Article::Art29), "{k}");
            assert!(k.allowed_for(Article::Art31), "{k}");
            assert!(k.allowed_for(Article::Art35), "{k}");
        }
        assert_eq!(Role::Requester.other(), Role::Requested);
    }
}

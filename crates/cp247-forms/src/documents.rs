//! The four request documents and the [`Document`] enum over them.
//!
//! Field names and order follow fields.md §10.3–10.5 and §10.11 and the section order of
//! template-sections.md. Conditions between fields that a type can express are types:
//! an extension always carries the previous ticket ([`PreservationStatus`]), a follow-up always
//! carries the earlier ticket ([`SubscriberRequestStatus`]), urgency above routine always carries
//! its justification ([`UrgencyStatement`]), a withholding under Art. 30(2) always has one of the
//! two allowed grounds ([`Withholding`]).

use std::fmt;

use cp247_domain::{Channel, Instant, Urgency};
use jiff::civil::Date;

use crate::field::{Applicable, Field, NonEmpty, Reason};
use crate::shared::{
    AuthorisingOfficial, Authority, CaseOffice, Choice, Condition, ContactPerson, Custodian,
    DataItem, DocumentRef, Identifier, LongText, Offence, PreservationPeriod, ProviderRef,
    RequestedAuthority, Text, TicketRef, TrafficRecord,
};

/// Which document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// Art. 29 expedited preservation request (with the Art. 30 ask).
    Art29,
    /// Art. 30 expedited disclosure of preserved traffic data (a reply on an Art. 29 ticket).
    Art30,
    /// Art. 31 mutual assistance request for subscriber information.
    Art31,
    /// Art. 35 request for technical or legal assistance.
    Art35,
}

impl Choice for Kind {
    const ALL: &'static [Self] = &[Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35];
    fn as_str(&self) -> &'static str {
        match self {
            Kind::Art29 => "art29",
            Kind::Art30 => "art30",
            Kind::Art31 => "art31",
            Kind::Art35 => "art35",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Kind {
    type Err = UnknownKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::from_name(s).ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

/// Why a text is not a [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a document kind: use art29, art30, art31 or art35")]
pub struct UnknownKind(pub String);

/// A request document of any kind.
#[derive(Debug, Clone, PartialEq, Eq)]
// The variants are all a few hundred bytes to 1.5 KB; documents are built once and passed by
// reference, so boxing would only add an indirection to every match.
#[allow(clippy::large_enum_variant)]
pub enum Document {
    /// Art. 29 preservation request.
    Art29(PreservationRequest),
    /// Art. 30 partial disclosure of traffic data.
    Art30(TrafficDisclosure),
    /// Art. 31 subscriber information request.
    Art31(SubscriberInfoRequest),
    /// Art. 35 assistance request.
    Art35(AssistanceRequest),
}

impl Document {
    /// Which kind of document this is.
    pub fn kind(&self) -> Kind {
        match self {
            Document::Art29(_) => Kind::Art29,
            Document::Art30(_) => Kind::Art30,
            Document::Art31(_) => Kind::Art31,
            Document::Art35(_) => Kind::Art35,
        }
    }

    /// The official who authorised the document.
    pub fn authorising_official(&self) -> &AuthorisingOfficial {
        match self {
            Document::Art29(d) => &d.authorising_official,
            Document::Art30(d) => &d.authorising_official,
            Document::Art31(d) => &d.authorising_official,
            Document::Art35(d) => &d.authorising_official,
        }
    }
}

/// How urgent a request is, and why (JSON: `urgency` and `urgency_justification`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrgencyStatement {
    /// Normal handling; a justification is optional.
    Routine {
        /// Why, if the author says.
        justification: Applicable<LongText>,
    },
    /// Data vulnerable to loss or modification (Art. 31(3)(a)).
    Urgent {
        /// Why.
        justification: LongText,
    },
    /// Significant and imminent risk to the life or safety of a person.
    Emergency {
        /// Why.
        justification: LongText,
    },
}

impl UrgencyStatement {
    /// The urgency level.
    pub fn level(&self) -> Urgency {
        match self {
            UrgencyStatement::Routine { .. } => Urgency::Routine,
            UrgencyStatement::Urgent { .. } => Urgency::Urgent,
            UrgencyStatement::Emergency { .. } => Urgency::Emergency,
        }
    }

    /// The justification, or why there is none (routine only).
    pub fn justification(&self) -> Applicable<&LongText> {
        match self {
            UrgencyStatement::Routine { justification } => justification.as_ref(),
            UrgencyStatement::Urgent { justification }
            | UrgencyStatement::Emergency { justification } => Applicable::Value(justification),
        }
    }
}

/// New preservation request, or extension of a previous one (template §3; JSON:
/// `request_status` and `previous_ticket`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreservationStatus {
    /// A new request; `previous_ticket` is not applicable, for this reason.
    New {
        /// Why there is no previous ticket.
        no_previous_ticket: Reason,
    },
    /// An extension of the preservation obtained by the previous request.
    Extension {
        /// The request being extended.
        previous_ticket: TicketRef,
    },
}

impl PreservationStatus {
    /// The wire name of the status (`new`, `extension`).
    pub fn as_str(&self) -> &'static str {
        match self {
            PreservationStatus::New { .. } => "new",
            PreservationStatus::Extension { .. } => "extension",
        }
    }

    /// The previous ticket, or why there is none.
    pub fn previous_ticket(&self) -> Applicable<&TicketRef> {
        match self {
            PreservationStatus::New { no_previous_ticket } => {
                Applicable::NotApplicable(no_previous_ticket.clone())
            }
            PreservationStatus::Extension { previous_ticket } => Applicable::Value(previous_ticket),
        }
    }
}

/// Statement that a request for mutual assistance will follow (Art. 29(2)(f)). It can only be
/// made, never denied: JSON `"mla_intention": true`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MlaIntention;

/// Art. 29 expedited preservation request, with the Art. 30 ask (fields.md §10.3,
/// T-CY(2018)11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreservationRequest {
    /// §1 Date of the request.
    pub request_date: Date,
    /// §2 The requester's reference or case number.
    pub requesting_reference: Text,
    /// §3 New request or extension (with the previous ticket).
    pub request_status: PreservationStatus,
    /// §4 Requested Party and contact point.
    pub requested_authority: RequestedAuthority,
    /// §5 Authority seeking preservation (Art. 29(2)(a)).
    pub requesting_authority: Authority,
    /// §6 Contact for additional confirmation.
    pub confirmation_contact: Field<ContactPerson>,
    /// §7 Investigative authority in charge of the case, if different.
    pub investigative_authority: Field<Authority>,
    /// Prosecution office or court and its case numbers.
    pub prosecution_or_court: Field<Text>,
    /// §8 Urgency and its justification.
    pub urgency: UrgencyStatement,
    /// §8 Keep the fact and subject of the request confidential (Art. 27(8)).
    pub request_confidential: bool,
    /// §8 Ask that the subscriber or user not be informed (Art. 16(3), 27(8)).
    pub no_user_notification: bool,
    /// §9 Offences (Art. 29(2)(b)).
    pub offences: NonEmpty<Offence>,
    /// §9 Brief summary of the facts (Art. 29(2)(b)).
    pub summary_of_facts: LongText,
    /// §10 Data to preserve (Art. 29(2)(c)).
    pub data_items: NonEmpty<DataItem>,
    /// §11 Relationship of the data to the offence (Art. 29(2)(c)).
    pub relationship_to_offence: LongText,
    /// §12 Custodian and location of the system (Art. 29(2)(d)).
    pub custodian: Custodian,
    /// §13 Necessity of preservation (Art. 29(2)(e)).
    pub necessity: LongText,
    /// §14 Intention to submit a request for mutual assistance (Art. 29(2)(f)).
    pub mla_intention: MlaIntention,
    /// §14 Expected date of the mutual assistance request.
    pub planned_mla_by: Field<Date>,
    /// §14 Expected channel of the mutual assistance request.
    pub planned_mla_channel: Field<Channel>,
    /// §15 Ask the requested Party to apply Art. 30 if another State's provider is found.
    pub request_partial_traffic_disclosure: bool,
    /// Preservation period asked for (at least 60 days, Art. 29(7)).
    pub requested_period: Applicable<PreservationPeriod>,
    /// §16 The official who authorised the request.
    pub authorising_official: AuthorisingOfficial,
}

/// The grounds on which Art. 30(2) allows traffic data to be withheld (and no others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Art30Ground {
    /// The offence is a political offence or connected with one.
    PoliticalOffence,
    /// Disclosure is likely to prejudice sovereignty, security, ordre public or other
    /// essential interests.
    EssentialInterests,
}

impl Choice for Art30Ground {
    const ALL: &'static [Self] = &[
        Art30Ground::PoliticalOffence,
        Art30Ground::EssentialInterests,
    ];
    fn as_str(&self) -> &'static str {
        match self {
            Art30Ground::PoliticalOffence => "political_offence",
            Art30Ground::EssentialInterests => "essential_interests",
        }
    }
}

/// Refusal grounds of fields.md §10.12 that are NOT available under Art. 30(2): the decoder
/// recognises them to say "not allowed here" rather than "unknown value".
pub const GROUNDS_NOT_IN_ART30: &[&str] = &[
    "dual_criminality_reservation",
    "domestic_law_or_treaty_ground",
    "prejudice_to_domestic_proceedings",
    "reservation_tool_not_applied",
    "missing_judicial_authorisation",
    "data_not_held",
    "data_deleted",
    "provider_not_in_jurisdiction",
    "insufficient_identifiers",
    "overly_broad",
    "other",
];

/// Traffic data withheld under Art. 30(2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withholding {
    /// The ground.
    pub ground: Art30Ground,
    /// What was withheld and why.
    pub explanation: LongText,
}

/// Art. 30 expedited disclosure of preserved traffic data, sent as a reply on an Art. 29
/// ticket (fields.md §10.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficDisclosure {
    /// Date of the disclosure.
    pub disclosure_date: Date,
    /// The disclosing authority's reference.
    pub disclosing_reference: Text,
    /// §1 The preservation request being executed.
    pub preservation_ticket: TicketRef,
    /// §2 The communication traced.
    pub communication: DataItem,
    /// §3 Providers in another State involved in the transmission (their country is known).
    pub other_state_providers: NonEmpty<ProviderRef>,
    /// §4 Traffic data disclosed: enough to identify the providers and the path.
    pub traffic_data_disclosed: NonEmpty<TrafficRecord>,
    /// §5 The path, hop by hop.
    pub path_description: Field<LongText>,
    /// §5 Whether the path returns to the requesting State.
    pub looped_back_to_requester: Field<bool>,
    /// §6 Data withheld under Art. 30(2), or why nothing was.
    pub withholding: Applicable<Withholding>,
    /// §7 Conditions (Art. 28).
    pub conditions: Field<NonEmpty<Condition>>,
    /// The official who authorised the disclosure.
    pub authorising_official: AuthorisingOfficial,
}

/// New subscriber request, or follow-up to a previous MLA or preservation request (template §3;
/// JSON: `request_status`, `previous_mla`, `previous_preservation`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriberRequestStatus {
    /// A new request: neither earlier request applies.
    New {
        /// Why there is no previous MLA request.
        no_previous_mla: Reason,
        /// Why there is no previous preservation request.
        no_previous_preservation: Reason,
    },
    /// Follow-up to a previous MLA request.
    FollowUpMla {
        /// That request.
        previous_mla: TicketRef,
        /// An earlier preservation request, if any.
        previous_preservation: Applicable<TicketRef>,
    },
    /// Follow-up to a previous preservation request.
    FollowUpPreservation {
        /// That request.
        previous_preservation: TicketRef,
        /// An earlier MLA request, if any.
        previous_mla: Applicable<TicketRef>,
    },
}

impl SubscriberRequestStatus {
    /// The wire name (`new`, `follow_up_mla`, `follow_up_preservation`).
    pub fn as_str(&self) -> &'static str {
        match self {
            SubscriberRequestStatus::New { .. } => "new",
            SubscriberRequestStatus::FollowUpMla { .. } => "follow_up_mla",
            SubscriberRequestStatus::FollowUpPreservation { .. } => "follow_up_preservation",
        }
    }

    /// The previous MLA request, or why there is none.
    pub fn previous_mla(&self) -> Applicable<&TicketRef> {
        match self {
            SubscriberRequestStatus::New {
                no_previous_mla, ..
            } => Applicable::NotApplicable(no_previous_mla.clone()),
            SubscriberRequestStatus::FollowUpMla { previous_mla, .. } => {
                Applicable::Value(previous_mla)
            }
            SubscriberRequestStatus::FollowUpPreservation { previous_mla, .. } => {
                previous_mla.as_ref()
            }
        }
    }

    /// The previous preservation request, or why there is none.
    pub fn previous_preservation(&self) -> Applicable<&TicketRef> {
        match self {
            SubscriberRequestStatus::New {
                no_previous_preservation,
                ..
            } => Applicable::NotApplicable(no_previous_preservation.clone()),
            SubscriberRequestStatus::FollowUpMla {
                previous_preservation,
                ..
            } => previous_preservation.as_ref(),
            SubscriberRequestStatus::FollowUpPreservation {
                previous_preservation,
                ..
            } => Applicable::Value(previous_preservation),
        }
    }
}

/// Elements of subscriber information (Art. 18(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SubscriberElement {
    /// (a) Type of communication service used.
    ServiceType,
    /// (a) Technical provisions taken.
    TechnicalProvisions,
    /// (a) Period of service.
    PeriodOfService,
    /// (b) Identity of the subscriber.
    Identity,
    /// (b) Postal or geographic address.
    PostalAddress,
    /// (b) Telephone and other access number.
    AccessNumber,
    /// (b) Billing and payment information.
    BillingAndPayment,
    /// (c) Site of the installation of communication equipment.
    InstallationSite,
}

impl Choice for SubscriberElement {
    const ALL: &'static [Self] = &[
        SubscriberElement::ServiceType,
        SubscriberElement::TechnicalProvisions,
        SubscriberElement::PeriodOfService,
        SubscriberElement::Identity,
        SubscriberElement::PostalAddress,
        SubscriberElement::AccessNumber,
        SubscriberElement::BillingAndPayment,
        SubscriberElement::InstallationSite,
    ];
    fn as_str(&self) -> &'static str {
        match self {
            SubscriberElement::ServiceType => "service_type",
            SubscriberElement::TechnicalProvisions => "technical_provisions",
            SubscriberElement::PeriodOfService => "period_of_service",
            SubscriberElement::Identity => "identity",
            SubscriberElement::PostalAddress => "postal_address",
            SubscriberElement::AccessNumber => "access_number",
            SubscriberElement::BillingAndPayment => "billing_and_payment",
            SubscriberElement::InstallationSite => "installation_site",
        }
    }
}

/// Art. 31 mutual assistance request for subscriber information (fields.md §10.5,
/// T-CY(2018)10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriberInfoRequest {
    /// §1 Date.
    pub request_date: Date,
    /// §2 Reference or case number.
    pub requesting_reference: Text,
    /// §3, §9, §10 Status, with the earlier requests.
    pub request_status: SubscriberRequestStatus,
    /// §4 Requested authority.
    pub requested_authority: RequestedAuthority,
    /// §5 Requesting authority.
    pub requesting_authority: Authority,
    /// §6 Contact for additional confirmation.
    pub confirmation_contact: Field<ContactPerson>,
    /// §7 Investigative authority, if different.
    pub investigative_authority: Field<Authority>,
    /// §8 Prosecution office in charge, with its case number.
    pub prosecution_office: Field<CaseOffice>,
    /// §8 Court in charge, with its case number.
    pub court: Field<CaseOffice>,
    /// §8, §17 Prosecution or court decisions related to the request (e.g. a court order for
    /// the resolution of a dynamic IP address).
    pub judicial_decisions: Field<NonEmpty<DocumentRef>>,
    /// §11 Domestic legal basis.
    pub domestic_legal_basis: Field<LongText>,
    /// §12 Urgency (Art. 31(3)).
    pub urgency: UrgencyStatement,
    /// §12 Confidentiality of the request (Art. 27(8)).
    pub request_confidential: bool,
    /// §13 Offences, with provisions and penalties.
    pub offences: NonEmpty<Offence>,
    /// §13 Summary of facts.
    pub summary_of_facts: LongText,
    /// §14 Identifiers of the subscribers sought.
    pub subscriber_targets: NonEmpty<Identifier>,
    /// §14 Elements of Art. 18(3) requested (no duplicates).
    pub elements_requested: NonEmpty<SubscriberElement>,
    /// §15 Relevance to the investigation.
    pub relevance: LongText,
    /// Formalities to follow (certification, chain of custody; Art. 27(3)).
    pub procedures_requested: Field<LongText>,
    /// §16 How the data will be used (Art. 28).
    pub use_limitation: LongText,
    /// §16 Further conditions.
    pub conditions: Field<NonEmpty<Condition>>,
    /// How to deliver the results.
    pub results_channel: Field<Channel>,
    /// §18 The official who authorised the request.
    pub authorising_official: AuthorisingOfficial,
}

impl SubscriberInfoRequest {
    /// True when a target is an IP address observed at a time: resolving a dynamic IP address,
    /// which some Parties allow only with a court order (Benedik v. Slovenia).
    pub fn is_dynamic_ip_resolution(&self) -> bool {
        self.subscriber_targets
            .iter()
            .any(|t| t.value.ip().is_some() && t.observed.is_value())
    }
}

/// What kind of assistance an Art. 35 request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssistanceType {
    /// Technical advice (Art. 35(1)(a)).
    TechnicalAdvice,
    /// Legal information (Art. 35(1)(c)).
    LegalInformation,
    /// Locating a suspect (Art. 35(1)(c)).
    LocatingSuspect,
    /// Facilitating the collection of evidence (Art. 35(1)(c)).
    EvidenceCollection,
    /// Identifying a provider ("who holds this IP address or service?").
    ProviderIdentification,
    /// A question of procedure.
    ProcedureQuery,
    /// Anything else.
    Other,
}

impl Choice for AssistanceType {
    const ALL: &'static [Self] = &[
        AssistanceType::TechnicalAdvice,
        AssistanceType::LegalInformation,
        AssistanceType::LocatingSuspect,
        AssistanceType::EvidenceCollection,
        AssistanceType::ProviderIdentification,
        AssistanceType::ProcedureQuery,
        AssistanceType::Other,
    ];
    fn as_str(&self) -> &'static str {
        match self {
            AssistanceType::TechnicalAdvice => "technical_advice",
            AssistanceType::LegalInformation => "legal_information",
            AssistanceType::LocatingSuspect => "locating_suspect",
            AssistanceType::EvidenceCollection => "evidence_collection",
            AssistanceType::ProviderIdentification => "provider_identification",
            AssistanceType::ProcedureQuery => "procedure_query",
            AssistanceType::Other => "other",
        }
    }
}

/// Art. 35 request for technical or legal assistance (fields.md §10.11).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssistanceRequest {
    /// §1 Date.
    pub request_date: Date,
    /// §1 Reference.
    pub requesting_reference: Text,
    /// §2 Requested contact point.
    pub requested_authority: RequestedAuthority,
    /// §2 Requesting contact point.
    pub requesting_authority: Authority,
    /// §3 Type of assistance.
    pub assistance_type: AssistanceType,
    /// §4 The question.
    pub question: LongText,
    /// §5 Minimal case context.
    pub context: Field<LongText>,
    /// §6 Identifiers concerned.
    pub identifiers: Field<NonEmpty<Identifier>>,
    /// Offences concerned.
    pub offences: Field<NonEmpty<Offence>>,
    /// §7 Answer needed by.
    pub answer_needed_by: Field<Instant>,
    /// §8 Urgency.
    pub urgency: UrgencyStatement,
    /// §8 Confidentiality of the request.
    pub request_confidential: bool,
    /// The official who authorised the request.
    pub authorising_official: AuthorisingOfficial,
}

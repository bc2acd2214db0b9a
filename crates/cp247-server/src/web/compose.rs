//! The request composer (`/compose`): Art. 29 (new, or extension of an earlier preservation,
//! with the Art. 30 ask), Art. 31 (new, follow-up to a request for mutual assistance or to a
//! preservation) and Art. 35.
//!
//! The form is generated from a description of each document ([`Spec`]) that follows the
//! forms crate's JSON representation, so every input is named by the path of its field
//! (`data_items[1].identifiers[0].value`): a validation problem's path leads straight to its
//! input. The draft travels in the form: lists grow and shrink with plain submit buttons that
//! re-render the page server-side, and nothing is kept between requests. Every optional field
//! offers "not applicable" (and "unknown" where the forms crate accepts it) as explicit choices,
//! each with its reason. On "check and send" the draft becomes a [`Node`] that
//! `cp247_forms::decode` reads like any JSON or XML input; a valid document is sent through
//! case work's `CaseWork::send_request`, the same path as `POST /api/v1/requests`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use cp247_domain::{Address, Channel, ContactPointRole, PartyCode, TicketId, Urgency};
use cp247_forms::shared::{
    AttachmentKind, Choice, ConditionKind, ConventionArticle, DataCategory, Direction,
    IdentifierKind, Protocol, SourceClock,
};
use cp247_forms::{AssistanceType, Document, Kind, Node, Problem, SubscriberElement};
use cp247_i18n::Lang;
use cp247_store::{Actor, Viewer};
use serde::Deserialize;

use super::pages::{Chrome, Tr, message_page, our_zone, shown_time};
use super::session::{CaseWorker, Person, WebRefusal};
use crate::node::NodeContext;
use cp247_casework::RequestToSend;

/// The most items a list of the composer holds.
const MAX_ITEMS: usize = 50;

/// An enumeration offered as a list of choices, named through the catalogue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Channels.
    Channel,
    /// Urgency levels.
    Urgency,
    /// Whose clock.
    SourceClock,
    /// TCP or UDP.
    Protocol,
    /// Source or destination.
    Direction,
    /// Kinds of identifier.
    IdentifierKind,
    /// Categories of data.
    DataCategory,
    /// Convention offences.
    ConventionArticle,
    /// Kinds of attached document.
    AttachmentKind,
    /// Kinds of condition.
    ConditionKind,
    /// Art. 18(3) elements.
    SubscriberElement,
    /// Types of Art. 35 assistance.
    AssistanceType,
    /// Art. 29 request status.
    Status29,
    /// Art. 31 request status.
    Status31,
}

fn names<C: Choice>() -> Vec<&'static str> {
    C::ALL.iter().map(Choice::as_str).collect()
}

impl Pick {
    /// The wire names, in the forms crate's order.
    pub fn wires(self) -> Vec<&'static str> {
        match self {
            Pick::Channel => names::<Channel>(),
            Pick::Urgency => names::<Urgency>(),
            Pick::SourceClock => names::<SourceClock>(),
            Pick::Protocol => names::<Protocol>(),
            Pick::Direction => names::<Direction>(),
            Pick::IdentifierKind => names::<IdentifierKind>(),
            Pick::DataCategory => names::<DataCategory>(),
            Pick::ConventionArticle => names::<ConventionArticle>(),
            Pick::AttachmentKind => names::<AttachmentKind>(),
            Pick::ConditionKind => names::<ConditionKind>(),
            Pick::SubscriberElement => names::<SubscriberElement>(),
            Pick::AssistanceType => names::<AssistanceType>(),
            Pick::Status29 => vec!["new", "extension"],
            Pick::Status31 => vec!["new", "follow_up_mla", "follow_up_preservation"],
        }
    }

    /// The catalogue prefix of the values' names.
    fn prefix(self) -> &'static str {
        match self {
            Pick::Channel => "channel",
            Pick::Urgency => "urgency",
            Pick::SourceClock => "clock",
            Pick::Protocol => "protocol",
            Pick::Direction => "direction",
            Pick::IdentifierKind => "identifier",
            Pick::DataCategory => "category",
            Pick::ConventionArticle => "convention",
            Pick::AttachmentKind => "attachment",
            Pick::ConditionKind => "condition",
            Pick::SubscriberElement => "element",
            Pick::AssistanceType => "assistance",
            Pick::Status29 | Pick::Status31 => "value-status",
        }
    }

    fn label(self, tr: Tr, wire: &str) -> String {
        tr.t(&cp247_render::map::choice_key(self.prefix(), wire))
    }
}

/// What a field holds.
#[derive(Debug)]
pub enum Spec {
    /// One line of text.
    Text,
    /// Text with line breaks.
    Long,
    /// A calendar date.
    Date,
    /// An instant with its offset.
    Instant,
    /// Yes or no.
    Bool,
    /// One of a list.
    Pick(Pick),
    /// A set of a list (check boxes).
    Set(Pick),
    /// An object.
    Object(&'static [F]),
    /// A list of items.
    List(&'static Spec),
    /// A fixed value the author states by sending (the Art. 29(2)(f) intention).
    Fixed(&'static str, &'static str),
}

/// Whether a field may be left without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    /// A value is required.
    Req,
    /// A value, or not applicable or unknown with a reason.
    Field,
    /// A value, or not applicable with a reason.
    Applicable,
}

/// One field: its key in the document, its label (a catalogue key), what it holds.
#[derive(Debug)]
pub struct F {
    key: &'static str,
    label: &'static str,
    spec: Spec,
    opt: Opt,
}

const fn req(key: &'static str, label: &'static str, spec: Spec) -> F {
    F {
        key,
        label,
        spec,
        opt: Opt::Req,
    }
}

const fn opt(key: &'static str, label: &'static str, spec: Spec) -> F {
    F {
        key,
        label,
        spec,
        opt: Opt::Field,
    }
}

const fn app(key: &'static str, label: &'static str, spec: Spec) -> F {
    F {
        key,
        label,
        spec,
        opt: Opt::Applicable,
    }
}

const TICKET_REF: &[F] = &[
    opt("ticket_id", "label-ticket", Spec::Text),
    opt(
        "counterpart_reference",
        "label-counterpart-reference",
        Spec::Text,
    ),
    req("date", "label-date", Spec::Date),
    req("channel", "label-channel", Spec::Pick(Pick::Channel)),
    req("requesting_contact", "label-requesting-contact", Spec::Long),
    opt("executing_contact", "label-executing-contact", Spec::Long),
];

const REQUESTED: &[F] = &[
    req("party", "label-requested-party", Spec::Text),
    req("name", "label-contact-point", Spec::Text),
];

const AUTHORITY: &[F] = &[
    req("party", "label-party", Spec::Text),
    req("organisation", "label-organisation", Spec::Text),
    opt("person_in_charge", "label-person-in-charge", Spec::Text),
    opt("address", "label-address", Spec::Long),
    opt("phone", "label-phone", Spec::Text),
    opt("mobile", "label-mobile", Spec::Text),
    opt("email", "label-email", Spec::Text),
    opt("fax", "label-fax", Spec::Text),
    opt("office_hours", "label-office-hours", Spec::Text),
    req("time_zone", "label-time-zone", Spec::Text),
    req(
        "response_by_expedited_means",
        "label-expedited-response",
        Spec::Bool,
    ),
    opt(
        "preferred_response_channel",
        "label-preferred-channel",
        Spec::Pick(Pick::Channel),
    ),
];

const CONTACT: &[F] = &[
    req("name", "label-name", Spec::Text),
    opt("job_title", "label-job-title", Spec::Text),
    opt("function", "label-function", Spec::Text),
    opt("phone", "label-phone", Spec::Text),
    opt("mobile", "label-mobile", Spec::Text),
    opt("email", "label-email", Spec::Text),
];

const PENALTY: &[F] = &[
    req("text", "web-compose-penalty-text", Spec::Text),
    opt("months", "web-compose-penalty-months", Spec::Text),
];

const OFFENCE: &[F] = &[
    req("name", "label-name", Spec::Text),
    req("legal_provision", "label-legal-provision", Spec::Text),
    opt("max_penalty", "label-max-penalty", Spec::Object(PENALTY)),
    app(
        "convention_offence",
        "label-convention-offence",
        Spec::Pick(Pick::ConventionArticle),
    ),
    opt("description", "label-description", Spec::Long),
];

const DATE_TIME: &[F] = &[
    req("instant", "label-instant", Spec::Instant),
    opt("zone", "label-time-zone", Spec::Text),
    opt("original_text", "label-as-recorded", Spec::Text),
    req("source_clock", "label-clock", Spec::Pick(Pick::SourceClock)),
];

const TIME_RANGE: &[F] = &[
    req("start", "reply-label-start", Spec::Object(DATE_TIME)),
    opt("end", "reply-label-end", Spec::Object(DATE_TIME)),
];

const CONNECTION: &[F] = &[
    opt("port", "label-port", Spec::Text),
    opt("protocol", "label-protocol", Spec::Pick(Pick::Protocol)),
    opt("direction", "label-direction", Spec::Pick(Pick::Direction)),
];

const IDENTIFIER: &[F] = &[
    req("kind", "label-kind", Spec::Pick(Pick::IdentifierKind)),
    req("value", "label-value", Spec::Text),
    opt("connection", "label-connection", Spec::Object(CONNECTION)),
    opt("observed", "label-observed", Spec::Object(TIME_RANGE)),
    opt("service", "label-service", Spec::Text),
    opt("note", "label-note", Spec::Long),
];

const PROVIDER: &[F] = &[
    req("name", "label-name", Spec::Text),
    opt("legal_entity", "label-legal-entity", Spec::Text),
    opt("country", "label-country", Spec::Text),
    opt("address", "label-address", Spec::Long),
    opt("service", "label-service", Spec::Text),
    opt("provider_reference", "label-provider-reference", Spec::Text),
    opt("contact", "label-le-contact", Spec::Text),
];

const CUSTODIAN: &[F] = &[
    opt(
        "providers",
        "label-providers",
        Spec::List(&Spec::Object(PROVIDER)),
    ),
    opt("location_of_system", "label-location-of-system", Spec::Long),
];

const DATA_ITEM: &[F] = &[
    req(
        "categories",
        "label-categories",
        Spec::Set(Pick::DataCategory),
    ),
    req(
        "identifiers",
        "label-identifiers",
        Spec::List(&Spec::Object(IDENTIFIER)),
    ),
    opt("time_range", "label-period", Spec::Object(TIME_RANGE)),
    opt("service", "label-service", Spec::Text),
    req("description", "label-description", Spec::Long),
];

const OFFICIAL: &[F] = &[
    req("name", "label-name", Spec::Text),
    req("function", "label-function", Spec::Text),
    req("date", "label-date", Spec::Date),
];

const CASE_OFFICE: &[F] = &[
    req("name", "label-name", Spec::Text),
    opt("case_number", "label-case-number", Spec::Text),
];

const DOCUMENT_REF: &[F] = &[
    req("id", "label-document-id", Spec::Text),
    req("title", "label-title", Spec::Text),
    req("kind", "label-kind", Spec::Pick(Pick::AttachmentKind)),
    req("language", "label-language", Spec::Text),
    opt("sha256", "label-sha256", Spec::Text),
    req("issued_by", "label-issued-by", Spec::Text),
    opt("issued_at", "label-issued-on", Spec::Date),
];

const CONDITION: &[F] = &[
    req("kind", "label-kind", Spec::Pick(Pick::ConditionKind)),
    req("text", "label-condition", Spec::Long),
    opt("basis", "label-basis", Spec::Text),
];

const ART29: &[F] = &[
    req("request_date", "label-request-date", Spec::Date),
    req("requesting_reference", "label-reference", Spec::Text),
    req("request_status", "art29-s3", Spec::Pick(Pick::Status29)),
    app(
        "previous_ticket",
        "label-previous-request",
        Spec::Object(TICKET_REF),
    ),
    req("requested_authority", "art29-s4", Spec::Object(REQUESTED)),
    req("requesting_authority", "art29-s5", Spec::Object(AUTHORITY)),
    opt("confirmation_contact", "art29-s6", Spec::Object(CONTACT)),
    opt(
        "investigative_authority",
        "art29-s7",
        Spec::Object(AUTHORITY),
    ),
    opt(
        "prosecution_or_court",
        "label-prosecution-or-court",
        Spec::Text,
    ),
    req("urgency", "label-urgency", Spec::Pick(Pick::Urgency)),
    app(
        "urgency_justification",
        "label-urgency-justification",
        Spec::Long,
    ),
    req("request_confidential", "label-confidential", Spec::Bool),
    req(
        "no_user_notification",
        "label-no-user-notification",
        Spec::Bool,
    ),
    req(
        "offences",
        "label-offences",
        Spec::List(&Spec::Object(OFFENCE)),
    ),
    req("summary_of_facts", "label-summary-of-facts", Spec::Long),
    req(
        "data_items",
        "art29-s10",
        Spec::List(&Spec::Object(DATA_ITEM)),
    ),
    req("relationship_to_offence", "label-relationship", Spec::Long),
    req("custodian", "art29-s12", Spec::Object(CUSTODIAN)),
    req("necessity", "label-necessity", Spec::Long),
    req(
        "mla_intention",
        "art29-s14",
        Spec::Fixed("true", "value-mla-intention"),
    ),
    opt("planned_mla_by", "label-planned-mla-by", Spec::Date),
    opt(
        "planned_mla_channel",
        "label-planned-mla-channel",
        Spec::Pick(Pick::Channel),
    ),
    req(
        "request_partial_traffic_disclosure",
        "label-art30-requested",
        Spec::Bool,
    ),
    app("requested_period", "label-requested-period", Spec::Text),
    req(
        "authorising_official",
        "label-authorised-by",
        Spec::Object(OFFICIAL),
    ),
];

const ART31: &[F] = &[
    req("request_date", "label-request-date", Spec::Date),
    req("requesting_reference", "label-reference", Spec::Text),
    req("request_status", "art31-s3", Spec::Pick(Pick::Status31)),
    app("previous_mla", "art31-s9", Spec::Object(TICKET_REF)),
    app(
        "previous_preservation",
        "art31-s10",
        Spec::Object(TICKET_REF),
    ),
    req("requested_authority", "art31-s4", Spec::Object(REQUESTED)),
    req("requesting_authority", "art31-s5", Spec::Object(AUTHORITY)),
    opt("confirmation_contact", "art31-s6", Spec::Object(CONTACT)),
    opt(
        "investigative_authority",
        "art31-s7",
        Spec::Object(AUTHORITY),
    ),
    opt(
        "prosecution_office",
        "label-prosecution-office",
        Spec::Object(CASE_OFFICE),
    ),
    opt("court", "label-court", Spec::Object(CASE_OFFICE)),
    opt(
        "judicial_decisions",
        "label-decisions",
        Spec::List(&Spec::Object(DOCUMENT_REF)),
    ),
    opt(
        "domestic_legal_basis",
        "label-domestic-legal-basis",
        Spec::Long,
    ),
    req("urgency", "label-urgency", Spec::Pick(Pick::Urgency)),
    app(
        "urgency_justification",
        "label-urgency-justification",
        Spec::Long,
    ),
    req("request_confidential", "label-confidential", Spec::Bool),
    req(
        "offences",
        "label-offences",
        Spec::List(&Spec::Object(OFFENCE)),
    ),
    req("summary_of_facts", "label-summary-of-facts", Spec::Long),
    req(
        "subscriber_targets",
        "art31-s14",
        Spec::List(&Spec::Object(IDENTIFIER)),
    ),
    req(
        "elements_requested",
        "label-elements-requested",
        Spec::Set(Pick::SubscriberElement),
    ),
    req("relevance", "label-relevance", Spec::Long),
    opt(
        "procedures_requested",
        "label-procedures-requested",
        Spec::Long,
    ),
    req("use_limitation", "label-use-limitation", Spec::Long),
    opt(
        "conditions",
        "label-conditions",
        Spec::List(&Spec::Object(CONDITION)),
    ),
    opt(
        "results_channel",
        "label-results-channel",
        Spec::Pick(Pick::Channel),
    ),
    req(
        "authorising_official",
        "label-authorised-by",
        Spec::Object(OFFICIAL),
    ),
];

const ART35: &[F] = &[
    req("request_date", "label-request-date", Spec::Date),
    req("requesting_reference", "label-reference", Spec::Text),
    req(
        "requested_authority",
        "label-requested-contact-point",
        Spec::Object(REQUESTED),
    ),
    req(
        "requesting_authority",
        "label-requesting-contact-point",
        Spec::Object(AUTHORITY),
    ),
    req(
        "assistance_type",
        "label-assistance-type",
        Spec::Pick(Pick::AssistanceType),
    ),
    req("question", "label-question", Spec::Long),
    opt("context", "label-context", Spec::Long),
    opt(
        "identifiers",
        "label-identifiers",
        Spec::List(&Spec::Object(IDENTIFIER)),
    ),
    opt(
        "offences",
        "label-offences",
        Spec::List(&Spec::Object(OFFENCE)),
    ),
    opt("answer_needed_by", "label-answer-needed-by", Spec::Instant),
    req("urgency", "label-urgency", Spec::Pick(Pick::Urgency)),
    app(
        "urgency_justification",
        "label-urgency-justification",
        Spec::Long,
    ),
    req("request_confidential", "label-confidential", Spec::Bool),
    req(
        "authorising_official",
        "label-authorised-by",
        Spec::Object(OFFICIAL),
    ),
];

/// The request kinds the composer writes (an Art. 30 disclosure is a reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// Art. 29 preservation (and its extension).
    Art29,
    /// Art. 31 subscriber information.
    Art31,
    /// Art. 35 assistance.
    Art35,
}

impl RequestKind {
    /// Every kind, in the order offered.
    pub const ALL: [RequestKind; 3] = [RequestKind::Art29, RequestKind::Art31, RequestKind::Art35];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        self.kind().as_str()
    }

    /// The forms crate's kind.
    pub fn kind(self) -> Kind {
        match self {
            RequestKind::Art29 => Kind::Art29,
            RequestKind::Art31 => Kind::Art31,
            RequestKind::Art35 => Kind::Art35,
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    fn fields(self) -> &'static [F] {
        match self {
            RequestKind::Art29 => ART29,
            RequestKind::Art31 => ART31,
            RequestKind::Art35 => ART35,
        }
    }

    /// The statuses a request of this kind may have (none for Art. 35).
    fn statuses(self) -> Vec<&'static str> {
        match self {
            RequestKind::Art29 => Pick::Status29.wires(),
            RequestKind::Art31 => Pick::Status31.wires(),
            RequestKind::Art35 => Vec::new(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The draft: every input's value by name.

/// The draft of a document: input name → value. Names are field paths; `P~` is the choice of
/// an optional field (`value`, `not_applicable`, `unknown`), `P~reason` its reason, `P~n` the
/// number of items of a list, `P~<wire>` a check box of a set.
#[derive(Debug, Default, Clone)]
pub struct Draft(BTreeMap<String, String>);

impl Draft {
    fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }

    fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.insert(name.into(), value.into());
    }

    fn count(&self, path: &str) -> usize {
        self.get(&format!("{path}~n"))
            .parse::<usize>()
            .unwrap_or(0)
            .min(MAX_ITEMS)
    }

    fn choice(&self, path: &str) -> &str {
        match self.get(&format!("{path}~")) {
            "not_applicable" => "not_applicable",
            "unknown" => "unknown",
            _ => "value",
        }
    }

    /// Adds an item to the list at `path`.
    fn add(&mut self, path: &str) {
        let n = self.count(path);
        if n < MAX_ITEMS {
            self.set(format!("{path}~n"), (n + 1).to_string());
        }
    }

    /// Removes item `index` of the list at `path`: later items move up by one.
    fn remove(&mut self, path: &str, index: usize) {
        let n = self.count(path);
        if index >= n {
            return;
        }
        let prefix = format!("{path}[");
        let mut moved = BTreeMap::new();
        for (k, v) in std::mem::take(&mut self.0) {
            let Some(rest) = k.strip_prefix(&prefix) else {
                moved.insert(k, v);
                continue;
            };
            let Some((digits, tail)) = rest.split_once(']') else {
                moved.insert(k, v);
                continue;
            };
            match digits.parse::<usize>() {
                Ok(i) if i == index => {}
                Ok(i) if i > index => {
                    moved.insert(format!("{prefix}{}]{tail}", i - 1), v);
                }
                _ => {
                    moved.insert(k, v);
                }
            }
        }
        self.0 = moved;
        self.set(format!("{path}~n"), (n - 1).to_string());
    }
}

fn key_path(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The document tree of a draft (what `cp247_forms::decode` reads).
fn build_fields(fields: &[F], parent: &str, d: &Draft) -> Node {
    Node::Object(
        fields
            .iter()
            .map(|f| {
                let path = key_path(parent, f.key);
                let node = match (f.opt, d.choice(&path)) {
                    (Opt::Field | Opt::Applicable, "not_applicable") => {
                        marker("not_applicable", d.get(&format!("{path}~reason")))
                    }
                    (Opt::Field, "unknown") => marker("unknown", d.get(&format!("{path}~reason"))),
                    _ => build(&f.spec, &path, d),
                };
                (f.key.to_owned(), node)
            })
            .collect(),
    )
}

fn marker(which: &str, reason: &str) -> Node {
    Node::object([(
        which,
        Node::object([("reason", Node::Text(reason.to_owned()))]),
    )])
}

fn build(spec: &Spec, path: &str, d: &Draft) -> Node {
    match spec {
        Spec::Text | Spec::Long | Spec::Date | Spec::Instant | Spec::Bool | Spec::Pick(_) => {
            Node::Text(d.get(path).to_owned())
        }
        Spec::Set(pick) => Node::Array(
            pick.wires()
                .into_iter()
                .filter(|w| !d.get(&format!("{path}~{w}")).is_empty())
                .map(|w| Node::Text(w.to_owned()))
                .collect(),
        ),
        Spec::Object(fields) => build_fields(fields, path, d),
        Spec::List(item) => Node::Array(
            (0..d.count(path))
                .map(|i| build(item, &format!("{path}[{i}]"), d))
                .collect(),
        ),
        Spec::Fixed(value, _) => Node::Text((*value).to_owned()),
    }
}

/// The whole document tree of a draft of `kind`.
pub fn document_node(kind: RequestKind, d: &Draft) -> Node {
    let mut node = build_fields(kind.fields(), "", d);
    if let Node::Object(entries) = &mut node {
        entries.insert(0, ("kind".to_owned(), Node::Text(kind.as_str().to_owned())));
    }
    node
}

/// Every list of a draft starts with one item.
fn default_counts(fields: &[F], parent: &str, d: &mut Draft) {
    for f in fields {
        let path = key_path(parent, f.key);
        default_counts_spec(&f.spec, &path, d);
    }
}

fn default_counts_spec(spec: &Spec, path: &str, d: &mut Draft) {
    match spec {
        Spec::Object(fields) => default_counts(fields, path, d),
        Spec::List(item) => {
            if !d.0.contains_key(&format!("{path}~n")) {
                d.set(format!("{path}~n"), "1");
            }
            for i in 0..d.count(path) {
                default_counts_spec(item, &format!("{path}[{i}]"), d);
            }
        }
        Spec::Text
        | Spec::Long
        | Spec::Date
        | Spec::Instant
        | Spec::Bool
        | Spec::Pick(_)
        | Spec::Set(_)
        | Spec::Fixed(..) => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering: the spec and the draft as a flat list of items for the template.

/// What an item of the form is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    /// Opens a group (`<fieldset>` with its legend).
    Open,
    /// Closes a group.
    Close,
    /// A one-line input.
    Text,
    /// A text area.
    Long,
    /// A date input.
    Date,
    /// A drop-down list.
    Select,
    /// A check box.
    Check,
    /// A statement made by sending (no input).
    Statement,
    /// A button adding an item to a list.
    Add,
    /// A button removing an item from a list.
    Remove,
    /// A hidden value (a list's item count).
    Hidden,
}

/// One choice of a drop-down list.
#[derive(Debug, Clone)]
pub struct Choose {
    /// Its value.
    pub value: String,
    /// Its label.
    pub label: String,
    /// Whether it is selected.
    pub selected: bool,
}

/// One item of the form.
#[derive(Debug, Clone)]
pub struct Item {
    /// What it is.
    pub kind: ItemKind,
    /// Its element id (also the summary's link target).
    pub id: String,
    /// Its input name (or the button's value).
    pub name: String,
    /// Its label (or legend, or button text).
    pub label: String,
    /// Its value.
    pub value: String,
    /// A hint shown under the label.
    pub hint: String,
    /// The choices of a drop-down list.
    pub options: Vec<Choose>,
    /// Problems shown next to it (errors).
    pub errors: Vec<String>,
    /// Warnings shown next to it.
    pub warnings: Vec<String>,
    /// Nesting depth (groups).
    pub depth: usize,
}

impl Item {
    fn new(kind: ItemKind, id: String, name: String, label: String) -> Self {
        Self {
            kind,
            id,
            name,
            label,
            value: String::new(),
            hint: String::new(),
            options: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            depth: 0,
        }
    }

    /// The id of its problem text (for `aria-describedby`).
    pub fn described_by(&self) -> String {
        format!("{}-msg", self.id)
    }

    /// Whether a hint or a problem describes it.
    pub fn has_description(&self) -> bool {
        !self.hint.is_empty() || !self.errors.is_empty() || !self.warnings.is_empty()
    }
}

/// An element id for a field path: `f-` and the path with `.`, `[` and `]` made dashes.
fn element_id(path: &str) -> String {
    let mut id = String::from("f-");
    for c in path.chars() {
        match c {
            '.' => id.push_str("--"),
            '[' => id.push('-'),
            ']' => {}
            c => id.push(c),
        }
    }
    id
}

struct Renderer<'a> {
    tr: Tr,
    d: &'a Draft,
    items: Vec<Item>,
    /// Field path → the item its problems are shown next to.
    anchors: HashMap<String, usize>,
    depth: usize,
}

impl Renderer<'_> {
    fn push(&mut self, mut item: Item, anchor: Option<&str>) -> usize {
        item.depth = self.depth;
        let at = self.items.len();
        self.items.push(item);
        if let Some(path) = anchor {
            self.anchors.entry(path.to_owned()).or_insert(at);
        }
        at
    }

    fn open(&mut self, path: &str, suffix: &str, label: String, anchor: Option<&str>) -> usize {
        let id = format!("{}{suffix}", element_id(path));
        let at = self.push(Item::new(ItemKind::Open, id, String::new(), label), anchor);
        self.depth += 1;
        at
    }

    fn close(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        self.push(
            Item::new(ItemKind::Close, String::new(), String::new(), String::new()),
            None,
        );
    }

    fn fields(&mut self, fields: &[F], parent: &str) {
        for f in fields {
            let path = key_path(parent, f.key);
            self.field(f, &path);
        }
    }

    fn field(&mut self, f: &F, path: &str) {
        let label = self.tr.t(f.label);
        match f.opt {
            Opt::Req => self.spec(&f.spec, path, label),
            Opt::Field | Opt::Applicable => {
                // A group: how the field is filled, its reason, and its value.
                let group_at = self.open(path, "-group", label.clone(), None);
                let how = format!("{path}~");
                let mut choice = Item::new(
                    ItemKind::Select,
                    format!("{}-how", element_id(path)),
                    how,
                    self.tr.t1("web-compose-how", "field", &label),
                );
                let current = self.d.choice(path);
                let mut ways = vec![
                    ("value", "web-compose-has-value"),
                    ("not_applicable", "web-compose-not-applicable"),
                ];
                if f.opt == Opt::Field {
                    ways.push(("unknown", "web-compose-unknown"));
                }
                choice.options = ways
                    .into_iter()
                    .map(|(v, k)| Choose {
                        value: v.to_owned(),
                        label: self.tr.t(k),
                        selected: v == current,
                    })
                    .collect();
                let choice_at = self.push(choice, None);
                let reason_name = format!("{path}~reason");
                let mut reason = Item::new(
                    ItemKind::Text,
                    format!("{}-why", element_id(path)),
                    reason_name.clone(),
                    self.tr.t1("web-compose-reason", "field", &label),
                );
                reason.value = self.d.get(&reason_name).to_owned();
                reason.hint = self.tr.t("web-compose-reason-hint");
                let reason_at = self.push(reason, None);
                for which in ["not_applicable", "unknown"] {
                    for suffix in ["", ".reason"] {
                        self.anchors
                            .entry(format!("{path}.{which}{suffix}"))
                            .or_insert(reason_at);
                    }
                }
                match &f.spec {
                    // An object's fields go straight into the group (one legend, not two).
                    Spec::Object(inner) => {
                        self.anchors.entry(path.to_owned()).or_insert(group_at);
                        self.fields(inner, path);
                    }
                    other => self.spec(other, path, label),
                }
                // Problems about the whole field (e.g. "unknown is not allowed here") go to
                // the choice when no input of the value took them.
                self.anchors.entry(path.to_owned()).or_insert(choice_at);
                self.close();
            }
        }
    }

    fn spec(&mut self, spec: &Spec, path: &str, label: String) {
        let id = element_id(path);
        match spec {
            Spec::Text | Spec::Long | Spec::Date | Spec::Instant => {
                let kind = match spec {
                    Spec::Long => ItemKind::Long,
                    Spec::Date => ItemKind::Date,
                    _ => ItemKind::Text,
                };
                let mut item = Item::new(kind, id, path.to_owned(), label);
                item.value = self.d.get(path).to_owned();
                item.hint = hint(self.tr, spec, path);
                self.push(item, Some(path));
            }
            Spec::Bool => {
                let mut item = Item::new(ItemKind::Select, id, path.to_owned(), label);
                let current = self.d.get(path);
                item.options = [("true", "render-yes"), ("false", "render-no")]
                    .into_iter()
                    .map(|(v, k)| Choose {
                        value: v.to_owned(),
                        label: self.tr.t(k),
                        selected: v == current,
                    })
                    .collect();
                self.push(item, Some(path));
            }
            Spec::Pick(pick) => {
                let mut item = Item::new(ItemKind::Select, id, path.to_owned(), label);
                let current = self.d.get(path);
                item.options = std::iter::once(Choose {
                    value: String::new(),
                    label: self.tr.t("web-compose-choose"),
                    selected: current.is_empty(),
                })
                .chain(pick.wires().into_iter().map(|w| Choose {
                    value: w.to_owned(),
                    label: pick.label(self.tr, w),
                    selected: w == current,
                }))
                .collect();
                self.push(item, Some(path));
            }
            Spec::Set(pick) => {
                let _ = self.open(path, "", label, Some(path));
                for w in pick.wires() {
                    let name = format!("{path}~{w}");
                    let mut item = Item::new(
                        ItemKind::Check,
                        format!("{id}-{w}"),
                        name.clone(),
                        pick.label(self.tr, w),
                    );
                    item.value = self.d.get(&name).to_owned();
                    self.push(item, None);
                }
                self.close();
            }
            Spec::Object(fields) => {
                let _ = self.open(path, "", label, Some(path));
                self.fields(fields, path);
                self.close();
            }
            Spec::List(item_spec) => {
                let _ = self.open(path, "", label.clone(), Some(path));
                let n = self.d.count(path);
                let mut count = Item::new(
                    ItemKind::Hidden,
                    String::new(),
                    format!("{path}~n"),
                    String::new(),
                );
                count.value = n.to_string();
                self.push(count, None);
                for i in 0..n {
                    let item_path = format!("{path}[{i}]");
                    let number = (i + 1).to_string();
                    let item_label =
                        format!("{} — {}", label, self.tr.t1("label-item-n", "n", &number));
                    match item_spec {
                        Spec::Object(fields) => {
                            let _ = self.open(&item_path, "", item_label.clone(), Some(&item_path));
                            self.fields(fields, &item_path);
                        }
                        other => {
                            let _ = self.open(&item_path, "-group", item_label.clone(), None);
                            self.spec(other, &item_path, item_label.clone());
                        }
                    }
                    self.push(
                        Item::new(
                            ItemKind::Remove,
                            format!("{}-remove", element_id(&item_path)),
                            format!("remove:{path}:{i}"),
                            self.tr.t1("web-compose-remove", "item", &item_label),
                        ),
                        None,
                    );
                    self.close();
                }
                self.push(
                    Item::new(
                        ItemKind::Add,
                        format!("{id}-add"),
                        format!("add:{path}"),
                        self.tr.t1("web-compose-add", "list", &label),
                    ),
                    None,
                );
                self.close();
            }
            Spec::Fixed(value, statement) => {
                let mut item = Item::new(ItemKind::Statement, id, path.to_owned(), label);
                item.value = (*value).to_owned();
                item.hint = self.tr.t(statement);
                self.push(item, Some(path));
            }
        }
    }
}

/// The format hint of an input.
fn hint(tr: Tr, spec: &Spec, path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    match spec {
        Spec::Instant => tr.t("web-compose-hint-instant"),
        Spec::Date => tr.t("web-compose-hint-date"),
        Spec::Text | Spec::Long => match last {
            "phone" | "mobile" | "fax" => tr.t("web-compose-hint-phone"),
            "party" | "country" => tr.t("web-compose-hint-party"),
            "time_zone" | "zone" => tr.t("web-compose-hint-zone"),
            "requested_period" => tr.t("web-compose-hint-period"),
            "ticket_id" => tr.t("web-compose-hint-ticket"),
            _ => String::new(),
        },
        Spec::Bool | Spec::Pick(_) | Spec::Set(_) | Spec::Object(_) | Spec::List(_) => {
            String::new()
        }
        Spec::Fixed(..) => String::new(),
    }
}

/// One line of the summary of problems at the top of the form.
#[derive(Debug, Clone)]
pub struct SummaryLine {
    /// The id of the element it links to (empty: the whole document).
    pub target: String,
    /// The field's label.
    pub field: String,
    /// The problem, in the page's language.
    pub message: String,
}

/// The parent of a field path (`a.b[2]` → `a.b`, `a.b` → `a`), if any.
fn parent_path(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    Some(&path[..cut])
}

/// The items of the form for `d`, with `problems` placed next to their fields, and the
/// summaries of errors and warnings.
fn render_items(
    tr: Tr,
    kind: RequestKind,
    d: &Draft,
    problems: &[Problem],
) -> (Vec<Item>, Vec<SummaryLine>, Vec<SummaryLine>) {
    let mut r = Renderer {
        tr,
        d,
        items: Vec::new(),
        anchors: HashMap::new(),
        depth: 0,
    };
    r.fields(kind.fields(), "");
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for p in problems {
        let path = p.path().to_string();
        let mut at = None;
        let mut probe = Some(path.as_str());
        while let Some(candidate) = probe {
            if let Some(i) = r.anchors.get(candidate) {
                at = Some(*i);
                break;
            }
            probe = parent_path(candidate);
        }
        let message = p.message(tr.0);
        let line = match at.and_then(|i| r.items.get_mut(i)) {
            Some(item) => {
                match p.severity() {
                    cp247_forms::Severity::Error => item.errors.push(message.clone()),
                    cp247_forms::Severity::Warning => item.warnings.push(message.clone()),
                }
                SummaryLine {
                    target: item.id.clone(),
                    field: item.label.clone(),
                    message,
                }
            }
            None => SummaryLine {
                target: String::new(),
                field: tr.t("web-compose-whole-document"),
                message,
            },
        };
        match p.severity() {
            cp247_forms::Severity::Error => errors.push(line),
            cp247_forms::Severity::Warning => warnings.push(line),
        }
    }
    (r.items, errors, warnings)
}

// ---------------------------------------------------------------------------------------------
// Pre-filling from the directory, the node and the officer.

/// Where the request goes and what it continues: the composer's query.
#[derive(Debug, Default, Deserialize)]
pub struct ComposeQuery {
    /// `art29`, `art31`, `art35`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The requested Party.
    #[serde(default)]
    pub to: Option<String>,
    /// Its contact point (`primary`, `alternate`).
    #[serde(default)]
    pub point: Option<String>,
    /// The request's status (`new`, `extension`, `follow_up_mla`, `follow_up_preservation`).
    #[serde(default)]
    pub status: Option<String>,
    /// The earlier ticket an extension or follow-up continues.
    #[serde(default)]
    pub previous: Option<String>,
}

/// A composer's target: kind, Party and contact point.
#[derive(Debug, Clone, Copy)]
struct Target {
    kind: RequestKind,
    to: Address,
}

fn parse_point(s: Option<&str>) -> Option<ContactPointRole> {
    match s.unwrap_or("primary") {
        "primary" | "" => Some(ContactPointRole::Primary),
        "alternate" => Some(ContactPointRole::Alternate),
        _ => None,
    }
}

/// What the directory says of an address: (unit, zone, phones, e-mails, office hours).
struct Listed {
    unit: String,
    zone: String,
    phone: String,
    email: String,
    hours: String,
}

fn listed(ctx: &NodeContext, address: &Address) -> Option<Listed> {
    let snapshot = ctx.directory.snapshot();
    let d = snapshot.current()?;
    let cp = d.directory().contact_point(address)?;
    Some(Listed {
        unit: cp.unit.as_str().to_owned(),
        zone: cp.time_zone.as_str().to_owned(),
        phone: cp
            .duty_phones
            .iter()
            .next()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default(),
        email: cp
            .emails
            .iter()
            .next()
            .map(|e| e.as_str().to_owned())
            .unwrap_or_default(),
        hours: cp.office_hours.to_string(),
    })
}

/// The first draft of a request: the requested Party's directory data, this node's own entry
/// and the officer, today's date, and the earlier ticket of an extension or follow-up.
async fn first_draft(
    ctx: &NodeContext,
    p: &Person,
    target: Target,
    status: &str,
    previous: Option<&TicketId>,
) -> Draft {
    let tr = Tr(p.lang);
    let mut d = Draft::default();
    let today = ctx
        .clock
        .now()
        .to_zoned_datetime(our_zone(ctx))
        .date()
        .to_string();
    d.set("request_date", today.clone());
    d.set("authorising_official.date", today);
    d.set("urgency", "routine");
    d.set("urgency_justification~", "value");
    d.set("request_confidential", "true");
    d.set("no_user_notification", "true");
    d.set("request_partial_traffic_disclosure", "true");
    d.set("requested_period", "P90D");
    d.set("requested_authority.party", target.to.party.as_str());
    if let Some(them) = listed(ctx, &target.to) {
        d.set("requested_authority.name", them.unit);
    }
    let me = listed(ctx, &ctx.me);
    d.set("requesting_authority.party", ctx.me.party.as_str());
    d.set(
        "requesting_authority.person_in_charge",
        p.account.display_name.clone(),
    );
    d.set("requesting_authority.response_by_expedited_means", "true");
    d.set(
        "requesting_authority.preferred_response_channel",
        Channel::NetworkSystem.as_str(),
    );
    if let Some(me) = &me {
        d.set("requesting_authority.organisation", me.unit.clone());
        d.set("requesting_authority.phone", me.phone.clone());
        d.set("requesting_authority.email", me.email.clone());
        d.set("requesting_authority.office_hours", me.hours.clone());
        d.set("requesting_authority.time_zone", me.zone.clone());
    }
    d.set("request_status", status);

    // The earlier request, from this node's own ticket when it has one.
    let earlier = |d: &mut Draft, field: &str, ticket: &TicketId, date: Option<String>| {
        d.set(format!("{field}~"), "value");
        d.set(format!("{field}.ticket_id"), ticket.as_str());
        d.set(format!("{field}.counterpart_reference~"), "not_applicable");
        d.set(
            format!("{field}.counterpart_reference~reason"),
            tr.t("web-compose-reason-by-ticket"),
        );
        if let Some(date) = date {
            d.set(format!("{field}.date"), date);
        }
        d.set(format!("{field}.channel"), Channel::NetworkSystem.as_str());
        if let Some(me) = &me {
            d.set(
                format!("{field}.requesting_contact"),
                format!("{}; {}", me.unit, me.phone),
            );
        }
    };
    let new_reason = tr.t("web-compose-reason-new-request");
    let previous_date = match previous {
        Some(id) => ctx
            .store
            .find_ticket_for(Viewer::Local(ctx.me.party), id)
            .await
            .ok()
            .map(|t| {
                t.created_at
                    .to_zoned_datetime(our_zone(ctx))
                    .date()
                    .to_string()
            }),
        None => None,
    };
    match (target.kind, status, previous) {
        (RequestKind::Art29, "extension", Some(id)) => {
            earlier(&mut d, "previous_ticket", id, previous_date);
        }
        (RequestKind::Art29, _, _) => {
            d.set("previous_ticket~", "not_applicable");
            d.set("previous_ticket~reason", new_reason);
        }
        (RequestKind::Art31, "follow_up_preservation", Some(id)) => {
            earlier(&mut d, "previous_preservation", id, previous_date);
            d.set("previous_mla~", "not_applicable");
        }
        (RequestKind::Art31, "follow_up_mla", Some(id)) => {
            earlier(&mut d, "previous_mla", id, previous_date);
            d.set("previous_preservation~", "not_applicable");
        }
        (RequestKind::Art31, "new", _) => {
            for field in ["previous_mla", "previous_preservation"] {
                d.set(format!("{field}~"), "not_applicable");
                d.set(format!("{field}~reason"), new_reason.clone());
            }
        }
        (RequestKind::Art31, _, _) => {}
        (RequestKind::Art35, _, _) => {}
    }
    default_counts(target.kind.fields(), "", &mut d);
    d
}

// ---------------------------------------------------------------------------------------------
// The page.

/// A Party the composer can write to.
#[derive(Debug, Clone)]
pub struct PartyChoice {
    /// Its code.
    pub code: String,
    /// Code and name.
    pub label: String,
    /// Whether it is chosen.
    pub selected: bool,
}

/// The requested contact point, as the directory lists it.
#[derive(Debug, Clone)]
pub struct RecipientFacts {
    /// Party code and name.
    pub party: String,
    /// Primary or alternate (label).
    pub point: String,
    /// The unit.
    pub unit: String,
    /// Duty phones.
    pub phones: String,
    /// Its zone.
    pub zone: String,
    /// The local time there now.
    pub local_now: String,
    /// Whether its office is open now.
    pub open_now: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "compose.html")]
struct ComposePage {
    c: Chrome,
    kinds: Vec<Choose>,
    parties: Vec<PartyChoice>,
    points: Vec<Choose>,
    statuses: Vec<Choose>,
    previous: String,
    /// The composer proper (a Party and a kind are chosen).
    composing: bool,
    kind: String,
    kind_label: String,
    to: String,
    point: String,
    recipient: Option<RecipientFacts>,
    items: Vec<Item>,
    errors: Vec<SummaryLine>,
    error_count: String,
    warnings: Vec<SummaryLine>,
    warning_count: String,
    accept_warnings: bool,
    send_error: String,
}

fn kind_choices(tr: Tr, current: Option<RequestKind>) -> Vec<Choose> {
    RequestKind::ALL
        .into_iter()
        .map(|k| Choose {
            value: k.as_str().to_owned(),
            label: tr.t(&format!("{}-short", k.as_str())),
            selected: Some(k) == current,
        })
        .collect()
}

fn party_choices(ctx: &NodeContext, current: Option<PartyCode>) -> Vec<PartyChoice> {
    let snapshot = ctx.directory.snapshot();
    let Some(d) = snapshot.current() else {
        return Vec::new();
    };
    d.directory()
        .parties()
        .iter()
        .filter(|e| e.party != ctx.me.party)
        .map(|e| PartyChoice {
            code: e.party.to_string(),
            label: format!("{} · {}", e.party, e.name.as_str()),
            selected: Some(e.party) == current,
        })
        .collect()
}

fn recipient_facts(ctx: &NodeContext, tr: Tr, to: &Address) -> Option<RecipientFacts> {
    let snapshot = ctx.directory.snapshot();
    let d = snapshot.current()?;
    let entry = d.directory().party(to.party)?;
    let cp = d.directory().contact_point(to)?;
    let now = ctx.clock.now();
    let tz = cp.time_zone.time_zone();
    Some(RecipientFacts {
        party: format!("{} · {}", entry.party, entry.name.as_str()),
        point: tr.t(&format!("web-point-{}", to.point.as_str())),
        unit: cp.unit.as_str().to_owned(),
        phones: cp
            .duty_phones
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect::<Vec<_>>()
            .join(", "),
        zone: cp.time_zone.as_str().to_owned(),
        local_now: shown_time(now, &tz),
        open_now: cp.is_in_office_hours(now),
    })
}

struct PageInput<'a> {
    target: Option<Target>,
    /// The chooser's choices when no composer is open yet.
    chosen: (Option<RequestKind>, Option<PartyCode>),
    status: &'a str,
    previous: &'a str,
    draft: Option<&'a Draft>,
    problems: &'a [Problem],
    accept_warnings: bool,
    send_error: String,
}

fn page(ctx: &NodeContext, p: &Person, input: PageInput<'_>) -> ComposePage {
    let tr = Tr(p.lang);
    let kind = input.target.map(|t| t.kind);
    let chosen_kind = kind.or(input.chosen.0);
    let chosen_to = input.target.map(|t| t.to.party).or(input.chosen.1);
    // Every status is offered: the kind decides which ones it accepts.
    let statuses = [
        "new",
        "extension",
        "follow_up_mla",
        "follow_up_preservation",
    ]
    .into_iter()
    .map(|s| Choose {
        value: s.to_owned(),
        label: tr.t(&cp247_render::map::choice_key("value-status", s)),
        selected: s == input.status,
    })
    .collect();
    let point = input
        .target
        .map_or(ContactPointRole::Primary, |t| t.to.point);
    let points = [ContactPointRole::Primary, ContactPointRole::Alternate]
        .into_iter()
        .map(|r| Choose {
            value: r.as_str().to_owned(),
            label: tr.t(&format!("web-point-{}", r.as_str())),
            selected: r == point,
        })
        .collect();
    let (items, errors, warnings) = match (input.target, input.draft) {
        (Some(t), Some(d)) => render_items(tr, t.kind, d, input.problems),
        _ => (Vec::new(), Vec::new(), Vec::new()),
    };
    ComposePage {
        c: Chrome::for_person(ctx, p, "web-compose-title"),
        kinds: kind_choices(tr, chosen_kind),
        parties: party_choices(ctx, chosen_to),
        points,
        statuses,
        previous: input.previous.to_owned(),
        composing: input.target.is_some(),
        kind: kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
        kind_label: kind
            .map(|k| tr.t(&format!("{}-short", k.as_str())))
            .unwrap_or_default(),
        to: input
            .target
            .map(|t| t.to.party.to_string())
            .unwrap_or_default(),
        point: point.as_str().to_owned(),
        recipient: input.target.and_then(|t| recipient_facts(ctx, tr, &t.to)),
        items,
        error_count: errors.len().to_string(),
        errors,
        warning_count: warnings.len().to_string(),
        warnings,
        accept_warnings: input.accept_warnings,
        send_error: input.send_error,
    }
}

fn bad_request(lang: Lang) -> Response {
    message_page(
        StatusCode::BAD_REQUEST,
        lang,
        "web-bad-request-title",
        "web-compose-bad-target",
    )
}

/// `GET /compose`: the chooser (kind, Party, contact point, status, earlier ticket), and the
/// composer once a kind and a Party are chosen, pre-filled.
pub async fn compose_form(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    query: Result<Query<ComposeQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, WebRefusal> {
    let Ok(Query(q)) = query else {
        return Ok(bad_request(p.lang));
    };
    let kind = match q.kind.as_deref().filter(|k| !k.is_empty()) {
        None => None,
        Some(k) => match RequestKind::parse(k) {
            Some(k) => Some(k),
            None => return Ok(bad_request(p.lang)),
        },
    };
    let to = match q.to.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match PartyCode::parse(t) {
            Ok(t) if t != ctx.me.party => Some(t),
            Ok(_) | Err(_) => return Ok(bad_request(p.lang)),
        },
    };
    let Some(point) = parse_point(q.point.as_deref()) else {
        return Ok(bad_request(p.lang));
    };
    let previous = match q
        .previous
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        None => None,
        Some(t) => match TicketId::parse(t) {
            Ok(t) => Some(t),
            Err(_) => return Ok(bad_request(p.lang)),
        },
    };
    let status = q.status.as_deref().unwrap_or("new");
    let target = match (kind, to) {
        (Some(kind), Some(party)) => Some(Target {
            kind,
            to: Address { party, point },
        }),
        _ => None,
    };
    if let Some(t) = target
        && !t.kind.statuses().is_empty()
        && !t.kind.statuses().contains(&status)
    {
        return Ok(bad_request(p.lang));
    }
    let draft = match target {
        Some(t) => Some(first_draft(&ctx, &p, t, status, previous.as_ref()).await),
        None => None,
    };
    let previous_text = previous.as_ref().map(|t| t.to_string()).unwrap_or_default();
    Ok(page(
        &ctx,
        &p,
        PageInput {
            target,
            chosen: (kind, to),
            status,
            previous: &previous_text,
            draft: draft.as_ref(),
            problems: &[],
            accept_warnings: false,
            send_error: String::new(),
        },
    )
    .into_response())
}

/// The message shown when sending failed after validation (recipient, directory, store).
fn send_error_text(tr: Tr, e: &cp247_casework::Error) -> String {
    use cp247_casework::Error;
    use cp247_casework::error::Refused;
    let key = match e {
        Error::Refused {
            code: Refused::RecipientUnavailable,
            ..
        } => "web-compose-error-recipient-unavailable",
        Error::Refused {
            code: Refused::RecipientHasNoNode,
            ..
        } => "web-compose-error-recipient-has-no-node",
        Error::Refused {
            code: Refused::RecipientMismatch,
            ..
        } => "web-compose-error-recipient-mismatch",
        Error::Refused {
            code: Refused::RecipientIsSelf,
            ..
        } => "web-compose-error-recipient-is-self",
        Error::Unavailable {
            code: "directory_unusable",
            ..
        } => "web-compose-error-directory-unusable",
        Error::Refused { .. }
        | Error::InvalidReply(_)
        | Error::Attachments { .. }
        | Error::Transition(_)
        | Error::NotFound { .. }
        | Error::Conflict
        | Error::Unavailable { .. }
        | Error::Internal => "web-compose-error-other",
    };
    tr.t1(key, "code", e.code())
}

/// The composer form's fields: what to do and where to (`op`, `~kind`, `~to`, `~point`,
/// `~accept_warnings`), and the draft (every other field but the CSRF token).
fn read_pairs(pairs: &[(String, String)]) -> (HashMap<&str, String>, Draft) {
    let mut meta: HashMap<&str, String> = HashMap::new();
    let mut draft = Draft::default();
    for (k, v) in pairs {
        match k.as_str() {
            "csrf" => {}
            "op" | "~kind" | "~to" | "~point" | "~accept_warnings" => {
                meta.insert(k.as_str(), v.clone());
            }
            _ => draft.set(k.clone(), v.clone()),
        }
    }
    (meta, draft)
}

/// Applies `add:LIST` or `remove:LIST:INDEX` to the draft; false for any other `op`.
fn apply_list_op(draft: &mut Draft, op: &str) -> bool {
    if let Some(list) = op.strip_prefix("add:") {
        draft.add(list);
        true
    } else if let Some(rest) = op.strip_prefix("remove:") {
        if let Some((list, index)) = rest.rsplit_once(':')
            && let Ok(index) = index.parse::<usize>()
        {
            draft.remove(list, index);
        }
        true
    } else {
        false
    }
}

/// Fuzz harness (`fuzz/`, and the seed replay in `tests/fuzz_seeds.rs`): any bytes as the
/// body of `POST /compose`, read as the handler reads them (form decoding, the draft, its list
/// operation, the document tree and its decoding) up to where the handler would send. Never
/// panics, whatever the bytes.
#[doc(hidden)]
pub fn fuzz_compose_form(data: &[u8]) {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(data) else {
        return;
    };
    let (meta, mut draft) = read_pairs(&pairs);
    let get = |k: &str| meta.get(k).map_or("", String::as_str);
    let kind = RequestKind::parse(get("~kind")).unwrap_or(RequestKind::Art29);
    let _ = PartyCode::parse(get("~to"));
    let _ = parse_point(Some(get("~point")));
    apply_list_op(&mut draft, get("op"));
    let parsed = cp247_forms::decode(&document_node(kind, &draft));
    let _ = parsed.report.problems().len();
}

/// `POST /compose`: the draft, with what to do (`op`): add or remove a list item, update the
/// form, or check and send. Problems re-render the form next to their fields; a valid
/// document is sent as `POST /api/v1/requests` sends it, and the officer lands on the case.
pub async fn compose_post(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, WebRefusal> {
    let tr = Tr(p.lang);
    let (meta, mut draft) = read_pairs(&pairs);
    let get = |k: &str| meta.get(k).map_or("", String::as_str);
    let Some(kind) = RequestKind::parse(get("~kind")) else {
        return Ok(bad_request(p.lang));
    };
    let Some(party) = PartyCode::parse(get("~to"))
        .ok()
        .filter(|t| *t != ctx.me.party)
    else {
        return Ok(bad_request(p.lang));
    };
    let Some(point) = parse_point(Some(get("~point"))) else {
        return Ok(bad_request(p.lang));
    };
    let target = Target {
        kind,
        to: Address { party, point },
    };
    let op = get("op");
    let accept_warnings = !get("~accept_warnings").is_empty();
    let status = draft.get("request_status").to_owned();
    let mut problems = Vec::new();
    let mut send_error = String::new();
    if !apply_list_op(&mut draft, op) && op == "send" {
        let parsed = cp247_forms::decode(&document_node(kind, &draft));
        let warned = parsed.report.warnings().next().is_some();
        match parsed.document {
            Some(document) if !warned || accept_warnings => {
                match send(&ctx, &p, target, document).await {
                    Ok(ticket) => {
                        return Ok(Redirect::to(&format!("/cases/{ticket}")).into_response());
                    }
                    Err(e) => send_error = send_error_text(tr, &e),
                }
            }
            Some(_) | None => problems = parsed.report.problems().to_vec(),
        }
    }
    let status_code = if problems.is_empty() && send_error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = page(
        &ctx,
        &p,
        PageInput {
            target: Some(target),
            chosen: (Some(kind), Some(party)),
            status: &status,
            previous: "",
            draft: Some(&draft),
            problems: &problems,
            accept_warnings,
            send_error,
        },
    );
    Ok((status_code, page).into_response())
}

/// Sends a valid document through the API's path, as the signed-in officer.
async fn send(
    ctx: &NodeContext,
    p: &Person,
    target: Target,
    document: Document,
) -> Result<TicketId, cp247_casework::Error> {
    let actor = Actor::user(&p.account.username)
        .map_err(|e| cp247_casework::Error::store("auditing", e))?;
    let (reference, confidential) = match &document {
        Document::Art29(d) => (d.requesting_reference.as_str(), d.request_confidential),
        Document::Art31(d) => (d.requesting_reference.as_str(), d.request_confidential),
        Document::Art35(d) => (d.requesting_reference.as_str(), d.request_confidential),
        Document::Art30(d) => (d.disclosing_reference.as_str(), true),
    };
    let reference = Some(reference.to_owned());
    let queued = ctx
        .work
        .send_request(
            actor,
            RequestToSend {
                to: target.to,
                document,
                reference,
                confidential,
                marking: None,
                // The composer is a plain form; files go through the API for now.
                attachments: Vec::new(),
            },
        )
        .await?;
    Ok(queued.ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_an_item_moves_the_later_ones_up() {
        let mut d = Draft::default();
        d.set("offences~n", "3");
        for i in 0..3 {
            d.set(format!("offences[{i}].name"), format!("o{i}"));
        }
        d.set("offences[1].max_penalty.text", "p1");
        d.set("offences[10].name", "ignored: beyond the count");
        d.remove("offences", 1);
        assert_eq!(d.count("offences"), 2);
        assert_eq!(d.get("offences[0].name"), "o0");
        assert_eq!(d.get("offences[1].name"), "o2");
        assert_eq!(d.get("offences[1].max_penalty.text"), "");
        assert_eq!(d.get("offences[9].name"), "ignored: beyond the count");
        d.add("offences");
        assert_eq!(d.count("offences"), 3);
    }

    #[test]
    fn the_example_documents_survive_the_form() {
        // Every example, flattened into form values the way the page names its inputs,
        // decodes back into the same document: the form can express every field.
        for kind in RequestKind::ALL {
            let doc = cp247_forms::examples::example(kind.kind()).unwrap();
            let json = cp247_forms::to_json_string(&doc);
            let node = Node::from_json(json.as_bytes()).unwrap();
            let mut d = Draft::default();
            flatten(kind.fields(), "", &node, &mut d);
            let parsed = cp247_forms::decode(&document_node(kind, &d));
            assert!(
                parsed.report.is_valid(),
                "{kind:?}: {:?}",
                parsed.report.problems()
            );
            // Check boxes give a set in the forms crate's order.
            assert_eq!(
                in_set_order(parsed.document.unwrap()),
                in_set_order(doc),
                "{kind:?}"
            );
        }
    }

    fn in_set_order(doc: Document) -> Document {
        match doc {
            Document::Art31(mut d) => {
                let mut set: Vec<SubscriberElement> =
                    d.elements_requested.iter().copied().collect();
                set.sort();
                d.elements_requested = cp247_forms::NonEmpty::new(set).unwrap();
                Document::Art31(d)
            }
            other => other,
        }
    }

    fn flatten(fields: &[F], parent: &str, node: &Node, d: &mut Draft) {
        for f in fields {
            let path = key_path(parent, f.key);
            let Some(v) = node.get(f.key) else { continue };
            for which in ["not_applicable", "unknown"] {
                if let Some(m) = v.get(which) {
                    d.set(format!("{path}~"), which);
                    if let Some(Node::String(r)) = m.get("reason") {
                        d.set(format!("{path}~reason"), r.clone());
                    }
                }
            }
            if v.get("not_applicable").is_none() && v.get("unknown").is_none() {
                flatten_spec(&f.spec, &path, v, d);
            }
        }
    }

    fn flatten_spec(spec: &Spec, path: &str, v: &Node, d: &mut Draft) {
        match (spec, v) {
            (Spec::Object(fields), _) => flatten(fields, path, v, d),
            (Spec::List(item), Node::Array(items)) => {
                d.set(format!("{path}~n"), items.len().to_string());
                for (i, it) in items.iter().enumerate() {
                    flatten_spec(item, &format!("{path}[{i}]"), it, d);
                }
            }
            (Spec::Set(_), Node::Array(items)) => {
                for it in items {
                    if let Node::String(w) = it {
                        d.set(format!("{path}~{w}"), "on");
                    }
                }
            }
            (_, Node::String(s)) => d.set(path, s.clone()),
            (_, Node::Bool(b)) => d.set(path, b.to_string()),
            (_, Node::Number(n)) => d.set(path, n.clone()),
            _ => {}
        }
    }

    #[test]
    fn problems_are_placed_next_to_their_inputs() {
        let mut d = Draft::default();
        default_counts(ART29, "", &mut d);
        d.set("previous_ticket~", "not_applicable");
        let parsed = cp247_forms::decode(&document_node(RequestKind::Art29, &d));
        let problems = parsed.report.problems().to_vec();
        assert!(!problems.is_empty());
        let (items, errors, _) = render_items(Tr(Lang::Fr), RequestKind::Art29, &d, &problems);
        // Each error is next to an input and linked from the summary.
        assert!(errors.iter().all(|e| !e.target.is_empty()), "{errors:?}");
        let summary = items.iter().find(|i| i.id == "f-summary_of_facts").unwrap();
        assert_eq!(summary.errors.len(), 1, "{summary:?}");
        // The reason of "not applicable" takes the problem of its blank reason.
        let reason = items
            .iter()
            .find(|i| i.id == "f-previous_ticket-why")
            .unwrap();
        assert_eq!(reason.errors.len(), 1, "{reason:?}");
    }
}

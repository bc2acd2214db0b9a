//! The request composer (`/compose`): Art. 29 (new, or extension of an earlier preservation,
//! with the Art. 30 ask), Art. 31 (new, follow-up to a request for mutual assistance or to a
//! preservation) and Art. 35.
//!
//! Each document is a table of fields in the web form language of [`super::form`], following
//! the forms crate's JSON representation, so every input is named by the path of its field
//! (`data_items[1].identifiers[0].value`). Every optional field offers "not applicable" (and
//! "unknown" where the forms crate accepts it) as explicit choices, each with its reason. On
//! "check and send" the draft becomes a [`Node`] that `cp247_forms::decode` reads like any JSON
//! or XML input; a valid document is sent through case work's `CaseWork::send_request`, the
//! same path as `POST /api/v1/requests`.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::body::Bytes;
use axum::extract::{Query, State};
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

use super::form::{
    self, Anchors, Draft, Field, Naming, Offer, Op, Shape, Visit, Way, applicable as app,
    optional as opt, required as req,
};
use super::pages::{Chrome, Tr, message_page, our_zone, shown_time};
use super::session::{CaseWorker, Person, WebRefusal};
use crate::node::NodeContext;
use cp247_casework::RequestToSend;

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

/// What one input of the composer holds.
#[derive(Debug)]
pub enum Leaf {
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
    /// A set of a list (check boxes, `P~<wire>`).
    Set(Pick),
    /// A fixed value the author states by sending (the Art. 29(2)(f) intention).
    Fixed(&'static str, &'static str),
}

/// A field of a request.
pub type F = Field<Leaf>;

/// What a field of a request holds.
pub type Spec = Shape<Leaf>;

const TEXT: Spec = Shape::Leaf(Leaf::Text);
const LONG: Spec = Shape::Leaf(Leaf::Long);
const DATE: Spec = Shape::Leaf(Leaf::Date);
const INSTANT: Spec = Shape::Leaf(Leaf::Instant);
const BOOL: Spec = Shape::Leaf(Leaf::Bool);

const fn pick(p: Pick) -> Spec {
    Shape::Leaf(Leaf::Pick(p))
}

const fn set(p: Pick) -> Spec {
    Shape::Leaf(Leaf::Set(p))
}

const TICKET_REF: &[F] = &[
    opt("ticket_id", "label-ticket", TEXT),
    opt("counterpart_reference", "label-counterpart-reference", TEXT),
    req("date", "label-date", DATE),
    req("channel", "label-channel", pick(Pick::Channel)),
    req("requesting_contact", "label-requesting-contact", LONG),
    opt("executing_contact", "label-executing-contact", LONG),
];

const REQUESTED: &[F] = &[
    req("party", "label-requested-party", TEXT),
    req("name", "label-contact-point", TEXT),
];

const AUTHORITY: &[F] = &[
    req("party", "label-party", TEXT),
    req("organisation", "label-organisation", TEXT),
    opt("person_in_charge", "label-person-in-charge", TEXT),
    opt("address", "label-address", LONG),
    opt("phone", "label-phone", TEXT),
    opt("mobile", "label-mobile", TEXT),
    opt("email", "label-email", TEXT),
    opt("fax", "label-fax", TEXT),
    opt("office_hours", "label-office-hours", TEXT),
    req("time_zone", "label-time-zone", TEXT),
    req(
        "response_by_expedited_means",
        "label-expedited-response",
        BOOL,
    ),
    opt(
        "preferred_response_channel",
        "label-preferred-channel",
        pick(Pick::Channel),
    ),
];

const CONTACT: &[F] = &[
    req("name", "label-name", TEXT),
    opt("job_title", "label-job-title", TEXT),
    opt("function", "label-function", TEXT),
    opt("phone", "label-phone", TEXT),
    opt("mobile", "label-mobile", TEXT),
    opt("email", "label-email", TEXT),
];

const PENALTY: &[F] = &[
    req("text", "web-compose-penalty-text", TEXT),
    opt("months", "web-compose-penalty-months", TEXT),
];

const OFFENCE: &[F] = &[
    req("name", "label-name", TEXT),
    req("legal_provision", "label-legal-provision", TEXT),
    opt("max_penalty", "label-max-penalty", Shape::Object(PENALTY)),
    app(
        "convention_offence",
        "label-convention-offence",
        pick(Pick::ConventionArticle),
    ),
    opt("description", "label-description", LONG),
];

const DATE_TIME: &[F] = &[
    req("instant", "label-instant", INSTANT),
    opt("zone", "label-time-zone", TEXT),
    opt("original_text", "label-as-recorded", TEXT),
    req("source_clock", "label-clock", pick(Pick::SourceClock)),
];

const TIME_RANGE: &[F] = &[
    req("start", "reply-label-start", Shape::Object(DATE_TIME)),
    opt("end", "reply-label-end", Shape::Object(DATE_TIME)),
];

const CONNECTION: &[F] = &[
    opt("port", "label-port", TEXT),
    opt("protocol", "label-protocol", pick(Pick::Protocol)),
    opt("direction", "label-direction", pick(Pick::Direction)),
];

const IDENTIFIER: &[F] = &[
    req("kind", "label-kind", pick(Pick::IdentifierKind)),
    req("value", "label-value", TEXT),
    opt("connection", "label-connection", Shape::Object(CONNECTION)),
    opt("observed", "label-observed", Shape::Object(TIME_RANGE)),
    opt("service", "label-service", TEXT),
    opt("note", "label-note", LONG),
];

const PROVIDER: &[F] = &[
    req("name", "label-name", TEXT),
    opt("legal_entity", "label-legal-entity", TEXT),
    opt("country", "label-country", TEXT),
    opt("address", "label-address", LONG),
    opt("service", "label-service", TEXT),
    opt("provider_reference", "label-provider-reference", TEXT),
    opt("contact", "label-le-contact", TEXT),
];

const CUSTODIAN: &[F] = &[
    opt(
        "providers",
        "label-providers",
        Shape::List(&Shape::Object(PROVIDER)),
    ),
    opt("location_of_system", "label-location-of-system", LONG),
];

const DATA_ITEM: &[F] = &[
    req("categories", "label-categories", set(Pick::DataCategory)),
    req(
        "identifiers",
        "label-identifiers",
        Shape::List(&Shape::Object(IDENTIFIER)),
    ),
    opt("time_range", "label-period", Shape::Object(TIME_RANGE)),
    opt("service", "label-service", TEXT),
    req("description", "label-description", LONG),
];

const OFFICIAL: &[F] = &[
    req("name", "label-name", TEXT),
    req("function", "label-function", TEXT),
    req("date", "label-date", DATE),
];

const CASE_OFFICE: &[F] = &[
    req("name", "label-name", TEXT),
    opt("case_number", "label-case-number", TEXT),
];

const DOCUMENT_REF: &[F] = &[
    req("id", "label-document-id", TEXT),
    req("title", "label-title", TEXT),
    req("kind", "label-kind", pick(Pick::AttachmentKind)),
    req("language", "label-language", TEXT),
    opt("sha256", "label-sha256", TEXT),
    req("issued_by", "label-issued-by", TEXT),
    opt("issued_at", "label-issued-on", DATE),
];

const CONDITION: &[F] = &[
    req("kind", "label-kind", pick(Pick::ConditionKind)),
    req("text", "label-condition", LONG),
    opt("basis", "label-basis", TEXT),
];

const ART29: &[F] = &[
    req("request_date", "label-request-date", DATE),
    req("requesting_reference", "label-reference", TEXT),
    req("request_status", "art29-s3", pick(Pick::Status29)),
    app(
        "previous_ticket",
        "label-previous-request",
        Shape::Object(TICKET_REF),
    ),
    req("requested_authority", "art29-s4", Shape::Object(REQUESTED)),
    req("requesting_authority", "art29-s5", Shape::Object(AUTHORITY)),
    opt("confirmation_contact", "art29-s6", Shape::Object(CONTACT)),
    opt(
        "investigative_authority",
        "art29-s7",
        Shape::Object(AUTHORITY),
    ),
    opt("prosecution_or_court", "label-prosecution-or-court", TEXT),
    req("urgency", "label-urgency", pick(Pick::Urgency)),
    app("urgency_justification", "label-urgency-justification", LONG),
    req("request_confidential", "label-confidential", BOOL),
    req("no_user_notification", "label-no-user-notification", BOOL),
    req(
        "offences",
        "label-offences",
        Shape::List(&Shape::Object(OFFENCE)),
    ),
    req("summary_of_facts", "label-summary-of-facts", LONG),
    req(
        "data_items",
        "art29-s10",
        Shape::List(&Shape::Object(DATA_ITEM)),
    ),
    req("relationship_to_offence", "label-relationship", LONG),
    req("custodian", "art29-s12", Shape::Object(CUSTODIAN)),
    req("necessity", "label-necessity", LONG),
    req(
        "mla_intention",
        "art29-s14",
        Shape::Leaf(Leaf::Fixed("true", "value-mla-intention")),
    ),
    opt("planned_mla_by", "label-planned-mla-by", DATE),
    opt(
        "planned_mla_channel",
        "label-planned-mla-channel",
        pick(Pick::Channel),
    ),
    req(
        "request_partial_traffic_disclosure",
        "label-art30-requested",
        BOOL,
    ),
    app("requested_period", "label-requested-period", TEXT),
    req(
        "authorising_official",
        "label-authorised-by",
        Shape::Object(OFFICIAL),
    ),
];

const ART31: &[F] = &[
    req("request_date", "label-request-date", DATE),
    req("requesting_reference", "label-reference", TEXT),
    req("request_status", "art31-s3", pick(Pick::Status31)),
    app("previous_mla", "art31-s9", Shape::Object(TICKET_REF)),
    app(
        "previous_preservation",
        "art31-s10",
        Shape::Object(TICKET_REF),
    ),
    req("requested_authority", "art31-s4", Shape::Object(REQUESTED)),
    req("requesting_authority", "art31-s5", Shape::Object(AUTHORITY)),
    opt("confirmation_contact", "art31-s6", Shape::Object(CONTACT)),
    opt(
        "investigative_authority",
        "art31-s7",
        Shape::Object(AUTHORITY),
    ),
    opt(
        "prosecution_office",
        "label-prosecution-office",
        Shape::Object(CASE_OFFICE),
    ),
    opt("court", "label-court", Shape::Object(CASE_OFFICE)),
    opt(
        "judicial_decisions",
        "label-decisions",
        Shape::List(&Shape::Object(DOCUMENT_REF)),
    ),
    opt("domestic_legal_basis", "label-domestic-legal-basis", LONG),
    req("urgency", "label-urgency", pick(Pick::Urgency)),
    app("urgency_justification", "label-urgency-justification", LONG),
    req("request_confidential", "label-confidential", BOOL),
    req(
        "offences",
        "label-offences",
        Shape::List(&Shape::Object(OFFENCE)),
    ),
    req("summary_of_facts", "label-summary-of-facts", LONG),
    req(
        "subscriber_targets",
        "art31-s14",
        Shape::List(&Shape::Object(IDENTIFIER)),
    ),
    req(
        "elements_requested",
        "label-elements-requested",
        set(Pick::SubscriberElement),
    ),
    req("relevance", "label-relevance", LONG),
    opt("procedures_requested", "label-procedures-requested", LONG),
    req("use_limitation", "label-use-limitation", LONG),
    opt(
        "conditions",
        "label-conditions",
        Shape::List(&Shape::Object(CONDITION)),
    ),
    opt(
        "results_channel",
        "label-results-channel",
        pick(Pick::Channel),
    ),
    req(
        "authorising_official",
        "label-authorised-by",
        Shape::Object(OFFICIAL),
    ),
];

const ART35: &[F] = &[
    req("request_date", "label-request-date", DATE),
    req("requesting_reference", "label-reference", TEXT),
    req(
        "requested_authority",
        "label-requested-contact-point",
        Shape::Object(REQUESTED),
    ),
    req(
        "requesting_authority",
        "label-requesting-contact-point",
        Shape::Object(AUTHORITY),
    ),
    req(
        "assistance_type",
        "label-assistance-type",
        pick(Pick::AssistanceType),
    ),
    req("question", "label-question", LONG),
    opt("context", "label-context", LONG),
    opt(
        "identifiers",
        "label-identifiers",
        Shape::List(&Shape::Object(IDENTIFIER)),
    ),
    opt(
        "offences",
        "label-offences",
        Shape::List(&Shape::Object(OFFENCE)),
    ),
    opt("answer_needed_by", "label-answer-needed-by", INSTANT),
    req("urgency", "label-urgency", pick(Pick::Urgency)),
    app("urgency_justification", "label-urgency-justification", LONG),
    req("request_confidential", "label-confidential", BOOL),
    req(
        "authorising_official",
        "label-authorised-by",
        Shape::Object(OFFICIAL),
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
// The draft and its document.

/// The composer's input names: `P~` is the way an optional field is filled, `P~reason` its
/// reason, `P~n` the number of items of a list, `P~<wire>` a check box of a set.
pub const NAMING: Naming = Naming {
    way: "~",
    reason: "~reason",
    count: "~n",
};

/// A new, empty draft.
pub fn new_draft() -> Draft {
    Draft::new(NAMING)
}

fn leaf_node(leaf: &Leaf, path: &str, d: &Draft) -> Node {
    match leaf {
        Leaf::Text | Leaf::Long | Leaf::Date | Leaf::Instant | Leaf::Bool | Leaf::Pick(_) => {
            Node::Text(d.get(path).to_owned())
        }
        Leaf::Set(pick) => Node::Array(
            pick.wires()
                .into_iter()
                .filter(|w| !d.get(&format!("{path}~{w}")).is_empty())
                .map(|w| Node::Text(w.to_owned()))
                .collect(),
        ),
        Leaf::Fixed(value, _) => Node::Text((*value).to_owned()),
    }
}

/// The whole document tree of a draft of `kind` (what `cp247_forms::decode` reads).
pub fn document_node(kind: RequestKind, d: &Draft) -> Node {
    let mut entries = form::build(kind.fields(), "", d, &mut |leaf, path| {
        leaf_node(leaf, path, d)
    });
    entries.insert(0, ("kind".to_owned(), Node::Text(kind.as_str().to_owned())));
    Node::Object(entries)
}

// ---------------------------------------------------------------------------------------------
// Rendering: the fields and the draft as a flat list of items for the template.

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
    pub options: Vec<Offer>,
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
    anchors: Anchors,
    depth: usize,
    /// The choice item of each optional field being rendered, innermost last.
    choices: Vec<usize>,
}

impl Renderer<'_> {
    fn push(&mut self, mut item: Item, anchor: Option<&str>) -> usize {
        item.depth = self.depth;
        let at = self.items.len();
        self.items.push(item);
        if let Some(path) = anchor {
            self.anchors.mark(path, at);
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

    fn item_label(&self, f: &F, index: usize) -> String {
        let number = (index + 1).to_string();
        format!(
            "{} — {}",
            self.tr.t(f.label),
            self.tr.t1("label-item-n", "n", &number)
        )
    }

    fn select(&self, id: String, path: &str, label: String, options: Vec<Offer>) -> Item {
        let mut item = Item::new(ItemKind::Select, id, path.to_owned(), label);
        item.options = options;
        item
    }
}

impl Visit<Leaf> for Renderer<'_> {
    fn begin_field(&mut self, f: &'static F, path: &str) {
        if f.presence.is_required() {
            return;
        }
        // A group: how the field is filled, its reason, and its value.
        let label = self.tr.t(f.label);
        let group_at = self.open(path, "-group", label.clone(), None);
        let current = Way::parse(self.d.get(&self.d.way_name(path)));
        let ways = f.presence.ways().iter().map(|w| {
            let key = match w {
                Way::Value => "web-compose-has-value",
                Way::NotApplicable => "web-compose-not-applicable",
                Way::Unknown => "web-compose-unknown",
            };
            (w.as_str().to_owned(), self.tr.t(key))
        });
        let how = self.select(
            format!("{}-how", element_id(path)),
            &self.d.way_name(path),
            self.tr.t1("web-compose-how", "field", &label),
            Offer::list(ways, |v| v == current.as_str()),
        );
        let choice_at = self.push(how, None);
        let reason_name = self.d.reason_name(path);
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
                    .mark(format!("{path}.{which}{suffix}"), reason_at);
            }
        }
        if matches!(f.shape, Shape::Object(_)) {
            self.anchors.mark(path, group_at);
        }
        self.choices.push(choice_at);
    }

    fn end_field(&mut self, f: &'static F, path: &str) {
        if f.presence.is_required() {
            return;
        }
        // Problems about the whole field (e.g. "unknown is not allowed here") go to the
        // choice when no input of the value took them.
        if let Some(choice_at) = self.choices.pop() {
            self.anchors.mark(path, choice_at);
        }
        self.close();
    }

    fn begin_object(&mut self, f: &'static F, path: &str) {
        // An optional object's fields go straight into its group (one legend, not two).
        if f.presence.is_required() {
            let label = self.tr.t(f.label);
            let _ = self.open(path, "", label, Some(path));
        }
    }

    fn end_object(&mut self, f: &'static F, _path: &str) {
        if f.presence.is_required() {
            self.close();
        }
    }

    fn begin_list(&mut self, f: &'static F, path: &str, count: usize) {
        let label = self.tr.t(f.label);
        let _ = self.open(path, "", label, Some(path));
        let mut n = Item::new(
            ItemKind::Hidden,
            String::new(),
            self.d.count_name(path),
            String::new(),
        );
        n.value = count.to_string();
        self.push(n, None);
    }

    fn begin_entry(&mut self, f: &'static F, item: &'static Spec, path: &str, _: &str, i: usize) {
        let label = self.item_label(f, i);
        match item {
            Shape::Object(_) => {
                let _ = self.open(path, "", label, Some(path));
            }
            Shape::Leaf(_) | Shape::List(_) => {
                let _ = self.open(path, "-group", label, None);
            }
        }
    }

    fn end_entry(&mut self, f: &'static F, _: &'static Spec, path: &str, list: &str, i: usize) {
        let label = self.item_label(f, i);
        self.push(
            Item::new(
                ItemKind::Remove,
                format!("{}-remove", element_id(path)),
                Op::remove(list, i),
                self.tr.t1("web-compose-remove", "item", &label),
            ),
            None,
        );
        self.close();
    }

    fn end_list(&mut self, f: &'static F, path: &str, _count: usize) {
        let label = self.tr.t(f.label);
        self.push(
            Item::new(
                ItemKind::Add,
                format!("{}-add", element_id(path)),
                Op::add(path),
                self.tr.t1("web-compose-add", "list", &label),
            ),
            None,
        );
        self.close();
    }

    fn leaf(&mut self, f: &'static F, leaf: &'static Leaf, path: &str, entry: Option<usize>) {
        let label = match entry {
            Some(i) => self.item_label(f, i),
            None => self.tr.t(f.label),
        };
        let id = element_id(path);
        let current = self.d.get(path);
        match leaf {
            Leaf::Text | Leaf::Long | Leaf::Date | Leaf::Instant => {
                let kind = match leaf {
                    Leaf::Long => ItemKind::Long,
                    Leaf::Date => ItemKind::Date,
                    _ => ItemKind::Text,
                };
                let mut item = Item::new(kind, id, path.to_owned(), label);
                item.value = current.to_owned();
                item.hint = hint(self.tr, leaf, path);
                self.push(item, Some(path));
            }
            Leaf::Bool => {
                let yes_no = [("true", "render-yes"), ("false", "render-no")]
                    .map(|(v, k)| (v.to_owned(), self.tr.t(k)));
                let item = self.select(id, path, label, Offer::list(yes_no, |v| v == current));
                self.push(item, Some(path));
            }
            Leaf::Pick(pick) => {
                let none = (String::new(), self.tr.t("web-compose-choose"));
                let wires = pick
                    .wires()
                    .into_iter()
                    .map(|w| (w.to_owned(), pick.label(self.tr, w)));
                let options = Offer::list(std::iter::once(none).chain(wires), |v| v == current);
                let item = self.select(id, path, label, options);
                self.push(item, Some(path));
            }
            Leaf::Set(pick) => {
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
            Leaf::Fixed(value, statement) => {
                let mut item = Item::new(ItemKind::Statement, id, path.to_owned(), label);
                item.value = (*value).to_owned();
                item.hint = self.tr.t(statement);
                self.push(item, Some(path));
            }
        }
    }
}

/// The format hint of an input.
fn hint(tr: Tr, leaf: &Leaf, path: &str) -> String {
    let last = path.rsplit('.').next().unwrap_or(path);
    match leaf {
        Leaf::Instant => tr.t("web-compose-hint-instant"),
        Leaf::Date => tr.t("web-compose-hint-date"),
        Leaf::Text | Leaf::Long => match last {
            "phone" | "mobile" | "fax" => tr.t("web-compose-hint-phone"),
            "party" | "country" => tr.t("web-compose-hint-party"),
            "time_zone" | "zone" => tr.t("web-compose-hint-zone"),
            "requested_period" => tr.t("web-compose-hint-period"),
            "ticket_id" => tr.t("web-compose-hint-ticket"),
            _ => String::new(),
        },
        Leaf::Bool | Leaf::Pick(_) | Leaf::Set(_) | Leaf::Fixed(..) => String::new(),
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
        anchors: Anchors::default(),
        depth: 0,
        choices: Vec::new(),
    };
    form::walk(kind.fields(), "", d, &mut r);
    let (mut errors, mut warnings) = (Vec::new(), Vec::new());
    for p in problems {
        let at = r.anchors.find(&p.path().to_string());
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
    let mut d = new_draft();
    let today = ctx
        .clock
        .now()
        .to_zoned_datetime(our_zone(ctx))
        .date()
        .to_string();
    d.set("request_date", today.clone());
    d.set("authorising_official.date", today);
    d.set("urgency", "routine");
    d.set_way("urgency_justification", Way::Value);
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
        d.set_way(field, Way::Value);
        d.set(format!("{field}.ticket_id"), ticket.as_str());
        let counterpart = format!("{field}.counterpart_reference");
        d.set_way(&counterpart, Way::NotApplicable);
        d.set_reason(&counterpart, tr.t("web-compose-reason-by-ticket"));
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
            d.set_way("previous_ticket", Way::NotApplicable);
            d.set_reason("previous_ticket", new_reason);
        }
        (RequestKind::Art31, "follow_up_preservation", Some(id)) => {
            earlier(&mut d, "previous_preservation", id, previous_date);
            d.set_way("previous_mla", Way::NotApplicable);
        }
        (RequestKind::Art31, "follow_up_mla", Some(id)) => {
            earlier(&mut d, "previous_mla", id, previous_date);
            d.set_way("previous_preservation", Way::NotApplicable);
        }
        (RequestKind::Art31, "new", _) => {
            for field in ["previous_mla", "previous_preservation"] {
                d.set_way(field, Way::NotApplicable);
                d.set_reason(field, new_reason.clone());
            }
        }
        (RequestKind::Art31, _, _) => {}
        (RequestKind::Art35, _, _) => {}
    }
    d.open_lists(target.kind.fields(), "");
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
    kinds: Vec<Offer>,
    parties: Vec<PartyChoice>,
    points: Vec<Offer>,
    statuses: Vec<Offer>,
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

fn kind_choices(tr: Tr, current: Option<RequestKind>) -> Vec<Offer> {
    RequestKind::ALL
        .into_iter()
        .map(|k| Offer {
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
    .map(|s| Offer {
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
        .map(|r| Offer {
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
        Error::Refused {
            code: Refused::PeerCannotRead,
            ..
        } => "web-compose-error-peer-cannot-read",
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

/// Fuzz harness (`fuzz/`, and the seed replay in `tests/fuzz_seeds.rs`): any bytes as the
/// body of `POST /compose`, read as the handler reads them (form decoding, the draft, its list
/// operation, the document tree and its decoding) up to where the handler would send. Never
/// panics, whatever the bytes.
#[doc(hidden)]
pub fn fuzz_compose_form(data: &[u8]) {
    let Ok(mut draft) = Draft::parse(data, NAMING) else {
        return;
    };
    let mut meta = |k: &str| draft.take(k).unwrap_or_default();
    let (op, kind, to, point) = (meta("op"), meta("~kind"), meta("~to"), meta("~point"));
    let kind = RequestKind::parse(&kind).unwrap_or(RequestKind::Art29);
    let _ = PartyCode::parse(&to);
    let _ = parse_point(Some(&point));
    draft.apply(&Op::parse(&op), kind.fields());
    let parsed = cp247_forms::decode(&document_node(kind, &draft));
    let _ = parsed.report.problems().len();
}

/// `POST /compose`: the draft, with what to do (`op`): add or remove a list item, update the
/// form, or check and send. Problems re-render the form next to their fields; a valid
/// document is sent as `POST /api/v1/requests` sends it, and the officer lands on the case.
pub async fn compose_post(
    State(ctx): State<Arc<NodeContext>>,
    CaseWorker(p): CaseWorker,
    body: Bytes,
) -> Result<Response, WebRefusal> {
    let tr = Tr(p.lang);
    let mut draft = match Draft::parse(&body, NAMING) {
        Ok(d) => d,
        Err(e) => return Ok(form::refused(p.lang, &e)),
    };
    let mut meta = |k: &str| draft.take(k).unwrap_or_default();
    let (_, op, kind, to, point, accept) = (
        meta("csrf"),
        meta("op"),
        meta("~kind"),
        meta("~to"),
        meta("~point"),
        meta("~accept_warnings"),
    );
    let Some(kind) = RequestKind::parse(&kind) else {
        return Ok(bad_request(p.lang));
    };
    let Some(party) = PartyCode::parse(&to).ok().filter(|t| *t != ctx.me.party) else {
        return Ok(bad_request(p.lang));
    };
    let Some(point) = parse_point(Some(&point)) else {
        return Ok(bad_request(p.lang));
    };
    let target = Target {
        kind,
        to: Address { party, point },
    };
    let op = Op::parse(&op);
    let accept_warnings = !accept.is_empty();
    let status = draft.get("request_status").to_owned();
    let mut problems = Vec::new();
    let mut send_error = String::new();
    draft.apply(&op, kind.fields());
    if op == Op::Send {
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
    fn the_example_documents_survive_the_form() {
        // Every example, typed into form values the way the page names its inputs, decodes
        // back into the same document: the form can express every field.
        for kind in RequestKind::ALL {
            let doc = cp247_forms::examples::example(kind.kind()).unwrap();
            let json = cp247_forms::to_json_string(&doc);
            let node = Node::from_json(json.as_bytes()).unwrap();
            let mut d = new_draft();
            form::fill(kind.fields(), "", &node, &mut d, &mut type_leaf);
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

    fn type_leaf(leaf: &'static Leaf, path: &str, v: &Node, d: &mut Draft) {
        match (leaf, v) {
            (Leaf::Set(_), Node::Array(items)) => {
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
        let mut d = new_draft();
        d.open_lists(ART29, "");
        d.set_way("previous_ticket", Way::NotApplicable);
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

    #[test]
    fn list_buttons_act_on_the_lists_of_the_document_only() {
        let mut d = new_draft();
        d.open_lists(ART29, "");
        d.apply(&Op::parse("add:data_items[0].identifiers"), ART29);
        assert_eq!(d.get("data_items[0].identifiers~n"), "2");
        d.apply(&Op::parse("add:summary_of_facts"), ART29);
        d.apply(&Op::parse("add:nothing"), ART29);
        assert_eq!(d.find("summary_of_facts~n"), None);
        assert_eq!(d.find("nothing~n"), None);
    }
}

//! Typed document → [`Node`] (and so → JSON, → XML). Canonical: keys in the order of the
//! document model, every field present, nothing added. [`crate::decode`] reads back exactly
//! what this writes: `decode(encode(x)) == x`.

use std::net::IpAddr;

use cp247_domain::{Channel, Instant, MessageId, PartyCode, TicketId, ZoneName};
use jiff::civil::Date;

use crate::documents::{
    AssistanceRequest, Document, MlaIntention, PreservationRequest, PreservationStatus,
    SubscriberInfoRequest, SubscriberRequestStatus, TrafficDisclosure, UrgencyStatement,
    Withholding,
};
use crate::field::{Applicable, Field, NonEmpty, Reason};
use crate::node::Node;
use crate::shared::{
    Asn, AuthorisingOfficial, Authority, CaseOffice, Choice, Condition, Connection, ContactPerson,
    Country, Custodian, DataItem, DateTimeTz, DocumentRef, DomainName, Email, Identifier,
    LanguageTag, LongText, Offence, Penalty, Phone, Port, PreservationPeriod, ProviderRef,
    RequestedAuthority, Sha256, SocketAddress, Text, TicketRef, TimeRange, TrafficRecord, Url,
};

/// Encodes a document as a tree: `{"kind": "art29", …fields}`.
pub fn encode(doc: &Document) -> Node {
    let (kind, mut fields) = match doc {
        Document::Art29(d) => ("art29", art29(d)),
        Document::Art30(d) => ("art30", art30(d)),
        Document::Art31(d) => ("art31", art31(d)),
        Document::Art35(d) => ("art35", art35(d)),
    };
    fields.insert(0, ("kind".to_owned(), Node::string(kind)));
    Node::Object(fields)
}

/// The JSON text of a document: canonical, indented, ends with a newline.
pub fn to_json_string(doc: &Document) -> String {
    encode(doc).to_json_pretty()
}

/// A value that has a tree form (shared by request and reply documents).
pub(crate) trait Encode {
    fn encode(&self) -> Node;
}

type Fields = Vec<(String, Node)>;

/// Builds an object's fields in order.
pub(crate) struct Obj(Fields);

impl Obj {
    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }
    /// An object whose first key is `kind`.
    pub(crate) fn kind(name: &str) -> Self {
        Self(vec![("kind".to_owned(), Node::string(name))])
    }
    pub(crate) fn put(mut self, key: &str, value: &impl Encode) -> Self {
        self.0.push((key.to_owned(), value.encode()));
        self
    }
    pub(crate) fn node(mut self, key: &str, value: Node) -> Self {
        self.0.push((key.to_owned(), value));
        self
    }
    pub(crate) fn done(self) -> Node {
        Node::Object(self.0)
    }
}

fn marker(which: &str, reason: &Reason) -> Node {
    Node::object([(
        which,
        Node::object([("reason", Node::string(reason.as_str()))]),
    )])
}

impl<T: Encode> Encode for Field<T> {
    fn encode(&self) -> Node {
        match self {
            Field::Value(v) => v.encode(),
            Field::NotApplicable(r) => marker("not_applicable", r),
            Field::Unknown(r) => marker("unknown", r),
        }
    }
}

impl<T: Encode> Encode for Applicable<T> {
    fn encode(&self) -> Node {
        match self {
            Applicable::Value(v) => v.encode(),
            Applicable::NotApplicable(r) => marker("not_applicable", r),
        }
    }
}

impl<T: Encode> Encode for NonEmpty<T> {
    fn encode(&self) -> Node {
        Node::Array(self.iter().map(Encode::encode).collect())
    }
}

impl<T: Encode> Encode for &T {
    fn encode(&self) -> Node {
        (*self).encode()
    }
}

impl Encode for bool {
    fn encode(&self) -> Node {
        Node::Bool(*self)
    }
}

impl<T: Encode> Encode for Box<T> {
    fn encode(&self) -> Node {
        (**self).encode()
    }
}

/// Integers are written as JSON numbers.
macro_rules! encode_number {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self) -> Node {
                Node::Number(self.to_string())
            }
        }
    )*};
}

encode_number!(u16, u32, u64);

impl Encode for Document {
    fn encode(&self) -> Node {
        encode(self)
    }
}

/// Types written as their `Display` text.
macro_rules! encode_display {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self) -> Node {
                Node::String(self.to_string())
            }
        }
    )*};
}

encode_display!(
    Text,
    LongText,
    Email,
    Phone,
    Url,
    DomainName,
    LanguageTag,
    Sha256,
    Country,
    PartyCode,
    TicketId,
    MessageId,
    ZoneName,
    Instant,
    Date,
    PreservationPeriod,
    IpAddr
);

impl Encode for Port {
    fn encode(&self) -> Node {
        Node::Number(self.get().to_string())
    }
}

impl Encode for Asn {
    fn encode(&self) -> Node {
        Node::Number(self.get().to_string())
    }
}

/// Every [`Choice`] is written as its wire name.
pub(crate) struct ChoiceNode<C: Choice>(C);

impl<C: Choice> Encode for ChoiceNode<C> {
    fn encode(&self) -> Node {
        Node::string(self.0.as_str())
    }
}

pub(crate) fn choice<C: Choice>(c: C) -> ChoiceNode<C> {
    ChoiceNode(c)
}

fn choice_field<C: Choice>(f: &Field<C>) -> Field<ChoiceNode<C>> {
    f.clone().map(ChoiceNode)
}

fn channel(c: &Channel) -> ChoiceNode<Channel> {
    ChoiceNode(*c)
}

impl Encode for DateTimeTz {
    fn encode(&self) -> Node {
        Obj::new()
            .put("instant", &self.instant)
            .put("zone", &self.zone)
            .put("original_text", &self.original_text)
            .put("source_clock", &choice(self.source_clock))
            .done()
    }
}

impl Encode for TimeRange {
    fn encode(&self) -> Node {
        Obj::new()
            .put("start", &self.start)
            .put("end", &self.end)
            .done()
    }
}

impl Encode for Connection {
    fn encode(&self) -> Node {
        Obj::new()
            .put("port", &self.port)
            .put("protocol", &choice_field(&self.protocol))
            .put("direction", &choice_field(&self.direction))
            .done()
    }
}

impl Encode for Identifier {
    fn encode(&self) -> Node {
        Obj::new()
            .put("kind", &choice(self.value.kind()))
            .node("value", Node::String(self.value.to_text()))
            .put("connection", &self.connection)
            .put("observed", &self.observed)
            .put("service", &self.service)
            .put("note", &self.note)
            .done()
    }
}

impl Encode for Authority {
    fn encode(&self) -> Node {
        Obj::new()
            .put("party", &self.party)
            .put("organisation", &self.organisation)
            .put("person_in_charge", &self.person_in_charge)
            .put("address", &self.address)
            .put("phone", &self.phone)
            .put("mobile", &self.mobile)
            .put("email", &self.email)
            .put("fax", &self.fax)
            .put("office_hours", &self.office_hours)
            .put("time_zone", &self.time_zone)
            .put(
                "response_by_expedited_means",
                &self.response_by_expedited_means,
            )
            .put(
                "preferred_response_channel",
                &choice_field(&self.preferred_response_channel),
            )
            .done()
    }
}

impl Encode for RequestedAuthority {
    fn encode(&self) -> Node {
        Obj::new()
            .put("party", &self.party)
            .put("name", &self.name)
            .done()
    }
}

impl Encode for ContactPerson {
    fn encode(&self) -> Node {
        Obj::new()
            .put("name", &self.name)
            .put("job_title", &self.job_title)
            .put("function", &self.function)
            .put("phone", &self.phone)
            .put("mobile", &self.mobile)
            .put("email", &self.email)
            .done()
    }
}

impl Encode for Penalty {
    fn encode(&self) -> Node {
        Obj::new()
            .put("text", &self.text)
            .put("months", &self.months)
            .done()
    }
}

impl Encode for Offence {
    fn encode(&self) -> Node {
        let convention = match &self.convention_offence {
            Applicable::Value(a) => Applicable::Value(choice(*a)),
            Applicable::NotApplicable(r) => Applicable::NotApplicable(r.clone()),
        };
        Obj::new()
            .put("name", &self.name)
            .put("legal_provision", &self.legal_provision)
            .put("max_penalty", &self.max_penalty)
            .put("convention_offence", &convention)
            .put("description", &self.description)
            .done()
    }
}

impl Encode for ProviderRef {
    fn encode(&self) -> Node {
        Obj::new()
            .put("name", &self.name)
            .put("legal_entity", &self.legal_entity)
            .put("country", &self.country)
            .put("address", &self.address)
            .put("service", &self.service)
            .put("provider_reference", &self.provider_reference)
            .put("contact", &self.contact)
            .done()
    }
}

impl Encode for Custodian {
    fn encode(&self) -> Node {
        Obj::new()
            .put("providers", &self.providers)
            .put("location_of_system", &self.location_of_system)
            .done()
    }
}

impl Encode for TicketRef {
    fn encode(&self) -> Node {
        Obj::new()
            .put("ticket_id", &self.ticket_id)
            .put("counterpart_reference", &self.counterpart_reference)
            .put("date", &self.date)
            .put("channel", &channel(&self.channel))
            .put("requesting_contact", &self.requesting_contact)
            .put("executing_contact", &self.executing_contact)
            .done()
    }
}

impl Encode for DocumentRef {
    fn encode(&self) -> Node {
        Obj::new()
            .put("id", &self.id)
            .put("title", &self.title)
            .put("kind", &choice(self.kind))
            .put("language", &self.language)
            .put("sha256", &self.sha256)
            .put("issued_by", &self.issued_by)
            .put("issued_at", &self.issued_at)
            .done()
    }
}

impl Encode for Condition {
    fn encode(&self) -> Node {
        Obj::new()
            .put("kind", &choice(self.kind))
            .put("text", &self.text)
            .put("basis", &self.basis)
            .done()
    }
}

impl Encode for AuthorisingOfficial {
    fn encode(&self) -> Node {
        Obj::new()
            .put("name", &self.name)
            .put("function", &self.function)
            .put("date", &self.date)
            .done()
    }
}

impl Encode for CaseOffice {
    fn encode(&self) -> Node {
        Obj::new()
            .put("name", &self.name)
            .put("case_number", &self.case_number)
            .done()
    }
}

impl Encode for DataItem {
    fn encode(&self) -> Node {
        let categories = Node::Array(
            self.categories
                .iter()
                .map(|c| Node::string(c.as_str()))
                .collect(),
        );
        Obj::new()
            .node("categories", categories)
            .put("identifiers", &self.identifiers)
            .put("time_range", &self.time_range)
            .put("service", &self.service)
            .put("description", &self.description)
            .done()
    }
}

impl Encode for SocketAddress {
    fn encode(&self) -> Node {
        Obj::new()
            .put("address", &self.address)
            .put("port", &self.port)
            .done()
    }
}

impl Encode for TrafficRecord {
    fn encode(&self) -> Node {
        Obj::new()
            .put("at", &self.at)
            .put("source", &self.source)
            .put("destination", &self.destination)
            .put("protocol", &choice_field(&self.protocol))
            .put("destination_hostname", &self.destination_hostname)
            .put("source_asn", &self.source_asn)
            .put("destination_asn", &self.destination_asn)
            .put("service", &self.service)
            .done()
    }
}

impl Encode for Withholding {
    fn encode(&self) -> Node {
        Obj::new()
            .put("ground", &choice(self.ground))
            .put("explanation", &self.explanation)
            .done()
    }
}

impl Encode for MlaIntention {
    fn encode(&self) -> Node {
        Node::Bool(true)
    }
}

fn urgency(obj: Obj, u: &UrgencyStatement) -> Obj {
    obj.put("urgency", &choice(u.level()))
        .put("urgency_justification", &u.justification())
}

fn art29(d: &PreservationRequest) -> Fields {
    let obj = Obj::new()
        .put("request_date", &d.request_date)
        .put("requesting_reference", &d.requesting_reference)
        .node("request_status", Node::string(d.request_status.as_str()))
        .put("previous_ticket", &previous_ticket(&d.request_status))
        .put("requested_authority", &d.requested_authority)
        .put("requesting_authority", &d.requesting_authority)
        .put("confirmation_contact", &d.confirmation_contact)
        .put("investigative_authority", &d.investigative_authority)
        .put("prosecution_or_court", &d.prosecution_or_court);
    urgency(obj, &d.urgency)
        .put("request_confidential", &d.request_confidential)
        .put("no_user_notification", &d.no_user_notification)
        .put("offences", &d.offences)
        .put("summary_of_facts", &d.summary_of_facts)
        .put("data_items", &d.data_items)
        .put("relationship_to_offence", &d.relationship_to_offence)
        .put("custodian", &d.custodian)
        .put("necessity", &d.necessity)
        .put("mla_intention", &d.mla_intention)
        .put("planned_mla_by", &d.planned_mla_by)
        .put("planned_mla_channel", &choice_field(&d.planned_mla_channel))
        .put(
            "request_partial_traffic_disclosure",
            &d.request_partial_traffic_disclosure,
        )
        .put("requested_period", &d.requested_period)
        .put("authorising_official", &d.authorising_official)
        .0
}

fn previous_ticket(s: &PreservationStatus) -> Applicable<&TicketRef> {
    s.previous_ticket()
}

fn art30(d: &TrafficDisclosure) -> Fields {
    Obj::new()
        .put("disclosure_date", &d.disclosure_date)
        .put("disclosing_reference", &d.disclosing_reference)
        .put("preservation_ticket", &d.preservation_ticket)
        .put("communication", &d.communication)
        .put("other_state_providers", &d.other_state_providers)
        .put("traffic_data_disclosed", &d.traffic_data_disclosed)
        .put("path_description", &d.path_description)
        .put("looped_back_to_requester", &d.looped_back_to_requester)
        .put("withholding", &d.withholding)
        .put("conditions", &d.conditions)
        .put("authorising_official", &d.authorising_official)
        .0
}

fn art31(d: &SubscriberInfoRequest) -> Fields {
    let s: &SubscriberRequestStatus = &d.request_status;
    let elements = Node::Array(
        d.elements_requested
            .iter()
            .map(|e| Node::string(e.as_str()))
            .collect(),
    );
    let obj = Obj::new()
        .put("request_date", &d.request_date)
        .put("requesting_reference", &d.requesting_reference)
        .node("request_status", Node::string(s.as_str()))
        .put("previous_mla", &s.previous_mla())
        .put("previous_preservation", &s.previous_preservation())
        .put("requested_authority", &d.requested_authority)
        .put("requesting_authority", &d.requesting_authority)
        .put("confirmation_contact", &d.confirmation_contact)
        .put("investigative_authority", &d.investigative_authority)
        .put("prosecution_office", &d.prosecution_office)
        .put("court", &d.court)
        .put("judicial_decisions", &d.judicial_decisions)
        .put("domestic_legal_basis", &d.domestic_legal_basis);
    urgency(obj, &d.urgency)
        .put("request_confidential", &d.request_confidential)
        .put("offences", &d.offences)
        .put("summary_of_facts", &d.summary_of_facts)
        .put("subscriber_targets", &d.subscriber_targets)
        .node("elements_requested", elements)
        .put("relevance", &d.relevance)
        .put("procedures_requested", &d.procedures_requested)
        .put("use_limitation", &d.use_limitation)
        .put("conditions", &d.conditions)
        .put("results_channel", &choice_field(&d.results_channel))
        .put("authorising_official", &d.authorising_official)
        .0
}

fn art35(d: &AssistanceRequest) -> Fields {
    let obj = Obj::new()
        .put("request_date", &d.request_date)
        .put("requesting_reference", &d.requesting_reference)
        .put("requested_authority", &d.requested_authority)
        .put("requesting_authority", &d.requesting_authority)
        .put("assistance_type", &choice(d.assistance_type))
        .put("question", &d.question)
        .put("context", &d.context)
        .put("identifiers", &d.identifiers)
        .put("offences", &d.offences)
        .put("answer_needed_by", &d.answer_needed_by);
    urgency(obj, &d.urgency)
        .put("request_confidential", &d.request_confidential)
        .put("authorising_official", &d.authorising_official)
        .0
}

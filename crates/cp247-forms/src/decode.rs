//! [`Node`] → typed [`Document`], collecting every problem.
//!
//! The walk never stops at the first problem: each field is decoded on its own, problems are
//! recorded with their path, and the document is assembled only when nothing is missing. The
//! depth of the walk is fixed by the document model (the decoder only descends into fields it
//! knows), and every list is bounded by [`MAX_LIST_ITEMS`], so hostile input cannot make it
//! recurse or loop without bound.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use cp247_domain::{
    Channel, Instant, InstantError, MessageId, PartyCode, PartyCodeError, TicketId, Urgency,
    ZoneName,
};
use jiff::civil::Date;

use crate::documents::{
    Art30Ground, AssistanceRequest, AssistanceType, Document, GROUNDS_NOT_IN_ART30, Kind,
    MlaIntention, PreservationRequest, PreservationStatus, SubscriberElement,
    SubscriberInfoRequest, SubscriberRequestStatus, TrafficDisclosure, UrgencyStatement,
    Withholding,
};
use crate::error::FormsError;
use crate::field::{Applicable, Field, NonEmpty, Reason, ReasonError};
use crate::node::Node;
use crate::problem::{Code, FieldPath, Problem, Report};
use crate::shared::{
    Asn, AttachmentKind, AuthorisingOfficial, Authority, CaseOffice, Choice, Condition,
    ConditionKind, Connection, ContactPerson, ConventionArticle, Country, Custodian, DataCategory,
    DataItem, DateTimeTz, DeviceCode, Direction, DocumentRef, DomainName, Email, FormatError,
    Identifier, IdentifierKind, IdentifierValue, LanguageTag, LongText, Offence, Penalty,
    PeriodError, Phone, Port, PreservationPeriod, Protocol, ProviderRef, RequestedAuthority,
    Sha256, SocketAddress, SourceClock, Text, TextError, TicketRef, TimeRange, TrafficRecord, Url,
};

/// Longest list accepted anywhere in a document.
pub const MAX_LIST_ITEMS: usize = 200;

/// The result of reading a well-formed document: the typed document when there is no error,
/// and every problem found (errors and warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The document, present exactly when the report has no error.
    pub document: Option<Document>,
    /// Every problem, in document order.
    pub report: Report,
}

/// Reads a JSON document. `Err` only when the bytes are not a well-formed JSON value within
/// the limits ([`crate::MAX_DOCUMENT_BYTES`], [`crate::MAX_DEPTH`]); a well-formed document with
/// problems gives `Ok` with the problems in the report.
pub fn parse_json(bytes: &[u8]) -> Result<Parsed, FormsError> {
    let node = Node::from_json(bytes)?;
    Ok(decode(&node))
}

/// Decodes a tree into a document, reporting every problem.
pub fn decode(node: &Node) -> Parsed {
    let mut c = Ctx {
        report: Report::new(),
    };
    let doc = document(&mut c, node);
    let document = if c.report.is_valid() { doc } else { None };
    Parsed {
        document,
        report: c.report,
    }
}

/// The decoding context: the report being built. Shared by request and reply decoding.
pub(crate) struct Ctx {
    pub(crate) report: Report,
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Self {
            report: Report::new(),
        }
    }

    pub(crate) fn problem(&mut self, code: Code, path: FieldPath) {
        self.report.push(Problem::new(code, path));
    }

    pub(crate) fn push(&mut self, problem: Problem) {
        self.report.push(problem);
    }

    fn wrong_type(&mut self, expected: &str, found: &Node, path: &FieldPath) {
        self.push(
            Problem::new(Code::WrongType, path.clone())
                .with_arg("expected", expected)
                .with_arg("found", found.type_name()),
        );
    }

    /// Opens an object (an empty XML element counts as an empty object).
    pub(crate) fn object<'n>(&mut self, node: &'n Node, path: &FieldPath) -> Option<Obj<'n>> {
        let entries: &'n [(String, Node)] = match node {
            Node::Object(entries) => entries,
            Node::Text(t) if t.trim().is_empty() => &[],
            other => {
                self.wrong_type("object", other, path);
                return None;
            }
        };
        let mut firsts: Vec<(&'n str, &'n Node, bool)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            if firsts.iter().any(|(seen, _, _)| *seen == k.as_str()) {
                self.problem(Code::DuplicateField, path.key(k));
            } else {
                firsts.push((k.as_str(), v, false));
            }
        }
        Some(Obj {
            path: path.clone(),
            entries: firsts,
        })
    }

    /// Reads a list (an empty XML element counts as an empty list), bounded.
    pub(crate) fn list<'n>(&mut self, node: &'n Node, path: &FieldPath) -> Option<&'n [Node]> {
        let items: &'n [Node] = match node {
            Node::Array(items) => items,
            Node::Text(t) if t.trim().is_empty() => &[],
            other => {
                self.wrong_type("list", other, path);
                return None;
            }
        };
        if items.len() > MAX_LIST_ITEMS {
            self.push(
                Problem::new(Code::TooManyItems, path.clone())
                    .with_arg("max", MAX_LIST_ITEMS.to_string()),
            );
            return None;
        }
        Some(items)
    }
}

/// The fields of one object being decoded; keys not taken are reported as unknown.
pub(crate) struct Obj<'n> {
    pub(crate) path: FieldPath,
    entries: Vec<(&'n str, &'n Node, bool)>,
}

impl<'n> Obj<'n> {
    pub(crate) fn take(&mut self, c: &mut Ctx, key: &str) -> Option<(&'n Node, FieldPath)> {
        let path = self.path.key(key);
        match self.entries.iter_mut().find(|(k, _, _)| *k == key) {
            Some(entry) => {
                entry.2 = true;
                Some((entry.1, path))
            }
            None => {
                c.problem(Code::MissingField, path);
                None
            }
        }
    }

    /// A mandatory field: a real value.
    pub(crate) fn req<T>(
        &mut self,
        c: &mut Ctx,
        key: &str,
        f: impl FnOnce(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
    ) -> Option<T> {
        let (node, path) = self.take(c, key)?;
        if is_marker(node) {
            c.problem(Code::ValueRequired, path);
            return None;
        }
        f(c, node, &path)
    }

    /// An optional field: value, not_applicable or unknown.
    pub(crate) fn field<T>(
        &mut self,
        c: &mut Ctx,
        key: &str,
        f: impl FnOnce(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
    ) -> Option<Field<T>> {
        let (node, path) = self.take(c, key)?;
        field_of(c, node, &path, f)
    }

    /// An optional field whose author always knows: value or not_applicable.
    pub(crate) fn applicable<T>(
        &mut self,
        c: &mut Ctx,
        key: &str,
        f: impl FnOnce(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
    ) -> Option<Applicable<T>> {
        let path = self.path.key(key);
        match self.field(c, key, f)? {
            Field::Value(v) => Some(Applicable::Value(v)),
            Field::NotApplicable(r) => Some(Applicable::NotApplicable(r)),
            Field::Unknown(_) => {
                c.problem(Code::UnknownNotAllowed, path);
                None
            }
        }
    }

    /// A mandatory list with at least one element.
    pub(crate) fn list<T>(
        &mut self,
        c: &mut Ctx,
        key: &str,
        f: impl FnMut(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
    ) -> Option<NonEmpty<T>> {
        self.req(c, key, |c, n, p| non_empty(c, n, p, Code::EmptyList, f))
    }

    /// An optional list: a non-empty list, or not_applicable/unknown.
    pub(crate) fn opt_list<T>(
        &mut self,
        c: &mut Ctx,
        key: &str,
        f: impl FnMut(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
    ) -> Option<Field<NonEmpty<T>>> {
        self.field(c, key, |c, n, p| {
            non_empty(c, n, p, Code::EmptyOptionalList, f)
        })
    }

    pub(crate) fn finish(self, c: &mut Ctx) {
        for (k, _, used) in self.entries {
            if !used {
                c.problem(Code::UnknownField, self.path.key(k));
            }
        }
    }
}

fn is_marker(node: &Node) -> bool {
    match node {
        Node::Object(entries) => entries
            .iter()
            .any(|(k, _)| k == "not_applicable" || k == "unknown"),
        _ => false,
    }
}

fn field_of<'n, T>(
    c: &mut Ctx,
    node: &'n Node,
    path: &FieldPath,
    f: impl FnOnce(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
) -> Option<Field<T>> {
    if !is_marker(node) {
        return f(c, node, path).map(Field::Value);
    }
    let mut o = c.object(node, path)?;
    let which = o
        .entries
        .iter()
        .map(|(k, _, _)| *k)
        .find(|k| *k == "not_applicable" || *k == "unknown")
        .unwrap_or("unknown");
    let reason = o.req(c, which, reason_object);
    o.finish(c);
    let reason = reason?;
    Some(if which == "not_applicable" {
        Field::NotApplicable(reason)
    } else {
        Field::Unknown(reason)
    })
}

fn reason_object(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Reason> {
    let mut o = c.object(node, path)?;
    let r = o.req(c, "reason", reason);
    o.finish(c);
    r
}

fn reason(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Reason> {
    let s = string(c, node, path)?;
    match Reason::new(s) {
        Ok(r) => Some(r),
        Err(ReasonError::Blank) => {
            c.problem(Code::Blank, path.clone());
            None
        }
        Err(ReasonError::Placeholder) => {
            c.problem(Code::PlaceholderReason, path.clone());
            None
        }
        Err(ReasonError::TooLong) => {
            c.push(
                Problem::new(Code::TooLong, path.clone())
                    .with_arg("max", crate::field::MAX_REASON_CHARS.to_string()),
            );
            None
        }
        Err(ReasonError::ControlCharacter) => {
            c.problem(Code::ControlCharacter, path.clone());
            None
        }
    }
}

fn non_empty<'n, T>(
    c: &mut Ctx,
    node: &'n Node,
    path: &FieldPath,
    empty: Code,
    mut f: impl FnMut(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
) -> Option<NonEmpty<T>> {
    let items = c.list(node, path)?;
    if items.is_empty() {
        c.problem(empty, path.clone());
        return None;
    }
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, item) in items.iter().enumerate() {
        match f(c, item, &path.index(i)) {
            Some(v) => out.push(v),
            None => ok = false,
        }
    }
    if ok { NonEmpty::new(out) } else { None }
}

/// A list that is a set: duplicates are reported.
fn choice_set<C: Choice + PartialEq>(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
) -> Option<NonEmpty<C>> {
    let list = non_empty(c, node, path, Code::EmptyList, choice::<C>)?;
    let mut ok = true;
    for (i, v) in list.iter().enumerate() {
        if list
            .as_slice()
            .get(..i)
            .is_some_and(|before| before.contains(v))
        {
            c.problem(Code::DuplicateItem, path.index(i));
            ok = false;
        }
    }
    ok.then_some(list)
}

// ---------------------------------------------------------------------------------------------
// Scalars

pub(crate) fn string<'n>(c: &mut Ctx, node: &'n Node, path: &FieldPath) -> Option<&'n str> {
    match node {
        // U+FFFE and U+FFFF are not characters XML can carry, not even as references: a
        // document holding one could not be written as XML, so none is accepted (forms-xml).
        Node::String(s) | Node::Text(s) if s.contains(['\u{FFFE}', '\u{FFFF}']) => {
            c.problem(Code::ControlCharacter, path.clone());
            None
        }
        Node::String(s) | Node::Text(s) => Some(s),
        other => {
            c.wrong_type("string", other, path);
            None
        }
    }
}

fn text_error(c: &mut Ctx, path: &FieldPath, e: TextError) {
    match e {
        TextError::Blank => c.problem(Code::Blank, path.clone()),
        TextError::TooLong { max } => {
            c.push(Problem::new(Code::TooLong, path.clone()).with_arg("max", max.to_string()))
        }
        TextError::ControlCharacter => c.problem(Code::ControlCharacter, path.clone()),
    }
}

pub(crate) fn text(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Text> {
    let s = string(c, node, path)?;
    Text::new(s).map_err(|e| text_error(c, path, e)).ok()
}

pub(crate) fn long_text(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<LongText> {
    let s = string(c, node, path)?;
    LongText::new(s).map_err(|e| text_error(c, path, e)).ok()
}

/// A non-blank string checked by `parse`; blank gives `blank`, a parse failure gives `code`.
pub(crate) fn formatted<T, E>(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    code: Code,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(Code::Blank, path.clone());
        return None;
    }
    match parse(s) {
        Ok(v) => Some(v),
        Err(_) => {
            c.problem(code, path.clone());
            None
        }
    }
}

pub(crate) fn boolean(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<bool> {
    match node {
        Node::Bool(b) => Some(*b),
        Node::Text(t) if matches!(t.trim(), "true" | "1") => Some(true),
        Node::Text(t) if matches!(t.trim(), "false" | "0") => Some(false),
        other => {
            c.wrong_type("boolean", other, path);
            None
        }
    }
}

/// An integer (JSON number without fraction or exponent, or XML text of digits). Integers
/// beyond `i128` saturate: they are out of every range used here.
fn integer(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<i128> {
    let digits = match node {
        Node::Number(n) => n.as_str(),
        Node::Text(t) => t.trim(),
        other => {
            c.wrong_type("integer", other, path);
            return None;
        }
    };
    let body = digits.strip_prefix('-').unwrap_or(digits);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        c.wrong_type("integer", node, path);
        return None;
    }
    Some(
        digits
            .parse::<i128>()
            .unwrap_or(if digits.starts_with('-') {
                i128::MIN
            } else {
                i128::MAX
            }),
    )
}

/// An integer in `min..=max`.
pub(crate) fn ranged<N>(c: &mut Ctx, node: &Node, path: &FieldPath, min: N, max: N) -> Option<N>
where
    N: TryFrom<i128> + PartialOrd + std::fmt::Display + Copy,
{
    let n = integer(c, node, path)?;
    match N::try_from(n) {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            c.push(
                Problem::new(Code::OutOfRange, path.clone())
                    .with_arg("min", min.to_string())
                    .with_arg("max", max.to_string()),
            );
            None
        }
    }
}

fn port(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Port> {
    let n = integer(c, node, path)?;
    match u16::try_from(n).ok().and_then(Port::new) {
        Some(p) => Some(p),
        None => {
            c.problem(Code::InvalidPort, path.clone());
            None
        }
    }
}

fn asn(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Asn> {
    ranged(c, node, path, 1, u32::MAX - 1).and_then(Asn::new)
}

pub(crate) fn choice<C: Choice>(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<C> {
    let s = string(c, node, path)?;
    match C::from_name(s) {
        Some(v) => Some(v),
        None => {
            invalid_choice(c, path, C::ALL.iter().map(Choice::as_str));
            None
        }
    }
}

pub(crate) fn invalid_choice<'a>(
    c: &mut Ctx,
    path: &FieldPath,
    allowed: impl Iterator<Item = &'a str>,
) {
    let allowed: Vec<&str> = allowed.collect();
    c.push(Problem::new(Code::InvalidChoice, path.clone()).with_arg("allowed", allowed.join(", ")));
}

pub(crate) fn date(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Date> {
    formatted(c, node, path, Code::InvalidDate, |s| {
        let b = s.as_bytes();
        let shape_ok = b.len() == 10
            && b.iter().enumerate().all(|(i, ch)| match i {
                4 | 7 => *ch == b'-',
                _ => ch.is_ascii_digit(),
            });
        if shape_ok {
            s.parse::<Date>().map_err(|_| ())
        } else {
            Err(())
        }
    })
}

pub(crate) fn instant(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Instant> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(Code::Blank, path.clone());
        return None;
    }
    match Instant::parse(s) {
        Ok(i) => Some(i),
        Err(InstantError::MissingOffset(_)) => {
            c.problem(Code::MissingOffset, path.clone());
            None
        }
        Err(_) => {
            c.problem(Code::InvalidInstant, path.clone());
            None
        }
    }
}

fn zone(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<ZoneName> {
    formatted(c, node, path, Code::InvalidTimeZone, ZoneName::parse)
}

fn party(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<PartyCode> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(Code::Blank, path.clone());
        return None;
    }
    match PartyCode::parse(s) {
        Ok(p) => Some(p),
        Err(PartyCodeError::UseGb) => {
            c.problem(Code::PartyCodeUk, path.clone());
            None
        }
        Err(PartyCodeError::Unknown(_)) => {
            c.problem(Code::InvalidPartyCode, path.clone());
            None
        }
    }
}

fn country(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Country> {
    let code = party(c, node, path)?;
    match Country::new(code) {
        Ok(country) => Some(country),
        Err(_) => {
            c.problem(Code::OrganisationNotAllowed, path.clone());
            None
        }
    }
}

fn ticket_id(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<TicketId> {
    formatted(c, node, path, Code::InvalidTicketId, TicketId::parse)
}

fn email(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Email> {
    formatted(c, node, path, Code::InvalidEmail, Email::parse)
}

fn phone(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Phone> {
    formatted(c, node, path, Code::InvalidPhone, Phone::parse)
}

fn url(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Url> {
    formatted(c, node, path, Code::InvalidUrl, Url::parse)
}

fn domain(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<DomainName> {
    formatted(c, node, path, Code::InvalidDomain, DomainName::parse)
}

fn language(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<LanguageTag> {
    formatted(c, node, path, Code::InvalidLanguage, LanguageTag::parse)
}

pub(crate) fn sha256(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Sha256> {
    formatted(c, node, path, Code::InvalidSha256, Sha256::parse)
}

/// A cp247 message id (UUIDv7, hyphenated lower case).
pub(crate) fn message_id(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<MessageId> {
    formatted(c, node, path, Code::InvalidMessageId, MessageId::parse)
}

/// Reports every element whose key an earlier element already has; false when there is one.
pub(crate) fn no_duplicates<T, K: PartialEq>(
    c: &mut Ctx,
    items: &NonEmpty<T>,
    path: &FieldPath,
    key: impl Fn(&T) -> K,
) -> bool {
    let keys: Vec<K> = items.iter().map(key).collect();
    let mut ok = true;
    for (i, k) in keys.iter().enumerate() {
        if keys.get(..i).is_some_and(|before| before.contains(k)) {
            c.problem(Code::DuplicateItem, path.index(i));
            ok = false;
        }
    }
    ok
}

/// A request document embedded in a reply; its problems are reported under `path`.
/// `allowed` lists the kinds accepted here.
pub(crate) fn embedded_document(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    allowed: &[Kind],
) -> Option<Document> {
    let mut inner = Ctx::new();
    let doc = document(&mut inner, node);
    for p in inner.report.problems() {
        c.push(p.under(path));
    }
    let doc = if inner.report.is_valid() {
        doc?
    } else {
        return None;
    };
    if !allowed.contains(&doc.kind()) {
        let names: Vec<&str> = allowed.iter().map(|k| k.as_str()).collect();
        c.push(
            Problem::new(Code::EmbeddedDocumentKind, path.key("kind"))
                .with_arg("expected", names.join(", ")),
        );
        return None;
    }
    Some(doc)
}

fn ip_error(c: &mut Ctx, path: &FieldPath, family: &str) {
    c.push(Problem::new(Code::InvalidIpAddress, path.clone()).with_arg("family", family));
}

fn ip_address(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<IpAddr> {
    let s = string(c, node, path)?;
    match s.parse::<IpAddr>() {
        Ok(a) => Some(a),
        Err(_) => {
            ip_error(c, path, "IP");
            None
        }
    }
}

fn period(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<PreservationPeriod> {
    let s = string(c, node, path)?;
    match PreservationPeriod::parse(s) {
        Ok(p) => Some(p),
        Err(PeriodError::TooShort(_)) => {
            c.push(
                Problem::new(Code::PeriodTooShort, path.clone())
                    .with_arg("min", PreservationPeriod::MIN_DAYS.to_string()),
            );
            None
        }
        Err(PeriodError::Malformed) => {
            c.problem(Code::InvalidDuration, path.clone());
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Shared structures

fn date_time_tz(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<DateTimeTz> {
    let mut o = c.object(node, path)?;
    let instant_v = o.req(c, "instant", instant);
    let zone_v = o.field(c, "zone", zone);
    let original_text = o.field(c, "original_text", text);
    let source_clock = o.req(c, "source_clock", choice::<SourceClock>);
    o.finish(c);
    let (instant_v, zone_v) = (instant_v?, zone_v?);
    if let Field::Value(z) = &zone_v {
        let expected = z.time_zone().to_offset(instant_v.timestamp());
        if expected != instant_v.offset() {
            c.problem(Code::OffsetZoneMismatch, path.key("instant"));
        }
    }
    Some(DateTimeTz {
        instant: instant_v,
        zone: zone_v,
        original_text: original_text?,
        source_clock: source_clock?,
    })
}

fn time_range(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<TimeRange> {
    let mut o = c.object(node, path)?;
    let start = o.req(c, "start", date_time_tz);
    let end = o.field(c, "end", date_time_tz);
    o.finish(c);
    let (start, end) = (start?, end?);
    if let Field::Value(e) = &end
        && e.instant.timestamp() < start.instant.timestamp()
    {
        c.problem(Code::TimeRangeReversed, path.key("end"));
        return None;
    }
    Some(TimeRange { start, end })
}

fn connection(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Connection> {
    let mut o = c.object(node, path)?;
    let port_v = o.field(c, "port", port);
    let protocol = o.field(c, "protocol", choice::<Protocol>);
    let direction = o.field(c, "direction", choice::<Direction>);
    o.finish(c);
    Some(Connection {
        port: port_v?,
        protocol: protocol?,
        direction: direction?,
    })
}

fn identifier_value(
    c: &mut Ctx,
    kind: IdentifierKind,
    node: &Node,
    path: &FieldPath,
) -> Option<IdentifierValue> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(Code::Blank, path.clone());
        return None;
    }
    let device = |c: &mut Ctx, r: Result<DeviceCode, FormatError>, format: &str| match r {
        Ok(d) => Some(d),
        Err(_) => {
            c.push(Problem::new(Code::InvalidDeviceCode, path.clone()).with_arg("format", format));
            None
        }
    };
    match kind {
        IdentifierKind::Ipv4 => match s.parse::<Ipv4Addr>() {
            Ok(a) => Some(IdentifierValue::Ipv4(a)),
            Err(_) => {
                ip_error(c, path, "IPv4");
                None
            }
        },
        IdentifierKind::Ipv6 => match s.parse::<Ipv6Addr>() {
            Ok(a) => Some(IdentifierValue::Ipv6(a)),
            Err(_) => {
                ip_error(c, path, "IPv6");
                None
            }
        },
        IdentifierKind::Email => email(c, node, path).map(IdentifierValue::Email),
        IdentifierKind::Phone => phone(c, node, path).map(IdentifierValue::Phone),
        IdentifierKind::Url => url(c, node, path).map(IdentifierValue::Url),
        IdentifierKind::DomainName => domain(c, node, path).map(IdentifierValue::DomainName),
        IdentifierKind::Imei => device(c, DeviceCode::imei(s), "IMEI").map(IdentifierValue::Imei),
        IdentifierKind::Imsi => device(c, DeviceCode::imsi(s), "IMSI").map(IdentifierValue::Imsi),
        IdentifierKind::Iccid => {
            device(c, DeviceCode::iccid(s), "ICCID").map(IdentifierValue::Iccid)
        }
        IdentifierKind::Mac => device(c, DeviceCode::mac(s), "MAC").map(IdentifierValue::Mac),
        IdentifierKind::Username
        | IdentifierKind::AccountId
        | IdentifierKind::DeviceId
        | IdentifierKind::PaymentReference
        | IdentifierKind::CryptoAddress
        | IdentifierKind::TxHash
        | IdentifierKind::Other => text(c, node, path).map(|t| IdentifierValue::Text(kind, t)),
    }
}

fn identifier(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Identifier> {
    let mut o = c.object(node, path)?;
    let kind = o.req(c, "kind", choice::<IdentifierKind>);
    let value = o.req(c, "value", |c, n, p| match kind {
        Some(k) => identifier_value(c, k, n, p),
        None => {
            // Without a kind the value cannot be checked; still check it is a string.
            string(c, n, p);
            None
        }
    });
    let conn = o.field(c, "connection", connection);
    let observed = o.field(c, "observed", time_range);
    let service = o.field(c, "service", text);
    let note = o.field(c, "note", long_text);
    o.finish(c);
    if let (Some(kind), Some(conn)) = (kind, &conn) {
        let is_ip = matches!(kind, IdentifierKind::Ipv4 | IdentifierKind::Ipv6);
        match conn {
            Field::Value(_) if !is_ip => {
                c.problem(Code::ConnectionWithoutIp, path.key("connection"));
                return None;
            }
            Field::Value(cn) if kind == IdentifierKind::Ipv4 && !cn.port.is_value() => {
                c.problem(Code::Ipv4WithoutPort, path.key("connection").key("port"));
            }
            Field::NotApplicable(_) | Field::Unknown(_) if kind == IdentifierKind::Ipv4 => {
                c.problem(Code::Ipv4WithoutPort, path.key("connection"));
            }
            _ => {}
        }
    }
    Some(Identifier {
        value: value?,
        connection: conn?,
        observed: observed?,
        service: service?,
        note: note?,
    })
}

/// Which Parties an authority may belong to.
#[derive(Clone, Copy)]
enum PartyRole {
    /// A country only.
    Country,
    /// A country or an organisation (EU, INTERPOL, EUROPOL, EUROJUST).
    CountryOrOrganisation,
}

fn authority(c: &mut Ctx, node: &Node, path: &FieldPath, role: PartyRole) -> Option<Authority> {
    let mut o = c.object(node, path)?;
    let party_v = o.req(c, "party", |c, n, p| match role {
        PartyRole::Country => country(c, n, p).map(|k| k.code()),
        PartyRole::CountryOrOrganisation => party(c, n, p),
    });
    let organisation = o.req(c, "organisation", text);
    let person_in_charge = o.field(c, "person_in_charge", text);
    let address = o.field(c, "address", long_text);
    let phone_v = o.field(c, "phone", phone);
    let mobile = o.field(c, "mobile", phone);
    let email_v = o.field(c, "email", email);
    let fax = o.field(c, "fax", phone);
    let office_hours = o.field(c, "office_hours", text);
    let time_zone = o.req(c, "time_zone", zone);
    let expedited = o.req(c, "response_by_expedited_means", boolean);
    let preferred = o.field(c, "preferred_response_channel", choice::<Channel>);
    o.finish(c);
    Some(Authority {
        party: party_v?,
        organisation: organisation?,
        person_in_charge: person_in_charge?,
        address: address?,
        phone: phone_v?,
        mobile: mobile?,
        email: email_v?,
        fax: fax?,
        office_hours: office_hours?,
        time_zone: time_zone?,
        response_by_expedited_means: expedited?,
        preferred_response_channel: preferred?,
    })
}

fn requesting_authority(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Authority> {
    authority(c, node, path, PartyRole::Country)
}

fn investigative_authority(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Authority> {
    authority(c, node, path, PartyRole::CountryOrOrganisation)
}

fn requested_authority(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<RequestedAuthority> {
    let mut o = c.object(node, path)?;
    let party_v = o.req(c, "party", country);
    let name = o.req(c, "name", text);
    o.finish(c);
    Some(RequestedAuthority {
        party: party_v?,
        name: name?,
    })
}

fn contact_person(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<ContactPerson> {
    let mut o = c.object(node, path)?;
    let name = o.req(c, "name", text);
    let job_title = o.field(c, "job_title", text);
    let function = o.field(c, "function", text);
    let phone_v = o.field(c, "phone", phone);
    let mobile = o.field(c, "mobile", phone);
    let email_v = o.field(c, "email", email);
    o.finish(c);
    Some(ContactPerson {
        name: name?,
        job_title: job_title?,
        function: function?,
        phone: phone_v?,
        mobile: mobile?,
        email: email_v?,
    })
}

fn penalty(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Penalty> {
    let mut o = c.object(node, path)?;
    let t = o.req(c, "text", text);
    let months = o.field(c, "months", |c, n, p| ranged(c, n, p, 1, 1200));
    o.finish(c);
    Some(Penalty {
        text: t?,
        months: months?,
    })
}

fn convention_article(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<ConventionArticle> {
    let s = string(c, node, path)?;
    match ConventionArticle::from_name(s) {
        Some(a) => Some(a),
        None => {
            c.problem(Code::InvalidConventionOffence, path.clone());
            None
        }
    }
}

fn offence(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Offence> {
    let mut o = c.object(node, path)?;
    let name = o.req(c, "name", text);
    let legal_provision = o.req(c, "legal_provision", text);
    let max_penalty = o.field(c, "max_penalty", penalty);
    let convention_offence = o.applicable(c, "convention_offence", convention_article);
    let description = o.field(c, "description", long_text);
    o.finish(c);
    Some(Offence {
        name: name?,
        legal_provision: legal_provision?,
        max_penalty: max_penalty?,
        convention_offence: convention_offence?,
        description: description?,
    })
}

pub(crate) fn provider(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<ProviderRef> {
    let mut o = c.object(node, path)?;
    let name = o.req(c, "name", text);
    let legal_entity = o.field(c, "legal_entity", text);
    let country_v = o.field(c, "country", country);
    let address = o.field(c, "address", long_text);
    let service = o.field(c, "service", text);
    let provider_reference = o.field(c, "provider_reference", text);
    let contact = o.field(c, "contact", text);
    o.finish(c);
    Some(ProviderRef {
        name: name?,
        legal_entity: legal_entity?,
        country: country_v?,
        address: address?,
        service: service?,
        provider_reference: provider_reference?,
        contact: contact?,
    })
}

fn custodian(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Custodian> {
    let mut o = c.object(node, path)?;
    let providers = o.opt_list(c, "providers", provider);
    let location = o.field(c, "location_of_system", long_text);
    o.finish(c);
    let (providers, location) = (providers?, location?);
    if !providers.is_value() && !location.is_value() {
        c.problem(Code::CustodianUnidentified, path.clone());
    }
    Some(Custodian {
        providers,
        location_of_system: location,
    })
}

pub(crate) fn ticket_ref(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<TicketRef> {
    let mut o = c.object(node, path)?;
    let id = o.field(c, "ticket_id", ticket_id);
    let counterpart = o.field(c, "counterpart_reference", text);
    let date_v = o.req(c, "date", date);
    let channel = o.req(c, "channel", choice::<Channel>);
    let requesting_contact = o.req(c, "requesting_contact", long_text);
    let executing_contact = o.field(c, "executing_contact", long_text);
    o.finish(c);
    let (id, counterpart) = (id?, counterpart?);
    if !id.is_value() && !counterpart.is_value() {
        c.problem(Code::TicketReferenceMissing, path.clone());
        return None;
    }
    Some(TicketRef {
        ticket_id: id,
        counterpart_reference: counterpart,
        date: date_v?,
        channel: channel?,
        requesting_contact: requesting_contact?,
        executing_contact: executing_contact?,
    })
}

fn document_ref(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<DocumentRef> {
    let mut o = c.object(node, path)?;
    let id = o.req(c, "id", text);
    let title = o.req(c, "title", text);
    let kind = o.req(c, "kind", choice::<AttachmentKind>);
    let lang = o.req(c, "language", language);
    let digest = o.field(c, "sha256", sha256);
    let issued_by = o.req(c, "issued_by", text);
    let issued_at = o.field(c, "issued_at", date);
    o.finish(c);
    Some(DocumentRef {
        id: id?,
        title: title?,
        kind: kind?,
        language: lang?,
        sha256: digest?,
        issued_by: issued_by?,
        issued_at: issued_at?,
    })
}

pub(crate) fn condition(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Condition> {
    let mut o = c.object(node, path)?;
    let kind = o.req(c, "kind", choice::<ConditionKind>);
    let t = o.req(c, "text", long_text);
    let basis = o.field(c, "basis", text);
    o.finish(c);
    Some(Condition {
        kind: kind?,
        text: t?,
        basis: basis?,
    })
}

fn authorising_official(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<AuthorisingOfficial> {
    let mut o = c.object(node, path)?;
    let name = o.req(c, "name", text);
    let function = o.req(c, "function", text);
    let date_v = o.req(c, "date", date);
    o.finish(c);
    Some(AuthorisingOfficial {
        name: name?,
        function: function?,
        date: date_v?,
    })
}

fn case_office(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<CaseOffice> {
    let mut o = c.object(node, path)?;
    let name = o.req(c, "name", text);
    let case_number = o.field(c, "case_number", text);
    o.finish(c);
    Some(CaseOffice {
        name: name?,
        case_number: case_number?,
    })
}

fn data_item(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<DataItem> {
    let mut o = c.object(node, path)?;
    let categories = o.req(c, "categories", choice_set::<DataCategory>);
    let identifiers = o.list(c, "identifiers", identifier);
    let range = o.field(c, "time_range", time_range);
    let service = o.field(c, "service", text);
    let description = o.req(c, "description", long_text);
    o.finish(c);
    Some(DataItem {
        categories: categories?,
        identifiers: identifiers?,
        time_range: range?,
        service: service?,
        description: description?,
    })
}

fn socket_address(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<SocketAddress> {
    let mut o = c.object(node, path)?;
    let address = o.req(c, "address", ip_address);
    let port_v = o.field(c, "port", port);
    o.finish(c);
    Some(SocketAddress {
        address: address?,
        port: port_v?,
    })
}

fn traffic_record(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<TrafficRecord> {
    let mut o = c.object(node, path)?;
    let at = o.req(c, "at", date_time_tz);
    let source = o.req(c, "source", socket_address);
    let destination = o.req(c, "destination", socket_address);
    let protocol = o.field(c, "protocol", choice::<Protocol>);
    let hostname = o.field(c, "destination_hostname", domain);
    let source_asn = o.field(c, "source_asn", asn);
    let destination_asn = o.field(c, "destination_asn", asn);
    let service = o.field(c, "service", text);
    o.finish(c);
    Some(TrafficRecord {
        at: at?,
        source: source?,
        destination: destination?,
        protocol: protocol?,
        destination_hostname: hostname?,
        source_asn: source_asn?,
        destination_asn: destination_asn?,
        service: service?,
    })
}

/// `urgency` and `urgency_justification`.
fn urgency_statement(c: &mut Ctx, o: &mut Obj<'_>) -> Option<UrgencyStatement> {
    let level = o.req(c, "urgency", choice::<Urgency>);
    let justification = o.field(c, "urgency_justification", long_text);
    let path = o.path.key("urgency_justification");
    let (level, justification) = (level?, justification?);
    match (level, justification) {
        (Urgency::Routine, Field::Value(j)) => Some(UrgencyStatement::Routine {
            justification: Applicable::Value(j),
        }),
        (Urgency::Routine, Field::NotApplicable(r)) => Some(UrgencyStatement::Routine {
            justification: Applicable::NotApplicable(r),
        }),
        (Urgency::Routine, Field::Unknown(_)) => {
            c.problem(Code::UnknownNotAllowed, path);
            None
        }
        (Urgency::Urgent, Field::Value(justification)) => {
            Some(UrgencyStatement::Urgent { justification })
        }
        (Urgency::Emergency, Field::Value(justification)) => {
            Some(UrgencyStatement::Emergency { justification })
        }
        (Urgency::Urgent | Urgency::Emergency, Field::NotApplicable(_) | Field::Unknown(_)) => {
            c.problem(Code::UrgencyJustificationMissing, path);
            None
        }
    }
}

fn mla_intention(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<MlaIntention> {
    match boolean(c, node, path)? {
        true => Some(MlaIntention),
        false => {
            c.problem(Code::MlaIntentionRequired, path.clone());
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Documents

fn document(c: &mut Ctx, node: &Node) -> Option<Document> {
    let root = FieldPath::root();
    let mut o = c.object(node, &root)?;
    let kind = o.req(c, "kind", |c, n, p| {
        let s = string(c, n, p)?;
        match Kind::from_name(s) {
            Some(k) => Some(k),
            None => {
                c.problem(Code::UnknownKind, p.clone());
                None
            }
        }
    });
    // Without a kind, the other fields cannot be told known from unknown.
    let kind = kind?;
    let doc = match kind {
        Kind::Art29 => art29(c, &mut o).map(Document::Art29),
        Kind::Art30 => art30(c, &mut o).map(Document::Art30),
        Kind::Art31 => art31(c, &mut o).map(Document::Art31),
        Kind::Art35 => art35(c, &mut o).map(Document::Art35),
    };
    o.finish(c);
    doc
}

fn art29(c: &mut Ctx, o: &mut Obj<'_>) -> Option<PreservationRequest> {
    let request_date = o.req(c, "request_date", date);
    let requesting_reference = o.req(c, "requesting_reference", text);
    let status = o.req(c, "request_status", |c, n, p| {
        let s = string(c, n, p)?;
        match s {
            "new" | "extension" => Some(s == "extension"),
            _ => {
                invalid_choice(c, p, ["new", "extension"].into_iter());
                None
            }
        }
    });
    let previous = o.field(c, "previous_ticket", ticket_ref);
    let previous_path = o.path.key("previous_ticket");
    let request_status = match (status, previous) {
        (Some(true), Some(Field::Value(previous_ticket))) => {
            Some(PreservationStatus::Extension { previous_ticket })
        }
        (Some(true), Some(Field::NotApplicable(_) | Field::Unknown(_))) => {
            c.problem(Code::ExtensionWithoutPreviousTicket, previous_path);
            None
        }
        (Some(false), Some(Field::NotApplicable(no_previous_ticket))) => {
            Some(PreservationStatus::New { no_previous_ticket })
        }
        (Some(false), Some(Field::Value(_))) => {
            c.problem(Code::PreviousTicketOnNewRequest, previous_path);
            None
        }
        (Some(false), Some(Field::Unknown(_))) => {
            c.problem(Code::UnknownNotAllowed, previous_path);
            None
        }
        (None, _) | (_, None) => None,
    };
    let requested = o.req(c, "requested_authority", requested_authority);
    let requesting = o.req(c, "requesting_authority", requesting_authority);
    let confirmation_contact = o.field(c, "confirmation_contact", contact_person);
    let investigative = o.field(c, "investigative_authority", investigative_authority);
    let prosecution_or_court = o.field(c, "prosecution_or_court", text);
    let urgency = urgency_statement(c, o);
    let request_confidential = o.req(c, "request_confidential", boolean);
    let no_user_notification = o.req(c, "no_user_notification", boolean);
    let offences = o.list(c, "offences", offence);
    let summary_of_facts = o.req(c, "summary_of_facts", long_text);
    let data_items = o.list(c, "data_items", data_item);
    let relationship = o.req(c, "relationship_to_offence", long_text);
    let custodian_v = o.req(c, "custodian", custodian);
    let necessity = o.req(c, "necessity", long_text);
    let mla = o.req(c, "mla_intention", mla_intention);
    let planned_mla_by = o.field(c, "planned_mla_by", date);
    let planned_mla_channel = o.field(c, "planned_mla_channel", choice::<Channel>);
    let partial = o.req(c, "request_partial_traffic_disclosure", boolean);
    let requested_period = o.applicable(c, "requested_period", period);
    let official = o.req(c, "authorising_official", authorising_official);
    Some(PreservationRequest {
        request_date: request_date?,
        requesting_reference: requesting_reference?,
        request_status: request_status?,
        requested_authority: requested?,
        requesting_authority: requesting?,
        confirmation_contact: confirmation_contact?,
        investigative_authority: investigative?,
        prosecution_or_court: prosecution_or_court?,
        urgency: urgency?,
        request_confidential: request_confidential?,
        no_user_notification: no_user_notification?,
        offences: offences?,
        summary_of_facts: summary_of_facts?,
        data_items: data_items?,
        relationship_to_offence: relationship?,
        custodian: custodian_v?,
        necessity: necessity?,
        mla_intention: mla?,
        planned_mla_by: planned_mla_by?,
        planned_mla_channel: planned_mla_channel?,
        request_partial_traffic_disclosure: partial?,
        requested_period: requested_period?,
        authorising_official: official?,
    })
}

fn withholding(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Withholding> {
    let mut o = c.object(node, path)?;
    let ground = o.req(c, "ground", |c, n, p| {
        let s = string(c, n, p)?;
        if let Some(g) = Art30Ground::from_name(s) {
            return Some(g);
        }
        if GROUNDS_NOT_IN_ART30.contains(&s) {
            c.problem(Code::WithholdingGroundNotAllowed, p.clone());
        } else {
            invalid_choice(c, p, Art30Ground::ALL.iter().map(Choice::as_str));
        }
        None
    });
    let explanation = o.req(c, "explanation", long_text);
    o.finish(c);
    Some(Withholding {
        ground: ground?,
        explanation: explanation?,
    })
}

fn other_state_provider(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<ProviderRef> {
    let p = provider(c, node, path)?;
    if !p.country.is_value() {
        // Art. 30 exists to name the other State: its country must be known.
        c.problem(Code::ValueRequired, path.key("country"));
        return None;
    }
    Some(p)
}

fn art30(c: &mut Ctx, o: &mut Obj<'_>) -> Option<TrafficDisclosure> {
    let disclosure_date = o.req(c, "disclosure_date", date);
    let disclosing_reference = o.req(c, "disclosing_reference", text);
    let preservation_ticket = o.req(c, "preservation_ticket", ticket_ref);
    let communication = o.req(c, "communication", data_item);
    let providers = o.list(c, "other_state_providers", other_state_provider);
    let traffic = o.list(c, "traffic_data_disclosed", traffic_record);
    let path_description = o.field(c, "path_description", long_text);
    let looped = o.field(c, "looped_back_to_requester", boolean);
    let withholding_v = o.applicable(c, "withholding", withholding);
    let conditions = o.opt_list(c, "conditions", condition);
    let official = o.req(c, "authorising_official", authorising_official);
    Some(TrafficDisclosure {
        disclosure_date: disclosure_date?,
        disclosing_reference: disclosing_reference?,
        preservation_ticket: preservation_ticket?,
        communication: communication?,
        other_state_providers: providers?,
        traffic_data_disclosed: traffic?,
        path_description: path_description?,
        looped_back_to_requester: looped?,
        withholding: withholding_v?,
        conditions: conditions?,
        authorising_official: official?,
    })
}

/// The Art. 31 status and its two earlier-request fields.
fn subscriber_status(c: &mut Ctx, o: &mut Obj<'_>) -> Option<SubscriberRequestStatus> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        New,
        Mla,
        Preservation,
    }
    let status = o.req(c, "request_status", |c, n, p| {
        let s = string(c, n, p)?;
        match s {
            "new" => Some(S::New),
            "follow_up_mla" => Some(S::Mla),
            "follow_up_preservation" => Some(S::Preservation),
            _ => {
                invalid_choice(
                    c,
                    p,
                    ["new", "follow_up_mla", "follow_up_preservation"].into_iter(),
                );
                None
            }
        }
    });
    let mla = o.field(c, "previous_mla", ticket_ref);
    let pres = o.field(c, "previous_preservation", ticket_ref);
    let mla_path = o.path.key("previous_mla");
    let pres_path = o.path.key("previous_preservation");
    let (status, mla, pres) = (status?, mla?, pres?);

    // The earlier request the status names must be there.
    let required = |c: &mut Ctx, f: Field<TicketRef>, path: FieldPath| match f {
        Field::Value(t) => Some(t),
        Field::NotApplicable(_) | Field::Unknown(_) => {
            c.problem(Code::FollowUpWithoutEarlierTicket, path);
            None
        }
    };
    // The other one may be there or not apply.
    let optional = |c: &mut Ctx, f: Field<TicketRef>, path: FieldPath| match f {
        Field::Value(t) => Some(Applicable::Value(t)),
        Field::NotApplicable(r) => Some(Applicable::NotApplicable(r)),
        Field::Unknown(_) => {
            c.problem(Code::UnknownNotAllowed, path);
            None
        }
    };
    // A new request names no earlier request.
    let absent = |c: &mut Ctx, f: Field<TicketRef>, path: FieldPath| match f {
        Field::NotApplicable(r) => Some(r),
        Field::Value(_) => {
            c.problem(Code::PreviousTicketOnNewRequest, path);
            None
        }
        Field::Unknown(_) => {
            c.problem(Code::UnknownNotAllowed, path);
            None
        }
    };
    match status {
        S::New => {
            let m = absent(c, mla, mla_path);
            let p = absent(c, pres, pres_path);
            Some(SubscriberRequestStatus::New {
                no_previous_mla: m?,
                no_previous_preservation: p?,
            })
        }
        S::Mla => {
            let m = required(c, mla, mla_path);
            let p = optional(c, pres, pres_path);
            Some(SubscriberRequestStatus::FollowUpMla {
                previous_mla: m?,
                previous_preservation: p?,
            })
        }
        S::Preservation => {
            let m = optional(c, mla, mla_path);
            let p = required(c, pres, pres_path);
            Some(SubscriberRequestStatus::FollowUpPreservation {
                previous_preservation: p?,
                previous_mla: m?,
            })
        }
    }
}

fn art31(c: &mut Ctx, o: &mut Obj<'_>) -> Option<SubscriberInfoRequest> {
    let request_date = o.req(c, "request_date", date);
    let requesting_reference = o.req(c, "requesting_reference", text);
    let status = subscriber_status(c, o);
    let requested = o.req(c, "requested_authority", requested_authority);
    let requesting = o.req(c, "requesting_authority", requesting_authority);
    let confirmation_contact = o.field(c, "confirmation_contact", contact_person);
    let investigative = o.field(c, "investigative_authority", investigative_authority);
    let prosecution_office = o.field(c, "prosecution_office", case_office);
    let court = o.field(c, "court", case_office);
    let judicial_decisions = o.opt_list(c, "judicial_decisions", document_ref);
    let domestic_legal_basis = o.field(c, "domestic_legal_basis", long_text);
    let urgency = urgency_statement(c, o);
    let request_confidential = o.req(c, "request_confidential", boolean);
    let offences = o.list(c, "offences", offence);
    let summary_of_facts = o.req(c, "summary_of_facts", long_text);
    let targets = o.list(c, "subscriber_targets", identifier);
    let elements = o.req(c, "elements_requested", choice_set::<SubscriberElement>);
    let relevance = o.req(c, "relevance", long_text);
    let procedures = o.field(c, "procedures_requested", long_text);
    let use_limitation = o.req(c, "use_limitation", long_text);
    let conditions = o.opt_list(c, "conditions", condition);
    let results_channel = o.field(c, "results_channel", choice::<Channel>);
    let official = o.req(c, "authorising_official", authorising_official);
    let doc = SubscriberInfoRequest {
        request_date: request_date?,
        requesting_reference: requesting_reference?,
        request_status: status?,
        requested_authority: requested?,
        requesting_authority: requesting?,
        confirmation_contact: confirmation_contact?,
        investigative_authority: investigative?,
        prosecution_office: prosecution_office?,
        court: court?,
        judicial_decisions: judicial_decisions?,
        domestic_legal_basis: domestic_legal_basis?,
        urgency: urgency?,
        request_confidential: request_confidential?,
        offences: offences?,
        summary_of_facts: summary_of_facts?,
        subscriber_targets: targets?,
        elements_requested: elements?,
        relevance: relevance?,
        procedures_requested: procedures?,
        use_limitation: use_limitation?,
        conditions: conditions?,
        results_channel: results_channel?,
        authorising_official: official?,
    };
    if doc.is_dynamic_ip_resolution() && !doc.judicial_decisions.is_value() {
        c.problem(
            Code::DynamicIpWithoutJudicialDecision,
            o.path.key("judicial_decisions"),
        );
    }
    Some(doc)
}

fn art35(c: &mut Ctx, o: &mut Obj<'_>) -> Option<AssistanceRequest> {
    let request_date = o.req(c, "request_date", date);
    let requesting_reference = o.req(c, "requesting_reference", text);
    let requested = o.req(c, "requested_authority", requested_authority);
    let requesting = o.req(c, "requesting_authority", requesting_authority);
    let assistance_type = o.req(c, "assistance_type", choice::<AssistanceType>);
    let question = o.req(c, "question", long_text);
    let context = o.field(c, "context", long_text);
    let identifiers = o.opt_list(c, "identifiers", identifier);
    let offences = o.opt_list(c, "offences", offence);
    let answer_needed_by = o.field(c, "answer_needed_by", instant);
    let urgency = urgency_statement(c, o);
    let request_confidential = o.req(c, "request_confidential", boolean);
    let official = o.req(c, "authorising_official", authorising_official);
    Some(AssistanceRequest {
        request_date: request_date?,
        requesting_reference: requesting_reference?,
        requested_authority: requested?,
        requesting_authority: requesting?,
        assistance_type: assistance_type?,
        question: question?,
        context: context?,
        identifiers: identifiers?,
        offences: offences?,
        answer_needed_by: answer_needed_by?,
        urgency: urgency?,
        request_confidential: request_confidential?,
        authorising_official: official?,
    })
}

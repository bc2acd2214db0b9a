//! Reading a [`Node`] tree into typed values while collecting every problem.
//!
//! The rules are those of the forms crate's decoder, so a reply is read exactly like a request:
//! every key present; `{"not_applicable": {"reason": …}}` / `{"unknown": {"reason": …}}` for
//! optional fields; reasons are sentences; lists are bounded and mandatory lists non-empty;
//! unknown and duplicate keys are problems; XML text is accepted where JSON has booleans and
//! numbers. The walk never stops at the first problem, and its depth is fixed by the reply
//! model, so hostile input cannot make it recurse without bound.

use cp247_domain::{
    Channel, Instant, InstantError, MessageId, PartyCode, PartyCodeError, TicketId,
};
use cp247_forms::shared::{
    Choice, Condition, ConditionKind, Country, LongText, ProviderRef, Sha256, Text, TextError,
    TicketRef,
};
use cp247_forms::{
    Applicable, Code as FormsCode, Document, Field, FieldPath, Kind, MAX_LIST_ITEMS, Node,
    NonEmpty, Reason, ReasonError,
};
use jiff::civil::Date;

use crate::problem::{Code, Problem, ProblemCode, Report};

/// The decoding context: the report being built.
pub(crate) struct Ctx {
    pub(crate) report: Report,
}

impl Ctx {
    pub(crate) fn new() -> Self {
        Self {
            report: Report::new(),
        }
    }

    pub(crate) fn problem(&mut self, code: impl Into<ProblemCode>, path: FieldPath) {
        self.report.push(Problem::new(code, path));
    }

    pub(crate) fn push(&mut self, problem: Problem) {
        self.report.push(problem);
    }

    pub(crate) fn wrong_type(&mut self, expected: &str, found: &Node, path: &FieldPath) {
        self.push(
            Problem::new(FormsCode::WrongType, path.clone())
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
                self.problem(FormsCode::DuplicateField, path.key(k));
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
    fn list<'n>(&mut self, node: &'n Node, path: &FieldPath) -> Option<&'n [Node]> {
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
                Problem::new(FormsCode::TooManyItems, path.clone())
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
                c.problem(FormsCode::MissingField, path);
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
            c.problem(FormsCode::ValueRequired, path);
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
                c.problem(FormsCode::UnknownNotAllowed, path);
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
        self.req(c, key, |c, n, p| {
            non_empty(c, n, p, FormsCode::EmptyList, f)
        })
    }

    /// An optional list: a non-empty list, or not_applicable/unknown.
    pub(crate) fn opt_list<T>(
        &mut self,
        c: &mut Ctx,
        key: &str,
        f: impl FnMut(&mut Ctx, &'n Node, &FieldPath) -> Option<T>,
    ) -> Option<Field<NonEmpty<T>>> {
        self.field(c, key, |c, n, p| {
            non_empty(c, n, p, FormsCode::EmptyOptionalList, f)
        })
    }

    /// Reports the keys nobody took.
    pub(crate) fn finish(self, c: &mut Ctx) {
        for (k, _, used) in self.entries {
            if !used {
                c.problem(FormsCode::UnknownField, self.path.key(k));
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

/// A reason: a sentence, not a placeholder.
pub(crate) fn reason(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Reason> {
    let s = string(c, node, path)?;
    match Reason::new(s) {
        Ok(r) => Some(r),
        Err(ReasonError::Blank) => {
            c.problem(FormsCode::Blank, path.clone());
            None
        }
        Err(ReasonError::Placeholder) => {
            c.problem(FormsCode::PlaceholderReason, path.clone());
            None
        }
        Err(ReasonError::TooLong) => {
            c.push(
                Problem::new(FormsCode::TooLong, path.clone())
                    .with_arg("max", cp247_forms::field::MAX_REASON_CHARS.to_string()),
            );
            None
        }
        Err(ReasonError::ControlCharacter) => {
            c.problem(FormsCode::ControlCharacter, path.clone());
            None
        }
    }
}

fn non_empty<'n, T>(
    c: &mut Ctx,
    node: &'n Node,
    path: &FieldPath,
    empty: FormsCode,
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

/// Reports later duplicates in a list that is a set, by `key`; false when there was one.
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
            c.problem(FormsCode::DuplicateItem, path.index(i));
            ok = false;
        }
    }
    ok
}

// ---------------------------------------------------------------------------------------------
// Scalars

pub(crate) fn string<'n>(c: &mut Ctx, node: &'n Node, path: &FieldPath) -> Option<&'n str> {
    match node {
        Node::String(s) | Node::Text(s) => Some(s),
        other => {
            c.wrong_type("string", other, path);
            None
        }
    }
}

fn text_error(c: &mut Ctx, path: &FieldPath, e: TextError) {
    match e {
        TextError::Blank => c.problem(FormsCode::Blank, path.clone()),
        TextError::TooLong { max } => {
            c.push(Problem::new(FormsCode::TooLong, path.clone()).with_arg("max", max.to_string()))
        }
        TextError::ControlCharacter => c.problem(FormsCode::ControlCharacter, path.clone()),
    }
}

/// A one-line text.
pub(crate) fn text(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Text> {
    let s = string(c, node, path)?;
    Text::new(s).map_err(|e| text_error(c, path, e)).ok()
}

/// A text of several lines.
pub(crate) fn long_text(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<LongText> {
    let s = string(c, node, path)?;
    LongText::new(s).map_err(|e| text_error(c, path, e)).ok()
}

/// A non-blank string checked by `parse`; blank gives `blank`, a parse failure gives `code`.
pub(crate) fn formatted<T, E>(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    code: impl Into<ProblemCode>,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> Option<T> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(FormsCode::Blank, path.clone());
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

/// `true` or `false` (XML: also `1`/`0`).
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
pub(crate) fn ranged(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    min: u64,
    max: u64,
) -> Option<u64> {
    let n = integer(c, node, path)?;
    match u64::try_from(n) {
        Ok(v) if (min..=max).contains(&v) => Some(v),
        _ => {
            c.push(
                Problem::new(FormsCode::OutOfRange, path.clone())
                    .with_arg("min", min.to_string())
                    .with_arg("max", max.to_string()),
            );
            None
        }
    }
}

/// One of the wire names of a [`Choice`].
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

/// Reports a value that is not one of `allowed`.
pub(crate) fn invalid_choice<'a>(
    c: &mut Ctx,
    path: &FieldPath,
    allowed: impl Iterator<Item = &'a str>,
) {
    let allowed: Vec<&str> = allowed.collect();
    c.push(
        Problem::new(FormsCode::InvalidChoice, path.clone())
            .with_arg("allowed", allowed.join(", ")),
    );
}

/// An ISO 8601 calendar date (`2026-02-20`).
pub(crate) fn date(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Date> {
    formatted(c, node, path, FormsCode::InvalidDate, |s| {
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

/// An RFC 3339 instant with an explicit offset.
pub(crate) fn instant(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Instant> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(FormsCode::Blank, path.clone());
        return None;
    }
    match Instant::parse(s) {
        Ok(i) => Some(i),
        Err(InstantError::MissingOffset(_)) => {
            c.problem(FormsCode::MissingOffset, path.clone());
            None
        }
        Err(_) => {
            c.problem(FormsCode::InvalidInstant, path.clone());
            None
        }
    }
}

fn party(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<PartyCode> {
    let s = string(c, node, path)?;
    if s.trim().is_empty() {
        c.problem(FormsCode::Blank, path.clone());
        return None;
    }
    match PartyCode::parse(s) {
        Ok(p) => Some(p),
        Err(PartyCodeError::UseGb) => {
            c.problem(FormsCode::PartyCodeUk, path.clone());
            None
        }
        Err(PartyCodeError::Unknown(_)) => {
            c.problem(FormsCode::InvalidPartyCode, path.clone());
            None
        }
    }
}

/// A country (never an organisation code).
pub(crate) fn country(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Country> {
    let code = party(c, node, path)?;
    match Country::new(code) {
        Ok(country) => Some(country),
        Err(_) => {
            c.problem(FormsCode::OrganisationNotAllowed, path.clone());
            None
        }
    }
}

/// A cp247 ticket id.
pub(crate) fn ticket_id(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<TicketId> {
    formatted(c, node, path, FormsCode::InvalidTicketId, TicketId::parse)
}

/// A cp247 message id (UUIDv7, hyphenated lower case).
pub(crate) fn message_id(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<MessageId> {
    formatted(c, node, path, Code::InvalidMessageId, MessageId::parse)
}

/// A SHA-256 digest.
pub(crate) fn sha256(c: &mut Ctx, node: &Node, path: &FieldPath) -> Option<Sha256> {
    formatted(c, node, path, FormsCode::InvalidSha256, Sha256::parse)
}

// ---------------------------------------------------------------------------------------------
// Structures shared with request documents (same keys and rules as the forms crate)

/// A reference to an earlier request.
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
        c.problem(FormsCode::TicketReferenceMissing, path.clone());
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

/// A service provider.
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

/// A condition on handling or use.
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

/// A request document embedded in a reply, decoded by the forms crate; its problems are moved
/// under `path`. `allowed` lists the kinds accepted here.
pub(crate) fn embedded_document(
    c: &mut Ctx,
    node: &Node,
    path: &FieldPath,
    allowed: &[Kind],
) -> Option<Document> {
    let parsed = cp247_forms::decode(node);
    for p in parsed.report.problems() {
        c.push(Problem::from_forms(p, path));
    }
    let doc = parsed.document?;
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

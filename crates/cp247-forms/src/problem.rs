//! Problems found in a document: a stable code, the path of the field, a severity and a
//! message in English and French from the catalogue (`locales/*/validation.ftl`).
//!
//! Messages never repeat the offending value: it may be case data, and the path already says
//! which field it is.

use std::fmt;

use cp247_i18n::Lang;

/// One step of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Segment {
    /// An object key.
    Key(String),
    /// A list index (0-based).
    Index(usize),
}

/// Where a field is: `data_items[1].identifiers[0].observed.start`. The document itself is
/// written `(document)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldPath(Vec<Segment>);

impl FieldPath {
    /// The path of the document itself.
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// The path of `key` inside this object.
    pub fn key(&self, key: &str) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Key(key.to_owned()));
        Self(v)
    }

    /// The path of element `index` of this list.
    pub fn index(&self, index: usize) -> Self {
        let mut v = self.0.clone();
        v.push(Segment::Index(index));
        Self(v)
    }

    /// The steps.
    pub fn segments(&self) -> &[Segment] {
        &self.0
    }

    /// Parses the written form (`a.b[2].c`, or `(document)`).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "(document)" {
            return Some(Self::root());
        }
        let mut segs = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (part.get(..i)?, part.get(i..)?),
                None => (part, ""),
            };
            if name.is_empty()
                || !name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            {
                return None;
            }
            segs.push(Segment::Key(name.to_owned()));
            while !rest.is_empty() {
                let close = rest.find(']')?;
                let n: usize = rest.get(1..close)?.parse().ok()?;
                segs.push(Segment::Index(n));
                rest = rest.get(close + 1..)?;
                if !rest.is_empty() && !rest.starts_with('[') {
                    return None;
                }
            }
        }
        Some(Self(segs))
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("(document)");
        }
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if i == 0 => f.write_str(k)?,
                Segment::Key(k) => write!(f, ".{k}")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

/// How serious a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// The document is refused.
    Error,
    /// The document is accepted, but a person should look.
    Warning,
}

macro_rules! codes {
    (
        requests { $( $(#[$meta:meta])* $variant:ident = $wire:literal, $sev:ident; )* }
        replies { $( $(#[$rmeta:meta])* $rvariant:ident = $rwire:literal, $rsev:ident; )* }
    ) => {
        /// Stable problem codes of request and reply documents. The wire name (kebab-case)
        /// never changes once released; the catalogue key of the message is `problem-<code>`
        /// for the rules request documents have, and `case-problem-<code>` for the rules only
        /// replies have (see [`Code::REPLY`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $(#[$meta])* $variant, )* $( $(#[$rmeta])* $rvariant, )* }

        impl Code {
            /// Every code.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)* $(Code::$rvariant,)*];

            /// The codes of the rules of request documents (replies use them too, for the
            /// shape of the tree, texts, reasons, dates and codes).
            pub const REQUEST: &'static [Code] = &[$(Code::$variant,)*];

            /// The codes of the rules that only replies have (grounds per article, the
            /// 60-day minimum of Art. 29(7), per-item status, …).
            pub const REPLY: &'static [Code] = &[$(Code::$rvariant,)*];

            /// The stable kebab-case name.
            pub fn as_str(&self) -> &'static str {
                match self { $(Code::$variant => $wire,)* $(Code::$rvariant => $rwire,)* }
            }

            /// The severity of every problem with this code.
            pub fn severity(&self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$sev,)*
                    $(Code::$rvariant => Severity::$rsev,)*
                }
            }

            /// True for a rule that only replies have.
            pub fn is_reply_rule(&self) -> bool {
                match self {
                    $(Code::$variant => false,)*
                    $(Code::$rvariant => true,)*
                }
            }
        }
    };
}

codes! {
requests {
    // Shape of the tree.
    /// A value of the wrong type (args: `expected`, `found`).
    WrongType = "wrong-type", Error;
    /// A key that must be present is missing.
    MissingField = "missing-field", Error;
    /// A key the document kind does not define.
    UnknownField = "unknown-field", Error;
    /// A key given twice.
    DuplicateField = "duplicate-field", Error;
    /// The `kind` of the document is missing or not one of art29, art30, art31, art35.
    UnknownKind = "unknown-kind", Error;
    // Text and presence.
    /// An empty or blank string.
    Blank = "blank", Error;
    /// A string longer than allowed (args: `max`).
    TooLong = "too-long", Error;
    /// A control character in a text.
    ControlCharacter = "control-character", Error;
    /// A list longer than allowed (args: `max`).
    TooManyItems = "too-many-items", Error;
    /// A mandatory list is empty.
    EmptyList = "empty-list", Error;
    /// An optional list is empty instead of `not_applicable` with a reason.
    EmptyOptionalList = "empty-optional-list", Error;
    /// The same value twice in a list that is a set.
    DuplicateItem = "duplicate-item", Error;
    /// A mandatory field given as not_applicable/unknown.
    ValueRequired = "value-required", Error;
    /// `unknown` where only a value or `not_applicable` is accepted.
    UnknownNotAllowed = "unknown-not-allowed", Error;
    /// A reason that is a placeholder ("n/a", "-", "none", "unknown", one word).
    PlaceholderReason = "placeholder-reason", Error;
    /// Not one of the allowed values (args: `allowed`).
    InvalidChoice = "invalid-choice", Error;
    /// Not an integer in the allowed range (args: `min`, `max`).
    OutOfRange = "out-of-range", Error;
    // Formats.
    /// Not an ISO 3166-1 alpha-2 code nor an organisation code.
    InvalidPartyCode = "invalid-party-code", Error;
    /// "UK" used for the United Kingdom (its code is GB).
    PartyCodeUk = "party-code-uk", Error;
    /// EU, INTERPOL, EUROPOL or EUROJUST where only a country is allowed.
    OrganisationNotAllowed = "organisation-not-allowed", Error;
    /// Not an e-mail address.
    InvalidEmail = "invalid-email", Error;
    /// Not an E.164 phone number.
    InvalidPhone = "invalid-phone", Error;
    /// Not an absolute URL.
    InvalidUrl = "invalid-url", Error;
    /// Not a domain name (IDNA).
    InvalidDomain = "invalid-domain", Error;
    /// Not an IP address of the expected family (args: `family`).
    InvalidIpAddress = "invalid-ip-address", Error;
    /// Not a port number 1–65535.
    InvalidPort = "invalid-port", Error;
    /// An IMEI, IMSI, ICCID or MAC address that is not well-formed (args: `format`).
    InvalidDeviceCode = "invalid-device-code", Error;
    /// A date-time without a UTC offset (a bare local time).
    MissingOffset = "missing-offset", Error;
    /// Not an RFC 3339 date-time.
    InvalidInstant = "invalid-instant", Error;
    /// Not an IANA time-zone name.
    InvalidTimeZone = "invalid-time-zone", Error;
    /// Not an ISO 8601 calendar date.
    InvalidDate = "invalid-date", Error;
    /// Not an ISO 8601 duration in days.
    InvalidDuration = "invalid-duration", Error;
    /// Not a cp247 ticket id.
    InvalidTicketId = "invalid-ticket-id", Error;
    /// Not a BCP 47 language tag.
    InvalidLanguage = "invalid-language", Error;
    /// Not a SHA-256 digest.
    InvalidSha256 = "invalid-sha256", Error;
    /// Not one of art2 … art11.
    InvalidConventionOffence = "invalid-convention-offence", Error;
    // Rules between fields.
    /// A time range whose end is before its start.
    TimeRangeReversed = "time-range-reversed", Error;
    /// Preservation period shorter than 60 days.
    PeriodTooShort = "period-too-short", Error;
    /// An extension request without the ticket of the request it extends.
    ExtensionWithoutPreviousTicket = "extension-without-previous-ticket", Error;
    /// A follow-up request without the ticket of the earlier request.
    FollowUpWithoutEarlierTicket = "follow-up-without-earlier-ticket", Error;
    /// A new request that names a previous request.
    PreviousTicketOnNewRequest = "previous-ticket-on-new-request", Error;
    /// A ticket reference with neither a cp247 ticket id nor the counterpart's reference.
    TicketReferenceMissing = "ticket-reference-missing", Error;
    /// Urgent or emergency without a justification.
    UrgencyJustificationMissing = "urgency-justification-missing", Error;
    /// `mla_intention` is not `true` (Art. 29(2)(f)).
    MlaIntentionRequired = "mla-intention-required", Error;
    /// A withholding ground that Art. 30(2) does not allow.
    WithholdingGroundNotAllowed = "withholding-ground-not-allowed", Error;
    /// Connection details (port, protocol) on an identifier that is not an IP address.
    ConnectionWithoutIp = "connection-without-ip", Error;
    // Warnings.
    /// An IPv4 identifier without a port: with carrier-grade NAT it may not identify anyone.
    Ipv4WithoutPort = "ipv4-without-port", Warning;
    /// The offset of an instant is not the offset of its zone at that instant.
    OffsetZoneMismatch = "offset-zone-mismatch", Warning;
    /// Neither a provider nor the location of the system is known (Art. 29(2)(d)).
    CustodianUnidentified = "custodian-unidentified", Warning;
    /// Resolution of a dynamic IP address without a judicial decision attached.
    DynamicIpWithoutJudicialDecision = "dynamic-ip-without-judicial-decision", Warning;
}
replies {
    /// `kind` is missing or is not the name of a reply type.
    UnknownReplyKind = "unknown-reply-kind", Error;
    /// The `kind` of the body is not the message type of the envelope header (args: `header`).
    KindHeaderMismatch = "kind-header-mismatch", Error;
    /// This reply type does not exist for a request under this article (args: `kind`,
    /// `article`).
    KindNotAllowedForArticle = "kind-not-allowed-for-article", Error;
    /// A refusal ground that the article does not allow (args: `ground`, `article`).
    GroundNotAllowed = "ground-not-allowed", Error;
    /// The Art. 29(4) dual-criminality ground used although every offence of the request is a
    /// Convention offence (Arts. 2–11).
    DualCriminalityConventionOffence = "dual-criminality-convention-offence", Error;
    /// A ground marked with the wrong kind (args: `expected`: legal, impossibility or other).
    GroundKindMismatch = "ground-kind-mismatch", Error;
    /// `preserved_until` is less than 60 days after `preserved_at` (args: `min`, in days).
    PreservationTooShort = "preservation-too-short", Error;
    /// `preserved_until` is implausibly far (args: `max`, in days).
    PreservationTooLong = "preservation-too-long", Error;
    /// Preserved for less time than the request asked (args: `days`).
    PreservationShorterThanRequested = "preservation-shorter-than-requested", Warning;
    /// A preservation confirmation in which no item is preserved.
    NothingPreserved = "nothing-preserved", Error;
    /// An item number that the request does not have (args: `max`).
    ItemOutOfRange = "item-out-of-range", Error;
    /// An item of the request without a status (args: `item`).
    ItemStatusMissing = "item-status-missing", Error;
    /// An execution report with neither a data delivery nor an answer.
    ExecutionWithoutResult = "execution-without-result", Error;
    /// An Art. 31 execution without its data delivery.
    DataDeliveryRequired = "data-delivery-required", Error;
    /// A detail that the chosen value requires is missing (args: `field`, `value`).
    DetailRequired = "detail-required", Error;
    /// A detail given for a value that takes none (args: `field`, `value`).
    DetailNotExpected = "detail-not-expected", Error;
    /// An instant that must come after another field (args: `after`).
    NotLater = "not-later", Error;
    /// `days_left` is not the number of whole days between the two instants (args:
    /// `expected`).
    DaysLeftMismatch = "days-left-mismatch", Error;
    /// An embedded document of the wrong kind (args: `expected`).
    EmbeddedDocumentKind = "embedded-document-kind", Error;
    /// Not a media type (`type/subtype`).
    InvalidMediaType = "invalid-media-type", Error;
    /// Not a cp247 message id (UUIDv7).
    InvalidMessageId = "invalid-message-id", Error;
    /// An escalation of a routine request (only urgent and emergency requests escalate).
    EscalationNotUrgent = "escalation-not-urgent", Error;
    /// An extension confirmation on a case that is not an extension request.
    NotAnExtension = "not-an-extension", Error;
    /// A preservation confirmation on an extension request, which is answered by an extension
    /// confirmation.
    ExtensionNeedsConfirmation = "extension-needs-confirmation", Error;
}
}

impl Code {
    /// The code with this kebab-case name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The catalogue key of the message: `problem-<code>` (`validation.ftl`), or
    /// `case-problem-<code>` for a rule of replies (`case.ftl`).
    pub fn message_key(&self) -> String {
        if self.is_reply_rule() {
            format!("case-problem-{}", self.as_str())
        } else {
            format!("problem-{}", self.as_str())
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    code: Code,
    path: FieldPath,
    args: Vec<(&'static str, String)>,
}

impl Problem {
    /// A problem without arguments.
    pub fn new(code: Code, path: FieldPath) -> Self {
        Self {
            code,
            path,
            args: Vec::new(),
        }
    }

    /// Adds a message argument (never case data: codes, limits, type names).
    pub fn with_arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// The same problem, moved under `prefix` (the problems of a request document embedded
    /// in a reply are reported at `prefix.<their path>`).
    pub fn under(&self, prefix: &FieldPath) -> Self {
        let mut path = prefix.clone();
        for seg in self.path.segments() {
            path = match seg {
                Segment::Key(k) => path.key(k),
                Segment::Index(i) => path.index(*i),
            };
        }
        Self {
            code: self.code,
            path,
            args: self.args.clone(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> Code {
        self.code
    }

    /// Where.
    pub fn path(&self) -> &FieldPath {
        &self.path
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    /// The message arguments.
    pub fn args(&self) -> &[(&'static str, String)] {
        &self.args
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let path = self.path.to_string();
        let mut args: Vec<(&str, &str)> = vec![("path", path.as_str())];
        args.extend(self.args.iter().map(|(k, v)| (*k, v.as_str())));
        cp247_i18n::text_args(lang, &self.code.message_key(), &args)
    }

    /// One line: `CODE PATH: message`.
    pub fn line(&self, lang: Lang) -> String {
        format!("{} {}: {}", self.code, self.path, self.message(lang))
    }
}

/// Every problem found in a document, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    problems: Vec<Problem>,
}

impl Report {
    /// An empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a problem.
    pub fn push(&mut self, problem: Problem) {
        self.problems.push(problem);
    }

    /// All problems.
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// The errors.
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity() == Severity::Error)
    }

    /// The warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems
            .iter()
            .filter(|p| p.severity() == Severity::Warning)
    }

    /// True when there is no error (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_and_parse() {
        let p = FieldPath::root()
            .key("data_items")
            .index(1)
            .key("identifiers")
            .index(0)
            .key("observed")
            .key("start");
        assert_eq!(p.to_string(), "data_items[1].identifiers[0].observed.start");
        assert_eq!(FieldPath::parse(&p.to_string()), Some(p));
        assert_eq!(FieldPath::root().to_string(), "(document)");
        assert_eq!(FieldPath::parse("(document)"), Some(FieldPath::root()));
        assert_eq!(FieldPath::parse("a[0][1].b").unwrap().segments().len(), 4);
        for bad in ["", "a..b", "a[x]", "a[1", "a[1]b", "A"] {
            assert_eq!(FieldPath::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {c}");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            );
            assert_eq!(Code::from_name(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn every_reply_rule_has_a_message_in_both_languages() {
        for c in Code::REPLY {
            assert!(c.message_key().starts_with("case-problem-"), "{c}");
            for lang in Lang::ALL {
                let p = Problem::new(*c, FieldPath::root().key("grounds").index(0))
                    .with_arg("article", "art29")
                    .with_arg("ground", "other")
                    .with_arg("kind", "executed")
                    .with_arg("expected", "legal")
                    .with_arg("min", "60")
                    .with_arg("max", "3")
                    .with_arg("days", "30")
                    .with_arg("item", "2")
                    .with_arg("field", "decision")
                    .with_arg("value", "modify")
                    .with_arg("after", "received_at")
                    .with_arg("header", "refused");
                let m = p.message(lang);
                assert!(!m.contains('⟦'), "{c} has no {lang} message: {m}");
                assert!(
                    m.contains("grounds[0]"),
                    "{c} ({lang}) does not name the path"
                );
            }
        }
        for c in Code::REQUEST {
            assert!(!c.is_reply_rule() && c.message_key().starts_with("problem-"));
        }
    }

    #[test]
    fn problems_move_under_a_prefix() {
        let inner = Problem::new(
            Code::Blank,
            FieldPath::root().key("communication").key("description"),
        )
        .with_arg("max", "5");
        let moved = inner.under(&FieldPath::root().key("disclosure"));
        assert_eq!(
            moved.path().to_string(),
            "disclosure.communication.description"
        );
        assert_eq!(moved.code(), Code::Blank);
        assert_eq!(moved.args(), &[("max", "5".to_owned())]);
    }
}

//! Problems found in a reply: a stable code, the path of the field, a severity and a message in
//! English and French.
//!
//! A reply is decoded with the same rules as a request document, so problems about the shape
//! of the tree, texts, reasons, dates and codes carry the forms crate's [`cp247_forms::Code`]
//! (messages `problem-<code>` in `validation.ftl`). Rules that only replies have (refusal
//! grounds per article, the 60-day minimum of Art. 29(7), per-item status, …) carry this
//! crate's [`Code`] (messages `case-problem-<code>` in `case.ftl`). Paths are
//! [`cp247_forms::FieldPath`]s, so a reply and a request name fields the same way.
//!
//! Messages never repeat the offending value: it may be case data.

use std::fmt;

use cp247_forms::{FieldPath, Severity};
use cp247_i18n::Lang;

macro_rules! codes {
    ($( $(#[$meta:meta])* $variant:ident = $wire:literal, $sev:ident; )*) => {
        /// Problem codes of replies. The wire name (kebab-case) never changes once released;
        /// the catalogue key of the message is `case-problem-<code>`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code { $( $(#[$meta])* $variant, )* }

        impl Code {
            /// Every code.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The stable kebab-case name.
            pub fn as_str(&self) -> &'static str {
                match self { $(Code::$variant => $wire,)* }
            }

            /// The severity of every problem with this code.
            pub fn severity(&self) -> Severity {
                match self { $(Code::$variant => Severity::$sev,)* }
            }
        }
    };
}

codes! {
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

impl Code {
    /// The code with this kebab-case name.
    pub fn from_name(name: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|c| c.as_str() == name)
    }

    /// The catalogue key of the message.
    pub fn message_key(&self) -> String {
        format!("case-problem-{}", self.as_str())
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The code of a problem: one shared with request documents, or one of replies only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ProblemCode {
    /// A rule shared with request documents.
    Forms(cp247_forms::Code),
    /// A rule of replies.
    Case(Code),
}

impl ProblemCode {
    /// The stable kebab-case name (the two sets of names do not overlap; a test checks it).
    pub fn as_str(&self) -> &'static str {
        match self {
            ProblemCode::Forms(c) => c.as_str(),
            ProblemCode::Case(c) => c.as_str(),
        }
    }

    /// Error or warning.
    pub fn severity(&self) -> Severity {
        match self {
            ProblemCode::Forms(c) => c.severity(),
            ProblemCode::Case(c) => c.severity(),
        }
    }

    /// The catalogue key of the message.
    pub fn message_key(&self) -> String {
        match self {
            ProblemCode::Forms(c) => c.message_key(),
            ProblemCode::Case(c) => c.message_key(),
        }
    }
}

impl fmt::Display for ProblemCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<cp247_forms::Code> for ProblemCode {
    fn from(c: cp247_forms::Code) -> Self {
        ProblemCode::Forms(c)
    }
}

impl From<Code> for ProblemCode {
    fn from(c: Code) -> Self {
        ProblemCode::Case(c)
    }
}

/// One problem in a reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    code: ProblemCode,
    path: FieldPath,
    args: Vec<(&'static str, String)>,
}

impl Problem {
    /// A problem without arguments.
    pub fn new(code: impl Into<ProblemCode>, path: FieldPath) -> Self {
        Self {
            code: code.into(),
            path,
            args: Vec::new(),
        }
    }

    /// Adds a message argument (never case data: codes, limits, names of fields).
    pub fn with_arg(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.args.push((name, value.into()));
        self
    }

    /// A problem of an embedded request document, moved under `prefix`.
    pub fn from_forms(problem: &cp247_forms::Problem, prefix: &FieldPath) -> Self {
        let mut path = prefix.clone();
        for seg in problem.path().segments() {
            path = match seg {
                cp247_forms::problem::Segment::Key(k) => path.key(k),
                cp247_forms::problem::Segment::Index(i) => path.index(*i),
            };
        }
        Self {
            code: ProblemCode::Forms(problem.code()),
            path,
            args: problem.args().to_vec(),
        }
    }

    /// The stable code.
    pub fn code(&self) -> ProblemCode {
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

/// Every problem found in a reply, in document order.
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
    fn codes_are_unique_kebab_case_and_distinct_from_the_forms_codes() {
        let mut seen = std::collections::BTreeSet::new();
        for c in cp247_forms::Code::ALL {
            seen.insert(c.as_str());
        }
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "{c} is also a forms code");
            assert!(
                c.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{c}"
            );
            assert_eq!(Code::from_name(c.as_str()), Some(*c));
        }
    }

    #[test]
    fn every_code_has_a_message_in_both_languages() {
        for c in Code::ALL {
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
    }

    #[test]
    fn forms_problems_move_under_a_prefix() {
        let inner = cp247_forms::Problem::new(
            cp247_forms::Code::Blank,
            FieldPath::root().key("communication").key("description"),
        )
        .with_arg("max", "5");
        let moved = Problem::from_forms(&inner, &FieldPath::root().key("disclosure"));
        assert_eq!(
            moved.path().to_string(),
            "disclosure.communication.description"
        );
        assert_eq!(moved.code(), ProblemCode::Forms(cp247_forms::Code::Blank));
        assert_eq!(moved.args(), &[("max", "5".to_owned())]);
    }
}

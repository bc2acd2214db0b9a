//! Explicit presence: a field holds a value, or says why it has none.
//!
//! A blank template field can be challenged in court ("was it forgotten?"), so cp247 never has
//! one. Every optional item of a request is a [`Field`] (value, `not_applicable` or `unknown`,
//! each with a [`Reason`]) or an [`Applicable`] (value or `not_applicable` only, for items whose
//! author always knows the answer). Mandatory items are plain values, and mandatory lists are
//! [`NonEmpty`].

use std::fmt;

/// Longest accepted reason, in characters.
pub const MAX_REASON_CHARS: usize = 1_000;

/// Words that are not reasons. Compared case-insensitively, after trimming blanks and final
/// punctuation.
const PLACEHOLDERS: &[&str] = &[
    "",
    "-",
    "--",
    "---",
    "?",
    "??",
    "...",
    "…",
    ".",
    "/",
    "0",
    "x",
    "xx",
    "xxx",
    "n/a",
    "n.a",
    "na",
    "n/d",
    "nil",
    "null",
    "none",
    "nothing",
    "unknown",
    "not known",
    "not applicable",
    "not available",
    "unavailable",
    "tbd",
    "tba",
    "todo",
    "see above",
    "see below",
    "idem",
    "ditto",
    "same",
    "s.o.",
    "so",
    "sans objet",
    "inconnu",
    "inconnue",
    "néant",
    "neant",
    "aucun",
    "aucune",
    "non applicable",
    "non disponible",
    "nc",
    "n.c",
];

/// Why a text is not a [`Reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReasonError {
    /// Empty or only blanks.
    #[error("the reason is blank")]
    Blank,
    /// A placeholder such as "n/a", "-", "none" or "unknown", or a single word.
    #[error("the reason is a placeholder, not a sentence that says why")]
    Placeholder,
    /// Longer than [`MAX_REASON_CHARS`].
    #[error("the reason is longer than {MAX_REASON_CHARS} characters")]
    TooLong,
    /// Contains a control character (other than none: a reason is one line).
    #[error("the reason contains a control character")]
    ControlCharacter,
}

/// Why a field has no value: a sentence a reader (and a court) can understand, such as
/// "New request: there is no previous request." Placeholders ("n/a", "-", "none", "unknown",
/// a single word) are refused.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reason(String);

impl Reason {
    /// Checks that `text` is a reason and not a placeholder.
    pub fn new(text: impl Into<String>) -> Result<Self, ReasonError> {
        let text = text.into();
        if text.trim().is_empty() {
            return Err(ReasonError::Blank);
        }
        if text.chars().count() > MAX_REASON_CHARS {
            return Err(ReasonError::TooLong);
        }
        if text.chars().any(char::is_control) {
            return Err(ReasonError::ControlCharacter);
        }
        let core = text
            .trim()
            .trim_end_matches(['.', '!', '?', '…', ';', ':', ','])
            .trim()
            .to_lowercase();
        if PLACEHOLDERS.contains(&core.as_str()) {
            return Err(ReasonError::Placeholder);
        }
        // A sentence has at least two words that contain a letter.
        let words = core
            .split_whitespace()
            .filter(|w| w.chars().any(char::is_alphabetic))
            .count();
        if words < 2 {
            return Err(ReasonError::Placeholder);
        }
        Ok(Self(text))
    }

    /// The reason as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Reason {
    // A reason may describe the case: never in Debug output.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Reason(<{} chars>)", self.0.chars().count())
    }
}

/// An optional item whose value may also be unknown to the author: a value, or
/// `not_applicable` / `unknown` with a reason.
///
/// JSON: the value itself, or `{"not_applicable": {"reason": "…"}}`, or
/// `{"unknown": {"reason": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field<T> {
    /// A real value.
    Value(T),
    /// The item does not apply to this request, and why.
    NotApplicable(Reason),
    /// The item applies but its value is not known, and why.
    Unknown(Reason),
}

impl<T> Field<T> {
    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            Field::NotApplicable(_) | Field::Unknown(_) => None,
        }
    }

    /// The reason, when there is no value.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Field::Value(_) => None,
            Field::NotApplicable(r) | Field::Unknown(r) => Some(r),
        }
    }

    /// True when the field holds a value.
    pub fn is_value(&self) -> bool {
        matches!(self, Field::Value(_))
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Field<&T> {
        match self {
            Field::Value(v) => Field::Value(v),
            Field::NotApplicable(r) => Field::NotApplicable(r.clone()),
            Field::Unknown(r) => Field::Unknown(r.clone()),
        }
    }

    /// Maps the value, keeping the reason.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Field<U> {
        match self {
            Field::Value(v) => Field::Value(f(v)),
            Field::NotApplicable(r) => Field::NotApplicable(r),
            Field::Unknown(r) => Field::Unknown(r),
        }
    }
}

/// An optional item whose author always knows whether it applies: a value, or `not_applicable`
/// with a reason (never `unknown`).
///
/// JSON: the value itself, or `{"not_applicable": {"reason": "…"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applicable<T> {
    /// A real value.
    Value(T),
    /// The item does not apply, and why.
    NotApplicable(Reason),
}

impl<T> Applicable<T> {
    /// The value, if there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Applicable::Value(v) => Some(v),
            Applicable::NotApplicable(_) => None,
        }
    }

    /// The reason, when there is no value.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            Applicable::Value(_) => None,
            Applicable::NotApplicable(r) => Some(r),
        }
    }

    /// True when the field holds a value.
    pub fn is_value(&self) -> bool {
        matches!(self, Applicable::Value(_))
    }

    /// Borrows the value.
    pub fn as_ref(&self) -> Applicable<&T> {
        match self {
            Applicable::Value(v) => Applicable::Value(v),
            Applicable::NotApplicable(r) => Applicable::NotApplicable(r.clone()),
        }
    }

    /// The same content as a [`Field`] (for code that renders both alike).
    pub fn to_field(&self) -> Field<&T> {
        match self {
            Applicable::Value(v) => Field::Value(v),
            Applicable::NotApplicable(r) => Field::NotApplicable(r.clone()),
        }
    }
}

/// A list with at least one element: mandatory lists are never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonEmpty<T>(Vec<T>);

impl<T> NonEmpty<T> {
    /// The list, or `None` when `items` is empty.
    pub fn new(items: Vec<T>) -> Option<Self> {
        if items.is_empty() {
            None
        } else {
            Some(Self(items))
        }
    }

    /// A list of one element.
    pub fn one(first: T) -> Self {
        Self(vec![first])
    }

    /// Appends an element.
    pub fn push(&mut self, item: T) {
        self.0.push(item);
    }

    /// The first element.
    pub fn first(&self) -> &T {
        // Never empty by construction; the fallback keeps this panic-free.
        match self.0.first() {
            Some(x) => x,
            None => unreachable_first(&self.0),
        }
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// Iterates over the elements.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// The number of elements (at least 1).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always false; present for API symmetry with slices.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The elements as a vector.
    pub fn into_vec(self) -> Vec<T> {
        self.0
    }
}

/// `NonEmpty` has no public way to become empty, so this is never called; it exists so that
/// `first` needs neither `unwrap` nor `panic!`.
#[allow(clippy::indexing_slicing)] // index 0 of a list that the type guarantees non-empty
fn unreachable_first<T>(items: &[T]) -> &T {
    &items[0]
}

impl<'a, T> IntoIterator for &'a NonEmpty<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_sentences() {
        assert!(Reason::new("New request: there is no previous request.").is_ok());
        assert!(Reason::new("No judicial decision is needed for subscriber data.").is_ok());
        for bad in [
            "",
            "   ",
            "n/a",
            "N/A",
            "-",
            "none",
            "None.",
            "unknown",
            "Unknown!",
            "NA",
            "?",
            "Néant",
            "sans objet",
            "tbd",
            "nothing",
            "Irrelevant",
        ] {
            assert!(Reason::new(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(Reason::new(""), Err(ReasonError::Blank));
        assert_eq!(Reason::new("n/a"), Err(ReasonError::Placeholder));
        assert_eq!(
            Reason::new("two\nlines of text"),
            Err(ReasonError::ControlCharacter)
        );
        assert_eq!(Reason::new("word ".repeat(300)), Err(ReasonError::TooLong));
    }

    #[test]
    fn reason_debug_is_redacted() {
        let r = Reason::new("The suspect's lawyer asked for it.").unwrap();
        assert!(!format!("{r:?}").contains("lawyer"));
    }

    #[test]
    fn non_empty_lists() {
        assert!(NonEmpty::<u8>::new(vec![]).is_none());
        let mut l = NonEmpty::one(1);
        l.push(2);
        assert_eq!(l.first(), &1);
        assert_eq!(l.len(), 2);
        assert!(!l.is_empty());
        assert_eq!(l.iter().copied().sum::<i32>(), 3);
    }

    #[test]
    fn field_helpers() {
        let r = Reason::new("No fax line exists at this unit.").unwrap();
        let f: Field<u8> = Field::NotApplicable(r.clone());
        assert_eq!(f.value(), None);
        assert_eq!(f.reason(), Some(&r));
        assert_eq!(Field::Value(2).map(|x| x * 2), Field::Value(4));
        let a: Applicable<u8> = Applicable::Value(1);
        assert_eq!(a.to_field(), Field::Value(&1));
    }
}

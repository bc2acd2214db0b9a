//! Short texts of the directory: names, unit names and reasons. Each is parsed once.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    /// Empty or only blanks.
    #[error("the text is blank: write a value")]
    Blank,
    /// Leading or trailing blanks.
    #[error("'{0}' has leading or trailing blanks")]
    Untrimmed(String),
    /// Longer than allowed.
    #[error("the text has {len} characters; at most {max} are allowed")]
    TooLong {
        /// Characters found.
        len: usize,
        /// Characters allowed.
        max: usize,
    },
    /// A control character (line break, tab, …).
    #[error("the text contains a control character (line break, tab or similar)")]
    Control,
    /// A reason that says nothing.
    #[error("'{0}' is a placeholder, not a reason: write a sentence that says why")]
    Placeholder(String),
}

fn check(text: &str, max: usize) -> Result<(), TextError> {
    if text.trim().is_empty() {
        return Err(TextError::Blank);
    }
    if text.trim() != text {
        return Err(TextError::Untrimmed(text.to_owned()));
    }
    let len = text.chars().count();
    if len > max {
        return Err(TextError::TooLong { len, max });
    }
    if text.chars().any(char::is_control) {
        return Err(TextError::Control);
    }
    Ok(())
}

/// A one-line, non-blank, trimmed text of at most [`Text::MAX`] characters: a Party's name, a
/// unit's name, an authority's name.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(String);

impl Text {
    /// The longest text allowed, in characters.
    pub const MAX: usize = 200;

    /// Parses a text.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        check(text, Self::MAX)?;
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Words that are not reasons.
const PLACEHOLDERS: [&str; 12] = [
    "n/a", "na", "-", "--", "none", "unknown", "tbd", "todo", "?", "...", "x", "null",
];

/// Why a Party or contact point was suspended or revoked: a sentence, at most
/// [`Reason::MAX`] characters; placeholders such as "n/a" or "-" are refused.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reason(String);

impl Reason {
    /// The longest reason allowed, in characters.
    pub const MAX: usize = 1000;

    /// Parses a reason.
    pub fn parse(text: &str) -> Result<Self, TextError> {
        check(text, Self::MAX)?;
        let lower = text.to_lowercase();
        let word = lower.trim_end_matches('.');
        if PLACEHOLDERS.contains(&word) || !text.chars().any(char::is_alphabetic) {
            return Err(TextError::Placeholder(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    /// The reason.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_impls {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($t), self.0)
            }
        }

        impl std::str::FromStr for $t {
            type Err = TextError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

text_impls!(Text);
text_impls!(Reason);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_one_trimmed_bounded_line() {
        assert_eq!(
            Text::parse("Cybercrime unit").unwrap().as_str(),
            "Cybercrime unit"
        );
        assert_eq!(Text::parse(""), Err(TextError::Blank));
        assert_eq!(Text::parse("   "), Err(TextError::Blank));
        assert!(matches!(Text::parse(" a"), Err(TextError::Untrimmed(_))));
        assert_eq!(Text::parse("a\nb"), Err(TextError::Control));
        assert!(matches!(
            Text::parse(&"x".repeat(201)),
            Err(TextError::TooLong { len: 201, max: 200 })
        ));
        assert!(Text::parse(&"é".repeat(200)).is_ok());
    }

    #[test]
    fn reasons_refuse_placeholders() {
        for bad in ["n/a", "N/A", "-", "none", "Unknown.", "?", "..."] {
            assert!(
                matches!(Reason::parse(bad), Err(TextError::Placeholder(_))),
                "{bad}"
            );
        }
        assert!(Reason::parse("Node key compromised on 2026-11-02.").is_ok());
        assert!(Reason::parse("").is_err());
    }

    #[test]
    fn serde_parses() {
        let t: Text = serde_json::from_str("\"Unit\"").unwrap();
        assert_eq!(serde_json::to_string(&t).unwrap(), "\"Unit\"");
        assert!(serde_json::from_str::<Text>("\"\"").is_err());
        assert!(format!("{t:?}").contains("Unit"));
    }
}

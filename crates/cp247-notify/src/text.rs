//! Values that go into mail headers: one line, no control characters, bounded. Header injection
//! (a CR or LF in a subject or address that starts a new header such as `Bcc:`) is stopped here,
//! at the boundary, before lettre ever sees the value.

use std::fmt;
use std::str::FromStr;

use lettre::message::Mailbox;

/// The longest subject line cp247 writes, in characters.
pub const MAX_SUBJECT_CHARS: usize = 200;

/// The longest e-mail address (with display name) accepted, in bytes.
pub const MAX_MAILBOX_BYTES: usize = 320;

/// Why a header value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderTextError {
    /// A line break or another control character: it could start a new header.
    #[error(
        "{what} contains a line break or another control character (at character {position}); header values must be one line"
    )]
    ControlCharacter {
        /// Which value.
        what: &'static str,
        /// The 1-based character position.
        position: usize,
    },
    /// Empty or too long.
    #[error("{what} must be 1 to {max} characters long, not {actual}")]
    Length {
        /// Which value.
        what: &'static str,
        /// Its length.
        actual: usize,
        /// The limit.
        max: usize,
    },
    /// Not an e-mail address.
    #[error("'{text}' is not an e-mail address ({reason})")]
    NotAnAddress {
        /// What was given (shortened, control characters already refused).
        text: String,
        /// What the parser said.
        reason: String,
    },
}

fn check_line(what: &'static str, text: &str, max: usize) -> Result<(), HeaderTextError> {
    if let Some(position) = text.chars().position(char::is_control) {
        return Err(HeaderTextError::ControlCharacter {
            what,
            position: position + 1,
        });
    }
    let actual = text.chars().count();
    if actual == 0 || actual > max || text.trim().is_empty() {
        return Err(HeaderTextError::Length { what, actual, max });
    }
    Ok(())
}

/// A subject line: one line of at most [`MAX_SUBJECT_CHARS`] characters, no control characters.
#[derive(Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    /// Checks `text`.
    pub fn new(text: impl Into<String>) -> Result<Self, HeaderTextError> {
        let text = text.into();
        check_line("the subject", &text, MAX_SUBJECT_CHARS)?;
        Ok(Self(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `[cp247] alert`, when nothing better can be said.
    pub(crate) fn fallback() -> Self {
        Self(String::from("[cp247] alert"))
    }
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Subject({:?})", self.0)
    }
}

/// An e-mail address, optionally with a display name (`Duty officer <duty@example.org>`):
/// one line, no control characters, at most [`MAX_MAILBOX_BYTES`] bytes, parsed by lettre.
#[derive(Clone, PartialEq, Eq)]
pub struct MailAddress(Mailbox);

impl MailAddress {
    /// Parses and checks `text`.
    pub fn parse(text: &str) -> Result<Self, HeaderTextError> {
        check_line("the e-mail address", text, MAX_MAILBOX_BYTES)?;
        if text.len() > MAX_MAILBOX_BYTES {
            return Err(HeaderTextError::Length {
                what: "the e-mail address",
                actual: text.len(),
                max: MAX_MAILBOX_BYTES,
            });
        }
        let mailbox =
            Mailbox::from_str(text.trim()).map_err(|e| HeaderTextError::NotAnAddress {
                text: text.chars().take(80).collect(),
                reason: e.to_string(),
            })?;
        Ok(Self(mailbox))
    }

    /// The lettre mailbox.
    pub fn mailbox(&self) -> &Mailbox {
        &self.0
    }

    /// The bare address (`duty@example.org`).
    pub fn email(&self) -> String {
        self.0.email.to_string()
    }

    /// The domain part (for Message-IDs).
    pub fn domain(&self) -> &str {
        self.0.email.domain()
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MailAddress({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_and_controls_are_refused_in_subjects_and_addresses() {
        for bad in [
            "Alert\r\nBcc: victim@example.org",
            "Alert\nX: y",
            "Alert\rX",
            "tab\tin",
            "nul\0",
            "",
            " ",
        ] {
            assert!(Subject::new(bad).is_err(), "{bad:?}");
        }
        assert!(Subject::new("x".repeat(MAX_SUBJECT_CHARS + 1)).is_err());
        assert_eq!(
            Subject::new("Urgent: FR-2026-000001").unwrap().as_str(),
            "Urgent: FR-2026-000001"
        );
        for bad in [
            "duty@example.org\r\nBcc: victim@example.org",
            "Duty\n <duty@example.org>",
            "not an address",
            "a@",
            "",
        ] {
            assert!(MailAddress::parse(bad).is_err(), "{bad:?}");
        }
        let err = MailAddress::parse("duty@example.org\r\nBcc: x@y.z").unwrap_err();
        assert!(err.to_string().contains("control character"), "{err}");
        let a = MailAddress::parse("Duty officer <duty@example.org>").unwrap();
        assert_eq!(a.email(), "duty@example.org");
        assert_eq!(a.domain(), "example.org");
    }
}

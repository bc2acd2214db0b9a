//! Making untrusted text safe to show: nothing invisible may change what a reader sees.
//!
//! Document content comes from another country's node and is shown to officers and courts. A
//! control character or a bidirectional override (U+202E and friends, the "Trojan Source" trick)
//! could hide or reorder text on the page, so each renderer passes every string through
//! [`visible`], which replaces such characters by a visible `⟨U+XXXX⟩` marker. Line breaks and tabs
//! are kept (tabs become spaces); everything else is shown exactly as recorded.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for characters that must not reach a page unseen.
fn is_hidden(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c,
            '\u{200E}' | '\u{200F}'            // left-to-right / right-to-left marks
            | '\u{202A}'..='\u{202E}'          // embeddings and overrides
            | '\u{2066}'..='\u{2069}'          // isolates
            | '\u{FEFF}'                       // zero-width no-break space (BOM)
            | '\u{FFF9}'..='\u{FFFB}'          // interlinear annotations
        )
}

/// `s` with tabs turned into spaces, CR LF and lone CR into LF, and every other hidden character
/// shown as `⟨U+XXXX⟩`. Borrowed when nothing had to change.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_hidden(c) || c == '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' => out.push(' '),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            c if is_hidden(c) => {
                let _ = write!(out, "⟨U+{:04X}⟩", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_hidden_characters() {
        assert!(matches!(
            visible("Dupont « é œ »\nligne 2"),
            Cow::Borrowed(_)
        ));
        assert_eq!(visible("a\tb\r\nc\rd"), "a b\nc\nd");
        assert_eq!(visible("abc\u{202E}fed"), "abc⟨U+202E⟩fed");
        assert_eq!(visible("x\u{0}y\u{1B}[31m"), "x⟨U+0000⟩y⟨U+001B⟩[31m");
        assert_eq!(visible("\u{85}\u{2066}"), "⟨U+0085⟩⟨U+2066⟩");
    }
}

//! Conversions between domain values and the portable column types (BIGINT, TEXT, bytes).
//!
//! Rows are mapped by hand, never by a derive: every column read from the database is parsed
//! into its domain type here, and a value that does not parse is reported as
//! [`StoreError::Corrupt`] with its table, column and row key.

use std::fmt;

use cp247_domain::{Address, ContactPointRole, Instant, PartyCode, Urgency};
use jiff::Timestamp;
use jiff::tz::Offset;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::StoreError;

/// Unix microseconds (UTC) of `at`: the store keeps microsecond precision.
pub(crate) fn us(at: Timestamp) -> i64 {
    at.as_microsecond()
}

/// `at` truncated to the microsecond, as the store keeps it.
pub fn truncate_to_micros(at: Timestamp) -> Timestamp {
    Timestamp::from_microsecond(at.as_microsecond()).unwrap_or(at)
}

/// Reads column `col` of `row` as `T`, naming table, column and key on failure.
pub(crate) fn get<'r, T>(
    row: &'r AnyRow,
    table: &'static str,
    col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    row.try_get::<T, _>(col)
        .map_err(|e| StoreError::corrupt(table, col, key.to_string(), e.to_string()))
}

/// Reads a timestamp column (unix microseconds).
pub(crate) fn get_ts(
    row: &AnyRow,
    table: &'static str,
    col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<Timestamp, StoreError> {
    let v: i64 = get(row, table, col, key)?;
    ts_from_us(v, table, col, key)
}

/// Reads a nullable timestamp column.
pub(crate) fn get_opt_ts(
    row: &AnyRow,
    table: &'static str,
    col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<Option<Timestamp>, StoreError> {
    let v: Option<i64> = get(row, table, col, key)?;
    v.map(|v| ts_from_us(v, table, col, key)).transpose()
}

pub(crate) fn ts_from_us(
    v: i64,
    table: &'static str,
    col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<Timestamp, StoreError> {
    Timestamp::from_microsecond(v).map_err(|_| {
        StoreError::corrupt(
            table,
            col,
            key.to_string(),
            format!("{v} is not a representable instant in microseconds"),
        )
    })
}

/// Rebuilds an [`Instant`] from microseconds and an offset in seconds.
pub(crate) fn instant_from(
    at_us: i64,
    offset_s: i64,
    table: &'static str,
    col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<Instant, StoreError> {
    let at = ts_from_us(at_us, table, col, key)?;
    let offset = i32::try_from(offset_s)
        .ok()
        .and_then(|s| Offset::from_seconds(s).ok())
        .ok_or_else(|| {
            StoreError::corrupt(
                table,
                col,
                key.to_string(),
                format!("{offset_s} seconds is not a UTC offset"),
            )
        })?;
    Ok(Instant::new(at, offset))
}

/// Parses a stored value with `parse`, naming table, column and key on failure.
pub(crate) fn parse_col<T, E: fmt::Display>(
    text: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
    table: &'static str,
    col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<T, StoreError> {
    parse(text).map_err(|e| StoreError::corrupt(table, col, key.to_string(), e.to_string()))
}

/// The stored name of a contact point role.
pub(crate) fn point_str(p: ContactPointRole) -> &'static str {
    p.as_str()
}

/// Parses a stored contact point role.
pub(crate) fn parse_point(text: &str) -> Result<ContactPointRole, String> {
    match text {
        "primary" => Ok(ContactPointRole::Primary),
        "alternate" => Ok(ContactPointRole::Alternate),
        other => Err(format!("'{other}' is not a contact point role")),
    }
}

/// Parses a stored urgency.
pub(crate) fn parse_urgency(text: &str) -> Result<Urgency, String> {
    Urgency::ALL
        .into_iter()
        .find(|u| u.as_str() == text)
        .ok_or_else(|| format!("'{text}' is not an urgency"))
}

/// The outbox priority of an urgency: higher is sent first.
pub(crate) fn priority(u: Urgency) -> i64 {
    match u {
        Urgency::Routine => 0,
        Urgency::Urgent => 1,
        Urgency::Emergency => 2,
    }
}

/// Reads an address stored as two columns.
pub(crate) fn get_address(
    row: &AnyRow,
    table: &'static str,
    party_col: &'static str,
    point_col: &'static str,
    key: &(dyn fmt::Display + Sync),
) -> Result<Address, StoreError> {
    let party: String = get(row, table, party_col, key)?;
    let point: String = get(row, table, point_col, key)?;
    Ok(Address {
        party: parse_col(&party, PartyCode::parse, table, party_col, key)?,
        point: parse_col(&point, parse_point, table, point_col, key)?,
    })
}

/// A non-negative count column as `u32`, saturating.
pub(crate) fn count_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Checks that `text` is a bounded single-line text without control characters.
pub(crate) fn check_line(what: &'static str, text: &str, max: usize) -> Result<(), StoreError> {
    if text.is_empty() {
        return Err(StoreError::invalid(what, "it is empty"));
    }
    if text.len() > max {
        return Err(StoreError::invalid(
            what,
            format!("it is {} bytes long, more than {max}", text.len()),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(StoreError::invalid(
            what,
            "it contains a control character (line break, tab, NUL, …)",
        ));
    }
    Ok(())
}

/// Truncates free text (an error description) to at most `max` bytes on a character boundary,
/// replacing control characters by spaces, so one bad peer cannot fill the database or forge
/// log lines.
pub(crate) fn bounded_text(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max));
    for c in text.chars() {
        let c = if c.is_control() { ' ' } else { c };
        if out.len() + c.len_utf8() > max {
            out.push('…');
            break;
        }
        out.push(c);
    }
    out
}

macro_rules! token_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses a token: 1 to
            #[doc = stringify!($max)]
            /// characters of `a-z`, `0-9`, `_`, `-` and `.`, starting with a letter.
            pub fn parse(text: &str) -> Result<Self, StoreError> {
                let ok = !text.is_empty()
                    && text.len() <= $max
                    && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
                    && text.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.')
                    });
                if ok {
                    Ok(Self(text.to_owned()))
                } else {
                    Err(StoreError::invalid(
                        $what,
                        format!(
                            "'{}' is not a token: use 1 to {} characters of a-z, 0-9, '_', '-' \
                             and '.', starting with a letter",
                            $crate::codec::bounded_text(text, 80),
                            $max
                        ),
                    ))
                }
            }

            /// The token as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = StoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use token_type;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounded_text_cuts_on_char_boundaries_and_drops_controls() {
        assert_eq!(bounded_text("a\nb\tc", 100), "a b c");
        assert_eq!(bounded_text("ééé", 4), "éé…");
        assert_eq!(bounded_text("", 4), "");
    }

    #[test]
    fn check_line_names_the_problem() {
        assert!(check_line("actor", "node", 10).is_ok());
        let e = check_line("actor", "a\nb", 10).unwrap_err().to_string();
        assert!(e.contains("actor") && e.contains("control"), "{e}");
        assert!(check_line("actor", "", 10).is_err());
        assert!(check_line("actor", "abcdefghijk", 10).is_err());
    }

    proptest! {
        #[test]
        fn timestamps_round_trip_at_microsecond_precision(
            secs in -6_000_000_000i64..6_000_000_000i64, nanos in 0i32..1_000_000_000,
        ) {
            let at = Timestamp::new(secs, nanos).unwrap();
            let back = ts_from_us(us(at), "t", "c", &"k").unwrap();
            prop_assert_eq!(back, truncate_to_micros(at));
            prop_assert!(at.as_nanosecond() - back.as_nanosecond() < 1000);
        }

        #[test]
        fn instants_keep_their_offset(
            secs in -2_000_000_000i64..4_000_000_000i64, off_min in -840i32..=840,
        ) {
            let at = Timestamp::new(secs, 0).unwrap();
            let offset = Offset::from_seconds(off_min * 60).unwrap();
            let i = Instant::new(at, offset);
            let back = instant_from(us(at), i64::from(offset.seconds()), "t", "c", &"k").unwrap();
            prop_assert_eq!(back, i);
        }

        #[test]
        fn bounded_text_never_exceeds_the_limit(s in ".{0,300}", max in 4usize..200) {
            let out = bounded_text(&s, max);
            prop_assert!(out.len() <= max + '…'.len_utf8());
            prop_assert!(!out.chars().any(char::is_control));
        }
    }
}

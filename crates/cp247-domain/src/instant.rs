//! Instants that always carry the UTC offset they were written with, and IANA zone names.

use std::fmt;
use std::str::FromStr;

use jiff::tz::{Offset, TimeZone};
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a text is not an [`Instant`] or a [`ZoneName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InstantError {
    /// The text has a date and time but no `Z` or `±hh:mm` offset.
    #[error(
        "'{0}' has no UTC offset: write it as RFC 3339 with Z or ±hh:mm (e.g. 2026-02-20T13:28:00+01:00)"
    )]
    MissingOffset(String),
    /// The text is not an RFC 3339 date-time.
    #[error("'{0}' is not an RFC 3339 date-time with offset (e.g. 2026-02-20T13:28:00+01:00)")]
    Malformed(String),
    /// Not a zone of the IANA time-zone database.
    #[error("'{0}' is not an IANA time-zone name (e.g. Europe/Paris)")]
    UnknownZone(String),
}

/// A moment in time with the explicit UTC offset it was expressed in.
///
/// Two instants are equal only when both the moment and the offset are equal, so a round trip
/// through any representation keeps what the author wrote. Use [`Instant::timestamp`] to compare
/// moments across offsets.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Instant {
    at: Timestamp,
    offset: Offset,
}

impl Instant {
    /// The instant `at`, expressed with `offset`.
    pub fn new(at: Timestamp, offset: Offset) -> Self {
        Self { at, offset }
    }

    /// The instant `at` expressed in UTC.
    pub fn utc(at: Timestamp) -> Self {
        Self {
            at,
            offset: Offset::UTC,
        }
    }

    /// The moment, independent of offset.
    pub fn timestamp(&self) -> Timestamp {
        self.at
    }

    /// The offset the instant was written with.
    pub fn offset(&self) -> Offset {
        self.offset
    }

    /// The instant as a zoned value in its own fixed offset.
    pub fn zoned(&self) -> ZonedDateTime {
        self.at.to_zoned_datetime(TimeZone::fixed(self.offset))
    }

    /// Parses RFC 3339 (`2026-02-20T13:28:00+01:00`, `...Z`). A date-time without an offset is
    /// refused with [`InstantError::MissingOffset`].
    pub fn parse(text: &str) -> Result<Self, InstantError> {
        let malformed = || InstantError::Malformed(text.to_owned());
        if text.len() > 64 {
            return Err(malformed());
        }
        match text.parse::<Timestamp>() {
            Ok(at) => {
                let offset = rfc3339_offset(text).ok_or_else(malformed)?;
                Ok(Self { at, offset })
            }
            Err(_) if text.parse::<jiff::civil::DateTime>().is_ok() => {
                Err(InstantError::MissingOffset(text.to_owned()))
            }
            Err(_) => Err(malformed()),
        }
    }
}

/// The offset of an RFC 3339 text: `Z`/`z` or `±hh:mm` at the very end, after a `T` separator.
/// Anything else (zone annotations, a space separator, surrounding blanks) is not RFC 3339.
fn rfc3339_offset(text: &str) -> Option<Offset> {
    let bytes = text.as_bytes();
    if bytes.get(10).is_none_or(|b| !matches!(b, b'T' | b't')) {
        return None;
    }
    if matches!(bytes.last(), Some(b'Z' | b'z')) {
        return Some(Offset::UTC);
    }
    let tail = bytes.get(bytes.len().checked_sub(6)?..)?;
    let sign = match tail.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digit = |i: usize| {
        tail.get(i)
            .filter(|b| b.is_ascii_digit())
            .map(|b| i32::from(b - b'0'))
    };
    if tail.get(3) != Some(&b':') {
        return None;
    }
    let hours = digit(1)? * 10 + digit(2)?;
    let minutes = digit(4)? * 10 + digit(5)?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let zoned = self.zoned();
        let dt = zoned.datetime();
        let secs = self.offset.seconds();
        if secs == 0 {
            write!(f, "{}Z", dt.strftime("%Y-%m-%dT%H:%M:%S%.f"))
        } else {
            let sign = if secs < 0 { '-' } else { '+' };
            let abs = secs.unsigned_abs();
            write!(
                f,
                "{}{}{:02}:{:02}",
                dt.strftime("%Y-%m-%dT%H:%M:%S%.f"),
                sign,
                abs / 3600,
                (abs % 3600) / 60
            )
        }
    }
}

impl fmt::Debug for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Instant({self})")
    }
}

impl FromStr for Instant {
    type Err = InstantError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The name of a zone in the IANA time-zone database (`Europe/Chisinau`), checked against the
/// database bundled with cp247.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ZoneName(String);

impl ZoneName {
    /// Parses an IANA zone name.
    pub fn parse(text: &str) -> Result<Self, InstantError> {
        if text.is_empty() || text.len() > 64 || text.trim() != text {
            return Err(InstantError::UnknownZone(text.to_owned()));
        }
        TimeZone::get(text).map_err(|_| InstantError::UnknownZone(text.to_owned()))?;
        Ok(Self(text.to_owned()))
    }

    /// The zone's rules.
    pub fn time_zone(&self) -> TimeZone {
        // The name was checked against the same bundled database at construction.
        TimeZone::get(&self.0).unwrap_or(TimeZone::UTC)
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ZoneName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ZoneName({})", self.0)
    }
}

impl FromStr for ZoneName {
    type Err = InstantError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for ZoneName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ZoneName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_the_written_offset() {
        let i = Instant::parse("2006-02-20T13:28:00+01:00").unwrap();
        assert_eq!(i.to_string(), "2006-02-20T13:28:00+01:00");
        assert_eq!(
            i.timestamp(),
            "2006-02-20T12:28:00Z".parse::<Timestamp>().unwrap()
        );
        let z = Instant::parse("2006-02-20T12:28:00.5Z").unwrap();
        assert_eq!(z.to_string(), "2006-02-20T12:28:00.5Z");
        let neg = Instant::parse("2026-07-01T08:00:00-05:30").unwrap();
        assert_eq!(neg.to_string(), "2026-07-01T08:00:00-05:30");
    }

    #[test]
    fn refuses_local_times_and_garbage() {
        for bad in [
            "2006-02-20T13:28:00",
            "2006-02-20 13:28",
            "2006-02-20T13:28",
        ] {
            assert!(
                matches!(Instant::parse(bad), Err(InstantError::MissingOffset(_))),
                "{bad}"
            );
        }
        for bad in [
            "",
            " 2006-02-20T13:28:00Z",
            "20/02/2006 13:28",
            "2006-02-20T13:28:00+01:00[Europe/Paris]",
            "yesterday",
            "2006-02-30T13:28:00Z",
            "2006-02-20T13:28:00+25:00",
        ] {
            assert!(Instant::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn zone_names_come_from_the_database() {
        assert_eq!(
            ZoneName::parse("Europe/Chisinau").unwrap().as_str(),
            "Europe/Chisinau"
        );
        assert!(ZoneName::parse("Europe/Atlantis").is_err());
        assert!(ZoneName::parse("").is_err());
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(secs in -2_000_000_000i64..4_000_000_000i64,
                                    nanos in 0i32..1_000_000_000,
                                    off_min in -840i32..=840i32) {
            let at = Timestamp::new(secs, nanos).unwrap();
            let offset = Offset::from_seconds(off_min * 60).unwrap();
            let i = Instant::new(at, offset);
            let back = Instant::parse(&i.to_string()).unwrap();
            prop_assert_eq!(back, i);
        }
    }
}

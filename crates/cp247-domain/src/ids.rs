//! Identifiers of tickets (cases) and messages.

use std::fmt;
use std::str::FromStr;

use jiff::Timestamp;
use rand::Rng;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::PartyCode;

/// Crockford's base-32 alphabet: no I, L, O, U, so a ticket can be read over the phone.
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a text is not a [`TicketId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a cp247 ticket id: expected PARTY-YEAR-CODE, e.g. FR-2026-7K3QZP")]
pub struct TicketIdError(String);

/// The id of a ticket (a case): `FR-2026-7K3QZP` — the opening Party, the year, and a random
/// code in Crockford base 32. Shared by the request and every message that follows it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TicketId {
    text: String,
    party: PartyCode,
}

impl TicketId {
    /// A fresh ticket id for `party`, in the year of `at` (UTC).
    pub fn generate(party: PartyCode, at: Timestamp, rng: &mut impl Rng) -> Self {
        let year = at.to_zoned_datetime(jiff::tz::TimeZone::UTC).year();
        let code: String = (0..8)
            .map(|_| {
                let i = rng.random_range(0..CROCKFORD.len());
                char::from(CROCKFORD.get(i).copied().unwrap_or(b'0'))
            })
            .collect();
        Self {
            text: format!("{party}-{year:04}-{code}"),
            party,
        }
    }

    /// Parses `PARTY-YEAR-CODE`.
    pub fn parse(text: &str) -> Result<Self, TicketIdError> {
        let err = || TicketIdError(text.to_owned());
        let mut parts = text.split('-');
        let (Some(party), Some(year), Some(code), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        let party = PartyCode::parse(party).map_err(|_| err())?;
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        if !(4..=12).contains(&code.len()) || !code.bytes().all(|b| CROCKFORD.contains(&b)) {
            return Err(err());
        }
        Ok(Self {
            text: text.to_owned(),
            party,
        })
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The Party that opened the ticket.
    pub fn party(&self) -> PartyCode {
        self.party
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TicketId({})", self.text)
    }
}

impl FromStr for TicketId {
    type Err = TicketIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for TicketId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for TicketId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Why a text is not a [`MessageId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a message id: expected a UUID version 7 in hyphenated lower case")]
pub struct MessageIdError(String);

/// The id of one message: a UUIDv7, so ids sort by creation time.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MessageId(uuid::Uuid);

impl MessageId {
    /// A fresh id for a message created at `at`.
    pub fn generate(at: Timestamp, rng: &mut impl Rng) -> Self {
        let millis = u64::try_from(at.as_millisecond()).unwrap_or(0);
        let random: [u8; 10] = rng.random();
        Self(uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid())
    }

    /// Parses a hyphenated lower-case UUIDv7.
    pub fn parse(text: &str) -> Result<Self, MessageIdError> {
        let err = || MessageIdError(text.to_owned());
        let uuid = uuid::Uuid::try_parse(text).map_err(|_| err())?;
        if uuid.get_version_num() != 7 || uuid.hyphenated().to_string() != text {
            return Err(err());
        }
        Ok(Self(uuid))
    }

    /// The UUID.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl fmt::Display for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.hyphenated(), f)
    }
}

impl fmt::Debug for MessageId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MessageId({})", self.0.hyphenated())
    }
}

impl FromStr for MessageId {
    type Err = MessageIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for MessageId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for MessageId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ticket_ids_round_trip_and_reject_garbage() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let at: Timestamp = "2026-11-28T20:00:00Z".parse().unwrap();
        let t = TicketId::generate(PartyCode::parse("FR").unwrap(), at, &mut rng);
        assert!(t.as_str().starts_with("FR-2026-"));
        assert_eq!(TicketId::parse(t.as_str()).unwrap(), t);
        assert_eq!(t.party().as_str(), "FR");
        for bad in [
            "",
            "FR-2026",
            "fr-2026-ABCD",
            "FR-26-ABCD",
            "FR-2026-ABC",
            "FR-2026-ABCDI",
            "FR-2026-ABCD-X",
            "UK-2026-ABCD",
        ] {
            assert!(TicketId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn message_ids_are_v7_and_sort_by_time() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let a = MessageId::generate("2026-01-01T00:00:00Z".parse().unwrap(), &mut rng);
        let b = MessageId::generate("2026-01-01T00:00:01Z".parse().unwrap(), &mut rng);
        assert!(a < b);
        assert_eq!(a.as_uuid().get_version_num(), 7);
        assert_eq!(MessageId::parse(&a.to_string()).unwrap(), a);
        assert!(MessageId::parse("6f1c2b7e-7d2a-4c3b-9a1e-1b2c3d4e5f60").is_err()); // v4
        assert!(MessageId::parse(&a.to_string().to_uppercase()).is_err());
    }
}

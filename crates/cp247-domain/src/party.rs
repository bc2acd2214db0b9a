//! Party codes: ISO 3166-1 alpha-2 country codes and the network's organisation codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Every officially assigned ISO 3166-1 alpha-2 code (249), sorted for binary search.
const ISO_3166_1_ALPHA2: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Organisation pseudo-codes that fields.md allows in some places (never as a requested Party).
const ORGANISATIONS: [&str; 4] = ["EU", "EUROJUST", "EUROPOL", "INTERPOL"];

/// Why a text is not a [`PartyCode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartyCodeError {
    /// `UK` is reserved in ISO 3166-1; the United Kingdom is `GB`.
    #[error("'UK' is not an ISO 3166-1 code: the United Kingdom is 'GB'")]
    UseGb,
    /// Not an assigned code, or not upper case.
    #[error(
        "'{0}' is not an ISO 3166-1 alpha-2 country code (upper case, e.g. FR) nor one of EU, INTERPOL, EUROPOL, EUROJUST"
    )]
    Unknown(String),
}

/// A Party to the network: an ISO 3166-1 alpha-2 country, or an organisation code.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PartyCode(&'static str);

impl PartyCode {
    /// Parses a code. Lower case is refused rather than corrected: codes are identifiers.
    pub fn parse(text: &str) -> Result<Self, PartyCodeError> {
        if text == "UK" {
            return Err(PartyCodeError::UseGb);
        }
        if let Some(code) = ISO_3166_1_ALPHA2
            .binary_search(&text)
            .ok()
            .and_then(|i| ISO_3166_1_ALPHA2.get(i))
        {
            return Ok(Self(code));
        }
        if let Some(code) = ORGANISATIONS.iter().find(|c| **c == text) {
            return Ok(Self(code));
        }
        Err(PartyCodeError::Unknown(text.to_owned()))
    }

    /// True for EU, INTERPOL, EUROPOL and EUROJUST.
    pub fn is_organisation(&self) -> bool {
        ORGANISATIONS.contains(&self.0)
    }

    /// The code as text.
    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// All country codes, for pickers and property tests.
    pub fn countries() -> impl Iterator<Item = PartyCode> {
        ISO_3166_1_ALPHA2.iter().map(|c| PartyCode(c))
    }
}

impl fmt::Display for PartyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Debug for PartyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartyCode({})", self.0)
    }
}

impl FromStr for PartyCode {
    type Err = PartyCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for PartyCode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for PartyCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_unique() {
        assert!(ISO_3166_1_ALPHA2.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn parses_countries_and_organisations() {
        assert_eq!(PartyCode::parse("FR").unwrap().as_str(), "FR");
        assert_eq!(PartyCode::parse("MD").unwrap().to_string(), "MD");
        assert!(!PartyCode::parse("GE").unwrap().is_organisation());
        assert!(PartyCode::parse("INTERPOL").unwrap().is_organisation());
        assert_eq!(PartyCode::parse("UK"), Err(PartyCodeError::UseGb));
        for bad in ["fr", "F", "FRA", "XK", "ZZ", "", " FR", "Europol"] {
            assert!(PartyCode::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(PartyCode::countries().count(), 249);
    }
}

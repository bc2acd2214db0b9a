//! The values a contact point is reached by: phone numbers, e-mail addresses, languages, the
//! node's HTTPS endpoint and the pin of its TLS certificate.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::Text;

/// Why a contact value is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Not an E.164 number.
    #[error(
        "'{0}' is not an E.164 phone number: write + and 7 to 15 digits, no spaces (e.g. +33140978800)"
    )]
    Phone(String),
    /// Not an e-mail address.
    #[error(
        "'{0}' is not an e-mail address (local@domain, ASCII; write an IDN domain as A-labels)"
    )]
    Email(String),
    /// Not a BCP 47 language tag.
    #[error("'{0}' is not a BCP 47 language tag (e.g. en, fr, ro-MD)")]
    Language(String),
    /// Not an acceptable node endpoint.
    #[error("'{url}' is not a node endpoint: {why}")]
    Endpoint {
        /// The text given.
        url: String,
        /// What is wrong.
        why: &'static str,
    },
    /// Not a SHA-256 fingerprint.
    #[error(
        "'{0}' is not a SHA-256 certificate fingerprint: write 64 hexadecimal digits (colons allowed)"
    )]
    TlsSha256(String),
}

macro_rules! string_serde {
    ($t:ident) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($t), self.as_str())
            }
        }

        impl FromStr for $t {
            type Err = ValueError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
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

/// A phone number in E.164 form: `+` then 7 to 15 digits, the first not 0.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone(String);

impl Phone {
    /// Parses an E.164 number. Spaces and other separators are refused rather than removed,
    /// so what is signed is exactly what is dialled.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::Phone(text.to_owned());
        let digits = text.strip_prefix('+').ok_or_else(err)?;
        if !(7..=15).contains(&digits.len())
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || digits.starts_with('0')
        {
            return Err(err());
        }
        Ok(Self(text.to_owned()))
    }

    /// The number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_serde!(Phone);

/// An e-mail address: `local@domain`, ASCII only (an internationalised domain is written with its
/// A-labels), at most 254 characters.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Parses an address (RFC 5321 dot-atom local part, DNS host name domain).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::Email(text.to_owned());
        if text.len() > 254 {
            return Err(err());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(err)?;
        let atext = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b);
        if local.is_empty()
            || local.len() > 64
            || local
                .split('.')
                .any(|atom| atom.is_empty() || !atom.bytes().all(atext))
        {
            return Err(err());
        }
        if !is_host_name(domain) || !domain.contains('.') {
            return Err(err());
        }
        Ok(Self(text.to_owned()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_serde!(EmailAddress);

fn is_host_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// A BCP 47 language tag, as far as cp247 needs it: a 2–3 letter lower-case primary language,
/// then up to three subtags of 1–8 letters or digits (`en`, `fr`, `ro-MD`, `sr-Latn-RS`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LanguageTag(String);

impl LanguageTag {
    /// Parses a tag.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::Language(text.to_owned());
        let mut parts = text.split('-');
        let primary = parts.next().unwrap_or_default();
        if !(2..=3).contains(&primary.len()) || !primary.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(err());
        }
        let mut count = 0;
        for sub in parts {
            count += 1;
            if count > 3
                || !(1..=8).contains(&sub.len())
                || !sub.bytes().all(|b| b.is_ascii_alphanumeric())
            {
                return Err(err());
            }
        }
        Ok(Self(text.to_owned()))
    }

    /// The tag.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_serde!(LanguageTag);

/// The HTTPS endpoint of a node: `https://` with a host name or address, no user name, query or
/// fragment. Plain `http://` is accepted only for a loopback host (127.0.0.0/8, ::1,
/// `localhost`), for tests and demonstrations on one machine.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    text: String,
    url: url::Url,
}

impl Endpoint {
    /// Parses an endpoint. The stored form is the URL's normal form (e.g. a trailing `/` after
    /// the host).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let err = |why| ValueError::Endpoint {
            url: text.to_owned(),
            why,
        };
        if text.len() > 2048 {
            return Err(err("longer than 2048 characters"));
        }
        let url = url::Url::parse(text).map_err(|_| err("not a URL"))?;
        let loopback = match url.host() {
            Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => return Err(err("the URL has no host")),
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => return Err(err("plain http is allowed only on a loopback address")),
            _ => return Err(err("the scheme must be https")),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(err("a user name or password does not belong in the URL"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(err("a query or fragment does not belong in the URL"));
        }
        Ok(Self {
            text: url.as_str().to_owned(),
            url,
        })
    }

    /// The endpoint in normal form.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed URL.
    pub fn url(&self) -> &url::Url {
        &self.url
    }
}

string_serde!(Endpoint);

/// The SHA-256 fingerprint of a node's TLS certificate (DER), pinned by the directory.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TlsSha256([u8; 32]);

impl TlsSha256 {
    /// Parses 64 hexadecimal digits, either case, optionally in colon-separated pairs as
    /// `openssl x509 -fingerprint -sha256` prints them.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let err = || ValueError::TlsSha256(text.to_owned());
        if text.len() > 95 {
            return Err(err());
        }
        let compact: String = if text.contains(':') {
            let pairs: Vec<&str> = text.split(':').collect();
            if pairs.len() != 32 || pairs.iter().any(|p| p.len() != 2) {
                return Err(err());
            }
            pairs.concat()
        } else {
            text.to_owned()
        };
        let mut out = [0u8; 32];
        hex::decode_to_slice(&compact, &mut out).map_err(|_| err())?;
        Ok(Self(out))
    }

    /// The digest.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hexadecimal, the signed form.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl fmt::Display for TlsSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for TlsSha256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TlsSha256({})", self.to_hex())
    }
}

impl FromStr for TlsSha256 {
    type Err = ValueError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for TlsSha256 {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for TlsSha256 {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            // The signed form is exactly 64 lower-case digits.
            return Err(serde::de::Error::custom(ValueError::TlsSha256(text)));
        }
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// What kind of body a contact point belongs to (fields.md §9.1, "parent authority").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    /// A police force.
    Police,
    /// A prosecution service.
    Prosecution,
    /// A court or investigating judge.
    Judiciary,
    /// A ministry (justice, interior).
    Ministry,
    /// Another kind of body, named next to it.
    Other,
}

impl AuthorityKind {
    /// Every kind.
    pub const ALL: [AuthorityKind; 5] = [
        AuthorityKind::Police,
        AuthorityKind::Prosecution,
        AuthorityKind::Judiciary,
        AuthorityKind::Ministry,
        AuthorityKind::Other,
    ];

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuthorityKind::Police => "police",
            AuthorityKind::Prosecution => "prosecution",
            AuthorityKind::Judiciary => "judiciary",
            AuthorityKind::Ministry => "ministry",
            AuthorityKind::Other => "other",
        }
    }
}

impl FromStr for AuthorityKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("'{s}' is not an authority kind: use police, prosecution, judiciary, ministry or other")
            })
    }
}

/// The body a contact point is part of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentAuthority {
    /// Police, prosecution, …
    pub kind: AuthorityKind,
    /// Its name.
    pub name: Text,
}

/// What a contact point can do beyond receiving requests (fields.md §9.1, "capabilities").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Capability {
    /// Can order the preservation of data directly (Art. 29).
    OrdersPreservation,
    /// Can execute an expedited disclosure of preserved traffic data (Art. 30).
    DisclosesTrafficData,
    /// Receives emergency requests under the Second Additional Protocol, Art. 9.
    SapArt9Emergency,
    /// Is a channel for emergency mutual assistance under the Second Additional Protocol, Art. 10.
    SapArt10EmergencyMla,
}

impl Capability {
    /// Every capability.
    pub const ALL: [Capability; 4] = [
        Capability::OrdersPreservation,
        Capability::DisclosesTrafficData,
        Capability::SapArt9Emergency,
        Capability::SapArt10EmergencyMla,
    ];

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Capability::OrdersPreservation => "orders_preservation",
            Capability::DisclosesTrafficData => "discloses_traffic_data",
            Capability::SapArt9Emergency => "sap_art9_emergency",
            Capability::SapArt10EmergencyMla => "sap_art10_emergency_mla",
        }
    }
}

impl FromStr for Capability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "'{s}' is not a capability: use orders_preservation, discloses_traffic_data, sap_art9_emergency or sap_art10_emergency_mla"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_e164() {
        assert_eq!(
            Phone::parse("+33140978800").unwrap().as_str(),
            "+33140978800"
        );
        for bad in [
            "33140978800",
            "+33 1 40 97 88 00",
            "+0123456789",
            "+123",
            "+1234567890123456",
            "+",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn emails() {
        assert!(EmailAddress::parse("cyber-247@police.example.org").is_ok());
        assert!(EmailAddress::parse("first.last+tag@xn--bcher-kva.example").is_ok());
        for bad in [
            "",
            "nobody",
            "@example.org",
            "a@",
            "a@localhost",
            "a..b@example.org",
            ".a@example.org",
            "a b@example.org",
            "a@-x.example.org",
            "a@exa_mple.org",
            "a@bücher.example",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn languages() {
        for ok in ["en", "fr", "ro-MD", "sr-Latn-RS", "ast"] {
            assert!(LanguageTag::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "EN",
            "e",
            "english",
            "en_GB",
            "en-",
            "en-toolongtag",
            "a-b-c-d-e",
        ] {
            assert!(LanguageTag::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoints_are_https_except_on_loopback() {
        assert_eq!(
            Endpoint::parse("https://cp247.police.example.org")
                .unwrap()
                .as_str(),
            "https://cp247.police.example.org/"
        );
        assert!(Endpoint::parse("http://127.0.0.1:8443/").is_ok());
        assert!(Endpoint::parse("http://[::1]:8443/").is_ok());
        assert!(Endpoint::parse("http://localhost:8443/").is_ok());
        for (bad, why) in [
            ("http://cp247.example.org/", "loopback"),
            ("ftp://cp247.example.org/", "scheme"),
            ("https://user:pw@cp247.example.org/", "user name"),
            ("https://cp247.example.org/?a=b", "query"),
            ("https://cp247.example.org/#x", "fragment"),
            ("cp247.example.org", "not a URL"),
        ] {
            let e = Endpoint::parse(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn tls_pins() {
        let hex = "ab".repeat(32);
        let pin = TlsSha256::parse(&hex).unwrap();
        assert_eq!(pin.to_hex(), hex);
        let colons = vec!["AB"; 32].join(":");
        assert_eq!(TlsSha256::parse(&colons).unwrap(), pin);
        assert!(TlsSha256::parse(&"ab".repeat(31)).is_err());
        assert!(TlsSha256::parse(&"zz".repeat(32)).is_err());
        assert!(TlsSha256::parse("AB:CD").is_err());
        // The signed form is strict: lower-case, no colons.
        let json = format!("\"{}\"", "AB".repeat(32));
        assert!(serde_json::from_str::<TlsSha256>(&json).is_err());
        let json = format!("\"{hex}\"");
        assert_eq!(serde_json::from_str::<TlsSha256>(&json).unwrap(), pin);
    }

    #[test]
    fn enum_names_match_serde() {
        for k in AuthorityKind::ALL {
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
            assert_eq!(k.as_str().parse::<AuthorityKind>().unwrap(), k);
        }
        for c in Capability::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
            assert_eq!(c.as_str().parse::<Capability>().unwrap(), c);
        }
    }
}

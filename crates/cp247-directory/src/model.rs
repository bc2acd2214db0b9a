//! The directory document: Parties, their contact points, channels and keys.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use cp247_domain::{
    Address, AdvertisedLevel, ContactPointRole, Instant, PartyCode, ProtocolLevel, ZoneName,
};
use cp247_seal::{Cert, Fingerprint};
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::canonical::to_canonical_string;
use crate::contact::Capability;
use crate::contact::{EmailAddress, Endpoint, LanguageTag, ParentAuthority, Phone, TlsSha256};
use crate::hours::OfficeHours;
use crate::status::Status;
use crate::text::Text;

/// The value of the `format` member of a directory: its name and version.
pub const FORMAT: &str = "cp247-directory/1";

/// The largest directory file a node reads, in bytes.
pub const MAX_DIRECTORY_BYTES: usize = 4 * 1024 * 1024;

/// The most Parties a directory lists.
pub const MAX_PARTIES: usize = 400;

/// Why a directory text is not a directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DirectoryError {
    /// Larger than [`MAX_DIRECTORY_BYTES`].
    #[error("the directory is {size} bytes long; at most {limit} are accepted")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not valid JSON, or a member has a wrong value; `path` says where.
    #[error("the directory is not valid at {path}: {message}")]
    Invalid {
        /// Where, e.g. `parties[2].primary.duty_phones[0]`.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// Valid, but not written in the canonical form the authority signs.
    #[error(
        "the directory is not in canonical form (sorted keys, two-space indentation, final line break): it was not written by 'cp247 directory sign' or was edited after"
    )]
    NotCanonical,
}

/// A list with at least `MIN` and at most `MAX` elements.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Bounded<T, const MIN: usize, const MAX: usize>(Vec<T>);

impl<T, const MIN: usize, const MAX: usize> Bounded<T, MIN, MAX> {
    /// The list, if its length is within the bounds.
    pub fn new(items: Vec<T>) -> Result<Self, String> {
        if items.len() < MIN {
            return Err(if MIN == 1 {
                "the list is empty; give at least one".to_owned()
            } else {
                format!("the list has {} elements; give at least {MIN}", items.len())
            });
        }
        if items.len() > MAX {
            return Err(format!(
                "the list has {} elements; at most {MAX} are allowed",
                items.len()
            ));
        }
        Ok(Self(items))
    }

    /// The elements.
    pub fn as_slice(&self) -> &[T] {
        &self.0
    }

    /// An iterator over the elements.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }
}

impl<T: fmt::Debug, const MIN: usize, const MAX: usize> fmt::Debug for Bounded<T, MIN, MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<T: Serialize, const MIN: usize, const MAX: usize> Serialize for Bounded<T, MIN, MAX> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>, const MIN: usize, const MAX: usize> Deserialize<'de>
    for Bounded<T, MIN, MAX>
{
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(deserializer)?;
        Self::new(items).map_err(serde::de::Error::custom)
    }
}

/// An OpenPGP certificate as the directory lists it: the armored text exactly as signed, and
/// the parsed certificate.
#[derive(Clone, PartialEq, Eq)]
pub struct ListedCert {
    text: String,
    cert: Cert,
}

impl ListedCert {
    /// Parses an armored certificate.
    pub fn parse(text: &str) -> Result<Self, cp247_seal::SealError> {
        let cert = Cert::from_armored(text)?;
        Ok(Self {
            text: text.to_owned(),
            cert,
        })
    }

    /// From a parsed certificate (its armored text is the one listed).
    pub fn from_cert(cert: Cert) -> Self {
        Self {
            text: cert.armored(),
            cert,
        }
    }

    /// The certificate.
    pub fn cert(&self) -> &Cert {
        &self.cert
    }

    /// The armored text as listed.
    pub fn armored(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for ListedCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ListedCert({})", self.cert.fingerprint())
    }
}

impl Serialize for ListedCert {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for ListedCert {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One OpenPGP key of a contact point. A contact point lists more than one while keys rotate:
/// the new key is added, peers start encrypting to it, and the old one is retired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, try_from = "ListedKeyRepr")]
pub struct ListedKey {
    /// The primary key's fingerprint (also readable by a person in the signed file).
    pub fingerprint: Fingerprint,
    /// The certificate.
    pub cert: ListedCert,
    /// From when the key no longer speaks for the contact point (messages and receipts signed
    /// with it are refused from then on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired_at: Option<Instant>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListedKeyRepr {
    fingerprint: Fingerprint,
    cert: ListedCert,
    retired_at: Option<Instant>,
}

impl TryFrom<ListedKeyRepr> for ListedKey {
    type Error = String;
    fn try_from(r: ListedKeyRepr) -> Result<Self, Self::Error> {
        let k = ListedKey::new(r.cert, r.retired_at);
        if k.fingerprint == r.fingerprint {
            Ok(k)
        } else {
            Err(format!(
                "the listed fingerprint {} is not the certificate's ({})",
                r.fingerprint, k.fingerprint
            ))
        }
    }
}

impl ListedKey {
    /// A key entry for `cert`.
    pub fn new(cert: ListedCert, retired_at: Option<Instant>) -> Self {
        Self {
            fingerprint: cert.cert().fingerprint(),
            cert,
            retired_at,
        }
    }

    /// Whether the key is retired at `at`.
    pub fn is_retired_at(&self, at: Timestamp) -> bool {
        self.retired_at.is_some_and(|r| r.timestamp() <= at)
    }
}

/// The keys of a contact point: one to four, no fingerprint twice.
pub type Keys = Bounded<ListedKey, 1, 4>;

/// How a contact point is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Channel {
    /// Its own cp247 node.
    Node(NodeChannel),
    /// OpenPGP e-mail (a contact point without a node).
    Email(EmailChannel),
}

/// A cp247 node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeChannel {
    /// Its HTTPS endpoint.
    pub endpoint: Endpoint,
    /// The SHA-256 fingerprint of its TLS certificate, pinned.
    pub tls_sha256: TlsSha256,
    /// Its OpenPGP keys.
    pub keys: Keys,
    /// The protocol level the node reads (ADR 0028), as it advertises it in its identity
    /// document; absent: level 1. Omitted from the canonical text when absent, so a directory
    /// without it is signed and read exactly as before. Nodes older than protocol levels refuse
    /// a directory that lists it: the authority lists levels only once every node reads them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<AdvertisedLevel>,
}

impl NodeChannel {
    /// The protocol level the node reads, as far as this build can use it (level 1 when the
    /// directory does not say).
    pub fn protocol_level(&self) -> ProtocolLevel {
        self.reads.map_or(ProtocolLevel::V1, AdvertisedLevel::level)
    }
}

/// OpenPGP e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChannel {
    /// The address messages go to.
    pub address: EmailAddress,
    /// The OpenPGP keys of that address.
    pub keys: Keys,
}

impl Channel {
    /// The keys of the channel.
    pub fn keys(&self) -> &Keys {
        match self {
            Channel::Node(n) => &n.keys,
            Channel::Email(e) => &e.keys,
        }
    }

    /// "node" or "email".
    pub fn kind(&self) -> &'static str {
        match self {
            Channel::Node(_) => "node",
            Channel::Email(_) => "email",
        }
    }
}

/// A 24/7 contact point (fields.md §9.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPoint {
    /// The unit's name.
    pub unit: Text,
    /// The body the unit belongs to.
    pub parent_authority: ParentAuthority,
    /// Whether the contact point is itself an authority for mutual legal assistance
    /// (Art. 35(2)(b)).
    pub mla_authority: bool,
    /// What it can do beyond receiving requests.
    pub capabilities: BTreeSet<Capability>,
    /// How it is reached.
    pub channel: Channel,
    /// Duty phones answered 24/7, E.164.
    pub duty_phones: Bounded<Phone, 1, 8>,
    /// Other e-mail addresses of the unit (may be empty).
    pub emails: Bounded<EmailAddress, 0, 8>,
    /// The languages it works in, preferred first.
    pub languages: Bounded<LanguageTag, 1, 12>,
    /// Its IANA time zone.
    pub time_zone: ZoneName,
    /// Its office hours, for non-urgent follow-up.
    pub office_hours: OfficeHours,
    /// The authority's decision about this contact point.
    pub status: Status,
}

impl ContactPoint {
    /// Whether the unit's office is open at `at` (in its own time zone).
    pub fn is_in_office_hours(&self, at: Timestamp) -> bool {
        self.office_hours.is_open(&self.time_zone.time_zone(), at)
    }

    /// The earliest instant at or after `at` at which the unit's office is open.
    pub fn next_office_opening(&self, at: Timestamp) -> Option<Timestamp> {
        self.office_hours
            .next_opening(&self.time_zone.time_zone(), at)
    }

    /// The instant at which `duration` of the unit's office time has passed since `at`.
    pub fn add_office_time(
        &self,
        at: Timestamp,
        duration: jiff::SignedDuration,
    ) -> Option<Timestamp> {
        self.office_hours
            .add_office_time(&self.time_zone.time_zone(), at, duration)
    }

    /// The key to encrypt to at `at`: the last listed key that is not retired then.
    pub fn encryption_key(&self, at: Timestamp) -> Option<&ListedKey> {
        self.channel
            .keys()
            .iter()
            .rev()
            .find(|k| !k.is_retired_at(at))
    }
}

/// A Party to the network and its contact points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartyEntry {
    /// The Party (a country: see the crate documentation).
    pub party: PartyCode,
    /// Its name, e.g. "Republic of Moldova".
    pub name: Text,
    /// The authority's decision about the Party.
    pub status: Status,
    /// The designated 24/7 contact point.
    pub primary: ContactPoint,
    /// The second contact point, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alternate: Option<ContactPoint>,
}

impl PartyEntry {
    /// The contact point with `role`.
    pub fn contact_point(&self, role: ContactPointRole) -> Option<&ContactPoint> {
        match role {
            ContactPointRole::Primary => Some(&self.primary),
            ContactPointRole::Alternate => self.alternate.as_ref(),
        }
    }

    /// The contact points with their roles.
    pub fn contact_points(&self) -> impl Iterator<Item = (ContactPointRole, &ContactPoint)> {
        std::iter::once((ContactPointRole::Primary, &self.primary)).chain(
            self.alternate
                .iter()
                .map(|cp| (ContactPointRole::Alternate, cp)),
        )
    }
}

/// Who signs the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorityRef {
    /// The authority's name (the network's secretariat).
    pub name: Text,
    /// The fingerprint of its certificate, which nodes pin.
    pub fingerprint: Fingerprint,
}

/// The network directory, as signed by the directory authority.
///
/// Invariants (checked by [`Directory::new`] and when parsing): `format` is [`FORMAT`];
/// `issued_at` is before `expires_at`; Parties are countries, in increasing code order, each
/// once, at most [`MAX_PARTIES`]; no certificate is listed twice in the whole directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directory {
    serial: u64,
    issued_at: Instant,
    expires_at: Instant,
    authority: AuthorityRef,
    parties: Vec<PartyEntry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryRepr {
    format: String,
    serial: u64,
    issued_at: Instant,
    expires_at: Instant,
    authority: AuthorityRef,
    parties: Vec<PartyEntry>,
}

impl Directory {
    /// A directory from its parts, checking the invariants.
    pub fn new(
        serial: u64,
        issued_at: Instant,
        expires_at: Instant,
        authority: AuthorityRef,
        parties: Vec<PartyEntry>,
    ) -> Result<Self, DirectoryError> {
        let invalid = |path: String, message: String| DirectoryError::Invalid { path, message };
        if expires_at.timestamp() <= issued_at.timestamp() {
            return Err(invalid(
                "expires_at".into(),
                format!("the directory expires ({expires_at}) before it is issued ({issued_at})"),
            ));
        }
        if parties.len() > MAX_PARTIES {
            return Err(invalid(
                "parties".into(),
                format!(
                    "{} Parties are listed; at most {MAX_PARTIES} are allowed",
                    parties.len()
                ),
            ));
        }
        let mut seen: HashSet<Fingerprint> = HashSet::new();
        let mut previous: Option<PartyCode> = None;
        for (i, p) in parties.iter().enumerate() {
            if p.party.is_organisation() {
                return Err(invalid(
                    format!("parties[{i}].party"),
                    format!(
                        "{} is an organisation; the directory lists Parties to the Convention, which are countries",
                        p.party
                    ),
                ));
            }
            if let Some(prev) = previous
                && prev >= p.party
            {
                return Err(invalid(
                    format!("parties[{i}].party"),
                    format!(
                        "{} is listed after {prev}: Parties are listed once each, in increasing code order",
                        p.party
                    ),
                ));
            }
            previous = Some(p.party);
            for (role, cp) in p.contact_points() {
                for (k, key) in cp.channel.keys().iter().enumerate() {
                    if !seen.insert(key.fingerprint) {
                        return Err(invalid(
                            format!("parties[{i}].{}.channel.keys[{k}]", role.as_str()),
                            format!(
                                "the certificate {} is listed more than once in the directory; each key speaks for one contact point",
                                key.fingerprint
                            ),
                        ));
                    }
                }
            }
        }
        Ok(Self {
            serial,
            issued_at,
            expires_at,
            authority,
            parties,
        })
    }

    /// Parses a directory file (at most [`MAX_DIRECTORY_BYTES`]) and checks that it is in
    /// canonical form, so the parsed directory means exactly what was signed.
    pub fn from_canonical_json(bytes: &[u8]) -> Result<Self, DirectoryError> {
        if bytes.len() > MAX_DIRECTORY_BYTES {
            return Err(DirectoryError::TooLarge {
                size: bytes.len(),
                limit: MAX_DIRECTORY_BYTES,
            });
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let repr: DirectoryRepr = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            DirectoryError::Invalid {
                path,
                message: e.into_inner().to_string(),
            }
        })?;
        de.end().map_err(|e| DirectoryError::Invalid {
            path: ".".into(),
            message: e.to_string(),
        })?;
        if repr.format != FORMAT {
            return Err(DirectoryError::Invalid {
                path: "format".into(),
                message: format!(
                    "'{}' is not a format this node reads; expected '{FORMAT}'",
                    repr.format.chars().take(64).collect::<String>()
                ),
            });
        }
        let dir = Self::new(
            repr.serial,
            repr.issued_at,
            repr.expires_at,
            repr.authority,
            repr.parties,
        )?;
        if dir.to_canonical_json().as_slice() != bytes {
            return Err(DirectoryError::NotCanonical);
        }
        Ok(dir)
    }

    /// The canonical JSON text and the authority's detached OpenPGP signature over it (made
    /// with `authority`'s signing key at `at`): the two files a directory is published as.
    pub fn sign(
        &self,
        authority: &cp247_seal::NodeKey,
        at: jiff::Timestamp,
    ) -> Result<(Vec<u8>, String), cp247_seal::SealError> {
        let json = self.to_canonical_json();
        let signature = cp247_seal::sign_detached(authority, &json, at)?;
        Ok((json, signature))
    }

    /// The canonical JSON text, the exact bytes the authority signs.
    pub fn to_canonical_json(&self) -> Vec<u8> {
        let repr = DirectoryRepr {
            format: FORMAT.to_owned(),
            serial: self.serial,
            issued_at: self.issued_at,
            expires_at: self.expires_at,
            authority: self.authority.clone(),
            parties: self.parties.clone(),
        };
        // Serialising plain data into a JSON value does not fail.
        let value = serde_json::to_value(&repr).unwrap_or_default();
        to_canonical_string(&value).into_bytes()
    }

    /// The serial number; each new directory has a higher one.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// When it was issued.
    pub fn issued_at(&self) -> Instant {
        self.issued_at
    }

    /// When it expires (a grace period follows).
    pub fn expires_at(&self) -> Instant {
        self.expires_at
    }

    /// Who signs it.
    pub fn authority(&self) -> &AuthorityRef {
        &self.authority
    }

    /// The Parties, in code order.
    pub fn parties(&self) -> &[PartyEntry] {
        &self.parties
    }

    /// The entry of `party`.
    pub fn party(&self, party: PartyCode) -> Option<&PartyEntry> {
        self.parties
            .binary_search_by(|p| p.party.cmp(&party))
            .ok()
            .and_then(|i| self.parties.get(i))
    }

    /// The contact point at `address`.
    pub fn contact_point(&self, address: &Address) -> Option<&ContactPoint> {
        self.party(address.party)
            .and_then(|p| p.contact_point(address.point))
    }

    /// Every listed key with the contact point it speaks for and that contact point's entry.
    pub fn keys(&self) -> impl Iterator<Item = (Address, &PartyEntry, &ContactPoint, &ListedKey)> {
        self.parties.iter().flat_map(|p| {
            p.contact_points().flat_map(move |(role, cp)| {
                let owner = Address {
                    party: p.party,
                    point: role,
                };
                cp.channel.keys().iter().map(move |k| (owner, p, cp, k))
            })
        })
    }
}

/// The strictest restriction in force from the Party's status, the contact point's status and
/// the key's retirement: the earliest `since` wins (a revocation over a suspension at the same
/// instant). `None` when all are active.
pub(crate) fn restriction(
    party: &Status,
    cp: &Status,
    key: &ListedKey,
) -> Option<(bool /* revoked */, Timestamp)> {
    let mut out: Option<(bool, Timestamp)> = None;
    let mut consider = |revoked: bool, since: Timestamp| {
        out = Some(match out {
            None => (revoked, since),
            Some((r, s)) if since < s || (since == s && revoked && !r) => (revoked, since),
            Some(current) => current,
        });
    };
    for status in [party, cp] {
        match status {
            Status::Active => {}
            Status::Suspended(s) => consider(false, s.since.timestamp()),
            Status::Revoked(s) => consider(true, s.since.timestamp()),
        }
    }
    if let Some(r) = key.retired_at {
        consider(true, r.timestamp());
    }
    out
}

//! The directory authority's working copy: an unsigned draft, edited one command at a time,
//! that may be incomplete; [`Draft::to_directory`] refuses to produce a directory from it
//! until every Party has a complete primary contact point.

use std::collections::BTreeSet;
use std::fmt;

use cp247_domain::{AdvertisedLevel, ContactPointRole, Instant, PartyCode, ZoneName};
use cp247_seal::Fingerprint;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::contact::{
    Capability, EmailAddress, Endpoint, LanguageTag, ParentAuthority, Phone, TlsSha256,
};
use crate::hours::OfficeHours;
use crate::model::{
    AuthorityRef, Bounded, Channel, ContactPoint, Directory, EmailChannel, ListedCert, ListedKey,
    NodeChannel, PartyEntry,
};
use crate::status::Status;
use crate::text::Text;

/// The value of the `format` member of a draft.
pub const DRAFT_FORMAT: &str = "cp247-directory-draft/1";

/// Why an edit of the draft is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DraftError {
    /// The draft file is not a draft.
    #[error("the draft is not valid at {path}: {message}")]
    Invalid {
        /// Where.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// The Party is not in the draft.
    #[error("{0} is not in the draft; add it first with 'cp247 directory add-party'")]
    UnknownParty(PartyCode),
    /// The Party is already in the draft.
    #[error("{0} is already in the draft")]
    DuplicateParty(PartyCode),
    /// Organisations are not Parties.
    #[error(
        "{0} is an organisation; the directory lists Parties to the Convention, which are countries"
    )]
    Organisation(PartyCode),
    /// The contact point does not exist.
    #[error("{party} has no {role} contact point yet")]
    NoContactPoint {
        /// The Party.
        party: PartyCode,
        /// The role.
        role: &'static str,
    },
    /// A revocation cannot be undone.
    #[error("{0} is revoked; a revocation is final (list a new contact point or key instead)")]
    RevocationFinal(String),
    /// An edit of the channel or keys that cannot be applied.
    #[error("{0}")]
    Channel(String),
}

/// A Party in the draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftParty {
    /// The Party.
    pub party: PartyCode,
    /// Its name.
    pub name: Text,
    /// The authority's decision.
    pub status: Status,
    /// The primary contact point, possibly incomplete.
    pub primary: Option<DraftContactPoint>,
    /// The alternate contact point, possibly incomplete.
    pub alternate: Option<DraftContactPoint>,
}

/// How a draft contact point is reached: its keys may still be missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum DraftChannel {
    /// A node.
    Node {
        /// Its endpoint.
        endpoint: Endpoint,
        /// Its TLS certificate pin.
        tls_sha256: TlsSha256,
        /// Its keys.
        keys: Vec<ListedKey>,
        /// The protocol level it reads, if the authority lists it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reads: Option<AdvertisedLevel>,
    },
    /// OpenPGP e-mail.
    Email {
        /// The address.
        address: EmailAddress,
        /// Its keys.
        keys: Vec<ListedKey>,
    },
}

impl DraftChannel {
    fn keys_mut(&mut self) -> &mut Vec<ListedKey> {
        match self {
            DraftChannel::Node { keys, .. } | DraftChannel::Email { keys, .. } => keys,
        }
    }

    fn into_keys(self) -> Vec<ListedKey> {
        match self {
            DraftChannel::Node { keys, .. } | DraftChannel::Email { keys, .. } => keys,
        }
    }
}

/// A contact point being written: every part may still be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftContactPoint {
    /// The unit's name.
    pub unit: Option<Text>,
    /// The body it belongs to.
    pub parent_authority: Option<ParentAuthority>,
    /// Whether it is an MLA authority.
    pub mla_authority: bool,
    /// Its capabilities.
    pub capabilities: BTreeSet<Capability>,
    /// Its channel.
    pub channel: Option<DraftChannel>,
    /// Duty phones.
    pub duty_phones: Vec<Phone>,
    /// Other e-mail addresses.
    pub emails: Vec<EmailAddress>,
    /// Languages.
    pub languages: Vec<LanguageTag>,
    /// Time zone.
    pub time_zone: Option<ZoneName>,
    /// Office hours.
    pub office_hours: Option<OfficeHours>,
    /// The authority's decision.
    #[serde(default)]
    pub status: Status,
}

/// The changes one `set-contact-point` command makes; `None` leaves a part as it is.
#[derive(Debug, Clone, Default)]
pub struct ContactPointUpdate {
    /// New unit name.
    pub unit: Option<Text>,
    /// New parent authority.
    pub parent_authority: Option<ParentAuthority>,
    /// New MLA flag.
    pub mla_authority: Option<bool>,
    /// New capabilities (replacing the old ones).
    pub capabilities: Option<BTreeSet<Capability>>,
    /// Make the channel a node with this endpoint and TLS pin (keys are kept).
    pub node: Option<(Endpoint, TlsSha256)>,
    /// The protocol level the node reads (ADR 0028); only for a node channel.
    pub reads: Option<AdvertisedLevel>,
    /// Make the channel e-mail to this address (keys are kept).
    pub email_channel: Option<EmailAddress>,
    /// Replace all keys by this certificate.
    pub set_cert: Option<ListedCert>,
    /// Add this certificate (key rotation: the last listed key is the one peers encrypt to).
    pub add_cert: Option<ListedCert>,
    /// Retire the key with this fingerprint from this instant.
    pub retire_key: Option<(Fingerprint, Instant)>,
    /// New duty phones (replacing the old ones).
    pub duty_phones: Option<Vec<Phone>>,
    /// New e-mail addresses (replacing the old ones).
    pub emails: Option<Vec<EmailAddress>>,
    /// New languages (replacing the old ones).
    pub languages: Option<Vec<LanguageTag>>,
    /// New time zone.
    pub time_zone: Option<ZoneName>,
    /// New weekly office hours (closed days are kept unless given too).
    pub office_hours: Option<OfficeHours>,
    /// New closed days (replacing the old ones).
    pub closed_days: Option<Vec<Date>>,
}

/// A problem that stops the draft from being signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where, e.g. `MD.primary.duty_phones`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The authority's working copy of the directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    format: String,
    /// The authority.
    pub authority: AuthorityRef,
    /// The serial of the last signed directory (0 before the first).
    pub last_serial: u64,
    parties: Vec<DraftParty>,
}

impl Draft {
    /// An empty draft for `authority`.
    pub fn new(authority: AuthorityRef) -> Self {
        Self {
            format: DRAFT_FORMAT.to_owned(),
            authority,
            last_serial: 0,
            parties: Vec::new(),
        }
    }

    /// Parses a draft file.
    pub fn from_json(bytes: &[u8]) -> Result<Self, DraftError> {
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let draft: Draft =
            serde_path_to_error::deserialize(&mut de).map_err(|e| DraftError::Invalid {
                path: e.path().to_string(),
                message: e.into_inner().to_string(),
            })?;
        if draft.format != DRAFT_FORMAT {
            return Err(DraftError::Invalid {
                path: "format".into(),
                message: format!("expected '{DRAFT_FORMAT}'"),
            });
        }
        let mut sorted = draft.parties.windows(2).all(|w| match w {
            [a, b] => a.party < b.party,
            _ => true,
        });
        sorted &= draft.parties.iter().all(|p| !p.party.is_organisation());
        if !sorted {
            return Err(DraftError::Invalid {
                path: "parties".into(),
                message: "Parties must be countries, listed once each in code order".into(),
            });
        }
        Ok(draft)
    }

    /// The draft as pretty JSON.
    pub fn to_json(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// The Parties.
    pub fn parties(&self) -> &[DraftParty] {
        &self.parties
    }

    /// Adds a Party with no contact point yet.
    pub fn add_party(&mut self, party: PartyCode, name: Text) -> Result<(), DraftError> {
        if party.is_organisation() {
            return Err(DraftError::Organisation(party));
        }
        match self.parties.binary_search_by(|p| p.party.cmp(&party)) {
            Ok(_) => Err(DraftError::DuplicateParty(party)),
            Err(i) => {
                self.parties.insert(
                    i,
                    DraftParty {
                        party,
                        name,
                        status: Status::Active,
                        primary: None,
                        alternate: None,
                    },
                );
                Ok(())
            }
        }
    }

    fn party_mut(&mut self, party: PartyCode) -> Result<&mut DraftParty, DraftError> {
        self.parties
            .iter_mut()
            .find(|p| p.party == party)
            .ok_or(DraftError::UnknownParty(party))
    }

    /// Applies `update` to the contact point `role` of `party`, creating it if needed.
    pub fn set_contact_point(
        &mut self,
        party: PartyCode,
        role: ContactPointRole,
        update: ContactPointUpdate,
    ) -> Result<(), DraftError> {
        let entry = self.party_mut(party)?;
        let slot = match role {
            ContactPointRole::Primary => &mut entry.primary,
            ContactPointRole::Alternate => &mut entry.alternate,
        };
        let mut cp = slot.clone().unwrap_or_default();
        apply(&mut cp, update)?;
        *slot = Some(cp);
        Ok(())
    }

    /// Sets the status of a Party (`role` = `None`) or of one of its contact points. A
    /// revoked entry stays revoked.
    pub fn set_status(
        &mut self,
        party: PartyCode,
        role: Option<ContactPointRole>,
        status: Status,
    ) -> Result<(), DraftError> {
        let entry = self.party_mut(party)?;
        let (target, name) = match role {
            None => (&mut entry.status, party.to_string()),
            Some(role) => {
                let slot = match role {
                    ContactPointRole::Primary => &mut entry.primary,
                    ContactPointRole::Alternate => &mut entry.alternate,
                };
                let cp = slot.as_mut().ok_or(DraftError::NoContactPoint {
                    party,
                    role: role.as_str(),
                })?;
                (&mut cp.status, format!("{party}/{}", role.as_str()))
            }
        };
        if matches!(target, Status::Revoked(_)) {
            return Err(DraftError::RevocationFinal(name));
        }
        *target = status;
        Ok(())
    }

    /// The directory this draft signs as, or every problem that stops it. Certificates are
    /// checked against cp247's key policy at `issued_at` (retired keys excepted).
    pub fn to_directory(
        &self,
        serial: u64,
        issued_at: Instant,
        expires_at: Instant,
    ) -> Result<Directory, Vec<Problem>> {
        let mut problems = Vec::new();
        let mut parties = Vec::new();
        for p in &self.parties {
            let code = p.party;
            let primary = match &p.primary {
                None => {
                    problems.push(Problem {
                        path: format!("{code}.primary"),
                        message: "the Party has no primary contact point".into(),
                    });
                    None
                }
                Some(cp) => complete(cp, &format!("{code}.primary"), issued_at, &mut problems),
            };
            let alternate = p
                .alternate
                .as_ref()
                .map(|cp| complete(cp, &format!("{code}.alternate"), issued_at, &mut problems));
            if let Some(primary) = primary {
                let alternate = match alternate {
                    None => None,
                    Some(Some(a)) => Some(a),
                    Some(None) => continue,
                };
                parties.push(PartyEntry {
                    party: code,
                    name: p.name.clone(),
                    status: p.status.clone(),
                    primary,
                    alternate,
                });
            }
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Directory::new(
            serial,
            issued_at,
            expires_at,
            self.authority.clone(),
            parties,
        )
        .map_err(|e| match e {
            crate::model::DirectoryError::Invalid { path, message } => {
                vec![Problem { path, message }]
            }
            other => vec![Problem {
                path: ".".into(),
                message: other.to_string(),
            }],
        })
    }
}

fn apply(cp: &mut DraftContactPoint, u: ContactPointUpdate) -> Result<(), DraftError> {
    if u.node.is_some() && u.email_channel.is_some() {
        return Err(DraftError::Channel(
            "a contact point has one channel: give a node endpoint or an e-mail address, not both"
                .into(),
        ));
    }
    if let Some(v) = u.unit {
        cp.unit = Some(v);
    }
    if let Some(v) = u.parent_authority {
        cp.parent_authority = Some(v);
    }
    if let Some(v) = u.mla_authority {
        cp.mla_authority = v;
    }
    if let Some(v) = u.capabilities {
        cp.capabilities = v;
    }
    let old_keys = cp
        .channel
        .clone()
        .map(DraftChannel::into_keys)
        .unwrap_or_default();
    let old_reads = match &cp.channel {
        Some(DraftChannel::Node { reads, .. }) => *reads,
        Some(DraftChannel::Email { .. }) | None => None,
    };
    if let Some((endpoint, tls_sha256)) = u.node {
        cp.channel = Some(DraftChannel::Node {
            endpoint,
            tls_sha256,
            keys: old_keys,
            reads: old_reads,
        });
    } else if let Some(address) = u.email_channel {
        cp.channel = Some(DraftChannel::Email {
            address,
            keys: old_keys,
        });
    }
    if let Some(level) = u.reads {
        match cp.channel.as_mut() {
            Some(DraftChannel::Node { reads, .. }) => *reads = Some(level),
            Some(DraftChannel::Email { .. }) | None => {
                return Err(DraftError::Channel(
                    "a protocol level is listed for a node: give the node endpoint with its TLS pin first".into(),
                ));
            }
        }
    }
    let wants_keys = u.set_cert.is_some() || u.add_cert.is_some() || u.retire_key.is_some();
    if wants_keys {
        let channel = cp.channel.as_mut().ok_or_else(|| {
            DraftError::Channel(
                "give the channel first (a node endpoint with its TLS pin, or an e-mail address), then its certificate".into(),
            )
        })?;
        let keys = channel.keys_mut();
        if let Some(cert) = u.set_cert {
            *keys = vec![ListedKey::new(cert, None)];
        }
        if let Some(cert) = u.add_cert {
            let fp = cert.cert().fingerprint();
            if keys.iter().any(|k| k.fingerprint == fp) {
                return Err(DraftError::Channel(format!(
                    "the certificate {fp} is already listed for this contact point"
                )));
            }
            keys.push(ListedKey::new(cert, None));
        }
        if let Some((fp, at)) = u.retire_key {
            let key = keys
                .iter_mut()
                .find(|k| k.fingerprint == fp)
                .ok_or_else(|| {
                    DraftError::Channel(format!("no key {fp} is listed for this contact point"))
                })?;
            key.retired_at = Some(at);
        }
    }
    if let Some(v) = u.duty_phones {
        cp.duty_phones = v;
    }
    if let Some(v) = u.emails {
        cp.emails = v;
    }
    if let Some(v) = u.languages {
        cp.languages = v;
    }
    if let Some(v) = u.time_zone {
        cp.time_zone = Some(v);
    }
    if let Some(hours) = u.office_hours {
        let closed = cp
            .office_hours
            .as_ref()
            .map(|h| h.closed_days().to_vec())
            .unwrap_or_default();
        cp.office_hours = Some(
            hours
                .with_closed_days(closed)
                .map_err(|e| DraftError::Channel(e.to_string()))?,
        );
    }
    if let Some(days) = u.closed_days {
        let hours = cp.office_hours.clone().ok_or_else(|| {
            DraftError::Channel("give the office hours before the closed days".into())
        })?;
        cp.office_hours = Some(
            hours
                .with_closed_days(days)
                .map_err(|e| DraftError::Channel(e.to_string()))?,
        );
    }
    Ok(())
}

/// The complete contact point, or `None` after recording every missing or invalid part.
fn complete(
    cp: &DraftContactPoint,
    path: &str,
    issued_at: Instant,
    problems: &mut Vec<Problem>,
) -> Option<ContactPoint> {
    let before = problems.len();
    let mut missing = |what: &str, message: &str| {
        problems.push(Problem {
            path: format!("{path}.{what}"),
            message: message.to_owned(),
        });
    };
    if cp.unit.is_none() {
        missing("unit", "the unit's name is missing");
    }
    if cp.parent_authority.is_none() {
        missing("parent_authority", "the parent authority is missing");
    }
    if cp.time_zone.is_none() {
        missing("time_zone", "the time zone is missing");
    }
    if cp.office_hours.is_none() {
        missing("office_hours", "the office hours are missing");
    }
    if cp.channel.is_none() {
        missing(
            "channel",
            "the channel is missing: a node (endpoint, TLS pin, certificate) or an e-mail address with its certificate",
        );
    }
    let mut bounded = |what: &str, r: Result<(), String>| {
        if let Err(e) = r {
            problems.push(Problem {
                path: format!("{path}.{what}"),
                message: e,
            });
        }
    };
    let phones = Bounded::<Phone, 1, 8>::new(cp.duty_phones.clone());
    bounded(
        "duty_phones",
        phones
            .as_ref()
            .map(|_| ())
            .map_err(|e| format!("duty phones: {e} (a 24/7 contact point needs a duty phone)")),
    );
    let emails = Bounded::<EmailAddress, 0, 8>::new(cp.emails.clone());
    bounded("emails", emails.as_ref().map(|_| ()).map_err(Clone::clone));
    let languages = Bounded::<LanguageTag, 1, 12>::new(cp.languages.clone());
    bounded(
        "languages",
        languages
            .as_ref()
            .map(|_| ())
            .map_err(|e| format!("languages: {e}")),
    );
    let channel = cp.channel.clone().and_then(|ch| {
        let (keys, make): (Vec<ListedKey>, Box<dyn Fn(crate::model::Keys) -> Channel>) = match ch {
            DraftChannel::Node {
                endpoint,
                tls_sha256,
                keys,
                reads,
            } => (
                keys,
                Box::new(move |keys| {
                    Channel::Node(NodeChannel {
                        endpoint: endpoint.clone(),
                        tls_sha256,
                        keys,
                        reads,
                    })
                }),
            ),
            DraftChannel::Email { address, keys } => (
                keys,
                Box::new(move |keys| {
                    Channel::Email(EmailChannel {
                        address: address.clone(),
                        keys,
                    })
                }),
            ),
        };
        for (i, k) in keys.iter().enumerate() {
            if k.is_retired_at(issued_at.timestamp()) {
                continue;
            }
            if let Err(e) = k.cert.cert().check_policy(issued_at.timestamp()) {
                problems.push(Problem {
                    path: format!("{path}.channel.keys[{i}]"),
                    message: format!("the certificate {} is refused: {e}", k.fingerprint),
                });
            }
        }
        if !keys.is_empty() && keys.iter().all(|k| k.is_retired_at(issued_at.timestamp())) {
            problems.push(Problem {
                path: format!("{path}.channel.keys"),
                message: "every key is retired: list a current certificate".into(),
            });
        }
        match crate::model::Keys::new(keys) {
            Ok(keys) => Some(make(keys)),
            Err(e) => {
                problems.push(Problem {
                    path: format!("{path}.channel.keys"),
                    message: format!("certificates: {e}"),
                });
                None
            }
        }
    });
    if problems.len() > before {
        return None;
    }
    Some(ContactPoint {
        unit: cp.unit.clone()?,
        parent_authority: cp.parent_authority.clone()?,
        mla_authority: cp.mla_authority,
        capabilities: cp.capabilities.clone(),
        channel: channel?,
        duty_phones: phones.ok()?,
        emails: emails.ok()?,
        languages: languages.ok()?,
        time_zone: cp.time_zone.clone()?,
        office_hours: cp.office_hours.clone()?,
        status: cp.status.clone(),
    })
}

//! The rules by which a node accepts a signed directory, and what it may do with it.
//!
//! All of them are here, in [`DirectoryState::offer`], [`DirectoryState::health`] and
//! [`DirectoryState::traffic`]:
//!
//! 1. **Trust anchor.** A directory is checked only against the directory authority's
//!    certificate pinned in the node's configuration ([`PinnedAuthority`]). There is no way to
//!    build a [`DirectoryState`] without one, so a missing anchor cannot mean "accept".
//! 2. **Signature.** The detached signature must verify with a signing subkey of the pinned
//!    certificate, which must pass cp247's key policy now. Then the file must parse, be in
//!    canonical form, and name the pinned certificate as its authority.
//! 3. **Time.** `issued_at` may not lie more than [`AcceptancePolicy::max_clock_skew`] in the
//!    future. A directory whose expiry plus [`AcceptancePolicy::grace`] has passed is refused.
//! 4. **No rollback.** A serial lower than the current one is refused; the same serial is a
//!    no-op when the bytes are identical and refused when they differ.
//! 5. **Health.** Before `expires_at` the directory is [`DirectoryHealth::Valid`]; for the grace
//!    period after it, [`DirectoryHealth::Grace`] (traffic continues, with a loud warning); then
//!    [`DirectoryHealth::Expired`]: all traffic is refused until a fresh directory is accepted.
//! 6. **Traffic.** A Party absent from the directory, or suspended or revoked (from the `since`
//!    instant), and a contact point suspended or revoked, are refused; keys carry the strictest
//!    status of their Party, contact point and own retirement into the seal layer's checks.

use std::fmt;

use cp247_domain::{Address, Instant, PartyCode};
use cp247_i18n::{Lang, text, text_args};
use cp247_seal::{
    Cert, DirectoryKey, Fingerprint, KeyDirectory, KeyStatus, SealError, SignatureInfo,
    verify_detached,
};
use jiff::{SignedDuration, Timestamp};
use sha2::{Digest, Sha256};

use crate::model::{
    ContactPoint, Directory, DirectoryError, MAX_DIRECTORY_BYTES, PartyEntry, restriction,
};
use crate::status::StatusAt;

/// The largest detached signature file a node reads, in bytes.
pub const MAX_SIGNATURE_FILE_BYTES: usize = 64 * 1024;

/// The directory authority's certificate, pinned in the node's configuration.
#[derive(Debug, Clone)]
pub struct PinnedAuthority {
    cert: Cert,
}

impl PinnedAuthority {
    /// Pins `cert`.
    pub fn new(cert: Cert) -> Self {
        Self { cert }
    }

    /// Reads and pins an armored certificate.
    pub fn from_armored(text: &str) -> Result<Self, SealError> {
        Cert::from_armored(text).map(Self::new)
    }

    /// The pinned certificate.
    pub fn cert(&self) -> &Cert {
        &self.cert
    }

    /// Its fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.cert.fingerprint()
    }
}

/// A directory file and its detached signature as received: not trusted yet.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedDirectory {
    json: Vec<u8>,
    signature: String,
}

impl SignedDirectory {
    /// Takes the directory bytes and the armored signature, within the size limits.
    pub fn new(json: Vec<u8>, signature: String) -> Result<Self, Refusal> {
        if json.len() > MAX_DIRECTORY_BYTES {
            return Err(Refusal::TooLarge {
                what: "directory",
                size: json.len(),
                limit: MAX_DIRECTORY_BYTES,
            });
        }
        if signature.len() > MAX_SIGNATURE_FILE_BYTES {
            return Err(Refusal::TooLarge {
                what: "signature",
                size: signature.len(),
                limit: MAX_SIGNATURE_FILE_BYTES,
            });
        }
        Ok(Self { json, signature })
    }

    /// The directory bytes.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// The armored detached signature.
    pub fn signature(&self) -> &str {
        &self.signature
    }

    /// The SHA-256 of the directory bytes, in hexadecimal.
    pub fn sha256_hex(&self) -> String {
        hex::encode(Sha256::digest(&self.json))
    }
}

impl fmt::Debug for SignedDirectory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SignedDirectory({} bytes, sha256 {})",
            self.json.len(),
            self.sha256_hex()
        )
    }
}

/// The tunable parts of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AcceptancePolicy {
    /// How far in the future `issued_at` may lie (clocks disagree a little). Default 5 minutes.
    pub max_clock_skew: SignedDuration,
    /// How long after `expires_at` the directory still serves, with a warning. Default 7 days.
    pub grace: SignedDuration,
}

impl Default for AcceptancePolicy {
    fn default() -> Self {
        Self {
            max_clock_skew: SignedDuration::from_mins(5),
            grace: SignedDuration::from_hours(7 * 24),
        }
    }
}

/// Why a directory is refused. [`Refusal::code`] is stable.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// A file is larger than a node reads.
    #[error("the {what} file is {size} bytes long; at most {limit} are accepted")]
    TooLarge {
        /// "directory" or "signature".
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The signature does not verify with the pinned authority certificate.
    #[error("the directory is not signed by the pinned directory authority {pinned}: {source}")]
    BadSignature {
        /// The pinned certificate.
        pinned: Fingerprint,
        /// Why verification failed.
        source: SealError,
    },
    /// The signed file is not a valid directory.
    #[error("the signed file is not a valid directory: {0}")]
    Malformed(#[from] DirectoryError),
    /// The directory names another authority than the pinned one.
    #[error("the directory names {listed} as its authority, but this node pins {pinned}")]
    AuthorityMismatch {
        /// The fingerprint the directory names.
        listed: Fingerprint,
        /// The pinned one.
        pinned: Fingerprint,
    },
    /// Issued later than now plus the allowed clock skew.
    #[error("the directory is issued at {issued_at}, in the future (now {now}); check the clocks")]
    IssuedInFuture {
        /// Its issue time.
        issued_at: Instant,
        /// Now.
        now: Timestamp,
    },
    /// Expired, and its grace period is over.
    #[error(
        "the directory expired at {expired_at} and its grace period ended at {refuse_after}; a fresh one is needed"
    )]
    Stale {
        /// Its expiry.
        expired_at: Instant,
        /// End of grace.
        refuse_after: Timestamp,
    },
    /// Older than the current one.
    #[error(
        "rollback refused: the directory has serial {offered}, lower than the current serial {current}"
    )]
    Rollback {
        /// The current serial.
        current: u64,
        /// The offered serial.
        offered: u64,
    },
    /// The same serial with other content.
    #[error(
        "the directory reuses serial {serial} with different content; the authority must issue a higher serial"
    )]
    SerialReused {
        /// The serial.
        serial: u64,
    },
}

impl Refusal {
    /// What the refusal means, in one sentence in `lang`, from the message catalogue.
    pub fn summary(&self, lang: Lang) -> String {
        text(
            lang,
            &format!("directory-refusal-{}", self.code().replace('_', "-")),
        )
    }

    /// A stable snake_case code for logs, audit and the CLI's exit message.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::TooLarge { .. } => "directory_too_large",
            Refusal::BadSignature { .. } => "directory_bad_signature",
            Refusal::Malformed(_) => "directory_malformed",
            Refusal::AuthorityMismatch { .. } => "directory_authority_mismatch",
            Refusal::IssuedInFuture { .. } => "directory_issued_in_future",
            Refusal::Stale { .. } => "directory_stale",
            Refusal::Rollback { .. } => "directory_rollback",
            Refusal::SerialReused { .. } => "directory_serial_reused",
        }
    }
}

/// A directory whose signature by the pinned authority was verified.
#[derive(Debug, Clone)]
pub struct AcceptedDirectory {
    directory: Directory,
    signed: SignedDirectory,
    signature: SignatureInfo,
}

impl AcceptedDirectory {
    /// Verifies the signature with the pinned authority at `now`, parses the canonical file
    /// and checks that it names the pinned authority. No time or serial rule is applied here.
    fn verify(
        anchor: &PinnedAuthority,
        signed: &SignedDirectory,
        now: Timestamp,
    ) -> Result<Self, Refusal> {
        let signature = verify_detached(anchor.cert(), signed.json(), signed.signature(), now)
            .map_err(|source| Refusal::BadSignature {
                pinned: anchor.fingerprint(),
                source,
            })?;
        let directory = Directory::from_canonical_json(signed.json())?;
        let listed = directory.authority().fingerprint;
        if listed != anchor.fingerprint() {
            return Err(Refusal::AuthorityMismatch {
                listed,
                pinned: anchor.fingerprint(),
            });
        }
        Ok(Self {
            directory,
            signed: signed.clone(),
            signature,
        })
    }

    /// The directory.
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The exact signed bytes and signature (kept as evidence and for a restart).
    pub fn signed(&self) -> &SignedDirectory {
        &self.signed
    }

    /// Facts about the authority's signature.
    pub fn signature(&self) -> &SignatureInfo {
        &self.signature
    }

    /// The end of the grace period under `policy`.
    pub fn refuse_after(&self, policy: &AcceptancePolicy) -> Timestamp {
        let expired_at = self.directory.expires_at().timestamp();
        expired_at
            .saturating_add(policy.grace)
            .unwrap_or(expired_at)
    }
}

/// What [`DirectoryState::offer`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// The directory replaced the current one (if any).
    Accepted {
        /// The serial replaced.
        previous: Option<u64>,
        /// The new serial.
        serial: u64,
    },
    /// The same directory as the current one: nothing changed.
    Unchanged {
        /// Its serial.
        serial: u64,
    },
}

/// How usable the node's directory is at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DirectoryHealth {
    /// The node has no directory: all traffic is refused.
    Missing,
    /// Before its expiry.
    Valid {
        /// Its serial.
        serial: u64,
        /// When it expires.
        expires_at: Timestamp,
    },
    /// Expired, in the grace period: traffic continues, and the node warns loudly.
    Grace {
        /// Its serial.
        serial: u64,
        /// When it expired.
        expired_at: Timestamp,
        /// When traffic stops.
        refuse_after: Timestamp,
    },
    /// Expired and past the grace period: all traffic is refused.
    Expired {
        /// Its serial.
        serial: u64,
        /// When it expired.
        expired_at: Timestamp,
        /// Since when traffic is refused.
        refused_since: Timestamp,
    },
}

impl DirectoryHealth {
    /// Whether traffic may flow.
    pub fn permits_traffic(&self) -> bool {
        match self {
            DirectoryHealth::Valid { .. } | DirectoryHealth::Grace { .. } => true,
            DirectoryHealth::Missing | DirectoryHealth::Expired { .. } => false,
        }
    }

    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            DirectoryHealth::Missing => "directory_missing",
            DirectoryHealth::Valid { .. } => "directory_valid",
            DirectoryHealth::Grace { .. } => "directory_in_grace",
            DirectoryHealth::Expired { .. } => "directory_expired",
        }
    }

    /// The warning an operator must see (in English, for logs and the command line), or
    /// `None` while the directory is valid.
    pub fn warning(&self) -> Option<String> {
        match self {
            DirectoryHealth::Valid { .. } => None,
            DirectoryHealth::Missing
            | DirectoryHealth::Grace { .. }
            | DirectoryHealth::Expired { .. } => Some(self.message(Lang::En)),
        }
    }

    /// The health for people, in `lang`, from the message catalogue (`directory.ftl`).
    pub fn message(&self, lang: Lang) -> String {
        let key = format!("directory-health-{}", self.code().replace('_', "-"));
        let (serial, expired_at, until) = match self {
            DirectoryHealth::Missing => return text(lang, &key),
            DirectoryHealth::Valid { serial, expires_at } => (serial, None, expires_at),
            DirectoryHealth::Grace {
                serial,
                expired_at,
                refuse_after,
            } => (serial, Some(expired_at), refuse_after),
            DirectoryHealth::Expired {
                serial,
                expired_at,
                refused_since,
            } => (serial, Some(expired_at), refused_since),
        };
        let serial = serial.to_string();
        let expired_at = expired_at.map(ToString::to_string).unwrap_or_default();
        let until = until.to_string();
        text_args(
            lang,
            &key,
            &[
                ("serial", &serial),
                ("expired_at", &expired_at),
                ("until", &until),
            ],
        )
    }
}

/// Why traffic with a Party or contact point is refused. [`TrafficRefusal::code`] is stable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrafficRefusal {
    /// The node has no directory, or its directory is expired past the grace period.
    #[error("traffic refused: {0}")]
    Directory(String),
    /// The Party is not in the directory.
    #[error("{0} is not a Party in the network directory")]
    PartyAbsent(PartyCode),
    /// The Party has no contact point with that role.
    #[error("{0} has no such contact point in the network directory")]
    NoSuchContactPoint(Address),
    /// The Party is suspended.
    #[error("{party} is suspended since {since}: {reason}")]
    PartySuspended {
        /// The Party.
        party: PartyCode,
        /// Since when.
        since: Instant,
        /// Why.
        reason: String,
    },
    /// The Party is revoked.
    #[error("{party} is revoked since {since}: {reason}")]
    PartyRevoked {
        /// The Party.
        party: PartyCode,
        /// Since when.
        since: Instant,
        /// Why.
        reason: String,
    },
    /// The contact point is suspended.
    #[error("the contact point {address} is suspended since {since}: {reason}")]
    ContactPointSuspended {
        /// The contact point.
        address: Address,
        /// Since when.
        since: Instant,
        /// Why.
        reason: String,
    },
    /// The contact point is revoked.
    #[error("the contact point {address} is revoked since {since}: {reason}")]
    ContactPointRevoked {
        /// The contact point.
        address: Address,
        /// Since when.
        since: Instant,
        /// Why.
        reason: String,
    },
    /// All of the contact point's keys are retired.
    #[error("the contact point {0} has no key in force")]
    NoKeyInForce(Address),
}

impl TrafficRefusal {
    /// What the refusal means, in one sentence in `lang`, from the message catalogue.
    pub fn summary(&self, lang: Lang) -> String {
        text(
            lang,
            &format!("traffic-refusal-{}", self.code().replace('_', "-")),
        )
    }

    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            TrafficRefusal::Directory(_) => "directory_unusable",
            TrafficRefusal::PartyAbsent(_) => "party_absent",
            TrafficRefusal::NoSuchContactPoint(_) => "contact_point_absent",
            TrafficRefusal::PartySuspended { .. } => "party_suspended",
            TrafficRefusal::PartyRevoked { .. } => "party_revoked",
            TrafficRefusal::ContactPointSuspended { .. } => "contact_point_suspended",
            TrafficRefusal::ContactPointRevoked { .. } => "contact_point_revoked",
            TrafficRefusal::NoKeyInForce(_) => "no_key_in_force",
        }
    }
}

/// A node's view of the network directory: the pinned authority, the policy and the current
/// accepted directory.
#[derive(Debug, Clone)]
pub struct DirectoryState {
    anchor: PinnedAuthority,
    policy: AcceptancePolicy,
    current: Option<AcceptedDirectory>,
}

impl DirectoryState {
    /// A state with no directory yet: all traffic is refused until one is accepted.
    pub fn new(anchor: PinnedAuthority, policy: AcceptancePolicy) -> Self {
        Self {
            anchor,
            policy,
            current: None,
        }
    }

    /// The state after a restart, from the directory this node accepted last (as kept in its
    /// store). Its signature is checked again, but not its age: an expired directory is kept
    /// as the floor against rollback, and [`DirectoryState::health`] reports it as expired.
    pub fn restore(
        anchor: PinnedAuthority,
        policy: AcceptancePolicy,
        last_accepted: &SignedDirectory,
        now: Timestamp,
    ) -> Result<Self, Refusal> {
        let current = AcceptedDirectory::verify(&anchor, last_accepted, now)?;
        Ok(Self {
            anchor,
            policy,
            current: Some(current),
        })
    }

    /// Offers a directory received at `now`; on acceptance it becomes the current one.
    pub fn offer(
        &mut self,
        candidate: &SignedDirectory,
        now: Timestamp,
    ) -> Result<Acceptance, Refusal> {
        let accepted = AcceptedDirectory::verify(&self.anchor, candidate, now)?;
        let dir = accepted.directory();
        let latest_issue = now
            .saturating_add(self.policy.max_clock_skew)
            .unwrap_or(now);
        if dir.issued_at().timestamp() > latest_issue {
            return Err(Refusal::IssuedInFuture {
                issued_at: dir.issued_at(),
                now,
            });
        }
        let refuse_after = accepted.refuse_after(&self.policy);
        if now >= refuse_after {
            return Err(Refusal::Stale {
                expired_at: dir.expires_at(),
                refuse_after,
            });
        }
        let serial = dir.serial();
        let previous = match &self.current {
            None => None,
            Some(current) => {
                let current_serial = current.directory().serial();
                if serial < current_serial {
                    return Err(Refusal::Rollback {
                        current: current_serial,
                        offered: serial,
                    });
                }
                if serial == current_serial {
                    return if current.signed().json() == candidate.json() {
                        Ok(Acceptance::Unchanged { serial })
                    } else {
                        Err(Refusal::SerialReused { serial })
                    };
                }
                Some(current_serial)
            }
        };
        self.current = Some(accepted);
        Ok(Acceptance::Accepted { previous, serial })
    }

    /// The current directory, whatever its health.
    pub fn current(&self) -> Option<&AcceptedDirectory> {
        self.current.as_ref()
    }

    /// The pinned authority.
    pub fn anchor(&self) -> &PinnedAuthority {
        &self.anchor
    }

    /// The policy.
    pub fn policy(&self) -> &AcceptancePolicy {
        &self.policy
    }

    /// How usable the directory is at `now`.
    pub fn health(&self, now: Timestamp) -> DirectoryHealth {
        let Some(current) = &self.current else {
            return DirectoryHealth::Missing;
        };
        let serial = current.directory().serial();
        let expired_at = current.directory().expires_at().timestamp();
        let refuse_after = current.refuse_after(&self.policy);
        if now < expired_at {
            DirectoryHealth::Valid {
                serial,
                expires_at: expired_at,
            }
        } else if now < refuse_after {
            DirectoryHealth::Grace {
                serial,
                expired_at,
                refuse_after,
            }
        } else {
            DirectoryHealth::Expired {
                serial,
                expired_at,
                refused_since: refuse_after,
            }
        }
    }

    /// The directory as usable for traffic at `now`, or why no traffic may flow at all. The
    /// returned view also carries the health, so a caller in the grace period can warn.
    pub fn traffic(&self, now: Timestamp) -> Result<TrafficDirectory<'_>, TrafficRefusal> {
        let health = self.health(now);
        match (&self.current, health.permits_traffic()) {
            (Some(current), true) => Ok(TrafficDirectory {
                directory: current.directory(),
                health,
                now,
            }),
            _ => Err(TrafficRefusal::Directory(
                health.warning().unwrap_or_default(),
            )),
        }
    }
}

/// The directory at one instant, while it permits traffic. It implements the seal layer's
/// [`KeyDirectory`].
#[derive(Debug, Clone, Copy)]
pub struct TrafficDirectory<'a> {
    directory: &'a Directory,
    health: DirectoryHealth,
    now: Timestamp,
}

impl<'a> TrafficDirectory<'a> {
    /// The directory.
    pub fn directory(&self) -> &'a Directory {
        self.directory
    }

    /// Its health (valid, or in grace: warn).
    pub fn health(&self) -> DirectoryHealth {
        self.health
    }

    /// The Party's entry, if it may take part in traffic now.
    pub fn party(&self, party: PartyCode) -> Result<&'a PartyEntry, TrafficRefusal> {
        let entry = self
            .directory
            .party(party)
            .ok_or(TrafficRefusal::PartyAbsent(party))?;
        match entry.status.at(self.now) {
            StatusAt::Active => Ok(entry),
            StatusAt::Suspended(s) => Err(TrafficRefusal::PartySuspended {
                party,
                since: s.since,
                reason: s.reason.to_string(),
            }),
            StatusAt::Revoked(s) => Err(TrafficRefusal::PartyRevoked {
                party,
                since: s.since,
                reason: s.reason.to_string(),
            }),
        }
    }

    /// The contact point at `address`, if it and its Party may take part in traffic now.
    pub fn contact_point(&self, address: &Address) -> Result<&'a ContactPoint, TrafficRefusal> {
        let entry = self.party(address.party)?;
        let cp = entry
            .contact_point(address.point)
            .ok_or(TrafficRefusal::NoSuchContactPoint(*address))?;
        match cp.status.at(self.now) {
            StatusAt::Active => Ok(cp),
            StatusAt::Suspended(s) => Err(TrafficRefusal::ContactPointSuspended {
                address: *address,
                since: s.since,
                reason: s.reason.to_string(),
            }),
            StatusAt::Revoked(s) => Err(TrafficRefusal::ContactPointRevoked {
                address: *address,
                since: s.since,
                reason: s.reason.to_string(),
            }),
        }
    }

    /// The certificate to encrypt to for `address` now.
    pub fn encryption_cert(&self, address: &Address) -> Result<&'a Cert, TrafficRefusal> {
        let cp = self.contact_point(address)?;
        cp.encryption_key(self.now)
            .map(|k| k.cert.cert())
            .ok_or(TrafficRefusal::NoKeyInForce(*address))
    }
}

impl KeyDirectory for TrafficDirectory<'_> {
    /// The key whose primary key or a subkey has fingerprint `fp`. Exactly one listed
    /// certificate must match; if two did (which [`Directory::new`] prevents for primary keys),
    /// the answer is `None`, so the signer is unknown rather than ambiguous.
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
        let mut matches = self
            .directory
            .keys()
            .filter(|(_, _, _, k)| k.cert.cert().has_key(fp));
        let (owner, party, cp, key) = matches.next()?;
        if matches.next().is_some() {
            return None;
        }
        let status = match restriction(&party.status, &cp.status, key) {
            None => KeyStatus::Active,
            Some((true, since)) => KeyStatus::Revoked { since },
            Some((false, since)) => KeyStatus::Suspended { since },
        };
        Some(DirectoryKey {
            cert: key.cert.cert().clone(),
            owner,
            status,
        })
    }

    /// Whether a listed certificate has a primary key or subkey with this key ID, whatever
    /// its status: the early check on a one-pass signature, before a message's data is read.
    fn lists_key_id(&self, id: &cp247_seal::KeyId) -> bool {
        self.directory
            .keys()
            .any(|(_, _, _, k)| k.cert.cert().has_key_id(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn every_health_and_refusal_has_a_message_in_both_languages() {
        let healths = [
            DirectoryHealth::Missing,
            DirectoryHealth::Valid {
                serial: 3,
                expires_at: t("2026-12-02T09:00:00Z"),
            },
            DirectoryHealth::Grace {
                serial: 3,
                expired_at: t("2026-12-02T09:00:00Z"),
                refuse_after: t("2026-12-09T09:00:00Z"),
            },
            DirectoryHealth::Expired {
                serial: 3,
                expired_at: t("2026-12-02T09:00:00Z"),
                refused_since: t("2026-12-09T09:00:00Z"),
            },
        ];
        for h in healths {
            for lang in Lang::ALL {
                let m = h.message(lang);
                assert!(!m.contains('⟦'), "{lang}: {m}");
                if !matches!(h, DirectoryHealth::Missing) {
                    assert!(m.contains('3') && m.contains("2026-12-0"), "{lang}: {m}");
                }
            }
        }
        assert!(
            healths[2].message(Lang::Fr).contains("DÉLAI")
                || healths[2].message(Lang::Fr).contains("délai")
        );
        let fp = Fingerprint::parse(&"AB".repeat(20)).unwrap();
        let refusals = [
            Refusal::TooLarge {
                what: "directory",
                size: 2,
                limit: 1,
            },
            Refusal::BadSignature {
                pinned: fp,
                source: SealError::BadSignature,
            },
            Refusal::Malformed(DirectoryError::NotCanonical),
            Refusal::AuthorityMismatch {
                listed: fp,
                pinned: fp,
            },
            Refusal::IssuedInFuture {
                issued_at: Instant::utc(t("2026-12-02T09:00:00Z")),
                now: t("2026-12-01T09:00:00Z"),
            },
            Refusal::Stale {
                expired_at: Instant::utc(t("2026-12-02T09:00:00Z")),
                refuse_after: t("2026-12-09T09:00:00Z"),
            },
            Refusal::Rollback {
                current: 2,
                offered: 1,
            },
            Refusal::SerialReused { serial: 2 },
        ];
        for r in &refusals {
            for lang in Lang::ALL {
                assert!(!r.summary(lang).contains('⟦'), "{}", r.code());
            }
        }
        let party = PartyCode::parse("MD").unwrap();
        let addr = Address::primary(party);
        let since = Instant::utc(t("2026-12-02T09:00:00Z"));
        let traffic = [
            TrafficRefusal::Directory(String::new()),
            TrafficRefusal::PartyAbsent(party),
            TrafficRefusal::NoSuchContactPoint(addr),
            TrafficRefusal::PartySuspended {
                party,
                since,
                reason: String::new(),
            },
            TrafficRefusal::PartyRevoked {
                party,
                since,
                reason: String::new(),
            },
            TrafficRefusal::ContactPointSuspended {
                address: addr,
                since,
                reason: String::new(),
            },
            TrafficRefusal::ContactPointRevoked {
                address: addr,
                since,
                reason: String::new(),
            },
            TrafficRefusal::NoKeyInForce(addr),
        ];
        for r in &traffic {
            for lang in Lang::ALL {
                assert!(!r.summary(lang).contains('⟦'), "{}", r.code());
            }
        }
    }
}

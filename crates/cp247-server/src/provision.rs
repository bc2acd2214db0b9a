//! Creating node directories and a directory authority in code: what `cp247 demo` and the
//! process tests use to set up a small network on one machine. Production nodes are set up
//! with `cp247 init` and the `cp247 directory …` commands; this module writes the same files
//! (the same [`ConfigFile`], a locked key, the pinned authority certificate, a TLS identity).

use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use cp247_casework::keys::{Cert, NodeKey, Passphrase};
use cp247_directory::contact::{
    AuthorityKind, EmailAddress, Endpoint, LanguageTag, ParentAuthority, Phone, TlsSha256,
};
use cp247_directory::draft::{ContactPointUpdate, Draft};
use cp247_directory::hours::OfficeHours;
use cp247_directory::status::{Standing, Status};
use cp247_directory::text::{Reason, Text};
use cp247_directory::{AuthorityRef, ListedCert};
use cp247_domain::{Address, ContactPointRole, Instant, PartyCode, ZoneName};
use cp247_federation::tls::{TlsIdentity, TlsPin};
use jiff::{SignedDuration, Timestamp};

use crate::config::{
    AUTHORITY_CERT_FILE, CONFIG_FILE_NAME, ConfigFile, DeliverySection, LimitsSection,
    NODE_CERT_FILE, NODE_KEY_FILE, PeersSection, Period,
};

/// Why provisioning failed.
#[derive(Debug, thiserror::Error)]
pub enum ProvisionError {
    /// A file could not be written or read.
    #[error("{path}: {reason}")]
    File {
        /// Where.
        path: String,
        /// Why.
        reason: String,
    },
    /// The target already holds a node.
    #[error("{0} already holds a cp247 node; refusing to overwrite it")]
    Exists(String),
    /// A key operation failed.
    #[error("key: {0}")]
    Key(#[from] cp247_casework::keys::SealError),
    /// A TLS operation failed.
    #[error(transparent)]
    Tls(#[from] cp247_federation::tls::TlsError),
    /// A directory value is invalid.
    #[error("directory: {0}")]
    Directory(String),
    /// The configuration could not be written.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::File {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to a new file with `mode`, durably.
pub fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), ProvisionError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|e| file_err(path, e))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| file_err(path, e))
}

/// Replaces `path` atomically (write a temporary file, then rename).
pub fn write_replace(path: &Path, bytes: &[u8]) -> Result<(), ProvisionError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let _ = fs::remove_file(&tmp);
    write_new(&tmp, bytes, 0o644)?;
    fs::rename(&tmp, path).map_err(|e| file_err(path, e))
}

/// What a node directory is made from.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// The Party.
    pub party: PartyCode,
    /// Which contact point.
    pub point: ContactPointRole,
    /// The unit's name.
    pub name: String,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The URL peers use (`https://…`, or `http://127.0.0.1:…` without TLS).
    pub endpoint: String,
    /// Serve HTTPS with a generated self-signed certificate.
    pub tls: bool,
    /// The database URL (`sqlite://cp247.db` in the node directory by default).
    pub database_url: Option<String>,
    /// Where fresh directories are read (a path relative to the node directory, or a URL);
    /// `None`: the node's own `directory.json`.
    pub directory_source: Option<String>,
    /// Write the passphrase into a private file `passphrase` next to the key (demos and
    /// tests pass it to `cp247 serve --passphrase-file`).
    pub passphrase_file: bool,
    /// Outbox settings (written as a `[delivery]` table when not the defaults).
    pub delivery: Option<DeliverySection>,
    /// Peer call settings (written as `[peers]` when not the defaults).
    pub peers: Option<PeersSection>,
    /// Limits (written as `[limits]` when not the defaults).
    pub limits: Option<LimitsSection>,
    /// How often the directory is read.
    pub refresh_every: Option<Period>,
}

/// A node directory as created.
#[derive(Debug, Clone)]
pub struct ProvisionedNode {
    /// The directory.
    pub dir: PathBuf,
    /// Its `cp247.toml`.
    pub config_path: PathBuf,
    /// Its contact point.
    pub address: Address,
    /// Its OpenPGP certificate.
    pub cert: Cert,
    /// Its TLS pin, when it serves HTTPS.
    pub tls_pin: Option<TlsPin>,
    /// Its endpoint.
    pub endpoint: String,
    /// The protocol level the directory lists for it (ADR 0028); `None`: not listed (peers
    /// take level 1). `init_node` leaves it unlisted.
    pub reads: Option<cp247_domain::AdvertisedLevel>,
}

/// Creates a node directory: a locked OpenPGP key, its certificate, the pinned authority
/// certificate, the secrets key (`secrets.key`), a TLS identity (HTTPS nodes) and `cp247.toml`. Refuses a directory that
/// already holds a configuration.
pub fn init_node(
    dir: &Path,
    spec: &NodeSpec,
    authority: &Cert,
    passphrase: &Passphrase,
    passphrase_text: &str,
    now: Timestamp,
) -> Result<ProvisionedNode, ProvisionError> {
    let config_path = dir.join(CONFIG_FILE_NAME);
    if config_path.exists() {
        return Err(ProvisionError::Exists(dir.display().to_string()));
    }
    fs::create_dir_all(dir).map_err(|e| file_err(dir, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| file_err(dir, e))?;
    }
    let address = Address {
        party: spec.party,
        point: spec.point,
    };
    let key = NodeKey::generate(&format!("cp247 node {address}"), now, None)?;
    let cert = key.cert();
    write_new(
        &dir.join(NODE_KEY_FILE),
        key.to_locked_armored(passphrase)?.as_bytes(),
        0o600,
    )?;
    write_new(&dir.join(NODE_CERT_FILE), cert.armored().as_bytes(), 0o644)?;
    write_new(
        &dir.join(AUTHORITY_CERT_FILE),
        authority.armored().as_bytes(),
        0o644,
    )?;
    if spec.passphrase_file {
        write_new(&dir.join("passphrase"), passphrase_text.as_bytes(), 0o600)?;
    }
    // The key that seals TOTP seeds at rest (ADR 0021).
    crate::secrets::SecretsKey::create(&dir.join(crate::secrets::SECRETS_KEY_FILE))
        .map_err(|e| file_err(&dir.join(crate::secrets::SECRETS_KEY_FILE), e))?;
    let tls_pin = if spec.tls {
        let host = url::Url::parse(&spec.endpoint)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_matches(['[', ']']).to_owned()))
            .unwrap_or_else(|| "127.0.0.1".to_owned());
        let identity = TlsIdentity::generate(&[host], now, 5)?;
        identity.save(&dir.join("tls-cert.pem"), &dir.join("tls-key.pem"))?;
        Some(identity.pin())
    } else {
        None
    };
    let mut file = ConfigFile::new_node(
        spec.party,
        spec.point,
        spec.name.clone(),
        spec.listen.to_string(),
    );
    file.endpoint = Some(spec.endpoint.clone());
    if let Some(url) = &spec.database_url {
        file.database_url.clone_from(url);
    }
    file.directory_source.clone_from(&spec.directory_source);
    file.directory_refresh = spec.refresh_every;
    file.delivery = spec.delivery.clone().unwrap_or_default();
    file.peers = spec.peers.clone().unwrap_or_default();
    file.limits = spec.limits.clone().unwrap_or_default();
    // Refuse a configuration the node would refuse, before writing it.
    file.resolve(dir)?;
    write_new(&config_path, file.to_toml()?.as_bytes(), 0o644)?;
    Ok(ProvisionedNode {
        dir: dir.to_path_buf(),
        config_path,
        address,
        cert,
        tls_pin,
        endpoint: spec.endpoint.clone(),
        reads: None,
    })
}

/// One node's entry in a test or demo directory.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The Party's name.
    pub party_name: String,
    /// The node.
    pub node: ProvisionedNode,
    /// Duty phones (E.164).
    pub duty_phones: Vec<String>,
    /// IANA time zone.
    pub time_zone: String,
    /// The Party's status.
    pub status: ListingStatus,
}

/// A contact point without a node, reached by PGP/MIME e-mail (test and demo directories).
#[derive(Debug, Clone)]
pub struct EmailListing {
    /// Its address (`MD/alternate`); its Party must also have a node listing.
    pub address: Address,
    /// The e-mail address the channel writes to.
    pub email: String,
    /// The certificate e-mail to it is encrypted to.
    pub cert: Cert,
    /// Duty phones (E.164).
    pub duty_phones: Vec<String>,
    /// IANA time zone.
    pub time_zone: String,
}

/// The authority's decision about a listed Party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListingStatus {
    /// Active.
    Active,
    /// Suspended from an instant, with a reason.
    Suspended(Timestamp, String),
    /// Revoked from an instant, with a reason.
    Revoked(Timestamp, String),
}

/// A directory authority held in memory (demo and tests).
#[derive(Debug)]
pub struct Authority {
    key: NodeKey,
    name: String,
}

fn dir_err(e: impl std::fmt::Display) -> ProvisionError {
    ProvisionError::Directory(e.to_string())
}

impl Authority {
    /// A new authority key.
    pub fn generate(name: &str, now: Timestamp) -> Result<Self, ProvisionError> {
        Ok(Self {
            key: NodeKey::generate(&format!("cp247 directory authority: {name}"), now, None)?,
            name: name.to_owned(),
        })
    }

    /// Its certificate, which nodes pin.
    pub fn cert(&self) -> Cert {
        self.key.cert()
    }

    /// Signs a directory listing `listings` and writes `directory.json` and
    /// `directory.json.asc` at `path` (replacing them atomically, signature last).
    pub fn publish(
        &self,
        path: &Path,
        listings: &[Listing],
        serial: u64,
        now: Timestamp,
        valid_for: SignedDuration,
    ) -> Result<(), ProvisionError> {
        self.publish_with_email(path, listings, &[], serial, now, valid_for)
    }

    /// The same, with e-mail-only contact points.
    pub fn publish_with_email(
        &self,
        path: &Path,
        listings: &[Listing],
        emails: &[EmailListing],
        serial: u64,
        now: Timestamp,
        valid_for: SignedDuration,
    ) -> Result<(), ProvisionError> {
        let (json, signature) = self.sign_with_email(listings, emails, serial, now, valid_for)?;
        write_replace(path, &json)?;
        let mut sig_path = path.as_os_str().to_owned();
        sig_path.push(".asc");
        write_replace(Path::new(&sig_path), signature.as_bytes())
    }

    /// The canonical directory JSON and its armored detached signature.
    pub fn sign(
        &self,
        listings: &[Listing],
        serial: u64,
        now: Timestamp,
        valid_for: SignedDuration,
    ) -> Result<(Vec<u8>, String), ProvisionError> {
        self.sign_with_email(listings, &[], serial, now, valid_for)
    }

    /// The same, with e-mail-only contact points.
    pub fn sign_with_email(
        &self,
        listings: &[Listing],
        emails: &[EmailListing],
        serial: u64,
        now: Timestamp,
        valid_for: SignedDuration,
    ) -> Result<(Vec<u8>, String), ProvisionError> {
        let mut draft = Draft::new(AuthorityRef {
            name: Text::parse(&self.name).map_err(dir_err)?,
            fingerprint: self.key.fingerprint(),
        });
        let mut sorted: Vec<&Listing> = listings.iter().collect();
        sorted.sort_by_key(|l| (l.node.address.party, l.node.address.point));
        for l in sorted {
            let address = l.node.address;
            if draft.parties().iter().all(|p| p.party != address.party) {
                draft
                    .add_party(address.party, Text::parse(&l.party_name).map_err(dir_err)?)
                    .map_err(dir_err)?;
            }
            let pin = l.node.tls_pin.map_or([0u8; 32], |p| *p.as_bytes());
            let update = ContactPointUpdate {
                unit: Some(Text::parse(&format!("{} 24/7 unit", l.party_name)).map_err(dir_err)?),
                parent_authority: Some(ParentAuthority {
                    kind: AuthorityKind::Police,
                    name: Text::parse(&format!("{} national police", l.party_name))
                        .map_err(dir_err)?,
                }),
                node: Some((
                    Endpoint::parse(&l.node.endpoint).map_err(dir_err)?,
                    TlsSha256::parse(&hex::encode(pin)).map_err(dir_err)?,
                )),
                reads: l.node.reads,
                set_cert: Some(ListedCert::from_cert(l.node.cert.clone())),
                duty_phones: Some(
                    l.duty_phones
                        .iter()
                        .map(|p| Phone::parse(p))
                        .collect::<Result<_, _>>()
                        .map_err(dir_err)?,
                ),
                languages: Some(vec![
                    LanguageTag::parse("en").map_err(dir_err)?,
                    LanguageTag::parse("fr").map_err(dir_err)?,
                ]),
                time_zone: Some(ZoneName::parse(&l.time_zone).map_err(dir_err)?),
                office_hours: Some(
                    OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").map_err(dir_err)?,
                ),
                ..ContactPointUpdate::default()
            };
            draft
                .set_contact_point(address.party, address.point, update)
                .map_err(dir_err)?;
            let status = match &l.status {
                ListingStatus::Active => None,
                ListingStatus::Suspended(since, reason) => Some(Status::Suspended(Standing {
                    since: Instant::utc(*since),
                    reason: Reason::parse(reason).map_err(dir_err)?,
                })),
                ListingStatus::Revoked(since, reason) => Some(Status::Revoked(Standing {
                    since: Instant::utc(*since),
                    reason: Reason::parse(reason).map_err(dir_err)?,
                })),
            };
            if let Some(status) = status {
                draft
                    .set_status(address.party, None, status)
                    .map_err(dir_err)?;
            }
        }
        for e in emails {
            let update = ContactPointUpdate {
                unit: Some(Text::parse(&format!("{} e-mail unit", e.address)).map_err(dir_err)?),
                parent_authority: Some(ParentAuthority {
                    kind: AuthorityKind::Police,
                    name: Text::parse(&format!("{} national police", e.address.party))
                        .map_err(dir_err)?,
                }),
                email_channel: Some(EmailAddress::parse(&e.email).map_err(dir_err)?),
                set_cert: Some(ListedCert::from_cert(e.cert.clone())),
                duty_phones: Some(
                    e.duty_phones
                        .iter()
                        .map(|p| Phone::parse(p))
                        .collect::<Result<_, _>>()
                        .map_err(dir_err)?,
                ),
                languages: Some(vec![LanguageTag::parse("en").map_err(dir_err)?]),
                time_zone: Some(ZoneName::parse(&e.time_zone).map_err(dir_err)?),
                office_hours: Some(OfficeHours::parse_weekly("24/7").map_err(dir_err)?),
                ..ContactPointUpdate::default()
            };
            draft
                .set_contact_point(e.address.party, e.address.point, update)
                .map_err(dir_err)?;
        }
        let expires = now.checked_add(valid_for).map_err(dir_err)?;
        let directory = draft
            .to_directory(serial, Instant::utc(now), Instant::utc(expires))
            .map_err(|problems| {
                ProvisionError::Directory(
                    problems
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
        Ok(directory.sign(&self.key, now)?)
    }
}

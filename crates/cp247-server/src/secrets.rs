//! Secrets at rest (ADR 0021): the TOTP seeds are stored encrypted with AES-256-GCM under a
//! key kept in a file of the node directory (`secrets.key`, mode 0600), not in the database
//! and not derived from the node key's passphrase.
//!
//! A sealed seed is stored as `sealed:v1:<key id>:<base64url(nonce ‖ ciphertext)>`; the key id
//! (16 hex digits of a hash of the key) names the key without revealing it, so a node started
//! with another node's key file says so instead of refusing every code. The associated data is
//! the account's user name: a sealed seed copied onto another account does not open.
//!
//! At start the node seals every seed still stored in plain text (databases of earlier
//! versions): [`open_for_node`].

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use cp247_store::{Store, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::accounts::TotpSecret;

/// The default name of the key file in the node directory.
pub const SECRETS_KEY_FILE: &str = "secrets.key";
/// The first word of the key file.
const FILE_HEADER: &str = "cp247-secrets-key-v1";
/// The prefix of a sealed seed.
const SEALED_PREFIX: &str = "sealed:v1:";
/// Accounts read at once while sealing plain-text seeds.
const BATCH: u32 = 200;

/// Why the key or a seed cannot be used. Never contains a secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// The key file cannot be read, written or used.
    #[error("the secrets key file {path}: {reason}")]
    File {
        /// Where.
        path: String,
        /// Why, as a sentence.
        reason: String,
    },
    /// The database holds seeds sealed under another key.
    #[error(
        "{count} TOTP seed(s) in the database are sealed under key {theirs}, but the secrets key file {path} is key {ours}: put back the key file this database was used with (from the node directory's backup); with another key nobody can sign in"
    )]
    OtherKey {
        /// How many seeds.
        count: u32,
        /// The key id they name.
        theirs: String,
        /// The key file.
        path: String,
        /// Its key id.
        ours: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why one stored seed does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SeedError {
    /// The seed is stored in plain text (not sealed yet).
    #[error("the TOTP seed is stored in plain text")]
    Plain,
    /// It was sealed under another key.
    #[error("the TOTP seed is sealed under another key")]
    OtherKey,
    /// It does not open (altered, or moved from another account).
    #[error("the sealed TOTP seed does not open (altered, or copied from another account)")]
    Corrupt,
}

/// The key that seals secrets at rest. `Debug` shows its id only.
pub struct SecretsKey {
    key: Zeroizing<[u8; 32]>,
    id: String,
}

impl fmt::Debug for SecretsKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretsKey(id {}, ***)", self.id)
    }
}

fn key_id(key: &[u8; 32]) -> String {
    let mut h = Sha256::new();
    h.update(b"cp247-secrets-key-id-v1\0");
    h.update(key);
    hex::encode(&h.finalize()[..8])
}

fn file_err(path: &Path, reason: impl Into<String>) -> SecretsError {
    SecretsError::File {
        path: path.display().to_string(),
        reason: reason.into(),
    }
}

fn aad(username: &str) -> Vec<u8> {
    let mut a = b"cp247-totp-seed-v1\0".to_vec();
    a.extend_from_slice(username.as_bytes());
    a
}

impl SecretsKey {
    /// A new random key.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut());
        let id = key_id(&key);
        Self { key, id }
    }

    /// Its id (not secret): 16 hex digits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The key file's text: `cp247-secrets-key-v1 <base64>` and a line break.
    pub fn file_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!(
            "{FILE_HEADER} {}\n",
            base64::engine::general_purpose::STANDARD.encode(self.key.as_slice())
        ))
    }

    /// Parses a key file's text.
    pub fn from_file_text(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "it is not a cp247 secrets key (one line: '{FILE_HEADER}' and 32 bytes in base64)"
            )
        };
        let rest = text
            .trim_end()
            .strip_prefix(FILE_HEADER)
            .and_then(|r| r.strip_prefix(' '))
            .ok_or_else(bad)?;
        let bytes = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .map_err(|_| bad())?,
        );
        let mut key = Zeroizing::new([0u8; 32]);
        if bytes.len() != key.len() {
            return Err(bad());
        }
        key.copy_from_slice(&bytes);
        let id = key_id(&key);
        Ok(Self { key, id })
    }

    /// Creates the key file at `path` (which must not exist) with mode 0600, and returns the
    /// new key.
    pub fn create(path: &Path) -> Result<Self, SecretsError> {
        let key = Self::generate();
        crate::provision::write_new(path, key.file_text().as_bytes(), 0o600)
            .map_err(|e| file_err(path, e.to_string()))?;
        Ok(key)
    }

    /// Reads the key file at `path`, refusing one that other users can read.
    pub fn load(path: &Path) -> Result<Self, SecretsError> {
        let file = std::fs::File::open(path).map_err(|e| file_err(path, e.to_string()))?;
        let mut text = Zeroizing::new(String::new());
        file.take(1024)
            .read_to_string(&mut text)
            .map_err(|e| file_err(path, e.to_string()))?;
        cp247_federation::tls::check_private(path).map_err(|e| file_err(path, e.to_string()))?;
        Self::from_file_text(&text).map_err(|reason| file_err(path, reason))
    }

    fn cipher(&self) -> Option<Aes256Gcm> {
        Aes256Gcm::new_from_slice(self.key.as_slice()).ok()
    }

    /// Seals `secret` for account `username`, as stored.
    pub fn seal_totp(&self, username: &str, secret: &TotpSecret) -> Result<String, SeedError> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let aad = aad(username);
        let sealed = self
            .cipher()
            .ok_or(SeedError::Corrupt)?
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: secret.bytes(),
                    aad: &aad,
                },
            )
            .map_err(|_| SeedError::Corrupt)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!(
            "{SEALED_PREFIX}{}:{}",
            self.id,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        ))
    }

    /// Opens the stored seed of account `username`.
    pub fn open_totp(&self, username: &str, stored: &str) -> Result<TotpSecret, SeedError> {
        let Some(rest) = stored.strip_prefix(SEALED_PREFIX) else {
            return Err(SeedError::Plain);
        };
        let (id, body) = rest.split_once(':').ok_or(SeedError::Corrupt)?;
        if id != self.id {
            return Err(SeedError::OtherKey);
        }
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .map_err(|_| SeedError::Corrupt)?;
        if bytes.len() < 12 + 16 {
            return Err(SeedError::Corrupt);
        }
        let (nonce, sealed) = bytes.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| SeedError::Corrupt)?;
        let aad = aad(username);
        let plain = Zeroizing::new(
            self.cipher()
                .ok_or(SeedError::Corrupt)?
                .decrypt(
                    &Nonce::from(nonce),
                    Payload {
                        msg: sealed,
                        aad: &aad,
                    },
                )
                .map_err(|_| SeedError::Corrupt)?,
        );
        TotpSecret::from_bytes(&plain).ok_or(SeedError::Corrupt)
    }
}

/// Whether a stored seed is sealed, and under which key id.
fn sealed_key_id(stored: &str) -> Option<&str> {
    stored
        .strip_prefix(SEALED_PREFIX)
        .and_then(|rest| rest.split_once(':'))
        .map(|(id, _)| id)
}

/// The key file a node uses: `secrets_key` of the configuration (relative to the node
/// directory), by default [`SECRETS_KEY_FILE`].
pub fn key_path(config: &crate::config::NodeConfig) -> PathBuf {
    config.base_dir.join(
        config
            .file
            .secrets_key
            .as_deref()
            .unwrap_or(Path::new(SECRETS_KEY_FILE)),
    )
}

/// What [`open_for_node`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SealReport {
    /// The key file was created (a node directory of an earlier version).
    pub created: bool,
    /// Seeds found in plain text and sealed now.
    pub sealed: u32,
}

/// The node's secrets key at start: reads the key file (created when it is missing and the
/// database holds no sealed seed, as in a node directory made by an earlier version), refuses
/// one that is not the key the database's seeds are sealed under, and seals every seed still
/// stored in plain text.
pub async fn open_for_node(
    path: &Path,
    store: &Store,
) -> Result<(SecretsKey, SealReport), SecretsError> {
    let mut report = SealReport::default();
    let key = if path.exists() {
        SecretsKey::load(path)?
    } else {
        if let Some(id) = first_sealed(store).await? {
            return Err(file_err(
                path,
                format!(
                    "it is missing, and the database holds TOTP seeds sealed under key {id}: put back the key file from the node directory's backup (without it nobody can sign in; `cp247 user reset-mfa` issues new seeds)"
                ),
            ));
        }
        report.created = true;
        SecretsKey::create(path)?
    };
    let mut after = 0;
    let mut other: Option<(u32, String)> = None;
    loop {
        let batch = store.totp_secrets_after(after, BATCH).await?;
        let Some(last) = batch.last() else { break };
        after = last.0;
        for (id, username, stored) in &batch {
            match sealed_key_id(stored) {
                Some(theirs) if theirs == key.id() => {}
                Some(theirs) => {
                    let entry = other.get_or_insert((0, theirs.to_owned()));
                    entry.0 += 1;
                }
                None => {
                    let Some(secret) = TotpSecret::from_base32(stored) else {
                        tracing::warn!(
                            account = %username,
                            "the stored TOTP seed of this account is neither sealed nor a base32 secret; it is left as it is (reset the account's second factor)"
                        );
                        continue;
                    };
                    let sealed = key
                        .seal_totp(username, &secret)
                        .map_err(|e| file_err(path, format!("sealing a TOTP seed failed: {e}")))?;
                    if store.replace_totp_secret(*id, stored, &sealed).await? {
                        report.sealed += 1;
                    }
                }
            }
        }
    }
    if let Some((count, theirs)) = other {
        return Err(SecretsError::OtherKey {
            count,
            theirs,
            path: path.display().to_string(),
            ours: key.id().to_owned(),
        });
    }
    Ok((key, report))
}

async fn first_sealed(store: &Store) -> Result<Option<String>, StoreError> {
    let mut after = 0;
    loop {
        let batch = store.totp_secrets_after(after, BATCH).await?;
        let Some(last) = batch.last() else {
            return Ok(None);
        };
        after = last.0;
        if let Some(id) = batch.iter().find_map(|(_, _, s)| sealed_key_id(s)) {
            return Ok(Some(id.to_owned()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_seal_open_and_bind_to_their_account() {
        let key = SecretsKey::generate();
        let seed = TotpSecret::generate();
        let sealed = key.seal_totp("alice", &seed).unwrap();
        assert!(sealed.starts_with("sealed:v1:"), "{sealed}");
        assert!(!sealed.contains(&seed.to_base32()));
        let opened = key.open_totp("alice", &sealed).unwrap();
        assert_eq!(opened.to_base32(), seed.to_base32());
        // Twice sealed, two texts (random nonce).
        assert_ne!(sealed, key.seal_totp("alice", &seed).unwrap());
        // Copied onto another account, altered, under another key, or plain: refused.
        assert_eq!(
            key.open_totp("bob", &sealed).unwrap_err(),
            SeedError::Corrupt
        );
        let mut altered = sealed.clone();
        let last = altered.pop().unwrap();
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert_eq!(
            key.open_totp("alice", &altered).unwrap_err(),
            SeedError::Corrupt
        );
        let other = SecretsKey::generate();
        assert_eq!(
            other.open_totp("alice", &sealed).unwrap_err(),
            SeedError::OtherKey
        );
        assert_eq!(
            key.open_totp("alice", &seed.to_base32()).unwrap_err(),
            SeedError::Plain
        );
        assert_eq!(
            key.open_totp("alice", "sealed:v1:nonsense").unwrap_err(),
            SeedError::Corrupt
        );
    }

    #[test]
    fn the_key_file_round_trips_is_private_and_never_prints() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SECRETS_KEY_FILE);
        let key = SecretsKey::create(&path).unwrap();
        let again = SecretsKey::load(&path).unwrap();
        assert_eq!(key.id(), again.id());
        assert_eq!(key.id().len(), 16);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("cp247-secrets-key-v1 "), "{text}");
        let debug = format!("{key:?}");
        let encoded = text.split_whitespace().nth(1).unwrap();
        assert!(!debug.contains(encoded), "{debug}");
        // Never overwritten.
        assert!(SecretsKey::create(&path).is_err());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
                0o600
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = SecretsKey::load(&path).unwrap_err().to_string();
            assert!(err.contains(&path.display().to_string()), "{err}");
        }
        for bad in [
            "",
            "cp247-secrets-key-v1",
            "cp247-secrets-key-v1 AAAA",
            "other",
        ] {
            assert!(SecretsKey::from_file_text(bad).is_err(), "{bad}");
        }
    }
}

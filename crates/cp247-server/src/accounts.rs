//! People's accounts: Argon2id passwords, TOTP second factor (seeds sealed at rest,
//! [`crate::secrets`]), one-use recovery codes, and the two sign-in steps, each throttled
//! before anything is checked ([`crate::throttle`]).
//!
//! No user enumeration: [`SignIn::password`] computes an Argon2id hash whether or not the user
//! exists (against a dummy hash made at start-up), and every refusal is the same
//! [`Refusal::Failed`]; a throttled attempt is refused the same way whether or not the name is
//! an account's, before any hash. Every computation is counted
//! ([`Passwords::verifications`]) so that tests can show the hash was computed on every path;
//! timing is measured by a benchmark.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use cp247_domain::Clock;
use cp247_store::{Account, Admission, NewAccount, SignInStep, Store, StoreError};
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::auth::Role;
use crate::secrets::SecretsKey;
use crate::throttle::{Source, Throttle};

/// Shortest accepted password (characters).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest accepted password (bytes): hashing cost stays bounded.
pub const MAX_PASSWORD_BYTES: usize = 256;
/// Recovery codes issued per account.
pub const RECOVERY_CODES: usize = 10;
/// TOTP: 6 digits, 30-second steps, one step of clock drift either way (RFC 6238 defaults,
/// which every authenticator app supports).
const TOTP_STEP: u64 = 30;

/// Why an account cannot be created or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// The password does not meet the policy.
    #[error(
        "the password is too {0}: use at least {MIN_PASSWORD_CHARS} characters and at most {MAX_PASSWORD_BYTES} bytes"
    )]
    Password(&'static str),
    /// The user name is not usable.
    #[error(
        "the user name '{0}' is not usable: use 1 to 64 characters of a-z, 0-9, '.', '_' and '-'"
    )]
    Username(String),
    /// The role cannot sign in to the web.
    #[error(
        "the {0} role is for API tokens only; people's accounts are officer, supervisor, administrator or read_only"
    )]
    Role(&'static str),
    /// Hashing failed.
    #[error("the password could not be hashed: {0}")]
    Hash(String),
    /// The TOTP seed could not be sealed.
    #[error("the TOTP seed could not be sealed: {0}")]
    Seal(#[from] crate::secrets::SeedError),
    /// The store refused.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A password as typed. `Debug` redacts it; it is wiped when dropped.
pub struct Password(Zeroizing<String>);

impl Password {
    /// Wraps a password as typed (no policy check: sign-in checks any input).
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// Checks the policy for a new password.
    pub fn check_policy(&self) -> Result<(), AccountError> {
        if self.0.len() > MAX_PASSWORD_BYTES {
            return Err(AccountError::Password("long"));
        }
        if self.0.trim().chars().count() < MIN_PASSWORD_CHARS {
            return Err(AccountError::Password("short"));
        }
        Ok(())
    }

    fn bytes(&self) -> &[u8] {
        // Longer input is never hashed in full (the policy refuses it at creation anyway).
        let b = self.0.as_bytes();
        &b[..b.len().min(MAX_PASSWORD_BYTES + 1)]
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// Argon2id hashing with a counter of verifications.
pub struct Passwords {
    dummy: String,
    verifications: AtomicU64,
}

impl fmt::Debug for Passwords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passwords")
            .field("verifications", &self.verifications())
            .finish_non_exhaustive()
    }
}

impl Passwords {
    /// Prepares the dummy hash verified for unknown users (same parameters as real hashes).
    pub fn new() -> Result<Self, AccountError> {
        let mut random = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(random.as_mut());
        let dummy = hash_bytes(random.as_ref())?;
        Ok(Self {
            dummy,
            verifications: AtomicU64::new(0),
        })
    }

    /// Argon2id PHC string of `password` with a fresh random salt.
    pub fn hash(password: &Password) -> Result<String, AccountError> {
        password.check_policy()?;
        hash_bytes(password.bytes())
    }

    /// Verifies `password` against `phc`, or against the dummy hash when there is none (the
    /// answer is then false); always computes one Argon2id hash.
    pub fn verify(&self, phc: Option<&str>, password: &Password) -> bool {
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let target = phc.unwrap_or(&self.dummy);
        let ok = match argon2::PasswordHash::new(target) {
            Ok(parsed) => Argon2::default()
                .verify_password(password.bytes(), &parsed)
                .is_ok(),
            Err(_) => {
                // A corrupt stored hash still costs one hash, and refuses.
                let _ = hash_bytes(password.bytes());
                false
            }
        };
        ok && phc.is_some()
    }

    /// How many verifications ran since start.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }
}

fn hash_bytes(bytes: &[u8]) -> Result<String, AccountError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    Argon2::default()
        .hash_password_with_salt(bytes, &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// A TOTP secret (160 random bits). `Debug` redacts it.
#[derive(Clone)]
pub struct TotpSecret(Zeroizing<Vec<u8>>);

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        let mut bytes = Zeroizing::new(vec![0u8; 20]);
        rand::rng().fill_bytes(bytes.as_mut_slice());
        Self(bytes)
    }

    /// From its base32 text (as typed into an authenticator, or stored by earlier versions).
    pub fn from_base32(text: &str) -> Option<Self> {
        let secret = totp_rs::Secret::try_from_base32(text.trim()).ok()?;
        let bytes = secret.as_bytes().to_vec();
        (bytes.len() >= 16).then(|| Self(Zeroizing::new(bytes)))
    }

    /// From its bytes (at least 16 and at most 64).
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Self> {
        (16..=64)
            .contains(&bytes.len())
            .then(|| Self(Zeroizing::new(bytes.to_vec())))
    }

    /// Its bytes (to seal).
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }

    /// Its base32 text (to type into an authenticator).
    pub fn to_base32(&self) -> String {
        totp_rs::Secret::new(self.0.to_vec().into_boxed_slice()).to_base32()
    }

    fn totp(&self, account: &str, issuer: &str) -> Option<totp_rs::Totp> {
        totp_rs::Builder::new()
            .with_secret(totp_rs::Secret::new(self.0.to_vec().into_boxed_slice()))
            .with_step_duration(TOTP_STEP)
            .with_skew(1)
            .with_account_name(account)
            .with_issuer(Some(issuer))
            .build()
            .ok()
    }

    /// The `otpauth://` URI an authenticator app reads (as a QR code or pasted).
    pub fn otpauth_uri(&self, account: &str, issuer: &str) -> Option<String> {
        self.totp(account, issuer)?.to_url().ok()
    }

    /// The code at unix time `secs` (for tests and the demo).
    pub fn code_at(&self, secs: u64) -> String {
        self.totp("cp247", "cp247")
            .map(|t| t.generate(secs).to_string())
            .unwrap_or_default()
    }

    /// The time step (unix time / 30 s) `code` belongs to, if valid at unix time `secs` (one
    /// step of drift allowed either way).
    pub fn check(&self, code: &str, secs: u64) -> Option<u64> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        self.totp("cp247", "cp247")?.check(code, secs)
    }
}

/// Recovery codes as issued: shown once, stored as SHA-256. `Debug` redacts them.
pub struct RecoveryCodes(Vec<Zeroizing<String>>);

impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecoveryCodes({} codes, ***)", self.0.len())
    }
}

impl RecoveryCodes {
    /// [`RECOVERY_CODES`] new codes of 60 random bits each, written `xxxx-xxxx-xxxx`.
    pub fn generate() -> Self {
        const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
        let mut rng = rand::rng();
        let codes = (0..RECOVERY_CODES)
            .map(|_| {
                let mut text = Zeroizing::new(String::with_capacity(14));
                for i in 0..12 {
                    if i > 0 && i % 4 == 0 {
                        text.push('-');
                    }
                    let pick = (rng.next_u32() as usize) % ALPHABET.len();
                    text.push(char::from(ALPHABET[pick]));
                }
                text
            })
            .collect();
        Self(codes)
    }

    /// The codes, to print once.
    pub fn reveal(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|c| c.as_str())
    }

    /// Their hashes, to store.
    pub fn hashes(&self) -> Vec<[u8; 32]> {
        self.0.iter().map(|c| recovery_hash(c)).collect()
    }
}

/// The SHA-256 under which a recovery code is stored (case, spaces and dashes ignored).
pub fn recovery_hash(code: &str) -> [u8; 32] {
    let normal: Zeroizing<String> = Zeroizing::new(
        code.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    Sha256::digest(normal.as_bytes()).into()
}

/// A new person's account, with the secrets to hand over once.
#[derive(Debug)]
pub struct Enrolment {
    /// The stored account.
    pub account: Account,
    /// The TOTP secret.
    pub totp: TotpSecret,
    /// The `otpauth://` URI.
    pub otpauth_uri: String,
    /// The recovery codes.
    pub recovery: RecoveryCodes,
}

/// Checks a user name: 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
pub fn check_username(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(AccountError::Username(name.chars().take(80).collect()))
    }
}

/// The issuer shown in authenticator apps for this node.
pub fn issuer_for(node: &str) -> String {
    format!("cp247 {node}")
}

/// Creates a person's account with a password, a TOTP secret (stored sealed under `key`) and
/// recovery codes.
#[allow(clippy::too_many_arguments)] // the account's fields, spelt out at each call
pub async fn enrol(
    store: &Store,
    key: &SecretsKey,
    username: &str,
    display_name: &str,
    role: Role,
    password: &Password,
    issuer: &str,
    at: jiff::Timestamp,
) -> Result<Enrolment, AccountError> {
    check_username(username)?;
    if !role.signs_in() {
        return Err(AccountError::Role(role.as_str()));
    }
    let phc = {
        let copy = Password::new(password.0.to_string());
        tokio::task::spawn_blocking(move || Passwords::hash(&copy))
            .await
            .map_err(|e| AccountError::Hash(e.to_string()))??
    };
    let totp = TotpSecret::generate();
    let recovery = RecoveryCodes::generate();
    let otpauth_uri = totp
        .otpauth_uri(username, issuer)
        .ok_or_else(|| AccountError::Username(username.to_owned()))?;
    let mut tx = store.begin().await?;
    let account = tx
        .create_account(&NewAccount {
            username: username.to_owned(),
            display_name: display_name.to_owned(),
            role: role.token_role()?,
            password_phc: Some(phc),
            totp_secret: Some(key.seal_totp(username, &totp)?),
            recovery_codes: recovery.hashes(),
            created_at: at,
        })
        .await?;
    tx.append_audit(&cp247_store::AuditRecord {
        actor: cp247_store::Actor::node(),
        action: cp247_store::AuditAction::AccountChange,
        ticket: None,
        result: cp247_store::AuditResult::Ok,
        details: serde_json::json!({ "account": username, "change": "created", "role": role.as_str() }),
        at,
    })
    .await?;
    tx.commit().await?;
    Ok(Enrolment {
        account,
        totp,
        otpauth_uri,
        recovery,
    })
}

/// Why a sign-in step failed. Deliberately one variant: the person and an attacker learn
/// the same thing whatever the cause (unknown user, wrong password, disabled, no usable seed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The step failed.
    Failed,
}

/// The two sign-in steps over the store, the clock, the password hasher, the throttle and the
/// key the TOTP seeds are sealed under.
#[derive(Debug, Clone)]
pub struct SignIn {
    /// The store.
    pub store: Store,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The hasher.
    pub passwords: Arc<Passwords>,
    /// The throttle.
    pub throttle: Arc<Throttle>,
    /// The key of the sealed TOTP seeds.
    pub secrets: Arc<SecretsKey>,
}

/// Errors of the sign-in steps other than a refusal.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// The step was refused.
    #[error("sign-in refused")]
    Refused(Refusal),
    /// The attempt was not admitted, and nothing was checked or counted: a delay of its
    /// throttle runs until `until`, or (`None`) the throttle's table is full.
    #[error("too many sign-in attempts")]
    Throttled {
        /// When the throttle admits again.
        until: Option<jiff::Timestamp>,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The hashing task failed.
    #[error("the password check did not complete")]
    Task,
}

fn throttled(admission: Admission) -> Result<(), SignInError> {
    match admission {
        Admission::Admitted => Ok(()),
        Admission::Delayed { until } => Err(SignInError::Throttled { until: Some(until) }),
        Admission::Full => Err(SignInError::Throttled { until: None }),
    }
}

impl SignIn {
    /// Step 1: the password, from `source`. The attempt is admitted by the throttle first
    /// (the same way whether or not the name is an account's); then one Argon2id hash is
    /// computed on every path. Returns the account whose second factor is now awaited.
    pub async fn password(
        &self,
        username: &str,
        password: Password,
        source: &Source,
    ) -> Result<Account, SignInError> {
        // Longer names are never looked up (and never an account's); the throttle keys a hash.
        let typed: String = username.chars().take(80).collect();
        let found = if username.len() <= 80 {
            self.store.account_for_sign_in(username).await?
        } else {
            None
        };
        let account_name = found.as_ref().map(|f| f.account.username.as_str());
        throttled(
            self.throttle
                .admit(
                    SignInStep::Password,
                    &typed,
                    account_name,
                    source,
                    self.clock.now(),
                )
                .await?,
        )?;
        let phc = found.as_ref().and_then(|f| f.password_phc.clone());
        let passwords = self.passwords.clone();
        let right =
            tokio::task::spawn_blocking(move || passwords.verify(phc.as_deref(), &password))
                .await
                .map_err(|_| SignInError::Task)?;
        let Some(found) = found else {
            return Err(SignInError::Refused(Refusal::Failed));
        };
        let account = found.account;
        let usable = account.disabled_at.is_none()
            && account.can_sign_in
            && Role::of(&account.role).is_some_and(|r| r.signs_in());
        if !usable || !right {
            return Err(SignInError::Refused(Refusal::Failed));
        }
        self.throttle
            .succeeded(
                SignInStep::Password,
                &account.username,
                source,
                self.clock.now(),
            )
            .await?;
        Ok(account)
    }

    /// Step 2: a TOTP code (each time step accepted once) or an unused recovery code, from
    /// `source`, admitted by the throttle first.
    pub async fn second_factor(
        &self,
        account_id: u64,
        code: &str,
        source: &Source,
    ) -> Result<Account, SignInError> {
        let found = self.store.account_secrets(account_id).await?;
        let account = found.account.clone();
        throttled(
            self.throttle
                .admit(
                    SignInStep::SecondFactor,
                    &account.username,
                    Some(&account.username),
                    source,
                    self.clock.now(),
                )
                .await?,
        )?;
        if account.disabled_at.is_some() {
            return Err(SignInError::Refused(Refusal::Failed));
        }
        let now = self.clock.now();
        let code = code.trim();
        let accepted = if code.len() > 64 {
            false
        } else if code.len() == 6 {
            let secs = u64::try_from(now.as_second()).unwrap_or(0);
            let seed = found.totp_secret.as_deref().and_then(|stored| {
                self.secrets
                    .open_totp(&account.username, stored)
                    .map_err(|e| {
                        tracing::warn!(account = %account.username, error = %e, "the account's TOTP seed cannot be used; reset its second factor");
                    })
                    .ok()
            });
            match seed.and_then(|s| s.check(code, secs)) {
                Some(step) => self.store.use_totp_step(account.id, step).await?,
                None => false,
            }
        } else {
            self.store
                .use_recovery_code(account.id, &recovery_hash(code), now)
                .await?
        };
        if !accepted {
            return Err(SignInError::Refused(Refusal::Failed));
        }
        self.throttle
            .succeeded(SignInStep::SecondFactor, &account.username, source, now)
            .await?;
        Ok(account)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_argon2id_and_verify() {
        let p = Passwords::new().unwrap();
        let pw = Password::new("correct horse battery".into());
        let phc = Passwords::hash(&pw).unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(p.verify(Some(&phc), &pw));
        assert!(!p.verify(Some(&phc), &Password::new("wrong horse battery".into())));
        assert!(!p.verify(None, &pw));
        assert!(!p.verify(Some("not a hash"), &pw));
        assert_eq!(p.verifications(), 4);
        assert!(matches!(
            Passwords::hash(&Password::new("short".into())),
            Err(AccountError::Password("short"))
        ));
        assert!(matches!(
            Passwords::hash(&Password::new("x".repeat(300))),
            Err(AccountError::Password("long"))
        ));
        assert_eq!(format!("{pw:?}"), "Password(***)");
    }

    #[test]
    fn totp_codes_check_within_one_step_and_redact() {
        let s = TotpSecret::generate();
        let again = TotpSecret::from_base32(&s.to_base32()).unwrap();
        let t = 1_800_000_000;
        let code = s.code_at(t);
        assert_eq!(code.len(), 6);
        assert_eq!(again.check(&code, t), Some(t / 30));
        assert!(again.check(&code, t + 30).is_some());
        assert!(again.check(&code, t + 95).is_none());
        assert!(again.check("12345", t).is_none());
        assert!(again.check("abcdef", t).is_none());
        let uri = s.otpauth_uri("alice", "cp247 FR").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains(&s.to_base32()));
        assert_eq!(format!("{s:?}"), "TotpSecret(***)");
    }

    #[test]
    fn recovery_codes_are_random_and_hashed_loosely() {
        let a = RecoveryCodes::generate();
        let codes: Vec<_> = a.reveal().map(str::to_owned).collect();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 14);
        let unique: std::collections::BTreeSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), RECOVERY_CODES);
        assert_eq!(
            recovery_hash(&codes[0]),
            recovery_hash(&codes[0].to_uppercase().replace('-', " "))
        );
        assert_eq!(a.hashes()[0], recovery_hash(&codes[0]));
        assert!(!format!("{a:?}").contains(&codes[0]));
    }

    #[test]
    fn usernames_are_checked() {
        assert!(check_username("alice.martin-2").is_ok());
        for bad in ["", "Alice", "-x", "a b", &"a".repeat(65)] {
            assert!(check_username(bad).is_err(), "{bad}");
        }
    }
}

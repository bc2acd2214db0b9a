//! Node keys, certificates, fingerprints, and cp247's key policy.

use std::fmt;
use std::io::Cursor;
use std::str::FromStr;

use jiff::{SignedDuration, Timestamp};
use pgp::composed::{
    ArmorOptions, Deserializable, KeyType, SignedKeyDetails, SignedPublicKey, SignedPublicSubKey,
    SignedSecretKey, SignedSecretSubKey,
};
use pgp::crypto::ecc_curve::ECCCurve;
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{
    Features, KeyFlags, PubKeyInner, PublicKey, PublicSubkey, SecretKey, SecretSubkey, Signature,
    SignatureConfig, SignatureType, SubpacketData, UserId,
};
use pgp::ser::Serialize as _;
use pgp::types::{
    CompressionAlgorithm, EcdhPublicParams, EcdsaPublicParams, EddsaLegacyPublicParams,
    KeyDetails as _, KeyVersion, Password, PublicParams, S2kParams, SignedUser, StringToKey, Tag,
};
use zeroize::Zeroizing;

use crate::error::{PolicyError, SealError};
use crate::util::{
    crypto, from_pgp_time, is_weak_hash, looks_armored, plus_secs, rng, subpacket, to_pgp_time,
};

/// The largest certificate cp247 reads (a node certificate is about 1 KiB).
pub const MAX_CERT_BYTES: usize = 64 * 1024;
/// The largest secret-key file cp247 reads.
pub const MAX_SECRET_KEY_BYTES: usize = 64 * 1024;
/// The largest detached signature cp247 reads.
pub const MAX_SIGNATURE_BYTES: usize = 16 * 1024;

/// Iteration count byte of the S2K that protects secret keys at rest: 0xFF, the maximum
/// (65 011 712 bytes hashed), GnuPG-compatible.
const S2K_COUNT: u8 = 0xFF;

/// A passphrase that protects a secret key at rest. Zeroized on drop; never printed.
#[derive(Clone)]
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    /// Wraps a passphrase read from a file or the environment.
    pub fn new(text: String) -> Self {
        Self(Zeroizing::new(text))
    }

    /// Whether the passphrase is empty (an empty passphrase does not protect anything).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn to_pgp(&self) -> Password {
        Password::from(self.0.as_str())
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// Why a text is not a [`Fingerprint`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not an OpenPGP v4 fingerprint: expected 40 hexadecimal digits")]
pub struct FingerprintError(String);

/// The fingerprint of a version 4 OpenPGP key (primary or subkey): 40 upper-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint([u8; 20]);

impl Fingerprint {
    /// Parses 40 hexadecimal digits (either case; printed in upper case).
    pub fn parse(text: &str) -> Result<Self, FingerprintError> {
        let err = || FingerprintError(text.chars().take(80).collect());
        if text.len() != 40 {
            return Err(err());
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(text, &mut out).map_err(|_| err())?;
        Ok(Self(out))
    }

    /// The 20 bytes.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    pub(crate) fn from_pgp(fp: &pgp::types::Fingerprint) -> Option<Self> {
        match fp {
            pgp::types::Fingerprint::V4(bytes) => Some(Self(*bytes)),
            _ => None,
        }
    }

    pub(crate) fn matches(&self, fp: &pgp::types::Fingerprint) -> bool {
        fp.as_bytes() == self.0
    }
}

/// The 64-bit key ID of a version 4 key: the last 8 bytes of its fingerprint, 16 upper-case hex
/// digits. A one-pass signature names its signer only by this ID, ahead of the signed data;
/// it is a hint for finding the key early, never a proof of who signed (the fingerprint in the
/// signature and the signature itself decide).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 8]);

impl KeyId {
    /// The 8 bytes.
    pub fn as_bytes(&self) -> &[u8; 8] {
        &self.0
    }

    pub(crate) fn from_pgp(id: &pgp::types::KeyId) -> Option<Self> {
        let bytes: [u8; 8] = id.as_ref().try_into().ok()?;
        Some(Self(bytes))
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode_upper(self.0))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

impl Fingerprint {
    /// The key ID of this (version 4) key: the fingerprint's last 8 bytes.
    pub fn key_id(&self) -> KeyId {
        let mut id = [0u8; 8];
        id.copy_from_slice(&self.0[12..]);
        KeyId(id)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode_upper(self.0))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl FromStr for Fingerprint {
    type Err = FingerprintError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for Fingerprint {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Fingerprint {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// A public certificate (transferable public key) of a node or of the directory authority.
#[derive(Clone)]
pub struct Cert {
    key: SignedPublicKey,
    fingerprint: Fingerprint,
    armored: String,
    /// Which self-signatures verify: computed once when the certificate is read, since the
    /// policy (which depends on the instant) consults them on every message.
    checks: SigChecks,
}

impl PartialEq for Cert {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for Cert {}

/// The outcome of every self-signature's cryptographic check (independent of time).
#[derive(Debug, Clone)]
struct SigChecks {
    /// Per key revocation signature: a valid revocation by the primary key.
    revocations: Vec<bool>,
    /// Per user id, per signature: a valid self-certification.
    users: Vec<Vec<bool>>,
    /// Per subkey, per signature: (valid binding or revocation, valid back-signature).
    subkeys: Vec<Vec<(bool, bool)>>,
}

impl SigChecks {
    fn compute(key: &SignedPublicKey) -> Self {
        let primary = &key.primary_key;
        let revocations = key
            .details
            .revocation_signatures
            .iter()
            .map(|sig| {
                sig.typ() == Some(SignatureType::KeyRevocation) && sig.verify_key(primary).is_ok()
            })
            .collect();
        let users = key
            .details
            .users
            .iter()
            .map(|user| {
                user.signatures
                    .iter()
                    .map(|sig| {
                        sig.is_certification()
                            && sig
                                .verify_certification(primary, Tag::UserId, &user.id)
                                .is_ok()
                    })
                    .collect()
            })
            .collect();
        let subkeys = key
            .public_subkeys
            .iter()
            .map(|sub| {
                sub.signatures
                    .iter()
                    .map(|sig| {
                        let valid = sig.verify_subkey_binding(primary, &sub.key).is_ok();
                        let back = valid
                            && sig.key_flags().sign()
                            && sig.embedded_signature().is_some_and(|b| {
                                b.verify_primary_key_binding(&sub.key, primary).is_ok()
                            });
                        (valid, back)
                    })
                    .collect()
            })
            .collect();
        Self {
            revocations,
            users,
            subkeys,
        }
    }
}

impl Cert {
    /// Reads an ASCII-armored certificate (at most [`MAX_CERT_BYTES`]). Exactly one key.
    pub fn from_armored(text: &str) -> Result<Cert, SealError> {
        if !looks_armored(text.as_bytes()) {
            return Err(SealError::InvalidCert(
                "expected an ASCII-armored 'BEGIN PGP PUBLIC KEY BLOCK'".into(),
            ));
        }
        Self::from_bytes(text.as_bytes())
    }

    /// Reads a certificate, armored or binary (at most [`MAX_CERT_BYTES`]). Exactly one key.
    pub fn from_bytes(bytes: &[u8]) -> Result<Cert, SealError> {
        if bytes.len() > MAX_CERT_BYTES {
            return Err(SealError::TooLarge {
                what: "certificate",
                actual: bytes.len(),
                limit: MAX_CERT_BYTES,
            });
        }
        let invalid = |e: pgp::errors::Error| SealError::InvalidCert(e.to_string());
        if bytes
            .windows(15)
            .filter(|w| *w == b"-----BEGIN PGP ")
            .count()
            > 1
        {
            return Err(SealError::InvalidCert(
                "expected exactly one armored block, found several".into(),
            ));
        }
        let mut keys: Vec<SignedPublicKey> = if looks_armored(bytes) {
            let (iter, _headers) =
                SignedPublicKey::from_armor_many(Cursor::new(bytes)).map_err(invalid)?;
            iter.take(2).collect::<Result<_, _>>().map_err(invalid)?
        } else {
            SignedPublicKey::from_bytes_many(Cursor::new(bytes))
                .map_err(invalid)?
                .take(2)
                .collect::<Result<_, _>>()
                .map_err(invalid)?
        };
        if keys.len() != 1 {
            return Err(SealError::InvalidCert(format!(
                "expected exactly one public key, found {}",
                if keys.is_empty() { "none" } else { "several" }
            )));
        }
        let key = keys.remove(0);
        Self::from_key(key)
    }

    pub(crate) fn from_key(key: SignedPublicKey) -> Result<Cert, SealError> {
        let version = key.primary_key.version();
        if version != KeyVersion::V4 {
            return Err(PolicyError::NotV4(u8::from(version)).into());
        }
        let fingerprint = Fingerprint::from_pgp(&key.primary_key.fingerprint())
            .ok_or(PolicyError::NotV4(u8::from(version)))?;
        let armored = key
            .to_armored_string(ArmorOptions::default())
            .map_err(|e| crypto("armoring a certificate", e))?;
        let checks = SigChecks::compute(&key);
        Ok(Cert {
            key,
            fingerprint,
            armored,
            checks,
        })
    }

    /// The certificate in ASCII armor.
    pub fn armored(&self) -> String {
        self.armored.clone()
    }

    /// The primary key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// Whether the primary key or one of the subkeys of this certificate has the key ID `id`.
    pub fn has_key_id(&self, id: &KeyId) -> bool {
        std::iter::once(self.key.primary_key.fingerprint())
            .chain(self.key.public_subkeys.iter().map(|s| s.key.fingerprint()))
            .filter_map(|fp| Fingerprint::from_pgp(&fp))
            .any(|fp| fp.key_id() == *id)
    }

    /// Whether `fp` is the primary key or one of the subkeys of this certificate.
    pub fn has_key(&self, fp: &Fingerprint) -> bool {
        fp.matches(&self.key.primary_key.fingerprint())
            || self
                .key
                .public_subkeys
                .iter()
                .any(|s| fp.matches(&s.key.fingerprint()))
    }

    /// The primary user id (the first valid one), for display.
    pub fn user_id(&self) -> Option<String> {
        self.key
            .details
            .users
            .first()
            .map(|u| String::from_utf8_lossy(u.id.id()).into_owned())
    }

    /// Checks cp247's key policy at instant `at` (see the crate documentation): v4, a
    /// certify-only primary key, valid self-signatures with strong hashes, a valid signing subkey
    /// with a back-signature, a valid encryption subkey, safe algorithm preferences, not
    /// expired, not revoked.
    pub fn check_policy(&self, at: Timestamp) -> Result<(), PolicyError> {
        self.analyze(at).map(|_| ())
    }

    /// When the primary key expires, according to its newest valid self-signature.
    pub fn expires_at(&self) -> Option<Timestamp> {
        let primary = &self.key.primary_key;
        newest_user_self_sig(&self.key, &self.checks, None)
            .and_then(|sig| sig.key_expiration_time())
            .filter(|d| d.as_secs() > 0)
            .map(|d| plus_secs(primary.created_at(), d.as_secs()))
    }

    pub(crate) fn pgp(&self) -> &SignedPublicKey {
        &self.key
    }

    /// Applies the policy at `at` and returns what the certificate may be used for.
    pub(crate) fn analyze(&self, at: Timestamp) -> Result<Analysis, PolicyError> {
        analyze(&self.key, &self.checks, self.fingerprint, at)
    }
}

impl fmt::Debug for Cert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cert({})", self.fingerprint)
    }
}

/// What the policy found a subkey usable for.
#[derive(Debug, Clone)]
pub(crate) struct SubkeyState {
    pub(crate) index: usize,
    pub(crate) fingerprint: Fingerprint,
    pub(crate) created: Timestamp,
    pub(crate) expires: Option<Timestamp>,
    pub(crate) flags: KeyFlags,
    pub(crate) revoked: bool,
    pub(crate) backsig_ok: bool,
}

impl SubkeyState {
    /// Usable for signing at `t`.
    pub(crate) fn can_sign_at(&self, t: Timestamp) -> bool {
        self.flags.sign() && self.backsig_ok && self.valid_at(t)
    }

    /// Usable for encryption at `t`.
    pub(crate) fn can_encrypt_at(&self, t: Timestamp) -> bool {
        (self.flags.encrypt_comms() || self.flags.encrypt_storage()) && self.valid_at(t)
    }

    pub(crate) fn valid_at(&self, t: Timestamp) -> bool {
        !self.revoked && self.created <= t && self.expires.is_none_or(|e| t < e)
    }
}

/// The result of applying the key policy.
#[derive(Debug, Clone)]
pub(crate) struct Analysis {
    pub(crate) primary_expires: Option<Timestamp>,
    pub(crate) subkeys: Vec<SubkeyState>,
}

impl Analysis {
    pub(crate) fn subkey(&self, fp: &Fingerprint) -> Option<&SubkeyState> {
        self.subkeys.iter().find(|s| &s.fingerprint == fp)
    }
}

fn pfp(key: &impl pgp::types::KeyDetails) -> Fingerprint {
    Fingerprint::from_pgp(&key.fingerprint()).unwrap_or(Fingerprint([0; 20]))
}

/// Checks an algorithm against the policy. `signing` says what the key is meant to do.
fn check_algorithm(key: &impl pgp::types::KeyDetails) -> Result<(), PolicyError> {
    let weak = |algorithm: String| PolicyError::WeakAlgorithm {
        fingerprint: pfp(key),
        algorithm,
    };
    match key.public_params() {
        PublicParams::EdDSALegacy(EddsaLegacyPublicParams::Ed25519 { .. })
        | PublicParams::Ed25519(_)
        | PublicParams::Ed448(_)
        | PublicParams::X25519(_)
        | PublicParams::X448(_) => Ok(()),
        PublicParams::ECDH(
            EcdhPublicParams::Curve25519Legacy { .. }
            | EcdhPublicParams::P256 { .. }
            | EcdhPublicParams::P384 { .. }
            | EcdhPublicParams::P521 { .. },
        ) => Ok(()),
        PublicParams::ECDSA(
            EcdsaPublicParams::P256 { .. }
            | EcdsaPublicParams::P384 { .. }
            | EcdsaPublicParams::P521 { .. },
        ) => Ok(()),
        PublicParams::RSA(_) => {
            // The serialised parameters start with the MPI of n: two bytes of bit length.
            let bytes = key.public_params().to_bytes().unwrap_or_default();
            let bits = match bytes.as_slice() {
                [hi, lo, ..] => u16::from_be_bytes([*hi, *lo]),
                _ => 0,
            };
            if bits >= 3072 {
                Ok(())
            } else {
                Err(weak(format!("RSA-{bits}")))
            }
        }
        PublicParams::DSA(_) => Err(weak("DSA".into())),
        PublicParams::Elgamal(_) => Err(weak("ElGamal".into())),
        _ => Err(weak(format!("{:?}", key.algorithm()))),
    }
}

fn check_hash(fp: Fingerprint, sig: &Signature) -> Result<(), PolicyError> {
    match sig.hash_alg() {
        Some(h) if !is_weak_hash(h) => Ok(()),
        Some(h) => Err(PolicyError::WeakHash {
            fingerprint: fp,
            hash: h.to_string(),
        }),
        None => Err(PolicyError::BadSelfSignature {
            fingerprint: fp,
            reason: "unknown signature version".into(),
        }),
    }
}

fn sig_created(sig: &Signature) -> Option<Timestamp> {
    sig.created().map(from_pgp_time)
}

/// The newest user-id self-signature that verifies (and was made at or before `at`, if given).
fn newest_user_self_sig<'a>(
    key: &'a SignedPublicKey,
    checks: &SigChecks,
    at: Option<Timestamp>,
) -> Option<&'a Signature> {
    let mut best: Option<&Signature> = None;
    for (user, valid) in key.details.users.iter().zip(&checks.users) {
        for (sig, ok) in user.signatures.iter().zip(valid) {
            let Some(created) = sig_created(sig) else {
                continue;
            };
            if !ok || at.is_some_and(|t| created > t) {
                continue;
            }
            if best.is_none_or(|b| sig_created(b).is_none_or(|bc| created > bc)) {
                best = Some(sig);
            }
        }
    }
    best
}

fn analyze(
    key: &SignedPublicKey,
    checks: &SigChecks,
    fingerprint: Fingerprint,
    at: Timestamp,
) -> Result<Analysis, PolicyError> {
    let primary = &key.primary_key;
    let version = primary.version();
    if version != KeyVersion::V4 {
        return Err(PolicyError::NotV4(u8::from(version)));
    }
    check_algorithm(primary)?;
    let created = from_pgp_time(primary.created_at());
    if created > at {
        return Err(PolicyError::NotYetValid {
            fingerprint,
            created,
        });
    }

    // Revocations of the whole key.
    if checks.revocations.iter().any(|ok| *ok) {
        return Err(PolicyError::Revoked(fingerprint));
    }

    // Every self-signature on a user id must use a strong hash.
    for user in &key.details.users {
        for sig in &user.signatures {
            if sig.is_certification()
                && sig
                    .issuer_fingerprint()
                    .iter()
                    .any(|f| fingerprint.matches(f))
            {
                check_hash(fingerprint, sig)?;
            }
        }
    }
    let self_sig =
        newest_user_self_sig(key, checks, Some(at)).ok_or(PolicyError::NoUserId(fingerprint))?;
    check_hash(fingerprint, self_sig)?;

    let flags = self_sig.key_flags();
    if !flags.certify() || flags.sign() || flags.encrypt_comms() || flags.encrypt_storage() {
        return Err(PolicyError::PrimaryNotCertifyOnly(fingerprint));
    }
    let primary_expires = self_sig
        .key_expiration_time()
        .filter(|d| d.as_secs() > 0)
        .map(|d| plus_secs(primary.created_at(), d.as_secs()));
    if let Some(exp) = primary_expires
        && at >= exp
    {
        return Err(PolicyError::Expired {
            fingerprint,
            at: exp,
        });
    }
    match self_sig.preferred_hash_algs().first() {
        Some(h) if !is_weak_hash(*h) => {}
        _ => {
            return Err(PolicyError::MissingPreferences {
                fingerprint,
                what: "preferred hash algorithms (SHA-512, SHA-256)",
            });
        }
    }
    match self_sig.preferred_symmetric_algs().first() {
        Some(
            SymmetricKeyAlgorithm::AES256
            | SymmetricKeyAlgorithm::AES192
            | SymmetricKeyAlgorithm::AES128,
        ) => {}
        _ => {
            return Err(PolicyError::MissingPreferences {
                fingerprint,
                what: "preferred symmetric algorithms (AES-256, AES-128)",
            });
        }
    }

    let mut subkeys = Vec::new();
    for (index, sub) in key.public_subkeys.iter().enumerate() {
        let sub_fp = pfp(&sub.key);
        check_algorithm(&sub.key)?;
        let sub_checks = checks.subkeys.get(index).map(Vec::as_slice).unwrap_or(&[]);
        let state = subkey_state(primary, sub, sub_checks, index, sub_fp, at)?;
        if let Some(state) = state {
            subkeys.push(state);
        }
    }
    let signer_expired = subkeys
        .iter()
        .filter(|s| s.flags.sign() && s.backsig_ok && !s.revoked)
        .find_map(|s| s.expires.filter(|e| at >= *e).map(|e| (s.fingerprint, e)));
    if !subkeys.iter().any(|s| s.can_sign_at(at)) {
        if let Some((fp, e)) = signer_expired {
            return Err(PolicyError::Expired {
                fingerprint: fp,
                at: e,
            });
        }
        return Err(PolicyError::NoSigningSubkey(fingerprint));
    }
    if !subkeys.iter().any(|s| s.can_encrypt_at(at)) {
        return Err(PolicyError::NoEncryptionSubkey(fingerprint));
    }
    Ok(Analysis {
        primary_expires,
        subkeys,
    })
}

/// The state of one subkey: `None` when it has no valid binding signature made by `at`.
fn subkey_state(
    primary: &PublicKey,
    sub: &SignedPublicSubKey,
    checks: &[(bool, bool)],
    index: usize,
    sub_fp: Fingerprint,
    at: Timestamp,
) -> Result<Option<SubkeyState>, PolicyError> {
    let primary_fp = pfp(primary);
    let mut binding: Option<(&Signature, bool)> = None;
    let mut revoked = false;
    for (sig, (valid, backsig)) in sub.signatures.iter().zip(checks) {
        if !valid {
            continue;
        }
        check_hash(primary_fp, sig)?;
        match sig.typ() {
            Some(SignatureType::SubkeyRevocation) => revoked = true,
            Some(SignatureType::SubkeyBinding) => {
                let Some(created) = sig_created(sig) else {
                    continue;
                };
                if created > at {
                    continue;
                }
                if binding.is_none_or(|(b, _)| sig_created(b).is_none_or(|bc| created > bc)) {
                    binding = Some((sig, *backsig));
                }
            }
            _ => {}
        }
    }
    let Some((binding, backsig_ok)) = binding else {
        return Ok(None);
    };
    let flags = binding.key_flags();
    if let Some(back) = binding.embedded_signature() {
        check_hash(sub_fp, back)?;
    }
    Ok(Some(SubkeyState {
        index,
        fingerprint: sub_fp,
        created: from_pgp_time(sub.key.created_at()),
        expires: binding
            .key_expiration_time()
            .filter(|d| d.as_secs() > 0)
            .map(|d| plus_secs(sub.key.created_at(), d.as_secs())),
        flags,
        revoked,
        backsig_ok,
    }))
}

/// A node's (or the directory authority's) secret key, unlocked in memory. `Debug` shows only
/// the fingerprint.
#[derive(Clone)]
pub struct NodeKey {
    secret: SignedSecretKey,
    cert: Cert,
}

impl NodeKey {
    /// Generates a key in cp247's profile: a v4 Ed25519 certify-only primary key, an Ed25519
    /// signing subkey (with back-signature) and a Curve25519 encryption subkey, preferences
    /// SHA-512/SHA-256, AES-256/AES-128, ZLIB/ZIP/uncompressed, features SEIPDv1. All
    /// packets and self-signatures are dated `created`; `validity`, when given, sets the
    /// expiry of the primary key and of both subkeys.
    pub fn generate(
        user_id: &str,
        created: Timestamp,
        validity: Option<SignedDuration>,
    ) -> Result<NodeKey, SealError> {
        if user_id.is_empty()
            || user_id.chars().count() > 256
            || user_id.chars().any(|c| c.is_control())
        {
            return Err(SealError::InvalidUserId);
        }
        let expiry = match validity {
            None => None,
            Some(v) => {
                let secs = v.as_secs();
                if !(86_400..=20 * 366 * 86_400).contains(&secs) {
                    return Err(SealError::InvalidValidity);
                }
                Some(pgp::types::Duration::from_secs(
                    u32::try_from(secs).map_err(|_| SealError::InvalidValidity)?,
                ))
            }
        };
        let t = to_pgp_time(created)?;
        let rng = rng();
        let pw = Password::empty();
        let gen_err = |e: pgp::errors::Error| crypto("generating a key", e);

        // Primary key: Ed25519 (legacy EdDSA), certify only.
        let (pub_params, sec_params) = KeyType::Ed25519Legacy.generate(rng).map_err(gen_err)?;
        let primary_pub = PublicKey::from_inner(
            PubKeyInner::new(
                KeyVersion::V4,
                PublicKeyAlgorithm::EdDSALegacy,
                t,
                None,
                pub_params,
            )
            .map_err(gen_err)?,
        )
        .map_err(gen_err)?;
        let primary = SecretKey::new(primary_pub, sec_params).map_err(gen_err)?;
        let primary_fp = primary.fingerprint();

        // User id with a positive self-certification carrying flags and preferences.
        let uid = UserId::from_str(Default::default(), user_id).map_err(gen_err)?;
        let mut certify = KeyFlags::default();
        certify.set_certify(true);
        let mut features = Features::default();
        features.set_seipd_v1(true);
        let mut hashed = vec![
            subpacket(SubpacketData::SignatureCreationTime(t))?,
            subpacket(SubpacketData::IssuerFingerprint(primary_fp.clone()))?,
            subpacket(SubpacketData::KeyFlags(certify))?,
            subpacket(SubpacketData::Features(features))?,
            subpacket(SubpacketData::PreferredSymmetricAlgorithms(
                [SymmetricKeyAlgorithm::AES256, SymmetricKeyAlgorithm::AES128]
                    .into_iter()
                    .collect(),
            ))?,
            subpacket(SubpacketData::PreferredHashAlgorithms(
                [HashAlgorithm::Sha512, HashAlgorithm::Sha256]
                    .into_iter()
                    .collect(),
            ))?,
            subpacket(SubpacketData::PreferredCompressionAlgorithms(
                [
                    CompressionAlgorithm::ZLIB,
                    CompressionAlgorithm::ZIP,
                    CompressionAlgorithm::Uncompressed,
                ]
                .into_iter()
                .collect(),
            ))?,
            subpacket(SubpacketData::IsPrimary(true))?,
        ];
        if let Some(d) = expiry {
            hashed.push(subpacket(SubpacketData::KeyExpirationTime(d))?);
        }
        let mut config = SignatureConfig::v4(
            SignatureType::CertPositive,
            PublicKeyAlgorithm::EdDSALegacy,
            HashAlgorithm::Sha512,
        );
        config.hashed_subpackets = hashed;
        config.unhashed_subpackets = vec![subpacket(SubpacketData::IssuerKeyId(
            primary.legacy_key_id(),
        ))?];
        let uid_sig = config
            .sign_certification(&primary, primary.public_key(), &pw, Tag::UserId, &uid)
            .map_err(gen_err)?;

        let signing = Self::generate_subkey(&primary, KeyType::Ed25519Legacy, true, t, expiry)?;
        let encryption = Self::generate_subkey(
            &primary,
            KeyType::ECDH(ECCCurve::Curve25519Legacy),
            false,
            t,
            expiry,
        )?;

        let details = SignedKeyDetails::new(
            Vec::new(),
            Vec::new(),
            vec![SignedUser::new(uid, vec![uid_sig])],
            Vec::new(),
        );
        let secret = SignedSecretKey::new(primary, details, Vec::new(), vec![signing, encryption]);
        secret
            .verify_bindings()
            .map_err(|e| crypto("checking a generated key", e))?;
        let key = Self::from_secret(secret)?;
        key.cert.check_policy(created)?;
        Ok(key)
    }

    fn generate_subkey(
        primary: &SecretKey,
        key_type: KeyType,
        sign: bool,
        t: pgp::types::Timestamp,
        expiry: Option<pgp::types::Duration>,
    ) -> Result<SignedSecretSubKey, SealError> {
        let rng = rng();
        let pw = Password::empty();
        let gen_err = |e: pgp::errors::Error| crypto("generating a subkey", e);
        let alg = key_type.to_alg();
        let (pub_params, sec_params) = key_type.generate(rng).map_err(gen_err)?;
        let sub_pub = PublicSubkey::from_inner(
            PubKeyInner::new(KeyVersion::V4, alg, t, None, pub_params).map_err(gen_err)?,
        )
        .map_err(gen_err)?;
        let sub = SecretSubkey::new(sub_pub, sec_params).map_err(gen_err)?;

        let mut flags = KeyFlags::default();
        let mut hashed = vec![
            subpacket(SubpacketData::SignatureCreationTime(t))?,
            subpacket(SubpacketData::IssuerFingerprint(primary.fingerprint()))?,
        ];
        if sign {
            flags.set_sign(true);
            // The back-signature: the subkey certifies that it belongs to this primary key.
            let mut back =
                SignatureConfig::v4(SignatureType::KeyBinding, alg, HashAlgorithm::Sha512);
            back.hashed_subpackets = vec![
                subpacket(SubpacketData::SignatureCreationTime(t))?,
                subpacket(SubpacketData::IssuerFingerprint(sub.fingerprint()))?,
            ];
            back.unhashed_subpackets =
                vec![subpacket(SubpacketData::IssuerKeyId(sub.legacy_key_id()))?];
            let backsig = back
                .sign_primary_key_binding(&sub, sub.public_key(), &pw, primary.public_key())
                .map_err(gen_err)?;
            hashed.push(subpacket(SubpacketData::EmbeddedSignature(Box::new(
                backsig,
            )))?);
        } else {
            flags.set_encrypt_comms(true);
            flags.set_encrypt_storage(true);
        }
        hashed.insert(2, subpacket(SubpacketData::KeyFlags(flags))?);
        if let Some(d) = expiry {
            hashed.push(subpacket(SubpacketData::KeyExpirationTime(d))?);
        }
        let mut config = SignatureConfig::v4(
            SignatureType::SubkeyBinding,
            PublicKeyAlgorithm::EdDSALegacy,
            HashAlgorithm::Sha512,
        );
        config.hashed_subpackets = hashed;
        config.unhashed_subpackets = vec![subpacket(SubpacketData::IssuerKeyId(
            primary.legacy_key_id(),
        ))?];
        let binding = config
            .sign_subkey_binding(primary, primary.public_key(), &pw, sub.public_key())
            .map_err(gen_err)?;
        Ok(SignedSecretSubKey::new(sub, vec![binding]))
    }

    fn from_secret(secret: SignedSecretKey) -> Result<NodeKey, SealError> {
        let cert = Cert::from_key(secret.to_public_key())?;
        Ok(NodeKey { secret, cert })
    }

    /// The secret key encrypted at rest with `pass` (S2K iterated and salted SHA-256 at the
    /// maximum count, AES-256), ASCII-armored. GnuPG can import it.
    pub fn to_locked_armored(&self, pass: &Passphrase) -> Result<String, SealError> {
        if pass.is_empty() {
            return Err(SealError::InvalidSecretKey(
                "an empty passphrase does not protect a key at rest".into(),
            ));
        }
        let pw = pass.to_pgp();
        let mut locked = self.secret.clone();
        let lock_err = |e: pgp::errors::Error| crypto("locking the secret key", e);
        locked
            .primary_key
            .set_password_with_s2k(&pw, s2k_params())
            .map_err(lock_err)?;
        for sub in &mut locked.secret_subkeys {
            sub.key
                .set_password_with_s2k(&pw, s2k_params())
                .map_err(lock_err)?;
        }
        locked
            .to_armored_string(ArmorOptions::default())
            .map_err(|e| crypto("armoring the secret key", e))
    }

    /// Reads a secret key written by [`NodeKey::to_locked_armored`] and unlocks it. A wrong
    /// passphrase gives [`SealError::WrongPassphrase`]; an unprotected key is refused.
    pub fn from_locked_armored(text: &str, pass: &Passphrase) -> Result<NodeKey, SealError> {
        if text.len() > MAX_SECRET_KEY_BYTES {
            return Err(SealError::TooLarge {
                what: "secret key",
                actual: text.len(),
                limit: MAX_SECRET_KEY_BYTES,
            });
        }
        let invalid = |e: pgp::errors::Error| SealError::InvalidSecretKey(e.to_string());
        let (mut secret, _) =
            SignedSecretKey::from_armor_single(Cursor::new(text.as_bytes())).map_err(invalid)?;
        secret.verify_bindings().map_err(invalid)?;
        let pw = pass.to_pgp();
        if !secret.primary_key.secret_params().is_encrypted()
            || secret
                .secret_subkeys
                .iter()
                .any(|s| !s.key.secret_params().is_encrypted())
        {
            return Err(SealError::InvalidSecretKey(
                "the key is not passphrase-protected; cp247 keeps secret keys encrypted at rest"
                    .into(),
            ));
        }
        secret
            .primary_key
            .remove_password(&pw)
            .map_err(|_| SealError::WrongPassphrase)?;
        for sub in &mut secret.secret_subkeys {
            sub.key
                .remove_password(&pw)
                .map_err(|_| SealError::WrongPassphrase)?;
        }
        Self::from_secret(secret)
    }

    /// The public certificate.
    pub fn cert(&self) -> Cert {
        self.cert.clone()
    }

    /// The primary key's fingerprint.
    pub fn fingerprint(&self) -> Fingerprint {
        self.cert.fingerprint
    }

    pub(crate) fn cert_ref(&self) -> &Cert {
        &self.cert
    }

    pub(crate) fn secret(&self) -> &SignedSecretKey {
        &self.secret
    }

    /// The newest signing subkey valid at `at`, as a secret subkey.
    pub(crate) fn signing_subkey(&self, at: Timestamp) -> Result<&SecretSubkey, SealError> {
        let analysis = self.cert.analyze(at)?;
        let state = analysis
            .subkeys
            .iter()
            .filter(|s| s.can_sign_at(at))
            .max_by_key(|s| s.created)
            .ok_or(PolicyError::NoSigningSubkey(self.cert.fingerprint))?;
        self.secret
            .secret_subkeys
            .iter()
            .map(|s| &s.key)
            .find(|k| state.fingerprint.matches(&k.fingerprint()))
            .ok_or_else(|| {
                SealError::InvalidSecretKey("the signing subkey has no secret part".into())
            })
    }
}

fn s2k_params() -> S2kParams {
    let mut rng = rng();
    let mut iv = vec![0u8; SymmetricKeyAlgorithm::AES256.block_size()];
    rand08::RngCore::fill_bytes(&mut rng, &mut iv);
    S2kParams::Cfb {
        sym_alg: SymmetricKeyAlgorithm::AES256,
        s2k: StringToKey::new_iterated(rng, HashAlgorithm::Sha256, S2K_COUNT),
        iv: iv.into(),
    }
}

impl fmt::Debug for NodeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeKey({}, secret: ***)", self.cert.fingerprint)
    }
}

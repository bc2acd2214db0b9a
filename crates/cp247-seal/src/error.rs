//! The errors of the seal crate. Messages say what is wrong and where, in a sentence, and never
//! contain secrets or case plaintext.

use jiff::Timestamp;

use crate::Fingerprint;
use crate::attachment::AttachmentError;

/// Why a certificate does not meet cp247's key policy (see the crate documentation).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    /// Only version 4 keys are accepted (GnuPG 2.2 reads neither v5 nor v6 keys).
    #[error(
        "the certificate's primary key is a version {0} key; cp247 accepts only version 4 keys"
    )]
    NotV4(u8),
    /// An algorithm outside the policy (DSA, ElGamal, RSA below 3072 bits, unknown curves).
    #[error("key {fingerprint} uses {algorithm}, which cp247's key policy refuses")]
    WeakAlgorithm {
        /// The offending (sub)key.
        fingerprint: Fingerprint,
        /// The algorithm, e.g. "DSA" or "RSA-2048".
        algorithm: String,
    },
    /// A self-signature uses SHA-1, MD5 or RIPEMD-160.
    #[error("a self-signature of key {fingerprint} uses the weak hash {hash}")]
    WeakHash {
        /// The key the signature belongs to.
        fingerprint: Fingerprint,
        /// The hash algorithm.
        hash: String,
    },
    /// A self-signature does not verify.
    #[error("a self-signature of key {fingerprint} does not verify: {reason}")]
    BadSelfSignature {
        /// The key the signature belongs to.
        fingerprint: Fingerprint,
        /// What failed.
        reason: String,
    },
    /// The certificate has no valid self-signed user id.
    #[error("the certificate {0} has no valid self-signed user id")]
    NoUserId(Fingerprint),
    /// The primary key carries flags other than certify (cp247's primary keys only certify).
    #[error(
        "the primary key {0} is not certify-only: cp247 signs with a signing subkey and encrypts to an encryption subkey"
    )]
    PrimaryNotCertifyOnly(Fingerprint),
    /// No valid subkey with the sign flag and a primary-key binding (back) signature.
    #[error("the certificate {0} has no valid signing subkey (sign flag and back-signature)")]
    NoSigningSubkey(Fingerprint),
    /// No valid subkey with an encryption flag.
    #[error("the certificate {0} has no valid encryption subkey")]
    NoEncryptionSubkey(Fingerprint),
    /// A subkey that signs has no sign flag.
    #[error("subkey {0} signed, but its binding signature does not give it the sign flag")]
    SigningKeyWithoutSignFlag(Fingerprint),
    /// Algorithm preference subpackets are missing or start with a weak choice.
    #[error(
        "the certificate {fingerprint} lacks safe algorithm preferences ({what}); without them peers fall back to SHA-1 or 3DES"
    )]
    MissingPreferences {
        /// The certificate.
        fingerprint: Fingerprint,
        /// Which list is missing or weak.
        what: &'static str,
    },
    /// The key or certificate has expired.
    #[error("the key {fingerprint} expired at {at}")]
    Expired {
        /// The key.
        fingerprint: Fingerprint,
        /// When it expired.
        at: Timestamp,
    },
    /// The key was created after the instant it is used at.
    #[error("the key {fingerprint} was created at {created}, after the instant it is used at")]
    NotYetValid {
        /// The key.
        fingerprint: Fingerprint,
        /// Its creation time.
        created: Timestamp,
    },
    /// The key carries a valid revocation signature.
    #[error("the key {0} has been revoked by its owner")]
    Revoked(Fingerprint),
}

/// Errors of key handling, signing, sealing and detached signatures.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The passphrase does not unlock the secret key.
    #[error("the passphrase does not unlock this secret key")]
    WrongPassphrase,
    /// The secret-key file is not usable.
    #[error("the secret key is not usable: {0}")]
    InvalidSecretKey(String),
    /// The certificate text is not an OpenPGP certificate.
    #[error("the certificate is not a readable OpenPGP public key: {0}")]
    InvalidCert(String),
    /// An input is larger than cp247 accepts.
    #[error("the {what} is {actual} bytes long; at most {limit} are accepted")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        actual: usize,
        /// The limit.
        limit: usize,
    },
    /// A certificate does not meet the key policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// An instant outside what OpenPGP can carry (1970 to 2106).
    #[error("the instant {0} cannot be written in OpenPGP (only 1970-01-01 to 2106-02-07)")]
    TimeOutOfRange(Timestamp),
    /// The header's created_at and the signing instant disagree.
    #[error(
        "the header's created_at ({created_at}) is more than {tolerance_secs} s away from the signing instant ({at})"
    )]
    CreatedAtMismatch {
        /// The header's instant.
        created_at: Timestamp,
        /// The signing instant.
        at: Timestamp,
        /// The tolerance.
        tolerance_secs: i64,
    },
    /// The user id is not acceptable.
    #[error("the user id must be 1 to 256 printable characters")]
    InvalidUserId,
    /// The validity period is not positive or too long.
    #[error("the key validity must be between one day and 20 years")]
    InvalidValidity,
    /// The armored signature is not a signature.
    #[error("the detached signature is not readable: {0}")]
    MalformedSignature(String),
    /// The signature was not made by a signing key of the given certificate.
    #[error(
        "the signature was made by key {signer}, which is not a signing key of certificate {cert}"
    )]
    WrongSigner {
        /// Issuer named in the signature (or "unknown").
        signer: String,
        /// The certificate that was expected to sign.
        cert: Fingerprint,
    },
    /// The signature uses a weak hash.
    #[error("the signature uses the weak hash {0}; cp247 accepts SHA-256 or stronger")]
    WeakHash(String),
    /// The signature's creation time lies after the instant it is checked at.
    #[error("the signature was made at {created}, later than the instant {at} it is checked at")]
    SignatureFromTheFuture {
        /// Signature creation time.
        created: Timestamp,
        /// Check instant.
        at: Timestamp,
    },
    /// The signature does not match the data.
    #[error("the signature does not match the data: the data or the signature was changed")]
    BadSignature,
    /// The receipt is inconsistent.
    #[error("the receipt is not valid: {0}")]
    InvalidReceipt(String),
    /// The payload cannot be serialised.
    #[error("the payload cannot be written as canonical JSON: {0}")]
    Payload(String),
    /// The attachments are over the limits.
    #[error("the attachments cannot be sealed: {0}")]
    Attachment(AttachmentError),
    /// The OpenPGP library failed while producing output.
    #[error("OpenPGP operation failed while {during}: {reason}")]
    Crypto {
        /// What was being done.
        during: &'static str,
        /// The library's reason (never contains key material or plaintext).
        reason: String,
    },
}

/// Why a sealed message or a receipt was refused. Each refusal is distinct and has a stable
/// [`OpenError::code`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// Larger than [`crate::Limits`] allows (sealed bytes, decompressed data or payload).
    #[error("the {what} is larger than the {limit} bytes cp247 accepts")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Not an OpenPGP message of the shape cp247 accepts.
    #[error("the message is malformed: {0}")]
    Malformed(String),
    /// No session key is encrypted to this node's key.
    #[error("the message is not encrypted to this node's key")]
    NotEncryptedToUs,
    /// The session key encrypted to us cannot be decrypted (modified or for another key).
    #[error("the session key addressed to this node cannot be decrypted: the message was modified")]
    SessionKeyUndecryptable,
    /// Encrypted without integrity protection (a legacy SED packet or no MDC).
    #[error(
        "the message is encrypted without integrity protection (legacy SED packet or no MDC); cp247 refuses such messages"
    )]
    NoIntegrityProtection,
    /// The integrity check (MDC or AEAD tag) failed.
    #[error("the integrity check of the encrypted data failed: the message was modified")]
    ModificationDetected,
    /// The message carries no signature.
    #[error("the message is not signed")]
    Unsigned,
    /// The signing key is not in the directory.
    #[error("the signing key {0} is not in the network directory")]
    UnknownSigner(String),
    /// The signing key belongs to another Party or contact point than the claimed sender.
    #[error("the signing key {signer} is listed for {owner}, not for the claimed sender {claimed}")]
    SignerNotListedForSender {
        /// The signing key.
        signer: Fingerprint,
        /// Its owner in the directory.
        owner: String,
        /// The sender the header claims.
        claimed: String,
    },
    /// The directory marks the signing key suspended.
    #[error("the signing key {signer} is suspended since {since}")]
    KeySuspended {
        /// The key.
        signer: Fingerprint,
        /// Since when.
        since: Timestamp,
    },
    /// The directory marks the signing key revoked, or the certificate carries a revocation.
    #[error("the signing key {signer} is revoked")]
    KeyRevoked {
        /// The key.
        signer: Fingerprint,
    },
    /// The signing key had expired (now or when it signed).
    #[error("the signing key {signer} expired at {at}")]
    KeyExpired {
        /// The key.
        signer: Fingerprint,
        /// When.
        at: Timestamp,
    },
    /// The signer's certificate breaks the key policy in another way.
    #[error("the signer's certificate breaks cp247's key policy: {0}")]
    KeyPolicy(PolicyError),
    /// The signature does not verify.
    #[error("the signature does not verify: the message was changed or not signed by {0}")]
    BadSignature(Fingerprint),
    /// The signature uses SHA-1, MD5 or RIPEMD-160.
    #[error("the signature uses the weak hash {0}; cp247 accepts SHA-256 or stronger")]
    WeakHash(String),
    /// The header's recipient is not this node.
    #[error("the message is addressed to {addressed}, not to this node ({me})")]
    RecipientNotUs {
        /// The header's recipient.
        addressed: String,
        /// This node.
        me: String,
    },
    /// Created more than the allowed skew in the future.
    #[error(
        "the message was created at {created}, more than {max_future_secs} s after now ({now})"
    )]
    FromTheFuture {
        /// The creation instant (signature or header).
        created: Timestamp,
        /// Now.
        now: Timestamp,
        /// The allowed skew.
        max_future_secs: i64,
    },
    /// Older than the maximum message age.
    #[error("the message was created at {created}, older than the maximum age of {max_age_secs} s")]
    TooOld {
        /// The creation instant.
        created: Timestamp,
        /// The maximum age.
        max_age_secs: i64,
    },
    /// The signature's creation time and the header's created_at disagree.
    #[error(
        "the signature time ({signed}) and the header's created_at ({created_at}) differ by more than {tolerance_secs} s"
    )]
    TimeMismatch {
        /// Signature creation time.
        signed: Timestamp,
        /// Header created_at.
        created_at: Timestamp,
        /// Tolerance.
        tolerance_secs: i64,
    },
    /// The signature carries an expiration time that has passed.
    #[error("the signature expired at {0}")]
    SignatureExpired(Timestamp),
    /// The payload is not a cp247 payload.
    #[error("the payload is not a valid cp247 payload: {0}")]
    Payload(String),
    /// The payload's attachments are over the limits, malformed, or do not match their size or
    /// SHA-256 (the code is the attachment's: `attachment_too_large`, `attachment_hash_mismatch`, …).
    #[error("the payload's attachments are refused: {0}")]
    Attachment(AttachmentError),
    /// The receipt does not match what was expected.
    #[error("the receipt does not match: {0}")]
    ReceiptMismatch(String),
    /// A version of the payload or receipt format that this node does not read (a newer
    /// writer, or one that ignored the protocol level this node advertises; ADR 0028). The
    /// text names the format marker and the versions read, never content.
    #[error("{0}")]
    UnsupportedVersion(String),
}

impl OpenError {
    /// A stable machine-readable code, for logs, the audit trail and protocol replies.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::TooLarge { .. } => "too_large",
            OpenError::Malformed(_) => "malformed",
            OpenError::NotEncryptedToUs => "not_encrypted_to_us",
            OpenError::SessionKeyUndecryptable => "session_key_undecryptable",
            OpenError::NoIntegrityProtection => "no_integrity_protection",
            OpenError::ModificationDetected => "modification_detected",
            OpenError::Unsigned => "unsigned",
            OpenError::UnknownSigner(_) => "unknown_signer",
            OpenError::SignerNotListedForSender { .. } => "signer_not_listed_for_sender",
            OpenError::KeySuspended { .. } => "key_suspended",
            OpenError::KeyRevoked { .. } => "key_revoked",
            OpenError::KeyExpired { .. } => "key_expired",
            OpenError::KeyPolicy(_) => "key_policy",
            OpenError::BadSignature(_) => "bad_signature",
            OpenError::WeakHash(_) => "weak_hash",
            OpenError::RecipientNotUs { .. } => "recipient_not_us",
            OpenError::FromTheFuture { .. } => "from_the_future",
            OpenError::TooOld { .. } => "too_old",
            OpenError::TimeMismatch { .. } => "time_mismatch",
            OpenError::SignatureExpired(_) => "signature_expired",
            OpenError::Payload(_) => "invalid_payload",
            OpenError::Attachment(e) => e.code(),
            OpenError::ReceiptMismatch(_) => "receipt_mismatch",
            OpenError::UnsupportedVersion(_) => "unsupported_version",
        }
    }
}

//! cp247's OpenPGP layer: node keys and the key policy, sealed messages, signed receipts and
//! detached signatures. This is the only crate that names the OpenPGP library (rPGP, crate
//! `pgp`); everything else uses the small typed API below.
//!
//! # API
//!
//! - Secrets: [`Passphrase`] (zeroized, `Debug` prints `Passphrase(***)`), [`NodeKey`]
//!   ([`NodeKey::generate`], [`NodeKey::to_locked_armored`], [`NodeKey::from_locked_armored`],
//!   [`NodeKey::cert`]).
//! - Public keys: [`Cert`] ([`Cert::from_armored`], [`Cert::from_bytes`], [`Cert::armored`],
//!   [`Cert::fingerprint`], [`Cert::has_key`], [`Cert::check_policy`], [`Cert::expires_at`]) and
//!   [`Fingerprint`] (40 upper-case hex digits).
//! - Detached signatures: [`sign_detached`], [`verify_detached`] → [`SignatureInfo`].
//! - Envelopes: [`Payload`] = [`Header`] + JSON body + [`Attachment`]s, as canonical JSON; [`seal`] →
//!   [`Sealed`]; [`open`] → [`Unverified`] → [`Unverified::verify`] → [`Verified`], against a
//!   [`KeyDirectory`] returning [`DirectoryKey`]s with a [`KeyStatus`]. Every refusal is an
//!   [`OpenError`] with a stable [`OpenError::code`].
//! - Receipts: [`Receipt`], [`sign_receipt`] → [`SignedReceipt`], [`verify_receipt`];
//!   [`read_receipt`] reads one already verified.
//! - PGP/MIME: [`seal_mime_entity`] signs and encrypts a MIME entity assembled elsewhere
//!   (RFC 3156 combined method), for e-mail-only contact points and encrypted alerts.
//!
//! # Key profile and policy
//!
//! [`NodeKey::generate`] makes a v4 certificate: an Ed25519 (legacy EdDSA) certify-only primary
//! key, an Ed25519 signing subkey with a primary-key binding (back) signature, and a Curve25519
//! (legacy ECDH) encryption subkey for communications and storage. The user-id self-signature
//! carries preferences SHA-512, SHA-256 / AES-256, AES-128 / ZLIB, ZIP, uncompressed and the
//! SEIPDv1 feature: without preferences GnuPG signs to the key with SHA-1. All packets and
//! self-signatures are dated with the `created` argument (cp247 reads time only from its
//! clock), and an optional validity sets the expiry of all three keys.
//!
//! [`Cert::check_policy`] accepts a certificate at an instant when: the primary key is v4 and
//! certify-only; every self-signature and binding uses SHA-256 or stronger (SHA-1, MD5,
//! RIPEMD-160 refused); algorithms are Ed25519/Ed448, X25519/X448, ECDSA/ECDH on Curve25519 or
//! NIST P-256/384/521, or RSA of at least 3072 bits (DSA, ElGamal, small RSA refused); a valid
//! user-id self-signature exists whose first preferred hash is strong and whose first preferred
//! cipher is AES; the key is not revoked, not expired and not created later than the instant;
//! at least one signing subkey with the sign flag and a valid back-signature, and one encryption
//! subkey, are valid at that instant. Keys made by GnuPG in the same shape
//! (`--quick-gen-key … ed25519 cert`, then `--quick-add-key … ed25519 sign` and
//! `… cv25519 encr`) pass.
//!
//! # Sealed messages
//!
//! The payload is canonical JSON (`{"body":…,"format":"cp247-envelope/1","header":{…}}`, keys
//! sorted by bytes, no whitespace; parsing refuses any other spelling, unknown fields and
//! duplicate keys). [`seal`] signs it (one-pass signature, binary, SHA-512, creation time = the
//! `at` argument, issuer fingerprint of the signing subkey) and encrypts it to the recipient and
//! to the sender itself: v3 PKESKs, SEIPDv1 with MDC, AES-256, no compression, ASCII armor —
//! what GnuPG 2.2 and RFC 9580 implementations both read.
//!
//! [`open`] reads at most [`Limits::max_sealed_bytes`], accepts exactly one SEIPD packet after
//! the session-key packets (a legacy SED packet is [`OpenError::NoIntegrityProtection`]),
//! decrypts our PKESK, checks the MDC before any plaintext is parsed
//! ([`OpenError::ModificationDetected`]; a SEIPD whose plaintext lacks the MDC packet fails
//! the same check, since its last 22 bytes are then read as a wrong MDC), allows one level of ZIP/ZLIB/BZip2 compression
//! bounded by the payload limit (zip bombs stop there), and accepts exactly one signature:
//! `[Compressed](OnePassSignature Literal Signature | Signature Literal)`. It refuses a weak
//! signature hash at once ([`OpenError::WeakHash`]).
//!
//! [`Unverified::verify`] then looks the signer up by its issuer fingerprint, and refuses in
//! this order: unknown signer; a key the directory lists for another contact point than the
//! header's sender; suspended or revoked (from the `since` instant on); a certificate that fails
//! the policy now (expired → [`OpenError::KeyExpired`]); a signing subkey that was not valid
//! when it signed; a bad signature; a signature time and header `created_at` further apart
//! than [`OpenPolicy::created_at_tolerance`] (one minute: both come from the sender's clock at
//! the same moment, so a larger gap means a forged or replayed header); a message created more
//! than [`OpenPolicy::max_future`] (5 min) ahead of now or older than
//! [`OpenPolicy::max_age`] (30 days); a header whose recipient is not us. Replays inside the
//! window are stopped by the node's permanent de-duplication on (sender, message id); retries
//! resend the same bytes.
//!
//! A changed byte anywhere in a sealed message either makes [`open`]/[`Unverified::verify`]
//! fail or opens to the byte-identical verified payload (some fields, such as another
//! recipient's key id or armor headers, are not integrity-protected by OpenPGP); the
//! `bit_flips` integration test checks every byte position of the binary form.
//!
//! # Attachments
//!
//! A payload may carry files ([`Attachment`]: a [`FileName`] — one name, no path separator,
//! no control or invisible formatting character, at most 255 bytes —, a [`MediaType`], the
//! bytes, their size and SHA-256). They are part of the canonical payload, so the signature
//! covers them: an optional `"attachments"` array, sorted first, each element
//! `{"content_base64","file_name","media_type","sha256","size"}` (standard base64 with
//! padding, lower-case hex). The key is omitted when there is no file, so a payload without
//! attachments — and its signature — is byte-identical to what cp247 sealed before attachments
//! existed; an empty array is not canonical and is refused.
//!
//! Parsing checks, in this order and before decoding any content: the number of files and
//! their declared sizes against [`AttachmentLimits`] (default 20 files, 8 MiB each, 16 MiB
//! together; [`Limits::attachments`]), and each declared size against its base64 length;
//! then each name, media type, base64 text (strict: no white space, no non-zero trailing
//! bits), size and SHA-256. Every refusal is an [`AttachmentError`] with a stable code
//! (`too_many_attachments`, `attachment_too_large`, `attachments_too_large`,
//! `invalid_file_name`, `invalid_media_type`, `invalid_base64`, `attachment_size_mismatch`,
//! `invalid_attachment_hash`, `attachment_hash_mismatch`) and a field path
//! (`attachments[2].content_base64`); [`open`] returns it as [`OpenError::Attachment`]. The
//! sealed and payload bounds of [`Limits`] grow by exactly what the attachment limits allow
//! ([`Limits::with_attachments`], [`AttachmentLimits::payload_allowance`],
//! [`AttachmentLimits::sealed_allowance`]). [`seal_with_limits`] refuses to seal what the
//! sender's own limits would refuse. [`Payload::canonical_json_without_attachments`] is the
//! header and body alone, which a node keeps readable next to the files it stores apart.
//!
//! # Receipts
//!
//! A [`Receipt`] (message id, SHA-256 of the exact sealed bytes, received_at, receiver, sender,
//! optional audit head) is canonical JSON (`"format":"cp247-receipt/1"`), signed (not
//! encrypted) by the receiver. [`verify_receipt`] checks it against the directory like a message
//! signature, without a maximum age (receipts are evidence kept for years).
//!
//! # Versions
//!
//! Each format carries its version in its `format` member; what each protocol level reads is
//! the table `cp247_domain::protocol::LEVELS` (ADR 0028). A receipt that states `ack_due` is
//! `cp247-receipt/2`, any other `cp247-receipt/1` (the lowest version that carries the content,
//! so a receipt without it is byte-identical to what every node wrote before);
//! [`Receipt::for_reader`] leaves out what the sender's level cannot read, and
//! [`verify_receipt_at`] refuses a version the reader's level does not read. A later version
//! of either format is [`OpenError::UnsupportedVersion`] (`unsupported_version`), recognised by
//! its marker before its fields are examined.
//!
//! # Secrets at rest
//!
//! [`NodeKey::to_locked_armored`] protects every secret key packet with S2K iterated and salted
//! SHA-256 at the maximum count and AES-256 (S2K usage 254 with SHA-1 checksum, which GnuPG
//! reads, so an operator can recover a key with standard tools). An unprotected key file is
//! refused by [`NodeKey::from_locked_armored`]; a wrong passphrase is
//! [`SealError::WrongPassphrase`]. [`Passphrase`], [`NodeKey`] and payload types redact their
//! `Debug` output.
//!
//! # Cost
//!
//! `cargo bench -p cp247-seal` (criterion, release) seals and opens+verifies a message whose
//! canonical payload is exactly 4 KiB. Measured on the shared 2-core build machine while other
//! builds ran (load average about 16): **seal 2.6 ms** (2.46–2.82 ms, ~380 msg/s) and
//! **open + verify 1.85 ms** (1.77–1.93 ms, ~540 msg/s). On an idle machine rPGP alone does
//! the same work in 0.15–0.2 ms (STACK.md §1.3); either figure is far above any plausible rate
//! of messages between contact points. Each certificate's self-signatures are verified once,
//! when it is read; the time-dependent policy then reuses the results.
#![warn(missing_docs)]

mod attachment;
mod detached;
mod directory;
mod envelope;
mod error;
mod key;
mod message;
mod mime;
mod payload;
mod receipt;
mod util;

#[cfg(feature = "fuzzing")]
mod fuzzing;
#[cfg(feature = "testing")]
pub mod testing;

pub use attachment::{
    ATTACHMENT_JSON_OVERHEAD, Attachment, AttachmentError, AttachmentLimits,
    DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENTS, DEFAULT_MAX_ATTACHMENTS_TOTAL_BYTES,
    FileName, FileNameError, MAX_FILE_NAME_BYTES, MediaType, MediaTypeError, armored_growth,
    base64_decoded_len, base64_len, decode_base64,
};
pub use detached::{MAX_SIGNATURE_FUTURE, SignatureInfo, sign_detached, verify_detached};
pub use directory::{DirectoryKey, KeyDirectory, KeyStatus};
pub use envelope::{
    CREATED_AT_TOLERANCE, DEFAULT_MAX_SEALED_BYTES, Limits, OpenPolicy, Sealed, Unverified,
    Verified, open, open_listed, seal, seal_with_limits,
};
pub use error::{OpenError, PolicyError, SealError};
pub use key::{
    Cert, Fingerprint, FingerprintError, KeyId, MAX_CERT_BYTES, MAX_SECRET_KEY_BYTES,
    MAX_SIGNATURE_BYTES, NodeKey, Passphrase,
};
pub use mime::{MAX_MIME_ENTITY_BYTES, seal_mime_entity};
pub use payload::{
    DEFAULT_MAX_PAYLOAD_BYTES, Handling, Header, MessageType, MessageTypeError, PAYLOAD_FORMAT,
    Payload, PayloadError, TlpMarking,
};
pub use receipt::{
    MAX_RECEIPT_BYTES, RECEIPT_FORMAT, RECEIPT_FORMAT_V2, Receipt, SignedReceipt, read_receipt,
    receipt_signer, sign_receipt, verify_receipt, verify_receipt_at,
};

#[cfg(feature = "fuzzing")]
pub use fuzzing::{
    FUZZ_KEY_PASSPHRASE, fuzz_cert, fuzz_detached, fuzz_open, fuzz_open_verify, fuzz_payload,
    fuzz_receipt, fuzz_seeds, split_at_nul,
};

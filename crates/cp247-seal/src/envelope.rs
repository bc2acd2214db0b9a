//! Sealed messages: sign then encrypt ([`seal`]); bytes → [`Unverified`] → [`Verified`] ([`open`]).

use std::fmt;

use cp247_domain::Address;
use jiff::{SignedDuration, Timestamp};
use pgp::composed::{ArmorOptions, MessageBuilder, PlainSessionKey, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::{
    Packet, PublicKeyEncryptedSessionKey, SubpacketData, SymEncryptedProtectedData,
    SymEncryptedProtectedDataConfig,
};
use pgp::types::{DecryptionKey as _, EskType, KeyDetails as _, Password, PkeskVersion};
use sha2::{Digest, Sha256};

use crate::attachment::AttachmentLimits;
use crate::directory::KeyDirectory;
use crate::error::{OpenError, PolicyError, SealError};
use crate::key::{Cert, Fingerprint, NodeKey};
use crate::message::{
    SignedContent, check_signer, dearmor, packets, read_signed, read_signed_listed,
    verify_signature_only,
};
use crate::payload::{DEFAULT_MAX_PAYLOAD_BYTES, Header, Payload, PayloadError};
use crate::util::{crypto, rng, subpacket, to_pgp_time};

/// How far apart the header's created_at and the signature's creation time may be, in seal and
/// in verify: one minute. Both come from the sender's clock at the same moment.
pub const CREATED_AT_TOLERANCE: SignedDuration = SignedDuration::from_secs(60);

/// The largest sealed message without attachments accepted by default: 16 MiB.
pub const DEFAULT_MAX_SEALED_BYTES: usize = 16 * 1024 * 1024;

/// Size bounds applied by [`open`] (and by [`seal_with_limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest sealed message (armored or binary) accepted, in bytes, attachments
    /// included. Default 16 MiB plus the attachments' [`AttachmentLimits::sealed_allowance`].
    pub max_sealed_bytes: usize,
    /// The largest payload (canonical JSON), also the bound on decompression. Default 8 MiB
    /// plus the attachments' [`AttachmentLimits::payload_allowance`].
    pub max_payload_bytes: usize,
    /// The most packets read at one level of a message. Default 64.
    pub max_packets: usize,
    /// The bounds on attachments (count, per file, total), checked on the declared sizes
    /// before any content is decoded. Default 20 files, 8 MiB each, 16 MiB together.
    pub attachments: AttachmentLimits,
}

impl Default for Limits {
    fn default() -> Self {
        Self::with_attachments(DEFAULT_MAX_SEALED_BYTES, AttachmentLimits::default())
    }
}

impl Limits {
    /// Limits for messages of at most `max_sealed_without_attachments` bytes before
    /// attachments, carrying attachments within `attachments`: the sealed and payload bounds
    /// grow by exactly what such attachments can add, so a message within every limit is
    /// never refused for its size.
    pub fn with_attachments(
        max_sealed_without_attachments: usize,
        attachments: AttachmentLimits,
    ) -> Self {
        Self {
            max_sealed_bytes: max_sealed_without_attachments
                .saturating_add(attachments.sealed_allowance()),
            max_payload_bytes: DEFAULT_MAX_PAYLOAD_BYTES
                .saturating_add(attachments.payload_allowance()),
            max_packets: 64,
            attachments,
        }
    }
}

/// Time rules applied by [`Unverified::verify`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenPolicy {
    /// Messages older than this are refused (default 30 days).
    pub max_age: SignedDuration,
    /// Messages created further in the future than this are refused (default 5 minutes).
    pub max_future: SignedDuration,
    /// The largest allowed difference between signature time and header created_at
    /// (default [`CREATED_AT_TOLERANCE`]).
    pub created_at_tolerance: SignedDuration,
}

impl Default for OpenPolicy {
    fn default() -> Self {
        Self {
            max_age: SignedDuration::from_hours(30 * 24),
            max_future: SignedDuration::from_mins(5),
            created_at_tolerance: CREATED_AT_TOLERANCE,
        }
    }
}

/// The exact bytes of a sealed message (ASCII armor), kept as evidence.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    bytes: Vec<u8>,
}

impl Sealed {
    /// Wraps stored sealed bytes (e.g. from the outbox, to resend the same bytes). Nothing is
    /// checked: opening is what verifies.
    pub fn from_stored(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes, consumed.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// SHA-256 of the exact bytes (what receipts acknowledge).
    pub fn sha256(&self) -> [u8; 32] {
        Sha256::digest(&self.bytes).into()
    }

    /// SHA-256 of the exact bytes, lower-case hex.
    pub fn sha256_hex(&self) -> String {
        hex::encode(self.sha256())
    }
}

impl fmt::Debug for Sealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Sealed({} bytes, sha256 {})",
            self.bytes.len(),
            self.sha256_hex()
        )
    }
}

/// Signs `payload` with the sender's signing subkey (SHA-512, signature dated `at`), then
/// encrypts it to the recipient's encryption subkey and to the sender's own (so its archive can
/// read it): v4 PKESKs, SEIPDv1 with MDC, AES-256, ASCII armor. `payload.header.created_at` must
/// be within [`CREATED_AT_TOLERANCE`] of `at`; both certificates must pass the policy at `at`.
pub fn seal(
    payload: &Payload,
    sender: &NodeKey,
    recipient: &Cert,
    at: Timestamp,
) -> Result<Sealed, SealError> {
    seal_with_limits(payload, sender, recipient, at, &Limits::default())
}

/// [`seal`] within `limits`: the attachments within [`Limits::attachments`], the canonical
/// payload within [`Limits::max_payload_bytes`] — what the sender's own node would accept.
pub fn seal_with_limits(
    payload: &Payload,
    sender: &NodeKey,
    recipient: &Cert,
    at: Timestamp,
    limits: &Limits,
) -> Result<Sealed, SealError> {
    let sizes: Vec<u64> = payload.attachments.iter().map(|a| a.size()).collect();
    limits
        .attachments
        .check_sizes(&sizes)
        .map_err(SealError::Attachment)?;
    let created_at = payload.header.created_at.timestamp();
    if created_at.duration_since(at).abs() > CREATED_AT_TOLERANCE {
        return Err(SealError::CreatedAtMismatch {
            created_at,
            at,
            tolerance_secs: CREATED_AT_TOLERANCE.as_secs(),
        });
    }
    let bytes = payload.canonical_json();
    if bytes.len() > limits.max_payload_bytes {
        return Err(SealError::TooLarge {
            what: "payload",
            actual: bytes.len(),
            limit: limits.max_payload_bytes,
        });
    }
    let signing = sender.signing_subkey(at)?;
    let to_them = encryption_subkey(recipient, at)?;
    let to_us = encryption_subkey(sender.cert_ref(), at)?;

    let mut rng = rng();
    let mut builder =
        MessageBuilder::from_bytes("", bytes).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    builder
        .encrypt_to_key(&mut rng, to_them)
        .map_err(|e| crypto("encrypting to the recipient", e))?;
    if to_us.fingerprint() != to_them.fingerprint() {
        builder
            .encrypt_to_key(&mut rng, to_us)
            .map_err(|e| crypto("encrypting to the sender's archive", e))?;
    }
    let hashed = vec![
        subpacket(SubpacketData::SignatureCreationTime(to_pgp_time(at)?))?,
        subpacket(SubpacketData::IssuerFingerprint(signing.fingerprint()))?,
    ];
    let unhashed = vec![subpacket(SubpacketData::IssuerKeyId(
        signing.legacy_key_id(),
    ))?];
    builder.sign_with_subpackets(
        signing,
        Password::empty(),
        HashAlgorithm::Sha512,
        SubpacketConfig::UserDefined { hashed, unhashed },
    );
    let armored = builder
        .to_armored_string(rng, ArmorOptions::default())
        .map_err(|e| crypto("sealing a message", e))?;
    Ok(Sealed {
        bytes: armored.into_bytes(),
    })
}

/// The newest encryption subkey of `cert` valid at `at`.
pub(crate) fn encryption_subkey(
    cert: &Cert,
    at: Timestamp,
) -> Result<&pgp::packet::PublicSubkey, SealError> {
    let analysis = cert.analyze(at)?;
    let state = analysis
        .subkeys
        .iter()
        .filter(|s| s.can_encrypt_at(at))
        .max_by_key(|s| s.created)
        .ok_or(PolicyError::NoEncryptionSubkey(cert.fingerprint()))?;
    cert.pgp()
        .public_subkeys
        .get(state.index)
        .map(|s| &s.key)
        .ok_or(SealError::Policy(PolicyError::NoEncryptionSubkey(
            cert.fingerprint(),
        )))
}

/// A decrypted message whose signature and claims have not been checked yet. It gives the
/// claimed header (to find the expected sender) but no access to the body.
#[derive(Clone)]
pub struct Unverified {
    payload: Payload,
    content: SignedContent,
    sealed_sha256: [u8; 32],
}

impl fmt::Debug for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Unverified")
            .field("claimed_header", &self.payload.header)
            .field("signer", &self.content.signer)
            .finish_non_exhaustive()
    }
}

/// A message whose signature, signer, sender, recipient and age have been checked. Only
/// [`Unverified::verify`] makes one.
#[derive(Clone)]
pub struct Verified {
    payload: Payload,
    signer: Fingerprint,
    signed_at: Timestamp,
    sealed_sha256: [u8; 32],
}

impl fmt::Debug for Verified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verified")
            .field("header", &self.payload.header)
            .field("signer", &self.signer)
            .finish_non_exhaustive()
    }
}

/// Opens sealed bytes addressed to `me`: bounded size, dearmor, exactly one SEIPD packet (SED
/// refused), our PKESK decrypted, MDC checked before any plaintext is used, at most one level of
/// compression (bounded), one signature with a strong hash, canonical payload. No trust
/// decision is made here: see [`Unverified::verify`].
///
/// This reads the whole (bounded) payload whoever signed it: it is for bytes the node already
/// trusts to come from a peer (its own archive, a file an operator opens). Messages from the
/// network go through [`open_listed`], which refuses a stranger before inflating anything.
pub fn open(bytes: &[u8], me: &NodeKey, limits: &Limits) -> Result<Unverified, OpenError> {
    open_inner(bytes, me, limits, None)
}

/// [`open`] for a message from the network: the signer must be in `dir` before anything
/// expensive is done. After decryption (bounded by [`Limits::max_sealed_bytes`]) the first
/// packet — inflated from the compressed data a few bytes at a time, if the message is
/// compressed — must name the signer: a one-pass signature whose key ID `dir` lists
/// ([`KeyDirectory::lists_key_id`]), or a signature whose issuer fingerprint it lists. An
/// unlisted signer is [`OpenError::UnknownSigner`] before the data is inflated or read;
/// literal data before any signer is [`OpenError::Unsigned`]. Once the (bounded) data is
/// read, the signature's fingerprint must be the announced key, listed, and the signature
/// must verify over the data before the payload's JSON is parsed. [`Unverified::verify`]
/// then makes the full trust decision as after [`open`].
pub fn open_listed(
    bytes: &[u8],
    me: &NodeKey,
    limits: &Limits,
    dir: &dyn KeyDirectory,
) -> Result<Unverified, OpenError> {
    open_inner(bytes, me, limits, Some(dir))
}

fn open_inner(
    bytes: &[u8],
    me: &NodeKey,
    limits: &Limits,
    gate: Option<&dyn KeyDirectory>,
) -> Result<Unverified, OpenError> {
    if bytes.len() > limits.max_sealed_bytes {
        return Err(OpenError::TooLarge {
            what: "sealed message",
            limit: limits.max_sealed_bytes,
        });
    }
    let sealed_sha256: [u8; 32] = Sha256::digest(bytes).into();
    let binary = dearmor(bytes, "MESSAGE", limits.max_sealed_bytes)?;
    let outer = packets(&binary, limits.max_packets)?;
    drop(binary);

    let mut pkesks: Vec<PublicKeyEncryptedSessionKey> = Vec::new();
    let mut edata: Option<SymEncryptedProtectedData> = None;
    for p in outer {
        if edata.is_some() && !matches!(p, Packet::Marker(_) | Packet::Padding(_)) {
            return Err(OpenError::Malformed(
                "packets after the encrypted data".into(),
            ));
        }
        match p {
            Packet::PublicKeyEncryptedSessionKey(k) => pkesks.push(k),
            Packet::SymKeyEncryptedSessionKey(_) | Packet::Marker(_) | Packet::Padding(_) => {}
            Packet::SymEncryptedProtectedData(d) => edata = Some(d),
            Packet::SymEncryptedData(_) => return Err(OpenError::NoIntegrityProtection),
            Packet::GnupgAeadData(_) => {
                return Err(OpenError::Malformed(
                    "GnuPG's non-standard OCB packet; cp247 expects SEIPD".into(),
                ));
            }
            Packet::LiteralData(_)
            | Packet::Signature(_)
            | Packet::OnePassSignature(_)
            | Packet::CompressedData(_) => {
                return Err(OpenError::Malformed(
                    "the message is not encrypted; cp247 accepts only sealed messages".into(),
                ));
            }
            other => {
                return Err(OpenError::Malformed(format!(
                    "unexpected {:?} packet in a message",
                    pgp::packet::PacketTrait::tag(&other)
                )));
            }
        }
    }
    let Some(edata) = edata else {
        return Err(OpenError::Malformed(
            "no encrypted data in the message".into(),
        ));
    };
    let session_key = find_session_key(&pkesks, me)?;
    let plaintext = decrypt(&edata, &session_key, limits)?;
    drop(edata);
    let content = match gate {
        None => read_signed(
            &plaintext,
            limits.max_payload_bytes,
            limits.max_packets,
            true,
        )?,
        Some(dir) => {
            let content = read_signed_listed(
                &plaintext,
                limits.max_payload_bytes,
                limits.max_packets,
                dir,
            )?;
            // The JSON parser runs only on data a listed key signed.
            verify_signature_only(dir, &content)?;
            content
        }
    };
    drop(plaintext);
    let payload = Payload::from_canonical_json_with(
        &content.data,
        limits.max_payload_bytes,
        &limits.attachments,
    )
    .map_err(|e| match e {
        PayloadError::TooLarge { limit, .. } => OpenError::TooLarge {
            what: "payload",
            limit,
        },
        PayloadError::Attachment(e) => OpenError::Attachment(e),
        PayloadError::UnsupportedVersion(e) => OpenError::UnsupportedVersion(e.to_string()),
        other => OpenError::Payload(other.to_string()),
    })?;
    Ok(Unverified {
        payload,
        content,
        sealed_sha256,
    })
}

fn find_session_key(
    pkesks: &[PublicKeyEncryptedSessionKey],
    me: &NodeKey,
) -> Result<PlainSessionKey, OpenError> {
    let mut matched = false;
    for pkesk in pkesks {
        let typ = match pkesk.version() {
            PkeskVersion::V3 => EskType::V3_4,
            PkeskVersion::V6 => EskType::V6,
            PkeskVersion::Other(_) => continue,
        };
        let Ok(values) = pkesk.values() else {
            continue;
        };
        for sub in &me.secret().secret_subkeys {
            if !sub.key.algorithm().can_encrypt() || !pkesk.match_identity(sub.key.public_key()) {
                continue;
            }
            matched = true;
            if let Ok(Ok(key)) = sub.key.decrypt(&Password::empty(), values, typ) {
                return Ok(key);
            }
        }
    }
    if matched {
        Err(OpenError::SessionKeyUndecryptable)
    } else {
        Err(OpenError::NotEncryptedToUs)
    }
}

fn decrypt(
    edata: &SymEncryptedProtectedData,
    session_key: &PlainSessionKey,
    limits: &Limits,
) -> Result<Vec<u8>, OpenError> {
    let mode = pgp::types::Seipdv1ReadMode::CheckFirst {
        max_message_size: limits.max_sealed_bytes,
    };
    let (key, sym_alg): (&[u8], Option<SymmetricKeyAlgorithm>) = match (edata.config(), session_key)
    {
        (SymEncryptedProtectedDataConfig::V1, PlainSessionKey::V3_4 { sym_alg, key }) => {
            (key.as_ref(), Some(*sym_alg))
        }
        (SymEncryptedProtectedDataConfig::V2 { sym_alg, .. }, PlainSessionKey::V6 { key }) => {
            (key.as_ref(), Some(*sym_alg))
        }
        _ => {
            return Err(OpenError::Malformed(
                "the session key does not fit the encrypted data's version".into(),
            ));
        }
    };
    if let Some(alg) = sym_alg
        && !matches!(
            alg,
            SymmetricKeyAlgorithm::AES128
                | SymmetricKeyAlgorithm::AES192
                | SymmetricKeyAlgorithm::AES256
        )
    {
        return Err(OpenError::Malformed(format!(
            "the message is encrypted with {alg:?}; cp247 accepts AES only"
        )));
    }
    edata
        .decrypt(key, sym_alg, mode)
        .map_err(|_| OpenError::ModificationDetected)
}

impl Unverified {
    /// The header as the (unauthenticated) sender claims it.
    pub fn claimed_header(&self) -> &Header {
        &self.payload.header
    }

    /// The fingerprint the signature names (a claim until verified).
    pub fn claimed_signer(&self) -> Fingerprint {
        self.content.signer
    }

    /// SHA-256 of the exact sealed bytes that were opened.
    pub fn sealed_sha256(&self) -> [u8; 32] {
        self.sealed_sha256
    }

    /// The trust decision. Refuses, each with its own [`OpenError`]: a signer the directory
    /// does not list; a signer listed for another Party or contact point than the claimed
    /// sender; a suspended, revoked or expired key; a key that breaks the policy; a bad
    /// signature; signature time and created_at further apart than the tolerance; a message
    /// from the future or older than the maximum age; a header addressed to someone other than
    /// `me`.
    pub fn verify(
        self,
        dir: &dyn KeyDirectory,
        me: &Address,
        now: Timestamp,
        policy: &OpenPolicy,
    ) -> Result<Verified, OpenError> {
        let header = &self.payload.header;
        check_signer(dir, &self.content, &header.sender, now)?;
        check_times(
            self.content.signed_at,
            header.created_at.timestamp(),
            now,
            policy,
        )?;
        if header.recipient != *me {
            return Err(OpenError::RecipientNotUs {
                addressed: header.recipient.to_string(),
                me: me.to_string(),
            });
        }
        Ok(Verified {
            signer: self.content.signer,
            signed_at: self.content.signed_at,
            sealed_sha256: self.sealed_sha256,
            payload: self.payload,
        })
    }
}

/// The time rules shared by messages and receipts.
pub(crate) fn check_times(
    signed: Timestamp,
    created_at: Timestamp,
    now: Timestamp,
    policy: &OpenPolicy,
) -> Result<(), OpenError> {
    if signed.duration_since(created_at).abs() > policy.created_at_tolerance {
        return Err(OpenError::TimeMismatch {
            signed,
            created_at,
            tolerance_secs: policy.created_at_tolerance.as_secs(),
        });
    }
    let latest = signed.max(created_at);
    if latest.duration_since(now) > policy.max_future {
        return Err(OpenError::FromTheFuture {
            created: latest,
            now,
            max_future_secs: policy.max_future.as_secs(),
        });
    }
    let earliest = signed.min(created_at);
    if now.duration_since(earliest) > policy.max_age {
        return Err(OpenError::TooOld {
            created: earliest,
            max_age_secs: policy.max_age.as_secs(),
        });
    }
    Ok(())
}

impl Verified {
    /// The verified header.
    pub fn header(&self) -> &Header {
        &self.payload.header
    }

    /// The body (a forms document or reply).
    pub fn body(&self) -> &serde_json::Value {
        &self.payload.body
    }

    /// The whole payload.
    pub fn payload(&self) -> &Payload {
        &self.payload
    }

    /// The payload, consumed.
    pub fn into_payload(self) -> Payload {
        self.payload
    }

    /// The verified sender: the directory lists the signing key for this contact point.
    pub fn sender(&self) -> Address {
        self.payload.header.sender
    }

    /// The signing (sub)key's fingerprint.
    pub fn signer(&self) -> Fingerprint {
        self.signer
    }

    /// When the signature was made.
    pub fn signed_at(&self) -> Timestamp {
        self.signed_at
    }

    /// SHA-256 of the exact sealed bytes (what the receipt acknowledges).
    pub fn sealed_sha256(&self) -> [u8; 32] {
        self.sealed_sha256
    }

    /// The canonical JSON the sender signed.
    pub fn canonical_json(&self) -> Vec<u8> {
        self.payload.canonical_json()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use cp247_domain::{Instant, MessageId, PartyCode, TicketId, Urgency};
    use proptest::prelude::*;

    use super::*;
    use crate::directory::{DirectoryKey, KeyStatus};
    use crate::payload::{Handling, MessageType};

    struct Fixture {
        fr: NodeKey,
        md: NodeKey,
        dir: Vec<DirectoryKey>,
        sealed: Sealed,
        binary: Vec<u8>,
        now: Timestamp,
    }

    impl KeyDirectory for Vec<DirectoryKey> {
        fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
            self.iter().find(|e| e.cert.has_key(fp)).cloned()
        }
    }

    fn md_addr() -> Address {
        Address::primary(PartyCode::parse("MD").unwrap())
    }

    fn fixture() -> &'static Fixture {
        static F: OnceLock<Fixture> = OnceLock::new();
        F.get_or_init(|| {
            let created: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
            let now: Timestamp = "2026-03-01T00:00:00Z".parse().unwrap();
            let fr = Address::primary(PartyCode::parse("FR").unwrap());
            let fr_key = NodeKey::generate("fr", created, None).unwrap();
            let md = NodeKey::generate("md", created, None).unwrap();
            let mut rng = rand::rng();
            let payload = Payload {
                header: Header {
                    message_id: MessageId::generate(now, &mut rng),
                    ticket: TicketId::generate(fr.party, now, &mut rng),
                    message_type: MessageType::parse("acknowledgement").unwrap(),
                    sender: fr,
                    recipient: md_addr(),
                    created_at: Instant::utc(now),
                    urgency: Urgency::Routine,
                    handling: Handling {
                        confidential: false,
                        marking: None,
                    },
                },
                body: serde_json::json!({"note": "x".repeat(300)}),
                attachments: Vec::new(),
            };
            let sealed = seal(&payload, &fr_key, &md.cert(), now).unwrap();
            let binary = dearmor(sealed.as_bytes(), "MESSAGE", 1 << 20).unwrap();
            let dir = vec![
                DirectoryKey {
                    cert: fr_key.cert(),
                    owner: fr,
                    status: KeyStatus::Active,
                },
                DirectoryKey {
                    cert: md.cert(),
                    owner: md_addr(),
                    status: KeyStatus::Active,
                },
            ];
            Fixture {
                fr: fr_key,
                md,
                dir,
                sealed,
                binary,
                now,
            }
        })
    }

    /// Opens and verifies; a success must be the original payload.
    fn check(bytes: &[u8]) {
        let f = fixture();
        if let Ok(u) = open(bytes, &f.md, &Limits::default())
            && let Ok(v) = u.verify(&f.dir, &md_addr(), f.now, &OpenPolicy::default())
        {
            let original = open(f.sealed.as_bytes(), &f.md, &Limits::default())
                .unwrap()
                .verify(&f.dir, &md_addr(), f.now, &OpenPolicy::default())
                .unwrap();
            assert_eq!(v.canonical_json(), original.canonical_json());
        }
    }

    #[test]
    fn the_fixture_opens() {
        let f = fixture();
        open(f.sealed.as_bytes(), &f.md, &Limits::default())
            .unwrap()
            .verify(&f.dir, &md_addr(), f.now, &OpenPolicy::default())
            .unwrap();
        open(&f.binary, &f.md, &Limits::default()).unwrap();
    }

    fn with_attachment(content: &[u8]) -> Payload {
        let f = fixture();
        let mut rng = rand::rng();
        let fr = Address::primary(PartyCode::parse("FR").unwrap());
        Payload {
            header: Header {
                message_id: MessageId::generate(f.now, &mut rng),
                ticket: TicketId::generate(fr.party, f.now, &mut rng),
                message_type: MessageType::parse("art29_request").unwrap(),
                sender: fr,
                recipient: md_addr(),
                created_at: Instant::utc(f.now),
                urgency: Urgency::Urgent,
                handling: Handling {
                    confidential: true,
                    marking: None,
                },
            },
            body: serde_json::json!({"note": "see the attached log"}),
            attachments: vec![crate::Attachment::new(
                crate::FileName::parse("connexions.log").unwrap(),
                crate::MediaType::parse("text/plain").unwrap(),
                content.to_vec(),
            )],
        }
    }

    #[test]
    fn attachments_are_sealed_signed_and_opened_identical() {
        let f = fixture();
        let content: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
        let payload = with_attachment(&content);
        let sealed = seal(&payload, &f.fr, &f.md.cert(), f.now).unwrap();
        let verified = open(sealed.as_bytes(), &f.md, &Limits::default())
            .unwrap()
            .verify(&f.dir, &md_addr(), f.now, &OpenPolicy::default())
            .unwrap();
        assert_eq!(verified.payload(), &payload);
        assert_eq!(verified.payload().attachments[0].content(), &content[..]);

        // The receiver's limits stop a message whose files are over them, with the
        // attachment's own code.
        let small = Limits {
            attachments: AttachmentLimits {
                max_file_bytes: 65_536,
                ..AttachmentLimits::default()
            },
            ..Limits::default()
        };
        let e = open(sealed.as_bytes(), &f.md, &small).unwrap_err();
        assert_eq!(e.code(), "attachment_too_large", "{e}");
        // And the sender's own limits refuse to seal it.
        assert!(matches!(
            seal_with_limits(&payload, &f.fr, &f.md.cert(), f.now, &small),
            Err(SealError::Attachment(_))
        ));
    }

    #[test]
    fn the_signature_covers_the_attachment_bytes() {
        let f = fixture();
        let original = b"203.0.113.7 2026-11-28T19:58:00Z".to_vec();
        let payload = with_attachment(&original);
        let sealed = seal(&payload, &f.fr, &f.md.cert(), f.now).unwrap();
        let unverified = open(sealed.as_bytes(), &f.md, &Limits::default()).unwrap();
        // Other bytes of the same length, with their own (correct) SHA-256 and size: the
        // payload is well-formed, but it is not what the sender signed.
        let mut tampered_bytes = original.clone();
        tampered_bytes[2] = b'9';
        let tampered_payload = Payload {
            attachments: vec![crate::Attachment::new(
                crate::FileName::parse("connexions.log").unwrap(),
                crate::MediaType::parse("text/plain").unwrap(),
                tampered_bytes,
            )],
            ..payload.clone()
        };
        let mut content = unverified.content.clone();
        content.data = tampered_payload.canonical_json();
        let forged = Unverified {
            payload: tampered_payload,
            content,
            sealed_sha256: unverified.sealed_sha256,
        };
        let e = forged
            .verify(&f.dir, &md_addr(), f.now, &OpenPolicy::default())
            .unwrap_err();
        assert!(matches!(e, OpenError::BadSignature(_)), "{e}");
        // The untouched message verifies.
        unverified
            .verify(&f.dir, &md_addr(), f.now, &OpenPolicy::default())
            .unwrap();
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
            check(&bytes);
            let mut armored = b"-----BEGIN PGP MESSAGE-----\n\n".to_vec();
            armored.extend_from_slice(&bytes);
            check(&armored);
        }

        #[test]
        fn mutated_messages_never_panic_nor_change(
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
            armored in any::<bool>(),
        ) {
            let f = fixture();
            let mut bytes = if armored { f.sealed.as_bytes().to_vec() } else { f.binary.clone() };
            for (i, b) in edits {
                let at = i.index(bytes.len());
                bytes[at] = b;
            }
            if truncate {
                bytes.truncate(cut.index(bytes.len()));
            }
            check(&bytes);
        }
    }
}

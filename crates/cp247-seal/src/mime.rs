//! Signing and encrypting a MIME entity for PGP/MIME (RFC 3156 §6.2, the combined method): the
//! e-mail channel of escalation and encrypted duty-officer alerts. The caller (`cp247-notify`)
//! assembles the MIME entity and the `multipart/encrypted` wrapper; this module only does the
//! OpenPGP part, so that this crate stays the only one that names the OpenPGP library.

use jiff::Timestamp;
use pgp::composed::{ArmorOptions, MessageBuilder, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::SubpacketData;
use pgp::types::{KeyDetails as _, Password};

use crate::envelope::encryption_subkey;
use crate::error::SealError;
use crate::key::{Cert, NodeKey};
use crate::payload::DEFAULT_MAX_PAYLOAD_BYTES;
use crate::util::{crypto, rng, subpacket, to_pgp_time};

/// The largest MIME entity [`seal_mime_entity`] accepts (the payload bound of sealed messages).
pub const MAX_MIME_ENTITY_BYTES: usize = DEFAULT_MAX_PAYLOAD_BYTES;

/// Signs `entity` (a complete MIME entity: headers, blank line, body, CRLF line ends) with the
/// node's signing subkey (binary signature, SHA-512, dated `at`) and encrypts it to the
/// recipient's newest valid encryption subkey and to the node's own (so the node's archive can
/// read what it sent): SEIPDv1 with MDC, AES-256, no compression, ASCII armor. This is the
/// `application/octet-stream` part of an RFC 3156 `multipart/encrypted` message, which GnuPG and
/// every PGP/MIME mail client decrypt and verify. Both certificates must pass cp247's key policy
/// at `at`.
pub fn seal_mime_entity(
    entity: &[u8],
    sender: &NodeKey,
    recipient: &Cert,
    at: Timestamp,
) -> Result<String, SealError> {
    if entity.len() > MAX_MIME_ENTITY_BYTES {
        return Err(SealError::TooLarge {
            what: "MIME entity",
            actual: entity.len(),
            limit: MAX_MIME_ENTITY_BYTES,
        });
    }
    recipient.check_policy(at)?;
    let signing = sender.signing_subkey(at)?;
    let to_them = encryption_subkey(recipient, at)?;
    let to_us = encryption_subkey(sender.cert_ref(), at)?;

    let mut rng = rng();
    let mut builder = MessageBuilder::from_bytes("", entity.to_vec())
        .seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    builder
        .encrypt_to_key(&mut rng, to_them)
        .map_err(|e| crypto("encrypting to the e-mail recipient", e))?;
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
    builder
        .to_armored_string(rng, ArmorOptions::default())
        .map_err(|e| crypto("sealing a MIME entity", e))
}

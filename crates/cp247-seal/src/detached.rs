//! Detached signatures over files: the signed network directory, audit checkpoints.

use std::io::Cursor;

use jiff::{SignedDuration, Timestamp};
use pgp::composed::{ArmorOptions, Deserializable, DetachedSignature};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{SignatureConfig, SignatureType, SubpacketData};
use pgp::types::{KeyDetails as _, Password};

use crate::error::{OpenError, PolicyError, SealError};
use crate::key::{Cert, Fingerprint, MAX_SIGNATURE_BYTES, NodeKey};
use crate::message::{dearmor, signature_facts};
use crate::util::{crypto, subpacket, to_pgp_time};

/// How far in the future (relative to the check instant) a signature may be dated: clocks of
/// different machines disagree a little.
pub const MAX_SIGNATURE_FUTURE: SignedDuration = SignedDuration::from_mins(5);

/// Facts about a verified signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureInfo {
    /// When it was made.
    pub created: Timestamp,
    /// The signing subkey's fingerprint.
    pub signer: Fingerprint,
    /// The certificate's primary fingerprint.
    pub cert: Fingerprint,
    /// The hash algorithm, e.g. "SHA512".
    pub hash: &'static str,
}

/// Signs `data` with the key's signing subkey (SHA-512, dated `at`): an armored detached
/// signature.
pub fn sign_detached(key: &NodeKey, data: &[u8], at: Timestamp) -> Result<String, SealError> {
    let signing = key.signing_subkey(at)?;
    let mut config = SignatureConfig::v4(
        SignatureType::Binary,
        signing.algorithm(),
        HashAlgorithm::Sha512,
    );
    config.hashed_subpackets = vec![
        subpacket(SubpacketData::SignatureCreationTime(to_pgp_time(at)?))?,
        subpacket(SubpacketData::IssuerFingerprint(signing.fingerprint()))?,
    ];
    config.unhashed_subpackets = vec![subpacket(SubpacketData::IssuerKeyId(
        signing.legacy_key_id(),
    ))?];
    let sig = config
        .sign(signing, &Password::empty(), data)
        .map_err(|e| crypto("signing data", e))?;
    DetachedSignature::new(sig)
        .to_armored_string(ArmorOptions::default())
        .map_err(|e| crypto("armoring a signature", e))
}

/// Verifies an armored detached signature over `data` by a signing subkey of `cert`, checked at
/// instant `at`: the certificate passes the policy at `at`, the subkey was valid when it
/// signed, the hash is strong, the signature is not dated after `at` +
/// [`MAX_SIGNATURE_FUTURE`].
pub fn verify_detached(
    cert: &Cert,
    data: &[u8],
    armored_sig: &str,
    at: Timestamp,
) -> Result<SignatureInfo, SealError> {
    if armored_sig.len() > MAX_SIGNATURE_BYTES {
        return Err(SealError::TooLarge {
            what: "signature",
            actual: armored_sig.len(),
            limit: MAX_SIGNATURE_BYTES,
        });
    }
    let malformed = |e: String| SealError::MalformedSignature(e);
    let binary = dearmor(armored_sig.as_bytes(), "SIGNATURE", MAX_SIGNATURE_BYTES)
        .map_err(|e| malformed(e.to_string()))?;
    let mut sigs = DetachedSignature::from_bytes_many(Cursor::new(binary))
        .map_err(|e| malformed(e.to_string()))?;
    let sig = match (sigs.next(), sigs.next()) {
        (Some(Ok(s)), None) => s.signature,
        (Some(Err(e)), _) => return Err(malformed(e.to_string())),
        (None, _) => return Err(malformed("no signature".into())),
        (Some(Ok(_)), Some(_)) => return Err(malformed("more than one signature".into())),
    };
    let (signer, created) = signature_facts(&sig).map_err(|e| match e {
        OpenError::WeakHash(h) => SealError::WeakHash(h),
        other => malformed(other.to_string()),
    })?;
    let analysis = cert.analyze(at)?;
    let wrong = || SealError::WrongSigner {
        signer: signer.to_string(),
        cert: cert.fingerprint(),
    };
    let state = analysis.subkey(&signer).ok_or_else(wrong)?;
    if !state.flags.sign() || !state.backsig_ok {
        return Err(PolicyError::SigningKeyWithoutSignFlag(signer).into());
    }
    if created.duration_since(at) > MAX_SIGNATURE_FUTURE {
        return Err(SealError::SignatureFromTheFuture { created, at });
    }
    if !state.valid_at(created) || !state.valid_at(at) {
        if state.revoked {
            return Err(PolicyError::Revoked(signer).into());
        }
        if let Some(exp) = state.expires
            && (created >= exp || at >= exp)
        {
            return Err(PolicyError::Expired {
                fingerprint: signer,
                at: exp,
            }
            .into());
        }
        return Err(PolicyError::NotYetValid {
            fingerprint: signer,
            created: state.created,
        }
        .into());
    }
    let sub = cert
        .pgp()
        .public_subkeys
        .get(state.index)
        .ok_or_else(wrong)?;
    sig.verify(&sub.key, data)
        .map_err(|_| SealError::BadSignature)?;
    let hash = match sig.hash_alg() {
        Some(HashAlgorithm::Sha256) => "SHA256",
        Some(HashAlgorithm::Sha384) => "SHA384",
        Some(HashAlgorithm::Sha512) => "SHA512",
        Some(HashAlgorithm::Sha3_256) => "SHA3-256",
        Some(HashAlgorithm::Sha3_512) => "SHA3-512",
        _ => "other",
    };
    Ok(SignatureInfo {
        created,
        signer,
        cert: cert.fingerprint(),
        hash,
    })
}

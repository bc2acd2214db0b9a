//! Packet-level reading shared by envelopes and receipts: dearmoring, the strict grammar of a
//! signed message, and the trust checks on a signature against the directory.

use std::io::{Cursor, Read};

use jiff::{SignedDuration, Timestamp};
use pgp::armor::{Dearmor, DearmorOptions};
use pgp::packet::{Packet, PacketParser, Signature, SignatureType, SignatureVersion};

use crate::directory::{DirectoryKey, KeyDirectory, KeyStatus};
use crate::error::{OpenError, PolicyError};
use crate::key::Fingerprint;
use crate::util::{from_pgp_time, is_weak_hash, looks_armored};

/// Bytes → binary OpenPGP, accepting ASCII armor of `block` ("MESSAGE", "SIGNATURE") or binary.
pub(crate) fn dearmor(bytes: &[u8], block: &str, limit: usize) -> Result<Vec<u8>, OpenError> {
    if !looks_armored(bytes) {
        return Ok(bytes.to_vec());
    }
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(0);
    let expected = format!("-----BEGIN PGP {block}-----");
    if !bytes
        .get(start..)
        .is_some_and(|rest| rest.starts_with(expected.as_bytes()))
    {
        return Err(OpenError::Malformed(format!(
            "the ASCII armor is not a '{expected}' block"
        )));
    }
    let mut dearmor =
        Dearmor::with_options(Cursor::new(bytes), DearmorOptions::new().set_limit(limit));
    let mut out = Vec::new();
    (&mut dearmor)
        .take(u64::try_from(limit).unwrap_or(u64::MAX).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| OpenError::Malformed(format!("the ASCII armor is damaged: {e}")))?;
    if out.len() > limit {
        return Err(OpenError::TooLarge {
            what: "dearmored message",
            limit,
        });
    }
    if out.is_empty() {
        return Err(OpenError::Malformed("the ASCII armor is empty".into()));
    }
    Ok(out)
}

/// Parses all packets of `bytes`, at most `max_packets`.
pub(crate) fn packets(bytes: &[u8], max_packets: usize) -> Result<Vec<Packet>, OpenError> {
    let mut out = Vec::new();
    for packet in PacketParser::new(Cursor::new(bytes)) {
        let packet =
            packet.map_err(|e| OpenError::Malformed(format!("unreadable OpenPGP packet: {e}")))?;
        if out.len() >= max_packets {
            return Err(OpenError::Malformed(format!(
                "more than {max_packets} OpenPGP packets"
            )));
        }
        out.push(packet);
    }
    Ok(out)
}

/// A signed message's content, not yet trusted.
#[derive(Clone)]
pub(crate) struct SignedContent {
    pub(crate) data: Vec<u8>,
    pub(crate) signature: Signature,
    pub(crate) signer: Fingerprint,
    pub(crate) signed_at: Timestamp,
}

/// Reads the plaintext of a signed message with cp247's strict grammar:
/// `[Compressed]( OnePassSignature Literal Signature | Signature Literal )`, with Marker and
/// Padding packets ignored, exactly one signature, at most one level of compression, and
/// decompression bounded by `max_data` (zip bombs stop there).
pub(crate) fn read_signed(
    plaintext: &[u8],
    max_data: usize,
    max_packets: usize,
    compressed_allowed: bool,
) -> Result<SignedContent, OpenError> {
    let all = packets(plaintext, max_packets)?;
    let mut meaningful: Vec<Packet> = all
        .into_iter()
        .filter(|p| !matches!(p, Packet::Marker(_) | Packet::Padding(_)))
        .collect();

    if let [Packet::CompressedData(_)] = meaningful.as_slice() {
        if !compressed_allowed {
            return Err(OpenError::Malformed(
                "compressed data inside compressed data".into(),
            ));
        }
        let Some(Packet::CompressedData(c)) = meaningful.pop() else {
            return Err(OpenError::Malformed("compressed packet vanished".into()));
        };
        let mut inner = Vec::new();
        let budget = max_data.saturating_add(64 * 1024);
        c.decompress()
            .map_err(|e| OpenError::Malformed(format!("unreadable compressed data: {e}")))?
            .take(u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1))
            .read_to_end(&mut inner)
            .map_err(|e| OpenError::Malformed(format!("the compressed data is damaged: {e}")))?;
        if inner.len() > budget {
            return Err(OpenError::TooLarge {
                what: "decompressed message",
                limit: budget,
            });
        }
        return read_signed(&inner, max_data, max_packets, false);
    }

    let mut it = meaningful.into_iter();
    let (ops, literal, signature) = match (it.next(), it.next(), it.next(), it.next()) {
        (
            Some(Packet::OnePassSignature(o)),
            Some(Packet::LiteralData(l)),
            Some(Packet::Signature(s)),
            None,
        ) => (Some(o), l, s),
        (Some(Packet::Signature(s)), Some(Packet::LiteralData(l)), None, None) => (None, l, s),
        (Some(Packet::LiteralData(_)), None, None, None) => return Err(OpenError::Unsigned),
        (first, ..) => {
            return Err(OpenError::Malformed(format!(
                "unexpected packet sequence starting with {}: cp247 accepts one-pass signature, \
                 literal data, signature (one signer), optionally compressed once",
                first
                    .map(|p| format!("{:?}", pgp::packet::PacketTrait::tag(&p)))
                    .unwrap_or_else(|| "nothing".into())
            )));
        }
    };
    if let Some(o) = &ops
        && !o.matches(&signature)
    {
        return Err(OpenError::Malformed(
            "the one-pass signature does not match the signature".into(),
        ));
    }
    let data = literal.data();
    if data.len() > max_data {
        return Err(OpenError::TooLarge {
            what: "payload",
            limit: max_data,
        });
    }
    let (signer, signed_at) = signature_facts(&signature)?;
    Ok(SignedContent {
        data: data.to_vec(),
        signature,
        signer,
        signed_at,
    })
}

/// The issuer fingerprint and creation time of a data signature, after the checks that need no
/// key: version 4, binary or text type, a strong hash, a creation time.
pub(crate) fn signature_facts(sig: &Signature) -> Result<(Fingerprint, Timestamp), OpenError> {
    if sig.version() != SignatureVersion::V4 {
        return Err(OpenError::Malformed(format!(
            "a version {:?} signature; cp247 uses version 4 signatures",
            sig.version()
        )));
    }
    if !matches!(sig.typ(), Some(SignatureType::Binary | SignatureType::Text)) {
        return Err(OpenError::Malformed(format!(
            "a {:?} signature where a data signature is expected",
            sig.typ()
        )));
    }
    match sig.hash_alg() {
        Some(h) if is_weak_hash(h) => return Err(OpenError::WeakHash(h.to_string())),
        Some(_) => {}
        None => {
            return Err(OpenError::Malformed(
                "a signature of unknown version".into(),
            ));
        }
    }
    let Some(created) = sig.created() else {
        return Err(OpenError::Malformed(
            "the signature has no creation time".into(),
        ));
    };
    let signer = sig
        .issuer_fingerprint()
        .into_iter()
        .find_map(Fingerprint::from_pgp)
        .ok_or_else(|| {
            OpenError::Malformed(
                "the signature names no v4 issuer fingerprint (cp247 looks signers up by fingerprint)"
                    .into(),
            )
        })?;
    Ok((signer, from_pgp_time(created)))
}

/// The trust decision on a signature: the directory knows the key, lists it for `claimed`, has
/// not suspended or revoked it, the certificate passes the policy now, the key is a valid
/// signing subkey now and when it signed, and the signature verifies over `data`.
pub(crate) fn check_signer(
    dir: &dyn KeyDirectory,
    content: &SignedContent,
    claimed: &cp247_domain::Address,
    now: Timestamp,
) -> Result<DirectoryKey, OpenError> {
    let signer = content.signer;
    let Some(entry) = dir.key_by_fingerprint(&signer) else {
        return Err(OpenError::UnknownSigner(signer.to_string()));
    };
    if !entry.cert.has_key(&signer) {
        return Err(OpenError::UnknownSigner(signer.to_string()));
    }
    if entry.owner != *claimed {
        return Err(OpenError::SignerNotListedForSender {
            signer,
            owner: entry.owner.to_string(),
            claimed: claimed.to_string(),
        });
    }
    match entry.status {
        KeyStatus::Active => {}
        KeyStatus::Suspended { since } => {
            if now >= since {
                return Err(OpenError::KeySuspended { signer, since });
            }
        }
        KeyStatus::Revoked { since } => {
            if now >= since {
                return Err(OpenError::KeyRevoked { signer });
            }
        }
    }
    let analysis = entry.cert.analyze(now).map_err(|e| match e {
        PolicyError::Revoked(_) => OpenError::KeyRevoked { signer },
        PolicyError::Expired { at, .. } => OpenError::KeyExpired { signer, at },
        other => OpenError::KeyPolicy(other),
    })?;
    let t_sig = content.signed_at;
    if let Some(exp) = analysis.primary_expires
        && t_sig >= exp
    {
        return Err(OpenError::KeyExpired { signer, at: exp });
    }
    let Some(state) = analysis.subkey(&signer) else {
        // The primary key is certify-only in cp247's policy: it never signs data.
        return Err(OpenError::KeyPolicy(
            PolicyError::SigningKeyWithoutSignFlag(signer),
        ));
    };
    if state.revoked {
        return Err(OpenError::KeyRevoked { signer });
    }
    if !state.flags.sign() || !state.backsig_ok {
        return Err(OpenError::KeyPolicy(
            PolicyError::SigningKeyWithoutSignFlag(signer),
        ));
    }
    if let Some(exp) = state.expires
        && (now >= exp || t_sig >= exp)
    {
        return Err(OpenError::KeyExpired { signer, at: exp });
    }
    if state.created > t_sig {
        return Err(OpenError::KeyPolicy(PolicyError::NotYetValid {
            fingerprint: signer,
            created: state.created,
        }));
    }
    let Some(sub) = entry.cert.pgp().public_subkeys.get(state.index) else {
        return Err(OpenError::UnknownSigner(signer.to_string()));
    };
    content
        .signature
        .verify(&sub.key, content.data.as_slice())
        .map_err(|_| OpenError::BadSignature(signer))?;
    if let Some(d) = content.signature.signature_expiration_time()
        && d.as_secs() > 0
    {
        let end = t_sig
            .checked_add(SignedDuration::from_secs(i64::from(d.as_secs())))
            .unwrap_or(t_sig);
        if now >= end {
            return Err(OpenError::SignatureExpired(end));
        }
    }
    Ok(entry)
}

//! Packet-level reading shared by envelopes and receipts: dearmoring, the strict grammar of a
//! signed message, and the trust checks on a signature against the directory.

use std::io::{BufRead, Cursor, Read};

use jiff::{SignedDuration, Timestamp};
use pgp::armor::{Dearmor, DearmorOptions};
use pgp::packet::{
    OpsVersionSpecific, Packet, PacketParser, Signature, SignatureType, SignatureVersion,
};
use pgp::types::{KeyDetails as _, Tag};

use crate::directory::{DirectoryKey, KeyDirectory, KeyStatus};
use crate::error::{OpenError, PolicyError};
use crate::key::{Fingerprint, KeyId};
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
    read_level(
        Cursor::new(plaintext),
        max_data,
        max_packets,
        compressed_allowed,
        None,
    )
}

/// [`read_signed`] for a message from a stranger: the signer must be listed in `dir` before
/// anything is inflated or the data is read. The first packet after the (streamed, bounded)
/// decompression must name the signer — a one-pass signature's key ID, or the signature
/// itself when it comes first — and the directory must list it; the data packet is not read
/// otherwise. After the whole message is read, the fingerprint in the signature must be the
/// key the one-pass signature announced, and the directory must list it.
pub(crate) fn read_signed_listed(
    plaintext: &[u8],
    max_data: usize,
    max_packets: usize,
    dir: &dyn KeyDirectory,
) -> Result<SignedContent, OpenError> {
    read_level(
        Cursor::new(plaintext),
        max_data,
        max_packets,
        true,
        Some(dir),
    )
}

fn unreadable(e: impl std::fmt::Display) -> OpenError {
    OpenError::Malformed(format!("unreadable OpenPGP packet: {e}"))
}

/// Refuses the signer a packet names ahead of the data when `dir` does not list it.
fn gate_signer(dir: &dyn KeyDirectory, packet: &Packet) -> Result<(), OpenError> {
    match packet {
        Packet::OnePassSignature(ops) => match ops.version_specific() {
            OpsVersionSpecific::V3 { key_id } => {
                let Some(id) = KeyId::from_pgp(key_id) else {
                    return Err(OpenError::Malformed(
                        "the one-pass signature names no usable key ID".into(),
                    ));
                };
                if dir.lists_key_id(&id) {
                    Ok(())
                } else {
                    Err(OpenError::UnknownSigner(format!("with key ID {id}")))
                }
            }
            OpsVersionSpecific::V6 { .. } | OpsVersionSpecific::Unknown { .. } => {
                Err(OpenError::Malformed(format!(
                    "a version {} one-pass signature; cp247 uses version 4 signatures",
                    ops.version()
                )))
            }
        },
        Packet::Signature(sig) => {
            let (signer, _) = signature_facts(sig)?;
            gate_fingerprint(dir, &signer)
        }
        // Anything else is refused by the grammar once the level is read.
        _ => Ok(()),
    }
}

/// Refuses a signing key fingerprint that `dir` does not list.
fn gate_fingerprint(dir: &dyn KeyDirectory, signer: &Fingerprint) -> Result<(), OpenError> {
    match dir.key_by_fingerprint(signer) {
        Some(entry) if entry.cert.has_key(signer) => Ok(()),
        _ => Err(OpenError::UnknownSigner(signer.to_string())),
    }
}

/// One level of a signed message, read packet by packet from `reader`. With `gate`, the
/// first meaningful packet is checked against the directory before the next is read, and
/// literal data before any signer is refused unread.
fn read_level<R: BufRead>(
    reader: R,
    max_data: usize,
    max_packets: usize,
    compressed_allowed: bool,
    gate: Option<&dyn KeyDirectory>,
) -> Result<SignedContent, OpenError> {
    let mut parser = PacketParser::new(reader);
    let mut meaningful: Vec<Packet> = Vec::new();
    let mut count = 0usize;
    while let Some(next) = parser.next_ref() {
        let mut body = next.map_err(unreadable)?;
        if count >= max_packets {
            return Err(OpenError::Malformed(format!(
                "more than {max_packets} OpenPGP packets"
            )));
        }
        count += 1;
        let header = body.packet_header();
        if gate.is_some() && meaningful.is_empty() && header.tag() == Tag::LiteralData {
            // The data comes before any signer is named: refused without reading it.
            return Err(OpenError::Unsigned);
        }
        let packet = Packet::from_reader(header, &mut body).map_err(unreadable)?;
        if matches!(packet, Packet::Marker(_) | Packet::Padding(_)) {
            continue;
        }
        if meaningful.is_empty()
            && let Some(dir) = gate
        {
            gate_signer(dir, &packet)?;
        }
        meaningful.push(packet);
    }

    if let [Packet::CompressedData(_)] = meaningful.as_slice() {
        if !compressed_allowed {
            return Err(OpenError::Malformed(
                "compressed data inside compressed data".into(),
            ));
        }
        let Some(Packet::CompressedData(c)) = meaningful.pop() else {
            return Err(OpenError::Malformed("compressed packet vanished".into()));
        };
        // Inflated as it is parsed, never beyond `budget`: a bomb stops at the limit, and with
        // a gate, after the few bytes that name the signer.
        let budget = max_data.saturating_add(64 * 1024);
        let decompressor = c
            .decompress()
            .map_err(|e| OpenError::Malformed(format!("unreadable compressed data: {e}")))?;
        let mut bounded =
            decompressor.take(u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1));
        let inner = read_level(&mut bounded, max_data, max_packets, false, gate);
        if bounded.limit() == 0 {
            return Err(OpenError::TooLarge {
                what: "decompressed message",
                limit: budget,
            });
        }
        return inner;
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
    let (signer, signed_at) = signature_facts(&signature)?;
    if let Some(o) = &ops
        && let OpsVersionSpecific::V3 { key_id } = o.version_specific()
        && KeyId::from_pgp(key_id) != Some(signer.key_id())
    {
        return Err(OpenError::Malformed(
            "the one-pass signature names another key than the signature".into(),
        ));
    }
    if let Some(dir) = gate {
        gate_fingerprint(dir, &signer)?;
    }
    if literal.data().len() > max_data {
        return Err(OpenError::TooLarge {
            what: "payload",
            limit: max_data,
        });
    }
    Ok(SignedContent {
        data: Vec::from(literal.into_bytes()),
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

/// Only the cryptographic check of `content`'s signature with the listed key it names: no
/// time, status or owner rule (those are [`check_signer`]'s, once the header is known).
pub(crate) fn verify_signature_only(
    dir: &dyn KeyDirectory,
    content: &SignedContent,
) -> Result<(), OpenError> {
    let signer = content.signer;
    let Some(entry) = dir.key_by_fingerprint(&signer) else {
        return Err(OpenError::UnknownSigner(signer.to_string()));
    };
    let Some(sub) = entry
        .cert
        .pgp()
        .public_subkeys
        .iter()
        .find(|s| signer.matches(&s.key.fingerprint()))
    else {
        // The primary key is certify-only in cp247's policy: it never signs data.
        return Err(OpenError::KeyPolicy(
            PolicyError::SigningKeyWithoutSignFlag(signer),
        ));
    };
    content
        .signature
        .verify(&sub.key, content.data.as_slice())
        .map_err(|_| OpenError::BadSignature(signer))
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

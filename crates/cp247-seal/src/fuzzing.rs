//! Harnesses for `/fuzz` and for the seed-replay test (`tests/fuzz_seeds.rs`): every parser
//! of bytes a stranger controls that lives in this crate, fed arbitrary bytes.
//!
//! The node key they open and verify with is a fixed, public test key (`fuzz-data/`, its
//! passphrase is below): so a seed sealed to it in one process opens in every other, and the
//! fuzzer mutates messages that reach signature verification. It protects nothing.
//!
//! Each harness must never panic, hang or allocate beyond the limits, whatever its input;
//! where a value is accepted, it checks what must then hold (round trips, hashes).

use std::sync::OnceLock;

use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use jiff::Timestamp;

use crate::{
    Attachment, AttachmentLimits, Cert, DirectoryKey, FileName, Fingerprint, Handling, Header,
    KeyDirectory, KeyStatus, Limits, MediaType, MessageType, NodeKey, OpenPolicy, Passphrase,
    Payload, Receipt, open, read_receipt, seal, sign_detached, sign_receipt, verify_detached,
    verify_receipt,
};

/// The fixed fuzz key, locked with [`FUZZ_KEY_PASSPHRASE`].
const FUZZ_KEY: &str = include_str!("../fuzz-data/fuzz-node-key.asc");
/// The passphrase of the fixed fuzz key (public on purpose).
pub const FUZZ_KEY_PASSPHRASE: &str = "cp247 public fuzz key - protects nothing";

/// The instant the harnesses verify at: 2026-06-01T12:00:00Z (the key dates from 2026-01-01).
fn now() -> Timestamp {
    Timestamp::from_second(1_780_315_200).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The fixed node key (loaded once per process); a fresh one if the file cannot be read.
fn key() -> Option<&'static NodeKey> {
    static KEY: OnceLock<Option<NodeKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        NodeKey::from_locked_armored(FUZZ_KEY, &Passphrase::new(FUZZ_KEY_PASSPHRASE.into()))
            .ok()
            .or_else(|| {
                let created = Timestamp::from_second(1_767_225_600).ok()?; // 2026-01-01
                NodeKey::generate("cp247 fuzz <fuzz@cp247.invalid>", created, None).ok()
            })
    })
    .as_ref()
}

/// The contact point the fixed key speaks for, and the one it receives as: FR's primary.
fn me() -> Option<Address> {
    PartyCode::parse("FR").ok().map(Address::primary)
}

/// A directory that lists the fixed key for FR's primary contact point, active.
struct OneKey {
    cert: Cert,
    owner: Address,
}

impl KeyDirectory for OneKey {
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
        self.cert.has_key(fp).then(|| DirectoryKey {
            cert: self.cert.clone(),
            owner: self.owner,
            status: KeyStatus::Active,
        })
    }
}

fn directory() -> Option<(&'static NodeKey, OneKey, Address)> {
    let key = key()?;
    let owner = me()?;
    Some((
        key,
        OneKey {
            cert: key.cert(),
            owner,
        },
        owner,
    ))
}

/// The fixed fuzz key's certificate (a directory authority or a peer, as a harness needs).
pub fn fuzz_cert() -> Option<Cert> {
    key().map(NodeKey::cert)
}

/// Runs [`open`] on `data` with the fixed key and default limits, discarding the result.
pub fn fuzz_open(data: &[u8]) {
    if let Some(key) = key() {
        let _ = open(data, key, &Limits::default());
    }
}

/// A sealed message as a peer posts it: opened with the fixed key, then verified against a
/// directory listing that key. A verified message must carry the hash of exactly `data` and
/// a payload that writes back to canonical JSON that parses to the same payload.
pub fn fuzz_open_verify(data: &[u8]) {
    let Some((key, dir, me)) = directory() else {
        return;
    };
    let Ok(unverified) = open(data, key, &Limits::default()) else {
        return;
    };
    let claimed = unverified.claimed_header().clone();
    let hash = unverified.sealed_sha256();
    if let Ok(verified) = unverified.verify(&dir, &me, now(), &OpenPolicy::default()) {
        assert_eq!(
            verified.header(),
            &claimed,
            "the verified header is the claimed one"
        );
        assert_eq!(hash, sha256(data), "the hash is of the bytes opened");
        let json = verified.payload().canonical_json();
        let again = Payload::from_canonical_json(&json, 1 << 26);
        assert_eq!(
            again.ok().as_ref(),
            Some(verified.payload()),
            "payload round trip"
        );
    }
}

/// Parses `data` as a canonical payload with small attachment limits (4 files, 4 KiB each,
/// 8 KiB together). An accepted payload must write back to exactly `data`, and each
/// attachment's bytes must have its size and SHA-256.
pub fn fuzz_payload(data: &[u8]) {
    let limits = AttachmentLimits {
        max_files: 4,
        max_file_bytes: 4096,
        max_total_bytes: 8192,
    };
    if let Ok(payload) = Payload::from_canonical_json_with(data, 1 << 20, &limits) {
        assert_eq!(payload.canonical_json(), data, "canonical round trip");
        for a in &payload.attachments {
            assert_eq!(Some(a.size()), u64::try_from(a.content().len()).ok());
            assert_eq!(a.sha256(), sha256(a.content()));
        }
    }
}

/// A signed receipt as a peer returns it: read without a directory (as `cp247 audit anchors`
/// does) and verified against a directory listing the fixed key. Whatever verifies must read
/// the same.
pub fn fuzz_receipt(data: &[u8]) {
    let read = read_receipt(data);
    let Some((_, dir, me)) = directory() else {
        return;
    };
    if let Ok(verified) = verify_receipt(data, &dir, &me, now()) {
        assert_eq!(
            read.ok().as_ref(),
            Some(&verified),
            "read and verified agree"
        );
        assert!(verified.canonical_json().len() <= data.len().saturating_mul(4));
    }
}

/// A detached signature over a document (the directory file's signature, an audit
/// checkpoint): `data` is split at its first NUL byte into the signed bytes and the armored
/// signature, verified with the fixed key's certificate.
pub fn fuzz_detached(data: &[u8]) {
    let Some(key) = key() else { return };
    let (signed, signature) = split_at_nul(data);
    let _ = verify_detached(
        &key.cert(),
        signed,
        &String::from_utf8_lossy(signature),
        now(),
    );
}

/// Splits `data` at its first NUL byte (the second part is empty without one).
pub fn split_at_nul(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[]),
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    sha2::Digest::finalize(sha2::Digest::chain_update(
        <sha2::Sha256 as sha2::Digest>::new(),
        bytes,
    ))
    .into()
}

/// Valid inputs for each harness, made with the fixed key: the seed corpus of the fuzz
/// targets (`fuzz/seeds.sh` writes them with `cargo run --example fuzz_seeds`) and the inputs
/// of the replay test. Keyed by target name.
pub fn fuzz_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let mut out = Vec::new();
    let Some((key, _, me)) = directory() else {
        return out;
    };
    let at = now() - jiff::SignedDuration::from_mins(5);
    let mut rng = rand::rng();
    let header = Header {
        message_id: MessageId::generate(at, &mut rng),
        ticket: TicketId::generate(me.party, at, &mut rng),
        message_type: match MessageType::parse("art29_request") {
            Ok(t) => t,
            Err(_) => return out,
        },
        sender: me,
        recipient: me,
        created_at: Instant::utc(at),
        urgency: Urgency::Urgent,
        handling: Handling {
            confidential: true,
            marking: None,
        },
    };
    let body = serde_json::json!({ "note": "seed", "items": [1, 2, 3] });
    let mut payloads = vec![Payload {
        header: header.clone(),
        body: body.clone(),
        attachments: Vec::new(),
    }];
    if let (Ok(name), Ok(media)) = (FileName::parse("seed.txt"), MediaType::parse("text/plain")) {
        let file = Attachment::new(name, media, b"a small seed file".to_vec());
        payloads.push(Payload {
            header: header.clone(),
            body,
            attachments: vec![file],
        });
    }
    for p in &payloads {
        out.push(("seal_payload", p.canonical_json()));
        if let Ok(sealed) = seal(p, key, &key.cert(), at) {
            let bytes = sealed.into_bytes();
            out.push(("seal_open", bytes.clone()));
            let receipt = Receipt::for_message(
                sha256(&bytes),
                header.message_id,
                me,
                me,
                Instant::utc(at),
                Some(format!("7:{}", "ab".repeat(32))),
            );
            if let Ok(signed) = sign_receipt(&receipt, key, at) {
                out.push(("seal_receipt", signed.as_bytes().to_vec()));
            }
        }
    }
    let document = br#"{"format":"cp247-directory-v1","serial":1}"#;
    if let Ok(sig) = sign_detached(key, document, at) {
        let mut joined = document.to_vec();
        joined.push(0);
        joined.extend_from_slice(sig.as_bytes());
        out.push(("seal_detached", joined));
    }
    out
}

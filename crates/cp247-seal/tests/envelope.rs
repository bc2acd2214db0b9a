#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Sealed messages: the round trip, and one hostile message per refusal of `open`/`verify`.

mod common;

use common::*;
use cp247_seal::{
    KeyStatus, Limits, NodeKey, OpenError, OpenPolicy, Passphrase, SealError, open, seal,
};
use jiff::{SignedDuration, Timestamp};
use pgp::types::{CompressionAlgorithm, KeyDetails as _};

struct World {
    fr: NodeKey,
    md: NodeKey,
    dir: FakeDir,
    now: Timestamp,
}

fn world() -> World {
    let fr_key = shared_node("fr");
    let md_key = shared_node("md");
    let dir = FakeDir::new().active(&fr_key, fr()).active(&md_key, md());
    World {
        fr: fr_key,
        md: md_key,
        dir,
        now: t(NOW),
    }
}

fn open_verify(w: &World, bytes: &[u8]) -> Result<cp247_seal::Verified, OpenError> {
    open(bytes, &w.md, &Limits::default())?.verify(&w.dir, &md(), w.now, &OpenPolicy::default())
}

#[test]
fn seal_open_verify_round_trip() {
    let w = world();
    let p = payload(fr(), md(), w.now, 4096);
    let sealed = seal(&p, &w.fr, &w.md.cert(), w.now).unwrap();
    let text = std::str::from_utf8(sealed.as_bytes()).unwrap();
    assert!(text.starts_with("-----BEGIN PGP MESSAGE-----"));
    let unverified = open(sealed.as_bytes(), &w.md, &Limits::default()).unwrap();
    assert_eq!(unverified.claimed_header(), &p.header);
    assert_eq!(unverified.sealed_sha256(), sealed.sha256());
    let v = unverified
        .verify(&w.dir, &md(), w.now, &OpenPolicy::default())
        .unwrap();
    assert_eq!(v.payload(), &p);
    assert_eq!(v.sender(), fr());
    assert_eq!(v.signed_at(), w.now);
    assert_eq!(v.sealed_sha256(), sealed.sha256());
    assert_eq!(v.canonical_json(), p.canonical_json());
    assert!(w.fr.cert().has_key(&v.signer()));
    assert_ne!(v.signer(), w.fr.fingerprint(), "signed by the subkey");
    // Debug output never shows the body.
    assert!(!format!("{v:?}").contains("Préservation"));
}

#[test]
fn the_sender_can_read_its_own_archive_copy() {
    let w = world();
    let p = payload(fr(), md(), w.now, 100);
    let sealed = seal(&p, &w.fr, &w.md.cert(), w.now).unwrap();
    let mine = open(sealed.as_bytes(), &w.fr, &Limits::default()).unwrap();
    assert_eq!(mine.claimed_header(), &p.header);
    // As the archive copy it verifies against the directory too (recipient is MD, not us).
    let err = mine
        .verify(&w.dir, &fr(), w.now, &OpenPolicy::default())
        .unwrap_err();
    assert_eq!(err.code(), "recipient_not_us");
}

#[test]
fn a_retry_resends_the_same_bytes_and_both_open() {
    // De-duplication on (sender, message id) is the node's job; the seal layer opens the
    // identical bytes again to the identical payload.
    let w = world();
    let sealed = seal(&payload(fr(), md(), w.now, 300), &w.fr, &w.md.cert(), w.now).unwrap();
    let a = open_verify(&w, sealed.as_bytes()).unwrap();
    let b = open_verify(&w, sealed.as_bytes()).unwrap();
    assert_eq!(a.header().message_id, b.header().message_id);
}

#[test]
fn seal_refuses_a_header_time_far_from_the_signing_time() {
    let w = world();
    let p = payload(fr(), md(), w.now, 10);
    let err = seal(
        &p,
        &w.fr,
        &w.md.cert(),
        w.now + SignedDuration::from_mins(2),
    )
    .unwrap_err();
    assert!(matches!(err, SealError::CreatedAtMismatch { .. }), "{err}");
}

#[test]
fn refuses_unknown_signer() {
    let w = world();
    let stranger = node("stranger");
    let p = payload(fr(), md(), w.now, 100);
    let sealed = seal(&p, &stranger, &w.md.cert(), w.now).unwrap();
    let err = open_verify(&w, sealed.as_bytes()).unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");
    assert_eq!(err.code(), "unknown_signer");
}

#[test]
fn refuses_a_signer_listed_for_another_party() {
    // DE's node (listed for DE) claims to be FR.
    let w = world();
    let de_key = node("de");
    let dir = FakeDir::new()
        .active(&w.fr, fr())
        .active(&w.md, md())
        .active(&de_key, de());
    let sealed = seal(
        &payload(fr(), md(), w.now, 100),
        &de_key,
        &w.md.cert(),
        w.now,
    )
    .unwrap();
    let err = open(sealed.as_bytes(), &w.md, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), w.now, &OpenPolicy::default())
        .unwrap_err();
    assert!(
        matches!(err, OpenError::SignerNotListedForSender { .. }),
        "{err}"
    );
    // Same Party, other contact point: also refused.
    let alt = cp247_domain::Address::alternate(party("FR"));
    let dir = FakeDir::new().active(&w.fr, alt).active(&w.md, md());
    let sealed = seal(&payload(fr(), md(), w.now, 100), &w.fr, &w.md.cert(), w.now).unwrap();
    let err = open(sealed.as_bytes(), &w.md, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), w.now, &OpenPolicy::default())
        .unwrap_err();
    assert_eq!(err.code(), "signer_not_listed_for_sender");
}

#[test]
fn refuses_suspended_and_revoked_keys_from_their_date() {
    let w = world();
    let sealed = seal(&payload(fr(), md(), w.now, 100), &w.fr, &w.md.cert(), w.now).unwrap();
    let since = w.now - SignedDuration::from_hours(1);
    for (status, code) in [
        (KeyStatus::Suspended { since }, "key_suspended"),
        (KeyStatus::Revoked { since }, "key_revoked"),
    ] {
        let dir = FakeDir::new()
            .with(w.fr.cert(), fr(), status)
            .active(&w.md, md());
        let err = open(sealed.as_bytes(), &w.md, &Limits::default())
            .unwrap()
            .verify(&dir, &md(), w.now, &OpenPolicy::default())
            .unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    // A suspension that starts later does not apply yet.
    let later = w.now + SignedDuration::from_hours(1);
    let dir = FakeDir::new()
        .with(w.fr.cert(), fr(), KeyStatus::Suspended { since: later })
        .active(&w.md, md());
    open(sealed.as_bytes(), &w.md, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), w.now, &OpenPolicy::default())
        .unwrap();
}

#[test]
fn refuses_a_certificate_revoked_by_its_owner() {
    let w = world();
    let sealed = seal(&payload(fr(), md(), w.now, 100), &w.fr, &w.md.cert(), w.now).unwrap();
    let revoked = revoke(&w.fr, w.now - SignedDuration::from_hours(2));
    let dir = FakeDir::new()
        .with(revoked, fr(), KeyStatus::Active)
        .active(&w.md, md());
    let err = open(sealed.as_bytes(), &w.md, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), w.now, &OpenPolicy::default())
        .unwrap_err();
    assert!(matches!(err, OpenError::KeyRevoked { .. }), "{err}");
}

#[test]
fn refuses_an_expired_key() {
    let fr_key = NodeKey::generate(
        "fr <fr@cp247.invalid>",
        t(KEY_TIME),
        Some(SignedDuration::from_hours(24 * 30)),
    )
    .unwrap();
    let md_key = node("md");
    let dir = FakeDir::new().active(&fr_key, fr()).active(&md_key, md());
    // Sealed while valid, opened after expiry (within the maximum age).
    let sealed_at = t("2026-01-30T12:00:00Z");
    let sealed = seal(
        &payload(fr(), md(), sealed_at, 100),
        &fr_key,
        &md_key.cert(),
        sealed_at,
    )
    .unwrap();
    let now = t("2026-02-02T12:00:00Z");
    let err = open(sealed.as_bytes(), &md_key, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), now, &OpenPolicy::default())
        .unwrap_err();
    assert!(matches!(err, OpenError::KeyExpired { .. }), "{err}");
    // And sealing with it after expiry is refused.
    let err = seal(&payload(fr(), md(), now, 100), &fr_key, &md_key.cert(), now).unwrap_err();
    assert!(matches!(err, SealError::Policy(_)), "{err}");
}

#[test]
fn refuses_a_message_addressed_to_another_party() {
    let w = world();
    // Encrypted to MD's key, but the signed header names DE as recipient.
    let sealed = seal(&payload(fr(), de(), w.now, 100), &w.fr, &w.md.cert(), w.now).unwrap();
    let err = open_verify(&w, sealed.as_bytes()).unwrap_err();
    assert!(matches!(err, OpenError::RecipientNotUs { .. }), "{err}");
}

#[test]
fn refuses_a_message_not_encrypted_to_us() {
    let w = world();
    let de_key = node("de");
    let sealed = seal(
        &payload(fr(), de(), w.now, 100),
        &w.fr,
        &de_key.cert(),
        w.now,
    )
    .unwrap();
    let err = open(sealed.as_bytes(), &w.md, &Limits::default()).unwrap_err();
    assert_eq!(err, OpenError::NotEncryptedToUs);
}

#[test]
fn refuses_a_bad_signature() {
    // A genuine signature by FR over one payload, attached to another payload, encrypted with
    // integrity protection: only the signature check can catch it.
    let w = world();
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let signed_payload = payload(fr(), md(), w.now, 100);
    let mut forged = signed_payload.clone();
    forged.body = serde_json::json!({"summary_of_facts": "something else"});
    let craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    let inner = craft.signed_only(signed_payload.canonical_json());
    let forged_inner = replace_literal(
        &parse_packets(&inner),
        &literal_bytes(&forged.canonical_json()),
    );
    let bytes = encrypt_raw(&forged_inner, encryption_subkey(&md_pk), Wrap::Seipd);
    let err = open_verify(&w, &bytes).unwrap_err();
    assert!(matches!(err, OpenError::BadSignature(_)), "{err}");
    // The same packets untouched open fine: the toolkit itself is sound.
    let good = encrypt_raw(&inner, encryption_subkey(&md_pk), Wrap::Seipd);
    open_verify(&w, &good).unwrap();
}

#[test]
fn refuses_encryption_without_integrity_protection() {
    let w = world();
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    let inner = craft.signed_only(payload(fr(), md(), w.now, 100).canonical_json());
    let sed = encrypt_raw(&inner, encryption_subkey(&md_pk), Wrap::Sed);
    assert_eq!(
        open(&sed, &w.md, &Limits::default()).unwrap_err(),
        OpenError::NoIntegrityProtection
    );
    for wrap in [Wrap::SeipdWithoutMdc, Wrap::SeipdWrongMdc] {
        let bytes = encrypt_raw(&inner, encryption_subkey(&md_pk), wrap);
        assert_eq!(
            open(&bytes, &w.md, &Limits::default()).unwrap_err(),
            OpenError::ModificationDetected,
            "{wrap:?}"
        );
    }
}

#[test]
fn refuses_a_modified_ciphertext() {
    let w = world();
    let sealed = seal(
        &payload(fr(), md(), w.now, 1000),
        &w.fr,
        &w.md.cert(),
        w.now,
    )
    .unwrap();
    let mut binary = dearmor(sealed.as_bytes());
    let n = binary.len();
    binary[n - 100] ^= 0x40;
    assert_eq!(
        open(&binary, &w.md, &Limits::default()).unwrap_err(),
        OpenError::ModificationDetected
    );
}

#[test]
fn refuses_weak_hashes() {
    // rPGP (like any careful implementation) refuses to make Ed25519 signatures over SHA-1, so
    // the attacker's message is a genuine signature whose hash-algorithm octets (in the one-pass
    // signature and in the signature) say SHA-1, MD5 or RIPEMD-160. cp247 must refuse on the
    // algorithm alone, before any key lookup.
    let w = world();
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    let p = payload(fr(), md(), w.now, 100).canonical_json();
    let packets = parse_packets(&craft.signed_only(p.clone()));
    let ops = packet_bytes(&packets[0]);
    let sig = packet_bytes(&packets[2]);
    assert_eq!((ops[4], sig[5]), (10, 10), "SHA-512 octets where expected");
    for (hash, id) in [("SHA1", 2u8), ("MD5", 1), ("RIPEMD160", 3)] {
        let (mut o, mut s) = (ops.clone(), sig.clone());
        o[4] = id;
        s[5] = id;
        let mut inner = o;
        inner.extend_from_slice(&literal_bytes(&p));
        inner.extend_from_slice(&s);
        let bytes = encrypt_raw(&inner, encryption_subkey(&md_pk), Wrap::Seipd);
        let err = open(&bytes, &w.md, &Limits::default()).unwrap_err();
        assert_eq!(err, OpenError::WeakHash(hash.into()), "{hash}");
    }
    // Unpatched, the same construction opens and verifies.
    let mut inner = ops.clone();
    inner.extend_from_slice(&literal_bytes(&p));
    inner.extend_from_slice(&sig);
    open_verify(
        &w,
        &encrypt_raw(&inner, encryption_subkey(&md_pk), Wrap::Seipd),
    )
    .unwrap();
}

#[test]
fn refuses_unsigned_messages() {
    let w = world();
    let md_pk = public_of(&w.md.cert());
    let fr_sk = secret_of(&w.fr);
    let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    craft.signer = None;
    let bytes = craft.build(payload(fr(), md(), w.now, 100).canonical_json());
    assert_eq!(
        open(&bytes, &w.md, &Limits::default()).unwrap_err(),
        OpenError::Unsigned
    );
}

#[test]
fn refuses_messages_from_the_future_and_too_old() {
    let w = world();
    let future = w.now + SignedDuration::from_mins(6);
    let sealed = seal(
        &payload(fr(), md(), future, 100),
        &w.fr,
        &w.md.cert(),
        future,
    )
    .unwrap();
    let err = open_verify(&w, sealed.as_bytes()).unwrap_err();
    assert!(matches!(err, OpenError::FromTheFuture { .. }), "{err}");
    // Four minutes ahead is within the allowed skew.
    let near = w.now + SignedDuration::from_mins(4);
    let sealed = seal(&payload(fr(), md(), near, 100), &w.fr, &w.md.cert(), near).unwrap();
    open_verify(&w, sealed.as_bytes()).unwrap();

    let old = w.now - SignedDuration::from_hours(31 * 24);
    let sealed = seal(&payload(fr(), md(), old, 100), &w.fr, &w.md.cert(), old).unwrap();
    let err = open_verify(&w, sealed.as_bytes()).unwrap_err();
    assert!(matches!(err, OpenError::TooOld { .. }), "{err}");
    let policy = OpenPolicy {
        max_age: SignedDuration::from_hours(40 * 24),
        ..OpenPolicy::default()
    };
    open(sealed.as_bytes(), &w.md, &Limits::default())
        .unwrap()
        .verify(&w.dir, &md(), w.now, &policy)
        .unwrap();
}

#[test]
fn refuses_a_header_time_that_disagrees_with_the_signature() {
    // Signed now, but the header claims an hour earlier (e.g. to slip past the age check).
    let w = world();
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let p = payload(fr(), md(), w.now - SignedDuration::from_hours(1), 100);
    let craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    let bytes = craft.build(p.canonical_json());
    let err = open_verify(&w, &bytes).unwrap_err();
    assert!(matches!(err, OpenError::TimeMismatch { .. }), "{err}");
    // A future signature time with a present header is refused as from the future.
    let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    craft.signed_at = w.now + SignedDuration::from_mins(10);
    let p = payload(fr(), md(), w.now + SignedDuration::from_mins(10), 100);
    let err = open_verify(&w, &craft.build(p.canonical_json())).unwrap_err();
    assert!(matches!(err, OpenError::FromTheFuture { .. }), "{err}");
}

#[test]
fn accepts_compression_and_stops_zip_bombs() {
    let w = world();
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    for c in [
        CompressionAlgorithm::ZIP,
        CompressionAlgorithm::ZLIB,
        CompressionAlgorithm::BZip2,
    ] {
        let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
        craft.compression = Some(c);
        let p = payload(fr(), md(), w.now, 5000);
        let v = open_verify(&w, &craft.build(p.canonical_json())).unwrap();
        assert_eq!(v.payload(), &p, "{c:?}");
    }
    // 32 MiB of zeros compresses to a few KiB; the limit stops decompression at 1 MiB.
    let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    craft.compression = Some(CompressionAlgorithm::ZLIB);
    let bomb = craft.build(vec![b' '; 32 * 1024 * 1024]);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let limits = Limits {
        max_payload_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let err = open(&bomb, &w.md, &limits).unwrap_err();
    assert!(matches!(err, OpenError::TooLarge { .. }), "{err}");
}

/// Issue #10, point 3: a stranger's decompression bomb is refused for its signer, found in
/// the packet ahead of the data, before the data is inflated or parsed. The same bomb signed
/// by a listed key stops at the decompression bound instead, which shows the order.
#[test]
fn open_listed_refuses_an_unlisted_signer_before_inflating() {
    let w = world();
    let stranger = shared_node("stranger");
    let stranger_sk = secret_of(&stranger);
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let limits = Limits {
        max_payload_bytes: 512 * 1024,
        ..Limits::default()
    };
    // 2 MiB of JSON-like text, four times the payload limit, compresses to a few KiB.
    let json: Vec<u8> = b"{\"body\":["
        .iter()
        .copied()
        .chain(b"[1,2,3],".repeat(256 * 1024))
        .collect();
    for compression in [
        CompressionAlgorithm::ZLIB,
        CompressionAlgorithm::ZIP,
        CompressionAlgorithm::BZip2,
    ] {
        let mut craft = Craft::new(
            signing_subkey(&stranger_sk),
            encryption_subkey(&md_pk),
            w.now,
        );
        craft.compression = Some(compression);
        let bomb = craft.build(json.clone());
        assert!(bomb.len() < 300_000, "{compression:?}: {}", bomb.len());
        let err = cp247_seal::open_listed(&bomb, &w.md, &limits, &w.dir).unwrap_err();
        assert!(
            matches!(err, OpenError::UnknownSigner(_)),
            "{compression:?}: {err}"
        );
        assert_eq!(err.code(), "unknown_signer");

        // Signed by a listed key, the same bytes are inflated up to the bound and no further.
        let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
        craft.compression = Some(compression);
        let bomb = craft.build(json.clone());
        let err = cp247_seal::open_listed(&bomb, &w.md, &limits, &w.dir).unwrap_err();
        assert!(
            matches!(
                err,
                OpenError::TooLarge {
                    what: "decompressed message",
                    ..
                }
            ),
            "{compression:?}: {err}"
        );
    }

    // Uncompressed, a stranger's well-formed message is refused the same way, unread.
    let p = payload(fr(), md(), w.now, 4096);
    let sealed = seal(&p, &stranger, &w.md.cert(), w.now).unwrap();
    let err = cp247_seal::open_listed(sealed.as_bytes(), &w.md, &limits, &w.dir).unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");
    // `open` (for bytes already trusted) still reads it, and `verify` refuses it.
    let err = open(sealed.as_bytes(), &w.md, &limits)
        .unwrap()
        .verify(&w.dir, &md(), w.now, &OpenPolicy::default())
        .unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");

    // Data ahead of any signer is refused without reading it.
    let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    craft.signer = None;
    craft.compression = Some(CompressionAlgorithm::ZLIB);
    let unsigned = craft.build(json.clone());
    let err = cp247_seal::open_listed(&unsigned, &w.md, &limits, &w.dir).unwrap_err();
    assert!(matches!(err, OpenError::Unsigned), "{err}");

    // A listed signer's messages open as before, compressed or not.
    for compression in [None, Some(CompressionAlgorithm::ZLIB)] {
        let mut craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
        craft.compression = compression;
        let p = payload(fr(), md(), w.now, 5000);
        let v = cp247_seal::open_listed(&craft.build(p.canonical_json()), &w.md, &limits, &w.dir)
            .unwrap()
            .verify(&w.dir, &md(), w.now, &OpenPolicy::default())
            .unwrap();
        assert_eq!(v.payload(), &p);
    }
    let sealed = seal(&p, &w.fr, &w.md.cert(), w.now).unwrap();
    let v = cp247_seal::open_listed(sealed.as_bytes(), &w.md, &limits, &w.dir)
        .unwrap()
        .verify(&w.dir, &md(), w.now, &OpenPolicy::default())
        .unwrap();
    assert_eq!(v.payload(), &p);
}

/// The one-pass signature must announce the key that signs: a message announcing a listed key
/// but signed by a stranger is refused before its payload is parsed.
#[test]
fn the_announced_signer_must_be_the_signer() {
    let w = world();
    let stranger = shared_node("stranger");
    let stranger_sk = secret_of(&stranger);
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let p = payload(fr(), md(), w.now, 1000);
    // Take fr's one-pass signature packet, and the stranger's literal data and signature.
    let fr_packets = parse_packets(
        &Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now)
            .signed_only(p.canonical_json()),
    );
    let stranger_packets = parse_packets(
        &Craft::new(
            signing_subkey(&stranger_sk),
            encryption_subkey(&md_pk),
            w.now,
        )
        .signed_only(p.canonical_json()),
    );
    let mut inner = packet_bytes(&fr_packets[0]);
    inner.extend_from_slice(&packet_bytes(&stranger_packets[1]));
    inner.extend_from_slice(&packet_bytes(&stranger_packets[2]));
    let bytes = encrypt_raw(&inner, encryption_subkey(&md_pk), Wrap::Seipd);
    let err = cp247_seal::open_listed(&bytes, &w.md, &Limits::default(), &w.dir).unwrap_err();
    assert!(matches!(err, OpenError::Malformed(_)), "{err}");
}

#[test]
fn refuses_oversized_and_malformed_input() {
    let w = world();
    let sealed = seal(
        &payload(fr(), md(), w.now, 2000),
        &w.fr,
        &w.md.cert(),
        w.now,
    )
    .unwrap();
    let limits = Limits {
        max_sealed_bytes: 1000,
        ..Limits::default()
    };
    assert!(matches!(
        open(sealed.as_bytes(), &w.md, &limits).unwrap_err(),
        OpenError::TooLarge { .. }
    ));
    for junk in [
        &b""[..],
        b"hello",
        b"-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----\n",
        b"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n",
        &[0xC1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03],
    ] {
        let err = open(junk, &w.md, &Limits::default()).unwrap_err();
        assert_eq!(err.code(), "malformed", "{junk:?}: {err}");
    }
    // A signed but unencrypted message is not a sealed message.
    let fr_sk = secret_of(&w.fr);
    let md_pk = public_of(&w.md.cert());
    let craft = Craft::new(signing_subkey(&fr_sk), encryption_subkey(&md_pk), w.now);
    let plain = craft.signed_only(payload(fr(), md(), w.now, 10).canonical_json());
    assert_eq!(
        open(&plain, &w.md, &Limits::default()).unwrap_err().code(),
        "malformed"
    );
    // Two signatures: refused.
    let inner = craft.signed_only(payload(fr(), md(), w.now, 10).canonical_json());
    let sig = parse_packets(&inner).last().unwrap().clone();
    let mut two = inner.clone();
    two.extend_from_slice(&packet_bytes(&sig));
    let bytes = encrypt_raw(&two, encryption_subkey(&md_pk), Wrap::Seipd);
    assert_eq!(
        open(&bytes, &w.md, &Limits::default()).unwrap_err().code(),
        "malformed"
    );
    // A payload that is not canonical JSON.
    let bytes = craft.build(b"{\"header\": 1}".to_vec());
    assert_eq!(
        open(&bytes, &w.md, &Limits::default()).unwrap_err().code(),
        "invalid_payload"
    );
}

#[test]
fn a_flipped_session_key_is_refused() {
    let w = world();
    let sealed = seal(&payload(fr(), md(), w.now, 100), &w.fr, &w.md.cert(), w.now).unwrap();
    let binary = dearmor(sealed.as_bytes());
    // The PKESK addressed to MD: find its key id and flip a byte of its ciphertext.
    let md_pk = public_of(&w.md.cert());
    let id = encryption_subkey(&md_pk).legacy_key_id();
    let id_bytes: &[u8] = id.as_ref();
    let pos = binary
        .windows(8)
        .position(|win| win == id_bytes)
        .expect("key id present");
    let mut bad = binary.clone();
    bad[pos + 8 + 10] ^= 0x01; // inside the ephemeral point / wrapped key
    let err = open(&bad, &w.md, &Limits::default()).unwrap_err();
    assert!(
        matches!(
            err,
            OpenError::SessionKeyUndecryptable | OpenError::ModificationDetected
        ),
        "{err}"
    );
    let mut other = binary.clone();
    other[pos] ^= 0x01; // the key id: no longer addressed to us
    assert_eq!(
        open(&other, &w.md, &Limits::default()).unwrap_err(),
        OpenError::NotEncryptedToUs
    );
}

#[test]
fn locked_key_round_trip_keeps_opening_messages() {
    let w = world();
    let pass = Passphrase::new("s3cret passphrase".into());
    let locked = w.md.to_locked_armored(&pass).unwrap();
    let back = NodeKey::from_locked_armored(&locked, &pass).unwrap();
    assert_eq!(back.fingerprint(), w.md.fingerprint());
    let sealed = seal(&payload(fr(), md(), w.now, 100), &w.fr, &w.md.cert(), w.now).unwrap();
    open(sealed.as_bytes(), &back, &Limits::default())
        .unwrap()
        .verify(&w.dir, &md(), w.now, &OpenPolicy::default())
        .unwrap();
}

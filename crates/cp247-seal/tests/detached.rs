#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Detached signatures (the signed directory, audit checkpoints).

mod common;

use common::*;
use cp247_seal::{NodeKey, PolicyError, SealError, sign_detached, verify_detached};
use jiff::SignedDuration;

const DATA: &[u8] = b"{\"directory\":\"network of 24/7 contact points\",\"serial\":42}\n";

#[test]
fn sign_and_verify() {
    let key = node("authority");
    let now = t(NOW);
    let sig = sign_detached(&key, DATA, now).unwrap();
    assert!(sig.starts_with("-----BEGIN PGP SIGNATURE-----"));
    let info = verify_detached(&key.cert(), DATA, &sig, now).unwrap();
    assert_eq!(info.created, now);
    assert_eq!(info.cert, key.fingerprint());
    assert!(key.cert().has_key(&info.signer));
    assert_eq!(info.hash, "SHA512");
    // Later checks still accept it while the key is valid.
    verify_detached(
        &key.cert(),
        DATA,
        &sig,
        now + SignedDuration::from_hours(24 * 90),
    )
    .unwrap();
}

#[test]
fn refusals() {
    let key = node("authority");
    let now = t(NOW);
    let sig = sign_detached(&key, DATA, now).unwrap();

    let mut changed = DATA.to_vec();
    changed[5] ^= 1;
    assert!(matches!(
        verify_detached(&key.cert(), &changed, &sig, now).unwrap_err(),
        SealError::BadSignature
    ));
    assert!(matches!(
        verify_detached(&node("other").cert(), DATA, &sig, now).unwrap_err(),
        SealError::WrongSigner { .. }
    ));
    let early = now - SignedDuration::from_mins(10);
    assert!(matches!(
        verify_detached(&key.cert(), DATA, &sig, early).unwrap_err(),
        SealError::SignatureFromTheFuture { .. }
    ));
    for junk in [
        "",
        "nonsense",
        "-----BEGIN PGP MESSAGE-----\n\nAAAA\n-----END PGP MESSAGE-----\n",
    ] {
        assert!(
            matches!(
                verify_detached(&key.cert(), DATA, junk, now).unwrap_err(),
                SealError::MalformedSignature(_)
            ),
            "{junk}"
        );
    }
    assert!(matches!(
        verify_detached(&key.cert(), DATA, &"x".repeat(20_000), now).unwrap_err(),
        SealError::TooLarge { .. }
    ));
    // Two signatures in one block: refused.
    let binary = dearmor_sig(&sig);
    let mut twice = binary.clone();
    twice.extend_from_slice(&binary);
    let armored = armor_sig(&twice);
    assert!(matches!(
        verify_detached(&key.cert(), DATA, &armored, now).unwrap_err(),
        SealError::MalformedSignature(_)
    ));
    // A SHA-1 hash-algorithm octet: refused as weak before anything else.
    let mut weak = binary.clone();
    assert_eq!(weak[5], 10);
    weak[5] = 2;
    assert!(matches!(
        verify_detached(&key.cert(), DATA, &armor_sig(&weak), now).unwrap_err(),
        SealError::WeakHash(_)
    ));
}

#[test]
fn expired_and_revoked_keys() {
    let key = NodeKey::generate(
        "authority <a@cp247.invalid>",
        t(KEY_TIME),
        Some(SignedDuration::from_hours(24 * 30)),
    )
    .unwrap();
    let at = t("2026-01-15T00:00:00Z");
    let sig = sign_detached(&key, DATA, at).unwrap();
    verify_detached(&key.cert(), DATA, &sig, at).unwrap();
    let err = verify_detached(&key.cert(), DATA, &sig, t(NOW)).unwrap_err();
    assert!(
        matches!(err, SealError::Policy(PolicyError::Expired { .. })),
        "{err}"
    );
    assert!(sign_detached(&key, DATA, t(NOW)).is_err());

    let key = node("authority");
    let sig = sign_detached(&key, DATA, t(NOW)).unwrap();
    let err = verify_detached(&revoke(&key, t(NOW)), DATA, &sig, t(NOW)).unwrap_err();
    assert!(
        matches!(err, SealError::Policy(PolicyError::Revoked(_))),
        "{err}"
    );
}

fn dearmor_sig(text: &str) -> Vec<u8> {
    dearmor(text.as_bytes())
}

fn armor_sig(binary: &[u8]) -> String {
    String::from_utf8(armor(binary))
        .unwrap()
        .replace("PGP MESSAGE", "PGP SIGNATURE")
}

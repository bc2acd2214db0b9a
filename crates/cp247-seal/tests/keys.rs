#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Node keys, certificates, fingerprints, secrets at rest and the key policy.

mod common;

use common::*;
use cp247_seal::{
    Cert, Fingerprint, Limits, NodeKey, OpenError, OpenPolicy, Passphrase, PolicyError, SealError,
    open, seal,
};
use jiff::SignedDuration;
use pgp::composed::{
    ArmorOptions, EncryptionCaps, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
    SubkeyParamsBuilder,
};
use pgp::crypto::ecc_curve::ECCCurve;

#[test]
fn generated_keys_meet_the_policy_and_round_trip() {
    let key = node("fr");
    let cert = key.cert();
    cert.check_policy(t(KEY_TIME)).unwrap();
    cert.check_policy(t(NOW)).unwrap();
    assert_eq!(cert.expires_at(), None);
    assert_eq!(cert.fingerprint(), key.fingerprint());
    assert_eq!(cert.user_id().unwrap(), "cp247 node fr <fr@cp247.invalid>");
    let text = cert.armored();
    assert!(text.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
    assert_eq!(Cert::from_armored(&text).unwrap(), cert);
    // Binary form too.
    let pk = public_of(&cert);
    let binary = pgp::ser::Serialize::to_bytes(&pk).unwrap();
    assert_eq!(Cert::from_bytes(&binary).unwrap(), cert);
    // The certificate carries the preferences GnuPG needs to pick SHA-2 and AES-256.
    let sig = &pk.details.users[0].signatures[0];
    assert_eq!(
        sig.preferred_hash_algs(),
        &[
            pgp::crypto::hash::HashAlgorithm::Sha512,
            pgp::crypto::hash::HashAlgorithm::Sha256
        ]
    );
    assert_eq!(
        sig.preferred_symmetric_algs()[0],
        pgp::crypto::sym::SymmetricKeyAlgorithm::AES256
    );
    assert_eq!(pk.public_subkeys.len(), 2);
    // Dated by the caller, not by the wall clock.
    assert_eq!(
        pk.primary_key.created_at().as_secs() as i64,
        t(KEY_TIME).as_second()
    );
    assert_eq!(
        sig.created().unwrap().as_secs() as i64,
        t(KEY_TIME).as_second()
    );
}

use pgp::types::KeyDetails as _;

#[test]
fn fingerprints_parse_and_print() {
    let key = node("fr");
    let fp = key.fingerprint();
    let text = fp.to_string();
    assert_eq!(text.len(), 40);
    assert!(
        text.bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    );
    assert_eq!(Fingerprint::parse(&text).unwrap(), fp);
    assert_eq!(Fingerprint::parse(&text.to_lowercase()).unwrap(), fp);
    assert_eq!(serde_json::to_string(&fp).unwrap(), format!("\"{text}\""));
    assert_eq!(
        serde_json::from_str::<Fingerprint>(&format!("\"{text}\"")).unwrap(),
        fp
    );
    for bad in [
        "",
        "ABC",
        &text[..39],
        &format!("{text}0"),
        &text.replace('A', "G"),
    ] {
        if bad != text {
            assert!(Fingerprint::parse(bad).is_err(), "{bad}");
        }
    }
    assert!(key.cert().has_key(&fp));
    assert!(!node("md").cert().has_key(&fp));
}

#[test]
fn secrets_never_show_in_debug() {
    let pass = Passphrase::new("hunter2-CANARY".into());
    assert_eq!(format!("{pass:?}"), "Passphrase(***)");
    let key = node("fr");
    let dbg = format!("{key:?}");
    assert!(dbg.contains(&key.fingerprint().to_string()));
    assert!(dbg.contains("***"));
    assert!(!dbg.contains("PRIVATE"));
}

#[test]
fn secret_keys_are_locked_at_rest() {
    let key = node("fr");
    let pass = Passphrase::new("a long passphrase".into());
    let locked = key.to_locked_armored(&pass).unwrap();
    assert!(locked.starts_with("-----BEGIN PGP PRIVATE KEY BLOCK-----"));
    let back = NodeKey::from_locked_armored(&locked, &pass).unwrap();
    assert_eq!(back.cert(), key.cert());
    let err = NodeKey::from_locked_armored(&locked, &Passphrase::new("wrong".into())).unwrap_err();
    assert!(matches!(err, SealError::WrongPassphrase), "{err}");
    let err = key
        .to_locked_armored(&Passphrase::new(String::new()))
        .unwrap_err();
    assert!(matches!(err, SealError::InvalidSecretKey(_)), "{err}");
    // An unprotected secret key file is refused.
    let plain = secret_of(&key)
        .to_armored_string(ArmorOptions::default())
        .unwrap();
    let err = NodeKey::from_locked_armored(&plain, &pass).unwrap_err();
    assert!(matches!(err, SealError::InvalidSecretKey(_)), "{err}");
    // Garbage and oversized input.
    assert!(matches!(
        NodeKey::from_locked_armored("nonsense", &pass).unwrap_err(),
        SealError::InvalidSecretKey(_)
    ));
    assert!(matches!(
        NodeKey::from_locked_armored(&"x".repeat(70_000), &pass).unwrap_err(),
        SealError::TooLarge { .. }
    ));
}

#[test]
fn user_id_and_validity_are_checked() {
    for bad in ["", "line\nbreak"] {
        assert!(matches!(
            NodeKey::generate(bad, t(KEY_TIME), None).unwrap_err(),
            SealError::InvalidUserId
        ));
    }
    assert!(matches!(
        NodeKey::generate("x", t(KEY_TIME), Some(SignedDuration::from_secs(60))).unwrap_err(),
        SealError::InvalidValidity
    ));
}

#[test]
fn expiry_and_creation_time_are_enforced() {
    let key = NodeKey::generate(
        "fr <fr@cp247.invalid>",
        t(KEY_TIME),
        Some(SignedDuration::from_hours(24 * 365)),
    )
    .unwrap();
    let cert = key.cert();
    let exp = t("2027-01-01T00:00:00Z");
    assert_eq!(cert.expires_at(), Some(exp));
    cert.check_policy(t("2026-12-31T23:59:59Z")).unwrap();
    assert!(matches!(
        cert.check_policy(exp).unwrap_err(),
        PolicyError::Expired { .. }
    ));
    assert!(matches!(
        cert.check_policy(t("2025-12-31T23:59:59Z")).unwrap_err(),
        PolicyError::NotYetValid { .. }
    ));
}

#[test]
fn owner_revocation_is_enforced() {
    let key = node("fr");
    let cert = revoke(&key, t(NOW));
    assert!(matches!(
        cert.check_policy(t(NOW)).unwrap_err(),
        PolicyError::Revoked(_)
    ));
    // Sealing to a revoked certificate is refused.
    let err = seal(&payload(fr(), md(), t(NOW), 10), &node("md"), &cert, t(NOW)).unwrap_err();
    assert!(
        matches!(err, SealError::Policy(PolicyError::Revoked(_))),
        "{err}"
    );
}

#[test]
fn signing_subkeys_need_the_sign_flag_and_a_back_signature() {
    let fr_key = node("fr");
    let md_key = node("md");
    let now = t(NOW);
    let sealed = seal(&payload(fr(), md(), now, 100), &fr_key, &md_key.cert(), now).unwrap();

    // Re-bound with the sign flag and the back-signature: still fine (the toolkit is sound).
    let (ok, _) = rebind_signing_subkey(&fr_key, true, true, t(KEY_TIME));
    ok.check_policy(now).unwrap();

    for (sign_flag, backsig) in [(true, false), (false, true)] {
        let (cert, _) = rebind_signing_subkey(&fr_key, sign_flag, backsig, t(KEY_TIME));
        assert!(
            matches!(
                cert.check_policy(now).unwrap_err(),
                PolicyError::NoSigningSubkey(_)
            ),
            "sign flag {sign_flag}, backsig {backsig}"
        );
        let dir = FakeDir::new()
            .with(cert, fr(), cp247_seal::KeyStatus::Active)
            .active(&md_key, md());
        let err = open(sealed.as_bytes(), &md_key, &Limits::default())
            .unwrap()
            .verify(&dir, &md(), now, &OpenPolicy::default())
            .unwrap_err();
        assert!(matches!(err, OpenError::KeyPolicy(_)), "{err}");
    }
}

fn rpgp_key(primary_signs: bool, prefs: bool) -> Cert {
    let mut sign = SubkeyParamsBuilder::default();
    sign.key_type(KeyType::Ed25519Legacy)
        .can_sign(true)
        .can_encrypt(EncryptionCaps::None)
        .created_at(pgp_time(t(KEY_TIME)));
    let mut enc = SubkeyParamsBuilder::default();
    enc.key_type(KeyType::ECDH(ECCCurve::Curve25519Legacy))
        .can_encrypt(EncryptionCaps::All)
        .created_at(pgp_time(t(KEY_TIME)));
    let mut p = SecretKeyParamsBuilder::default();
    p.key_type(KeyType::Ed25519Legacy)
        .can_certify(true)
        .can_sign(primary_signs)
        .primary_user_id("x <x@cp247.invalid>".into())
        .created_at(pgp_time(t(KEY_TIME)))
        .subkeys(vec![sign.build().unwrap(), enc.build().unwrap()]);
    if prefs {
        p.preferred_hash_algorithms(
            [pgp::crypto::hash::HashAlgorithm::Sha512]
                .into_iter()
                .collect(),
        )
        .preferred_symmetric_algorithms(
            [pgp::crypto::sym::SymmetricKeyAlgorithm::AES256]
                .into_iter()
                .collect(),
        );
    }
    let sk = p.build().unwrap().generate(rand08::thread_rng()).unwrap();
    let pk: SignedPublicKey = sk.to_public_key();
    Cert::from_armored(&pk.to_armored_string(ArmorOptions::default()).unwrap()).unwrap()
}

#[test]
fn preferences_and_certify_only_primary_are_required() {
    // rPGP's builder dates self-signatures with the wall clock, so check well after it.
    let later = t("2100-01-01T00:00:00Z");
    rpgp_key(false, true).check_policy(later).unwrap();
    assert!(matches!(
        rpgp_key(false, false).check_policy(later).unwrap_err(),
        PolicyError::MissingPreferences { .. }
    ));
    assert!(matches!(
        rpgp_key(true, true).check_policy(later).unwrap_err(),
        PolicyError::PrimaryNotCertifyOnly(_)
    ));
}

#[test]
fn certificates_are_read_strictly() {
    for bad in [
        "",
        "hello",
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----\n",
    ] {
        assert!(Cert::from_armored(bad).is_err(), "{bad}");
    }
    assert!(matches!(
        Cert::from_bytes(&vec![0u8; 70_000]).unwrap_err(),
        SealError::TooLarge { .. }
    ));
    // Two keys in one text: refused.
    let two = format!(
        "{}{}",
        node("a").cert().armored(),
        node("b").cert().armored()
    );
    assert!(matches!(
        Cert::from_armored(&two).unwrap_err(),
        SealError::InvalidCert(_)
    ));
    // A secret key is not a certificate.
    let locked = node("c")
        .to_locked_armored(&Passphrase::new("p".into()))
        .unwrap();
    assert!(Cert::from_armored(&locked).is_err());
}

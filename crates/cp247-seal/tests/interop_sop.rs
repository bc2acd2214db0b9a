#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Interoperability with a Stateless OpenPGP tool from Debian (sqop, built on Sequoia), both
//! directions. Under `CI=true` a missing sqop fails these tests.

mod common;
#[path = "common/tools.rs"]
mod tools;

use common::*;
use cp247_seal::{Cert, KeyStatus, Limits, OpenError, OpenPolicy, open, seal};
use tools::{require, sqop, system_now};

#[test]
fn cp247_seals_and_sqop_decrypts_and_verifies() {
    if !require("sqop") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let md_secret = sqop(&["generate-key", "MD node <md@cp247.invalid>"], b"");
    let md_cert_text = sqop(&["extract-cert"], &md_secret);
    let md_cert = Cert::from_bytes(&md_cert_text).unwrap();
    let now = system_now();
    md_cert.check_policy(now).unwrap();

    let fr_key = node("fr");
    let fr_cert_file = dir.path().join("fr.cert");
    std::fs::write(&fr_cert_file, fr_key.cert().armored()).unwrap();
    let key_file = dir.path().join("md.key");
    std::fs::write(&key_file, &md_secret).unwrap();
    let verifications = dir.path().join("verifications.txt");

    let p = payload(fr(), md(), now, 4096);
    let sealed = seal(&p, &fr_key, &md_cert, now).unwrap();
    let plain = sqop(
        &[
            "decrypt",
            "--verify-with",
            fr_cert_file.to_str().unwrap(),
            "--verifications-out",
            verifications.to_str().unwrap(),
            key_file.to_str().unwrap(),
        ],
        sealed.as_bytes(),
    );
    assert_eq!(plain, p.canonical_json());
    let v = std::fs::read_to_string(verifications).unwrap();
    // One line per good signature: "<time> <signing key fpr> <primary fpr> ...".
    let line = v
        .lines()
        .next()
        .unwrap_or_else(|| panic!("no verification: {v:?}"));
    assert!(line.contains(&fr_key.fingerprint().to_string()), "{line}");
}

#[test]
fn sqop_signs_and_encrypts_and_cp247_opens_only_listed_signers() {
    if !require("sqop") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let x_secret = sqop(&["generate-key", "FR node <fr@cp247.invalid>"], b"");
    let x_cert = Cert::from_bytes(&sqop(&["extract-cert"], &x_secret)).unwrap();
    let x_key_file = dir.path().join("x.key");
    std::fs::write(&x_key_file, &x_secret).unwrap();

    let md_key = node("md");
    let md_cert_file = dir.path().join("md.cert");
    std::fs::write(&md_cert_file, md_key.cert().armored()).unwrap();

    let now = system_now();
    let p = payload(fr(), md(), now, 4096);
    let sealed = sqop(
        &[
            "encrypt",
            "--sign-with",
            x_key_file.to_str().unwrap(),
            md_cert_file.to_str().unwrap(),
        ],
        &p.canonical_json(),
    );
    let later = system_now();
    let dir_ok = FakeDir::new()
        .with(x_cert.clone(), fr(), KeyStatus::Active)
        .active(&md_key, md());
    let v = open(&sealed, &md_key, &Limits::default())
        .unwrap()
        .verify(&dir_ok, &md(), later, &OpenPolicy::default())
        .unwrap();
    assert_eq!(v.payload(), &p);
    assert!(x_cert.has_key(&v.signer()));

    let empty = FakeDir::new().active(&md_key, md());
    let err = open(&sealed, &md_key, &Limits::default())
        .unwrap()
        .verify(&empty, &md(), later, &OpenPolicy::default())
        .unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");
    // From the network: the signer is found ahead of the data, and refused there when unlisted.
    let listed = cp247_seal::open_listed(&sealed, &md_key, &Limits::default(), &dir_ok)
        .unwrap()
        .verify(&dir_ok, &md(), later, &OpenPolicy::default())
        .unwrap();
    assert_eq!(listed.payload(), &p);
    let err = cp247_seal::open_listed(&sealed, &md_key, &Limits::default(), &empty).unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");
}

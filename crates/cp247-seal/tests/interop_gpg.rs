#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Interoperability with GnuPG (an independent implementation), both directions, and cp247's
//! key policy applied to keys GnuPG makes. Under `CI=true` a missing gpg fails these tests.

mod common;
#[path = "common/tools.rs"]
mod tools;

use common::*;
use cp247_seal::{Cert, KeyStatus, Limits, OpenError, OpenPolicy, PolicyError, open, seal};
use tools::{Gpg, require, system_now};

#[test]
fn cp247_seals_and_gnupg_decrypts_and_verifies() {
    if !require("gpg") {
        return;
    }
    let gpg = Gpg::new();
    let md_fpr = gpg.gen_cp247_shape("MD node <md@cp247.invalid>");
    let md_cert = Cert::from_armored(&gpg.export(&md_fpr)).unwrap();
    let now = system_now();
    md_cert.check_policy(now).unwrap();

    let fr_key = node("fr");
    gpg.import(&fr_key.cert().armored());
    let p = payload(fr(), md(), now, 4096);
    let sealed = seal(&p, &fr_key, &md_cert, now).unwrap();
    let input = gpg.path("sealed.asc");
    std::fs::write(&input, sealed.as_bytes()).unwrap();
    let output = gpg.path("plain.json");
    let status = gpg.path("status.txt");
    gpg.run(
        &[
            "--trust-model",
            "always",
            "--status-file",
            status.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--decrypt",
            input.to_str().unwrap(),
        ],
        true,
    );
    let status = std::fs::read_to_string(status).unwrap();
    for token in ["DECRYPTION_OKAY", "GOODMDC", "GOODSIG", "VALIDSIG"] {
        assert!(
            status.contains(&format!("[GNUPG:] {token}")),
            "{token} missing:\n{status}"
        );
    }
    assert!(!status.contains("BADSIG"), "{status}");
    // VALIDSIG names the primary key last.
    let validsig = status.lines().find(|l| l.contains("VALIDSIG")).unwrap();
    assert!(
        validsig.ends_with(&fr_key.fingerprint().to_string()),
        "{validsig}"
    );
    // AES-256 (cipher 9) was used: the DECRYPTION_INFO line says so.
    let info = status
        .lines()
        .find(|l| l.contains("DECRYPTION_INFO"))
        .unwrap();
    assert!(info.split_whitespace().any(|w| w == "9"), "{info}");
    assert_eq!(std::fs::read(output).unwrap(), p.canonical_json());
}

#[test]
fn gnupg_signs_and_encrypts_and_cp247_opens_only_listed_signers() {
    if !require("gpg") {
        return;
    }
    let gpg = Gpg::new();
    let x_fpr = gpg.gen_cp247_shape("FR node <fr@cp247.invalid>");
    let x_cert = Cert::from_armored(&gpg.export(&x_fpr)).unwrap();
    let md_key = node("md");
    gpg.import(&md_key.cert().armored());

    let now = system_now();
    let p = payload(fr(), md(), now, 4096);
    let input = gpg.path("payload.json");
    std::fs::write(&input, p.canonical_json()).unwrap();
    let output = gpg.path("sealed.asc");
    // GnuPG's defaults: it compresses (ZLIB, first in our preferences) and picks the hash from
    // the recipient's preferences.
    gpg.run(
        &[
            "--trust-model",
            "always",
            "--armor",
            "-u",
            &x_fpr,
            "-r",
            &md_key.fingerprint().to_string(),
            "--output",
            output.to_str().unwrap(),
            "--sign",
            "--encrypt",
            input.to_str().unwrap(),
        ],
        true,
    );
    let sealed = std::fs::read(output).unwrap();
    let later = system_now();

    let dir = FakeDir::new()
        .with(x_cert.clone(), fr(), KeyStatus::Active)
        .active(&md_key, md());
    let v = open(&sealed, &md_key, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), later, &OpenPolicy::default())
        .unwrap();
    assert_eq!(v.payload(), &p);
    assert_eq!(v.sender(), fr());
    assert!(x_cert.has_key(&v.signer()));

    // Not in the directory: refused as an unknown signer.
    let empty = FakeDir::new().active(&md_key, md());
    let err = open(&sealed, &md_key, &Limits::default())
        .unwrap()
        .verify(&empty, &md(), later, &OpenPolicy::default())
        .unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");
    // From the network: the signer is found ahead of the data, and refused there when unlisted.
    let listed = cp247_seal::open_listed(&sealed, &md_key, &Limits::default(), &dir)
        .unwrap()
        .verify(&dir, &md(), later, &OpenPolicy::default())
        .unwrap();
    assert_eq!(listed.payload(), &p);
    let err = cp247_seal::open_listed(&sealed, &md_key, &Limits::default(), &empty).unwrap_err();
    assert!(matches!(err, OpenError::UnknownSigner(_)), "{err}");
}

#[test]
fn gnupg_keys_outside_the_policy_are_refused() {
    if !require("gpg") {
        return;
    }
    let gpg = Gpg::new();
    let check = |uid: &str, algo: &str, extra: &[&str]| -> PolicyError {
        let mut args = extra.to_vec();
        args.extend_from_slice(&["--quick-gen-key", uid, algo, "cert", "never"]);
        gpg.run(&args, true);
        let fpr = gpg.fingerprint(uid);
        gpg.run(&["--quick-add-key", &fpr, algo, "sign", "never"], true);
        Cert::from_armored(&gpg.export(&fpr))
            .unwrap()
            .check_policy(system_now())
            .unwrap_err()
    };
    assert!(matches!(
        check("rsa <rsa@x.invalid>", "rsa2048", &[]),
        PolicyError::WeakAlgorithm { .. }
    ));
    assert!(matches!(
        check("dsa <dsa@x.invalid>", "dsa2048", &[]),
        PolicyError::WeakAlgorithm { .. }
    ));
    let e = check(
        "sha1 <sha1@x.invalid>",
        "ed25519",
        &["--cert-digest-algo", "SHA1"],
    );
    assert!(matches!(e, PolicyError::WeakHash { .. }), "{e:?}");
    // GnuPG's default shape (primary key signs too) is not cp247's profile.
    gpg.run(
        &[
            "--quick-gen-key",
            "default <d@x.invalid>",
            "ed25519",
            "sign,cert",
            "never",
        ],
        true,
    );
    let fpr = gpg.fingerprint("default <d@x.invalid>");
    gpg.run(&["--quick-add-key", &fpr, "cv25519", "encr", "never"], true);
    assert!(matches!(
        Cert::from_armored(&gpg.export(&fpr))
            .unwrap()
            .check_policy(system_now())
            .unwrap_err(),
        PolicyError::PrimaryNotCertifyOnly(_)
    ));
}

/// A MIME entity sealed for PGP/MIME (RFC 3156 combined method) decrypts in GnuPG to the exact
/// entity, with a good signature by the node's key, and is encrypted to the node too.
#[test]
fn mime_entities_sealed_for_e_mail_decrypt_and_verify_in_gnupg() {
    if !require("gpg") {
        return;
    }
    let gpg = Gpg::new();
    let officer = gpg.gen_cp247_shape("Duty officer <duty@cp247.invalid>");
    let officer_cert = Cert::from_armored(&gpg.export(&officer)).unwrap();
    let fr_key = node("fr");
    gpg.import(&fr_key.cert().armored());
    let now = system_now();
    let entity =
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nUrgent request FR-2026-000123.\r\n";
    let armored = cp247_seal::seal_mime_entity(entity, &fr_key, &officer_cert, now).unwrap();
    assert!(armored.starts_with("-----BEGIN PGP MESSAGE-----"));
    let input = gpg.path("mime.asc");
    std::fs::write(&input, &armored).unwrap();
    let output = gpg.path("mime.out");
    let status = gpg.path("mime-status.txt");
    gpg.run(
        &[
            "--trust-model",
            "always",
            "--status-file",
            status.to_str().unwrap(),
            "--output",
            output.to_str().unwrap(),
            "--decrypt",
            input.to_str().unwrap(),
        ],
        true,
    );
    let status = std::fs::read_to_string(status).unwrap();
    for token in ["DECRYPTION_OKAY", "GOODMDC", "GOODSIG", "VALIDSIG"] {
        assert!(
            status.contains(&format!("[GNUPG:] {token}")),
            "{token}:\n{status}"
        );
    }
    let validsig = status.lines().find(|l| l.contains("VALIDSIG")).unwrap();
    assert!(
        validsig.ends_with(&fr_key.fingerprint().to_string()),
        "{validsig}"
    );
    assert_eq!(std::fs::read(output).unwrap(), entity);
    // Two recipients: the officer and the node itself (its archive).
    let pkesk = status.lines().filter(|l| l.contains("ENC_TO")).count();
    assert_eq!(pkesk, 2, "{status}");

    // Too large an entity is refused before any cryptography.
    let big = vec![b'a'; cp247_seal::MAX_MIME_ENTITY_BYTES + 1];
    let err = cp247_seal::seal_mime_entity(&big, &fr_key, &officer_cert, now).unwrap_err();
    assert!(err.to_string().contains("MIME entity"), "{err}");
}

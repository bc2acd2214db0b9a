#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Signed receipts: non-repudiation of delivery.

mod common;

use common::*;
use cp247_domain::Instant;
use cp247_seal::{
    Limits, OpenError, OpenPolicy, Receipt, SealError, open, receipt_signer, seal, sign_receipt,
    verify_receipt,
};
use jiff::SignedDuration;

#[test]
fn receipt_round_trip_acknowledges_the_exact_bytes() {
    let fr_key = node("fr");
    let md_key = node("md");
    let dir = FakeDir::new().active(&fr_key, fr()).active(&md_key, md());
    let now = t(NOW);
    let p = payload(fr(), md(), now, 500);
    let sealed = seal(&p, &fr_key, &md_key.cert(), now).unwrap();

    // MD opens, verifies and acknowledges.
    let received_at = now + SignedDuration::from_secs(3);
    let v = open(sealed.as_bytes(), &md_key, &Limits::default())
        .unwrap()
        .verify(&dir, &md(), received_at, &OpenPolicy::default())
        .unwrap();
    let receipt = Receipt::for_message(
        v.sealed_sha256(),
        v.header().message_id,
        v.sender(),
        md(),
        Instant::utc(received_at),
        Some("sha256:0f1e2d".into()),
    );
    let signed = sign_receipt(&receipt, &md_key, received_at).unwrap();
    assert!(signed.armored().starts_with("-----BEGIN PGP MESSAGE-----"));
    assert!(
        md_key
            .cert()
            .has_key(&receipt_signer(signed.as_bytes()).unwrap())
    );

    // FR verifies and keeps it.
    let later = received_at + SignedDuration::from_hours(24 * 400);
    let back = verify_receipt(signed.as_bytes(), &dir, &md(), later).unwrap();
    assert_eq!(back, receipt);
    back.check_acknowledges(&sealed, &p.header.message_id)
        .unwrap();
    let other = seal(&payload(fr(), md(), now, 500), &fr_key, &md_key.cert(), now).unwrap();
    assert_eq!(
        back.check_acknowledges(&other, &p.header.message_id)
            .unwrap_err()
            .code(),
        "receipt_mismatch"
    );
}

#[test]
fn receipt_refusals() {
    let fr_key = node("fr");
    let md_key = node("md");
    let de_key = node("de");
    let dir = FakeDir::new()
        .active(&fr_key, fr())
        .active(&md_key, md())
        .active(&de_key, de());
    let now = t(NOW);
    let receipt = Receipt::for_message(
        [7u8; 32],
        cp247_domain::MessageId::generate(now, &mut rand::rng()),
        fr(),
        md(),
        Instant::utc(now),
        None,
    );
    let signed = sign_receipt(&receipt, &md_key, now).unwrap();

    // Expected from DE, signed for MD.
    assert_eq!(
        verify_receipt(signed.as_bytes(), &dir, &de(), now)
            .unwrap_err()
            .code(),
        "receipt_mismatch"
    );
    // DE's key signing a receipt that claims MD as receiver.
    let forged = sign_receipt(&receipt, &de_key, now).unwrap();
    assert!(matches!(
        verify_receipt(forged.as_bytes(), &dir, &md(), now).unwrap_err(),
        OpenError::SignerNotListedForSender { .. }
    ));
    // Unknown key.
    let stranger = sign_receipt(&receipt, &node("x"), now).unwrap();
    assert!(matches!(
        verify_receipt(stranger.as_bytes(), &dir, &md(), now).unwrap_err(),
        OpenError::UnknownSigner(_)
    ));
    // Checked before it was made: from the future.
    assert!(matches!(
        verify_receipt(
            signed.as_bytes(),
            &dir,
            &md(),
            now - SignedDuration::from_mins(10)
        )
        .unwrap_err(),
        OpenError::FromTheFuture { .. }
    ));
    // A changed receipt: the signature no longer verifies.
    let binary = dearmor(signed.as_bytes());
    let text = String::from_utf8_lossy(&binary).into_owned();
    let pos = text.find("0707").unwrap();
    let mut changed = binary.clone();
    changed[pos] = b'1';
    let err = verify_receipt(&changed, &dir, &md(), now).unwrap_err();
    assert!(matches!(err, OpenError::BadSignature(_)), "{err}");
    // Garbage and oversized.
    assert_eq!(
        verify_receipt(b"junk", &dir, &md(), now)
            .unwrap_err()
            .code(),
        "malformed"
    );
    assert_eq!(
        verify_receipt(&vec![b'a'; 70_000], &dir, &md(), now)
            .unwrap_err()
            .code(),
        "too_large"
    );
    // The signer refuses to sign an inconsistent receipt.
    let mut bad = receipt.clone();
    bad.audit_head = Some("has spaces".into());
    assert!(matches!(
        sign_receipt(&bad, &md_key, now).unwrap_err(),
        SealError::InvalidReceipt(_)
    ));
    assert!(matches!(
        sign_receipt(&receipt, &md_key, now + SignedDuration::from_mins(5)).unwrap_err(),
        SealError::CreatedAtMismatch { .. }
    ));
}

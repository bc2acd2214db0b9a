#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Format versions (ADR 0028): a receipt is written in the lowest version that carries its
//! content, left out what the reader's level cannot read, and a reader refuses a version its
//! level does not read with `unsupported_version`.

mod common;

use common::*;
use cp247_domain::{Instant, ProtocolLevel};
use cp247_seal::{
    Limits, OpenError, Receipt, open, read_receipt, seal, sign_receipt, verify_receipt,
    verify_receipt_at,
};
use jiff::SignedDuration;
use proptest::prelude::*;

fn receipt(now: jiff::Timestamp, ack_due: Option<Instant>) -> Receipt {
    Receipt::for_message(
        [9u8; 32],
        cp247_domain::MessageId::generate(now, &mut rand::rng()),
        fr(),
        md(),
        Instant::utc(now),
        Some("3:abc".into()),
    )
    .with_ack_due(ack_due)
}

fn level(n: u16) -> ProtocolLevel {
    ProtocolLevel::new(n).unwrap()
}

#[test]
fn a_receipt_without_ack_due_is_version_1_and_unchanged() {
    let now = t(NOW);
    let r = receipt(now, None);
    assert_eq!(r.version(), 1);
    let text = String::from_utf8(r.canonical_json()).unwrap();
    assert!(text.contains(r#""format":"cp247-receipt/1""#), "{text}");
    assert!(!text.contains("ack_due"), "{text}");
}

#[test]
fn ack_due_makes_version_2_which_a_level_1_reader_refuses() {
    let md_key = node("md");
    let dir = FakeDir::new().active(&md_key, md());
    let now = t(NOW);
    let due = Instant::utc(now + SignedDuration::from_hours(4));
    let r = receipt(now, Some(due));
    assert_eq!(r.version(), 2);
    let text = String::from_utf8(r.canonical_json()).unwrap();
    assert!(text.contains(r#""format":"cp247-receipt/2""#), "{text}");
    let signed = sign_receipt(&r, &md_key, now).unwrap();

    // Level 2 (this build's default) reads it, with the instant.
    let back = verify_receipt(signed.as_bytes(), &dir, &md(), now).unwrap();
    assert_eq!(back.ack_due, Some(due));
    assert_eq!(read_receipt(signed.as_bytes()).unwrap(), r);

    // Level 1 refuses it with the specific code, naming the version, not as a broken receipt.
    let e = verify_receipt_at(signed.as_bytes(), &dir, &md(), now, ProtocolLevel::V1).unwrap_err();
    assert_eq!(e.code(), "unsupported_version");
    assert!(e.to_string().contains("cp247-receipt/2"), "{e}");

    // Written for a level-1 reader, the same receipt drops the instant and is read.
    let down = r.clone().for_reader(ProtocolLevel::V1);
    assert_eq!(down.version(), 1);
    assert_eq!(down.ack_due, None);
    let signed = sign_receipt(&down, &md_key, now).unwrap();
    let back = verify_receipt_at(signed.as_bytes(), &dir, &md(), now, ProtocolLevel::V1).unwrap();
    assert_eq!(back, down);
    assert_eq!(r.clone().for_reader(level(2)), r);
}

#[test]
fn a_version_1_marker_cannot_carry_ack_due_and_a_later_version_is_named() {
    let md_key = node("md");
    let dir = FakeDir::new().active(&md_key, md());
    let now = t(NOW);
    let r = receipt(now, Some(Instant::utc(now)));
    let text = String::from_utf8(r.canonical_json()).unwrap();
    // Version 1 with a version-2 field: not canonical (each content has one spelling).
    let mislabelled = text.replace("cp247-receipt/2", "cp247-receipt/1");
    let signed = sign_raw(&md_key, mislabelled.as_bytes(), now);
    let e = verify_receipt(signed.as_bytes(), &dir, &md(), now).unwrap_err();
    assert_eq!(e.code(), "invalid_payload", "{e}");
    // A later version with fields this build does not know: refused as a version.
    let later = text
        .replace("cp247-receipt/2", "cp247-receipt/3")
        .replace(r#""ack_due""#, r#""new_thing":1,"ack_due""#);
    let signed = sign_raw(&md_key, later.as_bytes(), now);
    let e = verify_receipt(signed.as_bytes(), &dir, &md(), now).unwrap_err();
    assert!(matches!(e, OpenError::UnsupportedVersion(_)), "{e:?}");
    assert!(e.to_string().contains("cp247-receipt/3"), "{e}");
}

#[test]
fn a_later_envelope_version_is_refused_by_the_receiver_with_its_code() {
    let fr_key = node("fr");
    let md_key = node("md");
    let now = t(NOW);
    let p = payload(fr(), md(), now, 200);
    let text = String::from_utf8(p.canonical_json()).unwrap();
    let later = text.replace("cp247-envelope/1", "cp247-envelope/2");
    let sealed = seal_raw(&fr_key, &md_key, later.as_bytes(), now);
    let e = open(sealed.as_bytes(), &md_key, &Limits::default()).unwrap_err();
    assert_eq!(e.code(), "unsupported_version");
    assert!(e.to_string().contains("cp247-envelope/2"), "{e}");
    // Today's version still opens.
    let sealed = seal(&p, &fr_key, &md_key.cert(), now).unwrap();
    assert!(open(sealed.as_bytes(), &md_key, &Limits::default()).is_ok());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the writer's content and the reader's level, the receipt written for that
    /// reader is read by it, and keeps everything that reader can read.
    #[test]
    fn a_receipt_written_for_a_reader_is_read_by_it(
        with_due in any::<bool>(),
        reader in 1u16..=2,
        offset in 0i64..100_000,
    ) {
        let now = t(NOW);
        let due = with_due.then(|| Instant::utc(now + SignedDuration::from_secs(offset)));
        let r = receipt(now, due);
        let reader = level(reader);
        let written = r.for_reader(reader);
        let text = written.canonical_json();
        prop_assert!(reader.can_read(cp247_domain::Format::Receipt, written.version()));
        prop_assert_eq!(written.ack_due.is_some(), due.is_some() && reader.get() >= 2);
        let marker = format!("cp247-receipt/{}", written.version());
        prop_assert!(String::from_utf8(text).unwrap().contains(&marker));
    }
}

/// `data` signed (not encrypted) by `key`'s signing subkey at `at`, armored: a receipt
/// written by hand, past every check of `sign_receipt`.
fn sign_raw(key: &cp247_seal::NodeKey, data: &[u8], at: jiff::Timestamp) -> String {
    let sk = secret_of(key);
    let pk = public_of(&key.cert());
    let craft = Craft::new(signing_subkey(&sk), encryption_subkey(&pk), at);
    String::from_utf8(armor(&craft.signed_only(data.to_vec()))).unwrap()
}

/// `data` signed by `from` and encrypted to `to`, armored, past every check of `seal`.
fn seal_raw(
    from: &cp247_seal::NodeKey,
    to: &cp247_seal::NodeKey,
    data: &[u8],
    at: jiff::Timestamp,
) -> String {
    let sk = secret_of(from);
    let pk = public_of(&to.cert());
    let craft = Craft::new(signing_subkey(&sk), encryption_subkey(&pk), at);
    String::from_utf8(craft.build(data.to_vec())).unwrap()
}

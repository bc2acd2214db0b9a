#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly
//! Every byte of a sealed message, flipped, must be refused or open to the byte-identical
//! verified payload from the same sender — never to different or unverified content.
//!
//! Both the binary form and the armored form are swept at every position with XOR 0x01 and
//! XOR 0x80 (about 12 000 opens, some 15 s in the dev profile).

mod common;

use common::*;
use cp247_seal::{Limits, OpenPolicy, Verified, open, seal};

struct Outcome {
    refused: usize,
    identical: usize,
}

fn sweep(bytes: &[u8], masks: &[u8], check: &dyn Fn(&[u8]) -> Result<Verified, String>) -> Outcome {
    let original = check(bytes).expect("the untouched message opens");
    let mut out = Outcome {
        refused: 0,
        identical: 0,
    };
    let mut buf = bytes.to_vec();
    for i in 0..bytes.len() {
        for &mask in masks {
            buf[i] ^= mask;
            match check(&buf) {
                Err(_) => out.refused += 1,
                Ok(v) => {
                    assert_eq!(
                        v.canonical_json(),
                        original.canonical_json(),
                        "flip {mask:#04x} at {i} opened to a different payload"
                    );
                    assert_eq!(v.sender(), original.sender(), "flip at {i}");
                    assert_eq!(v.signer(), original.signer(), "flip at {i}");
                    out.identical += 1;
                }
            }
            buf[i] ^= mask;
        }
    }
    out
}

#[test]
fn every_flipped_byte_is_refused_or_identical() {
    let fr_key = node("fr");
    let md_key = node("md");
    let dir = FakeDir::new().active(&fr_key, fr()).active(&md_key, md());
    let now = t(NOW);
    let p = payload(fr(), md(), now, 1500);
    let sealed = seal(&p, &fr_key, &md_key.cert(), now).unwrap();
    let check = |b: &[u8]| -> Result<Verified, String> {
        open(b, &md_key, &Limits::default())
            .map_err(|e| e.to_string())?
            .verify(&dir, &md(), now, &OpenPolicy::default())
            .map_err(|e| e.to_string())
    };

    let binary = dearmor(sealed.as_bytes());
    let b = sweep(&binary, &[0x01, 0x80], &check);
    eprintln!(
        "binary: {} bytes, {} flips refused, {} opened identical",
        binary.len(),
        b.refused,
        b.identical
    );
    assert_eq!(b.refused + b.identical, binary.len() * 2);
    assert!(b.refused > binary.len(), "most flips must be refused");

    let masks: &[u8] = &[0x01, 0x80];
    let a = sweep(sealed.as_bytes(), masks, &check);
    eprintln!(
        "armored: {} bytes, {} flips refused, {} opened identical",
        sealed.as_bytes().len(),
        a.refused,
        a.identical
    );
    assert_eq!(
        a.refused + a.identical,
        sealed.as_bytes().len() * masks.len()
    );
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests may panic: a failure is the test's report.

//! The fuzz harnesses (`cp247_seal::fuzz_*`, used by the targets in `/fuzz`) run in every
//! `cargo test`: over their valid seeds (which must get past opening and verification, so the
//! fuzzers start from inputs that reach the deep checks), over every truncation and a spread
//! of byte flips of those seeds, over random bytes, and over every input kept in
//! `fuzz/regressions/<target>/` (crashes the fuzzers found, each named after its bug).

use std::path::Path;

use cp247_seal::{
    FUZZ_KEY_PASSPHRASE, NodeKey, Passphrase, fuzz_detached, fuzz_open, fuzz_open_verify,
    fuzz_payload, fuzz_receipt, fuzz_seeds,
};
use proptest::prelude::*;

fn harness(target: &str) -> fn(&[u8]) {
    match target {
        "seal_open" => |d: &[u8]| {
            fuzz_open(d);
            fuzz_open_verify(d);
        },
        "seal_payload" => fuzz_payload,
        "seal_receipt" => fuzz_receipt,
        "seal_detached" => fuzz_detached,
        other => panic!("no harness for {other}"),
    }
}

const TARGETS: [&str; 4] = ["seal_open", "seal_payload", "seal_receipt", "seal_detached"];

#[test]
fn the_fixed_fuzz_key_loads() {
    let text = include_str!("../fuzz-data/fuzz-node-key.asc");
    NodeKey::from_locked_armored(text, &Passphrase::new(FUZZ_KEY_PASSPHRASE.into()))
        .expect("fuzz-data/fuzz-node-key.asc opens with its passphrase");
}

#[test]
fn every_target_has_seeds_that_reach_its_deep_checks() {
    let seeds = fuzz_seeds();
    for target in TARGETS {
        assert!(
            seeds.iter().any(|(t, _)| *t == target),
            "no seed for {target}"
        );
    }
    for (target, seed) in &seeds {
        harness(target)(seed);
    }
    // A sealed seed opens and verifies with the fixed key: the harness's oracle runs.
    let key = NodeKey::from_locked_armored(
        include_str!("../fuzz-data/fuzz-node-key.asc"),
        &Passphrase::new(FUZZ_KEY_PASSPHRASE.into()),
    )
    .unwrap();
    let dir = OneKey(key.cert());
    let me = opened_by(&seeds, &key);
    let at = jiff::Timestamp::from_second(1_780_315_200).unwrap();
    for (_, sealed) in seeds.iter().filter(|(t, _)| *t == "seal_open") {
        let opened = cp247_seal::open(sealed, &key, &cp247_seal::Limits::default()).unwrap();
        opened
            .verify(&dir, &me, at, &cp247_seal::OpenPolicy::default())
            .expect("a sealed seed verifies, so the fuzzer starts past verification");
    }
    for (_, receipt) in seeds.iter().filter(|(t, _)| *t == "seal_receipt") {
        cp247_seal::verify_receipt(receipt, &dir, &me, at).expect("a receipt seed verifies");
    }
    for (_, joined) in seeds.iter().filter(|(t, _)| *t == "seal_detached") {
        let (signed, sig) = cp247_seal::split_at_nul(joined);
        cp247_seal::verify_detached(&key.cert(), signed, &String::from_utf8_lossy(sig), at)
            .expect("a detached seed verifies");
    }
}

/// The fixed key, listed for FR's primary contact point.
struct OneKey(cp247_seal::Cert);

impl cp247_seal::KeyDirectory for OneKey {
    fn key_by_fingerprint(&self, fp: &cp247_seal::Fingerprint) -> Option<cp247_seal::DirectoryKey> {
        self.0.has_key(fp).then(|| cp247_seal::DirectoryKey {
            cert: self.0.clone(),
            owner: cp247_domain::Address::primary(cp247_domain::PartyCode::parse("FR").unwrap()),
            status: cp247_seal::KeyStatus::Active,
        })
    }
}

fn opened_by(seeds: &[(&str, Vec<u8>)], key: &NodeKey) -> cp247_domain::Address {
    let (_, sealed) = seeds.iter().find(|(t, _)| *t == "seal_open").unwrap();
    let opened = cp247_seal::open(sealed, key, &cp247_seal::Limits::default()).unwrap();
    assert_eq!(opened.claimed_header().sender.party.as_str(), "FR");
    opened.claimed_header().recipient
}

#[test]
fn truncations_and_flips_of_every_seed_never_panic() {
    for (target, seed) in fuzz_seeds() {
        let run = harness(target);
        let step = (seed.len() / 64).max(1);
        for cut in (0..seed.len()).step_by(step) {
            run(&seed[..cut]);
        }
        for at in (0..seed.len()).step_by(step) {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut flipped = seed.clone();
                flipped[at] ^= mask;
                run(&flipped);
            }
        }
    }
}

#[test]
fn kept_regressions_replay() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    for target in TARGETS {
        let Ok(dir) = std::fs::read_dir(root.join(target)) else {
            continue;
        };
        for file in dir {
            let path = file.unwrap().path();
            harness(target)(&std::fs::read(&path).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        for target in TARGETS {
            harness(target)(&data);
        }
    }
}

/// Writes a new fixed fuzz key (run by hand, once: `cargo test -p cp247-seal --test
/// fuzz_seeds -- --ignored write_the_fuzz_key`). Seeds made with the old key no longer open.
#[test]
#[ignore = "regenerates fuzz-data/fuzz-node-key.asc"]
fn write_the_fuzz_key() {
    let created = jiff::Timestamp::from_second(1_767_225_600).unwrap(); // 2026-01-01
    let key = NodeKey::generate("cp247 fuzz <fuzz@cp247.invalid>", created, None).unwrap();
    let text = key
        .to_locked_armored(&Passphrase::new(FUZZ_KEY_PASSPHRASE.into()))
        .unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz-data/fuzz-node-key.asc");
    std::fs::write(path, text).unwrap();
}

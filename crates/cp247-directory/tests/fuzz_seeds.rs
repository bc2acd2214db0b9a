#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests may panic: a failure is the test's report.

//! The directory fuzz harness (`cp247_directory::fuzzing::fuzz_directory`, the `directory`
//! target in `/fuzz`) runs in every `cargo test`: over a signed seed, its truncations and
//! flips, random bytes, and every input kept in `fuzz/regressions/directory/`.

use std::path::Path;

use cp247_directory::fuzzing::fuzz_directory;
use proptest::prelude::*;

fn seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = cp247_seal::fuzz_seeds()
        .into_iter()
        .filter(|(t, _)| *t == "seal_detached")
        .map(|(_, s)| s)
        .collect();
    out.push(b"{\"format\":\"cp247-directory/1\"}".to_vec());
    out
}

#[test]
fn seeds_truncations_and_flips_never_panic() {
    let seeds = seeds();
    assert!(seeds.len() >= 2);
    for seed in seeds {
        fuzz_directory(&seed);
        let step = (seed.len() / 64).max(1);
        for cut in (0..seed.len()).step_by(step) {
            fuzz_directory(&seed[..cut]);
            let mut flipped = seed.clone();
            flipped[cut] ^= 0x20;
            fuzz_directory(&flipped);
        }
    }
}

#[test]
fn kept_regressions_replay() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/directory");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            fuzz_directory(&std::fs::read(e.unwrap().path()).unwrap());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        fuzz_directory(&data);
    }
}

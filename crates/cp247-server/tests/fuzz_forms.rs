#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests may panic: a failure is the test's report.

//! The form-body fuzz harnesses (`cp247_server::fuzzing`, the `web_sign_in` and `web_compose`
//! targets in `/fuzz`) run in every `cargo test`: over seed bodies, their truncations, random
//! bytes and every input kept in `fuzz/regressions/web_*/`.

use std::path::Path;

use cp247_server::fuzzing::{fuzz_compose_form, fuzz_sign_in_form};
use proptest::prelude::*;

const SIGN_IN: &[&[u8]] = &[
    b"username=duty&password=correct+horse",
    b"username=%E2%80%AEduty&password=%00%ff",
    b"code=123456",
    b"username=a&username=b&password=",
];

const COMPOSE: &[&[u8]] = &[
    b"csrf=x&op=add%3Arequested_data&~kind=art29&~to=MD&~point=primary",
    b"op=remove%3Arequested_data%3A0&~kind=art29&requested_data~n=3&requested_data%5B2%5D.kind=subscriber",
    b"op=send&~kind=art31&~to=FR&facts~=unknown&facts~reason=Not+known+yet.",
    b"op=remove%3Ax%3A18446744073709551615&x~n=99999999999999999999",
    b"op=add%3Aa&a~n=1000000",
];

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/regressions")
        .join(target);
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            run(&std::fs::read(e.unwrap().path()).unwrap());
        }
    }
}

#[test]
fn seed_bodies_and_their_truncations_never_panic() {
    for (seeds, run) in [
        (SIGN_IN, fuzz_sign_in_form as fn(&[u8])),
        (COMPOSE, fuzz_compose_form as fn(&[u8])),
    ] {
        for seed in seeds {
            for cut in 0..=seed.len() {
                run(&seed[..cut]);
            }
        }
    }
    replay("web_sign_in", fuzz_sign_in_form);
    replay("web_compose", fuzz_compose_form);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn random_bodies_never_panic(data in proptest::collection::vec(any::<u8>(), 0..1024)) {
        fuzz_sign_in_form(&data);
        fuzz_compose_form(&data);
    }

    #[test]
    fn random_form_fields_never_panic(
        pairs in proptest::collection::vec(("[a-z~\\[\\]0-9._:]{0,24}", "[ -~]{0,24}"), 0..12)
    ) {
        let body = serde_urlencoded::to_string(&pairs).unwrap();
        fuzz_compose_form(body.as_bytes());
        fuzz_sign_in_form(body.as_bytes());
    }
}

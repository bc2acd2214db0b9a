//! The body of `POST /compose` up to where the handler sends
//! (`cp247_server::fuzzing::fuzz_compose_form`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_server::fuzzing::fuzz_compose_form(data);
});

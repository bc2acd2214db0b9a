//! The body of the sign-in and second-factor forms (`cp247_server::fuzzing::fuzz_sign_in_form`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_server::fuzzing::fuzz_sign_in_form(data);
});

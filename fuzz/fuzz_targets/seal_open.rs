//! A sealed message as a peer posts it to `/federation/v1/messages`: opened with the fixed fuzz
//! key, then verified against a directory that lists it (`cp247_seal::fuzz_open_verify`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_seal::fuzz_open(data);
    cp247_seal::fuzz_open_verify(data);
});

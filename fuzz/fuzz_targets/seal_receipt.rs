//! A signed receipt as a peer returns it (`cp247_seal::fuzz_receipt`): read, and verified
//! against a directory listing the fixed fuzz key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_seal::fuzz_receipt(data);
});

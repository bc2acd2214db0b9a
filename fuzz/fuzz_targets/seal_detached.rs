//! Signed bytes, a NUL byte, an armored detached signature (`cp247_seal::fuzz_detached`): the
//! directory's signature and audit checkpoints are checked this way.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_seal::fuzz_detached(data);
});

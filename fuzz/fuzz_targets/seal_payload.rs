//! The canonical payload inside a sealed message, attachments included
//! (`cp247_seal::fuzz_payload`): an accepted payload writes back to exactly its bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_seal::fuzz_payload(data);
});

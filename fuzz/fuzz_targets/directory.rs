//! A directory file, a NUL byte, its armored signature (`cp247_directory::fuzzing`): parsed as
//! canonical JSON and offered to a state pinned to the fixed fuzz key.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cp247_directory::fuzzing::fuzz_directory(data);
});

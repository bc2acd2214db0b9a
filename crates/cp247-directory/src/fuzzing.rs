//! Harness for `/fuzz` and the seed replay test: a directory file and its detached signature
//! as fetched from the directory source (which an attacker on the path, or whoever controls
//! that source, chooses).

use jiff::Timestamp;

use crate::{AcceptancePolicy, Directory, DirectoryState, PinnedAuthority, SignedDirectory};

/// `data` split at its first NUL byte is a directory file and its armored signature. The file
/// is parsed as canonical JSON (an accepted file must write back to exactly its bytes), and
/// the pair is offered to a directory state pinned to the fixed fuzz key, as a node offers a
/// fetched directory. Never panics, whatever the bytes.
pub fn fuzz_directory(data: &[u8]) {
    let (json, signature) = cp247_seal::split_at_nul(data);
    if let Ok(directory) = Directory::from_canonical_json(json) {
        assert_eq!(
            directory.to_canonical_json(),
            json,
            "an accepted directory file is canonical"
        );
    }
    let Some(cert) = cp247_seal::fuzz_cert() else {
        return;
    };
    let now = Timestamp::from_second(1_780_315_200).unwrap_or(Timestamp::UNIX_EPOCH);
    if let Ok(signed) = SignedDirectory::new(
        json.to_vec(),
        String::from_utf8_lossy(signature).into_owned(),
    ) {
        let mut state =
            DirectoryState::new(PinnedAuthority::new(cert), AcceptancePolicy::default());
        let _ = state.offer(&signed, now);
    }
}

//! Harnesses for `/fuzz`: opens arbitrary bytes with a fixed test key; parses arbitrary bytes
//! as a canonical payload (attachments included).

use std::sync::OnceLock;

use crate::{AttachmentLimits, Limits, NodeKey, Payload, open};

/// The fixed node key the fuzz target opens with (generated once per process, dated 2026).
fn key() -> Option<&'static NodeKey> {
    static KEY: OnceLock<Option<NodeKey>> = OnceLock::new();
    KEY.get_or_init(|| {
        let created = jiff::Timestamp::from_second(1_767_225_600).ok()?; // 2026-01-01
        NodeKey::generate("cp247 fuzz <fuzz@cp247.invalid>", created, None).ok()
    })
    .as_ref()
}

/// Runs [`open`] on `data` with a fixed key and default limits, discarding the result. It must
/// never panic, hang or allocate beyond the limits, whatever `data` is.
pub fn fuzz_open(data: &[u8]) {
    if let Some(key) = key() {
        let _ = open(data, key, &Limits::default());
    }
}

/// Parses `data` as a canonical payload with small attachment limits (4 files, 4 KiB each,
/// 8 KiB together). It must never panic; an accepted payload must write back to exactly
/// `data`, and each attachment's bytes must have its size and SHA-256.
pub fn fuzz_payload(data: &[u8]) {
    let limits = AttachmentLimits {
        max_files: 4,
        max_file_bytes: 4096,
        max_total_bytes: 8192,
    };
    if let Ok(payload) = Payload::from_canonical_json_with(data, 1 << 20, &limits) {
        assert_eq!(payload.canonical_json(), data, "canonical round trip");
        for a in &payload.attachments {
            assert_eq!(Some(a.size()), u64::try_from(a.content().len()).ok());
            let hash: [u8; 32] = sha2::Digest::finalize(sha2::Digest::chain_update(
                <sha2::Sha256 as sha2::Digest>::new(),
                a.content(),
            ))
            .into();
            assert_eq!(a.sha256(), hash);
        }
    }
}

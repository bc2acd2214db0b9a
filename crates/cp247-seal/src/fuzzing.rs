//! A harness for `/fuzz`: opens arbitrary bytes with a fixed test key.

use std::sync::OnceLock;

use crate::{Limits, NodeKey, open};

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

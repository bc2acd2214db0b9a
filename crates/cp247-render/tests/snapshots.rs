// Integration test: unwrap/expect/panic are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The text layout of each kind in each language, pinned (8 snapshots under `tests/snapshots/`).
//! Review a changed snapshot like code: it is what a reader of the document sees.

use cp247_forms::{Kind, examples};
use cp247_i18n::Lang;

#[test]
fn text_layout_of_every_kind_in_every_language() {
    for kind in [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35] {
        let doc = examples::example(kind).unwrap();
        for lang in Lang::ALL {
            let text = cp247_render::render_text(&doc, lang);
            assert!(
                !text.contains('⟦'),
                "{kind} {lang}: a catalogue key is missing"
            );
            insta::assert_snapshot!(format!("{kind}_{lang}"), text);
        }
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! The full report of a document with several faults, in English and French, pinned as a
//! snapshot: the text a person acts on.

use cp247_forms::parse_json;
use cp247_i18n::Lang;

fn report(lang: Lang) -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/corpus/invalid/071-several-problems.json"
    );
    let parsed = parse_json(&std::fs::read(path).unwrap()).unwrap();
    parsed
        .report
        .problems()
        .iter()
        .map(|p| p.line(lang))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn report_in_english() {
    insta::assert_snapshot!(report(Lang::En));
}

#[test]
fn report_in_french() {
    insta::assert_snapshot!(report(Lang::Fr));
}

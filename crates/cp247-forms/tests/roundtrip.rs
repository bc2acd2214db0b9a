#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! Round trips: every valid document survives encode → JSON → decode unchanged, and the JSON
//! text is canonical (a second round trip gives the same bytes).

use cp247_forms::{Document, decode, encode, parse_json, strategies, to_json_string};
use cp247_i18n::Lang;
use proptest::prelude::*;

fn problems(doc: &Document) -> Vec<String> {
    decode(&encode(doc))
        .report
        .errors()
        .map(|p| p.line(Lang::En))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn json_round_trip(doc in strategies::document()) {
        let errors = problems(&doc);
        prop_assert!(errors.is_empty(), "generated document is invalid: {errors:#?}");
        let text = to_json_string(&doc);
        let parsed = parse_json(text.as_bytes()).unwrap();
        prop_assert_eq!(parsed.document.as_ref(), Some(&doc));
        prop_assert_eq!(to_json_string(parsed.document.as_ref().unwrap()), text);
    }
}

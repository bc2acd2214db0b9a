#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! A cheap in-process fuzz run for every `cargo test`: arbitrary bytes and mutated valid XML
//! (byte flips, insertions of markup fragments, truncations, duplicated spans) never panic or
//! hang the readers, and whatever is accepted round-trips: a document read from mutated XML is
//! written and read back unchanged. The real fuzzers are under `fuzz/` (see fuzz/README.md).

use cp247_forms::examples::example;
use cp247_forms::xml::{parse_xml, read_tree, to_xml_string};
use cp247_forms::{Kind, parse_json, to_json_string};
use proptest::prelude::*;

/// Fragments an attacker or a broken client would insert.
const FRAGMENTS: &[&str] = &[
    "<!DOCTYPE a [<!ENTITY x \"y\">]>",
    "&x;",
    "&#0;",
    "&#x1F600;",
    "&amp;",
    "<![CDATA[<>&]]>",
    "<!-- c -->",
    "<?pi x?>",
    "<item>",
    "</item>",
    "<not_applicable reason=\"No value exists here.\"/>",
    "<unknown/>",
    " a=\"1\"",
    " xmlns:p=\"urn:other\"",
    "<p:q/>",
    "]]>",
    "\u{0}",
    "\u{FEFF}",
    "\r\n",
    "\u{FFFF}",
];

fn seeds() -> Vec<Vec<u8>> {
    [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35]
        .into_iter()
        .map(|k| to_xml_string(&example(k).unwrap()).into_bytes())
        .collect()
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, usize),
    Truncate(usize),
    Duplicate(usize, usize),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(i, f)| Mutation::Insert(i, f)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 1usize..400).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        (any::<usize>(), 1usize..400).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn apply(mut bytes: Vec<u8>, m: &Mutation) -> Vec<u8> {
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::Flip(i, b) => {
            let i = at(i, bytes.len());
            if let Some(x) = bytes.get_mut(i) {
                *x = b;
            }
        }
        Mutation::Insert(i, f) => {
            let i = at(i, bytes.len() + 1);
            bytes.splice(i..i, FRAGMENTS[f].bytes());
        }
        Mutation::Truncate(i) => bytes.truncate(at(i, bytes.len() + 1)),
        Mutation::Duplicate(i, n) => {
            let i = at(i, bytes.len());
            let end = (i + n).min(bytes.len());
            let span = bytes[i..end].to_vec();
            bytes.splice(i..i, span);
        }
        Mutation::Delete(i, n) => {
            let i = at(i, bytes.len());
            let end = (i + n).min(bytes.len());
            bytes.drain(i..end);
        }
    }
    bytes
}

/// Whatever cp247 accepts must survive its own writers unchanged, in both formats.
fn check(bytes: &[u8]) {
    let _ = read_tree(bytes);
    if let Ok(parsed) = parse_xml(bytes)
        && let Some(doc) = parsed.document
    {
        let again = parse_xml(to_xml_string(&doc).as_bytes()).unwrap();
        assert_eq!(again.document.as_ref(), Some(&doc));
        let json = parse_json(to_json_string(&doc).as_bytes()).unwrap();
        assert_eq!(json.document.as_ref(), Some(&doc));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
        let _ = parse_json(&bytes);
    }

    #[test]
    fn mutated_examples_never_panic_and_round_trip(
        seed in 0usize..4,
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let mut bytes = seeds()[seed].clone();
        for m in &mutations {
            bytes = apply(bytes, m);
        }
        check(&bytes);
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! Untrusted input never panics and never yields a document that does not survive its own
//! round trip: arbitrary bytes, and valid examples with one subtree replaced, removed or
//! duplicated.

use cp247_forms::shared::Choice;
use cp247_forms::{Kind, Node, decode, encode, examples, parse_json};
use proptest::prelude::*;

fn arb_leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        ".{0,12}".prop_map(Node::String),
        ".{0,12}".prop_map(Node::Text),
        any::<bool>().prop_map(Node::Bool),
        any::<i64>().prop_map(|n| Node::Number(n.to_string())),
        any::<f64>().prop_map(|n| Node::Number(n.to_string())),
        Just(Node::Null),
        Just(Node::Array(vec![])),
        Just(Node::Object(vec![])),
        Just(Node::object([(
            "not_applicable",
            Node::object([("reason", Node::string("n/a"))])
        )])),
        Just(Node::object([(
            "unknown",
            Node::object([("reason", Node::string("The log was lost."))])
        )])),
    ]
}

fn arb_node() -> impl Strategy<Value = Node> {
    arb_leaf().prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Node::Array),
            prop::collection::vec(("[a-z_]{1,12}", inner), 0..4).prop_map(Node::Object),
        ]
    })
}

/// Every path to a node of the tree, as a list of child positions.
fn positions(node: &Node, at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(at.clone());
    let children: Vec<&Node> = match node {
        Node::Object(e) => e.iter().map(|(_, v)| v).collect(),
        Node::Array(a) => a.iter().collect(),
        _ => return,
    };
    for (i, c) in children.into_iter().enumerate() {
        at.push(i);
        positions(c, at, out);
        at.pop();
    }
}

enum Edit {
    Replace(Node),
    Remove,
    Duplicate,
}

fn edit(node: &mut Node, at: &[usize], e: Edit) {
    let Some((first, rest)) = at.split_first() else {
        if let Edit::Replace(n) = e {
            *node = n;
        }
        return;
    };
    if rest.is_empty() {
        match (node, e) {
            (Node::Object(entries), Edit::Replace(n)) => entries[*first].1 = n,
            (Node::Array(items), Edit::Replace(n)) => items[*first] = n,
            (Node::Object(entries), Edit::Remove) => {
                entries.remove(*first);
            }
            (Node::Array(items), Edit::Remove) => {
                items.remove(*first);
            }
            (Node::Object(entries), Edit::Duplicate) => {
                let dup = entries[*first].clone();
                entries.push(dup);
            }
            (Node::Array(items), Edit::Duplicate) => {
                let dup = items[*first].clone();
                items.push(dup);
            }
            _ => {}
        }
        return;
    }
    match node {
        Node::Object(entries) => edit(&mut entries[*first].1, rest, e),
        Node::Array(items) => edit(&mut items[*first], rest, e),
        _ => {}
    }
}

fn check(node: &Node) {
    let parsed = decode(node);
    assert_eq!(parsed.document.is_some(), parsed.report.is_valid());
    for p in parsed.report.problems() {
        // Every message resolves in both languages.
        assert!(!p.message(cp247_i18n::Lang::En).contains('⟦'));
        assert!(!p.message(cp247_i18n::Lang::Fr).contains('⟦'));
    }
    if let Some(doc) = parsed.document {
        let again = decode(&encode(&doc));
        assert_eq!(again.document, Some(doc));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(parsed) = parse_json(&bytes) {
            prop_assert_eq!(parsed.document.is_some(), parsed.report.is_valid());
        }
    }

    #[test]
    fn mutated_examples_never_panic(
        kind in prop::sample::select(Kind::ALL),
        pick in any::<prop::sample::Index>(),
        op in 0u8..3,
        replacement in arb_node(),
    ) {
        let mut node = Node::from_json(examples::json(kind).as_bytes()).unwrap();
        let mut all = Vec::new();
        positions(&node, &mut Vec::new(), &mut all);
        let at = pick.get(&all).clone();
        let e = match op {
            0 => Edit::Replace(replacement),
            1 => Edit::Remove,
            _ => Edit::Duplicate,
        };
        edit(&mut node, &at, e);
        check(&node);
    }

    #[test]
    fn arbitrary_trees_never_panic(node in arb_node(), kind in prop::sample::select(Kind::ALL)) {
        check(&node);
        // The same tree as the body of a document of each kind.
        if let Node::Object(mut entries) = node {
            entries.insert(0, ("kind".to_owned(), Node::string(kind.as_str())));
            check(&Node::Object(entries));
        }
    }
}

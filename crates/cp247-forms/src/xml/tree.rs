//! The XML dialect of cp247 documents: how an element tree maps to the neutral [`Node`] tree the
//! decoder reads, and how a [`Node`] tree is written as XML.
//!
//! The mapping is fixed and needs no knowledge of the document kinds, so the decoder sees the
//! same tree (and reports the same paths) whether a document came as JSON or XML:
//!
//! | XML | neutral tree | JSON |
//! |---|---|---|
//! | root element `<art29 xmlns="urn:cp247:forms:1">` | object whose first key is `kind` | `{"kind": "art29", …}` |
//! | `<name>text</name>` | key `name`, [`Node::Text`] | `"name": "text"` (or a number or boolean) |
//! | `<name>` with child elements | key `name`, object | `"name": {…}` |
//! | `<name>` whose children are all `<item>` | key `name`, list | `"name": […]` |
//! | `<not_applicable reason="…"/>`, `<unknown reason="…"/>` | object with key `reason` | `{"reason": "…"}` |
//! | empty `<name/>` | empty text, which the decoder reads as an empty list or object where one is expected | `""`, `[]` or `{}` |
//!
//! Attributes are used for one thing only, the `reason` of `not_applicable` and `unknown`;
//! an attribute anywhere else is refused, as are child elements or text inside those two.

use std::fmt::Write as _;

use super::reader::{Element, NAMESPACE, XmlError};
use crate::node::Node;

/// The element name of every entry of a list.
pub const ITEM: &str = "item";
/// The element names whose attributes become keys (`reason`).
const MARKERS: [&str; 2] = ["not_applicable", "unknown"];

/// Converts a read element tree to the neutral tree: the root's name becomes the `kind` key.
pub fn to_node(root: &Element) -> Result<Node, XmlError> {
    refuse_attributes(root)?;
    if !root.text.trim_matches(is_xml_space).is_empty() {
        return Err(XmlError::Structure {
            detail: format!(
                "the root element <{}> holds text; it must hold the document's fields",
                root.name
            ),
            at: root.at,
        });
    }
    let mut entries = Vec::with_capacity(root.children.len() + 1);
    entries.push(("kind".to_owned(), Node::Text(root.name.clone())));
    for child in &root.children {
        entries.push((child.name.clone(), convert(child)?));
    }
    Ok(Node::Object(entries))
}

/// Converts one element. Recursion is bounded by the reader's depth limit.
fn convert(e: &Element) -> Result<Node, XmlError> {
    if MARKERS.contains(&e.name.as_str()) {
        if let Some(child) = e.children.first() {
            return Err(XmlError::Structure {
                detail: format!(
                    "<{}> takes its reason as an attribute (reason=\"…\") and holds no elements, but holds <{}>",
                    e.name, child.name
                ),
                at: child.at,
            });
        }
        if !e.text.trim_matches(is_xml_space).is_empty() {
            return Err(XmlError::Structure {
                detail: format!(
                    "<{}> takes its reason as an attribute (reason=\"…\") and holds no text",
                    e.name
                ),
                at: e.at,
            });
        }
        return Ok(Node::Object(
            e.attributes
                .iter()
                .map(|a| (a.name.clone(), Node::Text(a.value.clone())))
                .collect(),
        ));
    }
    refuse_attributes(e)?;
    if e.children.is_empty() {
        return Ok(Node::Text(e.text.clone()));
    }
    if e.children.iter().all(|c| c.name == ITEM) {
        return e
            .children
            .iter()
            .map(convert)
            .collect::<Result<_, _>>()
            .map(Node::Array);
    }
    e.children
        .iter()
        .map(|c| convert(c).map(|n| (c.name.clone(), n)))
        .collect::<Result<_, _>>()
        .map(Node::Object)
}

fn refuse_attributes(e: &Element) -> Result<(), XmlError> {
    match e.attributes.first() {
        None => Ok(()),
        Some(a) => Err(XmlError::Structure {
            detail: format!(
                "the attribute '{}' is not allowed on <{}>: cp247 XML uses attributes only for the reason of <not_applicable> and <unknown>",
                a.name, e.name
            ),
            at: a.at,
        }),
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// Why a tree cannot be written as a cp247 XML document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    /// The root is not an object whose first key is `kind` with a text value.
    #[error("the tree has no 'kind' to name the root element")]
    NoKind,
    /// A key that is not an XML name.
    #[error("the key '{0}' cannot be an XML element name")]
    BadKey(String),
}

/// Writes a neutral tree as an indented cp247 XML document (two spaces, a final newline),
/// after checking that it has a `kind` to name the root and that every key is an XML name.
pub fn write_node(node: &Node) -> Result<String, WriteError> {
    let Node::Object(entries) = node else {
        return Err(WriteError::NoKind);
    };
    match entries.first() {
        Some((k, Node::String(kind) | Node::Text(kind))) if k == "kind" => check_name(kind)?,
        _ => return Err(WriteError::NoKind),
    }
    check_keys(node)?;
    Ok(write(node))
}

/// Checks every key of the tree. Recursion is bounded: trees come from the bounded readers or
/// from the encoder.
fn check_keys(node: &Node) -> Result<(), WriteError> {
    match node {
        Node::Object(entries) => entries.iter().try_for_each(|(k, v)| {
            check_name(k)?;
            check_keys(v)
        }),
        Node::Array(items) => items.iter().try_for_each(check_keys),
        Node::String(_) | Node::Text(_) | Node::Bool(_) | Node::Number(_) | Node::Null => Ok(()),
    }
}

/// Writes a tree whose keys are known to be XML names (the encoder's output): the root is named
/// by the first entry when it is `kind`.
pub(crate) fn write(node: &Node) -> String {
    let (kind, rest): (&str, &[(String, Node)]) = match node {
        Node::Object(entries) => match entries.split_first() {
            Some(((k, Node::String(kind) | Node::Text(kind)), rest)) if k == "kind" => (kind, rest),
            _ => ("document", entries),
        },
        _ => ("document", &[]),
    };
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(out, "<{kind} xmlns=\"{NAMESPACE}\">");
    for (key, value) in rest {
        write_element(key, value, 1, &mut out);
    }
    let _ = writeln!(out, "</{kind}>");
    out
}

fn write_element(name: &str, node: &Node, level: usize, out: &mut String) {
    indent(level, out);
    match node {
        Node::Object(entries)
            if MARKERS.contains(&name) && entries.iter().all(|(_, v)| is_scalar(v)) =>
        {
            out.push('<');
            out.push_str(name);
            for (k, v) in entries {
                let _ = write!(out, " {k}=\"");
                push_escaped(scalar_text(v), true, out);
                out.push('"');
            }
            out.push_str("/>\n");
        }
        Node::Object(entries) if entries.is_empty() => {
            let _ = writeln!(out, "<{name}/>");
        }
        Node::Object(entries) => {
            let _ = writeln!(out, "<{name}>");
            for (k, v) in entries {
                write_element(k, v, level + 1, out);
            }
            indent(level, out);
            let _ = writeln!(out, "</{name}>");
        }
        Node::Array(items) if items.is_empty() => {
            let _ = writeln!(out, "<{name}/>");
        }
        Node::Array(items) => {
            let _ = writeln!(out, "<{name}>");
            for item in items {
                write_element(ITEM, item, level + 1, out);
            }
            indent(level, out);
            let _ = writeln!(out, "</{name}>");
        }
        scalar => {
            let text = scalar_text(scalar);
            if text.is_empty() {
                let _ = writeln!(out, "<{name}/>");
            } else {
                let _ = write!(out, "<{name}>");
                push_escaped(text, false, out);
                let _ = writeln!(out, "</{name}>");
            }
        }
    }
}

fn is_scalar(n: &Node) -> bool {
    !matches!(n, Node::Object(_) | Node::Array(_))
}

fn scalar_text(n: &Node) -> &str {
    match n {
        Node::String(s) | Node::Text(s) | Node::Number(s) => s,
        Node::Bool(true) => "true",
        Node::Bool(false) => "false",
        Node::Null | Node::Object(_) | Node::Array(_) => "",
    }
}

fn check_name(name: &str) -> Result<(), WriteError> {
    let mut bytes = name.bytes();
    let ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && name.len() <= 64;
    if ok {
        Ok(())
    } else {
        Err(WriteError::BadKey(name.chars().take(64).collect()))
    }
}

fn indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

/// Escapes so that any conforming reader gives back exactly `text`: markup characters always,
/// and the characters that XML would normalise (a carriage return anywhere; tabs and line ends in
/// attribute values) as character references.
fn push_escaped(text: &str, attribute: bool, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\t' if attribute => out.push_str("&#9;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::reader::read;
    use proptest::prelude::*;

    fn parse(xml: &str) -> Result<Node, XmlError> {
        to_node(&read(xml.as_bytes())?)
    }

    #[test]
    fn maps_the_dialect() {
        let xml = "<?xml version=\"1.0\"?>\n<art29 xmlns=\"urn:cp247:forms:1\">\
            <a>1</a><l><item>x</item><item><b>y</b></item></l>\
            <f><not_applicable reason=\"No fax line exists.\"/></f><e/></art29>";
        let n = parse(xml).unwrap();
        let expected = Node::object([
            ("kind", Node::Text("art29".into())),
            ("a", Node::Text("1".into())),
            (
                "l",
                Node::Array(vec![
                    Node::Text("x".into()),
                    Node::object([("b", Node::Text("y".into()))]),
                ]),
            ),
            (
                "f",
                Node::object([(
                    "not_applicable",
                    Node::object([("reason", Node::Text("No fax line exists.".into()))]),
                )]),
            ),
            ("e", Node::Text(String::new())),
        ]);
        assert_eq!(n, expected);
    }

    #[test]
    fn refuses_attributes_outside_markers_and_content_inside_them() {
        let ns = "xmlns=\"urn:cp247:forms:1\"";
        for bad in [
            format!("<art29 {ns} lang=\"fr\"/>"),
            format!("<art29 {ns}><a x=\"1\">t</a></art29>"),
            format!("<art29 {ns}><a><unknown reason=\"x y\">text</unknown></a></art29>"),
            format!("<art29 {ns}><a><unknown><reason>x y</reason></unknown></a></art29>"),
            format!("<art29 {ns}>text</art29>"),
        ] {
            assert!(
                matches!(parse(&bad), Err(XmlError::Structure { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn writes_escapes_that_read_back_exactly() {
        let tricky = "a < b && c > d ]]> \"q\" 'a'\r\n\ttab";
        let n = Node::object([
            ("kind", Node::string("art35")),
            ("t", Node::string(tricky)),
            (
                "x",
                Node::object([("unknown", Node::object([("reason", Node::string(tricky))]))]),
            ),
        ]);
        let xml = write_node(&n).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<art35 xmlns="));
        let back = parse(&xml).unwrap();
        let Node::Object(entries) = back else {
            panic!()
        };
        assert_eq!(entries[1].1, Node::Text(tricky.into()));
        assert_eq!(
            entries[2].1,
            Node::object([(
                "unknown",
                Node::object([("reason", Node::Text(tricky.into()))])
            )])
        );
    }

    /// Trees in canonical XML shape: scalars are non-empty text, containers non-empty, no key
    /// named `item` (that would read back as a list).
    fn arb_tree() -> impl Strategy<Value = Node> {
        let text = "[^\u{0}-\u{8}\u{b}\u{c}\u{e}-\u{1f}\u{fffe}\u{ffff}]{1,12}";
        let key = "[a-z][a-z_]{0,7}"
            .prop_filter("not item", |k| k != ITEM && !MARKERS.contains(&k.as_str()));
        let leaf = text.prop_map(Node::Text);
        leaf.prop_recursive(5, 48, 5, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 1..5).prop_map(Node::Array),
                prop::collection::vec((key.clone(), inner), 1..5).prop_map(Node::Object),
                text.prop_map(|r| Node::object([(
                    "not_applicable",
                    Node::object([("reason", Node::Text(r))])
                )])),
            ]
        })
    }

    proptest! {
        #[test]
        fn write_then_read_is_identity(body in prop::collection::vec(("[a-z][a-z_]{0,7}", arb_tree()), 0..5)) {
            let mut entries = vec![("kind".to_owned(), Node::Text("art31".into()))];
            entries.extend(body.into_iter().filter(|(k, _)| k != ITEM && k != "kind"));
            let n = Node::Object(entries);
            let xml = write_node(&n).unwrap();
            prop_assert_eq!(parse(&xml).unwrap(), n);
        }
    }
}

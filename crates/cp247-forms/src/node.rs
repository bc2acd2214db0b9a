//! A small, source-neutral tree that both JSON and XML are read into and written from.
//!
//! The decoder ([`crate::decode`]) reads documents only from a [`Node`], so the rules and the
//! problem paths are identical whatever the input format. Objects keep their keys in order and
//! keep duplicates (so the decoder can report them). XML has no types for scalars: an XML
//! reader produces [`Node::Text`], which the decoder accepts wherever a string, a boolean
//! (`true`/`false`) or an integer is expected, and — when empty — wherever a list or an object
//! is expected (an empty XML element).

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::error::FormsError;

/// Largest document accepted, in bytes (JSON or XML).
pub const MAX_DOCUMENT_BYTES: usize = 1024 * 1024;
/// Deepest nesting accepted (objects and arrays; the root is depth 1).
pub const MAX_DEPTH: usize = 32;

/// A value of the neutral tree.
#[derive(Clone, PartialEq, Eq)]
pub enum Node {
    /// An object: keys in document order, duplicates kept.
    Object(Vec<(String, Node)>),
    /// An array.
    Array(Vec<Node>),
    /// A JSON string.
    String(String),
    /// An untyped scalar (XML text content or attribute value).
    Text(String),
    /// A JSON boolean.
    Bool(bool),
    /// A JSON number, as written in decimal.
    Number(String),
    /// JSON `null`.
    Null,
}

impl Node {
    /// What kind of value this is, in words for messages ("an object", "a string", …).
    pub fn type_name(&self) -> &'static str {
        match self {
            Node::Object(_) => "object",
            Node::Array(_) => "list",
            Node::String(_) | Node::Text(_) => "string",
            Node::Bool(_) => "boolean",
            Node::Number(_) => "number",
            Node::Null => "null",
        }
    }

    /// A string node.
    pub fn string(s: impl Into<String>) -> Self {
        Node::String(s.into())
    }

    /// An object node from pairs.
    pub fn object<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Node)>) -> Self {
        Node::Object(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The value of `key` in an object (the first, if duplicated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Object(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Mutable access to the value of `key` in an object (the first, if duplicated).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match self {
            Node::Object(entries) => entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Parses JSON text into a tree, refusing input larger than [`MAX_DOCUMENT_BYTES`] or
    /// nested deeper than [`MAX_DEPTH`], invalid UTF-8, and anything after the value.
    pub fn from_json(bytes: &[u8]) -> Result<Node, FormsError> {
        if bytes.len() > MAX_DOCUMENT_BYTES {
            return Err(FormsError::TooLarge {
                size: bytes.len(),
                max: MAX_DOCUMENT_BYTES,
            });
        }
        let mut de = serde_json::Deserializer::from_slice(bytes);
        let node = NodeSeed { depth: 1 }
            .deserialize(&mut de)
            .map_err(|e| json_error(&e))?;
        de.end().map_err(|e| json_error(&e))?;
        Ok(node)
    }

    /// Writes the tree as indented JSON (two spaces, keys in tree order, a final newline).
    /// `Text` is written as a JSON string.
    pub fn to_json_pretty(&self) -> String {
        let mut out = String::new();
        write_json(self, 0, &mut out);
        out.push('\n');
        out
    }
}

impl fmt::Debug for Node {
    // A tree of a document holds case data: show its shape only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Object(entries) => {
                let mut m = f.debug_map();
                for (k, v) in entries {
                    m.entry(k, v);
                }
                m.finish()
            }
            Node::Array(items) => f.debug_list().entries(items).finish(),
            Node::String(s) => write!(f, "String(<{} chars>)", s.chars().count()),
            Node::Text(s) => write!(f, "Text(<{} chars>)", s.chars().count()),
            Node::Bool(b) => write!(f, "Bool({b})"),
            Node::Number(n) => write!(f, "Number({n})"),
            Node::Null => f.write_str("Null"),
        }
    }
}

/// The depth-limit message, recognised when serde_json reports it back.
const TOO_DEEP: &str = "cp247: nesting too deep";

fn json_error(e: &serde_json::Error) -> FormsError {
    let text = e.to_string();
    if text.starts_with(TOO_DEEP) {
        return FormsError::TooDeep { max: MAX_DEPTH };
    }
    // serde_json's message ends with " at line L column C"; keep only the reason.
    let reason = match text.rfind(" at line ") {
        Some(i) => text.get(..i).unwrap_or(&text).to_owned(),
        None => text.clone(),
    };
    FormsError::Malformed {
        format: "JSON",
        line: e.line(),
        column: e.column(),
        reason,
    }
}

/// Builds a [`Node`] while counting depth, so nesting is refused before it costs stack.
struct NodeSeed {
    depth: usize,
}

impl<'de> DeserializeSeed<'de> for NodeSeed {
    type Value = Node;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Node, D::Error> {
        if self.depth > MAX_DEPTH {
            // Refused before the value is read, so depth never costs stack.
            return Err(serde::de::Error::custom(format_args!(
                "{TOO_DEEP} (more than {MAX_DEPTH} levels)"
            )));
        }
        deserializer.deserialize_any(NodeVisitor { depth: self.depth })
    }
}

struct NodeVisitor {
    depth: usize,
}

impl NodeVisitor {
    fn child(&self) -> NodeSeed {
        NodeSeed {
            depth: self.depth + 1,
        }
    }
}

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Number(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Node, E> {
        Ok(Node::String(v))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self.child())? {
            items.push(item);
        }
        Ok(Node::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = map.next_value_seed(self.child())?;
            entries.push((key, value));
        }
        Ok(Node::Object(entries))
    }
}

fn write_json(node: &Node, indent: usize, out: &mut String) {
    match node {
        Node::Object(entries) if entries.is_empty() => out.push_str("{}"),
        Node::Object(entries) => {
            out.push_str("{\n");
            for (i, (k, v)) in entries.iter().enumerate() {
                push_indent(indent + 1, out);
                push_json_string(k, out);
                out.push_str(": ");
                write_json(v, indent + 1, out);
                if i + 1 < entries.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(indent, out);
            out.push('}');
        }
        Node::Array(items) if items.is_empty() => out.push_str("[]"),
        Node::Array(items) => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                push_indent(indent + 1, out);
                write_json(v, indent + 1, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            push_indent(indent, out);
            out.push(']');
        }
        Node::String(s) | Node::Text(s) => push_json_string(s, out),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(n) => out.push_str(n),
        Node::Null => out.push_str("null"),
    }
}

fn push_indent(level: usize, out: &mut String) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn push_json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_order_and_duplicates() {
        let n = Node::from_json(br#"{"b": 1, "a": [true, null, "x"], "b": 2}"#).unwrap();
        let Node::Object(entries) = &n else {
            panic!("not an object")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert_eq!(n.get("b"), Some(&Node::Number("1".into())));
    }

    #[test]
    fn refuses_deep_large_and_malformed_input() {
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 1), "]".repeat(MAX_DEPTH + 1));
        assert!(matches!(
            Node::from_json(deep.as_bytes()),
            Err(FormsError::TooDeep { .. })
        ));
        let ok = format!("{}{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(Node::from_json(ok.as_bytes()).is_ok());
        let very_deep = "[".repeat(100_000);
        assert!(matches!(
            Node::from_json(very_deep.as_bytes()),
            Err(FormsError::TooDeep { .. })
        ));
        let big = vec![b' '; MAX_DOCUMENT_BYTES + 1];
        assert!(matches!(
            Node::from_json(&big),
            Err(FormsError::TooLarge { .. })
        ));
        for bad in [
            &b"{"[..],
            b"{} {}",
            b"\xff\xfe",
            b"",
            b"{\"a\": 01}",
            b"[1,]",
        ] {
            assert!(
                matches!(Node::from_json(bad), Err(FormsError::Malformed { .. })),
                "{bad:?}"
            );
        }
        match Node::from_json(b"{\n  \"a\": nul,\n  \"b\": 1}") {
            Err(FormsError::Malformed { line, .. }) => assert_eq!(line, 2),
            other => panic!("{other:?}"),
        }
    }

    fn arb_node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            any::<String>().prop_map(Node::String),
            any::<bool>().prop_map(Node::Bool),
            any::<i64>().prop_map(|n| Node::Number(n.to_string())),
            Just(Node::Null),
        ];
        leaf.prop_recursive(6, 64, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Node::Array),
                prop::collection::vec(("[a-z_]{1,8}", inner), 0..6).prop_map(Node::Object),
            ]
        })
    }

    proptest! {
        #[test]
        fn json_writer_round_trips(n in arb_node()) {
            let text = n.to_json_pretty();
            prop_assert_eq!(Node::from_json(text.as_bytes()).unwrap(), n);
        }
    }
}

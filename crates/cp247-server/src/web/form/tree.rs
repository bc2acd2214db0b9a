//! Between a draft and its document: [`build`] makes the document tree a composer sends (the
//! forms crate's [`Node`] for requests, JSON for replies), [`fill`] types a document into a
//! draft as an officer would (the inverse, for examples and tests).

use cp247_forms::Node;
use serde_json::Value;

use super::draft::Draft;
use super::spec::{Field, Presence, Shape, Way, entry, join};

/// A document tree a draft is built into.
pub trait Tree: Sized {
    /// An object, its entries in order.
    fn object(entries: Vec<(String, Self)>) -> Self;
    /// A list.
    fn list(items: Vec<Self>) -> Self;
    /// Text.
    fn text(text: String) -> Self;
}

impl Tree for Node {
    fn object(entries: Vec<(String, Self)>) -> Self {
        Node::Object(entries)
    }

    fn list(items: Vec<Self>) -> Self {
        Node::Array(items)
    }

    fn text(text: String) -> Self {
        Node::Text(text)
    }
}

impl Tree for Value {
    fn object(entries: Vec<(String, Self)>) -> Self {
        Value::Object(entries.into_iter().collect())
    }

    fn list(items: Vec<Self>) -> Self {
        Value::Array(items)
    }

    fn text(text: String) -> Self {
        Value::String(text)
    }
}

/// A document tree a draft is filled from.
pub trait TreeRead: Sized {
    /// The value at `key` of an object.
    fn field(&self, key: &str) -> Option<&Self>;
    /// The items of a list.
    fn items(&self) -> Option<&[Self]>;
    /// A string's text.
    fn string(&self) -> Option<&str>;
}

impl TreeRead for Node {
    fn field(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }

    fn items(&self) -> Option<&[Self]> {
        match self {
            Node::Array(items) => Some(items),
            Node::Object(_)
            | Node::String(_)
            | Node::Text(_)
            | Node::Bool(_)
            | Node::Number(_)
            | Node::Null => None,
        }
    }

    fn string(&self) -> Option<&str> {
        match self {
            Node::String(s) | Node::Text(s) => Some(s),
            Node::Object(_) | Node::Array(_) | Node::Bool(_) | Node::Number(_) | Node::Null => None,
        }
    }
}

impl TreeRead for Value {
    fn field(&self, key: &str) -> Option<&Self> {
        self.get(key)
    }

    fn items(&self) -> Option<&[Self]> {
        self.as_array().map(Vec::as_slice)
    }

    fn string(&self) -> Option<&str> {
        self.as_str()
    }
}

/// The marker of a field not filled with a value: `{"not_applicable": {"reason": "…"}}`.
pub fn marker<T: Tree>(way: &'static str, reason: &str) -> T {
    T::object(vec![(
        way.to_owned(),
        T::object(vec![(
            "reason".to_owned(),
            T::text(reason.trim().to_owned()),
        )]),
    )])
}

/// The entries of the object of `fields` under `parent` in draft `d`: every field, with its
/// marker where it is not applicable or unknown, and `leaf` making each typed value.
pub fn build<L, T: Tree>(
    fields: &'static [Field<L>],
    parent: &str,
    d: &Draft,
    leaf: &mut dyn FnMut(&'static L, &str) -> T,
) -> Vec<(String, T)> {
    fields
        .iter()
        .map(|f| {
            let path = join(parent, f.key);
            let node = match d.way(&path, f.presence).marker() {
                Some(way) => marker(way, d.reason(&path)),
                None => build_shape(&f.shape, f.presence, &path, d, leaf),
            };
            (f.key.to_owned(), node)
        })
        .collect()
}

fn build_shape<L, T: Tree>(
    shape: &'static Shape<L>,
    presence: Presence,
    path: &str,
    d: &Draft,
    leaf: &mut dyn FnMut(&'static L, &str) -> T,
) -> T {
    match shape {
        Shape::Leaf(l) => leaf(l, path),
        Shape::Object(fields) => T::object(build(fields, path, d, leaf)),
        Shape::List(item) => T::list(
            (0..d.count(path, presence))
                .map(|i| build_shape(item, Presence::Required, &entry(path, i), d, leaf))
                .collect(),
        ),
    }
}

/// Types `doc` (an object of `fields`) into draft `d` under `parent`, with `leaf` typing each
/// value; the inverse of [`build`].
pub fn fill<L, T: TreeRead>(
    fields: &'static [Field<L>],
    parent: &str,
    doc: &T,
    d: &mut Draft,
    leaf: &mut dyn FnMut(&'static L, &str, &T, &mut Draft),
) {
    for f in fields {
        let path = join(parent, f.key);
        let Some(v) = doc.field(f.key) else {
            if matches!(f.shape, Shape::List(_)) {
                d.set_count(&path, 0);
            }
            continue;
        };
        let marked = [Way::NotApplicable, Way::Unknown]
            .into_iter()
            .filter(|w| f.presence.ways().contains(w))
            .find_map(|w| Some((w, v.field(w.as_str())?)));
        if let Some((way, inner)) = marked {
            d.set_way(&path, way);
            let reason = inner
                .field("reason")
                .and_then(T::string)
                .unwrap_or_default();
            d.set_reason(&path, reason);
            if matches!(f.shape, Shape::List(_)) {
                d.set_count(&path, 0);
            }
            continue;
        }
        fill_shape(&f.shape, &path, v, d, leaf);
    }
}

fn fill_shape<L, T: TreeRead>(
    shape: &'static Shape<L>,
    path: &str,
    v: &T,
    d: &mut Draft,
    leaf: &mut dyn FnMut(&'static L, &str, &T, &mut Draft),
) {
    match shape {
        Shape::Leaf(l) => leaf(l, path, v, d),
        Shape::Object(fields) => fill(fields, path, v, d, leaf),
        Shape::List(item) => {
            let items = v.items().unwrap_or_default();
            d.set_count(path, items.len());
            for (i, it) in items.iter().take(super::draft::MAX_ITEMS).enumerate() {
                fill_shape(item, &entry(path, i), it, d, leaf);
            }
        }
    }
}

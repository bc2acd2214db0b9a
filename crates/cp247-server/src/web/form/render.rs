//! Rendering: a walk over the fields and the draft that a composer's layout turns into the
//! items of its template, and the placing of problems next to the items of their paths.

use std::collections::HashMap;

use super::draft::Draft;
use super::spec::{Field, Shape, entry, join, parent};

/// One choice of a drop-down list, radio group or check-box group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// The value sent.
    pub value: String,
    /// Its label.
    pub label: String,
    /// Whether it is chosen.
    pub selected: bool,
}

impl Offer {
    /// The offers of `(value, label)` pairs, `chosen` selected.
    pub fn list(
        choices: impl IntoIterator<Item = (String, String)>,
        chosen: impl Fn(&str) -> bool,
    ) -> Vec<Offer> {
        choices
            .into_iter()
            .map(|(value, label)| Offer {
                selected: chosen(&value),
                value,
                label,
            })
            .collect()
    }
}

/// What a composer's layout makes of each part of the form, in document order. Paths are the
/// inputs' names; `entry` is the item number of a value that is an item of a list.
pub trait Visit<L: 'static> {
    /// Before a field, whatever its shape.
    fn begin_field(&mut self, _field: &'static Field<L>, _path: &str) {}
    /// After a field.
    fn end_field(&mut self, _field: &'static Field<L>, _path: &str) {}
    /// A value.
    fn leaf(
        &mut self,
        field: &'static Field<L>,
        leaf: &'static L,
        path: &str,
        entry: Option<usize>,
    );
    /// Before the fields of an object field.
    fn begin_object(&mut self, _field: &'static Field<L>, _path: &str) {}
    /// After them.
    fn end_object(&mut self, _field: &'static Field<L>, _path: &str) {}
    /// Before the items of a list of `count` items.
    fn begin_list(&mut self, _field: &'static Field<L>, _path: &str, _count: usize) {}
    /// Before item `index` (at `path`) of the list at `list`, its shape `item`.
    fn begin_entry(
        &mut self,
        _field: &'static Field<L>,
        _item: &'static Shape<L>,
        _path: &str,
        _list: &str,
        _index: usize,
    ) {
    }
    /// After that item.
    fn end_entry(
        &mut self,
        _field: &'static Field<L>,
        _item: &'static Shape<L>,
        _path: &str,
        _list: &str,
        _index: usize,
    ) {
    }
    /// After the items of a list.
    fn end_list(&mut self, _field: &'static Field<L>, _path: &str, _count: usize) {}
}

/// Walks `fields` under `parent` with the draft's list counts, telling `v` each part.
pub fn walk<L, V: Visit<L>>(fields: &'static [Field<L>], parent: &str, d: &Draft, v: &mut V) {
    for f in fields {
        let path = join(parent, f.key);
        v.begin_field(f, &path);
        walk_shape(f, &f.shape, &path, None, d, v);
        v.end_field(f, &path);
    }
}

fn walk_shape<L, V: Visit<L>>(
    f: &'static Field<L>,
    shape: &'static Shape<L>,
    path: &str,
    at: Option<usize>,
    d: &Draft,
    v: &mut V,
) {
    match shape {
        Shape::Leaf(l) => v.leaf(f, l, path, at),
        // An item that is an object is its fields (the entry is its group).
        Shape::Object(fields) if at.is_some() => walk(fields, path, d, v),
        Shape::Object(fields) => {
            v.begin_object(f, path);
            walk(fields, path, d, v);
            v.end_object(f, path);
        }
        Shape::List(item) => {
            let presence = if at.is_some() {
                super::spec::Presence::Required
            } else {
                f.presence
            };
            let count = d.count(path, presence);
            v.begin_list(f, path, count);
            for i in 0..count {
                let item_path = entry(path, i);
                v.begin_entry(f, item, &item_path, path, i);
                walk_shape(f, item, &item_path, Some(i), d, v);
                v.end_entry(f, item, &item_path, path, i);
            }
            v.end_list(f, path, count);
        }
    }
}

/// Where problems are shown: field paths (and other paths a composer chooses) → the index of
/// the item that shows the problems at that path and below.
#[derive(Debug, Default)]
pub struct Anchors(HashMap<String, usize>);

impl Anchors {
    /// Shows the problems at `path` at item `at`, unless an item already does.
    pub fn mark(&mut self, path: impl Into<String>, at: usize) {
        self.0.entry(path.into()).or_insert(at);
    }

    /// The item that shows a problem at `path`: that of the path or of its nearest parent with
    /// an item (`None`: the whole document).
    pub fn find(&self, path: &str) -> Option<usize> {
        let mut probe = Some(path);
        while let Some(candidate) = probe {
            if let Some(at) = self.0.get(candidate) {
                return Some(*at);
            }
            probe = parent(candidate);
        }
        None
    }
}

//! What a form asks: its fields, whether each may stay without a value, and their shapes.
//!
//! A composer describes its document as a table of [`Field`]s (static, like the document's
//! schema). The leaves are the composer's own kinds of input (`L`): the request composer has
//! check-box sets and fixed statements, the reply composer refusal grounds and JSON documents;
//! everything else (objects, lists, not-applicable and unknown, paths) is the same for both.

/// Whether a field may be left without a value, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// A value is required.
    Required,
    /// A value, or "not applicable" or "unknown" with a reason.
    Optional,
    /// A value, or "not applicable" with a reason.
    Applicable,
}

impl Presence {
    /// Whether a value is always required.
    pub fn is_required(self) -> bool {
        self == Presence::Required
    }

    /// Whether "unknown" is one of the ways.
    pub fn allows_unknown(self) -> bool {
        self == Presence::Optional
    }

    /// The ways of filling the field, in the order offered.
    pub fn ways(self) -> &'static [Way] {
        match self {
            Presence::Required => &[Way::Value],
            Presence::Optional => &[Way::Value, Way::NotApplicable, Way::Unknown],
            Presence::Applicable => &[Way::Value, Way::NotApplicable],
        }
    }

    /// What a typed way means for a field of this presence: a way it does not offer is a value.
    pub fn resolve(self, typed: &str) -> Way {
        let way = Way::parse(typed);
        if self.ways().contains(&way) {
            way
        } else {
            Way::Value
        }
    }
}

/// How an optional field is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// With a value.
    Value,
    /// Not applicable (with a reason).
    NotApplicable,
    /// Unknown (with a reason).
    Unknown,
}

impl Way {
    /// The form value (and the marker's key in the document).
    pub fn as_str(self) -> &'static str {
        match self {
            Way::Value => "value",
            Way::NotApplicable => "not_applicable",
            Way::Unknown => "unknown",
        }
    }

    /// Reads a form value; anything but the two markers is a value.
    pub fn parse(s: &str) -> Way {
        match s {
            "not_applicable" => Way::NotApplicable,
            "unknown" => Way::Unknown,
            _ => Way::Value,
        }
    }

    /// The marker's key in the document (`None` for a value).
    pub fn marker(self) -> Option<&'static str> {
        match self {
            Way::Value => None,
            Way::NotApplicable | Way::Unknown => Some(self.as_str()),
        }
    }
}

/// What a field holds.
#[derive(Debug)]
pub enum Shape<L: 'static> {
    /// A value typed in one input (or one group of check boxes) of the composer's kind `L`.
    Leaf(L),
    /// An object: its fields.
    Object(&'static [Field<L>]),
    /// A list of items of one shape.
    List(&'static Shape<L>),
}

/// One field: its key in the document, its label (a catalogue key; empty where the composer
/// names labels after the key), its shape and its presence.
#[derive(Debug)]
pub struct Field<L: 'static> {
    /// The key in the document (and the last part of its path).
    pub key: &'static str,
    /// The catalogue key of its label.
    pub label: &'static str,
    /// What it holds.
    pub shape: Shape<L>,
    /// Whether it may stay without a value.
    pub presence: Presence,
}

/// A field that always has a value.
pub const fn required<L>(key: &'static str, label: &'static str, shape: Shape<L>) -> Field<L> {
    Field {
        key,
        label,
        shape,
        presence: Presence::Required,
    }
}

/// A field with a value, or not applicable or unknown with a reason.
pub const fn optional<L>(key: &'static str, label: &'static str, shape: Shape<L>) -> Field<L> {
    Field {
        key,
        label,
        shape,
        presence: Presence::Optional,
    }
}

/// A field with a value, or not applicable with a reason.
pub const fn applicable<L>(key: &'static str, label: &'static str, shape: Shape<L>) -> Field<L> {
    Field {
        key,
        label,
        shape,
        presence: Presence::Applicable,
    }
}

/// The path of `key` under `parent` (`a.b`; `key` alone at the top).
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// The path of item `index` of the list at `list` (`a.b[2]`).
pub fn entry(list: &str, index: usize) -> String {
    format!("{list}[{index}]")
}

/// The parent of a field path (`a.b[2]` → `a.b`, `a.b` → `a`), if any.
pub fn parent(path: &str) -> Option<&str> {
    let cut = path.rfind(['.', '['])?;
    path.get(..cut)
}

/// The field of the list at `path` (`data_items[0].identifiers`), if `path` names a list of
/// `fields`; item indexes on the way must step into lists.
pub fn find_list<L>(fields: &'static [Field<L>], path: &str) -> Option<&'static Field<L>> {
    let mut fields = fields;
    let mut segments = path.split('.').peekable();
    while let Some(segment) = segments.next() {
        let (key, index) = match segment.split_once('[') {
            None => (segment, None),
            Some((key, rest)) => (key, Some(rest.strip_suffix(']')?.parse::<usize>().ok()?)),
        };
        let field = fields.iter().find(|f| f.key == key)?;
        let mut shape = &field.shape;
        if index.is_some() {
            shape = match shape {
                Shape::List(item) => item,
                Shape::Leaf(_) | Shape::Object(_) => return None,
            };
        }
        let last = segments.peek().is_none();
        match (shape, last, index) {
            (Shape::List(_), true, None) => return Some(field),
            (Shape::Object(inner), false, _) => fields = inner,
            (Shape::Leaf(_) | Shape::Object(_) | Shape::List(_), _, _) => return None,
        }
    }
    None
}

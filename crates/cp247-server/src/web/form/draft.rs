//! The draft: every input's value by name, read from a posted form within bounds, with the
//! list operations of the composers' "add" and "remove" buttons.
//!
//! Input names are field paths (`offences[1].name`); a composer's [`Naming`] gives the
//! suffixes of the inputs that are not values: the way an optional field is filled, its
//! reason, and the number of items of a list. The draft travels in the form and nothing is kept
//! between requests.

use super::spec::{Field, Presence, Shape, Way, entry, find_list, join};

/// The most items a list holds.
pub const MAX_ITEMS: usize = 50;

/// The most bytes of a posted form (the CSRF guard reads no more either).
pub const MAX_BODY_BYTES: usize = crate::web::session::MAX_FORM_BYTES;

/// The most fields of a posted form.
pub const MAX_FIELDS: usize = 10_000;

/// The longest input name of a posted form, in bytes.
pub const MAX_NAME_BYTES: usize = 256;

/// A posted form the composers do not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormError {
    /// More bytes than [`MAX_BODY_BYTES`].
    #[error("the form has {0} bytes, more than {MAX_BODY_BYTES}")]
    TooLarge(usize),
    /// More fields than [`MAX_FIELDS`].
    #[error("the form has more than {MAX_FIELDS} fields")]
    TooManyFields,
    /// An input name longer than [`MAX_NAME_BYTES`].
    #[error("an input name is longer than {MAX_NAME_BYTES} bytes")]
    NameTooLong,
}

/// The suffixes a composer gives the inputs that are not values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Naming {
    /// After a path: how an optional field is filled (`value`, `not_applicable`, `unknown`).
    pub way: &'static str,
    /// After a path: the reason of "not applicable" or "unknown".
    pub reason: &'static str,
    /// After a list's path: its number of items.
    pub count: &'static str,
}

/// What a composer's button asks for (the `op` of the form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Add an item to the list at this path (`add:<path>`).
    Add(String),
    /// Remove an item of a list (`remove:<path>:<index>`).
    Remove(String, usize),
    /// Check and send (`send`).
    Send,
    /// Show the form again with what was typed (anything else).
    Refresh,
}

impl Op {
    /// Reads the `op` of a form.
    pub fn parse(op: &str) -> Op {
        if op == "send" {
            return Op::Send;
        }
        if let Some(list) = op.strip_prefix("add:") {
            return Op::Add(list.to_owned());
        }
        if let Some((list, index)) = op
            .strip_prefix("remove:")
            .and_then(|rest| rest.rsplit_once(':'))
            && let Ok(index) = index.parse::<usize>()
        {
            return Op::Remove(list.to_owned(), index);
        }
        Op::Refresh
    }

    /// The `op` of the button that adds an item to `list`.
    pub fn add(list: &str) -> String {
        format!("add:{list}")
    }

    /// The `op` of the button that removes item `index` of `list`.
    pub fn remove(list: &str, index: usize) -> String {
        format!("remove:{list}:{index}")
    }
}

/// The draft of a document: (input name, value) in the order posted (names repeat for check
/// boxes sharing a name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pairs: Vec<(String, String)>,
    naming: Naming,
}

impl Draft {
    /// An empty draft.
    pub fn new(naming: Naming) -> Self {
        Self {
            pairs: Vec::new(),
            naming,
        }
    }

    /// Reads a posted `application/x-www-form-urlencoded` body, within the bounds.
    pub fn parse(body: &[u8], naming: Naming) -> Result<Self, FormError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(FormError::TooLarge(body.len()));
        }
        let mut pairs = Vec::new();
        for (k, v) in url::form_urlencoded::parse(body) {
            if pairs.len() == MAX_FIELDS {
                return Err(FormError::TooManyFields);
            }
            if k.len() > MAX_NAME_BYTES {
                return Err(FormError::NameTooLong);
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Self { pairs, naming })
    }

    /// Its naming.
    pub fn naming(&self) -> Naming {
        self.naming
    }

    /// The (name, value) pairs, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The (name, value) pairs, in order.
    pub fn into_pairs(self) -> Vec<(String, String)> {
        self.pairs
    }

    /// The first value named `name` (empty when there is none).
    pub fn get(&self, name: &str) -> &str {
        self.find(name).unwrap_or_default()
    }

    /// The first value named `name`, if any.
    pub fn find(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value named `name`, in order.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Sets `name` to `value` (replacing every earlier value).
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let name = name.into();
        self.pairs.retain(|(k, _)| *k != name);
        self.pairs.push((name, value.into()));
    }

    /// Adds one more value named `name`.
    pub fn push(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.pairs.push((name.into(), value.into()));
    }

    /// Removes every value named `name` and returns the first.
    pub fn take(&mut self, name: &str) -> Option<String> {
        let first = self.find(name).map(str::to_owned);
        self.pairs.retain(|(k, _)| k != name);
        first
    }

    /// The name of the way input of the field at `path`.
    pub fn way_name(&self, path: &str) -> String {
        format!("{path}{}", self.naming.way)
    }

    /// The name of the reason input of the field at `path`.
    pub fn reason_name(&self, path: &str) -> String {
        format!("{path}{}", self.naming.reason)
    }

    /// The name of the count input of the list at `path`.
    pub fn count_name(&self, path: &str) -> String {
        format!("{path}{}", self.naming.count)
    }

    /// How the field at `path`, of `presence`, is filled.
    pub fn way(&self, path: &str, presence: Presence) -> Way {
        presence.resolve(self.get(&self.way_name(path)))
    }

    /// The way typed at `path`, as typed (`value` when none).
    pub fn way_typed(&self, path: &str) -> &str {
        self.find(&self.way_name(path)).unwrap_or("value")
    }

    /// Sets how the field at `path` is filled.
    pub fn set_way(&mut self, path: &str, way: Way) {
        self.set(self.way_name(path), way.as_str());
    }

    /// The reason typed for the field at `path`.
    pub fn reason(&self, path: &str) -> &str {
        self.get(&self.reason_name(path))
    }

    /// Sets the reason of the field at `path`.
    pub fn set_reason(&mut self, path: &str, reason: impl Into<String>) {
        self.set(self.reason_name(path), reason);
    }

    /// Whether the list at `path` has a count.
    pub fn has_count(&self, path: &str) -> bool {
        self.find(&self.count_name(path)).is_some()
    }

    /// The number of items of the list at `path`, of `presence`: as posted, at most
    /// [`MAX_ITEMS`]; without a count, one for a required list and none otherwise.
    pub fn count(&self, path: &str, presence: Presence) -> usize {
        self.find(&self.count_name(path))
            .and_then(|c| c.trim().parse::<usize>().ok())
            .unwrap_or(usize::from(presence.is_required()))
            .min(MAX_ITEMS)
    }

    /// Sets the number of items of the list at `path` (at most [`MAX_ITEMS`]).
    pub fn set_count(&mut self, path: &str, n: usize) {
        self.set(self.count_name(path), n.min(MAX_ITEMS).to_string());
    }

    /// Adds an item to the list at `path` (none beyond [`MAX_ITEMS`]).
    pub fn add(&mut self, path: &str, presence: Presence) {
        let n = self.count(path, presence);
        self.set_count(path, n.saturating_add(1));
    }

    /// Removes item `index` of the list at `path`: the later items move up by one.
    pub fn remove(&mut self, path: &str, index: usize, presence: Presence) {
        let n = self.count(path, presence);
        if index >= n {
            return;
        }
        let open = format!("{path}[");
        // Item number and the rest of the name after its `]`.
        let item = |k: &str| -> Option<(usize, usize)> {
            let rest = k.strip_prefix(&open)?;
            let close = rest.find(']')?;
            let i = rest.get(..close)?.parse::<usize>().ok()?;
            Some((i, open.len() + close + 1))
        };
        let mut kept = Vec::with_capacity(self.pairs.len());
        for (k, v) in std::mem::take(&mut self.pairs) {
            match item(&k) {
                Some((i, _)) if i == index => {}
                Some((i, end)) if i > index => {
                    let tail = k.get(end..).unwrap_or_default();
                    kept.push((format!("{}{tail}", entry(path, i - 1)), v));
                }
                Some(_) | None => kept.push((k, v)),
            }
        }
        self.pairs = kept;
        self.set_count(path, n - 1);
    }

    /// Does what a list button asks on a list of `fields` (other operations, and lists the
    /// fields do not have, change nothing).
    pub fn apply<L>(&mut self, op: &Op, fields: &'static [Field<L>]) {
        match op {
            Op::Add(list) => {
                if let Some(f) = find_list(fields, list) {
                    self.add(list, f.presence);
                }
            }
            Op::Remove(list, index) => {
                if let Some(f) = find_list(fields, list) {
                    self.remove(list, *index, f.presence);
                }
            }
            Op::Send | Op::Refresh => {}
        }
    }

    /// Gives every list of `fields` under `parent` that has no count one item, and so on
    /// into those items (a new draft's lists start with one item).
    pub fn open_lists<L>(&mut self, fields: &'static [Field<L>], parent: &str) {
        for f in fields {
            self.open_shape(&f.shape, &join(parent, f.key));
        }
    }

    fn open_shape<L>(&mut self, shape: &'static Shape<L>, path: &str) {
        match shape {
            Shape::Object(fields) => self.open_lists(fields, path),
            Shape::List(item) => {
                if !self.has_count(path) {
                    self.set_count(path, 1);
                }
                for i in 0..self.count(path, Presence::Required) {
                    self.open_shape(item, &entry(path, i));
                }
            }
            Shape::Leaf(_) => {}
        }
    }
}

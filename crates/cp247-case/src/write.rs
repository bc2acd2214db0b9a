//! Typed values → [`Node`], in the forms crate's canonical shapes: keys in model order, every
//! field present, `{"not_applicable": {"reason": …}}` and `{"unknown": {"reason": …}}` for
//! optional fields without a value.

use cp247_domain::{Channel, Instant, MessageId, TicketId};
use cp247_forms::shared::{
    Choice, Condition, Country, LongText, ProviderRef, Sha256, Text, TicketRef,
};
use cp247_forms::{Applicable, Document, Field, Node, NonEmpty, Reason};
use jiff::civil::Date;

/// A value that has a tree form.
pub(crate) trait Encode {
    fn encode(&self) -> Node;
}

/// Builds an object's fields in order.
pub(crate) struct Obj(Vec<(String, Node)>);

impl Obj {
    pub(crate) fn kind(name: &str) -> Self {
        Self(vec![("kind".to_owned(), Node::string(name))])
    }

    pub(crate) fn new() -> Self {
        Self(Vec::new())
    }

    pub(crate) fn put(mut self, key: &str, value: &impl Encode) -> Self {
        self.0.push((key.to_owned(), value.encode()));
        self
    }

    pub(crate) fn node(mut self, key: &str, value: Node) -> Self {
        self.0.push((key.to_owned(), value));
        self
    }

    pub(crate) fn done(self) -> Node {
        Node::Object(self.0)
    }
}

fn marker(which: &str, reason: &Reason) -> Node {
    Node::object([(
        which,
        Node::object([("reason", Node::string(reason.as_str()))]),
    )])
}

impl<T: Encode> Encode for Field<T> {
    fn encode(&self) -> Node {
        match self {
            Field::Value(v) => v.encode(),
            Field::NotApplicable(r) => marker("not_applicable", r),
            Field::Unknown(r) => marker("unknown", r),
        }
    }
}

impl<T: Encode> Encode for Applicable<T> {
    fn encode(&self) -> Node {
        match self {
            Applicable::Value(v) => v.encode(),
            Applicable::NotApplicable(r) => marker("not_applicable", r),
        }
    }
}

impl<T: Encode> Encode for NonEmpty<T> {
    fn encode(&self) -> Node {
        Node::Array(self.iter().map(Encode::encode).collect())
    }
}

impl<T: Encode> Encode for &T {
    fn encode(&self) -> Node {
        (**self).encode()
    }
}

impl<T: Encode> Encode for Box<T> {
    fn encode(&self) -> Node {
        (**self).encode()
    }
}

impl Encode for bool {
    fn encode(&self) -> Node {
        Node::Bool(*self)
    }
}

impl Encode for u16 {
    fn encode(&self) -> Node {
        Node::Number(self.to_string())
    }
}

impl Encode for u32 {
    fn encode(&self) -> Node {
        Node::Number(self.to_string())
    }
}

impl Encode for u64 {
    fn encode(&self) -> Node {
        Node::Number(self.to_string())
    }
}

/// Types written as their `Display` text.
macro_rules! encode_display {
    ($($t:ty),*) => {$(
        impl Encode for $t {
            fn encode(&self) -> Node {
                Node::String(self.to_string())
            }
        }
    )*};
}

encode_display!(
    Text, LongText, Sha256, Country, TicketId, MessageId, Instant, Date
);

impl Encode for Document {
    fn encode(&self) -> Node {
        cp247_forms::encode(self)
    }
}

/// Every [`Choice`] is written as its wire name.
pub(crate) struct ChoiceNode<C: Choice>(pub(crate) C);

impl<C: Choice> Encode for ChoiceNode<C> {
    fn encode(&self) -> Node {
        Node::string(self.0.as_str())
    }
}

pub(crate) fn choice<C: Choice>(c: C) -> ChoiceNode<C> {
    ChoiceNode(c)
}

impl Encode for TicketRef {
    fn encode(&self) -> Node {
        Obj::new()
            .put("ticket_id", &self.ticket_id)
            .put("counterpart_reference", &self.counterpart_reference)
            .put("date", &self.date)
            .put("channel", &choice::<Channel>(self.channel))
            .put("requesting_contact", &self.requesting_contact)
            .put("executing_contact", &self.executing_contact)
            .done()
    }
}

impl Encode for ProviderRef {
    fn encode(&self) -> Node {
        Obj::new()
            .put("name", &self.name)
            .put("legal_entity", &self.legal_entity)
            .put("country", &self.country)
            .put("address", &self.address)
            .put("service", &self.service)
            .put("provider_reference", &self.provider_reference)
            .put("contact", &self.contact)
            .done()
    }
}

impl Encode for Condition {
    fn encode(&self) -> Node {
        Obj::new()
            .put("kind", &choice(self.kind))
            .put("text", &self.text)
            .put("basis", &self.basis)
            .done()
    }
}

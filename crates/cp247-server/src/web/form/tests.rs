//! The form language on a small document of its own: parse → draft → render → parse round
//! trips, bounds, and the ways of optional fields.

use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;

#[derive(Debug)]
enum Leaf {
    Text,
}

const TEXT: Shape<Leaf> = Shape::Leaf(Leaf::Text);

static NOTE: &[Field<Leaf>] = &[required("name", "", TEXT), optional("note", "", TEXT)];

static ITEM: &[Field<Leaf>] = &[
    required("name", "", TEXT),
    optional("note", "", TEXT),
    required("tags", "", Shape::List(&TEXT)),
];

static DOC: &[Field<Leaf>] = &[
    required("title", "", TEXT),
    optional("note", "", TEXT),
    applicable("extra", "", Shape::Object(NOTE)),
    required("items", "", Shape::List(&Shape::Object(ITEM))),
    optional("tags", "", Shape::List(&TEXT)),
];

const NAMING: Naming = Naming {
    way: "~",
    reason: "~reason",
    count: "~n",
};

fn document(d: &Draft) -> Value {
    Value::Object(
        build(DOC, "", d, &mut |Leaf::Text, path| json!(d.get(path)))
            .into_iter()
            .collect(),
    )
}

fn draft_of(doc: &Value) -> Draft {
    let mut d = Draft::new(NAMING);
    fill(DOC, "", doc, &mut d, &mut |Leaf::Text, path, v, d| {
        d.set(path, v.as_str().unwrap_or_default());
    });
    d
}

/// What a browser posts from the rendered form: every input the walk renders, with its value.
#[derive(Default)]
struct Posted<'a> {
    d: Option<&'a Draft>,
    pairs: Vec<(String, String)>,
}

impl Posted<'_> {
    fn input(&mut self, name: String) {
        let value = self.d.map(|d| d.get(&name).to_owned()).unwrap_or_default();
        self.pairs.push((name, value));
    }
}

impl Visit<Leaf> for Posted<'_> {
    fn begin_field(&mut self, f: &'static Field<Leaf>, path: &str) {
        if !f.presence.is_required() {
            let d = self.d.map(|d| (d.way_name(path), d.reason_name(path)));
            if let Some((way, reason)) = d {
                self.input(way);
                self.input(reason);
            }
        }
    }

    fn leaf(&mut self, _: &'static Field<Leaf>, _: &'static Leaf, path: &str, _: Option<usize>) {
        self.input(path.to_owned());
    }

    fn begin_list(&mut self, _: &'static Field<Leaf>, path: &str, count: usize) {
        let name = self.d.map(|d| d.count_name(path)).unwrap_or_default();
        self.pairs.push((name, count.to_string()));
    }
}

fn rendered(d: &Draft) -> Vec<u8> {
    let mut posted = Posted {
        d: Some(d),
        pairs: Vec::new(),
    };
    walk(DOC, "", d, &mut posted);
    let mut body = url::form_urlencoded::Serializer::new(String::new());
    body.append_pair("csrf", "token");
    for (k, v) in &posted.pairs {
        body.append_pair(k, v);
    }
    body.append_pair("op", "send");
    body.finish().into_bytes()
}

fn example() -> Value {
    json!({
        "title": "A & B = c%20d+e",
        "note": { "unknown": { "reason": "not told" } },
        "extra": { "name": "x", "note": "y" },
        "items": [
            { "name": "one", "note": { "not_applicable": { "reason": "none" } }, "tags": ["a", "b"] },
            { "name": "two", "note": "n", "tags": [] },
        ],
        "tags": { "not_applicable": { "reason": "no tags" } },
    })
}

#[test]
fn a_document_survives_draft_render_and_post() {
    let doc = example();
    let d = draft_of(&doc);
    assert_eq!(document(&d), doc);
    let mut again = Draft::parse(&rendered(&d), NAMING).unwrap();
    assert_eq!(again.take("csrf").as_deref(), Some("token"));
    assert_eq!(Op::parse(&again.take("op").unwrap_or_default()), Op::Send);
    assert_eq!(document(&again), doc);
}

#[test]
fn the_ways_of_optional_fields() {
    let mut d = Draft::new(NAMING);
    d.set("title", "t");
    // "unknown" where only "not applicable" is offered is a value; a way of a required field
    // is ignored; reasons are trimmed.
    d.set_way("extra", Way::Unknown);
    d.set("extra.name", "n");
    d.set_way("title", Way::NotApplicable);
    d.set_way("note", Way::Unknown);
    d.set_reason("note", "  asked, not told \n");
    d.set_way("tags", Way::NotApplicable);
    let doc = document(&d);
    assert_eq!(doc["title"], json!("t"));
    assert_eq!(doc["extra"]["name"], json!("n"));
    assert_eq!(
        doc["note"],
        json!({ "unknown": { "reason": "asked, not told" } })
    );
    assert_eq!(doc["tags"], json!({ "not_applicable": { "reason": "" } }));
    // A way nobody offers is a value.
    d.set("note~", "perhaps");
    assert_eq!(d.way("note", Presence::Optional), Way::Value);
    assert_eq!(
        Presence::Applicable.ways(),
        &[Way::Value, Way::NotApplicable]
    );
    assert_eq!(Presence::Required.resolve("unknown"), Way::Value);
}

#[test]
fn lists_have_bounds_and_defaults() {
    let mut d = Draft::new(NAMING);
    // Without a count: one item of a required list, none of an optional one.
    assert_eq!(d.count("items", Presence::Required), 1);
    assert_eq!(d.count("tags", Presence::Optional), 0);
    for (typed, n) in [
        ("3", 3),
        (" 2 ", 2),
        ("-1", 1),
        ("x", 1),
        ("99999999999999999999", 1),
    ] {
        d.set("items~n", typed);
        assert_eq!(d.count("items", Presence::Required), n, "{typed}");
    }
    d.set("items~n", "1000000");
    assert_eq!(d.count("items", Presence::Required), MAX_ITEMS);
    d.add("items", Presence::Required);
    assert_eq!(d.get("items~n"), MAX_ITEMS.to_string());
    // An over-long list builds no more than the bound.
    assert_eq!(
        document(&d)["items"].as_array().map(Vec::len),
        Some(MAX_ITEMS)
    );
}

#[test]
fn removing_an_item_moves_the_later_ones_up() {
    let mut d = Draft::new(NAMING);
    d.set("items~n", "3");
    for i in 0..3 {
        d.set(format!("items[{i}].name"), format!("o{i}"));
        d.set(format!("items[{i}].tags~n"), "0");
    }
    d.set("items[1].note", "of the removed one");
    d.set("items[10].name", "beyond the count");
    d.set("items10", "not an item");
    d.apply(&Op::parse("remove:items:1"), DOC);
    assert_eq!(d.count("items", Presence::Required), 2);
    assert_eq!(d.get("items[0].name"), "o0");
    assert_eq!(d.get("items[1].name"), "o2");
    assert_eq!(d.get("items[1].note"), "");
    assert_eq!(d.get("items[9].name"), "beyond the count");
    assert_eq!(d.get("items10"), "not an item");
    // Out of range, or not a list of the document: nothing changes.
    let before = d.clone();
    for op in [
        "remove:items:5",
        "remove:title:0",
        "add:title",
        "add:nothing",
        "remove:items",
    ] {
        d.apply(&Op::parse(op), DOC);
        assert_eq!(d, before, "{op}");
    }
    d.apply(&Op::parse("add:items[1].tags"), DOC);
    assert_eq!(d.get("items[1].tags~n"), "1");
}

#[test]
fn ops_and_lists_are_found_by_path() {
    assert_eq!(Op::parse("send"), Op::Send);
    assert_eq!(Op::parse("refresh"), Op::Refresh);
    assert_eq!(Op::parse("remove:a.b[2].c:x"), Op::Refresh);
    assert_eq!(
        Op::parse(&Op::remove("a[1].b", 3)),
        Op::Remove("a[1].b".into(), 3)
    );
    assert_eq!(Op::parse(&Op::add("a[1].b")), Op::Add("a[1].b".into()));
    assert!(find_list(DOC, "items").is_some());
    assert!(find_list(DOC, "items[0].tags").is_some());
    for not_a_list in [
        "title",
        "items[0]",
        "items.tags",
        "items[x].tags",
        "extra.name",
        "",
    ] {
        assert!(find_list(DOC, not_a_list).is_none(), "{not_a_list}");
    }
}

#[test]
fn posted_forms_beyond_the_bounds_are_refused() {
    let big = vec![b'a'; MAX_BODY_BYTES + 1];
    assert_eq!(
        Draft::parse(&big, NAMING),
        Err(FormError::TooLarge(MAX_BODY_BYTES + 1))
    );
    let many = "a=1&".repeat(MAX_FIELDS + 1);
    assert_eq!(
        Draft::parse(many.as_bytes(), NAMING),
        Err(FormError::TooManyFields)
    );
    let long = format!("{}=1", "n".repeat(MAX_NAME_BYTES + 1));
    assert_eq!(
        Draft::parse(long.as_bytes(), NAMING),
        Err(FormError::NameTooLong)
    );
    let at_bounds = "a=1&".repeat(MAX_FIELDS);
    assert_eq!(
        Draft::parse(at_bounds.as_bytes(), NAMING).map(|d| d.pairs().len()),
        Ok(MAX_FIELDS)
    );
}

#[test]
fn problems_go_to_the_nearest_anchored_path() {
    let mut a = Anchors::default();
    a.mark("items", 1);
    a.mark("items[0]", 2);
    a.mark("items[0]", 9);
    a.mark("items[0].name", 3);
    assert_eq!(a.find("items[0].name"), Some(3));
    assert_eq!(a.find("items[0].tags[2]"), Some(2));
    assert_eq!(a.find("items[7].name"), Some(1));
    assert_eq!(a.find("item"), None);
    assert_eq!(a.find("(document)"), None);
}

fn reason() -> impl Strategy<Value = String> {
    "[a-z][a-z ]{0,10}[a-z]"
}

fn optional_text() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<String>().prop_map(Value::String),
        reason().prop_map(|r| json!({ "not_applicable": { "reason": r } })),
        reason().prop_map(|r| json!({ "unknown": { "reason": r } })),
    ]
}

fn texts() -> impl Strategy<Value = Vec<Value>> {
    prop::collection::vec(any::<String>().prop_map(Value::String), 0..4)
}

fn documents() -> impl Strategy<Value = Value> {
    let item = (any::<String>(), optional_text(), texts())
        .prop_map(|(name, note, tags)| json!({ "name": name, "note": note, "tags": tags }));
    let extra = prop_oneof![
        (any::<String>(), optional_text()).prop_map(|(n, note)| json!({ "name": n, "note": note })),
        reason().prop_map(|r| json!({ "not_applicable": { "reason": r } })),
    ];
    let tags = prop_oneof![
        texts().prop_map(Value::Array),
        reason().prop_map(|r| json!({ "unknown": { "reason": r } })),
    ];
    (
        any::<String>(),
        optional_text(),
        extra,
        prop::collection::vec(item, 0..4),
        tags,
    )
        .prop_map(|(title, note, extra, items, tags)| {
            json!({ "title": title, "note": note, "extra": extra, "items": items, "tags": tags })
        })
}

proptest! {
    #[test]
    fn any_document_survives_the_form(doc in documents(), remove in 0usize..4) {
        let d = draft_of(&doc);
        prop_assert_eq!(document(&d), doc.clone());
        let posted = Draft::parse(&rendered(&d), NAMING).unwrap();
        prop_assert_eq!(document(&posted), doc.clone());
        // Removing an item removes that item and nothing else.
        let mut fewer = posted.clone();
        fewer.apply(&Op::Remove("items".into(), remove), DOC);
        let mut expected = doc;
        if let Some(items) = expected["items"].as_array_mut()
            && remove < items.len()
        {
            items.remove(remove);
        }
        prop_assert_eq!(document(&fewer), expected);
    }

    #[test]
    fn any_posted_body_is_read_or_refused_without_a_panic(
        body in prop::collection::vec(any::<u8>(), 0..2048),
        op in "(add|remove|send)?:?[a-z\\[\\]0-9.]{0,20}(:[0-9]{1,3})?",
    ) {
        if let Ok(mut d) = Draft::parse(&body, NAMING) {
            d.apply(&Op::parse(&op), DOC);
            let _ = document(&d);
            walk(DOC, "", &d, &mut Posted::default());
        }
    }
}

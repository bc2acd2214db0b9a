//! A view of any structured message body that is not a request document: the replies of
//! `cp247-case` (acknowledgement, preservation confirmed, refusal, …), read from their canonical
//! tree ([`Node`]).
//!
//! Each top-level member becomes a numbered section headed by its catalogue label; objects
//! become records, lists become lists, `not_applicable` / `unknown` become their statements, and
//! an embedded request or disclosure document (an object whose `kind` is a document kind) is
//! decoded and printed with the sections of its own template. Labels come from the catalogue:
//! `label-<key>` (shared with the documents) or `reply-label-<key>`; enumeration values are
//! named through the same catalogue where it has a name for them. Like every view, the result
//! has no empty slot.

use cp247_forms::{Node, decode};
use cp247_i18n::{Lang, has, text};

use crate::map::choice_key;
use crate::view::{DocumentView, Row, SectionView, Value};

/// What identifies the message, besides its body.
#[derive(Debug, Clone)]
pub struct MessageHead {
    /// The title (the message kind's name in the view's language).
    pub title: String,
    /// Identifying lines printed under the title (ticket, message id, parties, time).
    pub meta: Vec<Row>,
    /// The short identification at the head of later pages.
    pub running_head: String,
}

/// The view of a message body `body` (an object; its `kind` member names the message and is
/// not printed again) in `lang`.
pub fn message_view(head: MessageHead, body: &Node, lang: Lang) -> DocumentView {
    let mut sections = Vec::new();
    match body {
        Node::Object(entries) => {
            for (key, value) in entries.iter().filter(|(k, _)| k != "kind") {
                let number = u8::try_from(sections.len() + 1).unwrap_or(u8::MAX);
                let heading = label(lang, key);
                let rows = match value {
                    Node::Object(inner) if !is_marker(value) && embedded(value).is_none() => {
                        inner.iter().map(|(k, v)| row(lang, k, v)).collect()
                    }
                    _ => vec![Row::new(heading.clone(), self::value(lang, key, value))],
                };
                sections.push(SectionView::new(lang, number, heading, rows));
            }
        }
        other => sections.push(SectionView::new(
            lang,
            1,
            text(lang, "render-content"),
            vec![Row::new(
                text(lang, "render-content"),
                value(lang, "", other),
            )],
        )),
    }
    if sections.is_empty() {
        sections.push(SectionView::new(
            lang,
            1,
            text(lang, "render-content"),
            Vec::new(),
        ));
    }
    DocumentView {
        lang,
        basis: text(lang, "reply-basis"),
        title: head.title,
        meta: head.meta,
        sections,
        footer: text(lang, "render-footer"),
        running_head: head.running_head,
    }
}

/// The label of member `key`.
pub fn label(lang: Lang, key: &str) -> String {
    let dashed = key.replace('_', "-");
    for candidate in [format!("label-{dashed}"), format!("reply-label-{dashed}")] {
        if has(lang, &candidate) {
            return text(lang, &candidate);
        }
    }
    // A member the catalogue does not name yet: its own name, in words.
    let words = key.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => text(lang, "render-content"),
    }
}

fn row(lang: Lang, key: &str, node: &Node) -> Row {
    Row::new(label(lang, key), value(lang, key, node))
}

fn is_marker(node: &Node) -> bool {
    node.get("not_applicable").is_some() || node.get("unknown").is_some()
}

/// The reason of a `{"not_applicable": {"reason": …}}` member.
fn reason_of(node: &Node) -> String {
    match node.get("reason") {
        Some(Node::String(s) | Node::Text(s)) => s.clone(),
        _ => String::new(),
    }
}

/// An embedded request or disclosure document, decoded.
fn embedded(node: &Node) -> Option<cp247_forms::Document> {
    match node.get("kind") {
        Some(Node::String(k) | Node::Text(k)) if k.parse::<cp247_forms::Kind>().is_ok() => {
            decode(node).document
        }
        _ => None,
    }
}

/// The catalogue prefixes that may name the values of member `key`.
fn value_prefixes(key: &str) -> &'static [&'static str] {
    match key {
        "channel" | "results_channel" | "preferred_response_channel" => &["channel"],
        "urgency" => &["urgency"],
        "source_clock" => &["clock"],
        "protocol" => &["protocol"],
        "direction" => &["direction"],
        "categories" => &["category"],
        "ground" => &["case-ground", "ground"],
        "kind" => &["identifier", "condition", "attachment"],
        "convention_offence" => &["convention"],
        _ => &[],
    }
}

fn scalar(lang: Lang, key: &str, s: &str) -> Value {
    let wire = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if wire {
        for prefix in value_prefixes(key) {
            let k = choice_key(prefix, s);
            if has(lang, &k) {
                return Value::Text(text(lang, &k));
            }
        }
    }
    if s.contains('\n') || s.chars().count() > 120 {
        Value::long(lang, s)
    } else {
        Value::text(lang, s)
    }
}

/// The value of member `key`.
fn value(lang: Lang, key: &str, node: &Node) -> Value {
    match node {
        Node::Object(entries) => {
            if let Some(na) = node.get("not_applicable") {
                return Value::not_applicable(lang, &reason_of(na));
            }
            if let Some(unknown) = node.get("unknown") {
                return Value::unknown(lang, &reason_of(unknown));
            }
            if let Some(doc) = embedded(node) {
                let view = crate::map::view(&doc, lang);
                let mut rows = vec![Row::new(view.title.clone(), Value::text(lang, view.basis))];
                rows.extend(view.sections.into_iter().map(|s| {
                    Row::new(
                        format!("{}. {}", s.number, s.heading),
                        Value::record(lang, s.rows),
                    )
                }));
                return Value::record(lang, rows);
            }
            Value::record(lang, entries.iter().map(|(k, v)| row(lang, k, v)).collect())
        }
        Node::Array(items) => Value::list(
            lang,
            items.iter().map(|item| value(lang, key, item)).collect(),
        ),
        Node::String(s) | Node::Text(s) => scalar(lang, key, s),
        Node::Bool(b) => Value::yes_no(lang, *b),
        Node::Number(n) => Value::text(lang, n.clone()),
        Node::Null => Value::nothing_recorded(lang),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head() -> MessageHead {
        MessageHead {
            title: "Refused".into(),
            meta: vec![Row::new("Ticket", Value::Text("FR-2026-ABCDEF".into()))],
            running_head: "Refused — FR-2026-ABCDEF".into(),
        }
    }

    #[test]
    fn every_member_is_a_labelled_section_without_empty_slots() {
        let body = Node::from_json(
            br#"{"kind": "refused", "grounds": [{"ground": "essential_interests", "kind": "legal"}],
                "explanation": "", "alternatives": {"not_applicable": {"reason": "There is no other route."}},
                "blocking": false, "items": []}"#,
        )
        .unwrap();
        for lang in Lang::ALL {
            let v = message_view(head(), &body, lang);
            assert_eq!(v.sections.len(), 5);
            assert!(v.empty_slots().is_empty(), "{:?}", v.empty_slots());
            assert!(
                v.sections.iter().all(|s| !s.heading.contains('_')),
                "{:?}",
                v.sections
            );
        }
        let v = message_view(head(), &body, Lang::Fr);
        let text = crate::text::layout(&v);
        assert!(text.contains("Sans objet"), "{text}");
        assert!(!text.contains("essential_interests"), "{text}");
    }

    #[test]
    fn an_embedded_document_is_printed_with_its_own_sections() {
        let json = cp247_forms::to_json_string(
            &cp247_forms::examples::example(cp247_forms::Kind::Art30).unwrap(),
        );
        let doc = Node::from_json(json.as_bytes()).unwrap();
        let body = Node::object([
            ("kind", Node::string("partial_traffic_disclosure")),
            ("disclosure", doc),
        ]);
        let v = message_view(head(), &body, Lang::En);
        let text = crate::text::layout(&v);
        assert!(text.contains("Communication traced"), "{text}");
        assert!(v.empty_slots().is_empty());
    }
}

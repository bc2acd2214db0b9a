//! The published schemas of cp247 request documents and replies, embedded so that a node can serve them
//! and integrators can validate against exactly what cp247 was built with.
//!
//! Both files live under `crates/cp247-forms/schemas/` and are reviewed like code. They describe
//! the canonical form written by [`crate::to_json_string`] and [`crate::xml::to_xml_string`]:
//! every field present, lists never empty, an optional field holding its value or
//! `not_applicable`/`unknown` with a reason. The schemas express what a schema language can
//! (required fields, no unknown field, enumerations, formats as patterns, list bounds, the
//! shape of reasons); the rules they cannot express — time ranges in order, an offset that
//! matches its zone, a preservation period of at least 60 days, calendar dates that exist,
//! check digits, identifiers that match their kind (XSD only) — are checked by cp247's decoder.
//! `tests/schema_agreement.rs` keeps the three in agreement: every valid example is accepted by
//! cp247, by `xmllint --schema` and by a JSON Schema validator, and every corpus document whose
//! fault a schema can express is rejected by all of them.
//!
//! Decisions:
//! * **XSD 1.0**, because that is what `xmllint` (and most integrators' tools) validate. It
//!   requires the canonical field order (`xs:sequence`); cp247 accepts any order.
//! * In XSD 1.0 an element cannot be "text of type T, or one marker element", so optional
//!   scalar fields are mixed content there and their text is checked by cp247 (the JSON
//!   Schema does check it, with `anyOf`).
//! * The JSON Schema (draft 2020-12) also carries the rules between fields that `if`/`then` can
//!   say: the tickets `request_status` requires, the justification `urgency` requires, the
//!   format of an identifier's value for its kind.

/// The XML Schema (XSD 1.0) of the XML form, namespace [`crate::xml::NAMESPACE`].
pub const XSD: &str = include_str!("../schemas/cp247-forms.xsd");

/// The JSON Schema (draft 2020-12) of the JSON form.
pub const JSON_SCHEMA: &str = include_str!("../schemas/cp247-forms.schema.json");

/// The XML Schema (XSD 1.0) of replies ([`crate::reply`]), same namespace. Self-contained: it
/// carries the request types a reply embeds. An embedded Art. 29, 31 or 35 request is checked
/// for its kind only (XSD 1.0 cannot choose fields by a sibling's value); the JSON Schema
/// checks all of it.
pub const REPLY_XSD: &str = include_str!("../schemas/cp247-replies.xsd");

/// The JSON Schema (draft 2020-12) of replies. Besides what the request schema says, it
/// carries the rules between reply fields that `if`/`then` can say: a ground's own kind, the
/// modification of a `modify` decision, the explanation of conditions that cannot be complied
/// with. The rules that depend on the case (reply kinds and grounds per article, item numbers)
/// are cp247's.
pub const REPLY_JSON_SCHEMA: &str = include_str!("../schemas/cp247-replies.schema.json");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_well_formed_and_name_the_namespace() {
        let json: serde_json::Value = serde_json::from_str(JSON_SCHEMA).unwrap();
        assert_eq!(
            json["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert!(XSD.contains(&format!("targetNamespace=\"{}\"", crate::xml::NAMESPACE)));
        assert!(REPLY_XSD.contains(&format!("targetNamespace=\"{}\"", crate::xml::NAMESPACE)));
        let replies: serde_json::Value = serde_json::from_str(REPLY_JSON_SCHEMA).unwrap();
        assert_eq!(replies["$schema"], json["$schema"]);
        assert!(!REPLY_XSD.contains("<!DOCTYPE") && !REPLY_XSD.contains("<!ENTITY"));
        // The XSD is itself read by cp247's own safe reader rules: no DTD, no entity.
        assert!(!XSD.contains("<!DOCTYPE") && !XSD.contains("<!ENTITY"));
    }
}

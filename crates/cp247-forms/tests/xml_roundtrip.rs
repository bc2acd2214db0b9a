#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! XML round trips: every valid document survives `to_xml_string` → `parse_xml` unchanged, the
//! XML text is canonical (a second round trip gives the same bytes), and XML and JSON carry
//! exactly the same content (XML → typed → JSON → typed gives the typed document back). The
//! examples' XML is kept as reviewed snapshots.

use cp247_forms::examples::example;
use cp247_forms::xml::{NAMESPACE, parse_xml, to_xml_string};
use cp247_forms::{Document, Kind, parse_json, strategies, to_json_string};
use proptest::prelude::*;

fn xml_round_trip(doc: &Document) -> Result<(), TestCaseError> {
    let xml = to_xml_string(doc);
    let parsed = parse_xml(xml.as_bytes()).unwrap();
    let errors: Vec<String> = parsed
        .report
        .errors()
        .map(|p| p.line(cp247_i18n::Lang::En))
        .collect();
    prop_assert!(
        errors.is_empty(),
        "XML of a valid document refused: {errors:#?}\n{xml}"
    );
    let back = parsed.document.unwrap();
    prop_assert_eq!(&back, doc);
    prop_assert_eq!(to_xml_string(&back), xml);

    // XML → typed → JSON → typed.
    let json = to_json_string(&back);
    let via_json = parse_json(json.as_bytes()).unwrap().document.unwrap();
    prop_assert_eq!(&via_json, doc);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn xml_round_trip_of_generated_documents(doc in strategies::document()) {
        xml_round_trip(&doc)?;
    }
}

#[test]
fn examples_round_trip_and_match_their_json() {
    for kind in [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35] {
        let doc = example(kind).unwrap();
        xml_round_trip(&doc).unwrap();
        // The same problems report (none) and the same document from both formats.
        let from_json = parse_json(cp247_forms::examples::json(kind).as_bytes()).unwrap();
        let from_xml = parse_xml(to_xml_string(&doc).as_bytes()).unwrap();
        assert_eq!(from_json.document, from_xml.document, "{kind}");
        assert_eq!(from_json.report, from_xml.report, "{kind}");
    }
}

#[test]
fn xml_text_is_canonical() {
    let xml = to_xml_string(&example(Kind::Art29).unwrap());
    assert!(xml.starts_with(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<art29 xmlns=\"{NAMESPACE}\">\n  <request_date>"
    )));
    assert!(xml.ends_with("</art29>\n"));
    assert!(!xml.contains('\r') && !xml.contains('\t'));
}

#[test]
fn the_examples_as_xml() {
    for kind in [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35] {
        let xml = to_xml_string(&example(kind).unwrap());
        insta::assert_snapshot!(format!("example_{kind}"), xml);
    }
}

#[test]
fn order_of_fields_does_not_matter_to_cp247() {
    // The XSD asks for the canonical order; cp247 accepts any order, as for JSON.
    let xml = to_xml_string(&example(Kind::Art35).unwrap());
    let (head, rest) = xml.split_once("  <request_date>").unwrap();
    let (date, tail) = rest.split_once('\n').unwrap();
    let (before_end, end) = tail.rsplit_once("</art35>").unwrap();
    let moved = format!("{head}{before_end}  <request_date>{date}\n</art35>{end}");
    let parsed = parse_xml(moved.as_bytes()).unwrap();
    assert_eq!(parsed.document, Some(example(Kind::Art35).unwrap()));
}

/// Regression (found while writing the fuzz targets): U+FFFE and U+FFFF are not characters XML
/// can carry, not even as references. A document that holds one must be refused on input,
/// whatever the format, or it could not be written as XML.
#[test]
fn noncharacters_are_refused_so_every_document_can_be_written_as_xml() {
    let mut json: serde_json::Value =
        serde_json::from_str(cp247_forms::examples::json(Kind::Art35)).unwrap();
    for bad in ["REF\u{FFFF}1", "REF\u{FFFE}1"] {
        json["requesting_reference"] = serde_json::Value::String(bad.to_owned());
        let parsed = parse_json(json.to_string().as_bytes()).unwrap();
        assert!(parsed.document.is_none(), "{bad:?} accepted from JSON");
        let problems: Vec<(cp247_forms::Code, String)> = parsed
            .report
            .errors()
            .map(|p| (p.code(), p.path().to_string()))
            .collect();
        assert_eq!(
            problems,
            [(
                cp247_forms::Code::ControlCharacter,
                "requesting_reference".to_owned()
            )]
        );
    }
}

//! Any bytes as an XML request document: never a panic, a hang or unbounded memory; whatever is
//! accepted survives the XML and JSON writers unchanged.
#![no_main]

use cp247_forms::xml::{parse_xml, read_tree, to_xml_string};
use cp247_forms::{parse_json, to_json_string};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_tree(data);
    let Ok(parsed) = parse_xml(data) else {
        return;
    };
    let Some(doc) = parsed.document else {
        return;
    };
    let xml = to_xml_string(&doc);
    let again = parse_xml(xml.as_bytes()).map(|p| p.document);
    assert_eq!(again.ok().flatten().as_ref(), Some(&doc), "XML round trip");
    let json = to_json_string(&doc);
    let via_json = parse_json(json.as_bytes()).map(|p| p.document);
    assert_eq!(via_json.ok().flatten().as_ref(), Some(&doc), "JSON round trip");
});

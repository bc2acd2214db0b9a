#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions.

//! Hostile XML is refused with the right error, before any work proportional to the attack.
//!
//! Each case prints how long the refusal took; nothing here asserts a duration. Measured with
//! `cargo test --release -p cp247-forms --test xml_hostile -- --nocapture --test-threads=1` on
//! the project's 2-core machine under a load average of 15 (2026-11-28): XXE 3 µs, billion
//! laughs 38 µs, 100 000 nested levels (700 KB) 0.1 ms, 50 MiB refused by size in 1 µs,
//! 60 000 attributes (589 KB) 1.2 ms, 25 000 namespace declarations 1.0 ms, 1 MiB of empty
//! elements 9.4 ms, 1 MiB of character references 2.7 ms, an unterminated 800 KB comment 72 µs.

use std::time::Instant;

use cp247_forms::FormsError;
use cp247_forms::xml::{Limits, NAMESPACE, XmlError, parse_xml, read_tree};

const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

fn refused(name: &str, input: &[u8]) -> XmlError {
    let started = Instant::now();
    let result = read_tree(input);
    let elapsed = started.elapsed();
    eprintln!("{name}: {} bytes refused in {elapsed:?}", input.len());
    match result {
        Ok(_) => panic!("{name}: hostile input accepted"),
        Err(e) => {
            let text = e.to_string();
            assert!(!text.is_empty());
            e
        }
    }
}

#[test]
fn external_entity_xxe_is_refused_as_a_dtd() {
    let xxe = format!(
        "{DECL}<!DOCTYPE art29 [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n\
         <art29 xmlns=\"{NAMESPACE}\"><summary_of_facts>&xxe;</summary_of_facts></art29>"
    );
    let e = refused("xxe", xxe.as_bytes());
    assert!(
        matches!(e, XmlError::Doctype { at } if at.line == 2 && at.column == 1),
        "{e}"
    );
    assert!(e.to_string().contains("DOCTYPE"), "{e}");

    let remote = format!(
        "{DECL}<!DOCTYPE art29 SYSTEM \"http://127.0.0.1:9/evil.dtd\"><art29 xmlns=\"{NAMESPACE}\"/>"
    );
    assert!(matches!(
        refused("external dtd", remote.as_bytes()),
        XmlError::Doctype { .. }
    ));

    let parameter = format!(
        "{DECL}<!DOCTYPE a [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><a xmlns=\"{NAMESPACE}\"/>"
    );
    assert!(matches!(
        refused("parameter entity", parameter.as_bytes()),
        XmlError::Doctype { .. }
    ));
}

#[test]
fn billion_laughs_is_refused_without_expansion() {
    let mut dtd = String::from("<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n");
    for i in 1..=9 {
        let prev = if i == 1 {
            "lol".to_owned()
        } else {
            format!("lol{}", i - 1)
        };
        dtd.push_str(&format!(
            "<!ENTITY lol{i} \"{}\">\n",
            format!("&{prev};").repeat(10)
        ));
    }
    dtd.push_str("]>\n");
    let bomb =
        format!("{DECL}{dtd}<art35 xmlns=\"{NAMESPACE}\"><question>&lol9;</question></art35>");
    assert!(matches!(
        refused("billion laughs", bomb.as_bytes()),
        XmlError::Doctype { .. }
    ));

    // The same reference without its DTD is an unknown entity.
    let bare = format!("{DECL}<art35 xmlns=\"{NAMESPACE}\"><question>&lol9;</question></art35>");
    let e = refused("undeclared entity", bare.as_bytes());
    assert!(
        matches!(&e, XmlError::UnknownEntity { name, .. } if name == "lol9"),
        "{e}"
    );
}

#[test]
fn entity_declarations_outside_a_dtd_are_refused() {
    let decl = format!("{DECL}<!ENTITY x \"y\"><art29 xmlns=\"{NAMESPACE}\"/>");
    let e = refused("entity declaration", decl.as_bytes());
    assert!(
        matches!(
            e,
            XmlError::MarkupDeclaration { .. } | XmlError::Doctype { .. }
        ),
        "{e}"
    );
}

#[test]
fn deep_nesting_is_refused_at_the_limit() {
    let depth = 100_000;
    let deep = format!(
        "<art29 xmlns=\"{NAMESPACE}\">{}{}</art29>",
        "<a>".repeat(depth),
        "</a>".repeat(depth)
    );
    let e = refused("100 000 levels", deep.as_bytes());
    assert!(matches!(e, XmlError::TooDeep { limit: 32, .. }), "{e}");
    // Unclosed, as an attacker would send it.
    let open = format!("<art29 xmlns=\"{NAMESPACE}\">{}", "<a>".repeat(depth));
    assert!(matches!(
        refused("100 000 unclosed", open.as_bytes()),
        XmlError::TooDeep { .. }
    ));
}

#[test]
fn huge_input_is_refused_before_parsing() {
    let huge = vec![b'<'; 50 * 1024 * 1024];
    let e = refused("50 MiB", &huge);
    assert!(
        matches!(e, XmlError::TooLarge { size, limit } if size == 50 * 1024 * 1024 && limit == Limits::default().max_bytes),
        "{e}"
    );
}

#[test]
fn floods_are_refused_at_their_limits() {
    let limits = Limits::default();
    // Attributes: as many as fit in 1 MiB on one element.
    let attrs: String = (0..60_000).map(|i| format!(" a{i}=\"\"")).collect();
    let flood = format!("<art29 xmlns=\"{NAMESPACE}\"{attrs}/>");
    assert!(flood.len() < limits.max_bytes);
    let e = refused("attribute flood", flood.as_bytes());
    assert!(
        matches!(e, XmlError::TooManyAttributes { limit: 16, .. }),
        "{e}"
    );

    // Namespace declarations are attributes too.
    let ns: String = (0..25_000)
        .map(|i| format!(" xmlns:p{i}=\"{NAMESPACE}\""))
        .collect();
    let flood = format!("<art29 xmlns=\"{NAMESPACE}\"{ns}/>");
    assert!(flood.len() < limits.max_bytes);
    let e = refused("namespace flood", flood.as_bytes());
    assert!(matches!(e, XmlError::TooManyAttributes { .. }), "{e}");

    // Elements: 1 MiB of empty siblings.
    let elements = format!(
        "<art29 xmlns=\"{NAMESPACE}\">{}</art29>",
        "<a/>".repeat(270_000)
    );
    let e = refused("element flood", &elements.as_bytes()[..limits.max_bytes]);
    assert!(matches!(e, XmlError::TooManyElements { .. }), "{e}");

    // Character references: 1 MiB of them in one text, each for a 4-byte character.
    let refs = format!(
        "<art29 xmlns=\"{NAMESPACE}\"><q>{}</q></art29>",
        "&#x10000;".repeat(116_000)
    );
    assert!(refs.len() < limits.max_bytes);
    let e = refused("reference flood", refs.as_bytes());
    assert!(matches!(e, XmlError::TextTooLong { .. }), "{e}");

    // A comment that never ends.
    let comment = format!("<art29 xmlns=\"{NAMESPACE}\"><!--{}", "-x".repeat(400_000));
    let e = refused("unterminated comment", comment.as_bytes());
    assert!(matches!(e, XmlError::Malformed { .. }), "{e}");
}

#[test]
fn other_routes_to_outside_content_are_refused() {
    let xinclude = format!(
        "<art29 xmlns=\"{NAMESPACE}\"><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file:///etc/passwd\"/></art29>"
    );
    assert!(matches!(
        refused("xinclude", xinclude.as_bytes()),
        XmlError::Namespace { .. }
    ));
    let schema_location = format!(
        "<art29 xmlns=\"{NAMESPACE}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"{NAMESPACE} http://127.0.0.1:9/x.xsd\"/>"
    );
    assert!(matches!(
        refused("schemaLocation", schema_location.as_bytes()),
        XmlError::Namespace { .. }
    ));
    let stylesheet = format!(
        "{DECL}<?xml-stylesheet href=\"http://127.0.0.1:9/x.xsl\"?><art29 xmlns=\"{NAMESPACE}\"/>"
    );
    assert!(matches!(
        refused("stylesheet", stylesheet.as_bytes()),
        XmlError::ProcessingInstruction { .. }
    ));
}

#[test]
fn other_encodings_are_refused() {
    let utf16: Vec<u8> = std::iter::once([0xFF, 0xFE])
        .chain(
            format!("<art29 xmlns=\"{NAMESPACE}\"/>")
                .encode_utf16()
                .map(u16::to_le_bytes),
        )
        .flatten()
        .collect();
    assert!(matches!(
        refused("utf-16", &utf16),
        XmlError::NotUtf8 { .. }
    ));
    let latin1 =
        format!("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><art29 xmlns=\"{NAMESPACE}\"/>");
    assert!(matches!(
        refused("latin-1", latin1.as_bytes()),
        XmlError::Declaration { .. }
    ));
    let mut broken = format!("<art29 xmlns=\"{NAMESPACE}\"><q>caf").into_bytes();
    broken.extend([0xE9, b'<']);
    let e = refused("invalid utf-8", &broken);
    assert!(
        matches!(e, XmlError::NotUtf8 { at } if at.offset == broken.len() - 2),
        "{e}"
    );
}

#[test]
fn the_common_api_reports_the_same_refusals_as_forms_errors() {
    // What the CLI sees (exit 2): size and depth keep their variants; the rest says "XML", the
    // line and column, and what is wrong.
    let huge = vec![b' '; 2 * 1024 * 1024];
    assert!(matches!(parse_xml(&huge), Err(FormsError::TooLarge { .. })));
    let deep = format!("<art29 xmlns=\"{NAMESPACE}\">{}", "<a>".repeat(100));
    assert!(matches!(
        parse_xml(deep.as_bytes()),
        Err(FormsError::TooDeep { max: 32 })
    ));
    let xxe = format!(
        "{DECL}<!DOCTYPE art29 [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><art29 xmlns=\"{NAMESPACE}\"/>"
    );
    match parse_xml(xxe.as_bytes()) {
        Err(
            e @ FormsError::Malformed {
                format: "XML",
                line: 2,
                column: 1,
                ..
            },
        ) => {
            assert!(e.to_string().contains("DOCTYPE"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    let entity = format!("<art29 xmlns=\"{NAMESPACE}\">\n  <question>&lol;</question></art29>");
    match parse_xml(entity.as_bytes()) {
        Err(
            e @ FormsError::Malformed {
                line: 2,
                column: 13,
                ..
            },
        ) => {
            assert!(e.to_string().contains("'&lol;'"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

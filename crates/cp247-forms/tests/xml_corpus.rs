#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! The XML twins of the corpus: `tests/corpus/{invalid,valid}/NNN-name.xml` is the XML form of
//! `NNN-name.json` and must give exactly the problems of the shared `NNN-name.expect` — same
//! codes, same paths — because a report must not depend on the format.
//!
//! A twin is the JSON document's tree written by the XML writer, so it stays a faithful twin:
//! the test checks that each `.xml` is exactly that. JSON faults that XML cannot carry (a number
//! given as a JSON string, `null`) have no twin. After `make_corpus.py` changes a JSON entry,
//! rewrite the twins with `cargo test -p cp247-forms --test xml_corpus -- --ignored` and review
//! the diff.

use std::path::{Path, PathBuf};

use cp247_forms::xml::{parse_xml, write_node};
use cp247_forms::{Code, FieldPath, Node, Problem};

fn dir(folder: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(folder)
}

fn files(folder: &str, ext: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir(folder))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    v
}

fn expected(path: &Path) -> Vec<(Code, FieldPath)> {
    let text = std::fs::read_to_string(path.with_extension("expect")).unwrap();
    let mut v: Vec<(Code, FieldPath)> = text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (code, p) = l.split_once(' ').unwrap();
            (Code::from_name(code).unwrap(), FieldPath::parse(p).unwrap())
        })
        .collect();
    v.sort();
    v
}

/// The problems (errors for invalid/, warnings for valid/) that parsing `xml` reports, or
/// `None` when it is accepted (invalid/) or refused (valid/).
fn reported(xml: &[u8], valid: bool) -> Option<Vec<(Code, FieldPath)>> {
    let parsed = parse_xml(xml).unwrap();
    if parsed.document.is_some() != valid {
        return None;
    }
    let key = |p: &Problem| (p.code(), p.path().clone());
    let mut v: Vec<(Code, FieldPath)> = if valid {
        parsed.report.warnings().map(key).collect()
    } else {
        parsed.report.errors().map(key).collect()
    };
    v.sort();
    Some(v)
}

/// The twin of a JSON corpus file: its tree, written by the XML writer.
fn twin_of(json: &Path) -> Option<String> {
    let node = Node::from_json(&std::fs::read(json).unwrap()).ok()?;
    write_node(&node).ok()
}

#[test]
fn xml_twins_report_exactly_what_their_json_reports() {
    let mut count = 0;
    for folder in ["invalid", "valid"] {
        for xml in files(folder, "xml") {
            let json = xml.with_extension("json");
            assert!(json.exists(), "{}: a twin without its JSON", xml.display());
            let text = std::fs::read_to_string(&xml).unwrap();
            assert_eq!(
                Some(text.clone()),
                twin_of(&json),
                "{}: not the twin of its JSON any more; rewrite the twins (see the module doc)",
                xml.display()
            );
            assert_eq!(
                reported(text.as_bytes(), folder == "valid"),
                Some(expected(&xml)),
                "{}",
                xml.display()
            );
            count += 1;
        }
    }
    assert!(count >= 15, "only {count} XML twins");
}

/// Writes the twin of every corpus entry whose fault XML can carry. Run by hand (`--ignored`)
/// after the JSON corpus changed.
#[test]
#[ignore = "rewrites tests/corpus/*/*.xml; run by hand after the JSON corpus changed"]
fn write_xml_twins() {
    for folder in ["invalid", "valid"] {
        for json in files(folder, "json") {
            let xml_path = json.with_extension("xml");
            let Some(xml) = twin_of(&json) else {
                eprintln!("no twin (no tree): {}", json.display());
                continue;
            };
            if parse_xml(xml.as_bytes()).is_err() {
                eprintln!("no twin (not readable as XML): {}", json.display());
                let _ = std::fs::remove_file(&xml_path);
                continue;
            }
            let got = reported(xml.as_bytes(), folder == "valid");
            if got == Some(expected(&json)) {
                std::fs::write(&xml_path, xml).unwrap();
            } else {
                eprintln!(
                    "no twin (XML cannot carry this fault): {} gives {got:?}",
                    json.display()
                );
                let _ = std::fs::remove_file(&xml_path);
            }
        }
    }
}

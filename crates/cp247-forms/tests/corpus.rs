#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! The corpus of faulty documents (`tests/corpus/invalid/`) and of documents accepted with
//! warnings (`tests/corpus/valid/`). Each `NNN-name.json` has a sidecar `NNN-name.expect` that
//! lists, one `code path` per line, exactly the errors (invalid/) or the warnings (valid/) that
//! cp247 must report. `tests/corpus/make_corpus.py` writes them from the examples.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use cp247_forms::{Code, FieldPath, Problem, Severity, parse_json};
use cp247_i18n::Lang;

fn corpus(folder: &str) -> Vec<(PathBuf, Vec<(Code, FieldPath)>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(folder);
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    entries.sort();
    entries
        .into_iter()
        .map(|json| {
            let expect = std::fs::read_to_string(json.with_extension("expect"))
                .unwrap_or_else(|e| panic!("{}: no .expect sidecar: {e}", json.display()));
            let expected = expect
                .lines()
                .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .map(|l| {
                    let (code, path) = l.split_once(' ').unwrap();
                    let code = Code::from_name(code)
                        .unwrap_or_else(|| panic!("{}: unknown code {code}", json.display()));
                    let path = FieldPath::parse(path)
                        .unwrap_or_else(|| panic!("{}: bad path {path}", json.display()));
                    (code, path)
                })
                .collect();
            (json, expected)
        })
        .collect()
}

fn key(p: &Problem) -> (Code, FieldPath) {
    (p.code(), p.path().clone())
}

fn sorted(mut v: Vec<(Code, FieldPath)>) -> Vec<(Code, FieldPath)> {
    v.sort();
    v
}

#[test]
fn every_invalid_document_fails_with_exactly_the_expected_problems() {
    let entries = corpus("invalid");
    assert!(
        entries.len() >= 40,
        "only {} invalid documents",
        entries.len()
    );
    let mut failures = Vec::new();
    for (path, expected) in &entries {
        assert!(!expected.is_empty(), "{}: nothing expected", path.display());
        assert!(
            expected
                .iter()
                .all(|(c, _)| c.severity() == Severity::Error),
            "{}: invalid/ lists errors only",
            path.display()
        );
        let parsed = parse_json(&std::fs::read(path).unwrap())
            .unwrap_or_else(|e| panic!("{}: not readable: {e}", path.display()));
        if parsed.document.is_some() {
            failures.push(format!("{}: accepted", path.display()));
            continue;
        }
        let got = sorted(parsed.report.errors().map(key).collect());
        if got != sorted(expected.clone()) {
            let lines: Vec<String> = parsed.report.errors().map(|p| p.line(Lang::En)).collect();
            failures.push(format!(
                "{}:\n  expected {:?}\n  got      {lines:#?}",
                path.display(),
                expected
                    .iter()
                    .map(|(c, p)| format!("{c} {p}"))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn documents_with_warnings_are_accepted_with_exactly_those_warnings() {
    let entries = corpus("valid");
    assert!(!entries.is_empty());
    for (path, expected) in &entries {
        let parsed = parse_json(&std::fs::read(path).unwrap()).unwrap();
        let errors: Vec<String> = parsed.report.errors().map(|p| p.line(Lang::En)).collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
        assert!(parsed.document.is_some(), "{}", path.display());
        let got = sorted(parsed.report.warnings().map(key).collect());
        assert_eq!(got, sorted(expected.clone()), "{}", path.display());
    }
}

#[test]
fn the_corpus_covers_every_code() {
    let mut seen = BTreeSet::new();
    for folder in ["invalid", "valid"] {
        for (_, expected) in corpus(folder) {
            seen.extend(expected.into_iter().map(|(c, _)| c));
        }
    }
    let missing: Vec<&str> = Code::REQUEST
        .iter()
        .filter(|c| !seen.contains(c))
        .map(|c| c.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "codes without a corpus entry: {missing:?}"
    );
}

#[test]
fn messages_name_the_path_in_both_languages() {
    for (path, _) in corpus("invalid") {
        let parsed = parse_json(&std::fs::read(&path).unwrap()).unwrap();
        for p in parsed.report.problems() {
            for lang in Lang::ALL {
                let line = p.line(lang);
                assert!(
                    line.starts_with(&format!("{} {}: ", p.code(), p.path())),
                    "{line}"
                );
                assert!(!line.contains('⟦'), "{}: {line}", path.display());
            }
        }
    }
}

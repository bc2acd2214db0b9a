#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! `cp247 form render FILE --lang en|fr --format html|pdf|text -o OUT` run as a process: the
//! output of each format in each language from JSON and XML input, and the exit-code contract
//! (0 rendered, 1 invalid document with its problems and nothing written, 2 unreadable).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cp247_forms::{Kind, examples};

fn cp247(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cp247"))
        .args(args)
        .output()
        .expect("cp247 runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn renders_html_and_text_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "art29.json", examples::json(Kind::Art29).as_bytes());
    for (lang, title, heading) in [
        (
            "en",
            "Data Preservation Request under Articles 29 and 30",
            "Custodian of the data / location of the computer system",
        ),
        (
            "fr",
            "Demande de conservation de données au titre des articles 29 et 30",
            "Détenteur des données / localisation du système informatique",
        ),
    ] {
        let html = dir.path().join(format!("out-{lang}.html"));
        let o = cp247(&[
            "form",
            "render",
            s(&file),
            "--lang",
            lang,
            "--format",
            "html",
            "-o",
            s(&html),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert!(stdout(&o).is_empty(), "the document goes to OUT only");
        let page = std::fs::read_to_string(&html).unwrap();
        assert!(page.starts_with(&format!("<!DOCTYPE html>\n<html lang=\"{lang}\">")));
        assert!(page.contains(title) && page.contains(heading), "{lang}");
        assert!(!page.contains("<script"));

        let txt = dir.path().join(format!("out-{lang}.txt"));
        let o = cp247(&[
            "form",
            "render",
            s(&file),
            "--lang",
            lang,
            "--format",
            "text",
            "-o",
            s(&txt),
        ]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let text = std::fs::read_to_string(&txt).unwrap();
        assert!(text.starts_with(title), "{lang}");
        assert!(text.contains(&format!("\n12. {heading}\n")), "{lang}");
    }
}

#[test]
fn renders_a_pdf_from_xml_input() {
    let dir = tempfile::tempdir().unwrap();
    let doc = examples::example(Kind::Art31).unwrap();
    let file = write(
        &dir,
        "art31.xml",
        cp247_forms::xml::to_xml_string(&doc).as_bytes(),
    );
    let pdf = dir.path().join("art31.pdf");
    let o = cp247(&[
        "form",
        "render",
        s(&file),
        "--lang",
        "fr",
        "--format",
        "pdf",
        "-o",
        s(&pdf),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert!(
        bytes.len() > 10_000,
        "suspiciously small PDF: {} bytes",
        bytes.len()
    );
    // Rendering again replaces OUT whole and gives the same bytes.
    let o = cp247(&[
        "form",
        "render",
        s(&file),
        "--lang",
        "fr",
        "--format",
        "pdf",
        "-o",
        s(&pdf),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert_eq!(std::fs::read(&pdf).unwrap(), bytes);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".cp247-tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_invalid_document_prints_its_problems_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut json: serde_json::Value = serde_json::from_str(examples::json(Kind::Art29)).unwrap();
    json["summary_of_facts"] = serde_json::Value::String("   ".into());
    let file = write(&dir, "bad.json", json.to_string().as_bytes());
    let out = dir.path().join("bad.html");
    let o = cp247(&[
        "form",
        "render",
        s(&file),
        "--format",
        "html",
        "-o",
        s(&out),
    ]);
    assert_eq!(code(&o), 1, "{}", stderr(&o));
    assert!(stdout(&o).contains("summary_of_facts"), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("nothing was rendered"),
        "{}",
        stderr(&o)
    );
    assert!(
        !out.exists(),
        "nothing may be written for an invalid document"
    );
}

#[test]
fn an_unreadable_file_exits_2_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = write(&dir, "keep.html", b"previous output");
    for (name, bytes) in [
        ("broken.json", &b"{\"kind\": \"art29\","[..]),
        ("doc.txt", &b"{}"[..]),
        (
            "dtd.xml",
            &b"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"e\">]><x/>"[..],
        ),
    ] {
        let file = write(&dir, name, bytes);
        let o = cp247(&[
            "form",
            "render",
            s(&file),
            "--format",
            "html",
            "-o",
            s(&out),
        ]);
        assert_eq!(code(&o), 2, "{name}: {}", stderr(&o));
        assert!(stderr(&o).contains(name), "{name}: {}", stderr(&o));
        assert_eq!(std::fs::read(&out).unwrap(), b"previous output");
    }
    let o = cp247(&[
        "form",
        "render",
        s(&dir.path().join("missing.json")),
        "--format",
        "pdf",
        "-o",
        s(&out),
    ]);
    assert_eq!(code(&o), 2, "{}", stderr(&o));
}

#[test]
fn format_and_output_are_required_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(&dir, "art35.json", examples::json(Kind::Art35).as_bytes());
    // clap refuses a missing -o, an unknown format and an unknown language (its exit code 2).
    for args in [
        vec!["form", "render", s(&file), "--format", "html"],
        vec!["form", "render", s(&file), "--format", "docx", "-o", "x"],
        vec![
            "form",
            "render",
            s(&file),
            "--lang",
            "de",
            "--format",
            "pdf",
            "-o",
            "x",
        ],
    ] {
        let o = cp247(&args);
        assert_eq!(code(&o), 2, "{args:?}");
        assert!(!stderr(&o).is_empty());
    }
}

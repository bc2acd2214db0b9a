#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! `cp247 form …` on replies, run as a process: every subcommand (example, validate, convert,
//! schema, render) handles a reply as it handles a request document, with the same exit-code
//! contract (0 valid, 1 invalid, 2 unreadable), and `--request` brings in the rules that depend
//! on the case.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cp247_forms::reply::{examples, parse_reply_json};
use cp247_forms::xml::parse_reply_xml;
use cp247_forms::{Article, Kind, MessageKind};

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

fn replies() -> Vec<MessageKind> {
    MessageKind::ALL
        .iter()
        .copied()
        .filter(|k| !k.is_request())
        .collect()
}

/// The request file each example reply answers (the forms crate's example of its article).
fn request_file(dir: &tempfile::TempDir, kind: MessageKind) -> PathBuf {
    let article = examples::context(kind).unwrap().article;
    let doc_kind = match article {
        Article::Art29 | Article::Art30 => Kind::Art29,
        Article::Art31 => Kind::Art31,
        Article::Art35 => Kind::Art35,
    };
    write(
        dir,
        &format!("request-{doc_kind}.json"),
        cp247_forms::examples::json(doc_kind).as_bytes(),
    )
}

const NOTE: &str = "checked without its case";

#[test]
fn every_reply_example_is_printed_validated_and_converted() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = replies();
    assert_eq!(kinds.len(), 21);
    for kind in kinds {
        let name = kind.name();
        let ctx = examples::context(kind).unwrap();
        let o = cp247(&["form", "example", name]);
        assert_eq!(code(&o), 0, "{name}: {}", stderr(&o));
        assert_eq!(stdout(&o), examples::json(kind).unwrap(), "{name}");
        let json = write(&dir, &format!("{name}.json"), &o.stdout);

        // Without its case: valid, with a note on what was not checked.
        let v = cp247(&["form", "validate", s(&json)]);
        assert_eq!(code(&v), 0, "{name}: {}{}", stdout(&v), stderr(&v));
        assert_eq!(stdout(&v), "");
        assert!(stderr(&v).contains(NOTE), "{name}: {}", stderr(&v));
        assert!(
            stderr(&v).contains(&format!("a valid {name} reply (0 warnings)")),
            "{}",
            stderr(&v)
        );
        if kind == MessageKind::ExtensionConfirmed {
            // Its case is an extension request, which no example file is.
            continue;
        }
        // With the request it answers: valid, no note.
        let request = request_file(&dir, kind);
        let v = cp247(&["form", "validate", s(&json), "--request", s(&request)]);
        assert_eq!(code(&v), 0, "{name}: {}{}", stdout(&v), stderr(&v));
        assert!(!stderr(&v).contains(NOTE), "{name}");

        // XML: printed, valid, and converted back to the same JSON bytes.
        let x = cp247(&["form", "example", name, "--format", "xml"]);
        assert_eq!(code(&x), 0, "{name}: {}", stderr(&x));
        assert!(stdout(&x).contains(&format!("<{name} xmlns=\"urn:cp247:forms:1\">")));
        let xml = write(&dir, &format!("{name}.xml"), &x.stdout);
        let parsed = parse_reply_xml(&x.stdout, &ctx).unwrap();
        assert!(parsed.report.problems().is_empty(), "{name}");
        let c = cp247(&[
            "form",
            "convert",
            s(&xml),
            "--to",
            "json",
            "--request",
            s(&request),
        ]);
        assert_eq!(code(&c), 0, "{name}: {}", stderr(&c));
        assert_eq!(stdout(&c), examples::json(kind).unwrap(), "{name}");
        let back = dir.path().join(format!("{name}-back.xml"));
        let c = cp247(&["form", "convert", s(&json), "--to", "xml", "-o", s(&back)]);
        assert_eq!(code(&c), 0, "{name}: {}", stderr(&c));
        assert_eq!(std::fs::read(&back).unwrap(), x.stdout, "{name}");
    }
}

#[test]
fn case_rules_need_the_request_and_are_checked_with_it() {
    let dir = tempfile::tempdir().unwrap();
    // `executed` does not exist for an Art. 29 request (its execution is preservation_confirmed).
    let executed = write(
        &dir,
        "executed.json",
        examples::json(MessageKind::Executed).unwrap().as_bytes(),
    );
    let art29 = write(
        &dir,
        "art29.json",
        cp247_forms::examples::json(Kind::Art29).as_bytes(),
    );
    let alone = cp247(&["form", "validate", s(&executed)]);
    assert_eq!(code(&alone), 0, "{}", stderr(&alone));
    let with = cp247(&["form", "validate", s(&executed), "--request", s(&art29)]);
    assert_eq!(code(&with), 1, "{}{}", stdout(&with), stderr(&with));
    assert!(
        stdout(&with).starts_with("kind-not-allowed-for-article kind: "),
        "{}",
        stdout(&with)
    );
    assert!(stderr(&with).contains("not a valid reply (1 error, 0 warnings)"));
    // In French too.
    let fr = cp247(&[
        "form",
        "validate",
        s(&executed),
        "--request",
        s(&art29),
        "--lang",
        "fr",
    ]);
    assert_eq!(code(&fr), 1);
    assert_ne!(stdout(&fr), stdout(&with));
    // Nothing is converted or rendered from an invalid reply.
    let out = dir.path().join("never.xml");
    let c = cp247(&[
        "form",
        "convert",
        s(&executed),
        "--request",
        s(&art29),
        "--to",
        "xml",
        "-o",
        s(&out),
    ]);
    assert_eq!(code(&c), 1);
    assert!(!out.exists());

    // An Art. 30 document is not a request a reply answers; an invalid request is refused too.
    let art30 = write(
        &dir,
        "art30.json",
        cp247_forms::examples::json(Kind::Art30).as_bytes(),
    );
    let bad = cp247(&["form", "validate", s(&executed), "--request", s(&art30)]);
    assert_eq!(code(&bad), 2, "{}", stderr(&bad));
    assert!(stderr(&bad).contains("not a request a reply can answer"));
}

#[test]
fn faults_a_reply_has_alone_are_found_without_its_case() {
    let dir = tempfile::tempdir().unwrap();
    let text = examples::json(MessageKind::Refused).unwrap().replacen(
        "\"kind\": \"legal\"",
        "\"kind\": \"other\"",
        1,
    );
    let file = write(&dir, "refused.json", text.as_bytes());
    let o = cp247(&["form", "validate", s(&file)]);
    assert_eq!(code(&o), 1, "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("ground-kind-mismatch grounds[0].kind: "),
        "{}",
        stdout(&o)
    );
    // The same fault, read from XML, at the same path.
    let ctx = examples::context(MessageKind::Refused).unwrap();
    let reply = parse_reply_json(
        examples::json(MessageKind::Refused).unwrap().as_bytes(),
        &ctx,
    )
    .unwrap()
    .reply
    .unwrap();
    let xml = cp247_forms::xml::reply_to_xml_string(&reply).replacen(
        "<kind>legal</kind>",
        "<kind>other</kind>",
        1,
    );
    let xfile = write(&dir, "refused.xml", xml.as_bytes());
    let x = cp247(&["form", "validate", s(&xfile)]);
    assert_eq!(code(&x), 1);
    assert_eq!(stdout(&x), stdout(&o));
    // Unreadable stays exit 2.
    let broken = write(&dir, "broken.xml", b"<refused xmlns=\"urn:cp247:forms:1\">");
    assert_eq!(code(&cp247(&["form", "validate", s(&broken)])), 2);
}

#[test]
fn reply_schemas_are_printed() {
    let x = cp247(&["form", "schema", "--xsd", "--replies"]);
    assert_eq!(code(&x), 0);
    assert_eq!(stdout(&x), cp247_forms::schemas::REPLY_XSD);
    assert!(stdout(&x).contains("<xs:element name=\"preservation_confirmed\""));
    let j = cp247(&["form", "schema", "--json-schema", "--replies"]);
    assert_eq!(code(&j), 0);
    assert_eq!(stdout(&j), cp247_forms::schemas::REPLY_JSON_SCHEMA);
    // The request schemas are unchanged by the flag's absence.
    let r = cp247(&["form", "schema", "--xsd"]);
    assert_eq!(stdout(&r), cp247_forms::schemas::XSD);
    assert_eq!(code(&cp247(&["form", "schema", "--replies"])), 2);
}

#[test]
fn replies_render_as_html_text_and_pdf_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &dir,
        "refused.json",
        examples::json(MessageKind::Refused).unwrap().as_bytes(),
    );
    let request = request_file(&dir, MessageKind::Refused);
    for (lang, title, word) in [
        (
            "en",
            MessageKind::Refused.label(cp247_i18n::Lang::En),
            "Republic of Moldova",
        ),
        (
            "fr",
            MessageKind::Refused.label(cp247_i18n::Lang::Fr),
            "Republic of Moldova",
        ),
    ] {
        for format in ["html", "text"] {
            let out = dir.path().join(format!("refused-{lang}.{format}"));
            let o = cp247(&[
                "form",
                "render",
                s(&file),
                "--request",
                s(&request),
                "--lang",
                lang,
                "--format",
                format,
                "-o",
                s(&out),
            ]);
            assert_eq!(code(&o), 0, "{lang} {format}: {}", stderr(&o));
            let text = std::fs::read_to_string(&out).unwrap();
            assert!(text.contains(&title), "{lang} {format}: no title {title}");
            // The case text is printed as written (never translated).
            assert!(text.contains(word), "{lang} {format}");
        }
    }
    let en = std::fs::read_to_string(dir.path().join("refused-en.text")).unwrap();
    let fr = std::fs::read_to_string(dir.path().join("refused-fr.text")).unwrap();
    assert_ne!(en, fr, "the French rendering is the English one");

    // PDF, from XML input; the same reply gives the same bytes.
    let x = cp247(&[
        "form",
        "example",
        "preservation_confirmed",
        "--format",
        "xml",
    ]);
    let xml = write(&dir, "preserved.xml", &x.stdout);
    let pdf = dir.path().join("preserved.pdf");
    let args = [
        "form",
        "render",
        s(&xml),
        "--lang",
        "fr",
        "--format",
        "pdf",
        "-o",
        s(&pdf),
    ];
    let o = cp247(&args);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    assert_eq!(code(&cp247(&args)), 0);
    assert_eq!(std::fs::read(&pdf).unwrap(), bytes);
}

#[test]
fn reply_kinds_are_the_message_types() {
    // A request message type is not a document kind here: documents are art29 … art35.
    let o = cp247(&["form", "example", "art29_request"]);
    assert_eq!(code(&o), 2);
    assert!(stderr(&o).contains("acknowledgement"), "{}", stderr(&o));
    assert_eq!(code(&cp247(&["form", "example", "no_such_reply"])), 2);
    assert_eq!(code(&cp247(&["form", "example", "withdrawn"])), 0);
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration test: unwrap/expect/panic are the assertions here.

//! `cp247 form …` run as a process: outputs and the exit-code contract (0 valid, 1 invalid,
//! 2 unreadable).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use cp247_forms::shared::Choice;
use cp247_forms::{Kind, parse_json};

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

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../cp247-forms/tests/corpus")
        .join(rel)
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
fn examples_are_complete_valid_documents() {
    let dir = tempfile::tempdir().unwrap();
    for kind in Kind::ALL {
        let o = cp247(&["form", "example", kind.as_str()]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        let json = stdout(&o);
        let parsed = parse_json(json.as_bytes()).unwrap();
        assert!(parsed.report.problems().is_empty(), "{kind}");
        assert_eq!(parsed.document.unwrap().kind(), *kind);
        for needle in [
            "\"ipv4\"",
            "\"port\"",
            "+0",
            "@example.",
            "https://",
            "\"+3",
        ] {
            assert!(json.contains(needle), "{kind} example lacks {needle}");
        }
        // The printed example validates with exit 0 and prints nothing on standard output.
        let file = write(&dir, &format!("{kind}.json"), json.as_bytes());
        let v = cp247(&["form", "validate", s(&file)]);
        assert_eq!(code(&v), 0, "{}", stderr(&v));
        assert_eq!(stdout(&v), "");
        assert!(stderr(&v).contains(&format!("a valid {kind} document (0 warnings)")));

        let x = cp247(&["form", "example", kind.as_str(), "--format", "xml"]);
        assert_eq!(code(&x), 0, "{}", stderr(&x));
        assert!(stdout(&x).starts_with("<?xml"));
        let xfile = write(&dir, &format!("{kind}.xml"), &x.stdout);
        let xv = cp247(&["form", "validate", s(&xfile)]);
        assert_eq!(code(&xv), 0, "{}{}", stdout(&xv), stderr(&xv));
    }
}

#[test]
fn invalid_documents_exit_1_with_one_line_per_problem() {
    let dir = corpus("invalid");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let o = cp247(&["form", "validate", s(&path)]);
        assert_eq!(code(&o), 1, "{}: {}", path.display(), stderr(&o));
        let expected = std::fs::read_to_string(path.with_extension("expect")).unwrap();
        let out = stdout(&o);
        for line in expected.lines().filter(|l| !l.is_empty()) {
            assert!(
                out.lines().any(|l| l.starts_with(&format!("{line}: "))),
                "{}: no line for {line} in\n{out}",
                path.display()
            );
        }
        assert!(stderr(&o).contains("not a valid document"));
        checked += 1;
    }
    assert!(checked >= 40);
}

#[test]
fn the_exact_output_for_one_invalid_document() {
    let o = cp247(&[
        "form",
        "validate",
        s(&corpus("invalid/022-period-p30d.json")),
    ]);
    assert_eq!(code(&o), 1);
    assert_eq!(
        stdout(&o),
        "period-too-short requested_period: requested_period is shorter than 60 days: \
         Article 29(7) requires preservation for at least 60 days.\n"
    );
    let fr = cp247(&[
        "form",
        "validate",
        s(&corpus("invalid/022-period-p30d.json")),
        "--lang",
        "fr",
    ]);
    assert_eq!(code(&fr), 1);
    assert_eq!(
        stdout(&fr),
        "period-too-short requested_period: requested_period est inférieure à 60 jours : \
         l'article 29(7) impose une conservation d'au moins 60 jours.\n"
    );
}

#[test]
fn warnings_are_printed_and_exit_0() {
    let o = cp247(&[
        "form",
        "validate",
        s(&corpus("valid/101-ipv4-without-port.json")),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("ipv4-without-port data_items[1].identifiers[0].connection.port: "),
        "{}",
        stdout(&o)
    );
    assert!(stderr(&o).contains("(1 warning)"));
}

#[test]
fn unreadable_input_exits_2_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(PathBuf, &str)> = vec![
        (write(&dir, "truncated.json", b"{\n  \"kind\": \"art29\",\n"), "line"),
        (write(&dir, "garbage.json", b"kind = art29"), "not well-formed JSON"),
        (write(&dir, "latin1.json", b"{\"kind\": \"art\xe929\"}"), "not well-formed JSON"),
        (write(&dir, "two.json", b"{} {}"), "not well-formed JSON"),
        (
            write(
                &dir,
                "deep.json",
                format!("{}{}", "[".repeat(100), "]".repeat(100)).as_bytes(),
            ),
            "nested more than 32 levels",
        ),
        (
            write(&dir, "huge.json", &vec![b' '; 2 * 1024 * 1024]),
            "limit is 1048576 bytes",
        ),
        (write(&dir, "notes.txt", b"{}"), "must end in .json or .xml"),
        (dir.path().join("missing.json"), "cannot be read"),
        (
            write(
                &dir,
                "xxe.xml",
                b"<?xml version=\"1.0\"?>\n<!DOCTYPE art29 [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n<art29>&x;</art29>\n",
            ),
            "XML",
        ),
        (
            write(
                &dir,
                "laughs.xml",
                b"<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>\n<lolz>&lol2;</lolz>\n",
            ),
            "XML",
        ),
        (write(&dir, "broken.xml", b"<art29><a></art29>"), "XML"),
    ];
    for (path, reason) in cases {
        for command in [
            vec!["form", "validate", s(&path)],
            vec!["form", "convert", s(&path), "--to", "xml"],
        ] {
            let o = cp247(&command);
            assert_eq!(code(&o), 2, "{command:?}: {}", stderr(&o));
            assert_eq!(stdout(&o), "", "{command:?}");
            let err = stderr(&o);
            assert!(err.contains(reason), "{command:?}: {err}");
            assert!(err.contains(path.file_name().unwrap().to_str().unwrap()));
        }
    }
}

#[test]
fn convert_round_trips_and_refuses_invalid_documents() {
    let dir = tempfile::tempdir().unwrap();
    for kind in Kind::ALL {
        let json = stdout(&cp247(&["form", "example", kind.as_str()]));
        let src = write(&dir, &format!("{kind}.json"), json.as_bytes());
        let xml = dir.path().join(format!("{kind}.xml"));
        let o = cp247(&["form", "convert", s(&src), "--to", "xml", "-o", s(&xml)]);
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        assert_eq!(stdout(&o), "");
        let back = cp247(&["form", "convert", s(&xml), "--to", "json"]);
        assert_eq!(code(&back), 0, "{}", stderr(&back));
        assert_eq!(
            stdout(&back),
            json,
            "{kind}: JSON -> XML -> JSON changed the document"
        );
        // Same format in and out gives the canonical text.
        let same = cp247(&["form", "convert", s(&src), "--to", "json"]);
        assert_eq!(stdout(&same), json);
    }
    let out = dir.path().join("out.xml");
    let o = cp247(&[
        "form",
        "convert",
        s(&corpus("invalid/008-missing-mla-intention.json")),
        "--to",
        "xml",
        "-o",
        s(&out),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stdout(&o).starts_with("missing-field mla_intention: "));
    assert!(stderr(&o).contains("nothing was converted"));
    assert!(!out.exists(), "an invalid document must not be written");
    // Warnings go to standard error, so the converted output stays clean.
    let w = cp247(&[
        "form",
        "convert",
        s(&corpus("valid/101-ipv4-without-port.json")),
        "--to",
        "json",
    ]);
    assert_eq!(code(&w), 0);
    assert!(stdout(&w).starts_with("{\n  \"kind\": \"art29\""));
    assert!(stderr(&w).contains("ipv4-without-port"));
}

#[test]
fn schemas_are_printed() {
    let x = cp247(&["form", "schema", "--xsd"]);
    assert_eq!(code(&x), 0);
    assert!(stdout(&x).contains("http://www.w3.org/2001/XMLSchema"));
    let j = cp247(&["form", "schema", "--json-schema"]);
    assert_eq!(code(&j), 0);
    assert!(stdout(&j).contains("2020-12"));
    // Exactly one of the two.
    assert_eq!(code(&cp247(&["form", "schema"])), 2);
    assert_eq!(
        code(&cp247(&["form", "schema", "--xsd", "--json-schema"])),
        2
    );
}

#[test]
fn usage_errors_are_refused() {
    assert_eq!(code(&cp247(&["form", "example", "art32"])), 2);
    assert_eq!(code(&cp247(&["form", "convert", "x.json"])), 2);
    assert_eq!(
        code(&cp247(&["form", "validate", "x.json", "--lang", "de"])),
        2
    );
}

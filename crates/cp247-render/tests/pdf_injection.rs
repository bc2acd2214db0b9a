#![cfg(feature = "pdf")]
// Integration test: unwrap/expect/panic are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Document values reach typst as data: typst syntax inside a value prints literally and can
//! neither run code, read files nor change the layout.

mod common;

use cp247_i18n::Lang;
use cp247_render::pdf::PdfEngine;
use cp247_render::{DocumentView, Row, SectionView, Value};

/// Values that would do something if they were pasted into typst markup.
const HOSTILE: &[&str] = &[
    "#import \"/etc/passwd\"",
    "#read(\"/etc/hostname\")",
    "#panic(\"boom\")",
    "] #text(fill: red)[owned",
    "*bold* _emph_ `raw` $x^2$ @label <label> = heading",
    "#let x = 1; #x // comment /* block */",
    "\\u{41} \\ backslash",
    "#json(bytes(sys.inputs.data))",
    "}{)(][",
];

fn hostile_view() -> DocumentView {
    let lang = Lang::En;
    let rows = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, h)| Row::new(format!("Value {i}"), Value::text(lang, *h)))
        .collect();
    DocumentView {
        lang,
        title: "Injection check #title]".into(),
        basis: "Basis #basis".into(),
        meta: vec![Row::new("Ticket", Value::Text("T-1 #meta".into()))],
        sections: vec![
            SectionView::new(lang, 1, "Heading #h1 ] [".into(), rows),
            SectionView::new(
                lang,
                2,
                "Nested".into(),
                vec![Row::new(
                    "Table #t",
                    Value::table(
                        lang,
                        vec!["Col #c".into(), "Col ]".into()],
                        vec![vec![
                            Value::List(vec![Value::Long("#panic(\"x\")\nline 2 ]".into())]),
                            Value::Record(vec![Row::new("#k", Value::unknown(lang, "#reason ]"))]),
                        ]],
                    ),
                )],
            ),
        ],
        footer: "Footer #footer".into(),
        running_head: "Head #head ]".into(),
    }
}

#[test]
fn typst_syntax_in_values_prints_literally() {
    let pdf = PdfEngine::shared()
        .render(&hostile_view(), "2026-02-20".parse().unwrap())
        .expect("a hostile value must not break typesetting");
    assert!(pdf.starts_with(b"%PDF-"));
    if !common::have("pdftotext") {
        return;
    }
    let text = common::pdf_text(&pdf);
    // pdftotext joins lines with newlines and may break a value over two lines: compare with all
    // white space collapsed.
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for h in HOSTILE {
        let want: String = h.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&want),
            "{h:?} was not printed literally in:\n{text}"
        );
    }
    for literal in [
        "Injection check #title]",
        "Heading #h1 ] [",
        "#panic(\"x\")",
        "line 2 ]",
        "Unknown — #reason ]",
        "Footer #footer",
    ] {
        assert!(flat.contains(literal), "{literal:?} missing in:\n{text}");
    }
    assert!(!flat.contains("boom") || flat.contains("#panic(\"boom\")"));
}

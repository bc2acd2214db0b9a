#![cfg(feature = "pdf")]
// Integration test: unwrap/expect/panic are how a test fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The PDFs read like the documents they are: poppler's `pdftotext` finds the title and every
//! section heading in order, in English and in French (accents, « », œ intact), `pdffonts`
//! finds every font embedded, and rendering is reproducible. Under `CI=true` a missing
//! poppler-utils fails these tests instead of skipping them.

mod common;

use cp247_forms::{Kind, examples};
use cp247_i18n::Lang;
use cp247_render::{render_pdf, view};

const KINDS: [Kind; 4] = [Kind::Art29, Kind::Art30, Kind::Art31, Kind::Art35];

/// White space collapsed, ligatures undone: what to search headings in.
fn flat(s: &str) -> String {
    s.replace('\u{FB00}', "ff")
        .replace('\u{FB01}', "fi")
        .replace('\u{FB02}', "fl")
        .replace('\u{FB03}', "ffi")
        .replace('\u{FB04}', "ffl")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn headings_are_in_the_pdf_text_in_order_in_both_languages() {
    if !common::have("pdftotext") {
        return;
    }
    for kind in KINDS {
        let doc = examples::example(kind).unwrap();
        for lang in Lang::ALL {
            let pdf = render_pdf(&doc, lang).unwrap();
            let text = flat(&common::pdf_text(&pdf));
            let v = view(&doc, lang);
            let title = flat(&v.title);
            assert!(
                text.starts_with(&title),
                "{kind} {lang}: title not first in {text}"
            );
            let mut from = title.len();
            for s in &v.sections {
                let heading = flat(&format!("{}. {}", s.number, s.heading));
                match text[from..].find(&heading) {
                    Some(at) => from += at + heading.len(),
                    None => panic!("{kind} {lang}: {heading:?} missing or out of order"),
                }
            }
            let footer = flat(&v.footer);
            assert!(text.contains(&footer), "{kind} {lang}: footer missing");
        }
    }
}

#[test]
fn french_accents_and_typography_survive() {
    if !common::have("pdftotext") {
        return;
    }
    let doc = examples::example(Kind::Art29).unwrap();
    let text = flat(&common::pdf_text(&render_pdf(&doc, Lang::Fr).unwrap()));
    for needle in [
        "Demande de conservation de données au titre des articles 29 et 30",
        "Détenteur des données / localisation du système informatique",
        "Nécessité de la conservation",
        "Chișinău",
        "20/02/2026 13:28 (UTC+01:00, Europe/Paris)",
        "Sans objet —",
        "Inconnu —",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in:\n{text}");
    }
}

#[test]
fn every_font_is_embedded() {
    if !common::have("pdffonts") {
        return;
    }
    for kind in KINDS {
        let doc = examples::example(kind).unwrap();
        for lang in Lang::ALL {
            let fonts = common::pdf_fonts(&render_pdf(&doc, lang).unwrap());
            assert!(!fonts.is_empty(), "{kind} {lang}: no fonts listed");
            for (name, embedded) in &fonts {
                assert!(embedded, "{kind} {lang}: font {name} is not embedded");
            }
        }
    }
}

#[test]
fn rendering_is_reproducible_and_archival() {
    let doc = examples::example(Kind::Art35).unwrap();
    let a = render_pdf(&doc, Lang::En).unwrap();
    let b = render_pdf(&doc, Lang::En).unwrap();
    assert!(a == b, "two renderings of the same document differ");
    let head = String::from_utf8_lossy(&a);
    // PDF/A identification in the XMP metadata.
    assert!(
        head.contains("pdfaid:part") || head.contains("pdfaid"),
        "no PDF/A identification"
    );
    let fr = render_pdf(&doc, Lang::Fr).unwrap();
    assert!(fr != a);
}

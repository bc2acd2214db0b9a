//! Helpers shared by the integration tests: running poppler's tools on a rendered PDF.
// Each test binary uses only some of the helpers.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;

/// True when the tests run under CI, where a missing tool fails the test instead of skipping it.
pub fn under_ci() -> bool {
    // Reading CI is how the test policy tells "skip locally" from "fail in CI" (CONTRIBUTING.md).
    #[allow(clippy::disallowed_methods)]
    let ci = std::env::var("CI");
    ci.is_ok_and(|v| v == "true" || v == "1")
}

/// Whether `tool` can be run. When it cannot: fails under CI, otherwise prints why the test is
/// skipped and returns false.
pub fn have(tool: &str) -> bool {
    let ok = Command::new(tool)
        .arg("-v")
        .output()
        .is_ok_and(|o| o.status.success() || !o.stderr.is_empty());
    if !ok {
        assert!(
            !under_ci(),
            "{tool} is missing: install poppler-utils (CI must not skip this test)"
        );
        eprintln!("skipping: {tool} is not installed (apt-get install poppler-utils)");
    }
    ok
}

/// Runs `tool args…` on `file` and returns its standard output as text.
pub fn run(tool: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} could not run: {e}"));
    assert!(
        out.status.success(),
        "{tool} failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The text of a PDF as pdftotext reads it (layout mode off, reading order), with the invisible
/// break opportunities the PDF layout inserts into long words removed.
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let file = path.to_str().unwrap();
    run(
        "pdftotext",
        &["-enc", "UTF-8", "-nopgbrk", file, "-"],
        &path,
    )
    .replace('\u{200B}', "")
}

/// The fonts of a PDF as `pdffonts` lists them: (name, embedded) per font.
pub fn pdf_fonts(pdf: &[u8]) -> Vec<(String, bool)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("doc.pdf");
    std::fs::write(&path, pdf).unwrap();
    let listing = run("pdffonts", &[path.to_str().unwrap()], &path);
    listing
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split_whitespace().collect();
            // name type [encoding…] emb sub uni object ID: "emb" is the 5th column from the end.
            let emb = cols.len() >= 5 && cols[cols.len() - 5] == "yes";
            (cols.first().copied().unwrap_or_default().to_owned(), emb)
        })
        .collect()
}

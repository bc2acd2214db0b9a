//! The PDF layout of a view, typeset by typst.
//!
//! The engine is built once per process ([`PdfEngine::shared`]): the template is compiled from
//! [`TEMPLATE`], the fonts are the ones embedded in the binary (Libertinus Serif, New Computer
//! Modern, DejaVu Sans Mono), and there is no file-system, package or network access at all — the
//! world has no file resolver. The view reaches typst as one JSON text in `sys.inputs.data`, read
//! by the template with `json()`: values stay strings and can never become markup.
//!
//! Output is PDF/A-2b (an archival profile: fonts embedded, no external content), and is
//! reproducible: the same view gives the same bytes, because the PDF's date is the document's own
//! date and its identifier is derived from the view.

use std::sync::OnceLock;

use serde::Serialize;
use typst::foundations::{Dict, IntoValue, Smart};
use typst_as_lib::TypstEngine;
use typst_as_lib::typst_kit_options::TypstKitFontOptions;
use typst_layout::PagedDocument;
use typst_pdf::{PdfOptions, PdfStandard, PdfStandards};

use crate::view::{DocumentView, Row, Value};
use crate::visible::visible;
use cp247_i18n::text;

/// The typst source of the page layout.
pub const TEMPLATE: &str = include_str!("document.typ");

/// The longest run of characters without a break opportunity that the PDF keeps as is; longer
/// runs (URLs, hashes, identifiers) get invisible break opportunities so they wrap in their cell
/// instead of running over the page edge.
const MAX_UNBROKEN: usize = 24;

/// Why a PDF could not be produced. The messages come from typst and name the template, never a
/// value of the document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// The view could not be turned into the template's input.
    #[error("could not pass the document to the PDF typesetter: {0}")]
    Input(String),
    /// typst failed to typeset the document.
    #[error("the PDF typesetter failed to lay out the document: {0}")]
    Typeset(String),
    /// typst failed to write the PDF file.
    #[error("the PDF typesetter failed to write the PDF: {0}")]
    Write(String),
}

/// A typst engine with the document template and the embedded fonts, built once and reused.
pub struct PdfEngine {
    engine: TypstEngine<typst_as_lib::TypstTemplateMainFile>,
}

impl std::fmt::Debug for PdfEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfEngine").finish_non_exhaustive()
    }
}

/// What the template receives: the view, plus the few words of the page furniture.
#[derive(Serialize)]
struct Input<'a> {
    view: &'a DocumentView,
    /// "Page" in the view's language.
    page: String,
    /// What separates a label from its value on one line (French puts a space before the colon).
    sep: &'static str,
}

impl PdfEngine {
    /// Builds an engine: parses the template and loads the embedded fonts (tens of
    /// milliseconds). Prefer [`PdfEngine::shared`].
    pub fn new() -> Self {
        let engine = TypstEngine::builder()
            .main_file(TEMPLATE)
            .search_fonts_with(
                TypstKitFontOptions::new()
                    .include_system_fonts(false)
                    .include_embedded_fonts(true),
            )
            // Keep memoised layout results for a few compilations: repeated renders reuse the
            // template's work, while the cache stays bounded.
            .comemo_evict_max_age(Some(8))
            .build();
        Self { engine }
    }

    /// The process-wide engine, built on first use.
    pub fn shared() -> &'static PdfEngine {
        static ENGINE: OnceLock<PdfEngine> = OnceLock::new();
        ENGINE.get_or_init(PdfEngine::new)
    }

    /// Typesets `view` as a PDF/A-2b file. `date` is the document's own date, recorded as the
    /// PDF's creation date (PDF/A requires one) so the output does not depend on when it was
    /// rendered.
    pub fn render(
        &self,
        view: &DocumentView,
        date: jiff::civil::Date,
    ) -> Result<Vec<u8>, PdfError> {
        let prepared = breakable(view);
        let input = Input {
            view: &prepared,
            page: text(view.lang, "render-page"),
            sep: crate::text::label_separator(view.lang),
        };
        let json = serde_json::to_string(&input).map_err(|e| PdfError::Input(e.to_string()))?;
        let mut inputs = Dict::new();
        inputs.insert("data".into(), json.into_value());

        let warned = self.engine.compile_with_input::<_, PagedDocument>(inputs);
        let document = warned.output.map_err(|e| PdfError::Typeset(describe(&e)))?;

        let standards = PdfStandards::new(&[PdfStandard::A_2b])
            .map_err(|e| PdfError::Write(e.message().to_string()))?;
        let timestamp = typst::foundations::Datetime::from_ymd(
            i32::from(date.year()),
            u8::try_from(date.month()).unwrap_or(1),
            u8::try_from(date.day()).unwrap_or(1),
        )
        .map(typst_pdf::Timestamp::new_utc);
        let options = PdfOptions {
            ident: Smart::Custom(format!("cp247:{}:{}", view.lang.code(), view.running_head)),
            creator: Smart::Custom(Some("cp247".to_owned())),
            timestamp,
            standards,
            ..PdfOptions::default()
        };
        typst_pdf::pdf(&document, &options).map_err(|diags| {
            PdfError::Write(
                diags
                    .iter()
                    .map(|d| d.message.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })
    }
}

impl Default for PdfEngine {
    fn default() -> Self {
        Self::new()
    }
}

/// typst's diagnostics as one line: the messages only (they name template constructs).
fn describe(e: &typst_as_lib::TypstAsLibError) -> String {
    match e {
        typst_as_lib::TypstAsLibError::TypstSource(diags) => diags
            .iter()
            .map(|d| d.message.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// A copy of `view` with every string made visible ([`visible`]) and long unbroken runs given
/// break opportunities.
fn breakable(view: &DocumentView) -> DocumentView {
    DocumentView {
        lang: view.lang,
        title: soften(&view.title),
        basis: soften(&view.basis),
        meta: view.meta.iter().map(soften_row).collect(),
        sections: view
            .sections
            .iter()
            .map(|s| crate::view::SectionView {
                number: s.number,
                heading: soften(&s.heading),
                rows: s.rows.iter().map(soften_row).collect(),
            })
            .collect(),
        footer: soften(&view.footer),
        running_head: soften(&view.running_head),
    }
}

fn soften_row(row: &Row) -> Row {
    Row::new(soften(&row.label), soften_value(&row.value))
}

fn soften_value(v: &Value) -> Value {
    match v {
        Value::Text(s) => Value::Text(soften(s)),
        Value::Long(s) => Value::Long(soften(s)),
        Value::NotApplicable(s) => Value::NotApplicable(soften(s)),
        Value::Unknown(s) => Value::Unknown(soften(s)),
        Value::List(items) => Value::List(items.iter().map(soften_value).collect()),
        Value::Record(rows) => Value::Record(rows.iter().map(soften_row).collect()),
        Value::Table(t) => Value::Table(crate::view::Table::from_parts(
            t.columns().iter().map(|c| soften(c)).collect(),
            t.rows()
                .iter()
                .map(|r| r.iter().map(soften_value).collect())
                .collect(),
        )),
    }
}

/// Inserts a zero-width space after a separator (`/ . - _ @ ? & = : ,`) once a run without spaces
/// has reached [`MAX_UNBROKEN`] characters, or anywhere once it reaches twice that.
fn soften(s: &str) -> String {
    let s = visible(s);
    let mut out = String::with_capacity(s.len());
    let mut run = 0usize;
    for c in s.chars() {
        out.push(c);
        if c.is_whitespace() || c == '\u{200B}' {
            run = 0;
            continue;
        }
        run += 1;
        let separator = matches!(c, '/' | '.' | '-' | '_' | '@' | '?' | '&' | '=' | ':' | ',');
        if (run >= MAX_UNBROKEN && separator) || run >= 2 * MAX_UNBROKEN {
            out.push('\u{200B}');
            run = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn softens_only_long_runs() {
        assert_eq!(soften("short words stay"), "short words stay");
        let url = "https://portal.example.com/law-enforcement/requests/2026/000123?lang=fr";
        let soft = soften(url);
        assert_eq!(soft.replace('\u{200B}', ""), url);
        assert!(
            soft.split('\u{200B}')
                .all(|p| p.chars().count() <= 2 * MAX_UNBROKEN)
        );
        let hash = "a".repeat(200);
        assert!(
            soften(&hash)
                .split('\u{200B}')
                .all(|p| p.chars().count() <= 2 * MAX_UNBROKEN)
        );
    }
}

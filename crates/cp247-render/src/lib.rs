//! cp247 documents rendered for people: plain text, HTML and PDF, in English and French.
//!
//! Rendering has two steps. First a document is mapped to a [`DocumentView`] in one language,
//! following the sections of the T-CY template it replaces (`template-sections.md`): numbers,
//! headings and order, every section printed, a section that does not apply saying so with its
//! reason. Every label, heading and title comes from the message catalogue (`forms.ftl` in
//! `cp247-i18n`), so a jurist corrects wording in one place. Then one of three layouts prints the
//! view: [`text::layout`] (what the snapshot tests pin), [`html::page`] (escaped, no script,
//! self-contained) and, with the `pdf` feature (on by default), [`pdf::PdfEngine`] (typst, embedded
//! fonts, PDF/A-2b).
//!
//! Document content is untrusted: it comes from another country's node. Every layout shows hidden
//! characters visibly ([`visible`]), HTML escapes every string, and typst receives values as data,
//! never as markup.
#![warn(missing_docs)]

pub mod format;
pub mod generic;
pub mod html;
pub mod map;
#[cfg(feature = "pdf")]
pub mod pdf;
pub mod text;
pub mod view;
pub mod visible;

use cp247_forms::Document;
use cp247_i18n::Lang;

pub use view::{DocumentView, Row, SectionView, Table, Value};

/// The view of `doc` in `lang`: what every layout prints.
pub fn view(doc: &Document, lang: Lang) -> DocumentView {
    map::view(doc, lang)
}

/// `doc` as plain text in `lang` (the layout the snapshot tests pin).
pub fn render_text(doc: &Document, lang: Lang) -> String {
    text::layout(&map::view(doc, lang))
}

/// `doc` as a standalone HTML5 page in `lang`: escaped, no script, nothing loaded from outside.
pub fn render_html(doc: &Document, lang: Lang) -> String {
    html::page(&map::view(doc, lang))
}

/// `doc` as a PDF/A-2b file in `lang`, typeset with the process-wide engine
/// ([`pdf::PdfEngine::shared`]; the first call builds it).
#[cfg(feature = "pdf")]
pub fn render_pdf(doc: &Document, lang: Lang) -> Result<Vec<u8>, RenderError> {
    let view = map::view(doc, lang);
    Ok(pdf::PdfEngine::shared().render(&view, map::document_date(doc))?)
}

/// Any view (a document's, or a reply's from [`generic::message_view`]) as a PDF/A-2b file;
/// `date` is the message's own date.
#[cfg(feature = "pdf")]
pub fn render_view_pdf(
    view: &DocumentView,
    date: jiff::civil::Date,
) -> Result<Vec<u8>, RenderError> {
    Ok(pdf::PdfEngine::shared().render(view, date)?)
}

/// Why a document could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    /// The PDF could not be produced.
    #[cfg(feature = "pdf")]
    #[error(transparent)]
    Pdf(#[from] pdf::PdfError),
}

//! One form language for the officers' composers (requests in [`super::compose`], replies in
//! [`super::reply`]).
//!
//! A composer describes its document as a static table of [`Field`]s that follows the
//! document's JSON: every input is named by the path of its field
//! (`data_items[1].identifiers[0].value`), so that a validation problem's path leads straight
//! to its input. An optional field is filled in one of its [`Way`]s: with a value, or "not
//! applicable" (and "unknown" where the document accepts it) with a reason. The [`Draft`] —
//! every input's value by name — travels in the form: lists grow and shrink with plain
//! submit buttons ([`Op`]) that render the page again server-side, and nothing is kept between
//! requests. A posted form is read within bounds ([`Draft::parse`]: bytes, fields, name
//! length; lists hold at most [`MAX_ITEMS`]); what exceeds them is a [`FormError`], never a
//! panic.
//!
//! From a draft, [`build`] makes the document tree the composer hands to the document's own
//! decoder (which reports every problem with its path), [`fill`] types a document into a
//! draft, [`walk`] tells a composer's layout each part of the form, and [`Anchors`] places each
//! problem next to the item of its path or nearest parent. Leaves (the inputs themselves) are
//! each composer's own.

mod draft;
mod render;
mod spec;
mod tree;

pub use draft::{
    Draft, FormError, MAX_BODY_BYTES, MAX_FIELDS, MAX_ITEMS, MAX_NAME_BYTES, Naming, Op,
};
pub use render::{Anchors, Offer, Visit, walk};
pub use spec::{
    Field, Presence, Shape, Way, applicable, entry, find_list, join, optional, parent, required,
};
pub use tree::{Tree, TreeRead, build, fill, marker};

use axum::http::StatusCode;
use axum::response::Response;
use cp247_i18n::Lang;

/// The page that refuses a posted form beyond the bounds (413, as the CSRF guard answers a
/// body it does not read).
pub fn refused(lang: Lang, e: &FormError) -> Response {
    tracing::info!(error = %e, "a posted form was refused");
    super::pages::message_page(
        StatusCode::PAYLOAD_TOO_LARGE,
        lang,
        "web-too-large-title",
        "web-too-large-text",
    )
}

#[cfg(test)]
mod tests;

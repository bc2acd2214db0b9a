//! Input that cannot be read as a document at all (as opposed to a document with problems).

/// Why input could not be read as a tree: too large, too deep, or not well-formed. A
/// well-formed document with wrong or missing values is not an error: it yields a
/// [`crate::Report`] with problems.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormsError {
    /// Larger than the limit.
    #[error("the document is {size} bytes long; the limit is {max} bytes")]
    TooLarge {
        /// Size of the input.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than the limit.
    #[error("the document is nested more than {max} levels deep")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// Not well-formed.
    #[error("not well-formed {format} at line {line}, column {column}: {reason}")]
    Malformed {
        /// "JSON" or "XML".
        format: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        reason: String,
    },
}

//! Connection options and limits.

use std::time::Duration;

/// Which database a [`crate::Store`] runs on, chosen by the URL scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Backend {
    /// `sqlite://PATH`: one file in the node directory, one process.
    Sqlite,
    /// `postgres://…` or `postgresql://…`: several processes may share it.
    Postgres,
}

impl Backend {
    /// The backend's name in messages.
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Tuning and limits of a [`crate::Store`]. [`StoreOptions::default`] suits a node; every limit
/// is checked at the API, before anything reaches the database.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// Connections in the pool (PostgreSQL; SQLite uses at most 4, writes are serialised).
    pub max_connections: u32,
    /// How long to wait for a free connection.
    pub acquire_timeout: Duration,
    /// The longest any single store operation (or statement, on PostgreSQL) may take.
    pub statement_timeout: Duration,
    /// How long a SQLite writer waits for another writer in the same process.
    pub busy_timeout: Duration,
    /// The largest sealed message (exact OpenPGP bytes) accepted for storage.
    pub max_message_bytes: usize,
    /// The largest verified payload JSON accepted for storage.
    pub max_payload_bytes: usize,
    /// The most attachments of one message.
    pub max_attachments: usize,
    /// The largest attachment, in bytes.
    pub max_attachment_bytes: usize,
    /// The most bytes of one message's attachments together.
    pub max_attachments_total_bytes: usize,
    /// The largest signed receipt accepted for storage.
    pub max_receipt_bytes: usize,
    /// The largest audit `details` JSON.
    pub max_audit_details_bytes: usize,
    /// The largest signed directory document.
    pub max_directory_bytes: usize,
    /// The most rows one list call returns; larger requested pages are cut to this.
    pub max_page: u32,
    /// Text kept of an error description (longer ones are cut with `…`).
    pub max_error_text: usize,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(10),
            statement_timeout: Duration::from_secs(30),
            busy_timeout: Duration::from_secs(10),
            max_message_bytes: 16 * 1024 * 1024,
            max_payload_bytes: 8 * 1024 * 1024,
            max_attachments: 20,
            max_attachment_bytes: 8 * 1024 * 1024,
            max_attachments_total_bytes: 16 * 1024 * 1024,
            max_receipt_bytes: 64 * 1024,
            max_audit_details_bytes: 16 * 1024,
            max_directory_bytes: 8 * 1024 * 1024,
            max_page: 500,
            max_error_text: 1024,
        }
    }
}

/// Which slice of a list to return: `limit` rows after skipping `offset`. The limit is capped
/// at [`StoreOptions::max_page`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to skip.
    pub offset: u64,
    /// Rows to return at most.
    pub limit: u32,
}

impl Page {
    /// The first `limit` rows.
    pub fn first(limit: u32) -> Self {
        Self { offset: 0, limit }
    }
}

/// One page of a list, and where the next one starts (if there may be one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    /// The rows.
    pub items: Vec<T>,
    /// The next page, when this one was full.
    pub next: Option<Page>,
}

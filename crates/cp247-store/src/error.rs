//! What can go wrong in the store, in sentences that say what and where.
//!
//! Messages never contain case plaintext, sealed bytes, tokens or database passwords: a database
//! URL is shown without its user information, and row keys are ids (ticket ids, message ids,
//! sequence numbers), never titles or payloads.

use std::time::Duration;

/// Every error of the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database URL or an option is not usable.
    #[error("store configuration: {0}")]
    Config(String),

    /// A SQLite database is already open in another cp247 process (or another `Store` in this
    /// one): SQLite serves one process.
    #[error(
        "the SQLite database {path} is already in use by another cp247 process{holder}: a SQLite \
         store serves one process; stop the other one, or use PostgreSQL to run several"
    )]
    Locked {
        /// The database file.
        path: String,
        /// `" (pid N)"` when the holder wrote its process id into the lock file, else empty.
        holder: String,
    },

    /// The lock file next to a SQLite database could not be created or locked.
    #[error("cannot use the lock file {path}: {source}")]
    LockFile {
        /// The lock file.
        path: String,
        /// The operating-system error.
        source: std::io::Error,
    },

    /// The database could not be reached or opened.
    #[error("cannot connect to the {backend} database at {target}: {source}")]
    Connect {
        /// `SQLite` or `PostgreSQL`.
        backend: &'static str,
        /// Where, without user information.
        target: String,
        /// The driver's error.
        source: sqlx::Error,
    },

    /// Applying the embedded migrations failed.
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),

    /// A database operation failed.
    #[error("database error while {op}: {source}")]
    Database {
        /// What the store was doing.
        op: &'static str,
        /// The driver's error.
        source: sqlx::Error,
    },

    /// An operation took longer than the configured limit.
    #[error("the database did not answer within {after:?} while {op}")]
    Timeout {
        /// What the store was doing.
        op: &'static str,
        /// The limit.
        after: Duration,
    },

    /// A value handed to the store is larger than its configured limit.
    #[error("{what} is {size} bytes, more than the limit of {limit} bytes")]
    TooLarge {
        /// Which value.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },

    /// A value handed to the store is not acceptable.
    #[error("{what}: {reason}")]
    Invalid {
        /// Which value.
        what: &'static str,
        /// Why, in a sentence.
        reason: String,
    },

    /// A stored value does not parse: the database was changed outside cp247, or is damaged.
    #[error("stored {table}.{column} of {key} is invalid: {reason}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The column.
        column: &'static str,
        /// The row's key (an id, never plaintext).
        key: String,
        /// Why.
        reason: String,
    },

    /// The thing asked for does not exist, or the viewer may not see it (the same answer, so
    /// that ids cannot be probed).
    #[error("{what} {key} was not found")]
    NotFound {
        /// What kind of thing.
        what: &'static str,
        /// Its key.
        key: String,
    },

    /// The change conflicts with what is stored (a duplicate id, a state that moved on).
    #[error("{what} {key}: {reason}")]
    Conflict {
        /// What kind of thing.
        what: &'static str,
        /// Its key.
        key: String,
        /// Why, in a sentence.
        reason: String,
    },

    /// A delivery worker reported on an outbox entry it no longer holds (its lease expired and
    /// another worker claimed the entry, or the entry was settled meanwhile).
    #[error(
        "outbox entry {message_id} attempt {attempt} is no longer held by worker {worker}: its \
         lease expired or the entry was settled meanwhile"
    )]
    LeaseLost {
        /// The message.
        message_id: String,
        /// The attempt number the worker holds.
        attempt: u32,
        /// The worker.
        worker: String,
    },

    /// [`crate::Tx::commit`] was called on a unit of work in which a step had failed; everything
    /// was rolled back.
    #[error(
        "the unit of work was rolled back, not committed, because one of its steps failed \
         earlier"
    )]
    Aborted,

    /// The event cannot happen to the case in its state (`cp247_case::Case::record` refused
    /// it); nothing was written.
    #[error("ticket {ticket}: {error}")]
    Transition {
        /// The ticket.
        ticket: String,
        /// What the case refused, and why (with English and French messages).
        error: Box<cp247_case::TransitionError>,
    },

    /// A directory older than the stored one was offered (rollback).
    #[error(
        "directory serial {offered} is not newer than the stored serial {current}: a rollback \
         is refused"
    )]
    DirectoryRollback {
        /// The stored serial.
        current: u64,
        /// The offered serial.
        offered: u64,
    },
}

impl StoreError {
    /// A database error during `op`; unique-key violations become [`StoreError::Conflict`] only
    /// where the caller maps them (see [`is_unique_violation`]).
    pub(crate) fn db(op: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| StoreError::Database { op, source }
    }

    pub(crate) fn corrupt(
        table: &'static str,
        column: &'static str,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> StoreError {
        StoreError::Corrupt {
            table,
            column,
            key: key.into(),
            reason: reason.into(),
        }
    }

    pub(crate) fn invalid(what: &'static str, reason: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            what,
            reason: reason.into(),
        }
    }

    /// True when the error is the database refusing a duplicate key.
    pub fn is_conflict(&self) -> bool {
        matches!(self, StoreError::Conflict { .. })
    }
}

/// True when `e` is a unique-constraint or primary-key violation, on either backend.
pub(crate) fn is_unique_violation(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

/// Checks that `size` is within `limit`.
pub(crate) fn check_size(what: &'static str, size: usize, limit: usize) -> Result<(), StoreError> {
    if size > limit {
        Err(StoreError::TooLarge { what, size, limit })
    } else {
        Ok(())
    }
}

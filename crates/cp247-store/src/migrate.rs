//! The embedded migrations: one list per backend, applied in order, append-only.
//!
//! The two lists must have the same versions and descriptions; their SQL differs only where the
//! dialects must (byte type, trigger syntax). `tests/schema.rs` migrates an empty database of
//! each kind and compares the resulting schema with the committed snapshot and with each other.

use std::borrow::Cow;

use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AssertSqlSafe, SqlSafeStr};

use crate::options::Backend;

/// `(version, description, SQL)` of each SQLite migration.
const SQLITE: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/sqlite/0001_init.sql"),
    ),
    (
        2,
        "cases",
        include_str!("../migrations/sqlite/0002_cases.sql"),
    ),
    (
        4,
        "accounts",
        include_str!("../migrations/sqlite/0004_accounts.sql"),
    ),
    (
        5,
        "alerts",
        include_str!("../migrations/sqlite/0005_alerts.sql"),
    ),
    (
        6,
        "attachments",
        include_str!("../migrations/sqlite/0006_attachments.sql"),
    ),
    (
        7,
        "token policy",
        include_str!("../migrations/sqlite/0007_token_policy.sql"),
    ),
    (
        8,
        "sign_in_throttles",
        include_str!("../migrations/sqlite/0008_sign_in_throttles.sql"),
    ),
    (
        9,
        "refusal_tallies",
        include_str!("../migrations/sqlite/0009_refusal_tallies.sql"),
    ),
];

/// `(version, description, SQL)` of each PostgreSQL migration.
const POSTGRES: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "cases",
        include_str!("../migrations/postgres/0002_cases.sql"),
    ),
    (
        4,
        "accounts",
        include_str!("../migrations/postgres/0004_accounts.sql"),
    ),
    (
        5,
        "alerts",
        include_str!("../migrations/postgres/0005_alerts.sql"),
    ),
    (
        6,
        "attachments",
        include_str!("../migrations/postgres/0006_attachments.sql"),
    ),
    (
        7,
        "token policy",
        include_str!("../migrations/postgres/0007_token_policy.sql"),
    ),
    (
        8,
        "sign_in_throttles",
        include_str!("../migrations/postgres/0008_sign_in_throttles.sql"),
    ),
    (
        9,
        "refusal_tallies",
        include_str!("../migrations/postgres/0009_refusal_tallies.sql"),
    ),
];

/// The migrations of `backend`, in order.
pub(crate) fn list(backend: Backend) -> &'static [(i64, &'static str, &'static str)] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    SQLITE.iter().map(|(v, _, _)| *v).max().unwrap_or(0)
}

/// A migrator over the embedded migrations of `backend`.
pub(crate) fn migrator(backend: Backend) -> Migrator {
    let migrations = list(backend)
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                Cow::Borrowed(*description),
                MigrationType::Simple,
                // The text is part of the binary (include_str!), never built from input.
                AssertSqlSafe(*sql).into_sql_str(),
                false,
            )
        })
        .collect();
    Migrator::with_migrations(migrations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_migrations_in_order() {
        let s: Vec<_> = SQLITE.iter().map(|(v, d, _)| (*v, *d)).collect();
        let p: Vec<_> = POSTGRES.iter().map(|(v, d, _)| (*v, *d)).collect();
        assert_eq!(s, p);
        assert!(s.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(s.first().map(|x| x.0), Some(1));
        assert_eq!(latest_version(), s.last().map_or(0, |x| x.0));
    }
}

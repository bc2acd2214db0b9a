//! Migration 0007: tokens issued before it keep working for 90 days from the last moment the
//! database recorded anything, say they are legacy tokens, and keep their revocation.

use cp247_store::Backend;
use sqlx::{AssertSqlSafe, Executor, Row};

use crate::common::{Ctx, on_both};

/// 90 days in microseconds.
const NINETY_DAYS_US: i64 = 90 * 86_400 * 1_000_000;

async fn migration(ctx: Ctx) -> anyhow::Result<()> {
    let earlier: &[&str] = match ctx.backend {
        Backend::Sqlite => &[
            include_str!("../../migrations/sqlite/0001_init.sql"),
            include_str!("../../migrations/sqlite/0002_cases.sql"),
            include_str!("../../migrations/sqlite/0004_accounts.sql"),
            include_str!("../../migrations/sqlite/0005_alerts.sql"),
            include_str!("../../migrations/sqlite/0006_attachments.sql"),
        ],
        Backend::Postgres => &[
            include_str!("../../migrations/postgres/0001_init.sql"),
            include_str!("../../migrations/postgres/0002_cases.sql"),
            include_str!("../../migrations/postgres/0004_accounts.sql"),
            include_str!("../../migrations/postgres/0005_alerts.sql"),
            include_str!("../../migrations/postgres/0006_attachments.sql"),
        ],
    };
    let policy = match ctx.backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0007_token_policy.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0007_token_policy.sql"),
    };
    if let Some(path) = &ctx.path {
        std::fs::File::create(path)?;
    }
    let pool = ctx.raw().await;
    for sql in earlier {
        pool.execute(AssertSqlSafe(*sql)).await?;
    }
    // A node as 9c79c9f left it: an operator's admin token used lately, a machine officer
    // token, a revoked token of a person, and an audit log whose newest entry is the last
    // thing the node recorded.
    pool.execute(
        "INSERT INTO accounts (id, username, display_name, role, created_at_us) VALUES \
         (1, 'token-ops', 'ops', 'administrator', 5), \
         (2, 'token-cms', 'cms', 'officer', 6), \
         (3, 'alice', 'Alice', 'officer', 7)",
    )
    .await?;
    pool.execute(
        "INSERT INTO api_tokens (id, name, role, token_sha256, created_at_us, revoked_at_us, \
         last_used_at_us, account_id) VALUES \
         (1, 'ops', 'administrator', 'aa', 5, NULL, 3000000, 1), \
         (2, 'cms', 'officer', 'bb', 6, NULL, NULL, 2), \
         (3, 'alice-laptop', 'officer', 'cc', 7, 40, 30, 3)",
    )
    .await?;
    // Each entry follows the head, as the database requires.
    let zero = "0".repeat(64);
    for (seq, at_us, prev, hash) in [
        (1, 1_000_000, zero.as_str(), "h1"),
        (2, 2_000_000, "h1", "h2"),
    ] {
        pool.execute(AssertSqlSafe(format!(
            "INSERT INTO audit_log (seq, at_us, actor, action, ticket_id, result, details, \
             prev_hash, hash) VALUES ({seq}, {at_us}, 'node', 'checkpoint', NULL, 'ok', '{{}}', \
             '{prev}', '{hash}')"
        )))
        .await?;
        pool.execute(AssertSqlSafe(format!(
            "UPDATE audit_head SET seq = {seq}, hash = '{hash}' WHERE id = 1"
        )))
        .await?;
    }
    pool.execute(AssertSqlSafe(policy)).await?;
    let rows = sqlx::query(
        "SELECT t.id, t.name, a.role, a.username, t.expires_at_us, t.origin, t.issued_by, \
         t.revoked_at_us FROM api_tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.id",
    )
    .fetch_all(&pool)
    .await?;
    let got: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "{} {} {} {} {} {} {} {:?}",
                r.get::<i64, _>("id"),
                r.get::<String, _>("name"),
                r.get::<String, _>("role"),
                r.get::<String, _>("username"),
                r.get::<i64, _>("expires_at_us"),
                r.get::<String, _>("origin"),
                r.get::<String, _>("issued_by"),
                r.get::<Option<i64>, _>("revoked_at_us"),
            )
        })
        .collect();
    let legacy =
        |line: &str, exp: i64, rev: Option<i64>| format!("{line} {exp} legacy unrecorded {rev:?}");
    assert_eq!(
        got,
        vec![
            // Used after the newest audit entry: 90 days from that use.
            legacy(
                "1 ops administrator token-ops",
                3_000_000 + NINETY_DAYS_US,
                None
            ),
            // 90 days from the newest audit entry.
            legacy("2 cms officer token-cms", 2_000_000 + NINETY_DAYS_US, None),
            // Revoked stays revoked.
            legacy(
                "3 alice-laptop officer alice",
                2_000_000 + NINETY_DAYS_US,
                Some(40)
            ),
        ]
    );
    // The index the per-account listing uses exists.
    let n: i64 = match ctx.backend {
        Backend::Sqlite => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' \
                 AND name = 'api_tokens_by_account'",
            )
            .fetch_one(&pool)
            .await?
        }
        Backend::Postgres => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'api_tokens_by_account'",
            )
            .fetch_one(&pool)
            .await?
        }
    };
    assert_eq!(n, 1);
    pool.close().await;
    Ok(())
}
on_both!(
    tokens_issued_before_0007_expire_90_days_after_the_last_activity,
    migration
);

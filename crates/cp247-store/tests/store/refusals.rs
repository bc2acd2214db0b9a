//! Refused unauthenticated posts counted per (interval, source, code) (migration 0009, ADR
//! 0026): a thousand refusals from one source become one audit entry with their count once
//! the interval is over; the number of tallies per interval is capped, with one overflow; the
//! migration keeps what was stored before it.

use cp247_store::{
    AuditAction, AuditResult, Backend, GENESIS_HASH, OVERFLOW, RefusalPolicy, Refused, Store,
    Tallied, entry_hash,
};
use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Executor, Row};

use crate::common::{Ctx, on_both};

const POLICY: RefusalPolicy = RefusalPolicy {
    interval: SignedDuration::from_mins(10),
    max_tallies: 20,
};

/// The start of an interval: 2026-12-07 20:00 UTC.
fn start() -> Timestamp {
    "2026-12-07T20:00:00Z".parse().unwrap()
}

fn refused<'a>(source: &'a str, code: &'static str, at: Timestamp, n: usize) -> Refused<'a> {
    Refused {
        source,
        code,
        at,
        details: json!({ "code": code, "sealed_sha256": format!("{n:064x}"), "size": n }),
    }
}

async fn audit_rows(store: &Store) -> usize {
    store.audit_entries(0, 10_000).await.unwrap().len()
}

async fn one_source(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    // A thousand refused posts from one address within one interval (the injected times run
    // from 20:00:00 to 20:08:19).
    for i in 0..1000 {
        let at = start() + SignedDuration::from_millis(500 * i64::try_from(i)?);
        let outcome = store
            .tally_refusal(&refused("192.0.2.7", "not_openpgp", at, i), &POLICY)
            .await?;
        assert_eq!(
            outcome,
            if i == 0 {
                Tallied::New
            } else {
                Tallied::Counted
            }
        );
    }
    // Nothing in the log yet, one tally holding the count.
    assert_eq!(audit_rows(&store).await, 0);
    let pending = store.pending_refusals().await?;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].count, 1000);
    // Still inside the interval: nothing written.
    let inside = start() + SignedDuration::from_secs(599);
    assert!(store.flush_refusals(inside).await?.is_empty());
    assert_eq!(audit_rows(&store).await, 0);
    // Over: one entry with the count, and the tally is gone; a second flush writes nothing.
    let over = start() + POLICY.interval;
    let written = store.flush_refusals(over).await?;
    assert_eq!(written.len(), 1);
    let e = &written[0];
    assert_eq!(
        (e.action, e.result, e.actor.as_str()),
        (
            AuditAction::Reject,
            AuditResult::Denied,
            "unverified:192.0.2.7"
        )
    );
    let details: Value = serde_json::from_str(&e.details)?;
    assert_eq!(details["count"], 1000);
    assert_eq!(details["code"], "not_openpgp");
    assert_eq!(details["source"], "192.0.2.7");
    assert_eq!(details["interval_start"], "2026-12-07T20:00:00Z");
    assert_eq!(details["interval_end"], "2026-12-07T20:10:00Z");
    assert_eq!(details["first_at"], "2026-12-07T20:00:00Z");
    assert_eq!(details["last_at"], "2026-12-07T20:08:19.5Z");
    assert_eq!(details["first"]["size"], 0);
    assert!(store.pending_refusals().await?.is_empty());
    assert!(store.flush_refusals(over).await?.is_empty());
    assert_eq!(audit_rows(&store).await, 1);
    assert!(store.verify_chain(&[]).await?.is_intact());

    // The next interval starts a new tally; another code from the same source is its own.
    let next = over + SignedDuration::from_secs(1);
    store
        .tally_refusal(&refused("192.0.2.7", "not_openpgp", next, 0), &POLICY)
        .await?;
    store
        .tally_refusal(&refused("192.0.2.7", "too_large", next, 1), &POLICY)
        .await?;
    let written = store.flush_refusals(next + POLICY.interval).await?;
    let codes: Vec<(String, u64)> = written
        .iter()
        .map(|e| {
            let d: Value = serde_json::from_str(&e.details).unwrap();
            (
                d["code"].as_str().unwrap().to_owned(),
                d["count"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [("not_openpgp".to_owned(), 1), ("too_large".to_owned(), 1)]
    );
    Ok(())
}
on_both!(
    a_thousand_refusals_from_one_source_are_one_entry_with_their_count,
    one_source
);

async fn capped(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    // 50 sources, 3 posts each, in one interval, against a cap of 20 tallies.
    let sources: Vec<String> = (0..50).map(|i| format!("2001:db8:{i:x}::/64")).collect();
    let mut overflowed = 0;
    for round in 0..3 {
        for (i, s) in sources.iter().enumerate() {
            let at = start() + SignedDuration::from_secs(round * 60 + i64::try_from(i)?);
            if store
                .tally_refusal(&refused(s, "unknown_signer", at, i), &POLICY)
                .await?
                == Tallied::Overflow
            {
                overflowed += 1;
            }
        }
    }
    assert_eq!(overflowed, 30 * 3);
    let pending = store.pending_refusals().await?;
    assert_eq!(pending.len(), 21, "the cap and one overflow");
    let overflow = pending.last().unwrap();
    assert!(overflow.is_overflow());
    assert_eq!((overflow.source.as_str(), overflow.count), (OVERFLOW, 90));
    assert!(pending[..20].iter().all(|t| t.count == 3));
    let written = store.flush_refusals(start() + POLICY.interval).await?;
    assert_eq!(written.len(), 21);
    let last: Value = serde_json::from_str(&written[20].details)?;
    assert_eq!(last["overflow"], true);
    assert_eq!(last["count"], 90);
    assert_eq!(written[20].actor.as_str(), "unverified:overflow");
    let total: u64 = written
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(&e.details).unwrap()["count"]
                .as_u64()
                .unwrap()
        })
        .sum();
    assert_eq!(total, 150, "every refusal is counted once");
    Ok(())
}
on_both!(tallies_per_interval_are_capped_with_one_overflow, capped);

async fn concurrent(ctx: Ctx) -> anyhow::Result<()> {
    // Two flushers at once (two processes of one node): each tally is written once.
    let store = ctx.store().await;
    for i in 0..10 {
        store
            .tally_refusal(
                &refused(&format!("198.51.100.{i}"), "bad_signature", start(), i),
                &POLICY,
            )
            .await?;
    }
    let over = start() + POLICY.interval;
    let (a, b) = tokio::join!(store.flush_refusals(over), store.flush_refusals(over));
    let written = a?.len() + b?.len();
    assert_eq!(written, 10);
    assert_eq!(audit_rows(&store).await, 10);
    assert!(store.verify_chain(&[]).await?.is_intact());
    Ok(())
}
on_both!(concurrent_flushes_write_each_tally_once, concurrent);

/// Migration 0009 adds the tallies and keeps what was stored before it: an account and the
/// audit chain (an entry and the head) are unchanged, and the new table counts.
async fn migration_0009(ctx: Ctx) -> anyhow::Result<()> {
    let before: [&str; 7] = match ctx.backend {
        Backend::Sqlite => [
            include_str!("../../migrations/sqlite/0001_init.sql"),
            include_str!("../../migrations/sqlite/0002_cases.sql"),
            include_str!("../../migrations/sqlite/0004_accounts.sql"),
            include_str!("../../migrations/sqlite/0005_alerts.sql"),
            include_str!("../../migrations/sqlite/0006_attachments.sql"),
            include_str!("../../migrations/sqlite/0007_token_policy.sql"),
            include_str!("../../migrations/sqlite/0008_sign_in_throttles.sql"),
        ],
        Backend::Postgres => [
            include_str!("../../migrations/postgres/0001_init.sql"),
            include_str!("../../migrations/postgres/0002_cases.sql"),
            include_str!("../../migrations/postgres/0004_accounts.sql"),
            include_str!("../../migrations/postgres/0005_alerts.sql"),
            include_str!("../../migrations/postgres/0006_attachments.sql"),
            include_str!("../../migrations/postgres/0007_token_policy.sql"),
            include_str!("../../migrations/postgres/0008_sign_in_throttles.sql"),
        ],
    };
    let tallies = match ctx.backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0009_refusal_tallies.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0009_refusal_tallies.sql"),
    };
    if let Some(path) = &ctx.path {
        std::fs::File::create(path)?;
    }
    let pool = ctx.raw().await;
    for sql in before {
        pool.execute(AssertSqlSafe(sql)).await?;
    }
    // A refusal audited one by one, as before 0009, and an account.
    let details = r#"{"code":"not_openpgp","size":3}"#;
    let hash = entry_hash(
        1,
        7,
        "unverified:unknown",
        "reject",
        None,
        "denied",
        details,
        GENESIS_HASH,
    );
    pool.execute(AssertSqlSafe(format!(
        "INSERT INTO audit_log (seq, at_us, actor, action, ticket_id, result, details, \
         prev_hash, hash) VALUES (1, 7, 'unverified:unknown', 'reject', NULL, 'denied', \
         '{details}', '{GENESIS_HASH}', '{hash}')"
    )))
    .await?;
    pool.execute(AssertSqlSafe(format!(
        "UPDATE audit_head SET seq = 1, hash = '{hash}' WHERE id = 1"
    )))
    .await?;
    pool.execute(
        "INSERT INTO accounts (id, username, display_name, role, password_phc, totp_secret, \
         totp_last_step, lang, created_at_us) VALUES \
         (1, 'duty', 'Duty officer', 'officer', '$argon2id$x', 'sealed', NULL, NULL, 10)",
    )
    .await?;

    pool.execute(AssertSqlSafe(tallies)).await?;

    let row = sqlx::query("SELECT seq, actor, details, hash FROM audit_log")
        .fetch_one(&pool)
        .await?;
    assert_eq!(row.get::<i64, _>("seq"), 1);
    assert_eq!(row.get::<String, _>("actor"), "unverified:unknown");
    assert_eq!(row.get::<String, _>("details"), details);
    assert_eq!(row.get::<String, _>("hash"), hash);
    let head: String = sqlx::query_scalar("SELECT hash FROM audit_head WHERE id = 1")
        .fetch_one(&pool)
        .await?;
    assert_eq!(head, hash);
    let user: String = sqlx::query_scalar("SELECT username FROM accounts WHERE id = 1")
        .fetch_one(&pool)
        .await?;
    assert_eq!(user, "duty");
    // The new table starts empty and keys on (interval, source, code).
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM refusal_tallies")
        .fetch_one(&pool)
        .await?;
    assert_eq!(n, 0);
    let insert = "INSERT INTO refusal_tallies (interval_start_us, interval_us, source, code, \
                  count, first_at_us, last_at_us, first_details) \
                  VALUES (0, 600000000, '192.0.2.1', 'too_large', 1, 5, 5, '{}')";
    pool.execute(insert).await?;
    assert!(pool.execute(insert).await.is_err(), "one tally per key");
    pool.close().await;
    Ok(())
}
on_both!(
    migration_0009_adds_tallies_and_keeps_the_chain,
    migration_0009
);

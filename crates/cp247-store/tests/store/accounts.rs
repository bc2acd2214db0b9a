//! Accounts, recovery codes, one-use TOTP steps, stored seeds, sessions, and tokens that belong
//! to accounts; the migration of tokens issued before accounts existed, and the end of the
//! account lock (0008).

use cp247_store::{
    Actor, Backend, NewAccount, NewApiToken, Page, SessionLimits, SessionStage, StoreError,
    TokenOrigin, TokenRole,
};
use jiff::SignedDuration;
use sha2::{Digest, Sha256};
use sqlx::{AssertSqlSafe, Executor, Row};

use crate::common::{Ctx, at, on_both};

fn h(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn person(username: &str, role: &str) -> NewAccount {
    NewAccount {
        username: username.to_owned(),
        display_name: format!("{username} (display)"),
        role: TokenRole::parse(role).unwrap(),
        password_phc: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        totp_secret: Some("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP".to_owned()),
        recovery_codes: vec![h("code-one"), h("code-two")],
        created_at: at(0),
    }
}

const LIMITS: SessionLimits = SessionLimits {
    idle: SignedDuration::from_mins(30),
    absolute: SignedDuration::from_hours(12),
};

async fn accounts(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let new = person("alice", "officer");
    let debug = format!("{new:?}");
    assert!(
        !debug.contains("argon2") && !debug.contains("JBSWY3DP"),
        "{debug}"
    );
    let mut tx = store.begin().await?;
    let alice = tx.create_account(&new).await?;
    let bob = tx
        .create_account(&NewAccount {
            recovery_codes: vec![h("bob-code")],
            ..person("bob", "administrator")
        })
        .await?;
    tx.commit().await?;
    assert_eq!((alice.id, bob.id), (1, 2));
    assert!(alice.can_sign_in);

    let mut tx = store.begin().await?;
    let dup = tx
        .create_account(&person("alice", "officer"))
        .await
        .unwrap_err();
    assert!(dup.is_conflict(), "{dup:?}");
    drop(tx);

    let found = store.account_for_sign_in("alice").await?.unwrap();
    assert_eq!(found.password_phc, new.password_phc);
    assert_eq!(found.totp_secret, new.totp_secret);
    assert!(!format!("{found:?}").contains("argon2"));
    assert!(store.account_for_sign_in("nobody").await?.is_none());
    assert_eq!(store.account_named("bob").await?.id, bob.id);
    assert_eq!(store.accounts(Page::first(10)).await?.items.len(), 2);

    // The server's sealing of plain-text seeds: read by id, replaced only if unchanged.
    let seeds = store.totp_secrets_after(0, 10).await?;
    assert_eq!(seeds.len(), 2);
    assert_eq!(seeds[0].1, "alice");
    assert_eq!(store.totp_secrets_after(alice.id, 10).await?.len(), 1);
    assert!(
        store
            .replace_totp_secret(alice.id, &seeds[0].2, "sealed:v1:x:y")
            .await?
    );
    assert!(
        !store
            .replace_totp_secret(alice.id, &seeds[0].2, "sealed:v1:x:z")
            .await?,
        "a seed changed meanwhile is not replaced"
    );
    assert_eq!(
        store
            .account_for_sign_in("alice")
            .await?
            .unwrap()
            .totp_secret
            .as_deref(),
        Some("sealed:v1:x:y")
    );

    // A TOTP step is accepted once, and never an earlier one.
    assert!(store.use_totp_step(alice.id, 100).await?);
    assert!(!store.use_totp_step(alice.id, 100).await?);
    assert!(!store.use_totp_step(alice.id, 99).await?);
    assert!(store.use_totp_step(alice.id, 101).await?);

    // A recovery code works once, and only for its account.
    assert!(
        !store
            .use_recovery_code(bob.id, &h("code-one"), at(5))
            .await?
    );
    assert!(
        store
            .use_recovery_code(alice.id, &h("code-one"), at(5))
            .await?
    );
    assert!(
        !store
            .use_recovery_code(alice.id, &h("code-one"), at(6))
            .await?
    );
    assert_eq!(store.recovery_codes_left(alice.id).await?, 1);

    store.set_account_lang(alice.id, "fr").await?;
    assert_eq!(store.account(alice.id).await?.lang.as_deref(), Some("fr"));

    // Reset of the second factor: new secret and codes, old codes gone, sessions ended.
    store
        .create_session(&h("s-alice"), alice.id, SessionStage::SignedIn, at(10))
        .await?;
    let mut tx = store.begin().await?;
    tx.reset_mfa(
        alice.id,
        "NEWSECRETNEWSECRETNEWSECRET2",
        &[h("code-three")],
        at(20),
    )
    .await?;
    tx.commit().await?;
    let after = store.account_secrets(alice.id).await?;
    assert_eq!(
        after.totp_secret.as_deref(),
        Some("NEWSECRETNEWSECRETNEWSECRET2")
    );
    assert_eq!(after.totp_last_step, None);
    assert!(
        !store
            .use_recovery_code(alice.id, &h("code-two"), at(21))
            .await?
    );
    assert!(
        store
            .use_recovery_code(alice.id, &h("code-three"), at(21))
            .await?
    );
    assert!(
        store
            .touch_session(&h("s-alice"), at(22), LIMITS)
            .await?
            .is_none()
    );
    let mut tx = store.begin().await?;
    let err = tx.reset_mfa(99, "X", &[], at(1)).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    Ok(())
}
on_both!(accounts_codes_and_seeds, accounts);

async fn sessions(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut tx = store.begin().await?;
    let alice = tx.create_account(&person("alice", "officer")).await?;
    tx.commit().await?;
    store
        .create_session(&h("s1"), alice.id, SessionStage::SignedIn, at(0))
        .await?;
    let live = store
        .touch_session(&h("s1"), at(60), LIMITS)
        .await?
        .unwrap();
    assert_eq!(live.account.id, alice.id);
    assert_eq!(live.session.stage, SessionStage::SignedIn);
    assert!(
        store
            .touch_session(&h("unknown"), at(60), LIMITS)
            .await?
            .is_none()
    );

    // Idle timeout counts from the last use.
    let t = 60 + 29 * 60;
    assert!(
        store
            .touch_session(&h("s1"), at(t), LIMITS)
            .await?
            .is_some()
    );
    assert!(
        store
            .touch_session(&h("s1"), at(t + 30 * 60), LIMITS)
            .await?
            .is_none()
    );
    // Once ended, it stays ended.
    assert!(
        store
            .touch_session(&h("s1"), at(t + 1), LIMITS)
            .await?
            .is_none()
    );

    // The absolute timeout applies even to a busy session.
    store
        .create_session(&h("s2"), alice.id, SessionStage::SignedIn, at(0))
        .await?;
    let mut now = 0;
    while now < 12 * 3600 - 600 {
        now += 600;
        assert!(
            store
                .touch_session(&h("s2"), at(now), LIMITS)
                .await?
                .is_some(),
            "{now}"
        );
    }
    assert!(
        store
            .touch_session(&h("s2"), at(12 * 3600), LIMITS)
            .await?
            .is_none()
    );

    // Sign-out takes effect on the next request.
    store
        .create_session(&h("s3"), alice.id, SessionStage::SignedIn, at(0))
        .await?;
    store.end_session(&h("s3"), at(1)).await?;
    assert!(
        store
            .touch_session(&h("s3"), at(2), LIMITS)
            .await?
            .is_none()
    );

    // Disabling ends every session and the account's tokens.
    store
        .create_session(&h("s4"), alice.id, SessionStage::SignedIn, at(0))
        .await?;
    let mut tx = store.begin().await?;
    tx.create_api_token(&NewApiToken {
        name: "alice-laptop".into(),
        role: alice.role.clone(),
        account_id: Some(alice.id),
        token_sha256: h("tok"),
        created_at: at(0),
        expires_at: at(3600),
        origin: TokenOrigin::Session,
        issued_by: Actor::user("alice")?,
    })
    .await?;
    tx.commit().await?;
    let tok = store.verify_token(&h("tok"), at(1)).await?.unwrap();
    assert_eq!((tok.account_id, tok.role.as_str()), (alice.id, "officer"));
    let mut tx = store.begin().await?;
    let disabled = tx.disable_account(alice.id, at(5)).await?;
    tx.commit().await?;
    assert_eq!(disabled.disabled_at, Some(at(5)));
    assert!(
        store
            .touch_session(&h("s4"), at(6), LIMITS)
            .await?
            .is_none()
    );
    assert!(store.verify_token(&h("tok"), at(6)).await?.is_none());
    Ok(())
}
on_both!(sessions_time_out_and_end, sessions);

/// Tokens issued before migration 0004 get an API-only account each, with the same role
/// ('admin' becomes 'administrator'), and keep working.
async fn migration(ctx: Ctx) -> anyhow::Result<()> {
    let (init, accounts) = match ctx.backend {
        Backend::Sqlite => (
            include_str!("../../migrations/sqlite/0001_init.sql"),
            include_str!("../../migrations/sqlite/0004_accounts.sql"),
        ),
        Backend::Postgres => (
            include_str!("../../migrations/postgres/0001_init.sql"),
            include_str!("../../migrations/postgres/0004_accounts.sql"),
        ),
    };
    if let Some(path) = &ctx.path {
        std::fs::File::create(path)?;
    }
    let pool = ctx.raw().await;
    pool.execute(AssertSqlSafe(init)).await?;
    pool.execute(
        "INSERT INTO api_tokens (id, name, role, token_sha256, created_at_us) VALUES \
         (1, 'ops', 'admin', 'aa', 5), (2, 'desk', 'officer', 'bb', 6)",
    )
    .await?;
    pool.execute(AssertSqlSafe(accounts)).await?;
    let rows = sqlx::query(
        "SELECT a.username, a.role, t.name \
         FROM api_tokens t JOIN accounts a ON a.id = t.account_id ORDER BY t.id",
    )
    .fetch_all(&pool)
    .await?;
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r.get("username"), r.get("role"), r.get("name")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("token-ops".into(), "administrator".into(), "ops".into()),
            ("token-desk".into(), "officer".into(), "desk".into()),
        ]
    );
    pool.close().await;
    Ok(())
}
on_both!(tokens_issued_before_accounts_get_an_account, migration);

/// Migration 0008 replaces the account lock by throttles: accounts locked (and counting
/// failures) before it keep everything else and are locked no more; the throttle table starts
/// empty.
/// An account's columns after 0008: id, user name, role, password, seed, last step, language.
type Migrated = (
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    Option<String>,
);

async fn migration_0008(ctx: Ctx) -> anyhow::Result<()> {
    let before: [&str; 5] = match ctx.backend {
        Backend::Sqlite => [
            include_str!("../../migrations/sqlite/0001_init.sql"),
            include_str!("../../migrations/sqlite/0002_cases.sql"),
            include_str!("../../migrations/sqlite/0004_accounts.sql"),
            include_str!("../../migrations/sqlite/0005_alerts.sql"),
            include_str!("../../migrations/sqlite/0006_attachments.sql"),
        ],
        Backend::Postgres => [
            include_str!("../../migrations/postgres/0001_init.sql"),
            include_str!("../../migrations/postgres/0002_cases.sql"),
            include_str!("../../migrations/postgres/0004_accounts.sql"),
            include_str!("../../migrations/postgres/0005_alerts.sql"),
            include_str!("../../migrations/postgres/0006_attachments.sql"),
        ],
    };
    let throttles = match ctx.backend {
        Backend::Sqlite => include_str!("../../migrations/sqlite/0008_sign_in_throttles.sql"),
        Backend::Postgres => include_str!("../../migrations/postgres/0008_sign_in_throttles.sql"),
    };
    if let Some(path) = &ctx.path {
        std::fs::File::create(path)?;
    }
    let pool = ctx.raw().await;
    for sql in before {
        pool.execute(AssertSqlSafe(sql)).await?;
    }
    // The duty officer locked out by an attacker's five guesses, and a colleague with two
    // failures counted.
    pool.execute(
        "INSERT INTO accounts (id, username, display_name, role, password_phc, totp_secret, \
         totp_last_step, lang, failed_attempts, locked_until_us, created_at_us) VALUES \
         (1, 'duty', 'Duty officer', 'officer', '$argon2id$x', 'JBSWY3DPEHPK3PXP', 7, 'fr', 5, \
          4102444800000000, 10), \
         (2, 'colleague', 'Colleague', 'supervisor', '$argon2id$y', 'KRSXG5CTMVRXEZLU', NULL, \
          NULL, 2, NULL, 11)",
    )
    .await?;
    pool.execute(
        "INSERT INTO recovery_codes (account_id, code_sha256) VALUES (1, 'aa'), (2, 'bb')",
    )
    .await?;
    pool.execute(AssertSqlSafe(throttles)).await?;

    let rows = sqlx::query(
        "SELECT id, username, role, password_phc, totp_secret, totp_last_step, lang \
         FROM accounts ORDER BY id",
    )
    .fetch_all(&pool)
    .await?;
    let got: Vec<Migrated> = rows
        .iter()
        .map(|r| {
            (
                r.get("id"),
                r.get("username"),
                r.get("role"),
                r.get("password_phc"),
                r.get("totp_secret"),
                r.get("totp_last_step"),
                r.get("lang"),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                1,
                "duty".into(),
                "officer".into(),
                "$argon2id$x".into(),
                "JBSWY3DPEHPK3PXP".into(),
                Some(7),
                Some("fr".into())
            ),
            (
                2,
                "colleague".into(),
                "supervisor".into(),
                "$argon2id$y".into(),
                "KRSXG5CTMVRXEZLU".into(),
                None,
                None
            ),
        ]
    );
    // The lock columns are gone: nothing can lock an account any more.
    let err = pool
        .execute("SELECT locked_until_us FROM accounts")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("locked_until_us"), "{err}");
    assert!(
        pool.execute("SELECT failed_attempts FROM accounts")
            .await
            .is_err()
    );
    let codes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM recovery_codes")
        .fetch_one(&pool)
        .await?;
    assert_eq!(codes, 2);
    let throttles: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttles")
        .fetch_one(&pool)
        .await?;
    assert_eq!(throttles, 0);
    pool.close().await;
    Ok(())
}
on_both!(the_account_lock_ends_with_migration_0008, migration_0008);

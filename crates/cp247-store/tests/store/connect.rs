//! Connecting, durability settings, the one-process lock, health, restarts, bad URLs.

use cp247_domain::Urgency;
use cp247_store::{Backend, Store, StoreError, StoreOptions, Viewer, latest_version};

use crate::common::{Ctx, Ids, de, fr, on_both, ticket_with_message};

async fn durable_settings(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let d = store.diagnostics().await?;
    let get = |k: &str| {
        d.settings
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    match ctx.backend {
        Backend::Sqlite => {
            assert_eq!(get("journal_mode"), "wal");
            assert_eq!(get("synchronous"), "2", "synchronous=FULL");
            assert_eq!(get("foreign_keys"), "1");
            assert_eq!(get("busy_timeout"), "10000");
        }
        Backend::Postgres => {
            assert_eq!(get("statement_timeout"), "30s");
            assert_eq!(get("lock_timeout"), "30s");
            assert_eq!(get("TimeZone"), "UTC");
        }
    }
    assert!(!format!("{store:?}").contains("postgres://"));
    let h = store.health().await?;
    assert_eq!(h.backend, ctx.backend);
    assert_eq!(h.schema_version, latest_version());
    assert_eq!(h.expected_version, latest_version());
    Ok(())
}
on_both!(opens_with_durable_settings, durable_settings);

async fn restart(ctx: Ctx) -> anyhow::Result<()> {
    let mut ids = Ids::new(1);
    let store = ctx.store().await;
    let (t, m) = ticket_with_message(&store, &mut ids, de(), Urgency::Routine).await;
    store.close().await;
    drop(store);
    // Reopening migrates again (a no-op) and finds everything.
    let store = ctx.store().await;
    assert_eq!(store.find_ticket_for(Viewer::Local(fr()), &t).await?.id, t);
    assert_eq!(store.delivery_status(&m).await?.message_id, m);
    Ok(())
}
on_both!(data_survives_a_restart, restart);

#[tokio::test]
async fn a_second_process_on_the_same_sqlite_file_is_refused() {
    crate::common::run(crate::common::Kind::Sqlite, |ctx: Ctx| async move {
        let first = ctx.store().await;
        let err = Store::connect(&ctx.url, StoreOptions::default())
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
        assert!(
            text.contains("already in use by another cp247 process"),
            "{text}"
        );
        assert!(
            text.contains(&format!("pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("cp247.db"), "{text}");
        // The first store still works, and once it is gone the file can be opened again.
        first.health().await?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let db = ctx.path.clone().unwrap();
            let mode = std::fs::metadata(&db)?.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "the database holds case data: owner only");
            let wal = db.with_extension("db-wal");
            assert_eq!(std::fs::metadata(&wal)?.permissions().mode() & 0o777, 0o600);
        }
        first.close().await;
        drop(first);
        let again = ctx.store().await;
        again.health().await?;
        Ok(())
    })
    .await
}

#[tokio::test]
async fn bad_urls_are_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "mysql://u@h/db".to_owned(),
            "scheme 'mysql' is not supported",
        ),
        ("sqlite::memory:".to_owned(), "needs a file path"),
        ("sqlite://".to_owned(), "needs a file path"),
        (
            format!("sqlite://{}/x.db?mode=ro", dir.path().display()),
            "without ?parameters",
        ),
        (
            format!("sqlite://{}/missing/dir/x.db", dir.path().display()),
            "does not exist",
        ),
    ];
    for (url, expected) in cases {
        let err = Store::connect(&url, StoreOptions::default())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{url}: {err}");
    }
}

#[tokio::test]
async fn an_unreachable_postgres_names_the_target_but_not_the_password() {
    let opts = StoreOptions {
        acquire_timeout: std::time::Duration::from_secs(3),
        ..StoreOptions::default()
    };
    let err = Store::connect("postgres://cp247:hunter2@127.0.0.1:1/nodb", opts)
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
    assert!(
        text.contains("PostgreSQL database at 127.0.0.1:1/nodb"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

async fn edited_or_newer_schema(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    store.close().await;
    drop(store);
    // A released migration edited afterwards: refused, never silently re-applied.
    let checksum = match ctx.backend {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    ctx.exec(&format!(
        "UPDATE _sqlx_migrations SET checksum = {checksum} WHERE version = 1"
    ))
    .await?;
    let err = Store::connect(&ctx.url, StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Migrate(_)), "{err:?}");
    assert!(err.to_string().contains("modified"), "{err}");
    Ok(())
}
on_both!(an_edited_migration_is_refused, edited_or_newer_schema);

async fn newer_schema(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    store.close().await;
    drop(store);
    // A database already migrated by a newer cp247: this build refuses to run on it.
    let checksum = match ctx.backend {
        Backend::Sqlite => "X'00'",
        Backend::Postgres => "'\\x00'::bytea",
    };
    ctx.exec(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
         execution_time) VALUES (99, 'from the future', TRUE, {checksum}, 0)"
    ))
    .await?;
    let err = Store::connect(&ctx.url, StoreOptions::default())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Migrate(_)), "{err:?}");
    assert!(err.to_string().contains("99"), "{err}");
    Ok(())
}
on_both!(a_schema_from_a_newer_build_is_refused, newer_schema);

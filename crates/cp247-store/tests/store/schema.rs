//! The schema after migrating an empty database: a committed snapshot per backend, and the two
//! backends' schemas compared with each other (same tables, columns, nullability, keys,
//! indexes and protective triggers).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use cp247_store::{Backend, Store, StoreOptions};
use sqlx::{AnyPool, Row};

use crate::common::{Ctx, on_both};

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    name: String,
    ty: String,
    not_null: bool,
    pk: bool,
}

#[derive(Debug, Default, PartialEq, Eq)]
struct Schema {
    tables: BTreeMap<String, Vec<Column>>,
    /// (table, unique, columns, name — `<implicit>` for key indexes the database names itself)
    indexes: BTreeSet<(String, bool, String, String)>,
    /// (trigger, table)
    triggers: BTreeSet<(String, String)>,
}

impl Schema {
    fn render(&self) -> String {
        let mut out = String::new();
        for (table, cols) in &self.tables {
            writeln!(out, "table {table}").unwrap();
            for c in cols {
                writeln!(
                    out,
                    "  {} {}{}{}",
                    c.name,
                    c.ty,
                    if c.not_null { " not null" } else { "" },
                    if c.pk { " primary key" } else { "" }
                )
                .unwrap();
            }
            for (t, unique, cols, name) in &self.indexes {
                if t == table {
                    let kind = if *unique { "unique index" } else { "index" };
                    writeln!(out, "  {kind} {name} ({cols})").unwrap();
                }
            }
            for (trigger, t) in &self.triggers {
                if t == table {
                    writeln!(out, "  trigger {trigger}").unwrap();
                }
            }
        }
        out
    }

    /// The schema with the differences the two dialects must have taken out.
    fn logical(&self) -> Schema {
        Schema {
            tables: self
                .tables
                .iter()
                .map(|(t, cols)| {
                    let cols = cols
                        .iter()
                        .map(|c| Column {
                            ty: match c.ty.as_str() {
                                "bytea" => "blob".to_owned(),
                                other => other.to_owned(),
                            },
                            ..c.clone()
                        })
                        .collect();
                    (t.clone(), cols)
                })
                .collect(),
            indexes: self.indexes.clone(),
            // TRUNCATE exists only on PostgreSQL, and so do its refusals.
            triggers: self
                .triggers
                .iter()
                .filter(|(name, _)| !name.ends_with("_no_truncate"))
                .cloned()
                .collect(),
        }
    }
}

async fn dump(pool: &AnyPool, backend: Backend) -> Schema {
    let mut s = Schema::default();
    match backend {
        Backend::Sqlite => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for t in tables {
                let rows = sqlx::query(
                    "SELECT name, type, \"notnull\" AS nn, pk FROM pragma_table_info($1) \
                     ORDER BY cid",
                )
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap();
                let cols = rows
                    .iter()
                    .map(|r| Column {
                        name: r.get("name"),
                        ty: r.get::<String, _>("type").to_lowercase(),
                        // SQLite lets a PRIMARY KEY column hold NULL unless NOT NULL says so;
                        // every key column here says so.
                        not_null: r.get::<i64, _>("nn") == 1,
                        pk: r.get::<i64, _>("pk") > 0,
                    })
                    .collect();
                s.tables.insert(t.clone(), cols);
                let idx = sqlx::query(
                    "SELECT name, \"unique\" AS u FROM pragma_index_list($1) ORDER BY name",
                )
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap();
                for r in idx {
                    let name: String = r.get("name");
                    let unique = r.get::<i64, _>("u") == 1;
                    let cols: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_index_info($1) ORDER BY seqno")
                            .bind(&name)
                            .fetch_all(pool)
                            .await
                            .unwrap();
                    let name = if name.starts_with("sqlite_autoindex_") {
                        "<implicit>".to_owned()
                    } else {
                        name
                    };
                    s.indexes.insert((t.clone(), unique, cols.join(", "), name));
                }
            }
            let triggers = sqlx::query(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for r in triggers {
                s.triggers.insert((r.get("name"), r.get("tbl_name")));
            }
        }
        Backend::Postgres => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
                 AND table_name <> '_sqlx_migrations' ORDER BY 1",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for t in tables {
                let pk: Vec<String> = sqlx::query_scalar(
                    "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a \
                     ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) \
                     WHERE i.indrelid = $1::regclass AND i.indisprimary",
                )
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap();
                let rows = sqlx::query(
                    "SELECT column_name::text AS name, data_type::text AS ty, \
                     is_nullable::text AS nullable FROM information_schema.columns \
                     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                )
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap();
                let cols = rows
                    .iter()
                    .map(|r| {
                        let name: String = r.get("name");
                        Column {
                            pk: pk.contains(&name),
                            ty: r.get::<String, _>("ty").to_lowercase(),
                            not_null: r.get::<String, _>("nullable") == "NO",
                            name,
                        }
                    })
                    .collect();
                s.tables.insert(t.clone(), cols);
                let idx = sqlx::query(
                    "SELECT ic.relname::text AS name, \
                     (CASE WHEN ix.indisunique THEN 1 ELSE 0 END)::bigint AS u, \
                     (CASE WHEN ix.indisprimary OR con.oid IS NOT NULL THEN 1 ELSE 0 END)::bigint \
                     AS implicit, pg_get_indexdef(ix.indexrelid)::text AS def \
                     FROM pg_index ix JOIN pg_class ic ON ic.oid = ix.indexrelid \
                     LEFT JOIN pg_constraint con ON con.conindid = ix.indexrelid \
                     WHERE ix.indrelid = $1::regclass ORDER BY 1",
                )
                .bind(&t)
                .fetch_all(pool)
                .await
                .unwrap();
                for r in idx {
                    let def: String = r.get("def");
                    let cols = def
                        .rsplit_once('(')
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map(|(cols, _)| cols.to_owned())
                        .unwrap();
                    let name = if r.get::<i64, _>("implicit") == 1 {
                        "<implicit>".to_owned()
                    } else {
                        r.get("name")
                    };
                    s.indexes
                        .insert((t.clone(), r.get::<i64, _>("u") == 1, cols, name));
                }
            }
            let triggers = sqlx::query(
                "SELECT t.tgname::text AS name, c.relname::text AS tbl FROM pg_trigger t \
                 JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n \
                 ON n.oid = c.relnamespace WHERE NOT t.tgisinternal AND n.nspname = 'public'",
            )
            .fetch_all(pool)
            .await
            .unwrap();
            for r in triggers {
                s.triggers.insert((r.get("name"), r.get("tbl")));
            }
        }
    }
    s
}

async fn snapshot(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let pool = ctx.raw().await;
    let schema = dump(&pool, ctx.backend).await;
    pool.close().await;
    assert_eq!(schema.tables.len(), 22, "{:?}", schema.tables.keys());
    match ctx.backend {
        Backend::Sqlite => insta::assert_snapshot!("schema_sqlite", schema.render()),
        Backend::Postgres => {
            insta::assert_snapshot!("schema_postgres", schema.render());
            // Against a fresh SQLite database, migrated by the same build.
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("cmp.db").display());
            let sqlite = Store::connect(&url, StoreOptions::default()).await?;
            let raw = sqlx::any::AnyPoolOptions::new()
                .max_connections(1)
                .connect(&url)
                .await?;
            let other = dump(&raw, Backend::Sqlite).await;
            raw.close().await;
            sqlite.close().await;
            let (pg, sq) = (schema.logical(), other.logical());
            assert_eq!(
                pg.tables, sq.tables,
                "tables and columns differ between backends"
            );
            assert_eq!(pg.indexes, sq.indexes, "indexes differ between backends");
            assert_eq!(
                pg.triggers, sq.triggers,
                "protective triggers differ between backends"
            );
        }
    }
    // Migrating again is a no-op.
    store.close().await;
    drop(store);
    let again = ctx.store().await;
    assert_eq!(
        again.health().await?.schema_version,
        cp247_store::latest_version()
    );
    Ok(())
}
on_both!(the_migrated_schema_matches_the_snapshot, snapshot);

//! The [`Store`]: connecting, migrating, the one-process lock of SQLite, units of work.

use std::fmt;
use std::fs::File;
use std::future::Future;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AssertSqlSafe, Executor, Row, Transaction};
use sqlx::{AnyConnection, AnyPool};

use crate::error::StoreError;
use crate::migrate;
use crate::options::{Backend, Page, StoreOptions};

/// The node's durable storage, on SQLite or PostgreSQL (see the crate documentation).
///
/// Cloning is cheap and shares the pool. Each read method runs on its own; each business step
/// runs in one [`Tx`] from [`Store::begin`], committed as a whole or not at all.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    pool: AnyPool,
    backend: Backend,
    opts: StoreOptions,
    target: String,
    // Held for the life of the store: SQLite serves one process.
    _lock: Option<File>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.inner.backend)
            .field("target", &self.inner.target)
            .finish_non_exhaustive()
    }
}

/// The settings in force on a connection of the store, for `cp247 doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostics {
    /// The backend.
    pub backend: Backend,
    /// Where (a SQLite path, or host:port/database — never credentials).
    pub target: String,
    /// `(setting, value)` pairs: SQLite `journal_mode`, `synchronous`, `foreign_keys`,
    /// `busy_timeout`; PostgreSQL `server_version`, `statement_timeout`, `lock_timeout`,
    /// `idle_in_transaction_session_timeout`, `TimeZone`.
    pub settings: Vec<(String, String)>,
}

/// What [`Store::health`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// The backend.
    pub backend: Backend,
    /// The newest applied migration.
    pub schema_version: i64,
    /// The newest migration this build knows; equal to `schema_version` on a healthy node.
    pub expected_version: i64,
}

impl Store {
    /// Opens the database at `url`, applies the embedded migrations, and returns the store.
    ///
    /// - `sqlite://PATH` (or `sqlite:PATH`): the file is created if missing, in WAL mode with
    ///   `synchronous=FULL` (a commit is on disk when `commit` returns), foreign keys on and a
    ///   busy timeout. A lock file `PATH.lock` is held while the store lives, so a second
    ///   process (or a second `Store` on the same file) gets [`StoreError::Locked`].
    /// - `postgres://…` / `postgresql://…`: a pool with statement, lock and idle-transaction
    ///   timeouts; several processes may share the database.
    pub async fn connect(url: &str, opts: StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let (backend, any_url, target, lock) = if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = sqlite_path(rest)?;
            let lock = lock_sqlite(&path)?;
            create_private(&path)?;
            let any_url = format!("sqlite://{}?mode=rwc", percent_encode_path(&path)?);
            (
                Backend::Sqlite,
                any_url,
                path.display().to_string(),
                Some(lock),
            )
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let parsed = url::Url::parse(url).map_err(|e| {
                StoreError::Config(format!("the PostgreSQL URL does not parse: {e}"))
            })?;
            let target = format!(
                "{}:{}{}",
                parsed.host_str().unwrap_or("localhost"),
                parsed.port().unwrap_or(5432),
                parsed.path()
            );
            (Backend::Postgres, url.to_owned(), target, None)
        } else {
            let scheme = url.split(':').next().unwrap_or_default();
            return Err(StoreError::Config(format!(
                "the database URL scheme '{}' is not supported: use sqlite://PATH or \
                 postgres://USER@HOST:PORT/DATABASE",
                crate::codec::bounded_text(scheme, 40)
            )));
        };

        let connect_options: AnyConnectOptions =
            any_url
                .parse()
                .map_err(|e: sqlx::Error| StoreError::Connect {
                    backend: backend.name(),
                    target: target.clone(),
                    source: e,
                })?;
        let max = match backend {
            Backend::Sqlite => opts.max_connections.clamp(1, 4),
            Backend::Postgres => opts.max_connections.max(1),
        };
        let statement_ms = millis(opts.statement_timeout);
        let busy_ms = millis(opts.busy_timeout);
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(opts.acquire_timeout)
            .after_connect(move |conn, _meta| {
                Box::pin(async move { configure(conn, backend, statement_ms, busy_ms).await })
            })
            .connect_with(connect_options)
            .await
            .map_err(|e| StoreError::Connect {
                backend: backend.name(),
                target: target.clone(),
                source: e,
            })?;

        migrate::migrator(backend).run(&pool).await?;

        tracing::info!(backend = backend.name(), target = %target, "store opened");
        Ok(Store {
            inner: Arc::new(Inner {
                pool,
                backend,
                opts,
                target,
                _lock: lock,
            }),
        })
    }

    /// Advice on how the node reaches its database, for `cp247 doctor`: `Some(sentence)` when
    /// the URL is PostgreSQL over TCP. sqlx 0.9.0 does not set `TCP_NODELAY`, so small writes
    /// wait for the server's delayed ACK (about 40 ms on Linux; measured in
    /// docs/performance.md); a co-located server is better reached over its Unix socket.
    pub fn transport_advice(url: &str) -> Option<String> {
        use std::str::FromStr;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return None;
        }
        let opts = sqlx::postgres::PgConnectOptions::from_str(url).ok()?;
        if opts.get_socket().is_some() || opts.get_host().starts_with('/') {
            return None;
        }
        let host = opts.get_host();
        let local = matches!(host, "localhost" | "::1" | "[::1]") || host.starts_with("127.");
        Some(if local {
            format!(
                "the database is PostgreSQL over TCP on {host}: each query may wait about 40 ms \
                 for a delayed ACK (the database library does not set TCP_NODELAY); use the Unix \
                 socket instead, e.g. postgres://USER@localhost/DATABASE?host=/var/run/postgresql"
            )
        } else {
            format!(
                "the database is PostgreSQL over TCP on {host}: each query may wait about 40 ms \
                 for a delayed ACK (the database library does not set TCP_NODELAY); expect \
                 slower deliveries until the library is updated"
            )
        })
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.inner.backend
    }

    /// The options in force.
    pub fn options(&self) -> &StoreOptions {
        &self.inner.opts
    }

    /// Closes the pool and, for SQLite, releases the lock once every clone is dropped.
    pub async fn close(&self) {
        self.inner.pool.close().await;
    }

    /// Checks that the database answers and has the schema this build expects (for `/readyz`).
    pub async fn health(&self) -> Result<Health, StoreError> {
        self.timed("checking health", async {
            let mut conn = self.conn("checking health").await?;
            let row = sqlx::query(
                "SELECT COALESCE(MAX(version), 0) AS v FROM _sqlx_migrations WHERE success",
            )
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::db("reading the schema version"))?;
            let schema_version: i64 = row
                .try_get("v")
                .map_err(StoreError::db("reading the schema version"))?;
            Ok(Health {
                backend: self.inner.backend,
                schema_version,
                expected_version: migrate::latest_version(),
            })
        })
        .await
    }

    /// The settings in force on one of the store's connections (durability, timeouts).
    pub async fn diagnostics(&self) -> Result<Diagnostics, StoreError> {
        let op = "reading the database settings";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let mut settings = Vec::new();
            match self.inner.backend {
                Backend::Sqlite => {
                    for (name, sql) in [
                        ("journal_mode", "PRAGMA journal_mode"),
                        ("synchronous", "PRAGMA synchronous"),
                        ("foreign_keys", "PRAGMA foreign_keys"),
                        ("busy_timeout", "PRAGMA busy_timeout"),
                    ] {
                        let row = sqlx::query(sql)
                            .fetch_one(&mut *conn)
                            .await
                            .map_err(StoreError::db(op))?;
                        let value = row
                            .try_get::<String, _>(0)
                            .or_else(|_| row.try_get::<i64, _>(0).map(|v| v.to_string()))
                            .map_err(StoreError::db(op))?;
                        settings.push((name.to_owned(), value));
                    }
                }
                Backend::Postgres => {
                    for name in [
                        "server_version",
                        "statement_timeout",
                        "lock_timeout",
                        "idle_in_transaction_session_timeout",
                        "TimeZone",
                    ] {
                        let value: String = sqlx::query_scalar("SELECT current_setting($1)")
                            .bind(name)
                            .fetch_one(&mut *conn)
                            .await
                            .map_err(StoreError::db(op))?;
                        settings.push((name.to_owned(), value));
                    }
                }
            }
            Ok(Diagnostics {
                backend: self.inner.backend,
                target: self.inner.target.clone(),
                settings,
            })
        })
        .await
    }

    /// Starts a unit of work. On SQLite the write lock is taken at once (`BEGIN IMMEDIATE`), so
    /// a read followed by a write never fails half-way; on PostgreSQL it is a READ COMMITTED
    /// transaction whose writes lock the rows they touch.
    ///
    /// Dropping the [`Tx`] without [`Tx::commit`] rolls everything back.
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        let op = "starting a transaction";
        let tx = self
            .timed(op, async {
                match self.inner.backend {
                    Backend::Sqlite => self.inner.pool.begin_with("BEGIN IMMEDIATE").await,
                    Backend::Postgres => self.inner.pool.begin().await,
                }
                .map_err(StoreError::db(op))
            })
            .await?;
        Ok(Tx {
            tx,
            store: self.clone(),
            failed: false,
        })
    }

    /// A pooled connection for a read.
    pub(crate) async fn conn(
        &self,
        op: &'static str,
    ) -> Result<sqlx::pool::PoolConnection<Any>, StoreError> {
        self.inner.pool.acquire().await.map_err(StoreError::db(op))
    }

    /// Runs `fut` within the operation time limit.
    pub(crate) async fn timed<T>(
        &self,
        op: &'static str,
        fut: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let after = self.inner.opts.statement_timeout;
        tokio::time::timeout(after, fut)
            .await
            .map_err(|_| StoreError::Timeout { op, after })?
    }

    /// `(limit, offset)` of `page`, with the limit capped.
    pub(crate) fn page_bounds(&self, page: Page) -> (i64, i64) {
        let limit = page.limit.clamp(1, self.inner.opts.max_page);
        (
            i64::from(limit),
            i64::try_from(page.offset).unwrap_or(i64::MAX),
        )
    }
}

/// One unit of work: everything done through it commits together or not at all.
///
/// Obtain one with [`Store::begin`], call the write methods (tickets, messages and outbox,
/// inbox, audit), then [`Tx::commit`]. An error from any method leaves the transaction unusable
/// on PostgreSQL: drop it (which rolls back) and report the error.
pub struct Tx {
    pub(crate) tx: Transaction<'static, Any>,
    pub(crate) store: Store,
    failed: bool,
}

impl fmt::Debug for Tx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tx")
            .field("backend", &self.store.inner.backend)
            .finish_non_exhaustive()
    }
}

impl Tx {
    /// Makes every change of this unit of work durable.
    ///
    /// If any write step of the unit of work failed, nothing is committed: the transaction is rolled
    /// back and the answer is [`StoreError::Aborted`], so a half-done step can never be made
    /// durable by mistake.
    pub async fn commit(self) -> Result<(), StoreError> {
        let op = "committing a transaction";
        if self.failed {
            self.tx
                .rollback()
                .await
                .map_err(StoreError::db("rolling back a failed transaction"))?;
            return Err(StoreError::Aborted);
        }
        self.store
            .clone()
            .timed(op, async {
                self.tx.commit().await.map_err(StoreError::db(op))
            })
            .await
    }

    /// Discards every change of this unit of work.
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.tx
            .rollback()
            .await
            .map_err(StoreError::db("rolling back a transaction"))
    }

    /// The store this unit of work belongs to.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn conn(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }

    /// Remembers a failed write step, so that [`Tx::commit`] refuses. (Reads do not call it: a
    /// ticket that is not found changes nothing.)
    pub(crate) fn track<T>(&mut self, r: Result<T, StoreError>) -> Result<T, StoreError> {
        if r.is_err() {
            self.failed = true;
        }
        r
    }
}

/// A page of `items` fetched with `limit`: a full page may have a successor.
pub(crate) fn paged<T>(items: Vec<T>, page: Page, limit: i64) -> crate::options::Paged<T> {
    let full = i64::try_from(items.len()).unwrap_or(i64::MAX) >= limit;
    let next = full.then(|| Page {
        offset: page
            .offset
            .saturating_add(u64::try_from(limit).unwrap_or(0)),
        limit: page.limit,
    });
    crate::options::Paged { items, next }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// Per-connection settings.
async fn configure(
    conn: &mut AnyConnection,
    backend: Backend,
    statement_ms: u64,
    busy_ms: u64,
) -> Result<(), sqlx::Error> {
    // The numbers are formatted from integers: no input reaches these statements.
    let statements: Vec<String> = match backend {
        Backend::Sqlite => vec![
            format!("PRAGMA busy_timeout = {busy_ms}"),
            "PRAGMA journal_mode = WAL".to_owned(),
            "PRAGMA synchronous = FULL".to_owned(),
            "PRAGMA foreign_keys = ON".to_owned(),
        ],
        Backend::Postgres => vec![
            format!("SET statement_timeout = {statement_ms}"),
            format!("SET lock_timeout = {statement_ms}"),
            format!(
                "SET idle_in_transaction_session_timeout = {}",
                statement_ms.saturating_mul(4)
            ),
            "SET TIME ZONE 'UTC'".to_owned(),
        ],
    };
    for sql in statements {
        conn.execute(AssertSqlSafe(sql)).await?;
    }
    Ok(())
}

/// The absolute path of a SQLite database named in a URL (query parameters are refused).
fn sqlite_path(rest: &str) -> Result<PathBuf, StoreError> {
    if rest.contains('?') || rest.contains('#') {
        return Err(StoreError::Config(
            "a sqlite:// URL takes a file path only, without ?parameters: cp247 sets the SQLite \
             options itself"
                .to_owned(),
        ));
    }
    if rest.is_empty() || rest == ":memory:" {
        return Err(StoreError::Config(
            "a sqlite:// URL needs a file path (e.g. sqlite:///var/lib/cp247/cp247.db): an \
             in-memory database would lose every message on restart"
                .to_owned(),
        ));
    }
    std::path::absolute(Path::new(rest)).map_err(|e| {
        StoreError::Config(format!(
            "the SQLite path '{rest}' cannot be made absolute: {e}"
        ))
    })
}

/// Percent-encodes a path for a `sqlite://` URL (sqlx decodes it again).
fn percent_encode_path(path: &Path) -> Result<String, StoreError> {
    let text = path.to_str().ok_or_else(|| {
        StoreError::Config(format!(
            "the SQLite path {} is not valid UTF-8",
            path.display()
        ))
    })?;
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Ok(out)
}

/// Creates the database file, readable by its owner only, if it does not exist (SQLite gives its
/// `-wal` and `-shm` files the same permissions).
fn create_private(path: &Path) -> Result<(), StoreError> {
    let mut options = File::options();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Config(format!(
            "cannot create the SQLite database {}: {e}",
            path.display()
        ))),
    }
}

/// Takes the exclusive lock file next to a SQLite database, recording our process id in it.
fn lock_sqlite(db: &Path) -> Result<File, StoreError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let path = PathBuf::from(name);
    let shown = path.display().to_string();
    let io_err = |source| StoreError::LockFile {
        path: shown.clone(),
        source,
    };
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
        && !dir.exists()
    {
        return Err(StoreError::Config(format!(
            "the directory {} of the SQLite database does not exist",
            dir.display()
        )));
    }
    let mut options = File::options();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).map_err(io_err)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            // At most 32 bytes: the holder wrote a decimal pid.
            let _ = (&file).take(32).read_to_string(&mut text);
            let holder = text
                .trim()
                .parse::<u32>()
                .map(|pid| format!(" (pid {pid})"))
                .unwrap_or_default();
            return Err(StoreError::Locked {
                path: db.display().to_string(),
                holder,
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io_err(e)),
    }
    file.set_len(0).map_err(io_err)?;
    file.seek(SeekFrom::Start(0)).map_err(io_err)?;
    write!(file, "{}", std::process::id()).map_err(io_err)?;
    file.sync_all().map_err(io_err)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_are_paths_without_parameters() {
        assert!(sqlite_path("/tmp/x.db").is_ok());
        assert!(sqlite_path("/tmp/x.db?mode=ro").is_err());
        assert!(sqlite_path(":memory:").is_err());
        assert!(sqlite_path("").is_err());
        assert!(sqlite_path("rel.db").unwrap().is_absolute());
    }

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(
            percent_encode_path(Path::new("/a b/c?d#e%.db")).unwrap(),
            "/a%20b/c%3Fd%23e%25.db"
        );
    }

    #[test]
    fn postgresql_over_tcp_gets_advice_and_the_unix_socket_none() {
        let local = Store::transport_advice("postgres://postgres@127.0.0.1:5432/test").unwrap();
        assert!(local.contains("Unix socket"), "{local}");
        let remote = Store::transport_advice("postgresql://u@db.example:5432/x").unwrap();
        assert!(
            remote.contains("db.example") && !remote.contains("Unix"),
            "{remote}"
        );
        assert_eq!(
            Store::transport_advice("postgres://postgres@localhost/test?host=/var/run/postgresql"),
            None
        );
        assert_eq!(Store::transport_advice("/var/lib/cp247/node.db"), None);
    }
}

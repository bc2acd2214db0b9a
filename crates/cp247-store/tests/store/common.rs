//! The two-backend harness and fixtures.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, Backend, CaseText, IncomingMessage, MessageType,
    NewTicket, OurRole, OutgoingMessage, Store, StoreOptions, TicketKind, TicketState,
};
use jiff::Timestamp;
use rand::{Rng, SeedableRng};
use sqlx::{AnyPool, AssertSqlSafe, Connection, Executor};

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

/// What a test body gets: where its fresh database is.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub url: String,
    pub backend: Backend,
    /// The SQLite file (SQLite only).
    pub path: Option<PathBuf>,
    _dir: Option<Arc<tempfile::TempDir>>,
}

impl Ctx {
    /// A store on the test database, with default options.
    pub async fn store(&self) -> Store {
        self.store_with(StoreOptions::default()).await
    }

    pub async fn store_with(&self, opts: StoreOptions) -> Store {
        Store::connect(&self.url, opts).await.expect("connect")
    }

    /// A raw pool on the same database, bypassing the store (to tamper with it as an attacker
    /// with database access would).
    pub async fn raw(&self) -> AnyPool {
        sqlx::any::install_default_drivers();
        let url = match &self.path {
            Some(p) => format!("sqlite://{}", p.display()),
            None => self.url.clone(),
        };
        sqlx::any::AnyPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("raw connect")
    }

    /// Runs `sql` on a raw connection.
    pub async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        let pool = self.raw().await;
        let r = pool
            .execute(AssertSqlSafe(sql.to_owned()))
            .await
            .map(|_| ());
        pool.close().await;
        r
    }
}

#[allow(clippy::disallowed_methods)] // tests read the test database's URL from the environment
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn in_ci() -> bool {
    env("CI").as_deref() == Some("true")
}

fn pg_unavailable(why: &str) {
    if in_ci() {
        panic!(
            "PostgreSQL tests cannot run under CI=true: {why}. Set CP247_TEST_PG_URL to a \
             reachable server (e.g. postgres://postgres@127.0.0.1:5432/test)."
        );
    }
    // Written to the process's stderr directly, not through the test harness's capture, so
    // that the notice shows even when the test passes.
    use std::io::Write as _;
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
         !!! SKIPPED the PostgreSQL run of this test: {why}.\n\
         !!! Only SQLite was tested. Under CI=true this is a failure.\n\
         !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
    );
}

/// The admin URL and a URL for database `name` on the same server.
fn pg_urls(base: &str, name: &str) -> String {
    let mut url = url::Url::parse(base).expect("CP247_TEST_PG_URL parses");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// Creates a fresh PostgreSQL database, or `None` when PostgreSQL is not available (outside CI).
async fn fresh_pg() -> Option<(String, String, String)> {
    sqlx::any::install_default_drivers();
    let Some(base) = env("CP247_TEST_PG_URL") else {
        pg_unavailable("CP247_TEST_PG_URL is not set");
        return None;
    };
    let mut admin = match sqlx::AnyConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => {
            pg_unavailable(&format!(
                "the server at CP247_TEST_PG_URL is unreachable ({e})"
            ));
            return None;
        }
    };
    let name = format!("cp247_t_{:016x}", rand::rng().random::<u64>());
    admin
        .execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create the test database");
    admin.close().await.ok();
    let url = pg_urls(&base, &name);
    Some((base, name, url))
}

async fn drop_pg(base: &str, name: &str) {
    if let Ok(mut admin) = sqlx::AnyConnection::connect(base).await {
        let _ = admin
            .execute(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .await;
        admin.close().await.ok();
    }
}

/// Runs `body` on a fresh database of `kind`, cleans up, then reports the body's failure.
pub async fn run<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("cp247.db");
            let ctx = Ctx {
                url: format!("sqlite://{}", path.display()),
                backend: Backend::Sqlite,
                path: Some(path),
                _dir: Some(Arc::new(dir)),
            };
            let outcome = tokio::spawn(body(ctx)).await;
            report(outcome);
        }
        Kind::Postgres => {
            let Some((base, name, url)) = fresh_pg().await else {
                return;
            };
            let ctx = Ctx {
                url,
                backend: Backend::Postgres,
                path: None,
                _dir: None,
            };
            let outcome = tokio::spawn(body(ctx)).await;
            drop_pg(&base, &name).await;
            report(outcome);
        }
    }
}

fn report(outcome: Result<anyhow::Result<()>, tokio::task::JoinError>) {
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e:#}"),
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("test task failed: {e}"),
    }
}

/// Declares a test that runs `body` on both backends.
macro_rules! on_both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                crate::common::run(crate::common::Kind::Sqlite, super::$body).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                crate::common::run(crate::common::Kind::Postgres, super::$body).await
            }
        }
    };
}
pub(crate) use on_both;

// --- fixtures ------------------------------------------------------------------------------

pub fn fr() -> PartyCode {
    PartyCode::parse("FR").unwrap()
}

pub fn de() -> PartyCode {
    PartyCode::parse("DE").unwrap()
}

pub fn t0() -> Timestamp {
    "2026-11-28T20:00:00.123456Z".parse().unwrap()
}

pub fn secs(n: i64) -> jiff::SignedDuration {
    jiff::SignedDuration::from_secs(n)
}

pub fn at(n: i64) -> Timestamp {
    t0() + secs(n)
}

/// Deterministic ids for a test.
pub struct Ids(rand::rngs::StdRng);

impl Ids {
    pub fn new(seed: u64) -> Self {
        Self(rand::rngs::StdRng::seed_from_u64(seed))
    }
    pub fn ticket(&mut self, party: PartyCode) -> TicketId {
        TicketId::generate(party, t0(), &mut self.0)
    }
    pub fn message(&mut self) -> MessageId {
        MessageId::generate(t0(), &mut self.0)
    }
}

pub fn new_ticket(id: TicketId, role: OurRole, counterpart: PartyCode) -> NewTicket {
    NewTicket {
        id,
        our_role: role,
        our_party: fr(),
        counterpart,
        kind: TicketKind::parse("art29_preservation").unwrap(),
        state: TicketState::parse("sent").unwrap(),
        urgency: Urgency::Urgent,
        title: CaseText::new("Préservation — compte « kiosque » (SECRET-TITLE)").unwrap(),
        reference: Some(CaseText::new("PJ/2026/0042").unwrap()),
        created_at: t0(),
    }
}

pub fn sealed(n: usize, tag: u8) -> Vec<u8> {
    let mut v = b"-----BEGIN PGP MESSAGE-----\n\n".to_vec();
    v.extend((0..n).map(|i| b'A' + ((i as u8).wrapping_add(tag) % 26)));
    v.extend_from_slice(b"\n-----END PGP MESSAGE-----\n");
    v
}

pub fn outgoing(
    id: MessageId,
    ticket: &TicketId,
    to: PartyCode,
    urgency: Urgency,
) -> OutgoingMessage {
    OutgoingMessage {
        id,
        ticket: ticket.clone(),
        sender: Address::primary(fr()),
        recipient: Address::primary(to),
        message_type: MessageType::parse("request").unwrap(),
        written_at: Instant::parse("2026-11-28T21:00:00+01:00").unwrap(),
        sealed: sealed(600, 1),
        payload_json: r#"{"kind":"art29","secret":"SECRET-PAYLOAD"}"#.to_owned(),
        attachments: Vec::new(),
        urgency,
        queued_at: t0(),
    }
}

pub fn incoming(id: MessageId, ticket: &TicketId, from: PartyCode) -> IncomingMessage {
    IncomingMessage {
        id,
        ticket: ticket.clone(),
        sender: Address::primary(from),
        recipient: Address::primary(fr()),
        message_type: MessageType::parse("request").unwrap(),
        written_at: Instant::parse("2026-11-28T21:05:00.5+01:00").unwrap(),
        sealed: sealed(800, 7),
        payload_json: r#"{"kind":"art29","secret":"SECRET-PAYLOAD"}"#.to_owned(),
        attachments: Vec::new(),
        receipt: b"-----BEGIN PGP SIGNED MESSAGE-----\nreceipt 1\n".to_vec(),
        received_at: at(5),
    }
}

pub fn audit(action: AuditAction, ticket: Option<&TicketId>, at: Timestamp) -> AuditRecord {
    AuditRecord {
        actor: Actor::user("duty-officer").unwrap(),
        action,
        ticket: ticket.cloned(),
        result: AuditResult::Ok,
        details: serde_json::json!({"note": "test"}),
        at,
    }
}

/// Creates a ticket with one outgoing message in one unit of work.
pub async fn ticket_with_message(
    store: &Store,
    ids: &mut Ids,
    to: PartyCode,
    urgency: Urgency,
) -> (TicketId, MessageId) {
    let t = ids.ticket(fr());
    let m = ids.message();
    let mut tx = store.begin().await.unwrap();
    tx.create_ticket(&new_ticket(t.clone(), OurRole::Requester, to))
        .await
        .unwrap();
    tx.insert_outgoing(&outgoing(m, &t, to, urgency))
        .await
        .unwrap();
    tx.append_audit(&audit(AuditAction::Send, Some(&t), t0()))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (t, m)
}

// A benchmark may unwrap: a failure aborts the measurement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! Throughput of the store's business steps, on SQLite (synchronous=FULL: every commit is
//! fsynced) and, when CP247_TEST_PG_URL is set, on PostgreSQL.
//!
//! `cargo bench -p cp247-store` (add `-- --quick` for a short run).

use std::time::Duration;

use cp247_domain::{Address, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, CaseText, IncomingMessage, MessageType,
    NewTicket, OurRole, OutgoingMessage, Store, StoreOptions, TicketChange, TicketKind,
    TicketState, WorkerId,
};
use criterion::{Criterion, criterion_group, criterion_main};
use rand::SeedableRng;

fn ticket(id: TicketId, counterpart: PartyCode) -> NewTicket {
    NewTicket {
        id,
        our_role: OurRole::Requester,
        our_party: PartyCode::parse("FR").unwrap(),
        counterpart,
        kind: TicketKind::parse("art29_preservation").unwrap(),
        state: TicketState::parse("sent").unwrap(),
        urgency: Urgency::Urgent,
        title: CaseText::new("benchmark").unwrap(),
        reference: None,
        created_at: jiff::Timestamp::UNIX_EPOCH,
    }
}

fn record(ticket: &TicketId) -> AuditRecord {
    AuditRecord {
        actor: Actor::node(),
        action: AuditAction::Send,
        ticket: Some(ticket.clone()),
        result: AuditResult::Ok,
        details: serde_json::json!({"bench": true}),
        at: jiff::Timestamp::UNIX_EPOCH,
    }
}

#[allow(clippy::disallowed_methods)] // the benchmark reads the test database URL
fn pg_url() -> Option<String> {
    std::env::var("CP247_TEST_PG_URL")
        .ok()
        .filter(|v| !v.is_empty())
}

fn bench_backend(c: &mut Criterion, name: &str, url: &str) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = rt
        .block_on(Store::connect(url, StoreOptions::default()))
        .unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let fr = PartyCode::parse("FR").unwrap();
    let de = PartyCode::parse("DE").unwrap();
    let at = jiff::Timestamp::UNIX_EPOCH;
    let sealed = vec![b'A'; 4096];
    let mut group = c.benchmark_group(name);
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));

    // One "send" business step: ticket + sealed message + outbox entry + audit entry, committed.
    group.bench_function("send_unit_of_work", |b| {
        b.iter(|| {
            let t = TicketId::generate(fr, at, &mut rng);
            let m = OutgoingMessage {
                id: MessageId::generate(at, &mut rng),
                ticket: t.clone(),
                sender: Address::primary(fr),
                recipient: Address::primary(de),
                message_type: MessageType::parse("request").unwrap(),
                written_at: Instant::utc(at),
                sealed: sealed.clone(),
                payload_json: "{}".to_owned(),
                attachments: Vec::new(),
                urgency: Urgency::Urgent,
                queued_at: at,
            };
            rt.block_on(async {
                let mut tx = store.begin().await.unwrap();
                tx.create_ticket(&ticket(t.clone(), de)).await.unwrap();
                tx.insert_outgoing(&m).await.unwrap();
                tx.append_audit(&record(&t)).await.unwrap();
                tx.commit().await.unwrap();
            });
        })
    });

    // One delivery: claim one due entry, store its receipt (with its audit entry).
    let worker = WorkerId::new("bench").unwrap();
    group.bench_function("claim_and_deliver", |b| {
        b.iter(|| {
            rt.block_on(async {
                let claims = store
                    .claim_due(None, &worker, at, Duration::from_secs(60), 1)
                    .await
                    .unwrap();
                if let Some(c) = claims.first() {
                    store
                        .mark_delivered(&c.message_id, b"receipt", at)
                        .await
                        .unwrap();
                }
            })
        })
    });

    // One incoming message accepted (new ticket, message, receipt, audit), then one replay.
    let mut last: Option<IncomingMessage> = None;
    group.bench_function("accept_incoming_new", |b| {
        b.iter(|| {
            let t = TicketId::generate(de, at, &mut rng);
            let m = IncomingMessage {
                id: MessageId::generate(at, &mut rng),
                ticket: t.clone(),
                sender: Address::primary(de),
                recipient: Address::primary(fr),
                message_type: MessageType::parse("request").unwrap(),
                written_at: Instant::utc(at),
                sealed: sealed.clone(),
                payload_json: "{}".to_owned(),
                attachments: Vec::new(),
                receipt: b"receipt".to_vec(),
                received_at: at,
            };
            let mut new = ticket(t.clone(), de);
            new.our_role = OurRole::Requested;
            rt.block_on(store.accept_incoming(&m, &TicketChange::Create(new), &record(&t)))
                .unwrap();
            last = Some(m);
        })
    });
    let replay = last.unwrap();
    group.bench_function("accept_incoming_replay", |b| {
        b.iter(|| {
            rt.block_on(store.accept_incoming(
                &replay,
                &TicketChange::Unchanged,
                &record(&replay.ticket),
            ))
            .unwrap();
        })
    });
    group.finish();

    // Verifying the chain built above.
    let entries = rt.block_on(store.audit_head()).unwrap().seq;
    c.bench_function(&format!("{name}/verify_chain_{entries}_entries"), |b| {
        b.iter(|| {
            let report = rt.block_on(store.verify_chain(&[])).unwrap();
            assert!(report.is_intact());
        })
    });
    rt.block_on(store.close());
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    bench_backend(c, "sqlite", &url);
    if let Some(base) = pg_url() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        sqlx::any::install_default_drivers();
        let name = format!("cp247_bench_{}", std::process::id());
        rt.block_on(async {
            use sqlx::{Connection, Executor};
            let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
            admin
                .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap();
        });
        let mut url = url::Url::parse(&base).unwrap();
        url.set_path(&format!("/{name}"));
        bench_backend(c, "postgres", url.as_str());
        rt.block_on(async {
            use sqlx::{Connection, Executor};
            let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
            admin
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .await
                .unwrap();
        });
    }
}

criterion_group!(store_benches, benches);
criterion_main!(store_benches);

//! Several workers claiming from one outbox: on PostgreSQL from two pools (as two processes
//! would), on SQLite from one store (one process). No entry is claimed twice while leased, and
//! every message is delivered exactly once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cp247_domain::{MessageId, Urgency};
use cp247_store::{AuditAction, Backend, DeliveryState, Page, Store, WorkerId};

use crate::common::{Ctx, Ids, at, de, on_both, ticket_with_message};

const MESSAGES: usize = 120;
const WORKERS: usize = 4;

async fn race(ctx: Ctx) -> anyhow::Result<()> {
    let a = ctx.store().await;
    let b = match ctx.backend {
        Backend::Postgres => ctx.store().await,
        Backend::Sqlite => a.clone(),
    };
    let mut ids = Ids::new(40);
    let mut all = Vec::new();
    for i in 0..MESSAGES {
        let urgency = Urgency::ALL[i % 3];
        all.push(ticket_with_message(&a, &mut ids, de(), urgency).await.1);
    }
    let claims: Arc<Mutex<HashMap<MessageId, usize>>> = Arc::default();
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..WORKERS {
        let store: Store = if w % 2 == 0 { a.clone() } else { b.clone() };
        let claims = Arc::clone(&claims);
        tasks.spawn(async move {
            let worker = WorkerId::new(format!("worker-{w}")).unwrap();
            let mut rounds = 0;
            loop {
                rounds += 1;
                assert!(rounds < 10_000, "workers did not drain the outbox");
                // A long lease: within this test no lease may expire, so a second claim of the
                // same entry would be a double send.
                let got = store
                    .claim_due(None, &worker, at(10), Duration::from_secs(3600), 3)
                    .await
                    .unwrap();
                if got.is_empty() {
                    break;
                }
                for c in got {
                    {
                        let mut seen = claims.lock().unwrap();
                        let n = seen.entry(c.message_id).or_default();
                        *n += 1;
                        assert_eq!(*n, 1, "{} was claimed twice", c.message_id);
                    }
                    tokio::task::yield_now().await;
                    let s = store
                        .mark_delivered(&c.message_id, b"receipt", at(11))
                        .await
                        .unwrap();
                    assert_eq!(s.state, DeliveryState::Delivered);
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r?;
    }
    let claims = claims.lock().unwrap().clone();
    assert_eq!(claims.len(), MESSAGES);
    for id in &all {
        assert_eq!(claims.get(id), Some(&1));
        let s = a.delivery_status(id).await?;
        assert_eq!((s.state, s.attempts), (DeliveryState::Delivered, 1));
    }
    let delivered = a
        .deliveries_in_state(DeliveryState::Delivered, Page::first(500))
        .await?;
    assert_eq!(delivered.items.len(), MESSAGES);
    // Each delivery was audited once, and the chain is intact after concurrent appends.
    let entries = a.audit_entries(0, 500).await?;
    let deliveries = entries
        .iter()
        .filter(|e| e.action == AuditAction::Deliver)
        .count();
    assert_eq!(deliveries, MESSAGES);
    let report = a.verify_chain(&[]).await?;
    assert!(report.is_intact(), "{:?}", report.faults);
    assert_eq!(report.entries, 2 * MESSAGES as u64);
    Ok(())
}
on_both!(concurrent_workers_deliver_each_message_exactly_once, race);

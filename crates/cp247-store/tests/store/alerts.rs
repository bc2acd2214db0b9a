//! The alert outbox: stored once per key, listed per node newest first, marked seen once
//! (audited), claimed under a lease, retried, sent once — and after a "restart" (a new store
//! on the same database) a pending alert is still there and a sent one is never claimed again.

use std::time::Duration;

use cp247_domain::{Address, PartyCode, TicketId, Urgency};
use cp247_store::{Actor, AlertAttempt, AlertDelivery, AuditAction, NewAlert, Page, StoreError};

use crate::common::{Ctx, Ids, at, de, fr, on_both, ticket_with_message};

const LEASE: Duration = Duration::from_secs(60);

fn alert(key: &str, node: Address, ticket: &TicketId, n: i64, send: bool) -> NewAlert {
    NewAlert {
        key: key.to_owned(),
        node,
        ticket: ticket.clone(),
        event: "deadline".to_owned(),
        body: format!(r#"{{"event":"deadline","id":"{key}"}}"#),
        created_at: at(n),
        send,
    }
}

async fn outbox(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(31);
    let (t, _) = ticket_with_message(&store, &mut ids, de(), Urgency::Urgent).await;
    let me = Address::primary(fr());
    let other = Address::primary(PartyCode::parse("MD")?);

    assert!(store.insert_alert(&alert("a1", me, &t, 1, true)).await?);
    assert!(store.insert_alert(&alert("a2", me, &t, 2, true)).await?);
    assert!(
        store
            .insert_alert(&alert("in-app", me, &t, 3, false))
            .await?
    );
    assert!(store.insert_alert(&alert("md", other, &t, 4, true)).await?);
    // The same event again: stored once.
    assert!(!store.insert_alert(&alert("a1", me, &t, 9, true)).await?);

    // Per node, newest first.
    let list = store.alerts_for(me, Page::first(50)).await?.items;
    let keys: Vec<&str> = list.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["in-app", "a2", "a1"]);
    assert_eq!(list[0].delivery, AlertDelivery::Off);
    assert_eq!(list[2].delivery, AlertDelivery::Pending);
    assert_eq!(list[2].created_at, cp247_store::truncate_to_micros(at(1)));
    assert_eq!(store.unseen_alert_count(me).await?, 3);
    assert_eq!(store.unseen_alert_count(other).await?, 1);

    // Seen once, by whom, audited; another node's alert is not ours to mark.
    let officer = Actor::user("duty-officer")?;
    assert!(store.mark_alert_seen(me, "a2", &officer, at(5)).await?);
    assert!(!store.mark_alert_seen(me, "a2", &officer, at(6)).await?);
    let err = store
        .mark_alert_seen(me, "md", &officer, at(6))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
    assert_eq!(store.unseen_alert_count(me).await?, 2);
    assert_eq!(store.unseen_alert_count(other).await?, 1);
    let a2 = store
        .alerts_for(me, Page::first(50))
        .await?
        .items
        .into_iter()
        .find(|a| a.key == "a2")
        .unwrap();
    assert_eq!(
        a2.seen,
        Some((
            cp247_store::truncate_to_micros(at(5)),
            "user:duty-officer".to_owned()
        ))
    );
    let log = store.audit_entries(0, 500).await?;
    let seen = log
        .iter()
        .filter(|e| {
            e.action == AuditAction::View
                && serde_json::from_str::<serde_json::Value>(&e.details).unwrap()["alert"] == "a2"
        })
        .count();
    assert_eq!(seen, 1);

    // Claimed under a lease: the node's pending alerts only, oldest first.
    let claims = store.claim_alerts(me, at(10), LEASE, 10).await?;
    let keys: Vec<&str> = claims.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["a1", "a2"]);
    assert_eq!(claims[0].attempt, 1);
    assert!(claims[0].channels_done.is_empty());
    assert!(store.claim_alerts(me, at(11), LEASE, 10).await?.is_empty());
    // a1 is sent; a2 fails on the webhook after the e-mail went out.
    let done = vec!["email:duty@fr.example".to_owned(), "webhook".to_owned()];
    assert!(
        store
            .finish_alert_attempt(&claims[0], &done, &AlertAttempt::Sent, at(12))
            .await?
    );
    assert!(
        store
            .finish_alert_attempt(
                &claims[1],
                &done[..1],
                &AlertAttempt::Retry {
                    next_at: at(100),
                    error: "webhook: 503".into()
                },
                at(12)
            )
            .await?
    );
    // A stale worker's outcome is refused.
    assert!(
        !store
            .finish_alert_attempt(&claims[0], &done, &AlertAttempt::Sent, at(13))
            .await?
    );
    assert!(store.claim_alerts(me, at(50), LEASE, 10).await?.is_empty());
    store.close().await;
    drop(store);

    // A restart: the sent alert is never claimed again; the pending one is, when due, with
    // the channel that already took it.
    let store = ctx.store().await;
    let claims = store.claim_alerts(me, at(100), LEASE, 10).await?;
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].key, "a2");
    assert_eq!(claims[0].attempt, 2);
    assert_eq!(claims[0].channels_done, done[..1]);
    assert!(
        store
            .finish_alert_attempt(
                &claims[0],
                &done[..1],
                &AlertAttempt::GiveUp {
                    error: "webhook: 503".into()
                },
                at(101)
            )
            .await?
    );
    let list = store.alerts_for(me, Page::first(50)).await?.items;
    let by_key = |k: &str| list.iter().find(|a| a.key == k).unwrap().clone();
    assert_eq!(by_key("a1").delivery, AlertDelivery::Sent);
    assert_eq!(
        by_key("a1").sent_at,
        Some(cp247_store::truncate_to_micros(at(12)))
    );
    assert_eq!(by_key("a2").delivery, AlertDelivery::Failed);
    assert_eq!(by_key("a2").last_error.as_deref(), Some("webhook: 503"));
    assert_eq!(by_key("in-app").delivery, AlertDelivery::Off);
    assert!(
        store
            .claim_alerts(me, at(10_000), LEASE, 10)
            .await?
            .is_empty()
    );
    // An expired lease is taken over (the sender died while sending).
    let claims = store.claim_alerts(other, at(10), LEASE, 10).await?;
    assert_eq!(claims.len(), 1);
    let again = store.claim_alerts(other, at(10 + 61), LEASE, 10).await?;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
    assert!(
        !store
            .finish_alert_attempt(&claims[0], &[], &AlertAttempt::Sent, at(72))
            .await?,
        "the first holder lost its lease"
    );
    Ok(())
}
on_both!(the_alert_outbox_keeps_each_alert_once, outbox);

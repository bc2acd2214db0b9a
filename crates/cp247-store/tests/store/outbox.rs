//! The outbox: enqueue with the ticket change, claim under a lease, retry, deliver, give up,
//! expiry, atomicity of a unit of work, size limits.

use std::time::Duration;

use cp247_domain::{PartyCode, Urgency};
use cp247_store::{
    AuditAction, DeliveryState, OurRole, Page, StoreError, StoreOptions, Viewer, WorkerId,
};

use crate::common::{
    Ctx, Ids, at, audit, de, fr, new_ticket, on_both, outgoing, sealed, t0, ticket_with_message,
};

const LEASE: Duration = Duration::from_secs(30);

async fn lifecycle(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(10);
    let (t, m) = ticket_with_message(&store, &mut ids, de(), Urgency::Urgent).await;
    let w = WorkerId::new("node-a/worker-DE")?;

    let s = store.delivery_status(&m).await?;
    assert_eq!(s.state, DeliveryState::Queued);
    assert_eq!(store.count_deliveries(DeliveryState::Queued).await?, 1);
    assert_eq!(
        (s.attempts, s.next_attempt_at),
        (0, Some(cp247_store::truncate_to_micros(t0())))
    );

    // Not due before it was queued.
    assert!(
        store
            .claim_due(None, &w, at(-1), LEASE, 10)
            .await?
            .is_empty()
    );
    let claims = store.claim_due(None, &w, at(1), LEASE, 10).await?;
    assert_eq!(claims.len(), 1);
    let c = &claims[0];
    assert_eq!((c.message_id, c.attempt, c.peer.party), (m, 1, de()));
    let stored = store.message(fr(), &m).await?;
    assert_eq!(
        c.sealed, stored.sealed,
        "the claim carries the exact sealed bytes"
    );
    assert!(!format!("{c:?}").contains("BEGIN PGP"));

    // Held: nobody else gets it while the lease runs.
    assert!(
        store
            .claim_due(None, &w, at(2), LEASE, 10)
            .await?
            .is_empty()
    );
    let s = store.delivery_status(&m).await?;
    assert_eq!(s.state, DeliveryState::InFlight);
    assert_eq!(s.leased_by.as_deref(), Some("node-a/worker-DE"));

    // The attempt fails: retrying, with the error in words, due at the given time.
    let s = store
        .mark_retry(
            c,
            at(60),
            "connection refused by 192.0.2.1:443\nretry later",
        )
        .await?;
    assert_eq!(s.state, DeliveryState::Retrying);
    assert_eq!(
        s.last_error.as_deref(),
        Some("connection refused by 192.0.2.1:443 retry later")
    );
    assert_eq!(s.next_attempt_at, Some(at(60)));
    // Reporting twice on the same claim: the lease is gone.
    let err = store.mark_retry(c, at(90), "again").await.unwrap_err();
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err:?}");

    assert!(
        store
            .claim_due(None, &w, at(59), LEASE, 10)
            .await?
            .is_empty()
    );
    let c2 = store.claim_due(Some(de()), &w, at(60), LEASE, 10).await?;
    assert_eq!(c2.len(), 1);
    assert_eq!(c2[0].attempt, 2);

    let receipt = b"-----BEGIN PGP MESSAGE-----\nsigned receipt\n".to_vec();
    let s = store.mark_delivered(&m, &receipt, at(61)).await?;
    assert_eq!(s.state, DeliveryState::Delivered);
    assert_eq!(s.receipt.as_deref(), Some(receipt.as_slice()));
    assert_eq!(s.delivered_at, Some(at(61)));
    assert_eq!(s.attempts, 2);
    assert!(!format!("{s:?}").contains("signed receipt"));
    // A second receipt changes nothing; the first is kept.
    let s = store.mark_delivered(&m, b"other", at(70)).await?;
    assert_eq!(s.receipt.as_deref(), Some(receipt.as_slice()));
    assert_eq!(s.delivered_at, Some(at(61)));
    // Delivered is final.
    assert!(
        store
            .claim_due(None, &w, at(10_000), LEASE, 10)
            .await?
            .is_empty()
    );
    let err = store
        .mark_undeliverable(&m, "operator", at(71))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("delivered cannot take the event GiveUp"),
        "{err}"
    );

    assert_eq!(store.count_deliveries(DeliveryState::Delivered).await?, 1);
    assert_eq!(store.count_deliveries(DeliveryState::Queued).await?, 0);
    let list = store.deliveries_for_ticket(&t, Page::first(10)).await?;
    assert_eq!(list.items.len(), 1);
    let audit = store.audit_for_ticket(&t, Page::first(10)).await?;
    let actions: Vec<_> = audit.items.iter().map(|e| e.action).collect();
    assert_eq!(actions, [AuditAction::Send, AuditAction::Deliver]);
    assert!(audit.items[1].details.contains(&m.to_string()));
    Ok(())
}
on_both!(
    an_outgoing_message_is_claimed_retried_and_delivered,
    lifecycle
);

async fn leases(ctx: Ctx) -> anyhow::Result<()> {
    let mut ids = Ids::new(11);
    let store = ctx.store().await;
    let (_, m) = ticket_with_message(&store, &mut ids, de(), Urgency::Routine).await;
    let a = WorkerId::new("a")?;
    let b = WorkerId::new("b")?;
    let ca = store.claim_due(None, &a, at(1), LEASE, 10).await?;
    assert_eq!(ca.len(), 1);
    // Worker a's process dies: drop the store, as a crash would, and start again.
    store.close().await;
    drop(store);
    let store = ctx.store().await;
    assert!(
        store
            .claim_due(None, &b, at(30), LEASE, 10)
            .await?
            .is_empty()
    );
    let cb = store.claim_due(None, &b, at(31), LEASE, 10).await?;
    assert_eq!(cb.len(), 1, "the expired lease is claimed again");
    assert_eq!(cb[0].attempt, 2);
    // Worker a comes back late: its report is refused, b's stands.
    let err = store.mark_retry(&ca[0], at(40), "late").await.unwrap_err();
    assert!(
        err.to_string().contains("no longer held by worker a"),
        "{err}"
    );
    store.mark_retry(&cb[0], at(100), "timeout").await?;
    // A receipt from a's attempt arriving now still proves delivery.
    let s = store.mark_delivered(&m, b"receipt", at(41)).await?;
    assert_eq!(s.state, DeliveryState::Delivered);
    Ok(())
}
on_both!(expired_leases_are_claimed_again_after_a_crash, leases);

async fn priority_and_peers(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(12);
    let gb = PartyCode::parse("GB")?;
    let (_, routine) = ticket_with_message(&store, &mut ids, de(), Urgency::Routine).await;
    let (_, emergency) = ticket_with_message(&store, &mut ids, de(), Urgency::Emergency).await;
    let (_, urgent) = ticket_with_message(&store, &mut ids, de(), Urgency::Urgent).await;
    let (_, to_gb) = ticket_with_message(&store, &mut ids, gb, Urgency::Emergency).await;
    let w = WorkerId::new("w")?;
    let got: Vec<_> = store
        .claim_due(Some(de()), &w, at(1), LEASE, 2)
        .await?
        .into_iter()
        .map(|c| c.message_id)
        .collect();
    assert_eq!(got, [emergency, urgent]);
    let got: Vec<_> = store
        .claim_due(None, &w, at(1), LEASE, 10)
        .await?
        .into_iter()
        .map(|c| c.message_id)
        .collect();
    assert_eq!(got, [to_gb, routine]);
    Ok(())
}
on_both!(
    urgent_messages_go_first_and_peers_can_be_chosen,
    priority_and_peers
);

async fn expiry(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(13);
    let (t, old) = ticket_with_message(&store, &mut ids, de(), Urgency::Routine).await;
    let (_, held) = ticket_with_message(&store, &mut ids, de(), Urgency::Urgent).await;
    let w = WorkerId::new("w")?;
    // `held` is in flight with a live lease at expiry time; `old` is retrying.
    let c = store.claim_due(None, &w, at(1), LEASE, 2).await?;
    let c_old = c.iter().find(|c| c.message_id == old).unwrap();
    store.mark_retry(c_old, at(3600), "refused").await?;
    let c = store
        .claim_due(None, &w, at(4000), Duration::from_secs(600), 10)
        .await?;
    assert_eq!(c.len(), 2);
    store.mark_retry(&c[1], at(9000), "refused").await?;

    let expired = store.expire_undeliverable(at(1), at(4100)).await?;
    assert_eq!(expired, [old], "the in-flight entry is left to its worker");
    assert_eq!(
        store.delivery_status(&held).await?.state,
        DeliveryState::InFlight
    );
    let s = store.delivery_status(&expired[0]).await?;
    assert_eq!(s.state, DeliveryState::Undeliverable);
    let reason = s.undeliverable_reason.unwrap();
    assert!(
        reason.contains("not delivered within the configured time"),
        "{reason}"
    );
    // A late receipt still wins.
    let s = store
        .mark_delivered(&expired[0], b"late receipt", at(4200))
        .await?;
    assert_eq!(s.state, DeliveryState::Delivered);
    // Entries queued after the cut-off are not touched.
    assert!(
        store
            .expire_undeliverable(t0(), at(99_999))
            .await?
            .is_empty()
    );
    let failed = store
        .audit_for_ticket(&t, Page::first(10))
        .await?
        .items
        .iter()
        .filter(|e| e.action == AuditAction::DeliveryFailed)
        .count();
    assert_eq!(failed, 1);
    let undeliverable = store
        .deliveries_in_state(DeliveryState::Undeliverable, Page::first(10))
        .await?;
    assert!(undeliverable.items.is_empty());
    Ok(())
}
on_both!(
    old_entries_become_undeliverable_but_a_late_receipt_wins,
    expiry
);

async fn atomic(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(14);
    let (_, existing) = ticket_with_message(&store, &mut ids, de(), Urgency::Routine).await;
    let before_audit = store.audit_head().await?;

    // One unit of work: a new ticket, a new message, then a message whose id is taken.
    let t2 = ids.ticket(fr());
    let fresh = ids.message();
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(t2.clone(), OurRole::Requester, de()))
        .await?;
    tx.insert_outgoing(&outgoing(fresh, &t2, de(), Urgency::Routine))
        .await?;
    tx.append_audit(&audit(AuditAction::Send, Some(&t2), t0()))
        .await?;
    let err = tx
        .insert_outgoing(&outgoing(existing, &t2, de(), Urgency::Routine))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("already stored"), "{err}");
    // Committing anyway is refused and rolls everything back.
    assert!(matches!(tx.commit().await, Err(StoreError::Aborted)));

    assert!(
        store
            .find_ticket_for(Viewer::Local(fr()), &t2)
            .await
            .is_err()
    );
    assert!(matches!(
        store.delivery_status(&fresh).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(store.audit_head().await?, before_audit);
    // What was stored before is intact.
    assert_eq!(
        store.delivery_status(&existing).await?.state,
        DeliveryState::Queued
    );

    // Dropping a unit of work without committing writes nothing either.
    let t3 = ids.ticket(fr());
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(t3.clone(), OurRole::Requester, de()))
        .await?;
    drop(tx);
    assert!(
        store
            .find_ticket_for(Viewer::Local(fr()), &t3)
            .await
            .is_err()
    );

    // A read that finds nothing does not spoil the unit of work ("find, else create").
    let t4 = ids.ticket(fr());
    let mut tx = store.begin().await?;
    assert!(matches!(
        tx.find_ticket_for(Viewer::Local(fr()), &t4).await,
        Err(StoreError::NotFound { .. })
    ));
    tx.create_ticket(&new_ticket(t4.clone(), OurRole::Requester, de()))
        .await?;
    let head = tx.audit_head().await?;
    tx.commit().await?;
    assert_eq!(
        store.find_ticket_for(Viewer::Local(fr()), &t4).await?.id,
        t4
    );
    assert_eq!(store.audit_head().await?, head);

    // A message for a ticket that does not exist.
    let mut tx = store.begin().await?;
    let err = tx
        .insert_outgoing(&outgoing(
            ids.message(),
            &ids.ticket(fr()),
            de(),
            Urgency::Routine,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "ticket", .. }),
        "{err:?}"
    );
    Ok(())
}
on_both!(a_failed_step_leaves_nothing_half_written, atomic);

async fn limits(ctx: Ctx) -> anyhow::Result<()> {
    let opts = StoreOptions {
        max_message_bytes: 1000,
        max_payload_bytes: 100,
        max_receipt_bytes: 10,
        ..StoreOptions::default()
    };
    let store = ctx.store_with(opts).await;
    let mut ids = Ids::new(15);
    let t = ids.ticket(fr());
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(t.clone(), OurRole::Requester, de()))
        .await?;
    let mut big = outgoing(ids.message(), &t, de(), Urgency::Routine);
    big.sealed = sealed(2000, 0);
    let err = tx.insert_outgoing(&big).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("the sealed message is 2056 bytes, more than the limit of 1000 bytes"),
        "{err}"
    );
    drop(tx);
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(t.clone(), OurRole::Requester, de()))
        .await?;
    let mut bad = outgoing(ids.message(), &t, de(), Urgency::Routine);
    bad.payload_json = "{not json".to_owned();
    let err = tx.insert_outgoing(&bad).await.unwrap_err();
    assert!(
        err.to_string().contains("the payload JSON: it is not JSON"),
        "{err}"
    );
    drop(tx);
    let mut ok_ids = Ids::new(16);
    let (_, m) = ticket_with_message(&store, &mut ok_ids, de(), Urgency::Routine).await;
    let err = store
        .mark_delivered(&m, b"a receipt that is too long", at(1))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::TooLarge {
                what: "the receipt",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        store.delivery_status(&m).await?.state,
        DeliveryState::Queued
    );
    let err = store.mark_delivered(&m, b"", at(1)).await.unwrap_err();
    assert!(
        err.to_string().contains("the receipt: it is empty"),
        "{err}"
    );
    Ok(())
}
on_both!(sizes_are_checked_before_anything_is_written, limits);

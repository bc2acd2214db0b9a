//! The inbox: exactly-once effect of at-least-once delivery.

use cp247_domain::{MessageId, PartyCode};
use cp247_store::{
    Accepted, AuditAction, Direction, OurRole, Page, StoreError, TicketChange, TicketState, Viewer,
};

use crate::common::{Ctx, Ids, at, audit, de, fr, incoming, new_ticket, on_both};

async fn replays(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(20);
    let t = ids.ticket(de());
    let m = incoming(ids.message(), &t, de());
    let create = TicketChange::Create(new_ticket(t.clone(), OurRole::Requested, de()));
    let record = audit(AuditAction::Receive, None, at(5));

    assert_eq!(
        store.accept_incoming(&m, &create, &record).await?,
        Accepted::New
    );
    let head = store.audit_head().await?;

    // The same message again, once and a hundred times, with a freshly signed receipt each
    // time: nothing changes and the original receipt comes back.
    for i in 0..100 {
        let mut again = m.clone();
        again.receipt = format!("another receipt {i}").into_bytes();
        again.received_at = at(100 + i);
        match store.accept_incoming(&again, &create, &record).await? {
            Accepted::Duplicate {
                receipt,
                received_at,
            } => {
                assert_eq!(receipt, m.receipt);
                assert_eq!(received_at, at(5));
            }
            Accepted::New => panic!("replay {i} was accepted as new"),
        }
    }
    assert_eq!(
        store.audit_head().await?,
        head,
        "replays write no audit entry"
    );
    let msgs = store
        .messages_for(Viewer::Local(fr()), &t, Page::first(10))
        .await?;
    assert_eq!(msgs.items.len(), 1);
    let stored = &msgs.items[0];
    assert_eq!(stored.direction, Direction::In);
    assert_eq!(stored.sealed, m.sealed, "the exact bytes as received");
    assert_eq!(
        stored.written_at, m.written_at,
        "the sender's offset is kept"
    );
    assert_eq!(stored.written_at.to_string(), "2026-11-28T21:05:00.5+01:00");
    assert_eq!(stored.payload_json, m.payload_json);
    assert_eq!(
        stored.sealed_sha256,
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&m.sealed))
    );
    assert!(!format!("{stored:?}").contains("SECRET-PAYLOAD"));
    let entries = store.audit_for_ticket(&t, Page::first(10)).await?.items;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].action, AuditAction::Receive);
    assert_eq!(
        entries[0].ticket.as_ref(),
        Some(&t),
        "the audit entry names the ticket"
    );
    assert_eq!(
        store.incoming_receipt(de(), &m.id).await?,
        Some((m.receipt.clone(), at(5)))
    );
    // The same message id from another Party is another message (on a ticket shared with it).
    let gb = PartyCode::parse("GB")?;
    let gb_ticket = ids.ticket(gb);
    let mut other = incoming(m.id, &gb_ticket, gb);
    other.receipt = b"gb receipt".to_vec();
    let create_gb = TicketChange::Create(new_ticket(gb_ticket.clone(), OurRole::Requested, gb));
    assert_eq!(
        store.accept_incoming(&other, &create_gb, &record).await?,
        Accepted::New
    );
    assert_eq!(
        store.incoming_receipt(gb, &m.id).await?.unwrap().0,
        b"gb receipt"
    );
    Ok(())
}
on_both!(
    a_replayed_message_has_one_effect_and_returns_the_original_receipt,
    replays
);

async fn follow_up(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(21);
    let t = ids.ticket(de());
    let first = incoming(ids.message(), &t, de());
    let record = audit(AuditAction::Receive, None, at(5));
    store
        .accept_incoming(
            &first,
            &TicketChange::Create(new_ticket(t.clone(), OurRole::Requested, de())),
            &record,
        )
        .await?;
    let sent = TicketState::parse("sent")?;
    let extended = TicketState::parse("extension_requested")?;
    let change = TicketChange::SetState {
        id: t.clone(),
        from: sent.clone(),
        to: extended.clone(),
        at: at(50),
    };
    let second = incoming(ids.message(), &t, de());
    assert_eq!(
        store.accept_incoming(&second, &change, &record).await?,
        Accepted::New
    );
    let ticket = store.find_ticket_for(Viewer::Peer(de()), &t).await?;
    assert_eq!(ticket.state, extended);

    // A message whose ticket change no longer applies: nothing of it is stored, and the same
    // message can be accepted later with a change that applies.
    let third = incoming(ids.message(), &t, de());
    let err = store
        .accept_incoming(&third, &change, &record)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert_eq!(store.incoming_receipt(de(), &third.id).await?, None);
    assert!(matches!(
        store.message(de(), &third.id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        store
            .accept_incoming(&third, &TicketChange::Unchanged, &record)
            .await?,
        Accepted::New
    );

    // A message for an unknown ticket.
    let stray = incoming(ids.message(), &ids.ticket(de()), de());
    let err = store
        .accept_incoming(&stray, &TicketChange::Unchanged, &record)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "ticket", .. }),
        "{err:?}"
    );
    assert_eq!(store.incoming_receipt(de(), &stray.id).await?, None);

    // A ticket change for another ticket than the message's.
    let mismatch = TicketChange::Create(new_ticket(ids.ticket(de()), OurRole::Requested, de()));
    let err = store
        .accept_incoming(&incoming(ids.message(), &t, de()), &mismatch, &record)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("but the message belongs to ticket"),
        "{err}"
    );
    Ok(())
}
on_both!(
    a_follow_up_changes_its_ticket_in_the_same_transaction,
    follow_up
);

async fn concurrent_replays(ctx: Ctx) -> anyhow::Result<()> {
    let a = ctx.store().await;
    // On PostgreSQL a second pool plays a second process; SQLite serves one process.
    let b = match ctx.backend {
        cp247_store::Backend::Postgres => ctx.store().await,
        cp247_store::Backend::Sqlite => a.clone(),
    };
    let mut ids = Ids::new(22);
    let t = ids.ticket(de());
    let m = incoming(ids.message(), &t, de());
    let create = TicketChange::Create(new_ticket(t.clone(), OurRole::Requested, de()));
    let record = audit(AuditAction::Receive, None, at(5));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..16 {
        let store = if i % 2 == 0 { a.clone() } else { b.clone() };
        let (m, create, record) = (m.clone(), create.clone(), record.clone());
        tasks.spawn(async move { store.accept_incoming(&m, &create, &record).await });
    }
    let mut new = 0;
    let mut dup = 0;
    while let Some(r) = tasks.join_next().await {
        match r?? {
            Accepted::New => new += 1,
            Accepted::Duplicate { receipt, .. } => {
                assert_eq!(receipt, m.receipt);
                dup += 1;
            }
        }
    }
    assert_eq!((new, dup), (1, 15));
    let id: MessageId = m.id;
    assert_eq!(a.message(de(), &id).await?.id, id);
    Ok(())
}
on_both!(
    concurrent_deliveries_of_one_message_have_one_effect,
    concurrent_replays
);

async fn binary(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(23);
    let t = ids.ticket(de());
    let mut m = incoming(ids.message(), &t, de());
    // Binary OpenPGP, NUL bytes, invalid UTF-8: kept byte for byte.
    m.sealed = (0..=255u8).cycle().take(70_000).collect();
    m.receipt = vec![0x00, 0xff, 0xfe, 0x80, 0x0a, 0x0d];
    let create = TicketChange::Create(new_ticket(t.clone(), OurRole::Requested, de()));
    store
        .accept_incoming(&m, &create, &audit(AuditAction::Receive, None, at(5)))
        .await?;
    let stored = store.message(de(), &m.id).await?;
    assert_eq!(stored.sealed, m.sealed);
    assert_eq!(
        store.incoming_receipt(de(), &m.id).await?.unwrap().0,
        m.receipt
    );
    Ok(())
}
on_both!(evidence_bytes_are_kept_byte_for_byte, binary);

async fn cross_party(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(24);
    let gb = PartyCode::parse("GB")?;
    let t = ids.ticket(de());
    let record = audit(AuditAction::Receive, None, at(5));
    store
        .accept_incoming(
            &incoming(ids.message(), &t, de()),
            &TicketChange::Create(new_ticket(t.clone(), OurRole::Requested, de())),
            &record,
        )
        .await?;
    // GB writes into the ticket FR shares with DE: refused as if the ticket did not exist.
    let intruder = incoming(ids.message(), &t, gb);
    let err = store
        .accept_incoming(&intruder, &TicketChange::Unchanged, &record)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "ticket", .. }),
        "{err:?}"
    );
    assert_eq!(store.incoming_receipt(gb, &intruder.id).await?, None);
    // GB cannot open a ticket in DE's name either.
    let forged = ids.ticket(de());
    let err = store
        .accept_incoming(
            &incoming(ids.message(), &forged, gb),
            &TicketChange::Create(new_ticket(forged.clone(), OurRole::Requested, de())),
            &record,
        )
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("but the message goes from GB to FR"),
        "{err}"
    );
    // Nor can this node send a message of the DE ticket to GB.
    let mut tx = store.begin().await?;
    let err = tx
        .insert_outgoing(&crate::common::outgoing(
            ids.message(),
            &t,
            gb,
            cp247_domain::Urgency::Routine,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::NotFound { what: "ticket", .. }),
        "{err:?}"
    );
    Ok(())
}
on_both!(
    a_message_cannot_be_attached_to_another_partys_ticket,
    cross_party
);

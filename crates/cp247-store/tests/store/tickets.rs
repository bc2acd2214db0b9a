//! Tickets: creation, scoped reads, state changes, paging, round trips.

use cp247_domain::{PartyCode, Urgency};
use cp247_store::{CaseText, OurRole, Page, StoreError, TicketKind, TicketState, Viewer};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;

use crate::common::{Ctx, Ids, at, de, fr, new_ticket, on_both};

async fn scoped(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(2);
    let id = ids.ticket(fr());
    let new = new_ticket(id.clone(), OurRole::Requester, de());
    let mut tx = store.begin().await?;
    let created = tx.create_ticket(&new).await?;
    tx.commit().await?;
    assert_eq!(created.version, 1);

    let local = store.find_ticket_for(Viewer::Local(fr()), &id).await?;
    assert_eq!(local, created);
    assert_eq!(local.title, new.title);
    assert_eq!(
        local.created_at,
        cp247_store::truncate_to_micros(new.created_at)
    );
    assert_eq!(
        store.find_ticket_for(Viewer::Peer(de()), &id).await?,
        created
    );

    // Not the viewer's: the same answer as a ticket that does not exist.
    let gb = PartyCode::parse("GB")?;
    let missing = ids.ticket(fr());
    let forbidden = store
        .find_ticket_for(Viewer::Peer(gb), &id)
        .await
        .unwrap_err()
        .to_string();
    let absent = store
        .find_ticket_for(Viewer::Peer(gb), &missing)
        .await
        .unwrap_err()
        .to_string();
    assert_eq!(
        forbidden.replace(id.as_str(), "X"),
        absent.replace(missing.as_str(), "X")
    );
    assert!(forbidden.contains("was not found"), "{forbidden}");
    assert!(store.find_ticket_for(Viewer::Local(gb), &id).await.is_err());
    assert!(
        store
            .find_ticket_for(Viewer::Local(de()), &id)
            .await
            .is_err()
    );

    // Debug output never shows the case text.
    let debug = format!("{created:?}");
    assert!(
        !debug.contains("SECRET-TITLE") && !debug.contains("PJ/2026"),
        "{debug}"
    );
    Ok(())
}
on_both!(tickets_are_read_through_the_viewer, scoped);

async fn states(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(3);
    let id = ids.ticket(fr());
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(id.clone(), OurRole::Requester, de()))
        .await?;
    tx.commit().await?;

    // A duplicate id is a conflict, and the failed unit of work cannot be committed.
    let mut tx = store.begin().await?;
    let err = tx
        .create_ticket(&new_ticket(id.clone(), OurRole::Requested, de()))
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err:?}");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert!(matches!(tx.commit().await, Err(StoreError::Aborted)));

    let sent = TicketState::parse("sent")?;
    let acked = TicketState::parse("acknowledged")?;
    let mut tx = store.begin().await?;
    let t = tx.set_ticket_state(&id, &sent, &acked, at(60)).await?;
    tx.commit().await?;
    assert_eq!(t.state, acked);
    assert_eq!(t.version, 2);
    assert_eq!(t.updated_at, at(60));

    // Moving from a state it is no longer in: a conflict naming the current state.
    let mut tx = store.begin().await?;
    let err = tx
        .set_ticket_state(&id, &sent, &acked, at(61))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("it is in state 'acknowledged', not 'sent'"),
        "{err}"
    );
    drop(tx);
    let mut tx = store.begin().await?;
    let missing = ids.ticket(fr());
    let err = tx
        .set_ticket_state(&missing, &sent, &acked, at(61))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    drop(tx);
    assert_eq!(
        store
            .find_ticket_for(Viewer::Local(fr()), &id)
            .await?
            .version,
        2
    );
    Ok(())
}
on_both!(ticket_states_move_only_from_the_expected_state, states);

async fn paging(ctx: Ctx) -> anyhow::Result<()> {
    let opts = cp247_store::StoreOptions {
        max_page: 4,
        ..Default::default()
    };
    let store = ctx.store_with(opts).await;
    let mut ids = Ids::new(4);
    let mut tx = store.begin().await?;
    for i in 0..10 {
        let mut t = new_ticket(ids.ticket(fr()), OurRole::Requested, de());
        t.created_at = at(i);
        tx.create_ticket(&t).await?;
    }
    tx.commit().await?;
    let mut seen = Vec::new();
    let mut page = Some(Page::first(100)); // capped at 4
    while let Some(p) = page {
        let got = store.list_tickets_for(Viewer::Peer(de()), p).await?;
        assert!(got.items.len() <= 4);
        seen.extend(got.items.into_iter().map(|t| t.created_at));
        page = got.next;
    }
    assert_eq!(seen.len(), 10);
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "newest first");
    assert!(
        store
            .list_tickets_for(Viewer::Peer(fr()), Page::first(10))
            .await?
            .items
            .is_empty()
    );
    Ok(())
}
on_both!(ticket_lists_are_paged_and_capped, paging);

fn arb_ticket_fields() -> impl Strategy<Value = (String, Option<String>, u8, bool, i64, String)> {
    (
        "[^\\p{Cc}]{1,200}".prop_filter("not blank", |s| !s.trim().is_empty()),
        proptest::option::of("[^\\p{Cc}]{1,80}".prop_filter("not blank", |s| !s.trim().is_empty())),
        0u8..3,
        any::<bool>(),
        -300_000_000_000_000_000i64..250_000_000_000_000_000,
        "[a-z][a-z0-9_.-]{0,40}",
    )
}

async fn round_trip(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(5);
    let mut runner = TestRunner::deterministic();
    let strategy = arb_ticket_fields();
    for _ in 0..48 {
        let (title, reference, urgency, requester, created_us, kind) =
            strategy.new_tree(&mut runner).unwrap().current();
        let mut t = new_ticket(
            ids.ticket(fr()),
            if requester {
                OurRole::Requester
            } else {
                OurRole::Requested
            },
            de(),
        );
        t.title = CaseText::new(title)?;
        t.reference = reference.map(CaseText::new).transpose()?;
        t.urgency = Urgency::ALL[usize::from(urgency)];
        t.kind = TicketKind::parse(&kind)?;
        t.created_at = jiff::Timestamp::from_microsecond(created_us)?;
        let mut tx = store.begin().await?;
        tx.create_ticket(&t).await?;
        tx.commit().await?;
        let back = store.find_ticket_for(Viewer::Local(fr()), &t.id).await?;
        assert_eq!(back.title, t.title);
        assert_eq!(back.reference, t.reference);
        assert_eq!(back.urgency, t.urgency);
        assert_eq!(back.our_role, t.our_role);
        assert_eq!(back.kind, t.kind);
        assert_eq!(back.created_at, t.created_at);
    }
    Ok(())
}
on_both!(tickets_round_trip_arbitrary_values, round_trip);

#[test]
fn case_text_and_tokens_refuse_bad_input_with_a_reason() {
    for bad in ["", "   ", "a\nb", "tab\there"] {
        assert!(CaseText::new(bad).is_err(), "{bad:?}");
    }
    assert!(CaseText::new("x".repeat(1001)).is_err());
    for bad in ["", "Upper", "1abc", "has space", "é"] {
        let e = TicketKind::parse(bad).unwrap_err().to_string();
        assert!(
            e.contains("ticket kind") && e.contains("not a token"),
            "{e}"
        );
    }
}

async fn corrupt(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(6);
    let id = ids.ticket(fr());
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(id.clone(), OurRole::Requester, de()))
        .await?;
    tx.commit().await?;
    // Someone edits the database by hand.
    ctx.exec(&format!(
        "UPDATE tickets SET state = 'Not A State', counterpart_party = 'XX' WHERE id = '{id}'"
    ))
    .await?;
    let err = store
        .find_ticket_for(Viewer::Local(fr()), &id)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.starts_with(&format!(
            "stored tickets.counterpart_party of {id} is invalid"
        )),
        "{text}"
    );
    let list = store
        .list_tickets_for(Viewer::Local(fr()), Page::first(10))
        .await
        .unwrap_err();
    assert!(matches!(list, StoreError::Corrupt { .. }), "{list:?}");
    Ok(())
}
on_both!(a_row_changed_by_hand_is_reported_not_trusted, corrupt);

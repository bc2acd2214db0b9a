//! Cases: persisted as opening + accepted events and rebuilt by replay; an illegal transition
//! writes nothing; a stale writer loses; a reminder fires once; escalations and chains.

use cp247_case::{
    Case, CaseEvent, CaseState, DeadlinePolicy, Msg, Opening, ReminderKind, Role, reminders,
};
use cp247_domain::{Address, MessageId, TicketId, Urgency};
use cp247_forms::Kind;
use cp247_store::{
    Actor, DeliveryState, EscalationDirection, EscalationRecord, OurRole, StoreError, TicketState,
    Viewer, WorkerId,
};

use crate::common::{Ctx, Ids, at, de, fr, new_ticket, on_both, outgoing, t0};

fn opening(ticket: &TicketId, role: Role) -> Opening {
    let doc = cp247_forms::examples::example(Kind::Art29).unwrap();
    Opening::for_request(ticket.clone(), role, &doc, Address::primary(de()), t0()).unwrap()
}

/// A requester's case on a new ticket, stored with its ticket; returns the ticket.
async fn stored_case(store: &cp247_store::Store, ids: &mut Ids) -> TicketId {
    let id = ids.ticket(fr());
    let mut case = Case::open(opening(&id, Role::Requester));
    case.record(CaseEvent::Sent(Msg::Request), t0()).unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.create_ticket(&new_ticket(id.clone(), OurRole::Requester, de()))
        .await
        .unwrap();
    let m = ids.message();
    tx.create_case(&case, Some(&m), &Actor::token("officer").unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn lifecycle(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(11);
    let id = stored_case(&store, &mut ids).await;
    let node = Actor::node();

    // Rebuilt from the store: the same case.
    let mut case = store.load_case_for(Viewer::Local(fr()), &id).await?;
    assert_eq!(case.state(), CaseState::Sent);
    assert_eq!(case.previous_ticket(), None);
    let ticket = store.find_ticket_for(Viewer::Local(fr()), &id).await?;
    assert_eq!(ticket.state, TicketState::parse("sent")?);

    let mut tx = store.begin().await?;
    let mut loaded = tx.load_case(&id).await?.unwrap();
    assert_eq!(loaded, case);
    tx.record_case_event(&mut loaded, CaseEvent::SystemReceipt, at(4), None, &node)
        .await?;
    tx.commit().await?;
    case = store.load_case_for(Viewer::Local(fr()), &id).await?;
    assert_eq!(case, loaded);
    assert_eq!(case.state(), CaseState::Delivered);
    assert_eq!(case.receipt_at(), Some(at(4)));
    let ticket = store.find_ticket_for(Viewer::Local(fr()), &id).await?;
    assert_eq!(ticket.state.as_str(), "delivered");

    // An illegal transition: an error naming it, nothing written, the unit of work still
    // commits what else it did.
    let mut tx = store.begin().await?;
    let mut loaded = tx.load_case(&id).await?.unwrap();
    let err = tx
        .record_case_event(&mut loaded, CaseEvent::Close, at(5), None, &node)
        .await
        .unwrap_err();
    let StoreError::Transition { error, .. } = &err else {
        panic!("{err}")
    };
    assert_eq!(error.state, CaseState::Delivered);
    assert!(
        err.to_string()
            .contains("cannot close a case that is delivered"),
        "{err}"
    );
    // The requester cannot send what the requested side writes.
    let err = tx
        .record_case_event(
            &mut loaded,
            CaseEvent::Sent(Msg::Acknowledgement {
                next_step_eta: None,
            }),
            at(5),
            None,
            &node,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Transition { .. }), "{err}");
    assert_eq!(loaded, case, "a refused event leaves the case as it was");
    tx.commit().await?;
    let events = store.case_events(&id).await?;
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].recorded.event, CaseEvent::Sent(Msg::Request));
    assert!(events[0].message_id.is_some());
    assert_eq!(events[0].actor.as_str(), "token:officer");
    assert_eq!(events[1].recorded.state, CaseState::Delivered);

    // A stale copy loses: another writer recorded an event since it was read.
    let mut stale = store.load_case_for(Viewer::Local(fr()), &id).await?;
    let mut tx = store.begin().await?;
    let mut fresh = tx.load_case(&id).await?.unwrap();
    let ack = CaseEvent::Received(Msg::Acknowledgement {
        next_step_eta: None,
    });
    tx.record_case_event(
        &mut fresh,
        ack.clone(),
        at(60),
        None,
        &Actor::peer(Address::primary(de())),
    )
    .await?;
    tx.commit().await?;
    let mut tx = store.begin().await?;
    let err = tx
        .record_case_event(&mut stale, ack, at(61), None, &node)
        .await
        .unwrap_err();
    assert!(err.is_conflict(), "{err}");
    assert!(matches!(tx.commit().await, Err(StoreError::Aborted)));
    let case = store.load_case_for(Viewer::Local(fr()), &id).await?;
    assert_eq!(case.state(), CaseState::InProgress);
    assert_eq!(case.history().len(), 3);

    // Not the viewer's: not found.
    assert!(store.load_case_for(Viewer::Local(de()), &id).await.is_err());
    assert_eq!(store.open_case_tickets(10).await?, vec![id.clone()]);
    Ok(())
}
on_both!(cases_persist_only_accepted_transitions, lifecycle);

async fn reminders_once(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(12);
    let id = stored_case(&store, &mut ids).await;
    let case = store.load_case_for(Viewer::Local(fr()), &id).await?;
    let calendars = cp247_case::Calendars {
        requester: utc_calendar(),
        requested: utc_calendar(),
    };
    let all = reminders(&case, &calendars, &DeadlinePolicy::default());
    let r = all
        .iter()
        .find(|r| r.kind == ReminderKind::AcknowledgementOverdue)
        .unwrap()
        .clone();

    let mut tx = store.begin().await?;
    assert!(tx.fire_reminder(&r, at(7200)).await?);
    let mut c = tx.load_case(&id).await?.unwrap();
    tx.record_case_event(
        &mut c,
        CaseEvent::ReminderDue(r.kind.clone()),
        at(7200),
        None,
        &Actor::node(),
    )
    .await?;
    tx.commit().await?;
    // A second firing (a restart, another process) writes nothing.
    let mut tx = store.begin().await?;
    assert!(!tx.fire_reminder(&r, at(7300)).await?);
    tx.commit().await?;
    // A reopened store remembers.
    store.close().await;
    drop(store);
    let store = ctx.store().await;
    let fired = store.fired_reminders(&id).await?;
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].key, r.key);
    assert_eq!(fired[0].fired_at, at(7200));
    assert_eq!(fired[0].owed_by, Role::Requested);
    assert!(store.fired_reminder_keys(&id).await?.contains(&r.key));
    let events = store.case_events(&id).await?;
    assert_eq!(
        events.last().unwrap().recorded.event,
        CaseEvent::ReminderDue(r.kind)
    );
    Ok(())
}
on_both!(a_reminder_fires_exactly_once, reminders_once);

fn utc_calendar() -> cp247_case::OfficeCalendar {
    cp247_case::OfficeCalendar::new(
        cp247_domain::ZoneName::parse("UTC").unwrap(),
        cp247_directory::hours::OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").unwrap(),
    )
}

async fn escalations_and_chains(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(13);
    let first = stored_case(&store, &mut ids).await;
    let e = EscalationRecord {
        ticket: first.clone(),
        direction: EscalationDirection::Out,
        escalated_at: at(7200),
        due_at: at(7200),
        target: "DE/alternate".into(),
        message_id: Some(ids.message()),
        details: serde_json::json!({ "duty_phones": ["+4930000000"] }),
    };
    let mut tx = store.begin().await?;
    assert!(tx.record_escalation(&e).await?);
    tx.commit().await?;
    let mut tx = store.begin().await?;
    assert!(!tx.record_escalation(&e).await?, "one escalation per side");
    tx.commit().await?;
    assert_eq!(store.escalations_for(&first).await?, vec![e]);

    // An extension request names the first ticket: the chain shows both, from either end.
    let second = ids.ticket(fr());
    let doc = cp247_forms::examples::example(Kind::Art29).unwrap();
    let mut opening = Opening::for_request(
        second.clone(),
        Role::Requester,
        &doc,
        Address::primary(de()),
        at(9),
    )
    .unwrap();
    opening.previous_ticket = Some(first.clone());
    let mut case = Case::open(opening);
    case.record(CaseEvent::Sent(Msg::Request), at(9)).unwrap();
    let mut tx = store.begin().await?;
    tx.create_ticket(&new_ticket(second.clone(), OurRole::Requester, de()))
        .await?;
    tx.create_case(&case, None, &Actor::node()).await?;
    tx.commit().await?;
    for from in [&first, &second] {
        let links = store.chain_links(from).await?;
        let chain = cp247_case::order_chain(from, &links)?;
        let tickets: Vec<&TicketId> = chain.entries.iter().map(|e| &e.ticket).collect();
        assert_eq!(tickets, [&first, &second]);
        assert_eq!(chain.entries[1].parent.as_ref(), Some(&first));
    }
    Ok(())
}
on_both!(
    escalations_and_ticket_chains_are_kept,
    escalations_and_chains
);

/// A requester's case with its request queued in the outbox, in one unit of work.
async fn sent_request(store: &cp247_store::Store, ids: &mut Ids) -> (TicketId, MessageId) {
    let id = ids.ticket(fr());
    let m = ids.message();
    let mut case = Case::open(opening(&id, Role::Requester));
    case.record(CaseEvent::Sent(Msg::Request), t0()).unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.create_ticket(&new_ticket(id.clone(), OurRole::Requester, de()))
        .await
        .unwrap();
    tx.insert_outgoing(&outgoing(m, &id, de(), Urgency::Urgent))
        .await
        .unwrap();
    tx.create_case(&case, Some(&m), &Actor::token("officer").unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    (id, m)
}

fn receipts_on(events: &[cp247_store::CaseEventRow]) -> usize {
    events
        .iter()
        .filter(|e| e.recorded.event == CaseEvent::SystemReceipt)
        .count()
}

/// The receipt and the case's system receipt in one unit of work: dropped before commit,
/// neither is stored; committed, both are. A receipt stored without its case event (a crash
/// between two steps, as an older version did them) is listed for the catch-up until the
/// case records it, and then never again.
async fn receipts_with_their_case(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store().await;
    let mut ids = Ids::new(17);
    let node = Actor::node();
    let (a, ma) = sent_request(&store, &mut ids).await;
    let (b, mb) = sent_request(&store, &mut ids).await;
    let w = WorkerId::new("node-a/worker-DE")?;
    let claims = store
        .claim_due(None, &w, at(1), std::time::Duration::from_secs(30), 10)
        .await?;
    assert_eq!(claims.len(), 2);
    assert!(
        store
            .delivered_requests_without_receipt(10)
            .await?
            .is_empty()
    );

    // One unit of work that never commits (the process died before): nothing of it.
    let mut tx = store.begin().await?;
    tx.mark_delivered(&mb, b"receipt of b", at(2)).await?;
    let mut case = tx.load_case(&b).await?.unwrap();
    tx.record_case_event(&mut case, CaseEvent::SystemReceipt, at(2), Some(&mb), &node)
        .await?;
    tx.rollback().await?;
    assert_eq!(
        store.delivery_status(&mb).await?.state,
        DeliveryState::InFlight
    );
    assert_eq!(receipts_on(&store.case_events(&b).await?), 0);
    // Committed: both.
    let mut tx = store.begin().await?;
    tx.mark_delivered(&mb, b"receipt of b", at(3)).await?;
    let mut case = tx.load_case(&b).await?.unwrap();
    tx.record_case_event(&mut case, CaseEvent::SystemReceipt, at(3), Some(&mb), &node)
        .await?;
    tx.commit().await?;
    assert_eq!(
        store.delivery_status(&mb).await?.state,
        DeliveryState::Delivered
    );
    assert_eq!(receipts_on(&store.case_events(&b).await?), 1);
    assert!(
        store
            .delivered_requests_without_receipt(10)
            .await?
            .is_empty()
    );

    // The receipt of a stored alone: listed, with the time it was stored.
    store.mark_delivered(&ma, b"receipt of a", at(4)).await?;
    let missing = store.delivered_requests_without_receipt(10).await?;
    assert_eq!(
        missing,
        [(a.clone(), ma, cp247_store::truncate_to_micros(at(4)))]
    );
    let mut tx = store.begin().await?;
    let mut case = tx.load_case(&a).await?.unwrap();
    tx.record_case_event(&mut case, CaseEvent::SystemReceipt, at(4), Some(&ma), &node)
        .await?;
    tx.commit().await?;
    assert!(
        store
            .delivered_requests_without_receipt(10)
            .await?
            .is_empty()
    );
    assert_eq!(receipts_on(&store.case_events(&a).await?), 1);
    assert_eq!(
        store.load_case_for(Viewer::Local(fr()), &a).await?.state(),
        CaseState::Delivered
    );
    Ok(())
}
on_both!(
    a_receipt_is_recorded_on_its_case_with_the_delivery,
    receipts_with_their_case
);

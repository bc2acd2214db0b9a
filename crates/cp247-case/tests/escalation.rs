#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! The escalation decision against a directory with real keys: when it is due, where it goes
//! (the alternate's own node, or its OpenPGP e-mail), the duty phones for the duty officer,
//! and every reason it is not due.

mod common;

use common::{Alternate, directory, ts};
use cp247_case::escalation::{ContactChannel, DutyPhone, Unavailable};
use cp247_case::{
    Case, CaseEvent, DeadlinePolicy, EscalationTarget, Msg, Opening, Role, escalation_due,
};
use cp247_domain::{Address, ContactPointRole, Urgency};
use cp247_forms::Kind;
use jiff::{SignedDuration, Timestamp};

fn sent_at() -> Timestamp {
    ts("2026-02-21T08:00:00Z") // Saturday 09:00 in Paris, 10:00 in Chișinău
}

fn case(urgency: Urgency, to: ContactPointRole) -> Case {
    let doc = common::example(Kind::Art29);
    let mut o = Opening::for_request(
        common::ticket("FR-2026-7K3QZP8M"),
        Role::Requester,
        &doc,
        Address {
            party: common::party("MD"),
            point: to,
        },
        sent_at(),
    )
    .unwrap();
    o.urgency = urgency;
    let mut c = Case::open(o);
    c.record(CaseEvent::Sent(Msg::Request), sent_at()).unwrap();
    c.record(
        CaseEvent::SystemReceipt,
        sent_at() + SignedDuration::from_secs(3),
    )
    .unwrap();
    c
}

fn md_phones() -> Vec<String> {
    vec!["+37322000000".to_owned(), "+37322000001".to_owned()]
}

fn phones(p: &[DutyPhone]) -> Vec<String> {
    p.iter().map(|d| d.phone.as_str().to_owned()).collect()
}

#[test]
fn an_unacknowledged_urgent_request_goes_to_the_alternates_node() {
    let dir = directory(Alternate::Node);
    let policy = DeadlinePolicy::default();
    let c = case(Urgency::Urgent, ContactPointRole::Primary);
    let due = sent_at() + SignedDuration::from_hours(2);
    assert_eq!(
        escalation_due(&c, &dir, &policy, due - SignedDuration::from_secs(1)),
        None
    );
    let e = escalation_due(&c, &dir, &policy, due).unwrap();
    assert_eq!(e.ticket, common::ticket("FR-2026-7K3QZP8M"));
    assert_eq!(e.acknowledgement_due_at, due);
    assert_eq!(e.urgency, Urgency::Urgent);
    match &e.target {
        EscalationTarget::Contact {
            to,
            channel: ContactChannel::Node { endpoint },
        } => {
            assert_eq!(*to, Address::alternate(common::party("MD")));
            assert_eq!(endpoint.as_str(), "https://cp247.procuratura.example.md/");
        }
        other => panic!("{other:?}"),
    }
    // The duty officer phones the primary first, then the alternate.
    assert_eq!(phones(&e.duty_phones), md_phones());
    assert_eq!(
        e.duty_phones[0].contact_point,
        Address::primary(common::party("MD"))
    );
}

#[test]
fn an_email_only_alternate_gets_a_pgp_mime_message() {
    let dir = directory(Alternate::Email);
    let c = case(Urgency::Emergency, ContactPointRole::Primary);
    let due = sent_at() + SignedDuration::from_mins(30);
    let e = escalation_due(&c, &dir, &DeadlinePolicy::default(), due).unwrap();
    match &e.target {
        EscalationTarget::Contact {
            channel: ContactChannel::Email { address },
            ..
        } => assert_eq!(address.as_str(), "cyber-247@procuratura.example.md"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn without_a_usable_alternate_the_duty_officer_still_phones() {
    let policy = DeadlinePolicy::default();
    let due = sent_at() + SignedDuration::from_hours(2);
    let c = case(Urgency::Urgent, ContactPointRole::Primary);
    let e = escalation_due(&c, &directory(Alternate::Missing), &policy, due).unwrap();
    assert_eq!(
        e.target,
        EscalationTarget::Unavailable(Unavailable::NotListed)
    );
    assert_eq!(phones(&e.duty_phones), ["+37322000000"]);
    let e = escalation_due(&c, &directory(Alternate::Suspended), &policy, due).unwrap();
    assert_eq!(
        e.target,
        EscalationTarget::Unavailable(Unavailable::Suspended)
    );
    assert_eq!(phones(&e.duty_phones), md_phones());
}

#[test]
fn a_request_sent_to_the_alternate_escalates_to_the_primary() {
    let dir = directory(Alternate::Email);
    let c = case(Urgency::Urgent, ContactPointRole::Alternate);
    let due = sent_at() + SignedDuration::from_hours(2);
    let e = escalation_due(&c, &dir, &DeadlinePolicy::default(), due).unwrap();
    match &e.target {
        EscalationTarget::Contact { to, .. } => {
            assert_eq!(*to, Address::primary(common::party("MD")));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        e.duty_phones[0].contact_point,
        Address::alternate(common::party("MD"))
    );
}

#[test]
fn nothing_escalates_when_it_should_not() {
    let dir = directory(Alternate::Node);
    let policy = DeadlinePolicy::default();
    let much_later = sent_at() + SignedDuration::from_hours(24 * 10);
    // Routine requests never escalate.
    assert_eq!(
        escalation_due(
            &case(Urgency::Routine, ContactPointRole::Primary),
            &dir,
            &policy,
            much_later
        ),
        None
    );
    // A human acknowledgement stops it; the system receipt does not.
    let mut acked = case(Urgency::Urgent, ContactPointRole::Primary);
    assert!(escalation_due(&acked, &dir, &policy, much_later).is_some());
    acked
        .record(
            CaseEvent::Received(Msg::Acknowledgement {
                next_step_eta: None,
            }),
            sent_at() + SignedDuration::from_mins(90),
        )
        .unwrap();
    assert_eq!(escalation_due(&acked, &dir, &policy, much_later), None);
    // So does any message a person of the requested Party wrote.
    let mut confirmed = case(Urgency::Urgent, ContactPointRole::Primary);
    confirmed
        .record(
            CaseEvent::Received(Msg::PreservationConfirmed {
                preserved_at: sent_at(),
                until: sent_at() + SignedDuration::from_hours(24 * 60),
            }),
            sent_at() + SignedDuration::from_mins(40),
        )
        .unwrap();
    assert_eq!(escalation_due(&confirmed, &dir, &policy, much_later), None);
    // Once escalated, never again.
    let mut escalated = case(Urgency::Urgent, ContactPointRole::Primary);
    escalated
        .record(
            CaseEvent::Escalated,
            sent_at() + SignedDuration::from_hours(2),
        )
        .unwrap();
    assert_eq!(escalation_due(&escalated, &dir, &policy, much_later), None);
    // The requested side never escalates.
    let doc = common::example(Kind::Art29);
    let mut theirs = Case::open(
        Opening::for_request(
            common::ticket("FR-2026-7K3QZP8M"),
            Role::Requested,
            &doc,
            Address::primary(common::party("FR")),
            sent_at(),
        )
        .unwrap(),
    );
    theirs
        .record(CaseEvent::Received(Msg::Request), sent_at())
        .unwrap();
    assert_eq!(escalation_due(&theirs, &dir, &policy, much_later), None);
}

#[test]
fn a_routine_case_refuses_an_escalation_event() {
    let mut c = case(Urgency::Routine, ContactPointRole::Primary);
    let err = c
        .record(
            CaseEvent::Escalated,
            sent_at() + SignedDuration::from_hours(30),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot escalate a case that is delivered: only urgent and emergency requests escalate"
    );
}

#[test]
fn a_party_missing_from_the_directory_still_escalates_on_elapsed_time() {
    let dir = directory(Alternate::Node);
    let doc = common::example(Kind::Art29);
    let mut c = Case::open(
        Opening::for_request(
            common::ticket("FR-2026-7K3QZP8M"),
            Role::Requester,
            &doc,
            Address::primary(common::party("GE")),
            sent_at(),
        )
        .unwrap(),
    );
    c.record(CaseEvent::Sent(Msg::Request), sent_at()).unwrap();
    let e = escalation_due(
        &c,
        &dir,
        &DeadlinePolicy::default(),
        sent_at() + SignedDuration::from_hours(2),
    )
    .unwrap();
    assert_eq!(
        e.target,
        EscalationTarget::Unavailable(Unavailable::PartyNotListed)
    );
    assert!(e.duty_phones.is_empty());
}

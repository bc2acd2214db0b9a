#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! The deadline engine on real calendars: acknowledgement limits by urgency, working days in
//! the receiver's zone across the March and October changes in Paris and Chișinău, a Friday
//! evening request, expiry reminders at the right wall-clock times, and each reminder firing
//! exactly once across restarts, daylight-saving changes, outages and extensions.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{calendar, ts};
use cp247_case::deadline::{DueKind, ReminderKind, acknowledgement_due_at};
use cp247_case::{
    Calendars, Case, CaseEvent, DeadlinePolicy, Limit, Msg, Opening, ReminderKey, Role, due_items,
    pending, reminders,
};
use cp247_domain::{Address, Clock, ManualClock, MessageId, Urgency};
use cp247_forms::{Document, Kind};
use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;

fn office(zone: &str) -> cp247_case::OfficeCalendar {
    calendar(zone, "Mon-Fri 08:00-18:00")
}

fn calendars(requester: &str, requested: &str) -> Calendars {
    Calendars {
        requester: office(requester),
        requested: office(requested),
    }
}

/// The example Art. 29 request with `urgency`, sent (requester side) at `at`.
fn sent(role: Role, kind: Kind, urgency: Urgency, at: Timestamp) -> Case {
    let doc: Document = common::example(kind);
    let mut o = Opening::for_request(
        common::ticket("FR-2026-7K3QZP8M"),
        role,
        &doc,
        Address::primary(common::party(match role {
            Role::Requester => "MD",
            Role::Requested => "FR",
        })),
        at,
    )
    .unwrap();
    o.urgency = urgency;
    let mut case = Case::open(o);
    let e = match role {
        Role::Requester => CaseEvent::Sent(Msg::Request),
        Role::Requested => CaseEvent::Received(Msg::Request),
    };
    case.record(e, at).unwrap();
    case
}

fn ack_due(case: &Case, cal: &Calendars) -> Timestamp {
    acknowledgement_due_at(case, &cal.requested, &DeadlinePolicy::default()).unwrap()
}

#[test]
fn acknowledgement_limits_follow_urgency() {
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    // Saturday night: urgent limits run in elapsed time, whatever the office hours.
    let at = ts("2026-02-21T23:10:00Z");
    let emergency = sent(Role::Requester, Kind::Art29, Urgency::Emergency, at);
    assert_eq!(ack_due(&emergency, &cal), ts("2026-02-21T23:40:00Z"));
    let urgent = sent(Role::Requester, Kind::Art29, Urgency::Urgent, at);
    assert_eq!(ack_due(&urgent, &cal), ts("2026-02-22T01:10:00Z"));
    // Routine: one working day in Chișinău: the clock starts Monday 08:00 EET.
    let routine = sent(Role::Requester, Kind::Art29, Urgency::Routine, at);
    assert_eq!(ack_due(&routine, &cal), ts("2026-02-24T06:00:00Z"));
    // The same on the requested side, from reception.
    let received = sent(Role::Requested, Kind::Art29, Urgency::Routine, at);
    assert_eq!(ack_due(&received, &cal), ts("2026-02-24T06:00:00Z"));
    // Overdue in due_items once the instant passes.
    let items = due_items(
        &urgent,
        &cal,
        &DeadlinePolicy::default(),
        ts("2026-02-22T01:10:00Z"),
    );
    assert_eq!(items[0].kind, DueKind::HumanAcknowledgement);
    assert_eq!(items[0].owed_by, Role::Requested);
    assert!(items[0].overdue);
    // An urgent limit across the night of the spring change is still two real hours.
    let night = sent(
        Role::Requester,
        Kind::Art29,
        Urgency::Urgent,
        ts("2026-03-29T00:30:00Z"),
    );
    assert_eq!(ack_due(&night, &cal), ts("2026-03-29T02:30:00Z"));
}

#[test]
fn a_friday_evening_request_is_due_at_the_end_of_monday() {
    // (requested zone, sent at, due at): Friday 19:30 local, one working day → Tuesday 08:00.
    let cases = [
        // Paris, spring: sent Friday 27 March 19:30 CET; due Tuesday 31 March 08:00 CEST.
        (
            "Europe/Paris",
            "2026-03-27T18:30:00Z",
            "2026-03-31T06:00:00Z",
        ),
        // Chișinău, spring: Friday 27 March 19:30 EET; Tuesday 31 March 08:00 EEST.
        (
            "Europe/Chisinau",
            "2026-03-27T17:30:00Z",
            "2026-03-31T05:00:00Z",
        ),
        // Paris, autumn: Friday 23 October 19:30 CEST; Tuesday 27 October 08:00 CET.
        (
            "Europe/Paris",
            "2026-10-23T17:30:00Z",
            "2026-10-27T07:00:00Z",
        ),
        // Chișinău, autumn: Friday 23 October 19:30 EEST; Tuesday 27 October 08:00 EET.
        (
            "Europe/Chisinau",
            "2026-10-23T16:30:00Z",
            "2026-10-27T06:00:00Z",
        ),
    ];
    for (zone, at, due) in cases {
        let cal = calendars("Europe/Paris", zone);
        let case = sent(Role::Requester, Kind::Art29, Urgency::Routine, ts(at));
        assert_eq!(ack_due(&case, &cal), ts(due), "{zone} {at}");
    }
}

#[test]
fn working_days_keep_the_wall_clock_time_across_the_changes() {
    // Friday 10:00 local → Monday 10:00 local: 71 hours in spring, 73 in autumn.
    let cases = [
        (
            "Europe/Paris",
            "2026-03-27T09:00:00Z",
            "2026-03-30T08:00:00Z",
            71,
        ),
        (
            "Europe/Chisinau",
            "2026-03-27T08:00:00Z",
            "2026-03-30T07:00:00Z",
            71,
        ),
        (
            "Europe/Paris",
            "2026-10-23T08:00:00Z",
            "2026-10-26T09:00:00Z",
            73,
        ),
        (
            "Europe/Chisinau",
            "2026-10-23T07:00:00Z",
            "2026-10-26T08:00:00Z",
            73,
        ),
    ];
    for (zone, at, due, hours) in cases {
        let cal = office(zone);
        let got = cal.deadline(ts(at), Limit::WorkingDays(1)).unwrap();
        assert_eq!(got, ts(due), "{zone}");
        assert_eq!(
            ts(at).duration_until(got),
            SignedDuration::from_hours(hours),
            "{zone}"
        );
    }
    // Office time counts only open hours: Friday 17:00 + 2 office hours = Monday 09:00.
    let paris = office("Europe/Paris");
    assert_eq!(
        paris
            .deadline(
                ts("2026-03-27T16:00:00Z"),
                Limit::OfficeTime(SignedDuration::from_hours(2))
            )
            .unwrap(),
        ts("2026-03-30T07:00:00Z")
    );
}

/// A case (requester or requested side) whose preservation runs from `at` until `until`.
fn preserved(role: Role, at: Timestamp, until: Timestamp) -> Case {
    let mut case = sent(role, Kind::Art29, Urgency::Urgent, at);
    let m = Msg::PreservationConfirmed {
        preserved_at: at,
        until,
    };
    let e = match role {
        Role::Requester => CaseEvent::Received(m),
        Role::Requested => CaseEvent::Sent(m),
    };
    case.record(e, at).unwrap();
    case
}

fn expiry_fire_times(case: &Case, cal: &Calendars) -> BTreeMap<String, Timestamp> {
    reminders(case, cal, &DeadlinePolicy::default())
        .into_iter()
        .filter(|r| {
            matches!(
                r.kind,
                ReminderKind::PreservationExpiring { .. } | ReminderKind::PreservationExpired
            )
        })
        .map(|r| {
            let label = match r.kind {
                ReminderKind::PreservationExpiring { days_before } => format!("{days_before}d"),
                _ => "end".to_owned(),
            };
            (label, r.fire_at)
        })
        .collect()
}

#[test]
fn expiry_reminders_keep_the_local_time_across_the_spring_change() {
    // Preserved until Friday 10 April 2026 17:00 in Paris (CEST): the 14-day reminder is on
    // Friday 27 March at 17:00 CET, which is 16:00 UTC — not 15:00, as 14 × 24 h would give.
    let until = ts("2026-04-10T15:00:00Z");
    let at = ts("2026-02-09T09:00:00Z");
    for (requester, requested, role, expected) in [
        (
            "Europe/Paris",
            "Europe/Chisinau",
            Role::Requester,
            [
                ("14d", "2026-03-27T16:00:00Z"),
                ("7d", "2026-04-03T15:00:00Z"),
                ("1d", "2026-04-09T15:00:00Z"),
                ("end", "2026-04-10T15:00:00Z"),
            ],
        ),
        // The holder in Chișinău: 18:00 EEST on 10 April; 18:00 EET on 27 March.
        (
            "Europe/Paris",
            "Europe/Chisinau",
            Role::Requested,
            [
                ("14d", "2026-03-27T16:00:00Z"),
                ("7d", "2026-04-03T15:00:00Z"),
                ("1d", "2026-04-09T15:00:00Z"),
                ("end", "2026-04-10T15:00:00Z"),
            ],
        ),
    ] {
        let cal = calendars(requester, requested);
        let case = preserved(role, at, until);
        let got = expiry_fire_times(&case, &cal);
        let want: BTreeMap<String, Timestamp> = expected
            .iter()
            .map(|(k, v)| ((*k).to_owned(), ts(v)))
            .collect();
        assert_eq!(got, want, "{role}");
        assert_ne!(
            got["14d"],
            until - SignedDuration::from_hours(14 * 24),
            "14 days are calendar days, not 336 hours"
        );
    }
}

#[test]
fn expiry_reminders_keep_the_local_time_across_the_autumn_change() {
    // Until Thursday 5 November 2026 10:00 CET in Paris (09:00 UTC): 14 days before is
    // Thursday 22 October 10:00 CEST (08:00 UTC).
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    let case = preserved(
        Role::Requester,
        ts("2026-08-20T09:00:00Z"),
        ts("2026-11-05T09:00:00Z"),
    );
    let got = expiry_fire_times(&case, &cal);
    assert_eq!(got["14d"], ts("2026-10-22T08:00:00Z"));
    assert_eq!(got["7d"], ts("2026-10-29T09:00:00Z"));
    // In Chișinău (change at 03:00 EEST, 00:00 UTC, the same Sunday).
    let cal = calendars("Europe/Chisinau", "Europe/Paris");
    let got = expiry_fire_times(&case, &cal);
    assert_eq!(got["14d"], ts("2026-10-22T08:00:00Z"));
    assert_eq!(got["7d"], ts("2026-10-29T09:00:00Z"));
}

#[test]
fn keys_are_stable_and_name_ticket_kind_and_target() {
    let case = preserved(
        Role::Requester,
        ts("2026-02-09T09:00:00Z"),
        ts("2026-04-10T15:00:00Z"),
    );
    let rs = reminders(
        &case,
        &calendars("Europe/Paris", "Europe/Chisinau"),
        &DeadlinePolicy::default(),
    );
    let keys: Vec<&str> = rs.iter().map(|r| r.key.as_str()).collect();
    assert!(
        keys.contains(&"FR-2026-7K3QZP8M/preservation_expiring.7d/2026-04-10T15:00:00Z"),
        "{keys:?}"
    );
    assert!(keys.contains(&"FR-2026-7K3QZP8M/preservation_expired/2026-04-10T15:00:00Z"));
    // The follow-up request for mutual assistance was planned for 20 March (end of the day
    // in Paris).
    assert!(keys.contains(&"FR-2026-7K3QZP8M/mla_follow_up_due/2026-03-20T23:00:00Z"));
    // The same list whenever it is computed.
    let again = reminders(
        &case,
        &calendars("Europe/Paris", "Europe/Chisinau"),
        &DeadlinePolicy::default(),
    );
    assert_eq!(rs, again);
    // The key of an expiry reminder holds its target, never its fire time: computed in
    // another zone (or with another time-zone database), the fire times move and the keys do
    // not.
    let expiry_keys = |rs: &[cp247_case::Reminder]| -> BTreeSet<ReminderKey> {
        rs.iter()
            .filter(|r| r.target == ts("2026-04-10T15:00:00Z"))
            .map(|r| r.key.clone())
            .collect()
    };
    let other_zone = reminders(
        &case,
        &calendars("America/New_York", "Asia/Tokyo"),
        &DeadlinePolicy::default(),
    );
    assert_eq!(expiry_keys(&other_zone), expiry_keys(&rs));
    assert_ne!(
        other_zone.iter().map(|r| r.fire_at).collect::<Vec<_>>(),
        rs.iter().map(|r| r.fire_at).collect::<Vec<_>>()
    );
}

/// A node's scheduler: every `step`, fires the pending reminders of `case`, records them
/// (and the lapse when the end fires), and counts each key.
struct Node {
    case: Case,
    fired: BTreeSet<ReminderKey>,
    counts: BTreeMap<ReminderKey, u32>,
    fire_log: Vec<(ReminderKey, Timestamp)>,
}

impl Node {
    fn tick(&mut self, cal: &Calendars, now: Timestamp) {
        for r in pending(
            &self.case,
            cal,
            &DeadlinePolicy::default(),
            now,
            &self.fired,
        ) {
            // One transaction: the event and the key.
            self.case
                .record(CaseEvent::ReminderDue(r.kind.clone()), now)
                .unwrap();
            self.fired.insert(r.key.clone());
            *self.counts.entry(r.key.clone()).or_default() += 1;
            self.fire_log.push((r.key.clone(), now));
            if r.kind == ReminderKind::PreservationExpired {
                self.case.record(CaseEvent::Lapsed, now).unwrap();
            }
        }
    }

    /// A restart: the case is rebuilt from its stored history; the fired keys are read back.
    fn restart(&mut self) {
        self.case = Case::replay(self.case.opening().clone(), self.case.history()).unwrap();
        self.fired = self.fired.iter().cloned().collect();
    }
}

#[test]
fn each_reminder_fires_exactly_once_across_restarts_outages_and_the_dst_change() {
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    let start = ts("2026-02-09T09:00:00Z");
    let until = ts("2026-04-10T15:00:00Z");
    let case = preserved(Role::Requester, start, until);
    let expected: BTreeSet<ReminderKey> = reminders(&case, &cal, &DeadlinePolicy::default())
        .into_iter()
        .map(|r| r.key)
        .collect();
    assert_eq!(
        expected.len(),
        5,
        "mla follow-up, 14, 7 and 1 day, end: {expected:?}"
    );
    let clock = ManualClock::new(start);
    let mut node = Node {
        case,
        fired: BTreeSet::new(),
        counts: BTreeMap::new(),
        fire_log: Vec::new(),
    };
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut restarts = 0;
    while clock.now() < until + SignedDuration::from_hours(48) {
        use rand::Rng;
        // Mostly 20-minute ticks; sometimes a restart, sometimes a three-day outage.
        match rng.random_range(0..100) {
            0..=2 => {
                node.restart();
                restarts += 1;
            }
            3 => clock.advance(SignedDuration::from_hours(72)),
            _ => {}
        }
        clock.advance(SignedDuration::from_mins(20));
        node.tick(&cal, clock.now());
        // Ticking again at the same instant fires nothing.
        let before = node.fire_log.len();
        node.tick(&cal, clock.now());
        assert_eq!(node.fire_log.len(), before);
    }
    assert!(restarts > 10);
    let fired: BTreeSet<ReminderKey> = node.counts.keys().cloned().collect();
    assert_eq!(fired, expected, "a reminder was skipped or invented");
    assert!(node.counts.values().all(|n| *n == 1), "{:?}", node.counts);
    // Every reminder fired at or after its time, in order.
    let all = reminders(
        &preserved(Role::Requester, start, until),
        &cal,
        &DeadlinePolicy::default(),
    );
    for (key, at) in &node.fire_log {
        let r = all.iter().find(|r| r.key == *key).unwrap();
        assert!(*at >= r.fire_at);
    }
    assert!(matches!(node.case.state(), cp247_case::CaseState::Lapsed));
}

#[test]
fn an_extension_replaces_the_reminders_of_the_old_end() {
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    let start = ts("2026-02-09T09:00:00Z");
    let until = ts("2026-04-10T15:00:00Z");
    let mut node = Node {
        case: preserved(Role::Requester, start, until),
        fired: BTreeSet::new(),
        counts: BTreeMap::new(),
        fire_log: Vec::new(),
    };
    // Up to the 14-day reminder.
    node.tick(&cal, ts("2026-03-27T16:00:00Z"));
    assert_eq!(node.fire_log.len(), 2, "mla follow-up and 14 days");
    // The extension is recorded on 6 April, four days before the old end, to 5 June.
    let new_until = ts("2026-06-05T15:00:00Z");
    node.case
        .record(
            CaseEvent::PreservationExtended {
                until: new_until,
                by: common::ticket("FR-2026-EXTN0001"),
            },
            ts("2026-04-06T09:00:00Z"),
        )
        .unwrap();
    // The old 7-day reminder (3 April) was due and never fired: it is gone with its target,
    // and the old 1-day reminder does not fire either.
    let pend = pending(
        &node.case,
        &cal,
        &DeadlinePolicy::default(),
        ts("2026-04-09T16:00:00Z"),
        &node.fired,
    );
    assert!(pend.is_empty(), "{pend:?}");
    let rs = reminders(&node.case, &cal, &DeadlinePolicy::default());
    assert!(
        rs.iter()
            .all(|r| r.target == new_until || r.kind == ReminderKind::MlaFollowUpDue)
    );
    // Run to the new end.
    let mut t = ts("2026-04-06T09:00:00Z");
    while t < new_until + SignedDuration::from_hours(1) {
        t += SignedDuration::from_hours(1);
        node.tick(&cal, t);
    }
    assert!(node.counts.values().all(|n| *n == 1));
    let kinds: Vec<String> = node
        .fire_log
        .iter()
        .map(|(k, _)| k.as_str().split('/').nth(1).unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        [
            "mla_follow_up_due",
            "preservation_expiring.14d",
            "preservation_expiring.14d",
            "preservation_expiring.7d",
            "preservation_expiring.1d",
            "preservation_expired"
        ]
    );
}

#[test]
fn a_late_target_does_not_schedule_reminders_in_its_past() {
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    let mut case = preserved(
        Role::Requester,
        ts("2026-02-09T09:00:00Z"),
        ts("2026-04-10T15:00:00Z"),
    );
    // Extended on 9 April to 15 April: the 14- and 7-day reminders would be in the past; only
    // the 1-day reminder and the end remain.
    case.record(
        CaseEvent::PreservationExtended {
            until: ts("2026-04-15T15:00:00Z"),
            by: common::ticket("FR-2026-EXTN0001"),
        },
        ts("2026-04-09T09:00:00Z"),
    )
    .unwrap();
    let got = expiry_fire_times(&case, &cal);
    assert_eq!(got.keys().cloned().collect::<Vec<_>>(), ["1d", "end"]);
}

#[test]
fn after_the_mla_notice_no_expiry_is_due() {
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    let mut case = preserved(
        Role::Requester,
        ts("2026-02-09T09:00:00Z"),
        ts("2026-04-10T15:00:00Z"),
    );
    case.record(
        CaseEvent::Sent(Msg::MlaSubmitted {
            mla_ticket: Some(common::ticket("FR-2026-9M4TXR2B")),
            submitted_at: ts("2026-03-02T09:00:00Z"),
        }),
        ts("2026-03-02T09:00:00Z"),
    )
    .unwrap();
    assert!(reminders(&case, &cal, &DeadlinePolicy::default()).is_empty());
    assert!(
        due_items(
            &case,
            &cal,
            &DeadlinePolicy::default(),
            ts("2027-01-01T00:00:00Z")
        )
        .is_empty()
    );
    let err = case
        .record(CaseEvent::Lapsed, ts("2027-01-01T00:00:00Z"))
        .unwrap_err();
    assert!(err.to_string().contains("Art. 29(7)"));
    assert_eq!(case.related_tickets(), [common::ticket("FR-2026-9M4TXR2B")]);
}

#[test]
fn answers_and_decisions_owed_by_the_requester() {
    let cal = calendars("Europe/Paris", "Europe/Chisinau");
    let policy = DeadlinePolicy::default();
    let at = ts("2026-02-23T09:00:00Z"); // Monday 10:00 in Paris
    let mut case = sent(Role::Requester, Kind::Art31, Urgency::Routine, at);
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    let rfi = MessageId::generate(at, &mut rng);
    case.record(
        CaseEvent::Received(Msg::InformationRequested {
            id: rfi,
            blocking: true,
            respond_by: None,
            questions: 2,
        }),
        at,
    )
    .unwrap();
    // Two working days in Paris: Wednesday 10:00.
    let items = due_items(&case, &cal, &policy, at);
    assert_eq!(items[0].kind, DueKind::InformationAnswer { rfi });
    assert_eq!(items[0].owed_by, Role::Requester);
    assert_eq!(items[0].due_at, ts("2026-02-25T09:00:00Z"));
    // An explicit date wins.
    let rfi2 = MessageId::generate(at, &mut rng);
    case.record(
        CaseEvent::Received(Msg::InformationRequested {
            id: rfi2,
            blocking: false,
            respond_by: Some(ts("2026-02-24T12:00:00Z")),
            questions: 2,
        }),
        at,
    )
    .unwrap();
    let items = due_items(&case, &cal, &policy, at);
    assert_eq!(items[0].due_at, ts("2026-02-24T12:00:00Z"));
    // Answering the blocking one unblocks the case; the other stays due.
    let event = case
        .event_for(
            true,
            &cp247_case::reply::examples::example(cp247_case::MessageKind::InformationProvided)
                .unwrap()
                .reply
                .unwrap(),
            MessageId::generate(at, &mut rng),
            Some(rfi),
        )
        .unwrap();
    assert_eq!(
        event,
        CaseEvent::Sent(Msg::InformationProvided {
            in_reply_to: rfi,
            unblocks: true
        })
    );
    case.record(event, at).unwrap();
    assert_eq!(case.state(), cp247_case::CaseState::InProgress);
    let items = due_items(&case, &cal, &policy, at);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, DueKind::InformationAnswer { rfi: rfi2 });
    // An answer to nothing is refused.
    let bogus = MessageId::generate(at, &mut rng);
    let err = case
        .event_for(
            true,
            &cp247_case::reply::examples::example(cp247_case::MessageKind::InformationProvided)
                .unwrap()
                .reply
                .unwrap(),
            MessageId::generate(at, &mut rng),
            Some(bogus),
        )
        .unwrap_err();
    assert!(
        err.to_string().contains("no open request for information"),
        "{err}"
    );
    // Answers to questions that were not asked are refused: the example answers two
    // questions, and this request for information asks one.
    let one_question = MessageId::generate(at, &mut rng);
    case.record(
        CaseEvent::Received(Msg::InformationRequested {
            id: one_question,
            blocking: false,
            respond_by: None,
            questions: 1,
        }),
        at,
    )
    .unwrap();
    let err = case
        .event_for(
            true,
            &cp247_case::reply::examples::example(cp247_case::MessageKind::InformationProvided)
                .unwrap()
                .reply
                .unwrap(),
            MessageId::generate(at, &mut rng),
            Some(one_question),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot send a message of type information_provided on a case that is in_progress: it answers a question the request for information does not have (it has 1)"
    );
}

#[test]
fn a_case_cannot_grow_without_bound() {
    // A peer that repeats a harmless message cannot make a case record more than the bound.
    let at = ts("2026-02-23T09:00:00Z");
    let mut case = sent(Role::Requester, Kind::Art31, Urgency::Routine, at);
    case.record(
        CaseEvent::Received(Msg::Acknowledgement {
            next_step_eta: None,
        }),
        at,
    )
    .unwrap();
    let delay = CaseEvent::Received(Msg::DelayNotice {
        new_eta: at + SignedDuration::from_hours(48),
    });
    while case.history().len() < cp247_case::case::MAX_EVENTS {
        case.record(delay.clone(), at).unwrap();
    }
    let before = case.clone();
    let err = case.record(delay, at).unwrap_err();
    assert_eq!(case, before);
    assert!(
        err.to_string().ends_with("the most a case may hold"),
        "{err}"
    );
    // And no more than 200 requests for information.
    let mut case = sent(Role::Requester, Kind::Art31, Urgency::Routine, at);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let rfi = |rng: &mut rand::rngs::StdRng| {
        CaseEvent::Received(Msg::InformationRequested {
            id: MessageId::generate(at, rng),
            blocking: false,
            respond_by: None,
            questions: 1,
        })
    };
    for _ in 0..cp247_case::case::MAX_RFIS {
        case.record(rfi(&mut rng), at).unwrap();
    }
    assert!(case.record(rfi(&mut rng), at).is_err());
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! Property tests of the state machine and the case: random sequences of events, on both
//! sides of a case at once, never reach a state the law or the model forbids; a refused event
//! changes nothing; both sides always agree; a closed case accepts nothing; the preservation
//! clock is frozen after the MLA notice; replaying the history gives the same case.

mod common;

use cp247_case::deadline::ReminderKind;
use cp247_case::reply::ReleaseReason;
use cp247_case::state::DecisionKind;
use cp247_case::{
    Case, CaseEvent, CaseState, DeadlinePolicy, Msg, Opening, Outcome, Role, apply, reminders,
};
use cp247_domain::{Address, MessageId, Urgency};
use cp247_forms::{Document, Kind, PreservationStatus};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;
use rand::SeedableRng;

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

/// One step of a random scenario; numbers parameterise it.
#[derive(Debug, Clone)]
enum Action {
    /// A message written by its author and received by the other side.
    Message(u8, i64),
    /// The requester's system receipt.
    Receipt,
    /// The requester escalates; the requested side receives it.
    Escalate,
    /// A reminder fires on both sides.
    Reminder,
    /// Both sides let the preservation lapse.
    Lapse,
    /// Both sides record an extension made on another ticket.
    Extend(i64),
    /// Both sides close.
    Close,
    /// Time passes.
    Wait(i64),
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        8 => (0u8..23, 0i64..400).prop_map(|(k, n)| Action::Message(k, n)),
        1 => Just(Action::Receipt),
        1 => Just(Action::Escalate),
        1 => Just(Action::Reminder),
        1 => Just(Action::Lapse),
        1 => (1i64..200).prop_map(Action::Extend),
        1 => Just(Action::Close),
        2 => (1i64..(120 * 24)).prop_map(Action::Wait),
    ]
}

fn request(which: u8) -> Document {
    match which % 4 {
        0 => common::example(Kind::Art29),
        1 => {
            // An extension request of the example case.
            let Document::Art29(mut d) = common::example(Kind::Art29) else {
                unreachable!()
            };
            let Document::Art31(r) = common::example(Kind::Art31) else {
                unreachable!()
            };
            let previous = match r.request_status.previous_preservation() {
                cp247_forms::Applicable::Value(t) => t.clone(),
                cp247_forms::Applicable::NotApplicable(_) => unreachable!(),
            };
            d.request_status = PreservationStatus::Extension {
                previous_ticket: previous,
            };
            Document::Art29(d)
        }
        2 => common::example(Kind::Art31),
        _ => common::example(Kind::Art35),
    }
}

struct World {
    requester: Case,
    requested: Case,
    now: Timestamp,
    rng: rand::rngs::StdRng,
}

impl World {
    fn new(which: u8, urgency: Urgency) -> Self {
        let doc = request(which);
        let now = common::ts("2026-02-21T08:00:00Z");
        let ticket = common::ticket("FR-2026-7K3QZP8M");
        let opening = |role, counterpart| {
            let mut o = Opening::for_request(ticket.clone(), role, &doc, counterpart, now).unwrap();
            o.urgency = urgency;
            o
        };
        let requester = Case::open(opening(
            Role::Requester,
            Address::primary(common::party("MD")),
        ));
        let requested = Case::open(opening(
            Role::Requested,
            Address::primary(common::party("FR")),
        ));
        Self {
            requester,
            requested,
            now,
            rng: rand::rngs::StdRng::seed_from_u64(u64::from(which)),
        }
    }

    /// The message of index `k`, with `n` to parameterise dates.
    fn message(&mut self, k: u8, n: i64) -> Msg {
        let later = self.now + days(n % 200 + 1);
        let rfis = self.requester.rfis().to_vec();
        match k {
            0 => Msg::Request,
            1 => Msg::Acknowledgement {
                next_step_eta: (n % 2 == 0).then_some(later),
            },
            2 => Msg::InformationRequested {
                id: MessageId::generate(self.now, &mut self.rng),
                blocking: n % 2 == 0,
                respond_by: (n % 3 == 0).then_some(later),
                questions: 2,
            },
            3 => {
                // Mostly a real answer, built as the node builds it; sometimes a bogus one.
                let open: Vec<_> = rfis.iter().filter(|r| r.answered_at.is_none()).collect();
                match open.get(usize::try_from(n).unwrap() % (open.len() + 1)) {
                    Some(r) => {
                        let unblocks =
                            r.blocking && !open.iter().any(|o| o.id != r.id && o.blocking);
                        Msg::InformationProvided {
                            in_reply_to: r.id,
                            unblocks: if n % 7 == 0 { !unblocks } else { unblocks },
                        }
                    }
                    None => Msg::InformationProvided {
                        in_reply_to: MessageId::generate(self.now, &mut self.rng),
                        unblocks: n % 2 == 0,
                    },
                }
            }
            4 => Msg::PreservationConfirmed {
                preserved_at: self.now,
                until: self.now + days(60 + n % 60),
            },
            5 => Msg::RiskNotice {
                decision_needed_by: later,
            },
            6 => Msg::RequesterDecision(match n % 3 {
                0 => DecisionKind::Proceed,
                1 => DecisionKind::Withdraw,
                _ => DecisionKind::Modify,
            }),
            7 => Msg::TrafficDisclosure,
            8 => Msg::Executed,
            9 => Msg::PartiallyExecuted,
            10 => Msg::Refused,
            11 => Msg::Postponed { expected: None },
            12 => Msg::ConditionsProposed,
            13 => Msg::ConditionsResponse {
                accepted: n % 2 == 0,
            },
            14 => Msg::DelayNotice { new_eta: later },
            15 => Msg::ExtensionConfirmed {
                until: self.now + days(30 + n % 90),
            },
            16 => Msg::MlaSubmitted {
                mla_ticket: None,
                submitted_at: self.now,
            },
            17 => Msg::ExpiryWarning,
            18 => Msg::Released(match n % 4 {
                0 => ReleaseReason::Lapsed,
                1 => ReleaseReason::NoLongerNeeded,
                2 => ReleaseReason::MlaExecuted,
                _ => ReleaseReason::MlaRefused,
            }),
            19 => Msg::Referred,
            20 => Msg::Withdrawn,
            _ => Msg::Acknowledgement {
                next_step_eta: None,
            },
        }
    }
}

/// Records `event` on `case`, checking that a refusal changes nothing and that an acceptance
/// is exactly the state machine's transition.
fn record(case: &mut Case, event: CaseEvent, at: Timestamp) -> bool {
    let before = case.clone();
    match case.record(event.clone(), at) {
        Ok(state) => {
            assert_eq!(
                Ok(state),
                apply(before.state(), &event, before.role(), at),
                "record and apply disagree"
            );
            assert_eq!(case.state(), state);
            assert_eq!(case.history().len(), before.history().len() + 1);
            true
        }
        Err(e) => {
            assert_eq!(*case, before, "a refused event changed the case: {e}");
            assert!(e.to_string().starts_with("cannot "), "{e}");
            false
        }
    }
}

fn check_invariants(case: &Case, policy: &DeadlinePolicy) {
    let s = case.state();
    let art29 = case.article() == cp247_case::Article::Art29;
    let extension = case.reply_context().extension;
    // Preservation states exist only for Art. 29 requests, and only new ones hold data.
    if matches!(
        s,
        CaseState::Preserved { .. }
            | CaseState::MlaPending { .. }
            | CaseState::Released
            | CaseState::Lapsed
            | CaseState::Closed(Outcome::Released | Outcome::Lapsed)
    ) {
        assert!(art29 && !extension, "{s} on an {} case", case.article());
        let p = case.preservation().expect("a preservation record");
        if let Some(until) = s.preserved_until() {
            assert_eq!(until, p.until);
        }
    }
    // Executions exist for Arts. 31 and 35, and for a granted extension.
    if matches!(
        s,
        CaseState::Executed
            | CaseState::PartiallyExecuted
            | CaseState::Postponed
            | CaseState::Closed(Outcome::Executed | Outcome::PartiallyExecuted)
    ) {
        assert!(
            !art29 || (extension && matches!(s, CaseState::Executed | CaseState::Closed(_))),
            "{s} on an Art. 29 case"
        );
    }
    // Anything past delivery, except a withdrawal, means a person of the requested Party
    // acted.
    let untouched = matches!(
        s,
        CaseState::Draft
            | CaseState::Sent
            | CaseState::Delivered
            | CaseState::Withdrawn
            | CaseState::Closed(Outcome::Withdrawn)
    );
    if !untouched {
        assert!(case.human_ack_at().is_some(), "{s} without acknowledgement");
    }
    // Only urgent and emergency requests are escalated.
    if case.escalated_at().is_some() || case.escalation_received_at().is_some() {
        assert_ne!(case.urgency(), Urgency::Routine);
    }
    // Frozen: no expiry reminder.
    let rs = reminders(case, &common::calendars(), policy);
    if matches!(s, CaseState::MlaPending { .. }) {
        assert!(case.preservation().unwrap().frozen_at.is_some());
        assert!(!rs.iter().any(|r| matches!(
            r.kind,
            ReminderKind::PreservationExpiring { .. } | ReminderKind::PreservationExpired
        )));
    }
    if !s.is_open() {
        assert!(rs.is_empty(), "{s} has reminders");
    }
    let mut keys: Vec<_> = rs.iter().map(|r| r.key.clone()).collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), rs.len(), "duplicate reminder keys");
    // Replaying the history rebuilds the same case.
    let replayed = Case::replay(case.opening().clone(), case.history()).unwrap();
    assert_eq!(&replayed, case);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_histories_keep_both_sides_in_agreement(
        which in 0u8..4,
        urgency in prop::sample::select(Urgency::ALL.to_vec()),
        actions in prop::collection::vec(action(), 1..60),
    ) {
        run(which, urgency, actions)?;
    }

    #[test]
    fn a_closed_case_absorbs_every_event(
        which in 0u8..4,
        actions in prop::collection::vec(action(), 1..30),
    ) {
        // Drive a case to an outcome and close it, then throw events at it.
        let mut w = World::new(which, Urgency::Routine);
        let t = w.now;
        record(&mut w.requester, CaseEvent::Sent(Msg::Request), t);
        record(&mut w.requester, CaseEvent::Sent(Msg::Withdrawn), t);
        prop_assert!(record(&mut w.requester, CaseEvent::Close, t));
        let closed = w.requester.clone();
        for a in actions {
            w.now += SignedDuration::from_hours(1);
            let now = w.now;
            let events = match a {
                Action::Message(k, n) => {
                    let m = w.message(k, n);
                    vec![CaseEvent::Sent(m.clone()), CaseEvent::Received(m)]
                }
                Action::Receipt => vec![CaseEvent::SystemReceipt],
                Action::Escalate => vec![CaseEvent::Escalated],
                Action::Reminder => vec![CaseEvent::ReminderDue(ReminderKind::AcknowledgementOverdue)],
                Action::Lapse => vec![CaseEvent::Lapsed],
                Action::Extend(d) => vec![CaseEvent::PreservationExtended {
                    until: now + days(d),
                    by: common::ticket("FR-2026-EXTN0001"),
                }],
                Action::Close | Action::Wait(_) => vec![CaseEvent::Close],
            };
            for e in events {
                prop_assert!(w.requester.record(e, now).is_err());
                prop_assert_eq!(&w.requester, &closed);
            }
        }
    }
}

/// Runs `actions` on both sides of a case; returns the states the requester went through.
fn run(which: u8, urgency: Urgency, actions: Vec<Action>) -> Result<Vec<CaseState>, TestCaseError> {
    let policy = DeadlinePolicy::default();
    let mut w = World::new(which, urgency);
    // The request always starts the case on both sides.
    let t = w.now;
    prop_assert!(record(&mut w.requester, CaseEvent::Sent(Msg::Request), t));
    prop_assert!(record(
        &mut w.requested,
        CaseEvent::Received(Msg::Request),
        t
    ));
    let mut frozen_since: Option<Timestamp> = None;
    let mut closed = false;
    let mut visited = vec![w.requester.state(), w.requested.state()];
    for a in actions {
        w.now += SignedDuration::from_mins(7);
        let now = w.now;
        match a {
            Action::Message(k, n) => {
                let m = w.message(k, n);
                let (author, reader) = match m.author() {
                    Role::Requester => (&mut w.requester, &mut w.requested),
                    Role::Requested => (&mut w.requested, &mut w.requester),
                };
                // The reader's view may be one receipt behind the author's: align first.
                let sent = record(author, CaseEvent::Sent(m.clone()), now);
                if sent {
                    let received = record(reader, CaseEvent::Received(m), now);
                    prop_assert!(received, "the other side refused what one side sent");
                }
            }
            Action::Receipt => {
                record(&mut w.requester, CaseEvent::SystemReceipt, now);
            }
            Action::Escalate => {
                if record(&mut w.requester, CaseEvent::Escalated, now) {
                    prop_assert!(record(&mut w.requested, CaseEvent::EscalationReceived, now));
                }
            }
            Action::Reminder => {
                let e = CaseEvent::ReminderDue(ReminderKind::NextStepOverdue);
                let a = record(&mut w.requester, e.clone(), now);
                let b = record(&mut w.requested, e, now);
                prop_assert_eq!(a, b);
            }
            Action::Lapse => {
                let a = record(&mut w.requester, CaseEvent::Lapsed, now);
                let b = record(&mut w.requested, CaseEvent::Lapsed, now);
                prop_assert_eq!(a, b);
                if frozen_since.is_some() {
                    prop_assert!(!a, "a frozen preservation lapsed");
                }
            }
            Action::Extend(d) => {
                let until = w.requester.state().preserved_until().unwrap_or(now) + days(d);
                let e = CaseEvent::PreservationExtended {
                    until,
                    by: common::ticket("FR-2026-EXTN0001"),
                };
                let a = record(&mut w.requester, e.clone(), now);
                let b = record(&mut w.requested, e, now);
                prop_assert_eq!(a, b);
            }
            Action::Close => {
                let a = record(&mut w.requester, CaseEvent::Close, now);
                let b = record(&mut w.requested, CaseEvent::Close, now);
                prop_assert_eq!(a, b);
            }
            Action::Wait(h) => w.now += SignedDuration::from_hours(h),
        }
        // The requester may lag by the receipt; otherwise both sides agree.
        let (r, d) = (w.requester.state(), w.requested.state());
        if !(r == CaseState::Sent && d == CaseState::Delivered) {
            prop_assert_eq!(r, d);
        }
        if matches!(r, CaseState::MlaPending { .. }) && frozen_since.is_none() {
            frozen_since = Some(w.now);
        }
        if closed {
            prop_assert!(r.is_closed());
        }
        closed = r.is_closed();
        check_invariants(&w.requester, &policy);
        check_invariants(&w.requested, &policy);
        visited.push(w.requester.state());
    }
    Ok(visited)
}

#[test]
fn random_walks_reach_every_state() {
    // The properties above are not vacuous: random walks of the same kind visit every state.
    let mut rng = rand::rngs::StdRng::seed_from_u64(2026);
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..800u32 {
        let actions: Vec<Action> = (0..60)
            .map(|_| {
                use rand::Rng;
                match rng.random_range(0..16) {
                    0..=8 => Action::Message(rng.random_range(0..23), rng.random_range(0..400)),
                    9 => Action::Receipt,
                    10 => Action::Escalate,
                    11 => Action::Reminder,
                    12 => Action::Lapse,
                    13 => Action::Extend(rng.random_range(1..200)),
                    14 => Action::Close,
                    _ => Action::Wait(rng.random_range(1..(120 * 24))),
                }
            })
            .collect();
        let which = u8::try_from(i % 4).unwrap();
        let urgency = Urgency::ALL[usize::try_from(i % 3).unwrap()];
        for s in run(which, urgency, actions).unwrap() {
            seen.insert(match s {
                CaseState::Closed(o) => format!("closed {}", o.as_str()),
                other => other.name().to_owned(),
            });
        }
    }
    let missing: Vec<&str> = [
        "sent",
        "delivered",
        "in_progress",
        "info_requested",
        "conditions_proposed",
        "risk_notified",
        "postponed",
        "preserved",
        "mla_pending",
        "executed",
        "partially_executed",
        "refused",
        "referred",
        "withdrawn",
        "released",
        "lapsed",
        "closed executed",
        "closed partially_executed",
        "closed refused",
        "closed referred",
        "closed withdrawn",
        "closed released",
        "closed lapsed",
    ]
    .into_iter()
    .filter(|s| !seen.contains(*s))
    .collect();
    assert!(missing.is_empty(), "never reached: {missing:?}");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! Every (state, event, side) triple of the state machine against a table of the legal
//! transitions written out independently here: each legal one gives the expected state, each
//! other one is refused with "cannot … a case that is …".

mod common;

use cp247_case::deadline::ReminderKind;
use cp247_case::reply::ReleaseReason;
use cp247_case::state::{DecisionKind, Why};
use cp247_case::{CaseEvent, CaseState, Msg, Outcome, Role, apply};
use cp247_domain::MessageId;
use cp247_i18n::Lang;
use jiff::{SignedDuration, Timestamp};
use rand::SeedableRng;

const DAY: SignedDuration = SignedDuration::from_hours(24);

fn now() -> Timestamp {
    common::ts("2026-03-02T10:00:00Z")
}

fn until() -> Timestamp {
    now() + DAY * 100
}

const OUTCOMES: [Outcome; 7] = [
    Outcome::Executed,
    Outcome::PartiallyExecuted,
    Outcome::Refused,
    Outcome::Referred,
    Outcome::Withdrawn,
    Outcome::Released,
    Outcome::Lapsed,
];

fn states() -> Vec<CaseState> {
    let mut v = vec![
        CaseState::Draft,
        CaseState::Sent,
        CaseState::Delivered,
        CaseState::InProgress,
        CaseState::InfoRequested,
        CaseState::ConditionsProposed,
        CaseState::RiskNotified,
        CaseState::Postponed,
        CaseState::Preserved { until: until() },
        CaseState::MlaPending { until: until() },
        CaseState::Executed,
        CaseState::PartiallyExecuted,
        CaseState::Refused,
        CaseState::Referred,
        CaseState::Withdrawn,
        CaseState::Released,
        CaseState::Lapsed,
    ];
    v.extend(OUTCOMES.iter().map(|o| CaseState::Closed(*o)));
    v
}

fn id() -> MessageId {
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    MessageId::generate(now(), &mut rng)
}

/// Every message, labelled.
fn messages() -> Vec<(&'static str, Msg)> {
    vec![
        ("request", Msg::Request),
        (
            "acknowledgement",
            Msg::Acknowledgement {
                next_step_eta: None,
            },
        ),
        (
            "rfi_blocking",
            Msg::InformationRequested {
                id: id(),
                blocking: true,
                respond_by: None,
                questions: 2,
            },
        ),
        (
            "rfi_nonblocking",
            Msg::InformationRequested {
                id: id(),
                blocking: false,
                respond_by: None,
                questions: 2,
            },
        ),
        (
            "answer_unblocks",
            Msg::InformationProvided {
                in_reply_to: id(),
                unblocks: true,
            },
        ),
        (
            "answer_other",
            Msg::InformationProvided {
                in_reply_to: id(),
                unblocks: false,
            },
        ),
        (
            "preservation_confirmed",
            Msg::PreservationConfirmed {
                preserved_at: now(),
                until: now() + DAY * 60,
            },
        ),
        (
            "risk_notice",
            Msg::RiskNotice {
                decision_needed_by: now() + DAY,
            },
        ),
        (
            "decision_proceed",
            Msg::RequesterDecision(DecisionKind::Proceed),
        ),
        (
            "decision_modify",
            Msg::RequesterDecision(DecisionKind::Modify),
        ),
        (
            "decision_withdraw",
            Msg::RequesterDecision(DecisionKind::Withdraw),
        ),
        ("traffic_disclosure", Msg::TrafficDisclosure),
        ("executed", Msg::Executed),
        ("partially_executed", Msg::PartiallyExecuted),
        ("refused", Msg::Refused),
        ("postponed", Msg::Postponed { expected: None }),
        ("conditions_proposed", Msg::ConditionsProposed),
        (
            "conditions_accepted",
            Msg::ConditionsResponse { accepted: true },
        ),
        (
            "conditions_cannot_comply",
            Msg::ConditionsResponse { accepted: false },
        ),
        (
            "delay_notice",
            Msg::DelayNotice {
                new_eta: now() + DAY,
            },
        ),
        (
            "extension_confirmed",
            Msg::ExtensionConfirmed {
                until: now() + DAY * 200,
            },
        ),
        (
            "mla_submitted",
            Msg::MlaSubmitted {
                mla_ticket: None,
                submitted_at: now(),
            },
        ),
        ("expiry_warning", Msg::ExpiryWarning),
        (
            "released_no_longer_needed",
            Msg::Released(ReleaseReason::NoLongerNeeded),
        ),
        (
            "released_mla_executed",
            Msg::Released(ReleaseReason::MlaExecuted),
        ),
        (
            "released_mla_refused",
            Msg::Released(ReleaseReason::MlaRefused),
        ),
        ("released_lapsed", Msg::Released(ReleaseReason::Lapsed)),
        ("referred", Msg::Referred),
        ("withdrawn", Msg::Withdrawn),
    ]
}

/// Who writes each message.
fn author(label: &str) -> Role {
    match label {
        "request"
        | "answer_unblocks"
        | "answer_other"
        | "decision_proceed"
        | "decision_modify"
        | "decision_withdraw"
        | "conditions_accepted"
        | "conditions_cannot_comply"
        | "mla_submitted"
        | "withdrawn" => Role::Requester,
        _ => Role::Requested,
    }
}

const HANDLED: &[&str] = &[
    "in_progress",
    "info_requested",
    "conditions_proposed",
    "risk_notified",
    "postponed",
    "preserved",
    "mla_pending",
];
const OUTCOME_STATES: &[&str] = &[
    "executed",
    "partially_executed",
    "refused",
    "referred",
    "withdrawn",
    "released",
    "lapsed",
];

/// The legal message transitions: (message, states it may happen in, resulting state or
/// "same").
fn message_table() -> Vec<(&'static str, Vec<&'static str>, &'static str)> {
    let handled = HANDLED.to_vec();
    let with = |a: &[&'static str], b: &[&'static str]| [a, b].concat();
    vec![
        ("acknowledgement", vec!["sent", "delivered"], "in_progress"),
        ("acknowledgement", handled.clone(), "same"),
        (
            "rfi_blocking",
            vec![
                "sent",
                "delivered",
                "in_progress",
                "postponed",
                "info_requested",
            ],
            "info_requested",
        ),
        (
            "rfi_nonblocking",
            vec!["sent", "delivered", "in_progress"],
            "in_progress",
        ),
        (
            "rfi_nonblocking",
            vec![
                "info_requested",
                "postponed",
                "conditions_proposed",
                "risk_notified",
                "preserved",
                "mla_pending",
            ],
            "same",
        ),
        ("answer_unblocks", vec!["info_requested"], "in_progress"),
        (
            "answer_other",
            vec![
                "info_requested",
                "in_progress",
                "conditions_proposed",
                "risk_notified",
                "postponed",
                "preserved",
                "mla_pending",
            ],
            "same",
        ),
        (
            "preservation_confirmed",
            vec!["sent", "delivered", "in_progress"],
            "preserved",
        ),
        (
            "risk_notice",
            vec!["sent", "delivered", "in_progress"],
            "risk_notified",
        ),
        ("decision_proceed", vec!["risk_notified"], "in_progress"),
        ("decision_modify", vec!["risk_notified"], "in_progress"),
        ("decision_withdraw", vec!["risk_notified"], "withdrawn"),
        (
            "traffic_disclosure",
            vec!["sent", "delivered", "in_progress"],
            "in_progress",
        ),
        (
            "traffic_disclosure",
            vec!["preserved", "mla_pending"],
            "same",
        ),
        (
            "executed",
            vec!["sent", "delivered", "in_progress", "postponed"],
            "executed",
        ),
        (
            "partially_executed",
            vec!["sent", "delivered", "in_progress", "postponed"],
            "partially_executed",
        ),
        (
            "refused",
            vec![
                "sent",
                "delivered",
                "in_progress",
                "info_requested",
                "conditions_proposed",
                "postponed",
            ],
            "refused",
        ),
        (
            "referred",
            vec![
                "sent",
                "delivered",
                "in_progress",
                "info_requested",
                "postponed",
            ],
            "referred",
        ),
        (
            "postponed",
            vec!["sent", "delivered", "in_progress", "postponed"],
            "postponed",
        ),
        (
            "conditions_proposed",
            vec!["sent", "delivered", "in_progress", "postponed"],
            "conditions_proposed",
        ),
        (
            "conditions_accepted",
            vec!["conditions_proposed"],
            "in_progress",
        ),
        (
            "conditions_cannot_comply",
            vec!["conditions_proposed"],
            "in_progress",
        ),
        (
            "delay_notice",
            vec!["sent", "delivered", "in_progress"],
            "in_progress",
        ),
        (
            "delay_notice",
            vec![
                "info_requested",
                "conditions_proposed",
                "risk_notified",
                "postponed",
            ],
            "same",
        ),
        (
            "extension_confirmed",
            vec!["sent", "delivered", "in_progress"],
            "executed",
        ),
        ("mla_submitted", vec!["preserved"], "mla_pending"),
        ("expiry_warning", vec!["preserved"], "same"),
        (
            "released_no_longer_needed",
            vec!["preserved", "mla_pending"],
            "released",
        ),
        (
            "released_mla_executed",
            vec!["preserved", "mla_pending"],
            "released",
        ),
        (
            "released_mla_refused",
            vec!["preserved", "mla_pending"],
            "released",
        ),
        // At `now`, the sample preservation has not ended: only a lapsed case can be
        // released as lapsed (the time-dependent cases are tested below).
        ("released_lapsed", vec!["lapsed"], "released"),
        (
            "withdrawn",
            with(&["sent", "delivered"], &handled),
            "withdrawn",
        ),
    ]
}

fn expected_message(label: &str, state: CaseState, sent: bool) -> Option<CaseState> {
    if label == "request" {
        return (state == CaseState::Draft).then_some(if sent {
            CaseState::Sent
        } else {
            CaseState::Delivered
        });
    }
    for (l, from, to) in message_table() {
        if l == label && from.contains(&state.name()) {
            return Some(named(to, state));
        }
    }
    None
}

/// The state called `name`; "same" is `state`; preserved states keep their date.
fn named(name: &str, state: CaseState) -> CaseState {
    match name {
        "same" => state,
        "in_progress" => CaseState::InProgress,
        "info_requested" => CaseState::InfoRequested,
        "conditions_proposed" => CaseState::ConditionsProposed,
        "risk_notified" => CaseState::RiskNotified,
        "postponed" => CaseState::Postponed,
        "delivered" => CaseState::Delivered,
        "preserved" => CaseState::Preserved {
            until: now() + DAY * 60,
        },
        "mla_pending" => CaseState::MlaPending {
            until: state.preserved_until().unwrap(),
        },
        "executed" => CaseState::Executed,
        "partially_executed" => CaseState::PartiallyExecuted,
        "refused" => CaseState::Refused,
        "referred" => CaseState::Referred,
        "withdrawn" => CaseState::Withdrawn,
        "released" => CaseState::Released,
        other => panic!("no state {other}"),
    }
}

/// The system events, labelled, with the side that may observe them (`None`: either).
fn system_events() -> Vec<(&'static str, CaseEvent, Option<Role>)> {
    vec![
        (
            "system_receipt",
            CaseEvent::SystemReceipt,
            Some(Role::Requester),
        ),
        ("escalated", CaseEvent::Escalated, Some(Role::Requester)),
        (
            "escalation_received",
            CaseEvent::EscalationReceived,
            Some(Role::Requested),
        ),
        (
            "reminder",
            CaseEvent::ReminderDue(ReminderKind::PreservationExpiring { days_before: 7 }),
            None,
        ),
        ("lapsed", CaseEvent::Lapsed, None),
        (
            "extended",
            CaseEvent::PreservationExtended {
                until: until() + DAY * 60,
                by: common::ticket("FR-2026-EXTN0001"),
            },
            None,
        ),
        ("close", CaseEvent::Close, None),
    ]
}

fn expected_system(label: &str, state: CaseState) -> Option<CaseState> {
    let n = state.name();
    let open_after_delivery = HANDLED.contains(&n) || n == "delivered";
    match label {
        "system_receipt" => match n {
            "sent" => Some(CaseState::Delivered),
            _ if open_after_delivery || OUTCOME_STATES.contains(&n) => Some(state),
            _ => None,
        },
        "escalated" => matches!(n, "sent" | "delivered").then_some(state),
        "escalation_received" => match n {
            "draft" => Some(CaseState::Delivered),
            _ if open_after_delivery => Some(state),
            _ => None,
        },
        "reminder" => (n == "sent" || open_after_delivery).then_some(state),
        // The sample preservation ends after `now`.
        "lapsed" => None,
        "extended" => match state {
            CaseState::Preserved { .. } => Some(CaseState::Preserved {
                until: until() + DAY * 60,
            }),
            CaseState::MlaPending { .. } => Some(CaseState::MlaPending {
                until: until() + DAY * 60,
            }),
            _ => None,
        },
        "close" => state
            .outcome()
            .filter(|_| !state.is_closed())
            .map(CaseState::Closed),
        other => panic!("no event {other}"),
    }
}

#[test]
fn every_state_event_and_side_is_decided_as_the_table_says() {
    let mut checked = 0;
    let mut legal = 0;
    for state in states() {
        for role in Role::ALL {
            for (label, m) in messages() {
                for sent in [true, false] {
                    let event = if sent {
                        CaseEvent::Sent(m.clone())
                    } else {
                        CaseEvent::Received(m.clone())
                    };
                    let writer = if sent { role } else { role.other() };
                    let expected = if writer == author(label) {
                        expected_message(label, state, sent)
                    } else {
                        None
                    };
                    let got = apply(state, &event, role, now());
                    check(state, &event, role, expected, got, &mut legal);
                    checked += 1;
                }
            }
            for (label, event, side) in system_events() {
                let expected = if side.is_none_or(|s| s == role) {
                    expected_system(label, state)
                } else {
                    None
                };
                let got = apply(state, &event, role, now());
                check(state, &event, role, expected, got, &mut legal);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 24 * 2 * (29 * 2 + 7));
    assert!(legal > 150, "only {legal} legal transitions");
}

fn check(
    state: CaseState,
    event: &CaseEvent,
    role: Role,
    expected: Option<CaseState>,
    got: Result<CaseState, cp247_case::TransitionError>,
    legal: &mut usize,
) {
    match (expected, got) {
        (Some(e), Ok(g)) => {
            assert_eq!(g, e, "{event:?} on {state} ({role})");
            *legal += 1;
        }
        (None, Err(err)) => {
            let text = err.to_string();
            assert!(
                text.starts_with(&format!("cannot {} a case that is {}", err.event, state)),
                "{text}"
            );
            assert_eq!(err.state, state);
            for lang in Lang::ALL {
                let m = err.message(lang);
                assert!(!m.contains('⟦'), "missing catalogue text: {m}");
            }
        }
        (Some(e), Err(err)) => panic!("{event:?} on {state} ({role}) should give {e}: {err}"),
        (None, Ok(g)) => panic!("{event:?} on {state} ({role}) should be refused, gave {g}"),
    }
}

#[test]
fn closed_accepts_nothing() {
    for o in OUTCOMES {
        for role in Role::ALL {
            for (_, m) in messages() {
                for e in [CaseEvent::Sent(m.clone()), CaseEvent::Received(m.clone())] {
                    assert!(apply(CaseState::Closed(o), &e, role, now()).is_err());
                }
            }
            for (_, e, _) in system_events() {
                assert!(apply(CaseState::Closed(o), &e, role, now()).is_err());
            }
        }
    }
}

#[test]
fn the_clock_decides_lapse_and_release_as_lapsed() {
    let preserved = CaseState::Preserved { until: until() };
    let just_before = until() - SignedDuration::from_secs(1);
    let err = apply(preserved, &CaseEvent::Lapsed, Role::Requester, just_before).unwrap_err();
    assert_eq!(err.why, Why::NotYetExpired { until: until() });
    assert!(err.to_string().contains("which has not passed"), "{err}");
    assert_eq!(
        apply(preserved, &CaseEvent::Lapsed, Role::Requested, until()).unwrap(),
        CaseState::Lapsed
    );
    let released = CaseEvent::Received(Msg::Released(ReleaseReason::Lapsed));
    assert!(apply(preserved, &released, Role::Requester, just_before).is_err());
    assert_eq!(
        apply(preserved, &released, Role::Requester, until()).unwrap(),
        CaseState::Released
    );
}

#[test]
fn the_mla_notice_freezes_the_clock() {
    let frozen = CaseState::MlaPending { until: until() };
    let years_later = until() + DAY * 800;
    for role in Role::ALL {
        let err = apply(frozen, &CaseEvent::Lapsed, role, years_later).unwrap_err();
        assert_eq!(err.why, Why::Frozen);
        assert!(err.to_string().contains("Art. 29(7)"), "{err}");
    }
    let released_lapsed = CaseEvent::Received(Msg::Released(ReleaseReason::Lapsed));
    assert_eq!(
        apply(frozen, &released_lapsed, Role::Requester, years_later)
            .unwrap_err()
            .why,
        Why::Frozen
    );
    let warning = CaseEvent::Received(Msg::ExpiryWarning);
    assert_eq!(
        apply(frozen, &warning, Role::Requester, now())
            .unwrap_err()
            .why,
        Why::Frozen
    );
}

#[test]
fn dates_must_move_forward() {
    let preserved = CaseState::Preserved { until: until() };
    for new in [until(), until() - DAY] {
        let e = CaseEvent::PreservationExtended {
            until: new,
            by: common::ticket("FR-2026-EXTN0001"),
        };
        let err = apply(preserved, &e, Role::Requester, now()).unwrap_err();
        assert_eq!(err.why, Why::NotLater { current: until() });
    }
    let past = CaseEvent::Received(Msg::PreservationConfirmed {
        preserved_at: now() - DAY * 70,
        until: now() - DAY,
    });
    let err = apply(CaseState::InProgress, &past, Role::Requester, now()).unwrap_err();
    assert_eq!(err.why, Why::AlreadyPast { at: now() - DAY });
    let confirm_past = CaseEvent::Received(Msg::ExtensionConfirmed { until: now() });
    assert!(apply(CaseState::InProgress, &confirm_past, Role::Requester, now()).is_err());
}

#[test]
fn messages_from_the_wrong_side_are_refused_with_the_author() {
    // The requested side cannot receive a refusal: it writes refusals.
    let e = CaseEvent::Received(Msg::Refused);
    let err = apply(CaseState::InProgress, &e, Role::Requested, now()).unwrap_err();
    assert_eq!(
        err.why,
        Why::WrongSide {
            author: Role::Requested
        }
    );
    assert_eq!(
        err.to_string(),
        "cannot receive a message of type refused on a case that is in_progress: only the requested side sends this message"
    );
    // A requester cannot send a withdrawal on behalf of … the requested side sends none.
    let e = CaseEvent::Sent(Msg::Withdrawn);
    assert!(apply(CaseState::InProgress, &e, Role::Requested, now()).is_err());
    // Answers that claim to unblock while nothing blocks.
    let e = CaseEvent::Received(Msg::InformationProvided {
        in_reply_to: id(),
        unblocks: true,
    });
    assert_eq!(
        apply(CaseState::InProgress, &e, Role::Requested, now())
            .unwrap_err()
            .why,
        Why::NothingBlocked
    );
}

#[test]
fn errors_read_well_in_both_languages() {
    let err = apply(
        CaseState::Preserved { until: until() },
        &CaseEvent::Received(Msg::Executed),
        Role::Requester,
        now(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot receive a message of type executed on a case that is preserved"
    );
    assert_eq!(
        err.message(Lang::En),
        "cannot receive a message of type executed on a case that is preserved"
    );
    assert_eq!(
        err.message(Lang::Fr),
        "action impossible (recevoir un message de type executed) : le dossier est conservé"
    );
    let err = apply(CaseState::Sent, &CaseEvent::Close, Role::Requester, now()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot close a case that is sent: it has no outcome yet"
    );
    assert_eq!(
        err.message(Lang::Fr),
        "action impossible (clore le dossier) : le dossier est envoyé : il n'a pas encore d'issue"
    );
}

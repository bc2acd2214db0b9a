#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Integration tests may unwrap and panic: a failure is a test failure with its message.

//! Every name people read has a text in English and in French, persisted values round-trip
//! through JSON, and the problem report of a faulty reply reads as reviewed (snapshot).

mod common;

use cp247_case::deadline::{DueKind, ReminderKind};
use cp247_case::grounds::RefusalGround;
use cp247_case::reply::{examples, parse_reply_json};
use cp247_case::{
    Case, CaseEvent, CaseState, DeadlinePolicy, Limit, MessageKind, Msg, Opening, Outcome, Role,
};
use cp247_domain::{Address, MessageId, Urgency};
use cp247_forms::Kind;
use cp247_forms::shared::Choice;
use cp247_i18n::Lang;
use jiff::SignedDuration;
use rand::SeedableRng;

fn assert_text(t: String) {
    assert!(!t.contains('⟦') && !t.trim().is_empty(), "{t}");
}

#[test]
fn every_label_exists_in_both_languages() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let id = MessageId::generate(common::ts("2026-01-01T00:00:00Z"), &mut rng);
    for lang in Lang::ALL {
        for k in MessageKind::ALL {
            assert_text(k.label(lang));
        }
        for g in RefusalGround::ALL {
            assert_text(g.label(lang));
        }
        let until = common::ts("2026-05-01T00:00:00Z");
        let mut states = vec![
            CaseState::Draft,
            CaseState::Sent,
            CaseState::Delivered,
            CaseState::InProgress,
            CaseState::InfoRequested,
            CaseState::ConditionsProposed,
            CaseState::RiskNotified,
            CaseState::Postponed,
            CaseState::Preserved { until },
            CaseState::MlaPending { until },
            CaseState::Executed,
            CaseState::PartiallyExecuted,
            CaseState::Refused,
            CaseState::Referred,
            CaseState::Withdrawn,
            CaseState::Released,
            CaseState::Lapsed,
        ];
        states.push(CaseState::Closed(Outcome::Refused));
        for s in states {
            assert_text(s.label(lang));
        }
        for d in [
            DueKind::HumanAcknowledgement,
            DueKind::InformationAnswer { rfi: id },
            DueKind::RiskDecision,
            DueKind::PreservationExpiry,
            DueKind::MlaFollowUp,
            DueKind::NextStep,
        ] {
            assert_text(d.label(lang));
        }
        for r in [
            ReminderKind::AcknowledgementOverdue,
            ReminderKind::AnswerDue { rfi: id },
            ReminderKind::RiskDecisionDue,
            ReminderKind::PreservationExpiring { days_before: 7 },
            ReminderKind::PreservationExpired,
            ReminderKind::MlaFollowUpDue,
            ReminderKind::NextStepOverdue,
        ] {
            assert_text(r.label(lang));
        }
    }
    assert_eq!(
        ReminderKind::PreservationExpiring { days_before: 7 }.label(Lang::Fr),
        "La conservation prend fin dans 7 jours"
    );
    assert_eq!(
        MessageKind::PartialTrafficDisclosure.label(Lang::En),
        "Disclosure of traffic data (Art. 30)"
    );
}

#[test]
fn a_history_and_a_policy_round_trip_through_json() {
    let at = common::ts("2026-02-21T08:00:00Z");
    let doc = common::example(Kind::Art29);
    let opening = Opening::for_request(
        common::ticket("FR-2026-7K3QZP8M"),
        Role::Requester,
        &doc,
        Address::primary(common::party("MD")),
        at,
    )
    .unwrap();
    let mut case = Case::open(opening.clone());
    case.record(CaseEvent::Sent(Msg::Request), at).unwrap();
    case.record(CaseEvent::SystemReceipt, at).unwrap();
    case.record(CaseEvent::Escalated, at + SignedDuration::from_hours(2))
        .unwrap();
    case.record(
        CaseEvent::Received(Msg::PreservationConfirmed {
            preserved_at: at,
            until: at + SignedDuration::from_hours(24 * 90),
        }),
        at + SignedDuration::from_hours(3),
    )
    .unwrap();
    case.record(
        CaseEvent::ReminderDue(ReminderKind::PreservationExpiring { days_before: 14 }),
        at + SignedDuration::from_hours(24 * 76),
    )
    .unwrap();
    // What a store keeps: the opening and the recorded events, as JSON.
    let opening_json = serde_json::to_string(&opening).unwrap();
    let history_json = serde_json::to_string(case.history()).unwrap();
    let opening_back: Opening = serde_json::from_str(&opening_json).unwrap();
    let history_back: Vec<cp247_case::case::Recorded> =
        serde_json::from_str(&history_json).unwrap();
    let again = Case::replay(opening_back, &history_back).unwrap();
    assert_eq!(again, case);
    assert!(history_json.contains("\"escalated\""), "{history_json}");
    // A tampered history is refused by the state machine on replay.
    let mut forged = history_back.clone();
    forged.swap(0, 3);
    assert!(Case::replay(opening.clone(), &forged).is_err());

    // The policy as a node's configuration writes it.
    let policy: DeadlinePolicy = serde_json::from_str(
        r#"{"acknowledge_emergency": {"elapsed": "PT15M"},
            "acknowledge_urgent": {"office_time": "PT4H"},
            "acknowledge_routine": {"working_days": 2},
            "answer_default": {"working_days": 3},
            "expiry_reminder_days": [30, 7, 1],
            "mla_margin_days": 21}"#,
    )
    .unwrap();
    assert_eq!(
        policy.acknowledgement(Urgency::Emergency),
        Limit::Elapsed(SignedDuration::from_mins(15))
    );
    assert_eq!(
        policy.acknowledgement(Urgency::Urgent),
        Limit::OfficeTime(SignedDuration::from_hours(4))
    );
    assert!(
        serde_json::from_str::<DeadlinePolicy>(
            r#"{"acknowledge_emergency": {"elapsed": "PT15M"}, "typo": 1}"#
        )
        .is_err()
    );
    let back: DeadlinePolicy =
        serde_json::from_str(&serde_json::to_string(&DeadlinePolicy::default()).unwrap()).unwrap();
    assert_eq!(back, DeadlinePolicy::default());
    // Message kinds are written with their wire names.
    assert_eq!(
        serde_json::to_string(&MessageKind::ExtensionRequest).unwrap(),
        "\"art29_extension_request\""
    );
    assert!(serde_json::from_str::<MessageKind>("\"preservation_request\"").is_err());
}

#[test]
fn the_problem_report_of_a_faulty_reply() {
    // A preservation confirmation with several faults, as a duty officer would see it.
    let kind = MessageKind::PreservationConfirmed;
    let ctx = examples::context(kind).unwrap();
    let text = examples::json(kind)
        .unwrap()
        .replace("\"2026-05-22T17:30:00+03:00\"", "\"2026-03-22T17:30:00\"")
        .replace(
            "\"status\": \"partially_preserved\"",
            "\"status\": \"refused\"",
        )
        .replace(
            "\"provider_reference\": \"EH-LE-2026-0042\"",
            "\"provider_reference\": {\"unknown\": {\"reason\": \"n/a\"}}",
        );
    let parsed = parse_reply_json(text.as_bytes(), &ctx).unwrap();
    assert!(parsed.reply.is_none());
    let mut report = String::new();
    for lang in Lang::ALL {
        for p in parsed.report.problems() {
            report.push_str(&p.line(lang));
            report.push('\n');
        }
    }
    insta::assert_snapshot!(report);
}

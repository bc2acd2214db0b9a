//! The deadline engine: what is due on a case, and the reminders that fire before and at those
//! times — pure functions of the case, the office calendars, the policy and the instant, so
//! tests drive months with a [`cp247_domain::ManualClock`].
//!
//! # Exactly once
//!
//! Every reminder has a stable [`ReminderKey`]: the ticket, the kind (with its parameters) and
//! the target instant it reminds of (`preserved_until`, a deadline). [`reminders`] recomputes
//! the full list from the case at any time, after a restart as before it; the node fires those
//! whose `fire_at` has passed and whose key it has not recorded ([`pending`]), records each key
//! in the same transaction as the resulting case event, and so fires each reminder exactly
//! once. A reminder whose time passed while the node was down fires at restart (late, never
//! skipped). Changing the target (an extension moves `preserved_until`) gives new keys; the
//! reminders of the old target are no longer produced. Fire times are computed in civil time in
//! the reminded node's zone ("7 days before" is the same wall-clock time seven calendar days
//! earlier), and the key never contains the fire time, so a daylight-saving change or a new
//! time-zone database cannot make a reminder fire twice.
//!
//! A reminder is only scheduled if its fire time is not before the moment its target was set:
//! a preservation confirmed for 60 days has a 14-day reminder, but an extension recorded five
//! days before the new end does not produce a "14 days before" reminder in the past.
//!
//! # Store
//!
//! Proposed table (cp247-store): `reminders(key TEXT PRIMARY KEY, ticket TEXT NOT NULL,
//! fire_at_us BIGINT NOT NULL, fired_at_us BIGINT NOT NULL)`, written when a reminder fires,
//! in the transaction that records [`crate::CaseEvent::ReminderDue`].

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use cp247_domain::{MessageId, TicketId, Urgency};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::calendar::{Limit, OfficeCalendar};
use crate::case::Case;
use crate::kind::Role;
use crate::state::CaseState;

/// How long things may take, and when to remind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlinePolicy {
    /// Human acknowledgement of an emergency request.
    pub acknowledge_emergency: Limit,
    /// Human acknowledgement of an urgent request.
    pub acknowledge_urgent: Limit,
    /// Human acknowledgement of a routine request (counted in the requested contact point's
    /// calendar).
    pub acknowledge_routine: Limit,
    /// Answers to a request for information that gives no date (counted in the requester's
    /// calendar).
    pub answer_default: Limit,
    /// Reminders before `preserved_until`, in calendar days (e.g. 14, 7, 1).
    pub expiry_reminder_days: Vec<u16>,
    /// When the request gives no date for the follow-up request for mutual assistance, it is
    /// due this many days before `preserved_until`.
    pub mla_margin_days: u16,
}

impl Default for DeadlinePolicy {
    /// Emergency 30 minutes, urgent 2 hours, routine 1 working day; answers within 2 working
    /// days; reminders 14, 7 and 1 days before expiry; the follow-up request for mutual
    /// assistance 14 days before expiry.
    fn default() -> Self {
        Self {
            acknowledge_emergency: Limit::Elapsed(SignedDuration::from_mins(30)),
            acknowledge_urgent: Limit::Elapsed(SignedDuration::from_hours(2)),
            acknowledge_routine: Limit::WorkingDays(1),
            answer_default: Limit::WorkingDays(2),
            expiry_reminder_days: vec![14, 7, 1],
            mla_margin_days: 14,
        }
    }
}

impl DeadlinePolicy {
    /// The acknowledgement limit of `urgency`.
    pub fn acknowledgement(&self, urgency: Urgency) -> Limit {
        match urgency {
            Urgency::Emergency => self.acknowledge_emergency,
            Urgency::Urgent => self.acknowledge_urgent,
            Urgency::Routine => self.acknowledge_routine,
        }
    }
}

/// The office calendars of the two sides of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendars {
    /// The requesting contact point's.
    pub requester: OfficeCalendar,
    /// The requested contact point's.
    pub requested: OfficeCalendar,
}

impl Calendars {
    /// The calendar of `role`.
    pub fn of(&self, role: Role) -> &OfficeCalendar {
        match role {
            Role::Requester => &self.requester,
            Role::Requested => &self.requested,
        }
    }
}

/// What is due.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DueKind {
    /// A person of the requested Party must acknowledge the request.
    HumanAcknowledgement,
    /// The requester must answer a request for information.
    InformationAnswer {
        /// The request for information.
        rfi: MessageId,
    },
    /// The requester must decide after a risk notice.
    RiskDecision,
    /// The preservation ends: extend it or submit the request for mutual assistance.
    PreservationExpiry,
    /// The follow-up request for mutual assistance is due.
    MlaFollowUp,
    /// The requested side's announced next step (acknowledgement ETA, delay notice,
    /// postponement).
    NextStep,
}

impl DueKind {
    /// The snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            DueKind::HumanAcknowledgement => "human_acknowledgement",
            DueKind::InformationAnswer { .. } => "information_answer",
            DueKind::RiskDecision => "risk_decision",
            DueKind::PreservationExpiry => "preservation_expiry",
            DueKind::MlaFollowUp => "mla_follow_up",
            DueKind::NextStep => "next_step",
        }
    }

    /// The name people read, in `lang`.
    pub fn label(&self, lang: cp247_i18n::Lang) -> String {
        cp247_i18n::text(lang, &format!("case-due-{}", self.name().replace('_', "-")))
    }
}

/// One thing due on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    /// What.
    pub kind: DueKind,
    /// Who owes it.
    pub owed_by: Role,
    /// When.
    pub due_at: Timestamp,
    /// Whether `now` is at or past `due_at`.
    pub overdue: bool,
}

/// What a reminder is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReminderKind {
    /// No human acknowledgement by the limit (on the requester's side, the escalation check
    /// runs then).
    AcknowledgementOverdue,
    /// Answers to a request for information are due.
    AnswerDue {
        /// The request for information.
        rfi: MessageId,
    },
    /// The requester's decision after a risk notice is due.
    RiskDecisionDue,
    /// The preservation ends in `days_before` days.
    PreservationExpiring {
        /// Calendar days before the end.
        days_before: u16,
    },
    /// The preservation has ended (record [`crate::CaseEvent::Lapsed`]).
    PreservationExpired,
    /// The follow-up request for mutual assistance is due.
    MlaFollowUpDue,
    /// The announced next step is overdue.
    NextStepOverdue,
}

impl ReminderKind {
    /// The snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            ReminderKind::AcknowledgementOverdue => "acknowledgement_overdue",
            ReminderKind::AnswerDue { .. } => "answer_due",
            ReminderKind::RiskDecisionDue => "risk_decision_due",
            ReminderKind::PreservationExpiring { .. } => "preservation_expiring",
            ReminderKind::PreservationExpired => "preservation_expired",
            ReminderKind::MlaFollowUpDue => "mla_follow_up_due",
            ReminderKind::NextStepOverdue => "next_step_overdue",
        }
    }

    /// What the reminder says, in `lang` ("The preservation ends in 7 days").
    pub fn label(&self, lang: cp247_i18n::Lang) -> String {
        let key = format!("case-reminder-{}", self.name().replace('_', "-"));
        match self {
            ReminderKind::PreservationExpiring { days_before } => {
                cp247_i18n::text_args(lang, &key, &[("days", &days_before.to_string())])
            }
            ReminderKind::AcknowledgementOverdue
            | ReminderKind::AnswerDue { .. }
            | ReminderKind::RiskDecisionDue
            | ReminderKind::PreservationExpired
            | ReminderKind::MlaFollowUpDue
            | ReminderKind::NextStepOverdue => cp247_i18n::text(lang, &key),
        }
    }

    /// The name with its parameters, as it appears in a key.
    fn key_part(&self) -> String {
        match self {
            ReminderKind::AnswerDue { rfi } => format!("answer_due.{rfi}"),
            ReminderKind::PreservationExpiring { days_before } => {
                format!("preservation_expiring.{days_before}d")
            }
            ReminderKind::AcknowledgementOverdue
            | ReminderKind::RiskDecisionDue
            | ReminderKind::PreservationExpired
            | ReminderKind::MlaFollowUpDue
            | ReminderKind::NextStepOverdue => self.name().to_owned(),
        }
    }
}

/// The stable identity of a reminder: `TICKET/KIND/TARGET` with the target in UTC, e.g.
/// `FR-2026-7K3QZP2M/preservation_expiring.7d/2026-05-01T08:00:00Z`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReminderKey(String);

impl ReminderKey {
    /// The key of `kind` for `target` on `ticket`.
    pub fn new(ticket: &TicketId, kind: &ReminderKind, target: Timestamp) -> Self {
        Self(format!("{ticket}/{}/{target}", kind.key_part()))
    }

    /// The key as text (at most about 120 bytes).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ReminderKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reminder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reminder {
    /// Its stable identity.
    pub key: ReminderKey,
    /// The ticket.
    pub ticket: TicketId,
    /// What about.
    pub kind: ReminderKind,
    /// Who has to act.
    pub owed_by: Role,
    /// The instant it reminds of.
    pub target: Timestamp,
    /// When it fires.
    pub fire_at: Timestamp,
}

/// The keys of reminders that already fired (the store's `reminders` table).
pub trait FiredReminders {
    /// Whether `key` fired.
    fn has_fired(&self, key: &ReminderKey) -> bool;
}

impl FiredReminders for BTreeSet<ReminderKey> {
    fn has_fired(&self, key: &ReminderKey) -> bool {
        self.contains(key)
    }
}

impl FiredReminders for HashSet<ReminderKey> {
    fn has_fired(&self, key: &ReminderKey) -> bool {
        self.contains(key)
    }
}

/// When a human acknowledgement of the request is due, while none has come.
pub fn acknowledgement_due_at(
    case: &Case,
    requested: &OfficeCalendar,
    policy: &DeadlinePolicy,
) -> Option<Timestamp> {
    ack_due(case, policy, |from, limit| requested.deadline(from, limit))
}

/// [`acknowledgement_due_at`] with the limit counted by `deadline`.
pub(crate) fn ack_due(
    case: &Case,
    policy: &DeadlinePolicy,
    deadline: impl Fn(Timestamp, Limit) -> Option<Timestamp>,
) -> Option<Timestamp> {
    if case.human_ack_at().is_some() {
        return None;
    }
    match case.state() {
        CaseState::Sent | CaseState::Delivered => {}
        CaseState::Draft
        | CaseState::InProgress
        | CaseState::InfoRequested
        | CaseState::ConditionsProposed
        | CaseState::RiskNotified
        | CaseState::Postponed
        | CaseState::Preserved { .. }
        | CaseState::MlaPending { .. }
        | CaseState::Executed
        | CaseState::PartiallyExecuted
        | CaseState::Refused
        | CaseState::Referred
        | CaseState::Withdrawn
        | CaseState::Released
        | CaseState::Lapsed
        | CaseState::Closed(_) => return None,
    }
    let from = case.request_at()?;
    deadline(from, policy.acknowledgement(case.urgency()))
}

/// Everything due on `case`, earliest first, with `overdue` as of `now`.
pub fn due_items(
    case: &Case,
    calendars: &Calendars,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Vec<Due> {
    let mut out: Vec<Due> = Vec::new();
    let mut push = |kind: DueKind, owed_by: Role, due_at: Timestamp| {
        out.push(Due {
            kind,
            owed_by,
            due_at,
            overdue: now >= due_at,
        });
    };
    if let Some(at) = acknowledgement_due_at(case, &calendars.requested, policy) {
        push(DueKind::HumanAcknowledgement, Role::Requested, at);
    }
    let open = case.state().is_open();
    if open {
        for rfi in case.rfis().iter().filter(|r| r.answered_at.is_none()) {
            let due = rfi.respond_by.or_else(|| {
                calendars
                    .requester
                    .deadline(rfi.asked_at, policy.answer_default)
            });
            if let Some(at) = due {
                push(
                    DueKind::InformationAnswer { rfi: rfi.id },
                    Role::Requester,
                    at,
                );
            }
        }
    }
    match case.state() {
        CaseState::RiskNotified => {
            if let Some(at) = case.risk_decision_due() {
                push(DueKind::RiskDecision, Role::Requester, at);
            }
        }
        CaseState::Preserved { until } => {
            push(DueKind::PreservationExpiry, Role::Requester, until);
            if let Some(at) = mla_due_at(case, &calendars.requester, policy, until) {
                push(DueKind::MlaFollowUp, Role::Requester, at);
            }
        }
        CaseState::InProgress | CaseState::InfoRequested | CaseState::ConditionsProposed => {
            if let Some(at) = case.next_step_eta() {
                push(DueKind::NextStep, Role::Requested, at);
            }
        }
        CaseState::Postponed => {
            let at = case
                .expected_date()
                .and_then(|d| calendars.requested.end_of(d))
                .or(case.next_step_eta());
            if let Some(at) = at {
                push(DueKind::NextStep, Role::Requested, at);
            }
        }
        CaseState::Draft
        | CaseState::Sent
        | CaseState::Delivered
        | CaseState::MlaPending { .. }
        | CaseState::Executed
        | CaseState::PartiallyExecuted
        | CaseState::Refused
        | CaseState::Referred
        | CaseState::Withdrawn
        | CaseState::Released
        | CaseState::Lapsed
        | CaseState::Closed(_) => {}
    }
    out.sort_by(|a, b| a.due_at.cmp(&b.due_at).then(a.kind.cmp(&b.kind)));
    out
}

/// When the follow-up request for mutual assistance is due: the end of the date the request
/// planned, or `mla_margin_days` before the end of the preservation (never after that end).
fn mla_due_at(
    case: &Case,
    requester: &OfficeCalendar,
    policy: &DeadlinePolicy,
    until: Timestamp,
) -> Option<Timestamp> {
    let planned = case
        .opening()
        .planned_mla_by
        .and_then(|d| requester.end_of(d));
    let margin = requester.days_before(until, policy.mla_margin_days);
    match (planned, margin) {
        (Some(p), _) => Some(p.min(until)),
        (None, m) => m,
    }
}

/// Every reminder of `case` as it stands (past and future); the node fires those returned by
/// [`pending`]. Expiry reminders are computed in the calendar of this node's side.
pub fn reminders(case: &Case, calendars: &Calendars, policy: &DeadlinePolicy) -> Vec<Reminder> {
    let ticket = case.ticket();
    let mut out = Vec::new();
    let mut add = |kind: ReminderKind, owed_by: Role, target: Timestamp, fire_at: Timestamp| {
        out.push(Reminder {
            key: ReminderKey::new(ticket, &kind, target),
            ticket: ticket.clone(),
            kind,
            owed_by,
            target,
            fire_at,
        });
    };
    // The state is recomputed from the case alone: `now` plays no part, so the list is the
    // same whenever it is computed.
    for due in due_items(case, calendars, policy, Timestamp::MIN) {
        match due.kind {
            DueKind::HumanAcknowledgement => add(
                ReminderKind::AcknowledgementOverdue,
                due.owed_by,
                due.due_at,
                due.due_at,
            ),
            DueKind::InformationAnswer { rfi } => add(
                ReminderKind::AnswerDue { rfi },
                due.owed_by,
                due.due_at,
                due.due_at,
            ),
            DueKind::RiskDecision => add(
                ReminderKind::RiskDecisionDue,
                due.owed_by,
                due.due_at,
                due.due_at,
            ),
            DueKind::MlaFollowUp => add(
                ReminderKind::MlaFollowUpDue,
                due.owed_by,
                due.due_at,
                due.due_at,
            ),
            DueKind::NextStep => add(
                ReminderKind::NextStepOverdue,
                due.owed_by,
                due.due_at,
                due.due_at,
            ),
            DueKind::PreservationExpiry => {
                let set_at = case
                    .preservation()
                    .map_or(Timestamp::MIN, |p| p.until_set_at);
                let own = calendars.of(case.role());
                let mut days: Vec<u16> = policy.expiry_reminder_days.clone();
                days.sort_unstable_by(|a, b| b.cmp(a));
                days.dedup();
                for d in days {
                    if let Some(fire_at) = own.days_before(due.due_at, d)
                        && fire_at >= set_at
                    {
                        add(
                            ReminderKind::PreservationExpiring { days_before: d },
                            due.owed_by,
                            due.due_at,
                            fire_at,
                        );
                    }
                }
                add(
                    ReminderKind::PreservationExpired,
                    due.owed_by,
                    due.due_at,
                    due.due_at,
                );
            }
        }
    }
    out.sort_by(|a, b| a.fire_at.cmp(&b.fire_at).then(a.key.cmp(&b.key)));
    out
}

/// The reminders of `case` that should fire at `now`: due and not yet fired.
pub fn pending(
    case: &Case,
    calendars: &Calendars,
    policy: &DeadlinePolicy,
    now: Timestamp,
    fired: &impl FiredReminders,
) -> Vec<Reminder> {
    reminders(case, calendars, policy)
        .into_iter()
        .filter(|r| r.fire_at <= now && !fired.has_fired(&r.key))
        .collect()
}

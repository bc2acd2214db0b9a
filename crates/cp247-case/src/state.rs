//! The case state machine: [`CaseState`], [`CaseEvent`] and the total transition function
//! [`apply`].
//!
//! Both nodes of a case run the same machine and so agree on its state: an event is either a
//! message (sent by this node or received from the other), or something only one side
//! observes (the signed receipt of the request, the escalation, a reminder, the clock passing
//! `preserved_until`). Who may write each message is fixed by its kind
//! ([`MessageKind::author`]); a message from the wrong side is refused, whatever the state.
//!
//! ```text
//! Draft ─request─▶ Sent ─receipt─▶ Delivered ─acknowledgement─▶ InProgress
//!   (the requested side opens its case directly in Delivered)
//! InProgress ─rfi(blocking)─▶ InfoRequested ─answer─▶ InProgress
//! InProgress ─conditions─▶ ConditionsProposed ─response─▶ InProgress      (or withdrawn)
//! InProgress ─risk notice─▶ RiskNotified ─proceed/modify─▶ InProgress     (or withdrawn)
//! InProgress ─postponed─▶ Postponed ─(any work message)─▶ …
//! InProgress ─executed | partially_executed | refused | referred─▶ outcome
//! Art. 29:   InProgress ─preservation_confirmed─▶ Preserved(until T)
//!            Preserved ─extended─▶ Preserved(T' > T) ─mla_submitted─▶ MlaPending (frozen)
//!            Preserved ─T passed─▶ Lapsed;  Preserved | MlaPending ─released─▶ Released
//! outcome (executed, partially executed, refused, referred, withdrawn, released, lapsed)
//!   ─close─▶ Closed(outcome), which accepts no event at all.
//! ```
//!
//! A substantive reply from the requested side before any acknowledgement (an emergency
//! preservation confirmed at once) is itself a human acknowledgement: it moves the case on as
//! if the acknowledgement had come first. The signed receipt of the receiving node is never an
//! acknowledgement. Late or duplicated receipts and acknowledgements (e-mail may reorder) are
//! accepted without effect while the case is open.
//!
//! [`apply`] matches every (state, event) pair explicitly — there is no catch-all arm — so a
//! new state or event does not compile until every transition has been decided.

use std::fmt;

use cp247_domain::{MessageId, TicketId};
use cp247_i18n::Lang;
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::deadline::ReminderKind;
use crate::kind::{Article, MessageKind, Role};
use crate::reply::ReleaseReason;

/// How a case ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Executed (Arts. 31, 35; an extension request granted).
    Executed,
    /// Partially executed.
    PartiallyExecuted,
    /// Refused.
    Refused,
    /// Referred to the competent authority.
    Referred,
    /// Withdrawn by the requester.
    Withdrawn,
    /// Preserved data released.
    Released,
    /// Preservation expired without extension or request for mutual assistance.
    Lapsed,
}

impl Outcome {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Executed => "executed",
            Outcome::PartiallyExecuted => "partially_executed",
            Outcome::Refused => "refused",
            Outcome::Referred => "referred",
            Outcome::Withdrawn => "withdrawn",
            Outcome::Released => "released",
            Outcome::Lapsed => "lapsed",
        }
    }
}

/// The state of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// The requester is composing the request; nothing has been sent.
    Draft,
    /// The request left the requester's node; no receipt yet.
    Sent,
    /// The request reached the requested node (its signed receipt came back); no person has
    /// acknowledged it.
    Delivered,
    /// A person acknowledged the request; it is being handled.
    InProgress,
    /// Waiting for answers to a blocking request for information.
    InfoRequested,
    /// Waiting for the requester's answer to proposed conditions.
    ConditionsProposed,
    /// Waiting for the requester's decision after an Art. 29(6) risk notice.
    RiskNotified,
    /// Execution postponed (Art. 27(5)).
    Postponed,
    /// The data are preserved until `until` (Art. 29).
    Preserved {
        /// The current end of the preservation.
        until: Timestamp,
    },
    /// The request for mutual assistance is submitted: the data stay preserved pending its
    /// decision, whatever `until` says (Art. 29(7)).
    MlaPending {
        /// The end of the preservation when it was frozen (or as later extended).
        until: Timestamp,
    },
    /// Executed.
    Executed,
    /// Partially executed.
    PartiallyExecuted,
    /// Refused.
    Refused,
    /// Referred to the competent authority.
    Referred,
    /// Withdrawn by the requester.
    Withdrawn,
    /// Preserved data released.
    Released,
    /// The preservation expired without extension or request for mutual assistance.
    Lapsed,
    /// Closed after its outcome; no event changes it any more.
    Closed(Outcome),
}

impl CaseState {
    /// The snake_case name (the store's `ticket state`).
    pub fn name(&self) -> &'static str {
        match self {
            CaseState::Draft => "draft",
            CaseState::Sent => "sent",
            CaseState::Delivered => "delivered",
            CaseState::InProgress => "in_progress",
            CaseState::InfoRequested => "info_requested",
            CaseState::ConditionsProposed => "conditions_proposed",
            CaseState::RiskNotified => "risk_notified",
            CaseState::Postponed => "postponed",
            CaseState::Preserved { .. } => "preserved",
            CaseState::MlaPending { .. } => "mla_pending",
            CaseState::Executed => "executed",
            CaseState::PartiallyExecuted => "partially_executed",
            CaseState::Refused => "refused",
            CaseState::Referred => "referred",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Released => "released",
            CaseState::Lapsed => "lapsed",
            CaseState::Closed(_) => "closed",
        }
    }

    /// The name people read, in `lang` ("waiting for information").
    pub fn label(&self, lang: Lang) -> String {
        cp247_i18n::text(
            lang,
            &format!("case-state-{}", self.name().replace('_', "-")),
        )
    }

    /// The outcome, for a state that is one (or a closed case).
    pub fn outcome(&self) -> Option<Outcome> {
        match self {
            CaseState::Executed => Some(Outcome::Executed),
            CaseState::PartiallyExecuted => Some(Outcome::PartiallyExecuted),
            CaseState::Refused => Some(Outcome::Refused),
            CaseState::Referred => Some(Outcome::Referred),
            CaseState::Withdrawn => Some(Outcome::Withdrawn),
            CaseState::Released => Some(Outcome::Released),
            CaseState::Lapsed => Some(Outcome::Lapsed),
            CaseState::Closed(o) => Some(*o),
            CaseState::Draft
            | CaseState::Sent
            | CaseState::Delivered
            | CaseState::InProgress
            | CaseState::InfoRequested
            | CaseState::ConditionsProposed
            | CaseState::RiskNotified
            | CaseState::Postponed
            | CaseState::Preserved { .. }
            | CaseState::MlaPending { .. } => None,
        }
    }

    /// True from the request's departure until an outcome.
    pub fn is_open(&self) -> bool {
        match self {
            CaseState::Sent
            | CaseState::Delivered
            | CaseState::InProgress
            | CaseState::InfoRequested
            | CaseState::ConditionsProposed
            | CaseState::RiskNotified
            | CaseState::Postponed
            | CaseState::Preserved { .. }
            | CaseState::MlaPending { .. } => true,
            CaseState::Draft
            | CaseState::Executed
            | CaseState::PartiallyExecuted
            | CaseState::Refused
            | CaseState::Referred
            | CaseState::Withdrawn
            | CaseState::Released
            | CaseState::Lapsed
            | CaseState::Closed(_) => false,
        }
    }

    /// True once closed.
    pub fn is_closed(&self) -> bool {
        matches!(self, CaseState::Closed(_))
    }

    /// The end of the preservation, while data are preserved.
    pub fn preserved_until(&self) -> Option<Timestamp> {
        match self {
            CaseState::Preserved { until } | CaseState::MlaPending { until } => Some(*until),
            CaseState::Draft
            | CaseState::Sent
            | CaseState::Delivered
            | CaseState::InProgress
            | CaseState::InfoRequested
            | CaseState::ConditionsProposed
            | CaseState::RiskNotified
            | CaseState::Postponed
            | CaseState::Executed
            | CaseState::PartiallyExecuted
            | CaseState::Refused
            | CaseState::Referred
            | CaseState::Withdrawn
            | CaseState::Released
            | CaseState::Lapsed
            | CaseState::Closed(_) => None,
        }
    }
}

impl fmt::Display for CaseState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The requester's decision after a risk notice, as the state machine sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionKind {
    /// Preserve anyway.
    Proceed,
    /// Withdraw.
    Withdraw,
    /// Change the request.
    Modify,
}

/// A message of a case, with what the state machine and the deadline engine need of it (the
/// document itself is kept by the store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Msg {
    /// The request.
    Request,
    /// A human acknowledgement.
    Acknowledgement {
        /// When the next step is expected.
        next_step_eta: Option<Timestamp>,
    },
    /// A request for information.
    InformationRequested {
        /// Its message id (answers refer to it).
        id: MessageId,
        /// Whether work waits for the answers.
        blocking: bool,
        /// When the answers are needed.
        respond_by: Option<Timestamp>,
        /// How many questions it asks.
        questions: u16,
    },
    /// Answers to a request for information.
    InformationProvided {
        /// The request for information answered.
        in_reply_to: MessageId,
        /// True when this answers the last open blocking request for information.
        unblocks: bool,
    },
    /// Preservation confirmed.
    PreservationConfirmed {
        /// When the data were preserved.
        preserved_at: Timestamp,
        /// Until when.
        until: Timestamp,
    },
    /// An Art. 29(6) risk notice.
    RiskNotice {
        /// When the requester must decide.
        decision_needed_by: Timestamp,
    },
    /// The requester's decision.
    RequesterDecision(DecisionKind),
    /// An Art. 30 disclosure.
    TrafficDisclosure,
    /// Executed.
    Executed,
    /// Partially executed.
    PartiallyExecuted,
    /// Refused.
    Refused,
    /// Postponed.
    Postponed {
        /// When execution is expected.
        expected: Option<Date>,
    },
    /// Conditions proposed.
    ConditionsProposed,
    /// The answer to conditions.
    ConditionsResponse {
        /// Accepted, or cannot comply.
        accepted: bool,
    },
    /// A delay notice.
    DelayNotice {
        /// When the result is now expected.
        new_eta: Timestamp,
    },
    /// An extension granted (on the extension request's own case).
    ExtensionConfirmed {
        /// The new end of the preservation.
        until: Timestamp,
    },
    /// The request for mutual assistance is submitted.
    MlaSubmitted {
        /// Its cp247 ticket, when it has one.
        mla_ticket: Option<TicketId>,
        /// When.
        submitted_at: Timestamp,
    },
    /// The holder warns of the expiry.
    ExpiryWarning,
    /// Preserved data released.
    Released(ReleaseReason),
    /// Referred.
    Referred,
    /// Withdrawn.
    Withdrawn,
}

impl Msg {
    /// The kind of the message (`request_kind` for [`Msg::Request`], which the message alone
    /// does not say).
    pub fn kind(&self, request_kind: MessageKind) -> MessageKind {
        match self {
            Msg::Request => request_kind,
            Msg::Acknowledgement { .. } => MessageKind::Acknowledgement,
            Msg::InformationRequested { .. } => MessageKind::RequestForInformation,
            Msg::InformationProvided { .. } => MessageKind::InformationProvided,
            Msg::PreservationConfirmed { .. } => MessageKind::PreservationConfirmed,
            Msg::RiskNotice { .. } => MessageKind::PreservationRiskNotice,
            Msg::RequesterDecision(_) => MessageKind::RequesterDecision,
            Msg::TrafficDisclosure => MessageKind::PartialTrafficDisclosure,
            Msg::Executed => MessageKind::Executed,
            Msg::PartiallyExecuted => MessageKind::PartiallyExecuted,
            Msg::Refused => MessageKind::Refused,
            Msg::Postponed { .. } => MessageKind::Postponed,
            Msg::ConditionsProposed => MessageKind::ConditionsProposed,
            Msg::ConditionsResponse { .. } => MessageKind::ConditionsResponse,
            Msg::DelayNotice { .. } => MessageKind::DelayNotice,
            Msg::ExtensionConfirmed { .. } => MessageKind::ExtensionConfirmed,
            Msg::MlaSubmitted { .. } => MessageKind::MlaSubmittedNotice,
            Msg::ExpiryWarning => MessageKind::PreservationExpiryWarning,
            Msg::Released(_) => MessageKind::PreservationReleased,
            Msg::Referred => MessageKind::Referred,
            Msg::Withdrawn => MessageKind::Withdrawn,
        }
    }

    /// Which side writes it.
    pub fn author(&self) -> Role {
        // Every request kind is written by the requester, so any one of them gives the author.
        self.kind(MessageKind::PreservationRequest).author()
    }

    /// The snake_case name used in messages ("request" for the request).
    pub fn name(&self) -> &'static str {
        match self {
            Msg::Request => "request",
            Msg::Acknowledgement { .. }
            | Msg::InformationRequested { .. }
            | Msg::InformationProvided { .. }
            | Msg::PreservationConfirmed { .. }
            | Msg::RiskNotice { .. }
            | Msg::RequesterDecision(_)
            | Msg::TrafficDisclosure
            | Msg::Executed
            | Msg::PartiallyExecuted
            | Msg::Refused
            | Msg::Postponed { .. }
            | Msg::ConditionsProposed
            | Msg::ConditionsResponse { .. }
            | Msg::DelayNotice { .. }
            | Msg::ExtensionConfirmed { .. }
            | Msg::MlaSubmitted { .. }
            | Msg::ExpiryWarning
            | Msg::Released(_)
            | Msg::Referred
            | Msg::Withdrawn => self.kind(MessageKind::PreservationRequest).name(),
        }
    }
}

/// Something that happens to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseEvent {
    /// This node sent a message (a human acknowledgement is `Sent(Msg::Acknowledgement)` on
    /// the requested side).
    Sent(Msg),
    /// This node received a message from the other side (`Received(Msg::Acknowledgement)` is
    /// the human acknowledgement on the requester's side).
    Received(Msg),
    /// Requester only: the receiving node's signed receipt of the request arrived. It is not
    /// a human acknowledgement.
    SystemReceipt,
    /// Requester only: the request was escalated — sent to the requested Party's other contact
    /// point and the duty officer alerted.
    Escalated,
    /// Requested only: the escalation notice arrived (at the alternate contact point).
    EscalationReceived,
    /// A reminder fired (recorded for the audit trail; it changes no state).
    ReminderDue(ReminderKind),
    /// The clock passed `preserved_until` with neither extension nor request for mutual
    /// assistance.
    Lapsed,
    /// The preservation of this case was extended by an extension request on another ticket.
    PreservationExtended {
        /// The new end.
        until: Timestamp,
        /// The extension request's ticket.
        by: TicketId,
    },
    /// A person closes a case that has its outcome.
    Close,
}

impl CaseEvent {
    /// What the event does, in words, ready for "cannot … a case that is …":
    /// "receive a message of type refused on".
    pub fn describe(&self) -> String {
        match self {
            CaseEvent::Sent(Msg::Request) => "send the request of".to_owned(),
            CaseEvent::Received(Msg::Request) => "receive the request of".to_owned(),
            CaseEvent::Sent(m) => format!("send a message of type {} on", m.name()),
            CaseEvent::Received(m) => format!("receive a message of type {} on", m.name()),
            CaseEvent::SystemReceipt => "record a system receipt for".to_owned(),
            CaseEvent::Escalated => "escalate".to_owned(),
            CaseEvent::EscalationReceived => "record an escalation of".to_owned(),
            CaseEvent::ReminderDue(k) => format!("fire a {} reminder for", k.name()),
            CaseEvent::Lapsed => "let lapse".to_owned(),
            CaseEvent::PreservationExtended { .. } => "extend the preservation of".to_owned(),
            CaseEvent::Close => "close".to_owned(),
        }
    }

    /// The catalogue key and arguments of [`CaseEvent::describe`].
    fn describe_key(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            CaseEvent::Sent(Msg::Request) => ("case-event-send-request", Vec::new()),
            CaseEvent::Received(Msg::Request) => ("case-event-receive-request", Vec::new()),
            CaseEvent::Sent(m) => ("case-event-send", vec![("kind", m.name().to_owned())]),
            CaseEvent::Received(m) => ("case-event-receive", vec![("kind", m.name().to_owned())]),
            CaseEvent::SystemReceipt => ("case-event-system-receipt", Vec::new()),
            CaseEvent::Escalated => ("case-event-escalated", Vec::new()),
            CaseEvent::EscalationReceived => ("case-event-escalation-received", Vec::new()),
            CaseEvent::ReminderDue(k) => {
                ("case-event-reminder", vec![("kind", k.name().to_owned())])
            }
            CaseEvent::Lapsed => ("case-event-lapsed", Vec::new()),
            CaseEvent::PreservationExtended { .. } => ("case-event-extended", Vec::new()),
            CaseEvent::Close => ("case-event-close", Vec::new()),
        }
    }
}

/// Why an event cannot happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Not in this state.
    NotNow,
    /// The message is written by the other side.
    WrongSide {
        /// Who writes it.
        author: Role,
    },
    /// The date given is already past.
    AlreadyPast {
        /// The date.
        at: Timestamp,
    },
    /// The preservation has not expired yet.
    NotYetExpired {
        /// Its end.
        until: Timestamp,
    },
    /// The preservation clock is frozen (request for mutual assistance submitted).
    Frozen,
    /// The new end of the preservation is not later than the current one.
    NotLater {
        /// The current end.
        current: Timestamp,
    },
    /// No blocking request for information is open.
    NothingBlocked,
    /// The case's article has no such message.
    ArticleNotAllowed {
        /// The article.
        article: Article,
    },
    /// An extension confirmation on a case that is not an extension request.
    NotAnExtension,
    /// A preservation confirmation on an extension request (which is answered by an
    /// extension confirmation).
    ExtensionCase,
    /// The answer names no open request for information of this case.
    UnknownRequestForInformation,
    /// An answer to a question the request for information does not have.
    UnknownQuestion {
        /// How many questions it has.
        max: u16,
    },
    /// `unblocks` does not match the open requests for information.
    Inconsistent,
    /// Only urgent and emergency requests escalate.
    NotUrgent,
    /// A case cannot extend itself.
    SelfReference,
    /// The case has no outcome yet.
    NoOutcome,
    /// The case has recorded as many events (or requests for information) as it may.
    TooMany {
        /// The bound.
        max: usize,
    },
}

/// An event that cannot happen to a case in its state: "cannot receive a message of type
/// refused on a case that is preserved". The case is left unchanged and nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionError {
    /// The event, in words.
    pub event: String,
    /// The state the case was in.
    pub state: CaseState,
    /// Why.
    pub why: Why,
    key: (&'static str, Vec<(&'static str, String)>),
}

impl TransitionError {
    /// The error for `event` on a case in `state`.
    pub fn new(event: &CaseEvent, state: CaseState, why: Why) -> Self {
        Self {
            event: event.describe(),
            state,
            why,
            key: event.describe_key(),
        }
    }

    /// The message in `lang`.
    pub fn message(&self, lang: Lang) -> String {
        let (key, args) = &self.key;
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let event = cp247_i18n::text_args(lang, key, &args);
        let state = self.state.label(lang);
        let head = cp247_i18n::text_args(
            lang,
            "case-transition",
            &[("event", event.as_str()), ("state", state.as_str())],
        );
        let why = match &self.why {
            Why::NotNow => return head,
            Why::WrongSide { author } => {
                cp247_i18n::text_args(lang, "case-why-wrong-side", &[("author", author.as_str())])
            }
            Why::AlreadyPast { at } => {
                cp247_i18n::text_args(lang, "case-why-already-past", &[("at", &at.to_string())])
            }
            Why::NotYetExpired { until } => cp247_i18n::text_args(
                lang,
                "case-why-not-yet-expired",
                &[("until", &until.to_string())],
            ),
            Why::Frozen => cp247_i18n::text(lang, "case-why-frozen"),
            Why::NotLater { current } => cp247_i18n::text_args(
                lang,
                "case-why-not-later",
                &[("current", &current.to_string())],
            ),
            Why::NothingBlocked => cp247_i18n::text(lang, "case-why-nothing-blocked"),
            Why::ArticleNotAllowed { article } => {
                cp247_i18n::text_args(lang, "case-why-article", &[("article", article.as_str())])
            }
            Why::NotAnExtension => cp247_i18n::text(lang, "case-why-not-an-extension"),
            Why::ExtensionCase => cp247_i18n::text(lang, "case-why-extension-case"),
            Why::UnknownRequestForInformation => cp247_i18n::text(lang, "case-why-unknown-rfi"),
            Why::UnknownQuestion { max } => cp247_i18n::text_args(
                lang,
                "case-why-unknown-question",
                &[("max", &max.to_string())],
            ),
            Why::Inconsistent => cp247_i18n::text(lang, "case-why-inconsistent"),
            Why::NotUrgent => cp247_i18n::text(lang, "case-why-not-urgent"),
            Why::SelfReference => cp247_i18n::text(lang, "case-why-self-reference"),
            Why::NoOutcome => cp247_i18n::text(lang, "case-why-no-outcome"),
            Why::TooMany { max } => {
                cp247_i18n::text_args(lang, "case-why-too-many", &[("max", &max.to_string())])
            }
        };
        cp247_i18n::text_args(
            lang,
            "case-transition-because",
            &[("head", head.as_str()), ("why", why.as_str())],
        )
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot {} a case that is {}", self.event, self.state)?;
        match &self.why {
            Why::NotNow => Ok(()),
            Why::WrongSide { author } => {
                write!(f, ": only the {author} side sends this message")
            }
            Why::AlreadyPast { at } => write!(f, ": {at} is already past"),
            Why::NotYetExpired { until } => {
                write!(f, ": it is preserved until {until}, which has not passed")
            }
            Why::Frozen => f.write_str(
                ": its preservation is kept pending the decision on the request for mutual assistance (Art. 29(7)), so it does not expire",
            ),
            Why::NotLater { current } => {
                write!(f, ": the new end is not later than the current one, {current}")
            }
            Why::NothingBlocked => f.write_str(": no blocking request for information is open"),
            Why::ArticleNotAllowed { article } => {
                write!(f, ": a case under {article} has no such message")
            }
            Why::NotAnExtension => f.write_str(
                ": only an extension request is answered by an extension confirmation",
            ),
            Why::ExtensionCase => f.write_str(
                ": an extension request is answered by an extension confirmation, and the preservation it extends stays on the earlier case",
            ),
            Why::UnknownRequestForInformation => {
                f.write_str(": it answers no open request for information of this case")
            }
            Why::UnknownQuestion { max } => write!(
                f,
                ": it answers a question the request for information does not have (it has {max})"
            ),
            Why::Inconsistent => f.write_str(
                ": whether it unblocks the case does not match the open requests for information",
            ),
            Why::NotUrgent => f.write_str(": only urgent and emergency requests escalate"),
            Why::SelfReference => f.write_str(": a case cannot be extended by itself"),
            Why::NoOutcome => f.write_str(": it has no outcome yet"),
            Why::TooMany { max } => write!(
                f,
                ": it already holds {max} of them, the most a case may hold"
            ),
        }
    }
}

impl std::error::Error for TransitionError {}

/// The state after `event` happens to a case in `state`, on the `role` side, at `now`; or why
/// it cannot happen. Total: every (state, event) pair is decided explicitly.
pub fn apply(
    state: CaseState,
    event: &CaseEvent,
    role: Role,
    now: Timestamp,
) -> Result<CaseState, TransitionError> {
    let result = match event {
        CaseEvent::Sent(m) | CaseEvent::Received(m) => {
            let sent = matches!(event, CaseEvent::Sent(_));
            let writer = if sent { role } else { role.other() };
            if writer != m.author() {
                Err(Why::WrongSide { author: m.author() })
            } else {
                message(state, m, sent, now)
            }
        }
        CaseEvent::SystemReceipt => only(role, Role::Requester).and_then(|()| receipt(state)),
        CaseEvent::Escalated => only(role, Role::Requester).and_then(|()| escalated(state)),
        CaseEvent::EscalationReceived => {
            only(role, Role::Requested).and_then(|()| escalation_received(state))
        }
        CaseEvent::ReminderDue(_) => reminder(state),
        CaseEvent::Lapsed => lapsed(state, now),
        CaseEvent::PreservationExtended { until, .. } => extended(state, *until),
        CaseEvent::Close => close(state),
    };
    result.map_err(|why| TransitionError::new(event, state, why))
}

fn only(role: Role, allowed: Role) -> Result<(), Why> {
    if role == allowed {
        Ok(())
    } else {
        // The event is one the other side observes: it is "written" by that side.
        Err(Why::WrongSide { author: allowed })
    }
}

/// Open states after a person has acknowledged (explicitly or by a substantive message).
macro_rules! handled {
    () => {
        CaseState::InProgress
            | CaseState::InfoRequested
            | CaseState::ConditionsProposed
            | CaseState::RiskNotified
            | CaseState::Postponed
            | CaseState::Preserved { .. }
            | CaseState::MlaPending { .. }
    };
}

/// States with an outcome, before closing.
macro_rules! outcome {
    () => {
        CaseState::Executed
            | CaseState::PartiallyExecuted
            | CaseState::Refused
            | CaseState::Referred
            | CaseState::Withdrawn
            | CaseState::Released
            | CaseState::Lapsed
    };
}

fn message(state: CaseState, m: &Msg, sent: bool, now: Timestamp) -> Result<CaseState, Why> {
    use CaseState as S;
    match m {
        Msg::Request => match state {
            S::Draft => Ok(if sent { S::Sent } else { S::Delivered }),
            S::Sent | S::Delivered | handled!() | outcome!() | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::Acknowledgement { .. } => match state {
            S::Sent | S::Delivered => Ok(S::InProgress),
            handled!() => Ok(state),
            S::Draft | outcome!() | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::InformationRequested { blocking, .. } => {
            let blocked_or = |s: CaseState| if *blocking { S::InfoRequested } else { s };
            match state {
                S::Sent | S::Delivered | S::InProgress => Ok(blocked_or(S::InProgress)),
                S::InfoRequested => Ok(S::InfoRequested),
                S::Postponed => Ok(blocked_or(S::Postponed)),
                S::ConditionsProposed
                | S::RiskNotified
                | S::Preserved { .. }
                | S::MlaPending { .. } => {
                    if *blocking {
                        Err(Why::NotNow)
                    } else {
                        Ok(state)
                    }
                }
                S::Draft | outcome!() | S::Closed(_) => Err(Why::NotNow),
            }
        }
        Msg::InformationProvided { unblocks, .. } => match state {
            S::InfoRequested => Ok(if *unblocks {
                S::InProgress
            } else {
                S::InfoRequested
            }),
            S::InProgress
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | S::Preserved { .. }
            | S::MlaPending { .. } => {
                if *unblocks {
                    Err(Why::NothingBlocked)
                } else {
                    Ok(state)
                }
            }
            S::Draft | S::Sent | S::Delivered | outcome!() | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::PreservationConfirmed { until, .. } => match state {
            S::Sent | S::Delivered | S::InProgress => {
                if *until > now {
                    Ok(S::Preserved { until: *until })
                } else {
                    Err(Why::AlreadyPast { at: *until })
                }
            }
            S::Draft
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::RiskNotice { .. } => match state {
            S::Sent | S::Delivered | S::InProgress => Ok(S::RiskNotified),
            S::Draft
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::RequesterDecision(d) => match state {
            S::RiskNotified => Ok(match d {
                DecisionKind::Proceed | DecisionKind::Modify => S::InProgress,
                DecisionKind::Withdraw => S::Withdrawn,
            }),
            S::Draft
            | S::Sent
            | S::Delivered
            | S::InProgress
            | S::InfoRequested
            | S::ConditionsProposed
            | S::Postponed
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::TrafficDisclosure => match state {
            S::Sent | S::Delivered | S::InProgress => Ok(S::InProgress),
            S::Preserved { .. } | S::MlaPending { .. } => Ok(state),
            S::Draft
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::Executed => execution(state, S::Executed),
        Msg::PartiallyExecuted => execution(state, S::PartiallyExecuted),
        Msg::Refused => match state {
            S::Sent
            | S::Delivered
            | S::InProgress
            | S::InfoRequested
            | S::ConditionsProposed
            | S::Postponed => Ok(S::Refused),
            S::Draft
            | S::RiskNotified
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::Referred => match state {
            S::Sent | S::Delivered | S::InProgress | S::InfoRequested | S::Postponed => {
                Ok(S::Referred)
            }
            S::Draft
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::Postponed { .. } => match state {
            S::Sent | S::Delivered | S::InProgress | S::Postponed => Ok(S::Postponed),
            S::Draft
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::ConditionsProposed => match state {
            S::Sent | S::Delivered | S::InProgress | S::Postponed => Ok(S::ConditionsProposed),
            S::Draft
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::ConditionsResponse { .. } => match state {
            // Accepted: execution goes on under the conditions. Cannot comply: the requested
            // Party decides whether to execute anyway (Art. 28(3)).
            S::ConditionsProposed => Ok(S::InProgress),
            S::Draft
            | S::Sent
            | S::Delivered
            | S::InProgress
            | S::InfoRequested
            | S::RiskNotified
            | S::Postponed
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::DelayNotice { .. } => match state {
            S::Sent | S::Delivered | S::InProgress => Ok(S::InProgress),
            S::InfoRequested | S::ConditionsProposed | S::RiskNotified | S::Postponed => Ok(state),
            S::Draft | S::Preserved { .. } | S::MlaPending { .. } | outcome!() | S::Closed(_) => {
                Err(Why::NotNow)
            }
        },
        Msg::ExtensionConfirmed { until } => match state {
            S::Sent | S::Delivered | S::InProgress => {
                if *until > now {
                    Ok(S::Executed)
                } else {
                    Err(Why::AlreadyPast { at: *until })
                }
            }
            S::Draft
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | S::Preserved { .. }
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::MlaSubmitted { .. } => match state {
            S::Preserved { until } => Ok(S::MlaPending { until }),
            S::Draft
            | S::Sent
            | S::Delivered
            | S::InProgress
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | S::MlaPending { .. }
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::ExpiryWarning => match state {
            S::Preserved { .. } => Ok(state),
            S::MlaPending { .. } => Err(Why::Frozen),
            S::Draft
            | S::Sent
            | S::Delivered
            | S::InProgress
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | outcome!()
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::Released(reason) => match state {
            S::Preserved { until } => match reason {
                ReleaseReason::Lapsed if now < until => Err(Why::NotYetExpired { until }),
                ReleaseReason::Lapsed
                | ReleaseReason::NoLongerNeeded
                | ReleaseReason::MlaExecuted
                | ReleaseReason::MlaRefused => Ok(S::Released),
            },
            S::MlaPending { .. } => match reason {
                ReleaseReason::Lapsed => Err(Why::Frozen),
                ReleaseReason::NoLongerNeeded
                | ReleaseReason::MlaExecuted
                | ReleaseReason::MlaRefused => Ok(S::Released),
            },
            S::Lapsed => match reason {
                ReleaseReason::Lapsed => Ok(S::Released),
                ReleaseReason::NoLongerNeeded
                | ReleaseReason::MlaExecuted
                | ReleaseReason::MlaRefused => Err(Why::NotNow),
            },
            S::Draft
            | S::Sent
            | S::Delivered
            | S::InProgress
            | S::InfoRequested
            | S::ConditionsProposed
            | S::RiskNotified
            | S::Postponed
            | S::Executed
            | S::PartiallyExecuted
            | S::Refused
            | S::Referred
            | S::Withdrawn
            | S::Released
            | S::Closed(_) => Err(Why::NotNow),
        },
        Msg::Withdrawn => match state {
            S::Sent | S::Delivered | handled!() => Ok(S::Withdrawn),
            S::Draft | outcome!() | S::Closed(_) => Err(Why::NotNow),
        },
    }
}

/// Executed or partially executed (`to`): Arts. 31 and 35 only, from handling or postponement.
fn execution(state: CaseState, to: CaseState) -> Result<CaseState, Why> {
    use CaseState as S;
    match state {
        S::Sent | S::Delivered | S::InProgress | S::Postponed => Ok(to),
        S::Draft
        | S::InfoRequested
        | S::ConditionsProposed
        | S::RiskNotified
        | S::Preserved { .. }
        | S::MlaPending { .. }
        | outcome!()
        | S::Closed(_) => Err(Why::NotNow),
    }
}

fn receipt(state: CaseState) -> Result<CaseState, Why> {
    match state {
        CaseState::Sent => Ok(CaseState::Delivered),
        // A late or repeated receipt is a fact of transport; it changes nothing.
        CaseState::Delivered | handled!() | outcome!() => Ok(state),
        CaseState::Draft | CaseState::Closed(_) => Err(Why::NotNow),
    }
}

fn escalated(state: CaseState) -> Result<CaseState, Why> {
    match state {
        CaseState::Sent | CaseState::Delivered => Ok(state),
        CaseState::Draft | handled!() | outcome!() | CaseState::Closed(_) => Err(Why::NotNow),
    }
}

fn escalation_received(state: CaseState) -> Result<CaseState, Why> {
    match state {
        // The alternate's own node may see the ticket first through the escalation.
        CaseState::Draft => Ok(CaseState::Delivered),
        CaseState::Delivered | handled!() => Ok(state),
        CaseState::Sent | outcome!() | CaseState::Closed(_) => Err(Why::NotNow),
    }
}

fn reminder(state: CaseState) -> Result<CaseState, Why> {
    match state {
        CaseState::Sent | CaseState::Delivered | handled!() => Ok(state),
        CaseState::Draft | outcome!() | CaseState::Closed(_) => Err(Why::NotNow),
    }
}

fn lapsed(state: CaseState, now: Timestamp) -> Result<CaseState, Why> {
    match state {
        CaseState::Preserved { until } => {
            if now >= until {
                Ok(CaseState::Lapsed)
            } else {
                Err(Why::NotYetExpired { until })
            }
        }
        CaseState::MlaPending { .. } => Err(Why::Frozen),
        CaseState::Draft
        | CaseState::Sent
        | CaseState::Delivered
        | CaseState::InProgress
        | CaseState::InfoRequested
        | CaseState::ConditionsProposed
        | CaseState::RiskNotified
        | CaseState::Postponed
        | outcome!()
        | CaseState::Closed(_) => Err(Why::NotNow),
    }
}

fn extended(state: CaseState, new_until: Timestamp) -> Result<CaseState, Why> {
    match state {
        CaseState::Preserved { until } | CaseState::MlaPending { until } if new_until <= until => {
            Err(Why::NotLater { current: until })
        }
        CaseState::Preserved { .. } => Ok(CaseState::Preserved { until: new_until }),
        CaseState::MlaPending { .. } => Ok(CaseState::MlaPending { until: new_until }),
        CaseState::Draft
        | CaseState::Sent
        | CaseState::Delivered
        | CaseState::InProgress
        | CaseState::InfoRequested
        | CaseState::ConditionsProposed
        | CaseState::RiskNotified
        | CaseState::Postponed
        | outcome!()
        | CaseState::Closed(_) => Err(Why::NotNow),
    }
}

fn close(state: CaseState) -> Result<CaseState, Why> {
    match state {
        CaseState::Executed => Ok(CaseState::Closed(Outcome::Executed)),
        CaseState::PartiallyExecuted => Ok(CaseState::Closed(Outcome::PartiallyExecuted)),
        CaseState::Refused => Ok(CaseState::Closed(Outcome::Refused)),
        CaseState::Referred => Ok(CaseState::Closed(Outcome::Referred)),
        CaseState::Withdrawn => Ok(CaseState::Closed(Outcome::Withdrawn)),
        CaseState::Released => Ok(CaseState::Closed(Outcome::Released)),
        CaseState::Lapsed => Ok(CaseState::Closed(Outcome::Lapsed)),
        CaseState::Closed(_) => Err(Why::NotNow),
        CaseState::Draft
        | CaseState::Sent
        | CaseState::Delivered
        | CaseState::InProgress
        | CaseState::InfoRequested
        | CaseState::ConditionsProposed
        | CaseState::RiskNotified
        | CaseState::Postponed
        | CaseState::Preserved { .. }
        | CaseState::MlaPending { .. } => Err(Why::NoOutcome),
    }
}

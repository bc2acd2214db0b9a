//! A case (ticket): its state and what the deadline engine needs to know of its history.
//!
//! A [`Case`] is opened from its request ([`Opening::for_request`]) and changes only through
//! [`Case::record`], which checks the event against the case (its article, its open requests
//! for information, its urgency), applies the state machine, and updates the case — all or
//! nothing: an event that cannot happen leaves the case exactly as it was. Every recorded event
//! is kept in [`Case::history`], so a node that restarts rebuilds the case by
//! [`Case::replay`] and gets the same state, the same deadlines and the same reminder keys.

use cp247_domain::{Address, MessageId, TicketId, Urgency};
use cp247_forms::{Document, PreservationStatus};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::kind::{Article, MessageKind, Role};
use crate::reply::{ConditionsResponse, Decision, Reply, ReplyContext};
use crate::state::{CaseEvent, CaseState, DecisionKind, Msg, TransitionError, Why, apply};

/// The most events a case records (a hostile peer cannot make a case grow without bound).
pub const MAX_EVENTS: usize = 10_000;

/// The most requests for information a case holds.
pub const MAX_RFIS: usize = 200;

/// Why a document cannot open a case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// An Art. 30 disclosure is a reply on an Art. 29 case, not a request.
    #[error("an art30 document is a reply on an art29 case and cannot open a case of its own")]
    NotARequest,
}

/// What a case is opened with: facts of its request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    /// The ticket.
    pub ticket: TicketId,
    /// This node's side.
    pub role: Role,
    /// The request's kind.
    pub kind: MessageKind,
    /// Its urgency.
    pub urgency: Urgency,
    /// The other side's contact point: the one the request was sent to (requester), or the one
    /// that sent it (requested).
    pub counterpart: Address,
    /// What replies are checked against.
    pub context: ReplyContext,
    /// The earlier ticket this request extends or follows up (template §3, §§9–10).
    pub previous_ticket: Option<TicketId>,
    /// Other tickets the request names.
    pub related_tickets: Vec<TicketId>,
    /// When the requester expects to submit its request for mutual assistance (Art. 29).
    pub planned_mla_by: Option<Date>,
    /// When the case was opened.
    pub opened_at: Timestamp,
}

impl Opening {
    /// The opening of the case of `request` on ticket `ticket`, on the `role` side.
    pub fn for_request(
        ticket: TicketId,
        role: Role,
        request: &Document,
        counterpart: Address,
        opened_at: Timestamp,
    ) -> Result<Self, OpenError> {
        let kind = MessageKind::of_request(request).ok_or(OpenError::NotARequest)?;
        let context = ReplyContext::for_request(request).ok_or(OpenError::NotARequest)?;
        let id_of = |r: &cp247_forms::shared::TicketRef| r.ticket_id.value().cloned();
        let (urgency, previous, related, planned) = match request {
            Document::Art29(d) => {
                let previous = match &d.request_status {
                    PreservationStatus::New { .. } => None,
                    PreservationStatus::Extension { previous_ticket } => id_of(previous_ticket),
                };
                (
                    d.urgency.level(),
                    previous,
                    Vec::new(),
                    d.planned_mla_by.value().copied(),
                )
            }
            Document::Art31(d) => {
                let preservation = d.request_status.previous_preservation();
                let mla = d.request_status.previous_mla();
                let p = preservation.value().and_then(|r| id_of(r));
                let m = mla.value().and_then(|r| id_of(r));
                // The preservation request is the chain's parent; an earlier request for
                // mutual assistance is related.
                let (previous, related) = match (p, m) {
                    (Some(p), m) => (Some(p), m.into_iter().collect()),
                    (None, m) => (m, Vec::new()),
                };
                (d.urgency.level(), previous, related, None)
            }
            Document::Art35(d) => (d.urgency.level(), None, Vec::new(), None),
            Document::Art30(_) => return Err(OpenError::NotARequest),
        };
        Ok(Self {
            ticket: ticket.clone(),
            role,
            kind,
            urgency,
            counterpart,
            context,
            previous_ticket: previous.filter(|p| *p != ticket),
            related_tickets: related,
            planned_mla_by: planned,
            opened_at,
        })
    }
}

/// A request for information and its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfi {
    /// Its message id.
    pub id: MessageId,
    /// When it was asked.
    pub asked_at: Timestamp,
    /// Whether work waits for it.
    pub blocking: bool,
    /// When the answer is needed, if it says.
    pub respond_by: Option<Timestamp>,
    /// How many questions it asks.
    pub questions: u16,
    /// When it was answered.
    pub answered_at: Option<Timestamp>,
}

/// One extension of a preservation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Extension {
    /// The extension request's ticket.
    pub by: TicketId,
    /// The new end.
    pub until: Timestamp,
    /// When it was recorded.
    pub at: Timestamp,
}

/// The preservation of an Art. 29 case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preservation {
    /// When the data were preserved.
    pub preserved_at: Timestamp,
    /// The end first confirmed.
    pub first_until: Timestamp,
    /// The current end.
    pub until: Timestamp,
    /// When the current end was set (reminders before that are not scheduled).
    pub until_set_at: Timestamp,
    /// The extensions, in order.
    pub extensions: Vec<Extension>,
    /// When the request for mutual assistance was submitted (the clock is frozen from then).
    pub frozen_at: Option<Timestamp>,
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// The event.
    pub event: CaseEvent,
    /// When it was recorded.
    pub at: Timestamp,
    /// The state after it.
    pub state: CaseState,
}

/// A case (ticket) on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    opening: Opening,
    state: CaseState,
    request_at: Option<Timestamp>,
    receipt_at: Option<Timestamp>,
    human_ack_at: Option<Timestamp>,
    escalated_at: Option<Timestamp>,
    escalation_received_at: Option<Timestamp>,
    next_step_eta: Option<Timestamp>,
    expected_date: Option<Date>,
    risk_decision_due: Option<Timestamp>,
    rfis: Vec<Rfi>,
    preservation: Option<Preservation>,
    related_tickets: Vec<TicketId>,
    history: Vec<Recorded>,
}

impl Case {
    /// A new case in [`CaseState::Draft`]. The requester then records
    /// `Sent(Msg::Request)`; the requested side records `Received(Msg::Request)`.
    pub fn open(opening: Opening) -> Self {
        let related_tickets = opening.related_tickets.clone();
        Self {
            opening,
            state: CaseState::Draft,
            request_at: None,
            receipt_at: None,
            human_ack_at: None,
            escalated_at: None,
            escalation_received_at: None,
            next_step_eta: None,
            expected_date: None,
            risk_decision_due: None,
            rfis: Vec::new(),
            preservation: None,
            related_tickets,
            history: Vec::new(),
        }
    }

    /// Rebuilds a case from its opening and its recorded events (e.g. after a restart).
    pub fn replay<'a>(
        opening: Opening,
        events: impl IntoIterator<Item = &'a Recorded>,
    ) -> Result<Self, TransitionError> {
        let mut case = Case::open(opening);
        for r in events {
            case.record(r.event.clone(), r.at)?;
        }
        Ok(case)
    }

    /// The ticket.
    pub fn ticket(&self) -> &TicketId {
        &self.opening.ticket
    }

    /// The facts the case was opened with.
    pub fn opening(&self) -> &Opening {
        &self.opening
    }

    /// This node's side.
    pub fn role(&self) -> Role {
        self.opening.role
    }

    /// The article of the request.
    pub fn article(&self) -> Article {
        self.opening.context.article
    }

    /// The request's urgency.
    pub fn urgency(&self) -> Urgency {
        self.opening.urgency
    }

    /// The current state.
    pub fn state(&self) -> CaseState {
        self.state
    }

    /// What replies on this case are checked against.
    pub fn reply_context(&self) -> &ReplyContext {
        &self.opening.context
    }

    /// When the request was sent (requester) or received (requested).
    pub fn request_at(&self) -> Option<Timestamp> {
        self.request_at
    }

    /// When the receiving node's signed receipt arrived (requester).
    pub fn receipt_at(&self) -> Option<Timestamp> {
        self.receipt_at
    }

    /// When a person of the requested Party first acknowledged, explicitly or by a substantive
    /// reply.
    pub fn human_ack_at(&self) -> Option<Timestamp> {
        self.human_ack_at
    }

    /// When the request was escalated (requester).
    pub fn escalated_at(&self) -> Option<Timestamp> {
        self.escalated_at
    }

    /// When the escalation arrived (requested).
    pub fn escalation_received_at(&self) -> Option<Timestamp> {
        self.escalation_received_at
    }

    /// When the requested side expects its next step.
    pub fn next_step_eta(&self) -> Option<Timestamp> {
        self.next_step_eta
    }

    /// When a postponed execution is expected.
    pub fn expected_date(&self) -> Option<Date> {
        self.expected_date
    }

    /// When the requester must decide after a risk notice.
    pub fn risk_decision_due(&self) -> Option<Timestamp> {
        self.risk_decision_due
    }

    /// The requests for information, in order.
    pub fn rfis(&self) -> &[Rfi] {
        &self.rfis
    }

    /// The preservation, once confirmed.
    pub fn preservation(&self) -> Option<&Preservation> {
        self.preservation.as_ref()
    }

    /// The earlier ticket this case extends or follows up.
    pub fn previous_ticket(&self) -> Option<&TicketId> {
        self.opening.previous_ticket.as_ref()
    }

    /// Other tickets of the chain this case names (an earlier request for mutual assistance,
    /// the request for mutual assistance submitted, the extension requests).
    pub fn related_tickets(&self) -> &[TicketId] {
        &self.related_tickets
    }

    /// The reply kinds this node's officers may send on the case now, in the order of
    /// [`MessageKind::ALL`]: kinds of this article written by this side whose sending the state
    /// machine accepts in the current state. The escalation notice is left out (the scheduler
    /// sends it). Each kind is put to [`Case::record`] (on a copy) with a typical message of
    /// its kind, so the checks that need the case apply too: `probe` is
    /// any message id (only a request for information carries one; it changes nothing here).
    pub fn allowed_replies(&self, probe: MessageId, now: Timestamp) -> Vec<MessageKind> {
        let later = |days: i64| {
            now.checked_add(jiff::SignedDuration::from_hours(24 * days))
                .unwrap_or(now)
        };
        let open_rfi = self.rfis.iter().find(|r| r.answered_at.is_none());
        MessageKind::ALL
            .iter()
            .copied()
            .filter(|k| {
                !k.is_request()
                    && *k != MessageKind::EscalationNotice
                    && k.allowed_for(self.article())
                    && k.author() == self.role()
            })
            .filter(|k| {
                let msg = match k {
                    MessageKind::Acknowledgement => Msg::Acknowledgement {
                        next_step_eta: None,
                    },
                    MessageKind::RequestForInformation => Msg::InformationRequested {
                        id: probe,
                        blocking: false,
                        respond_by: None,
                        questions: 1,
                    },
                    MessageKind::InformationProvided => match open_rfi {
                        Some(r) => Msg::InformationProvided {
                            in_reply_to: r.id,
                            unblocks: self.unblocks(r.id),
                        },
                        None => return false,
                    },
                    MessageKind::PreservationConfirmed => Msg::PreservationConfirmed {
                        preserved_at: now,
                        until: later(90),
                    },
                    MessageKind::PreservationRiskNotice => Msg::RiskNotice {
                        decision_needed_by: later(3),
                    },
                    MessageKind::RequesterDecision => Msg::RequesterDecision(DecisionKind::Proceed),
                    MessageKind::PartialTrafficDisclosure => Msg::TrafficDisclosure,
                    MessageKind::Executed => Msg::Executed,
                    MessageKind::PartiallyExecuted => Msg::PartiallyExecuted,
                    MessageKind::Refused => Msg::Refused,
                    MessageKind::Postponed => Msg::Postponed { expected: None },
                    MessageKind::ConditionsProposed => Msg::ConditionsProposed,
                    MessageKind::ConditionsResponse => Msg::ConditionsResponse { accepted: true },
                    MessageKind::DelayNotice => Msg::DelayNotice { new_eta: later(7) },
                    MessageKind::ExtensionConfirmed => Msg::ExtensionConfirmed { until: later(90) },
                    MessageKind::MlaSubmittedNotice => Msg::MlaSubmitted {
                        mla_ticket: None,
                        submitted_at: now,
                    },
                    MessageKind::PreservationExpiryWarning => Msg::ExpiryWarning,
                    MessageKind::PreservationReleased => {
                        Msg::Released(crate::reply::ReleaseReason::NoLongerNeeded)
                    }
                    MessageKind::Referred => Msg::Referred,
                    MessageKind::Withdrawn => Msg::Withdrawn,
                    MessageKind::PreservationRequest
                    | MessageKind::ExtensionRequest
                    | MessageKind::SubscriberInfoRequest
                    | MessageKind::AssistanceRequest
                    | MessageKind::EscalationNotice => return false,
                };
                // `record` on a copy: the state machine and the checks that need the case
                // (an extension confirmation only on an extension request, answers only to an
                // open request for information, the bound on events).
                self.clone().record(CaseEvent::Sent(msg), now).is_ok()
            })
            .collect()
    }

    /// Every recorded event, in order.
    pub fn history(&self) -> &[Recorded] {
        &self.history
    }

    /// The event that a reply sent (`sent`) or received on this case stands for.
    /// `message` is the reply's message id and `in_reply_to` the message it answers (for the
    /// answers to a request for information: which one; when absent, the oldest open one).
    pub fn event_for(
        &self,
        sent: bool,
        reply: &Reply,
        message: MessageId,
        in_reply_to: Option<MessageId>,
    ) -> Result<CaseEvent, TransitionError> {
        let wrap = |m: Msg| {
            if sent {
                CaseEvent::Sent(m)
            } else {
                CaseEvent::Received(m)
            }
        };
        let ts = |i: &cp247_domain::Instant| i.timestamp();
        Ok(match reply {
            Reply::Acknowledgement(a) => wrap(Msg::Acknowledgement {
                next_step_eta: a.next_step_eta.value().map(ts),
            }),
            Reply::RequestForInformation(r) => wrap(Msg::InformationRequested {
                id: message,
                blocking: r.blocking,
                respond_by: r.respond_by.value().map(ts),
                questions: u16::try_from(r.questions.len()).unwrap_or(u16::MAX),
            }),
            Reply::InformationProvided(answers) => {
                let open = |r: &&Rfi| r.answered_at.is_none();
                let rfi = match in_reply_to {
                    Some(id) => self.rfis.iter().filter(open).find(|r| r.id == id),
                    None => self.rfis.iter().find(open),
                };
                let Some(rfi) = rfi else {
                    let event = wrap(Msg::InformationProvided {
                        in_reply_to: in_reply_to.unwrap_or(message),
                        unblocks: false,
                    });
                    return Err(TransitionError::new(
                        &event,
                        self.state,
                        Why::UnknownRequestForInformation,
                    ));
                };
                let event = wrap(Msg::InformationProvided {
                    in_reply_to: rfi.id,
                    unblocks: self.unblocks(rfi.id),
                });
                if answers.answers.iter().any(|a| a.question > rfi.questions) {
                    return Err(TransitionError::new(
                        &event,
                        self.state,
                        Why::UnknownQuestion { max: rfi.questions },
                    ));
                }
                event
            }
            Reply::PreservationConfirmed(p) => wrap(Msg::PreservationConfirmed {
                preserved_at: ts(&p.preserved_at),
                until: ts(&p.preserved_until),
            }),
            Reply::PreservationRiskNotice(r) => wrap(Msg::RiskNotice {
                decision_needed_by: ts(&r.decision_needed_by),
            }),
            Reply::RequesterDecision(d) => wrap(Msg::RequesterDecision(match d.decision {
                Decision::Proceed { .. } => DecisionKind::Proceed,
                Decision::Withdraw { .. } => DecisionKind::Withdraw,
                Decision::Modify { .. } => DecisionKind::Modify,
            })),
            Reply::PartialTrafficDisclosure(_) => wrap(Msg::TrafficDisclosure),
            Reply::Executed(_) => wrap(Msg::Executed),
            Reply::PartiallyExecuted(_) => wrap(Msg::PartiallyExecuted),
            Reply::Refused(_) => wrap(Msg::Refused),
            Reply::Postponed(p) => wrap(Msg::Postponed {
                expected: p.expected_date.value().copied(),
            }),
            Reply::ConditionsProposed(_) => wrap(Msg::ConditionsProposed),
            Reply::ConditionsResponse(r) => wrap(Msg::ConditionsResponse {
                accepted: matches!(r, ConditionsResponse::Accepted { .. }),
            }),
            Reply::DelayNotice(d) => wrap(Msg::DelayNotice {
                new_eta: ts(&d.new_eta),
            }),
            Reply::ExtensionConfirmed(e) => wrap(Msg::ExtensionConfirmed {
                until: ts(&e.new_preserved_until),
            }),
            Reply::MlaSubmittedNotice(m) => wrap(Msg::MlaSubmitted {
                mla_ticket: m.mla_ticket.ticket_id.value().cloned(),
                submitted_at: ts(&m.submitted_at),
            }),
            Reply::PreservationExpiryWarning(_) => wrap(Msg::ExpiryWarning),
            Reply::PreservationReleased(r) => wrap(Msg::Released(r.reason)),
            Reply::Referred(_) => wrap(Msg::Referred),
            Reply::Withdrawn(_) => wrap(Msg::Withdrawn),
            Reply::EscalationNotice(_) => {
                if sent {
                    CaseEvent::Escalated
                } else {
                    CaseEvent::EscalationReceived
                }
            }
        })
    }

    /// Whether answering `rfi` leaves no blocking request for information open.
    fn unblocks(&self, rfi: MessageId) -> bool {
        let answered_is_blocking = self.rfis.iter().any(|r| r.id == rfi && r.blocking);
        let others_blocking = self
            .rfis
            .iter()
            .any(|r| r.id != rfi && r.blocking && r.answered_at.is_none());
        answered_is_blocking && !others_blocking
    }

    /// Records `event` at `at`, or says why it cannot happen (and changes nothing).
    pub fn record(
        &mut self,
        event: CaseEvent,
        at: Timestamp,
    ) -> Result<CaseState, TransitionError> {
        let err = |why: Why| TransitionError::new(&event, self.state, why);
        if self.history.len() >= MAX_EVENTS {
            return Err(err(Why::TooMany { max: MAX_EVENTS }));
        }
        // Checks that need the case, not only its state.
        match &event {
            CaseEvent::Sent(m) | CaseEvent::Received(m) => {
                let kind = m.kind(self.opening.kind);
                if !kind.allowed_for(self.article()) {
                    return Err(err(Why::ArticleNotAllowed {
                        article: self.article(),
                    }));
                }
                match m {
                    Msg::ExtensionConfirmed { .. } if !self.opening.context.extension => {
                        return Err(err(Why::NotAnExtension));
                    }
                    Msg::PreservationConfirmed { .. } if self.opening.context.extension => {
                        return Err(err(Why::ExtensionCase));
                    }
                    Msg::InformationProvided {
                        in_reply_to,
                        unblocks,
                    } => {
                        if !self
                            .rfis
                            .iter()
                            .any(|r| r.id == *in_reply_to && r.answered_at.is_none())
                        {
                            return Err(err(Why::UnknownRequestForInformation));
                        }
                        if *unblocks != self.unblocks(*in_reply_to) {
                            return Err(err(Why::Inconsistent));
                        }
                    }
                    Msg::InformationRequested { id, .. }
                        if self.rfis.iter().any(|r| r.id == *id) =>
                    {
                        return Err(err(Why::Inconsistent));
                    }
                    Msg::InformationRequested { .. } if self.rfis.len() >= MAX_RFIS => {
                        return Err(err(Why::TooMany { max: MAX_RFIS }));
                    }
                    Msg::Request
                    | Msg::Acknowledgement { .. }
                    | Msg::InformationRequested { .. }
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
                    | Msg::Withdrawn => {}
                }
            }
            CaseEvent::Escalated | CaseEvent::EscalationReceived
                if self.opening.urgency == Urgency::Routine =>
            {
                return Err(err(Why::NotUrgent));
            }
            CaseEvent::PreservationExtended { by, .. } if *by == self.opening.ticket => {
                return Err(err(Why::SelfReference));
            }
            CaseEvent::Escalated
            | CaseEvent::EscalationReceived
            | CaseEvent::SystemReceipt
            | CaseEvent::ReminderDue(_)
            | CaseEvent::Lapsed
            | CaseEvent::PreservationExtended { .. }
            | CaseEvent::Close => {}
        }
        let before = self.state;
        let after = apply(before, &event, self.opening.role, at)?;
        self.update(&event, before, after, at);
        self.state = after;
        self.history.push(Recorded {
            event,
            at,
            state: after,
        });
        Ok(after)
    }

    /// Updates the case's facts after a transition that the state machine accepted.
    fn update(&mut self, event: &CaseEvent, before: CaseState, after: CaseState, at: Timestamp) {
        // Any message written by the requested side is the act of a person: the first one
        // acknowledges the request.
        let by_requested = match event {
            CaseEvent::Sent(m) | CaseEvent::Received(m) => {
                m.author() == Role::Requested && *m != Msg::Request
            }
            CaseEvent::SystemReceipt
            | CaseEvent::Escalated
            | CaseEvent::EscalationReceived
            | CaseEvent::ReminderDue(_)
            | CaseEvent::Lapsed
            | CaseEvent::PreservationExtended { .. }
            | CaseEvent::Close => false,
        };
        if by_requested && self.human_ack_at.is_none() {
            self.human_ack_at = Some(at);
        }
        match event {
            CaseEvent::Sent(m) | CaseEvent::Received(m) => {
                self.update_message(m, before, after, at)
            }
            CaseEvent::SystemReceipt => {
                self.receipt_at.get_or_insert(at);
            }
            CaseEvent::Escalated => self.escalated_at = Some(at),
            CaseEvent::EscalationReceived => {
                self.escalation_received_at.get_or_insert(at);
                self.request_at.get_or_insert(at);
            }
            CaseEvent::PreservationExtended { until, by } => {
                if let Some(p) = &mut self.preservation {
                    p.until = *until;
                    p.until_set_at = at;
                    p.extensions.push(Extension {
                        by: by.clone(),
                        until: *until,
                        at,
                    });
                }
                if !self.related_tickets.contains(by) {
                    self.related_tickets.push(by.clone());
                }
            }
            CaseEvent::ReminderDue(_) | CaseEvent::Lapsed | CaseEvent::Close => {}
        }
    }

    fn update_message(&mut self, m: &Msg, before: CaseState, after: CaseState, at: Timestamp) {
        match m {
            Msg::Request => self.request_at = Some(at),
            Msg::Acknowledgement { next_step_eta } => {
                if next_step_eta.is_some() {
                    self.next_step_eta = *next_step_eta;
                }
            }
            Msg::InformationRequested {
                id,
                blocking,
                respond_by,
                questions,
            } => self.rfis.push(Rfi {
                id: *id,
                asked_at: at,
                blocking: *blocking,
                respond_by: *respond_by,
                questions: *questions,
                answered_at: None,
            }),
            Msg::InformationProvided { in_reply_to, .. } => {
                if let Some(r) = self.rfis.iter_mut().find(|r| r.id == *in_reply_to) {
                    r.answered_at = Some(at);
                }
            }
            Msg::PreservationConfirmed {
                preserved_at,
                until,
            } => {
                self.preservation = Some(Preservation {
                    preserved_at: *preserved_at,
                    first_until: *until,
                    until: *until,
                    until_set_at: at,
                    extensions: Vec::new(),
                    frozen_at: None,
                });
            }
            Msg::RiskNotice { decision_needed_by } => {
                self.risk_decision_due = Some(*decision_needed_by);
            }
            Msg::RequesterDecision(_) => self.risk_decision_due = None,
            Msg::Postponed { expected } => self.expected_date = *expected,
            Msg::DelayNotice { new_eta } => self.next_step_eta = Some(*new_eta),
            Msg::MlaSubmitted {
                mla_ticket,
                submitted_at,
            } => {
                if let Some(p) = &mut self.preservation {
                    p.frozen_at = Some(*submitted_at);
                }
                if let Some(t) = mla_ticket
                    && !self.related_tickets.contains(t)
                {
                    self.related_tickets.push(t.clone());
                }
            }
            Msg::TrafficDisclosure
            | Msg::Executed
            | Msg::PartiallyExecuted
            | Msg::Refused
            | Msg::ConditionsProposed
            | Msg::ConditionsResponse { .. }
            | Msg::ExtensionConfirmed { .. }
            | Msg::ExpiryWarning
            | Msg::Released(_)
            | Msg::Referred
            | Msg::Withdrawn => {}
        }
        // Leaving postponement ends its expected date.
        if matches!(before, CaseState::Postponed) && !matches!(after, CaseState::Postponed) {
            self.expected_date = None;
        }
    }
}

//! cp247 case work: the lifecycle of a case (ticket), every reply type, the deadline engine,
//! the escalation decision and ticket chains. Pure domain: no input/output, no clock of its own
//! (every function takes the instant), no storage; the node wires it to its store, its
//! delivery worker and its clock.
//!
//! # Map
//!
//! * [`kind`], [`reply`], [`grounds`], [`problem`] — re-exported from the `cp247_forms` crate,
//!   where reply documents live beside request documents with one document machinery (ADR
//!   0023): the two sides ([`Role`]), the articles ([`Article`]), every message kind with its
//!   wire name ([`MessageKind::name`] / [`MessageKind::from_name`], the `message_type` of the
//!   envelope header), every reply of fields.md §10.12 as a typed document with canonical
//!   JSON and XML and a decoder that reports every problem with a stable code and a path
//!   ([`reply::decode_reply`], [`reply::decode_message`]), and the refusal grounds with where
//!   each is legally available (the closed lists of Arts. 29(4)–(5) and 30(2)).
//! * [`state`] — [`CaseState`], [`CaseEvent`] and the total transition function [`apply`].
//! * [`case`] — [`Case`]: state plus the facts deadlines need, changed only by
//!   [`Case::record`] (all or nothing), rebuilt by [`Case::replay`].
//! * [`calendar`], [`deadline`] — working-day arithmetic in the receiver's office hours, time
//!   zone and working days; [`deadline::due_items`] and [`deadline::reminders`] with stable
//!   keys so each reminder fires exactly once, across restarts and daylight-saving changes.
//! * [`escalation`] — [`escalation::escalation_due`]: when and where an unacknowledged urgent
//!   request goes again.
//! * [`chain`] — [`chain::order_chain`]: preservation → extensions → follow-up requests.
//!
//! # Decisions
//!
//! * **One machine for both sides.** The requester's and the requested node's cases run the
//!   same transition function; an event is a message sent or received, or something one side
//!   observes. Who writes each message kind is fixed ([`MessageKind::author`]), so a message
//!   from the wrong side is refused whatever the state (a hostile peer cannot "withdraw" the
//!   other side's request).
//! * **The system receipt is not an acknowledgement.** The receiving node's signed receipt
//!   moves the case to `Delivered`; only a person's message moves it on. The first message a
//!   person of the requested Party writes (an explicit acknowledgement, or e.g. a preservation
//!   confirmed at once in an emergency) is the human acknowledgement that stops escalation.
//! * **An extension is a new ticket.** As in the T-CY template (§3 "Extension of previous
//!   request"), an extension request opens its own case naming the previous ticket; when it is
//!   granted (`extension_confirmed`, which closes the extension case as executed) the node
//!   records [`CaseEvent::PreservationExtended`] on the case that holds the preservation, so
//!   one case carries the live `preserved_until` and its reminders.
//! * **The MLA notice freezes the clock.** After `mla_submitted_notice` the case is
//!   `MlaPending`: it cannot lapse and has no expiry reminders (Art. 29(7): the data stay
//!   preserved pending the decision); it ends with `preservation_released`.
//! * **Preservation is never postponed** (Art. 29(3) "expeditiously"), and `executed` /
//!   `partially_executed` do not exist for Art. 29: its execution is `preservation_confirmed`.
//! * **60 days are 60 × 24 hours.** `preserved_until` must be at least 60 days of 24 hours
//!   after `preserved_at` (Art. 29(7)); a date that is 60 calendar days later across a
//!   daylight-saving change but one hour short is refused, the strict reading in the
//!   requester's favour.
//! * **Working days** are counted as described in [`calendar`]: from the next office opening to
//!   the same wall-clock time on the n-th following working day (Friday 19:00 → Tuesday
//!   08:00 for one working day).
//! * **Not modelled**, because the data are not in the case: whether a Party made the
//!   Art. 29(4) reservation (its legal profile), the Art. 25(4) "not solely fiscal" rule, and
//!   the Second Additional Protocol's replies (not Convention requests).
#![warn(missing_docs)]

pub mod calendar;
pub mod case;
pub mod chain;
pub mod deadline;
pub mod escalation;
pub mod state;

pub use cp247_forms::{grounds, kind, problem, reply};

pub use calendar::{Limit, OfficeCalendar};
pub use case::{Case, OpenError, Opening};
pub use chain::{Chain, ChainLink, order_chain};
pub use cp247_forms::{
    Article, Code, GroundKind, Message, MessageKind, OffenceScope, ParsedMessage, ParsedReply,
    Problem, RefusalGround, Reply, ReplyContext, Report, Role,
};
pub use deadline::{
    Calendars, DeadlinePolicy, Due, DueKind, Reminder, ReminderKey, ReminderKind, due_items,
    pending, reminders,
};
pub use escalation::{Escalation, EscalationTarget, escalation_due};
pub use state::{CaseEvent, CaseState, Msg, Outcome, TransitionError, apply};

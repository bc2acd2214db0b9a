//! Escalation: an urgent or emergency request that no person of the requested Party has
//! acknowledged in time goes again to the requested Party's other contact point, through that
//! contact point's own channel, and the requesting node's duty officer is alerted with the
//! requested Party's duty phone numbers.
//!
//! [`escalation_due`] only decides; the node then sends an
//! [`crate::reply::EscalationNotice`] (which carries the request) over the channel named here
//! — to the contact point's node, or as a PGP/MIME e-mail to an e-mail-only contact point —
//! alerts its duty officer, and records [`crate::CaseEvent::Escalated`]; the requested side
//! records [`crate::CaseEvent::EscalationReceived`]. An escalation happens once per case.
//!
//! When the other contact point is missing, suspended or revoked, the escalation is still due:
//! the duty officer must phone. [`EscalationTarget::Unavailable`] says why there is no one to
//! send to.

use cp247_directory::contact::{EmailAddress, Endpoint, Phone};
use cp247_directory::status::StatusAt;
use cp247_directory::{Channel, ContactPoint, Directory};
use cp247_domain::{Address, ContactPointRole, TicketId, Urgency};
use jiff::Timestamp;

use crate::calendar::{OfficeCalendar, elapsed_deadline};
use crate::case::Case;
use crate::deadline::{DeadlinePolicy, ack_due};
use crate::kind::Role;

/// How to reach the contact point escalated to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactChannel {
    /// Its own cp247 node.
    Node {
        /// The node's HTTPS endpoint (its TLS certificate is pinned by the directory).
        endpoint: Endpoint,
    },
    /// PGP/MIME e-mail to an e-mail-only contact point.
    Email {
        /// The address (its OpenPGP keys are in the directory).
        address: EmailAddress,
    },
}

/// Why no contact point can receive the escalation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// The requested Party is not in the directory.
    PartyNotListed,
    /// The Party lists no other contact point.
    NotListed,
    /// The other contact point is suspended.
    Suspended,
    /// The other contact point is revoked.
    Revoked,
}

/// Where the escalation goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EscalationTarget {
    /// To this contact point, through this channel.
    Contact {
        /// The contact point.
        to: Address,
        /// Its channel.
        channel: ContactChannel,
    },
    /// Nowhere: the duty officer must phone.
    Unavailable(Unavailable),
}

/// A duty phone of the requested Party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DutyPhone {
    /// The contact point it belongs to.
    pub contact_point: Address,
    /// The number (E.164).
    pub phone: Phone,
}

/// An escalation that is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Escalation {
    /// The ticket.
    pub ticket: TicketId,
    /// The request's urgency.
    pub urgency: Urgency,
    /// When the acknowledgement was due.
    pub acknowledgement_due_at: Timestamp,
    /// Where the request goes again.
    pub target: EscalationTarget,
    /// The requested Party's duty phones, those of the contact point the request went to
    /// first, for the duty officer's alert.
    pub duty_phones: Vec<DutyPhone>,
}

/// The escalation due on `case` at `now`, if any: on the requester's side, for an urgent or
/// emergency request in `Sent` or `Delivered` with no human acknowledgement and no escalation
/// yet, once the acknowledgement limit (counted in the calendar of the contact point the
/// request went to) has passed.
pub fn escalation_due(
    case: &Case,
    directory: &Directory,
    policy: &DeadlinePolicy,
    now: Timestamp,
) -> Option<Escalation> {
    if case.role() != Role::Requester
        || case.urgency() == Urgency::Routine
        || case.escalated_at().is_some()
    {
        return None;
    }
    let first = case.opening().counterpart;
    let entry = directory.party(first.party);
    let first_point = entry.and_then(|e| e.contact_point(first.point));
    let calendar = first_point.map(OfficeCalendar::of);
    let due = ack_due(case, policy, |from, limit| match &calendar {
        Some(c) => c.deadline(from, limit),
        // Without the directory entry the limit still runs, as if the office never closed.
        None => elapsed_deadline(from, limit),
    })?;
    if now < due {
        return None;
    }
    let other_role = match first.point {
        ContactPointRole::Primary => ContactPointRole::Alternate,
        ContactPointRole::Alternate => ContactPointRole::Primary,
    };
    let other = Address {
        party: first.party,
        point: other_role,
    };
    let target = match entry {
        None => EscalationTarget::Unavailable(Unavailable::PartyNotListed),
        Some(e) => match e.contact_point(other_role) {
            None => EscalationTarget::Unavailable(Unavailable::NotListed),
            Some(cp) => match cp.status.at(now) {
                StatusAt::Active => EscalationTarget::Contact {
                    to: other,
                    channel: channel_of(cp),
                },
                StatusAt::Suspended(_) => EscalationTarget::Unavailable(Unavailable::Suspended),
                StatusAt::Revoked(_) => EscalationTarget::Unavailable(Unavailable::Revoked),
            },
        },
    };
    let mut duty_phones = Vec::new();
    if let Some(e) = entry {
        for (role, cp) in e.contact_points() {
            let address = Address {
                party: first.party,
                point: role,
            };
            for phone in cp.duty_phones.iter() {
                duty_phones.push(DutyPhone {
                    contact_point: address,
                    phone: phone.clone(),
                });
            }
        }
        // The contact point the request went to first, then the other.
        duty_phones.sort_by_key(|p| p.contact_point.point != first.point);
    }
    Some(Escalation {
        ticket: case.ticket().clone(),
        urgency: case.urgency(),
        acknowledgement_due_at: due,
        target,
        duty_phones,
    })
}

fn channel_of(cp: &ContactPoint) -> ContactChannel {
    match &cp.channel {
        Channel::Node(n) => ContactChannel::Node {
            endpoint: n.endpoint.clone(),
        },
        Channel::Email(e) => ContactChannel::Email {
            address: e.address.clone(),
        },
    }
}

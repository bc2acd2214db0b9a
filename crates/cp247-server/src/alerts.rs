//! Alerts the node raises from what it receives: a new urgent or emergency request alerts the
//! duty officer (e-mail and webhook, through the notifier's bounded queue) with the requesting
//! contact point's duty phone numbers and the acknowledgement deadline.
//!
//! The hook runs after the inbound pipeline has stored the message: a message stored before
//! (a replay or a retry) is [`Received::Duplicate`] and never alerts again.

use cp247_case::{DeadlinePolicy, OfficeCalendar};
use cp247_domain::Urgency;
use cp247_federation::inbound::{Received, ticket_kind_of};
use cp247_notify::Alert;

use crate::node::NodeContext;

/// The alert a received message raises, if any: only a message that opened a ticket here (a
/// new request) and is urgent or an emergency.
pub fn alert_for(ctx: &NodeContext, received: &Received) -> Option<Alert> {
    let Received::New {
        message_id,
        ticket,
        sender,
        message_type,
        urgency,
        opened_ticket,
        received_at,
        ..
    } = received
    else {
        return None;
    };
    match urgency {
        Urgency::Urgent | Urgency::Emergency => {}
        Urgency::Routine => return None,
    }
    if !opened_ticket {
        return None;
    }
    let snapshot = ctx.directory.snapshot();
    let directory = snapshot.current().map(|c| c.directory());
    let phones = directory
        .and_then(|d| d.contact_point(sender))
        .map(|cp| {
            cp.duty_phones
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    // The acknowledgement is owed by this contact point, counted in its own calendar.
    let ack_due = directory
        .and_then(|d| d.contact_point(&ctx.me))
        .and_then(|cp| {
            OfficeCalendar::of(cp).deadline(
                *received_at,
                DeadlinePolicy::default().acknowledgement(*urgency),
            )
        });
    Some(Alert::NewRequest {
        message_id: *message_id,
        ticket: ticket.clone(),
        kind: ticket_kind_of(message_type).to_owned(),
        urgency: *urgency,
        from: *sender,
        received_at: *received_at,
        ack_due,
        phones,
    })
}

/// Queues the alert `received` raises, if any and if alerts are configured.
pub fn on_received(ctx: &NodeContext, received: &Received) {
    let Some(queue) = &ctx.alert_queue else {
        return;
    };
    if let Some(alert) = alert_for(ctx, received) {
        queue.submit(alert);
    }
}

//! Alerts the node raises from what it receives: a new urgent or emergency request alerts the
//! duty officer (e-mail and webhook, through the notifier's bounded queue) with the requesting
//! contact point's duty phone numbers and the acknowledgement deadline.
//!
//! The hook runs after the inbound pipeline has stored the message: a message stored before
//! (a replay or a retry) is [`Received::Duplicate`] and never alerts again.

use cp247_case::OfficeCalendar;
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
            OfficeCalendar::of(cp).deadline(*received_at, ctx.policy.acknowledgement(*urgency))
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

/// The scheduler's [`Alerts`](crate::scheduler::Alerts) with `[notify]` configured: each alert
/// still goes to `inner` (the log, or a test's recorder), then to the duty officers by e-mail
/// and webhook through the notifier's bounded queue, with the other Party's duty phone numbers
/// from the directory. The scheduler raises each alert once (reminder keys and escalation rows
/// are unique), and the notify alert's key is stable, so a receiver can tell a repeat.
#[derive(Debug)]
pub struct NotifyAlerts {
    inner: std::sync::Arc<dyn crate::scheduler::Alerts>,
    queue: cp247_notify::AlertQueue,
    directory: cp247_federation::directory::DirectoryHandle,
}

impl NotifyAlerts {
    /// Alerts that go to `inner` and to `queue`.
    pub fn new(
        inner: std::sync::Arc<dyn crate::scheduler::Alerts>,
        queue: cp247_notify::AlertQueue,
        directory: cp247_federation::directory::DirectoryHandle,
    ) -> Self {
        Self {
            inner,
            queue,
            directory,
        }
    }

    /// The duty phones the directory lists for the contact point `of` (empty when unlisted).
    fn phones(&self, of: &cp247_domain::Address) -> Vec<String> {
        let snapshot = self.directory.snapshot();
        snapshot
            .current()
            .and_then(|c| c.directory().contact_point(of))
            .map(|cp| {
                cp.duty_phones
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The duty-officer alert a scheduler action raises.
pub fn notify_alert(
    alert: &crate::scheduler::Alert,
    phones_of: impl Fn(&cp247_domain::Address) -> Vec<String>,
) -> Option<Alert> {
    use crate::scheduler::AlertKind;
    match &alert.kind {
        AlertKind::Reminder {
            key,
            kind,
            target,
            counterpart,
            ..
        } => Some(Alert::Deadline {
            key: key.clone(),
            ticket: alert.ticket.clone(),
            what: kind.clone(),
            due: *target,
            counterpart: *counterpart,
            phones: phones_of(counterpart),
        }),
        AlertKind::Escalation {
            to,
            channel,
            unanswered,
            request,
            urgency,
            duty_phones,
            acknowledgement_due_at,
            ..
        } => match (to, request) {
            (Some(alternate), Some(message_id)) => {
                let mut phones = duty_phones.clone();
                for p in phones_of(alternate) {
                    if !phones.contains(&p) {
                        phones.push(p);
                    }
                }
                Some(Alert::Escalation {
                    message_id: *message_id,
                    ticket: alert.ticket.clone(),
                    urgency: *urgency,
                    unanswered: *unanswered,
                    alternate: *alternate,
                    channel: channel.clone(),
                    phones,
                })
            }
            // Nowhere to escalate to: the acknowledgement is overdue and the officer must
            // phone the requested Party.
            (None, _) | (Some(_), None) => Some(Alert::Deadline {
                key: format!("acknowledgement_overdue:{}", alert.ticket),
                ticket: alert.ticket.clone(),
                what: "acknowledgement_overdue".to_owned(),
                due: *acknowledgement_due_at,
                counterpart: *unanswered,
                phones: if duty_phones.is_empty() {
                    phones_of(unanswered)
                } else {
                    duty_phones.clone()
                },
            }),
        },
        AlertKind::Lapsed { until, counterpart } => Some(Alert::Deadline {
            key: format!("preservation_lapsed:{}", alert.ticket),
            ticket: alert.ticket.clone(),
            what: "preservation_lapsed".to_owned(),
            due: *until,
            counterpart: *counterpart,
            phones: phones_of(counterpart),
        }),
    }
}

impl crate::scheduler::Alerts for NotifyAlerts {
    fn alert(&self, alert: &crate::scheduler::Alert) {
        self.inner.alert(alert);
        if let Some(out) = notify_alert(alert, |a| self.phones(a)) {
            self.queue.submit(out);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use cp247_case::Role;
    use cp247_domain::{Address, MessageId, PartyCode, TicketId, Urgency};
    use cp247_notify::Alert;
    use jiff::Timestamp;

    use super::notify_alert;
    use crate::scheduler::{Alert as Action, AlertKind};

    fn md() -> Address {
        Address::primary(PartyCode::parse("MD").unwrap())
    }

    fn md_alt() -> Address {
        Address::alternate(PartyCode::parse("MD").unwrap())
    }

    fn listed_phones(a: &Address) -> Vec<String> {
        if *a == md_alt() {
            vec!["+37322000111".into()]
        } else {
            vec!["+37322000999".into()]
        }
    }

    fn at() -> Timestamp {
        "2026-03-02T10:00:00Z".parse().unwrap()
    }

    fn action(kind: AlertKind) -> (Action, Timestamp) {
        let at = at();
        let ticket = TicketId::generate(PartyCode::parse("FR").unwrap(), at, &mut rand::rng());
        (Action { ticket, at, kind }, at)
    }

    #[test]
    fn a_reminder_becomes_a_deadline_with_the_counterparts_phones_and_its_key() {
        let (a, _) = action(AlertKind::Reminder {
            key: "T:preservation_expiring:14".into(),
            kind: "preservation_expiring".into(),
            owed_by: Role::Requester,
            target: at(),
            counterpart: md(),
        });
        let Some(Alert::Deadline {
            key,
            what,
            due,
            counterpart,
            phones,
            ..
        }) = notify_alert(&a, listed_phones)
        else {
            panic!("not a deadline");
        };
        assert_eq!(key, "T:preservation_expiring:14");
        assert_eq!(what, "preservation_expiring");
        assert_eq!(due, at());
        assert_eq!(counterpart, md());
        assert_eq!(phones, vec!["+37322000999".to_owned()]);
    }

    #[test]
    fn an_escalation_carries_both_contact_points_phones_and_nowhere_to_go_means_overdue() {
        let request = MessageId::generate(Timestamp::UNIX_EPOCH, &mut rand::rng());
        let (a, at) = action(AlertKind::Escalation {
            target: "MD/alternate".into(),
            to: Some(md_alt()),
            channel: "email".into(),
            unanswered: md(),
            request: Some(request),
            urgency: Urgency::Urgent,
            duty_phones: vec!["+37322000999".into()],
            acknowledgement_due_at: Timestamp::UNIX_EPOCH,
        });
        let Some(Alert::Escalation {
            message_id,
            alternate,
            unanswered,
            channel,
            phones,
            ..
        }) = notify_alert(&a, listed_phones)
        else {
            panic!("not an escalation");
        };
        assert_eq!(message_id, request);
        assert_eq!((alternate, unanswered), (md_alt(), md()));
        assert_eq!(channel, "email");
        assert_eq!(phones, vec!["+37322000999", "+37322000111"]);

        let (a, _) = action(AlertKind::Escalation {
            target: "unavailable:notlisted".into(),
            to: None,
            channel: "none".into(),
            unanswered: md(),
            request: Some(request),
            urgency: Urgency::Emergency,
            duty_phones: vec![],
            acknowledgement_due_at: at,
        });
        let Some(Alert::Deadline {
            what, due, phones, ..
        }) = notify_alert(&a, listed_phones)
        else {
            panic!("not a deadline");
        };
        assert_eq!(what, "acknowledgement_overdue");
        assert_eq!(due, at);
        assert_eq!(phones, vec!["+37322000999".to_owned()]);
    }

    #[test]
    fn a_lapse_is_a_deadline_keyed_by_its_ticket() {
        let until: Timestamp = "2026-04-01T00:00:00Z".parse().unwrap();
        let (a, _) = action(AlertKind::Lapsed {
            until,
            counterpart: md(),
        });
        let ticket = a.ticket.clone();
        let Some(alert) = notify_alert(&a, listed_phones) else {
            panic!("no alert");
        };
        assert_eq!(
            alert.key(),
            format!("deadline:preservation_lapsed:{ticket}")
        );
    }
}

//! Duty-officer alerts: a new urgent or emergency request (with the requesting contact point's
//! duty phone numbers and the acknowledgement deadline) and the scheduler's actions (reminders,
//! escalations, lapses). Every alert is stored once in the store's alert outbox (by its stable
//! key): the web interface's alerts page lists it; with `[notify]` configured, [`run_sender`]
//! sends it by e-mail and webhook, retried with backoff and marked sent, so that a restart
//! neither loses nor repeats it.
//!
//! The inbound hook runs after the pipeline has stored the message: a message stored before
//! (a replay or a retry) is [`Received::Duplicate`] and never alerts again.

use std::sync::Arc;
use std::time::Duration;

use cp247_case::OfficeCalendar;
use cp247_domain::Urgency;
use cp247_federation::inbound::{Received, ticket_kind_of};
use cp247_notify::{Alert, Notifier};
use cp247_store::{AlertAttempt, AlertClaim, NewAlert, StoreError};
use jiff::SignedDuration;
use tokio_util::sync::CancellationToken;

use crate::node::NodeContext;

/// How long a sender holds a claimed alert (longer than the slowest send: every duty-officer
/// e-mail and the webhook's own retries).
pub const ALERT_LEASE: Duration = Duration::from_secs(300);
/// Attempts before an alert is given up (marked failed, still shown in the web interface).
pub const MAX_ALERT_ATTEMPTS: u32 = 10;
/// The wait before the first retry; each later one doubles it, up to [`MAX_RETRY_WAIT`].
pub const FIRST_RETRY_WAIT: SignedDuration = SignedDuration::from_secs(5);
/// The longest wait between two attempts.
pub const MAX_RETRY_WAIT: SignedDuration = SignedDuration::from_secs(30 * 60);
/// How often the sender looks for due alerts when nothing wakes it.
const SENDER_POLL: Duration = Duration::from_secs(2);

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

/// Stores the alert `received` raises, if any.
pub async fn on_received(ctx: &NodeContext, received: &Received) {
    if let Some(alert) = alert_for(ctx, received) {
        store_alert(ctx, &alert).await;
    }
}

/// Stores `alert` in the alert outbox (once: an alert whose key is stored already changes
/// nothing) and wakes the sender. A store failure is logged: the action that raised the alert
/// is already committed, in the case timeline and the audit log.
pub async fn store_alert(ctx: &NodeContext, alert: &Alert) {
    let send = ctx.notifier.as_ref().is_some_and(|n| n.is_configured());
    let key = alert.key();
    let new = NewAlert {
        key: key.clone(),
        node: ctx.me,
        ticket: alert.ticket().clone(),
        event: alert.event().to_owned(),
        body: alert.json().to_string(),
        created_at: ctx.clock.now(),
        send,
    };
    match ctx.store.insert_alert(&new).await {
        Ok(true) => {
            if send {
                ctx.alert_wake.notify_one();
            }
        }
        Ok(false) => tracing::debug!(alert = %key, "the alert was raised before"),
        Err(e) => tracing::error!(alert = %key, error = %e, "an alert could not be stored"),
    }
}

/// A scheduler action, once committed: to the node's [`Alerts`](crate::scheduler::Alerts)
/// (the log), then stored as a duty-officer alert with the duty phones from the directory.
pub async fn raise(ctx: &NodeContext, action: &crate::scheduler::Alert) {
    ctx.alerts.alert(action);
    if let Some(alert) = notify_alert(action, |a| phones(ctx, a)) {
        store_alert(ctx, &alert).await;
    }
}

/// The duty phones the directory lists for the contact point `of` (empty when unlisted).
fn phones(ctx: &NodeContext, of: &cp247_domain::Address) -> Vec<String> {
    let snapshot = ctx.directory.snapshot();
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

/// The wait after failed attempt `attempt` (from 1): 5 s, 10 s, 20 s… up to 30 min.
pub fn retry_wait(attempt: u32) -> SignedDuration {
    let factor = 1i64 << attempt.saturating_sub(1).min(20);
    FIRST_RETRY_WAIT
        .checked_mul(i32::try_from(factor).unwrap_or(i32::MAX))
        .map_or(MAX_RETRY_WAIT, |w| w.min(MAX_RETRY_WAIT))
}

/// Sends the alerts due now through `notifier`, each under a lease; returns how many were
/// attempted.
pub async fn send_due(ctx: &NodeContext, notifier: &Notifier) -> Result<usize, StoreError> {
    let claims = ctx
        .store
        .claim_alerts(ctx.me, ctx.clock.now(), ALERT_LEASE, 16)
        .await?;
    let n = claims.len();
    for claim in claims {
        let (outcome, done) = attempt(ctx, notifier, &claim).await;
        match ctx
            .store
            .finish_alert_attempt(&claim, &done, &outcome, ctx.clock.now())
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(alert = %claim.key, "the alert's lease was lost while sending it")
            }
            Err(e) => {
                tracing::error!(alert = %claim.key, error = %e, "the outcome of an alert could not be stored; it is tried again after its lease")
            }
        }
    }
    Ok(n)
}

/// One attempt at `claim`: the outcome and the channels that have taken it so far.
async fn attempt(
    ctx: &NodeContext,
    notifier: &Notifier,
    claim: &AlertClaim,
) -> (AlertAttempt, Vec<String>) {
    let parsed = serde_json::from_str::<serde_json::Value>(&claim.body)
        .map_err(|e| e.to_string())
        .and_then(|v| Alert::from_json(&v));
    let alert = match parsed {
        Ok(a) => a,
        Err(e) => {
            let error = format!("the stored alert cannot be read: {e}");
            tracing::error!(alert = %claim.key, error = %error, "alert given up");
            return (AlertAttempt::GiveUp { error }, claim.channels_done.clone());
        }
    };
    let report = notifier
        .send_alert_except(&alert, &claim.channels_done)
        .await;
    let mut done = claim.channels_done.clone();
    done.extend(report.channels_ok());
    let outcome = if report.all_sent() {
        AlertAttempt::Sent
    } else if claim.attempt >= MAX_ALERT_ATTEMPTS {
        tracing::error!(alert = %claim.key, attempts = claim.attempt, "an alert could not be sent and is given up");
        AlertAttempt::GiveUp {
            error: report.failures(),
        }
    } else {
        let now = ctx.clock.now();
        AlertAttempt::Retry {
            next_at: now.checked_add(retry_wait(claim.attempt)).unwrap_or(now),
            error: report.failures(),
        }
    };
    (outcome, done)
}

/// The alert sender of a node with `[notify]`: sends what is due, then waits to be woken (a
/// new alert) or for the next poll, until `shutdown` (an alert being sent is finished first).
pub async fn run_sender(
    ctx: Arc<NodeContext>,
    notifier: Arc<Notifier>,
    shutdown: CancellationToken,
) {
    loop {
        if let Err(e) = send_due(&ctx, &notifier).await {
            tracing::error!(error = %e, "sending alerts failed; tried again");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = ctx.alert_wake.notified() => {}
            () = tokio::time::sleep(SENDER_POLL) => {}
        }
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

//! Duty-officer alerts: a new urgent or emergency request (with the requesting contact point's
//! duty phone numbers and the acknowledgement deadline) and the scheduler's actions (reminders,
//! escalations, lapses). Every alert is stored once in the store's alert outbox (by its stable
//! key), in the unit of work of the action that raised it: the web interface's alerts page
//! lists it; with `[notify]` configured, [`run_sender`] sends it by e-mail and webhook, retried
//! with backoff and marked sent, so that a restart neither loses nor repeats it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use cp247_case::Role;
use cp247_domain::{Address, MessageId, TicketId, Urgency};
use cp247_notify::{Alert as DutyAlert, Notifier};
use cp247_store::{AlertAttempt, AlertClaim, NewAlert, StoreError, Tx};
use jiff::{SignedDuration, Timestamp};
use tokio_util::sync::CancellationToken;

use crate::CaseWork;

/// What the duty officer is alerted of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertKind {
    /// A reminder fired.
    Reminder {
        /// Its key.
        key: String,
        /// Its kind (`preservation_expiring`, …).
        kind: String,
        /// Who owes the thing reminded of.
        owed_by: Role,
        /// The instant it reminds of.
        target: Timestamp,
        /// The other Party's contact point on the case.
        counterpart: Address,
    },
    /// An urgent request was escalated (or could not be: then the officer must phone).
    Escalation {
        /// Where it went (`MD/alternate`), or why nowhere (`unavailable:suspended`).
        target: String,
        /// The contact point it went to, if any.
        to: Option<Address>,
        /// How: `node`, `email`, `email_failed` (the e-mail could not be sent), `none`.
        channel: String,
        /// The contact point that did not acknowledge it.
        unanswered: Address,
        /// The request's message id, if stored.
        request: Option<MessageId>,
        /// The request's urgency.
        urgency: Urgency,
        /// The requested Party's duty phones.
        duty_phones: Vec<String>,
        /// When the acknowledgement was due.
        acknowledgement_due_at: Timestamp,
    },
    /// A preservation ended without extension or request for mutual assistance.
    Lapsed {
        /// Its end.
        until: Timestamp,
        /// The other Party's contact point on the case.
        counterpart: Address,
    },
}

/// An alert for the duty officer. Carries no case plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    /// The ticket.
    pub ticket: TicketId,
    /// When.
    pub at: Timestamp,
    /// What.
    pub kind: AlertKind,
}

/// Where alerts go besides the alert outbox. The node holds one; the scheduler calls it
/// (through [`crate::alerts::raise`], which then stores the duty-officer alert) after each
/// action is committed (the action is already in the case timeline and the audit log).
/// Implementations must return quickly and never fail the caller.
pub trait Alerts: Send + Sync + fmt::Debug {
    /// Delivers one alert.
    fn alert(&self, alert: &Alert);
}

/// A warning in the node's log for each action (the action itself is in the case timeline;
/// the duty-officer alert is stored and sent by [`crate::alerts`]).
#[derive(Debug, Default)]
pub struct LogAlerts;

impl Alerts for LogAlerts {
    fn alert(&self, alert: &Alert) {
        match &alert.kind {
            AlertKind::Reminder {
                kind,
                owed_by,
                target,
                ..
            } => {
                tracing::warn!(ticket = %alert.ticket, reminder = %kind, owed_by = owed_by.as_str(), target = %target, "duty officer alert: reminder")
            }
            AlertKind::Escalation {
                target,
                duty_phones,
                acknowledgement_due_at,
                channel,
                ..
            } => {
                tracing::warn!(ticket = %alert.ticket, target = %target, channel = %channel, duty_phones = ?duty_phones, due = %acknowledgement_due_at, "duty officer alert: request escalated, not acknowledged in time")
            }
            AlertKind::Lapsed { until, .. } => {
                tracing::warn!(ticket = %alert.ticket, until = %until, "duty officer alert: preservation lapsed")
            }
        }
    }
}

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

impl CaseWork {
    /// Whether stored alerts are sent (a `[notify]` relay or webhook is configured).
    fn sends_alerts(&self) -> bool {
        self.notifier.as_ref().is_some_and(|n| n.is_configured())
    }

    /// The alert outbox row of `alert`, raised now.
    pub(crate) fn alert_record(&self, alert: &DutyAlert) -> NewAlert {
        NewAlert {
            key: alert.key(),
            node: self.me,
            ticket: alert.ticket().clone(),
            event: alert.event().to_owned(),
            body: alert.json().to_string(),
            created_at: self.clock.now(),
            send: self.sends_alerts(),
        }
    }

    /// After the unit of work that stored a new alert committed: wakes the sender.
    pub(crate) fn alert_stored(&self) {
        if self.sends_alerts() {
            self.alert_wake.notify_one();
        }
    }

    /// Stores the duty-officer alert of the scheduler action `action` in `tx`, the action's
    /// own unit of work (once: an alert whose key is stored already changes nothing). `true`
    /// when a new alert was stored: call [`CaseWork::raised`] after the commit.
    pub(crate) async fn stage_alert(
        &self,
        tx: &mut Tx,
        action: &Alert,
    ) -> Result<bool, StoreError> {
        match notify_alert(action, |a| self.duty_phones(a)) {
            Some(alert) => tx.insert_alert(&self.alert_record(&alert)).await,
            None => Ok(false),
        }
    }

    /// After the action's unit of work committed: the action to the node's [`Alerts`] (the
    /// log), and the sender woken when its alert was new.
    pub(crate) fn raised(&self, action: &Alert, stored: bool) {
        self.alert_log.alert(action);
        if stored {
            self.alert_stored();
        }
    }

    /// The duty phones the directory lists for the contact point `of` (empty when unlisted).
    pub(crate) fn duty_phones(&self, of: &Address) -> Vec<String> {
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

/// The wait after failed attempt `attempt` (from 1): 5 s, 10 s, 20 s… up to 30 min.
pub fn retry_wait(attempt: u32) -> SignedDuration {
    let factor = 1i64 << attempt.saturating_sub(1).min(20);
    FIRST_RETRY_WAIT
        .checked_mul(i32::try_from(factor).unwrap_or(i32::MAX))
        .map_or(MAX_RETRY_WAIT, |w| w.min(MAX_RETRY_WAIT))
}

/// Sends the alerts due now through `notifier`, each under a lease; returns how many were
/// attempted.
pub async fn send_due(work: &CaseWork, notifier: &Notifier) -> Result<usize, StoreError> {
    let claims = work
        .store
        .claim_alerts(work.me, work.clock.now(), ALERT_LEASE, 16)
        .await?;
    let n = claims.len();
    for claim in claims {
        let (outcome, done) = attempt(work, notifier, &claim).await;
        match work
            .store
            .finish_alert_attempt(&claim, &done, &outcome, work.clock.now())
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
    work: &CaseWork,
    notifier: &Notifier,
    claim: &AlertClaim,
) -> (AlertAttempt, Vec<String>) {
    let parsed = serde_json::from_str::<serde_json::Value>(&claim.body)
        .map_err(|e| e.to_string())
        .and_then(|v| DutyAlert::from_json(&v));
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
        let now = work.clock.now();
        AlertAttempt::Retry {
            next_at: now.checked_add(retry_wait(claim.attempt)).unwrap_or(now),
            error: report.failures(),
        }
    };
    (outcome, done)
}

/// The alert sender of a node with `[notify]`: sends what is due, then waits to be woken (a
/// new alert) or for the next poll, until `shutdown` (an alert being sent is finished first).
pub async fn run_sender(work: Arc<CaseWork>, notifier: Arc<Notifier>, shutdown: CancellationToken) {
    loop {
        if let Err(e) = send_due(&work, &notifier).await {
            tracing::error!(error = %e, "sending alerts failed; tried again");
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = work.alert_wake.notified() => {}
            () = tokio::time::sleep(SENDER_POLL) => {}
        }
    }
}

/// The duty-officer alert a scheduler action raises.
pub fn notify_alert(
    alert: &Alert,
    phones_of: impl Fn(&cp247_domain::Address) -> Vec<String>,
) -> Option<DutyAlert> {
    match &alert.kind {
        AlertKind::Reminder {
            key,
            kind,
            target,
            counterpart,
            ..
        } => Some(DutyAlert::Deadline {
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
                Some(DutyAlert::Escalation {
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
            (None, _) | (Some(_), None) => Some(DutyAlert::Deadline {
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
        AlertKind::Lapsed { until, counterpart } => Some(DutyAlert::Deadline {
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
    use crate::alerts::{Alert as Action, AlertKind};

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

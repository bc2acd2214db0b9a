//! The case-work scheduler: on the node's injected clock, every `[cases] scheduler_every`, it
//! fires the due reminders of every open case exactly once (the store's unique reminder key),
//! escalates unacknowledged urgent and emergency requests to the requested Party's other
//! contact point, and records lapsed preservations. Each action is one unit of work with its
//! case event and audit entry, then an [`Alert`] to the node's [`Alerts`].
//!
//! Several processes on one PostgreSQL database may run it at once: the reminder key and the
//! escalation row are unique and the case write is guarded, so each action happens once.

use std::sync::Arc;

use cp247_case::escalation::{ContactChannel, Escalation};
use cp247_case::reply::{EscalationNotice, Message, parse_message_json, to_json_string};
use cp247_case::{
    Case, CaseEvent, CaseState, EscalationTarget, MessageKind, Msg, Reminder, Reply, Role,
    escalation_due, pending,
};
use cp247_domain::{Address, Instant, MessageId, TicketId};
use cp247_seal::Handling;
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, EscalationDirection, EscalationRecord, Page,
    StoreError, Viewer,
};
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::CaseWork;
use crate::alerts::{Alert, AlertKind};
use crate::sealing::{Draft, seal};

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pass {
    /// Reminders fired.
    pub reminders: usize,
    /// Escalations made.
    pub escalations: usize,
    /// Preservations recorded as lapsed.
    pub lapsed: usize,
}

/// Runs passes every `[cases] scheduler_every` until `shutdown`.
pub async fn run(work: Arc<CaseWork>, shutdown: CancellationToken) {
    let every = work.scheduler.every;
    // Before the first pass decides any escalation: the receipts an older version stored
    // without recording them on their case.
    match catch_up_receipts(&work).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            receipts = n,
            "receipts missing on their cases were recorded"
        ),
        Err(e) => {
            tracing::error!(error = %e, "the receipt catch-up failed; it runs at the next start")
        }
    }
    loop {
        match run_pass(&work).await {
            Ok(p) if p != Pass::default() => {
                tracing::info!(
                    reminders = p.reminders,
                    escalations = p.escalations,
                    lapsed = p.lapsed,
                    "case scheduler pass"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "the case scheduler pass failed; it runs again"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
    }
}

/// One pass over the open cases at the clock's current time.
pub async fn run_pass(work: &CaseWork) -> Result<Pass, StoreError> {
    let now = work.clock.now();
    let mut pass = Pass::default();
    let tickets = work.store.open_case_tickets(work.scheduler.batch).await?;
    for ticket in tickets {
        let case = match work
            .store
            .load_case_for(Viewer::Local(work.me.party), &ticket)
            .await
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(ticket = %ticket, error = %e, "a case cannot be read; skipped");
                continue;
            }
        };
        let Some(cal) = work.calendars(&case) else {
            continue;
        };
        let fired = work.store.fired_reminder_keys(&ticket).await?;
        for r in pending(&case, &cal, &work.policy, now, &fired) {
            if fire(work, &r, now).await? {
                pass.reminders += 1;
            }
        }
        if case.role() == Role::Requester
            && let Some(esc) = {
                let snapshot = work.directory.snapshot();
                snapshot
                    .current()
                    .and_then(|d| escalation_due(&case, d.directory(), &work.policy, now))
            }
        {
            match escalate(work, &case, &esc, now).await {
                Ok(true) => pass.escalations += 1,
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(ticket = %ticket, error = %e, "escalation failed; retried next pass")
                }
            }
        }
        if let CaseState::Preserved { until } = case.state()
            && now >= until
            && lapse(work, &ticket, until, now).await?
        {
            pass.lapsed += 1;
        }
    }
    Ok(pass)
}

/// Records on their cases the system receipts of delivered requests that lack one, at the
/// time the receipt was stored — what a crash between the two steps of an older version (or
/// a database restored from such a node) left behind. The delivery worker records both in
/// one transaction, so this runs once, when the scheduler starts, before its first pass
/// decides any escalation. Exactly once: a case that has its receipt is not listed again, and
/// the case write is guarded against a second process.
pub async fn catch_up_receipts(work: &CaseWork) -> Result<usize, StoreError> {
    let batch = work.scheduler.batch;
    let mut recorded = 0;
    loop {
        let missing = work.store.delivered_requests_without_receipt(batch).await?;
        let listed = missing.len();
        let mut now_recorded = 0;
        for (ticket, message, delivered_at) in missing {
            match crate::apply::record_receipt(&work.store, &ticket, &message, delivered_at).await {
                Ok(true) => {
                    tracing::warn!(ticket = %ticket, message_id = %message, "a stored receipt was missing on its case: recorded now");
                    now_recorded += 1;
                }
                Ok(false) => {}
                Err(e) if e.is_conflict() => {}
                Err(e) => return Err(e),
            }
        }
        recorded += now_recorded;
        // A full batch may hide more; stop when one records nothing (the rest cannot take it).
        if listed < usize::try_from(batch).unwrap_or(usize::MAX) || now_recorded == 0 {
            return Ok(recorded);
        }
    }
}

/// Fires `r` once: the key, the case event and the audit entry in one unit of work.
async fn fire(work: &CaseWork, r: &Reminder, now: Timestamp) -> Result<bool, StoreError> {
    let mut tx = work.store.begin().await?;
    if !tx.fire_reminder(r, now).await? {
        tx.rollback().await?;
        return Ok(false);
    }
    let Some(mut case) = tx.load_case(&r.ticket).await? else {
        tx.rollback().await?;
        return Ok(false);
    };
    let counterpart = case.opening().counterpart;
    let recorded = match tx
        .record_case_event(
            &mut case,
            CaseEvent::ReminderDue(r.kind.clone()),
            now,
            None,
            &Actor::node(),
        )
        .await
    {
        Ok(_) => true,
        // The key is kept so the reminder is not tried again; the refusal is audited.
        Err(StoreError::Transition { error, .. }) => {
            tracing::info!(ticket = %r.ticket, reason = %error, "a reminder no longer applies");
            false
        }
        Err(e) => return Err(e),
    };
    tx.append_audit(&AuditRecord {
        actor: Actor::node(),
        action: AuditAction::Remind,
        ticket: Some(r.ticket.clone()),
        result: if recorded {
            AuditResult::Ok
        } else {
            AuditResult::Denied
        },
        details: json!({
            "reminder": r.key.as_str(),
            "kind": r.kind.name(),
            "owed_by": r.owed_by.as_str(),
            "target": r.target.to_string(),
            "fire_at": r.fire_at.to_string(),
        }),
        at: now,
    })
    .await?;
    let action = Alert {
        ticket: r.ticket.clone(),
        at: now,
        kind: AlertKind::Reminder {
            key: r.key.as_str().to_owned(),
            kind: r.kind.name().to_owned(),
            owed_by: r.owed_by,
            target: r.target,
            counterpart,
        },
    };
    let stored = if recorded {
        work.stage_alert(&mut tx, &action).await?
    } else {
        false
    };
    match tx.commit().await {
        Ok(()) => {}
        Err(e) if e.is_conflict() => return Ok(false),
        Err(e) => return Err(e),
    }
    if recorded {
        work.raised(&action, stored);
    }
    Ok(recorded)
}

/// The request of `case` as sent: its message id, when, and the document.
async fn original_request(
    work: &CaseWork,
    case: &Case,
) -> Result<Option<(MessageId, cp247_forms::Document, String)>, StoreError> {
    let ticket = case.ticket();
    let events = work.store.case_events(ticket).await?;
    let Some(id) = events
        .iter()
        .find(|e| e.recorded.event == CaseEvent::Sent(Msg::Request))
        .and_then(|e| e.message_id)
    else {
        return Ok(None);
    };
    let messages = work
        .store
        .messages_for(
            Viewer::Local(work.me.party),
            ticket,
            Page {
                offset: 0,
                limit: 50,
            },
        )
        .await?;
    let Some(m) = messages.items.iter().find(|m| m.id == id) else {
        return Ok(None);
    };
    let payload: Value = serde_json::from_str(&m.payload_json).unwrap_or(Value::Null);
    let body = serde_json::to_vec(&payload["body"]).unwrap_or_default();
    let parsed = parse_message_json(m.message_type.as_str(), &body, None).ok();
    Ok(match parsed.and_then(|p| p.message) {
        Some(Message::Request(doc)) => Some((id, doc, m.payload_json.clone())),
        Some(Message::Reply(_)) | None => None,
    })
}

/// The files of our request `id` on `ticket`, to travel again with its escalation notice.
async fn request_attachments(
    work: &CaseWork,
    ticket: &TicketId,
    id: &MessageId,
) -> Result<Vec<cp247_seal::Attachment>, String> {
    let message = work
        .store
        .message(work.me.party, id)
        .await
        .map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(message.attachments.len());
    for info in &message.attachments {
        let file = work
            .store
            .attachment_for(Viewer::Local(work.me.party), ticket, id, info.index)
            .await
            .map_err(|e| e.to_string())?;
        let name = cp247_seal::FileName::parse(&file.info.file_name).map_err(|e| e.to_string())?;
        let media_type =
            cp247_seal::MediaType::parse(&file.info.media_type).map_err(|e| e.to_string())?;
        out.push(cp247_seal::Attachment::new(name, media_type, file.content));
    }
    Ok(out)
}

/// Escalates `case`: the escalation row, the `Escalated` event, the notice to the other
/// contact point's node (when it has one) and the audit entry in one unit of work, then the
/// duty officer's alert. `false` when another process escalated first.
///
/// An e-mail-only contact point gets the request as PGP/MIME (signed by this node, encrypted
/// to the certificate the directory lists) through the `[notify]` relay, after the escalation
/// is claimed and committed (so that two processes never both send it); the outcome (the
/// e-mail's Message-ID or why it failed) is a second audit entry on the ticket. When it cannot
/// be sent, the alert tells the duty officer so (`email_failed`): they must phone.
async fn escalate(
    work: &CaseWork,
    case: &Case,
    esc: &Escalation,
    now: Timestamp,
) -> Result<bool, String> {
    let ticket = case.ticket();
    let unanswered = case.opening().counterpart;
    let phones: Vec<String> = esc
        .duty_phones
        .iter()
        .map(|p| p.phone.as_str().to_owned())
        .collect();
    let (target_text, to, node_target, by_email) = match &esc.target {
        EscalationTarget::Contact {
            to,
            channel: ContactChannel::Node { .. },
        } => (to.to_string(), Some(*to), Some(*to), false),
        EscalationTarget::Contact {
            to,
            channel: ContactChannel::Email { .. },
        } => (to.to_string(), Some(*to), None, true),
        EscalationTarget::Unavailable(why) => (
            format!("unavailable:{why:?}").to_lowercase(),
            None,
            None,
            false,
        ),
    };
    let original = original_request(work, case)
        .await
        .map_err(|e| e.to_string())?;
    let mut queued = None;
    if let Some(to) = node_target {
        let Some((original, request, _)) = original.clone() else {
            return Err("the request of the case is not stored".to_owned());
        };
        let notice = Reply::EscalationNotice(Box::new(EscalationNotice {
            original_message: original,
            original_sent_at: Instant::utc(case.request_at().unwrap_or(now)),
            acknowledgement_due_at: Instant::utc(esc.acknowledgement_due_at),
            escalated_at: Instant::utc(now),
            urgency: esc.urgency,
            request,
        }));
        let body: Value =
            serde_json::from_str(&to_json_string(&notice)).map_err(|e| e.to_string())?;
        let id = {
            let mut rng = rand::rng();
            MessageId::generate(now, &mut rng)
        };
        let sealed = seal(
            work,
            Draft {
                ticket,
                id,
                to,
                kind: MessageKind::EscalationNotice,
                urgency: esc.urgency,
                body,
                handling: Handling {
                    confidential: true,
                    marking: None,
                },
                attachments: request_attachments(work, ticket, &original).await?,
            },
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
        queued = Some(sealed);
    }
    // The e-mail, prepared before the claim: a contact point that cannot be written to is
    // known now, and recorded as such.
    let email = match (by_email, to) {
        (true, Some(to)) => Some(email_request(work, case, to, &original, now)),
        (true, None) | (false, _) => None,
    };
    let channel = match &email {
        Some(Ok(_)) => "email",
        Some(Err(_)) => "email_failed",
        None if node_target.is_some() => "node",
        None => "none",
    };
    let mut details = json!({ "channel": channel, "duty_phones": phones });
    if let (Some(Err(why)), Value::Object(map)) = (&email, &mut details) {
        map.insert("error".into(), Value::from(why.clone()));
    }
    let record = EscalationRecord {
        ticket: ticket.clone(),
        direction: EscalationDirection::Out,
        escalated_at: now,
        due_at: esc.acknowledgement_due_at,
        target: target_text.clone(),
        message_id: queued.as_ref().map(|s| s.message.id),
        details,
    };
    let store_err = |e: StoreError| e.to_string();
    let mut tx = work.store.begin().await.map_err(store_err)?;
    if !tx.record_escalation(&record).await.map_err(store_err)? {
        tx.rollback().await.map_err(store_err)?;
        return Ok(false);
    }
    let Some(mut fresh) = tx.load_case(ticket).await.map_err(store_err)? else {
        return Err("the case disappeared".to_owned());
    };
    let message_id = queued.as_ref().map(|s| s.message.id);
    tx.record_case_event(
        &mut fresh,
        CaseEvent::Escalated,
        now,
        message_id.as_ref(),
        &Actor::node(),
    )
    .await
    .map_err(store_err)?;
    if let Some(s) = &queued {
        tx.insert_outgoing(&s.message).await.map_err(store_err)?;
    }
    tx.append_audit(&AuditRecord {
        actor: Actor::node(),
        action: AuditAction::Escalate,
        ticket: Some(ticket.clone()),
        result: AuditResult::Ok,
        details: json!({
            "target": target_text,
            "channel": channel,
            "message_id": message_id.map(|m| m.to_string()),
            "sealed_sha256": queued.as_ref().map(|s| s.sha256.clone()),
            "acknowledgement_due_at": esc.acknowledgement_due_at.to_string(),
        }),
        at: now,
    })
    .await
    .map_err(store_err)?;
    let action = Alert {
        ticket: ticket.clone(),
        at: now,
        kind: AlertKind::Escalation {
            target: target_text,
            to,
            channel: channel.to_owned(),
            unanswered,
            request: original.as_ref().map(|(id, _, _)| *id),
            urgency: esc.urgency,
            duty_phones: phones.clone(),
            acknowledgement_due_at: esc.acknowledgement_due_at,
        },
    };
    let stored = work
        .stage_alert(&mut tx, &action)
        .await
        .map_err(store_err)?;
    tx.commit().await.map_err(store_err)?;
    if let Some(to) = node_target {
        work.wake(to.party);
    }
    work.raised(&action, stored);
    if let (Some(Ok(prepared)), Some(alternate)) = (email, to)
        && !send_email(work, ticket, prepared, now).await
    {
        // The e-mail could not be sent after the escalation was recorded: the duty officer
        // must phone the requested Party.
        let failed = cp247_notify::Alert::Deadline {
            key: format!("escalation_email_failed:{ticket}"),
            ticket: ticket.clone(),
            what: "escalation_email_failed".to_owned(),
            due: esc.acknowledgement_due_at,
            counterpart: alternate,
            phones,
        };
        match work.store.insert_alert(&work.alert_record(&failed)).await {
            Ok(true) => work.alert_stored(),
            Ok(false) => {}
            Err(e) => {
                tracing::error!(ticket = %ticket, error = %e, "the alert of a failed escalation e-mail could not be stored")
            }
        }
    }
    Ok(true)
}

/// An escalation e-mail ready to send.
struct PreparedEmail {
    notifier: Arc<cp247_notify::Notifier>,
    target: cp247_notify::EmailTarget,
    mail: cp247_notify::RequestMail,
}

/// The e-mail to the e-mail-only contact point `to`, or why it cannot be sent (no relay
/// configured, the contact point not listed or without a key in force, the request not stored).
fn email_request(
    work: &CaseWork,
    case: &Case,
    to: Address,
    original: &Option<(MessageId, cp247_forms::Document, String)>,
    now: Timestamp,
) -> Result<PreparedEmail, String> {
    let notifier = work
        .notifier
        .as_ref()
        .filter(|n| n.has_relay())
        .ok_or_else(|| "no SMTP relay is configured ([notify] smtp_host)".to_owned())?;
    let Some((message_id, _, payload_json)) = original else {
        return Err("the request of the case is not stored".to_owned());
    };
    let snapshot = work.directory.snapshot();
    let directory = snapshot
        .current()
        .map(|c| c.directory())
        .ok_or_else(|| "no directory is in force".to_owned())?;
    let contact_point = directory
        .contact_point(&to)
        .ok_or_else(|| format!("{to} is not in the directory"))?;
    let target = cp247_notify::EmailTarget::of(contact_point, now).map_err(|e| e.to_string())?;
    let phones = directory
        .contact_point(&work.me)
        .map(|cp| {
            cp.duty_phones
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mail = cp247_notify::RequestMail {
        ticket: case.ticket().clone(),
        message_id: *message_id,
        kind: ticket_kind(case).to_owned(),
        urgency: case.urgency(),
        from: work.me,
        to,
        unanswered: Some(case.opening().counterpart),
        phones,
        payload_json: payload_json.clone().into_bytes(),
    };
    Ok(PreparedEmail {
        notifier: notifier.clone(),
        target,
        mail,
    })
}

/// `art29`, `art30`… of the case's request.
fn ticket_kind(case: &Case) -> &'static str {
    case.article().as_str()
}

/// Sends the escalation e-mail and audits the outcome on the ticket; `false` when it failed.
async fn send_email(
    work: &CaseWork,
    ticket: &TicketId,
    prepared: PreparedEmail,
    now: Timestamp,
) -> bool {
    let result = prepared
        .notifier
        .send_request_by_email(&prepared.target, &prepared.mail)
        .await;
    let (ok, details) = match &result {
        Ok(mail_id) => (
            true,
            json!({
                "channel": "email",
                "to_contact_point": prepared.mail.to.to_string(),
                "to": prepared.target.address.email(),
                "mail_message_id": mail_id,
                "request_message_id": prepared.mail.message_id.to_string(),
                "encrypted_to": prepared.target.cert.fingerprint().to_string(),
            }),
        ),
        Err(e) => (
            false,
            json!({
                "channel": "email",
                "to_contact_point": prepared.mail.to.to_string(),
                "to": prepared.target.address.email(),
                "request_message_id": prepared.mail.message_id.to_string(),
                "error": e.to_string(),
            }),
        ),
    };
    if let Err(e) = &result {
        tracing::error!(ticket = %ticket, to = %prepared.mail.to, error = %e, "the escalation e-mail could not be sent: the duty officer must phone");
    }
    let audit = AuditRecord {
        actor: Actor::node(),
        action: AuditAction::Send,
        ticket: Some(ticket.clone()),
        result: if ok {
            AuditResult::Ok
        } else {
            AuditResult::Failed
        },
        details,
        at: now,
    };
    if let Err(e) = work.store.append_audit(&audit).await {
        tracing::error!(ticket = %ticket, error = %e, "the escalation e-mail's audit entry could not be written");
    }
    ok
}

/// Records that the preservation of `ticket` lapsed.
async fn lapse(
    work: &CaseWork,
    ticket: &TicketId,
    until: Timestamp,
    now: Timestamp,
) -> Result<bool, StoreError> {
    let mut tx = work.store.begin().await?;
    let Some(mut case) = tx.load_case(ticket).await? else {
        return Ok(false);
    };
    let counterpart = case.opening().counterpart;
    match tx
        .record_case_event(&mut case, CaseEvent::Lapsed, now, None, &Actor::node())
        .await
    {
        Ok(_) => {}
        Err(StoreError::Transition { .. }) => return Ok(false),
        Err(e) => return Err(e),
    }
    tx.append_audit(&AuditRecord {
        actor: Actor::node(),
        action: AuditAction::Remind,
        ticket: Some(ticket.clone()),
        result: AuditResult::Ok,
        details: json!({ "event": "lapsed", "preserved_until": until.to_string() }),
        at: now,
    })
    .await?;
    let action = Alert {
        ticket: ticket.clone(),
        at: now,
        kind: AlertKind::Lapsed { until, counterpart },
    };
    let stored = work.stage_alert(&mut tx, &action).await?;
    match tx.commit().await {
        Ok(()) => {}
        Err(e) if e.is_conflict() => return Ok(false),
        Err(e) => return Err(e),
    }
    work.raised(&action, stored);
    Ok(true)
}

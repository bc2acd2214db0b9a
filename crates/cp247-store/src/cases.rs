//! Cases: the lifecycle of each ticket as `cp247_case` models it, persisted as its opening plus
//! the events the transition function accepted, the reminders that fired (keyed by
//! [`ReminderKey`], so each fires exactly once), the escalations and the ticket chain.
//!
//! A case changes only through [`Tx::record_case_event`], which applies the event to the case
//! in memory first (the pure [`Case::record`]); an event that cannot happen is a
//! [`StoreError::Transition`] and writes nothing. The write is guarded by the number of events
//! already recorded, so two processes that read the same case cannot both append: the second
//! gets [`StoreError::Conflict`] and its whole unit of work is rolled back.

use std::collections::{BTreeSet, VecDeque};
use std::fmt;

use cp247_case::case::Recorded;
use cp247_case::{
    Case, CaseEvent, CaseState, ChainLink, Msg, Opening, Reminder, ReminderKey, Role,
};
use cp247_domain::{MessageId, TicketId};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::codec::{get, get_ts, parse_col, us};
use crate::error::{StoreError, is_unique_violation};
use crate::options::Backend;
use crate::store::{Store, Tx};
use crate::tickets::Viewer;

/// The most tickets a chain walk visits (hostile links cannot make it unbounded).
pub const MAX_CHAIN: usize = 200;

/// One recorded event of a case, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEventRow {
    /// Its position in the case, from 1.
    pub seq: u64,
    /// The event, when and the state after it.
    pub recorded: Recorded,
    /// The message it stands for, if any.
    pub message_id: Option<MessageId>,
    /// Who caused it.
    pub actor: Actor,
}

/// A reminder that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiredReminder {
    /// Its key.
    pub key: ReminderKey,
    /// The ticket.
    pub ticket: TicketId,
    /// Its kind's name (`preservation_expiring`, …).
    pub kind: String,
    /// Who owes the thing reminded of.
    pub owed_by: Role,
    /// The instant it reminds of.
    pub target: Timestamp,
    /// When it was due to fire.
    pub fire_at: Timestamp,
    /// When it fired.
    pub fired_at: Timestamp,
}

/// Which way an escalation went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EscalationDirection {
    /// This node escalated its request.
    Out,
    /// An escalation notice reached this node.
    In,
}

impl EscalationDirection {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EscalationDirection::Out => "out",
            EscalationDirection::In => "in",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "out" => Ok(EscalationDirection::Out),
            "in" => Ok(EscalationDirection::In),
            other => Err(format!("'{other}' is not in or out")),
        }
    }
}

/// An escalation, on either side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationRecord {
    /// The ticket.
    pub ticket: TicketId,
    /// Which way.
    pub direction: EscalationDirection,
    /// When.
    pub escalated_at: Timestamp,
    /// When the human acknowledgement was due.
    pub due_at: Timestamp,
    /// Where it went (a contact point address), or why nowhere (`unavailable:suspended`).
    pub target: String,
    /// The escalation notice's message id, when one was sent or received.
    pub message_id: Option<MessageId>,
    /// Facts for the officer (duty phones, channel); no case plaintext.
    pub details: serde_json::Value,
}

fn role_str(role: Role) -> &'static str {
    role.as_str()
}

fn parse_role(text: &str) -> Result<Role, String> {
    match text {
        "requester" => Ok(Role::Requester),
        "requested" => Ok(Role::Requested),
        other => Err(format!("'{other}' is not requester or requested")),
    }
}

fn json_err(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |e| StoreError::invalid(what, e.to_string())
}

fn event_message(event: &CaseEvent) -> Option<TicketId> {
    match event {
        CaseEvent::PreservationExtended { by, .. } => Some(by.clone()),
        CaseEvent::Sent(Msg::MlaSubmitted { mla_ticket, .. })
        | CaseEvent::Received(Msg::MlaSubmitted { mla_ticket, .. }) => mla_ticket.clone(),
        CaseEvent::Sent(_)
        | CaseEvent::Received(_)
        | CaseEvent::SystemReceipt
        | CaseEvent::Escalated
        | CaseEvent::EscalationReceived
        | CaseEvent::ReminderDue(_)
        | CaseEvent::Lapsed
        | CaseEvent::Close => None,
    }
}

/// A short name for lists: `sent:acknowledgement`, `system_receipt`, `reminder:…`.
pub fn event_name(event: &CaseEvent) -> String {
    match event {
        CaseEvent::Sent(m) => format!("sent:{}", m.name()),
        CaseEvent::Received(m) => format!("received:{}", m.name()),
        CaseEvent::SystemReceipt => "system_receipt".to_owned(),
        CaseEvent::Escalated => "escalated".to_owned(),
        CaseEvent::EscalationReceived => "escalation_received".to_owned(),
        CaseEvent::ReminderDue(k) => format!("reminder:{}", k.name()),
        CaseEvent::Lapsed => "lapsed".to_owned(),
        CaseEvent::PreservationExtended { .. } => "preservation_extended".to_owned(),
        CaseEvent::Close => "closed".to_owned(),
    }
}

async fn insert_link(
    conn: &mut AnyConnection,
    ticket: &TicketId,
    linked: &TicketId,
    relation: &'static str,
) -> Result<(), StoreError> {
    if ticket == linked {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO ticket_links (ticket_id, linked_ticket, relation) VALUES ($1, $2, $3) \
         ON CONFLICT (ticket_id, linked_ticket) DO NOTHING",
    )
    .bind(ticket.as_str())
    .bind(linked.as_str())
    .bind(relation)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db("linking tickets"))?;
    Ok(())
}

async fn insert_event(
    conn: &mut AnyConnection,
    ticket: &TicketId,
    seq: u64,
    recorded: &Recorded,
    message: Option<&MessageId>,
    actor: &Actor,
) -> Result<(), StoreError> {
    let event = serde_json::to_string(recorded).map_err(json_err("a case event"))?;
    sqlx::query(
        "INSERT INTO case_events (ticket_id, seq, at_us, event, name, state, message_id, actor) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(ticket.as_str())
    .bind(i64::try_from(seq).unwrap_or(i64::MAX))
    .bind(us(recorded.at))
    .bind(event)
    .bind(event_name(&recorded.event))
    .bind(recorded.state.name())
    .bind(message.map(|m| m.to_string()))
    .bind(actor.as_str().to_owned())
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            StoreError::Conflict {
                what: "case",
                key: ticket.to_string(),
                reason: "another process recorded an event on it meanwhile".to_owned(),
            }
        } else {
            StoreError::Database {
                op: "recording a case event",
                source: e,
            }
        }
    })?;
    if let Some(linked) = event_message(&recorded.event) {
        insert_link(conn, ticket, &linked, "related").await?;
    }
    Ok(())
}

async fn sync_ticket_state(
    conn: &mut AnyConnection,
    ticket: &TicketId,
    state: CaseState,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE tickets SET state = $2, updated_at_us = $3, version = version + 1 WHERE id = $1",
    )
    .bind(ticket.as_str())
    .bind(state.name())
    .bind(us(at))
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db("changing a ticket's state"))?;
    Ok(())
}

const T: &str = "case_events";

fn event_row(row: &AnyRow, ticket: &TicketId) -> Result<CaseEventRow, StoreError> {
    let key = ticket as &(dyn fmt::Display + Sync);
    let seq: i64 = get(row, T, "seq", key)?;
    let text: String = get(row, T, "event", key)?;
    let recorded: Recorded = parse_col(&text, |s: &str| serde_json::from_str(s), T, "event", key)?;
    let message: Option<String> = get(row, T, "message_id", key)?;
    let actor: String = get(row, T, "actor", key)?;
    Ok(CaseEventRow {
        seq: u64::try_from(seq).unwrap_or(0),
        recorded,
        message_id: message
            .map(|m| parse_col(&m, MessageId::parse, T, "message_id", key))
            .transpose()?,
        actor: parse_col(&actor, Actor::parse, T, "actor", key)?,
    })
}

async fn read_events(
    conn: &mut AnyConnection,
    ticket: &TicketId,
) -> Result<Vec<CaseEventRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT seq, event, message_id, actor FROM case_events WHERE ticket_id = $1 ORDER BY seq",
    )
    .bind(ticket.as_str())
    .fetch_all(&mut *conn)
    .await
    .map_err(StoreError::db("reading case events"))?;
    rows.iter().map(|r| event_row(r, ticket)).collect()
}

/// Reads and rebuilds the case of `ticket`; `lock` takes the row lock on PostgreSQL.
async fn read_case(
    conn: &mut AnyConnection,
    ticket: &TicketId,
    lock: bool,
) -> Result<Option<Case>, StoreError> {
    let sql = if lock {
        "SELECT opening, events FROM cases WHERE ticket_id = $1 FOR UPDATE"
    } else {
        "SELECT opening, events FROM cases WHERE ticket_id = $1"
    };
    let row = sqlx::query(sql)
        .bind(ticket.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::db("reading a case"))?;
    let Some(row) = row else { return Ok(None) };
    let key = ticket as &(dyn fmt::Display + Sync);
    let text: String = get(&row, "cases", "opening", key)?;
    let opening: Opening = parse_col(
        &text,
        |s: &str| serde_json::from_str(s),
        "cases",
        "opening",
        key,
    )?;
    let count: i64 = get(&row, "cases", "events", key)?;
    let events = read_events(conn, ticket).await?;
    if i64::try_from(events.len()).ok() != Some(count) {
        return Err(StoreError::corrupt(
            "cases",
            "events",
            ticket.to_string(),
            format!("it says {count} events but {} are stored", events.len()),
        ));
    }
    let case = Case::replay(opening, events.iter().map(|e| &e.recorded)).map_err(|e| {
        StoreError::corrupt("case_events", "event", ticket.to_string(), e.to_string())
    })?;
    Ok(Some(case))
}

fn reminder_row(row: &AnyRow) -> Result<FiredReminder, StoreError> {
    const R: &str = "reminders";
    let key_text: String = get(row, R, "reminder_key", &"?")?;
    let key = &key_text as &(dyn fmt::Display + Sync);
    let ticket: String = get(row, R, "ticket_id", key)?;
    let owed: String = get(row, R, "owed_by", key)?;
    Ok(FiredReminder {
        ticket: parse_col(&ticket, TicketId::parse, R, "ticket_id", key)?,
        kind: get(row, R, "kind", key)?,
        owed_by: parse_col(&owed, parse_role, R, "owed_by", key)?,
        target: get_ts(row, R, "target_at_us", key)?,
        fire_at: get_ts(row, R, "fire_at_us", key)?,
        fired_at: get_ts(row, R, "fired_at_us", key)?,
        key: parse_col(
            &key_text,
            |k: &str| {
                serde_json::from_value::<ReminderKey>(serde_json::Value::String(k.to_owned()))
            },
            R,
            "reminder_key",
            key,
        )?,
    })
}

fn escalation_row(row: &AnyRow) -> Result<EscalationRecord, StoreError> {
    const E: &str = "escalations";
    let ticket: String = get(row, E, "ticket_id", &"?")?;
    let key = &ticket as &(dyn fmt::Display + Sync);
    let direction: String = get(row, E, "direction", key)?;
    let message: Option<String> = get(row, E, "message_id", key)?;
    let details: String = get(row, E, "details", key)?;
    Ok(EscalationRecord {
        ticket: parse_col(&ticket, TicketId::parse, E, "ticket_id", key)?,
        direction: parse_col(&direction, EscalationDirection::parse, E, "direction", key)?,
        escalated_at: get_ts(row, E, "escalated_at_us", key)?,
        due_at: get_ts(row, E, "due_at_us", key)?,
        target: get(row, E, "target", key)?,
        message_id: message
            .map(|m| parse_col(&m, MessageId::parse, E, "message_id", key))
            .transpose()?,
        details: parse_col(
            &details,
            |s: &str| serde_json::from_str(s),
            E,
            "details",
            key,
        )?,
    })
}

impl Tx {
    /// Stores a new case: its opening and every event it has recorded so far (usually the
    /// request sent or received), and the chain links it names. The ticket must exist (create
    /// it first in the same unit of work); a second case for one ticket is a conflict.
    pub async fn create_case(
        &mut self,
        case: &Case,
        message: Option<&MessageId>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let r = self.create_case_inner(case, message, actor).await;
        self.track(r)
    }

    async fn create_case_inner(
        &mut self,
        case: &Case,
        message: Option<&MessageId>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let opening = serde_json::to_string(case.opening()).map_err(json_err("a case opening"))?;
        let ticket = case.ticket().clone();
        let opened = case.opening().opened_at;
        let updated = case.history().last().map_or(opened, |r| r.at);
        sqlx::query(
            "INSERT INTO cases (ticket_id, opening, state, events, opened_at_us, updated_at_us) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(ticket.as_str())
        .bind(opening)
        .bind(case.state().name())
        .bind(i64::try_from(case.history().len()).unwrap_or(i64::MAX))
        .bind(us(opened))
        .bind(us(updated))
        .execute(self.conn())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "case",
                    key: ticket.to_string(),
                    reason: "a case for this ticket exists already".to_owned(),
                }
            } else {
                StoreError::Database {
                    op: "creating a case",
                    source: e,
                }
            }
        })?;
        for (i, recorded) in case.history().iter().enumerate() {
            let m = if i == 0 { message } else { None };
            insert_event(self.conn(), &ticket, i as u64 + 1, recorded, m, actor).await?;
        }
        if let Some(previous) = case.previous_ticket() {
            insert_link(self.conn(), &ticket, previous, "previous").await?;
        }
        for related in case.opening().related_tickets.iter() {
            insert_link(self.conn(), &ticket, related, "related").await?;
        }
        sync_ticket_state(self.conn(), &ticket, case.state(), updated).await
    }

    /// The case of `ticket`, rebuilt from its events, for a change in this unit of work (on
    /// PostgreSQL its row is locked until commit). `None` when the ticket has no case.
    pub async fn load_case(&mut self, ticket: &TicketId) -> Result<Option<Case>, StoreError> {
        let lock = self.store.backend() == Backend::Postgres;
        read_case(self.conn(), ticket, lock).await
    }

    /// Applies `event` to `case` and stores it, with the message it stands for and who caused
    /// it. An event the case cannot take is [`StoreError::Transition`]: nothing is written and
    /// `case` is unchanged. If another process recorded an event on the case since it was
    /// read, the answer is [`StoreError::Conflict`].
    pub async fn record_case_event(
        &mut self,
        case: &mut Case,
        event: CaseEvent,
        at: Timestamp,
        message: Option<&MessageId>,
        actor: &Actor,
    ) -> Result<CaseState, StoreError> {
        let mut next = case.clone();
        if let Err(e) = next.record(event, at) {
            return Err(StoreError::Transition {
                ticket: case.ticket().to_string(),
                error: Box::new(e),
            });
        }
        let r = self.persist_last(&next, message, actor).await;
        self.track(r)?;
        *case = next;
        Ok(case.state())
    }

    async fn persist_last(
        &mut self,
        case: &Case,
        message: Option<&MessageId>,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let ticket = case.ticket().clone();
        let n = case.history().len();
        let Some(last) = case.history().last() else {
            return Err(StoreError::invalid(
                "a case event",
                "the case recorded none",
            ));
        };
        let changed = sqlx::query(
            "UPDATE cases SET state = $3, events = $4, updated_at_us = $5 \
             WHERE ticket_id = $1 AND events = $2",
        )
        .bind(ticket.as_str())
        .bind(i64::try_from(n - 1).unwrap_or(i64::MAX))
        .bind(last.state.name())
        .bind(i64::try_from(n).unwrap_or(i64::MAX))
        .bind(us(last.at))
        .execute(self.conn())
        .await
        .map_err(StoreError::db("recording a case event"))?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict {
                what: "case",
                key: ticket.to_string(),
                reason: "it changed meanwhile (another event was recorded first)".to_owned(),
            });
        }
        insert_event(self.conn(), &ticket, n as u64, last, message, actor).await?;
        sync_ticket_state(self.conn(), &ticket, last.state, last.at).await
    }

    /// Every recorded event of the case of `ticket`, in order, as this unit of work sees it.
    pub async fn case_events(
        &mut self,
        ticket: &TicketId,
    ) -> Result<Vec<CaseEventRow>, StoreError> {
        read_events(self.conn(), ticket).await
    }

    /// Records that `reminder` fired at `fired_at`. `false` (and nothing written) when it had
    /// fired already — here or in another process: the caller then records nothing else.
    pub async fn fire_reminder(
        &mut self,
        reminder: &Reminder,
        fired_at: Timestamp,
    ) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "INSERT INTO reminders (reminder_key, ticket_id, kind, owed_by, target_at_us, \
             fire_at_us, fired_at_us) VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (reminder_key) DO NOTHING",
        )
        .bind(reminder.key.as_str())
        .bind(reminder.ticket.as_str())
        .bind(reminder.kind.name())
        .bind(role_str(reminder.owed_by))
        .bind(us(reminder.target))
        .bind(us(reminder.fire_at))
        .bind(us(fired_at))
        .execute(self.conn())
        .await
        .map(|r| r.rows_affected() == 1)
        .map_err(StoreError::db("recording a reminder"));
        self.track(r)
    }

    /// Records an escalation. `false` (nothing written) when the ticket has one in that
    /// direction already.
    pub async fn record_escalation(&mut self, e: &EscalationRecord) -> Result<bool, StoreError> {
        let details = serde_json::to_string(&e.details).map_err(json_err("escalation details"));
        let r = match details {
            Err(err) => Err(err),
            Ok(details) => sqlx::query(
                "INSERT INTO escalations (ticket_id, direction, escalated_at_us, due_at_us, \
                 target, message_id, details) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (ticket_id, direction) DO NOTHING",
            )
            .bind(e.ticket.as_str())
            .bind(e.direction.as_str())
            .bind(us(e.escalated_at))
            .bind(us(e.due_at))
            .bind(crate::codec::bounded_text(&e.target, 200))
            .bind(e.message_id.map(|m| m.to_string()))
            .bind(details)
            .execute(self.conn())
            .await
            .map(|r| r.rows_affected() == 1)
            .map_err(StoreError::db("recording an escalation")),
        };
        self.track(r)
    }
}

impl Store {
    /// The case of `ticket` as `viewer` may see it (scoped like the ticket).
    pub async fn load_case_for(
        &self,
        viewer: Viewer,
        ticket: &TicketId,
    ) -> Result<Case, StoreError> {
        let op = "reading a case";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            crate::tickets::find(&mut conn, viewer, ticket).await?;
            read_case(&mut conn, ticket, false)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    what: "case",
                    key: ticket.to_string(),
                })
        })
        .await
    }

    /// Every recorded event of the case of `ticket`, in order (the timeline's spine).
    pub async fn case_events(&self, ticket: &TicketId) -> Result<Vec<CaseEventRow>, StoreError> {
        let op = "reading case events";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            read_events(&mut conn, ticket).await
        })
        .await
    }

    /// The reminders of `ticket` that fired, oldest first.
    pub async fn fired_reminders(
        &self,
        ticket: &TicketId,
    ) -> Result<Vec<FiredReminder>, StoreError> {
        let op = "reading reminders";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(
                "SELECT reminder_key, ticket_id, kind, owed_by, target_at_us, fire_at_us, \
                 fired_at_us FROM reminders WHERE ticket_id = $1 \
                 ORDER BY fired_at_us, reminder_key",
            )
            .bind(ticket.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter().map(reminder_row).collect()
        })
        .await
    }

    /// The keys of the reminders of `ticket` that fired (for `cp247_case::pending`).
    pub async fn fired_reminder_keys(
        &self,
        ticket: &TicketId,
    ) -> Result<BTreeSet<ReminderKey>, StoreError> {
        Ok(self
            .fired_reminders(ticket)
            .await?
            .into_iter()
            .map(|r| r.key)
            .collect())
    }

    /// The escalations of `ticket`.
    pub async fn escalations_for(
        &self,
        ticket: &TicketId,
    ) -> Result<Vec<EscalationRecord>, StoreError> {
        let op = "reading escalations";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(
                "SELECT ticket_id, direction, escalated_at_us, due_at_us, target, message_id, \
                 details FROM escalations WHERE ticket_id = $1 ORDER BY escalated_at_us",
            )
            .bind(ticket.as_str())
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter().map(escalation_row).collect()
        })
        .await
    }

    /// Requests this node sent whose signed receipt is stored (the outbox entry is
    /// `delivered`) while their case, not closed, records no `system_receipt`: what a crash
    /// between the two would have left, for the scheduler's catch-up. At most `limit`, oldest
    /// delivery first: (ticket, message, delivered at).
    pub async fn delivered_requests_without_receipt(
        &self,
        limit: u32,
    ) -> Result<Vec<(TicketId, MessageId, Timestamp)>, StoreError> {
        let op = "listing receipts not recorded on their case";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(
                "SELECT o.ticket_id, o.message_id, o.delivered_at_us FROM outbox o \
                 JOIN case_events e ON e.ticket_id = o.ticket_id AND e.message_id = o.message_id \
                 JOIN cases c ON c.ticket_id = o.ticket_id \
                 WHERE o.state = 'delivered' AND e.name = 'sent:request' AND c.state <> 'closed' \
                 AND NOT EXISTS (SELECT 1 FROM case_events r \
                     WHERE r.ticket_id = o.ticket_id AND r.name = 'system_receipt') \
                 ORDER BY o.delivered_at_us, o.message_id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            const T: &str = "outbox";
            rows.iter()
                .map(|row| {
                    let ticket: String = get(row, T, "ticket_id", &"a delivered request")?;
                    let id: String = get(row, T, "message_id", &ticket)?;
                    Ok((
                        parse_col(&ticket, TicketId::parse, T, "ticket_id", &ticket)?,
                        parse_col(&id, MessageId::parse, T, "message_id", &ticket)?,
                        get_ts(row, T, "delivered_at_us", &ticket)?,
                    ))
                })
                .collect()
        })
        .await
    }

    /// The tickets of cases that are not closed, oldest first, at most `limit` (the
    /// scheduler's work list).
    pub async fn open_case_tickets(&self, limit: u32) -> Result<Vec<TicketId>, StoreError> {
        let op = "listing open cases";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows: Vec<String> = sqlx::query_scalar(
                "SELECT ticket_id FROM cases WHERE state <> 'closed' \
                 ORDER BY opened_at_us, ticket_id LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter()
                .map(|t| {
                    TicketId::parse(t).map_err(|e| {
                        StoreError::corrupt("cases", "ticket_id", t.clone(), e.to_string())
                    })
                })
                .collect()
        })
        .await
    }

    /// The cases linked to `ticket` (previous, related, in both directions), `ticket`
    /// included, as chain links for `cp247_case::order_chain`; at most [`MAX_CHAIN`] tickets.
    /// Linked tickets this node has no case for are left out (the chain reports them missing).
    pub async fn chain_links(&self, ticket: &TicketId) -> Result<Vec<ChainLink>, StoreError> {
        let op = "reading a ticket chain";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let mut seen: BTreeSet<TicketId> = BTreeSet::new();
            let mut queue = VecDeque::from([ticket.clone()]);
            let mut links = Vec::new();
            while let Some(t) = queue.pop_front() {
                if seen.len() >= MAX_CHAIN || !seen.insert(t.clone()) {
                    continue;
                }
                if let Some(case) = read_case(&mut conn, &t, false).await? {
                    links.push(ChainLink::from(&case));
                }
                let rows: Vec<(String, String)> = sqlx::query_as(
                    "SELECT ticket_id, linked_ticket FROM ticket_links \
                     WHERE ticket_id = $1 OR linked_ticket = $1",
                )
                .bind(t.as_str())
                .fetch_all(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
                for (a, b) in rows {
                    for other in [a, b] {
                        if let Ok(id) = TicketId::parse(&other)
                            && !seen.contains(&id)
                        {
                            queue.push_back(id);
                        }
                    }
                }
            }
            Ok(links)
        })
        .await
    }
}

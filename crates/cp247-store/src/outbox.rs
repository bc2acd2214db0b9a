//! The transactional outbox: delivery state of every outgoing message.
//!
//! An entry is written with its message ([`Tx::insert_outgoing`]). Delivery workers
//! [`Store::claim_due`] entries under a lease, send them, and report
//! [`Store::mark_delivered`] (with the peer's signed receipt), [`Store::mark_retry`] or
//! [`Store::mark_undeliverable`]. A worker that dies leaves its entries `in_flight` until the
//! lease expires; then any worker claims them again. On PostgreSQL several processes claim
//! concurrently without taking the same entry (`FOR UPDATE SKIP LOCKED`); on SQLite the one
//! process's claims are serialised by the write lock.
//!
//! The allowed transitions are those of [`DeliveryState::apply`]; the SQL of each operation
//! takes its allowed source states from that function, so the two cannot disagree.

use std::fmt;
use std::time::Duration;

use cp247_domain::{Address, MessageId, PartyCode, TicketId};
use jiff::Timestamp;
use serde_json::json;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::{Actor, AuditAction, AuditRecord, AuditResult};
use crate::codec::{
    bounded_text, check_line, count_u32, get, get_address, get_opt_ts, get_ts, parse_col,
    point_str, priority, us,
};
use crate::error::{StoreError, check_size};
use crate::messages::OutgoingMessage;
use crate::options::{Backend, Page, Paged};
use crate::store::{Store, Tx};

/// Where an outgoing message is on its way to the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryState {
    /// Waiting for its first attempt.
    Queued,
    /// A worker holds it under a lease and is sending it.
    InFlight,
    /// The peer returned a signed receipt, which is stored.
    Delivered,
    /// An attempt failed; the next one is scheduled.
    Retrying,
    /// Given up: a permanent refusal, or not delivered within the configured time.
    Undeliverable,
}

/// What happens to an outbox entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeliveryEvent {
    /// A worker takes the entry (for an `in_flight` entry: only once its lease has expired).
    Claim,
    /// A signed receipt arrived. Accepted in any state but `queued`: a receipt for an earlier
    /// attempt may arrive after a retry was scheduled or after the entry was given up, and it
    /// proves delivery all the same.
    Receipt,
    /// The attempt failed and another is scheduled.
    Retry,
    /// Stop trying.
    GiveUp,
}

/// A delivery event that is not allowed in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an outbox entry that is {} cannot take the event {event:?}", .state.as_str())]
pub struct TransitionError {
    /// The state.
    pub state: DeliveryState,
    /// The refused event.
    pub event: DeliveryEvent,
}

impl DeliveryState {
    /// Every state.
    pub const ALL: [DeliveryState; 5] = [
        DeliveryState::Queued,
        DeliveryState::InFlight,
        DeliveryState::Delivered,
        DeliveryState::Retrying,
        DeliveryState::Undeliverable,
    ];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::InFlight => "in_flight",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Retrying => "retrying",
            DeliveryState::Undeliverable => "undeliverable",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == text)
            .ok_or_else(|| format!("'{text}' is not a delivery state"))
    }

    /// The state after `event`, or why the event is not allowed.
    pub fn apply(self, event: DeliveryEvent) -> Result<DeliveryState, TransitionError> {
        use DeliveryEvent as E;
        use DeliveryState as S;
        let refused = Err(TransitionError { state: self, event });
        match (self, event) {
            (S::Queued, E::Claim) => Ok(S::InFlight),
            (S::Queued, E::Receipt) => refused,
            (S::Queued, E::Retry) => refused,
            (S::Queued, E::GiveUp) => Ok(S::Undeliverable),
            (S::InFlight, E::Claim) => Ok(S::InFlight),
            (S::InFlight, E::Receipt) => Ok(S::Delivered),
            (S::InFlight, E::Retry) => Ok(S::Retrying),
            (S::InFlight, E::GiveUp) => Ok(S::Undeliverable),
            (S::Delivered, E::Claim) => refused,
            (S::Delivered, E::Receipt) => Ok(S::Delivered),
            (S::Delivered, E::Retry) => refused,
            (S::Delivered, E::GiveUp) => refused,
            (S::Retrying, E::Claim) => Ok(S::InFlight),
            (S::Retrying, E::Receipt) => Ok(S::Delivered),
            (S::Retrying, E::Retry) => refused,
            (S::Retrying, E::GiveUp) => Ok(S::Undeliverable),
            (S::Undeliverable, E::Claim) => refused,
            (S::Undeliverable, E::Receipt) => Ok(S::Delivered),
            (S::Undeliverable, E::Retry) => refused,
            (S::Undeliverable, E::GiveUp) => Ok(S::Undeliverable),
        }
    }

    /// True when no further attempt will be made.
    pub fn is_settled(&self) -> bool {
        match self {
            DeliveryState::Delivered | DeliveryState::Undeliverable => true,
            DeliveryState::Queued | DeliveryState::InFlight | DeliveryState::Retrying => false,
        }
    }

    /// The states in which `event` is allowed, as a SQL list `('a', 'b')`.
    fn sources_sql(event: DeliveryEvent) -> String {
        let names: Vec<String> = Self::ALL
            .into_iter()
            .filter(|s| s.apply(event).is_ok())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        format!("({})", names.join(", "))
    }
}

impl fmt::Display for DeliveryState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The name a delivery worker gives itself (host, process, peer…): one line, at most 128
/// bytes. Stored with each lease, shown by `cp247 doctor`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerId(String);

impl WorkerId {
    /// Checks and wraps a worker name.
    pub fn new(name: impl Into<String>) -> Result<Self, StoreError> {
        let name = name.into();
        check_line("worker id", &name, 128)?;
        Ok(Self(name))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An outbox entry a worker holds under a lease, with the bytes to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Claim {
    /// The message.
    pub message_id: MessageId,
    /// Its ticket.
    pub ticket: TicketId,
    /// Where to deliver it.
    pub peer: Address,
    /// This attempt's number (1 for the first): the fencing token of the lease.
    pub attempt: u32,
    /// Who holds the lease.
    pub worker: WorkerId,
    /// Until when.
    pub lease_until: Timestamp,
    /// When the message was first queued.
    pub first_queued_at: Timestamp,
    /// The exact sealed bytes to send.
    pub sealed: Vec<u8>,
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("message_id", &self.message_id)
            .field("ticket", &self.ticket)
            .field("peer", &self.peer)
            .field("attempt", &self.attempt)
            .field("worker", &self.worker)
            .field("lease_until", &self.lease_until)
            .field("sealed", &format_args!("<{} bytes>", self.sealed.len()))
            .finish()
    }
}

/// The delivery status of one outgoing message, for the API and `cp247 doctor`.
#[derive(Clone, PartialEq, Eq)]
pub struct DeliveryStatus {
    /// The message.
    pub message_id: MessageId,
    /// Its ticket.
    pub ticket: TicketId,
    /// The peer.
    pub peer: Address,
    /// Where it is.
    pub state: DeliveryState,
    /// Attempts made so far.
    pub attempts: u32,
    /// When it was first queued.
    pub first_queued_at: Timestamp,
    /// When the next attempt is due (queued or retrying).
    pub next_attempt_at: Option<Timestamp>,
    /// When the last attempt started.
    pub last_attempt_at: Option<Timestamp>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// The worker holding it (in flight).
    pub leased_by: Option<String>,
    /// Until when (in flight).
    pub lease_until: Option<Timestamp>,
    /// When the receipt was stored.
    pub delivered_at: Option<Timestamp>,
    /// The peer's signed receipt.
    pub receipt: Option<Vec<u8>>,
    /// Why it was given up.
    pub undeliverable_reason: Option<String>,
}

impl fmt::Debug for DeliveryStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeliveryStatus")
            .field("message_id", &self.message_id)
            .field("ticket", &self.ticket)
            .field("peer", &self.peer)
            .field("state", &self.state)
            .field("attempts", &self.attempts)
            .field("first_queued_at", &self.first_queued_at)
            .field("next_attempt_at", &self.next_attempt_at)
            .field("last_error", &self.last_error)
            .field("delivered_at", &self.delivered_at)
            .field("receipt", &self.receipt.as_ref().map(Vec::len))
            .field("undeliverable_reason", &self.undeliverable_reason)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "message_id, ticket_id, peer_party, peer_point, state, attempts, \
    next_attempt_at_us, lease_until_us, leased_by, last_attempt_at_us, last_error, \
    first_queued_at_us, delivered_at_us, receipt, undeliverable_reason";

fn status_from_row(row: &AnyRow) -> Result<DeliveryStatus, StoreError> {
    const T: &str = "outbox";
    let id_text: String = get(row, T, "message_id", &"?")?;
    let key = &id_text as &(dyn fmt::Display + Sync);
    let ticket: String = get(row, T, "ticket_id", key)?;
    let state_text: String = get(row, T, "state", key)?;
    let state = parse_col(&state_text, DeliveryState::parse, T, "state", key)?;
    let attempts: i64 = get(row, T, "attempts", key)?;
    let next = get_ts(row, T, "next_attempt_at_us", key)?;
    Ok(DeliveryStatus {
        message_id: parse_col(&id_text, MessageId::parse, T, "message_id", key)?,
        ticket: parse_col(&ticket, TicketId::parse, T, "ticket_id", key)?,
        peer: get_address(row, T, "peer_party", "peer_point", key)?,
        attempts: count_u32(attempts),
        first_queued_at: get_ts(row, T, "first_queued_at_us", key)?,
        next_attempt_at: match state {
            DeliveryState::Queued | DeliveryState::Retrying => Some(next),
            DeliveryState::InFlight | DeliveryState::Delivered | DeliveryState::Undeliverable => {
                None
            }
        },
        last_attempt_at: get_opt_ts(row, T, "last_attempt_at_us", key)?,
        last_error: get(row, T, "last_error", key)?,
        leased_by: get(row, T, "leased_by", key)?,
        lease_until: get_opt_ts(row, T, "lease_until_us", key)?,
        delivered_at: get_opt_ts(row, T, "delivered_at_us", key)?,
        receipt: get(row, T, "receipt", key)?,
        undeliverable_reason: get(row, T, "undeliverable_reason", key)?,
        state,
    })
}

/// Writes the outbox entry of an outgoing message (its message row is already written).
pub(crate) async fn enqueue(
    conn: &mut AnyConnection,
    m: &OutgoingMessage,
    queued: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO outbox (message_id, sender_party, ticket_id, peer_party, peer_point, \
         priority, state, attempts, next_attempt_at_us, first_queued_at_us) \
         VALUES ($1, $2, $3, $4, $5, $6, 'queued', 0, $7, $7)",
    )
    .bind(m.id.to_string())
    .bind(m.sender.party.as_str())
    .bind(m.ticket.as_str())
    .bind(m.recipient.party.as_str())
    .bind(point_str(m.recipient.point))
    .bind(priority(m.urgency))
    .bind(us(queued))
    .execute(&mut *conn)
    .await
    .map_err(|e| {
        if crate::error::is_unique_violation(&e) {
            StoreError::Conflict {
                what: "outbox entry",
                key: m.id.to_string(),
                reason: "this message is already queued".to_owned(),
            }
        } else {
            StoreError::Database {
                op: "queueing a message",
                source: e,
            }
        }
    })?;
    Ok(())
}

async fn status_in(conn: &mut AnyConnection, id: &MessageId) -> Result<DeliveryStatus, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM outbox WHERE message_id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db("reading a delivery status"))?;
    match row {
        Some(row) => status_from_row(&row),
        None => Err(StoreError::NotFound {
            what: "outbox entry",
            key: id.to_string(),
        }),
    }
}

fn lease_us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl Store {
    /// Claims up to `limit` due entries (for `peer`, or for any peer) for `worker`, until
    /// `now + lease`. Due: queued or retrying with the next attempt at or before `now`, or in
    /// flight with an expired lease (its worker died). Urgent entries come first. Each claim
    /// counts as an attempt.
    pub async fn claim_due(
        &self,
        peer: Option<PartyCode>,
        worker: &WorkerId,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Claim>, StoreError> {
        let op = "claiming due outbox entries";
        let limit = i64::from(limit.clamp(1, self.options().max_page));
        let now_us = us(now);
        let until_us = now_us.saturating_add(lease_us(lease));
        let claimable = DeliveryState::sources_sql(DeliveryEvent::Claim);
        let due = format!(
            "state IN {claimable} AND ((state <> 'in_flight' AND next_attempt_at_us <= $3) \
             OR (state = 'in_flight' AND lease_until_us <= $3)) \
             AND ($4 = '' OR peer_party = $4)"
        );
        let set = "state = 'in_flight', attempts = attempts + 1, leased_by = $1, \
                   lease_until_us = $2, last_attempt_at_us = $3";
        let returning = "message_id, sender_party, ticket_id, peer_party, peer_point, attempts, \
                         lease_until_us, first_queued_at_us, priority";
        // The only backend difference: PostgreSQL locks the chosen rows and skips rows another
        // process has locked; SQLite has one writer at a time (BEGIN IMMEDIATE).
        let sql = match self.backend() {
            Backend::Postgres => format!(
                "WITH due AS (SELECT message_id FROM outbox WHERE {due} \
                 ORDER BY priority DESC, next_attempt_at_us, message_id LIMIT $5 \
                 FOR UPDATE SKIP LOCKED) \
                 UPDATE outbox SET {set} FROM due WHERE outbox.message_id = due.message_id \
                 RETURNING outbox.message_id, outbox.sender_party, outbox.ticket_id, \
                 outbox.peer_party, outbox.peer_point, outbox.attempts, outbox.lease_until_us, \
                 outbox.first_queued_at_us, outbox.priority"
            ),
            Backend::Sqlite => format!(
                "UPDATE outbox SET {set} WHERE message_id IN (SELECT message_id FROM outbox \
                 WHERE {due} ORDER BY priority DESC, next_attempt_at_us, message_id LIMIT $5) \
                 RETURNING {returning}"
            ),
        };
        let peer_text = peer.map(|p| p.as_str()).unwrap_or("");
        // A read first: most polls find nothing due, and a read takes no write lock (SQLite
        // has one writer; with K peers per node and K nodes on a machine, write-locking polls
        // were the whole load). A row that becomes due just after this read is claimed on the
        // next wake or poll.
        let peek = format!(
            "SELECT 1 AS due FROM outbox WHERE state IN {claimable} AND \
             ((state <> 'in_flight' AND next_attempt_at_us <= $1) \
             OR (state = 'in_flight' AND lease_until_us <= $1)) \
             AND ($2 = '' OR peer_party = $2) LIMIT 1"
        );
        self.timed(op, async {
            {
                let mut conn = self.conn(op).await?;
                let any = sqlx::query(sqlx::AssertSqlSafe(peek))
                    .bind(now_us)
                    .bind(peer_text)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(StoreError::db(op))?;
                if any.is_none() {
                    return Ok(Vec::new());
                }
            }
            let mut tx = self.begin().await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(worker.as_str())
                .bind(until_us)
                .bind(now_us)
                .bind(peer_text)
                .bind(limit)
                .fetch_all(tx.conn())
                .await
                .map_err(StoreError::db(op))?;
            let mut claims = Vec::with_capacity(rows.len());
            for row in &rows {
                const T: &str = "outbox";
                let id_text: String = get(row, T, "message_id", &"?")?;
                let key = &id_text as &(dyn fmt::Display + Sync);
                let sender: String = get(row, T, "sender_party", key)?;
                let ticket: String = get(row, T, "ticket_id", key)?;
                let attempts: i64 = get(row, T, "attempts", key)?;
                let prio: i64 = get(row, T, "priority", key)?;
                let sealed: Vec<u8> = sqlx::query_scalar(
                    "SELECT sealed FROM messages WHERE sender_party = $1 AND message_id = $2",
                )
                .bind(&sender)
                .bind(&id_text)
                .fetch_one(tx.conn())
                .await
                .map_err(StoreError::db(
                    "reading the sealed bytes of a claimed entry",
                ))?;
                claims.push((
                    prio,
                    Claim {
                        message_id: parse_col(&id_text, MessageId::parse, T, "message_id", key)?,
                        ticket: parse_col(&ticket, TicketId::parse, T, "ticket_id", key)?,
                        peer: get_address(row, T, "peer_party", "peer_point", key)?,
                        attempt: count_u32(attempts),
                        worker: worker.clone(),
                        lease_until: get_ts(row, T, "lease_until_us", key)?,
                        first_queued_at: get_ts(row, T, "first_queued_at_us", key)?,
                        sealed,
                    },
                ));
            }
            tx.commit().await?;
            claims.sort_by(|a, b| {
                b.0.cmp(&a.0)
                    .then(a.1.first_queued_at.cmp(&b.1.first_queued_at))
                    .then(a.1.message_id.cmp(&b.1.message_id))
            });
            if !claims.is_empty() {
                tracing::debug!(
                    worker = worker.as_str(),
                    count = claims.len(),
                    "outbox claimed"
                );
            }
            Ok(claims.into_iter().map(|(_, c)| c).collect())
        })
        .await
    }

    /// Stores the peer's signed `receipt` (already verified by the caller) and marks the
    /// message delivered at `at`, with an audit entry, in one transaction. A second receipt for
    /// a delivered message changes nothing (the first is kept). [`Tx::mark_delivered`] does the
    /// same inside a larger unit of work (the delivery worker records the case's system
    /// receipt with it).
    pub async fn mark_delivered(
        &self,
        id: &MessageId,
        receipt: &[u8],
        at: Timestamp,
    ) -> Result<DeliveryStatus, StoreError> {
        self.timed("marking a message delivered", async {
            let mut tx = self.begin().await?;
            let status = tx.mark_delivered(id, receipt, at).await?;
            tx.commit().await?;
            Ok(status)
        })
        .await
    }

    /// Reports that `claim`'s attempt failed with `error` (in words; cut to the configured
    /// length), and schedules the next attempt at `next_at`. [`StoreError::LeaseLost`] when
    /// the worker no longer holds the entry.
    pub async fn mark_retry(
        &self,
        claim: &Claim,
        next_at: Timestamp,
        error: &str,
    ) -> Result<DeliveryStatus, StoreError> {
        let op = "scheduling a retry";
        let error = bounded_text(error, self.options().max_error_text);
        self.timed(op, async {
            let mut tx = self.begin().await?;
            let changed = sqlx::query(
                "UPDATE outbox SET state = 'retrying', next_attempt_at_us = $4, last_error = $5, \
                 leased_by = NULL, lease_until_us = NULL \
                 WHERE message_id = $1 AND state = 'in_flight' AND leased_by = $2 \
                 AND attempts = $3",
            )
            .bind(claim.message_id.to_string())
            .bind(claim.worker.as_str())
            .bind(i64::from(claim.attempt))
            .bind(us(next_at))
            .bind(&error)
            .execute(tx.conn())
            .await
            .map_err(StoreError::db(op))?
            .rows_affected();
            if changed != 1 {
                return Err(StoreError::LeaseLost {
                    message_id: claim.message_id.to_string(),
                    attempt: claim.attempt,
                    worker: claim.worker.as_str().to_owned(),
                });
            }
            let after = status_in(tx.conn(), &claim.message_id).await?;
            tx.commit().await?;
            Ok(after)
        })
        .await
    }

    /// Gives up on message `id` (a permanent refusal by the peer, or an operator's decision),
    /// with `reason` in words, and an audit entry. Refused for a delivered message.
    pub async fn mark_undeliverable(
        &self,
        id: &MessageId,
        reason: &str,
        at: Timestamp,
    ) -> Result<DeliveryStatus, StoreError> {
        let op = "marking a message undeliverable";
        let reason = bounded_text(reason, self.options().max_error_text);
        self.timed(op, async {
            let mut tx = self.begin().await?;
            let before = status_in(tx.conn(), id).await?;
            before
                .state
                .apply(DeliveryEvent::GiveUp)
                .map_err(|e| StoreError::Conflict {
                    what: "outbox entry",
                    key: id.to_string(),
                    reason: e.to_string(),
                })?;
            give_up(&mut tx, &before, &reason, at).await?;
            let after = status_in(tx.conn(), id).await?;
            tx.commit().await?;
            Ok(after)
        })
        .await
    }

    /// Marks undeliverable every entry first queued before `queued_before` that is still
    /// waiting (queued, retrying, or in flight with an expired lease at `now`), at most
    /// `max_page` per call; returns their ids. Call it periodically with
    /// `now - configured delivery time`.
    pub async fn expire_undeliverable(
        &self,
        queued_before: Timestamp,
        now: Timestamp,
    ) -> Result<Vec<MessageId>, StoreError> {
        let op = "expiring old outbox entries";
        let limit = i64::from(self.options().max_page);
        self.timed(op, async {
            let mut tx = self.begin().await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM outbox WHERE first_queued_at_us < $1 \
                 AND (state IN ('queued', 'retrying') \
                      OR (state = 'in_flight' AND lease_until_us <= $2)) \
                 ORDER BY first_queued_at_us, message_id LIMIT $3"
            )))
            .bind(us(queued_before))
            .bind(us(now))
            .bind(limit)
            .fetch_all(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            // First every outbox row, then the audit entries: the chain head's lock is taken
            // last, as in every other unit of work, so two of them cannot deadlock.
            let mut expired = Vec::with_capacity(rows.len());
            for row in &rows {
                let status = status_from_row(row)?;
                let reason = format!(
                    "not delivered within the configured time: first queued at {}, {} attempts",
                    status.first_queued_at, status.attempts
                );
                // Still waiting? (A worker may have claimed or settled it since the SELECT.)
                let changed = sqlx::query(
                    "UPDATE outbox SET state = 'undeliverable', undeliverable_reason = $2, \
                     leased_by = NULL, lease_until_us = NULL WHERE message_id = $1 \
                     AND (state IN ('queued', 'retrying') \
                          OR (state = 'in_flight' AND lease_until_us <= $3))",
                )
                .bind(status.message_id.to_string())
                .bind(&reason)
                .bind(us(now))
                .execute(tx.conn())
                .await
                .map_err(StoreError::db(op))?
                .rows_affected();
                if changed == 1 {
                    expired.push((status, reason));
                }
            }
            for (status, reason) in &expired {
                audit_give_up(&mut tx, status, reason, now).await?;
            }
            let expired = expired.into_iter().map(|(s, _)| s.message_id).collect();
            tx.commit().await?;
            Ok(expired)
        })
        .await
    }

    /// The delivery status of message `id`.
    pub async fn delivery_status(&self, id: &MessageId) -> Result<DeliveryStatus, StoreError> {
        let op = "reading a delivery status";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            status_in(&mut conn, id).await
        })
        .await
    }

    /// The delivery status of every outgoing message of `ticket`, oldest first.
    pub async fn deliveries_for_ticket(
        &self,
        ticket: &TicketId,
        page: Page,
    ) -> Result<Paged<DeliveryStatus>, StoreError> {
        let op = "listing a ticket's deliveries";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM outbox WHERE ticket_id = $1 \
                 ORDER BY first_queued_at_us, message_id LIMIT $2 OFFSET $3"
            )))
            .bind(ticket.as_str())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows
                .iter()
                .map(status_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }

    /// The entries in `state` (all peers), oldest first: for dashboards and `cp247 doctor`.
    pub async fn deliveries_in_state(
        &self,
        state: DeliveryState,
        page: Page,
    ) -> Result<Paged<DeliveryStatus>, StoreError> {
        let op = "listing deliveries by state";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM outbox WHERE state = $1 \
                 ORDER BY first_queued_at_us, message_id LIMIT $2 OFFSET $3"
            )))
            .bind(state.as_str())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows
                .iter()
                .map(status_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }

    /// How many entries are in `state` (all peers): the queue depth for metrics.
    pub async fn count_deliveries(&self, state: DeliveryState) -> Result<u64, StoreError> {
        let op = "counting outbox entries";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let row = sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE state = $1")
                .bind(state.as_str())
                .fetch_one(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
            let n: i64 = get(&row, "outbox", "n", &state.as_str())?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

async fn give_up(
    tx: &mut crate::Tx,
    status: &DeliveryStatus,
    reason: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    let sources = DeliveryState::sources_sql(DeliveryEvent::GiveUp);
    let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE outbox SET state = 'undeliverable', undeliverable_reason = $2, \
         leased_by = NULL, lease_until_us = NULL WHERE message_id = $1 AND state IN {sources}"
    )))
    .bind(status.message_id.to_string())
    .bind(reason)
    .execute(tx.conn())
    .await
    .map_err(StoreError::db("marking a message undeliverable"))?
    .rows_affected();
    if changed != 1 {
        return Err(StoreError::Conflict {
            what: "outbox entry",
            key: status.message_id.to_string(),
            reason: "its state changed meanwhile".to_owned(),
        });
    }
    audit_give_up(tx, status, reason, at).await
}

async fn audit_give_up(
    tx: &mut crate::Tx,
    status: &DeliveryStatus,
    reason: &str,
    at: Timestamp,
) -> Result<(), StoreError> {
    tx.append_audit(&AuditRecord {
        actor: Actor::node(),
        action: AuditAction::DeliveryFailed,
        ticket: Some(status.ticket.clone()),
        result: AuditResult::Failed,
        details: json!({
            "message_id": status.message_id.to_string(),
            "peer": status.peer.to_string(),
            "attempts": status.attempts,
            "reason": reason,
        }),
        at,
    })
    .await?;
    Ok(())
}

impl Tx {
    /// [`Store::mark_delivered`] in this unit of work: the receipt, the delivered state and
    /// the `deliver` audit entry are written when the unit of work commits, together with
    /// whatever else it records.
    pub async fn mark_delivered(
        &mut self,
        id: &MessageId,
        receipt: &[u8],
        at: Timestamp,
    ) -> Result<DeliveryStatus, StoreError> {
        let r = self.mark_delivered_inner(id, receipt, at).await;
        self.track(r)
    }

    async fn mark_delivered_inner(
        &mut self,
        id: &MessageId,
        receipt: &[u8],
        at: Timestamp,
    ) -> Result<DeliveryStatus, StoreError> {
        let op = "marking a message delivered";
        check_size(
            "the receipt",
            receipt.len(),
            self.store().options().max_receipt_bytes,
        )?;
        if receipt.is_empty() {
            return Err(StoreError::invalid("the receipt", "it is empty"));
        }
        let before = status_in(self.conn(), id).await?;
        if before.state == DeliveryState::Delivered {
            return Ok(before);
        }
        let next =
            before
                .state
                .apply(DeliveryEvent::Receipt)
                .map_err(|e| StoreError::Conflict {
                    what: "outbox entry",
                    key: id.to_string(),
                    reason: e.to_string(),
                })?;
        let sources = DeliveryState::sources_sql(DeliveryEvent::Receipt);
        let changed = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE outbox SET state = $2, receipt = $3, delivered_at_us = $4, \
             leased_by = NULL, lease_until_us = NULL \
             WHERE message_id = $1 AND state IN {sources} AND state <> 'delivered'"
        )))
        .bind(id.to_string())
        .bind(next.as_str())
        .bind(receipt)
        .bind(us(at))
        .execute(self.conn())
        .await
        .map_err(StoreError::db(op))?
        .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict {
                what: "outbox entry",
                key: id.to_string(),
                reason: "its state changed meanwhile".to_owned(),
            });
        }
        self.append_audit(&AuditRecord {
            actor: Actor::node(),
            action: AuditAction::Deliver,
            ticket: Some(before.ticket.clone()),
            result: AuditResult::Ok,
            details: json!({
                "message_id": id.to_string(),
                "peer": before.peer.to_string(),
                "attempts": before.attempts,
                "receipt_sha256": crate::codec::sha256_hex(receipt),
            }),
            at,
        })
        .await?;
        status_in(self.conn(), id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = DeliveryEvent> {
        prop_oneof![
            Just(DeliveryEvent::Claim),
            Just(DeliveryEvent::Receipt),
            Just(DeliveryEvent::Retry),
            Just(DeliveryEvent::GiveUp),
        ]
    }

    #[test]
    fn sources_follow_the_transition_function() {
        assert_eq!(
            DeliveryState::sources_sql(DeliveryEvent::Claim),
            "('queued', 'in_flight', 'retrying')"
        );
        assert_eq!(
            DeliveryState::sources_sql(DeliveryEvent::Retry),
            "('in_flight')"
        );
        assert_eq!(
            DeliveryState::sources_sql(DeliveryEvent::Receipt),
            "('in_flight', 'delivered', 'retrying', 'undeliverable')"
        );
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Ok(s));
        }
    }

    proptest! {
        /// From `queued`, any sequence of allowed events keeps the machine consistent:
        /// delivered is final, a retry needs a claim first, and a receipt is never lost.
        #[test]
        fn delivery_state_machine_invariants(events in prop::collection::vec(event(), 0..40)) {
            let mut state = DeliveryState::Queued;
            let mut claimed_since_retry = false;
            let mut delivered = false;
            for e in events {
                match state.apply(e) {
                    Ok(next) => {
                        if e == DeliveryEvent::Retry {
                            prop_assert!(claimed_since_retry);
                            claimed_since_retry = false;
                        }
                        if e == DeliveryEvent::Claim {
                            claimed_since_retry = true;
                        }
                        if e == DeliveryEvent::Receipt {
                            delivered = true;
                        }
                        if delivered {
                            prop_assert_eq!(next, DeliveryState::Delivered);
                        }
                        state = next;
                    }
                    Err(err) => {
                        prop_assert_eq!(err.state, state);
                        prop_assert_eq!(state.apply(e), Err(err));
                    }
                }
            }
            prop_assert_eq!(state == DeliveryState::Delivered, delivered);
        }
    }
}

//! The duty-officer alert outbox (migration 0005): every alert the node raises is stored once
//! by its stable key, shown on the web interface's alerts page until someone marks it seen,
//! and — when e-mail or a webhook is configured — sent by a worker that claims it under a
//! lease, retries it with backoff and marks it sent, so that a restart neither loses nor
//! repeats it. The body is the alert's webhook JSON, which carries no case content.

use std::time::Duration;

use cp247_domain::{Address, TicketId};
use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::{Actor, AuditAction, AuditRecord, AuditResult};
use crate::codec::{bounded_text, check_line, count_u32, get, get_opt_ts, get_ts, parse_col, us};
use crate::error::{StoreError, check_size};
use crate::options::{Page, Paged};
use crate::store::{Store, Tx, paged};

/// The longest alert body stored (its JSON; alerts are small and typed).
pub const MAX_ALERT_BODY: usize = 16 * 1024;
/// The longest error text kept with an alert.
const MAX_ERROR: usize = 500;

/// What becomes of an alert outside the node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertDelivery {
    /// No channel was configured when it was raised: shown in the web interface only.
    Off,
    /// To be sent (or being sent, under a lease).
    Pending,
    /// Every configured channel took it.
    Sent,
    /// Given up after the last attempt.
    Failed,
}

impl AlertDelivery {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertDelivery::Off => "off",
            AlertDelivery::Pending => "pending",
            AlertDelivery::Sent => "sent",
            AlertDelivery::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "off" => Ok(AlertDelivery::Off),
            "pending" => Ok(AlertDelivery::Pending),
            "sent" => Ok(AlertDelivery::Sent),
            "failed" => Ok(AlertDelivery::Failed),
            other => Err(format!("'{other}' is not an alert delivery state")),
        }
    }
}

/// An alert to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// Its stable key (`new_request:ID`, `deadline:REMINDER-KEY`, `escalation:ID`).
    pub key: String,
    /// The node (contact point) that raised it.
    pub node: Address,
    /// The ticket it is about.
    pub ticket: TicketId,
    /// `new_request`, `deadline`, `escalation`.
    pub event: String,
    /// The alert as webhook JSON (no case content).
    pub body: String,
    /// When it was raised.
    pub created_at: Timestamp,
    /// Whether a channel (e-mail, webhook) will send it.
    pub send: bool,
}

/// A stored alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAlert {
    /// Its key.
    pub key: String,
    /// The ticket.
    pub ticket: TicketId,
    /// The event name.
    pub event: String,
    /// The alert as JSON.
    pub body: String,
    /// When it was raised.
    pub created_at: Timestamp,
    /// When someone marked it seen, and who.
    pub seen: Option<(Timestamp, String)>,
    /// Its delivery.
    pub delivery: AlertDelivery,
    /// Send attempts so far.
    pub attempts: u32,
    /// When it was sent.
    pub sent_at: Option<Timestamp>,
    /// The last failure, if any.
    pub last_error: Option<String>,
}

/// An alert claimed for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertClaim {
    /// Its key.
    pub key: String,
    /// The alert as JSON.
    pub body: String,
    /// This attempt's number (from 1): the fencing token of the lease.
    pub attempt: u32,
    /// The channels that took it in earlier attempts.
    pub channels_done: Vec<String>,
}

/// The outcome of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertAttempt {
    /// Every channel took it.
    Sent,
    /// Some channel failed: try again at `next_at`.
    Retry {
        /// When.
        next_at: Timestamp,
        /// Why (in words, no secrets).
        error: String,
    },
    /// Some channel failed and this was the last attempt.
    GiveUp {
        /// Why.
        error: String,
    },
}

const COLUMNS: &str = "alert_key, ticket_id, event, body, created_at_us, seen_at_us, seen_by, \
                       delivery, attempts, sent_at_us, last_error";

fn read_alert(row: &AnyRow) -> Result<StoredAlert, StoreError> {
    const T: &str = "alerts";
    let key: String = get(row, T, "alert_key", &"an alert")?;
    let ticket: String = get(row, T, "ticket_id", &key)?;
    let delivery: String = get(row, T, "delivery", &key)?;
    let seen_at = get_opt_ts(row, T, "seen_at_us", &key)?;
    let seen_by: Option<String> = get(row, T, "seen_by", &key)?;
    Ok(StoredAlert {
        ticket: parse_col(&ticket, TicketId::parse, T, "ticket_id", &key)?,
        event: get(row, T, "event", &key)?,
        body: get(row, T, "body", &key)?,
        created_at: get_ts(row, T, "created_at_us", &key)?,
        seen: seen_at.map(|at| (at, seen_by.unwrap_or_default())),
        delivery: parse_col(&delivery, AlertDelivery::parse, T, "delivery", &key)?,
        attempts: count_u32(get(row, T, "attempts", &key)?),
        sent_at: get_opt_ts(row, T, "sent_at_us", &key)?,
        last_error: get(row, T, "last_error", &key)?,
        key,
    })
}

/// Inserts `alert` unless its key exists; `true` when it was new.
async fn insert_alert_on(conn: &mut AnyConnection, alert: &NewAlert) -> Result<bool, StoreError> {
    let op = "storing an alert";
    check_line("the alert key", &alert.key, 300)?;
    check_line("the alert event", &alert.event, 40)?;
    check_size("the alert", alert.body.len(), MAX_ALERT_BODY)?;
    let (delivery, next) = if alert.send {
        (AlertDelivery::Pending, Some(us(alert.created_at)))
    } else {
        (AlertDelivery::Off, None)
    };
    let inserted = sqlx::query(
        "INSERT INTO alerts (alert_key, node, ticket_id, event, body, created_at_us, \
         delivery, attempts, next_attempt_at_us, channels_done) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, '[]') \
         ON CONFLICT (alert_key) DO NOTHING",
    )
    .bind(&alert.key)
    .bind(alert.node.to_string())
    .bind(alert.ticket.as_str())
    .bind(&alert.event)
    .bind(&alert.body)
    .bind(us(alert.created_at))
    .bind(delivery.as_str())
    .bind(next)
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db(op))?
    .rows_affected();
    Ok(inserted == 1)
}

impl Tx {
    /// Stores `alert` in this unit of work, with the action that raised it, unless an alert
    /// with its key exists: `true` when it was new.
    pub async fn insert_alert(&mut self, alert: &NewAlert) -> Result<bool, StoreError> {
        let r = insert_alert_on(self.conn(), alert).await;
        self.track(r)
    }
}

impl Store {
    /// Stores `alert` unless an alert with its key exists (the same event raised again):
    /// `true` when it was new.
    pub async fn insert_alert(&self, alert: &NewAlert) -> Result<bool, StoreError> {
        let op = "storing an alert";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            insert_alert_on(&mut conn, alert).await
        })
        .await
    }

    /// The alerts of `node`, newest first.
    pub async fn alerts_for(
        &self,
        node: Address,
        page: Page,
    ) -> Result<Paged<StoredAlert>, StoreError> {
        let op = "listing alerts";
        let limit = i64::from(page.limit.clamp(1, self.options().max_page));
        let offset = i64::try_from(page.offset).unwrap_or(i64::MAX);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM alerts WHERE node = $1 \
                 ORDER BY created_at_us DESC, alert_key DESC LIMIT $2 OFFSET $3"
            )))
            .bind(node.to_string())
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows.iter().map(read_alert).collect::<Result<Vec<_>, _>>()?;
            Ok(paged(items, page, limit))
        })
        .await
    }

    /// How many alerts of `node` nobody has marked seen.
    pub async fn unseen_alert_count(&self, node: Address) -> Result<u64, StoreError> {
        let op = "counting unseen alerts";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM alerts WHERE node = $1 AND seen_at_us IS NULL",
            )
            .bind(node.to_string())
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// Marks the alert `key` of `node` seen by `actor` at `at`, with an audit entry, in one
    /// unit of work. `false` when it was seen already (nothing changes);
    /// [`StoreError::NotFound`] when `node` has no such alert.
    pub async fn mark_alert_seen(
        &self,
        node: Address,
        key: &str,
        actor: &Actor,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let op = "marking an alert seen";
        self.timed(op, async {
            let mut tx = self.begin().await?;
            let ticket: Option<(String, Option<i64>)> = sqlx::query_as(
                "SELECT ticket_id, seen_at_us FROM alerts WHERE node = $1 AND alert_key = $2",
            )
            .bind(node.to_string())
            .bind(key)
            .fetch_optional(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            let Some((ticket, seen)) = ticket else {
                return Err(StoreError::NotFound {
                    what: "alert",
                    key: bounded_text(key, 120),
                });
            };
            if seen.is_some() {
                tx.rollback().await?;
                return Ok(false);
            }
            sqlx::query(
                "UPDATE alerts SET seen_at_us = $3, seen_by = $4 \
                 WHERE node = $1 AND alert_key = $2 AND seen_at_us IS NULL",
            )
            .bind(node.to_string())
            .bind(key)
            .bind(us(at))
            .bind(actor.as_str())
            .execute(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            tx.append_audit(&AuditRecord {
                actor: actor.clone(),
                action: AuditAction::View,
                ticket: Some(parse_col(
                    &ticket,
                    TicketId::parse,
                    "alerts",
                    "ticket_id",
                    &ticket,
                )?),
                result: AuditResult::Ok,
                details: serde_json::json!({ "alert": key, "marked": "seen" }),
                at,
            })
            .await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Claims up to `limit` alerts of `node` due for sending at `now` (pending, next attempt
    /// reached, no lease or an expired one), each until `now + lease`; each claim counts as an
    /// attempt. Oldest first.
    pub async fn claim_alerts(
        &self,
        node: Address,
        now: Timestamp,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<AlertClaim>, StoreError> {
        let op = "claiming alerts to send";
        let now_us = us(now);
        let until_us = now_us.saturating_add(i64::try_from(lease.as_micros()).unwrap_or(i64::MAX));
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let due: Vec<(String, i64)> = sqlx::query_as(
                "SELECT alert_key, attempts FROM alerts WHERE node = $1 AND delivery = 'pending' \
                 AND next_attempt_at_us <= $2 AND (lease_until_us IS NULL OR lease_until_us < $2) \
                 ORDER BY next_attempt_at_us, alert_key LIMIT $3",
            )
            .bind(node.to_string())
            .bind(now_us)
            .bind(i64::from(limit.clamp(1, 100)))
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let mut claims = Vec::new();
            for (key, attempts) in due {
                // Guarded by the attempt count: of two processes, one wins.
                let claimed: Option<(String, String)> = sqlx::query_as(
                    "UPDATE alerts SET attempts = attempts + 1, lease_until_us = $3 \
                     WHERE alert_key = $1 AND attempts = $2 AND delivery = 'pending' \
                     AND (lease_until_us IS NULL OR lease_until_us < $4) \
                     RETURNING body, channels_done",
                )
                .bind(&key)
                .bind(attempts)
                .bind(until_us)
                .bind(now_us)
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
                if let Some((body, done)) = claimed {
                    let channels_done: Vec<String> = serde_json::from_str(&done).map_err(|e| {
                        StoreError::corrupt("alerts", "channels_done", key.clone(), e.to_string())
                    })?;
                    claims.push(AlertClaim {
                        key,
                        body,
                        attempt: count_u32(attempts.saturating_add(1)),
                        channels_done,
                    });
                }
            }
            Ok(claims)
        })
        .await
    }

    /// Records how attempt `claim.attempt` of an alert ended, with the channels that have
    /// taken it so far. `false` when the lease was lost (another process claimed it since):
    /// nothing is written.
    pub async fn finish_alert_attempt(
        &self,
        claim: &AlertClaim,
        channels_done: &[String],
        outcome: &AlertAttempt,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let op = "recording an alert attempt";
        let done = serde_json::to_string(channels_done)
            .map_err(|e| StoreError::invalid("the channels an alert went to", e.to_string()))?;
        let (delivery, next, sent, error) = match outcome {
            AlertAttempt::Sent => (AlertDelivery::Sent, None, Some(us(at)), None),
            AlertAttempt::Retry { next_at, error } => (
                AlertDelivery::Pending,
                Some(us(*next_at)),
                None,
                Some(bounded_text(error, MAX_ERROR)),
            ),
            AlertAttempt::GiveUp { error } => (
                AlertDelivery::Failed,
                None,
                None,
                Some(bounded_text(error, MAX_ERROR)),
            ),
        };
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let changed = sqlx::query(
                "UPDATE alerts SET delivery = $3, next_attempt_at_us = $4, sent_at_us = $5, \
                 last_error = $6, channels_done = $7, lease_until_us = NULL \
                 WHERE alert_key = $1 AND attempts = $2 AND delivery = 'pending'",
            )
            .bind(&claim.key)
            .bind(i64::from(claim.attempt))
            .bind(delivery.as_str())
            .bind(next)
            .bind(sent)
            .bind(error)
            .bind(done)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?
            .rows_affected();
            Ok(changed == 1)
        })
        .await
    }
}

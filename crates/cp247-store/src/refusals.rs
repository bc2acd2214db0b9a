//! Refused unauthenticated posts, counted per (interval, source, code) (migration 0009,
//! ADR 0026).
//!
//! A stranger may post anything to the federation endpoint. Auditing each refusal as its own
//! entry would let them grow the evidence log without bound, so a refusal adds one to the
//! tally of its interval, source and code ([`Store::tally_refusal`]); once the interval is over
//! the tally becomes **one** audit entry with its count, and is removed
//! ([`Store::flush_refusals`]). At most [`RefusalPolicy::max_tallies`] (source, code) tallies
//! exist per interval: refusals beyond them are counted in the interval's one overflow tally
//! (source and code [`OVERFLOW`]). So an interval adds at most `max_tallies + 1` entries,
//! whatever is posted. (On PostgreSQL, simultaneous first refusals of new sources may pass the
//! cap by the number of concurrent writers: the cap is checked, not locked.)
//!
//! Intervals are aligned on the Unix epoch (`start = at - at mod length`); times come from the
//! caller's clock.

use jiff::{SignedDuration, Timestamp};
use sqlx::any::AnyRow;

use crate::audit::{Actor, AuditAction, AuditEntry, AuditRecord, AuditResult};
use crate::codec::{get, get_ts, us};
use crate::error::StoreError;
use crate::store::Store;

/// The source and code of an interval's overflow tally.
pub const OVERFLOW: &str = "*";

/// The longest source or code kept (longer ones are cut).
const MAX_KEY: usize = 100;

/// How refusals are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusalPolicy {
    /// The length of an interval (at least one second).
    pub interval: SignedDuration,
    /// The most (source, code) tallies per interval; further refusals go to the overflow.
    pub max_tallies: u32,
}

impl Default for RefusalPolicy {
    fn default() -> Self {
        Self {
            interval: SignedDuration::from_mins(10),
            max_tallies: 100,
        }
    }
}

impl RefusalPolicy {
    fn interval_us(&self) -> i64 {
        i64::try_from(self.interval.as_micros())
            .unwrap_or(i64::MAX)
            .max(1_000_000)
    }

    /// The start of the interval holding `at`, in unix microseconds.
    fn start_of(&self, at: Timestamp) -> i64 {
        let t = us(at);
        t - t.rem_euclid(self.interval_us())
    }
}

/// One refusal to count.
#[derive(Debug, Clone, PartialEq)]
pub struct Refused<'a> {
    /// Where the post came from (an IPv4 address or an IPv6 /64 prefix, as text).
    pub source: &'a str,
    /// The refusal code.
    pub code: &'a str,
    /// When.
    pub at: Timestamp,
    /// Facts of this refusal (kept when it is the first of its tally): claimed sender, hash
    /// and size of the bytes, the reason. Never case plaintext.
    pub details: serde_json::Value,
}

/// Where a refusal was counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tallied {
    /// It opened the tally of its source and code for this interval.
    New,
    /// It was added to its source and code's tally.
    Counted,
    /// The interval already holds the most tallies: it was added to the overflow.
    Overflow,
}

/// A tally not yet written to the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalTally {
    /// The interval's start.
    pub interval_start: Timestamp,
    /// The interval's end (exclusive).
    pub interval_end: Timestamp,
    /// The source ([`OVERFLOW`] for the overflow tally).
    pub source: String,
    /// The code ([`OVERFLOW`] for the overflow tally).
    pub code: String,
    /// Refusals counted.
    pub count: u64,
    /// The first refusal.
    pub first_at: Timestamp,
    /// The last refusal.
    pub last_at: Timestamp,
    /// The first refusal's facts, as JSON text.
    pub first_details: String,
}

impl RefusalTally {
    /// True for an interval's overflow tally.
    pub fn is_overflow(&self) -> bool {
        self.source == OVERFLOW && self.code == OVERFLOW
    }

    /// The audit entry this tally becomes, written at `at`.
    fn record(&self, at: Timestamp) -> AuditRecord {
        let first: serde_json::Value =
            serde_json::from_str(&self.first_details).unwrap_or(serde_json::Value::Null);
        let actor = if self.is_overflow() {
            Actor::parse("unverified:overflow")
        } else {
            Actor::parse(&format!("unverified:{}", self.source))
        }
        .unwrap_or_else(|_| Actor::node());
        AuditRecord {
            actor,
            action: AuditAction::Reject,
            ticket: None,
            result: AuditResult::Denied,
            details: serde_json::json!({
                "aggregated": true,
                "overflow": self.is_overflow(),
                "source": (!self.is_overflow()).then_some(self.source.as_str()),
                "code": (!self.is_overflow()).then_some(self.code.as_str()),
                "count": self.count,
                "interval_start": self.interval_start.to_string(),
                "interval_end": self.interval_end.to_string(),
                "first_at": self.first_at.to_string(),
                "last_at": self.last_at.to_string(),
                "first": first,
            }),
            at,
        }
    }
}

fn cut(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    match clean.char_indices().nth(MAX_KEY) {
        Some((i, _)) => clean[..i].to_owned(),
        None => clean,
    }
}

const T: &str = "refusal_tallies";
const COLUMNS: &str = "interval_start_us, interval_us, source, code, count, first_at_us, \
                       last_at_us, first_details";

fn tally_from_row(row: &AnyRow) -> Result<RefusalTally, StoreError> {
    let source: String = get(row, T, "source", &"?")?;
    let key = &source as &(dyn std::fmt::Display + Sync);
    let start = get_ts(row, T, "interval_start_us", key)?;
    let length: i64 = get(row, T, "interval_us", key)?;
    let count: i64 = get(row, T, "count", key)?;
    Ok(RefusalTally {
        interval_start: start,
        interval_end: start
            .checked_add(SignedDuration::from_micros(length))
            .unwrap_or(start),
        code: get(row, T, "code", key)?,
        count: u64::try_from(count).unwrap_or(0),
        first_at: get_ts(row, T, "first_at_us", key)?,
        last_at: get_ts(row, T, "last_at_us", key)?,
        first_details: get(row, T, "first_details", key)?,
        source,
    })
}

/// The most tallies turned into entries by one [`Store::flush_refusals`] (the rest wait for
/// the next).
const FLUSH_BATCH: i64 = 1000;

impl Store {
    /// Counts one refused post in its interval's tally of (source, code), or in the overflow
    /// when the interval already holds [`RefusalPolicy::max_tallies`] tallies. One unit of work.
    pub async fn tally_refusal(
        &self,
        r: &Refused<'_>,
        policy: &RefusalPolicy,
    ) -> Result<Tallied, StoreError> {
        let op = "counting a refused post";
        let source = cut(r.source);
        let code = cut(r.code);
        let details = serde_json::to_string(&r.details)
            .map_err(|e| StoreError::invalid("refusal details", e.to_string()))?;
        crate::error::check_size(
            "the refusal details",
            details.len(),
            self.options().max_audit_details_bytes / 2,
        )?;
        let start = policy.start_of(r.at);
        let at = us(r.at);
        self.timed(op, async {
            let mut tx = self.begin().await?;
            let counted = sqlx::query(
                "UPDATE refusal_tallies SET count = count + 1, last_at_us = $4 \
                 WHERE interval_start_us = $1 AND source = $2 AND code = $3",
            )
            .bind(start)
            .bind(&source)
            .bind(&code)
            .bind(at)
            .execute(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            let outcome = if counted.rows_affected() > 0 {
                Tallied::Counted
            } else {
                let opened = sqlx::query(
                    "INSERT INTO refusal_tallies (interval_start_us, interval_us, source, code, \
                     count, first_at_us, last_at_us, first_details) \
                     SELECT $1, $2, $3, $4, 1, $5, $5, $6 \
                     WHERE (SELECT COUNT(*) FROM refusal_tallies \
                            WHERE interval_start_us = $1 AND source <> '*') < $7 \
                     ON CONFLICT (interval_start_us, source, code) \
                     DO UPDATE SET count = refusal_tallies.count + 1, last_at_us = $5",
                )
                .bind(start)
                .bind(policy.interval_us())
                .bind(&source)
                .bind(&code)
                .bind(at)
                .bind(&details)
                .bind(i64::from(policy.max_tallies))
                .execute(tx.conn())
                .await
                .map_err(StoreError::db(op))?;
                if opened.rows_affected() > 0 {
                    Tallied::New
                } else {
                    sqlx::query(
                        "INSERT INTO refusal_tallies (interval_start_us, interval_us, source, \
                         code, count, first_at_us, last_at_us, first_details) \
                         VALUES ($1, $2, '*', '*', 1, $3, $3, $4) \
                         ON CONFLICT (interval_start_us, source, code) \
                         DO UPDATE SET count = refusal_tallies.count + 1, last_at_us = $3",
                    )
                    .bind(start)
                    .bind(policy.interval_us())
                    .bind(at)
                    .bind(&details)
                    .execute(tx.conn())
                    .await
                    .map_err(StoreError::db(op))?;
                    Tallied::Overflow
                }
            };
            tx.commit().await?;
            Ok(outcome)
        })
        .await
    }

    /// Turns every tally of an interval that is over at `now` into one audit entry (written at
    /// `now`, with the count, the interval and the first refusal's facts) and removes it, in
    /// one unit of work; returns the entries written, oldest interval first, the overflow last
    /// in its interval. Two processes flushing at once write each tally once (the tally's
    /// removal decides who writes it).
    pub async fn flush_refusals(&self, now: Timestamp) -> Result<Vec<AuditEntry>, StoreError> {
        let op = "writing counted refusals to the audit log";
        let now_us = us(now);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM refusal_tallies \
                 WHERE interval_start_us + interval_us <= $1 \
                 ORDER BY interval_start_us, CASE WHEN source = '*' THEN 1 ELSE 0 END, \
                 first_at_us, source, code LIMIT $2"
            )))
            .bind(now_us)
            .bind(FLUSH_BATCH)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            drop(conn);
            if rows.is_empty() {
                return Ok(Vec::new());
            }
            let due = rows
                .iter()
                .map(tally_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            let mut tx = self.begin().await?;
            let mut written = Vec::with_capacity(due.len());
            for tally in &due {
                // Removed here first: whoever removes it writes it; the count is the one
                // removed.
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DELETE FROM refusal_tallies \
                     WHERE interval_start_us = $1 AND source = $2 AND code = $3 \
                     RETURNING {COLUMNS}"
                )))
                .bind(us(tally.interval_start))
                .bind(&tally.source)
                .bind(&tally.code)
                .fetch_optional(tx.conn())
                .await
                .map_err(StoreError::db(op))?;
                let Some(row) = row else { continue };
                let removed = tally_from_row(&row)?;
                written.push(removed.record(now));
            }
            let mut entries = Vec::with_capacity(written.len());
            for record in &written {
                entries.push(tx.append_audit(record).await?);
            }
            tx.commit().await?;
            Ok(entries)
        })
        .await
    }

    /// The tallies not yet written to the audit log, oldest interval first (for tests and
    /// diagnostics; at most 1 000).
    pub async fn pending_refusals(&self) -> Result<Vec<RefusalTally>, StoreError> {
        let op = "reading counted refusals";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM refusal_tallies \
                 ORDER BY interval_start_us, CASE WHEN source = '*' THEN 1 ELSE 0 END, \
                 first_at_us, source, code LIMIT $1"
            )))
            .bind(FLUSH_BATCH)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter().map(tally_from_row).collect()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_aligned_and_at_least_a_second() {
        let p = RefusalPolicy {
            interval: SignedDuration::from_mins(10),
            max_tallies: 1,
        };
        let at: Timestamp = "2026-12-07T20:17:42.5Z".parse().unwrap();
        let start: Timestamp = "2026-12-07T20:10:00Z".parse().unwrap();
        assert_eq!(p.start_of(at), us(start));
        let tiny = RefusalPolicy {
            interval: SignedDuration::from_millis(1),
            max_tallies: 1,
        };
        assert_eq!(tiny.interval_us(), 1_000_000);
        assert_eq!(cut(&"x".repeat(500)).len(), MAX_KEY);
        assert_eq!(cut("a\nb"), "ab");
    }
}

//! Sign-in throttles (migration 0008, ADR 0021): growing delays per (typed user name, source)
//! and per source, shared by every instance of a node through the database.
//!
//! Each attempt is *admitted* before any password or code is checked, by one conditional
//! `UPDATE` per bucket that counts it and sets the instant before which the bucket admits
//! nothing else (`next_at_us <= now` is the condition). Both buckets of an attempt are charged
//! in one transaction, so an attempt refused by one bucket charges neither. An attempt during a
//! delay changes nothing: the delay never grows from refused attempts. Concurrent attempts
//! serialize on the bucket's row (SQLite: the write lock of `BEGIN IMMEDIATE`; PostgreSQL: the
//! row lock, with the condition checked again on the newest row), so at most
//! `free + 1` of any number of simultaneous attempts are admitted.
//!
//! State is bounded: a new bucket is created only while the table holds fewer than
//! [`ThrottlePolicy::max_rows`] rows that are not trusted (a pair from which someone completed
//! sign-in); rows idle for [`ThrottlePolicy::forget_after`] start over and are removed by
//! [`Store::clean_sign_in_throttles`].

use std::fmt;

use jiff::{SignedDuration, Timestamp};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::codec::{get, get_opt_ts, get_ts, parse_col, us};
use crate::error::StoreError;
use crate::store::Store;

/// The numbers of the throttle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Password attempts of one user name from one source admitted without delay.
    pub pair_free: u32,
    /// Second-factor attempts of one account from one source admitted without delay.
    pub code_free: u32,
    /// Attempts (both steps, any user name) from one source admitted without delay.
    pub source_free: u32,
    /// The first delay; each further attempt doubles it.
    pub first_delay: SignedDuration,
    /// The longest delay.
    pub max_delay: SignedDuration,
    /// A bucket without an admitted attempt for this long starts over (and is removed).
    pub forget_after: SignedDuration,
    /// The most rows that are not trusted: beyond, new buckets are refused.
    pub max_rows: u32,
    /// How long a pair from which someone completed sign-in stays trusted.
    pub trust_for: SignedDuration,
    /// The most trusted pairs of one account.
    pub max_trusted_per_account: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            pair_free: 5,
            code_free: 5,
            source_free: 30,
            first_delay: SignedDuration::from_secs(1),
            max_delay: SignedDuration::from_mins(5),
            forget_after: SignedDuration::from_hours(1),
            max_rows: 10_000,
            trust_for: SignedDuration::from_hours(30 * 24),
            max_trusted_per_account: 16,
        }
    }
}

impl ThrottlePolicy {
    /// Checks the numbers: something free, delays positive and shorter than the forget period.
    pub fn check(&self) -> Result<(), String> {
        if self.pair_free == 0 || self.code_free == 0 || self.source_free == 0 {
            return Err("at least one attempt must be free of delay".into());
        }
        if self.first_delay <= SignedDuration::ZERO || self.max_delay < self.first_delay {
            return Err("the first delay must be positive and at most the longest delay".into());
        }
        if self.forget_after <= self.max_delay {
            return Err("the forget period must be longer than the longest delay".into());
        }
        if self.max_rows == 0 {
            return Err("the table must be allowed at least one row".into());
        }
        Ok(())
    }
}

/// Which sign-in step an attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignInStep {
    /// The password.
    Password,
    /// The TOTP or recovery code.
    SecondFactor,
}

/// What a throttle row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ThrottleScope {
    /// One typed user name from one source.
    Pair,
    /// Every attempt from one source.
    Source,
}

impl ThrottleScope {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            ThrottleScope::Pair => "pair",
            ThrottleScope::Source => "source",
        }
    }

    /// From its stored name.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "pair" => Ok(ThrottleScope::Pair),
            "source" => Ok(ThrottleScope::Source),
            other => Err(format!("'{other}' is not a throttle scope")),
        }
    }
}

/// One attempt to admit: its step, its pair bucket, the account's user name when the typed
/// name is one, and its source. The server builds the bucket keys (`cp247_server::throttle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleAttempt<'a> {
    /// The step.
    pub step: SignInStep,
    /// The pair bucket (at most 200 bytes).
    pub pair: &'a str,
    /// The account's user name, when the typed name is an account's.
    pub username: Option<&'a str>,
    /// The source (at most 64 bytes).
    pub source: &'a str,
}

/// The answer to an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Counted: check the password or code now.
    Admitted,
    /// Refused, nothing counted: a bucket admits nothing before `until`.
    Delayed {
        /// When the bucket admits again.
        until: Timestamp,
    },
    /// Refused, nothing counted: the table is full and this attempt would need a new row.
    Full,
}

/// A throttle row, as supervisors see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThrottleRow {
    /// What it counts.
    pub scope: ThrottleScope,
    /// Its key (to lift it).
    pub bucket: String,
    /// The account's user name, for a pair of an existing account.
    pub username: Option<String>,
    /// The source.
    pub source: String,
    /// Password attempts (source: all attempts) since the last success or lift.
    pub attempts: u32,
    /// Second-factor attempts since the last success or lift.
    pub code_attempts: u32,
    /// When the row admits again, if it is delaying now.
    pub delayed_until: Option<Timestamp>,
    /// The last admitted attempt.
    pub last_at: Timestamp,
    /// Until when the pair is trusted.
    pub trusted_until: Option<Timestamp>,
}

const T: &str = "sign_in_throttles";
const ROW_COLUMNS: &str = "scope, bucket, username, source, attempts, code_attempts, \
     next_at_us, code_next_at_us, last_at_us, trusted_until_us";

fn row_from(row: &AnyRow, now: Timestamp) -> Result<ThrottleRow, StoreError> {
    let bucket: String = get(row, T, "bucket", &"?")?;
    let key = &bucket as &(dyn fmt::Display + Sync);
    let scope: String = get(row, T, "scope", key)?;
    let attempts: i64 = get(row, T, "attempts", key)?;
    let code_attempts: i64 = get(row, T, "code_attempts", key)?;
    let next = get_ts(row, T, "next_at_us", key)?;
    let code_next = get_ts(row, T, "code_next_at_us", key)?;
    let until = next.max(code_next);
    Ok(ThrottleRow {
        scope: parse_col(&scope, ThrottleScope::parse, T, "scope", key)?,
        username: get(row, T, "username", key)?,
        source: get(row, T, "source", key)?,
        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
        code_attempts: u32::try_from(code_attempts).unwrap_or(u32::MAX),
        delayed_until: (until > now).then_some(until),
        last_at: get_ts(row, T, "last_at_us", key)?,
        trusted_until: get_opt_ts(row, T, "trusted_until_us", key)?,
        bucket,
    })
}

fn micros(d: SignedDuration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// The counter columns' prefix of a step in a bucket, and the other one.
fn prefixes(scope: ThrottleScope, step: SignInStep) -> (&'static str, &'static str) {
    match (scope, step) {
        (ThrottleScope::Pair, SignInStep::SecondFactor) => ("code_", ""),
        (ThrottleScope::Pair, SignInStep::Password) | (ThrottleScope::Source, _) => ("", "code_"),
    }
}

fn free_of(policy: &ThrottlePolicy, scope: ThrottleScope, step: SignInStep) -> i64 {
    i64::from(match (scope, step) {
        (ThrottleScope::Pair, SignInStep::Password) => policy.pair_free,
        (ThrottleScope::Pair, SignInStep::SecondFactor) => policy.code_free,
        (ThrottleScope::Source, _) => policy.source_free,
    })
}

/// The conditional update that admits one attempt in one bucket. Parameters: $1 scope,
/// $2 bucket, $3 the forget limit (a row last admitted before it starts over), $4 now,
/// $5 free attempts, $6 first delay, $7 longest delay, $8 the user name (or NULL). Built from
/// constant pieces only.
fn admit_sql(p: &str, o: &str) -> String {
    let attempts = format!("(CASE WHEN last_at_us < $3 THEN 1 ELSE {p}attempts + 1 END)");
    let delay = format!(
        "(CASE WHEN {attempts} <= $5 THEN 0 WHEN {p}delay_us = 0 OR last_at_us < $3 THEN $6 \
         WHEN {p}delay_us * 2 > $7 THEN $7 ELSE {p}delay_us * 2 END)"
    );
    format!(
        "UPDATE sign_in_throttles SET {p}attempts = {attempts}, {p}delay_us = {delay}, \
         {p}next_at_us = $4 + {delay}, \
         {o}attempts = CASE WHEN last_at_us < $3 THEN 0 ELSE {o}attempts END, \
         {o}delay_us = CASE WHEN last_at_us < $3 THEN 0 ELSE {o}delay_us END, \
         {o}next_at_us = CASE WHEN last_at_us < $3 THEN 0 ELSE {o}next_at_us END, \
         last_at_us = $4, username = COALESCE($8, username) \
         WHERE scope = $1 AND bucket = $2 AND {p}next_at_us <= $4"
    )
}

/// The outcome of charging one bucket.
enum Charge {
    Admitted,
    Delayed(Timestamp),
    NoRoom,
}

#[allow(clippy::too_many_arguments)] // one bucket's key, display and policy, spelt out
async fn charge(
    conn: &mut AnyConnection,
    scope: ThrottleScope,
    bucket: &str,
    username: Option<&str>,
    source: &str,
    step: SignInStep,
    now: Timestamp,
    policy: &ThrottlePolicy,
) -> Result<Charge, StoreError> {
    let op = "admitting a sign-in attempt";
    let now_us = us(now);
    sqlx::query(
        "INSERT INTO sign_in_throttles (scope, bucket, username, source, attempts, delay_us, \
         next_at_us, code_attempts, code_delay_us, code_next_at_us, last_at_us, created_at_us, \
         trusted_until_us) \
         SELECT $1, $2, $3, $4, 0, 0, 0, 0, 0, 0, $5, $5, NULL \
         WHERE (SELECT COUNT(*) FROM sign_in_throttles \
                WHERE trusted_until_us IS NULL OR trusted_until_us <= $5) < $6 \
         ON CONFLICT (scope, bucket) DO NOTHING",
    )
    .bind(scope.as_str())
    .bind(bucket)
    .bind(username)
    .bind(source)
    .bind(now_us)
    .bind(i64::from(policy.max_rows))
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db(op))?;
    let (p, o) = prefixes(scope, step);
    let done = sqlx::query(sqlx::AssertSqlSafe(admit_sql(p, o)))
        .bind(scope.as_str())
        .bind(bucket)
        .bind(us(now.checked_sub(policy.forget_after).unwrap_or(now)))
        .bind(now_us)
        .bind(free_of(policy, scope, step))
        .bind(micros(policy.first_delay))
        .bind(micros(policy.max_delay))
        .bind(username)
        .execute(&mut *conn)
        .await
        .map_err(StoreError::db(op))?;
    if done.rows_affected() == 1 {
        return Ok(Charge::Admitted);
    }
    let next: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {p}next_at_us FROM sign_in_throttles WHERE scope = $1 AND bucket = $2"
    )))
    .bind(scope.as_str())
    .bind(bucket)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db(op))?;
    Ok(match next {
        Some(at) => Charge::Delayed(crate::codec::ts_from_us(at, T, "next_at_us", &bucket)?),
        None => Charge::NoRoom,
    })
}

impl Store {
    /// Admits one sign-in attempt at `now`, before its password or code is checked: counts it
    /// in its pair and its source bucket, or refuses it without counting anything. A trusted
    /// pair is admitted on its own bucket when the table is full.
    pub async fn admit_sign_in(
        &self,
        attempt: &ThrottleAttempt<'_>,
        now: Timestamp,
        policy: &ThrottlePolicy,
    ) -> Result<Admission, StoreError> {
        let first = self.admit_once(attempt, now, policy).await?;
        if first != Admission::Full {
            return Ok(first);
        }
        // Full: forget idle rows, then try once more.
        if self.clean_sign_in_throttles(now, policy).await? == 0 {
            return Ok(Admission::Full);
        }
        self.admit_once(attempt, now, policy).await
    }

    async fn admit_once(
        &self,
        a: &ThrottleAttempt<'_>,
        now: Timestamp,
        policy: &ThrottlePolicy,
    ) -> Result<Admission, StoreError> {
        let op = "admitting a sign-in attempt";
        check_key("pair bucket", a.pair, 200)?;
        check_key("source", a.source, 64)?;
        let mut tx = self.begin().await?;
        let result = self
            .timed(op, async {
                let conn = tx.conn();
                match charge(
                    conn,
                    ThrottleScope::Pair,
                    a.pair,
                    a.username,
                    a.source,
                    a.step,
                    now,
                    policy,
                )
                .await?
                {
                    Charge::Admitted => {}
                    Charge::Delayed(until) => return Ok(Admission::Delayed { until }),
                    Charge::NoRoom => return Ok(Admission::Full),
                }
                let trusted: Option<i64> = sqlx::query_scalar(
                    "SELECT trusted_until_us FROM sign_in_throttles \
                     WHERE scope = 'pair' AND bucket = $1",
                )
                .bind(a.pair)
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::db(op))?
                .flatten();
                let trusted = trusted.is_some_and(|t| t > us(now));
                match charge(
                    conn,
                    ThrottleScope::Source,
                    a.source,
                    None,
                    a.source,
                    a.step,
                    now,
                    policy,
                )
                .await?
                {
                    Charge::Admitted => Ok(Admission::Admitted),
                    Charge::Delayed(until) => Ok(Admission::Delayed { until }),
                    Charge::NoRoom if trusted => Ok(Admission::Admitted),
                    Charge::NoRoom => Ok(Admission::Full),
                }
            })
            .await;
        match result {
            Ok(Admission::Admitted) => {
                tx.commit().await?;
                Ok(Admission::Admitted)
            }
            Ok(refused) => {
                tx.rollback().await?;
                Ok(refused)
            }
            Err(e) => Err(e),
        }
    }

    /// Records that an admitted attempt succeeded: its pair's counter of that step starts over
    /// and its source gets the attempt back. A completed second factor also trusts the pair
    /// for [`ThrottlePolicy::trust_for`] (at most [`ThrottlePolicy::max_trusted_per_account`]
    /// pairs per account).
    pub async fn sign_in_succeeded(
        &self,
        attempt: &ThrottleAttempt<'_>,
        now: Timestamp,
        policy: &ThrottlePolicy,
    ) -> Result<(), StoreError> {
        let op = "recording a sign-in step";
        let mut tx = self.begin().await?;
        self.timed(op, async {
            let conn = tx.conn();
            match attempt.step {
                SignInStep::Password => {
                    sqlx::query(
                        "UPDATE sign_in_throttles SET attempts = 0, delay_us = 0, next_at_us = 0 \
                         WHERE scope = 'pair' AND bucket = $1",
                    )
                    .bind(attempt.pair)
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db(op))?;
                }
                SignInStep::SecondFactor => {
                    let until = now.checked_add(policy.trust_for).unwrap_or(now);
                    sqlx::query(
                        "UPDATE sign_in_throttles SET code_attempts = 0, code_delay_us = 0, \
                         code_next_at_us = 0, trusted_until_us = CASE \
                         WHEN trusted_until_us > $2 OR (SELECT COUNT(*) FROM sign_in_throttles t \
                           WHERE t.scope = 'pair' AND t.username = $3 \
                           AND t.trusted_until_us > $2) < $5 THEN $4 \
                         ELSE trusted_until_us END \
                         WHERE scope = 'pair' AND bucket = $1",
                    )
                    .bind(attempt.pair)
                    .bind(us(now))
                    .bind(attempt.username)
                    .bind(us(until))
                    .bind(i64::from(policy.max_trusted_per_account))
                    .execute(&mut *conn)
                    .await
                    .map_err(StoreError::db(op))?;
                }
            }
            sqlx::query(
                "UPDATE sign_in_throttles SET attempts = CASE WHEN attempts > 0 \
                 THEN attempts - 1 ELSE 0 END WHERE scope = 'source' AND bucket = $1",
            )
            .bind(attempt.source)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(())
        })
        .await?;
        tx.commit().await
    }

    /// The throttles in force at `now`: rows with attempts counted and not yet forgotten,
    /// most recent first (at most `limit`).
    pub async fn sign_in_throttles(
        &self,
        now: Timestamp,
        policy: &ThrottlePolicy,
        limit: u32,
    ) -> Result<Vec<ThrottleRow>, StoreError> {
        let op = "listing sign-in throttles";
        let (limit, _) = self.page_bounds(crate::options::Page { offset: 0, limit });
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ROW_COLUMNS} FROM sign_in_throttles \
                 WHERE last_at_us >= $1 AND (attempts > 0 OR code_attempts > 0) \
                 ORDER BY last_at_us DESC, scope, bucket LIMIT $2"
            )))
            .bind(us(now.checked_sub(policy.forget_after).unwrap_or(now)))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter().map(|r| row_from(r, now)).collect()
        })
        .await
    }

    /// Lifts one throttle: its counters start over (a trusted pair stays trusted). Returns the
    /// row as it was, or `None` when there is no such row.
    pub async fn lift_sign_in_throttle(
        &self,
        scope: ThrottleScope,
        bucket: &str,
        now: Timestamp,
    ) -> Result<Option<ThrottleRow>, StoreError> {
        let op = "lifting a sign-in throttle";
        let mut tx = self.begin().await?;
        let before = self
            .timed(op, async {
                let conn = tx.conn();
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {ROW_COLUMNS} FROM sign_in_throttles WHERE scope = $1 AND bucket = $2"
                )))
                .bind(scope.as_str())
                .bind(bucket)
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
                let Some(row) = row else { return Ok(None) };
                let before = row_from(&row, now)?;
                sqlx::query(
                    "UPDATE sign_in_throttles SET attempts = 0, delay_us = 0, next_at_us = 0, \
                     code_attempts = 0, code_delay_us = 0, code_next_at_us = 0 \
                     WHERE scope = $1 AND bucket = $2",
                )
                .bind(scope.as_str())
                .bind(bucket)
                .execute(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
                Ok(Some(before))
            })
            .await?;
        tx.commit().await?;
        Ok(before)
    }

    /// Removes the rows idle for the forget period and not trusted at `now`; returns how many.
    pub async fn clean_sign_in_throttles(
        &self,
        now: Timestamp,
        policy: &ThrottlePolicy,
    ) -> Result<u64, StoreError> {
        let op = "removing idle sign-in throttles";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let done = sqlx::query(
                "DELETE FROM sign_in_throttles WHERE last_at_us < $1 \
                 AND (trusted_until_us IS NULL OR trusted_until_us <= $2)",
            )
            .bind(us(now.checked_sub(policy.forget_after).unwrap_or(now)))
            .bind(us(now))
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(done.rows_affected())
        })
        .await
    }

    /// How many throttle rows there are (trusted or not).
    pub async fn sign_in_throttle_count(&self) -> Result<u64, StoreError> {
        let op = "counting sign-in throttles";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_throttles")
                .fetch_one(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

fn check_key(what: &'static str, text: &str, max: usize) -> Result<(), StoreError> {
    crate::codec::check_line(what, text, max)
}

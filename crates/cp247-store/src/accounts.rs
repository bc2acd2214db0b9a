//! Accounts of the people (and API-only services) of this node, their one-use recovery codes and
//! their web sessions.
//!
//! The store keeps what the server computed: an Argon2id PHC string (never a password), the
//! TOTP secret as the server sealed it (encrypted, ADR 0021), SHA-256 hashes of recovery codes
//! and of session ids (never the codes or ids). One-use codes and one-use TOTP steps are single
//! conditional `UPDATE`s, so two concurrent attempts cannot both succeed. Sign-in throttling is
//! in `throttles.rs`.

use std::fmt;

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::codec::{check_line, get, get_opt_ts, get_ts, parse_col, us};
use crate::error::{StoreError, is_unique_violation};
use crate::options::{Page, Paged};
use crate::store::{Store, Tx};
use crate::tokens::TokenRole;

/// An account to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewAccount {
    /// The sign-in name (one line, at most 80 bytes, unique).
    pub username: String,
    /// The name shown to colleagues (one line, at most 128 bytes).
    pub display_name: String,
    /// The role, named by the server.
    pub role: TokenRole,
    /// The Argon2id PHC string of the password; `None` for an API-only account.
    pub password_phc: Option<String>,
    /// The TOTP secret as the server stores it (sealed); `None` for an API-only account.
    pub totp_secret: Option<String>,
    /// SHA-256 of each recovery code.
    pub recovery_codes: Vec<[u8; 32]>,
    /// When it was created.
    pub created_at: Timestamp,
}

impl fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewAccount")
            .field("username", &self.username)
            .field("display_name", &self.display_name)
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

/// A stored account, without its secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Its id.
    pub id: u64,
    /// The sign-in name.
    pub username: String,
    /// The name shown.
    pub display_name: String,
    /// The role.
    pub role: TokenRole,
    /// True when it has a password and a TOTP secret (it can sign in to the web).
    pub can_sign_in: bool,
    /// Its chosen language (`en`, `fr`), if any.
    pub lang: Option<String>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it was disabled.
    pub disabled_at: Option<Timestamp>,
}

/// An account with the secrets that sign-in checks. `Debug` redacts them.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountSecrets {
    /// The account.
    pub account: Account,
    /// The Argon2id PHC string.
    pub password_phc: Option<String>,
    /// The TOTP secret as stored (sealed by the server).
    pub totp_secret: Option<String>,
    /// The last TOTP step accepted.
    pub totp_last_step: Option<u64>,
}

impl fmt::Debug for AccountSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccountSecrets")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// The stage of a web session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionStage {
    /// The password was right; the second factor is awaited.
    SecondFactor,
    /// Fully signed in.
    SignedIn,
}

impl SessionStage {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            SessionStage::SecondFactor => "second_factor",
            SessionStage::SignedIn => "signed_in",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "second_factor" => Ok(SessionStage::SecondFactor),
            "signed_in" => Ok(SessionStage::SignedIn),
            other => Err(format!("'{other}' is not a session stage")),
        }
    }
}

/// A stored web session (its id hash is the key and is not repeated here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSession {
    /// The account.
    pub account_id: u64,
    /// Its stage.
    pub stage: SessionStage,
    /// When it began.
    pub created_at: Timestamp,
    /// When it was last used.
    pub last_seen_at: Timestamp,
}

/// What a live-session lookup finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveSession {
    /// The session.
    pub session: WebSession,
    /// Its account (enabled).
    pub account: Account,
}

/// The timeouts a session lookup applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    /// Ended after this long without a request.
    pub idle: jiff::SignedDuration,
    /// Ended this long after it began, whatever the activity.
    pub absolute: jiff::SignedDuration,
}

const ACCOUNT_COLUMNS: &str = "id, username, display_name, role, \
     (CASE WHEN password_phc IS NOT NULL AND totp_secret IS NOT NULL THEN 1 ELSE 0 END) \
     AS can_sign_in, lang, created_at_us, disabled_at_us";

const T: &str = "accounts";

fn key_of(id: i64) -> String {
    id.to_string()
}

fn account_from_row(row: &AnyRow) -> Result<Account, StoreError> {
    let id: i64 = get(row, T, "id", &"?")?;
    let shown = key_of(id);
    let key = &shown as &(dyn fmt::Display + Sync);
    let role: String = get(row, T, "role", key)?;
    let can: i64 = get(row, T, "can_sign_in", key)?;
    Ok(Account {
        id: u64::try_from(id).unwrap_or(0),
        username: get(row, T, "username", key)?,
        display_name: get(row, T, "display_name", key)?,
        role: parse_col(&role, TokenRole::parse, T, "role", key)?,
        can_sign_in: can == 1,
        lang: get(row, T, "lang", key)?,
        created_at: get_ts(row, T, "created_at_us", key)?,
        disabled_at: get_opt_ts(row, T, "disabled_at_us", key)?,
    })
}

fn id_param(id: u64) -> i64 {
    i64::try_from(id).unwrap_or(i64::MAX)
}

async fn account_by_id(conn: &mut AnyConnection, id: u64) -> Result<Account, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id = $1"
    )))
    .bind(id_param(id))
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db("reading an account"))?;
    match row {
        Some(row) => account_from_row(&row),
        None => Err(StoreError::NotFound {
            what: "account",
            key: id.to_string(),
        }),
    }
}

async fn insert_codes(
    conn: &mut AnyConnection,
    account: u64,
    codes: &[[u8; 32]],
) -> Result<(), StoreError> {
    for code in codes {
        sqlx::query("INSERT INTO recovery_codes (account_id, code_sha256) VALUES ($1, $2)")
            .bind(id_param(account))
            .bind(hex::encode(code))
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db("recording a recovery code"))?;
    }
    Ok(())
}

impl Tx {
    /// Creates an account with its recovery codes. A username in use is a
    /// [`StoreError::Conflict`].
    pub async fn create_account(&mut self, a: &NewAccount) -> Result<Account, StoreError> {
        let r = self.create_account_inner(a).await;
        self.track(r)
    }

    async fn create_account_inner(&mut self, a: &NewAccount) -> Result<Account, StoreError> {
        check_line("user name", &a.username, 80)?;
        check_line("display name", &a.display_name, 128)?;
        let row = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO accounts (id, username, display_name, role, password_phc, totp_secret, \
             created_at_us) \
             SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6 FROM accounts \
             RETURNING {ACCOUNT_COLUMNS}"
        )))
        .bind(&a.username)
        .bind(&a.display_name)
        .bind(a.role.as_str())
        .bind(a.password_phc.as_deref())
        .bind(a.totp_secret.as_deref())
        .bind(us(a.created_at))
        .fetch_one(self.conn())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "account",
                    key: a.username.clone(),
                    reason: "an account with this user name already exists (or another was \
                             created at the same moment: try again)"
                        .to_owned(),
                }
            } else {
                StoreError::Database {
                    op: "creating an account",
                    source: e,
                }
            }
        })?;
        let account = account_from_row(&row)?;
        insert_codes(self.conn(), account.id, &a.recovery_codes).await?;
        Ok(account)
    }

    /// Disables account `id` at `at` and ends its sessions; its API tokens stop working at
    /// once (they are checked against the account). Disabling twice keeps the first time.
    pub async fn disable_account(&mut self, id: u64, at: Timestamp) -> Result<Account, StoreError> {
        let r = self.disable_inner(id, at).await;
        self.track(r)
    }

    async fn disable_inner(&mut self, id: u64, at: Timestamp) -> Result<Account, StoreError> {
        sqlx::query(
            "UPDATE accounts SET disabled_at_us = $2 WHERE id = $1 AND disabled_at_us IS NULL",
        )
        .bind(id_param(id))
        .bind(us(at))
        .execute(self.conn())
        .await
        .map_err(StoreError::db("disabling an account"))?;
        end_all_sessions(self.conn(), id, at).await?;
        account_by_id(self.conn(), id).await
    }

    /// Replaces the TOTP secret and the recovery codes of account `id` (the old codes stop
    /// working) and ends its sessions.
    pub async fn reset_mfa(
        &mut self,
        id: u64,
        totp_secret: &str,
        recovery_codes: &[[u8; 32]],
        at: Timestamp,
    ) -> Result<Account, StoreError> {
        let r = self
            .reset_mfa_inner(id, totp_secret, recovery_codes, at)
            .await;
        self.track(r)
    }

    async fn reset_mfa_inner(
        &mut self,
        id: u64,
        totp_secret: &str,
        recovery_codes: &[[u8; 32]],
        at: Timestamp,
    ) -> Result<Account, StoreError> {
        let done = sqlx::query(
            "UPDATE accounts SET totp_secret = $2, totp_last_step = NULL WHERE id = $1",
        )
        .bind(id_param(id))
        .bind(totp_secret)
        .execute(self.conn())
        .await
        .map_err(StoreError::db("resetting the second factor"))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound {
                what: "account",
                key: id.to_string(),
            });
        }
        sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
            .bind(id_param(id))
            .execute(self.conn())
            .await
            .map_err(StoreError::db("removing old recovery codes"))?;
        insert_codes(self.conn(), id, recovery_codes).await?;
        end_all_sessions(self.conn(), id, at).await?;
        account_by_id(self.conn(), id).await
    }
}

async fn end_all_sessions(
    conn: &mut AnyConnection,
    account: u64,
    at: Timestamp,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE web_sessions SET ended_at_us = $2 WHERE account_id = $1 AND ended_at_us IS NULL",
    )
    .bind(id_param(account))
    .bind(us(at))
    .execute(&mut *conn)
    .await
    .map_err(StoreError::db("ending sessions"))?;
    Ok(())
}

impl Store {
    /// The account named `username` with its secrets, or `None`.
    pub async fn account_for_sign_in(
        &self,
        username: &str,
    ) -> Result<Option<AccountSecrets>, StoreError> {
        let op = "reading an account for sign-in";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ACCOUNT_COLUMNS}, password_phc, totp_secret, totp_last_step \
                 FROM accounts WHERE username = $1"
            )))
            .bind(username)
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let Some(row) = row else { return Ok(None) };
            let account = account_from_row(&row)?;
            let key = &account.id as &(dyn fmt::Display + Sync);
            let step: Option<i64> = get(&row, T, "totp_last_step", key)?;
            Ok(Some(AccountSecrets {
                password_phc: get(&row, T, "password_phc", key)?,
                totp_secret: get(&row, T, "totp_secret", key)?,
                totp_last_step: step.and_then(|s| u64::try_from(s).ok()),
                account,
            }))
        })
        .await
    }

    /// Account `id` with its secrets.
    pub async fn account_secrets(&self, id: u64) -> Result<AccountSecrets, StoreError> {
        let username = self.account(id).await?.username;
        self.account_for_sign_in(&username)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "account",
                key: id.to_string(),
            })
    }

    /// Account `id`.
    pub async fn account(&self, id: u64) -> Result<Account, StoreError> {
        let op = "reading an account";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            account_by_id(&mut conn, id).await
        })
        .await
    }

    /// The account named `username`.
    pub async fn account_named(&self, username: &str) -> Result<Account, StoreError> {
        match self.account_for_sign_in(username).await? {
            Some(found) => Ok(found.account),
            None => Err(StoreError::NotFound {
                what: "account",
                key: username.to_owned(),
            }),
        }
    }

    /// Every account, by id.
    pub async fn accounts(&self, page: Page) -> Result<Paged<Account>, StoreError> {
        let op = "listing accounts";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id LIMIT $1 OFFSET $2"
            )))
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows
                .iter()
                .map(account_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }

    /// The stored TOTP secrets of accounts with an id above `after`, by id (at most `limit`):
    /// `(id, user name, secret as stored)`, for the server's sealing of plain-text secrets.
    pub async fn totp_secrets_after(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<(u64, String, String)>, StoreError> {
        let op = "reading TOTP secrets";
        let (limit, _) = self.page_bounds(Page { offset: 0, limit });
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(
                "SELECT id, username, totp_secret FROM accounts \
                 WHERE id > $1 AND totp_secret IS NOT NULL ORDER BY id LIMIT $2",
            )
            .bind(id_param(after))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter()
                .map(|row| {
                    let id: i64 = get(row, T, "id", &"?")?;
                    let key = &id as &(dyn fmt::Display + Sync);
                    Ok((
                        u64::try_from(id).unwrap_or(0),
                        get(row, T, "username", key)?,
                        get(row, T, "totp_secret", key)?,
                    ))
                })
                .collect()
        })
        .await
    }

    /// Replaces the stored TOTP secret of account `id` by `new` if it is still `old` (a
    /// conditional `UPDATE`: two instances sealing at once write it once). True when replaced.
    pub async fn replace_totp_secret(
        &self,
        id: u64,
        old: &str,
        new: &str,
    ) -> Result<bool, StoreError> {
        let op = "replacing a TOTP secret";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let done = sqlx::query(
                "UPDATE accounts SET totp_secret = $3 WHERE id = $1 AND totp_secret = $2",
            )
            .bind(id_param(id))
            .bind(old)
            .bind(new)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Accepts TOTP step `step` for account `id` once: true when it is later than every step
    /// accepted before (a code cannot be replayed, not even concurrently).
    pub async fn use_totp_step(&self, id: u64, step: u64) -> Result<bool, StoreError> {
        let op = "recording a TOTP step";
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let done = sqlx::query(
                "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 \
                 AND (totp_last_step IS NULL OR totp_last_step < $2)",
            )
            .bind(id_param(id))
            .bind(step)
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Uses recovery code `code_sha256` of account `id` at `now`: true the first time only.
    pub async fn use_recovery_code(
        &self,
        id: u64,
        code_sha256: &[u8; 32],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let op = "using a recovery code";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let done = sqlx::query(
                "UPDATE recovery_codes SET used_at_us = $3 WHERE account_id = $1 \
                 AND code_sha256 = $2 AND used_at_us IS NULL",
            )
            .bind(id_param(id))
            .bind(hex::encode(code_sha256))
            .bind(us(now))
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// How many unused recovery codes account `id` has left.
    pub async fn recovery_codes_left(&self, id: u64) -> Result<u32, StoreError> {
        let op = "counting recovery codes";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE account_id = $1 AND used_at_us IS NULL",
            )
            .bind(id_param(id))
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(u32::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// Remembers the language account `id` chose (`en`, `fr`).
    pub async fn set_account_lang(&self, id: u64, lang: &str) -> Result<(), StoreError> {
        let op = "saving a language choice";
        check_line("language", lang, 8)?;
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            sqlx::query("UPDATE accounts SET lang = $2 WHERE id = $1")
                .bind(id_param(id))
                .bind(lang)
                .execute(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
            Ok(())
        })
        .await
    }

    /// Records a new session under the SHA-256 of its id.
    pub async fn create_session(
        &self,
        id_sha256: &[u8; 32],
        account: u64,
        stage: SessionStage,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let op = "starting a session";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            sqlx::query(
                "INSERT INTO web_sessions (id_sha256, account_id, stage, created_at_us, \
                 last_seen_at_us) VALUES ($1, $2, $3, $4, $4)",
            )
            .bind(hex::encode(id_sha256))
            .bind(id_param(account))
            .bind(stage.as_str())
            .bind(us(now))
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(())
        })
        .await
    }

    /// The live session whose id hashes to `id_sha256`, noting its use at `now`. `None` when
    /// it is unknown, ended, idle or older than `limits` allow (it is then ended), or when its
    /// account is disabled.
    pub async fn touch_session(
        &self,
        id_sha256: &[u8; 32],
        now: Timestamp,
        limits: SessionLimits,
    ) -> Result<Option<LiveSession>, StoreError> {
        let op = "checking a session";
        let hash = hex::encode(id_sha256);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let row = sqlx::query(
                "SELECT account_id, stage, created_at_us, last_seen_at_us FROM web_sessions \
                 WHERE id_sha256 = $1 AND ended_at_us IS NULL",
            )
            .bind(&hash)
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let Some(row) = row else { return Ok(None) };
            const S: &str = "web_sessions";
            let key = &"(session)" as &(dyn fmt::Display + Sync);
            let account_id: i64 = get(&row, S, "account_id", key)?;
            let stage: String = get(&row, S, "stage", key)?;
            let session = WebSession {
                account_id: u64::try_from(account_id).unwrap_or(0),
                stage: parse_col(&stage, SessionStage::parse, S, "stage", key)?,
                created_at: get_ts(&row, S, "created_at_us", key)?,
                last_seen_at: get_ts(&row, S, "last_seen_at_us", key)?,
            };
            let idle_end = session.last_seen_at.checked_add(limits.idle).ok();
            let absolute_end = session.created_at.checked_add(limits.absolute).ok();
            let expired =
                idle_end.is_none_or(|t| now >= t) || absolute_end.is_none_or(|t| now >= t);
            let account = account_by_id(&mut conn, session.account_id).await?;
            if expired || account.disabled_at.is_some() {
                sqlx::query(
                    "UPDATE web_sessions SET ended_at_us = $2 WHERE id_sha256 = $1 \
                     AND ended_at_us IS NULL",
                )
                .bind(&hash)
                .bind(us(now))
                .execute(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
                return Ok(None);
            }
            sqlx::query(
                "UPDATE web_sessions SET last_seen_at_us = $2 WHERE id_sha256 = $1 \
                 AND last_seen_at_us < $2",
            )
            .bind(&hash)
            .bind(us(now))
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(Some(LiveSession { session, account }))
        })
        .await
    }

    /// Ends the session whose id hashes to `id_sha256` (sign-out, or rotation at sign-in).
    pub async fn end_session(
        &self,
        id_sha256: &[u8; 32],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let op = "ending a session";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            sqlx::query(
                "UPDATE web_sessions SET ended_at_us = $2 WHERE id_sha256 = $1 \
                 AND ended_at_us IS NULL",
            )
            .bind(hex::encode(id_sha256))
            .bind(us(now))
            .execute(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(())
        })
        .await
    }
}

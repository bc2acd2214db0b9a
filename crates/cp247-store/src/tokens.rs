//! API tokens: only the SHA-256 of a token is stored, never the token. Every token belongs to
//! an account and acts with the account's role; a disabled account's tokens stop working, and so
//! do revoked and expired tokens. Each token records how it came into being ([`TokenOrigin`])
//! and who issued it; who may issue what is the server's decision (`cp247_server::tokens`).

use std::fmt;

use jiff::Timestamp;
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::audit::Actor;
use crate::codec::{check_line, get, get_opt_ts, get_ts, parse_col, token_type, us};
use crate::error::{StoreError, is_unique_violation};
use crate::options::{Page, Paged};
use crate::store::{Store, Tx};

token_type!(
    /// The role of an account and of its API tokens (`officer`, `administrator`, …), named by
    /// the server.
    TokenRole,
    "token role",
    32
);

/// `last_used_at` is written at most this often per token (microseconds), so that checking a
/// token is usually a read.
const LAST_USED_RESOLUTION_US: i64 = 60_000_000;

/// How a token came into being.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenOrigin {
    /// A person issued it for their own account, from their signed-in web session.
    Session,
    /// An administrator issued it (a monitor token of a new API-only account).
    Admin,
    /// The host operator issued it (the node's local socket, or the CLI with the node stopped).
    Operator,
    /// Issued before origins were recorded (migration 0007).
    Legacy,
}

impl TokenOrigin {
    /// Every origin.
    pub const ALL: [TokenOrigin; 4] = [
        TokenOrigin::Session,
        TokenOrigin::Admin,
        TokenOrigin::Operator,
        TokenOrigin::Legacy,
    ];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenOrigin::Session => "session",
            TokenOrigin::Admin => "admin",
            TokenOrigin::Operator => "operator",
            TokenOrigin::Legacy => "legacy",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|o| o.as_str() == text)
            .ok_or_else(|| format!("'{text}' is not a token origin"))
    }
}

/// A token to record: its name, role and the SHA-256 of the token text.
#[derive(Clone, PartialEq, Eq)]
pub struct NewApiToken {
    /// A unique name (one line, at most 64 bytes).
    pub name: String,
    /// The role it grants: the account's role (for a new API-only account, its role).
    pub role: TokenRole,
    /// The account it belongs to; `None` creates an API-only account named `token-<name>`
    /// with `role` in the same transaction.
    pub account_id: Option<u64>,
    /// SHA-256 of the token as presented by clients.
    pub token_sha256: [u8; 32],
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working (after `created_at`).
    pub expires_at: Timestamp,
    /// How it came into being.
    pub origin: TokenOrigin,
    /// Who issued it (the audit actor).
    pub issued_by: Actor,
}

impl fmt::Debug for NewApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewApiToken")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("account_id", &self.account_id)
            .field("created_at", &self.created_at)
            .field("expires_at", &self.expires_at)
            .field("origin", &self.origin)
            .field("issued_by", &self.issued_by)
            .finish_non_exhaustive()
    }
}

/// A stored token (without its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    /// Its id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// The role it grants (its account's role).
    pub role: TokenRole,
    /// Its account.
    pub account_id: u64,
    /// Its account's user name.
    pub account: String,
    /// When it was issued.
    pub created_at: Timestamp,
    /// When it stops working.
    pub expires_at: Timestamp,
    /// When it was revoked.
    pub revoked_at: Option<Timestamp>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<Timestamp>,
    /// How it came into being.
    pub origin: TokenOrigin,
    /// Who issued it (an audit actor; `unrecorded` for legacy tokens).
    pub issued_by: String,
}

impl ApiToken {
    /// Whether it works at `now`: neither revoked nor expired (its account may still be
    /// disabled, which [`Store::verify_token`] also checks).
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && now < self.expires_at
    }
}

const COLUMNS: &str = "t.id, t.name, a.role, t.account_id, a.username, t.created_at_us, \
     t.expires_at_us, t.revoked_at_us, t.last_used_at_us, t.origin, t.issued_by";
const FROM: &str = "api_tokens t JOIN accounts a ON a.id = t.account_id";

fn from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    const T: &str = "api_tokens";
    let id: i64 = get(row, T, "id", &"?")?;
    let key = &id as &(dyn fmt::Display + Sync);
    let role: String = get(row, T, "role", key)?;
    let origin: String = get(row, T, "origin", key)?;
    Ok(ApiToken {
        id: u64::try_from(id).unwrap_or(0),
        name: get(row, T, "name", key)?,
        role: parse_col(&role, TokenRole::parse, T, "role", key)?,
        account_id: u64::try_from(get::<i64>(row, T, "account_id", key)?).unwrap_or(0),
        account: get(row, T, "username", key)?,
        created_at: get_ts(row, T, "created_at_us", key)?,
        expires_at: get_ts(row, T, "expires_at_us", key)?,
        revoked_at: get_opt_ts(row, T, "revoked_at_us", key)?,
        last_used_at: get_opt_ts(row, T, "last_used_at_us", key)?,
        origin: parse_col(&origin, TokenOrigin::parse, T, "origin", key)?,
        issued_by: get(row, T, "issued_by", key)?,
    })
}

async fn by_id(conn: &mut AnyConnection, id: u64) -> Result<ApiToken, StoreError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM {FROM} WHERE t.id = $1"
    )))
    .bind(i64::try_from(id).unwrap_or(i64::MAX))
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::db("reading an API token"))?;
    match row {
        Some(row) => from_row(&row),
        None => Err(StoreError::NotFound {
            what: "API token",
            key: id.to_string(),
        }),
    }
}

impl Tx {
    /// Records a new API token. A name or hash already in use is a [`StoreError::Conflict`].
    pub async fn create_api_token(&mut self, t: &NewApiToken) -> Result<ApiToken, StoreError> {
        let r = self.create_api_token_inner(t).await;
        self.track(r)
    }

    async fn create_api_token_inner(&mut self, t: &NewApiToken) -> Result<ApiToken, StoreError> {
        check_line("API token name", &t.name, 64)?;
        if t.expires_at <= t.created_at {
            return Err(StoreError::invalid(
                "API token expiry",
                "it must be later than the time the token is issued",
            ));
        }
        let account_id = match t.account_id {
            Some(id) => id,
            None => {
                let account = self
                    .create_account(&crate::accounts::NewAccount {
                        username: format!("token-{}", t.name),
                        display_name: t.name.clone(),
                        role: t.role.clone(),
                        password_phc: None,
                        totp_secret: None,
                        recovery_codes: Vec::new(),
                        created_at: t.created_at,
                    })
                    .await?;
                account.id
            }
        };
        let row = sqlx::query(
            "INSERT INTO api_tokens (id, name, role, token_sha256, created_at_us, account_id, \
             expires_at_us, origin, issued_by) \
             SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8 FROM api_tokens \
             RETURNING id",
        )
        .bind(&t.name)
        .bind(t.role.as_str())
        .bind(hex::encode(t.token_sha256))
        .bind(us(t.created_at))
        .bind(i64::try_from(account_id).unwrap_or(i64::MAX))
        .bind(us(t.expires_at))
        .bind(t.origin.as_str())
        .bind(t.issued_by.as_str())
        .fetch_one(self.conn())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "API token",
                    key: t.name.clone(),
                    reason: "a token with this name or value already exists (or another was \
                             created at the same moment: try again)"
                        .to_owned(),
                }
            } else {
                StoreError::Database {
                    op: "recording an API token",
                    source: e,
                }
            }
        })?;
        let id: i64 = get(&row, "api_tokens", "id", &"(new)")?;
        by_id(self.conn(), u64::try_from(id).unwrap_or(0)).await
    }

    /// Token `id` (live or not), read within this unit of work.
    pub async fn api_token(&mut self, id: u64) -> Result<ApiToken, StoreError> {
        let r = by_id(self.conn(), id).await;
        self.track(r)
    }

    /// Revokes token `id` at `at` (revoking twice keeps the first time).
    pub async fn revoke_api_token(
        &mut self,
        id: u64,
        at: Timestamp,
    ) -> Result<ApiToken, StoreError> {
        let r = self.revoke_inner(id, at).await;
        self.track(r)
    }

    async fn revoke_inner(&mut self, id: u64, at: Timestamp) -> Result<ApiToken, StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET revoked_at_us = $2 WHERE id = $1 AND revoked_at_us IS NULL",
        )
        .bind(i64::try_from(id).unwrap_or(i64::MAX))
        .bind(us(at))
        .execute(self.conn())
        .await
        .map_err(StoreError::db("revoking an API token"))?;
        by_id(self.conn(), id).await
    }
}

impl Store {
    /// The live token whose SHA-256 is `token_sha256`, or `None` (unknown, revoked, expired,
    /// or its account disabled). Notes the use at `now` (at most once a minute per token).
    pub async fn verify_token(
        &self,
        token_sha256: &[u8; 32],
        now: Timestamp,
    ) -> Result<Option<ApiToken>, StoreError> {
        let op = "checking an API token";
        self.timed(op, async {
            let hash = hex::encode(token_sha256);
            let token = {
                let mut conn = self.conn(op).await?;
                let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM {FROM} WHERE t.token_sha256 = $1 \
                     AND t.revoked_at_us IS NULL AND t.expires_at_us > $2 \
                     AND a.disabled_at_us IS NULL"
                )))
                .bind(&hash)
                .bind(us(now))
                .fetch_optional(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
                match row {
                    Some(row) => from_row(&row)?,
                    None => return Ok(None),
                }
            };
            let now_us = us(now);
            let stale = token
                .last_used_at
                .is_none_or(|t| us(t).saturating_add(LAST_USED_RESOLUTION_US) <= now_us);
            if !stale {
                return Ok(Some(token));
            }
            let mut tx = self.begin().await?;
            sqlx::query(
                "UPDATE api_tokens SET last_used_at_us = $2 WHERE id = $1 \
                 AND revoked_at_us IS NULL \
                 AND (last_used_at_us IS NULL OR last_used_at_us < $2)",
            )
            .bind(i64::try_from(token.id).unwrap_or(i64::MAX))
            .bind(now_us)
            .execute(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            let token = by_id(tx.conn(), token.id).await?;
            tx.commit().await?;
            Ok(token.is_live(now).then_some(token))
        })
        .await
    }

    /// How many tokens `issued_by` issued that still work at `now` (neither revoked nor
    /// expired), so that the server can bound them.
    pub async fn live_tokens_issued_by(
        &self,
        issued_by: &Actor,
        now: Timestamp,
    ) -> Result<u64, StoreError> {
        let op = "counting live API tokens";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM api_tokens WHERE issued_by = $1 \
                 AND revoked_at_us IS NULL AND expires_at_us > $2",
            )
            .bind(issued_by.as_str())
            .bind(us(now))
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            Ok(u64::try_from(n).unwrap_or(0))
        })
        .await
    }

    /// Token `id` (live or not).
    pub async fn api_token(&self, id: u64) -> Result<ApiToken, StoreError> {
        let op = "reading an API token";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            by_id(&mut conn, id).await
        })
        .await
    }

    /// The tokens of account `account_id` (live, revoked and expired), newest first.
    pub async fn api_tokens_of(
        &self,
        account_id: u64,
        page: Page,
    ) -> Result<Paged<ApiToken>, StoreError> {
        let op = "listing an account's API tokens";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM {FROM} WHERE t.account_id = $1 \
                 ORDER BY t.id DESC LIMIT $2 OFFSET $3"
            )))
            .bind(i64::try_from(account_id).unwrap_or(i64::MAX))
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }

    /// Every token (live, revoked and expired), by id.
    pub async fn api_tokens(&self, page: Page) -> Result<Paged<ApiToken>, StoreError> {
        let op = "listing API tokens";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM {FROM} ORDER BY t.id LIMIT $1 OFFSET $2"
            )))
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows.iter().map(from_row).collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }
}

//! What this node saw of each peer: last contact, last error, clock skew (for `cp247 doctor`).

use std::fmt;

use cp247_domain::PartyCode;
use jiff::Timestamp;
use sqlx::any::AnyRow;

use crate::codec::{bounded_text, get, get_opt_ts, get_ts, parse_col, us};
use crate::error::StoreError;
use crate::options::{Page, Paged};
use crate::store::Store;

/// What this node saw of one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerState {
    /// The peer.
    pub party: PartyCode,
    /// The last successful exchange.
    pub last_contact_at: Option<Timestamp>,
    /// The last error, in words.
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_at: Option<Timestamp>,
    /// The peer's clock minus ours, in milliseconds, at the last contact.
    pub clock_skew_ms: Option<i64>,
    /// When this record last changed.
    pub updated_at: Timestamp,
}

const COLUMNS: &str =
    "party, last_contact_at_us, last_error, last_error_at_us, clock_skew_ms, updated_at_us";

fn from_row(row: &AnyRow) -> Result<PeerState, StoreError> {
    const T: &str = "peer_state";
    let party: String = get(row, T, "party", &"?")?;
    let key = &party as &(dyn fmt::Display + Sync);
    Ok(PeerState {
        party: parse_col(&party, PartyCode::parse, T, "party", key)?,
        last_contact_at: get_opt_ts(row, T, "last_contact_at_us", key)?,
        last_error: get(row, T, "last_error", key)?,
        last_error_at: get_opt_ts(row, T, "last_error_at_us", key)?,
        clock_skew_ms: get(row, T, "clock_skew_ms", key)?,
        updated_at: get_ts(row, T, "updated_at_us", key)?,
    })
}

impl Store {
    /// Records a successful exchange with `party` at `at`, and the clock skew seen, if known.
    pub async fn record_peer_contact(
        &self,
        party: PartyCode,
        at: Timestamp,
        clock_skew_ms: Option<i64>,
    ) -> Result<(), StoreError> {
        let op = "recording a peer contact";
        self.timed(op, async {
            let mut tx = self.begin().await?;
            sqlx::query(
                "INSERT INTO peer_state (party, last_contact_at_us, clock_skew_ms, \
                 updated_at_us) VALUES ($1, $2, $3, $2) \
                 ON CONFLICT (party) DO UPDATE SET last_contact_at_us = excluded.last_contact_at_us, \
                 clock_skew_ms = COALESCE(excluded.clock_skew_ms, peer_state.clock_skew_ms), \
                 updated_at_us = excluded.updated_at_us",
            )
            .bind(party.as_str())
            .bind(us(at))
            .bind(clock_skew_ms)
            .execute(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            tx.commit().await
        })
        .await
    }

    /// Records a failed exchange with `party` at `at` (the error in words, cut to the
    /// configured length).
    pub async fn record_peer_error(
        &self,
        party: PartyCode,
        at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let op = "recording a peer error";
        let error = bounded_text(error, self.options().max_error_text);
        self.timed(op, async {
            let mut tx = self.begin().await?;
            sqlx::query(
                "INSERT INTO peer_state (party, last_error, last_error_at_us, updated_at_us) \
                 VALUES ($1, $2, $3, $3) \
                 ON CONFLICT (party) DO UPDATE SET last_error = excluded.last_error, \
                 last_error_at_us = excluded.last_error_at_us, \
                 updated_at_us = excluded.updated_at_us",
            )
            .bind(party.as_str())
            .bind(&error)
            .bind(us(at))
            .execute(tx.conn())
            .await
            .map_err(StoreError::db(op))?;
            tx.commit().await
        })
        .await
    }

    /// What this node saw of `party`, if anything.
    pub async fn peer_state(&self, party: PartyCode) -> Result<Option<PeerState>, StoreError> {
        let op = "reading a peer's state";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM peer_state WHERE party = $1"
            )))
            .bind(party.as_str())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            row.as_ref().map(from_row).transpose()
        })
        .await
    }

    /// Every peer seen, by Party code.
    pub async fn peer_states(&self, page: Page) -> Result<Paged<PeerState>, StoreError> {
        let op = "listing peers' states";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM peer_state ORDER BY party LIMIT $1 OFFSET $2"
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

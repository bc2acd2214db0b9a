//! The audit log: append-only and hash-chained.
//!
//! Each entry's `hash` is SHA-256 over a canonical encoding of the entry and the previous
//! entry's hash ([`entry_hash`]); the first entry follows [`GENESIS_HASH`]. The database
//! refuses UPDATE and DELETE on the log and its checkpoints (triggers), refuses an entry that
//! does not follow the head, and lets the head only advance. [`Store::verify_chain`] still
//! checks everything, so a change made with the triggers removed is found and named.
//!
//! The node signs the head periodically (with cp247-seal, outside this crate) and stores the
//! armored signature as a [`Checkpoint`]; it carries the current head in each receipt it
//! issues, so peers hold [`Anchor`]s too.

use std::collections::BTreeSet;
use std::fmt;

use cp247_domain::{Address, TicketId};
use jiff::Timestamp;
use sha2::{Digest, Sha256};
use sqlx::AnyConnection;
use sqlx::any::AnyRow;

use crate::codec::{self, check_line, get, get_ts, parse_col, us};
use crate::error::{StoreError, check_size};
use crate::options::{Page, Paged};
use crate::store::{Store, Tx};

/// The `prev_hash` of the first entry: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A ticket or message was created.
    Create,
    /// Someone looked at a ticket or message.
    View,
    /// A message was queued for a peer.
    Send,
    /// A peer's signed receipt for our message was stored.
    Deliver,
    /// A message was given up as undeliverable.
    DeliveryFailed,
    /// A message from a peer was accepted.
    Receive,
    /// A message from a peer was refused (bad signature, unknown sender, …).
    Reject,
    /// A request was acknowledged.
    Acknowledge,
    /// A reply was sent.
    Reply,
    /// Data left the node by export.
    Export,
    /// A person signed in.
    SignIn,
    /// A person signed out.
    SignOut,
    /// An API token was issued.
    TokenIssue,
    /// An API token was revoked.
    TokenRevoke,
    /// A new network directory was accepted.
    DirectoryAccept,
    /// A checkpoint of the chain head was signed.
    Checkpoint,
    /// A deadline reminder of a case fired.
    Remind,
    /// An unacknowledged urgent request was escalated to the other contact point.
    Escalate,
    /// A case with its outcome was closed.
    Close,
    /// An account was created, disabled, or had its second factor reset.
    AccountChange,
}

impl AuditAction {
    /// Every action.
    pub const ALL: [AuditAction; 20] = [
        AuditAction::Create,
        AuditAction::View,
        AuditAction::Send,
        AuditAction::Deliver,
        AuditAction::DeliveryFailed,
        AuditAction::Receive,
        AuditAction::Reject,
        AuditAction::Acknowledge,
        AuditAction::Reply,
        AuditAction::Export,
        AuditAction::SignIn,
        AuditAction::SignOut,
        AuditAction::TokenIssue,
        AuditAction::TokenRevoke,
        AuditAction::DirectoryAccept,
        AuditAction::Checkpoint,
        AuditAction::Remind,
        AuditAction::Escalate,
        AuditAction::Close,
        AuditAction::AccountChange,
    ];

    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditAction::Create => "create",
            AuditAction::View => "view",
            AuditAction::Send => "send",
            AuditAction::Deliver => "deliver",
            AuditAction::DeliveryFailed => "delivery_failed",
            AuditAction::Receive => "receive",
            AuditAction::Reject => "reject",
            AuditAction::Acknowledge => "acknowledge",
            AuditAction::Reply => "reply",
            AuditAction::Export => "export",
            AuditAction::SignIn => "sign_in",
            AuditAction::SignOut => "sign_out",
            AuditAction::TokenIssue => "token_issue",
            AuditAction::TokenRevoke => "token_revoke",
            AuditAction::AccountChange => "account_change",
            AuditAction::DirectoryAccept => "directory_accept",
            AuditAction::Checkpoint => "checkpoint",
            AuditAction::Remind => "remind",
            AuditAction::Escalate => "escalate",
            AuditAction::Close => "close",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|a| a.as_str() == text)
            .ok_or_else(|| format!("'{text}' is not an audit action"))
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditResult {
    /// Done.
    Ok,
    /// Refused by policy or authorisation.
    Denied,
    /// Tried and failed.
    Failed,
}

impl AuditResult {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditResult::Ok => "ok",
            AuditResult::Denied => "denied",
            AuditResult::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Result<Self, String> {
        match text {
            "ok" => Ok(AuditResult::Ok),
            "denied" => Ok(AuditResult::Denied),
            "failed" => Ok(AuditResult::Failed),
            other => Err(format!("'{other}' is not an audit result")),
        }
    }
}

/// Who acted: `node`, `peer:FR/primary`, `token:NAME`, `user:NAME`. One line, at most 200
/// bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Actor(String);

impl Actor {
    /// This node itself (its workers and timers).
    pub fn node() -> Self {
        Self("node".to_owned())
    }

    /// A peer's contact point, as authenticated by its signature.
    pub fn peer(address: Address) -> Self {
        Self(format!("peer:{address}"))
    }

    /// A holder of the API token named `name`.
    pub fn token(name: &str) -> Result<Self, StoreError> {
        Self::parse(&format!("token:{name}"))
    }

    /// A person signed in as `name`.
    pub fn user(name: &str) -> Result<Self, StoreError> {
        Self::parse(&format!("user:{name}"))
    }

    /// Parses a stored actor.
    pub fn parse(text: &str) -> Result<Self, StoreError> {
        check_line("audit actor", text, 200)?;
        Ok(Self(text.to_owned()))
    }

    /// The actor as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An entry to append. `details` is JSON with ids, counts, hashes and reasons — never case
/// plaintext.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// Which ticket, if any.
    pub ticket: Option<TicketId>,
    /// How it ended.
    pub result: AuditResult,
    /// Ids and facts, as JSON.
    pub details: serde_json::Value,
    /// When (kept to the microsecond).
    pub at: Timestamp,
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its position, from 1, without gaps.
    pub seq: u64,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub actor: Actor,
    /// What.
    pub action: AuditAction,
    /// Which ticket.
    pub ticket: Option<TicketId>,
    /// How it ended.
    pub result: AuditResult,
    /// The details JSON, exactly as hashed.
    pub details: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

/// The newest entry of the chain (seq 0 and [`GENESIS_HASH`] when it is empty).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AuditHead {
    /// Its sequence number.
    pub seq: u64,
    /// Its hash.
    pub hash: String,
}

/// A signed checkpoint of the chain head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The head's sequence number.
    pub seq: u64,
    /// The head's hash.
    pub head_hash: String,
    /// The node's armored OpenPGP signature over [`checkpoint_signing_text`].
    pub signature: String,
    /// When it was signed.
    pub signed_at: Timestamp,
}

impl AuditHead {
    /// The head as receipts carry it: `SEQ:HASH`.
    pub fn receipt_text(&self) -> String {
        format!("{}:{}", self.seq, self.hash)
    }

    /// Parses the `SEQ:HASH` text a receipt carries (a decimal sequence number of at least 1,
    /// a colon, 64 lower-case hexadecimal digits).
    pub fn parse_receipt_text(text: &str) -> Result<Self, String> {
        let shown: String = text.chars().take(80).collect();
        let (seq, hash) = text
            .split_once(':')
            .ok_or_else(|| format!("'{shown}' is not an audit head: expected SEQ:HASH"))?;
        if seq.is_empty() || seq.len() > 19 || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "'{shown}' is not an audit head: the sequence number is not a whole number"
            ));
        }
        let seq: u64 = seq.parse().map_err(|_| {
            format!("'{shown}' is not an audit head: the sequence number is too large")
        })?;
        if seq == 0 {
            return Err(format!(
                "'{shown}' is not an audit head: sequence numbers start at 1"
            ));
        }
        if !is_hex64(hash) {
            return Err(format!(
                "'{shown}' is not an audit head: the hash is not 64 lower-case hexadecimal digits"
            ));
        }
        Ok(Self {
            seq,
            hash: hash.to_owned(),
        })
    }
}

/// Where a trusted (seq, hash) pair comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AnchorSource {
    /// A signed checkpoint in this database (its signature is checked by the caller).
    Checkpoint,
    /// A head hash a peer holds from one of our receipts, described in words (which peer,
    /// which receipt or file).
    Peer(String),
    /// The `audit_head` row of this database.
    Head,
}

impl fmt::Display for AnchorSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AnchorSource::Checkpoint => f.write_str("the node's signed checkpoint"),
            AnchorSource::Peer(what) => write!(f, "the anchor {what}"),
            AnchorSource::Head => f.write_str("the database's chain-head row"),
        }
    }
}

/// A (seq, hash) pair the chain must contain.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Anchor {
    /// The sequence number.
    pub seq: u64,
    /// The hash the entry at `seq` must have.
    pub hash: String,
    /// Where the pair comes from.
    pub source: AnchorSource,
}

/// One thing [`Store::verify_chain`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainFault {
    /// The entry's content no longer matches its own hash: it was altered.
    #[error("audit entry {seq} was altered: its content does not match its hash")]
    Altered {
        /// The entry.
        seq: u64,
    },
    /// The entry is intact but stands where another entry stood: it was moved from `from`.
    #[error("audit entry {seq} was moved: it was written as entry {from}")]
    Reordered {
        /// Where it is now.
        seq: u64,
        /// Where it was written.
        from: u64,
    },
    /// The entry is intact but does not follow the entry before it: that one was altered and
    /// re-hashed, or replaced.
    #[error(
        "audit entry {seq} does not follow entry {}: the earlier entry was altered or replaced",
        .seq - 1
    )]
    LinkBroken {
        /// The entry whose link is broken.
        seq: u64,
    },
    /// Entries are missing from the middle of the chain.
    #[error("audit entries {first} to {last} are missing: they were removed")]
    Missing {
        /// The first missing.
        first: u64,
        /// The last missing.
        last: u64,
    },
    /// The chain ends before an anchor: entries were removed from its end.
    #[error(
        "the audit log ends at entry {last}, but {by} vouches for entry {anchor}: the log \
         was truncated"
    )]
    Truncated {
        /// The last entry present.
        last: u64,
        /// The anchor's entry.
        anchor: u64,
        /// The anchor.
        by: AnchorSource,
    },
    /// A checkpoint entry of the chain has no signed checkpoint: the signature row was removed
    /// (typically with the chain rewritten and rehashed, which only the checkpoint's signature
    /// would have shown).
    #[error(
        "audit entry {seq} is a checkpoint entry, but no signed checkpoint is stored for it: \
         the signed checkpoint was removed, and the entries before it may have been rewritten"
    )]
    CheckpointMissing {
        /// The checkpoint entry.
        seq: u64,
    },
    /// A signed checkpoint is stored for an entry that is not a checkpoint entry: the node
    /// signs only its own checkpoint entries, so the entry or the checkpoint was replaced.
    #[error(
        "a signed checkpoint is stored for audit entry {seq}, which is not a checkpoint entry: \
         the entry or the checkpoint was replaced"
    )]
    CheckpointExtra {
        /// The entry the checkpoint names.
        seq: u64,
    },
    /// The entry at an anchor's seq has another hash.
    #[error(
        "audit entry {seq} differs from what {by} vouches for: its hash is {found}, the anchor \
         says {expected}"
    )]
    AnchorMismatch {
        /// The entry.
        seq: u64,
        /// The anchor.
        by: AnchorSource,
        /// The entry's stored hash.
        found: String,
        /// The hash the anchor names.
        expected: String,
    },
}

/// What [`Store::verify_chain`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    /// Entries read.
    pub entries: u64,
    /// The last entry read (seq 0 and [`GENESIS_HASH`] for an empty log).
    pub last: AuditHead,
    /// Anchors checked (given, checkpoints, and the head row).
    pub anchors_checked: usize,
    /// Everything wrong, in chain order (at most 1 000).
    pub faults: Vec<ChainFault>,
}

impl ChainReport {
    /// True when nothing is wrong.
    pub fn is_intact(&self) -> bool {
        self.faults.is_empty()
    }
}

const MAX_FAULTS: usize = 1000;
const VERIFY_PAGE: i64 = 1000;

/// Appends `field` as a netstring: its length in bytes in decimal, `:`, the bytes, `,`.
fn netstring(out: &mut Vec<u8>, field: &[u8]) {
    out.extend_from_slice(field.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(field);
    out.push(b',');
}

/// The hash of an entry: hex SHA-256 over the netstrings of `cp247-audit-v1`, seq, at (unix
/// microseconds), actor, action, ticket (empty when none), result, details and `prev_hash`,
/// concatenated. Anyone can recompute it from an export without cp247.
#[allow(clippy::too_many_arguments)] // one argument per hashed field, in hashing order
pub fn entry_hash(
    seq: u64,
    at_us: i64,
    actor: &str,
    action: &str,
    ticket: Option<&str>,
    result: &str,
    details: &str,
    prev_hash: &str,
) -> String {
    let mut buf = Vec::with_capacity(256 + details.len());
    netstring(&mut buf, b"cp247-audit-v1");
    netstring(&mut buf, seq.to_string().as_bytes());
    netstring(&mut buf, at_us.to_string().as_bytes());
    netstring(&mut buf, actor.as_bytes());
    netstring(&mut buf, action.as_bytes());
    netstring(&mut buf, ticket.unwrap_or("").as_bytes());
    netstring(&mut buf, result.as_bytes());
    netstring(&mut buf, details.as_bytes());
    netstring(&mut buf, prev_hash.as_bytes());
    hex::encode(Sha256::digest(&buf))
}

/// The text the node signs for a checkpoint of entry `seq` with hash `hash`.
pub fn checkpoint_signing_text(seq: u64, hash: &str) -> String {
    format!("cp247-audit-checkpoint-v1\nseq: {seq}\nhash: {hash}\n")
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

const COLUMNS: &str = "seq, at_us, actor, action, ticket_id, result, details, prev_hash, hash";

fn from_row(row: &AnyRow) -> Result<AuditEntry, StoreError> {
    const T: &str = "audit_log";
    let seq: i64 = get(row, T, "seq", &"?")?;
    let key = &seq as &(dyn fmt::Display + Sync);
    let actor: String = get(row, T, "actor", key)?;
    let action: String = get(row, T, "action", key)?;
    let ticket: Option<String> = get(row, T, "ticket_id", key)?;
    let result: String = get(row, T, "result", key)?;
    Ok(AuditEntry {
        seq: u64::try_from(seq)
            .map_err(|_| StoreError::corrupt(T, "seq", seq.to_string(), "negative"))?,
        at: get_ts(row, T, "at_us", key)?,
        actor: parse_col(&actor, Actor::parse, T, "actor", key)?,
        action: parse_col(&action, AuditAction::parse, T, "action", key)?,
        ticket: ticket
            .map(|t| parse_col(&t, TicketId::parse, T, "ticket_id", key))
            .transpose()?,
        result: parse_col(&result, AuditResult::parse, T, "result", key)?,
        details: get(row, T, "details", key)?,
        prev_hash: get(row, T, "prev_hash", key)?,
        hash: get(row, T, "hash", key)?,
    })
}

/// The entry's own hash, recomputed from its stored fields as if it stood at `seq`.
fn recompute(e: &AuditEntry, seq: u64) -> String {
    entry_hash(
        seq,
        us(e.at),
        e.actor.as_str(),
        e.action.as_str(),
        e.ticket.as_ref().map(TicketId::as_str),
        e.result.as_str(),
        &e.details,
        &e.prev_hash,
    )
}

async fn head_in(conn: &mut AnyConnection) -> Result<AuditHead, StoreError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut *conn)
        .await
        .map_err(StoreError::db("reading the audit head"))?
        .ok_or_else(|| StoreError::corrupt("audit_head", "id", "1", "the head row is missing"))?;
    let seq: i64 = get(&row, "audit_head", "seq", &1)?;
    Ok(AuditHead {
        seq: u64::try_from(seq).unwrap_or(0),
        hash: get(&row, "audit_head", "hash", &1)?,
    })
}

impl Tx {
    /// Appends `record` to the audit chain in this unit of work and returns the entry. On
    /// PostgreSQL this locks the chain head until commit, so appends are totally ordered: make it
    /// the last step of a unit of work, so that the lock is held briefly and every unit of work
    /// takes its row locks in the same order (ticket, message, outbox, then audit).
    pub async fn append_audit(&mut self, record: &AuditRecord) -> Result<AuditEntry, StoreError> {
        let r = self.append_audit_inner(record).await;
        self.track(r)
    }

    async fn append_audit_inner(&mut self, r: &AuditRecord) -> Result<AuditEntry, StoreError> {
        let details = serde_json::to_string(&r.details)
            .map_err(|e| StoreError::invalid("audit details", e.to_string()))?;
        check_size(
            "the audit details",
            details.len(),
            self.store.options().max_audit_details_bytes,
        )?;
        let at = codec::truncate_to_micros(r.at);
        // A no-op update takes the head's row lock (PostgreSQL) inside this transaction.
        let row = sqlx::query("UPDATE audit_head SET seq = seq WHERE id = 1 RETURNING seq, hash")
            .fetch_optional(self.conn())
            .await
            .map_err(StoreError::db("locking the audit head"))?
            .ok_or_else(|| {
                StoreError::corrupt("audit_head", "id", "1", "the head row is missing")
            })?;
        let head_seq: i64 = get(&row, "audit_head", "seq", &1)?;
        let prev_hash: String = get(&row, "audit_head", "hash", &1)?;
        let seq = u64::try_from(head_seq).unwrap_or(0).saturating_add(1);
        let ticket = r.ticket.as_ref().map(|t| t.as_str().to_owned());
        let hash = entry_hash(
            seq,
            us(at),
            r.actor.as_str(),
            r.action.as_str(),
            ticket.as_deref(),
            r.result.as_str(),
            &details,
            &prev_hash,
        );
        sqlx::query(
            "INSERT INTO audit_log (seq, at_us, actor, action, ticket_id, result, details, \
             prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(seq_i64(seq))
        .bind(us(at))
        .bind(r.actor.as_str())
        .bind(r.action.as_str())
        .bind(ticket)
        .bind(r.result.as_str())
        .bind(&details)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(self.conn())
        .await
        .map_err(StoreError::db("appending to the audit log"))?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq_i64(seq))
            .bind(&hash)
            .execute(self.conn())
            .await
            .map_err(StoreError::db("advancing the audit head"))?;
        Ok(AuditEntry {
            seq,
            at,
            actor: r.actor.clone(),
            action: r.action,
            ticket: r.ticket.clone(),
            result: r.result,
            details,
            prev_hash,
            hash,
        })
    }

    /// Stores a signed checkpoint of the chain (its `seq`/`head_hash` must be an entry of the
    /// chain; the signature is made and checked by the caller with cp247-seal).
    pub async fn record_checkpoint(&mut self, c: &Checkpoint) -> Result<(), StoreError> {
        let r = self.record_checkpoint_inner(c).await;
        self.track(r)
    }

    async fn record_checkpoint_inner(&mut self, c: &Checkpoint) -> Result<(), StoreError> {
        if !is_hex64(&c.head_hash) {
            return Err(StoreError::invalid(
                "checkpoint hash",
                "it is not 64 lower-case hexadecimal digits",
            ));
        }
        check_size("the checkpoint signature", c.signature.len(), 64 * 1024)?;
        let stored: Option<String> =
            sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
                .bind(seq_i64(c.seq))
                .fetch_optional(self.conn())
                .await
                .map_err(StoreError::db("reading an audit entry"))?;
        if stored.as_deref() != Some(c.head_hash.as_str()) {
            return Err(StoreError::invalid(
                "checkpoint",
                format!("audit entry {} does not have the hash it names", c.seq),
            ));
        }
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, head_hash, signature, signed_at_us) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(seq_i64(c.seq))
        .bind(&c.head_hash)
        .bind(&c.signature)
        .bind(us(c.signed_at))
        .execute(self.conn())
        .await
        .map_err(|e| {
            if crate::error::is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "checkpoint",
                    key: c.seq.to_string(),
                    reason: "this entry already has a checkpoint".to_owned(),
                }
            } else {
                StoreError::Database {
                    op: "storing a checkpoint",
                    source: e,
                }
            }
        })?;
        Ok(())
    }

    /// The chain head as this unit of work sees it.
    pub async fn audit_head(&mut self) -> Result<AuditHead, StoreError> {
        head_in(self.conn()).await
    }
}

impl Store {
    /// Appends one audit record in a unit of work of its own (for actions that change nothing
    /// else, such as a view or a refused message).
    pub async fn append_audit(&self, record: &AuditRecord) -> Result<AuditEntry, StoreError> {
        self.timed("appending to the audit log", async {
            let mut tx = self.begin().await?;
            let entry = tx.append_audit(record).await?;
            tx.commit().await?;
            Ok(entry)
        })
        .await
    }

    /// The newest entry of the chain: what receipts carry and checkpoints sign.
    pub async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        let op = "reading the audit head";
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            head_in(&mut conn).await
        })
        .await
    }

    /// Entries with `seq` greater than `after`, in order (for export and display).
    pub async fn audit_entries(
        &self,
        after: u64,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let op = "reading the audit log";
        let limit = i64::from(limit.clamp(1, self.options().max_page));
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            )))
            .bind(seq_i64(after))
            .bind(limit)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            rows.iter().map(from_row).collect()
        })
        .await
    }

    /// The audit entries about `ticket`, oldest first.
    pub async fn audit_for_ticket(
        &self,
        ticket: &TicketId,
        page: Page,
    ) -> Result<Paged<AuditEntry>, StoreError> {
        let op = "reading a ticket's audit entries";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE ticket_id = $1 ORDER BY seq \
                 LIMIT $2 OFFSET $3"
            )))
            .bind(ticket.as_str())
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

    /// [`Tx::record_checkpoint`] in a unit of work of its own.
    pub async fn record_checkpoint(&self, c: &Checkpoint) -> Result<(), StoreError> {
        self.timed("storing a checkpoint", async {
            let mut tx = self.begin().await?;
            tx.record_checkpoint(c).await?;
            tx.commit().await
        })
        .await
    }

    /// The newest checkpoints, newest first.
    pub async fn checkpoints(&self, page: Page) -> Result<Paged<Checkpoint>, StoreError> {
        let op = "reading checkpoints";
        let (limit, offset) = self.page_bounds(page);
        self.timed(op, async {
            let mut conn = self.conn(op).await?;
            let rows = sqlx::query(
                "SELECT seq, head_hash, signature, signed_at_us FROM audit_checkpoints \
                 ORDER BY seq DESC LIMIT $1 OFFSET $2",
            )
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            let items = rows
                .iter()
                .map(checkpoint_from_row)
                .collect::<Result<Vec<_>, _>>()?;
            Ok(crate::store::paged(items, page, limit))
        })
        .await
    }

    /// Walks the whole chain from the first entry and reports every fault: altered, moved,
    /// removed or truncated entries, each named by its sequence number. Checked anchors: the
    /// ones given (e.g. head hashes peers hold from our receipts), every stored checkpoint
    /// (verify their signatures separately), and the head row. Every `checkpoint` entry of the
    /// chain must have a stored checkpoint and every stored checkpoint must name a `checkpoint`
    /// entry, so a chain rewritten and rehashed with its checkpoint rows deleted is still
    /// caught by the checkpoint entries it contains.
    ///
    /// The walk reads pages of 1 000 entries, so memory stays bounded; it is not subject to
    /// the per-operation time limit, since a long chain takes long to read.
    pub async fn verify_chain(&self, anchors: &[Anchor]) -> Result<ChainReport, StoreError> {
        let op = "verifying the audit chain";
        let mut conn = self.conn(op).await?;
        let mut all: Vec<Anchor> = anchors.to_vec();
        let rows =
            sqlx::query("SELECT seq, head_hash, signature, signed_at_us FROM audit_checkpoints")
                .fetch_all(&mut *conn)
                .await
                .map_err(StoreError::db(op))?;
        // The sequence numbers of the stored checkpoints: every checkpoint entry of the chain
        // must have one, and each must name a checkpoint entry.
        let mut signed: BTreeSet<u64> = BTreeSet::new();
        for row in &rows {
            let c = checkpoint_from_row(row)?;
            signed.insert(c.seq);
            all.push(Anchor {
                seq: c.seq,
                hash: c.head_hash,
                source: AnchorSource::Checkpoint,
            });
        }
        let head = head_in(&mut conn).await?;
        if head.seq > 0 {
            all.push(Anchor {
                seq: head.seq,
                hash: head.hash.clone(),
                source: AnchorSource::Head,
            });
        }
        all.sort_by_key(|a| a.seq);

        let mut faults = Vec::new();
        let push = |faults: &mut Vec<ChainFault>, f: ChainFault| {
            if faults.len() < MAX_FAULTS {
                faults.push(f);
            }
        };
        let mut expected: u64 = 1;
        let mut prev_hash = GENESIS_HASH.to_owned();
        let mut entries: u64 = 0;
        let mut last = AuditHead {
            seq: 0,
            hash: GENESIS_HASH.to_owned(),
        };
        let mut anchor_idx = 0;
        let mut prev_faulty = false;
        loop {
            let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
            )))
            .bind(seq_i64(last.seq))
            .bind(VERIFY_PAGE)
            .fetch_all(&mut *conn)
            .await
            .map_err(StoreError::db(op))?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let e = match from_row(row) {
                    Ok(e) => e,
                    Err(_) => {
                        // A field no longer parses: the entry was altered.
                        let seq: i64 = get(row, "audit_log", "seq", &"?")?;
                        let seq = u64::try_from(seq).unwrap_or(0);
                        push(&mut faults, ChainFault::Altered { seq });
                        prev_faulty = true;
                        let hash: String = get(row, "audit_log", "hash", &seq)?;
                        expected = seq.saturating_add(1);
                        prev_hash = hash.clone();
                        last = AuditHead { seq, hash };
                        entries += 1;
                        continue;
                    }
                };
                let mut after_gap = false;
                if e.seq > expected {
                    push(
                        &mut faults,
                        ChainFault::Missing {
                            first: expected,
                            last: e.seq - 1,
                        },
                    );
                    after_gap = true;
                }
                let faulty = if recompute(&e, e.seq) != e.hash {
                    // Intact content written at another position, or altered content?
                    match origin_of(&e) {
                        Some(from) => push(&mut faults, ChainFault::Reordered { seq: e.seq, from }),
                        None => push(&mut faults, ChainFault::Altered { seq: e.seq }),
                    }
                    true
                } else {
                    // After a gap or a faulty entry the link is already reported as such.
                    if e.prev_hash != prev_hash && !after_gap && !prev_faulty {
                        push(&mut faults, ChainFault::LinkBroken { seq: e.seq });
                    }
                    false
                };
                prev_faulty = faulty;
                let is_checkpoint_entry = e.action == AuditAction::Checkpoint;
                match (is_checkpoint_entry, signed.contains(&e.seq)) {
                    (true, false) => {
                        push(&mut faults, ChainFault::CheckpointMissing { seq: e.seq })
                    }
                    (false, true) => push(&mut faults, ChainFault::CheckpointExtra { seq: e.seq }),
                    (true, true) | (false, false) => {}
                }
                while let Some(a) = all.get(anchor_idx).filter(|a| a.seq <= e.seq) {
                    if a.seq == e.seq && a.hash != e.hash {
                        push(
                            &mut faults,
                            ChainFault::AnchorMismatch {
                                seq: e.seq,
                                by: a.source.clone(),
                                found: e.hash.clone(),
                                expected: a.hash.clone(),
                            },
                        );
                    }
                    anchor_idx += 1;
                }
                entries += 1;
                expected = e.seq.saturating_add(1);
                prev_hash = e.hash.clone();
                last = AuditHead {
                    seq: e.seq,
                    hash: e.hash,
                };
            }
        }
        for a in all.iter().skip(anchor_idx) {
            push(
                &mut faults,
                ChainFault::Truncated {
                    last: last.seq,
                    anchor: a.seq,
                    by: a.source.clone(),
                },
            );
        }
        Ok(ChainReport {
            entries,
            last,
            anchors_checked: all.len(),
            faults,
        })
    }
}

/// How far from its current position [`Store::verify_chain`] looks for the position an
/// intact entry was written at.
const REORDER_WINDOW: u64 = 1000;

/// The position within [`REORDER_WINDOW`] of its current one at which `e`'s stored hash is
/// right, if any: the entry is intact but was moved.
fn origin_of(e: &AuditEntry) -> Option<u64> {
    let low = e.seq.saturating_sub(REORDER_WINDOW).max(1);
    let high = e.seq.saturating_add(REORDER_WINDOW);
    (low..=high).find(|s| *s != e.seq && recompute(e, *s) == e.hash)
}

fn checkpoint_from_row(row: &AnyRow) -> Result<Checkpoint, StoreError> {
    const T: &str = "audit_checkpoints";
    let seq: i64 = get(row, T, "seq", &"?")?;
    let key = &seq as &(dyn fmt::Display + Sync);
    Ok(Checkpoint {
        seq: u64::try_from(seq).unwrap_or(0),
        head_hash: get(row, T, "head_hash", key)?,
        signature: get(row, T, "signature", key)?,
        signed_at: get_ts(row, T, "signed_at_us", key)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_hash_is_stable_and_unambiguous() {
        let h = entry_hash(1, 0, "node", "create", None, "ok", "{}", GENESIS_HASH);
        // Pinned against an independent implementation (a few lines of Python with hashlib):
        // changing the encoding would break every existing chain.
        assert_eq!(
            h,
            "c95b56802e6bfb2a3f1ad3db3c720144c4a27d46ea12b872476a85f5024088ed"
        );
        assert_eq!(
            entry_hash(
                42,
                1_796_241_600_123_456,
                "user:agent",
                "view",
                Some("FR-2026-7K3QZP"),
                "denied",
                "{\"reason\":\"é\"}",
                &"ab".repeat(32)
            ),
            "21408817511b01076b893205074ae0a0bb211bd88672dfeefa36a4a16e7938cd"
        );
        // Moving a byte from one field to the next changes the hash (length prefixes).
        let a = entry_hash(1, 0, "nodec", "reate", None, "ok", "{}", GENESIS_HASH);
        assert_ne!(h, a);
        let b = entry_hash(2, 0, "node", "create", None, "ok", "{}", GENESIS_HASH);
        assert_ne!(h, b);
        let c = entry_hash(1, 0, "node", "create", Some(""), "ok", "{}", GENESIS_HASH);
        assert_eq!(h, c, "no ticket hashes as the empty field");
    }

    #[test]
    fn actions_and_results_round_trip() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()), Ok(a));
        }
        for r in [AuditResult::Ok, AuditResult::Denied, AuditResult::Failed] {
            assert_eq!(AuditResult::parse(r.as_str()), Ok(r));
        }
        assert!(Actor::user("alice\nroot").is_err());
        assert_eq!(
            Actor::peer(cp247_domain::Address::primary(
                cp247_domain::PartyCode::parse("FR").unwrap()
            ))
            .as_str(),
            "peer:FR/primary"
        );
    }

    #[test]
    fn receipt_heads_round_trip_and_refuse_junk() {
        let head = AuditHead {
            seq: 42,
            hash: "ab".repeat(32),
        };
        assert_eq!(
            AuditHead::parse_receipt_text(&head.receipt_text()),
            Ok(head)
        );
        for bad in [
            "",
            "42",
            ":abc",
            &format!("0:{GENESIS_HASH}"),
            &format!("-1:{GENESIS_HASH}"),
            &format!("1:{}", "AB".repeat(32)),
            "1:abc",
            &format!("99999999999999999999:{GENESIS_HASH}"),
        ] {
            let err = AuditHead::parse_receipt_text(bad).unwrap_err();
            assert!(err.contains("is not an audit head"), "{bad}: {err}");
        }
    }

    #[test]
    fn checkpoint_text_names_seq_and_hash() {
        assert_eq!(
            checkpoint_signing_text(7, GENESIS_HASH),
            format!("cp247-audit-checkpoint-v1\nseq: 7\nhash: {GENESIS_HASH}\n")
        );
    }
}

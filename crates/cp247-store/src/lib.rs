//! cp247's durable storage: tickets, messages, the transactional outbox, the de-duplicating
//! inbox, the hash-chained audit log, API tokens, the accepted directory and peer state — on
//! SQLite (the default: one file in the node directory) or PostgreSQL (several processes may
//! share it), from one code base.
//!
//! Only this crate names SQL. Everything else talks to a [`Store`] in domain types
//! (`TicketId`, `MessageId`, `Address`, `Urgency`, `Instant`, `jiff::Timestamp`); rows are mapped
//! by hand and every stored value is parsed back into its domain type, so a damaged row is a
//! clear [`StoreError::Corrupt`], never a panic.
//!
//! # Units of work
//!
//! A business step is one transaction: [`Store::begin`] gives a [`Tx`]; its write methods
//! ([`Tx::create_ticket`], [`Tx::set_ticket_state`], [`Tx::insert_outgoing`],
//! [`Tx::accept_incoming`], [`Tx::append_audit`], …) all join it, and [`Tx::commit`] makes them
//! durable together. Dropping the `Tx` rolls back; if any step failed, `commit` rolls back too
//! and answers [`StoreError::Aborted`].
//!
//! ```no_run
//! # async fn demo(store: cp247_store::Store, ticket: cp247_store::NewTicket,
//! #               message: cp247_store::OutgoingMessage, audit: cp247_store::AuditRecord)
//! #               -> Result<(), cp247_store::StoreError> {
//! let mut tx = store.begin().await?;
//! tx.create_ticket(&ticket).await?;
//! tx.insert_outgoing(&message).await?; // the sealed bytes and the outbox entry
//! tx.append_audit(&audit).await?;
//! tx.commit().await?; // all three, or none
//! # Ok(()) }
//! ```
//!
//! # Delivery
//!
//! Delivery workers (the federation crate) call [`Store::claim_due`], send, then
//! [`Store::mark_delivered`] with the peer's signed receipt, [`Store::mark_retry`] with the next
//! attempt time and the error in words, or [`Store::mark_undeliverable`]. Leases expire, so a
//! crashed worker's entries are claimed again. [`Store::expire_undeliverable`] gives up on
//! entries older than the configured delivery time. [`Store::delivery_status`] and
//! [`Store::deliveries_for_ticket`] show where each message is. The transitions are those of
//! [`DeliveryState::apply`].
//!
//! # Inbox
//!
//! [`Tx::accept_incoming`] stores a verified incoming message, the receipt this node issues,
//! the ticket change and the audit entry in one transaction, keyed on (sender Party, message
//! id): a replay writes nothing and returns [`Accepted::Duplicate`] with the original receipt.
//!
//! # Audit
//!
//! Every entry is chained to the previous one by SHA-256 ([`entry_hash`]); the database refuses
//! UPDATE and DELETE; [`Store::verify_chain`] names every altered, moved, removed or truncated
//! entry, checking given anchors, stored [`Checkpoint`]s and the head. [`Store::audit_head`] is
//! what receipts carry.
//!
//! # Time and limits
//!
//! The store never reads a clock: every method that records a time takes it as an argument
//! (from the caller's `cp247_domain::Clock`). Times are kept as unix microseconds (UTC); an
//! [`cp247_domain::Instant`] also keeps its UTC offset. Sizes are checked at the API against
//! [`StoreOptions`]; every operation has a time limit; lists are paged ([`Page`]).
//!
//! # Portable SQL
//!
//! One SQL text serves both backends through `sqlx::Any` with `$1…$N` placeholders, except
//! where the dialects must differ: the claim query (PostgreSQL adds `FOR UPDATE SKIP LOCKED`),
//! and the migrations (BLOB vs BYTEA, trigger syntax), which come in two small variants checked
//! to produce the same logical schema. See the crate's README for the schema and the rules.
#![warn(missing_docs)]

mod accounts;
mod alerts;
mod audit;
mod cases;
mod codec;
mod directory;
mod error;
mod inbox;
mod messages;
mod migrate;
mod options;
mod outbox;
mod peers;
mod refusals;
mod store;
mod throttles;
mod tickets;
mod tokens;

pub use accounts::{
    Account, AccountSecrets, LiveSession, NewAccount, SessionLimits, SessionStage, WebSession,
};
pub use alerts::{AlertAttempt, AlertClaim, AlertDelivery, MAX_ALERT_BODY, NewAlert, StoredAlert};
pub use audit::{
    Actor, Anchor, AnchorSource, AuditAction, AuditEntry, AuditHead, AuditRecord, AuditResult,
    ChainFault, ChainReport, Checkpoint, GENESIS_HASH, checkpoint_signing_text, entry_hash,
};
pub use cases::{
    CaseEventRow, EscalationDirection, EscalationRecord, FiredReminder, MAX_CHAIN, event_name,
};
pub use codec::truncate_to_micros;
pub use directory::{DirectoryRecord, DirectorySaved};
pub use error::StoreError;
pub use inbox::Accepted;
pub use messages::{
    AttachmentInfo, Direction, IncomingMessage, MessageType, NewAttachment, OutgoingMessage,
    StoredAttachment, StoredMessage,
};
pub use migrate::latest_version;
pub use options::{Backend, Page, Paged, StoreOptions};
pub use outbox::{Claim, DeliveryEvent, DeliveryState, DeliveryStatus, TransitionError, WorkerId};
pub use peers::PeerState;
pub use refusals::{OVERFLOW, RefusalPolicy, RefusalTally, Refused, Tallied};
pub use store::{Diagnostics, Health, Store, Tx};
pub use throttles::{
    Admission, SignInStep, ThrottleAttempt, ThrottlePolicy, ThrottleRow, ThrottleScope,
};
pub use tickets::{
    CaseText, NewTicket, OurRole, Ticket, TicketChange, TicketKind, TicketState, Viewer,
};
pub use tokens::{ApiToken, NewApiToken, TokenOrigin, TokenRole};

#[cfg(test)]
mod send_tests {
    //! Handlers and workers run on a multi-threaded runtime: the store's futures must be Send.
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    #[allow(dead_code)] // only compiled, never run: the check is the type-checking
    async fn futures_are_send(store: Store, mut tx: Tx, w: WorkerId, m: IncomingMessage) {
        let now = jiff::Timestamp::UNIX_EPOCH;
        assert_send(&store.claim_due(None, &w, now, std::time::Duration::ZERO, 1));
        assert_send(&store.verify_chain(&[]));
        assert_send(&store.begin());
        assert_send(&store.health());
        let audit = AuditRecord {
            actor: Actor::node(),
            action: AuditAction::Receive,
            ticket: None,
            result: AuditResult::Ok,
            details: serde_json::Value::Null,
            at: now,
        };
        assert_send(&tx.accept_incoming(&m, &TicketChange::Unchanged, &audit));
        assert_send(&store.accept_incoming(&m, &TicketChange::Unchanged, &audit));
    }
}

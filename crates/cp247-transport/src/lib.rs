//! The seam between a node's case work and the ways its messages travel.
//!
//! Case work (`cp247-casework`) decides what is sent and what a received message does; a
//! transport (`cp247-federation` for node-to-node HTTPS, an e-mail transport for contact
//! points without a node) carries sealed bytes. Neither depends on the other: both depend on
//! this crate, and the node wires them together.
//!
//! - [`Transport`]: sends one sealed message once to one contact point and returns the
//!   evidence it obtained (a verified signed receipt), or why it failed — transiently or for
//!   good. Retries, give-up and recording the outcome are case work's (its outbox).
//! - [`Inbox`]: what a transport hands a message to once it has opened and verified it
//!   (`cp247_seal::Verified`); it answers with the receipt to return, or a [`Refusal`].
//! - [`DirectoryHandle`]: the node's current signed directory, shared by both sides.
//! - [`Refusal`] and [`refusal::CODES`]: the one table of refusal codes and HTTP statuses.
//! - [`Metrics`]: the node's traffic counters.
#![warn(missing_docs)]

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use cp247_directory::{Channel, DirectoryState};
use cp247_domain::{Address, MessageId, TicketId};
use cp247_seal::Verified;

pub mod directory;
pub mod metrics;
pub mod refusal;

pub use directory::DirectoryHandle;
pub use metrics::Metrics;
pub use refusal::{Refusal, status_for};

/// A future a trait object can return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a contact point is reached, as the directory lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelKind {
    /// A cp247 node (HTTPS, TLS pinned by the directory).
    Node,
    /// OpenPGP e-mail.
    Email,
}

impl ChannelKind {
    /// The kind of `channel`.
    pub fn of(channel: &Channel) -> Self {
        match channel {
            Channel::Node(_) => ChannelKind::Node,
            Channel::Email(_) => ChannelKind::Email,
        }
    }

    /// `node` or `email`.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelKind::Node => "node",
            ChannelKind::Email => "email",
        }
    }
}

/// A sealed message on its way to one contact point, as the outbox holds it.
#[derive(Debug, Clone, Copy)]
pub struct Outgoing<'a> {
    /// Its id.
    pub message_id: &'a MessageId,
    /// Its ticket.
    pub ticket: &'a TicketId,
    /// The contact point it is for.
    pub recipient: &'a Address,
    /// The exact sealed bytes (kept unchanged as evidence).
    pub sealed: &'a [u8],
}

/// What a transport obtained for a message it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// The receiving node's signed receipt (armored), verified against the directory: it
    /// acknowledges exactly these sealed bytes.
    SignedReceipt(Vec<u8>),
}

/// Why a transport could not send a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Worth trying again later (the peer is down, busy, or does not yet have the newest
    /// directory).
    #[error("{reason}")]
    Transient {
        /// A stable snake_case code (the peer's refusal code, or the transport's own).
        code: String,
        /// What happened, in a sentence.
        reason: String,
    },
    /// Sending the same bytes again cannot succeed.
    #[error("{reason}")]
    Permanent {
        /// A stable snake_case code.
        code: String,
        /// What happened, in a sentence.
        reason: String,
    },
}

impl SendFailure {
    /// The failure's code.
    pub fn code(&self) -> &str {
        match self {
            SendFailure::Transient { code, .. } | SendFailure::Permanent { code, .. } => code,
        }
    }
}

/// Carries sealed messages to the contact points of one [`ChannelKind`].
pub trait Transport: Send + Sync + fmt::Debug {
    /// The channel it carries.
    fn carries(&self) -> ChannelKind;

    /// Sends `message` once over `channel` (the recipient's channel in `directory`, the
    /// directory in force, which also verifies what comes back).
    fn send<'a>(
        &'a self,
        channel: &'a Channel,
        directory: &'a DirectoryState,
        message: Outgoing<'a>,
    ) -> BoxFuture<'a, Result<Evidence, SendFailure>>;
}

/// A message a transport received, opened and verified.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    /// The verified message: its signer is the key the directory lists for its sender.
    pub verified: &'a Verified,
    /// The exact sealed bytes received (kept unchanged as evidence).
    pub sealed: &'a [u8],
    /// How it came.
    pub channel: ChannelKind,
}

/// What the node did with an arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// Stored for the first time; the signed receipt to return (armored).
    New {
        /// The receipt.
        receipt: Vec<u8>,
    },
    /// Stored before: the receipt issued the first time.
    Duplicate {
        /// The receipt.
        receipt: Vec<u8>,
    },
}

impl Accepted {
    /// The receipt to return.
    pub fn receipt(&self) -> &[u8] {
        match self {
            Accepted::New { receipt } | Accepted::Duplicate { receipt } => receipt,
        }
    }
}

/// Where transports hand verified messages: the node's case work.
pub trait Inbox: Send + Sync + fmt::Debug {
    /// Stores `arrival` with what it does to its case, or refuses it (storing nothing).
    fn accept<'a>(&'a self, arrival: Arrival<'a>) -> BoxFuture<'a, Result<Accepted, Refusal>>;
}

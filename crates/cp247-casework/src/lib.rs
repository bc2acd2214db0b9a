//! cp247's application layer: the one place where a node's case work happens, whatever
//! carries its messages.
//!
//! A [`CaseWork`] holds what case work needs — the node's contact point and key, the store, the
//! injected clock, the directory handle, the deadline policy, the size limits — and offers
//! typed operations, each failing with one [`Error`] enum whose [`Error::code`] is stable:
//!
//! - [`request`]: compose-and-send a request ([`CaseWork::send_request`]: recipient checks,
//!   sealing, ticket + case + message + outbox + audit in one unit of work, waking the outbox).
//! - [`reply`]: send a reply on a case ([`CaseWork::send_reply`]) and close a case.
//! - [`receive`]: the node's [`cp247_transport::Inbox`]: a verified message applied to its case
//!   and stored with its signed receipt (and, for a new urgent request, its duty-officer alert)
//!   in one unit of work.
//! - [`outbox`]: the durable outbox's workers, one per peer Party, handing each sealed message
//!   to the [`cp247_transport::Transport`] of the recipient's channel, with retries, backoff
//!   and give-up; the evidence (a signed receipt) is recorded with its case event.
//! - [`scheduler`]: reminders, escalation and lapse on the injected clock.
//! - [`alerts`]: duty-officer alerts stored in the alert outbox and sent through
//!   `cp247-notify`.
//! - [`checkpoint`]: signed checkpoints of the audit chain.
//! - [`views`]: what a case, the tickets and what is due look like, read for the API and the
//!   web pages (views are audited).
//! - [`attachments`]: files of a request or reply, checked against the node's limits.
//! - [`apply`]: what a message does to a case, shared by sending and receiving.
//!
//! Transports and the HTTP server reach case work only through this crate; it depends on
//! neither of them.
#![warn(missing_docs)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cp247_case::DeadlinePolicy;
use cp247_domain::{Address, Clock, PartyCode};
use cp247_notify::Notifier;
use cp247_seal::{Limits, NodeKey};
use cp247_store::Store;
use cp247_transport::{DirectoryHandle, Metrics};
use tokio::sync::Notify;

pub mod alerts;
pub mod apply;
pub mod attachments;
pub mod checkpoint;
pub mod error;
pub mod memory;
pub mod outbox;
pub mod receive;
pub mod reply;
pub mod request;
pub mod scheduler;
pub mod sealing;
pub mod versions;
pub mod views;

pub use alerts::{Alert, AlertKind, Alerts, LogAlerts};
/// The marking a sender gives a message (Traffic Light Protocol).
pub use cp247_seal::TlpMarking;
pub use error::{Error, ErrorKind};
pub use outbox::{Outbox, OutboxSettings};
pub use reply::{ReplyInput, SentReply};
pub use request::{QueuedRequest, RequestToSend};

/// How often and how much the scheduler works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchedulerSettings {
    /// The time between two passes over the open cases.
    pub every: Duration,
    /// How many open cases one pass (and one "what is due" list) reads at most.
    pub batch: u32,
}

/// Everything a [`CaseWork`] is made of.
#[derive(Debug)]
pub struct Parts {
    /// This node's contact point.
    pub me: Address,
    /// Its key (signs, and opens what is sealed to it).
    pub key: Arc<NodeKey>,
    /// The store.
    pub store: Store,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// The directory in force.
    pub directory: DirectoryHandle,
    /// Acknowledgement limits and reminder days.
    pub policy: DeadlinePolicy,
    /// Size bounds of messages and their files.
    pub limits: Limits,
    /// Counters.
    pub metrics: Arc<Metrics>,
    /// Where the scheduler's actions are logged (besides the alert outbox).
    pub alert_log: Arc<dyn Alerts>,
    /// The notifier (`[notify]`), if configured.
    pub notifier: Option<Arc<Notifier>>,
    /// The scheduler's rhythm.
    pub scheduler: SchedulerSettings,
}

/// A node's case work. Cheap to share (`Arc`).
#[derive(Debug)]
pub struct CaseWork {
    me: Address,
    key: Arc<NodeKey>,
    store: Store,
    clock: Arc<dyn Clock>,
    directory: DirectoryHandle,
    policy: DeadlinePolicy,
    limits: Limits,
    metrics: Arc<Metrics>,
    alert_log: Arc<dyn Alerts>,
    notifier: Option<Arc<Notifier>>,
    scheduler: SchedulerSettings,
    /// Wakes the outbox worker of a peer Party when a message is queued for it.
    wakers: Mutex<HashMap<PartyCode, Arc<Notify>>>,
    /// Wakes the alert sender when an alert is stored.
    alert_wake: Notify,
    /// The protocol level this node reads ([`CaseWork::reading`]).
    level: cp247_domain::ProtocolLevel,
}

impl CaseWork {
    /// Case work made of `parts`.
    pub fn new(parts: Parts) -> Self {
        Self {
            me: parts.me,
            key: parts.key,
            store: parts.store,
            clock: parts.clock,
            directory: parts.directory,
            policy: parts.policy,
            limits: parts.limits,
            metrics: parts.metrics,
            alert_log: parts.alert_log,
            notifier: parts.notifier,
            scheduler: parts.scheduler,
            wakers: Mutex::new(HashMap::new()),
            alert_wake: Notify::new(),
            level: cp247_domain::ProtocolLevel::HIGHEST,
        }
    }

    /// This node's contact point.
    pub fn me(&self) -> Address {
        self.me
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The directory in force.
    pub fn directory(&self) -> &DirectoryHandle {
        &self.directory
    }

    /// The deadline policy.
    pub fn policy(&self) -> &DeadlinePolicy {
        &self.policy
    }

    /// The size bounds of messages and their files.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The counters.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// The node's key.
    pub fn key(&self) -> &Arc<NodeKey> {
        &self.key
    }

    /// The node's certificate (armored), as its identity document publishes it.
    pub fn cert_armored(&self) -> String {
        self.key.cert().armored()
    }

    /// The fingerprint of the node's key.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint().to_string()
    }

    /// The notifier, if configured.
    pub fn notifier(&self) -> Option<&Arc<Notifier>> {
        self.notifier.as_ref()
    }

    /// Wakes `peer`'s outbox worker (a message was just queued for it).
    pub fn wake(&self, peer: PartyCode) {
        self.waker(peer).notify_one();
    }

    pub(crate) fn waker(&self, peer: PartyCode) -> Arc<Notify> {
        let mut guard = self.wakers.lock().unwrap_or_else(|p| p.into_inner());
        guard.entry(peer).or_default().clone()
    }
}

/// The key types a node is started with (loaded from its directory).
pub mod keys {
    pub use cp247_seal::{Cert, NodeKey, OpenPolicy, Passphrase, SealError};
}

/// Signed receipts as evidence: reading one already verified (views, tests, audit tools).
pub mod evidence {
    pub use cp247_seal::{Receipt, read_receipt};
}

/// The size bounds of messages and their files, as `[limits]` sets them.
pub mod limits {
    pub use cp247_seal::{
        AttachmentLimits, DEFAULT_MAX_ATTACHMENT_BYTES, DEFAULT_MAX_ATTACHMENTS,
        DEFAULT_MAX_ATTACHMENTS_TOTAL_BYTES, Limits, base64_len,
    };
}

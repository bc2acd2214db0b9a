//! A [`Transport`] that delivers in memory, for tests and tools that run several nodes' case
//! work in one process: the sealed bytes are opened and verified exactly as a receiving node's
//! transport would (against the directory, with the recipient's key), handed to the
//! recipient's [`Inbox`], and the signed receipt that comes back is verified like one that
//! came over the network.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cp247_directory::{Channel, DirectoryState};
use cp247_domain::{Address, Clock};
use cp247_seal::{OpenPolicy, Sealed};
use cp247_transport::{
    Arrival, BoxFuture, ChannelKind, Evidence, Inbox, Outgoing, Refusal, SendFailure, Transport,
};

use crate::CaseWork;

/// Case work reachable in memory, by contact point.
#[derive(Debug, Default, Clone)]
pub struct MemoryNetwork {
    nodes: Arc<Mutex<HashMap<Address, Arc<CaseWork>>>>,
}

impl MemoryNetwork {
    /// An empty network.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes `work` reachable at its contact point.
    pub fn join(&self, work: Arc<CaseWork>) {
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        nodes.insert(work.me(), work);
    }

    /// Removes the node at `address` (it is then unreachable: a transient failure).
    pub fn leave(&self, address: &Address) {
        let mut nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        nodes.remove(address);
    }

    fn node(&self, address: &Address) -> Option<Arc<CaseWork>> {
        let nodes = self.nodes.lock().unwrap_or_else(|p| p.into_inner());
        nodes.get(address).cloned()
    }

    /// The transport of a node of this network, whose clock checks what comes back.
    pub fn transport(&self, clock: Arc<dyn Clock>) -> MemoryTransport {
        MemoryTransport {
            network: self.clone(),
            clock,
            level: cp247_domain::ProtocolLevel::HIGHEST,
        }
    }
}

/// Delivers to the nodes of a [`MemoryNetwork`] (the directory's node channel).
#[derive(Debug, Clone)]
pub struct MemoryTransport {
    network: MemoryNetwork,
    clock: Arc<dyn Clock>,
    level: cp247_domain::ProtocolLevel,
}

impl MemoryTransport {
    /// This transport reading receipts at protocol `level` (default: this release's highest).
    #[must_use]
    pub fn reading(mut self, level: cp247_domain::ProtocolLevel) -> Self {
        self.level = level;
        self
    }

    async fn deliver(
        &self,
        directory: &DirectoryState,
        message: Outgoing<'_>,
    ) -> Result<Evidence, SendFailure> {
        let refused = |r: Refusal| {
            let failure = SendFailure::Transient {
                code: r.code.to_owned(),
                reason: r.message.clone(),
            };
            match r.status {
                400 | 413 | 415 | 421 | 422 => SendFailure::Permanent {
                    code: r.code.to_owned(),
                    reason: r.message,
                },
                _ => failure,
            }
        };
        let Some(to) = self.network.node(message.recipient) else {
            return Err(SendFailure::Transient {
                code: "connect".to_owned(),
                reason: format!("{} is not reachable", message.recipient),
            });
        };
        // The receiving side, as its transport would do it.
        let now = to.clock().now();
        let receipt = {
            let snapshot = to.directory().snapshot();
            let traffic = snapshot
                .traffic(now)
                .map_err(|e| refused(Refusal::new("directory_unusable", e.to_string())))?;
            let unverified = cp247_seal::open(message.sealed, to.key(), to.limits())
                .map_err(|e| refused(Refusal::open(&e)))?;
            let verified = unverified
                .verify(&traffic, &to.me(), now, &OpenPolicy::default())
                .map_err(|e| refused(Refusal::open(&e)))?;
            let accepted = to
                .accept(Arrival {
                    verified: &verified,
                    sealed: message.sealed,
                    channel: ChannelKind::Node,
                })
                .await
                .map_err(refused)?;
            accepted.receipt().to_vec()
        };
        // The sending side checks the receipt as it checks one that came over HTTPS.
        let now = self.clock.now();
        let traffic = directory.traffic(now).map_err(|e| SendFailure::Transient {
            code: "directory_unusable".to_owned(),
            reason: e.to_string(),
        })?;
        cp247_seal::verify_receipt_at(&receipt, &traffic, message.recipient, now, self.level)
            .and_then(|r| {
                r.check_acknowledges(
                    &Sealed::from_stored(message.sealed.to_vec()),
                    message.message_id,
                )
            })
            .map_err(|e| SendFailure::Transient {
                code: "bad_receipt".to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Evidence::SignedReceipt(receipt))
    }
}

impl Transport for MemoryTransport {
    fn carries(&self) -> ChannelKind {
        ChannelKind::Node
    }

    fn send<'a>(
        &'a self,
        _channel: &'a Channel,
        directory: &'a DirectoryState,
        message: Outgoing<'a>,
    ) -> BoxFuture<'a, Result<Evidence, SendFailure>> {
        Box::pin(self.deliver(directory, message))
    }
}

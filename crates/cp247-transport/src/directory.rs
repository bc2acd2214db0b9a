//! The node's current view of the signed network directory, shared by case work and by every
//! transport.

use std::sync::Arc;

use cp247_directory::DirectoryState;
use tokio::sync::watch;

/// The node's current directory state, shared by every task. Readers take a cheap snapshot
/// (an `Arc`) and keep it for the whole of one message; a refresh swaps in a new state and
/// wakes the subscribers (the delivery supervisor).
#[derive(Debug, Clone)]
pub struct DirectoryHandle {
    tx: Arc<watch::Sender<Arc<DirectoryState>>>,
}

impl DirectoryHandle {
    /// A handle starting from `state`.
    pub fn new(state: DirectoryState) -> Self {
        let (tx, _rx) = watch::channel(Arc::new(state));
        Self { tx: Arc::new(tx) }
    }

    /// The current state.
    pub fn snapshot(&self) -> Arc<DirectoryState> {
        self.tx.borrow().clone()
    }

    /// Replaces the state and wakes subscribers.
    pub fn replace(&self, state: DirectoryState) {
        self.tx.send_replace(Arc::new(state));
    }

    /// A receiver that sees every replacement.
    pub fn subscribe(&self) -> watch::Receiver<Arc<DirectoryState>> {
        self.tx.subscribe()
    }
}

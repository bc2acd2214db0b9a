//! The node-to-node [`Transport`]: POSTs the exact sealed bytes to the endpoint the directory
//! lists for the recipient's node, with the TLS certificate pinned by the directory, and
//! verifies the signed receipt that comes back (it must acknowledge exactly these bytes and be
//! signed by the recipient's key in the directory).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use cp247_directory::{Channel, DirectoryState};
use cp247_domain::{Clock, ProtocolLevel};
use cp247_seal::Sealed;
use cp247_transport::{BoxFuture, ChannelKind, Evidence, Outgoing, SendFailure, Transport};

use crate::client::{ClientLimits, PeerClient, PostOutcome};
use crate::endpoint::PeerEndpoint;
use crate::tls::TlsPin;

/// HTTPS to cp247 nodes (plain HTTP between loopback addresses only), one pinned client per
/// endpoint and pin.
#[derive(Debug)]
pub struct HttpsTransport {
    clock: Arc<dyn Clock>,
    limits: ClientLimits,
    clients: Mutex<HashMap<(String, [u8; 32]), PeerClient>>,
    /// The protocol level receipts are read at (ADR 0028).
    level: ProtocolLevel,
}

impl HttpsTransport {
    /// A transport whose calls obey `limits`; receipts are checked on `clock`.
    pub fn new(clock: Arc<dyn Clock>, limits: ClientLimits) -> Self {
        Self {
            clock,
            limits,
            clients: Mutex::new(HashMap::new()),
            level: ProtocolLevel::HIGHEST,
        }
    }

    /// This transport reading receipts at protocol `level` (the node's `[federation] reads`;
    /// default: this release's highest).
    #[must_use]
    pub fn reading(mut self, level: ProtocolLevel) -> Self {
        self.level = level;
        self
    }

    fn client_for(&self, endpoint: &str, pin: [u8; 32]) -> Result<PeerClient, String> {
        let key = (endpoint.to_owned(), pin);
        let mut guard = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = guard.get(&key) {
            return Ok(client.clone());
        }
        let parsed = PeerEndpoint::parse(endpoint).map_err(|e| e.to_string())?;
        let client = PeerClient::new(parsed, Some(TlsPin::from_bytes(pin)), self.limits)
            .map_err(|e| e.to_string())?;
        guard.insert(key, client.clone());
        Ok(client)
    }

    async fn post(
        &self,
        channel: &Channel,
        directory: &DirectoryState,
        message: Outgoing<'_>,
    ) -> Result<Evidence, SendFailure> {
        let transient = |code: &str, reason: String| SendFailure::Transient {
            code: code.to_owned(),
            reason,
        };
        let Channel::Node(node) = channel else {
            return Err(transient(
                "email_channel",
                format!(
                    "{} is reached by OpenPGP e-mail, not by a cp247 node",
                    message.recipient
                ),
            ));
        };
        let client = self
            .client_for(node.endpoint.as_str(), *node.tls_sha256.bytes())
            .map_err(|reason| transient("endpoint", reason))?;
        match client.post_sealed(message.sealed).await {
            Ok(PostOutcome::Accepted { receipt, .. }) => {
                let now = self.clock.now();
                let traffic = directory
                    .traffic(now)
                    .map_err(|e| transient("directory_unusable", e.to_string()))?;
                let checked = cp247_seal::verify_receipt_at(
                    &receipt,
                    &traffic,
                    message.recipient,
                    now,
                    self.level,
                )
                .and_then(|r| {
                    r.check_acknowledges(
                        &Sealed::from_stored(message.sealed.to_vec()),
                        message.message_id,
                    )
                });
                match checked {
                    Ok(()) => Ok(Evidence::SignedReceipt(receipt)),
                    Err(e) => Err(transient(
                        "bad_receipt",
                        format!(
                            "{} answered with a receipt that does not verify: {e}",
                            message.recipient
                        ),
                    )),
                }
            }
            Ok(PostOutcome::Refused(r)) => {
                let reason = format!("{} {r}", message.recipient);
                if r.is_permanent() {
                    Err(SendFailure::Permanent {
                        code: r.code,
                        reason,
                    })
                } else {
                    Err(SendFailure::Transient {
                        code: r.code,
                        reason,
                    })
                }
            }
            Err(e) => Err(transient(e.kind(), e.to_string())),
        }
    }
}

impl Transport for HttpsTransport {
    fn carries(&self) -> ChannelKind {
        ChannelKind::Node
    }

    fn send<'a>(
        &'a self,
        channel: &'a Channel,
        directory: &'a DirectoryState,
        message: Outgoing<'a>,
    ) -> BoxFuture<'a, Result<Evidence, SendFailure>> {
        Box::pin(self.post(channel, directory, message))
    }
}

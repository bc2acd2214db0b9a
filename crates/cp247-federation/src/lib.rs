//! Node-to-node federation for cp247.
//!
//! - [`tls`]: TLS certificates pinned by the SHA-256 fingerprint the signed directory publishes;
//!   self-signed server certificates.
//! - [`endpoint`]: peer endpoints; plain HTTP only between loopback addresses.
//! - [`client`]: the outbound HTTPS client (pinned, timeouts, bounded reads, no redirects, no
//!   proxies).
//! - [`listen`]: the inbound listener (TLS or loopback HTTP, bounded connections, graceful
//!   shutdown).
//! - [`wire`]: the protocol's paths, media types and JSON bodies (`docs/protocol/federation.md`).
//! - [`https`]: the node-to-node [`cp247_transport::Transport`]: the sealed bytes POSTed to the
//!   peer's pinned endpoint, the signed receipt verified.
//! - [`inbound`]: sealed bytes → verified → handed to the node's [`cp247_transport::Inbox`],
//!   or refused with a stable code, an HTTP status and an audit entry.
//! - [`directory`]: fetching, accepting and storing the signed network directory.
//! - [`doctor`]: checks of a peer for `cp247 doctor`, in sentences.
//!
//! Whatever the transport, the peer is who the verified OpenPGP signature says it is: TLS pins
//! protect the wire, they do not identify the sender of a message.
#![warn(missing_docs)]

pub mod client;
pub mod directory;
pub mod doctor;
pub mod endpoint;
pub mod https;
pub mod inbound;
pub mod listen;
pub mod tls;
pub mod wire;

pub use client::{ClientLimits, PeerClient, PeerRefusal, PostOutcome, TransportError};
pub use endpoint::{EndpointError, PeerEndpoint};
pub use https::HttpsTransport;
pub use listen::{ListenMode, ServeLimits};
pub use tls::{TlsIdentity, TlsPin};

//! The federation protocol's HTTP surface: paths, media types and JSON bodies. Described for
//! humans in `docs/protocol/federation.md`; the two must agree.

use cp247_domain::{Address, Instant};
use serde::{Deserialize, Serialize};

/// The protocol name and level 1, in the identity document of a node that reads level 1. A
/// node names the level it reads: [`cp247_domain::ProtocolLevel::protocol`] (ADR 0028).
pub const PROTOCOL: &str = "cp247-federation/1";

/// Where sealed messages are posted, relative to the peer's endpoint.
pub const MESSAGES_PATH: &str = "federation/v1/messages";

/// Where a node describes itself, relative to its endpoint.
pub const IDENTITY_PATH: &str = "federation/v1/identity";

/// The media type of a posted sealed message (an ASCII-armored OpenPGP message).
pub const SEALED_MEDIA_TYPE: &str = "application/pgp-encrypted";

/// The largest sealed message without attachments a node accepts by default (bytes,
/// armored). A node accepts this plus what its attachment limits can add
/// (`cp247_seal::Limits::with_attachments`; ADR 0017).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

/// The largest response body a client reads from a peer (a receipt, an identity, an error).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 256 * 1024;

/// What the receiver did with an accepted message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Stored for the first time.
    Accepted,
    /// Stored before (same sender and message id): the original receipt is returned again.
    Duplicate,
}

/// The body of `200 OK` to a posted message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcceptedBody {
    /// New or replay.
    pub outcome: Outcome,
    /// The receiver's signed receipt, armored, byte for byte as the receiver stored it.
    pub receipt: String,
}

/// The body of every refusal (4xx and 5xx): a stable machine code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Stable, snake_case, e.g. `unknown_signer`.
    pub error: String,
    /// What is wrong, for a person.
    pub message: String,
}

/// `GET federation/v1/identity`: who this node is, by its own account. The client checks it
/// against the directory; nothing here is trusted on its own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityBody {
    /// `cp247-federation/N`: the protocol level N the node reads (ADR 0028;
    /// [`cp247_domain::ProtocolLevel::from_protocol`]). Level 1 is [`PROTOCOL`].
    pub protocol: String,
    /// The contact point this node serves.
    pub address: Address,
    /// The node's OpenPGP certificate, armored.
    pub cert: String,
    /// The certificate's primary-key fingerprint (40 hex digits).
    pub fingerprint: String,
    /// The node's clock when it answered, to measure skew.
    pub server_time: Instant,
    /// The serial of the directory the node has accepted, if any.
    pub directory_serial: Option<u64>,
}

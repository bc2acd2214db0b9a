//! What the seal layer needs from the network directory: who owns a key, and its status.

use cp247_domain::Address;
use jiff::Timestamp;

use crate::key::{Cert, Fingerprint, KeyId};

/// The status the directory gives a node key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyStatus {
    /// In use.
    Active,
    /// Temporarily not trusted (e.g. suspected compromise under investigation), from `since`.
    Suspended {
        /// When the suspension takes effect.
        since: Timestamp,
    },
    /// Permanently withdrawn, from `since`.
    Revoked {
        /// When the revocation takes effect.
        since: Timestamp,
    },
}

/// The directory's entry for one node key.
#[derive(Debug, Clone)]
pub struct DirectoryKey {
    /// The node's certificate.
    pub cert: Cert,
    /// The contact point the key speaks for.
    pub owner: Address,
    /// Its status.
    pub status: KeyStatus,
}

/// Looks node keys up; implemented by the directory crate and by test fakes.
pub trait KeyDirectory {
    /// The directory's entry for the node key with this (primary or subkey) fingerprint,
    /// whatever Party it belongs to; `None` when the directory does not list it.
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey>;

    /// Whether the directory lists a node key (primary key or subkey, whatever its status)
    /// with the 64-bit key ID `id`. [`crate::open_listed`] asks this when a one-pass
    /// signature names its signer ahead of the data, to refuse a stranger's message before
    /// inflating or parsing it.
    ///
    /// The default answers `false`: a directory that does not implement it makes
    /// [`crate::open_listed`] refuse every one-pass-signed message (it fails closed). Every
    /// directory used to open messages from the network must implement it.
    fn lists_key_id(&self, _id: &KeyId) -> bool {
        false
    }
}

//! Small conversions between cp247's types and rPGP's, shared by the modules.

use jiff::Timestamp;
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::{Subpacket, SubpacketData};

use crate::error::SealError;

/// The random-number generator handed to rPGP: the operating system's CSPRNG.
pub(crate) fn rng() -> rand08::rngs::OsRng {
    rand08::rngs::OsRng
}

/// A jiff instant as an OpenPGP timestamp (whole seconds since 1970, 32 bits).
pub(crate) fn to_pgp_time(at: Timestamp) -> Result<pgp::types::Timestamp, SealError> {
    u32::try_from(at.as_second())
        .map(pgp::types::Timestamp::from_secs)
        .map_err(|_| SealError::TimeOutOfRange(at))
}

/// An OpenPGP timestamp as a jiff instant (always representable).
pub(crate) fn from_pgp_time(t: pgp::types::Timestamp) -> Timestamp {
    Timestamp::from_second(i64::from(t.as_secs())).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// `start` plus an OpenPGP duration in seconds.
pub(crate) fn plus_secs(start: pgp::types::Timestamp, secs: u32) -> Timestamp {
    Timestamp::from_second(i64::from(start.as_secs()) + i64::from(secs))
        .unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Hash algorithms cp247 refuses in signatures (collision attacks are practical or near).
pub(crate) fn is_weak_hash(h: HashAlgorithm) -> bool {
    !matches!(
        h,
        HashAlgorithm::Sha256
            | HashAlgorithm::Sha384
            | HashAlgorithm::Sha512
            | HashAlgorithm::Sha3_256
            | HashAlgorithm::Sha3_512
    )
}

/// A hashed subpacket, or a crypto error naming what was being built.
pub(crate) fn subpacket(data: SubpacketData) -> Result<Subpacket, SealError> {
    Subpacket::regular(data).map_err(|e| crypto("building a signature subpacket", e))
}

/// Wraps an rPGP error (whose text never contains key material or plaintext).
pub(crate) fn crypto(during: &'static str, e: impl std::fmt::Display) -> SealError {
    SealError::Crypto {
        during,
        reason: e.to_string(),
    }
}

/// Whether `bytes` look like ASCII armor (after leading whitespace).
pub(crate) fn looks_armored(bytes: &[u8]) -> bool {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    bytes
        .get(start..)
        .is_some_and(|rest| rest.starts_with(b"-----BEGIN PGP "))
}

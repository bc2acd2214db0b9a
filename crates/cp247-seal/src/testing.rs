//! Hostile messages for tests elsewhere in the workspace (feature `testing`): what a stranger
//! can build with any OpenPGP implementation, which cp247's own [`crate::seal`] refuses to
//! make. Not for production code.

use jiff::Timestamp;
use pgp::composed::{ArmorOptions, MessageBuilder, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::sym::SymmetricKeyAlgorithm;
use pgp::packet::SubpacketData;
use pgp::types::{CompressionAlgorithm, KeyDetails as _, Password};

use crate::envelope::{Sealed, encryption_subkey};
use crate::error::SealError;
use crate::key::{Cert, NodeKey};
use crate::util::{crypto, rng, subpacket, to_pgp_time};

/// Signs arbitrary `data` with `signer`'s signing subkey (one-pass signature, SHA-512, dated
/// `at`), compresses it with ZLIB and encrypts it to `recipient`, in ASCII armor: the shape of a
/// decompression bomb (e.g. 30 MB of JSON in 30 KB) signed by whatever key the sender holds.
pub fn seal_zlib(
    data: Vec<u8>,
    signer: &NodeKey,
    recipient: &Cert,
    at: Timestamp,
) -> Result<Sealed, SealError> {
    let signing = signer.signing_subkey(at)?;
    let to = encryption_subkey(recipient, at)?;
    let mut rng = rng();
    let mut builder =
        MessageBuilder::from_bytes("", data).seipd_v1(&mut rng, SymmetricKeyAlgorithm::AES256);
    builder
        .encrypt_to_key(&mut rng, to)
        .map_err(|e| crypto("encrypting to the recipient", e))?;
    builder.compression(CompressionAlgorithm::ZLIB);
    let hashed = vec![
        subpacket(SubpacketData::SignatureCreationTime(to_pgp_time(at)?))?,
        subpacket(SubpacketData::IssuerFingerprint(signing.fingerprint()))?,
    ];
    builder.sign_with_subpackets(
        signing,
        Password::empty(),
        HashAlgorithm::Sha512,
        SubpacketConfig::UserDefined {
            hashed,
            unhashed: Vec::new(),
        },
    );
    let armored = builder
        .to_armored_string(rng, ArmorOptions::default())
        .map_err(|e| crypto("sealing a test message", e))?;
    Ok(Sealed::from_stored(armored.into_bytes()))
}

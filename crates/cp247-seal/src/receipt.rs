//! Signed receipts: the receiver's non-repudiable acknowledgement of the exact sealed bytes.

use std::fmt;

use cp247_domain::protocol::{Format, ProtocolLevel, check_marker};
use cp247_domain::{Address, Instant, MessageId};
use jiff::Timestamp;
use pgp::composed::{ArmorOptions, MessageBuilder, SubpacketConfig};
use pgp::crypto::hash::HashAlgorithm;
use pgp::packet::SubpacketData;
use pgp::types::{KeyDetails as _, Password};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::directory::KeyDirectory;
use crate::envelope::{CREATED_AT_TOLERANCE, OpenPolicy, Sealed, check_times};
use crate::error::{OpenError, SealError};
use crate::key::{Fingerprint, NodeKey};
use crate::message::{check_signer, dearmor, read_signed};
use crate::payload::write_canonical;
use crate::util::{crypto, rng, subpacket, to_pgp_time};

/// The largest signed receipt read.
pub const MAX_RECEIPT_BYTES: usize = 64 * 1024;
/// The format marker of a receipt without `ack_due` (version 1, read at every level).
pub const RECEIPT_FORMAT: &str = "cp247-receipt/1";
/// The format marker of a receipt that states `ack_due` (version 2, read from protocol level 2).
pub const RECEIPT_FORMAT_V2: &str = "cp247-receipt/2";
/// The longest audit-head text.
const MAX_AUDIT_HEAD: usize = 256;

/// What the receiver acknowledges.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    /// The acknowledged message.
    pub message_id: MessageId,
    /// SHA-256 of the exact sealed bytes received (hex in JSON).
    #[serde(serialize_with = "ser_hex", deserialize_with = "de_hex")]
    pub sealed_sha256: [u8; 32],
    /// When the receiver accepted it.
    pub received_at: Instant,
    /// The receiving contact point (the signer).
    pub receiver: Address,
    /// The verified sender of the message.
    pub sender: Address,
    /// The head of the receiver's audit chain when it accepted the message (`SEQ:HASH`; the
    /// entry recording the message follows it), if it keeps one (at most 256 printable ASCII
    /// characters). The sender keeps it as an anchor for the receiver's log.
    pub audit_head: Option<String>,
    /// For a message that opened a case on the receiver (a request): the instant by which the
    /// receiver owes its human acknowledgement, computed by the receiver in its own calendar
    /// from `received_at`. Present only in a version 2 receipt (`cp247-receipt/2`), which the
    /// receiver writes only for a sender that reads protocol level 2 (ADR 0028).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack_due: Option<Instant>,
}

fn ser_hex<S: Serializer>(v: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(v))
}

fn de_hex<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
    let text = String::deserialize(d)?;
    let mut out = [0u8; 32];
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return Err(serde::de::Error::custom(
            "sealed_sha256 must be 64 lower-case hexadecimal digits",
        ));
    }
    hex::decode_to_slice(&text, &mut out).map_err(serde::de::Error::custom)?;
    Ok(out)
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    format: String,
    receipt: Receipt,
}

impl Receipt {
    /// The receipt for `sealed`, as accepted by `receiver` at `received_at`.
    pub fn for_message(
        sealed_sha256: [u8; 32],
        message_id: MessageId,
        sender: Address,
        receiver: Address,
        received_at: Instant,
        audit_head: Option<String>,
    ) -> Self {
        Self {
            message_id,
            sealed_sha256,
            received_at,
            receiver,
            sender,
            audit_head,
            ack_due: None,
        }
    }

    /// This receipt stating `ack_due`.
    pub fn with_ack_due(mut self, ack_due: Option<Instant>) -> Self {
        self.ack_due = ack_due;
        self
    }

    /// The version of the receipt format this receipt is written in: the lowest that carries
    /// its content (2 when it states `ack_due`, else 1).
    pub fn version(&self) -> u16 {
        if self.ack_due.is_some() { 2 } else { 1 }
    }

    /// This receipt as a reader at `level` can read it: what only a later version carries is
    /// left out (`ack_due` below level 2). Everything left out only informs: the receipt still
    /// acknowledges the same bytes.
    pub fn for_reader(mut self, level: ProtocolLevel) -> Self {
        if !level.can_read(Format::Receipt, 2) {
            self.ack_due = None;
        }
        self
    }

    /// The canonical JSON that is signed.
    pub fn canonical_json(&self) -> Vec<u8> {
        let wire = Wire {
            format: Format::Receipt.marker(self.version()),
            receipt: self.clone(),
        };
        let value = serde_json::to_value(&wire).unwrap_or(Value::Null);
        let mut out = Vec::new();
        write_canonical(&value, &mut out);
        out
    }

    /// Reads a receipt's canonical JSON as a reader at `level`: a version `level` does not
    /// read is [`OpenError::UnsupportedVersion`], whatever fields it carries.
    fn from_canonical_json(bytes: &[u8], level: ProtocolLevel) -> Result<Self, OpenError> {
        let unsupported = |e: cp247_domain::protocol::UnreadableVersion| {
            OpenError::UnsupportedVersion(format!("the receipt is refused: {e}"))
        };
        let wire: Wire = serde_json::from_slice(bytes).map_err(|e| {
            crate::payload::unreadable_version(bytes, Format::Receipt, level).map_or_else(
                || OpenError::Payload(format!("not a cp247 receipt: {e}")),
                unsupported,
            )
        })?;
        match check_marker(Format::Receipt, &wire.format, level) {
            Ok(_) => {}
            Err(Some(e)) => return Err(unsupported(e)),
            Err(None) => {
                return Err(OpenError::Payload(format!(
                    "unknown receipt format, expected '{RECEIPT_FORMAT}' or a later version"
                )));
            }
        }
        wire.receipt
            .check_audit_head()
            .map_err(OpenError::Payload)?;
        if wire.receipt.canonical_json() != bytes {
            return Err(OpenError::Payload(
                "the receipt is not canonical JSON".into(),
            ));
        }
        Ok(wire.receipt)
    }

    fn check_audit_head(&self) -> Result<(), String> {
        match &self.audit_head {
            Some(h)
                if h.len() > MAX_AUDIT_HEAD || h.bytes().any(|b| !(0x21..0x7f).contains(&b)) =>
            {
                Err("audit_head must be at most 256 printable ASCII characters".into())
            }
            _ => Ok(()),
        }
    }

    /// Checks that this receipt acknowledges exactly `sealed`, sent as `message_id`.
    pub fn check_acknowledges(
        &self,
        sealed: &Sealed,
        message_id: &MessageId,
    ) -> Result<(), OpenError> {
        if self.message_id != *message_id {
            return Err(OpenError::ReceiptMismatch(format!(
                "it acknowledges message {} instead of {message_id}",
                self.message_id
            )));
        }
        if self.sealed_sha256 != sealed.sha256() {
            return Err(OpenError::ReceiptMismatch(
                "it acknowledges other sealed bytes than the ones sent".into(),
            ));
        }
        Ok(())
    }
}

/// A receipt signed by the receiver: an OpenPGP signed (not encrypted) message, armored.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedReceipt {
    armored: String,
}

impl SignedReceipt {
    /// The armored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.armored.as_bytes()
    }

    /// The armored text.
    pub fn armored(&self) -> &str {
        &self.armored
    }

    /// The armored text, consumed.
    pub fn into_string(self) -> String {
        self.armored
    }
}

impl fmt::Debug for SignedReceipt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SignedReceipt({} bytes)", self.armored.len())
    }
}

/// Signs `receipt` with the receiver's signing subkey (SHA-512, dated `at`, which must be
/// within [`CREATED_AT_TOLERANCE`] of `received_at`).
pub fn sign_receipt(
    receipt: &Receipt,
    key: &NodeKey,
    at: Timestamp,
) -> Result<SignedReceipt, SealError> {
    receipt
        .check_audit_head()
        .map_err(SealError::InvalidReceipt)?;
    let received = receipt.received_at.timestamp();
    if received.duration_since(at).abs() > CREATED_AT_TOLERANCE {
        return Err(SealError::CreatedAtMismatch {
            created_at: received,
            at,
            tolerance_secs: CREATED_AT_TOLERANCE.as_secs(),
        });
    }
    let signing = key.signing_subkey(at)?;
    let hashed = vec![
        subpacket(SubpacketData::SignatureCreationTime(to_pgp_time(at)?))?,
        subpacket(SubpacketData::IssuerFingerprint(signing.fingerprint()))?,
    ];
    let unhashed = vec![subpacket(SubpacketData::IssuerKeyId(
        signing.legacy_key_id(),
    ))?];
    let mut builder = MessageBuilder::from_bytes("", receipt.canonical_json());
    builder.sign_with_subpackets(
        signing,
        Password::empty(),
        HashAlgorithm::Sha512,
        SubpacketConfig::UserDefined { hashed, unhashed },
    );
    let armored = builder
        .to_armored_string(rng(), ArmorOptions::default())
        .map_err(|e| crypto("signing a receipt", e))?;
    Ok(SignedReceipt { armored })
}

/// Verifies a signed receipt: bounded size, one signature with a strong hash by a key the
/// directory lists for the receipt's receiver, who must be `expected_receiver`; signature time
/// and received_at agree; not from the future. Returns the receipt; the caller then checks
/// [`Receipt::check_acknowledges`] against what it sent.
pub fn verify_receipt(
    bytes: &[u8],
    dir: &dyn KeyDirectory,
    expected_receiver: &Address,
    now: Timestamp,
) -> Result<Receipt, OpenError> {
    verify_receipt_at(bytes, dir, expected_receiver, now, ProtocolLevel::HIGHEST)
}

/// [`verify_receipt`] by a reader at protocol `level`: a receipt version that level does not
/// read is refused ([`OpenError::UnsupportedVersion`]) before its signature is looked at.
pub fn verify_receipt_at(
    bytes: &[u8],
    dir: &dyn KeyDirectory,
    expected_receiver: &Address,
    now: Timestamp,
    level: ProtocolLevel,
) -> Result<Receipt, OpenError> {
    if bytes.len() > MAX_RECEIPT_BYTES {
        return Err(OpenError::TooLarge {
            what: "receipt",
            limit: MAX_RECEIPT_BYTES,
        });
    }
    let binary = dearmor(bytes, "MESSAGE", MAX_RECEIPT_BYTES)?;
    let content = read_signed(&binary, MAX_RECEIPT_BYTES, 16, true)?;
    let receipt = Receipt::from_canonical_json(&content.data, level)?;
    if receipt.receiver != *expected_receiver {
        return Err(OpenError::ReceiptMismatch(format!(
            "it is signed for {}, but {} was expected to acknowledge",
            receipt.receiver, expected_receiver
        )));
    }
    check_signer(dir, &content, &receipt.receiver, now)?;
    // Receipts are kept for years: no maximum age, only the skew and future rules.
    let policy = OpenPolicy {
        max_age: jiff::SignedDuration::MAX,
        ..OpenPolicy::default()
    };
    check_times(
        content.signed_at,
        receipt.received_at.timestamp(),
        now,
        &policy,
    )?;
    Ok(receipt)
}

/// The content of a signed receipt, without checking its signature: for a node listing the
/// receipts it verified when they arrived (e.g. the audit heads peers vouched for). Whoever
/// relies on the content later verifies it with [`verify_receipt`].
pub fn read_receipt(bytes: &[u8]) -> Result<Receipt, OpenError> {
    if bytes.len() > MAX_RECEIPT_BYTES {
        return Err(OpenError::TooLarge {
            what: "receipt",
            limit: MAX_RECEIPT_BYTES,
        });
    }
    let binary = dearmor(bytes, "MESSAGE", MAX_RECEIPT_BYTES)?;
    let content = read_signed(&binary, MAX_RECEIPT_BYTES, 16, true)?;
    Receipt::from_canonical_json(&content.data, ProtocolLevel::HIGHEST)
}

/// The signer fingerprint of a signed receipt, without any check (for display and lookup).
pub fn receipt_signer(bytes: &[u8]) -> Result<Fingerprint, OpenError> {
    let binary = dearmor(bytes, "MESSAGE", MAX_RECEIPT_BYTES)?;
    Ok(read_signed(&binary, MAX_RECEIPT_BYTES, 16, true)?.signer)
}

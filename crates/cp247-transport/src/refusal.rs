//! Why a node refuses a message: one table of stable codes and the HTTP status each travels
//! with, for every transport and for case work. `docs/protocol/federation.md` publishes the
//! same table; a test holds the two together.

use cp247_directory::TrafficRefusal;
use cp247_seal::OpenError;

/// Every refusal code a receiving node can answer with, and its HTTP status. The status tells
/// the sender's delivery worker what to do: 400, 413, 415, 421 and 422 mean the same bytes
/// can never be accepted (undeliverable at once); the others are retried until the give-up
/// time.
pub const CODES: &[(&str, u16)] = &[
    // The bytes are not an acceptable cp247 message.
    ("malformed", 400),
    ("no_integrity_protection", 400),
    ("modification_detected", 400),
    ("unsigned", 400),
    ("weak_hash", 400),
    ("payload", 400),
    ("invalid_payload", 400),
    ("session_key_undecryptable", 400),
    ("invalid_file_name", 400),
    ("invalid_media_type", 400),
    ("invalid_base64", 400),
    ("attachment_size_mismatch", 400),
    ("invalid_attachment_hash", 400),
    ("attachment_hash_mismatch", 400),
    // The sender is not who it claims, or may not send now.
    ("unknown_signer", 403),
    ("signer_not_listed_for_sender", 403),
    ("bad_signature", 403),
    ("key_suspended", 403),
    ("key_revoked", 403),
    ("key_expired", 403),
    ("key_policy", 403),
    ("signature_expired", 403),
    ("party_absent", 403),
    ("contact_point_absent", 403),
    ("party_suspended", 403),
    ("party_revoked", 403),
    ("contact_point_suspended", 403),
    ("contact_point_revoked", 403),
    ("no_key_in_force", 403),
    // The case refuses what the message does.
    ("wrong_side", 403),
    ("illegal_transition", 409),
    ("case_conflict", 409),
    ("ticket_conflict", 409),
    // Too large.
    ("too_large", 413),
    ("too_many_attachments", 413),
    ("attachment_too_large", 413),
    ("attachments_too_large", 413),
    ("unsupported_media_type", 415),
    // Addressed to another node.
    ("not_encrypted_to_us", 421),
    ("recipient_not_us", 421),
    // Outside the time window, on an unknown ticket, or a document the receiver refuses.
    ("too_old", 422),
    ("time_mismatch", 422),
    ("unknown_ticket", 422),
    ("invalid_document", 422),
    ("invalid_reply", 422),
    ("unknown_message_type", 422),
    // A format version the receiver does not read (ADR 0028).
    ("unsupported_version", 422),
    ("from_the_future", 425),
    // The receiver cannot decide or store now.
    ("directory_unusable", 503),
    ("store_unavailable", 503),
    ("inbound_busy", 503),
    ("internal_error", 500),
];

/// The HTTP status for a refusal code (500 for a code not in [`CODES`]).
pub fn status_for(code: &str) -> u16 {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or(500, |(_, status)| *status)
}

/// Why a message was refused: a stable code, the HTTP status that carries it and a sentence
/// for the sender's operator. Never contains payload content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    /// Stable snake_case code, one of [`CODES`].
    pub code: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong.
    pub message: String,
}

impl Refusal {
    /// A refusal with `code`'s status.
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status: status_for(code),
            message: message.into(),
        }
    }

    /// The refusal for a message that does not open or verify.
    pub fn open(e: &OpenError) -> Self {
        let message = match e {
            // Payload errors may quote decrypted content: say only what kind of problem it is.
            OpenError::Payload(_) => {
                "the decrypted payload is not a valid cp247 payload".to_owned()
            }
            other => other.to_string(),
        };
        Self::new(e.code(), message)
    }

    /// The refusal for a sender the directory does not let send now.
    pub fn traffic(e: &TrafficRefusal) -> Self {
        Self::new(e.code(), e.to_string())
    }

    /// The node cannot store the message now (the cause goes to the node's log, not to the
    /// sender).
    pub fn unavailable() -> Self {
        Self::new(
            "store_unavailable",
            "this node cannot store the message right now; send it again later",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_a_deliberate_status() {
        for (code, status) in [
            ("too_large", 413),
            ("attachment_too_large", 413),
            ("attachments_too_large", 413),
            ("too_many_attachments", 413),
            ("attachment_hash_mismatch", 400),
            ("invalid_file_name", 400),
            ("invalid_payload", 400),
            ("modification_detected", 400),
            ("recipient_not_us", 421),
            ("unknown_signer", 403),
            ("party_revoked", 403),
            ("too_old", 422),
            ("from_the_future", 425),
            ("ticket_conflict", 409),
            ("directory_unusable", 503),
            ("unsupported_version", 422),
            ("something_new", 500),
        ] {
            assert_eq!(status_for(code), status, "{code}");
        }
        let mut seen = std::collections::HashSet::new();
        for (code, _) in CODES {
            assert!(seen.insert(code), "{code} is listed twice");
        }
    }

    /// `docs/protocol/federation.md` lists exactly the codes of [`CODES`], each with its status.
    #[test]
    fn the_protocol_document_lists_exactly_these_codes() {
        let doc = include_str!("../../../docs/protocol/federation.md");
        let section = doc
            .split("### Refusals")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .unwrap();
        let mut listed = std::collections::BTreeMap::new();
        for line in section.lines().filter(|l| l.starts_with("| ")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let Ok(status) = cells[1].parse::<u16>() else {
                continue;
            };
            for code in cells[2].split(',') {
                let code = code.trim().trim_matches('`');
                assert!(
                    listed.insert(code.to_owned(), status).is_none(),
                    "{code} is listed twice in the document"
                );
            }
        }
        let code_table: std::collections::BTreeMap<String, u16> =
            CODES.iter().map(|(c, s)| ((*c).to_owned(), *s)).collect();
        assert_eq!(listed, code_table);
    }
}

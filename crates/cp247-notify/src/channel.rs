//! The e-mail channel of escalation: a request sent to a contact point that has no node, as a
//! PGP/MIME e-mail signed by the node and encrypted to the certificate the signed directory lists
//! for that contact point.

use cp247_directory::{Channel, ContactPoint};
use cp247_domain::{Address, MessageId, TicketId, Urgency};
use cp247_seal::Cert;
use jiff::Timestamp;

use crate::mail::Enclosure;
use crate::text::{MailAddress, Subject};

/// Why a contact point cannot be reached by e-mail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChannelError {
    /// It has a node: send through the federation instead.
    #[error("the contact point is reached through its node, not by e-mail")]
    NotEmail,
    /// No listed key is in force.
    #[error("the directory lists no key in force for the contact point's e-mail")]
    NoKey,
    /// The listed address cannot be written in a mail header.
    #[error("the contact point's e-mail address cannot be used: {0}")]
    Address(String),
}

/// Where and to whom an e-mail-only contact point is written.
#[derive(Debug, Clone)]
pub struct EmailTarget {
    /// The address the directory lists.
    pub address: MailAddress,
    /// The certificate to encrypt to.
    pub cert: Cert,
}

impl EmailTarget {
    /// The e-mail target of `contact_point` at `at`: its listed address and the last listed key
    /// not retired then.
    pub fn of(contact_point: &ContactPoint, at: Timestamp) -> Result<Self, ChannelError> {
        let Channel::Email(email) = &contact_point.channel else {
            return Err(ChannelError::NotEmail);
        };
        let key = contact_point
            .encryption_key(at)
            .ok_or(ChannelError::NoKey)?;
        let address = MailAddress::parse(email.address.as_str())
            .map_err(|e| ChannelError::Address(e.to_string()))?;
        Ok(Self {
            address,
            cert: key.cert.cert().clone(),
        })
    }
}

/// A request to send by e-mail.
#[derive(Debug, Clone)]
pub struct RequestMail {
    /// The ticket.
    pub ticket: TicketId,
    /// The message (as sealed for the node channel; its id is kept).
    pub message_id: MessageId,
    /// `art29`, `art31`…
    pub kind: String,
    /// Its urgency.
    pub urgency: Urgency,
    /// The requesting contact point (this node).
    pub from: Address,
    /// The contact point written to.
    pub to: Address,
    /// The contact point that did not acknowledge, if this is an escalation.
    pub unanswered: Option<Address>,
    /// The requester's duty phone numbers, to call back.
    pub phones: Vec<String>,
    /// The payload's canonical JSON (header and document).
    pub payload_json: Vec<u8>,
}

impl RequestMail {
    /// The protected subject.
    pub fn subject(&self) -> Subject {
        let escalated = if self.unanswered.is_some() {
            " (escalated)"
        } else {
            ""
        };
        Subject::new(format!(
            "[cp247] {} {} request from {}: {}{escalated}",
            self.urgency.as_str().to_ascii_uppercase(),
            crate::alert::safe_word(&self.kind),
            self.from,
            self.ticket
        ))
        .unwrap_or_else(|_| Subject::fallback())
    }

    /// The text part.
    pub fn text(&self) -> String {
        let mut lines = vec![format!(
            "The 24/7 contact point {} sends you an {} {} request, ticket {}.",
            self.from,
            self.urgency.as_str(),
            crate::alert::safe_word(&self.kind),
            self.ticket
        )];
        if let Some(unanswered) = &self.unanswered {
            lines.push(format!(
                "It was sent to {unanswered} first and not acknowledged in time; you are the alternate contact point."
            ));
        }
        lines.push(String::new());
        lines.push(format!(
            "The request is enclosed as request-{}.json (message {}). This e-mail is signed by the sending node's OpenPGP key as listed in the network directory.",
            self.ticket, self.message_id
        ));
        if !self.phones.is_empty() {
            lines.push(String::new());
            lines.push(format!("{} duty phones:", self.from.party));
            for phone in self.phones.iter().take(16) {
                lines.push(format!("  {}", crate::alert::safe_phone(phone)));
            }
        }
        let mut out = lines.join("\n");
        out.push('\n');
        out
    }

    /// The enclosed document.
    pub fn enclosure(&self) -> Enclosure {
        Enclosure {
            file_name: format!("request-{}.json", self.ticket),
            content_type: "application/json".into(),
            bytes: self.payload_json.clone(),
        }
    }
}

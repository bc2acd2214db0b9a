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

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use cp247_directory::contact::{AuthorityKind, ParentAuthority};
    use cp247_directory::hours::OfficeHours;
    use cp247_directory::model::{Bounded, EmailChannel, NodeChannel};
    use cp247_directory::status::Status;
    use cp247_directory::text::Text;
    use cp247_directory::{ListedCert, ListedKey};
    use cp247_seal::NodeKey;

    use super::*;

    fn key(name: &str) -> NodeKey {
        NodeKey::generate(name, "2026-01-01T00:00:00Z".parse().unwrap(), None).unwrap()
    }

    fn contact_point(channel: Channel) -> ContactPoint {
        ContactPoint {
            unit: Text::parse("Cybercrime 24/7 unit").unwrap(),
            parent_authority: ParentAuthority {
                kind: AuthorityKind::Police,
                name: Text::parse("National police").unwrap(),
            },
            mla_authority: false,
            capabilities: BTreeSet::new(),
            channel,
            duty_phones: Bounded::new(vec!["+37322000111".parse().unwrap()]).unwrap(),
            emails: Bounded::new(vec![]).unwrap(),
            languages: Bounded::new(vec!["en".parse().unwrap()]).unwrap(),
            time_zone: "Europe/Chisinau".parse().unwrap(),
            office_hours: OfficeHours::parse_weekly("24/7").unwrap(),
            status: Status::Active,
        }
    }

    #[test]
    fn the_target_is_the_listed_address_and_the_key_in_force() {
        let old = key("MD alternate 2026");
        let new = key("MD alternate 2027");
        let retired_at = "2026-06-01T00:00:00Z";
        let keys = Bounded::new(vec![
            ListedKey::new(ListedCert::from_cert(old.cert()), None),
            ListedKey::new(
                ListedCert::from_cert(new.cert()),
                Some(cp247_domain::Instant::parse(retired_at).unwrap()),
            ),
        ])
        .unwrap();
        let cp = contact_point(Channel::Email(EmailChannel {
            address: "alt247@md.example".parse().unwrap(),
            keys: keys.clone(),
        }));
        // Before the second key is retired it is the one in force; after, the first.
        let before = EmailTarget::of(&cp, "2026-03-01T00:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(before.address.email(), "alt247@md.example");
        assert_eq!(before.cert.fingerprint(), new.fingerprint());
        let after = EmailTarget::of(&cp, "2026-07-01T00:00:00Z".parse().unwrap()).unwrap();
        assert_eq!(after.cert.fingerprint(), old.fingerprint());

        let node = contact_point(Channel::Node(NodeChannel {
            endpoint: "https://md.example/".parse().unwrap(),
            tls_sha256: "ab".repeat(32).parse().unwrap(),
            keys,
            reads: None,
        }));
        assert_eq!(
            EmailTarget::of(&node, "2026-03-01T00:00:00Z".parse().unwrap()).unwrap_err(),
            ChannelError::NotEmail
        );
    }
}

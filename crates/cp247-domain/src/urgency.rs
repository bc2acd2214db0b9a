//! Urgency levels and communication channels (fields.md §10.13).

use serde::{Deserialize, Serialize};

/// How fast a request must be handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Normal handling.
    Routine,
    /// Data vulnerable to loss or modification (Art. 31(3)(a)).
    Urgent,
    /// Significant and imminent risk to the life or safety of a person (SAP Art. 3).
    Emergency,
}

impl Urgency {
    /// Every value, in increasing urgency.
    pub const ALL: [Urgency; 3] = [Urgency::Routine, Urgency::Urgent, Urgency::Emergency];

    /// The snake_case name used in JSON, XML and the message catalogue.
    pub fn as_str(&self) -> &'static str {
        match self {
            Urgency::Routine => "routine",
            Urgency::Urgent => "urgent",
            Urgency::Emergency => "emergency",
        }
    }
}

/// A way to communicate with an authority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The cp247 network itself.
    NetworkSystem,
    /// OpenPGP or S/MIME e-mail.
    EncryptedEmail,
    /// Telephone (oral).
    Phone,
    /// Fax.
    Fax,
    /// INTERPOL's I-24/7 network.
    InterpolI247,
    /// Through the central authority for mutual assistance.
    CentralAuthority,
    /// Diplomatic channel.
    Diplomatic,
    /// e-CODEX.
    ECodex,
    /// A service provider's law-enforcement portal.
    ProviderPortal,
    /// Anything else (described next to it).
    Other,
}

impl Channel {
    /// Every value.
    pub const ALL: [Channel; 10] = [
        Channel::NetworkSystem,
        Channel::EncryptedEmail,
        Channel::Phone,
        Channel::Fax,
        Channel::InterpolI247,
        Channel::CentralAuthority,
        Channel::Diplomatic,
        Channel::ECodex,
        Channel::ProviderPortal,
        Channel::Other,
    ];

    /// The snake_case name used in JSON, XML and the message catalogue.
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::NetworkSystem => "network_system",
            Channel::EncryptedEmail => "encrypted_email",
            Channel::Phone => "phone",
            Channel::Fax => "fax",
            Channel::InterpolI247 => "interpol_i247",
            Channel::CentralAuthority => "central_authority",
            Channel::Diplomatic => "diplomatic",
            Channel::ECodex => "e_codex",
            Channel::ProviderPortal => "provider_portal",
            Channel::Other => "other",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for u in Urgency::ALL {
            assert_eq!(
                serde_json::to_string(&u).unwrap(),
                format!("\"{}\"", u.as_str())
            );
        }
        for c in Channel::ALL {
            assert_eq!(
                serde_json::to_string(&c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
    }
}

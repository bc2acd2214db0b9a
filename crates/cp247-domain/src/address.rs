//! Where a message comes from or goes to: a Party and one of its contact points.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::PartyCode;

/// Which of a Party's 24/7 contact points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPointRole {
    /// The designated 24/7 contact point.
    Primary,
    /// The second contact point, alerted when the primary does not acknowledge in time.
    Alternate,
}

impl ContactPointRole {
    /// The snake_case name used on the wire and in the catalogue.
    pub fn as_str(&self) -> &'static str {
        match self {
            ContactPointRole::Primary => "primary",
            ContactPointRole::Alternate => "alternate",
        }
    }
}

/// A Party's contact point: the sender or recipient of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Address {
    /// The Party.
    pub party: PartyCode,
    /// Which of its contact points.
    pub point: ContactPointRole,
}

impl Address {
    /// The primary contact point of `party`.
    pub fn primary(party: PartyCode) -> Self {
        Self {
            party,
            point: ContactPointRole::Primary,
        }
    }

    /// The alternate contact point of `party`.
    pub fn alternate(party: PartyCode) -> Self {
        Self {
            party,
            point: ContactPointRole::Alternate,
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.party, self.point.as_str())
    }
}

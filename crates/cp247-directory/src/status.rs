//! Whether a Party, a contact point or a key may take part in traffic.

use cp247_domain::Instant;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::text::Reason;

/// When and why a suspension or revocation took effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standing {
    /// From when it applies.
    pub since: Instant,
    /// Why, in a sentence.
    pub reason: Reason,
}

/// The directory authority's decision about a Party or a contact point.
///
/// A suspension holds while it is listed: traffic is refused from `since` until a directory
/// lists the entry as active again. A revocation is final: traffic signed from `since` on is
/// refused, and a key once revoked never comes back (a new key is listed instead).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Takes part in traffic.
    #[default]
    Active,
    /// Temporarily excluded.
    Suspended(Standing),
    /// Permanently excluded.
    Revoked(Standing),
}

/// A [`Status`] as it stands at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusAt<'a> {
    /// Active at that instant (also when a suspension or revocation starts later).
    Active,
    /// Suspended at that instant.
    Suspended(&'a Standing),
    /// Revoked at that instant.
    Revoked(&'a Standing),
}

impl Status {
    /// The status in force at `at`: a suspension or revocation dated after `at` is not yet in
    /// force.
    pub fn at(&self, at: Timestamp) -> StatusAt<'_> {
        match self {
            Status::Active => StatusAt::Active,
            Status::Suspended(s) if s.since.timestamp() <= at => StatusAt::Suspended(s),
            Status::Revoked(s) if s.since.timestamp() <= at => StatusAt::Revoked(s),
            Status::Suspended(_) | Status::Revoked(_) => StatusAt::Active,
        }
    }

    /// The snake_case name of the variant.
    pub fn name(&self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Suspended(_) => "suspended",
            Status::Revoked(_) => "revoked",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_shape_and_time() {
        assert_eq!(
            serde_json::to_string(&Status::Active).unwrap(),
            "\"active\""
        );
        let s: Status = serde_json::from_str(
            r#"{"revoked":{"since":"2026-11-02T10:00:00+01:00","reason":"Key compromised."}}"#,
        )
        .unwrap();
        assert_eq!(s.name(), "revoked");
        assert_eq!(
            s.at("2026-11-02T08:59:59Z".parse().unwrap()),
            StatusAt::Active
        );
        assert!(matches!(
            s.at("2026-11-02T09:00:00Z".parse().unwrap()),
            StatusAt::Revoked(_)
        ));
        assert!(
            serde_json::from_str::<Status>(
                r#"{"suspended":{"since":"2026-11-02T10:00:00+01:00","reason":"Audit.","x":1}}"#
            )
            .is_err()
        );
        assert!(
            serde_json::from_str::<Status>(
                r#"{"suspended":{"since":"2026-11-02T10:00:00","reason":"Audit in progress."}}"#
            )
            .is_err(),
            "an instant without offset"
        );
        assert!(serde_json::from_str::<Status>("\"paused\"").is_err());
    }
}

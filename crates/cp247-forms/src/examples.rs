//! Complete, valid, realistic example documents, one per kind.
//!
//! One fictional case runs through all four: a ransomware attack on a hospital in Lyon
//! (France) whose stolen files went to a server rented in Chișinău (Republic of Moldova).
//! France asks Moldova to preserve the data (Art. 29); Moldova discloses under Art. 30 that the
//! server was administered through a Dutch VPN provider; France asks the Netherlands how to
//! obtain that provider's logs (Art. 35) and sends Moldova the follow-up request for subscriber
//! information (Art. 31). Every section of every document is used, including identifiers with
//! an IP address, port and instant with offset, e-mail addresses, URLs, phone numbers,
//! contacts and offences. Domains are example.org/.com/.net, addresses are from the
//! documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) and
//! phone numbers are from ranges reserved for fiction or not assigned to persons.
//!
//! The examples are kept as canonical JSON under `data/examples/`, embedded at compile time;
//! the tests check that each decodes without any problem and that its text is exactly what
//! [`crate::to_json_string`] writes.

use crate::decode::decode;
use crate::documents::{Document, Kind};
use crate::node::Node;
use crate::problem::Report;

/// Why an embedded example does not decode (a bug in cp247, caught by its tests).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the built-in {kind} example is not a valid document ({count} problems): this is a bug in cp247"
)]
pub struct ExampleError {
    /// Which example.
    pub kind: Kind,
    /// How many problems.
    pub count: usize,
    /// The problems.
    pub report: Report,
}

/// The canonical JSON text of the example of `kind`.
pub fn json(kind: Kind) -> &'static str {
    match kind {
        Kind::Art29 => include_str!("../data/examples/art29.json"),
        Kind::Art30 => include_str!("../data/examples/art30.json"),
        Kind::Art31 => include_str!("../data/examples/art31.json"),
        Kind::Art35 => include_str!("../data/examples/art35.json"),
    }
}

/// The example document of `kind`.
pub fn example(kind: Kind) -> Result<Document, ExampleError> {
    let err = |report: Report| ExampleError {
        kind,
        count: report.problems().len(),
        report,
    };
    let node = Node::from_json(json(kind).as_bytes()).map_err(|_| err(Report::new()))?;
    let parsed = decode(&node);
    match parsed.document {
        Some(doc) if parsed.report.problems().is_empty() => Ok(doc),
        _ => Err(err(parsed.report)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::Choice;

    #[test]
    fn every_example_is_valid_without_warnings_and_canonical() {
        for kind in Kind::ALL {
            let parsed = decode(&Node::from_json(json(*kind).as_bytes()).unwrap());
            let lines: Vec<String> = parsed
                .report
                .problems()
                .iter()
                .map(|p| p.line(cp247_i18n::Lang::En))
                .collect();
            assert!(lines.is_empty(), "{kind}: {lines:#?}");
            let doc = example(*kind).unwrap();
            assert_eq!(doc.kind(), *kind);
            assert_eq!(
                crate::to_json_string(&doc),
                json(*kind),
                "{kind} is not canonical"
            );
        }
    }

    #[test]
    fn debug_output_shows_no_case_data() {
        let secrets = [
            "Hôpital",
            "Claire Martin",
            "Hugo Bernard",
            "ExampleHost",
            "example.net",
            "example.org",
            "203.0.113.45",
            "198.51.100.23",
            "2001:db8",
            "+3319900",
            "ransom",
            "20/Feb/2026",
            "Nanterre",
        ];
        for kind in Kind::ALL {
            let doc = example(*kind).unwrap();
            let node = Node::from_json(json(*kind).as_bytes()).unwrap();
            for debug in [
                format!("{doc:?}"),
                format!("{node:?}"),
                format!("{:?}", decode(&node)),
            ] {
                for s in secrets {
                    assert!(!debug.contains(s), "{kind}: Debug shows {s:?}");
                }
            }
        }
    }
}

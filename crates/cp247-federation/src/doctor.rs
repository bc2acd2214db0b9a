//! Checks of one peer, for `cp247 doctor`: reachable? the TLS certificate the directory pins?
//! the OpenPGP certificate the directory lists? clocks in step? Each finding is a sentence.

use cp247_directory::{Channel, ContactPoint};
use cp247_domain::{Address, AdvertisedLevel, Clock, ProtocolLevel};
use cp247_seal::Cert;

use crate::client::{ClientLimits, PeerClient, TransportError};
use crate::endpoint::PeerEndpoint;
use crate::tls::TlsPin;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    /// As it should be.
    Ok,
    /// Works, but needs attention.
    Warning,
    /// Traffic with this peer fails or will fail.
    Problem,
}

/// One finding, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How serious.
    pub verdict: Verdict,
    /// What was found.
    pub sentence: String,
}

impl Finding {
    fn ok(sentence: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Ok,
            sentence: sentence.into(),
        }
    }
    fn warning(sentence: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Warning,
            sentence: sentence.into(),
        }
    }
    fn problem(sentence: impl Into<String>) -> Self {
        Self {
            verdict: Verdict::Problem,
            sentence: sentence.into(),
        }
    }
}

/// What was found about one peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerReport {
    /// The peer's contact point.
    pub address: Address,
    /// Its endpoint, as listed.
    pub endpoint: Option<String>,
    /// The clock skew measured (peer minus us, milliseconds).
    pub clock_skew_ms: Option<i64>,
    /// The findings, in order.
    pub findings: Vec<Finding>,
}

impl PeerReport {
    /// The worst verdict.
    pub fn verdict(&self) -> Verdict {
        self.findings
            .iter()
            .map(|f| f.verdict)
            .max()
            .unwrap_or(Verdict::Ok)
    }
}

/// What the peer says it reads (`protocol` of its identity) against what the directory lists
/// for it (ADR 0028): a directory that lists more than the node reads makes peers write what
/// it refuses.
pub fn protocol_finding(protocol: &str, listed: Option<AdvertisedLevel>) -> Finding {
    let said = match ProtocolLevel::from_protocol(protocol) {
        Ok(level) => level,
        Err(e) => {
            return Finding::warning(format!(
                "its identity names no protocol level this node knows ({e})"
            ));
        }
    };
    let listed_level = listed.map_or(ProtocolLevel::V1, AdvertisedLevel::level);
    let shown = listed.map_or_else(|| "no level (level 1)".to_owned(), |l| format!("level {l}"));
    if listed_level > said {
        Finding::problem(format!(
            "it reads protocol level {said}, but the directory lists {shown}: peers write it formats it refuses; the directory entry must be corrected"
        ))
    } else if listed_level < said {
        Finding::ok(format!(
            "it reads protocol level {said}; the directory lists {shown}, so peers write it level {listed_level}"
        ))
    } else {
        Finding::ok(format!(
            "it reads protocol level {said}, as the directory lists"
        ))
    }
}

/// Skew beyond which a warning is given.
const SKEW_WARNING_MS: i64 = 30_000;

/// Checks the peer at `address`, listed with contact point `cp`. `max_clock_ahead_ms` is how
/// far ahead a message may be dated before peers refuse it; `our_serial` is the serial of the
/// directory this node uses.
pub async fn check_peer(
    address: Address,
    cp: &ContactPoint,
    clock: &dyn Clock,
    limits: ClientLimits,
    max_clock_ahead_ms: i64,
    our_serial: Option<u64>,
) -> PeerReport {
    let mut report = PeerReport {
        address,
        endpoint: None,
        clock_skew_ms: None,
        findings: Vec::new(),
    };
    let node = match &cp.channel {
        Channel::Node(node) => node,
        Channel::Email(email) => {
            report.findings.push(Finding::warning(format!(
                "{address} has no node: it is reached by OpenPGP e-mail at {}, which this node does not send yet",
                email.address.as_str()
            )));
            return report;
        }
    };
    report.endpoint = Some(node.endpoint.as_str().to_owned());
    let endpoint = match PeerEndpoint::parse(node.endpoint.as_str()) {
        Ok(e) => e,
        Err(e) => {
            report.findings.push(Finding::problem(format!(
                "its endpoint cannot be used: {e}"
            )));
            return report;
        }
    };
    let pin = TlsPin::from_bytes(*node.tls_sha256.bytes());
    let client = match PeerClient::new(endpoint.clone(), Some(pin), limits) {
        Ok(c) => c,
        Err(e) => {
            report.findings.push(Finding::problem(e.to_string()));
            return report;
        }
    };
    let sent = clock.now();
    let answer = client.identity().await;
    let received = clock.now();
    let identity = match answer {
        Ok(identity) => identity,
        Err(TransportError::PinMismatch { mismatch, .. }) => {
            report
                .findings
                .push(Finding::ok(format!("{endpoint} is reachable")));
            report.findings.push(Finding::problem(format!(
                "its TLS certificate (SHA-256 {}) is not the one the directory pins ({}): either the node changed its certificate without the directory being updated, or something else answers at that address",
                mismatch.presented, mismatch.pinned
            )));
            return report;
        }
        Err(e) => {
            report
                .findings
                .push(Finding::problem(format!("it is not reachable: {e}")));
            return report;
        }
    };
    report.findings.push(Finding::ok(if endpoint.is_tls() {
        format!("{endpoint} is reachable and presents the TLS certificate the directory pins")
    } else {
        format!("{endpoint} is reachable over plain HTTP on loopback (demo or test setup)")
    }));
    if identity.address != address {
        report.findings.push(Finding::problem(format!(
            "the node there says it is {}, but the directory lists {address} at this endpoint",
            identity.address
        )));
    }
    match Cert::from_armored(&identity.cert) {
        Ok(cert) => {
            let fp = cert.fingerprint();
            if cp.channel.keys().iter().any(|k| k.fingerprint == fp) {
                report.findings.push(Finding::ok(format!(
                    "it uses the OpenPGP certificate {fp}, which the directory lists for it"
                )));
            } else {
                report.findings.push(Finding::problem(format!(
                    "it uses the OpenPGP certificate {fp}, which the directory does not list for it: its messages will be refused as signed by an unknown key"
                )));
            }
        }
        Err(e) => report.findings.push(Finding::problem(format!(
            "the certificate it serves is not readable: {e}"
        ))),
    }
    report
        .findings
        .push(protocol_finding(&identity.protocol, node.reads));
    // The peer read its clock somewhere between our two readings: compare with the middle.
    let half = received.duration_since(sent) / 2;
    let middle = sent.checked_add(half).unwrap_or(sent);
    let skew_ms = i64::try_from(
        identity
            .server_time
            .timestamp()
            .duration_since(middle)
            .as_millis(),
    )
    .unwrap_or(i64::MAX);
    report.clock_skew_ms = Some(skew_ms);
    let shown = format!("{:.1} s", skew_ms as f64 / 1000.0);
    if skew_ms.abs() >= max_clock_ahead_ms {
        report.findings.push(Finding::problem(format!(
            "its clock differs from ours by {shown}: messages dated by the faster clock are refused as coming from the future"
        )));
    } else if skew_ms.abs() >= SKEW_WARNING_MS {
        report.findings.push(Finding::warning(format!(
            "its clock differs from ours by {shown}; check that both nodes synchronise their clocks (NTP)"
        )));
    } else {
        report
            .findings
            .push(Finding::ok(format!("its clock is within {shown} of ours")));
    }
    if let Some(serial) = identity.directory_serial {
        match our_serial {
            Some(ours) if serial < ours => report.findings.push(Finding::warning(format!(
                "it uses directory serial {serial}, older than ours ({ours}): it may not know of the latest changes yet"
            ))),
            Some(ours) if serial > ours => report.findings.push(Finding::warning(format!(
                "it uses directory serial {serial}, newer than ours ({ours}): refresh this node's directory"
            ))),
            _ => report
                .findings
                .push(Finding::ok(format!("it uses directory serial {serial}"))),
        }
    } else {
        report.findings.push(Finding::problem(
            "it has no network directory, so it refuses all traffic".to_owned(),
        ));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_level_is_compared_with_the_advertised_one() {
        let listed = |n| Some(AdvertisedLevel::new(n).unwrap());
        let f = protocol_finding("cp247-federation/1", listed(2));
        assert_eq!(f.verdict, Verdict::Problem, "{}", f.sentence);
        assert!(f.sentence.contains("level 1") && f.sentence.contains("level 2"));
        assert_eq!(
            protocol_finding("cp247-federation/2", listed(2)).verdict,
            Verdict::Ok
        );
        assert_eq!(
            protocol_finding("cp247-federation/2", None).verdict,
            Verdict::Ok
        );
        assert_eq!(
            protocol_finding("cp247-federation/1", None).verdict,
            Verdict::Ok
        );
        assert_eq!(
            protocol_finding("something", None).verdict,
            Verdict::Warning
        );
    }
}

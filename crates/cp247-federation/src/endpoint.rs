//! Where a node is reached, and the rule that plain HTTP is for loopback only.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// Why an endpoint or a listen address is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL at all.
    #[error("'{text}' is not a node endpoint URL: {reason}")]
    NotAUrl {
        /// What was given (shortened).
        text: String,
        /// What the URL parser said.
        reason: String,
    },
    /// A scheme other than https (or http on loopback).
    #[error("'{0}' is not a node endpoint: node-to-node traffic uses https:// URLs")]
    Scheme(String),
    /// Plain HTTP to something that is not a loopback address.
    #[error(
        "'{0}' uses plain HTTP to a non-loopback host: node-to-node traffic must use https://; plain http:// is allowed only to a loopback address (127.0.0.0/8 or [::1]) for demos and tests"
    )]
    PlainHttpNotLoopback(String),
    /// Credentials, a query or a fragment in the endpoint.
    #[error(
        "'{0}' is not a node endpoint: it must not carry a user name, password, query or fragment"
    )]
    Extras(String),
    /// Plain HTTP listening on a non-loopback address.
    #[error(
        "the node is configured to listen on {0} without TLS: plain HTTP is allowed only on a loopback address (127.0.0.1 or ::1); configure a TLS certificate or listen on loopback"
    )]
    PlainListenNotLoopback(SocketAddr),
}

/// A peer node's base URL, checked: `https://…` anywhere, or `http://…` to a loopback IP
/// literal only. The path is the prefix under which the peer serves `/federation/v1/…`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PeerEndpoint {
    url: url::Url,
}

impl PeerEndpoint {
    /// Parses and checks an endpoint URL.
    pub fn parse(text: &str) -> Result<Self, EndpointError> {
        let shown: String = text.chars().take(200).collect();
        let mut url = url::Url::parse(text).map_err(|e| EndpointError::NotAUrl {
            text: shown.clone(),
            reason: e.to_string(),
        })?;
        if !url.username().is_empty()
            || url.password().is_some()
            || url.query().is_some()
            || url.fragment().is_some()
        {
            return Err(EndpointError::Extras(shown));
        }
        match url.scheme() {
            "https" => {
                if url.host().is_none() {
                    return Err(EndpointError::NotAUrl {
                        text: shown,
                        reason: "no host".into(),
                    });
                }
            }
            "http" => {
                if !is_loopback_host(&url) {
                    return Err(EndpointError::PlainHttpNotLoopback(shown));
                }
            }
            _ => return Err(EndpointError::Scheme(shown)),
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(Self { url })
    }

    /// True for `https://` endpoints.
    pub fn is_tls(&self) -> bool {
        self.url.scheme() == "https"
    }

    /// The URL of `path` (relative, e.g. `federation/v1/messages`) under this endpoint.
    pub fn join(&self, path: &str) -> Result<url::Url, EndpointError> {
        self.url.join(path).map_err(|e| EndpointError::NotAUrl {
            text: path.to_owned(),
            reason: e.to_string(),
        })
    }

    /// The base URL.
    pub fn as_url(&self) -> &url::Url {
        &self.url
    }

    /// For a plain-HTTP `localhost` endpoint, the loopback addresses to connect to instead of
    /// asking the resolver.
    pub fn localhost_addrs(&self) -> Option<[SocketAddr; 2]> {
        match self.url.host() {
            Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
                let port = self.url.port_or_known_default().unwrap_or(80);
                Some([
                    SocketAddr::new(IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), port),
                    SocketAddr::new(IpAddr::V6(std::net::Ipv6Addr::LOCALHOST), port),
                ])
            }
            _ => None,
        }
    }
}

fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        // The client resolves `localhost` itself to 127.0.0.1 and ::1, never through DNS.
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

impl fmt::Display for PeerEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.url.as_str())
    }
}

impl fmt::Debug for PeerEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PeerEndpoint({})", self.url)
    }
}

/// Refuses to serve plain HTTP on anything but a loopback address.
pub fn check_plain_listen(addr: SocketAddr) -> Result<(), EndpointError> {
    if is_loopback_ip(addr.ip()) {
        Ok(())
    } else {
        Err(EndpointError::PlainListenNotLoopback(addr))
    }
}

fn is_loopback_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_http_only_to_loopback() {
        let e = PeerEndpoint::parse("https://node.fr.example:8443").unwrap();
        assert!(e.is_tls());
        assert_eq!(
            e.join("federation/v1/messages").unwrap().as_str(),
            "https://node.fr.example:8443/federation/v1/messages"
        );
        let prefixed = PeerEndpoint::parse("https://gw.example/cp247").unwrap();
        assert_eq!(
            prefixed.join("federation/v1/identity").unwrap().as_str(),
            "https://gw.example/cp247/federation/v1/identity"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.8.9.1/",
            "http://[::1]:9000/",
        ] {
            assert!(!PeerEndpoint::parse(ok).unwrap().is_tls(), "{ok}");
        }
        for bad in [
            "http://10.0.0.5:8080",
            "http://localhost.example:8080",
            "http://node.example",
            "http://[::ffff:10.0.0.1]/",
        ] {
            assert!(
                matches!(
                    PeerEndpoint::parse(bad),
                    Err(EndpointError::PlainHttpNotLoopback(_))
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            PeerEndpoint::parse("ftp://x.example"),
            Err(EndpointError::Scheme(_))
        ));
        assert!(matches!(
            PeerEndpoint::parse("https://u:p@x.example"),
            Err(EndpointError::Extras(_))
        ));
        assert!(matches!(
            PeerEndpoint::parse("https://x.example/?a=b"),
            Err(EndpointError::Extras(_))
        ));
        assert!(matches!(
            PeerEndpoint::parse("not a url"),
            Err(EndpointError::NotAUrl { .. })
        ));
        let msg = PeerEndpoint::parse("http://10.0.0.5:8080")
            .unwrap_err()
            .to_string();
        assert!(msg.contains("must use https://"), "{msg}");
    }

    #[test]
    fn plain_listening_is_for_loopback_only() {
        assert!(check_plain_listen("127.0.0.1:0".parse().unwrap()).is_ok());
        assert!(check_plain_listen("[::1]:0".parse().unwrap()).is_ok());
        for bad in ["0.0.0.0:80", "[::]:80", "192.168.1.2:8080"] {
            let err = check_plain_listen(bad.parse().unwrap()).unwrap_err();
            assert!(err.to_string().contains("without TLS"), "{err}");
        }
    }
}

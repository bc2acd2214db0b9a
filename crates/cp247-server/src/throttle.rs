//! Sign-in throttling that does not lock the owner out (issue #10, ADR 0021).
//!
//! Every sign-in attempt (password or second factor) is admitted by the store before anything
//! is checked, in two buckets: the typed user name from this *source*, and the source alone
//! ([`cp247_store::Store::admit_sign_in`]). After a few free attempts each bucket imposes a
//! growing delay (1 s, 2 s, 4 s… up to 5 minutes); attempts during a delay are refused with
//! `429` and change nothing. The owner signing in from another source has buckets of their
//! own, so an attacker's source cannot lock them out. An unknown user name is throttled exactly
//! like a known one, so the answers say nothing about which names exist.
//!
//! The *source* is the client's address: the TCP peer's, or — behind a reverse proxy listed in
//! `[web] trusted_proxies` — the address that proxy wrote in `[web] client_address_header`.
//! IPv6 addresses are grouped by /64 (one subscriber's network), IPv4 addresses count alone.

use std::fmt;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::http::{HeaderMap, HeaderName};
use cp247_store::{Admission, SignInStep, Store, StoreError, ThrottleAttempt, ThrottlePolicy};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::ConfigError;

/// `[web]`: where the sign-in throttle reads the client's address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    /// The request header a reverse proxy writes the client's address in (e.g.
    /// `X-Forwarded-For`); read only on requests from `trusted_proxies`. Default: none, the
    /// TCP peer's address is the client's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_address_header: Option<String>,
    /// The proxies whose header is believed: addresses or prefixes (`127.0.0.1`,
    /// `10.0.0.0/8`, `2001:db8::/48`).
    /// In an environment override, one string with commas
    /// (`CP247__WEB__TRUSTED_PROXIES="10.0.0.1, 10.0.0.2"`).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "list_or_text"
    )]
    pub trusted_proxies: Vec<String>,
}

/// A list of strings, or one string of comma-separated items (environment overrides).
fn list_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(d)? {
        Either::List(items) => items,
        Either::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

impl WebSection {
    /// Parses the section into the policy the sign-in pages use, naming the key at fault.
    pub fn client_addresses(&self) -> Result<ClientAddresses, ConfigError> {
        let invalid = |key, reason: String| ConfigError::Invalid { key, reason };
        let header = match &self.client_address_header {
            None => None,
            Some(name) => Some(HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| {
                invalid(
                    "web.client_address_header",
                    format!(
                        "'{}' is not an HTTP header name (e.g. X-Forwarded-For)",
                        name.chars().take(60).collect::<String>()
                    ),
                )
            })?),
        };
        if self.trusted_proxies.len() > 64 {
            return Err(invalid(
                "web.trusted_proxies",
                "list at most 64 proxies or prefixes".into(),
            ));
        }
        let trusted = self
            .trusted_proxies
            .iter()
            .map(|text| {
                IpPrefix::parse(text).ok_or_else(|| {
                    invalid(
                        "web.trusted_proxies",
                        format!(
                            "'{}' is not an address or prefix such as 10.0.0.1, 10.0.0.0/8 or 2001:db8::/48",
                            text.chars().take(60).collect::<String>()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        match (&header, trusted.is_empty()) {
            (Some(_), true) => Err(invalid(
                "web.client_address_header",
                "it needs web.trusted_proxies: the header is believed only from the proxies listed there (anyone else could write any address in it)".into(),
            )),
            (None, false) => Err(invalid(
                "web.trusted_proxies",
                "it needs web.client_address_header: the header the proxies write the client's address in".into(),
            )),
            _ => Ok(ClientAddresses { header, trusted }),
        }
    }
}

/// An address prefix (`10.0.0.0/8`) or one address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpPrefix {
    addr: IpAddr,
    bits: u8,
}

impl IpPrefix {
    /// Parses `ADDR` or `ADDR/BITS`.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a, Some(b)),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let bits = match bits {
            Some(b) if !b.is_empty() && b.len() <= 3 && b.bytes().all(|c| c.is_ascii_digit()) => {
                b.parse().ok()?
            }
            Some(_) => return None,
            None => max,
        };
        (bits <= max).then_some(Self { addr, bits })
    }

    /// Whether `ip` is in the prefix (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.bits)).unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.bits))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// Where the client's address comes from (see [`WebSection`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientAddresses {
    header: Option<HeaderName>,
    trusted: Vec<IpPrefix>,
}

impl ClientAddresses {
    /// The client's address of a request that came from TCP peer `peer`: the peer's, unless
    /// the peer is a trusted proxy, in which case the last address of the header that is not
    /// itself a trusted proxy (proxies append the address they received from). A trusted
    /// proxy that sent no usable header is taken as the client (all its clients then share
    /// its throttles, which fails safe).
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let Some(name) = &self.header else {
            return peer;
        };
        if !self.is_trusted(peer) {
            return peer;
        }
        let mut found = None;
        // At most 64 addresses are read from each of at most 8 header lines (more lines: the
        // header is not usable).
        let lines: Vec<_> = headers.get_all(name).iter().take(9).collect();
        let lines = if lines.len() > 8 { &[][..] } else { &lines[..] };
        'lines: for value in lines.iter().rev() {
            let Ok(text) = value.to_str() else {
                break;
            };
            for item in text.rsplit(',').take(64) {
                match parse_client(item) {
                    Some(ip) if self.is_trusted(ip) => continue,
                    Some(ip) => {
                        found = Some(ip);
                        break 'lines;
                    }
                    None => break 'lines,
                }
            }
        }
        found.unwrap_or_else(|| {
            tracing::warn!(%peer, header = %name, "a trusted proxy sent no usable client address; its own address is used");
            peer
        })
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|p| p.contains(ip))
    }

    /// Whether `ip` is a trusted proxy whose header names its clients (the per-source
    /// connection cap does not apply to it: every officer behind it shares its address).
    pub fn is_trusted_proxy(&self, ip: IpAddr) -> bool {
        self.header.is_some() && self.is_trusted(ip)
    }
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:5000`, `2001:db8::1`,
/// `[2001:db8::1]:443`.
fn parse_client(item: &str) -> Option<IpAddr> {
    let item = item.trim();
    if let Ok(ip) = item.parse::<IpAddr>() {
        return Some(ip);
    }
    item.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

/// A throttling source: an IPv4 address, or the /64 prefix of an IPv6 address.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Source(String);

impl Source {
    /// The source of client address `ip`.
    pub fn of(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => Self(v4.to_string()),
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                Self(format!("{}/64", Ipv6Addr::from(prefix)))
            }
        }
    }

    /// Its text, as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Source({})", self.0)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The pair bucket of a typed user name from a source: a hash of the name (whatever was typed,
/// known or not, so nothing typed by mistake into the name field is stored) and the source.
pub fn pair_bucket(typed: &str, source: &Source) -> String {
    let mut h = Sha256::new();
    h.update(b"cp247-throttle-name-v1\0");
    h.update(typed.as_bytes());
    format!("{} {}", hex::encode(&h.finalize()[..16]), source.as_str())
}

/// The node's sign-in throttle.
#[derive(Debug)]
pub struct Throttle {
    store: Store,
    policy: ThrottlePolicy,
    /// When idle rows were last removed (unix seconds).
    last_clean: AtomicI64,
}

/// How often idle rows are removed, at most (seconds).
const CLEAN_EVERY_SECS: i64 = 60;

impl Throttle {
    /// A throttle over `store` with `policy`.
    pub fn new(store: Store, policy: ThrottlePolicy) -> Arc<Self> {
        Arc::new(Self {
            store,
            policy,
            last_clean: AtomicI64::new(i64::MIN),
        })
    }

    /// The policy.
    pub fn policy(&self) -> &ThrottlePolicy {
        &self.policy
    }

    /// Admits an attempt of `step` for the typed name `typed` (`account`: the user name when
    /// it is an account's) from `source` at `now`, before anything is checked.
    pub async fn admit(
        &self,
        step: SignInStep,
        typed: &str,
        account: Option<&str>,
        source: &Source,
        now: Timestamp,
    ) -> Result<Admission, StoreError> {
        self.clean_now_and_then(now).await;
        let pair = pair_bucket(typed, source);
        self.store
            .admit_sign_in(
                &ThrottleAttempt {
                    step,
                    pair: &pair,
                    username: account,
                    source: source.as_str(),
                },
                now,
                &self.policy,
            )
            .await
    }

    /// Records that the admitted attempt of `step` by account `username` from `source`
    /// succeeded.
    pub async fn succeeded(
        &self,
        step: SignInStep,
        username: &str,
        source: &Source,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let pair = pair_bucket(username, source);
        self.store
            .sign_in_succeeded(
                &ThrottleAttempt {
                    step,
                    pair: &pair,
                    username: Some(username),
                    source: source.as_str(),
                },
                now,
                &self.policy,
            )
            .await
    }

    async fn clean_now_and_then(&self, now: Timestamp) {
        let secs = now.as_second();
        let last = self.last_clean.load(Ordering::Relaxed);
        if secs.saturating_sub(last) < CLEAN_EVERY_SECS
            || self
                .last_clean
                .compare_exchange(last, secs, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        if let Err(e) = self.store.clean_sign_in_throttles(now, &self.policy).await {
            tracing::warn!(error = %e, "idle sign-in throttles could not be removed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn sources_group_ipv6_by_64_and_keep_ipv4_whole() {
        let s = |t: &str| Source::of(t.parse().unwrap()).as_str().to_owned();
        assert_eq!(s("192.0.2.7"), "192.0.2.7");
        assert_eq!(s("::ffff:192.0.2.7"), "192.0.2.7");
        assert_eq!(s("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(s("2001:db8:1:2:ffff:ffff:ffff:ffff"), "2001:db8:1:2::/64");
        assert_ne!(s("2001:db8:1:3::1"), s("2001:db8:1:2::1"));
        assert_eq!(s("::1"), "::/64");
        // The pair bucket never holds the typed text.
        let b = pair_bucket(
            "my secret password typed as a name",
            &Source::of([127, 0, 0, 1].into()),
        );
        assert!(!b.contains("secret") && b.ends_with(" 127.0.0.1"), "{b}");
        assert_eq!(b.len(), 32 + 1 + 9);
    }

    #[test]
    fn prefixes_parse_and_contain() {
        let p = IpPrefix::parse("10.0.0.0/8").unwrap();
        assert!(p.contains("10.200.3.4".parse().unwrap()));
        assert!(p.contains("::ffff:10.1.1.1".parse().unwrap()));
        assert!(!p.contains("11.0.0.1".parse().unwrap()));
        let one = IpPrefix::parse("127.0.0.1").unwrap();
        assert!(one.contains("127.0.0.1".parse().unwrap()));
        assert!(!one.contains("127.0.0.2".parse().unwrap()));
        let v6 = IpPrefix::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:ffff::1".parse().unwrap()));
        assert!(!v6.contains("10.0.0.1".parse().unwrap()));
        assert!(
            IpPrefix::parse("0.0.0.0/0")
                .unwrap()
                .contains("8.8.8.8".parse().unwrap())
        );
        for bad in ["", "10.0.0.0/33", "10.0.0.0/", "x", "10.0.0.0/-1", "::/129"] {
            assert!(IpPrefix::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn the_header_is_believed_only_from_trusted_proxies() {
        let section = WebSection {
            client_address_header: Some("X-Forwarded-For".into()),
            trusted_proxies: vec!["127.0.0.1".into(), "10.0.0.0/8".into()],
        };
        let c = section.client_addresses().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("203.0.113.9, 198.51.100.7:5000, 10.1.2.3"),
        );
        let proxy: IpAddr = "127.0.0.1".parse().unwrap();
        let stranger: IpAddr = "192.0.2.50".parse().unwrap();
        // From the proxy: the last address that is not a trusted proxy.
        assert_eq!(
            c.client(proxy, &h),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // From anyone else, the header is ignored.
        assert_eq!(c.client(stranger, &h), stranger);
        // No header, or garbage: the proxy itself.
        assert_eq!(c.client(proxy, &HeaderMap::new()), proxy);
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("not an address"),
        );
        assert_eq!(c.client(proxy, &h), proxy);
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_static("[2001:db8::5]:443"),
        );
        assert_eq!(
            c.client(proxy, &h),
            "2001:db8::5".parse::<IpAddr>().unwrap()
        );
        // Without the section, the peer always.
        let none = WebSection::default().client_addresses().unwrap();
        assert_eq!(none.client(proxy, &h), proxy);
    }

    #[test]
    fn bad_web_settings_are_refused_with_their_key() {
        for (section, key) in [
            (
                WebSection {
                    client_address_header: Some("X-Forwarded-For".into()),
                    trusted_proxies: vec![],
                },
                "web.client_address_header",
            ),
            (
                WebSection {
                    client_address_header: None,
                    trusted_proxies: vec!["10.0.0.1".into()],
                },
                "web.trusted_proxies",
            ),
            (
                WebSection {
                    client_address_header: Some("bad header\n".into()),
                    trusted_proxies: vec!["10.0.0.1".into()],
                },
                "web.client_address_header",
            ),
            (
                WebSection {
                    client_address_header: Some("X-Real-IP".into()),
                    trusted_proxies: vec!["10.0.0.0/40".into()],
                },
                "web.trusted_proxies",
            ),
        ] {
            match section.client_addresses() {
                Err(ConfigError::Invalid { key: k, .. }) => assert_eq!(k, key),
                other => panic!("{key}: {other:?}"),
            }
        }
    }

    /// `[web]` in the file, and as environment overrides (the list as one string), with the
    /// key named when it is refused.
    #[test]
    fn the_web_section_is_read_from_the_file_and_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::config::CONFIG_FILE_NAME);
        let base = format!(
            "party = \"MD\"\nname = \"CCCI\"\nlisten = \"127.0.0.1:0\"\n\
             endpoint = \"http://127.0.0.1:8443/\"\ndatabase_url = \"sqlite://{}\"\n\
             node_key = \"node-key.asc\"\nnode_cert = \"node-cert.asc\"\n\
             authority_cert = \"authority-cert.asc\"\ndirectory = \"directory.json\"\n",
            dir.path().join("cp247.db").display()
        );
        std::fs::write(&path, &base).unwrap();
        let load = |env: &[(&str, &str)]| {
            let env: Vec<(String, String)> = env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            crate::config::ConfigFile::load(&path, &env)
        };
        let plain = load(&[]).unwrap();
        assert_eq!(plain.file.web, WebSection::default());
        assert_eq!(
            crate::secrets::key_path(&plain),
            dir.path().join("secrets.key")
        );
        let proxied = load(&[
            ("CP247__WEB__CLIENT_ADDRESS_HEADER", "X-Forwarded-For"),
            ("CP247__WEB__TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16"),
        ])
        .unwrap();
        assert_eq!(
            proxied.file.web.trusted_proxies,
            vec!["10.0.0.1".to_owned(), "192.168.0.0/16".to_owned()]
        );
        let err = load(&[("CP247__WEB__TRUSTED_PROXIES", "10.0.0.1")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.trusted_proxies"), "{err}");
        std::fs::write(
            &path,
            format!(
                "{base}\n[web]\nclient_address_header = \"X-Real-IP\"\ntrusted_proxies = [\"not an address\"]\n"
            ),
        )
        .unwrap();
        let err = load(&[]).unwrap_err().to_string();
        assert!(
            err.contains("web.trusted_proxies") && err.contains("not an address"),
            "{err}"
        );
    }
}

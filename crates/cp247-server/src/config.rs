//! The node's configuration: `cp247.toml` in the node directory, with environment overrides.
//!
//! [`ConfigFile`] is the file's one schema, and this module the one place that reads and
//! writes it: `cp247 init` and the demo's provisioning build it with [`ConfigFile::new_node`]
//! and write [`ConfigFile::to_toml`]; every CLI command on a node directory reads it with
//! [`ConfigFile::read`] (a [`NodeFile`]: the file and its absolute directory) and `serve`
//! with [`ConfigFile::load`]. The flat keys below come with optional tuning tables
//! (`[delivery]`, `[peers]`, `[limits]`, …) that `init` does not write (defaults apply), and
//! which every command reads. Unknown keys are refused. [`ConfigFile::resolve`] turns it into
//! a checked [`NodeConfig`]: paths made absolute against the file's directory, URLs parsed,
//! and insecure combinations refused with a sentence that names the key.
//!
//! ```toml
//! party = "FR"
//! contact_point = "primary"
//! name = "OCLCTIC 24/7"
//! listen = "0.0.0.0:8443"
//! endpoint = "https://cp247.fr.example:8443/"   # https: TLS; http://127.0.0.1:…: plain, loopback only
//! database_url = "sqlite:///srv/cp247/cp247.db"
//! node_key = "node-key.asc"
//! node_cert = "node-cert.asc"
//! authority_cert = "authority-cert.asc"
//! directory = "directory.json"                  # the last accepted directory (+ .asc)
//! directory_source = "https://dir.example/cp247/directory.json"  # optional; default: `directory`
//! directory_grace_days = 7
//! secrets_key = "secrets.key"                   # optional; the key sealing TOTP seeds (0600)
//!
//! listen_officers = "10.20.0.5:8444"           # optional: the officers' web and API elsewhere
//!
//! [connections]                                 # optional; these are the defaults (ADR 0022)
//! max_per_source = 64                           # per IPv4 address / IPv6 /64; global: limits.max_connections
//! first_byte_timeout = "10s"
//! tls_handshake_timeout = "10s"
//! request_head_timeout = "15s"                  # protocol detection; each HTTP/1 head, keep-alive included
//! idle_timeout = "60s"                          # no request in flight (HTTP/2 too)
//! http2_ping_interval = "30s"
//! http2_ping_timeout = "20s"
//!
//! [web]                                         # optional: behind a reverse proxy only
//! client_address_header = "X-Forwarded-For"     # believed only from the proxies below
//! trusted_proxies = ["127.0.0.1"]               # addresses or prefixes (10.0.0.0/8)
//!
//! [delivery]                                    # optional
//! give_up_after = "3d"
//!
//! [cases]                                       # optional; these are the defaults
//! scheduler_every = "30s"
//! ack_limit = { emergency = "30m", urgent = "2h", routine = "1 working day" }
//! preservation_reminders = ["14d", "7d", "1d"]  # days before the end, earliest first
//!
//! [federation]                                  # optional (ADR 0028)
//! reads = 2                                     # protocol level read and advertised; default: the release's highest
//!
//! [tokens]                                      # optional; these are the defaults (ADR 0020)
//! default_lifetime = "90d"                      # an API token asked for without a lifetime
//! max_lifetime = "365d"                         # the longest anyone may ask for (at most 730d)
//! ```
//!
//! `ack_limit` takes elapsed time (`30m`, `2h`), office time of the requested contact point
//! (`"4h office time"`) or its working days (`"1 working day"`); see [`crate::cases_config`].
//!
//! Environment overrides: `CP247__KEY=value` for a top-level key and `CP247__TABLE__KEY=value`
//! for a table (`CP247__LISTEN=127.0.0.1:9000`, `CP247__DELIVERY__LEASE=10s`). Only the CLI reads
//! the environment; it hands the variables to [`ConfigFile::load`].

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use cp247_domain::{Address, ContactPointRole, PartyCode};
use cp247_federation::client::ClientLimits;
pub use cp247_federation::directory::DirectorySource;
use cp247_federation::endpoint::PeerEndpoint;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The configuration file's name in a node directory.
pub const CONFIG_FILE_NAME: &str = "cp247.toml";

/// The node's locked secret key, as `cp247 init` names it.
pub const NODE_KEY_FILE: &str = "node-key.asc";
/// The node's public certificate, as `cp247 init` names it.
pub const NODE_CERT_FILE: &str = "node-cert.asc";
/// The pinned directory-authority certificate, as `cp247 init` names it.
pub const AUTHORITY_CERT_FILE: &str = "authority-cert.asc";
/// The last accepted directory, as `cp247 init` names it (its signature adds `.asc`).
pub const DIRECTORY_FILE: &str = "directory.json";
/// The database of a new node: SQLite beside the configuration.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://cp247.db";

/// The prefix of environment overrides (`CP247__LISTEN__ADDRESS`).
pub const ENV_PREFIX: &str = "CP247__";

/// Why the configuration is refused. Each message names the key and says what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or parsed, or a value has the wrong type.
    #[error("cannot read the configuration {path}: {reason}")]
    Load {
        /// The file.
        path: String,
        /// What went wrong, with the key.
        reason: String,
    },
    /// A value is invalid or an insecure combination was asked for.
    #[error("configuration key {key}: {reason}")]
    Invalid {
        /// The key (`listen.address`).
        key: &'static str,
        /// What is wrong, as a sentence.
        reason: String,
    },
    /// The file could not be written.
    #[error("cannot write the configuration {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

/// A span of time written as a number and a unit: `500ms`, `30s`, `5m`, `2h`, `7d`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Period(Duration);

impl Period {
    /// A period of `secs` seconds.
    pub const fn secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    /// A period of `ms` milliseconds.
    pub const fn millis(ms: u64) -> Self {
        Self(Duration::from_millis(ms))
    }

    /// The duration.
    pub fn duration(&self) -> Duration {
        self.0
    }

    /// The duration as a signed jiff duration (saturating).
    pub fn signed(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::try_from(self.0).unwrap_or(jiff::SignedDuration::MAX)
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "'{}' is not a period: write a whole number and a unit, e.g. 500ms, 30s, 5m, 2h or 7d",
                text.chars().take(40).collect::<String>()
            )
        };
        let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        if number.is_empty() || number.len() > 12 {
            return Err(bad());
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        let ms_per = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(bad()),
        };
        Ok(Self(Duration::from_millis(n.saturating_mul(ms_per))))
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        for (unit, per) in [
            ("d", 86_400_000u128),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
        ] {
            if ms != 0 && ms.is_multiple_of(per) {
                return write!(f, "{}{unit}", ms / per);
            }
        }
        write!(f, "{ms}ms")
    }
}

impl fmt::Debug for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Period({self})")
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn primary() -> ContactPointRole {
    ContactPointRole::Primary
}

fn seven() -> u32 {
    7
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

/// `[delivery]`: the outbox workers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliverySection {
    /// How long a worker holds a claimed message before another may take it over.
    #[serde(default = "default_lease")]
    pub lease: Period,
    /// The delay before the first retry; each later retry doubles it, with jitter.
    #[serde(default = "default_first_retry")]
    pub first_retry: Period,
    /// The longest delay between two attempts.
    #[serde(default = "default_max_backoff")]
    pub max_backoff: Period,
    /// After this long without a receipt, a message is marked undeliverable.
    #[serde(default = "default_give_up")]
    pub give_up_after: Period,
    /// How often an idle worker looks for due messages (new messages wake it at once).
    #[serde(default = "default_poll")]
    pub poll_every: Period,
    /// Messages sent to one peer at the same time.
    #[serde(default = "default_concurrency")]
    pub concurrency_per_peer: u32,
    /// Messages claimed at once.
    #[serde(default = "default_batch")]
    pub batch: u32,
}

fn default_lease() -> Period {
    Period::secs(120)
}
fn default_first_retry() -> Period {
    Period::secs(5)
}
fn default_max_backoff() -> Period {
    Period::secs(1800)
}
fn default_give_up() -> Period {
    Period::secs(3 * 86_400)
}
fn default_poll() -> Period {
    Period::secs(2)
}
fn default_concurrency() -> u32 {
    8
}
fn default_batch() -> u32 {
    32
}

impl Default for DeliverySection {
    fn default() -> Self {
        Self {
            lease: default_lease(),
            first_retry: default_first_retry(),
            max_backoff: default_max_backoff(),
            give_up_after: default_give_up(),
            poll_every: default_poll(),
            concurrency_per_peer: default_concurrency(),
            batch: default_batch(),
        }
    }
}

/// `[cases]`: the case-work scheduler (reminders, escalation, lapse).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CasesSection {
    /// How often the scheduler looks for due reminders and escalations (default 30s).
    #[serde(default = "default_scheduler_every")]
    pub scheduler_every: Period,
    /// The most open cases one scheduler pass examines (default 5000).
    #[serde(default = "default_scheduler_batch")]
    pub scheduler_batch: u32,
    /// How long the requested side has to acknowledge a request, by urgency (see
    /// [`crate::cases_config`]).
    #[serde(default, skip_serializing_if = "is_default")]
    pub ack_limit: crate::cases_config::AckLimits,
    /// The days before the end of a preservation at which the officers are reminded.
    #[serde(default, skip_serializing_if = "is_default")]
    pub preservation_reminders: crate::cases_config::ReminderDays,
}

impl CasesSection {
    /// The deadline policy these settings give.
    pub fn policy(&self) -> cp247_case::DeadlinePolicy {
        crate::cases_config::policy(&self.ack_limit, &self.preservation_reminders)
    }
}

fn default_scheduler_every() -> Period {
    Period::secs(30)
}
fn default_scheduler_batch() -> u32 {
    5000
}

impl Default for CasesSection {
    fn default() -> Self {
        Self {
            scheduler_every: default_scheduler_every(),
            scheduler_batch: default_scheduler_batch(),
            ack_limit: crate::cases_config::AckLimits::default(),
            preservation_reminders: crate::cases_config::ReminderDays::default(),
        }
    }
}

/// `[testing]`: facilities for process tests only. A node with any of them on refuses to
/// start unless it listens on a loopback address without TLS (a test network).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestingSection {
    /// Serve `POST /api/v1/testing/clock` (admin token): move the node's clock forward, so
    /// a test can reach deadlines weeks away in seconds. Never in production.
    #[serde(default)]
    pub clock_control: bool,
}

/// `[federation]`: what the node tells its peers about itself (ADR 0028).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FederationSection {
    /// The protocol level the node reads and advertises (`"protocol":
    /// "cp247-federation/N"` in its identity document): 1 up to this release's highest,
    /// which is the default. For staged upgrades: processes of one node that share a
    /// database and are upgraded one at a time keep `reads = 1` until the last runs the new
    /// release, so no process is sent a format another cannot read; a node whose directory
    /// entry lists a higher level than this must have the entry corrected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reads: Option<cp247_domain::ProtocolLevel>,
}

impl FederationSection {
    /// The level the node reads: `reads`, or this release's highest.
    pub fn level(&self) -> cp247_domain::ProtocolLevel {
        self.reads.unwrap_or(cp247_domain::ProtocolLevel::HIGHEST)
    }
}

/// `[peers]`: outbound calls to other nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeersSection {
    /// TCP connection and TLS handshake.
    #[serde(default = "default_connect")]
    pub connect_timeout: Period,
    /// Between two reads.
    #[serde(default = "default_read")]
    pub read_timeout: Period,
    /// One whole call.
    #[serde(default = "default_total")]
    pub total_timeout: Period,
}

fn default_connect() -> Period {
    Period::secs(10)
}
fn default_read() -> Period {
    Period::secs(30)
}
fn default_total() -> Period {
    Period::secs(60)
}

impl Default for PeersSection {
    fn default() -> Self {
        Self {
            connect_timeout: default_connect(),
            read_timeout: default_read(),
            total_timeout: default_total(),
        }
    }
}

/// `[limits]`: what the node accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// The largest sealed message accepted from a peer, in bytes, before attachments: the
    /// node accepts this plus what the attachment limits below can add
    /// ([`LimitsSection::open_limits`]).
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
    /// The largest API request body, in bytes, before attachments: the node accepts this plus
    /// what the attachment limits below can add in base64 ([`LimitsSection::api_body_limit`]).
    #[serde(default = "default_max_api_body")]
    pub max_api_body_bytes: usize,
    /// The most files one message (request or reply) may carry, sent or received.
    #[serde(default = "default_max_attachments")]
    pub max_attachments: usize,
    /// The largest file, in bytes.
    #[serde(default = "default_max_attachment_bytes")]
    pub max_attachment_bytes: usize,
    /// The most bytes of one message's files together.
    #[serde(default = "default_max_attachments_total_bytes")]
    pub max_attachments_total_bytes: usize,
    /// The longest any HTTP request may take.
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Period,
    /// Connections served at once.
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    /// Messages older than this are refused (replays after the window).
    #[serde(default = "default_max_age")]
    pub max_message_age: Period,
    /// Messages dated further ahead than this are refused.
    #[serde(default = "default_max_future")]
    pub max_clock_ahead: Period,
    /// Messages from peers opened (decrypted, checked, verified) at once; the excess waits
    /// its turn (see `max_inbound_waiting`).
    #[serde(default = "default_max_inbound_opening")]
    pub max_inbound_opening: usize,
    /// Messages from peers that may wait for an opening slot, a quarter of them from one
    /// source, each for at most 10 s; beyond them, or after the wait, a message is answered
    /// 503 `inbound_busy` with `Retry-After` and the sender tries again. 0: none waits.
    #[serde(default = "default_max_inbound_waiting")]
    pub max_inbound_waiting: usize,
}

fn default_max_message() -> usize {
    cp247_federation::wire::DEFAULT_MAX_MESSAGE_BYTES
}
fn default_max_api_body() -> usize {
    2 * 1024 * 1024
}
fn default_max_attachments() -> usize {
    cp247_casework::limits::DEFAULT_MAX_ATTACHMENTS
}
fn default_max_attachment_bytes() -> usize {
    cp247_casework::limits::DEFAULT_MAX_ATTACHMENT_BYTES
}
fn default_max_attachments_total_bytes() -> usize {
    cp247_casework::limits::DEFAULT_MAX_ATTACHMENTS_TOTAL_BYTES
}
fn default_request_timeout() -> Period {
    Period::secs(30)
}
fn default_max_connections() -> usize {
    1024
}
fn default_max_age() -> Period {
    Period::secs(30 * 86_400)
}
fn default_max_future() -> Period {
    Period::secs(300)
}
fn default_max_inbound_opening() -> usize {
    cp247_federation::inbound::DEFAULT_MAX_OPENING
}
fn default_max_inbound_waiting() -> usize {
    cp247_federation::inbound::DEFAULT_MAX_WAITING
}

impl Default for LimitsSection {
    fn default() -> Self {
        Self {
            max_message_bytes: default_max_message(),
            max_api_body_bytes: default_max_api_body(),
            max_attachments: default_max_attachments(),
            max_attachment_bytes: default_max_attachment_bytes(),
            max_attachments_total_bytes: default_max_attachments_total_bytes(),
            request_timeout: default_request_timeout(),
            max_connections: default_max_connections(),
            max_message_age: default_max_age(),
            max_clock_ahead: default_max_future(),
            max_inbound_opening: default_max_inbound_opening(),
            max_inbound_waiting: default_max_inbound_waiting(),
        }
    }
}

/// The most bytes the JSON of one attachment in an API body adds besides its base64 content
/// (keys, the file name — possibly written with `\u` escapes —, the media type).
const API_ATTACHMENT_JSON_OVERHEAD: usize = 4 * 1024;

impl LimitsSection {
    /// The attachment limits, for sealing, opening and storing.
    pub fn attachment_limits(&self) -> cp247_casework::limits::AttachmentLimits {
        cp247_casework::limits::AttachmentLimits {
            max_files: self.max_attachments,
            max_file_bytes: self.max_attachment_bytes,
            max_total_bytes: self.max_attachments_total_bytes,
        }
    }

    /// What the node accepts from peers and seals itself: `max_message_bytes` plus what the
    /// attachment limits can add to a sealed message.
    pub fn open_limits(&self) -> cp247_casework::limits::Limits {
        cp247_casework::limits::Limits::with_attachments(
            self.max_message_bytes,
            self.attachment_limits(),
        )
    }

    /// The largest API body: `max_api_body_bytes` plus the base64 of the most attachment bytes
    /// a message may carry and each file's JSON — only as much as the attachment limits need.
    pub fn api_body_limit(&self) -> usize {
        if self.max_attachments == 0 {
            return self.max_api_body_bytes;
        }
        let content = cp247_casework::limits::base64_len(
            self.max_attachments_total_bytes.min(
                self.max_attachment_bytes
                    .saturating_mul(self.max_attachments),
            ),
        );
        self.max_api_body_bytes
            .saturating_add(content)
            .saturating_add(
                self.max_attachments
                    .saturating_mul(API_ATTACHMENT_JSON_OVERHEAD),
            )
    }
}

/// `[connections]`: how long each phase of an incoming connection may take and how many
/// connections one source may hold (ADR 0022). The global cap is `limits.max_connections`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionsSection {
    /// Connections open at once from one source: an IPv4 address or an IPv6 /64 (default 64;
    /// at most half of `limits.max_connections`). A trusted reverse proxy (`[web]`) is exempt.
    #[serde(default = "default_max_per_source")]
    pub max_per_source: usize,
    /// From the TCP accept to the client's first byte (default 10s).
    #[serde(default = "default_first_byte_timeout")]
    pub first_byte_timeout: Period,
    /// The TLS handshake, from the first byte (default 10s).
    #[serde(default = "default_tls_handshake_timeout")]
    pub tls_handshake_timeout: Period,
    /// Protocol detection (HTTP/1 or HTTP/2), and each HTTP/1 request head, including the
    /// wait for the next one on a keep-alive connection (default 15s).
    #[serde(default = "default_request_head_timeout")]
    pub request_head_timeout: Period,
    /// A connection with no request in flight for this long is closed (default 60s).
    #[serde(default = "default_idle_timeout")]
    pub idle_timeout: Period,
    /// How often an HTTP/2 connection is pinged (default 30s).
    #[serde(default = "default_h2_ping_interval")]
    pub http2_ping_interval: Period,
    /// How long a ping may go unanswered before the connection is closed (default 20s).
    #[serde(default = "default_h2_ping_timeout")]
    pub http2_ping_timeout: Period,
}

// The defaults are the listener's own (`ServeLimits::default`, ADR 0022): one place holds them.
fn listener_default() -> cp247_federation::ServeLimits {
    cp247_federation::ServeLimits::default()
}
fn default_max_per_source() -> usize {
    listener_default().max_connections_per_source
}
fn default_first_byte_timeout() -> Period {
    Period(listener_default().first_byte_timeout)
}
fn default_tls_handshake_timeout() -> Period {
    Period(listener_default().handshake_timeout)
}
fn default_request_head_timeout() -> Period {
    Period(listener_default().header_read_timeout)
}
fn default_idle_timeout() -> Period {
    Period(listener_default().idle_timeout)
}
fn default_h2_ping_interval() -> Period {
    Period(listener_default().h2_keep_alive_interval)
}
fn default_h2_ping_timeout() -> Period {
    Period(listener_default().h2_keep_alive_timeout)
}

impl Default for ConnectionsSection {
    fn default() -> Self {
        Self {
            max_per_source: default_max_per_source(),
            first_byte_timeout: default_first_byte_timeout(),
            tls_handshake_timeout: default_tls_handshake_timeout(),
            request_head_timeout: default_request_head_timeout(),
            idle_timeout: default_idle_timeout(),
            http2_ping_interval: default_h2_ping_interval(),
            http2_ping_timeout: default_h2_ping_timeout(),
        }
    }
}

/// The shortest and longest time `[connections]` accepts for any of its timeouts.
const CONNECTION_TIMEOUT_RANGE: (Duration, Duration) =
    (Duration::from_millis(100), Duration::from_secs(600));

impl ConnectionsSection {
    /// The listener's limits, with the global cap `max_connections`.
    pub fn serve_limits(&self, max_connections: usize) -> cp247_federation::ServeLimits {
        cp247_federation::ServeLimits {
            first_byte_timeout: self.first_byte_timeout.duration(),
            handshake_timeout: self.tls_handshake_timeout.duration(),
            header_read_timeout: self.request_head_timeout.duration(),
            idle_timeout: self.idle_timeout.duration(),
            h2_keep_alive_interval: self.http2_ping_interval.duration(),
            h2_keep_alive_timeout: self.http2_ping_timeout.duration(),
            max_connections,
            max_connections_per_source: self.max_per_source,
            ..cp247_federation::ServeLimits::default()
        }
    }

    fn check(&self, max_connections: usize) -> Result<(), ConfigError> {
        if self.max_per_source == 0 || self.max_per_source > max_connections / 2 {
            return Err(invalid(
                "connections.max_per_source",
                format!(
                    "it must be at least 1 and at most half of limits.max_connections ({max_connections}), so that one address cannot fill the node's connection slots"
                ),
            ));
        }
        let (least, most) = CONNECTION_TIMEOUT_RANGE;
        for (key, period) in [
            ("connections.first_byte_timeout", self.first_byte_timeout),
            (
                "connections.tls_handshake_timeout",
                self.tls_handshake_timeout,
            ),
            (
                "connections.request_head_timeout",
                self.request_head_timeout,
            ),
            ("connections.idle_timeout", self.idle_timeout),
            ("connections.http2_ping_interval", self.http2_ping_interval),
            ("connections.http2_ping_timeout", self.http2_ping_timeout),
        ] {
            let d = period.duration();
            if d < least || d > most {
                return Err(invalid(
                    key,
                    format!(
                        "'{period}' is out of range: it must be 100ms to 10m; an unbounded wait lets idle connections take the node's slots"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `[audit]`: the audit chain's signed checkpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSection {
    /// How often the node signs a checkpoint of its audit-chain head (when the chain has grown
    /// since the last one), read on the node's clock. The node also signs one when it starts if
    /// the last is older than this.
    #[serde(default = "default_checkpoint_every")]
    pub checkpoint_every: Period,
    /// Refused posts to the federation endpoint are counted per source and refusal code over
    /// intervals of this length; each count becomes one audit entry when its interval is over
    /// (ADR 0026). 1s to 1d; default 10 minutes.
    #[serde(default = "default_refusal_interval")]
    pub refusal_interval: Period,
    /// The most (source, code) counts per interval; refusals beyond are counted in one
    /// overflow entry. 1 to 10 000; default 100.
    #[serde(default = "default_refusal_counts")]
    pub refusal_counts_per_interval: u32,
}

fn default_checkpoint_every() -> Period {
    Period::secs(3600)
}

fn default_refusal_interval() -> Period {
    Period::secs(600)
}

fn default_refusal_counts() -> u32 {
    100
}

impl AuditSection {
    /// How refused posts are counted.
    pub fn refusal_policy(&self) -> cp247_store::RefusalPolicy {
        cp247_store::RefusalPolicy {
            interval: self.refusal_interval.signed(),
            max_tallies: self.refusal_counts_per_interval,
        }
    }
}

impl Default for AuditSection {
    fn default() -> Self {
        Self {
            checkpoint_every: default_checkpoint_every(),
            refusal_interval: default_refusal_interval(),
            refusal_counts_per_interval: default_refusal_counts(),
        }
    }
}

/// `[tokens]`: how long API tokens live (ADR 0020). Both are whole days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokensSection {
    /// The lifetime of a token issued without one (default 90 days).
    #[serde(default = "default_token_lifetime")]
    pub default_lifetime: Period,
    /// The longest lifetime anyone may ask for (default 365 days; at most
    /// [`MAX_TOKEN_LIFETIME_DAYS`]).
    #[serde(default = "default_token_max_lifetime")]
    pub max_lifetime: Period,
}

/// The longest `tokens.max_lifetime` accepted, in days (two years).
pub const MAX_TOKEN_LIFETIME_DAYS: u32 = 730;

fn default_token_lifetime() -> Period {
    Period::secs(90 * 86_400)
}

fn default_token_max_lifetime() -> Period {
    Period::secs(365 * 86_400)
}

impl Default for TokensSection {
    fn default() -> Self {
        Self {
            default_lifetime: default_token_lifetime(),
            max_lifetime: default_token_max_lifetime(),
        }
    }
}

impl TokensSection {
    /// The lifetimes in whole days (checked at load; a period that is not whole days counts
    /// its whole days).
    pub fn policy(&self) -> crate::tokens::TokenPolicy {
        let days = |p: Period| u32::try_from(p.duration().as_secs() / 86_400).unwrap_or(u32::MAX);
        crate::tokens::TokenPolicy {
            default_days: days(self.default_lifetime),
            max_days: days(self.max_lifetime),
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        for (key, p) in [
            ("tokens.default_lifetime", self.default_lifetime),
            ("tokens.max_lifetime", self.max_lifetime),
        ] {
            let secs = p.duration().as_secs();
            if p.duration().subsec_nanos() != 0 || secs % 86_400 != 0 || secs == 0 {
                return Err(invalid(
                    key,
                    format!("'{p}' is not a whole number of days: write e.g. 30d or 90d"),
                ));
            }
        }
        let policy = self.policy();
        if policy.max_days > MAX_TOKEN_LIFETIME_DAYS {
            return Err(invalid(
                "tokens.max_lifetime",
                format!(
                    "it must be at most {MAX_TOKEN_LIFETIME_DAYS}d: a token that lives longer is a password nobody changes"
                ),
            ));
        }
        if policy.default_days > policy.max_days {
            return Err(invalid(
                "tokens.default_lifetime",
                format!(
                    "it must be at most tokens.max_lifetime ({})",
                    self.max_lifetime
                ),
            ));
        }
        Ok(())
    }
}

/// `cp247.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The node's Party.
    pub party: PartyCode,
    /// Which of the Party's contact points the node serves.
    #[serde(default = "primary")]
    pub contact_point: ContactPointRole,
    /// The node's name, for people.
    pub name: String,
    /// The socket address to bind (`0.0.0.0:8443`, `127.0.0.1:0`).
    pub listen: String,
    /// Where the officers' web interface and API listen, if not on `listen`. When set, `listen`
    /// serves only the federation endpoint (`/federation/…`) and `/healthz`, and this address
    /// serves the rest, so the officers' interface need not face the peers' network. Same TLS
    /// as `listen` (plain HTTP only on loopback).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen_officers: Option<String>,
    /// The URL peers use, as listed in the directory. `https://…` makes the node serve TLS
    /// (certificate `tls-cert.pem`, key `tls-key.pem`, generated at first start if both are
    /// missing); `http://` is allowed only on loopback. Required to serve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// `sqlite://PATH` (relative to the node directory, or absolute) or
    /// `postgres://USER@HOST:PORT/DB`.
    pub database_url: String,
    /// The node's secret key, locked with its passphrase (mode 0600).
    pub node_key: PathBuf,
    /// The node's public certificate.
    pub node_cert: PathBuf,
    /// The directory authority's certificate: the trust anchor of the network directory.
    pub authority_cert: PathBuf,
    /// The last accepted directory (its signature is the same path with `.asc`).
    pub directory: PathBuf,
    /// Where fresh directories come from: a path or an `https://` URL. Default: `directory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_source: Option<String>,
    /// Days an expired directory is still used, with a loud warning.
    #[serde(default = "seven")]
    pub directory_grace_days: u32,
    /// The key file that seals the TOTP seeds in the database (mode 0600; not in the
    /// database, not derived from the node key's passphrase). Default `secrets.key`; created
    /// by `cp247 init`, or at start when missing and no seed is sealed yet (see
    /// [`crate::secrets`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets_key: Option<PathBuf>,
    /// How often the directory source is read (default 1h).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub directory_refresh: Option<Period>,
    /// The TLS certificate (PEM), default `tls-cert.pem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_cert: Option<PathBuf>,
    /// The TLS private key (PEM, mode 0600), default `tls-key.pem`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_key: Option<PathBuf>,
    /// Database connections (PostgreSQL; default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database_max_connections: Option<u32>,
    /// Outbox workers.
    #[serde(default, skip_serializing_if = "is_default")]
    pub delivery: DeliverySection,
    /// Outbound calls.
    #[serde(default, skip_serializing_if = "is_default")]
    pub peers: PeersSection,
    /// Inbound limits.
    #[serde(default, skip_serializing_if = "is_default")]
    pub limits: LimitsSection,
    /// Incoming connections: time limits of every phase and the per-source cap.
    #[serde(default, skip_serializing_if = "is_default")]
    pub connections: ConnectionsSection,
    /// Audit checkpoints.
    #[serde(default, skip_serializing_if = "is_default")]
    pub audit: AuditSection,
    /// Case work.
    #[serde(default, skip_serializing_if = "is_default")]
    pub cases: CasesSection,
    /// Test facilities (off; loopback test networks only).
    #[serde(default, skip_serializing_if = "is_default")]
    pub testing: TestingSection,
    /// Alerts and outgoing e-mail (see [`crate::notify_config`]).
    #[serde(default, skip_serializing_if = "is_default")]
    pub notify: crate::notify_config::NotifySection,
    /// API token lifetimes.
    #[serde(default, skip_serializing_if = "is_default")]
    pub tokens: TokensSection,
    /// The officers' web interface: the client's address behind a reverse proxy (see
    /// [`crate::throttle`]).
    #[serde(default, skip_serializing_if = "is_default")]
    pub web: crate::throttle::WebSection,
    /// What the node advertises to its peers: the protocol level it reads.
    #[serde(default, skip_serializing_if = "is_default")]
    pub federation: FederationSection,
}

impl ConfigFile {
    /// The configuration of a new node as `cp247 init` and the demo's provisioning write it:
    /// the standard file names in the node directory (`node-key.asc`, `node-cert.asc`,
    /// `authority-cert.asc`, `directory.json`), the SQLite database `cp247.db` beside them
    /// (relative, so the directory can be given relative to any working directory, or moved),
    /// and every table at its defaults.
    pub fn new_node(
        party: PartyCode,
        contact_point: ContactPointRole,
        name: String,
        listen: String,
    ) -> Self {
        Self {
            party,
            contact_point,
            name,
            listen,
            listen_officers: None,
            endpoint: None,
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            node_key: PathBuf::from(NODE_KEY_FILE),
            node_cert: PathBuf::from(NODE_CERT_FILE),
            authority_cert: PathBuf::from(AUTHORITY_CERT_FILE),
            directory: PathBuf::from(DIRECTORY_FILE),
            directory_source: None,
            directory_grace_days: seven(),
            secrets_key: None,
            directory_refresh: None,
            tls_cert: None,
            tls_key: None,
            database_max_connections: None,
            delivery: DeliverySection::default(),
            peers: PeersSection::default(),
            limits: LimitsSection::default(),
            connections: ConnectionsSection::default(),
            audit: AuditSection::default(),
            cases: CasesSection::default(),
            testing: TestingSection::default(),
            federation: FederationSection::default(),
            notify: crate::notify_config::NotifySection::default(),
            tokens: TokensSection::default(),
            web: crate::throttle::WebSection::default(),
        }
    }

    /// Reads `path` ([`ConfigFile::read`]) and checks it for a running node
    /// ([`ConfigFile::resolve`]).
    pub fn load(path: &Path, env: &[(String, String)]) -> Result<NodeConfig, ConfigError> {
        let read = Self::read(path, env)?;
        read.file.resolve(&read.base_dir)
    }

    /// Reads `path` and applies the `CP247__…` overrides among `env` (other variables are
    /// ignored), without the checks only a running node needs (an endpoint, a listen address
    /// that fits it, …): what the CLI's commands on a node directory use. Unknown keys are
    /// refused here already. The node directory is made absolute against the working
    /// directory, so relative paths in the file resolve the same from anywhere.
    pub fn read(path: &Path, env: &[(String, String)]) -> Result<NodeFile, ConfigError> {
        use figment::providers::Format;
        let shown = path.display().to_string();
        if !path.is_file() {
            return Err(ConfigError::Load {
                path: shown,
                reason: "there is no such file (create a node directory with `cp247 init`)".into(),
            });
        }
        let mut figment = figment::Figment::from(figment::providers::Toml::file_exact(path));
        for (name, value) in env {
            let Some(rest) = name.strip_prefix(ENV_PREFIX) else {
                continue;
            };
            let key = rest.to_ascii_lowercase().replace("__", ".");
            if key.is_empty() {
                continue;
            }
            let parsed = if is_number_key(&key) {
                value
                    .parse::<figment::value::Value>()
                    .unwrap_or_else(|_| figment::value::Value::from(value.clone()))
            } else {
                // Periods, addresses, URLs and codes are strings even when they look like
                // numbers or booleans.
                figment::value::Value::from(value.clone())
            };
            figment = figment.merge((key, parsed));
        }
        let file: ConfigFile = figment.extract().map_err(|e| ConfigError::Load {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        let base = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let base_dir = std::path::absolute(&base).map_err(|e| ConfigError::Load {
            path: shown,
            reason: format!("cannot resolve its directory: {e}"),
        })?;
        Ok(NodeFile { base_dir, file })
    }

    /// The file as TOML text, with a header comment.
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        let body = toml::to_string(self).map_err(|e| ConfigError::Write {
            path: CONFIG_FILE_NAME.into(),
            reason: e.to_string(),
        })?;
        Ok(format!(
            "# cp247 node configuration. Relative paths are relative to this file's directory.\n\
             # Any key can be overridden by an environment variable CP247__KEY or CP247__TABLE__KEY.\n\n{body}"
        ))
    }

    /// Checks the configuration and resolves it against the node directory `base`.
    pub fn resolve(&self, base: &Path) -> Result<NodeConfig, ConfigError> {
        if self.party.is_organisation() {
            return Err(invalid(
                "party",
                format!(
                    "{} is an organisation; a node belongs to a Party, which is a country",
                    self.party
                ),
            ));
        }
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(invalid(
                "name",
                "the node's name must be 1 to 200 characters",
            ));
        }
        let address = Address {
            party: self.party,
            point: self.contact_point,
        };
        let listen: SocketAddr = self.listen.parse().map_err(|_| {
            invalid(
                "listen",
                format!(
                    "'{}' is not a socket address such as 0.0.0.0:8443 or 127.0.0.1:8443",
                    self.listen
                ),
            )
        })?;
        if self.testing.clock_control
            && (!listen.ip().is_loopback()
                || !self
                    .endpoint
                    .as_deref()
                    .is_some_and(|e| e.starts_with("http://")))
        {
            return Err(invalid(
                "testing.clock_control",
                format!(
                    "the test clock control is allowed only on a plain-HTTP test node listening on a loopback address, not on {listen}: remove [testing] from a real node's configuration"
                ),
            ));
        }
        let endpoint_text = self.endpoint.as_deref().ok_or_else(|| {
            invalid(
                "endpoint",
                "the node has no endpoint: set the https:// URL peers use, as listed in the directory",
            )
        })?;
        let endpoint =
            PeerEndpoint::parse(endpoint_text).map_err(|e| invalid("endpoint", e.to_string()))?;
        let tls = if endpoint.is_tls() {
            let names = endpoint
                .as_url()
                .host_str()
                .map(|h| vec![h.trim_matches(['[', ']']).to_owned()])
                .unwrap_or_default();
            Some(TlsPaths {
                cert: base.join(
                    self.tls_cert
                        .as_deref()
                        .unwrap_or(Path::new("tls-cert.pem")),
                ),
                key: base.join(self.tls_key.as_deref().unwrap_or(Path::new("tls-key.pem"))),
                names,
            })
        } else {
            cp247_federation::endpoint::check_plain_listen(listen).map_err(|_| {
                invalid(
                    "listen",
                    format!(
                        "the endpoint {endpoint} is plain http, so the node would serve without TLS on {listen}: plain HTTP is allowed only on a loopback address (127.0.0.1 or ::1); publish an https:// endpoint or listen on loopback"
                    ),
                )
            })?;
            None
        };
        let listen_officers = match self.listen_officers.as_deref() {
            None => None,
            Some(text) => {
                let officers: SocketAddr = text.parse().map_err(|_| {
                    invalid(
                        "listen_officers",
                        format!(
                            "'{}' is not a socket address such as 10.20.0.5:8444 or 127.0.0.1:8444",
                            text.chars().take(60).collect::<String>()
                        ),
                    )
                })?;
                if officers == listen && listen.port() != 0 {
                    return Err(invalid(
                        "listen_officers",
                        format!(
                            "it is the same address as listen ({listen}): leave it out to serve everything on one address"
                        ),
                    ));
                }
                if tls.is_none() {
                    cp247_federation::endpoint::check_plain_listen(officers).map_err(|_| {
                        invalid(
                            "listen_officers",
                            format!(
                                "the node serves plain HTTP (endpoint {endpoint}), which is allowed only on a loopback address, not on {officers}"
                            ),
                        )
                    })?;
                }
                Some(officers)
            }
        };
        let database_url = resolve_database_url(&self.database_url, base)?;
        if self.database_max_connections == Some(0) {
            return Err(invalid("database_max_connections", "it must be at least 1"));
        }
        // The paths resolve exactly as the CLI's commands resolve them.
        let files = NodeFile {
            base_dir: base.to_path_buf(),
            file: self.clone(),
        };
        let directory_file = files.directory_file();
        let directory_source = files.directory_source()?;
        let refresh = self.directory_refresh.unwrap_or(Period::secs(3600));
        if refresh.duration() < Duration::from_secs(1) {
            return Err(invalid("directory_refresh", "it must be at least 1s"));
        }
        if self.directory_grace_days > 365 {
            return Err(invalid("directory_grace_days", "it must be at most 365"));
        }
        let d = &self.delivery;
        if d.first_retry.duration().is_zero() || d.first_retry > d.max_backoff {
            return Err(invalid(
                "delivery.first_retry",
                format!(
                    "it must be more than zero and at most delivery.max_backoff ({})",
                    d.max_backoff
                ),
            ));
        }
        if d.lease.duration() <= self.peers.total_timeout.duration() {
            return Err(invalid(
                "delivery.lease",
                format!(
                    "the lease ({}) must be longer than peers.total_timeout ({}), or a slow attempt could be taken over and sent twice",
                    d.lease, self.peers.total_timeout
                ),
            ));
        }
        if d.give_up_after <= d.max_backoff {
            return Err(invalid(
                "delivery.give_up_after",
                "it must be longer than delivery.max_backoff",
            ));
        }
        if d.give_up_after >= self.limits.max_message_age {
            return Err(invalid(
                "delivery.give_up_after",
                format!(
                    "it must be shorter than limits.max_message_age ({}): peers refuse messages older than that",
                    self.limits.max_message_age
                ),
            ));
        }
        if d.concurrency_per_peer == 0 || d.concurrency_per_peer > 256 {
            return Err(invalid(
                "delivery.concurrency_per_peer",
                "it must be 1 to 256",
            ));
        }
        if d.batch == 0 || d.batch > 500 {
            return Err(invalid("delivery.batch", "it must be 1 to 500"));
        }
        if d.poll_every.duration() < Duration::from_millis(10) {
            return Err(invalid("delivery.poll_every", "it must be at least 10ms"));
        }
        let p = &self.peers;
        for (key, period) in [
            ("peers.connect_timeout", p.connect_timeout),
            ("peers.read_timeout", p.read_timeout),
            ("peers.total_timeout", p.total_timeout),
        ] {
            if period.duration().is_zero() {
                return Err(invalid(key, "it must be more than zero"));
            }
        }
        let l = &self.limits;
        if !(1024..=256 * 1024 * 1024).contains(&l.max_message_bytes) {
            return Err(invalid(
                "limits.max_message_bytes",
                "it must be 1 KiB to 256 MiB",
            ));
        }
        if !(1024..=256 * 1024 * 1024).contains(&l.max_api_body_bytes) {
            return Err(invalid(
                "limits.max_api_body_bytes",
                "it must be 1 KiB to 256 MiB",
            ));
        }
        if l.max_attachments > 100 {
            return Err(invalid(
                "limits.max_attachments",
                "it must be 0 (no attachments) to 100",
            ));
        }
        for (key, value) in [
            ("limits.max_attachment_bytes", l.max_attachment_bytes),
            (
                "limits.max_attachments_total_bytes",
                l.max_attachments_total_bytes,
            ),
        ] {
            if !(1024..=256 * 1024 * 1024).contains(&value) {
                return Err(invalid(key, "it must be 1 KiB to 256 MiB"));
            }
        }
        if l.max_attachments_total_bytes < l.max_attachment_bytes {
            return Err(invalid(
                "limits.max_attachments_total_bytes",
                "it must be at least limits.max_attachment_bytes: a message must be able to carry its largest file",
            ));
        }
        if l.request_timeout.duration() < Duration::from_secs(1) {
            return Err(invalid("limits.request_timeout", "it must be at least 1s"));
        }
        if l.max_connections < 2 {
            return Err(invalid("limits.max_connections", "it must be at least 2"));
        }
        self.connections.check(l.max_connections)?;
        if !(1..=64).contains(&l.max_inbound_opening) {
            return Err(invalid(
                "limits.max_inbound_opening",
                "it must be 1 to 64: each message being opened may hold its whole payload in memory",
            ));
        }
        if l.max_inbound_waiting > 1024 {
            return Err(invalid(
                "limits.max_inbound_waiting",
                "it must be 0 to 1024: each waiting message holds its sealed bytes in memory",
            ));
        }
        let every = self.audit.checkpoint_every.duration();
        if every < Duration::from_secs(1) || every > Duration::from_secs(7 * 86_400) {
            return Err(invalid(
                "audit.checkpoint_every",
                "it must be 1s to 7d: a longer interval leaves the end of the audit log unprotected for too long",
            ));
        }
        let interval = self.audit.refusal_interval.duration();
        if interval < Duration::from_secs(1) || interval > Duration::from_secs(86_400) {
            return Err(invalid(
                "audit.refusal_interval",
                "it must be 1s to 1d: refused posts are written to the audit log once their interval is over",
            ));
        }
        if !(1..=10_000).contains(&self.audit.refusal_counts_per_interval) {
            return Err(invalid(
                "audit.refusal_counts_per_interval",
                "it must be 1 to 10000: it bounds the audit entries strangers cause per interval",
            ));
        }
        self.cases
            .ack_limit
            .check()
            .map_err(|reason| invalid("cases.ack_limit.emergency", reason))?;
        self.notify.check()?;
        self.tokens.check()?;
        self.web.client_addresses()?;
        if self
            .secrets_key
            .as_deref()
            .is_some_and(|p| p.as_os_str().is_empty())
        {
            return Err(invalid(
                "secrets_key",
                "it is empty: name the key file (default secrets.key)",
            ));
        }
        Ok(NodeConfig {
            address,
            listen,
            listen_officers,
            endpoint,
            tls,
            secret_key: files.node_key(),
            cert: files.node_cert(),
            authority_cert: files.authority_cert(),
            database_url,
            directory_file,
            directory_source,
            directory_refresh: refresh,
            directory_grace: files.directory_grace(),
            base_dir: files.base_dir,
            file: files.file,
        })
    }
}

fn is_number_key(key: &str) -> bool {
    matches!(
        key,
        "directory_grace_days"
            | "federation.reads"
            | "database_max_connections"
            | "delivery.concurrency_per_peer"
            | "delivery.batch"
            | "limits.max_message_bytes"
            | "limits.max_api_body_bytes"
            | "limits.max_attachments"
            | "limits.max_attachment_bytes"
            | "limits.max_attachments_total_bytes"
            | "limits.max_connections"
            | "connections.max_per_source"
            | "limits.max_inbound_opening"
            | "limits.max_inbound_waiting"
            | "cases.scheduler_batch"
            | "testing.clock_control"
            | "notify.smtp_port"
            | "notify.webhook_attempts"
    )
}

fn resolve_database_url(url: &str, base: &Path) -> Result<String, ConfigError> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() {
            return Err(invalid("database_url", "sqlite:// needs a file path"));
        }
        let full = base.join(path);
        return Ok(format!("sqlite://{}", full.display()));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(url.to_owned());
    }
    Err(invalid(
        "database_url",
        "use sqlite://PATH (relative to the node directory) or postgres://USER@HOST:PORT/DATABASE",
    ))
}

/// A node directory's `cp247.toml` as read ([`ConfigFile::read`]): the file and the absolute
/// directory its relative paths resolve against. Every command that works on a node directory
/// goes through it; [`NodeFile::resolve`] adds the checks a running node needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFile {
    /// The node directory (absolute).
    pub base_dir: PathBuf,
    /// The file as read, with the environment overrides applied.
    pub file: ConfigFile,
}

impl NodeFile {
    /// A configured path resolved against the node directory (an absolute path stays).
    pub fn path(&self, p: &Path) -> PathBuf {
        self.base_dir.join(p)
    }

    /// The contact point the node speaks for.
    pub fn address(&self) -> Address {
        Address {
            party: self.file.party,
            point: self.file.contact_point,
        }
    }

    /// The locked secret key file.
    pub fn node_key(&self) -> PathBuf {
        self.path(&self.file.node_key)
    }

    /// The public certificate file.
    pub fn node_cert(&self) -> PathBuf {
        self.path(&self.file.node_cert)
    }

    /// The pinned directory-authority certificate file.
    pub fn authority_cert(&self) -> PathBuf {
        self.path(&self.file.authority_cert)
    }

    /// The last accepted directory (its signature is the same path with `.asc`).
    pub fn directory_file(&self) -> PathBuf {
        self.path(&self.file.directory)
    }

    /// Where fresh directories come from (default: [`NodeFile::directory_file`]).
    pub fn directory_source(&self) -> Result<DirectorySource, ConfigError> {
        match &self.file.directory_source {
            Some(text) => parse_source(text, &self.base_dir),
            None => Ok(DirectorySource::Path(self.directory_file())),
        }
    }

    /// How long an expired directory is still used.
    pub fn directory_grace(&self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_hours(i64::from(self.file.directory_grace_days) * 24)
    }

    /// The checks a running node needs, and the resolved configuration.
    pub fn resolve(&self) -> Result<NodeConfig, ConfigError> {
        self.file.resolve(&self.base_dir)
    }
}

/// The TLS files of a node that serves HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsPaths {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// The private key (PEM).
    pub key: PathBuf,
    /// Names for a generated certificate.
    pub names: Vec<String>,
}

fn parse_source(text: &str, base: &Path) -> Result<DirectorySource, ConfigError> {
    if text.starts_with("https://") || text.starts_with("http://") {
        // The document is signed, so the transport need not be trusted; plain HTTP is still
        // kept to loopback like all of the node's traffic.
        let endpoint =
            PeerEndpoint::parse(text).map_err(|e| invalid("directory_source", e.to_string()))?;
        let mut url = endpoint.as_url().clone();
        // PeerEndpoint normalises to a trailing slash; a file URL must not have one.
        let path = url.path().trim_end_matches('/').to_owned();
        if path.is_empty() {
            return Err(invalid(
                "directory_source",
                "the URL must name the directory file, e.g. https://host/directory.json",
            ));
        }
        url.set_path(&path);
        Ok(DirectorySource::Url(url))
    } else if text.contains("://") {
        Err(invalid(
            "directory_source",
            format!("'{text}' is neither a file path nor an https:// URL"),
        ))
    } else if text.is_empty() {
        Err(invalid("directory_source", "it is empty"))
    } else {
        Ok(DirectorySource::Path(base.join(text)))
    }
}

/// The checked configuration of a node.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The node directory.
    pub base_dir: PathBuf,
    /// The file as read (with overrides), for the tables used as they are.
    pub file: ConfigFile,
    /// This node's contact point.
    pub address: Address,
    /// Where to listen.
    pub listen: SocketAddr,
    /// Where the officers' web interface and API listen, if apart from `listen`.
    pub listen_officers: Option<SocketAddr>,
    /// The endpoint peers use.
    pub endpoint: PeerEndpoint,
    /// TLS files, or `None` for plain HTTP on loopback.
    pub tls: Option<TlsPaths>,
    /// The locked secret key file.
    pub secret_key: PathBuf,
    /// The node's certificate file.
    pub cert: PathBuf,
    /// The pinned directory authority certificate file.
    pub authority_cert: PathBuf,
    /// The database URL (sqlite paths absolute).
    pub database_url: String,
    /// Where the last accepted directory is kept as files (for the CLI's trust commands).
    pub directory_file: PathBuf,
    /// Where fresh directories come from.
    pub directory_source: DirectorySource,
    /// How often to read the source.
    pub directory_refresh: Period,
    /// How long an expired directory is still used.
    pub directory_grace: jiff::SignedDuration,
}

impl NodeConfig {
    /// The listener's limits (`[connections]` and `limits.max_connections`).
    pub fn serve_limits(&self) -> cp247_federation::ServeLimits {
        self.file
            .connections
            .serve_limits(self.file.limits.max_connections)
    }

    /// The outbound client limits.
    pub fn client_limits(&self) -> ClientLimits {
        let p = &self.file.peers;
        ClientLimits {
            connect_timeout: p.connect_timeout.duration(),
            read_timeout: p.read_timeout.duration(),
            total_timeout: p.total_timeout.duration(),
            ..ClientLimits::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ConfigFile {
        ConfigFile {
            party: PartyCode::parse("FR").unwrap(),
            contact_point: ContactPointRole::Primary,
            name: "OCLCTIC".into(),
            listen: "127.0.0.1:0".into(),
            listen_officers: None,
            endpoint: Some("http://127.0.0.1:8443".into()),
            database_url: "sqlite://cp247.db".into(),
            node_key: "node-key.asc".into(),
            node_cert: "node-cert.asc".into(),
            authority_cert: "authority-cert.asc".into(),
            directory: "directory.json".into(),
            directory_source: None,
            directory_grace_days: 7,
            secrets_key: None,
            directory_refresh: None,
            tls_cert: None,
            tls_key: None,
            database_max_connections: None,
            delivery: DeliverySection::default(),
            peers: PeersSection::default(),
            limits: LimitsSection::default(),
            connections: ConnectionsSection::default(),
            audit: AuditSection::default(),
            cases: CasesSection::default(),
            testing: TestingSection::default(),
            notify: crate::notify_config::NotifySection::default(),
            tokens: TokensSection::default(),
            web: crate::throttle::WebSection::default(),
            federation: FederationSection::default(),
        }
    }

    #[test]
    fn the_protocol_level_is_read_from_federation_and_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(&path, sample().to_toml().unwrap()).unwrap();
        let config = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(
            config.file.federation.level(),
            cp247_domain::ProtocolLevel::HIGHEST
        );
        std::fs::write(
            &path,
            format!("{}\n[federation]\nreads = 1\n", sample().to_toml().unwrap()),
        )
        .unwrap();
        let config = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(
            config.file.federation.level(),
            cp247_domain::ProtocolLevel::V1
        );
        let env = vec![("CP247__FEDERATION__READS".to_owned(), "2".to_owned())];
        let config = ConfigFile::load(&path, &env).unwrap();
        assert_eq!(config.file.federation.level().get(), 2);
        for bad in ["0", "99"] {
            let env = vec![("CP247__FEDERATION__READS".to_owned(), bad.to_owned())];
            let err = ConfigFile::load(&path, &env).unwrap_err().to_string();
            assert!(err.contains("protocol level"), "{bad}: {err}");
        }
    }

    #[test]
    fn token_lifetimes_are_whole_days_default_within_max_and_bounded() {
        let base = std::path::Path::new("/srv/cp247");
        let policy = sample().tokens.policy();
        assert_eq!((policy.default_days, policy.max_days), (90, 365));
        for (default, max, bad_key) in [
            ("30d", "30d", None),
            ("1d", "730d", None),
            ("12h", "365d", Some("tokens.default_lifetime")),
            ("0d", "365d", Some("tokens.default_lifetime")),
            ("90d", "731d", Some("tokens.max_lifetime")),
            ("90d", "36h", Some("tokens.max_lifetime")),
            ("91d", "90d", Some("tokens.default_lifetime")),
        ] {
            let mut file = sample();
            file.tokens = TokensSection {
                default_lifetime: default.parse().unwrap(),
                max_lifetime: max.parse().unwrap(),
            };
            match (file.resolve(base), bad_key) {
                (Ok(_), None) => {}
                (Err(e), Some(key)) => assert!(e.to_string().contains(key), "{default}/{max}: {e}"),
                (r, _) => panic!("{default}/{max}: {r:?}"),
            }
        }
        // Read from the file, with the key named in the error.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cp247.toml");
        let text = sample().to_toml().unwrap();
        std::fs::write(
            &path,
            format!("{text}\n[tokens]\ndefault_lifetime = \"7d\"\n"),
        )
        .unwrap();
        let loaded = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(loaded.file.tokens.policy().default_days, 7);
        std::fs::write(
            &path,
            format!("{text}\n[tokens]\nmax_lifetime = \"forever\"\n"),
        )
        .unwrap();
        let err = ConfigFile::load(&path, &[]).unwrap_err().to_string();
        assert!(
            err.contains("max_lifetime") && err.contains("forever"),
            "{err}"
        );
    }

    /// A change to the sample configuration, for [`assert_refused`].
    type Change = fn(&mut ConfigFile);

    /// Each change, applied alone to the sample, is refused naming `key`, with a reason that
    /// contains `words`.
    fn assert_refused(refused: &[(Change, &str, &str)]) {
        let base = std::path::Path::new("/srv/cp247");
        for (change, key, words) in refused {
            let mut c = sample();
            change(&mut c);
            match c.resolve(base) {
                Err(ConfigError::Invalid { key: k, reason }) => {
                    assert_eq!(k, *key, "{reason}");
                    assert!(reason.contains(words), "{key}: {reason}");
                }
                other => panic!("{key}: expected a refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn inbound_admission_has_safe_defaults_and_bounded_values() {
        let base = std::path::Path::new("/srv/cp247");
        let c = sample();
        assert_eq!(c.limits.max_inbound_opening, 4);
        assert_eq!(c.limits.max_inbound_waiting, 64);
        let refused: [(Change, &str, &str); 3] = [
            (
                |c| c.limits.max_inbound_opening = 0,
                "limits.max_inbound_opening",
                "1 to 64",
            ),
            (
                |c| c.limits.max_inbound_waiting = 1025,
                "limits.max_inbound_waiting",
                "0 to 1024",
            ),
            (
                |c| c.limits.max_inbound_opening = 65,
                "limits.max_inbound_opening",
                "1 to 64",
            ),
        ];
        assert_refused(&refused);
        // No waiting room is allowed: the excess is then deferred at once.
        let mut c = sample();
        c.limits.max_inbound_waiting = 0;
        assert!(c.resolve(base).is_ok());
    }

    #[test]
    fn connections_have_safe_defaults_and_bounded_values() {
        let base = std::path::Path::new("/srv/cp247");
        let limits = sample().resolve(base).unwrap().serve_limits();
        assert_eq!(limits.max_connections, 1024);
        assert_eq!(limits.max_connections_per_source, 64);
        assert_eq!(limits.first_byte_timeout, Duration::from_secs(10));
        assert_eq!(limits.handshake_timeout, Duration::from_secs(10));
        assert_eq!(limits.header_read_timeout, Duration::from_secs(15));
        assert_eq!(limits.idle_timeout, Duration::from_secs(60));
        assert_eq!(limits.h2_keep_alive_interval, Duration::from_secs(30));
        assert_eq!(limits.h2_keep_alive_timeout, Duration::from_secs(20));
        let refused: [(Change, &str, &str); 6] = [
            (
                |c| c.connections.max_per_source = 0,
                "connections.max_per_source",
                "at least 1",
            ),
            (
                |c| c.connections.max_per_source = 513,
                "connections.max_per_source",
                "half of limits.max_connections (1024)",
            ),
            (
                |c| c.connections.first_byte_timeout = Period::millis(50),
                "connections.first_byte_timeout",
                "100ms to 10m",
            ),
            (
                |c| c.connections.idle_timeout = Period::secs(3600),
                "connections.idle_timeout",
                "100ms to 10m",
            ),
            (
                |c| c.connections.http2_ping_timeout = Period::secs(0),
                "connections.http2_ping_timeout",
                "100ms to 10m",
            ),
            (
                |c| c.limits.max_connections = 1,
                "limits.max_connections",
                "at least 2",
            ),
        ];
        assert_refused(&refused);
        // Read from the file (unknown keys refused) and from the environment.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        let text = sample().to_toml().unwrap();
        assert!(!text.contains("[connections]"), "{text}");
        std::fs::write(
            &path,
            format!("{text}\n[connections]\nmax_per_source = 8\nfirst_byte_timeout = \"2s\"\n"),
        )
        .unwrap();
        let env = vec![(
            "CP247__CONNECTIONS__IDLE_TIMEOUT".to_owned(),
            "30s".to_owned(),
        )];
        let loaded = ConfigFile::load(&path, &env).unwrap().serve_limits();
        assert_eq!(loaded.max_connections_per_source, 8);
        assert_eq!(loaded.first_byte_timeout, Duration::from_secs(2));
        assert_eq!(loaded.idle_timeout, Duration::from_secs(30));
        let env = vec![(
            "CP247__CONNECTIONS__MAX_PER_SOURCE".to_owned(),
            "16".to_owned(),
        )];
        let loaded = ConfigFile::load(&path, &env).unwrap().serve_limits();
        assert_eq!(loaded.max_connections_per_source, 16);
        std::fs::write(
            &path,
            format!("{text}\n[connections]\nfirst_byte = \"2s\"\n"),
        )
        .unwrap();
        let err = ConfigFile::load(&path, &[]).unwrap_err().to_string();
        assert!(err.contains("first_byte"), "{err}");
    }

    #[test]
    fn listen_officers_is_a_socket_address_apart_and_plain_only_on_loopback() {
        let base = std::path::Path::new("/srv/cp247");
        let mut c = sample();
        c.listen = "127.0.0.1:8443".into();
        c.listen_officers = Some("127.0.0.1:8444".into());
        let r = c.resolve(base).unwrap();
        assert_eq!(r.listen_officers, Some("127.0.0.1:8444".parse().unwrap()));
        for (officers, words) in [
            ("127.0.0.1:8443", "same address as listen"),
            ("10.0.0.5:8444", "only on a loopback address"),
            ("officers", "not a socket address"),
        ] {
            c.listen_officers = Some(officers.into());
            match c.resolve(base) {
                Err(ConfigError::Invalid { key, reason }) => {
                    assert_eq!(key, "listen_officers", "{reason}");
                    assert!(reason.contains(words), "{officers}: {reason}");
                }
                other => panic!("{officers}: expected a refusal, got {other:?}"),
            }
        }
        // With TLS, any address (the same certificate serves both).
        c.listen = "0.0.0.0:8443".into();
        c.endpoint = Some("https://cp247.fr.example:8443".into());
        c.listen_officers = Some("10.0.0.5:8444".into());
        assert!(c.resolve(base).is_ok());
    }

    #[test]
    fn checkpoint_interval_is_bounded() {
        let base = std::path::Path::new("/srv/cp247");
        for (text, ok) in [
            ("1s", true),
            ("1h", true),
            ("7d", true),
            ("500ms", false),
            ("8d", false),
        ] {
            let mut file = sample();
            file.audit.checkpoint_every = text.parse().unwrap();
            match file.resolve(base) {
                Ok(_) => assert!(ok, "{text} accepted"),
                Err(e) => {
                    assert!(!ok, "{text}: {e}");
                    assert!(e.to_string().contains("audit.checkpoint_every"), "{e}");
                }
            }
        }
    }

    #[test]
    fn refusal_counting_is_bounded() {
        let base = std::path::Path::new("/srv/cp247");
        assert_eq!(
            sample().audit.refusal_policy(),
            cp247_store::RefusalPolicy::default()
        );
        for (interval, counts, ok, key) in [
            ("1s", 1, true, ""),
            ("1d", 10_000, true, ""),
            ("500ms", 100, false, "audit.refusal_interval"),
            ("2d", 100, false, "audit.refusal_interval"),
            ("10m", 0, false, "audit.refusal_counts_per_interval"),
            ("10m", 10_001, false, "audit.refusal_counts_per_interval"),
        ] {
            let mut file = sample();
            file.audit.refusal_interval = interval.parse().unwrap();
            file.audit.refusal_counts_per_interval = counts;
            match file.resolve(base) {
                Ok(_) => assert!(ok, "{interval} {counts} accepted"),
                Err(e) => {
                    assert!(!ok, "{interval} {counts}: {e}");
                    assert!(e.to_string().contains(key), "{e}");
                }
            }
        }
    }

    #[test]
    fn the_test_clock_is_refused_off_loopback() {
        let dir = std::path::Path::new("/tmp");
        let mut file = sample();
        file.testing.clock_control = true;
        assert!(file.resolve(dir).is_ok());
        file.listen = "0.0.0.0:8443".into();
        let err = file.resolve(dir).unwrap_err().to_string();
        assert!(err.contains("testing.clock_control"), "{err}");
        let mut file = sample();
        file.testing.clock_control = true;
        file.endpoint = Some("https://node.example:8443".into());
        assert!(file.resolve(dir).is_err());
    }

    #[test]
    fn attachment_limits_are_checked_and_grow_the_body_limits_by_what_they_need() {
        let dir = std::path::Path::new("/tmp");
        let defaults = LimitsSection::default();
        assert_eq!(defaults.max_attachments, 20);
        assert_eq!(defaults.max_attachment_bytes, 8 * 1024 * 1024);
        assert_eq!(defaults.max_attachments_total_bytes, 16 * 1024 * 1024);
        // The API takes the base64 of 16 MiB (21.3 MiB) plus each file's JSON on top of
        // the 2 MiB for the document.
        let api = defaults.api_body_limit();
        let base64_of_total = (16 * 1024 * 1024usize).div_ceil(3) * 4;
        assert!(api >= 2 * 1024 * 1024 + base64_of_total, "{api}");
        assert!(
            api <= 2 * 1024 * 1024 + base64_of_total + 20 * 4096,
            "{api}"
        );
        // A peer's message may be 4 MiB plus what sealed attachments add, and no more.
        let open = defaults.open_limits();
        assert!(open.max_sealed_bytes > 4 * 1024 * 1024 + base64_of_total);
        assert!(
            open.max_sealed_bytes < 40 * 1024 * 1024,
            "{}",
            open.max_sealed_bytes
        );
        let none = LimitsSection {
            max_attachments: 0,
            ..LimitsSection::default()
        };
        assert_eq!(none.api_body_limit(), none.max_api_body_bytes);
        assert_eq!(none.open_limits().max_sealed_bytes, none.max_message_bytes);
        let smaller = LimitsSection {
            max_attachments: 2,
            max_attachment_bytes: 1024 * 1024,
            max_attachments_total_bytes: 1024 * 1024,
            ..LimitsSection::default()
        };
        assert!(smaller.api_body_limit() < defaults.api_body_limit());
        assert!(smaller.open_limits().max_sealed_bytes < open.max_sealed_bytes);

        for (edit, key) in [
            (
                (|l: &mut LimitsSection| l.max_attachments = 101) as fn(&mut LimitsSection),
                "limits.max_attachments",
            ),
            (
                |l: &mut LimitsSection| l.max_attachment_bytes = 10,
                "limits.max_attachment_bytes",
            ),
            (
                |l: &mut LimitsSection| l.max_attachments_total_bytes = 1024,
                "limits.max_attachments_total_bytes",
            ),
        ] {
            let mut file = sample();
            edit(&mut file.limits);
            let err = file.resolve(dir).unwrap_err().to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
        let mut file = sample();
        file.limits = smaller;
        assert!(file.resolve(dir).is_ok());
    }

    #[test]
    fn periods_parse_and_print() {
        for (text, ms) in [
            ("500ms", 500),
            ("30s", 30_000),
            ("5m", 300_000),
            ("7d", 604_800_000),
        ] {
            let p: Period = text.parse().unwrap();
            assert_eq!(p.duration().as_millis(), ms);
            assert_eq!(p.to_string(), text);
        }
        assert_eq!(Period::secs(3600).to_string(), "1h");
        for bad in ["", "5", "s", "5 s", "-5s", "5w", "1.5h", "99999999999999s"] {
            let err = bad.parse::<Period>().unwrap_err();
            assert!(err.contains("is not a period"), "{bad}: {err}");
        }
    }

    /// What `cp247 init` writes (the CLI's flat layout) is what `cp247 serve` reads.
    #[test]
    fn the_file_cp247_init_writes_is_read_and_resolved() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        let written = format!(
            "party = \"MD\"\ncontact_point = \"primary\"\nname = \"CCCI\"\nlisten = \"127.0.0.1:0\"\n\
             endpoint = \"http://127.0.0.1:8443/\"\ndatabase_url = \"sqlite://{}\"\n\
             node_key = \"node-key.asc\"\nnode_cert = \"node-cert.asc\"\n\
             authority_cert = \"authority-cert.asc\"\ndirectory = \"directory.json\"\n\
             directory_grace_days = 7\n",
            dir.path().join("cp247.db").display()
        );
        std::fs::write(&path, written).unwrap();
        let config = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(config.address.to_string(), "MD/primary");
        assert!(config.tls.is_none());
        assert_eq!(
            config.database_url,
            format!("sqlite://{}", dir.path().join("cp247.db").display())
        );
        assert_eq!(
            config.directory_source,
            DirectorySource::Path(dir.path().join("directory.json"))
        );
        assert_eq!(config.file.delivery, DeliverySection::default());
    }

    /// What `cp247 init` and the demo write (`new_node`) is read the same by every command,
    /// from any working directory: relative paths resolve against the node directory.
    #[test]
    fn a_new_nodes_file_is_read_by_every_command_and_its_paths_resolve_in_the_node_directory() {
        let dir = tempfile::tempdir().unwrap();
        let node = dir.path().join("node-fr");
        std::fs::create_dir(&node).unwrap();
        let mut file = ConfigFile::new_node(
            PartyCode::parse("FR").unwrap(),
            ContactPointRole::Primary,
            "OCLCTIC".into(),
            "127.0.0.1:0".into(),
        );
        let path = node.join(CONFIG_FILE_NAME);
        // Without an endpoint: the commands on the directory read it; only serving needs one.
        std::fs::write(&path, file.to_toml().unwrap()).unwrap();
        let read = ConfigFile::read(&path, &[]).unwrap();
        assert_eq!(read.base_dir, node);
        assert_eq!(read.node_key(), node.join("node-key.asc"));
        assert_eq!(read.authority_cert(), node.join("authority-cert.asc"));
        assert_eq!(
            read.directory_source().unwrap(),
            DirectorySource::Path(node.join("directory.json"))
        );
        let err = ConfigFile::load(&path, &[]).unwrap_err().to_string();
        assert!(err.contains("endpoint"), "{err}");
        // A tuned file is still read by the commands (the CLI's old schema refused it).
        file.endpoint = Some("http://127.0.0.1:8443".into());
        file.delivery.give_up_after = Period::secs(86_400);
        std::fs::write(&path, file.to_toml().unwrap()).unwrap();
        assert!(
            std::fs::read_to_string(&path)
                .unwrap()
                .contains("[delivery]")
        );
        assert_eq!(ConfigFile::read(&path, &[]).unwrap().file, file);
        let loaded = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(
            loaded.database_url,
            format!("sqlite://{}", node.join("cp247.db").display())
        );
    }

    #[test]
    fn a_written_file_round_trips_without_default_tables() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        let text = sample().to_toml().unwrap();
        assert!(!text.contains("[delivery]"), "{text}");
        std::fs::write(&path, text).unwrap();
        let config = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(config.file, sample());
        assert!(config.secret_key.ends_with("node-key.asc") && config.secret_key.is_absolute());
        assert_eq!(
            config.database_url,
            format!("sqlite://{}", dir.path().join("cp247.db").display())
        );
    }

    #[test]
    fn environment_overrides_apply_and_unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        std::fs::write(&path, sample().to_toml().unwrap()).unwrap();
        let env = vec![
            ("CP247__LISTEN".to_owned(), "127.0.0.1:9999".to_owned()),
            ("CP247__DELIVERY__LEASE".to_owned(), "10m".to_owned()),
            ("CP247__DELIVERY__BATCH".to_owned(), "7".to_owned()),
            ("CP247__PARTY".to_owned(), "GE".to_owned()),
            ("CP247_PASSPHRASE".to_owned(), "ignored".to_owned()),
            ("HOME".to_owned(), "/root".to_owned()),
        ];
        let config = ConfigFile::load(&path, &env).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:9999");
        assert_eq!(config.file.delivery.lease, Period::secs(600));
        assert_eq!(config.file.delivery.batch, 7);
        assert_eq!(config.address.party.as_str(), "GE");

        let typo = vec![("CP247__LISTN".to_owned(), "x".to_owned())];
        let err = ConfigFile::load(&path, &typo).unwrap_err().to_string();
        assert!(err.contains("listn"), "{err}");

        std::fs::write(
            &path,
            format!("{}\n[extra]\nx = 1\n", sample().to_toml().unwrap()),
        )
        .unwrap();
        let err = ConfigFile::load(&path, &[]).unwrap_err().to_string();
        assert!(err.contains("extra"), "{err}");

        let err = ConfigFile::load(&dir.path().join("missing.toml"), &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("cp247 init"), "{err}");
    }

    #[test]
    fn the_deadline_policy_is_read_from_cases() {
        use cp247_case::Limit;
        use cp247_domain::Urgency;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        // Defaults when [cases] says nothing.
        std::fs::write(&path, sample().to_toml().unwrap()).unwrap();
        let config = ConfigFile::load(&path, &[]).unwrap();
        assert_eq!(
            config.file.cases.policy(),
            cp247_case::DeadlinePolicy::default()
        );

        let text = format!(
            "{}\n[cases]\nack_limit = {{ emergency = \"15m\", routine = \"2 working days\" }}\n\
             preservation_reminders = [\"30d\", \"7d\"]\n",
            sample().to_toml().unwrap()
        );
        std::fs::write(&path, &text).unwrap();
        let config = ConfigFile::load(&path, &[]).unwrap();
        let policy = config.file.cases.policy();
        assert_eq!(
            policy.acknowledgement(Urgency::Emergency),
            Limit::Elapsed(jiff::SignedDuration::from_mins(15))
        );
        // A missing urgency keeps its default.
        assert_eq!(
            policy.acknowledgement(Urgency::Urgent),
            Limit::Elapsed(jiff::SignedDuration::from_hours(2))
        );
        assert_eq!(
            policy.acknowledgement(Urgency::Routine),
            Limit::WorkingDays(2)
        );
        assert_eq!(policy.expiry_reminder_days, [30, 7]);

        // What is written is read back the same.
        let written = config.file.to_toml().unwrap();
        assert!(written.contains("[cases"), "{written}");
        std::fs::write(&path, &written).unwrap();
        assert_eq!(ConfigFile::load(&path, &[]).unwrap().file, config.file);

        // Environment overrides, the list as one string.
        let env = vec![
            (
                "CP247__CASES__ACK_LIMIT__URGENT".to_owned(),
                "4h office time".to_owned(),
            ),
            (
                "CP247__CASES__PRESERVATION_REMINDERS".to_owned(),
                "10d, 2d".to_owned(),
            ),
        ];
        let policy = ConfigFile::load(&path, &env).unwrap().file.cases.policy();
        assert_eq!(
            policy.acknowledgement(Urgency::Urgent),
            Limit::OfficeTime(jiff::SignedDuration::from_hours(4))
        );
        assert_eq!(
            policy.acknowledgement(Urgency::Emergency),
            Limit::Elapsed(jiff::SignedDuration::from_mins(15))
        );
        assert_eq!(policy.expiry_reminder_days, [10, 2]);
    }

    #[test]
    fn a_bad_deadline_policy_is_refused_with_the_key_and_the_fault() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(CONFIG_FILE_NAME);
        let eleven: Vec<String> = (1..=11).rev().map(|d| format!("\"{d}d\"")).collect();
        let eleven = format!("preservation_reminders = [{}]", eleven.join(", "));
        for (cases, key, words) in [
            (
                "ack_limit = { urgent = \"0m\" }",
                "cases.ack_limit.urgent",
                "more than zero",
            ),
            (
                "ack_limit = { routine = \"0 working days\" }",
                "cases.ack_limit.routine",
                "at least 1 working day",
            ),
            (
                "ack_limit = { urgent = \"-2h\" }",
                "cases.ack_limit.urgent",
                "negative",
            ),
            (
                "ack_limit = { emergency = \"half an hour\" }",
                "cases.ack_limit.emergency",
                "not an acknowledgement limit",
            ),
            ("ack_limit = { urgnet = \"2h\" }", "urgnet", "unknown field"),
            (
                "ack_limit = { emergency = \"3h\" }",
                "cases.ack_limit.emergency",
                "longer than the urgent",
            ),
            (
                "preservation_reminders = [\"14d\", \"0d\"]",
                "cases.preservation_reminders",
                "0d is not a reminder",
            ),
            (
                "preservation_reminders = [\"-7d\"]",
                "cases.preservation_reminders",
                "negative",
            ),
            (
                "preservation_reminders = [\"1d\", \"7d\", \"14d\"]",
                "cases.preservation_reminders",
                "out of order",
            ),
            (
                "preservation_reminders = [\"7d\", \"7d\"]",
                "cases.preservation_reminders",
                "more than once",
            ),
            (eleven.as_str(), "cases.preservation_reminders", "too many"),
        ] {
            let text = format!("{}\n[cases]\n{cases}\n", sample().to_toml().unwrap());
            std::fs::write(&path, text).unwrap();
            let err = ConfigFile::load(&path, &[]).unwrap_err().to_string();
            assert!(err.contains(key), "{cases}: the key is not named: {err}");
            assert!(err.contains(words), "{cases}: {err}");
        }
    }

    #[test]
    fn insecure_combinations_are_refused_with_the_key() {
        let base = Path::new("/srv/cp247");
        type Change = Box<dyn Fn(&mut ConfigFile)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|c| c.listen = "0.0.0.0:8080".into()),
                "listen",
                "without TLS",
            ),
            (
                Box::new(|c| c.endpoint = Some("http://10.1.2.3:8080".into())),
                "endpoint",
                "plain HTTP",
            ),
            (Box::new(|c| c.endpoint = None), "endpoint", "no endpoint"),
            (
                Box::new(|c| c.database_url = "mysql://x".into()),
                "database_url",
                "sqlite://",
            ),
            (
                Box::new(|c| c.directory_source = Some("ftp://x/d.json".into())),
                "directory_source",
                "neither",
            ),
            (
                Box::new(|c| c.directory_source = Some("http://192.0.2.1/d.json".into())),
                "directory_source",
                "plain HTTP",
            ),
            (
                Box::new(|c| c.delivery.lease = Period::secs(30)),
                "delivery.lease",
                "sent twice",
            ),
            (
                Box::new(|c| c.delivery.give_up_after = Period::secs(40 * 86_400)),
                "delivery.give_up_after",
                "max_message_age",
            ),
            (
                Box::new(|c| c.delivery.first_retry = Period::secs(0)),
                "delivery.first_retry",
                "more than zero",
            ),
            (Box::new(|c| c.name = " ".into()), "name", "1 to 200"),
            (
                Box::new(|c| c.party = PartyCode::parse("EUROPOL").unwrap()),
                "party",
                "organisation",
            ),
        ];
        for (change, key, words) in cases {
            let mut c = sample();
            change(&mut c);
            match c.resolve(base) {
                Err(ConfigError::Invalid { key: k, reason }) => {
                    assert_eq!(k, key, "{reason}");
                    assert!(reason.contains(words), "{key}: {reason}");
                }
                other => panic!("{key}: expected a refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn https_nodes_get_tls_paths_and_names_from_the_endpoint() {
        let mut c = sample();
        c.listen = "0.0.0.0:8443".into();
        c.endpoint = Some("https://cp247.fr.example:8443".into());
        c.directory_source = Some("https://dir.example/cp247/directory.json".into());
        let r = c.resolve(Path::new("/srv/n")).unwrap();
        let tls = r.tls.unwrap();
        assert_eq!(tls.cert, Path::new("/srv/n/tls-cert.pem"));
        assert_eq!(tls.names, vec!["cp247.fr.example".to_owned()]);
        assert_eq!(
            r.directory_source.to_string(),
            "https://dir.example/cp247/directory.json"
        );
        assert_eq!(r.directory_file, Path::new("/srv/n/directory.json"));
    }
}

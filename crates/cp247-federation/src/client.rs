//! The HTTPS client that talks to one peer: pinned TLS, timeouts, bounded reads, no redirects,
//! no proxies.

use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use crate::endpoint::{EndpointError, PeerEndpoint};
use crate::tls::{PinMismatch, TlsError, TlsPin, pinned_client_config};
use crate::wire::{
    AcceptedBody, DEFAULT_MAX_RESPONSE_BYTES, ErrorBody, IDENTITY_PATH, IdentityBody,
    MESSAGES_PATH, Outcome, SEALED_MEDIA_TYPE,
};

/// Timeouts and limits of outbound calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Establishing the TCP connection and TLS handshake.
    pub connect_timeout: Duration,
    /// Between two reads of the response.
    pub read_timeout: Duration,
    /// The whole call, from connecting to the last byte of the response.
    pub total_timeout: Duration,
    /// The largest response body read.
    pub max_response_bytes: usize,
}

impl Default for ClientLimits {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            total_timeout: Duration::from_secs(60),
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }
}

/// Why a call to a peer did not produce an answer. Every variant reads as a sentence for an
/// operator; none contains message content.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// The endpoint itself is refused (e.g. plain HTTP to a non-loopback host).
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// An https endpoint without a pinned certificate in the directory.
    #[error(
        "{0} is an https endpoint but the directory gives no TLS certificate fingerprint for it: refusing to connect without a pin"
    )]
    NoPin(String),
    /// The TLS client could not be configured.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The peer presented another certificate than the pinned one.
    #[error("{endpoint}: {mismatch}")]
    PinMismatch {
        /// The peer.
        endpoint: String,
        /// What was pinned and what was presented.
        mismatch: PinMismatch,
    },
    /// No connection could be made.
    #[error("cannot connect to {endpoint}: {reason}")]
    Connect {
        /// The peer.
        endpoint: String,
        /// The lowest-level cause, in words.
        reason: String,
    },
    /// The peer did not answer in time.
    #[error("{endpoint} did not answer within {seconds} seconds")]
    Timeout {
        /// The peer.
        endpoint: String,
        /// The limit that was hit.
        seconds: u64,
    },
    /// The response body is larger than allowed.
    #[error("{endpoint} sent a response larger than {limit} bytes; it was not read")]
    ResponseTooLarge {
        /// The peer.
        endpoint: String,
        /// The limit.
        limit: usize,
    },
    /// The response is not what the protocol says.
    #[error("{endpoint} answered something that is not a cp247 federation response: {reason}")]
    BadResponse {
        /// The peer.
        endpoint: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Another HTTP-level failure.
    #[error("the exchange with {endpoint} failed: {reason}")]
    Http {
        /// The peer.
        endpoint: String,
        /// The lowest-level cause, in words.
        reason: String,
    },
}

impl TransportError {
    /// A stable snake_case name of the kind of failure, for metrics and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportError::Endpoint(_) => "endpoint",
            TransportError::NoPin(_) => "no_pin",
            TransportError::Tls(_) => "tls_config",
            TransportError::PinMismatch { .. } => "pin_mismatch",
            TransportError::Connect { .. } => "connect",
            TransportError::Timeout { .. } => "timeout",
            TransportError::ResponseTooLarge { .. } => "response_too_large",
            TransportError::BadResponse { .. } => "bad_response",
            TransportError::Http { .. } => "http",
        }
    }
}

/// A peer's refusal of a request, as it reported it. The code and message come from an
/// untrusted peer: they are bounded and stripped of control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerRefusal {
    /// The HTTP status.
    pub status: u16,
    /// The peer's machine code (`[a-z0-9_]`, at most 64 characters), or `http_<status>`.
    pub code: String,
    /// The peer's sentence (at most 500 characters).
    pub message: String,
}

impl PeerRefusal {
    /// True when sending the same bytes again cannot succeed: the message itself is refused
    /// (malformed, too large, not for that node, outside the time window). Authentication
    /// refusals (403) are not permanent — the peer may not have the newest directory yet — nor
    /// are 404, 408, 429 and 5xx.
    pub fn is_permanent(&self) -> bool {
        matches!(self.status, 400 | 413 | 415 | 421 | 422)
    }
}

impl fmt::Display for PeerRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "refused with HTTP {} ({}): {}",
            self.status, self.code, self.message
        )
    }
}

/// What became of a posted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostOutcome {
    /// The peer accepted it (now or before) and returned its signed receipt — not yet verified.
    Accepted {
        /// The armored receipt bytes.
        receipt: Vec<u8>,
        /// The peer had the message already.
        duplicate: bool,
    },
    /// The peer refused it.
    Refused(PeerRefusal),
}

/// A client for one peer endpoint, pinned to one TLS certificate.
#[derive(Clone)]
pub struct PeerClient {
    endpoint: PeerEndpoint,
    client: reqwest::Client,
    limits: ClientLimits,
}

impl fmt::Debug for PeerClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PeerClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl PeerClient {
    /// A client for `endpoint`. An https endpoint needs the pin the directory publishes; a
    /// loopback http endpoint ignores it.
    pub fn new(
        endpoint: PeerEndpoint,
        pin: Option<TlsPin>,
        limits: ClientLimits,
    ) -> Result<Self, TransportError> {
        // reqwest refuses to build any client, plain http included, until a rustls provider is
        // installed; installing it here keeps every caller (tests, tools) from tripping on that.
        crate::tls::install_crypto_provider();
        let builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(limits.connect_timeout)
            .read_timeout(limits.read_timeout)
            .timeout(limits.total_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("cp247/", env!("CARGO_PKG_VERSION")));
        let builder = if endpoint.is_tls() {
            let pin = pin.ok_or_else(|| TransportError::NoPin(endpoint.to_string()))?;
            builder
                .tls_backend_preconfigured(pinned_client_config(pin)?)
                .https_only(true)
        } else if let Some(addrs) = endpoint.localhost_addrs() {
            builder.resolve_to_addrs("localhost", &addrs)
        } else {
            builder
        };
        let client = builder.build().map_err(|e| TransportError::Http {
            endpoint: endpoint.to_string(),
            reason: root_cause(&e),
        })?;
        Ok(Self {
            endpoint,
            client,
            limits,
        })
    }

    /// The endpoint.
    pub fn endpoint(&self) -> &PeerEndpoint {
        &self.endpoint
    }

    /// Posts sealed bytes to the peer's inbox.
    pub async fn post_sealed(&self, sealed: &[u8]) -> Result<PostOutcome, TransportError> {
        let url = self.endpoint.join(MESSAGES_PATH)?;
        let response = self
            .client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, SEALED_MEDIA_TYPE)
            .header(reqwest::header::ACCEPT, "application/json")
            .body(sealed.to_vec())
            .send()
            .await
            .map_err(|e| self.classify(&e))?;
        let status = response.status().as_u16();
        let body = self.read_limited(response).await?;
        if status == 200 {
            let accepted: AcceptedBody =
                serde_json::from_slice(&body).map_err(|e| self.bad(format!("{e}")))?;
            Ok(PostOutcome::Accepted {
                receipt: accepted.receipt.into_bytes(),
                duplicate: accepted.outcome == Outcome::Duplicate,
            })
        } else {
            Ok(PostOutcome::Refused(refusal(status, &body)))
        }
    }

    /// Fetches the peer's identity document.
    pub async fn identity(&self) -> Result<IdentityBody, TransportError> {
        let url = self.endpoint.join(IDENTITY_PATH)?;
        let response = self
            .client
            .get(url)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| self.classify(&e))?;
        let status = response.status().as_u16();
        let body = self.read_limited(response).await?;
        if status != 200 {
            return Err(self.bad(refusal(status, &body).to_string()));
        }
        serde_json::from_slice(&body).map_err(|e| self.bad(format!("{e}")))
    }

    async fn read_limited(
        &self,
        mut response: reqwest::Response,
    ) -> Result<Vec<u8>, TransportError> {
        let limit = self.limits.max_response_bytes;
        let too_large = || TransportError::ResponseTooLarge {
            endpoint: self.endpoint.to_string(),
            limit,
        };
        if response
            .content_length()
            .is_some_and(|len| len > limit as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.classify(&e))? {
            if body.len().saturating_add(chunk.len()) > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    fn bad(&self, reason: String) -> TransportError {
        TransportError::BadResponse {
            endpoint: self.endpoint.to_string(),
            reason: clean(&reason, 300),
        }
    }

    fn classify(&self, error: &reqwest::Error) -> TransportError {
        let endpoint = self.endpoint.to_string();
        if let Some(mismatch) = find_pin_mismatch(error) {
            return TransportError::PinMismatch { endpoint, mismatch };
        }
        if error.is_timeout() {
            let seconds = if error.is_connect() {
                self.limits.connect_timeout
            } else {
                self.limits.total_timeout
            }
            .as_secs();
            return TransportError::Timeout { endpoint, seconds };
        }
        if error.is_connect() {
            return TransportError::Connect {
                endpoint,
                reason: root_cause(error),
            };
        }
        TransportError::Http {
            endpoint,
            reason: root_cause(error),
        }
    }
}

fn refusal(status: u16, body: &[u8]) -> PeerRefusal {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e)
            if !e.error.is_empty()
                && e.error.len() <= 64
                && e.error
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') =>
        {
            PeerRefusal {
                status,
                code: e.error,
                message: clean(&e.message, 500),
            }
        }
        Ok(_) | Err(_) => PeerRefusal {
            status,
            code: format!("http_{status}"),
            message: "the peer's answer carried no cp247 error code".into(),
        },
    }
}

/// Strips control characters and bounds the length of text that came from a peer.
fn clean(text: &str, max: usize) -> String {
    text.chars().filter(|c| !c.is_control()).take(max).collect()
}

fn find_pin_mismatch(error: &(dyn StdError + 'static)) -> Option<PinMismatch> {
    search_pin_mismatch(error, 0)
}

/// Walks the cause chain, looking also inside `io::Error`s (whose `source` skips the error they
/// wrap), to a bounded depth.
fn search_pin_mismatch(e: &(dyn StdError + 'static), depth: usize) -> Option<PinMismatch> {
    if depth > 16 {
        return None;
    }
    if let Some(found) = pin_mismatch_in(e) {
        return Some(found);
    }
    if let Some(io) = e.downcast_ref::<std::io::Error>()
        && let Some(inner) = io.get_ref()
        && let Some(found) = search_pin_mismatch(inner, depth + 1)
    {
        return Some(found);
    }
    e.source()
        .and_then(|next| search_pin_mismatch(next, depth + 1))
}

fn pin_mismatch_in(e: &(dyn StdError + 'static)) -> Option<PinMismatch> {
    if let Some(found) = e.downcast_ref::<PinMismatch>() {
        return Some(found.clone());
    }
    match e.downcast_ref::<rustls::Error>() {
        Some(rustls::Error::InvalidCertificate(rustls::CertificateError::Other(other))) => {
            other.0.downcast_ref::<PinMismatch>().cloned()
        }
        _ => None,
    }
}

/// An outbound HTTP error in words (for calls that are not to a pinned peer).
pub(crate) fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "no answer in time".to_owned()
    } else {
        root_cause(error)
    }
}

/// The innermost cause of an error, which is the one that says what happened ("connection
/// refused"), without the URL noise of the outer layers.
fn root_cause(error: &(dyn StdError + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    clean(&current.to_string(), 300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_from_peers_are_bounded_and_cleaned() {
        let body = br#"{"error":"unknown_signer","message":"who are you?\u001b[31m"}"#;
        let r = refusal(403, body);
        assert_eq!(r.code, "unknown_signer");
        assert_eq!(r.message, "who are you?[31m");
        assert!(!r.is_permanent());
        let r = refusal(502, b"<html>bad gateway</html>");
        assert_eq!(r.code, "http_502");
        let r = refusal(400, br#"{"error":"DROP TABLE","message":"x"}"#);
        assert_eq!(r.code, "http_400");
        assert!(r.is_permanent());
        let long = format!(r#"{{"error":"x","message":"{}"}}"#, "a".repeat(5000));
        assert_eq!(refusal(422, long.as_bytes()).message.len(), 500);
    }
}

//! Alerts by webhook: a JSON POST signed with HMAC-SHA256 over the exact body, with a timeout,
//! bounded retries, no redirects and no proxies. `https://` anywhere (web PKI, the system's
//! roots); plain `http://` only to a loopback address, like the federation client.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use hmac::{Hmac, Mac as _};
use sha2::Sha256;

use crate::secret::Secret;

/// The header carrying `sha256=HEX` of HMAC-SHA256(secret, body).
pub const SIGNATURE_HEADER: &str = "x-cp247-signature";
/// The header carrying the alert's stable key (repeats have the same key).
pub const EVENT_HEADER: &str = "x-cp247-event";
/// The largest webhook body sent.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most attempts allowed by configuration.
pub const MAX_ATTEMPTS: u32 = 10;

/// Why the webhook settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookConfigError {
    /// Not a URL, or not http(s).
    #[error("'{0}' is not a webhook URL: write https://host/path")]
    Url(String),
    /// Plain HTTP off loopback.
    #[error(
        "'{0}' uses plain HTTP to a non-loopback host: webhooks must use https://; http:// is allowed only to a loopback address (127.0.0.0/8 or [::1])"
    )]
    PlainNotLoopback(String),
    /// User info or a fragment in the URL (credentials belong in the secret).
    #[error("'{0}' must not carry a user name, password or fragment")]
    Extras(String),
    /// A secret shorter than 16 bytes.
    #[error("the webhook secret must be at least 16 characters long")]
    ShortSecret,
    /// Attempts or timeouts out of range.
    #[error("{0}")]
    Range(&'static str),
}

/// A checked webhook URL.
#[derive(Clone, PartialEq, Eq)]
pub struct WebhookUrl(url::Url);

impl WebhookUrl {
    /// Parses and checks `text`.
    pub fn parse(text: &str) -> Result<Self, WebhookConfigError> {
        let shown: String = text.chars().take(120).collect();
        let url = url::Url::parse(text).map_err(|_| WebhookConfigError::Url(shown.clone()))?;
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(WebhookConfigError::Extras(strip(&url)));
        }
        match (url.scheme(), url.host()) {
            ("https", Some(_)) => Ok(Self(url)),
            ("http", Some(url::Host::Ipv4(ip))) if IpAddr::V4(ip).is_loopback() => Ok(Self(url)),
            ("http", Some(url::Host::Ipv6(ip))) if IpAddr::V6(ip).is_loopback() => Ok(Self(url)),
            ("http", Some(_)) => Err(WebhookConfigError::PlainNotLoopback(strip(&url))),
            _ => Err(WebhookConfigError::Url(shown)),
        }
    }

    /// The URL.
    pub fn as_url(&self) -> &url::Url {
        &self.0
    }
}

/// The URL without its query (which may hold a token), for messages and logs.
fn strip(url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    shown.set_fragment(None);
    shown.to_string()
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&strip(&self.0))
    }
}

impl fmt::Debug for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebhookUrl({self})")
    }
}

/// Webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Where to POST.
    pub url: WebhookUrl,
    /// The HMAC key (at least 16 characters).
    pub secret: Secret,
    /// One attempt's whole duration.
    pub timeout: Duration,
    /// Attempts in all (1 to [`MAX_ATTEMPTS`]).
    pub attempts: u32,
    /// The wait after the first failed attempt; it doubles after each, up to 5 minutes.
    pub first_retry: Duration,
}

impl WebhookSettings {
    /// Checks the ranges.
    pub fn check(&self) -> Result<(), WebhookConfigError> {
        if self.secret.expose().len() < 16 {
            return Err(WebhookConfigError::ShortSecret);
        }
        if self.attempts == 0 || self.attempts > MAX_ATTEMPTS {
            return Err(WebhookConfigError::Range(
                "webhook attempts must be 1 to 10",
            ));
        }
        if self.timeout < Duration::from_millis(100) || self.timeout > Duration::from_secs(120) {
            return Err(WebhookConfigError::Range(
                "the webhook timeout must be between 100ms and 2 minutes",
            ));
        }
        if self.first_retry > Duration::from_secs(300) {
            return Err(WebhookConfigError::Range(
                "the first webhook retry must come within 5 minutes",
            ));
        }
        Ok(())
    }
}

/// Why a webhook call failed after all attempts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the webhook {url} failed after {attempts} attempt(s): {reason}")]
pub struct WebhookError {
    /// The URL (without query).
    pub url: String,
    /// Attempts made.
    pub attempts: u32,
    /// The last failure.
    pub reason: String,
}

/// HMAC-SHA256 of `body` under `secret`, as `sha256=HEX` (what [`SIGNATURE_HEADER`] carries).
pub fn signature(secret: &Secret, body: &[u8]) -> String {
    // HMAC takes keys of any length; new_from_slice cannot fail for it.
    match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
        }
        Err(_) => String::from("sha256="),
    }
}

/// Checks a [`SIGNATURE_HEADER`] value against `body` in constant time (for receivers and
/// tests).
pub fn verify_signature(secret: &Secret, body: &[u8], header: &str) -> bool {
    let Some(hex_mac) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(hex_mac) else {
        return false;
    };
    match Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(body);
            mac.verify_slice(&given).is_ok()
        }
        Err(_) => false,
    }
}

/// A webhook client.
#[derive(Clone)]
pub struct Webhook {
    client: reqwest::Client,
    settings: WebhookSettings,
}

impl fmt::Debug for Webhook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Webhook")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Webhook {
    /// Checks `settings` and builds the client.
    pub fn new(settings: WebhookSettings) -> Result<Self, WebhookConfigError> {
        settings.check()?;
        crate::install_crypto_provider();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(settings.timeout)
            .timeout(settings.timeout)
            .user_agent(concat!("cp247/", env!("CARGO_PKG_VERSION")))
            .https_only(settings.url.as_url().scheme() == "https")
            .build()
            .map_err(|e| WebhookConfigError::Url(format!("{}: {e}", settings.url)))?;
        Ok(Self { client, settings })
    }

    /// The settings.
    pub fn settings(&self) -> &WebhookSettings {
        &self.settings
    }

    /// POSTs `body` (JSON) with its signature and `event` key; retries on connection errors,
    /// timeouts, 429 and 5xx, with doubling waits; any other answer but 2xx (a redirect
    /// included: it is never followed) fails at once.
    pub async fn post(&self, event: &str, body: Vec<u8>) -> Result<u32, WebhookError> {
        let url = self.settings.url.to_string();
        if body.len() > MAX_BODY_BYTES {
            return Err(WebhookError {
                url,
                attempts: 0,
                reason: format!(
                    "the body is {} bytes, more than {MAX_BODY_BYTES}",
                    body.len()
                ),
            });
        }
        let sig = signature(&self.settings.secret, &body);
        let event: String = event
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .take(200)
            .collect();
        let mut wait = self.settings.first_retry;
        let mut reason = String::new();
        for attempt in 1..=self.settings.attempts {
            let result = self
                .client
                .post(self.settings.url.as_url().clone())
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .header(SIGNATURE_HEADER, &sig)
                .header(EVENT_HEADER, &event)
                .body(body.clone())
                .send()
                .await;
            let retry = match result {
                Ok(response) => {
                    let status = response.status();
                    if status.is_success() {
                        return Ok(attempt);
                    }
                    reason = format!("it answered HTTP {}", status.as_u16());
                    status.is_server_error() || status.as_u16() == 429
                }
                Err(e) => {
                    reason = if e.is_timeout() {
                        format!("no answer within {} ms", self.settings.timeout.as_millis())
                    } else {
                        "it could not be reached".to_owned()
                    };
                    true
                }
            };
            if !retry {
                return Err(WebhookError {
                    url,
                    attempts: attempt,
                    reason,
                });
            }
            if attempt < self.settings.attempts {
                tokio::time::sleep(wait).await;
                wait = wait.saturating_mul(2).min(Duration::from_secs(300));
            }
        }
        Err(WebhookError {
            url,
            attempts: self.settings.attempts,
            reason,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_loopback_rule() {
        WebhookUrl::parse("https://hooks.example.org/cp247?token=abc").unwrap();
        WebhookUrl::parse("http://127.0.0.1:9000/hook").unwrap();
        WebhookUrl::parse("http://[::1]:9000/hook").unwrap();
        for (bad, words) in [
            ("http://hooks.example.org/x", "plain HTTP"),
            ("http://10.0.0.1/x", "plain HTTP"),
            ("ftp://x/y", "not a webhook URL"),
            ("https://user:pw@x/y", "user name"),
            ("not a url", "not a webhook URL"),
        ] {
            let err = WebhookUrl::parse(bad).unwrap_err().to_string();
            assert!(err.contains(words), "{bad}: {err}");
            assert!(!err.contains("pw@"), "{err}");
        }
        let u = WebhookUrl::parse("https://h.example/x?token=secret").unwrap();
        assert!(!u.to_string().contains("secret"), "{u}");
    }

    #[test]
    fn signatures_verify_and_bind_the_body() {
        let secret = Secret::new("0123456789abcdef-secret".into());
        let sig = signature(&secret, b"{\"a\":1}");
        assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
        assert!(verify_signature(&secret, b"{\"a\":1}", &sig));
        assert!(!verify_signature(&secret, b"{\"a\":2}", &sig));
        assert!(!verify_signature(
            &Secret::new("another-secret-0000".into()),
            b"{\"a\":1}",
            &sig
        ));
        assert!(!verify_signature(&secret, b"{\"a\":1}", "sha256=zz"));
        // RFC 4231 test case 2.
        let rfc = signature(&Secret::new("Jefe".into()), b"what do ya want for nothing?");
        assert_eq!(
            rfc,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}

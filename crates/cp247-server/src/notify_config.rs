//! `[notify]`: where the node sends duty-officer alerts (e-mail through an SMTP relay, a
//! webhook) and the relay it uses for the e-mail channel of escalation.
//!
//! ```toml
//! [notify]
//! smtp_host = "mail.example.org"          # plain SMTP ("none") only to 127.0.0.1/::1/localhost
//! smtp_port = 587                          # default: 587 starttls, 465 tls, 25 none
//! smtp_security = "starttls"               # starttls (default) | tls | none
//! smtp_username = "cp247"                  # optional, with smtp_password_file
//! smtp_password_file = "smtp-password"     # mode 0600, read at start
//! smtp_timeout = "30s"
//! from = "cp247 FR <cp247@fr.example>"
//! webhook_url = "https://alerts.example/cp247"   # http:// only to loopback
//! webhook_secret_file = "webhook-secret"   # mode 0600, at least 16 characters
//! webhook_timeout = "10s"
//! webhook_attempts = 5
//!
//! [[notify.duty_officers]]
//! email = "Duty officer <duty@fr.example>"
//! cert = "duty-officer.asc"                # optional: alerts to this address are PGP/MIME
//! ```
//!
//! Syntax (addresses, URL, modes, the loopback rule) is checked with the rest of the file;
//! secret files and certificates are read when the node starts, each error naming its key.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cp247_casework::keys::{Cert, NodeKey};
use cp247_domain::Clock;
use cp247_notify::smtp::{SmtpSecurity, SmtpSettings};
use cp247_notify::webhook::{WebhookSettings, WebhookUrl};
use cp247_notify::{DutyOfficer, MailAddress, Notifier, NotifySettings, Secret};
use serde::{Deserialize, Serialize};

use crate::config::{ConfigError, Period};

/// One duty-officer address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DutyOfficerEntry {
    /// `Name <address>` or `address`.
    pub email: String,
    /// The officer's OpenPGP certificate (armored file): alerts are then PGP/MIME.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
}

/// `[notify]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySection {
    /// The SMTP relay's host.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_host: Option<String>,
    /// Its port (default by `smtp_security`: 587, 465 or 25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_port: Option<u16>,
    /// `starttls` (default), `tls` or `none` (loopback only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_security: Option<String>,
    /// The AUTH user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_username: Option<String>,
    /// A private file holding the AUTH password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_password_file: Option<PathBuf>,
    /// Connection and command timeout (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_timeout: Option<Period>,
    /// The From address (required with `smtp_host`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Who gets alerts by e-mail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub duty_officers: Vec<DutyOfficerEntry>,
    /// The webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// A private file holding the webhook's HMAC key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_secret_file: Option<PathBuf>,
    /// One webhook call's timeout (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_timeout: Option<Period>,
    /// Webhook attempts in all (default 5, at most 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook_attempts: Option<u32>,
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

impl NotifySection {
    /// Whether anything is configured.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    fn security(&self) -> Result<SmtpSecurity, ConfigError> {
        SmtpSecurity::parse(self.smtp_security.as_deref().unwrap_or("starttls"))
            .map_err(|e| invalid("notify.smtp_security", e.to_string()))
    }

    /// Checks everything that does not need a file: addresses, URL, modes, the loopback rule,
    /// ranges, and that keys needing each other are both present.
    pub fn check(&self) -> Result<(), ConfigError> {
        let security = self.security()?;
        match (&self.smtp_host, &self.from) {
            (Some(host), Some(from)) => {
                MailAddress::parse(from).map_err(|e| invalid("notify.from", e.to_string()))?;
                let probe = SmtpSettings {
                    host: host.clone(),
                    port: self.port(security),
                    security,
                    username: None,
                    password: None,
                    timeout: self.smtp_timeout().duration(),
                    from: MailAddress::parse(from)
                        .map_err(|e| invalid("notify.from", e.to_string()))?,
                };
                probe.check().map_err(|e| {
                    let key = match e {
                        cp247_notify::smtp::SmtpConfigError::Timeout => "notify.smtp_timeout",
                        cp247_notify::smtp::SmtpConfigError::Port => "notify.smtp_port",
                        _ => "notify.smtp_host",
                    };
                    invalid(key, e.to_string())
                })?;
            }
            (Some(_), None) => {
                return Err(invalid(
                    "notify.from",
                    "an SMTP relay is configured without a From address",
                ));
            }
            (None, _) => {
                for (key, set) in [
                    ("notify.from", self.from.is_some()),
                    ("notify.smtp_port", self.smtp_port.is_some()),
                    ("notify.smtp_username", self.smtp_username.is_some()),
                    (
                        "notify.smtp_password_file",
                        self.smtp_password_file.is_some(),
                    ),
                    ("notify.duty_officers", !self.duty_officers.is_empty()),
                ] {
                    if set {
                        return Err(invalid(key, "it needs an SMTP relay: set notify.smtp_host"));
                    }
                }
            }
        }
        if self.smtp_username.is_some() != self.smtp_password_file.is_some() {
            return Err(invalid(
                "notify.smtp_password_file",
                "an SMTP user name and a password file go together",
            ));
        }
        if self.duty_officers.len() > cp247_notify::notifier::MAX_DUTY_OFFICERS {
            return Err(invalid(
                "notify.duty_officers",
                format!(
                    "at most {} addresses",
                    cp247_notify::notifier::MAX_DUTY_OFFICERS
                ),
            ));
        }
        for officer in &self.duty_officers {
            MailAddress::parse(&officer.email)
                .map_err(|e| invalid("notify.duty_officers.email", e.to_string()))?;
        }
        match (&self.webhook_url, &self.webhook_secret_file) {
            (Some(url), Some(_)) => {
                WebhookUrl::parse(url).map_err(|e| invalid("notify.webhook_url", e.to_string()))?;
            }
            (Some(_), None) => {
                return Err(invalid(
                    "notify.webhook_secret_file",
                    "a webhook needs a secret to sign its calls with",
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "notify.webhook_url",
                    "a webhook secret is configured without a webhook URL",
                ));
            }
            (None, None) => {}
        }
        let attempts = self.webhook_attempts.unwrap_or(5);
        if attempts == 0 || attempts > cp247_notify::webhook::MAX_ATTEMPTS {
            return Err(invalid("notify.webhook_attempts", "it must be 1 to 10"));
        }
        let timeout = self.webhook_timeout();
        if timeout.duration() < Duration::from_millis(100)
            || timeout.duration() > Duration::from_secs(120)
        {
            return Err(invalid(
                "notify.webhook_timeout",
                "it must be between 100ms and 2m",
            ));
        }
        Ok(())
    }

    fn port(&self, security: SmtpSecurity) -> u16 {
        self.smtp_port.unwrap_or(match security {
            SmtpSecurity::StartTls => 587,
            SmtpSecurity::ImplicitTls => 465,
            SmtpSecurity::None => 25,
        })
    }

    fn smtp_timeout(&self) -> Period {
        self.smtp_timeout.unwrap_or(Period::secs(30))
    }

    fn webhook_timeout(&self) -> Period {
        self.webhook_timeout.unwrap_or(Period::secs(10))
    }

    /// Reads the secret files and certificates (relative to `base`) and builds the notifier;
    /// `None` when nothing is configured. Must run inside the Tokio runtime.
    pub fn build(
        &self,
        base: &Path,
        key: Arc<NodeKey>,
        clock: Arc<dyn Clock>,
    ) -> Result<Option<Notifier>, ConfigError> {
        if self.is_empty() {
            return Ok(None);
        }
        self.check()?;
        let security = self.security()?;
        let smtp = match (&self.smtp_host, &self.from) {
            (Some(host), Some(from)) => Some(SmtpSettings {
                host: host.clone(),
                port: self.port(security),
                security,
                username: self.smtp_username.clone(),
                password: self
                    .smtp_password_file
                    .as_ref()
                    .map(|p| read_secret("notify.smtp_password_file", &base.join(p)))
                    .transpose()?,
                timeout: self.smtp_timeout().duration(),
                from: MailAddress::parse(from)
                    .map_err(|e| invalid("notify.from", e.to_string()))?,
            }),
            _ => None,
        };
        let webhook = match (&self.webhook_url, &self.webhook_secret_file) {
            (Some(url), Some(secret)) => Some(WebhookSettings {
                url: WebhookUrl::parse(url)
                    .map_err(|e| invalid("notify.webhook_url", e.to_string()))?,
                secret: read_secret("notify.webhook_secret_file", &base.join(secret))?,
                timeout: self.webhook_timeout().duration(),
                attempts: self.webhook_attempts.unwrap_or(5),
                first_retry: Duration::from_secs(2),
            }),
            _ => None,
        };
        let mut duty_officers = Vec::new();
        for officer in &self.duty_officers {
            let address = MailAddress::parse(&officer.email)
                .map_err(|e| invalid("notify.duty_officers.email", e.to_string()))?;
            let cert = match &officer.cert {
                Some(path) => {
                    let path = base.join(path);
                    let text = read_bounded("notify.duty_officers.cert", &path, 256 * 1024)?;
                    Some(Cert::from_armored(&text).map_err(|e| {
                        invalid(
                            "notify.duty_officers.cert",
                            format!("{}: {e}", path.display()),
                        )
                    })?)
                }
                None => None,
            };
            duty_officers.push(DutyOfficer { address, cert });
        }
        let notifier = Notifier::new(
            NotifySettings {
                smtp,
                webhook,
                duty_officers,
            },
            key,
            clock,
        )
        .map_err(|e| invalid("notify", e.to_string()))?;
        Ok(Some(notifier))
    }
}

fn read_bounded(key: &'static str, path: &Path, max: u64) -> Result<String, ConfigError> {
    use std::io::Read as _;
    let err = |reason: String| invalid(key, format!("{}: {reason}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let mut text = String::new();
    file.take(max + 1)
        .read_to_string(&mut text)
        .map_err(|e| err(e.to_string()))?;
    if text.len() as u64 > max {
        return Err(err(format!("it is larger than {max} bytes")));
    }
    Ok(text)
}

/// A secret file: private to the node's user, one line, not empty.
fn read_secret(key: &'static str, path: &Path) -> Result<Secret, ConfigError> {
    let text = read_bounded(key, path, 4096)?;
    cp247_federation::tls::check_private(path)
        .map_err(|e| invalid(key, format!("{}: {e}", path.display())))?;
    let line = text.strip_suffix('\n').unwrap_or(&text);
    let line = line.strip_suffix('\r').unwrap_or(line);
    if line.is_empty() || line.contains(['\n', '\r']) {
        return Err(invalid(
            key,
            format!("{}: it must hold one non-empty line", path.display()),
        ));
    }
    Ok(Secret::new(line.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn relay() -> NotifySection {
        NotifySection {
            smtp_host: Some("127.0.0.1".into()),
            smtp_security: Some("none".into()),
            from: Some("cp247 <cp247@cp247.test>".into()),
            duty_officers: vec![DutyOfficerEntry {
                email: "duty@cp247.test".into(),
                cert: None,
            }],
            ..NotifySection::default()
        }
    }

    #[test]
    fn bad_notify_settings_are_refused_with_their_key() {
        relay().check().unwrap();
        NotifySection::default().check().unwrap();
        type Change = Box<dyn Fn(&mut NotifySection)>;
        let cases: Vec<(Change, &str, &str)> = vec![
            (
                Box::new(|n| n.smtp_host = Some("mail.example.org".into())),
                "notify.smtp_host",
                "loopback",
            ),
            (
                Box::new(|n| n.smtp_security = Some("ssl".into())),
                "notify.smtp_security",
                "starttls, tls or none",
            ),
            (Box::new(|n| n.from = None), "notify.from", "From address"),
            (
                Box::new(|n| n.from = Some("x@y.z\r\nBcc: v@w.x".into())),
                "notify.from",
                "control character",
            ),
            (Box::new(|n| n.smtp_host = None), "notify.from", "smtp_host"),
            (
                Box::new(|n| n.duty_officers[0].email = "not an address".into()),
                "notify.duty_officers.email",
                "not an e-mail address",
            ),
            (
                Box::new(|n| n.smtp_username = Some("u".into())),
                "notify.smtp_password_file",
                "go together",
            ),
            (
                Box::new(|n| {
                    n.webhook_url = Some("http://hooks.example.org/x".into());
                    n.webhook_secret_file = Some("s".into());
                }),
                "notify.webhook_url",
                "plain HTTP",
            ),
            (
                Box::new(|n| n.webhook_url = Some("https://hooks.example.org/x".into())),
                "notify.webhook_secret_file",
                "secret",
            ),
            (
                Box::new(|n| n.webhook_attempts = Some(50)),
                "notify.webhook_attempts",
                "1 to 10",
            ),
            (
                Box::new(|n| n.smtp_timeout = Some(Period::millis(5))),
                "notify.smtp_timeout",
                "between",
            ),
        ];
        for (change, key, words) in cases {
            let mut n = relay();
            change(&mut n);
            match n.check() {
                Err(ConfigError::Invalid { key: k, reason }) => {
                    assert_eq!(k, key, "{reason}");
                    assert!(reason.contains(words), "{key}: {reason}");
                }
                other => panic!("{key}: expected a refusal, got {other:?}"),
            }
        }
    }

    #[tokio::test]
    async fn secret_files_must_be_private_and_certificates_readable() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let key = Arc::new(
            NodeKey::generate(
                "FR <fr@cp247.invalid>",
                "2026-01-01T00:00:00Z".parse().unwrap(),
                None,
            )
            .unwrap(),
        );
        let clock: Arc<dyn Clock> = Arc::new(cp247_domain::ManualClock::new(
            "2026-06-01T00:00:00Z".parse().unwrap(),
        ));
        let secret = dir.path().join("webhook-secret");
        std::fs::write(&secret, "0123456789abcdef-secret\n").unwrap();
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
        let mut n = relay();
        n.webhook_url = Some("http://127.0.0.1:9/hook".into());
        n.webhook_secret_file = Some("webhook-secret".into());
        let err = n
            .build(dir.path(), key.clone(), clock.clone())
            .unwrap_err()
            .to_string();
        assert!(err.contains("notify.webhook_secret_file"), "{err}");
        std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
        let built = n
            .build(dir.path(), key.clone(), clock.clone())
            .unwrap()
            .unwrap();
        assert!(!format!("{built:?}").contains("0123456789abcdef"));

        n.duty_officers[0].cert = Some("missing.asc".into());
        let err = n
            .build(dir.path(), key.clone(), clock.clone())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("notify.duty_officers.cert") && err.contains("missing.asc"),
            "{err}"
        );
        std::fs::write(dir.path().join("officer.asc"), key.cert().armored()).unwrap();
        n.duty_officers[0].cert = Some("officer.asc".into());
        n.build(dir.path(), key, clock).unwrap().unwrap();
        assert!(
            NotifySection::default()
                .build(dir.path(), node(), Arc::new(cp247_domain::SystemClock))
                .unwrap()
                .is_none()
        );
    }

    fn node() -> Arc<NodeKey> {
        Arc::new(
            NodeKey::generate(
                "MD <md@cp247.invalid>",
                "2026-01-01T00:00:00Z".parse().unwrap(),
                None,
            )
            .unwrap(),
        )
    }
}

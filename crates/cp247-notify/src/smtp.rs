//! The SMTP relay the node sends through: host, port, transport security, optional
//! credentials, timeout and the From address. Plain SMTP (no TLS) is allowed only to a loopback
//! address: e-mail leaving the machine is protected in transit by STARTTLS or implicit TLS,
//! with the server's certificate checked against the system's roots.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::response::Response;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::secret::Secret;
use crate::text::MailAddress;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// Plain SMTP, then the STARTTLS command; refused if the server does not offer it
    /// (submission, usually port 587).
    StartTls,
    /// TLS from the first byte (submissions, usually port 465).
    ImplicitTls,
    /// No TLS: only to a loopback address (a local relay, tests).
    None,
}

impl SmtpSecurity {
    /// Parses `starttls`, `tls` or `none`.
    pub fn parse(text: &str) -> Result<Self, SmtpConfigError> {
        match text {
            "starttls" => Ok(Self::StartTls),
            "tls" => Ok(Self::ImplicitTls),
            "none" => Ok(Self::None),
            other => Err(SmtpConfigError::Security(other.chars().take(40).collect())),
        }
    }

    /// The configuration spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::StartTls => "starttls",
            Self::ImplicitTls => "tls",
            Self::None => "none",
        }
    }
}

/// Why the SMTP settings are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpConfigError {
    /// An unknown security mode.
    #[error("'{0}' is not an SMTP security mode: use starttls, tls or none")]
    Security(String),
    /// No TLS to a host that is not loopback.
    #[error(
        "SMTP without TLS is allowed only to a loopback address (127.0.0.0/8, ::1 or localhost), not to '{0}': use starttls or tls"
    )]
    PlainNotLoopback(String),
    /// A bad host name.
    #[error("'{0}' is not an SMTP host name or IP address")]
    Host(String),
    /// Port zero.
    #[error("the SMTP port must be 1 to 65535")]
    Port,
    /// A user name without a password or the other way round, or credentials over plain SMTP.
    #[error("{0}")]
    Credentials(&'static str),
    /// A timeout of zero or more than ten minutes.
    #[error("the SMTP timeout must be between 1 second and 10 minutes")]
    Timeout,
    /// TLS parameters could not be built.
    #[error("the SMTP TLS settings cannot be used: {0}")]
    Tls(String),
}

/// The SMTP relay settings, checked by [`Mailer::new`].
#[derive(Clone)]
pub struct SmtpSettings {
    /// Host name or IP address.
    pub host: String,
    /// Port (25, 465, 587).
    pub port: u16,
    /// Transport security.
    pub security: SmtpSecurity,
    /// User name for AUTH, if the relay wants one.
    pub username: Option<String>,
    /// Password for AUTH (never logged).
    pub password: Option<Secret>,
    /// Connection, command and response timeout.
    pub timeout: Duration,
    /// The From address of everything the node sends.
    pub from: MailAddress,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field("from", &self.from)
            .finish()
    }
}

/// Whether `host` is a loopback IP literal or `localhost`.
pub fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

fn valid_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok()
        || (!host.is_empty()
            && host.len() <= 253
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            }))
}

impl SmtpSettings {
    /// Checks the settings: a host name, a port, TLS unless the host is loopback, both or
    /// neither of user name and password, and a sane timeout.
    pub fn check(&self) -> Result<(), SmtpConfigError> {
        if !valid_host(&self.host) {
            return Err(SmtpConfigError::Host(self.host.chars().take(80).collect()));
        }
        if self.port == 0 {
            return Err(SmtpConfigError::Port);
        }
        if self.security == SmtpSecurity::None && !is_loopback_host(&self.host) {
            return Err(SmtpConfigError::PlainNotLoopback(self.host.clone()));
        }
        match (&self.username, &self.password) {
            (Some(_), None) => {
                return Err(SmtpConfigError::Credentials(
                    "an SMTP user name is configured without a password",
                ));
            }
            (None, Some(_)) => {
                return Err(SmtpConfigError::Credentials(
                    "an SMTP password is configured without a user name",
                ));
            }
            (Some(u), Some(p)) if u.is_empty() || p.is_empty() => {
                return Err(SmtpConfigError::Credentials(
                    "the SMTP user name and password must not be empty",
                ));
            }
            _ => {}
        }
        if self.timeout < Duration::from_secs(1) || self.timeout > Duration::from_secs(600) {
            return Err(SmtpConfigError::Timeout);
        }
        Ok(())
    }
}

/// Why a message was not sent. The text names the relay, never the credentials.
#[derive(Debug, thiserror::Error)]
#[error("the SMTP relay {relay} did not take the message: {reason}")]
pub struct SendError {
    /// `host:port`.
    pub relay: String,
    /// What went wrong (lettre's description: a connection error, a timeout or the server's
    /// reply code and text).
    pub reason: String,
    /// Whether trying again later may help (connection problems, 4xx replies).
    pub transient: bool,
}

/// A connection pool to the relay.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    settings: SmtpSettings,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Checks `settings` and builds the transport (nothing is connected yet). Must be called
    /// inside a Tokio runtime (the connection pool starts its cleaning task).
    pub fn new(settings: SmtpSettings) -> Result<Self, SmtpConfigError> {
        settings.check()?;
        let tls_domain = settings
            .host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls = match settings.security {
            SmtpSecurity::None => Tls::None,
            SmtpSecurity::StartTls | SmtpSecurity::ImplicitTls => {
                let params = TlsParameters::builder(tls_domain)
                    .build_rustls()
                    .map_err(|e| SmtpConfigError::Tls(e.to_string()))?;
                if settings.security == SmtpSecurity::StartTls {
                    Tls::Required(params)
                } else {
                    Tls::Wrapper(params)
                }
            }
        };
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(settings.host.clone())
                .port(settings.port)
                .tls(tls)
                .timeout(Some(settings.timeout));
        if let (Some(user), Some(pass)) = (&settings.username, &settings.password) {
            builder = builder.credentials(Credentials::new(user.clone(), pass.expose().to_owned()));
        }
        Ok(Self {
            transport: builder.build(),
            settings,
        })
    }

    /// The settings.
    pub fn settings(&self) -> &SmtpSettings {
        &self.settings
    }

    /// The From address.
    pub fn from(&self) -> &MailAddress {
        &self.settings.from
    }

    /// Sends one message (its envelope: From and To headers).
    pub async fn send(&self, message: Message) -> Result<Response, SendError> {
        let relay = format!("{}:{}", self.settings.host, self.settings.port);
        // lettre applies the timeout to each command; bound the whole exchange too.
        let whole = self.settings.timeout.saturating_mul(4);
        match tokio::time::timeout(whole, self.transport.send(message)).await {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(SendError {
                relay,
                transient: e.is_transient() || !e.is_permanent(),
                reason: e.to_string(),
            }),
            Err(_) => Err(SendError {
                relay,
                reason: format!("no answer within {} s", whole.as_secs()),
                transient: true,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(host: &str, security: SmtpSecurity) -> SmtpSettings {
        SmtpSettings {
            host: host.into(),
            port: 25,
            security,
            username: None,
            password: None,
            timeout: Duration::from_secs(10),
            from: MailAddress::parse("cp247 <cp247@cp247.test>").unwrap(),
        }
    }

    #[test]
    fn plain_smtp_is_for_loopback_only() {
        for host in ["127.0.0.1", "127.9.9.9", "::1", "[::1]", "localhost"] {
            settings(host, SmtpSecurity::None).check().unwrap();
        }
        for host in ["10.0.0.1", "mail.example.org", "0.0.0.0"] {
            let err = settings(host, SmtpSecurity::None).check().unwrap_err();
            assert!(matches!(err, SmtpConfigError::PlainNotLoopback(_)), "{err}");
            settings(host, SmtpSecurity::StartTls).check().unwrap();
        }
        assert!(
            settings("bad host\r\n", SmtpSecurity::StartTls)
                .check()
                .is_err()
        );
        assert_eq!(
            SmtpSecurity::parse("ssl").unwrap_err().to_string(),
            "'ssl' is not an SMTP security mode: use starttls, tls or none"
        );
    }

    // lettre's connection pool needs a Tokio runtime when the transport is built.
    #[tokio::test]
    async fn credentials_come_in_pairs_and_never_print() {
        let mut s = settings("mail.example.org", SmtpSecurity::StartTls);
        s.username = Some("cp247".into());
        assert!(matches!(s.check(), Err(SmtpConfigError::Credentials(_))));
        s.password = Some(Secret::new("hunter2-very-secret".into()));
        s.check().unwrap();
        let shown = format!("{s:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        let mailer = Mailer::new(s).unwrap();
        assert!(!format!("{mailer:?}").contains("hunter2"));
        let mut t = settings("127.0.0.1", SmtpSecurity::None);
        t.timeout = Duration::from_millis(10);
        assert_eq!(t.check(), Err(SmtpConfigError::Timeout));
    }
}

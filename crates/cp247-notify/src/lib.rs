//! cp247's outgoing notifications: e-mail through a configured SMTP relay (plain, or PGP/MIME
//! signed by the node and encrypted to a certificate) and signed webhooks. Used for duty-officer
//! alerts (new urgent requests, deadlines, escalations) and for the e-mail channel to contact
//! points that have no node.
//!
//! - [`smtp`]: the relay settings (STARTTLS, implicit TLS, or none only to loopback) and
//!   [`Mailer`].
//! - [`mail`]: plain and RFC 3156 PGP/MIME messages; the OpenPGP step is
//!   `cp247_seal::seal_mime_entity` (this crate never names the OpenPGP library).
//! - [`alert`]: what an alert says, and what it never says (case content).
//! - [`channel`]: the e-mail channel of escalation ([`EmailTarget`] from the directory,
//!   [`RequestMail`], [`Notifier::send_request_by_email`]).
//! - [`webhook`]: JSON POST with an HMAC-SHA256 signature header, timeout, bounded retries, no
//!   redirects.
//! - [`notifier`]: the node's [`Notifier`] and its bounded alert queue.
//! - [`text`]: header values (subjects, addresses) refused when they hold a line break.
#![warn(missing_docs)]

pub mod alert;
pub mod channel;
pub mod mail;
pub mod notifier;
pub mod secret;
pub mod smtp;
pub mod text;
pub mod webhook;

pub use alert::Alert;
pub use channel::{ChannelError, EmailTarget, RequestMail};
pub use mail::Enclosure;
pub use notifier::{
    AlertQueue, AlertReport, DutyOfficer, Notifier, NotifyConfigError, NotifyError, NotifySettings,
    WEBHOOK_CHANNEL, alert_worker, email_channel,
};
pub use secret::Secret;
pub use smtp::{Mailer, SmtpSecurity, SmtpSettings};
pub use text::{MailAddress, Subject};
pub use webhook::{Webhook, WebhookSettings, WebhookUrl};

/// Installs ring as the process-wide rustls provider (the one every cp247 TLS client uses)
/// before a webhook client is built; calling it again is harmless.
pub fn install_crypto_provider() {
    // An Err means a provider is already installed, which is what we want.
    let _already = rustls::crypto::ring::default_provider().install_default();
}

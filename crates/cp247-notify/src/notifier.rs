//! The node's notifier: alerts to the duty officer (e-mail to each configured address, PGP/MIME
//! when the officer's certificate is configured, and the webhook), and encrypted e-mail to
//! contact points without a node. Alerts go through a bounded queue worked by one task, so the
//! inbound pipeline never waits for a mail relay.

use std::fmt;
use std::sync::Arc;

use cp247_domain::Clock;
use cp247_seal::{Cert, NodeKey};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::alert::Alert;
use crate::mail::{self, Enclosure, MailError};
use crate::smtp::{Mailer, SendError, SmtpConfigError, SmtpSettings};
use crate::text::{MailAddress, Subject};
use crate::webhook::{Webhook, WebhookConfigError, WebhookError, WebhookSettings};

/// The most duty-officer addresses.
pub const MAX_DUTY_OFFICERS: usize = 16;
/// Alerts waiting to be sent before new ones are dropped (and logged as errors).
pub const QUEUE_CAPACITY: usize = 1024;

/// One duty-officer address, with the certificate to encrypt to if the officer has one.
#[derive(Clone)]
pub struct DutyOfficer {
    /// The address.
    pub address: MailAddress,
    /// The officer's OpenPGP certificate: alerts are then PGP/MIME.
    pub cert: Option<Cert>,
}

impl fmt::Debug for DutyOfficer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DutyOfficer")
            .field("address", &self.address)
            .field("cert", &self.cert.as_ref().map(Cert::fingerprint))
            .finish()
    }
}

/// Everything `[notify]` configures.
#[derive(Debug, Clone, Default)]
pub struct NotifySettings {
    /// The relay (needed for any e-mail).
    pub smtp: Option<SmtpSettings>,
    /// The webhook.
    pub webhook: Option<WebhookSettings>,
    /// Who gets alerts by e-mail.
    pub duty_officers: Vec<DutyOfficer>,
}

/// Why the notification settings are refused.
#[derive(Debug, thiserror::Error)]
pub enum NotifyConfigError {
    /// The SMTP settings.
    #[error("notify SMTP: {0}")]
    Smtp(#[from] SmtpConfigError),
    /// The webhook settings.
    #[error("notify webhook: {0}")]
    Webhook(#[from] WebhookConfigError),
    /// Duty-officer addresses without a relay.
    #[error("duty officer e-mail addresses are configured but no SMTP relay (notify.smtp_host)")]
    NoRelay,
    /// Too many addresses.
    #[error("at most {MAX_DUTY_OFFICERS} duty officer addresses may be configured")]
    TooMany,
    /// An officer's certificate fails cp247's key policy now.
    #[error("the certificate configured for duty officer {address} cannot be used: {reason}")]
    Cert {
        /// The officer.
        address: String,
        /// Why.
        reason: String,
    },
}

/// Why an e-mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// No relay is configured.
    #[error("no SMTP relay is configured (notify.smtp_host)")]
    NoRelay,
    /// Assembling or encrypting failed.
    #[error(transparent)]
    Mail(#[from] MailError),
    /// The relay refused or could not be reached.
    #[error(transparent)]
    Send(#[from] SendError),
}

/// What became of one alert.
#[derive(Debug, Default)]
pub struct AlertReport {
    /// Per duty-officer address: the Message-ID sent, or the failure.
    pub emails: Vec<(String, Result<String, NotifyError>)>,
    /// The webhook: attempts used, or the failure. `None` when no webhook is configured.
    pub webhook: Option<Result<u32, WebhookError>>,
}

impl AlertReport {
    /// Whether every configured channel took the alert.
    pub fn all_sent(&self) -> bool {
        self.emails.iter().all(|(_, r)| r.is_ok())
            && self.webhook.as_ref().is_none_or(Result::is_ok)
    }

    /// The channels that took the alert in this attempt ([`email_channel`], [`WEBHOOK_CHANNEL`]).
    pub fn channels_ok(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .emails
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(to, _)| email_channel(to))
            .collect();
        if matches!(self.webhook, Some(Ok(_))) {
            out.push(WEBHOOK_CHANNEL.to_owned());
        }
        out
    }

    /// What failed, in one line (no secrets, no case content).
    pub fn failures(&self) -> String {
        let mut out: Vec<String> = self
            .emails
            .iter()
            .filter_map(|(to, r)| r.as_ref().err().map(|e| format!("e-mail to {to}: {e}")))
            .collect();
        if let Some(Err(e)) = &self.webhook {
            out.push(format!("webhook: {e}"));
        }
        out.join("; ")
    }
}

/// The name of the webhook channel in [`AlertReport::channels_ok`].
pub const WEBHOOK_CHANNEL: &str = "webhook";

/// The name of the e-mail channel to `address`.
pub fn email_channel(address: &str) -> String {
    format!("email:{address}")
}

/// Sends alerts and encrypted e-mail.
pub struct Notifier {
    mailer: Option<Mailer>,
    webhook: Option<Webhook>,
    duty: Vec<DutyOfficer>,
    key: Arc<NodeKey>,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Notifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notifier")
            .field("mailer", &self.mailer)
            .field("webhook", &self.webhook)
            .field("duty", &self.duty)
            .finish_non_exhaustive()
    }
}

impl Notifier {
    /// Checks `settings` (each officer's certificate against cp247's key policy now) and builds
    /// the clients. Nothing is connected yet.
    pub fn new(
        settings: NotifySettings,
        key: Arc<NodeKey>,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, NotifyConfigError> {
        let now = clock.now();
        if settings.duty_officers.len() > MAX_DUTY_OFFICERS {
            return Err(NotifyConfigError::TooMany);
        }
        if !settings.duty_officers.is_empty() && settings.smtp.is_none() {
            return Err(NotifyConfigError::NoRelay);
        }
        for officer in &settings.duty_officers {
            if let Some(cert) = &officer.cert {
                cert.check_policy(now)
                    .map_err(|e| NotifyConfigError::Cert {
                        address: officer.address.email(),
                        reason: e.to_string(),
                    })?;
            }
        }
        let mailer = settings.smtp.map(Mailer::new).transpose()?;
        let webhook = settings.webhook.map(Webhook::new).transpose()?;
        Ok(Self {
            mailer,
            webhook,
            duty: settings.duty_officers,
            key,
            clock,
        })
    }

    /// Whether any channel is configured.
    pub fn is_configured(&self) -> bool {
        self.webhook.is_some() || (!self.duty.is_empty() && self.mailer.is_some())
    }

    /// Whether an SMTP relay is configured (for the e-mail channel of escalation).
    pub fn has_relay(&self) -> bool {
        self.mailer.is_some()
    }

    /// Sends `alert` to every duty-officer address and to the webhook; failures are in the
    /// report and logged (without secrets or case content).
    pub async fn send_alert(&self, alert: &Alert) -> AlertReport {
        self.send_alert_except(alert, &[]).await
    }

    /// [`Notifier::send_alert`] to the channels not in `done` (a retry after some took it).
    pub async fn send_alert_except(&self, alert: &Alert, done: &[String]) -> AlertReport {
        let mut report = AlertReport::default();
        let key = alert.key();
        for officer in &self.duty {
            if done.contains(&email_channel(&officer.address.email())) {
                continue;
            }
            let result = self.alert_email(alert, officer).await;
            match &result {
                Ok(id) => {
                    tracing::info!(alert = %key, to = %officer.address.email(), message_id = %id, encrypted = officer.cert.is_some(), "alert e-mailed")
                }
                Err(e) => {
                    tracing::error!(alert = %key, to = %officer.address.email(), error = %e, "alert e-mail failed")
                }
            }
            report.emails.push((officer.address.email(), result));
        }
        if let Some(webhook) = self
            .webhook
            .as_ref()
            .filter(|_| !done.iter().any(|d| d == WEBHOOK_CHANNEL))
        {
            let mut body = alert.json();
            if let serde_json::Value::Object(map) = &mut body {
                map.insert(
                    "sent_at".into(),
                    serde_json::Value::from(self.clock.now().to_string()),
                );
            }
            let bytes = serde_json::to_vec(&body).unwrap_or_default();
            let result = webhook.post(&key, bytes).await;
            match &result {
                Ok(attempts) => tracing::info!(alert = %key, attempts, "alert webhook called"),
                Err(e) => tracing::error!(alert = %key, error = %e, "alert webhook failed"),
            }
            report.webhook = Some(result);
        }
        report
    }

    async fn alert_email(
        &self,
        alert: &Alert,
        officer: &DutyOfficer,
    ) -> Result<String, NotifyError> {
        let mailer = self.mailer.as_ref().ok_or(NotifyError::NoRelay)?;
        let now = self.clock.now();
        let from = mailer.from();
        let id = mail::message_id(&alert.key(), &nonce(), from);
        let message = match &officer.cert {
            Some(cert) => mail::encrypted_text(
                from,
                &officer.address,
                &alert.subject(),
                &alert.text(),
                id.clone(),
                &self.key,
                cert,
                now,
            )?,
            None => mail::plain(
                from,
                &officer.address,
                &alert.subject(),
                &alert.text(),
                id.clone(),
                now,
            )?,
        };
        mailer.send(message).await?;
        Ok(id)
    }

    /// Sends a PGP/MIME e-mail signed by the node and encrypted to `cert` (and to the node):
    /// the e-mail channel to a contact point without a node. Returns the Message-ID.
    pub async fn send_encrypted(
        &self,
        to: &MailAddress,
        cert: &Cert,
        subject: &Subject,
        key_for_id: &str,
        text: &str,
        files: &[Enclosure],
    ) -> Result<String, NotifyError> {
        let mailer = self.mailer.as_ref().ok_or(NotifyError::NoRelay)?;
        let now = self.clock.now();
        let id = mail::message_id(key_for_id, &nonce(), mailer.from());
        let message = mail::encrypted_with_files(
            mailer.from(),
            to,
            subject,
            text,
            files,
            id.clone(),
            &self.key,
            cert,
            now,
        )?;
        mailer.send(message).await?;
        tracing::info!(to = %to.email(), message_id = %id, "encrypted e-mail sent");
        Ok(id)
    }
}

impl Notifier {
    /// Sends `request` to an e-mail-only contact point as PGP/MIME, signed by the node and
    /// encrypted to the certificate the directory lists (and to the node). Returns the
    /// Message-ID, to record on the case.
    pub async fn send_request_by_email(
        &self,
        target: &crate::channel::EmailTarget,
        request: &crate::channel::RequestMail,
    ) -> Result<String, NotifyError> {
        self.send_encrypted(
            &target.address,
            &target.cert,
            &request.subject(),
            &request.message_id.to_string(),
            &request.text(),
            &[request.enclosure()],
        )
        .await
    }
}

fn nonce() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The sending side of the alert queue (cheap to clone).
#[derive(Debug, Clone)]
pub struct AlertQueue {
    tx: mpsc::Sender<Alert>,
}

impl AlertQueue {
    /// Queues `alert` without waiting. When the queue is full (the relay and the webhook have
    /// been failing for a long time), the alert is dropped and logged as an error.
    pub fn submit(&self, alert: Alert) -> bool {
        let key = alert.key();
        match self.tx.try_send(alert) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::error!(alert = %key, "the alert queue is full: alert dropped");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {
                tracing::error!(alert = %key, "the alert worker has stopped: alert dropped");
                false
            }
        }
    }
}

/// The queue and the worker that empties it into `notifier` until `shutdown` (an alert being
/// sent when shutdown comes is finished first).
pub fn alert_worker(
    notifier: Arc<Notifier>,
    capacity: usize,
    shutdown: CancellationToken,
) -> (AlertQueue, impl Future<Output = ()> + Send + 'static) {
    let (tx, mut rx) = mpsc::channel::<Alert>(capacity.clamp(1, QUEUE_CAPACITY));
    let worker = async move {
        loop {
            let alert = tokio::select! {
                () = shutdown.cancelled() => break,
                next = rx.recv() => match next {
                    Some(alert) => alert,
                    None => break,
                },
            };
            let report = notifier.send_alert(&alert).await;
            if !report.all_sent() {
                tracing::warn!(alert = %alert.key(), "an alert did not reach every channel");
            }
        }
    };
    (AlertQueue { tx }, worker)
}

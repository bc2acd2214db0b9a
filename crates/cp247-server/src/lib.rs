//! The cp247 node server.
//!
//! - [`config`]: `cp247.toml`, environment overrides, and the refusal of insecure settings.
//! - [`cases_config`]: the deadline policy of `[cases]` (acknowledgement limits, preservation
//!   reminders).
//! - [`node`]: start (load and check keys, open the store, restore and refresh the directory,
//!   bind) and run the listener, delivery workers and directory schedule until shutdown.
//! - [`routes`]: the federation endpoint, the officer REST API (requests, cases, replies, due
//!   items), probes and metrics.
//! - [`scheduler`]: reminders, escalation and lapse on the injected clock; the [`scheduler::Alerts`]
//!   seam for duty-officer notifications.
//! - [`outgoing`]: sealing a case message for a peer node.
//! - [`checkpoint`]: the periodic signed checkpoint of the audit chain.
//! - [`auth`]: roles, the one table of what each may do, API tokens (stored as hashes) and the
//!   role extractors.
//! - [`accounts`]: Argon2id passwords, TOTP, recovery codes and the sign-in steps.
//! - [`throttle`]: sign-in throttling per (user name, source) and per source, in the store;
//!   the client's address behind a trusted reverse proxy.
//! - [`secrets`]: the key that seals TOTP seeds at rest (`secrets.key`).
//! - [`web`]: the officers' web pages, sessions and CSRF.
//! - [`notify_config`]: `[notify]`, the SMTP relay, webhook and duty-officer addresses.
//! - [`alerts`]: the duty-officer alerts (a new urgent or emergency request; the scheduler's
//!   reminders and escalations) and the e-mail channel of escalation, through `cp247-notify`.
//! - [`error`]: the one API error type with stable codes.
//! - [`provision`]: creating node directories (used by `cp247 demo` and the process tests).
#![warn(missing_docs)]

pub mod accounts;
pub mod alerts;
pub mod auth;
pub mod cases_config;
pub mod checkpoint;
pub mod config;
pub mod error;
pub mod node;
pub mod notify_config;
pub mod outgoing;
pub mod provision;
pub mod routes;
pub mod scheduler;
pub mod secrets;
pub mod throttle;
pub mod web;

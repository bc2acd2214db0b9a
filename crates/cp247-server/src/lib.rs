//! The cp247 node server.
//!
//! - [`config`]: `cp247.toml`, environment overrides, and the refusal of insecure settings.
//! - [`cases_config`]: the deadline policy of `[cases]` (acknowledgement limits, preservation
//!   reminders).
//! - [`node`]: start (load and check keys, open the store, restore and refresh the directory,
//!   wire case work (`cp247-casework`) to the HTTPS transport (`cp247-federation`), bind) and
//!   run the listener, the outbox, the scheduler, the checkpoints and the directory schedule
//!   until shutdown.
//! - [`routes`]: the federation endpoint, the officer REST API (requests, cases, replies, due
//!   items), probes and metrics: each handler parses, calls case work, and maps the answer.
//! - [`auth`]: roles, the one table of what each may do, API tokens (stored as hashes) and the
//!   role extractors.
//! - [`tokens`]: who may issue, list and revoke which API token (ADR 0020), for every path.
//! - [`operator`]: the host operator's local socket into the running node (`operator.sock`).
//! - [`accounts`]: Argon2id passwords, TOTP, recovery codes, lockout and the sign-in steps.
//! - [`throttle`]: sign-in throttling per (user name, source) and per source, in the store;
//!   the client's address behind a trusted reverse proxy.
//! - [`secrets`]: the key that seals TOTP seeds at rest (`secrets.key`).
//! - [`web`]: the officers' web pages, sessions and CSRF.
//! - [`notify_config`]: `[notify]`, the SMTP relay, webhook and duty-officer addresses.
//! - [`error`]: the one API error type with stable codes.
//! - [`provision`]: creating node directories (used by `cp247 demo` and the process tests).
#![warn(missing_docs)]

pub mod accounts;
pub mod auth;
pub mod cases_config;
pub mod config;
pub mod error;
pub mod node;
pub mod notify_config;
pub mod operator;
pub mod provision;
pub mod routes;
pub mod secrets;
pub mod throttle;
pub mod tokens;
pub mod web;

/// Fuzz harnesses for the form bodies a stranger (or a signed-in person) posts: used by
/// `fuzz/` and by the seed replay test. Not an API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::web::compose::fuzz_compose_form;
    pub use crate::web::pages::fuzz_sign_in_form;
}

//! The cp247 node server.
//!
//! - [`config`]: `cp247.toml`, environment overrides, and the refusal of insecure settings.
//! - [`node`]: start (load and check keys, open the store, restore and refresh the directory,
//!   bind) and run the listener, delivery workers and directory schedule until shutdown.
//! - [`notify_config`]: `[notify]`, the SMTP relay, webhook and duty-officer addresses.
//! - [`routes`]: the federation endpoint, the officer REST API, probes and metrics.
//! - [`alerts`]: the duty-officer alert a new urgent or emergency request raises.
//! - [`auth`]: API tokens (stored as hashes) and the role extractors.
//! - [`error`]: the one API error type with stable codes.
//! - [`provision`]: creating node directories (used by `cp247 demo` and the process tests).
#![warn(missing_docs)]

pub mod alerts;
pub mod auth;
pub mod config;
pub mod error;
pub mod node;
pub mod notify_config;
pub mod provision;
pub mod routes;

//! The cp247 node server.
//!
//! - [`config`]: `cp247.toml`, environment overrides, and the refusal of insecure settings.
#![warn(missing_docs)]

pub mod config;

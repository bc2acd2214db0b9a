// Tests may unwrap, expect and panic: a failure is the test's report.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The store's integration tests. Every test runs twice, on SQLite (a fresh file) and on
//! PostgreSQL (a fresh database created through `CP247_TEST_PG_URL` and dropped afterwards);
//! see `common.rs` for what happens when PostgreSQL is not available.

mod common;

mod accounts;
mod alerts;
mod attachments;
mod audit;
mod cases;
mod concurrency;
mod connect;
mod inbox;
mod misc;
mod outbox;
mod refusals;
mod schema;
mod throttles;
mod tickets;
mod tokens;

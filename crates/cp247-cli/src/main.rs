//! `cp247`: the one command of the cp247 node.
//!
//! The CLI is thin: it parses arguments, reads files and the environment, calls a library,
//! prints, and chooses the exit code. The demo network and the bench live in
//! `cp247-localnet`; the node's configuration is read and written only through
//! `cp247_server::config`. Each top-level command lives in its own module with a
//! `run(args) -> anyhow::Result<ExitCode>`; adding a command is one variant here and one module.
//!
//! Exit codes: each command documents its own. An error that a command does not handle itself
//! (an output file that cannot be written, …) is printed on standard error and exits with 1.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod directory;
mod doctor;
mod envelope;
mod form;
mod node;
mod serve;
mod token;
mod user;

/// cp247 — structured requests between the 24/7 contact points of the Budapest Convention.
#[derive(Debug, Parser)]
#[command(name = "cp247", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Request documents: examples, validation, conversion between JSON and XML, schemas.
    Form(form::FormArgs),
    /// Create a node directory: configuration, locked node key, pinned authority certificate.
    Init(node::InitArgs),
    /// The node's key: export its public certificate.
    Key(node::KeyArgs),
    /// The signed network directory: the authority's commands, show, verify, update a node.
    Directory(directory::DirectoryArgs),
    /// Sealed messages: seal a document to a Party, open a message, verify a receipt.
    Envelope(envelope::EnvelopeArgs),
    /// Run a node: federation endpoint, REST API, delivery workers, directory refresh.
    Serve(serve::ServeArgs),
    /// API tokens for officers, administrators and monitoring (printed once, stored hashed).
    Token(token::TokenArgs),
    /// People's accounts: add, disable, reset the second factor, list.
    User(user::UserArgs),
    /// Check this node and every peer: reachability, pins, certificates, clocks, last errors.
    Doctor(doctor::DoctorArgs),
    /// Start a demo network of three nodes (FR, GE, MD) on this machine.
    Demo(cp247_localnet::demo::DemoArgs),
    /// The audit log: verify its chain, export it, export the anchors peers' receipts carry.
    Audit(audit::AuditArgs),
    /// Measure cp247 against gpg + SMTP and the machine's limit; the K-node scale scenario.
    Bench(cp247_localnet::bench::BenchArgs),
}

/// This very `cp247` executable: the demo and the bench start it as `cp247 serve`.
fn this_executable() -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context as _;
    std::env::current_exe().context("cannot find the cp247 executable")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Form(args) => form::run(args),
        Command::Init(args) => node::run_init(args),
        Command::Key(args) => node::run_key(args),
        Command::Directory(args) => directory::run(args),
        Command::Envelope(args) => envelope::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Token(args) => token::run(args),
        Command::User(args) => user::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Demo(args) => {
            this_executable().and_then(|exe| cp247_localnet::demo::run(args, &exe))
        }
        Command::Audit(args) => audit::run(args),
        Command::Bench(args) => {
            this_executable().and_then(|exe| cp247_localnet::bench::run(args, &exe))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("cp247: {e:#}");
            ExitCode::FAILURE
        }
    }
}

//! `cp247 envelope …`: seal a request document to a Party, open a sealed message, verify a
//! signed receipt — for operators and for interoperability checks.
//!
//! | command | exit 0 | exit 1 |
//! |---|---|---|
//! | `seal --dir NODE --to CC FILE [-o OUT]` | sealed message written | invalid document, recipient refused, no usable directory |
//! | `open --dir NODE FILE [--receipt OUT]` | verified sender, header and payload printed | `refused CODE: reason` |
//! | `verify-receipt --dir NODE FILE --receiver CC [--sealed FILE]` | the receipt printed | `refused CODE: reason` |
//!
//! Every command loads the node's directory and checks it again against the pinned authority;
//! in the grace period after its expiry it warns on standard error, and after it refuses.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use cp247_casework::sealing::Draft;
use cp247_directory::TrafficDirectory;
use cp247_domain::{Address, ContactPointRole, Instant, MessageId, PartyCode, TicketId, Urgency};
use cp247_forms::Document;
use cp247_seal::{
    Handling, Limits, OpenPolicy, Receipt, Sealed, open, seal, sign_receipt, verify_receipt,
};
use jiff::Timestamp;

use crate::node::{Node, TimeArgs, parse_role, read_bytes, write_replace};

/// `cp247 envelope …`
#[derive(Debug, Args)]
pub struct EnvelopeArgs {
    #[command(subcommand)]
    command: EnvelopeCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum UrgencyArg {
    Routine,
    Urgent,
    Emergency,
}

#[derive(Debug, Subcommand)]
enum EnvelopeCommand {
    /// Seal a request document (JSON) to a Party: signed by this node, encrypted to the
    /// recipient's key from the directory and to this node.
    Seal {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The recipient Party.
        #[arg(long)]
        to: PartyCode,
        /// The recipient's contact point.
        #[arg(long, default_value = "primary", value_parser = parse_role)]
        to_role: ContactPointRole,
        /// The ticket this message belongs to (default: a new ticket).
        #[arg(long)]
        ticket: Option<TicketId>,
        /// The urgency (default: the document's own).
        #[arg(long, value_enum)]
        urgency: Option<UrgencyArg>,
        /// The request document (JSON, as `cp247 form validate` accepts).
        file: PathBuf,
        /// Where to write the sealed message (default: standard output).
        #[arg(short, long)]
        out: Option<PathBuf>,
        /// A file holding the passphrase (else CP247_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Open a sealed message addressed to this node and verify it against the directory.
    Open {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The sealed message.
        file: PathBuf,
        /// Also write the signed receipt for it here.
        #[arg(long, value_name = "FILE")]
        receipt: Option<PathBuf>,
        /// A file holding the passphrase (else CP247_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        time: TimeArgs,
    },
    /// Verify a signed receipt from a receiving Party.
    VerifyReceipt {
        /// The node directory.
        #[arg(long)]
        dir: PathBuf,
        /// The signed receipt.
        file: PathBuf,
        /// The Party expected to have signed it.
        #[arg(long)]
        receiver: PartyCode,
        /// Its contact point.
        #[arg(long, default_value = "primary", value_parser = parse_role)]
        receiver_role: ContactPointRole,
        /// The sealed message it should acknowledge (this node's copy; needs the passphrase).
        #[arg(long, value_name = "FILE")]
        sealed: Option<PathBuf>,
        /// A file holding the passphrase (else CP247_PASSPHRASE).
        #[arg(long, value_name = "FILE")]
        passphrase_file: Option<PathBuf>,
        #[command(flatten)]
        time: TimeArgs,
    },
}

/// `cp247 envelope …`
pub fn run(args: EnvelopeArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        EnvelopeCommand::Seal {
            dir,
            to,
            to_role,
            ticket,
            urgency,
            file,
            out,
            passphrase_file,
            time,
        } => {
            let recipient = Address {
                party: to,
                point: to_role,
            };
            seal_cmd(
                &dir,
                recipient,
                ticket,
                urgency,
                &file,
                out.as_deref(),
                passphrase_file.as_deref(),
                time.now(),
            )
        }
        EnvelopeCommand::Open {
            dir,
            file,
            receipt,
            passphrase_file,
            time,
        } => open_cmd(
            &dir,
            &file,
            receipt.as_deref(),
            passphrase_file.as_deref(),
            time.now(),
        ),
        EnvelopeCommand::VerifyReceipt {
            dir,
            file,
            receiver,
            receiver_role,
            sealed,
            passphrase_file,
            time,
        } => verify_receipt_cmd(
            &dir,
            &file,
            Address {
                party: receiver,
                point: receiver_role,
            },
            sealed.as_deref(),
            passphrase_file.as_deref(),
            time.now(),
        ),
    }
}

fn refused(code: &str, reason: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    println!("refused {code}: {reason}");
    Ok(ExitCode::FAILURE)
}

/// The node's directory as usable for traffic now, with the grace warning printed.
fn traffic<'a>(
    state: &'a cp247_directory::DirectoryState,
    now: Timestamp,
) -> Result<TrafficDirectory<'a>, cp247_directory::TrafficRefusal> {
    let view = state.traffic(now)?;
    if let Some(w) = view.health().warning() {
        eprintln!("cp247: WARNING: {w}");
    }
    Ok(view)
}

fn document_urgency(doc: &Document) -> (Urgency, bool) {
    match doc {
        Document::Art29(d) => (d.urgency.level(), d.request_confidential),
        Document::Art31(d) => (d.urgency.level(), d.request_confidential),
        Document::Art35(d) => (d.urgency.level(), d.request_confidential),
        // A disclosure of traffic data answers a preservation request: confidential.
        Document::Art30(_) => (Urgency::Routine, true),
    }
}

#[allow(clippy::too_many_arguments)] // one argument per command-line option
fn seal_cmd(
    dir: &Path,
    recipient: Address,
    ticket: Option<TicketId>,
    urgency: Option<UrgencyArg>,
    file: &Path,
    out: Option<&Path>,
    passphrase_file: Option<&Path>,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let node = Node::load(dir)?;
    let state = node.directory_state(now)?;
    let view = match traffic(&state, now) {
        Ok(v) => v,
        Err(e) => return refused(e.code(), e),
    };
    let me = node.address();
    if let Err(e) = view.contact_point(&me) {
        return refused(e.code(), format!("this node cannot send: {e}"));
    }
    let cert = match view.encryption_cert(&recipient) {
        Ok(c) => c,
        Err(e) => return refused(e.code(), e),
    };
    let bytes = read_bytes(file, cp247_forms::MAX_DOCUMENT_BYTES as u64)?;
    let parsed = match cp247_forms::parse_json(&bytes) {
        Ok(p) => p,
        Err(e) => return refused("document_unreadable", e),
    };
    let Some(document) = parsed.document else {
        for p in parsed.report.errors() {
            println!("{}", p.line(cp247_i18n::Lang::En));
        }
        return refused(
            "document_invalid",
            "the document is not valid (problems above); nothing was sealed",
        );
    };
    let (doc_urgency, confidential) = document_urgency(&document);
    let mut rng = rand::rng();
    let message_id = MessageId::generate(now, &mut rng);
    let ticket = ticket.unwrap_or_else(|| TicketId::generate(me.party, now, &mut rng));
    // The very shape a node sends: the same draft and payload functions as case work.
    let mut draft = match Draft::request(
        &ticket,
        message_id,
        recipient,
        &document,
        Handling {
            confidential,
            marking: None,
        },
        Vec::new(),
    ) {
        Ok(d) => d,
        Err(e) => return refused(e.code(), e),
    };
    draft.urgency = match urgency {
        None => doc_urgency,
        Some(UrgencyArg::Routine) => Urgency::Routine,
        Some(UrgencyArg::Urgent) => Urgency::Urgent,
        Some(UrgencyArg::Emergency) => Urgency::Emergency,
    };
    let payload = cp247_casework::sealing::payload(me, draft, now)?;
    let header = payload.header.clone();
    let key = node.key(passphrase_file)?;
    let sealed = seal(&payload, &key, cert, now)?;
    match out {
        Some(path) => {
            write_replace(path, sealed.as_bytes())?;
            eprintln!(
                "sealed {} {} ticket {} from {} to {} ({} bytes, sha256 {}) -> {}",
                header.message_type.as_str(),
                header.message_id,
                header.ticket,
                header.sender,
                header.recipient,
                sealed.as_bytes().len(),
                sealed.sha256_hex(),
                path.display()
            );
        }
        None => print!("{}", String::from_utf8_lossy(sealed.as_bytes())),
    }
    Ok(ExitCode::SUCCESS)
}

fn open_cmd(
    dir: &Path,
    file: &Path,
    receipt_out: Option<&Path>,
    passphrase_file: Option<&Path>,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let node = Node::load(dir)?;
    let state = node.directory_state(now)?;
    let view = match traffic(&state, now) {
        Ok(v) => v,
        Err(e) => return refused(e.code(), e),
    };
    let limits = Limits::default();
    let bytes = read_bytes(file, limits.max_sealed_bytes as u64)?;
    let key = node.key(passphrase_file)?;
    let me = node.address();
    let unverified = match open(&bytes, &key, &limits) {
        Ok(u) => u,
        Err(e) => return refused(e.code(), e),
    };
    let verified = match unverified.verify(&view, &me, now, &OpenPolicy::default()) {
        Ok(v) => v,
        Err(e) => return refused(e.code(), e),
    };
    // The sender's Party and contact point must be in good standing now, not only its key.
    if let Err(e) = view.contact_point(&verified.sender()) {
        return refused(e.code(), e);
    }
    let header = verified.header();
    println!(
        "verified sender: {} (signing key {}, signed {})",
        verified.sender(),
        verified.signer(),
        verified.signed_at()
    );
    println!("sealed sha256: {}", hex::encode(verified.sealed_sha256()));
    println!(
        "header: {}",
        serde_json::to_string_pretty(header).context("printing the header")?
    );
    println!(
        "payload: {}",
        serde_json::to_string_pretty(verified.body()).context("printing the payload")?
    );
    if let Some(path) = receipt_out {
        let receipt = Receipt::for_message(
            verified.sealed_sha256(),
            header.message_id,
            verified.sender(),
            me,
            Instant::utc(now),
            None,
        );
        let signed = sign_receipt(&receipt, &key, now)?;
        write_replace(path, signed.as_bytes())?;
        eprintln!("receipt written to {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn verify_receipt_cmd(
    dir: &Path,
    file: &Path,
    receiver: Address,
    sealed: Option<&Path>,
    passphrase_file: Option<&Path>,
    now: Timestamp,
) -> anyhow::Result<ExitCode> {
    let node = Node::load(dir)?;
    let state = node.directory_state(now)?;
    let view = match traffic(&state, now) {
        Ok(v) => v,
        Err(e) => return refused(e.code(), e),
    };
    let bytes = read_bytes(file, cp247_seal::MAX_RECEIPT_BYTES as u64)?;
    let receipt = match verify_receipt(&bytes, &view, &receiver, now) {
        Ok(r) => r,
        Err(e) => return refused(e.code(), e),
    };
    if receipt.sender != node.address() {
        return refused(
            "receipt_mismatch",
            format!(
                "the receipt acknowledges a message from {}, not from this node ({})",
                receipt.sender,
                node.address()
            ),
        );
    }
    if let Some(path) = sealed {
        let limits = Limits::default();
        let sealed_bytes = read_bytes(path, limits.max_sealed_bytes as u64)?;
        let key = node.key(passphrase_file)?;
        let own = match open(&sealed_bytes, &key, &limits) {
            Ok(u) => u,
            Err(e) => return refused(e.code(), format!("the sealed message: {e}")),
        };
        let message_id = own.claimed_header().message_id;
        if let Err(e) = receipt.check_acknowledges(&Sealed::from_stored(sealed_bytes), &message_id)
        {
            return refused(e.code(), e);
        }
        println!("the receipt acknowledges {}", path.display());
    }
    println!("verified receipt signed by {}", receipt.receiver);
    println!("message id:    {}", receipt.message_id);
    println!("sealed sha256: {}", hex::encode(receipt.sealed_sha256));
    println!("received at:   {}", receipt.received_at);
    Ok(ExitCode::SUCCESS)
}

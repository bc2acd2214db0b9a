//! `cp247 audit verify|export|anchors [--config FILE]`: the node's hash-chained audit log.
//!
//! - `verify` walks the whole chain and names every altered, removed, moved or truncated
//!   entry, in a sentence each. It checks every signed checkpoint in the database against the
//!   node's certificate (`node_cert`), and every anchor given with `--anchor FILE`: audit heads
//!   a peer holds from this node's signed receipts (the lines `cp247 audit anchors` writes on
//!   the peer's node). An anchor that carries its receipt is accepted only when the receipt's
//!   signature verifies with this node's certificate, so a peer cannot make up an anchor.
//!   Entries removed after the last checkpoint show only against an anchor newer than it.
//! - `export` writes the log as JSON lines, one entry per line with every hashed field, so
//!   that anyone can recompute the chain from the documented encoding without cp247; the
//!   export itself is recorded in the log.
//! - `checkpoints` writes each signed checkpoint with its exact signed text and signature, so
//!   that `gpg --verify` can check it against the node's certificate.
//! - `anchors` writes, as JSON lines, the audit heads that peers' signed receipts carry (with
//!   each receipt): what this node holds to check a peer's log; give the file to the peer.
//!
//! These commands open the node's database directly: on SQLite the node must be stopped.
//!
//! Exit codes: `verify` 0 intact, 1 broken (each fault printed), 2 usage or cannot verify
//! (configuration, certificate, database or anchor file unusable); the others 0 done, 1
//! failed.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Subcommand};
use cp247_domain::{Address, Clock, Instant, PartyCode, SystemClock};
use cp247_seal::{Cert, DirectoryKey, Fingerprint, KeyDirectory, KeyStatus};
use cp247_server::config::{CONFIG_FILE_NAME, ConfigFile, NodeConfig};
use cp247_store::{
    Actor, Anchor, AnchorSource, AuditAction, AuditHead, AuditRecord, AuditResult, DeliveryState,
    Page, Store, StoreError, checkpoint_signing_text,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The largest anchor file read.
const MAX_ANCHOR_FILE: u64 = 64 * 1024 * 1024;
/// The longest line of an anchor file (a receipt is at most 64 KiB, as JSON a little more).
const MAX_ANCHOR_LINE: usize = 160 * 1024;
/// The most checkpoints whose signatures are checked (newest first).
const MAX_CHECKPOINTS: u64 = 1_000_000;
/// Rows read per page.
const PAGE: u32 = 500;

/// `cp247 audit`
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Verify the whole audit chain against the signed checkpoints and the given anchors.
    Verify {
        /// The node's configuration file.
        #[arg(long, value_name = "FILE", default_value = CONFIG_FILE_NAME)]
        config: PathBuf,
        /// A file of anchors for this node's log (JSON lines from `cp247 audit anchors` on a
        /// peer's node); may be given several times.
        #[arg(long, value_name = "FILE")]
        anchor: Vec<PathBuf>,
    },
    /// Write the audit log as JSON lines (every hashed field), on standard output or to FILE.
    Export {
        /// The node's configuration file.
        #[arg(long, value_name = "FILE", default_value = CONFIG_FILE_NAME)]
        config: PathBuf,
        /// Only entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        /// Where to write (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write the signed checkpoints as JSON lines: each with the exact signed text and the
    /// armored signature, for checking with standard OpenPGP tools (`gpg --verify`).
    Checkpoints {
        /// The node's configuration file.
        #[arg(long, value_name = "FILE", default_value = CONFIG_FILE_NAME)]
        config: PathBuf,
        /// Where to write (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write the audit heads peers' signed receipts carry, as JSON lines (anchors for their
    /// logs).
    Anchors {
        /// The node's configuration file.
        #[arg(long, value_name = "FILE", default_value = CONFIG_FILE_NAME)]
        config: PathBuf,
        /// Only this peer's receipts (a Party code such as FR).
        #[arg(long, value_parser = PartyCode::parse)]
        peer: Option<PartyCode>,
        /// Where to write (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// One line of an anchor file: a (seq, hash) pair of the receiving node's log, with the signed
/// receipt that carried it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct AnchorLine {
    /// The node whose log the anchor is for (the receipt's signer).
    node: String,
    /// The anchored entry.
    seq: u64,
    /// Its hash.
    hash: String,
    /// Who holds the anchor (the sender of the acknowledged message).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    held_by: Option<String>,
    /// The acknowledged message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    message_id: Option<String>,
    /// When the node accepted the message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    received_at: Option<String>,
    /// The signed receipt (armored OpenPGP), the anchor's evidence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receipt: Option<String>,
}

/// One exported entry.
#[derive(Debug, Serialize)]
struct EntryLine<'a> {
    seq: u64,
    at: String,
    at_us: i64,
    actor: &'a str,
    action: &'a str,
    ticket: Option<&'a str>,
    result: &'a str,
    details: &'a str,
    prev_hash: &'a str,
    hash: &'a str,
}

/// This node's own certificate as the only key of a directory: receipts in anchor files must
/// be signed by it.
struct OwnKey {
    cert: Cert,
    me: Address,
}

impl KeyDirectory for OwnKey {
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
        self.cert.has_key(fp).then(|| DirectoryKey {
            cert: self.cert.clone(),
            owner: self.me,
            status: KeyStatus::Active,
        })
    }
}

/// A reason to exit with 2: the verification could not be carried out.
struct Usage(anyhow::Error);

impl<E: Into<anyhow::Error>> From<E> for Usage {
    fn from(e: E) -> Self {
        Usage(e.into())
    }
}

/// `cp247 audit …`.
pub fn run(args: AuditArgs) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match args.command {
            AuditCommand::Verify { config, anchor } => match verify(&config, &anchor).await {
                Ok(code) => Ok(code),
                Err(Usage(e)) => {
                    eprintln!("cp247: {e:#}");
                    Ok(ExitCode::from(2))
                }
            },
            AuditCommand::Export {
                config,
                after,
                output,
            } => export(&config, after, output.as_deref()).await,
            AuditCommand::Checkpoints { config, output } => {
                checkpoints(&config, output.as_deref()).await
            }
            AuditCommand::Anchors {
                config,
                peer,
                output,
            } => anchors(&config, peer, output.as_deref()).await,
        }
    })
}

fn load_config(path: &Path) -> anyhow::Result<NodeConfig> {
    Ok(ConfigFile::load(path, &crate::serve::config_overrides())?)
}

async fn open_store(config: &NodeConfig) -> anyhow::Result<Store> {
    Store::connect(&config.database_url, cp247_store::StoreOptions::default())
        .await
        .map_err(|e| match e {
            StoreError::Locked { .. } => {
                anyhow!("{e}\nThe node is running and holds its SQLite database: stop it first.")
            }
            other => anyhow::Error::new(other).context("cannot open the node's database"),
        })
}

fn read_cert(config: &NodeConfig) -> anyhow::Result<Cert> {
    let path = &config.cert;
    let text = crate::node::read_text(path, cp247_seal::MAX_CERT_BYTES as u64)
        .with_context(|| format!("cannot read the node's certificate {}", path.display()))?;
    Cert::from_armored(&text)
        .with_context(|| format!("the node's certificate {} cannot be read", path.display()))
}

async fn verify(config_path: &Path, anchor_files: &[PathBuf]) -> Result<ExitCode, Usage> {
    let config = load_config(config_path)?;
    let cert = read_cert(&config)?;
    let me = config.address;
    let own = OwnKey {
        cert: cert.clone(),
        me,
    };
    let now = SystemClock.now();
    let mut anchors = Vec::new();
    for file in anchor_files {
        anchors.extend(read_anchor_file(file, &own, now)?);
    }
    let given = anchors.len();
    let store = open_store(&config).await?;

    // Every checkpoint's signature, newest first.
    let mut problems: Vec<String> = Vec::new();
    let mut newest_good: Option<(u64, String, Fingerprint)> = None;
    let mut offset = 0u64;
    while offset < MAX_CHECKPOINTS {
        let page = store
            .checkpoints(Page {
                offset,
                limit: PAGE,
            })
            .await?;
        for c in &page.items {
            let text = checkpoint_signing_text(c.seq, &c.head_hash);
            match cp247_seal::verify_detached(&cert, text.as_bytes(), &c.signature, c.signed_at)
            {
                Ok(info) => {
                    if newest_good.is_none() {
                        newest_good = Some((c.seq, Instant::utc(info.created).to_string(), info.signer));
                    }
                }
                Err(e) => problems.push(format!(
                    "the checkpoint of audit entry {} (stored as signed at {}) is not signed by this node's key {}: {e}",
                    c.seq,
                    Instant::utc(c.signed_at),
                    cert.fingerprint()
                )),
            }
        }
        offset += page.items.len() as u64;
        if page.next.is_none() {
            break;
        }
    }
    let report = store.verify_chain(&anchors).await?;
    store.close().await;

    for p in &problems {
        println!("BROKEN: {p}");
    }
    for f in &report.faults {
        println!("BROKEN: {f}");
    }
    let intact = report.is_intact() && problems.is_empty();
    let summary = format!(
        "{} entries, head {}; {} anchor(s) checked ({given} given)",
        report.entries,
        report.last.receipt_text(),
        report.anchors_checked
    );
    if intact {
        println!("the audit log of {me} is intact: {summary}");
        match &newest_good {
            Some((seq, at, signer)) => {
                println!("the last signed checkpoint is entry {seq}, signed at {at} by {signer}")
            }
            None => println!(
                "warning: there is no signed checkpoint yet; entries removed from the end of the log show only against an anchor a peer holds"
            ),
        }
        if let Some((seq, _, _)) = &newest_good
            && report.last.seq > *seq
            && given == 0
        {
            println!(
                "note: entries {} to {} come after the last checkpoint; only an anchor a peer holds protects them",
                seq + 1,
                report.last.seq
            );
        }
        Ok(ExitCode::SUCCESS)
    } else {
        println!(
            "the audit log of {me} is NOT intact: {} fault(s); {summary}",
            report.faults.len() + problems.len()
        );
        Ok(ExitCode::FAILURE)
    }
}

/// Reads an anchor file: JSON lines; blank lines skipped. A line's receipt, when present, must
/// verify with this node's certificate and carry exactly the line's (seq, hash).
fn read_anchor_file(
    path: &Path,
    own: &OwnKey,
    now: jiff::Timestamp,
) -> anyhow::Result<Vec<Anchor>> {
    let shown = path.display();
    let file = std::fs::File::open(path)
        .with_context(|| format!("cannot read the anchor file {shown}"))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_ANCHOR_FILE {
        return Err(anyhow!(
            "the anchor file {shown} is larger than {MAX_ANCHOR_FILE} bytes"
        ));
    }
    let mut out = Vec::new();
    let mut reader = std::io::BufReader::new(std::io::Read::take(file, MAX_ANCHOR_FILE));
    let mut line = String::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let n = reader
            .read_line(&mut line)
            .with_context(|| format!("cannot read the anchor file {shown}"))?;
        if n == 0 {
            break;
        }
        number += 1;
        if line.len() > MAX_ANCHOR_LINE {
            return Err(anyhow!(
                "{shown} line {number}: the line is longer than {MAX_ANCHOR_LINE} bytes"
            ));
        }
        let text = line.trim();
        if text.is_empty() {
            continue;
        }
        let at = |what: String| anyhow!("{shown} line {number}: {what}");
        let parsed: AnchorLine =
            serde_json::from_str(text).map_err(|e| at(format!("not an anchor line: {e}")))?;
        let head = AuditHead::parse_receipt_text(&format!("{}:{}", parsed.seq, parsed.hash))
            .map_err(at)?;
        if parsed.node != own.me.to_string() {
            return Err(at(format!(
                "the anchor is for the log of {}, not of this node ({})",
                parsed.node, own.me
            )));
        }
        let source = match &parsed.receipt {
            Some(receipt) => {
                let r = cp247_seal::verify_receipt(receipt.as_bytes(), own, &own.me, now)
                    .map_err(|e| {
                        at(format!(
                            "the receipt is not one this node signed, so the anchor is not evidence: {e}"
                        ))
                    })?;
                if r.audit_head.as_deref() != Some(head.receipt_text().as_str()) {
                    return Err(at(format!(
                        "the receipt carries the audit head {}, not {}",
                        r.audit_head.as_deref().unwrap_or("(none)"),
                        head.receipt_text()
                    )));
                }
                format!(
                    "held by {} from this node's receipt for message {} ({shown} line {number})",
                    r.sender, r.message_id
                )
            }
            None => format!("in {shown} line {number} (without a receipt)"),
        };
        out.push(Anchor {
            seq: head.seq,
            hash: head.hash,
            source: AnchorSource::Peer(source),
        });
    }
    Ok(out)
}

/// Collects JSON lines, then writes them to FILE (replaced whole, only when complete) or to
/// standard output.
struct Output {
    path: Option<PathBuf>,
    text: Vec<u8>,
}

impl Output {
    fn new(path: Option<&Path>) -> Self {
        Self {
            path: path.map(Path::to_path_buf),
            text: Vec::new(),
        }
    }

    fn line(&mut self, value: &impl Serialize) -> anyhow::Result<()> {
        serde_json::to_writer(&mut self.text, value)?;
        self.text.push(b'\n');
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match &self.path {
            Some(path) => crate::node::write_replace(path, &self.text),
            None => {
                let mut out = std::io::stdout().lock();
                out.write_all(&self.text)?;
                out.flush()?;
                Ok(())
            }
        }
    }
}

async fn record_export(
    store: &Store,
    what: &str,
    count: u64,
    extra: serde_json::Value,
) -> anyhow::Result<()> {
    store
        .append_audit(&AuditRecord {
            actor: Actor::parse("cli:audit")?,
            action: AuditAction::Export,
            ticket: None,
            result: AuditResult::Ok,
            details: json!({ "what": what, "count": count, "filter": extra }),
            at: SystemClock.now(),
        })
        .await?;
    Ok(())
}

async fn export(config_path: &Path, after: u64, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let store = open_store(&config).await?;
    let mut out = Output::new(output);
    let mut last = after;
    let mut count = 0u64;
    loop {
        let entries = store.audit_entries(last, PAGE).await?;
        let Some(tail) = entries.last() else { break };
        let next = tail.seq;
        for e in &entries {
            out.line(&EntryLine {
                seq: e.seq,
                at: Instant::utc(e.at).to_string(),
                at_us: e.at.as_microsecond(),
                actor: e.actor.as_str(),
                action: e.action.as_str(),
                ticket: e.ticket.as_ref().map(|t| t.as_str()),
                result: e.result.as_str(),
                details: &e.details,
                prev_hash: &e.prev_hash,
                hash: &e.hash,
            })?;
            count += 1;
        }
        last = next;
    }
    out.finish()?;
    record_export(&store, "audit_log", count, json!({ "after": after })).await?;
    store.close().await;
    eprintln!("cp247: exported {count} audit entries");
    Ok(ExitCode::SUCCESS)
}

async fn anchors(
    config_path: &Path,
    peer: Option<PartyCode>,
    output: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let store = open_store(&config).await?;
    let mut out = Output::new(output);
    let mut offset = 0u64;
    let mut count = 0u64;
    loop {
        let page = store
            .deliveries_in_state(
                DeliveryState::Delivered,
                Page {
                    offset,
                    limit: PAGE,
                },
            )
            .await?;
        for d in &page.items {
            if peer.is_some_and(|p| p != d.peer.party) {
                continue;
            }
            let Some(bytes) = &d.receipt else { continue };
            let receipt = match cp247_seal::read_receipt(bytes) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!(
                        "cp247: the stored receipt for message {} cannot be read: {e}",
                        d.message_id
                    );
                    continue;
                }
            };
            let Some(head) = receipt.audit_head.as_deref() else {
                continue;
            };
            let head = match AuditHead::parse_receipt_text(head) {
                Ok(h) => h,
                Err(e) => {
                    eprintln!(
                        "cp247: the receipt for message {} carries no usable audit head: {e}",
                        d.message_id
                    );
                    continue;
                }
            };
            out.line(&AnchorLine {
                node: receipt.receiver.to_string(),
                seq: head.seq,
                hash: head.hash,
                held_by: Some(receipt.sender.to_string()),
                message_id: Some(receipt.message_id.to_string()),
                received_at: Some(receipt.received_at.to_string()),
                receipt: Some(String::from_utf8_lossy(bytes).into_owned()),
            })?;
            count += 1;
        }
        offset += page.items.len() as u64;
        if page.next.is_none() || page.items.is_empty() {
            break;
        }
    }
    out.finish()?;
    record_export(
        &store,
        "peer_audit_anchors",
        count,
        json!({ "peer": peer.map(|p| p.to_string()) }),
    )
    .await?;
    store.close().await;
    eprintln!("cp247: wrote {count} anchor(s)");
    Ok(ExitCode::SUCCESS)
}

/// One exported checkpoint.
#[derive(Debug, Serialize)]
struct CheckpointLine<'a> {
    seq: u64,
    hash: &'a str,
    signed_at: String,
    signed_text: String,
    signature: &'a str,
}

async fn checkpoints(config_path: &Path, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    let store = open_store(&config).await?;
    let mut out = Output::new(output);
    let mut offset = 0u64;
    let mut count = 0u64;
    while offset < MAX_CHECKPOINTS {
        let page = store
            .checkpoints(Page {
                offset,
                limit: PAGE,
            })
            .await?;
        for c in &page.items {
            out.line(&CheckpointLine {
                seq: c.seq,
                hash: &c.head_hash,
                signed_at: Instant::utc(c.signed_at).to_string(),
                signed_text: checkpoint_signing_text(c.seq, &c.head_hash),
                signature: &c.signature,
            })?;
            count += 1;
        }
        offset += page.items.len() as u64;
        if page.next.is_none() || page.items.is_empty() {
            break;
        }
    }
    out.finish()?;
    store.close().await;
    eprintln!("cp247: wrote {count} checkpoint(s), newest first");
    Ok(ExitCode::SUCCESS)
}

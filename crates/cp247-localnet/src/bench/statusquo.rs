//! Today's practice, measured the same way as cp247: the sender signs and encrypts the same
//! payload with the `gpg` command line and submits it by SMTP to the local Postfix; the
//! receiving side picks the mail up from the Maildir and decrypts and verifies it with `gpg`.
//! Latency runs from the start of signing to verified plaintext in hand.
//!
//! Keys are generated for the run in two temporary GNUPGHOMEs (Ed25519 signing, Curve25519
//! encryption, no passphrase); their gpg-agents are stopped at the end, also on an error.
//!
//! With `--attachment-size`, the signed and encrypted plaintext is a MIME `multipart/mixed`
//! entity — the request body, then the bench's random bytes as an `application/octet-stream`
//! attachment in base64 — as a mail client attaches a file before encrypting; the receiving
//! side checks the whole entity and decodes the attachment back to the same bytes.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use jiff::Timestamp;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};

use super::api::request_body;
use super::load::{self, Submitted, wall};
use super::stats::{self, Latency};
use super::{Plan, Saturation};

/// Where the status-quo path sends and reads mail.
#[derive(Debug, Clone)]
pub struct MailSetup {
    /// The SMTP server (`127.0.0.1:25`).
    pub smtp: String,
    /// The recipient mailbox's Maildir (mail arrives in `new/`).
    pub maildir: PathBuf,
    /// The recipient address.
    pub recipient: String,
}

/// One run of the status-quo path.
#[derive(Debug, Clone, Serialize)]
pub struct StatusQuoRun {
    /// The saturating burst.
    pub saturation: Saturation,
    /// Latency at the fixed offered load, start of signing → verified plaintext in hand.
    pub latency_ms: Latency,
    /// The offered load, requests per second.
    pub offered_per_s: f64,
    /// CPU seconds of gpg, gpg-agent and the Postfix processes per delivery during the burst
    /// (Postfix is shared with anything else on the machine).
    pub cpu_seconds_per_delivery: f64,
    /// Messages whose plaintext came back identical with a good signature by the sender.
    pub verified: usize,
    /// Bytes signed and encrypted per message (the request body, or the MIME entity with the
    /// attachment).
    pub plaintext_bytes: usize,
}

/// The MIME boundary of the status-quo entity (never in base64 or in the request JSON).
const BOUNDARY: &str = "cp247-bench-boundary-=_";

/// The plaintext the status-quo path signs and encrypts: the request body alone, or a
/// `multipart/mixed` entity with the request body and `attachment` as a base64 attachment
/// (lines of 76 characters, CRLF).
pub fn plaintext(request: &[u8], attachment: Option<&[u8]>) -> Vec<u8> {
    use base64::Engine as _;
    let Some(bytes) = attachment else {
        return request.to_vec();
    };
    let mut out = Vec::with_capacity(request.len() + bytes.len() * 4 / 3 + 1024);
    out.extend_from_slice(
        format!(
            "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{BOUNDARY}\"\r\n\r\n--{BOUNDARY}\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    out.extend_from_slice(request);
    out.extend_from_slice(
        format!(
            "\r\n--{BOUNDARY}\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"{}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n",
            super::api::ATTACHMENT_NAME
        )
        .as_bytes(),
    );
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    for line in encoded.as_bytes().chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    out
}

/// The attachment's bytes decoded from a status-quo entity, as the recipient saves the file.
fn attachment_of(entity: &[u8]) -> Option<Vec<u8>> {
    use base64::Engine as _;
    let text = std::str::from_utf8(entity).ok()?;
    let start = text.find("Content-Transfer-Encoding: base64\r\n\r\n")?
        + "Content-Transfer-Encoding: base64\r\n\r\n".len();
    let end = text.rfind(&format!("--{BOUNDARY}--"))?;
    let body: String = text
        .get(start..end)?
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// The processes of the status-quo path whose CPU time is counted.
const COUNTED: [&str; 9] = [
    "gpg",
    "gpg-agent",
    "master",
    "smtpd",
    "cleanup",
    "qmgr",
    "local",
    "trivial-rewrite",
    "pickup",
];

/// The longest a single gpg or SMTP step may take.
const STEP_TIMEOUT: Duration = Duration::from_secs(60);

/// A temporary GNUPGHOME; dropping it stops its gpg-agent.
#[derive(Debug)]
struct GnuHome {
    dir: PathBuf,
}

impl Drop for GnuHome {
    fn drop(&mut self) {
        let _ = std::process::Command::new("gpgconf")
            .arg("--homedir")
            .arg(&self.dir)
            .arg("--kill")
            .arg("all")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs `gpg --homedir HOME --batch …args` with `input` on standard input; (stdout, stderr).
async fn gpg(home: &Path, args: &[&str], input: &[u8]) -> anyhow::Result<(Vec<u8>, String)> {
    let mut child = tokio::process::Command::new("gpg")
        .arg("--homedir")
        .arg(home)
        .args(["--batch", "--no-tty", "--quiet"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .context("cannot run gpg (is GnuPG installed?)")?;
    let mut stdin = child.stdin.take().context("no stdin pipe for gpg")?;
    let input = input.to_vec();
    let writer = tokio::spawn(async move {
        let written = stdin.write_all(&input).await;
        drop(stdin);
        written
    });
    let out = tokio::time::timeout(STEP_TIMEOUT, child.wait_with_output())
        .await
        .context("gpg did not finish in 60 s")?
        .context("waiting for gpg")?;
    writer
        .await
        .context("writing to gpg")?
        .context("writing to gpg")?;
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        bail!(
            "gpg {} failed ({}): {}",
            args.join(" "),
            out.status,
            stderr.trim()
        );
    }
    Ok((out.stdout, stderr))
}

/// Creates a GNUPGHOME with a fresh key (Ed25519 primary for signing, Curve25519 encryption
/// subkey); returns it with the primary key's fingerprint.
async fn new_home(dir: PathBuf, user_id: &str) -> anyhow::Result<(GnuHome, String)> {
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot protect {}", dir.display()))?;
    }
    let home = GnuHome { dir };
    let none: &[u8] = &[];
    gpg(
        &home.dir,
        &[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-gen-key",
            user_id,
            "ed25519",
            "sign",
            "2d",
        ],
        none,
    )
    .await?;
    let (listing, _) = gpg(&home.dir, &["--with-colons", "--list-keys", user_id], none).await?;
    let fpr = String::from_utf8_lossy(&listing)
        .lines()
        .find_map(|l| l.strip_prefix("fpr:"))
        .and_then(|l| l.trim_matches(':').rsplit(':').next().map(str::to_owned))
        .context("gpg listed no fingerprint for the new key")?;
    gpg(
        &home.dir,
        &[
            "--pinentry-mode",
            "loopback",
            "--passphrase",
            "",
            "--quick-add-key",
            &fpr,
            "cv25519",
            "encr",
            "2d",
        ],
        none,
    )
    .await?;
    Ok((home, fpr))
}

/// Sends one message by SMTP (a new connection, as a mail client does).
async fn smtp_send(server: &str, from: &str, to: &str, message: &str) -> anyhow::Result<()> {
    let stream = tokio::time::timeout(STEP_TIMEOUT, TcpStream::connect(server))
        .await
        .context("SMTP connect timed out")?
        .with_context(|| format!("cannot connect to the SMTP server {server}"))?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    async fn reply(read: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> anyhow::Result<u16> {
        let mut line = String::new();
        loop {
            line.clear();
            let n = tokio::time::timeout(STEP_TIMEOUT, read.read_line(&mut line))
                .await
                .context("the SMTP server did not answer in 60 s")??;
            if n == 0 || line.len() > 4096 {
                bail!("the SMTP server closed the connection or sent an over-long line");
            }
            // "250-…" continues, "250 …" ends a reply.
            if line.as_bytes().get(3) != Some(&b'-') {
                return line
                    .get(..3)
                    .and_then(|c| c.parse().ok())
                    .with_context(|| format!("not an SMTP reply: {}", line.trim()));
            }
        }
    }
    let expect = |got: u16, want: u16, step: &str| -> anyhow::Result<()> {
        if got == want {
            Ok(())
        } else {
            bail!("SMTP {step}: the server answered {got}, expected {want}")
        }
    };
    expect(reply(&mut read).await?, 220, "greeting")?;
    for (command, want, step) in [
        ("EHLO bench.cp247.test\r\n".to_owned(), 250, "EHLO"),
        (format!("MAIL FROM:<{from}>\r\n"), 250, "MAIL FROM"),
        (format!("RCPT TO:<{to}>\r\n"), 250, "RCPT TO"),
        ("DATA\r\n".to_owned(), 354, "DATA"),
    ] {
        write.write_all(command.as_bytes()).await?;
        expect(reply(&mut read).await?, want, step)?;
    }
    let mut data = String::with_capacity(message.len() + 64);
    for line in message.lines() {
        if line.starts_with('.') {
            data.push('.');
        }
        data.push_str(line);
        data.push_str("\r\n");
    }
    data.push_str(".\r\n");
    write.write_all(data.as_bytes()).await?;
    expect(reply(&mut read).await?, 250, "end of data")?;
    write.write_all(b"QUIT\r\n").await?;
    let _ = reply(&mut read).await;
    Ok(())
}

/// What the receiving side saw.
#[derive(Debug, Default)]
struct Inbox {
    /// sequence number → when its verified plaintext was in hand.
    done: HashMap<usize, Timestamp>,
    /// The first failure, if any.
    failure: Option<String>,
}

/// The receiving side: watches `maildir/new` for this run's mails, decrypts and verifies each
/// with gpg, checks the plaintext, removes the mail. Ends when `stop` fires.
struct Receiver {
    maildir: PathBuf,
    run_id: String,
    home: PathBuf,
    sender_fpr: String,
    payload: Arc<Vec<u8>>,
    attachment: super::BenchFile,
    concurrency: usize,
}

impl Receiver {
    fn header(&self) -> String {
        format!("X-Cp247-Bench: {}", self.run_id)
    }

    async fn watch(self: Arc<Self>, inbox: Arc<Mutex<Inbox>>, mut stop: mpsc::Receiver<()>) {
        let slots = Arc::new(Semaphore::new(self.concurrency.max(1)));
        let mut seen: HashSet<std::ffi::OsString> = HashSet::new();
        let mut tasks = tokio::task::JoinSet::new();
        let new = self.maildir.join("new");
        loop {
            if stop.try_recv().is_ok() {
                break;
            }
            if let Ok(entries) = std::fs::read_dir(&new) {
                for entry in entries.flatten() {
                    let name = entry.file_name();
                    if !seen.insert(name.clone()) {
                        continue;
                    }
                    let path = entry.path();
                    let this = self.clone();
                    let inbox = inbox.clone();
                    let slots = slots.clone();
                    tasks.spawn(async move {
                        let Ok(_slot) = slots.acquire_owned().await else {
                            return;
                        };
                        match this.take(&path).await {
                            Ok(Some((seq, at))) => {
                                let mut inbox = inbox.lock().unwrap_or_else(|p| p.into_inner());
                                inbox.done.insert(seq, at);
                            }
                            Ok(None) => {}
                            Err(e) => {
                                let mut inbox = inbox.lock().unwrap_or_else(|p| p.into_inner());
                                inbox.failure.get_or_insert(format!("{e:#}"));
                            }
                        }
                    });
                }
            }
            while tasks.try_join_next().is_some() {}
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        tasks.shutdown().await;
    }

    /// Reads one mail; `None` when it is not this run's. Removes this run's mails.
    async fn take(&self, path: &Path) -> anyhow::Result<Option<(usize, Timestamp)>> {
        let text = match tokio::fs::read(path).await {
            Ok(bytes) if bytes.len() <= 64 * 1024 * 1024 => {
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => return Ok(None),
        };
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let header = self.header();
        let Some(seq) = head
            .lines()
            .find_map(|l| l.strip_prefix(header.as_str()))
            .and_then(|rest| rest.trim().parse::<usize>().ok())
        else {
            return Ok(None);
        };
        let _ = tokio::fs::remove_file(path).await;
        let begin = body
            .find("-----BEGIN PGP MESSAGE-----")
            .with_context(|| format!("mail {seq} holds no PGP message"))?;
        let armored = body.get(begin..).unwrap_or_default();
        let (plaintext, status) = gpg(
            &self.home,
            &["--status-fd", "2", "--decrypt"],
            armored.as_bytes(),
        )
        .await
        .with_context(|| format!("decrypting mail {seq}"))?;
        let good = status.lines().any(|l| {
            l.starts_with("[GNUPG:] VALIDSIG ")
                && l.split_whitespace().last() == Some(self.sender_fpr.as_str())
        }) && status.lines().any(|l| l.starts_with("[GNUPG:] GOODSIG "));
        if !good {
            bail!("mail {seq}: no good signature by the sender's key");
        }
        if plaintext != *self.payload {
            bail!("mail {seq}: the plaintext differs from what was sent");
        }
        if let Some(expected) = self.attachment.bytes()
            && attachment_of(&plaintext).as_deref() != Some(expected)
        {
            bail!("mail {seq}: the attachment does not decode to the bytes sent");
        }
        Ok(Some((seq, wall())))
    }

    /// Removes any mail of this run still in the Maildir.
    fn sweep(&self) {
        let header = self.header();
        for sub in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(self.maildir.join(sub)) else {
                continue;
            };
            for entry in entries.flatten() {
                let text = std::fs::read(entry.path()).unwrap_or_default();
                let head = text.get(..text.len().min(8192)).unwrap_or_default();
                if String::from_utf8_lossy(head).contains(&header) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// The sending side of one message.
struct Sender {
    home: PathBuf,
    recipient_fpr: String,
    mail: MailSetup,
    run_id: String,
    payload: Arc<Vec<u8>>,
}

impl Sender {
    async fn send(&self, seq: usize) -> anyhow::Result<Submitted> {
        let at = wall();
        let (armored, _) = gpg(
            &self.home,
            &[
                "--trust-model",
                "always",
                "--armor",
                "--sign",
                "--encrypt",
                "--recipient",
                &self.recipient_fpr,
            ],
            &self.payload,
        )
        .await
        .with_context(|| format!("signing and encrypting message {seq}"))?;
        let message = format!(
            "From: Bench sender <sender@cp247.test>\r\nTo: <{to}>\r\nSubject: Art. 29 preservation request\r\nMessage-ID: <{run}.{seq}@cp247.test>\r\nX-Cp247-Bench: {run} {seq}\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n{body}",
            to = self.mail.recipient,
            run = self.run_id,
            body = String::from_utf8_lossy(&armored),
        );
        smtp_send(
            &self.mail.smtp,
            "sender@cp247.test",
            &self.mail.recipient,
            &message,
        )
        .await
        .with_context(|| format!("submitting message {seq} by SMTP"))?;
        Ok(Submitted {
            key: seq.to_string(),
            at,
        })
    }
}

/// Waits until every sequence number in `keys` is done (or a failure, or `within`).
async fn wait_done(
    inbox: &Mutex<Inbox>,
    keys: &[Submitted],
    within: Duration,
) -> anyhow::Result<HashMap<usize, Timestamp>> {
    let started = std::time::Instant::now();
    loop {
        {
            let inbox = inbox.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(f) = &inbox.failure {
                bail!("status quo: {f}");
            }
            let all = keys.iter().all(|s| {
                s.key
                    .parse::<usize>()
                    .is_ok_and(|seq| inbox.done.contains_key(&seq))
            });
            if all {
                return Ok(inbox.done.clone());
            }
        }
        if started.elapsed() > within {
            bail!(
                "status quo: not every mail was verified within {within:?} (is Postfix delivering to the Maildir?)"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Runs the status-quo path.
pub async fn run(root: &Path, mail: &MailSetup, plan: &Plan) -> anyhow::Result<StatusQuoRun> {
    if !mail.maildir.join("new").is_dir() {
        bail!(
            "the Maildir {} has no new/ directory (set up the local Postfix: bash scripts/postfix-local.sh)",
            mail.maildir.display()
        );
    }
    let run_id = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let (sender_home, sender_fpr) = new_home(
        root.join("gnupg-sender"),
        "Bench sender <sender@cp247.test>",
    )
    .await?;
    let (receiver_home, receiver_fpr) = new_home(
        root.join("gnupg-receiver"),
        "Bench receiver <receiver@cp247.test>",
    )
    .await?;
    let none: &[u8] = &[];
    let (sender_pub, _) = gpg(
        &sender_home.dir,
        &["--armor", "--export", &sender_fpr],
        none,
    )
    .await?;
    let (receiver_pub, _) = gpg(
        &receiver_home.dir,
        &["--armor", "--export", &receiver_fpr],
        none,
    )
    .await?;
    gpg(&receiver_home.dir, &["--import"], &sender_pub).await?;
    gpg(&sender_home.dir, &["--import"], &receiver_pub).await?;

    let payload = Arc::new(plaintext(
        &request_body("MD", None)?,
        plan.attachment.bytes(),
    ));
    let receiver = Arc::new(Receiver {
        maildir: mail.maildir.clone(),
        run_id: run_id.clone(),
        home: receiver_home.dir.clone(),
        sender_fpr,
        payload: payload.clone(),
        attachment: plan.attachment.clone(),
        concurrency: plan.concurrency,
    });
    let inbox = Arc::new(Mutex::new(Inbox::default()));
    let (stop_tx, stop_rx) = mpsc::channel(1);
    let watcher = tokio::spawn(receiver.clone().watch(inbox.clone(), stop_rx));
    let sender = Arc::new(Sender {
        home: sender_home.dir.clone(),
        recipient_fpr: receiver_fpr,
        mail: mail.clone(),
        run_id,
        payload,
    });
    let outcome = measure(&sender, &inbox, plan).await;
    let _ = stop_tx.send(()).await;
    let _ = watcher.await;
    receiver.sweep();
    drop(sender_home);
    drop(receiver_home);
    outcome
}

async fn measure(
    sender: &Arc<Sender>,
    inbox: &Mutex<Inbox>,
    plan: &Plan,
) -> anyhow::Result<StatusQuoRun> {
    let within = Duration::from_secs(plan.drain_timeout_secs);
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let submit = {
        let sender = sender.clone();
        move |_i: usize| {
            let sender = sender.clone();
            let seq = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            async move { sender.send(seq).await }
        }
    };
    let warm = load::burst(plan.warmup, plan.concurrency, submit.clone()).await?;
    wait_done(inbox, &warm, within).await?;

    let cpu_before = stats::cpu_by_name(&COUNTED);
    let me = std::process::id();
    let own_before =
        stats::cpu_seconds_with_children(me).unwrap_or(0.0) - stats::cpu_seconds(me).unwrap_or(0.0);
    let burst = load::burst(plan.messages, plan.concurrency, submit.clone()).await?;
    let done = wait_done(inbox, &burst, within).await?;
    let cpu_after = stats::cpu_by_name(&COUNTED);
    let own_after =
        stats::cpu_seconds_with_children(me).unwrap_or(0.0) - stats::cpu_seconds(me).unwrap_or(0.0);
    // gpg processes are this process's children: counted through its children time.
    let cpu_used = stats::cpu_between(&cpu_before, &cpu_after) + (own_after - own_before);
    let first = burst.iter().map(|s| s.at).min().context("an empty burst")?;
    let last = burst
        .iter()
        .filter_map(|s| s.key.parse::<usize>().ok())
        .filter_map(|seq| done.get(&seq).copied())
        .max()
        .unwrap_or(first);
    let saturation = Saturation::new(burst.len(), last.duration_since(first).as_secs_f64());

    let fixed = load::fixed_rate(plan.fixed_count(), plan.rate, plan.concurrency, submit).await?;
    let done = wait_done(inbox, &fixed, within).await?;
    let mut latency = Vec::new();
    for s in &fixed {
        let seq: usize = s.key.parse().context("a sequence number")?;
        let at = done.get(&seq).context("a verified mail")?;
        latency.push(at.duration_since(s.at).as_secs_f64() * 1000.0);
    }
    let verified = inbox.lock().unwrap_or_else(|p| p.into_inner()).done.len();
    let plaintext_bytes = sender.payload.len();
    Ok(StatusQuoRun {
        plaintext_bytes,
        saturation,
        latency_ms: Latency::of(latency),
        offered_per_s: plan.rate,
        cpu_seconds_per_delivery: cpu_used / plan.messages.max(1) as f64,
        verified,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mime_entity_carries_the_same_bytes() {
        let request = br#"{"to":"MD","document":{}}"#;
        assert_eq!(plaintext(request, None), request.to_vec());
        let file: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let entity = plaintext(request, Some(&file));
        let text = String::from_utf8(entity.clone()).unwrap();
        assert!(
            text.contains("Content-Disposition: attachment; filename=\"bench-attachment.bin\"")
        );
        assert!(text.lines().all(|l| l.len() <= 998), "SMTP line limit");
        assert_eq!(attachment_of(&entity), Some(file));
    }
}

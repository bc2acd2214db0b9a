//! The machine's limit for sealed, durable deliveries: the same library in a tight loop.
//!
//! - t_seal: sign + encrypt the payload (cp247-seal, the node's own code path);
//! - t_open: decrypt + verify it against a directory of the two keys;
//! - t_commit: one durable commit on this disk (the store on SQLite, `synchronous=FULL`);
//! - t_rtt: one loopback HTTP round trip carrying the sealed bytes (keep-alive).
//!
//! limit = cores / (t_seal + t_open + 2·t_commit + t_rtt) deliveries per second: every
//! delivery seals once, opens once, commits once on each side and crosses loopback once.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use cp247_domain::{Address, MessageId, PartyCode, TicketId, Urgency};
use cp247_seal::{
    Attachment, DirectoryKey, FileName, Fingerprint, Handling, Header, KeyDirectory, KeyStatus,
    Limits, MediaType, MessageType, NodeKey, OpenPolicy, Payload,
};
use cp247_store::{Actor, AuditAction, AuditRecord, AuditResult, Store, StoreOptions};
use serde::Serialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::load::wall;

/// The measured costs (milliseconds) and the limit they give.
#[derive(Debug, Clone, Serialize)]
pub struct MachineLimit {
    /// Sign + encrypt of the payload.
    pub t_seal_ms: f64,
    /// Decrypt + verify.
    pub t_open_ms: f64,
    /// One durable commit (SQLite, synchronous=FULL).
    pub t_commit_ms: f64,
    /// One loopback HTTP round trip with the sealed bytes as body.
    pub t_rtt_ms: f64,
    /// Cores available to this process.
    pub cores: usize,
    /// cores / (t_seal + t_open + 2·t_commit + t_rtt), deliveries per second.
    pub deliveries_per_s: f64,
    /// Size of the payload (canonical JSON) and of the sealed message, bytes.
    pub payload_bytes: usize,
    /// Size of the sealed (armored) message, bytes.
    pub sealed_bytes: usize,
}

struct TwoKeys(Vec<DirectoryKey>);

impl KeyDirectory for TwoKeys {
    fn key_by_fingerprint(&self, fp: &Fingerprint) -> Option<DirectoryKey> {
        self.0.iter().find(|k| k.cert.has_key(fp)).cloned()
    }
}

/// Runs `step` repeatedly for about `budget` (at least 5 times, at most 100 000); the mean
/// time per call in milliseconds.
async fn mean_ms<F, Fut>(budget: Duration, mut step: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let started = Instant::now();
    let mut n = 0u32;
    while n < 5 || (started.elapsed() < budget && n < 100_000) {
        step().await?;
        n += 1;
    }
    Ok(started.elapsed().as_secs_f64() * 1000.0 / f64::from(n))
}

/// A loopback HTTP/1.1 server answering every request with a short 200, keep-alive; bounded
/// to 64 KiB of headers and 16 MiB of body per request. Ends when the listener task is
/// aborted.
async fn tiny_server(listener: tokio::net::TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut buf = Vec::with_capacity(16 * 1024);
            let mut chunk = vec![0u8; 64 * 1024];
            loop {
                // Read one request: headers, then Content-Length bytes.
                let head_end = loop {
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break i + 4;
                    }
                    if buf.len() > 64 * 1024 {
                        return;
                    }
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    }
                };
                let head = String::from_utf8_lossy(buf.get(..head_end).unwrap_or_default())
                    .to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0)
                    .min(16 * 1024 * 1024);
                while buf.len() < head_end + length {
                    match stream.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
                    }
                }
                buf.drain(..head_end + length);
                let answer =
                    b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: text/plain\r\n\r\nok";
                if stream.write_all(answer).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// Measures the four costs; `budget` is the time spent on each.
pub async fn measure(
    root: &Path,
    budget: Duration,
    attachment: Option<&[u8]>,
) -> anyhow::Result<MachineLimit> {
    let now = wall();
    let fr = Address::primary(PartyCode::parse("FR")?);
    let md = Address::primary(PartyCode::parse("MD")?);
    let fr_key = NodeKey::generate("cp247 bench FR", now, None)?;
    let md_key = NodeKey::generate("cp247 bench MD", now, None)?;
    let directory = TwoKeys(vec![
        DirectoryKey {
            cert: fr_key.cert(),
            owner: fr,
            status: KeyStatus::Active,
        },
        DirectoryKey {
            cert: md_key.cert(),
            owner: md,
            status: KeyStatus::Active,
        },
    ]);
    let body: Value = serde_json::from_str(cp247_forms::examples::json(cp247_forms::Kind::Art29))
        .context("the Art. 29 example is not JSON")?;
    let payload = {
        let mut rng = rand::rng();
        Payload {
            header: Header {
                message_id: MessageId::generate(now, &mut rng),
                ticket: TicketId::generate(fr.party, now, &mut rng),
                message_type: MessageType::parse("art29_request")?,
                sender: fr,
                recipient: md,
                created_at: cp247_domain::Instant::utc(now),
                urgency: Urgency::Urgent,
                handling: Handling {
                    confidential: true,
                    marking: None,
                },
            },
            body,
            // The bench's attachment, when there is one: the same payload as the cp247 path.
            attachments: attachment
                .map(|bytes| -> anyhow::Result<Attachment> {
                    Ok(Attachment::new(
                        FileName::parse(super::api::ATTACHMENT_NAME)?,
                        MediaType::parse("application/octet-stream")?,
                        bytes.to_vec(),
                    ))
                })
                .transpose()?
                .into_iter()
                .collect(),
        }
    };
    let payload_bytes = payload.canonical_json().len();

    let t_seal_ms = mean_ms(budget, || async {
        cp247_seal::seal(&payload, &fr_key, &md_key.cert(), now)?;
        Ok(())
    })
    .await?;
    let sealed = cp247_seal::seal(&payload, &fr_key, &md_key.cert(), now)?;
    let limits = Limits::default();
    let policy = OpenPolicy::default();
    let t_open_ms = mean_ms(budget, || async {
        let verified = cp247_seal::open(sealed.as_bytes(), &md_key, &limits)?
            .verify(&directory, &md, now, &policy)?;
        anyhow::ensure!(
            verified.canonical_json() == payload.canonical_json(),
            "the opened payload differs from the sealed one"
        );
        Ok(())
    })
    .await?;

    let db = root.join("limit.db");
    let store = Store::connect(
        &format!("sqlite://{}", db.display()),
        StoreOptions::default(),
    )
    .await?;
    let record = AuditRecord {
        actor: Actor::node(),
        action: AuditAction::Receive,
        ticket: Some(payload.header.ticket.clone()),
        result: AuditResult::Ok,
        details: serde_json::json!({ "message_id": payload.header.message_id.to_string() }),
        at: now,
    };
    let t_commit_ms = mean_ms(budget, || async {
        store.append_audit(&record).await?;
        Ok(())
    })
    .await;
    store.close().await;
    let t_commit_ms = t_commit_ms?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on loopback")?;
    let url = format!("http://{}/", listener.local_addr()?);
    let server = tokio::spawn(tiny_server(listener));
    let http = super::api::http_client()?;
    let sealed_bytes = sealed.as_bytes().to_vec();
    let t_rtt_ms = mean_ms(budget, || async {
        let r = http.post(&url).body(sealed_bytes.clone()).send().await?;
        anyhow::ensure!(
            r.status().is_success(),
            "the loopback server answered {}",
            r.status()
        );
        r.bytes().await?;
        Ok(())
    })
    .await;
    server.abort();
    let t_rtt_ms = t_rtt_ms?;

    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let per_delivery = t_seal_ms + t_open_ms + 2.0 * t_commit_ms + t_rtt_ms;
    Ok(MachineLimit {
        t_seal_ms,
        t_open_ms,
        t_commit_ms,
        t_rtt_ms,
        cores,
        deliveries_per_s: cores as f64 * 1000.0 / per_delivery,
        payload_bytes,
        sealed_bytes: sealed_bytes.len(),
    })
}

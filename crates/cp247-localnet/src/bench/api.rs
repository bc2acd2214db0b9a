//! What the bench asks a node through its officer REST API: submit a request, how many
//! outgoing messages still wait, the delivered ones with their instants, and the ids of the
//! messages it received.

use std::time::Duration;

use crate::{LocalNode, read_json};
use anyhow::{Context, bail};
use jiff::Timestamp;
use serde_json::Value;

use super::load::{Submitted, wall};

/// The largest API answer the bench reads.
const MAX_ANSWER: usize = 32 * 1024 * 1024;

/// One node's API, cloneable into tasks.
#[derive(Debug, Clone)]
pub struct Api {
    /// The Party code.
    pub code: String,
    url: String,
    officer: String,
    http: reqwest::Client,
}

/// One outgoing message with a verified receipt.
#[derive(Debug, Clone)]
pub struct Delivered {
    /// The message id.
    pub message_id: String,
    /// When the node queued it (the API's transaction).
    pub queued_at: Timestamp,
    /// When the node stored the peer's verified receipt.
    pub delivered_at: Timestamp,
}

/// A client for loopback calls (no proxy, bounded time).
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    cp247_federation::tls::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .pool_max_idle_per_host(64)
        .build()
        .context("cannot build the HTTP client")
}

/// The file name the bench's attachment is sent under, on both paths.
pub const ATTACHMENT_NAME: &str = "bench-attachment.bin";

/// The body of `POST /api/v1/requests` sending the Art. 29 example to `to` — the payload both
/// paths carry — with `attachment` (the bench's random bytes) as an
/// `application/octet-stream` file when given.
pub fn request_body(to: &str, attachment: Option<&[u8]>) -> anyhow::Result<Vec<u8>> {
    let document: Value =
        serde_json::from_str(cp247_forms::examples::json(cp247_forms::Kind::Art29))
            .context("the Art. 29 example is not JSON")?;
    let mut document = document;
    // The example addresses Moldova; the bench sends it to whichever Party it picks.
    document["requested_authority"]["party"] = Value::String(to.to_owned());
    let mut body = serde_json::json!({ "to": to, "document": document });
    if let Some(bytes) = attachment {
        use base64::Engine as _;
        body["attachments"] = serde_json::json!([{
            "file_name": ATTACHMENT_NAME,
            "media_type": "application/octet-stream",
            "content_base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        }]);
    }
    serde_json::to_vec(&body).context("encoding a request")
}

impl Api {
    /// The API of a provisioned node.
    pub fn of(node: &LocalNode, http: &reqwest::Client) -> Api {
        Api {
            code: node.code.clone(),
            url: node.url().to_owned(),
            officer: node.officer.clone(),
            http: http.clone(),
        }
    }

    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .http
            .get(format!("{}{path}", self.url))
            .bearer_auth(&self.officer)
            .send()
            .await
            .with_context(|| format!("GET {path} on {}", self.code))?;
        let status = response.status();
        let body = read_json(response, MAX_ANSWER)
            .await
            .with_context(|| format!("GET {path} on {}: {status}", self.code))?;
        if !status.is_success() {
            bail!("GET {path} on {}: {status}: {body}", self.code);
        }
        Ok(body)
    }

    /// Waits (at most `within`) until `/readyz` answers 200.
    pub async fn wait_ready(&self, within: Duration) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        while started.elapsed() < within {
            if let Ok(r) = self.http.get(format!("{}/readyz", self.url)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bail!("the {} node is not ready after {within:?}", self.code)
    }

    /// Submits a request (`body` from [`request_body`]); the submission instant is taken
    /// before the call, so the node's validation, sealing and commit are inside the latency.
    pub async fn submit(&self, body: Vec<u8>) -> anyhow::Result<Submitted> {
        let at = wall();
        let response = self
            .http
            .post(format!("{}/api/v1/requests", self.url))
            .bearer_auth(&self.officer)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .with_context(|| format!("submitting a request to {}", self.code))?;
        let status = response.status();
        let answer = read_json(response, MAX_ANSWER)
            .await
            .with_context(|| format!("{} answered a request with {status}", self.code))?;
        if status.as_u16() != 201 {
            bail!("{} refused a request: {status}: {answer}", self.code);
        }
        let key = answer["message_id"]
            .as_str()
            .context("the answer has no message_id")?
            .to_owned();
        Ok(Submitted { key, at })
    }

    async fn count_first_page(&self, state: &str) -> anyhow::Result<usize> {
        let page = self
            .get(&format!("/api/v1/deliveries?state={state}&limit=500"))
            .await?;
        Ok(page["items"].as_array().map_or(0, Vec::len))
    }

    /// Outgoing messages not yet delivered (queued, in flight or retrying; at most 500 per
    /// state are counted — zero means zero), and undeliverable ones.
    pub async fn pending(&self) -> anyhow::Result<(usize, usize)> {
        let mut waiting = 0;
        for state in ["queued", "in_flight", "retrying"] {
            waiting += self.count_first_page(state).await?;
        }
        Ok((waiting, self.count_first_page("undeliverable").await?))
    }

    /// Waits until nothing is pending (at most `within`); an error on an undeliverable
    /// message or when time runs out.
    pub async fn wait_drained(&self, within: Duration) -> anyhow::Result<()> {
        let started = std::time::Instant::now();
        loop {
            let (waiting, undeliverable) = self.pending().await?;
            if undeliverable > 0 {
                bail!("{}: {undeliverable} message(s) undeliverable", self.code);
            }
            if waiting == 0 {
                return Ok(());
            }
            if started.elapsed() > within {
                bail!(
                    "{}: {waiting} message(s) still not delivered after {within:?}",
                    self.code
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every delivered outgoing message (all pages).
    pub async fn delivered(&self) -> anyhow::Result<Vec<Delivered>> {
        let mut out = Vec::new();
        let mut offset = 0usize;
        loop {
            let page = self
                .get(&format!(
                    "/api/v1/deliveries?state=delivered&offset={offset}&limit=500"
                ))
                .await?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            for d in &items {
                let at = |k: &str| -> anyhow::Result<Timestamp> {
                    d[k].as_str()
                        .with_context(|| format!("a delivery without {k}"))?
                        .parse::<Timestamp>()
                        .with_context(|| format!("{k} is not an instant"))
                };
                out.push(Delivered {
                    message_id: d["message_id"]
                        .as_str()
                        .context("a delivery without message_id")?
                        .to_owned(),
                    queued_at: at("first_queued_at")?,
                    delivered_at: at("delivered_at")?,
                });
            }
            offset += items.len();
            if page["next"].is_null() || items.is_empty() {
                return Ok(out);
            }
        }
    }

    /// The ids of every message this node received, one entry per stored inbound message
    /// (so a message stored twice appears twice).
    pub async fn received(&self) -> anyhow::Result<Vec<String>> {
        let mut tickets = Vec::new();
        let mut offset = 0usize;
        loop {
            let page = self
                .get(&format!("/api/v1/tickets?offset={offset}&limit=500"))
                .await?;
            let items = page["items"].as_array().cloned().unwrap_or_default();
            for t in &items {
                if t["our_role"] != "requester" {
                    tickets.push(t["id"].as_str().unwrap_or_default().to_owned());
                }
            }
            offset += items.len();
            if page["next"].is_null() || items.is_empty() {
                break;
            }
        }
        let mut ids = Vec::new();
        for ticket in tickets {
            let shown = self.get(&format!("/api/v1/tickets/{ticket}")).await?;
            for m in shown["messages"].as_array().into_iter().flatten() {
                if m["direction"] == "in" {
                    ids.push(m["message_id"].as_str().unwrap_or_default().to_owned());
                }
            }
        }
        Ok(ids)
    }
}

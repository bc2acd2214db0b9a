//! Directory distribution: the node's current view of the signed network directory, fetched
//! from a path or URL at start, on a schedule and on demand, accepted only under the directory
//! crate's rules, and persisted so that a restart starts from the newest accepted one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use cp247_directory::{Acceptance, DirectoryState, Refusal, SignedDirectory};
use cp247_domain::Clock;
use cp247_store::{
    Actor, AuditAction, AuditRecord, AuditResult, DirectoryRecord, Store, StoreError,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use cp247_transport::{DirectoryHandle, Metrics};

/// The largest directory signature file read.
const MAX_SIGNATURE_BYTES: usize = 64 * 1024;

/// Where the signed directory is published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectorySource {
    /// A local file; its signature is the same path with `.asc` appended.
    Path(PathBuf),
    /// A URL; its signature is the same URL with `.asc` appended.
    Url(url::Url),
}

impl std::fmt::Display for DirectorySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DirectorySource::Path(p) => write!(f, "{}", p.display()),
            DirectorySource::Url(u) => write!(f, "{u}"),
        }
    }
}

/// Why a refresh did not produce a newer directory.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    /// The files could not be fetched.
    #[error("cannot fetch the directory from {source_name}: {reason}")]
    Fetch {
        /// Where from.
        source_name: String,
        /// Why.
        reason: String,
    },
    /// The directory crate's rules refused it.
    #[error("the directory from {source_name} was refused: {refusal}")]
    Refused {
        /// Where from.
        source_name: String,
        /// The rule that refused it.
        refusal: Refusal,
    },
    /// The accepted directory could not be stored.
    #[error("the accepted directory could not be stored: {0}")]
    Store(#[from] StoreError),
}

impl RefreshError {
    /// A stable code.
    pub fn code(&self) -> &'static str {
        match self {
            RefreshError::Fetch { .. } => "directory_fetch_failed",
            RefreshError::Refused { refusal, .. } => refusal.code(),
            RefreshError::Store(_) => "store_unavailable",
        }
    }
}

/// What a refresh did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refreshed {
    /// A newer directory was accepted.
    Accepted {
        /// The serial it replaced.
        previous: Option<u64>,
        /// Its serial.
        serial: u64,
    },
    /// The published directory is the one already in use.
    Unchanged {
        /// Its serial.
        serial: u64,
    },
}

/// Fetches, checks, stores and publishes the directory. Refreshes are serialised.
#[derive(Debug)]
pub struct DirectorySync {
    handle: DirectoryHandle,
    store: Store,
    source: DirectorySource,
    mirror: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    http: reqwest::Client,
    metrics: Arc<Metrics>,
    lock: tokio::sync::Mutex<()>,
}

impl DirectorySync {
    /// A synchroniser publishing into `handle`. The HTTP client (for URL sources) verifies
    /// server certificates with the system's roots; the document's signature is what is
    /// trusted, the transport only has to be private enough. An accepted directory is also
    /// written to `mirror` (and `mirror.asc`), unless that is the source itself, so that the
    /// CLI's trust commands see what the node uses.
    pub fn new(
        handle: DirectoryHandle,
        store: Store,
        source: DirectorySource,
        mirror: Option<PathBuf>,
        clock: Arc<dyn Clock>,
        metrics: Arc<Metrics>,
        timeout: Duration,
    ) -> Result<Self, RefreshError> {
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(timeout)
            .timeout(timeout)
            .build()
            .map_err(|e| RefreshError::Fetch {
                source_name: source.to_string(),
                reason: e.to_string(),
            })?;
        let mirror = mirror.filter(|m| source != DirectorySource::Path(m.clone()));
        Ok(Self {
            handle,
            store,
            source,
            mirror,
            clock,
            http,
            metrics,
            lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The handle this synchroniser publishes into.
    pub fn handle(&self) -> &DirectoryHandle {
        &self.handle
    }

    /// Fetches the directory and offers it. On acceptance it is stored (with an audit entry,
    /// in one transaction) and then published to the node.
    pub async fn refresh(&self) -> Result<Refreshed, RefreshError> {
        let _serial = self.lock.lock().await;
        let result = self.refresh_inner().await;
        match &result {
            Ok(Refreshed::Accepted { previous, serial }) => {
                self.metrics.directory_refresh("accepted");
                tracing::info!(serial, previous = ?previous, "accepted a new network directory");
            }
            Ok(Refreshed::Unchanged { .. }) => self.metrics.directory_refresh("unchanged"),
            Err(e) => {
                self.metrics.directory_refresh(e.code());
                tracing::warn!(code = e.code(), error = %e, "directory refresh failed");
            }
        }
        let health = self.handle.snapshot().health(self.clock.now());
        if let Some(warning) = health.warning() {
            tracing::warn!(code = health.code(), "{warning}");
        }
        result
    }

    async fn refresh_inner(&self) -> Result<Refreshed, RefreshError> {
        let candidate = self.fetch().await?;
        let now = self.clock.now();
        let mut next = (*self.handle.snapshot()).clone();
        let acceptance = next
            .offer(&candidate, now)
            .map_err(|refusal| RefreshError::Refused {
                source_name: self.source.to_string(),
                refusal,
            })?;
        match acceptance {
            Acceptance::Unchanged { serial } => Ok(Refreshed::Unchanged { serial }),
            Acceptance::Accepted { previous, serial } => {
                let mut tx = self.store.begin().await?;
                tx.save_directory(&DirectoryRecord {
                    serial,
                    document: candidate.json().to_vec(),
                    signature: Some(candidate.signature().to_owned()),
                    fetched_at: now,
                })
                .await?;
                tx.append_audit(&AuditRecord {
                    actor: Actor::node(),
                    action: AuditAction::DirectoryAccept,
                    ticket: None,
                    result: AuditResult::Ok,
                    details: json!({
                        "serial": serial,
                        "previous": previous,
                        "sha256": candidate.sha256_hex(),
                        "source": self.source.to_string(),
                    }),
                    at: now,
                })
                .await?;
                tx.commit().await?;
                self.handle.replace(next);
                if let Some(mirror) = &self.mirror
                    && let Err(e) = write_mirror(mirror, &candidate).await
                {
                    tracing::warn!(path = %mirror.display(), error = %e, "could not keep a copy of the accepted directory");
                }
                Ok(Refreshed::Accepted { previous, serial })
            }
        }
    }

    async fn fetch(&self) -> Result<SignedDirectory, RefreshError> {
        let fail = |reason: String| RefreshError::Fetch {
            source_name: self.source.to_string(),
            reason,
        };
        let limit = cp247_directory::model::MAX_DIRECTORY_BYTES;
        let (json, signature) = match &self.source {
            DirectorySource::Path(path) => {
                let mut sig_path = path.clone().into_os_string();
                sig_path.push(".asc");
                let json = read_file(path, limit).await.map_err(fail)?;
                let sig = read_file(&PathBuf::from(sig_path), MAX_SIGNATURE_BYTES)
                    .await
                    .map_err(fail)?;
                (json, sig)
            }
            DirectorySource::Url(url) => {
                let sig_url =
                    url::Url::parse(&format!("{url}.asc")).map_err(|e| fail(e.to_string()))?;
                let json = self.get(url.clone(), limit).await.map_err(fail)?;
                let sig = self.get(sig_url, MAX_SIGNATURE_BYTES).await.map_err(fail)?;
                (json, sig)
            }
        };
        let signature = String::from_utf8(signature)
            .map_err(|_| fail("the signature file is not text (an armored signature)".into()))?;
        SignedDirectory::new(json, signature).map_err(|refusal| RefreshError::Refused {
            source_name: self.source.to_string(),
            refusal,
        })
    }

    async fn get(&self, url: url::Url, limit: usize) -> Result<Vec<u8>, String> {
        let shown = url.to_string();
        let mut response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| format!("{shown}: {}", crate::client::describe(&e)))?;
        if !response.status().is_success() {
            return Err(format!(
                "{shown} answered HTTP {}",
                response.status().as_u16()
            ));
        }
        if response.content_length().is_some_and(|l| l > limit as u64) {
            return Err(format!("{shown} is larger than {limit} bytes"));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("{shown}: {}", crate::client::describe(&e)))?
        {
            if body.len().saturating_add(chunk.len()) > limit {
                return Err(format!("{shown} is larger than {limit} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// Refreshes every `every` until `shutdown`. Failures are logged and counted; the node
    /// keeps the directory it has.
    pub async fn run(self: Arc<Self>, every: Duration, shutdown: CancellationToken) {
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(every) => {}
            }
            let _ = self.refresh().await;
        }
    }
}

/// Writes the accepted directory and its signature next to each other, atomically each
/// (signature first, so a reader never pairs a new document with an old signature for long).
async fn write_mirror(path: &std::path::Path, signed: &SignedDirectory) -> std::io::Result<()> {
    let mut sig = path.as_os_str().to_owned();
    sig.push(".asc");
    replace_file(&PathBuf::from(sig), signed.signature().as_bytes()).await?;
    replace_file(path, signed.json()).await
}

async fn replace_file(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    tokio::fs::write(&tmp, bytes).await?;
    tokio::fs::File::open(&tmp).await?.sync_all().await?;
    tokio::fs::rename(&tmp, path).await
}

async fn read_file(path: &std::path::Path, limit: usize) -> Result<Vec<u8>, String> {
    use tokio::io::AsyncReadExt;
    let shown = path.display().to_string();
    let file = tokio::fs::File::open(path)
        .await
        .map_err(|e| format!("{shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(limit as u64 + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(|e| format!("{shown}: {e}"))?;
    if bytes.len() > limit {
        return Err(format!("{shown} is larger than {limit} bytes"));
    }
    Ok(bytes)
}

/// The node's directory state at start: the newest directory it accepted before (from the
/// store, its signature checked again), or none.
pub async fn restore(
    store: &Store,
    anchor: cp247_directory::PinnedAuthority,
    policy: cp247_directory::AcceptancePolicy,
    now: jiff::Timestamp,
) -> Result<DirectoryState, RestoreError> {
    let Some(record) = store.directory().await? else {
        return Ok(DirectoryState::new(anchor, policy));
    };
    let signature = record.signature.ok_or(RestoreError::NoSignature {
        serial: record.serial,
    })?;
    let signed = SignedDirectory::new(record.document, signature)
        .map_err(|refusal| RestoreError::Refused { refusal })?;
    DirectoryState::restore(anchor, policy, &signed, now)
        .map_err(|refusal| RestoreError::Refused { refusal })
}

/// Why the stored directory cannot be used at start.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The store failed.
    #[error("cannot read the stored directory: {0}")]
    Store(#[from] StoreError),
    /// The stored directory has no signature.
    #[error("the stored directory (serial {serial}) has no signature")]
    NoSignature {
        /// Its serial.
        serial: u64,
    },
    /// The stored directory no longer verifies (e.g. the pinned authority changed).
    #[error(
        "the stored directory is not accepted any more: {refusal} (if the directory authority's certificate was replaced on purpose, the node must be re-initialised)"
    )]
    Refused {
        /// Why.
        refusal: Refusal,
    },
}

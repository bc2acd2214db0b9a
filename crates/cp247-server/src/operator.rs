//! The host operator's way into the *running* node: a Unix socket in the node directory
//! (`operator.sock`), which only the node's user (or root) can open. A 24/7 node cannot be
//! stopped to issue a token, so `cp247 token create|list|revoke --dir NODE` talks to it when the
//! node runs (ADR 0020).
//!
//! Who can open it: the node creates the socket with mode 0600 and checks it; at each
//! connection it checks again that the file's mode lets nobody else in, and that the peer's
//! user id (from the kernel, `SO_PEERCRED`) is the socket owner's or root's. A stale socket
//! left by a crash is replaced; a file that is not a socket stops the start with a sentence
//! saying so; a socket another live process of the node serves (several processes may serve
//! one node on PostgreSQL) is left to it, since they share the store.
//!
//! The protocol, small and bounded: one connection carries one request and one answer, each a
//! single line of JSON ending with `\n`.
//!
//! ```text
//! → {"op":"create","name":"case-system","role":"officer","lifetime_days":90}
//! ← {"ok":true,"token":{"id":4,"name":"case-system","role":"officer",…},"secret":"cp247_…"}
//! → {"op":"list","offset":0,"limit":500}
//! ← {"ok":true,"items":[{…},…],"next":null}
//! → {"op":"revoke","id":4}
//! ← {"ok":true,"token":{…,"state":"revoked"}}
//! ← {"ok":false,"code":"not_issuable","error":"…"}        (any refusal)
//! ```
//!
//! A request is at most [`MAX_REQUEST_BYTES`]; reading it and writing the answer each have
//! [`IO_TIMEOUT`]; at most [`MAX_CONNECTIONS`] are served at once (the others are answered
//! `busy` at once). `create` issues a token of a new machine (API-only) account with any role,
//! through [`crate::tokens::issue`] like every other path, audited as `operator:socket`.

use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::auth::Role;
use crate::node::NodeContext;
use crate::tokens::{Grant, IssueError, Issuer, OperatorPath, TokenRequest};

/// The socket's file name in the node directory.
pub const SOCKET_NAME: &str = "operator.sock";
/// The largest request line read, in bytes.
pub const MAX_REQUEST_BYTES: usize = 4096;
/// The largest answer a client reads, in bytes (a list of up to 500 tokens fits).
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 4;
/// The time allowed to read a request, and to write its answer.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The most tokens one `list` answers.
pub const MAX_LIST: u32 = 500;
/// The longest socket path the kernel accepts is 107 bytes; keep a margin.
const MAX_PATH_BYTES: usize = 100;

/// The socket of the node whose directory is `base_dir`.
pub fn socket_path(base_dir: &Path) -> PathBuf {
    base_dir.join(SOCKET_NAME)
}

/// A request on the socket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OperatorRequest {
    /// Issue a token of a new machine (API-only) account named `token-<name>`.
    Create {
        /// A unique name.
        name: String,
        /// Its role: officer, supervisor, administrator, read_only or monitor.
        role: String,
        /// Its lifetime in days (default from `[tokens]`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lifetime_days: Option<u32>,
    },
    /// List tokens (never their text), by id.
    List {
        /// Tokens to skip.
        #[serde(default)]
        offset: u64,
        /// Tokens to return (1 to [`MAX_LIST`]).
        #[serde(default = "default_list")]
        limit: u32,
    },
    /// Revoke a token.
    Revoke {
        /// Its id.
        id: u64,
    },
}

fn default_list() -> u32 {
    MAX_LIST
}

/// Why the socket could not be set up. Each says what to do.
#[derive(Debug, thiserror::Error)]
#[error("the operator socket {path}: {reason}")]
pub struct SocketError {
    /// The socket path.
    pub path: String,
    /// Why, and what to do.
    pub reason: String,
    /// Another live process serves it (on PostgreSQL, several processes may serve one node
    /// from one directory: the first one serves the socket for all, as they share the store).
    pub in_use: bool,
}

/// A bound operator socket, mode 0600, owned by the node's user.
#[derive(Debug)]
pub struct OperatorSocket {
    listener: UnixListener,
    path: PathBuf,
    owner: u32,
}

impl OperatorSocket {
    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn mode_of(meta: &std::fs::Metadata) -> u32 {
    meta.permissions().mode() & 0o7777
}

/// Creates the socket at `path` with mode 0600 (replacing a stale one a crashed node left).
pub fn bind(path: &Path) -> Result<OperatorSocket, SocketError> {
    let fail = |reason: String| SocketError {
        path: path.display().to_string(),
        reason,
        in_use: false,
    };
    if path.as_os_str().len() > MAX_PATH_BYTES {
        return Err(fail(format!(
            "the path is {} bytes long; Unix sockets allow about {MAX_PATH_BYTES}: move the node directory to a shorter path",
            path.as_os_str().len()
        )));
    }
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => {
            if std::os::unix::net::UnixStream::connect(path).is_ok() {
                return Err(SocketError {
                    in_use: true,
                    ..fail("another running process of this node serves it".into())
                });
            }
            std::fs::remove_file(path).map_err(|e| {
                fail(format!(
                    "a stale socket is there and cannot be removed: {e}"
                ))
            })?;
        }
        Ok(_) => {
            return Err(fail(
                "a file that is not a socket is in the way: move it elsewhere, then start the node again".into(),
            ));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e.to_string())),
    }
    let listener = UnixListener::bind(path).map_err(|e| fail(e.to_string()))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| fail(format!("cannot make it private (mode 0600): {e}")))?;
    let meta = std::fs::symlink_metadata(path).map_err(|e| fail(e.to_string()))?;
    if mode_of(&meta) != 0o600 || !meta.file_type().is_socket() {
        return Err(fail(format!(
            "it has mode {:04o} after it was made private; it must be 0600",
            mode_of(&meta)
        )));
    }
    Ok(OperatorSocket {
        listener,
        path: path.to_path_buf(),
        owner: meta.uid(),
    })
}

/// Serves the socket until `shutdown`, then removes it.
pub async fn serve(socket: OperatorSocket, ctx: Arc<NodeContext>, shutdown: CancellationToken) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let connections = tokio_util::task::TaskTracker::new();
    let socket = Arc::new(socket);
    tracing::info!(path = %socket.path.display(), "operator socket ready");
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            a = socket.listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "the operator socket could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            connections.spawn(answer_only(
                stream,
                refusal(
                    "busy",
                    "the operator socket is serving other requests: try again in a moment",
                ),
            ));
            continue;
        };
        let (ctx, socket) = (ctx.clone(), socket.clone());
        connections.spawn(async move {
            connection(stream, &ctx, &socket).await;
            drop(permit);
        });
    }
    // The requests under way finish (each is bounded in time) before the node closes its store.
    connections.close();
    let _ = tokio::time::timeout(IO_TIMEOUT * 3, connections.wait()).await;
    // Only our own socket: a file another start put there is left alone.
    if std::fs::symlink_metadata(&socket.path).is_ok_and(|m| m.file_type().is_socket()) {
        let _ = std::fs::remove_file(&socket.path);
    }
}

fn refusal(code: &str, error: impl Into<String>) -> Value {
    json!({ "ok": false, "code": code, "error": error.into() })
}

async fn write_line(stream: &mut UnixStream, value: &Value) {
    let mut line = value.to_string();
    line.push('\n');
    let _ = tokio::time::timeout(IO_TIMEOUT, async {
        stream.write_all(line.as_bytes()).await?;
        stream.shutdown().await
    })
    .await;
}

async fn answer_only(mut stream: UnixStream, value: Value) {
    write_line(&mut stream, &value).await;
}

/// Whether the connection may be served: the socket file still private, the peer the owner
/// or root.
fn admitted(stream: &UnixStream, socket: &OperatorSocket) -> Result<(), Value> {
    match std::fs::symlink_metadata(&socket.path) {
        Ok(meta) if mode_of(&meta) & 0o077 == 0 => {}
        Ok(meta) => {
            tracing::error!(
                path = %socket.path.display(),
                mode = format!("{:04o}", mode_of(&meta)),
                "the operator socket was made accessible to other users; it refuses every request until the node restarts or its mode is 0600 again"
            );
            return Err(refusal(
                "socket_too_open",
                format!(
                    "the socket {} has mode {:04o}: other users could open it, so it refuses every request; set it back to 0600 (chmod 600) or restart the node",
                    socket.path.display(),
                    mode_of(&meta)
                ),
            ));
        }
        Err(_) => {
            return Err(refusal(
                "socket_gone",
                "the socket file was removed: restart the node to recreate it",
            ));
        }
    }
    match stream.peer_cred() {
        Ok(cred) if cred.uid() == socket.owner || cred.uid() == 0 => Ok(()),
        Ok(cred) => {
            tracing::warn!(
                uid = cred.uid(),
                "a user other than the node's tried the operator socket"
            );
            Err(refusal(
                "not_the_node_user",
                "only the node's user (or root) may use this socket",
            ))
        }
        Err(e) => {
            tracing::warn!(error = %e, "the operator socket could not identify its peer");
            Err(refusal(
                "not_the_node_user",
                "the peer's user could not be identified",
            ))
        }
    }
}

/// Reads one line of at most `max` bytes (without its `\n`); `Err` with what is wrong.
async fn read_bounded_line<R: tokio::io::AsyncRead + Unpin>(
    reader: R,
    max: usize,
) -> Result<Vec<u8>, (&'static str, String)> {
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    let mut reader = BufReader::new(reader.take(limit));
    let mut line = Vec::new();
    reader
        .read_until(b'\n', &mut line)
        .await
        .map_err(|e| ("unreadable", format!("the request could not be read: {e}")))?;
    if line.last() == Some(&b'\n') {
        line.pop();
    } else if line.len() > max {
        return Err((
            "too_large",
            format!("the request is longer than {max} bytes: send one line of JSON"),
        ));
    }
    Ok(line)
}

async fn connection(mut stream: UnixStream, ctx: &NodeContext, socket: &OperatorSocket) {
    if let Err(answer) = admitted(&stream, socket) {
        write_line(&mut stream, &answer).await;
        return;
    }
    let line = match tokio::time::timeout(
        IO_TIMEOUT,
        read_bounded_line(&mut stream, MAX_REQUEST_BYTES),
    )
    .await
    {
        Ok(Ok(line)) => line,
        Ok(Err((code, why))) => {
            write_line(&mut stream, &refusal(code, why)).await;
            return;
        }
        Err(_) => {
            let why = format!("no complete request line within {} s", IO_TIMEOUT.as_secs());
            write_line(&mut stream, &refusal("timeout", why)).await;
            return;
        }
    };
    let answer = match serde_json::from_slice::<OperatorRequest>(&line) {
        Ok(request) => handle(ctx, request).await,
        Err(e) => refusal(
            "invalid_request",
            format!("the request is not one of create, list or revoke as documented ({e})"),
        ),
    };
    write_line(&mut stream, &answer).await;
}

fn issue_refusal(e: &IssueError) -> Value {
    if let IssueError::Store(inner) = e {
        tracing::warn!(error = %inner, "the operator socket's request failed in the store");
    }
    refusal(e.code(), e.to_string())
}

/// Carries out one request.
pub async fn handle(ctx: &NodeContext, request: OperatorRequest) -> Value {
    let now = ctx.clock.now();
    let issuer = Issuer::Operator(OperatorPath::Socket);
    match request {
        OperatorRequest::Create {
            name,
            role,
            lifetime_days,
        } => {
            let role = match Role::parse(&role) {
                Ok(r) => r,
                Err(e) => return refusal("invalid_role", e),
            };
            let result = crate::tokens::issue(
                &ctx.store,
                now,
                &ctx.config.file.tokens.policy(),
                &issuer,
                &TokenRequest {
                    name,
                    grant: Grant::Machine(role),
                    lifetime_days,
                },
            )
            .await;
            match result {
                Ok(issued) => json!({
                    "ok": true,
                    "token": crate::tokens::view(&issued.token, now),
                    "secret": issued.secret.reveal(),
                }),
                Err(e) => issue_refusal(&e),
            }
        }
        OperatorRequest::List { offset, limit } => {
            if limit == 0 || limit > MAX_LIST {
                return refusal(
                    "invalid_page",
                    format!("limit must be between 1 and {MAX_LIST}"),
                );
            }
            match ctx
                .store
                .api_tokens(cp247_store::Page { offset, limit })
                .await
            {
                Ok(paged) => json!({
                    "ok": true,
                    "items": paged.items.iter().map(|t| crate::tokens::view(t, now)).collect::<Vec<_>>(),
                    "next": paged.next.map(|p| json!({ "offset": p.offset, "limit": p.limit })),
                }),
                Err(e) => issue_refusal(&IssueError::Store(e)),
            }
        }
        OperatorRequest::Revoke { id } => {
            match crate::tokens::revoke(&ctx.store, now, &issuer, id).await {
                Ok(t) => json!({ "ok": true, "token": crate::tokens::view(&t, now) }),
                Err(e) => issue_refusal(&e),
            }
        }
    }
}

/// Why a client call did not get an answer.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nobody serves the socket (the node is stopped, or runs a version without it).
    #[error("no running node serves {0}")]
    NotRunning(String),
    /// The socket's mode lets other users in: it is not used.
    #[error(
        "the operator socket {path} has mode {mode:04o}: other users could open it, so it is not used; restart the node (it recreates the socket with mode 0600) or chmod 600 it"
    )]
    TooOpen {
        /// The socket.
        path: String,
        /// Its mode.
        mode: u32,
    },
    /// Something else is at the socket's path.
    #[error("{0} is not a socket")]
    NotSocket(String),
    /// The exchange failed.
    #[error("the operator socket {path}: {reason}")]
    Io {
        /// The socket.
        path: String,
        /// What failed.
        reason: String,
    },
    /// The node refused the request.
    #[error("{error} ({code})")]
    Refused {
        /// The stable code.
        code: String,
        /// The node's sentence.
        error: String,
    },
}

/// Sends one request to the node serving `path` and returns its answer (`ok: true`).
pub async fn call(path: &Path, request: &OperatorRequest) -> Result<Value, ClientError> {
    let shown = path.display().to_string();
    let io = |reason: String| ClientError::Io {
        path: shown.clone(),
        reason,
    };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_socket() => return Err(ClientError::NotSocket(shown)),
        Ok(meta) if mode_of(&meta) & 0o077 != 0 => {
            return Err(ClientError::TooOpen {
                path: shown,
                mode: mode_of(&meta),
            });
        }
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ClientError::NotRunning(shown));
        }
        Err(e) => return Err(io(e.to_string())),
    }
    let mut stream = match UnixStream::connect(path).await {
        Ok(s) => s,
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::NotFound
            ) =>
        {
            return Err(ClientError::NotRunning(shown));
        }
        Err(e) => return Err(io(e.to_string())),
    };
    let mut line = serde_json::to_string(request).map_err(|e| io(e.to_string()))?;
    line.push('\n');
    let exchange = async {
        stream.write_all(line.as_bytes()).await?;
        stream.shutdown().await?;
        read_bounded_line(&mut stream, MAX_RESPONSE_BYTES)
            .await
            .map_err(|(_, why)| std::io::Error::other(why))
    };
    let answer = tokio::time::timeout(IO_TIMEOUT * 3, exchange)
        .await
        .map_err(|_| io("the node did not answer in time".into()))?
        .map_err(|e| io(e.to_string()))?;
    let value: Value =
        serde_json::from_slice(&answer).map_err(|e| io(format!("the answer is not JSON: {e}")))?;
    if value["ok"] == Value::Bool(true) {
        Ok(value)
    } else {
        Err(ClientError::Refused {
            code: value["code"].as_str().unwrap_or("refused").to_owned(),
            error: value["error"]
                .as_str()
                .unwrap_or("the node refused the request")
                .to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_one_line_of_tagged_json() {
        let r = OperatorRequest::Create {
            name: "cms".into(),
            role: "officer".into(),
            lifetime_days: Some(30),
        };
        let text = serde_json::to_string(&r).unwrap();
        assert_eq!(
            text,
            r#"{"op":"create","name":"cms","role":"officer","lifetime_days":30}"#
        );
        assert_eq!(serde_json::from_str::<OperatorRequest>(&text).unwrap(), r);
        let list: OperatorRequest = serde_json::from_str(r#"{"op":"list"}"#).unwrap();
        assert_eq!(
            list,
            OperatorRequest::List {
                offset: 0,
                limit: MAX_LIST
            }
        );
        for bad in [
            r#"{"op":"create","name":"x","role":"officer","account":"alice"}"#,
            r#"{"op":"drop"}"#,
            r#"{"op":"revoke"}"#,
        ] {
            assert!(
                serde_json::from_str::<OperatorRequest>(bad).is_err(),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn lines_are_bounded() {
        let ok = read_bounded_line(&b"{\"op\":\"list\"}\nrest"[..], 64)
            .await
            .unwrap();
        assert_eq!(ok, b"{\"op\":\"list\"}");
        let exact = [b'a'; 64];
        assert_eq!(read_bounded_line(&exact[..], 64).await.unwrap().len(), 64);
        let long = vec![b'a'; 10_000];
        let (code, why) = read_bounded_line(&long[..], 64).await.unwrap_err();
        assert_eq!(code, "too_large");
        assert!(why.contains("64 bytes"), "{why}");
    }
}

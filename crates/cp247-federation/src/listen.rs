//! The server side of the transport: accept connections (TLS, or plain HTTP on loopback),
//! bound them, and hand each request to a service (the node's axum router).
//!
//! Every connection runs in a task of one [`TaskTracker`]; none is spawned bare. The TLS
//! handshake and the request head each have a time limit, the number of open connections is
//! capped, and on shutdown the listener stops accepting, open connections are asked to finish
//! (HTTP/1 keep-alive closed, HTTP/2 GOAWAY) and are dropped after a grace period.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::endpoint::{EndpointError, check_plain_listen};

/// How the node listens.
#[derive(Clone)]
pub enum ListenMode {
    /// HTTPS with this server configuration.
    Tls(Arc<rustls::ServerConfig>),
    /// Plain HTTP — refused unless the listen address is loopback.
    PlainLoopback,
}

impl std::fmt::Debug for ListenMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ListenMode::Tls(_) => f.write_str("ListenMode::Tls"),
            ListenMode::PlainLoopback => f.write_str("ListenMode::PlainLoopback"),
        }
    }
}

/// Limits on incoming connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time allowed for the TLS handshake.
    pub handshake_timeout: Duration,
    /// Time allowed to receive a request head (slow-loris defence).
    pub header_read_timeout: Duration,
    /// Connections served at once; more are closed at once.
    pub max_connections: usize,
    /// Concurrent HTTP/2 streams per connection.
    pub max_streams_per_connection: u32,
    /// How long open connections may take to finish once shutdown starts.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(15),
            max_connections: 1024,
            max_streams_per_connection: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum ListenError {
    /// Plain HTTP on a non-loopback address.
    #[error(transparent)]
    Insecure(#[from] EndpointError),
    /// The socket's address could not be read.
    #[error("cannot read the listening socket's address: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves `service` on `listener` until `shutdown` is cancelled, then drains. Returns when every
/// connection has ended (or the grace period is over).
pub async fn serve<S, B>(
    listener: TcpListener,
    mode: ListenMode,
    service: S,
    limits: ServeLimits,
    shutdown: CancellationToken,
) -> Result<(), ListenError>
where
    S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let local = listener.local_addr()?;
    if matches!(mode, ListenMode::PlainLoopback) {
        check_plain_listen(local)?;
    }
    let acceptor = match &mode {
        ListenMode::Tls(config) => Some(tokio_rustls::TlsAcceptor::from(config.clone())),
        ListenMode::PlainLoopback => None,
    };
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .max_buf_size(64 * 1024);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_streams_per_connection)
        .keep_alive_interval(Duration::from_secs(30))
        .keep_alive_timeout(Duration::from_secs(20));
    let builder = Arc::new(builder);
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let tracker = TaskTracker::new();
    tracing::info!(address = %local, tls = acceptor.is_some(), "listening");

    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(pair) => pair,
            Err(error) => {
                // Running out of descriptors and similar are temporary: pause, then go on.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = limits.max_connections, "connection limit reached; closing a new connection");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let watcher = graceful.watcher();
        let builder = builder.clone();
        // Handlers may ask for the client's address (rate limits of sign-in attempts).
        let service = TowerToHyperService::new(tower::util::MapRequest::new(
            service.clone(),
            move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ClientAddr(peer));
                request
            },
        ));
        let acceptor = acceptor.clone();
        tracker.spawn(async move {
            let _permit = permit;
            match acceptor {
                Some(acceptor) => {
                    let stream =
                        match tokio::time::timeout(limits.handshake_timeout, acceptor.accept(tcp))
                            .await
                        {
                            Ok(Ok(stream)) => stream,
                            Ok(Err(error)) => {
                                tracing::debug!(%peer, %error, "TLS handshake failed");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(%peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let conn = builder.serve_connection(TokioIo::new(stream), service);
                    if let Err(error) = watcher.watch(conn).await {
                        tracing::debug!(%peer, error = %error, "connection ended with an error");
                    }
                }
                None => {
                    let conn = builder.serve_connection(TokioIo::new(tcp), service);
                    if let Err(error) = watcher.watch(conn).await {
                        tracing::debug!(%peer, error = %error, "connection ended with an error");
                    }
                }
            }
        });
    }

    drop(listener);
    tracker.close();
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open connections did not finish within the shutdown grace period");
    }
    // Tasks still in a TLS handshake end by their own timeout; wait for them within the grace.
    let _ = tokio::time::timeout(limits.shutdown_grace, tracker.wait()).await;
    tracing::info!(address = %local, "stopped listening");
    Ok(())
}

/// The address of the client of a request, added to every request's extensions by
/// [`serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub SocketAddr);

/// Binds a TCP listener, refusing plain HTTP on a non-loopback address before binding.
pub async fn bind(addr: SocketAddr, tls: bool) -> Result<TcpListener, ListenError> {
    if !tls {
        check_plain_listen(addr)?;
    }
    Ok(TcpListener::bind(addr).await?)
}

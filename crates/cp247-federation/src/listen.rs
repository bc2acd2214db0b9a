//! The server side of the transport: accept connections (TLS, or plain HTTP on loopback),
//! bound them, and hand each request to a service (the node's axum router).
//!
//! Every connection runs in a task of one [`TaskTracker`]; none is spawned bare. Every phase of
//! a connection has a time limit ([`ServeLimits`], ADR 0022):
//!
//! 1. the first byte after the TCP accept (`first_byte_timeout`);
//! 2. the TLS handshake (`handshake_timeout`);
//! 3. protocol detection (HTTP/1 or the HTTP/2 preface) and the HTTP/1 request head
//!    (`header_read_timeout`; hyper restarts it for every head, so it also bounds an idle
//!    HTTP/1 keep-alive);
//! 4. a connection with no request in flight (`idle_timeout`; HTTP/2 gets GOAWAY), and
//!    HTTP/2 keep-alive pings that must be answered (`h2_keep_alive_*`).
//!
//! The number of open connections is capped globally and per source (an IPv4 address, or an
//! IPv6 /64, which one subscriber usually holds whole); a connection over either cap is closed
//! at once, before anything is read. On shutdown the listener stops accepting, open
//! connections are asked to finish (HTTP/1 keep-alive closed, HTTP/2 GOAWAY) and are dropped
//! after a grace period.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

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

/// Limits on incoming connections (ADR 0022 gives the defaults and why).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Time from the TCP accept to the client's first byte. Most idle sockets of a flood end
    /// here, having cost a slot for this long and nothing else.
    pub first_byte_timeout: Duration,
    /// Time allowed for the TLS handshake, from the first byte.
    pub handshake_timeout: Duration,
    /// Time allowed for protocol detection (HTTP/1 or the HTTP/2 preface) and, separately, for
    /// each HTTP/1 request head, including the wait for the next head on a keep-alive
    /// connection (slow-loris defence).
    pub header_read_timeout: Duration,
    /// A connection with no request in flight for this long is closed (HTTP/2: GOAWAY).
    /// Checked every quarter of it, so it ends between 1 and 1.25 times this.
    pub idle_timeout: Duration,
    /// How often an HTTP/2 connection is pinged.
    pub h2_keep_alive_interval: Duration,
    /// How long an HTTP/2 ping may go unanswered before the connection is closed.
    pub h2_keep_alive_timeout: Duration,
    /// Connections served at once; more are closed at once.
    pub max_connections: usize,
    /// Connections served at once from one source (an IPv4 address or an IPv6 /64); more
    /// are closed at once. Sources [exempted](SourceExemption) count only globally.
    pub max_connections_per_source: usize,
    /// Concurrent HTTP/2 streams per connection.
    pub max_streams_per_connection: u32,
    /// How long open connections may take to finish once shutdown starts or an idle connection
    /// was asked to close.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            first_byte_timeout: Duration::from_secs(10),
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(60),
            h2_keep_alive_interval: Duration::from_secs(30),
            h2_keep_alive_timeout: Duration::from_secs(20),
            max_connections: 1024,
            max_connections_per_source: 64,
            max_streams_per_connection: 64,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// Which sources the per-source cap does not apply to (e.g. a trusted reverse proxy, through
/// which every officer connects). They still count against the global cap.
#[derive(Clone, Default)]
pub struct SourceExemption(Option<Arc<dyn Fn(IpAddr) -> bool + Send + Sync>>);

impl SourceExemption {
    /// No source is exempt.
    pub fn none() -> Self {
        Self(None)
    }

    /// The sources for which `exempt` is true.
    pub fn new(exempt: impl Fn(IpAddr) -> bool + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(exempt)))
    }

    fn applies(&self, ip: IpAddr) -> bool {
        self.0.as_ref().is_some_and(|f| f(ip))
    }
}

impl std::fmt::Debug for SourceExemption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "SourceExemption(some)"
        } else {
            "SourceExemption(none)"
        })
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

/// The unit the per-source cap counts: an IPv4 address (IPv4-mapped IPv6 included), or the
/// /64 prefix of an IPv6 address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKey {
    /// One IPv4 address.
    V4(Ipv4Addr),
    /// The first 64 bits of an IPv6 address.
    V6(u64),
}

impl SourceKey {
    /// The source an address belongs to.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => SourceKey::V4(v4),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => SourceKey::V4(v4),
                None => SourceKey::V6((v6.to_bits() >> 64) as u64),
            },
        }
    }
}

/// Open connections per source. Holds an entry only while that source has a connection, so it
/// never has more entries than the global cap.
#[derive(Debug)]
struct Sources {
    cap: usize,
    open: Mutex<HashMap<SourceKey, usize>>,
}

impl Sources {
    fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// A slot for one more connection from `key`, unless the source is at its cap.
    fn take(self: &Arc<Self>, key: SourceKey) -> Option<SourceSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(key).or_insert(0);
        if *count >= self.cap {
            return None;
        }
        *count += 1;
        Some(SourceSlot {
            sources: self.clone(),
            key,
        })
    }
}

/// One connection's place in its source's count, given back when dropped.
#[derive(Debug)]
struct SourceSlot {
    sources: Arc<Sources>,
    key: SourceKey,
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut open = self.sources.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.key) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.key);
            }
        }
    }
}

/// Serves `service` on `listener` until `shutdown` is cancelled, then drains. Returns when every
/// connection has ended (or the grace period is over). Every source is capped.
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
    serve_with(
        listener,
        mode,
        service,
        limits,
        SourceExemption::none(),
        shutdown,
    )
    .await
}

/// [`serve`], with sources that the per-source cap does not apply to.
pub async fn serve_with<S, B>(
    listener: TcpListener,
    mode: ListenMode,
    service: S,
    limits: ServeLimits,
    exemption: SourceExemption,
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
        .keep_alive_interval(limits.h2_keep_alive_interval)
        .keep_alive_timeout(limits.h2_keep_alive_timeout);
    let builders = Arc::new(Builders {
        http1: builder.clone().http1_only(),
        http2: builder.http2_only(),
    });
    let permits = Arc::new(Semaphore::new(limits.max_connections));
    let sources = Sources::new(limits.max_connections_per_source);
    let tracker = TaskTracker::new();
    // Cancelled after the listener stops: open connections finish their request and close.
    let draining = CancellationToken::new();
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
        let source_slot = if exemption.applies(peer.ip()) {
            None
        } else {
            match sources.take(SourceKey::of(peer.ip())) {
                Some(slot) => Some(slot),
                None => {
                    tracing::debug!(%peer, limit = limits.max_connections_per_source, "per-source connection limit reached; closing a new connection");
                    drop(tcp);
                    continue;
                }
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            tracing::warn!(%peer, limit = limits.max_connections, "connection limit reached; closing a new connection");
            drop(tcp);
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let connection = Connection {
            peer,
            limits,
            builders: builders.clone(),
            draining: draining.clone(),
        };
        let service = service.clone();
        let acceptor = acceptor.clone();
        tracker.spawn(async move {
            let _slots = (permit, source_slot);
            connection.run(tcp, acceptor, service).await;
        });
    }

    drop(listener);
    tracker.close();
    draining.cancel();
    // Each connection closes itself within the grace period (or sooner by its own
    // timeouts); the extra second covers the tasks' last steps.
    if tokio::time::timeout(
        limits.shutdown_grace + Duration::from_secs(1),
        tracker.wait(),
    )
    .await
    .is_err()
    {
        tracing::warn!("open connections did not finish within the shutdown grace period");
    }
    tracing::info!(address = %local, "stopped listening");
    Ok(())
}

/// The connection builders after protocol detection.
struct Builders {
    http1: auto::Builder<TokioExecutor>,
    http2: auto::Builder<TokioExecutor>,
}

/// One accepted connection, walked through its phases.
struct Connection {
    peer: SocketAddr,
    limits: ServeLimits,
    builders: Arc<Builders>,
    draining: CancellationToken,
}

/// Why a connection ended before it was served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dropped {
    /// Nothing arrived within the first-byte time.
    NoFirstByte,
    /// The client closed or the socket failed before anything arrived.
    ClosedEarly,
    /// The TLS handshake failed.
    HandshakeFailed,
    /// The TLS handshake took too long.
    HandshakeTimeout,
    /// The protocol could not be told within the head time.
    DetectionTimeout,
    /// The client closed or the socket failed during detection.
    DetectionFailed,
    /// The node is shutting down.
    ShuttingDown,
}

impl Connection {
    async fn run<S, B>(
        self,
        tcp: TcpStream,
        acceptor: Option<tokio_rustls::TlsAcceptor>,
        service: S,
    ) where
        S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let peer = self.peer;
        let outcome = async {
            self.first_byte(&tcp).await?;
            match acceptor {
                Some(acceptor) => {
                    let stream = self.handshake(acceptor, tcp).await?;
                    self.serve(stream, service).await
                }
                None => self.serve(tcp, service).await,
            }
        }
        .await;
        if let Err(why) = outcome {
            tracing::debug!(%peer, ?why, "connection closed before it was served");
        }
    }

    async fn first_byte(&self, tcp: &TcpStream) -> Result<(), Dropped> {
        let mut probe = [0u8; 1];
        tokio::select! {
            () = self.draining.cancelled() => Err(Dropped::ShuttingDown),
            peeked = tokio::time::timeout(self.limits.first_byte_timeout, tcp.peek(&mut probe)) => match peeked {
                Ok(Ok(n)) if n > 0 => Ok(()),
                Ok(_) => Err(Dropped::ClosedEarly),
                Err(_) => Err(Dropped::NoFirstByte),
            },
        }
    }

    async fn handshake(
        &self,
        acceptor: tokio_rustls::TlsAcceptor,
        tcp: TcpStream,
    ) -> Result<tokio_rustls::server::TlsStream<TcpStream>, Dropped> {
        tokio::select! {
            () = self.draining.cancelled() => Err(Dropped::ShuttingDown),
            done = tokio::time::timeout(self.limits.handshake_timeout, acceptor.accept(tcp)) => match done {
                Ok(Ok(stream)) => Ok(stream),
                Ok(Err(_)) => Err(Dropped::HandshakeFailed),
                Err(_) => Err(Dropped::HandshakeTimeout),
            },
        }
    }

    async fn serve<I, S, B>(&self, stream: I, service: S) -> Result<(), Dropped>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
        S: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
            + Clone
            + Send
            + 'static,
        S::Future: Send + 'static,
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (protocol, stream) = tokio::select! {
            () = self.draining.cancelled() => return Err(Dropped::ShuttingDown),
            detected = tokio::time::timeout(self.limits.header_read_timeout, detect(stream)) => match detected {
                Ok(Ok(found)) => found,
                Ok(Err(_)) => return Err(Dropped::DetectionFailed),
                Err(_) => return Err(Dropped::DetectionTimeout),
            },
        };
        let activity = Arc::new(Activity::new());
        let peer = self.peer;
        let requests = {
            let activity = activity.clone();
            hyper::service::service_fn(move |mut request: Request<Incoming>| {
                // Handlers may ask for the client's address (sign-in throttles).
                request.extensions_mut().insert(ClientAddr(peer));
                let busy = activity.begin();
                let service = service.clone();
                async move {
                    let response = service.oneshot(request).await;
                    drop(busy);
                    response
                }
            })
        };
        let builder = match protocol {
            Protocol::Http1 => &self.builders.http1,
            Protocol::Http2 => &self.builders.http2,
        };
        let conn = builder.serve_connection(TokioIo::new(stream), requests);
        tokio::pin!(conn);
        let check_every = (self.limits.idle_timeout / 4).max(Duration::from_millis(10));
        let mut next_check = Instant::now() + check_every;
        let mut closing_since: Option<Instant> = None;
        loop {
            tokio::select! {
                ended = conn.as_mut() => {
                    if let Err(error) = ended {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                    return Ok(());
                }
                () = self.draining.cancelled(), if closing_since.is_none() => {
                    conn.as_mut().graceful_shutdown();
                    closing_since = Some(Instant::now());
                }
                () = tokio::time::sleep_until(next_check), if closing_since.is_none() => {
                    if activity.idle_for(self.limits.idle_timeout) {
                        tracing::debug!(%peer, "closing an idle connection");
                        conn.as_mut().graceful_shutdown();
                        closing_since = Some(Instant::now());
                    } else {
                        next_check = Instant::now() + check_every;
                    }
                }
                () = sleep_after(closing_since, self.limits.shutdown_grace), if closing_since.is_some() => {
                    tracing::debug!(%peer, "dropping a connection that did not finish in time");
                    return Ok(());
                }
            }
        }
    }
}

async fn sleep_after(since: Option<Instant>, grace: Duration) {
    if let Some(since) = since {
        tokio::time::sleep_until(since + grace).await;
    }
}

/// Requests in flight on one connection, and when the last one ended.
#[derive(Debug)]
struct Activity {
    in_flight: AtomicUsize,
    last_end: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Self {
            in_flight: AtomicUsize::new(0),
            last_end: Mutex::new(Instant::now()),
        }
    }

    fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        Busy(self.clone())
    }

    fn idle_for(&self, limit: Duration) -> bool {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return false;
        }
        let last = *self.last_end.lock().unwrap_or_else(|e| e.into_inner());
        last.elapsed() >= limit
    }
}

/// A request in flight; its end is recorded when dropped.
#[derive(Debug)]
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        *self.0.last_end.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connection's protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
}

/// The client preface of HTTP/2 (RFC 9113 §3.4).
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Reads until the bytes differ from the HTTP/2 preface (HTTP/1) or match all of it (HTTP/2),
/// and gives the stream back with what was read put in front. The caller bounds the time.
async fn detect<I: AsyncRead + Unpin>(mut stream: I) -> std::io::Result<(Protocol, Prefixed<I>)> {
    let mut read = Vec::with_capacity(H2_PREFACE.len());
    loop {
        let want = (H2_PREFACE.len() - read.len()) as u64;
        let n = (&mut stream).take(want).read_buf(&mut read).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let protocol = if !H2_PREFACE.starts_with(&read) {
            Protocol::Http1
        } else if read.len() == H2_PREFACE.len() {
            Protocol::Http2
        } else {
            continue;
        };
        return Ok((
            protocol,
            Prefixed {
                prefix: read,
                at: 0,
                inner: stream,
            },
        ));
    }
}

/// A stream with bytes already read from it put back in front.
#[derive(Debug)]
struct Prefixed<I> {
    prefix: Vec<u8>,
    at: usize,
    inner: I,
}

impl<I: AsyncRead + Unpin> AsyncRead for Prefixed<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if let Some(rest) = this.prefix.get(this.at..).filter(|r| !r.is_empty()) {
            let n = rest.len().min(buf.remaining());
            if let Some(part) = rest.get(..n) {
                buf.put_slice(part);
            }
            this.at += n;
            if this.at >= this.prefix.len() {
                this.prefix = Vec::new();
                this.at = 0;
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Prefixed<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_sources_are_grouped_by_64_and_mapped_ipv4_is_ipv4() {
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(SourceKey::of(a), SourceKey::of(b));
        assert_ne!(SourceKey::of(a), SourceKey::of(c));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        let plain: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(SourceKey::of(mapped), SourceKey::of(plain));
    }

    #[test]
    fn a_source_gets_at_most_its_cap_and_slots_come_back() {
        let sources = Sources::new(2);
        let key = SourceKey::of("192.0.2.1".parse().unwrap());
        let other = SourceKey::of("192.0.2.2".parse().unwrap());
        let one = sources.take(key).unwrap();
        let _two = sources.take(key).unwrap();
        assert!(sources.take(key).is_none());
        let _elsewhere = sources.take(other).unwrap();
        drop(one);
        assert!(sources.take(key).is_some());
        drop(_elsewhere);
        let open = sources.open.lock().unwrap();
        assert!(
            !open.contains_key(&other),
            "an empty source leaves no entry"
        );
    }

    #[tokio::test]
    async fn detection_tells_http2_from_http1_and_keeps_the_bytes() {
        let (mut client, server) = tokio::io::duplex(1024);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"GET / HTTP/1.1\r\n")
            .await
            .unwrap();
        let (protocol, mut stream) = detect(server).await.unwrap();
        assert_eq!(protocol, Protocol::Http1);
        let mut head = [0u8; 16];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"GET / HTTP/1.1\r\n");

        let (mut client, server) = tokio::io::duplex(1024);
        let mut sent = H2_PREFACE.to_vec();
        sent.extend_from_slice(b"frames");
        tokio::io::AsyncWriteExt::write_all(&mut client, &sent)
            .await
            .unwrap();
        let (protocol, mut stream) = detect(server).await.unwrap();
        assert_eq!(protocol, Protocol::Http2);
        let mut all = vec![0u8; sent.len()];
        stream.read_exact(&mut all).await.unwrap();
        assert_eq!(all, sent);
    }

    #[tokio::test]
    async fn a_client_that_stops_inside_the_preface_is_not_detected() {
        let (mut client, server) = tokio::io::duplex(1024);
        tokio::io::AsyncWriteExt::write_all(&mut client, b"PRI * HTTP/2")
            .await
            .unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(200), detect(server)).await;
        assert!(
            waited.is_err(),
            "detection waits for the rest of the preface"
        );
    }
}

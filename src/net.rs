//! Limits on the connections of both ports (HTTP and Thrift): how many may be
//! open at once and how long one may sit without sending a byte. Without them
//! idle or half-sent connections pile up until the process runs out of file
//! descriptors and stops serving everyone (issue 16, defect 6).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Sleep;

pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// The limits of one port.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Connections open at once; the next one waits in the kernel's backlog
    /// (HTTP) or is closed at once (Thrift) until one ends.
    pub max_connections: usize,
    /// A connection that sends nothing for this long is closed, whether it is
    /// between requests or in the middle of one.
    pub idle_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
        }
    }
}

/// A listener for `axum::serve` that holds one permit per open connection and
/// closes connections that stay silent.
pub struct CappedListener {
    inner: TcpListener,
    permits: Arc<Semaphore>,
    idle: Duration,
}

impl CappedListener {
    pub fn new(inner: TcpListener, limits: &Limits) -> Self {
        CappedListener {
            inner,
            permits: Arc::new(Semaphore::new(limits.max_connections.max(1))),
            idle: limits.idle_timeout,
        }
    }
}

impl axum::serve::Listener for CappedListener {
    type Io = IdleStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        // Waiting for a permit before accepting leaves the excess in the kernel's
        // backlog instead of spending a descriptor on it.
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        loop {
            match self.inner.accept().await {
                Ok((stream, addr)) => {
                    let _ = stream.set_nodelay(true);
                    return (IdleStream::new(stream, self.idle, Some(permit)), addr);
                }
                Err(e) => {
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// How many requests a connection is serving. While one is, the silence is the
/// server's (a long DDL repair, say), not the client's: hyper reads the socket
/// mid-request to notice a client that left, and that read must not time out.
/// It also carries the connection's peer, for the audit log.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    count: Arc<AtomicUsize>,
    pub peer: Option<std::net::SocketAddr>,
}

impl InFlight {
    fn busy(&self) -> bool {
        self.count.load(Ordering::Relaxed) > 0
    }

    pub fn with_peer(mut self, peer: std::net::SocketAddr) -> Self {
        self.peer = Some(peer);
        self
    }
}

/// A TCP stream whose reads fail with `TimedOut` once nothing has arrived or
/// gone out for the idle timeout while no request is in flight; it holds its
/// connection's permit until dropped.
pub struct IdleStream {
    inner: TcpStream,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    in_flight: InFlight,
    _permit: Option<OwnedSemaphorePermit>,
}

impl IdleStream {
    pub fn new(inner: TcpStream, idle: Duration, permit: Option<OwnedSemaphorePermit>) -> Self {
        IdleStream {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            in_flight: InFlight::default(),
            _permit: permit,
        }
    }

    pub fn in_flight(&self) -> InFlight {
        self.in_flight.clone()
    }

    fn touch(&mut self) {
        let next = tokio::time::Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, CappedListener>>
    for InFlight
{
    fn connect_info(s: axum::serve::IncomingStream<'_, CappedListener>) -> Self {
        s.io().in_flight().with_peer(*s.remote_addr())
    }
}

/// Middleware: counts the request in its connection's [`InFlight`] while it is
/// handled (dropped requests included). Apps served without connection info
/// (tests driving the router directly) are left as they are.
pub async fn mark_in_flight(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let Some(axum::extract::ConnectInfo(f)) = req
        .extensions()
        .get::<axum::extract::ConnectInfo<InFlight>>()
        .cloned()
    else {
        return next.run(req).await;
    };
    struct Done(InFlight);
    impl Drop for Done {
        fn drop(&mut self) {
            self.0.count.fetch_sub(1, Ordering::Relaxed);
        }
    }
    f.count.fetch_add(1, Ordering::Relaxed);
    let _done = Done(f);
    next.run(req).await
}

impl AsyncRead for IdleStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.touch();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.in_flight.busy() => {
                self.touch();
                Poll::Pending
            }
            Poll::Pending => match self.deadline.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "the connection sent nothing for the idle timeout",
                ))),
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

impl AsyncWrite for IdleStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// Bytes of request bodies all HTTP requests together may hold while they are
/// read; a body larger than [`SMALL_BODY`] reserves its declared length (or the
/// body limit, when it declares none) before a byte of it is read, and waits for
/// others to finish if the budget is spent.
pub const DEFAULT_INFLIGHT_BODY_BYTES: usize = 256 << 20;
/// Bodies up to this size need no reservation (every catalog call but a large
/// batch), so a spent budget never stalls ordinary calls.
pub const SMALL_BODY: usize = 64 << 10;
/// How long a large body waits for budget before it is refused (503).
pub const BODY_WAIT: Duration = Duration::from_secs(5);

/// The shared budget of in-flight body bytes, in KiB permits.
#[derive(Clone)]
pub struct BodyBudget {
    kib: Arc<Semaphore>,
    total_kib: usize,
    max_body: usize,
}

impl BodyBudget {
    pub fn new(total_bytes: usize, max_body: usize) -> Self {
        let total_kib = (total_bytes >> 10).max(1);
        BodyBudget {
            kib: Arc::new(Semaphore::new(total_kib)),
            total_kib,
            max_body,
        }
    }
}

/// Middleware: reserves a large body's bytes from the budget for as long as the
/// request is handled.
pub async fn body_budget(
    axum::extract::State(budget): axum::extract::State<BodyBudget>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    let has_body = declared.is_some_and(|n| n > 0)
        || req
            .headers()
            .contains_key(axum::http::header::TRANSFER_ENCODING);
    let size = declared.unwrap_or(budget.max_body).min(budget.max_body);
    if !has_body || size <= SMALL_BODY {
        return next.run(req).await;
    }
    let want = (size.div_ceil(1024)).min(budget.total_kib) as u32;
    let permit = tokio::time::timeout(BODY_WAIT, budget.kib.clone().acquire_many_owned(want)).await;
    match permit {
        Ok(Ok(permit)) => {
            let resp = next.run(req).await;
            drop(permit);
            resp
        }
        _ => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            "the server is reading as many request bodies as it may hold; try again",
        )
            .into_response(),
    }
}

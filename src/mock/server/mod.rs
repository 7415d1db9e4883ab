//! The mock's HTTP/1.1 host, on hyper: the embedded default target ([`bind`]),
//! `sms-conformance mock` ([`standalone`]), and any other byte stream ([`serve_io`], e.g.
//! TLS), with limits against hostile or careless clients.
//!
//! - A request head must arrive whole within [`Limits::header_timeout`] of the mock starting
//!   to wait for it (on a kept-alive connection: from the previous answer), and fit in
//!   [`MAX_HEAD_BYTES`] (else hyper answers a bare 431).
//! - A connection on which no byte has moved either way for [`Limits::idle_timeout`] is
//!   closed (an idle kept-alive connection, or a client that stopped reading its answer).
//! - At most [`Limits::max_connections`] connections are served at once. Past that, a
//!   connection gets the gateway's throttling answer (429 APIGW.0308, `Connection: close`),
//!   at most [`REFUSING_AT_ONCE`] of them at a time, each given [`REFUSAL_TIMEOUT`] to send
//!   its head; a connection past both is closed without an answer.
//! - On shutdown the mock stops accepting, closes idle connections, lets requests in flight
//!   finish (their answers say `Connection: close`), and cuts what is left at
//!   [`Limits::shutdown_timeout`].

mod standalone;
mod timeouts;
mod trim;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use std::pin::Pin;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONNECTION, CONTENT_TYPE, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{Semaphore, watch};

pub use standalone::standalone;

use super::{Fixture, MockAnswer, REQUEST_ID_HEADER, answer, new_request_id};
use timeouts::{HeadArrived, Timeouts};

/// The most bytes a request head (request line and headers) may have: room for the
/// documented 16,384-character token and more, far below hyper's default of ~400 KiB.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// How many connections past [`Limits::max_connections`] may be waiting for their 429 at once.
pub const REFUSING_AT_ONCE: usize = 16;
/// How long a refused connection is given to send its head before it is closed.
pub const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest [`Limits::header_timeout`] allowed.
pub const MAX_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// The listen backlog: connections the kernel holds until the mock accepts them.
const BACKLOG: u32 = 1024;

/// The host's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more are refused with a 429.
    pub max_connections: usize,
    /// The time a request head has to arrive whole, counted from when the mock starts
    /// waiting for it.
    pub header_timeout: Duration,
    /// The time a connection may go without a byte moving either way.
    pub idle_timeout: Duration,
    /// On shutdown, the time requests in flight get before their connections are cut.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}

/// Binds `addr` with the default [`Limits`] and returns the bound address and the future that
/// serves until `shutdown` completes, then drains (see the module's documentation).
pub async fn bind(
    addr: SocketAddr,
    fixture: Arc<Fixture>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, impl Future<Output = ()>)> {
    let listener = listen(addr)?;
    let local = listener.local_addr()?;
    let host = Host::new(fixture, Limits::default());
    Ok((local, async move {
        host.accept_until(listener, shutdown).await;
        host.drain().await;
    }))
}

/// Serves the mock on one connection over any byte stream (TLS, say), with the default
/// [`Limits`]' timeouts and head size, until the client or a timeout closes it.
pub async fn serve_io<I>(io: I, fixture: Arc<Fixture>) -> std::io::Result<()>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let host = Host::new(fixture, Limits::default());
    let (io, service) = host.connection(io);
    host.http
        .serve_connection(io, service)
        .await
        .map_err(std::io::Error::other)
}

/// A listening socket on `addr` (address reuse on, so that a restart does not wait for old
/// connections' TIME_WAIT).
fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// What every connection of one server shares.
struct Host {
    limits: Limits,
    fixture: Arc<Fixture>,
    http: http1::Builder,
    refusal: http1::Builder,
    /// One permit a served connection.
    connections: Arc<Semaphore>,
    /// One permit a connection being refused.
    refusals: Arc<Semaphore>,
    /// Turns true when the server stops accepting.
    stopping: watch::Sender<bool>,
    /// The most connections open at once since the allocator was last trimmed.
    peak: AtomicUsize,
}

impl Host {
    fn new(fixture: Arc<Fixture>, limits: Limits) -> Arc<Host> {
        let mut http = http1::Builder::new();
        // The header timeout is kept by [`Timeouts`], per connection rather than per request.
        http.header_read_timeout(None)
            .max_buf_size(MAX_HEAD_BYTES)
            .max_header_size(MAX_HEAD_BYTES);
        let mut refusal = http.clone();
        refusal.keep_alive(false);
        Arc::new(Host {
            fixture,
            http,
            refusal,
            connections: Arc::new(Semaphore::new(limits.max_connections)),
            refusals: Arc::new(Semaphore::new(REFUSING_AT_ONCE)),
            stopping: watch::Sender::new(false),
            peak: AtomicUsize::new(0),
            limits,
        })
    }

    /// Accepts connections until `stop` completes; returns its output. Meanwhile gives the
    /// memory of bursts of connections back to the system once they have gone.
    async fn accept_until<T>(
        self: &Arc<Host>,
        listener: TcpListener,
        stop: impl Future<Output = T>,
    ) -> T {
        let _trimming = AbortOnDrop(tokio::spawn(trim::after_bursts(Arc::clone(self))));
        let mut stop = std::pin::pin!(stop);
        loop {
            let accepted = tokio::select! {
                biased;
                value = &mut stop => {
                    let _ = self.stopping.send(true);
                    return value;
                }
                accepted = listener.accept() => accepted,
            };
            match accepted {
                Ok((stream, _)) => self.take(stream),
                // The client gave up before the accept: nothing to do.
                Err(e) if is_connection_error(&e) => {}
                // Out of descriptors or memory: let connections end before trying again.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Serves `stream`, refuses it, or closes it, by the connections already open.
    fn take(self: &Arc<Host>, stream: TcpStream) {
        if let Ok(permit) = Arc::clone(&self.connections).try_acquire_owned() {
            self.peak.fetch_max(self.open(), Ordering::Relaxed);
            let host = Arc::clone(self);
            tokio::spawn(async move {
                host.serve(stream).await;
                drop(permit);
            });
        } else if let Ok(permit) = Arc::clone(&self.refusals).try_acquire_owned() {
            let host = Arc::clone(self);
            tokio::spawn(async move {
                let head_arrived = HeadArrived::default();
                let timeout = REFUSAL_TIMEOUT.min(host.limits.header_timeout);
                let io = Timeouts::new(stream, timeout, timeout, head_arrived.clone());
                let io = TokioIo::new(io);
                let refusal = Refusal {
                    max_connections: host.limits.max_connections,
                    head_arrived,
                };
                let _ = host.refusal.serve_connection(io, refusal).await;
                drop(permit);
            });
        }
    }

    async fn serve(&self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let (io, service) = self.connection(stream);
        let connection = self.http.serve_connection(io, service);
        let mut connection = std::pin::pin!(connection);
        let mut stopping = self.stopping.subscribe();
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = stopping.wait_for(|stopping| *stopping) => {}
        }
        connection.as_mut().graceful_shutdown();
        let _ = connection.await;
    }

    /// `io` under the limits' timeouts, and the mock's service for it.
    fn connection<I>(&self, io: I) -> (TokioIo<Timeouts<I>>, MockService) {
        let head_arrived = HeadArrived::default();
        let limits = &self.limits;
        let io = Timeouts::new(
            io,
            limits.idle_timeout,
            limits.header_timeout,
            head_arrived.clone(),
        );
        let service = MockService {
            fixture: Arc::clone(&self.fixture),
            head_arrived,
        };
        (TokioIo::new(io), service)
    }

    /// How many connections are being served.
    fn open(&self) -> usize {
        self.limits.max_connections - self.connections.available_permits()
    }

    /// Waits for every connection to end, at most [`Limits::shutdown_timeout`]; returns how
    /// many were still open at the deadline.
    async fn drain(&self) -> usize {
        let all_done = async {
            // Every permit back means every connection has ended.
            let _ = self
                .connections
                .acquire_many(u32::try_from(self.limits.max_connections).unwrap_or(u32::MAX))
                .await;
        };
        match tokio::time::timeout(self.limits.shutdown_timeout, all_done).await {
            Ok(()) => 0,
            Err(_) => self.open(),
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether an accept failed for the client's doing (it went away), not for want of
/// descriptors or memory.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

/// The mock's behaviour ([`answer`]) as a hyper service, for one connection.
struct MockService {
    fixture: Arc<Fixture>,
    head_arrived: HeadArrived,
}

impl Service<Request<Incoming>> for MockService {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Answering;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.head_arrived.mark();
        if request.method() != Method::POST {
            // Only IAM's POST has a body worth reading: every other answer is ready at once.
            let (parts, _) = request.into_parts();
            return Answering::Ready(ready(Ok(respond(&self.fixture, &parts, b""))));
        }
        let fixture = Arc::clone(&self.fixture);
        Answering::Reading(Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            Ok(respond(&fixture, &parts, &body))
        }))
    }
}

/// The most bytes of a request body read: an IAM token request is well under 1 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The mock's answer to a request whose head is `parts` and whose body is `body`.
fn respond(fixture: &Fixture, parts: &http::request::Parts, body: &[u8]) -> Response<Full<Bytes>> {
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str());
    response(answer(
        fixture,
        &parts.method,
        target,
        &parts.headers,
        body,
        &new_request_id(),
    ))
}

/// The mock's answer, as the service gives it.
type Answered = Result<Response<Full<Bytes>>, Infallible>;

/// The answer to one request: at once, or once its body has been read.
enum Answering {
    /// Ready.
    Ready(Ready<Answered>),
    /// Reading the body first.
    Reading(Pin<Box<dyn Future<Output = Answered> + Send>>),
}

impl Future for Answering {
    type Output = Answered;

    fn poll(self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Answering::Ready(ready) => Pin::new(ready).poll(context),
            Answering::Reading(reading) => reading.as_mut().poll(context),
        }
    }
}

/// Answers every request with the gateway's throttling answer and closes.
struct Refusal {
    max_connections: usize,
    head_arrived: HeadArrived,
}

impl Service<Request<Incoming>> for Refusal {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn call(&self, _: Request<Incoming>) -> Self::Future {
        self.head_arrived.mark();
        let request_id = new_request_id();
        let body = serde_json::json!({
            "error_code": "APIGW.0308",
            "error_msg": format!(
                "The throttling threshold has been reached: the mock serves at most {} connections at once",
                self.max_connections
            ),
            "request_id": request_id,
        });
        let mut refused = response(MockAnswer {
            status: 429,
            headers: vec![
                ("Content-Type", super::CONTENT_TYPE.to_owned()),
                (REQUEST_ID_HEADER, request_id),
            ],
            body: body.to_string().into_bytes(),
        });
        refused
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        ready(Ok(refused))
    }
}

/// The mock's answer as a hyper response.
fn response(mock: MockAnswer) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(mock.body)));
    *response.status_mut() =
        StatusCode::from_u16(mock.status).expect("the mock answers valid statuses");
    let headers = response.headers_mut();
    for (name, value) in mock.headers {
        let name = match name {
            "Content-Type" => CONTENT_TYPE,
            REQUEST_ID_HEADER => HeaderName::from_static("x-request-id"),
            other => {
                HeaderName::from_bytes(other.as_bytes()).expect("the mock's header names are valid")
            }
        };
        let value = HeaderValue::try_from(value).expect("the mock's header values are valid");
        headers.append(name, value);
    }
    response
}

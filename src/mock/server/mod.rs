//! The mock on the shared hyper host ([`crate::host`], with its limits against hostile or
//! careless clients): the embedded default target ([`embedded`]), `sms-conformance mock`
//! ([`standalone`]), and any other byte stream ([`serve_io`], e.g. TLS).

mod standalone;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};

pub use crate::host::{Limits, Stream};
pub use standalone::standalone;

use super::{Fixture, Reply, RequestId, new_request_id, reply};
use crate::host::{Handler, Host, Listener, listen};

/// What the mock's host is called in its messages.
const NAME: &str = "mock";
/// The request id's header, as hyper names it.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// IAM's header for the token it issued, as hyper names it.
const SUBJECT_TOKEN: HeaderName = HeaderName::from_static("x-subject-token");
/// Every answer's `Content-Type`, checked once when this crate is built (`from_static` at
/// run time checks it a byte at a time).
const JSON: HeaderValue = HeaderValue::from_static(super::CONTENT_TYPE);

/// Binds `addr` with the default [`Limits`] and returns the bound address and the future that
/// serves until `shutdown` completes, then drains (see [`crate::host`]).
pub async fn bind(
    addr: SocketAddr,
    fixture: Arc<Fixture>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, impl Future<Output = ()>)> {
    let listener = listen(addr)?;
    let local = listener.local_addr()?;
    Ok((local, serve(host(fixture), listener, shutdown)))
}

/// Where the embedded mock listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listening {
    /// A Unix socket in Linux's abstract namespace, by its name as a path (`\0` first).
    Socket(PathBuf),
    /// A loopback port.
    Port(SocketAddr),
}

impl Listening {
    /// The URL its requests are sent to: on a socket, a name for the `Host` header only.
    pub fn url(&self) -> String {
        match self {
            // `.invalid` never resolves (RFC 2606): a request that missed the socket fails.
            Listening::Socket(_) => "http://embedded-mock.invalid".to_owned(),
            Listening::Port(addr) => format!("http://{addr}"),
        }
    }

    /// The Unix socket its requests go through, whatever their URL's host, if it is one.
    pub fn socket(&self) -> Option<PathBuf> {
        match self {
            Listening::Socket(name) => Some(name.clone()),
            Listening::Port(_) => None,
        }
    }
}

/// The serving of the embedded mock, until its shutdown and drain.
pub type Serving = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Starts the mock a run embeds, with the default [`Limits`], and returns where it listens
/// and the future that serves until `shutdown` completes, then drains. It listens on a Unix
/// socket of Linux's abstract namespace: the same HTTP/1.1 on both sides, for about half the
/// kernel's work of a loopback TCP exchange (30,000 request cases: 0.81x the wall time), no
/// file to leave behind, and open to the same local processes as a loopback port. Where no
/// such socket can be had (another system), it listens on an ephemeral loopback port.
pub async fn embedded(
    fixture: Arc<Fixture>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(Listening, Serving)> {
    let name = format!(
        "\0sms-conformance-{}-{:016x}",
        std::process::id(),
        fastrand::u64(..)
    );
    embedded_at(PathBuf::from(name), fixture, shutdown).await
}

/// [`embedded`], on the socket of `name` when it can be bound.
async fn embedded_at(
    name: PathBuf,
    fixture: Arc<Fixture>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(Listening, Serving)> {
    let host = host(fixture);
    // Whatever stops the bind (another system, a name too long or taken, sockets refused),
    // the port serves the run as well: only its kernel's work is more.
    if let Ok(listener) = tokio::net::UnixListener::bind(&name) {
        return Ok((
            Listening::Socket(name),
            Box::pin(serve(host, listener, shutdown)),
        ));
    }
    let listener = listen(SocketAddr::from(([127, 0, 0, 1], 0)))?;
    let local = listener.local_addr()?;
    Ok((
        Listening::Port(local),
        Box::pin(serve(host, listener, shutdown)),
    ))
}

/// The mock's host, with the default [`Limits`].
fn host(fixture: Arc<Fixture>) -> Arc<Host<MockService>> {
    Host::new(NAME, MockService { fixture }, Limits::default())
}

/// Serves `listener` until `shutdown` completes, then drains.
async fn serve(
    host: Arc<Host<MockService>>,
    listener: impl Listener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    host.accept_until(listener, shutdown).await;
    host.drain().await;
}

/// Serves the mock on one connection over any byte stream (TLS, say), with the default
/// [`Limits`]' timeouts and head size, until the client or a timeout closes it.
pub async fn serve_io(io: impl Stream, fixture: Arc<Fixture>) -> std::io::Result<()> {
    host(fixture).serve_io(io).await
}

/// The mock's behaviour ([`super::answer`]'s core, `reply`) as the host's handler.
#[derive(Clone)]
struct MockService {
    fixture: Arc<Fixture>,
}

impl Handler for MockService {
    type Body = Full<Bytes>;
    type Future = Answering;

    fn handle(&self, request: Request<Incoming>) -> Self::Future {
        if request.method() != Method::POST {
            // Only IAM's POST has a body worth reading: every other answer is ready at once.
            let (parts, _) = request.into_parts();
            return Answering::Ready(ready(Ok(respond(&self.fixture, parts, b""))));
        }
        let fixture = Arc::clone(&self.fixture);
        Answering::Reading(Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map(|collected| collected.to_bytes())
                .unwrap_or_default();
            Ok(respond(&fixture, parts, &body))
        }))
    }

    fn refusal(&self, message: &str) -> Response<Full<Bytes>> {
        throttled(message)
    }
}

/// The most bytes of a request body read: an IAM token request is well under 1 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The mock's answer to a request whose head is `parts` and whose body is `body`.
fn respond(
    fixture: &Fixture,
    mut parts: http::request::Parts,
    body: &[u8],
) -> Response<Full<Bytes>> {
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |target| target.as_str());
    let request_id = new_request_id();
    let reply = reply(
        fixture,
        &parts.method,
        target,
        &parts.headers,
        body,
        &request_id,
    );
    // The request's header map, emptied, carries the answer's: its memory is allocated
    // already (a map of its own cost two allocations and two frees, about 570 instructions
    // of the 13,700 a request then). hyper parses the connection's next request into it: a
    // connection keeps the map its largest request needed (at most hyper's 100 headers).
    let mut headers = std::mem::take(&mut parts.headers);
    headers.clear();
    in_response(reply, &request_id, headers)
}

/// `reply` as a hyper response, its headers appended to `headers` (empty).
fn in_response(
    reply: Reply,
    request_id: &RequestId,
    mut headers: HeaderMap,
) -> Response<Full<Bytes>> {
    headers.append(CONTENT_TYPE, JSON);
    headers.append(
        REQUEST_ID,
        HeaderValue::from_bytes(request_id.as_bytes()).expect("hex digits are a header value"),
    );
    if let Some(token) = reply.subject_token {
        let token = HeaderValue::try_from(token).expect("a fixture's token is a header value");
        headers.append(SUBJECT_TOKEN, token);
    }
    let mut response = Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() = status(reply.status);
    *response.headers_mut() = headers;
    response
}

/// The status `code`: the mock answers only valid ones.
fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).expect("the mock answers valid statuses")
}

/// The API gateway's error (`status`, `code`, saying `message`) as a hyper response, for the
/// answers the hosts make themselves ([`throttled`], the proxy's 502); and its request id.
pub fn gateway_error(status: u16, code: &str, message: &str) -> (Response<Full<Bytes>>, RequestId) {
    let request_id = new_request_id();
    let reply = Reply::gateway_error(status, code, message, &request_id);
    (
        in_response(reply, &request_id, HeaderMap::new()),
        request_id,
    )
}

/// The gateway's throttling answer (429 `APIGW.0308`), saying `message`: what the mock's and
/// the proxy's hosts answer a connection over their cap.
pub fn throttled(message: &str) -> Response<Full<Bytes>> {
    gateway_error(429, "APIGW.0308", message).0
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The gateway's errors the hosts make themselves are the behaviour's, in its words: the
    /// headers `MockAnswer` lists, and the request id returned in the header and the body.
    #[tokio::test]
    async fn a_hosts_own_gateway_error_is_the_behaviours() {
        let (answer, id) = gateway_error(429, "APIGW.0308", "slow down");
        let pure = Reply::gateway_error(429, "APIGW.0308", "slow down", &id).answer(&id);
        assert_eq!(answer.status(), pure.status);
        let headers: Vec<(String, String)> = pure
            .headers
            .iter()
            .map(|(name, value)| (name.to_lowercase(), value.to_string()))
            .collect();
        let served: Vec<(String, String)> = answer
            .headers()
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        assert_eq!(served, headers);
        let body = answer.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(body, pure.body);
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["request_id"], *id);
    }

    /// A socket name that cannot be bound (longer than a Unix socket's address, or taken
    /// already) leaves the embedded mock on a loopback port, where it answers all the same.
    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[tokio::test]
    async fn the_embedded_mock_that_cannot_have_its_socket_listens_on_a_loopback_port() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};

        let fixture = Arc::new(Fixture::builtin());
        let (taken, _serving) = embedded(Arc::clone(&fixture), std::future::pending())
            .await
            .unwrap();
        let Listening::Socket(taken) = taken else {
            panic!("on this system the embedded mock listens on a Unix socket");
        };
        let too_long = PathBuf::from(format!("\0{}", "x".repeat(200)));
        for name in [too_long, taken] {
            let (listening, serving) =
                embedded_at(name.clone(), Arc::clone(&fixture), std::future::pending())
                    .await
                    .unwrap();
            let Listening::Port(addr) = listening else {
                panic!("{name:?} was bound: {listening:?}");
            };
            assert!(addr.ip().is_loopback(), "{addr}");
            tokio::spawn(serving);
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(
                    b"GET /v3/tasks/x/passphrase HTTP/1.1\r\nHost: m\r\nConnection: close\r\n\r\n",
                )
                .await
                .unwrap();
            let mut answer = String::new();
            stream.read_to_string(&mut answer).await.unwrap();
            assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
        }
    }
}

//! The mock on the shared hyper host ([`crate::host`], with its limits against hostile or
//! careless clients): the embedded default target ([`bind`]), `sms-conformance mock`
//! ([`standalone`]), and any other byte stream ([`serve_io`], e.g. TLS).

mod standalone;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite};

pub use crate::host::Limits;
pub use standalone::standalone;

use super::{Fixture, Reply, RequestId, new_request_id, reply};
use crate::host::{Handler, Host, listen};

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
    let host = Host::new(NAME, MockService { fixture }, Limits::default());
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
    Host::new(NAME, MockService { fixture }, Limits::default())
        .serve_io(io)
        .await
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
}

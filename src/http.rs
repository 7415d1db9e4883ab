//! The HTTP side of a run and of the proxy: one shared client, a timeout on every exchange, a
//! cap on every body read, no redirects followed. A run reads whole answers
//! ([`HttpClient::send`]); the proxy opens an answer, reads its body up to the cap, and passes
//! a larger one on unread ([`HttpClient::open`], [`HttpClient::read_capped`]).

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The scheme whose client speaks TLS.
const HTTPS: &str = "https:";

/// The most bytes of response headers accepted: real gateways send well under 8 KiB, and
/// nothing in the contract needs more.
pub const HEADER_CAP: usize = 64 * 1024;

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct PreparedRequest {
    /// The method.
    pub method: http::Method,
    /// The full URL.
    pub url: String,
    /// The headers, in order; values as text.
    pub headers: Vec<(String, String)>,
}

/// An answer, with its body read up to the cap.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// An answer whose head has come; its body is still to be read.
#[derive(Debug)]
struct Opened {
    status: u16,
    headers: http::HeaderMap,
    /// How many bytes the headers take (name, value, `: ` and the line end of each), to
    /// hold against [`HEADER_CAP`].
    header_bytes: usize,
    response: reqwest::Response,
}

/// An answer, read up to the caps.
#[derive(Debug)]
pub enum Capped {
    /// The whole answer: its head and body are within the caps.
    Whole(Answer),
    /// Its head or its body is larger than its cap.
    Over(Over),
}

/// An answer over a cap: what was read of its body (nothing when the head was over its cap;
/// else at most the body cap and a chunk), and the rest, unread.
#[derive(Debug)]
pub struct Over {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The body's first bytes, as read.
    pub read: Vec<u8>,
    /// The rest of the answer, whose body goes on from there.
    pub rest: reqwest::Response,
    /// Which cap it is over.
    pub why: TransportError,
}

impl Answer {
    /// A header's value as text, if present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON, or why it is not JSON (the parser's message, with its line and
    /// column).
    pub fn json(&self) -> Result<serde_json::Value, String> {
        serde_json::from_slice(&self.body).map_err(|e| e.to_string())
    }
}

/// Why no usable answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No complete answer within the timeout.
    Timeout(Duration),
    /// The body was larger than the cap.
    BodyTooLarge {
        /// The cap, in bytes.
        cap: usize,
    },
    /// The headers were larger than [`HEADER_CAP`].
    HeadersTooLarge(usize),
    /// The request could not be built (a header value that is not allowed, say).
    BadRequest(String),
    /// No connection could be made (refused, no such host, TLS refused).
    Unreachable(String),
    /// The connection was made but failed, was reset, or the answer was not HTTP.
    Failed(String),
    /// The connection was closed or reset before any answer came: the request may be sent
    /// again.
    Dropped(String),
}

impl TransportError {
    /// What went wrong, in a word or two: the same for the same cause on any target.
    pub fn kind(&self) -> &'static str {
        match self {
            TransportError::Timeout(_) => "timeout",
            TransportError::BodyTooLarge { .. } => "body too large",
            TransportError::HeadersTooLarge(_) => "headers too large",
            TransportError::BadRequest(_) => "request not built",
            TransportError::Unreachable(_) => "unreachable",
            TransportError::Failed(_) => "exchange failed",
            TransportError::Dropped(_) => "dropped",
        }
    }
}

impl std::fmt::Display for TransportError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TransportError::Timeout(limit) => {
                write!(f, "no complete answer within the timeout of {limit:?}")
            }
            TransportError::BodyTooLarge { cap } => {
                write!(f, "the body is larger than the cap of {cap} bytes")
            }
            TransportError::HeadersTooLarge(size) => {
                write!(
                    f,
                    "the headers take {size} bytes, over the cap of {HEADER_CAP} bytes"
                )
            }
            TransportError::BadRequest(why) => write!(f, "the request could not be built: {why}"),
            TransportError::Unreachable(why) => write!(f, "the target could not be reached: {why}"),
            TransportError::Failed(why) => write!(f, "the exchange failed: {why}"),
            TransportError::Dropped(why) => {
                write!(f, "the connection was dropped before an answer: {why}")
            }
        }
    }
}

/// The client every case of a run shares. Its connections are built on first use, one client
/// for each scheme: a plain-http target never loads the system's root certificates.
#[derive(Debug, Clone)]
pub struct HttpClient {
    clients: Arc<Clients>,
    timeout: Duration,
    body_cap: usize,
    /// CA certificates trusted beside the system's (`--cacert`).
    extra_roots: Arc<Vec<reqwest::Certificate>>,
    /// Where its connections go: as the URL and the proxy variables say, or straight to a
    /// host of the run's own.
    route: Route,
}

/// Where a client's connections go.
#[derive(Debug, Clone)]
enum Route {
    /// To the URL's host and port, through the proxy the environment names, if any.
    AsNamed,
    /// To the URL's host and port, never through a proxy.
    Direct,
    /// To this Unix socket, whatever the URL's host.
    Socket(Arc<Path>),
}

/// The underlying clients, each built when a request first needs it.
#[derive(Debug, Default)]
struct Clients {
    plain: OnceLock<Result<reqwest::Client, String>>,
    tls: OnceLock<Result<reqwest::Client, String>>,
}

impl HttpClient {
    /// A client with this timeout per exchange and this body cap. For https it trusts the
    /// system's root certificates (`SSL_CERT_FILE` and `SSL_CERT_DIR` too); it follows no
    /// redirect.
    pub fn new(timeout: Duration, body_cap: usize) -> HttpClient {
        HttpClient {
            clients: Arc::default(),
            timeout,
            body_cap,
            extra_roots: Arc::default(),
            route: Route::AsNamed,
        }
    }

    /// The same client, its connections made straight to a server of the run's own (the
    /// embedded mock): to the Unix socket at `socket`, whatever the URL's host, or without
    /// a socket to the URL's host; never through a proxy. Its connections are its own,
    /// none shared with this one's.
    pub fn direct(&self, socket: Option<&Path>) -> HttpClient {
        HttpClient {
            clients: Arc::default(),
            route: socket.map_or(Route::Direct, |socket| Route::Socket(Arc::from(socket))),
            ..self.clone()
        }
    }

    /// Like [`new`](Self::new), also trusting the CA certificates in `ca_pem` (PEM, one or
    /// more) for https: a gateway behind a private CA. The file is read now, so that a bad
    /// one stops the run before anything is sent.
    pub fn trusting(
        timeout: Duration,
        body_cap: usize,
        ca_pem: &[u8],
    ) -> Result<HttpClient, String> {
        let roots = if ca_pem.is_empty() {
            Vec::new()
        } else {
            let roots = reqwest::Certificate::from_pem_bundle(ca_pem)
                .map_err(|e| format!("the CA file is not PEM certificates: {}", error_chain(&e)))?;
            if roots.is_empty() {
                return Err("the CA file holds no PEM certificate".to_owned());
            }
            roots
        };
        Ok(HttpClient {
            extra_roots: Arc::new(roots),
            ..HttpClient::new(timeout, body_cap)
        })
    }

    /// The client for `url`'s scheme, built the first time it is needed.
    fn client_for(&self, url: &str) -> Result<&reqwest::Client, TransportError> {
        let tls = url
            .get(..HTTPS.len())
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case(HTTPS));
        let slot = if tls {
            &self.clients.tls
        } else {
            &self.clients.plain
        };
        slot.get_or_init(|| self.build(tls))
            .as_ref()
            .map_err(|why| TransportError::Unreachable(why.clone()))
    }

    fn build(&self, tls: bool) -> Result<reqwest::Client, String> {
        // TLS goes through ring; an error only says a provider is installed already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("sms-conformance/", env!("CARGO_PKG_VERSION")));
        match &self.route {
            Route::AsNamed => {}
            Route::Direct => builder = builder.no_proxy(),
            Route::Socket(socket) => builder = builder.no_proxy().unix_socket(Arc::clone(socket)),
        }
        if tls {
            for root in self.extra_roots.iter() {
                builder = builder.add_root_certificate(root.clone());
            }
        } else {
            // Without redirects a plain-http client never speaks TLS: it needs no roots at all.
            builder = builder.tls_certs_only(std::iter::empty());
        }
        builder
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", error_chain(&e)))
    }

    /// Sends `request` and reads the answer, all within the timeout.
    pub async fn send(&self, request: &PreparedRequest) -> Result<Answer, TransportError> {
        self.send_with_body(request, None).await
    }

    /// Sends `request` with `body`, and reads the whole answer, within the timeout; an answer
    /// over a cap is an error.
    pub async fn send_with_body(
        &self,
        request: &PreparedRequest,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, TransportError> {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &request.headers {
            let header = http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                TransportError::BadRequest(format!(
                    "header {name:?} has a name HTTP does not allow"
                ))
            })?;
            let value = http::HeaderValue::from_str(value).map_err(|_| {
                TransportError::BadRequest(format!("header {name} has a value HTTP does not allow"))
            })?;
            headers.append(header, value);
        }
        let fetched = self
            .fetch(&request.method, &request.url, headers, body.map(Into::into))
            .await?;
        match fetched {
            Capped::Whole(answer) => Ok(answer),
            Capped::Over(over) => Err(over.why),
        }
    }

    /// Sends `method` to `url` with `headers` (after the client's own: its user agent) and
    /// `body`, and reads the answer up to the caps, within the timeout: the whole answer, or
    /// one over a cap with the rest of it unread.
    pub async fn fetch(
        &self,
        method: &http::Method,
        url: &str,
        headers: http::HeaderMap,
        body: Option<reqwest::Body>,
    ) -> Result<Capped, TransportError> {
        let fetching = async {
            let opened = self.open(method, url, headers, body).await?;
            if opened.header_bytes > HEADER_CAP {
                return Ok(Capped::Over(Over {
                    status: opened.status,
                    headers: opened.headers,
                    read: Vec::new(),
                    rest: opened.response,
                    why: TransportError::HeadersTooLarge(opened.header_bytes),
                }));
            }
            self.read_capped(opened).await
        };
        tokio::time::timeout(self.timeout, fetching)
            .await
            .unwrap_or(Err(TransportError::Timeout(self.timeout)))
    }

    /// Sends the request and waits for the answer's head; the body is left to
    /// [`read_capped`](Self::read_capped).
    async fn open(
        &self,
        method: &http::Method,
        url: &str,
        headers: http::HeaderMap,
        body: Option<reqwest::Body>,
    ) -> Result<Opened, TransportError> {
        let client = self.client_for(url)?;
        let mut builder = client.request(method.clone(), url).headers(headers);
        if let Some(body) = body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| {
            let dropped = closed_before_answer(&e);
            match self.classify(e) {
                TransportError::Failed(why) if dropped => TransportError::Dropped(why),
                other => other,
            }
        })?;
        let headers = owned(response.headers());
        let header_bytes = headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        Ok(Opened {
            status: response.status().as_u16(),
            headers,
            header_bytes,
            response,
        })
    }

    /// Reads the body of `opened` up to the cap: the whole answer, or, past the cap (by its
    /// `Content-Length` or by what came), what was read and the rest unread.
    async fn read_capped(&self, opened: Opened) -> Result<Capped, TransportError> {
        let Opened {
            status,
            headers,
            header_bytes: _,
            mut response,
        } = opened;
        let mut body = Vec::new();
        let mut over = response
            .content_length()
            .is_some_and(|len| len > self.body_cap as u64);
        while !over {
            let Some(chunk) = response.chunk().await.map_err(|e| self.classify(e))? else {
                return Ok(Capped::Whole(Answer {
                    status,
                    headers,
                    body,
                }));
            };
            body.extend_from_slice(&chunk);
            over = body.len() > self.body_cap;
        }
        Ok(Capped::Over(Over {
            status,
            headers,
            read: body,
            rest: response,
            why: TransportError::BodyTooLarge { cap: self.body_cap },
        }))
    }

    /// The time limit of each exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The most body bytes read from one answer.
    pub fn body_cap(&self) -> usize {
        self.body_cap
    }

    /// What went wrong, without the URL reqwest puts in its messages: the `sent:` line shows
    /// it, masked as a URL.
    fn classify(&self, error: reqwest::Error) -> TransportError {
        let error = &error.without_url();
        if error.is_timeout() {
            TransportError::Timeout(self.timeout)
        } else if error.is_builder() {
            TransportError::BadRequest(error_chain(error))
        } else if error.is_connect() {
            TransportError::Unreachable(with_hint(error_chain(error)))
        } else {
            TransportError::Failed(with_hint(error_chain(error)))
        }
    }
}

/// Whether the connection was closed or reset before the answer's head was complete.
fn closed_before_answer(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut source = Some(error);
    while let Some(cause) = source {
        if cause
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_incomplete_message)
        {
            return true;
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::{
                BrokenPipe, ConnectionAborted, ConnectionReset, UnexpectedEof,
            };
            return matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            );
        }
        source = cause.source();
    }
    false
}

/// A copy of `headers` that owns its values: as parsed, each value is a slice of the
/// connection's read buffer (8 KiB and more), which a kept answer would keep alive whole.
fn owned(headers: &http::HeaderMap) -> http::HeaderMap {
    headers
        .iter()
        .map(|(name, value)| {
            let copy =
                http::HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
            (name.clone(), copy)
        })
        .collect()
}

/// Adds what usually causes the low-level errors a user cannot act on as they stand.
fn with_hint(message: String) -> String {
    let hint = if message.contains("invalid HTTP version parsed") {
        " (the answer is not HTTP/1.x: a garbage or HTTP/0.9 status line, or a TLS port spoken to with http://)"
    } else if message.contains("InvalidContentType") || message.contains("corrupt message") {
        " (TLS was refused: is the port plain HTTP? try http://)"
    } else {
        ""
    };
    message + hint
}

/// An error and its sources, joined: reqwest's own message alone rarely says what happened.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

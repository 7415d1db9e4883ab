//! `sms-conformance proxy`: every request forwarded to an upstream (the real endpoint, a
//! mock), every answer passed back unchanged and checked against the contract, as a run
//! checks an answer no case expects ([`check_contract`]).
//!
//! - It serves on the shared host ([`crate::host`]: header and idle timeouts, connection cap
//!   and its 429, head cap, drain, signals) and forwards through the run's client
//!   ([`HttpClient`]: timeout, body cap, header cap, no redirects followed).
//! - Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded either way; `Host` is the
//!   upstream's. Request bodies stream through.
//! - An answer's body is read up to the cap and checked; a larger one (or a head over
//!   [`HEADER_CAP`]) is passed on unread and unchecked, the rest streamed, and noted as a
//!   violation.
//! - An upstream that fails (refused, timeout, reset) gets the client a 502 in the gateway's
//!   shape, with a request id, and is noted.
//! - `--fail-fast`: an answer that breaks the contract is replaced by a 502 saying why.
//! - Before anything about an exchange is said, the [`Redactor`] learns its secrets: the
//!   request's `X-Auth-Token`, an answer's `X-Subject-Token`, and every passphrase of the
//!   answer. Each violation is a masked line on stderr, in the [`Words`] the command gives
//!   (the reports' renderer); the notes are kept for the report, rendered when the proxy
//!   stops.

mod body;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use http::header::{self, HeaderMap, HeaderName};
use http::{Method, StatusCode};
use http_body_util::Full;
use hyper::body::{Body as _, Bytes, Incoming};
use hyper::{Request, Response};

use crate::contract::Contract;
use crate::host::{self, Handler, Limits, Stopped};
use crate::http::{Answer, Capped, HttpClient, Over, TransportError};
use crate::iam::{SUBJECT_TOKEN_HEADER, TOKENS_PATH};
use crate::mock::{REQUEST_ID_HEADER, server};
use crate::redact::Redactor;
use crate::runner::{Problem, TOKEN_HEADER, check_contract};

pub use body::ProxyBody;

/// What the proxy's host is called in its messages.
const NAME: &str = "proxy";
/// The error code of the proxy's 502 for an answer that breaks the contract (`--fail-fast`).
pub const BROKE_CONTRACT: &str = "CONFORMANCE.0001";
/// The error code of the proxy's 502 when the upstream failed.
pub const UPSTREAM_FAILED: &str = "CONFORMANCE.0002";
/// The most notes kept for the report; past it, exchanges are only counted.
pub const MAX_NOTES: usize = 1000;

/// How the proxy is set up.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where it listens.
    pub listen: SocketAddr,
    /// Where it forwards: scheme, host and optional path prefix, without a trailing `/`.
    pub upstream: String,
    /// Whether an answer that breaks the contract is replaced by a 502.
    pub fail_fast: bool,
    /// The host's limits.
    pub limits: Limits,
}

/// An exchange that broke the contract, or that the upstream failed.
#[derive(Debug, Clone)]
pub struct Note {
    /// When its answer came (or failed to).
    pub at: DateTime<Utc>,
    /// The request's method.
    pub method: Method,
    /// The request's target: its path and query, as the client sent them.
    pub target: String,
    /// The upstream's status; `None` when the upstream failed.
    pub status: Option<u16>,
    /// The status the client got: the upstream's, or the proxy's 502.
    pub answered: u16,
    /// The upstream's `X-Request-Id`, or the proxy's own on its 502.
    pub request_id: Option<String>,
    /// What is wrong.
    pub problems: Vec<Problem>,
}

impl Note {
    /// Whether the upstream failed (no answer came), rather than answered outside the
    /// contract.
    pub fn upstream_failed(&self) -> bool {
        self.status.is_none()
    }
}

/// What the proxy saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// Requests forwarded.
    pub exchanges: u64,
    /// Answers checked against the contract.
    pub checked: u64,
    /// Answers passed on unchecked by design (IAM's token call).
    pub unchecked: u64,
    /// Exchanges whose answer broke the contract (over a limit included).
    pub violations: u64,
    /// Exchanges the upstream failed.
    pub upstream_failures: u64,
    /// Exchanges answered to the client (passed on, or the proxy's 502).
    pub answered: u64,
    /// The notes, the first [`MAX_NOTES`] of them.
    pub notes: Vec<Note>,
}

impl Seen {
    /// Whether anything was noted: the proxy's exit code is 1.
    pub fn failed(&self) -> bool {
        self.violations + self.upstream_failures > 0
    }

    /// Exchanges forwarded and never answered: their client went away, or the shutdown's
    /// deadline cut them.
    pub fn unanswered(&self) -> u64 {
        self.exchanges.saturating_sub(self.answered)
    }
}

/// The proxy as it stopped.
#[derive(Debug, Clone)]
pub struct Finished {
    /// How it stopped.
    pub stopped: Stopped,
    /// What it saw.
    pub seen: Seen,
    /// When it started.
    pub started: DateTime<Utc>,
    /// How long it ran.
    pub duration: Duration,
    /// The address it listened on.
    pub listened: SocketAddr,
}

impl Finished {
    /// Exchanges the shutdown's deadline cut before their answer: an application's request
    /// failed. A cut connection had at most one exchange in flight, and one whose own client
    /// went away is unanswered, not cut: so the fewer of the two counts.
    pub fn cut(&self) -> u64 {
        self.seen
            .unanswered()
            .min(u64::try_from(self.stopped.cut).unwrap_or(u64::MAX))
    }
}

/// Serves the proxy until SIGINT or SIGTERM (see the module's documentation), printing its
/// address, its upstream (masked by `redactor`) and its limits first, and each note in
/// `words` as it comes.
///
/// # Errors
///
/// The limits are unusable, the address cannot be bound, or the runtime or the signal
/// handlers cannot be set up: nothing was served.
pub fn serve(
    settings: Settings,
    contract: Arc<Contract>,
    client: HttpClient,
    redactor: Arc<Redactor>,
    words: Arc<dyn Words>,
) -> Result<Finished, String> {
    let (listen, limits) = (settings.listen, settings.limits.clone());
    host::standalone(NAME, listen, limits, 2, |bound| async move {
        let listened = bound.addr;
        println!("sms-conformance proxy listening on http://{listened}");
        println!(
            "  forwarding to {} (timeout {}, bodies checked up to {} bytes); every answer checked against the contract{}",
            redactor.redact_url(&settings.upstream),
            host::seconds(client.timeout()),
            client.body_cap(),
            if settings.fail_fast {
                "; one that breaks it is answered 502 (--fail-fast)"
            } else {
                ""
            }
        );
        let started = Utc::now();
        let clock = Instant::now();
        let proxy = Arc::new(Proxy {
            upstream: settings.upstream,
            fail_fast: settings.fail_fast,
            contract,
            client,
            redactor,
            words,
            seen: Mutex::default(),
        });
        let stopped = bound.serve(Forward(Arc::clone(&proxy))).await;
        let seen = proxy.seen().clone();
        Ok(Finished {
            stopped,
            seen,
            started,
            duration: clock.elapsed(),
            listened,
        })
    })
}

/// How the proxy's notes are put into words: by the reports' renderer, which the command
/// hands over, masking (the proxy sits below the reports, as the runner does).
pub trait Words: Send + Sync {
    /// One line a problem of `note`, for standard error.
    fn lines(&self, note: &Note) -> Vec<String>;

    /// Why `note`'s answer was not passed on, in one line: the message of the proxy's 502.
    fn why(&self, note: &Note) -> String;
}

/// What every exchange shares.
struct Proxy {
    upstream: String,
    fail_fast: bool,
    contract: Arc<Contract>,
    client: HttpClient,
    redactor: Arc<Redactor>,
    words: Arc<dyn Words>,
    seen: Mutex<Seen>,
}

/// The proxy as the host's handler.
#[derive(Clone)]
struct Forward(Arc<Proxy>);

impl Handler for Forward {
    type Body = ProxyBody;
    type Future = Pin<Box<dyn Future<Output = Result<Response<ProxyBody>, Infallible>> + Send>>;

    fn handle(&self, request: Request<Incoming>) -> Self::Future {
        let proxy = Arc::clone(&self.0);
        Box::pin(async move { Ok(proxy.forward(request).await) })
    }

    fn refusal(&self, message: &str) -> Response<Full<Bytes>> {
        server::throttled(message)
    }
}

/// One request as the proxy keeps it while its answer comes.
struct Sent {
    method: Method,
    target: String,
    /// Whether its answer is checked (all but IAM's token call).
    checked: bool,
}

impl Proxy {
    /// Forwards `request`, and answers the client.
    async fn forward(self: Arc<Self>, request: Request<Incoming>) -> Response<ProxyBody> {
        let (parts, body) = request.into_parts();
        for token in parts.headers.get_all(TOKEN_HEADER) {
            self.redactor
                .learn(&String::from_utf8_lossy(token.as_bytes()));
        }
        let target = parts
            .uri
            .path_and_query()
            .map_or("/", |target| target.as_str())
            .to_owned();
        let sent = Sent {
            // IAM's token call is forwarded, never checked: it is IAM's, not this contract's.
            checked: !(parts.method == Method::POST && parts.uri.path() == TOKENS_PATH),
            method: parts.method,
            target,
        };
        self.seen().exchanges += 1;
        let url = format!("{}{}", self.upstream, sent.target);
        let body = (!body.is_end_stream()).then(|| reqwest::Body::wrap(body));
        let fetched = self
            .client
            .fetch(&sent.method, &url, end_to_end(&parts.headers), body)
            .await;
        let response = match fetched {
            Err(error) => self.upstream_failed(&sent, error),
            Ok(Capped::Whole(answer)) => {
                self.learn_head(&answer.headers);
                self.judge(&sent, answer)
            }
            Ok(Capped::Over(over)) => {
                self.learn_head(&over.headers);
                self.unchecked(&sent, over)
            }
        };
        self.seen().answered += 1;
        response
    }

    /// Learns the secrets an answer's head carries (IAM's issued tokens).
    fn learn_head(&self, headers: &HeaderMap) {
        for token in headers.get_all(SUBJECT_TOKEN_HEADER) {
            self.redactor
                .learn(&String::from_utf8_lossy(token.as_bytes()));
        }
    }

    /// Checks a whole answer, and passes it on (or, broken under `--fail-fast`, a 502).
    fn judge(&self, sent: &Sent, answer: Answer) -> Response<ProxyBody> {
        let json = answer.json();
        self.redactor.learn_answer(json.as_ref(), &answer.body);
        let problems = if sent.checked {
            self.seen().checked += 1;
            check_contract(&self.contract, &sent.method, &answer, &json)
        } else {
            self.seen().unchecked += 1;
            Vec::new()
        };
        let Answer {
            status,
            headers,
            body,
        } = answer;
        let passed_on = passed_on(status, &headers, body::whole(body));
        if problems.is_empty() {
            return passed_on;
        }
        self.broke(sent, status, &headers, problems, passed_on)
    }

    /// Passes on an answer over a limit, unread and unchecked, and notes it (unless it is
    /// one the proxy does not check, IAM's). What was read of it first teaches the masking
    /// its passphrases: its own head, or a later answer, may quote them.
    fn unchecked(&self, sent: &Sent, over: Over) -> Response<ProxyBody> {
        let Over {
            status,
            headers,
            read,
            rest,
            why,
        } = over;
        self.redactor
            .learn_passphrases_in_text(&String::from_utf8_lossy(&read));
        let passed_on = passed_on(status, &headers, body::streamed(read, rest));
        if !sent.checked {
            self.seen().unchecked += 1;
            return passed_on;
        }
        self.broke(
            sent,
            status,
            &headers,
            vec![Problem::Transport(why)],
            passed_on,
        )
    }

    /// Notes an answer that breaks the contract; gives the client `passed_on`, or a 502
    /// under `--fail-fast`.
    fn broke(
        &self,
        sent: &Sent,
        status: u16,
        headers: &HeaderMap,
        problems: Vec<Problem>,
        passed_on: Response<ProxyBody>,
    ) -> Response<ProxyBody> {
        let upstream_id = headers
            .get(REQUEST_ID_HEADER)
            .map(|id| String::from_utf8_lossy(id.as_bytes()).into_owned());
        let mut note = Note {
            at: Utc::now(),
            method: sent.method.clone(),
            target: sent.target.clone(),
            status: Some(status),
            answered: status,
            request_id: upstream_id,
            problems,
        };
        if !self.fail_fast {
            self.note(note);
            return passed_on;
        }
        let why = self.words.why(&note);
        let (response, id) = gateway_502(
            BROKE_CONTRACT,
            &format!("the upstream's answer ({status}) breaks the contract: {why}"),
        );
        note.answered = 502;
        note.request_id = Some(id);
        self.note(note);
        response
    }

    /// Answers 502 for an upstream that failed, and notes it.
    fn upstream_failed(&self, sent: &Sent, error: TransportError) -> Response<ProxyBody> {
        let problems = vec![Problem::Transport(error)];
        let mut note = Note {
            at: Utc::now(),
            method: sent.method.clone(),
            target: sent.target.clone(),
            status: None,
            answered: 502,
            request_id: None,
            problems,
        };
        let why = self.words.why(&note);
        let (response, id) = gateway_502(UPSTREAM_FAILED, &format!("the upstream failed: {why}"));
        note.request_id = Some(id);
        self.note(note);
        response
    }

    /// Says `note` on stderr, one masked line a problem, and keeps it for the report.
    fn note(&self, note: Note) {
        use std::io::Write;
        let lines = self.words.lines(&note);
        // Standard error may be gone: the note still goes to the report and the exit code.
        let mut stderr = std::io::stderr().lock();
        for line in lines {
            let _ = writeln!(stderr, "sms-conformance proxy: {line}");
        }
        drop(stderr);
        let mut seen = self.seen();
        if note.upstream_failed() {
            seen.upstream_failures += 1;
        } else {
            seen.violations += 1;
        }
        if seen.notes.len() < MAX_NOTES {
            seen.notes.push(note);
        }
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, Seen> {
        self.seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The proxy's own 502, in the gateway's shape, saying `message`; and its request id.
fn gateway_502(code: &str, message: &str) -> (Response<ProxyBody>, String) {
    let (response, id) = server::gateway_error(502, code, message);
    (response.map(body::full), id.to_string())
}

/// The headers of `headers` that are end-to-end: without the hop-by-hop ones (RFC 9110
/// §7.6.1: `Connection`, those it names, `Keep-Alive`, `Proxy-Connection`, `TE`, `Trailer`,
/// `Transfer-Encoding`, `Upgrade`) and without `Host` (the upstream's is sent).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|name| name.trim().to_ascii_lowercase())
        .collect();
    let hop_by_hop = |name: &HeaderName| {
        [
            header::CONNECTION,
            header::TE,
            header::TRAILER,
            header::TRANSFER_ENCODING,
            header::UPGRADE,
            header::HOST,
        ]
        .contains(name)
            || ["keep-alive", "proxy-connection"].contains(&name.as_str())
            || named.iter().any(|named| named == name.as_str())
    };
    headers
        .iter()
        .filter(|(name, _)| !hop_by_hop(name))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect()
}

/// The upstream's answer as the client gets it: its status, its end-to-end headers, `body`.
fn passed_on(status: u16, headers: &HeaderMap, body: ProxyBody) -> Response<ProxyBody> {
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    *response.headers_mut() = end_to_end(headers);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hop_by_hop_headers_and_host_stay_behind_and_the_rest_goes_on_in_order() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("host", "proxy:8081"),
            ("connection", "keep-alive, X-Hop"),
            ("keep-alive", "timeout=5"),
            ("x-hop", "named by Connection"),
            ("te", "trailers"),
            ("transfer-encoding", "chunked"),
            ("upgrade", "h2c"),
            ("proxy-connection", "keep-alive"),
            ("x-auth-token", "t1"),
            ("x-auth-token", "t2"),
            ("content-length", "0"),
        ] {
            headers.append(
                HeaderName::from_static(name),
                http::HeaderValue::from_static(value),
            );
        }
        let kept: Vec<(String, String)> = end_to_end(&headers)
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
            .collect();
        let expected = [
            ("x-auth-token", "t1"),
            ("x-auth-token", "t2"),
            ("content-length", "0"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        assert_eq!(kept, expected);
    }
}

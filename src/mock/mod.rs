//! The faithful mock: the endpoint as the real service and its API gateway answer it.
//!
//! Its behaviour is one pure function, [`answer`], of the request (method, path, headers,
//! body) and the [`Fixture`]: no I/O and nothing kept per request, so every host serves the
//! same answers and memory stays flat. `POST /v3/auth/tokens` goes to its IAM (`iam.rs`),
//! which issues the fixture's tokens to the fixture's users. The hosts are [`server`] (the
//! shared hyper host, with limits: the embedded default target and `sms-conformance mock`)
//! and, in this crate's tests, wiremock. `server` takes the function's core (`reply`: the
//! status, the body, and what decides the headers) straight into hyper's answer, without
//! [`MockAnswer`]'s list of headers in between; a test holds it to `answer`'s bytes.
//!
//! Where the real service's answer is undocumented, the choice is an assumption of the
//! ledger (`schemas/assumptions.yaml`) and a setting of the fixture ([`Assumptions`]).

mod assumptions;
mod fixture;
mod iam;
pub mod server;

use std::borrow::Cow;

use percent_encoding::percent_decode_str;
use serde_json::json;

pub use assumptions::Assumptions;
pub use fixture::{DEFAULT_FIXTURE, Fixture, Task, Token, User};

use assumptions::{
    CheckOrder, EmptyTaskId, EmptyToken, Head, LongTaskId, LongToken, PathCase, QueryString,
    TrailingSlash, TwoTokens, UnknownTask,
};

/// The `Content-Type` of every answer, as the real gateway sends it.
pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// The header carrying the request's id.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

const PATH_PREFIX: &str = "/v3/tasks/";
/// The header a caller's IAM token comes in.
const AUTH_TOKEN: http::HeaderName = http::HeaderName::from_static("x-auth-token");
const PATH_SUFFIX: &str = "/passphrase";

/// The documented limits the mock enforces and its fixtures must keep (the page; the
/// manifest's `request` section states the same, checked by a test).
pub mod limits {
    use std::ops::RangeInclusive;

    /// Characters in a `task_id`.
    pub const TASK_ID_CHARS: RangeInclusive<usize> = 1..=36;
    /// Bytes in an `X-Auth-Token`.
    pub const TOKEN_LEN: RangeInclusive<usize> = 1..=16_384;
    /// Characters in a passphrase.
    pub const PASSPHRASE_MAX_CHARS: usize = 255;
}

/// One answer of the mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockAnswer {
    /// The status code.
    pub status: u16,
    /// The headers: `Content-Type` and `X-Request-Id` (and IAM's `X-Subject-Token`). A value
    /// known when this crate is built is not copied.
    pub headers: Vec<(&'static str, Cow<'static, str>)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl MockAnswer {
    /// Its headers as an HTTP header map.
    pub fn header_map(&self) -> http::HeaderMap {
        self.headers
            .iter()
            .filter_map(|(name, value)| {
                Some((
                    http::HeaderName::from_bytes(name.as_bytes()).ok()?,
                    http::HeaderValue::from_str(value).ok()?,
                ))
            })
            .collect()
    }
}

/// What the mock answers, before a host puts it in its own terms: [`answer`] as a
/// [`MockAnswer`], the hyper host (`server`) straight into its response, without the list
/// of headers in between.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The status code.
    pub(crate) status: u16,
    /// The JSON body.
    pub(crate) body: Vec<u8>,
    /// The token IAM issued, for its `X-Subject-Token` header.
    pub(crate) subject_token: Option<String>,
}

impl Reply {
    fn json(status: u16, body: &impl serde::Serialize) -> Reply {
        // serde_json's own writer: `Display` goes through the formatter a token at a time.
        let body = serde_json::to_vec(body).expect("a body with text keys is written");
        Reply::written(status, body)
    }

    /// A reply whose JSON `body` is written already.
    fn written(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            body,
            subject_token: None,
        }
    }

    /// The API gateway's error: `{error_code, error_msg, request_id}`.
    fn gateway_error(status: u16, code: &str, message: &str, request_id: &str) -> Reply {
        let body = GatewayError {
            error_code: code,
            error_msg: message,
            request_id,
        };
        Reply::json(status, &body)
    }

    fn sms_error(status: u16, code: &str, message: &str) -> Reply {
        let body = SmsError {
            error_code: code,
            error_msg: message,
        };
        Reply::json(status, &body)
    }

    /// The answer with its headers: `Content-Type`, `X-Request-Id` (`request_id`) and, for a
    /// token IAM issued, `X-Subject-Token`.
    fn answer(self, request_id: &str) -> MockAnswer {
        let mut headers = vec![
            ("Content-Type", Cow::Borrowed(CONTENT_TYPE)),
            (REQUEST_ID_HEADER, Cow::Owned(request_id.to_owned())),
        ];
        if let Some(token) = self.subject_token {
            headers.push((crate::iam::SUBJECT_TOKEN_HEADER, Cow::Owned(token)));
        }
        MockAnswer {
            status: self.status,
            headers,
            body: self.body,
        }
    }
}

// The bodies of the answers made most, written without building a `json!` map first. Their
// fields are in the order such a map gives them (by name), so the bytes are the same.

/// The 200's body, `{"passphrase":…,"task_id":…}`: the answer made most, so written here
/// rather than through serde_json's serializer, which escapes a byte at a time.
fn passphrase_body(task: &Task) -> Vec<u8> {
    const OPEN: &[u8] = b"{\"passphrase\":";
    const BETWEEN: &[u8] = b",\"task_id\":";
    // Four quotes and the closing brace.
    let plain = OPEN.len() + BETWEEN.len() + 5 + task.passphrase.len() + task.id.len();
    let mut body = Vec::with_capacity(plain);
    body.extend_from_slice(OPEN);
    json_string(&mut body, &task.passphrase);
    body.extend_from_slice(BETWEEN);
    json_string(&mut body, &task.id);
    body.push(b'}');
    body
}

/// Writes `text` as a JSON string: between quotes as it stands when no byte of it needs an
/// escape (a control character, `"` or `\`), else as serde_json escapes it.
fn json_string(out: &mut Vec<u8>, text: &str) {
    if !needs_escape(text.as_bytes()) {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    } else {
        serde_json::to_writer(out, text).expect("a string is written");
    }
}

/// Whether a byte of `text` needs a JSON escape: a control character, `"` or `\`.
fn needs_escape(text: &[u8]) -> bool {
    any_byte(text, |b| (b < 0x20) | (b == b'"') | (b == b'\\'))
}

/// Whether `wanted` holds for a byte of `text`. Sixteen bytes at a time, without an early
/// exit inside, so that they are compared at once (a fold over all the bytes was not: about
/// 170 instructions more an answer); past the last run of sixteen, the last sixteen bytes,
/// overlapping it, rather than the rest a byte at a time. A text shorter than sixteen is
/// read a byte at a time. On a request's target and task id this costs a third of memchr's
/// search, which has more to set up.
fn any_byte(text: &[u8], wanted: impl Fn(u8) -> bool) -> bool {
    let in_run = |run: &[u8; 16]| run.iter().fold(false, |any, &b| any | wanted(b));
    let (runs, rest) = text.as_chunks::<16>();
    match (text.last_chunk::<16>(), rest.is_empty()) {
        (None, _) => text.iter().any(|&b| wanted(b)),
        (Some(_), true) => runs.iter().any(in_run),
        (Some(last), false) => runs.iter().any(in_run) || in_run(last),
    }
}

/// The API gateway's error.
#[derive(serde::Serialize)]
struct GatewayError<'a> {
    error_code: &'a str,
    error_msg: &'a str,
    request_id: &'a str,
}

/// The service's error, without its optional fields.
#[derive(serde::Serialize)]
struct SmsError<'a> {
    error_code: &'a str,
    error_msg: &'a str,
}

/// A request id: 32 lower-case hex digits, as the real gateway's. Held in place, so that an
/// answer's id costs no allocation of its own.
#[derive(Debug, Clone, Copy)]
pub struct RequestId([u8; 32]);

impl RequestId {
    /// Its digits, as bytes: without the check that they are text, which `Deref` makes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::ops::Deref for RequestId {
    type Target = str;

    fn deref(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are text")
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self)
    }
}

/// A fresh request id: random, but not unpredictable.
pub fn new_request_id() -> RequestId {
    // A request id is told apart, not kept secret: fastrand's generator (a thread's own,
    // seeded apart) rather than a cryptographic one, and each byte's two digits from a
    // table (`Uuid::new_v4().simple()` cost about 167 instructions a request, this 128).
    let mut digits = [0; 32];
    let (pairs, _) = digits.as_chunks_mut::<2>();
    for (pair, byte) in pairs.iter_mut().zip(fastrand::u128(..).to_be_bytes()) {
        *pair = HEX_PAIRS[usize::from(byte)];
    }
    RequestId(digits)
}

/// Each byte's two lower-case hex digits.
const HEX_PAIRS: [[u8; 2]; 256] = {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut pairs = [[0; 2]; 256];
    let mut byte = 0;
    while byte < 256 {
        pairs[byte] = [DIGITS[byte >> 4], DIGITS[byte & 15]];
        byte += 1;
    }
    pairs
};

/// The answer to one request. `target` is the raw (percent-encoded) path, with its query if
/// it has one; `body` the request's body.
pub fn answer(
    fixture: &Fixture,
    method: &http::Method,
    target: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    request_id: &str,
) -> MockAnswer {
    reply(fixture, method, target, headers, body, request_id).answer(request_id)
}

/// [`answer`]'s status, body and what decides its headers.
pub(crate) fn reply(
    fixture: &Fixture,
    method: &http::Method,
    target: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    request_id: &str,
) -> Reply {
    let (path, query) = split_target(target);
    if method == http::Method::POST && path == crate::iam::TOKENS_PATH {
        return iam::answer(fixture, body);
    }
    let assumed = &fixture.assumptions;
    let head = method == http::Method::HEAD && assumed.head == Head::AsGet;
    let mut reply = match gateway(fixture, method, path, query, headers) {
        Err(refusal) => refusal.reply(request_id),
        Ok((token, task_id)) => service(fixture, token, &task_id),
    };
    if head {
        reply.body.clear();
    }
    reply
}

/// `target`'s path and its query (empty when it has none). A target with a query is read
/// twice, to the `?`: few have one.
fn split_target(target: &str) -> (&str, &str) {
    if any_byte(target.as_bytes(), |b| b == b'?') {
        target.split_once('?').expect("a `?` was seen")
    } else {
        (target, "")
    }
}

/// What the gateway refuses, before the service sees the call.
enum Refusal {
    /// 404 APIGW.0101.
    NotPublished,
    /// 401 APIGW.0301, no token.
    NoToken,
    /// 401 APIGW.0301, a token IAM did not issue.
    UnknownToken,
    /// 400 APIGW.0201, a malformed request.
    Malformed(&'static str),
}

impl Refusal {
    fn reply(&self, request_id: &str) -> Reply {
        let (status, code, message) = match self {
            Refusal::NotPublished => (
                404,
                "APIGW.0101",
                "The API does not exist or has not been published in the environment",
            ),
            Refusal::NoToken => (
                401,
                "APIGW.0301",
                "Incorrect IAM authentication information: x-auth-token not found",
            ),
            Refusal::UnknownToken => (
                401,
                "APIGW.0301",
                "Incorrect IAM authentication information: decrypt token fail",
            ),
            Refusal::Malformed(what) => (400, "APIGW.0201", *what),
        };
        Reply::gateway_error(status, code, message, request_id)
    }
}

/// The gateway: the route (only GET on the published path exists), the query, then the
/// token. Gives the caller's token and the decoded task id.
fn gateway<'f, 'p>(
    fixture: &'f Fixture,
    method: &http::Method,
    path: &'p str,
    query: &str,
    headers: &http::HeaderMap,
) -> Result<(&'f Token, Cow<'p, str>), Refusal> {
    let assumed = &fixture.assumptions;
    let get = method == http::Method::GET
        || (method == http::Method::HEAD && assumed.head == Head::AsGet);
    let task_id = route(path, assumed)
        .filter(|_| get)
        .ok_or(Refusal::NotPublished)?;
    if !query.is_empty() && assumed.query_string == QueryString::Refused {
        return Err(Refusal::Malformed("Request query string is invalid"));
    }
    // Walked, not looked up: a request has few headers, and comparing a name with each costs
    // less than hashing it.
    let mut tokens = headers
        .iter()
        .filter(|(name, _)| **name == AUTH_TOKEN)
        .map(|(_, value)| value.as_bytes());
    let token = match (tokens.next(), tokens.next()) {
        (None, _) => return Err(Refusal::NoToken),
        (Some(token), None) => token,
        (Some(first), Some(_)) if assumed.two_tokens == TwoTokens::First => first,
        _ => return Err(Refusal::Malformed("Request header X-Auth-Token is invalid")),
    };
    if token.is_empty() {
        return Err(match assumed.empty_token {
            EmptyToken::Missing => Refusal::NoToken,
            EmptyToken::Malformed => Refusal::Malformed("Request header X-Auth-Token is invalid"),
        });
    }
    if token.len() > *limits::TOKEN_LEN.end() && assumed.long_token == LongToken::Malformed {
        return Err(Refusal::Malformed("Request header X-Auth-Token is invalid"));
    }
    let token = fixture.token(token).ok_or(Refusal::UnknownToken)?;
    Ok((token, task_id))
}

/// The service's checks, in the order the fixture assumes.
fn service(fixture: &Fixture, token: &Token, task_id: &str) -> Reply {
    let assumed = &fixture.assumptions;
    let length = || {
        if task_id.is_empty() {
            return Some(invalid_task_id());
        }
        // No more characters than bytes: only a long id is counted.
        let max = *limits::TASK_ID_CHARS.end();
        let long = task_id.len() > max && task_id.chars().count() > max;
        long.then(|| match assumed.long_task_id {
            LongTaskId::Invalid => invalid_task_id(),
            LongTaskId::NotFound => no_task(),
        })
    };
    let permission = || (!token.permitted).then(forbidden);
    let task = fixture.task(task_id);
    let existence = || {
        task.is_none().then(|| match assumed.unknown_task {
            UnknownTask::NotFound => no_task(),
            UnknownTask::Forbidden => forbidden(),
        })
    };
    let refusal = match assumed.check_order {
        CheckOrder::LengthPermissionTask => length().or_else(permission).or_else(existence),
        CheckOrder::PermissionLengthTask => permission().or_else(length).or_else(existence),
        CheckOrder::LengthTaskPermission => length().or_else(existence).or_else(permission),
    };
    match (refusal, task) {
        (Some(refusal), _) => refusal,
        (None, Some(task)) => Reply::written(200, passphrase_body(task)),
        (None, None) => no_task(),
    }
}

fn invalid_task_id() -> Reply {
    Reply::sms_error(
        400,
        "SMS.0202",
        "Invalid parameter: task_id must be 1 to 36 characters",
    )
}

fn no_task() -> Reply {
    Reply::sms_error(404, "SMS.2252", "The task does not exist")
}

/// The decoded task id, if `path` is `/v3/tasks/{task_id}/passphrase` with one segment in
/// the middle, as the assumed path rules read it.
fn route<'p>(path: &'p str, assumed: &Assumptions) -> Option<Cow<'p, str>> {
    let path = match assumed.trailing_slash {
        TrailingSlash::Same => path.strip_suffix('/').unwrap_or(path),
        TrailingSlash::NotFound => path,
    };
    let strip = |text: &'_ str, prefix: &str| -> Option<usize> {
        let head = text.get(..prefix.len())?;
        let same = match assumed.path_case {
            PathCase::Sensitive => head == prefix,
            PathCase::Insensitive => head.eq_ignore_ascii_case(prefix),
        };
        same.then_some(prefix.len())
    };
    let rest = &path[strip(path, PATH_PREFIX)?..];
    let cut = rest.len().checked_sub(PATH_SUFFIX.len())?;
    strip(rest.get(cut..)?, PATH_SUFFIX)?;
    let segment = &rest[..cut];
    if segment.is_empty() && assumed.empty_task_id == EmptyTaskId::NotFound {
        return None;
    }
    // One look for both: most ids hold neither a `/` (no route) nor a `%` (an escape to
    // decode), and are taken as they stand.
    if !any_byte(segment.as_bytes(), |b| (b == b'/') | (b == b'%')) {
        Some(Cow::Borrowed(segment))
    } else if segment.contains('/') {
        None
    } else {
        Some(Cow::Owned(
            percent_decode_str(segment).decode_utf8_lossy().into_owned(),
        ))
    }
}

/// The page's 403: an IAM policy denial, every documented field present.
fn forbidden() -> Reply {
    const DENIED: &str = "You do not have permission to perform action sms:server:getTaskPassphrase on resource sms:*:*:task:*.";
    let body = json!({
        "error_code": "SMS.9004",
        "error_msg": format!("The current account does not have the permission to execute policy. {DENIED}"),
        "encoded_authorization_message": "bW9jay1lbmNvZGVkLWF1dGhvcml6YXRpb24tbWVzc2FnZQ",
        "error_param": [DENIED],
        "details": [{"error_code": "SMS.9004", "error_msg": DENIED}],
    });
    Reply::json(403, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts that need each of JSON's escapes, and texts that need none.
    const TEXTS: [&str; 12] = [
        "",
        "x",
        "d7fa81b9-c174-4c0a-a475-51a54c8af8a4",
        "Passw0rd!~ /<>&'{}[]:,é中",
        "a\"b",
        "back\\slash",
        "line\nbreak\ttab\rreturn",
        "\u{1}\u{8}\u{c}\u{1f}",
        "\u{7f} is not escaped",
        "ends with a quote\"",
        "\\",
        "a long one with an escape at the very end, past the first sixteen bytes\u{0}",
    ];

    /// The 200's body is the bytes a `json!` map of its fields writes, whether or not its
    /// texts need escapes.
    #[test]
    fn the_passphrase_body_is_what_a_json_map_writes() {
        for passphrase in TEXTS {
            for id in TEXTS {
                let task = Task {
                    id: id.to_owned(),
                    passphrase: passphrase.to_owned(),
                };
                let map = json!({"task_id": id, "passphrase": passphrase});
                assert_eq!(
                    String::from_utf8(passphrase_body(&task)).unwrap(),
                    serde_json::to_string(&map).unwrap(),
                    "passphrase {passphrase:?}, id {id:?}"
                );
            }
        }
    }

    /// Each look at a request's texts finds the bytes it is for wherever they stand, in a run
    /// of sixteen or in the rest, and no other byte: an escape in a body's text, a `/` or
    /// a `%` in a task id, a `?` in a target.
    #[test]
    fn each_look_finds_its_bytes_at_every_place() {
        let assumed = Assumptions::default();
        for len in 1..=48 {
            for at in 0..len {
                for mark in [
                    "\0", "\u{1f}", "\"", "\\", " ", "\u{7f}", "/", "%", "?", "é",
                ] {
                    // `len` letters, the one at `at` replaced with `mark` (é: two bytes).
                    let text = format!("{}{mark}{}", "x".repeat(at), "x".repeat(len - at - 1));
                    let place = format!("{mark:?} at {at} of {len}");
                    let escape = matches!(mark, "\0" | "\u{1f}" | "\"" | "\\");
                    assert_eq!(needs_escape(text.as_bytes()), escape, "{place}");
                    let path = format!("{PATH_PREFIX}{text}{PATH_SUFFIX}");
                    let id = route(&path, &assumed);
                    match mark {
                        "/" => assert_eq!(id, None, "{place}"),
                        "%" => assert!(matches!(id, Some(Cow::Owned(_))), "{place}"),
                        _ => assert_eq!(id, Some(Cow::Borrowed(text.as_str())), "{place}"),
                    }
                    let target = format!("/p{text}");
                    let expected = match mark {
                        "?" => (&target[..at + 2], &target[at + 3..]),
                        _ => (target.as_str(), ""),
                    };
                    assert_eq!(split_target(&target), expected, "{place}");
                }
            }
        }
        assert!(!needs_escape(b""));
        assert_eq!(split_target(""), ("", ""));
    }

    /// A request id is 32 lower-case hex digits, and prints as it reads.
    #[test]
    fn a_request_id_is_32_lower_case_hex_digits() {
        let id = new_request_id();
        assert_eq!(id.len(), 32);
        assert!(
            id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{id}"
        );
        assert_eq!(id.to_string(), *id);
        assert_eq!(id.as_bytes(), (*id).as_bytes());
        for byte in 0..=u8::MAX {
            assert_eq!(
                HEX_PAIRS[usize::from(byte)],
                *format!("{byte:02x}").as_bytes()
            );
        }
    }

    /// Request ids are told apart, and each of their digits takes every value.
    #[test]
    fn request_ids_differ_and_every_digit_varies() {
        let ids: Vec<RequestId> = (0..4096).map(|_| new_request_id()).collect();
        let distinct: std::collections::HashSet<&str> = ids.iter().map(|id| &**id).collect();
        assert_eq!(distinct.len(), ids.len());
        for at in 0..32 {
            let values: std::collections::HashSet<u8> = ids.iter().map(|id| id.0[at]).collect();
            assert_eq!(values.len(), 16, "digit {at} takes {values:?}");
        }
    }

    /// The typed bodies write the bytes a `json!` map of the same fields writes, escapes
    /// included: the answers are what they were.
    #[test]
    fn the_typed_bodies_write_what_a_json_map_writes() {
        let (text, other) = ("a\"b\\c/é\u{1}", "x");
        let typed = [
            serde_json::to_vec(&GatewayError {
                error_code: text,
                error_msg: other,
                request_id: text,
            })
            .unwrap(),
            serde_json::to_vec(&SmsError {
                error_code: other,
                error_msg: text,
            })
            .unwrap(),
        ];
        let maps = [
            json!({"request_id": text, "error_msg": other, "error_code": text}),
            json!({"error_msg": text, "error_code": other}),
        ];
        for (typed, map) in typed.iter().zip(maps) {
            assert_eq!(typed, &serde_json::to_vec(&map).unwrap());
        }
    }
}

//! The faithful mock: the endpoint as the real service and its API gateway answer it.
//!
//! Its behaviour is one pure function, [`answer`], of the request (method, path, headers)
//! and the [`Fixture`]: no I/O and nothing kept per request, so every host serves the same
//! answers and memory stays flat. The hosts are [`server`] (hyper, with limits: the embedded
//! default target and `sms-conformance mock`) and, in this crate's tests, wiremock.
//!
//! Where the real service's answer is undocumented, the choice is marked "assumed" here and
//! listed in the README.

mod fixture;
pub mod server;

use percent_encoding::percent_decode_str;
use serde_json::json;

pub use fixture::{DEFAULT_FIXTURE, Fixture, Task, Token};

/// The `Content-Type` of every answer, as the real gateway sends it.
pub const CONTENT_TYPE: &str = "application/json;charset=UTF-8";
/// The header carrying the request's id.
pub const REQUEST_ID_HEADER: &str = "X-Request-Id";

const PATH_PREFIX: &str = "/v3/tasks/";
const PATH_SUFFIX: &str = "/passphrase";
const TASK_ID_MAX_CHARS: usize = 36;
const TOKEN_MAX_LEN: usize = 16_384;

/// One answer of the mock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockAnswer {
    /// The status code.
    pub status: u16,
    /// The headers: `Content-Type` and `X-Request-Id`.
    pub headers: Vec<(&'static str, String)>,
    /// The JSON body.
    pub body: Vec<u8>,
}

impl MockAnswer {
    fn json(status: u16, request_id: &str, body: &serde_json::Value) -> MockAnswer {
        MockAnswer {
            status,
            headers: vec![
                ("Content-Type", CONTENT_TYPE.to_owned()),
                (REQUEST_ID_HEADER, request_id.to_owned()),
            ],
            body: body.to_string().into_bytes(),
        }
    }

    fn gateway_error(status: u16, code: &str, message: &str, request_id: &str) -> MockAnswer {
        let body = json!({"error_code": code, "error_msg": message, "request_id": request_id});
        MockAnswer::json(status, request_id, &body)
    }

    fn sms_error(status: u16, code: &str, message: &str, request_id: &str) -> MockAnswer {
        MockAnswer::json(
            status,
            request_id,
            &json!({"error_code": code, "error_msg": message}),
        )
    }
}

/// A fresh request id: 32 lower-case hex digits, as the real gateway's.
pub fn new_request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// The answer to one request. `path` is the raw (percent-encoded) path without the query.
pub fn answer(
    fixture: &Fixture,
    method: &http::Method,
    path: &str,
    headers: &http::HeaderMap,
    request_id: &str,
) -> MockAnswer {
    // The gateway: only GET on the published path exists (404 APIGW.0101 otherwise, also
    // for an empty task id segment: assumed).
    let Some(task_id) = route(path).filter(|_| method == http::Method::GET) else {
        return MockAnswer::gateway_error(
            404,
            "APIGW.0101",
            "The API does not exist or has not been published in the environment",
            request_id,
        );
    };
    // The gateway checks the token before the service sees the call.
    let tokens: Vec<&[u8]> = headers
        .get_all("x-auth-token")
        .iter()
        .map(|v| v.as_bytes())
        .collect();
    let token = match tokens.as_slice() {
        [] | [b""] => {
            return MockAnswer::gateway_error(
                401,
                "APIGW.0301",
                "Incorrect IAM authentication information: x-auth-token not found",
                request_id,
            );
        }
        // Two tokens, or one over the documented length: a malformed request (assumed).
        [token] if token.len() <= TOKEN_MAX_LEN => *token,
        _ => {
            return MockAnswer::gateway_error(
                400,
                "APIGW.0201",
                "Request header X-Auth-Token is invalid",
                request_id,
            );
        }
    };
    let Some(token) = fixture.token(token) else {
        return MockAnswer::gateway_error(
            401,
            "APIGW.0301",
            "Incorrect IAM authentication information: decrypt token fail",
            request_id,
        );
    };
    // The service: parameter check (assumed code), then permission, then the task.
    if task_id.chars().count() > TASK_ID_MAX_CHARS {
        return MockAnswer::sms_error(
            400,
            "SMS.0202",
            "Invalid parameter: task_id must be 1 to 36 characters",
            request_id,
        );
    }
    if !token.permitted {
        return forbidden(request_id);
    }
    match fixture.task(&task_id) {
        Some(task) => MockAnswer::json(
            200,
            request_id,
            &json!({"task_id": task.id, "passphrase": task.passphrase}),
        ),
        None => MockAnswer::sms_error(404, "SMS.2252", "The task does not exist", request_id),
    }
}

/// The decoded task id, if `path` is `/v3/tasks/{task_id}/passphrase` with one non-empty
/// segment in the middle.
fn route(path: &str) -> Option<String> {
    let segment = path.strip_prefix(PATH_PREFIX)?.strip_suffix(PATH_SUFFIX)?;
    if segment.is_empty() || segment.contains('/') {
        return None;
    }
    Some(percent_decode_str(segment).decode_utf8_lossy().into_owned())
}

/// The page's 403: an IAM policy denial, every documented field present.
fn forbidden(request_id: &str) -> MockAnswer {
    const DENIED: &str = "You do not have permission to perform action sms:server:getTaskPassphrase on resource sms:*:*:task:*.";
    let body = json!({
        "error_code": "SMS.9004",
        "error_msg": format!("The current account does not have the permission to execute policy. {DENIED}"),
        "encoded_authorization_message": "bW9jay1lbmNvZGVkLWF1dGhvcml6YXRpb24tbWVzc2FnZQ",
        "error_param": [DENIED],
        "details": [{"error_code": "SMS.9004", "error_msg": DENIED}],
    });
    MockAnswer::json(403, request_id, &body)
}

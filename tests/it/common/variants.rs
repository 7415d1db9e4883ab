//! The catalogue of unfaithful endpoints: the faithful behaviour with exactly one thing
//! broken, as wiremock tweaks ([`VARIANTS`]). The suite must catch every one
//! (`tests/it/catalogue.rs`); the proxy must log those the contract alone can see
//! (`tests/it/proxy.rs`).

use percent_encoding::percent_decode_str;
use serde_json::{Value as Json, json};
use sms_conformance::mock::MockAnswer;
use wiremock::Request;

use super::{Tweak, edit_json};

/// Edits the JSON body of answers with this status; others pass unchanged.
fn edit_when(answer: MockAnswer, status: u16, edit: impl FnOnce(&mut Json)) -> MockAnswer {
    if answer.status == status {
        edit_json(answer, edit)
    } else {
        answer
    }
}

fn remove(body: &mut Json, key: &str) {
    body.as_object_mut().unwrap().remove(key);
}

fn tokens(request: &Request) -> Vec<&[u8]> {
    request
        .headers
        .get_all("x-auth-token")
        .iter()
        .map(|v| v.as_bytes())
        .collect()
}

/// The task id in the path, decoded, if the path has the API's shape.
fn task_id(request: &Request) -> String {
    let segments: Vec<&str> = request.url.path().split('/').collect();
    percent_decode_str(segments.get(3).unwrap_or(&""))
        .decode_utf8_lossy()
        .into_owned()
}

/// The answer a permitted read would get: 200 with the requested id and a passphrase.
fn served(request: &Request, mut answer: MockAnswer) -> MockAnswer {
    answer.status = 200;
    answer.body = json!({"task_id": task_id(request), "passphrase": "served-anyway"})
        .to_string()
        .into_bytes();
    answer
}

fn error_code(answer: &MockAnswer) -> String {
    let body: Json = serde_json::from_slice(&answer.body).unwrap_or_default();
    body["error_code"].as_str().unwrap_or_default().to_owned()
}

/// The catalogue: each variant's name and its one change to the faithful behaviour.
pub const VARIANTS: &[(&str, Tweak)] = &[
    ("passphrase over 255 characters", super::long_passphrase),
    ("passphrase missing", |_, a| {
        edit_when(a, 200, |b| remove(b, "passphrase"))
    }),
    ("passphrase null", |_, a| {
        edit_when(a, 200, |b| b["passphrase"] = Json::Null)
    }),
    ("passphrase a number", |_, a| {
        edit_when(a, 200, |b| b["passphrase"] = json!(12345))
    }),
    ("task_id in the 200 body differs", |_, a| {
        edit_when(a, 200, |b| {
            b["task_id"] = json!("6a1b2c3d-0000-4e5f-8a9b-0123456789ab")
        })
    }),
    ("task_id missing from the 200 body", |_, a| {
        edit_when(a, 200, |b| remove(b, "task_id"))
    }),
    ("403 error_param empty", |_, a| {
        edit_when(a, 403, |b| b["error_param"] = json!([]))
    }),
    ("403 error_param with 21 items", |_, a| {
        edit_when(a, 403, |b| b["error_param"] = json!(vec!["x"; 21]))
    }),
    ("403 error_param with a non-string item", |_, a| {
        edit_when(a, 403, |b| b["error_param"] = json!([7]))
    }),
    ("403 details with 21 items", |_, a| {
        edit_when(a, 403, |b| {
            b["details"] = json!(vec![
                json!({"error_code": "SMS.9004", "error_msg": "x"});
                21
            ])
        })
    }),
    ("403 details item without error_code", |_, a| {
        edit_when(a, 403, |b| b["details"] = json!([{"error_msg": "x"}]))
    }),
    ("403 without error_code", |_, a| {
        edit_when(a, 403, |b| remove(b, "error_code"))
    }),
    ("403 error_msg over 255 characters", |_, a| {
        edit_when(a, 403, |b| b["error_msg"] = json!("m".repeat(256)))
    }),
    ("403 encoded_authorization_message over 65,535", |_, a| {
        edit_when(a, 403, |b| {
            b["encoded_authorization_message"] = json!("e".repeat(65_536))
        })
    }),
    ("200 for a missing token", |r, a| {
        if tokens(r).is_empty() {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for an empty token", |r, a| {
        if tokens(r) == [b""] { served(r, a) } else { a }
    }),
    ("200 for a 16,385-character token", |r, a| {
        if tokens(r).iter().any(|t| t.len() > 16_384) {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for a 37-character task_id", |r, a| {
        if task_id(r).chars().count() > 36 {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for an unknown task", |r, a| {
        if error_code(&a) == "SMS.2252" {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for a forbidden token", |r, a| {
        if a.status == 403 { served(r, a) } else { a }
    }),
    ("500 for a forbidden token", |_, mut a| {
        if a.status == 403 {
            a.status = 500;
        }
        a
    }),
    ("200 for two tokens", |r, a| {
        if tokens(r).len() > 1 { served(r, a) } else { a }
    }),
    ("every path and method served", |r, a| {
        if error_code(&a) == "APIGW.0101" {
            served(r, a)
        } else {
            a
        }
    }),
    ("%3F in the task id decoded as a query", |r, a| {
        let path = r.url.path();
        if path.contains("%3F") {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 served as text/plain", |_, mut a| {
        if a.status == 200 {
            a.headers.retain(|(name, _)| *name != "Content-Type");
            a.headers.push(("Content-Type", "text/plain".into()));
        }
        a
    }),
    ("no Content-Type at all", |_, mut a| {
        a.headers.retain(|(name, _)| *name != "Content-Type");
        a
    }),
    ("a body that is not JSON", |_, mut a| {
        a.body = b"<html><body>OK</body></html>".to_vec();
        a
    }),
    ("302 redirect to itself", |r, mut a| {
        a.status = 302;
        a.headers.push(("Location", r.url.to_string().into()));
        a.body.clear();
        a
    }),
    ("no X-Request-Id", |_, mut a| {
        a.headers.retain(|(name, _)| *name != "X-Request-Id");
        a
    }),
    ("gateway 401 without error_code", |_, a| {
        edit_when(a, 401, |b| remove(b, "error_code"))
    }),
    ("gateway 401 with the service's error_param", |_, a| {
        edit_when(a, 401, |b| b["error_param"] = json!(["x"]))
    }),
];

//! The runner against wiremock stubs of the faithful behaviour with one thing changed on
//! purpose: each change makes the case that guards against it fail, naming the cause.

use crate::common;

use std::time::{Duration, Instant};

use common::{Harness, Tweak, edit_json, faithful, long_passphrase};
use rstest::rstest;
use serde_json::json;
use sms_conformance::mock::MockAnswer;
use sms_conformance::{Mismatch, Problem, TransportError};
use wiremock::Request;

fn too_many_error_params(_: &Request, answer: MockAnswer) -> MockAnswer {
    if answer.status != 403 {
        return answer;
    }
    edit_json(answer, |body| {
        body["error_param"] = json!(vec!["denied"; 21])
    })
}

fn missing_token_answered(request: &Request, answer: MockAnswer) -> MockAnswer {
    if request.headers.contains_key("x-auth-token") {
        return answer;
    }
    let mut answer = edit_json(answer, |body| {
        *body = json!({"task_id": "d7fa81b9-c174-4c0a-a475-51a54c8af8a4", "passphrase": "leaked"})
    });
    answer.status = 200;
    answer
}

fn html_body(_: &Request, mut answer: MockAnswer) -> MockAnswer {
    answer.body = b"<html><body>Service Unavailable</body></html>".to_vec();
    answer
}

fn no_request_id(_: &Request, mut answer: MockAnswer) -> MockAnswer {
    answer.headers.retain(|(name, _)| *name != "X-Request-Id");
    answer
}

fn other_task_id(_: &Request, answer: MockAnswer) -> MockAnswer {
    if answer.status != 200 {
        return answer;
    }
    edit_json(answer, |body| {
        body["task_id"] = json!("6a1b2c3d-0000-4e5f-8a9b-0123456789ab")
    })
}

/// What a problem must be.
type Expect = fn(&Problem) -> bool;

/// A schema violation with this keyword at this body pointer.
fn violation(problem: &Problem, keyword: &str, at: &str) -> bool {
    matches!(problem, Problem::Schema(violations)
        if violations.iter().any(|v| v.keyword == keyword && v.instance_path.as_str() == at))
}

fn passphrase_too_long(p: &Problem) -> bool {
    violation(p, "maxLength", "/passphrase")
}

fn error_param_too_long(p: &Problem) -> bool {
    violation(p, "maxItems", "/error_param")
}

fn served_200(p: &Problem) -> bool {
    matches!(p, Problem::Status { got: 200, .. })
}

fn error_code_missing(p: &Problem) -> bool {
    matches!(p, Problem::Body { pointer, mismatch: Mismatch::MissingExpected(expected) }
        if pointer.as_str() == "/error_code" && *expected == json!("APIGW.0301"))
}

fn not_json(p: &Problem) -> bool {
    matches!(p, Problem::NotJson(_))
}

fn request_id_missing(p: &Problem) -> bool {
    matches!(p, Problem::MissingHeader(name) if name.as_str() == "x-request-id")
}

fn task_id_differs(p: &Problem) -> bool {
    matches!(p, Problem::Body { pointer, mismatch: Mismatch::NotEqual { got, expected } }
        if pointer.as_str() == "/task_id"
            && *got == json!("6a1b2c3d-0000-4e5f-8a9b-0123456789ab")
            && *expected == json!("d7fa81b9-c174-4c0a-a475-51a54c8af8a4"))
}

#[rstest]
#[case::passphrase_over_255(long_passphrase, "read/valid-call", &[passphrase_too_long as Expect])]
#[case::error_param_over_20(too_many_error_params, "auth/forbidden-token", &[error_param_too_long as Expect])]
#[case::missing_token_answered_200(missing_token_answered, "auth/missing-token", &[served_200 as Expect, error_code_missing])]
#[case::body_not_json(html_body, "read/valid-call", &[not_json as Expect])]
#[case::no_request_id(no_request_id, "read/valid-call", &[request_id_missing as Expect])]
#[case::task_id_not_echoed(other_task_id, "read/valid-call", &[task_id_differs as Expect])]
fn an_unfaithful_answer_fails_its_case_naming_the_cause(
    #[case] tweak: Tweak,
    #[case] id: &str,
    #[case] expected: &[Expect],
) {
    let harness = Harness::new();
    let server = harness.stub(tweak, None);
    let result = harness.run(&server.uri(), id, Duration::from_secs(10));
    let problems = common::problems(&result);
    for (index, expected) in expected.iter().enumerate() {
        assert!(
            problems.iter().any(expected),
            "{id}: expectation {index} not met by {problems:#?}"
        );
    }
}

#[test]
fn a_slow_answer_fails_at_the_timeout_not_after_it() {
    let harness = Harness::new();
    let server = harness.stub(faithful, Some(Duration::from_secs(5)));
    let started = Instant::now();
    let result = harness.run(&server.uri(), "read/valid-call", Duration::from_secs(1));
    let elapsed = started.elapsed();
    assert_eq!(
        common::problems(&result),
        [Problem::Transport(TransportError::Timeout(
            Duration::from_secs(1)
        ))]
    );
    assert!(
        elapsed < Duration::from_secs(4),
        "the case waited {elapsed:?}"
    );
}

#[test]
fn the_faithful_behaviour_on_wiremock_passes_every_case() {
    let harness = Harness::new();
    let server = harness.stub(faithful, None);
    let failed: Vec<_> = harness.run_all(&server.uri());
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
fn a_failure_never_shows_the_passphrase_it_received() {
    let harness = Harness::new();
    let server = harness.stub(missing_token_answered, None);
    let result = harness.run(&server.uri(), "auth/missing-token", Duration::from_secs(10));
    let message = common::failure_text(&result);
    assert!(!message.contains("leaked"), "{message}");
    assert!(message.contains("\"passphrase\":\"********\""), "{message}");
}

/// An exchange keeps what made its request (its case and its target), not the request: the
/// request it gives the reports is the one the target received, generated values and all.
#[test]
fn the_request_an_exchange_gives_is_the_one_the_target_received() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("big.yaml"),
        "request:\n  task_id: {repeat: \"é/\", count: 3000}\n  token: ${token}\n  headers:\n    X-Big: {repeat: ab, count: 4000}\nexpect:\n  status: [400, 404]\n",
    )
    .unwrap();
    let harness = Harness::with_cases(dir.path());
    let server = harness.stub(faithful, None);
    let result = harness.run(&server.uri(), "big", Duration::from_secs(10));
    let request = result.exchange.as_ref().expect("it was sent").request();
    let received = harness
        .runtime
        .block_on(server.received_requests())
        .unwrap();
    let [received] = received.as_slice() else {
        panic!("{} requests received", received.len());
    };
    // The path as sent; wiremock names the host by its own address.
    let sent = request.url.strip_prefix(&server.uri()).unwrap();
    let got = received.url.path();
    let differ = sent.bytes().zip(got.bytes()).position(|(x, y)| x != y);
    assert!(
        sent == got,
        "{} and {} bytes, from {differ:?}",
        sent.len(),
        got.len()
    );
    assert!(sent.len() > 27_000, "{}", sent.len());
    assert_eq!(request.method, received.method);
    for (name, value) in &request.headers {
        let got = received.headers.get(name.as_str()).map(|v| v.as_bytes());
        assert_eq!(got, Some(value.as_bytes()), "{name}");
    }
    let big = |(name, value): &(String, String)| {
        name.eq_ignore_ascii_case("x-big") && value.len() == 8000
    };
    assert!(request.headers.iter().any(big));
}

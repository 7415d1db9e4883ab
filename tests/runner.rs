//! The runner against wiremock stubs of the faithful behaviour with one thing changed on
//! purpose: each change makes the case that guards against it fail, naming the cause.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, Tweak, edit_json, faithful, long_passphrase};
use rstest::rstest;
use serde_json::json;
use sms_conformance::Outcome;
use sms_conformance::mock::MockAnswer;
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

#[rstest]
#[case::passphrase_over_255(long_passphrase, "read/valid-call", &["/passphrase", "maxLength", "longer than 255"])]
#[case::error_param_over_20(too_many_error_params, "auth/forbidden-token", &["/error_param", "maxItems"])]
#[case::missing_token_answered_200(missing_token_answered, "auth/missing-token", &["status 200, expected 401", "/error_code: missing"])]
#[case::body_not_json(html_body, "read/valid-call", &["the body is not JSON", "<html>"])]
#[case::no_request_id(no_request_id, "read/valid-call", &["header x-request-id is missing"])]
#[case::task_id_not_echoed(other_task_id, "read/valid-call", &["/task_id: \"6a1b2c3d-0000-4e5f-8a9b-0123456789ab\", expected \"d7fa81b9-c174-4c0a-a475-51a54c8af8a4\""])]
fn an_unfaithful_answer_fails_its_case_naming_the_cause(
    #[case] tweak: Tweak,
    #[case] id: &str,
    #[case] expected: &[&str],
) {
    let harness = Harness::new();
    let server = harness.stub(tweak, None);
    let Outcome::Failed(message) = harness.run(&server.uri(), id, Duration::from_secs(10)) else {
        panic!("{id} passed against an unfaithful stub");
    };
    for needle in expected {
        assert!(
            message.contains(needle),
            "{id}: `{needle}` not in:\n{message}"
        );
    }
    assert!(message.contains(&format!("case: {id}")), "{message}");
}

#[test]
fn a_slow_answer_fails_at_the_timeout_not_after_it() {
    let harness = Harness::new();
    let server = harness.stub(faithful, Some(Duration::from_secs(5)));
    let started = Instant::now();
    let outcome = harness.run(&server.uri(), "read/valid-call", Duration::from_secs(1));
    let elapsed = started.elapsed();
    let Outcome::Failed(message) = outcome else {
        panic!("a 5 s answer passed a 1 s timeout")
    };
    assert!(
        message.contains("no complete answer within the timeout of 1s"),
        "{message}"
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
    assert_eq!(harness.run_all(&server.uri()), Vec::new());
}

#[test]
fn a_failure_never_shows_the_passphrase_it_received() {
    let harness = Harness::new();
    let server = harness.stub(missing_token_answered, None);
    let Outcome::Failed(message) =
        harness.run(&server.uri(), "auth/missing-token", Duration::from_secs(10))
    else {
        panic!("the stub was not caught");
    };
    assert!(!message.contains("leaked"), "{message}");
    assert!(message.contains("\"passphrase\":\"********\""), "{message}");
}

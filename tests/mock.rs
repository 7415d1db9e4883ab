//! The mock's behaviour as a pure function: each documented (or assumed) answer.

mod common;

use common::builtin_token;
use rstest::rstest;
use sms_conformance::mock::Fixture;
use sms_conformance::mock::{CONTENT_TYPE, answer};

const TASK: &str = "d7fa81b9-c174-4c0a-a475-51a54c8af8a4";

#[rstest]
#[case::permitted("GET", format!("/v3/tasks/{TASK}/passphrase"), vec![builtin_token("token")], 200, None)]
#[case::forbidden("GET", format!("/v3/tasks/{TASK}/passphrase"), vec![builtin_token("forbidden_token")], 403, Some("SMS.9004"))]
#[case::no_builtin_token("GET", format!("/v3/tasks/{TASK}/passphrase"), vec![], 401, Some("APIGW.0301"))]
#[case::empty_builtin_token("GET", format!("/v3/tasks/{TASK}/passphrase"), vec![String::new()], 401, Some("APIGW.0301"))]
#[case::unknown_builtin_token("GET", format!("/v3/tasks/{TASK}/passphrase"), vec!["nope".into()], 401, Some("APIGW.0301"))]
#[case::token_16384("GET", format!("/v3/tasks/{TASK}/passphrase"), vec!["a".repeat(16_384)], 401, Some("APIGW.0301"))]
#[case::token_16385("GET", format!("/v3/tasks/{TASK}/passphrase"), vec!["a".repeat(16_385)], 400, Some("APIGW.0201"))]
#[case::two_tokens("GET", format!("/v3/tasks/{TASK}/passphrase"), vec![builtin_token("token"), builtin_token("token")], 400, Some("APIGW.0201"))]
#[case::unknown_task("GET", "/v3/tasks/nope/passphrase".into(), vec![builtin_token("token")], 404, Some("SMS.2252"))]
#[case::task_id_36("GET", format!("/v3/tasks/{}/passphrase", "a".repeat(36)), vec![builtin_token("token")], 404, Some("SMS.2252"))]
#[case::task_id_37("GET", format!("/v3/tasks/{}/passphrase", "a".repeat(37)), vec![builtin_token("token")], 400, Some("SMS.0202"))]
#[case::task_id_empty("GET", "/v3/tasks//passphrase".into(), vec![builtin_token("token")], 404, Some("APIGW.0101"))]
#[case::encoded_slash("GET", "/v3/tasks/a%2Fb/passphrase".into(), vec![builtin_token("token")], 404, Some("SMS.2252"))]
#[case::wrong_method("POST", format!("/v3/tasks/{TASK}/passphrase"), vec![builtin_token("token")], 404, Some("APIGW.0101"))]
#[case::wrong_path("GET", format!("/v3/tasks/{TASK}/passphrases"), vec![builtin_token("token")], 404, Some("APIGW.0101"))]
#[case::nested_path("GET", format!("/v3/tasks/{TASK}/x/passphrase"), vec![builtin_token("token")], 404, Some("APIGW.0101"))]
fn the_mock_answers_as_the_service_and_gateway_would(
    #[case] method: &str,
    #[case] path: String,
    #[case] tokens: Vec<String>,
    #[case] status: u16,
    #[case] error_code: Option<&str>,
) {
    let mut headers = http::HeaderMap::new();
    for token in tokens {
        headers.append("x-auth-token", token.parse().unwrap());
    }
    let method = http::Method::from_bytes(method.as_bytes()).unwrap();
    let answer = answer(&Fixture::builtin(), &method, &path, &headers, "0123");
    assert_eq!(answer.status, status);
    assert!(
        answer
            .headers
            .contains(&("Content-Type", CONTENT_TYPE.to_owned()))
    );
    assert!(
        answer
            .headers
            .contains(&("X-Request-Id", "0123".to_owned()))
    );
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["error_code"].as_str(), error_code, "{body}");
    if status == 200 {
        assert_eq!(body["task_id"], TASK);
        assert_eq!(body["passphrase"], Fixture::builtin().tasks[0].passphrase);
    }
}

#[test]
fn gateway_errors_carry_the_request_id_in_the_body_too() {
    let path = format!("/v3/tasks/{TASK}/passphrase");
    let answer = answer(
        &Fixture::builtin(),
        &http::Method::GET,
        &path,
        &http::HeaderMap::new(),
        "abc",
    );
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body["request_id"], "abc");
}

#[test]
fn the_builtin_fixture_provides_every_variable() {
    let variables = Fixture::builtin().variables();
    for variable in sms_conformance::Variable::ALL {
        assert!(variables.get(variable).is_some(), "{variable}");
    }
}

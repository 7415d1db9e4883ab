//! The mock's behaviour as a pure function: each documented (or assumed) answer.

use crate::common;

use common::builtin_token;
use rstest::rstest;
use sms_conformance::mock::Fixture;
use sms_conformance::mock::{Assumptions, CONTENT_TYPE, answer};

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
#[case::task_id_36_two_byte_letters("GET", format!("/v3/tasks/{}/passphrase", "%C3%A9".repeat(36)), vec![builtin_token("token")], 404, Some("SMS.2252"))]
#[case::task_id_37_two_byte_letters("GET", format!("/v3/tasks/{}/passphrase", "%C3%A9".repeat(37)), vec![builtin_token("token")], 400, Some("SMS.0202"))]
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
    let answer = answer(&Fixture::builtin(), &method, &path, &headers, b"", "0123");
    assert_eq!(answer.status, status);
    assert!(
        answer
            .headers
            .contains(&("Content-Type", CONTENT_TYPE.into()))
    );
    assert!(answer.headers.contains(&("X-Request-Id", "0123".into())));
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
        b"",
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

#[test]
fn the_ledger_and_the_mock_settings_name_the_same_assumptions_and_values() {
    let contract = common::contract();
    let ledger: Vec<(String, Vec<String>)> = contract
        .ledger()
        .iter()
        .map(|(id, assumption)| {
            let mut values = vec![assumption.mock.value.clone()];
            values.extend(assumption.alternatives.keys().cloned());
            (id.to_owned(), values)
        })
        .collect();
    let settings: Vec<(String, Vec<String>)> = Assumptions::values()
        .into_iter()
        .map(|(id, values)| {
            let mut values: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
            values[1..].sort();
            (id.to_owned(), values)
        })
        .collect();
    assert_eq!(ledger, settings);
}

/// The answer of the built-in fixture with one assumption set to `value`.
fn answer_with(
    id: &str,
    value: &str,
    method: &str,
    target: &str,
    tokens: &[&str],
) -> (u16, serde_json::Value) {
    let mut fixture = Fixture::builtin();
    fixture.assumptions = fixture.assumptions.with(id, value).expect("a setting");
    let mut headers = http::HeaderMap::new();
    for token in tokens {
        headers.append("x-auth-token", token.parse().unwrap());
    }
    let method = http::Method::from_bytes(method.as_bytes()).unwrap();
    let answer = answer(&fixture, &method, target, &headers, b"", "r");
    let body = serde_json::from_slice(&answer.body).unwrap_or_default();
    (answer.status, body)
}

#[rstest]
#[case::empty_token_missing("empty-token", "missing", "GET", "", &[""], 401, "APIGW.0301")]
#[case::empty_token_malformed("empty-token", "malformed", "GET", "", &[""], 400, "APIGW.0201")]
#[case::long_token_malformed("long-token", "malformed", "GET", "", &["LONG"], 400, "APIGW.0201")]
#[case::long_token_unknown("long-token", "unknown", "GET", "", &["LONG"], 401, "APIGW.0301")]
#[case::two_tokens_refused("two-tokens", "refused", "GET", "", &["TOKEN", "nope"], 400, "APIGW.0201")]
#[case::two_tokens_first("two-tokens", "first", "GET", "", &["TOKEN", "nope"], 200, "")]
#[case::long_task_id_invalid("long-task-id", "invalid", "GET", "LONGID", &["TOKEN"], 400, "SMS.0202")]
#[case::long_task_id_not_found("long-task-id", "not-found", "GET", "LONGID", &["TOKEN"], 404, "SMS.2252")]
#[case::unknown_task_not_found("unknown-task", "not-found", "GET", "UNKNOWN", &["TOKEN"], 404, "SMS.2252")]
#[case::unknown_task_forbidden("unknown-task", "forbidden", "GET", "UNKNOWN", &["TOKEN"], 403, "SMS.9004")]
#[case::order_length_first("check-order", "length-permission-task", "GET", "LONGID", &["DENIED"], 400, "SMS.0202")]
#[case::order_permission_first("check-order", "permission-length-task", "GET", "LONGID", &["DENIED"], 403, "SMS.9004")]
#[case::order_permission_before_task("check-order", "length-permission-task", "GET", "UNKNOWN", &["DENIED"], 403, "SMS.9004")]
#[case::order_task_before_permission("check-order", "length-task-permission", "GET", "UNKNOWN", &["DENIED"], 404, "SMS.2252")]
#[case::query_ignored("query-string", "ignored", "GET", "?limit=1", &["TOKEN"], 200, "")]
#[case::query_refused("query-string", "refused", "GET", "?limit=1", &["TOKEN"], 400, "APIGW.0201")]
#[case::head_not_found("head", "not-found", "HEAD", "", &["TOKEN"], 404, "APIGW.0101")]
#[case::head_as_get("head", "as-get", "HEAD", "", &["TOKEN"], 200, "")]
#[case::trailing_slash_not_found("trailing-slash", "not-found", "GET", "/", &["TOKEN"], 404, "APIGW.0101")]
#[case::trailing_slash_same("trailing-slash", "same", "GET", "/", &["TOKEN"], 200, "")]
#[case::path_case_sensitive("path-case", "sensitive", "GET", "UPPER", &["TOKEN"], 404, "APIGW.0101")]
#[case::path_case_insensitive("path-case", "insensitive", "GET", "UPPER", &["TOKEN"], 200, "")]
#[case::empty_task_id_not_found("empty-task-id", "not-found", "GET", "EMPTY", &["TOKEN"], 404, "APIGW.0101")]
#[case::empty_task_id_invalid("empty-task-id", "invalid", "GET", "EMPTY", &["TOKEN"], 400, "SMS.0202")]
fn each_assumption_setting_answers_as_the_ledger_says(
    #[case] id: &str,
    #[case] value: &str,
    #[case] method: &str,
    #[case] what: &str,
    #[case] tokens: &[&str],
    #[case] status: u16,
    #[case] error_code: &str,
) {
    let target = match what {
        "LONGID" => format!("/v3/tasks/{}/passphrase", "a".repeat(37)),
        "UNKNOWN" => "/v3/tasks/00000000-0000-0000-0000-000000000000/passphrase".to_owned(),
        "UPPER" => format!("/V3/TASKS/{TASK}/PASSPHRASE"),
        "EMPTY" => "/v3/tasks//passphrase".to_owned(),
        suffix => format!("/v3/tasks/{TASK}/passphrase{suffix}"),
    };
    let tokens: Vec<String> = tokens
        .iter()
        .map(|t| match *t {
            "TOKEN" => builtin_token("token"),
            "DENIED" => builtin_token("forbidden_token"),
            "LONG" => "a".repeat(16_385),
            other => other.to_owned(),
        })
        .collect();
    let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let (got, body) = answer_with(id, value, method, &target, &tokens);
    assert_eq!(got, status, "{id}: {value}: {body}");
    assert_eq!(
        body["error_code"].as_str().unwrap_or_default(),
        error_code,
        "{body}"
    );
}

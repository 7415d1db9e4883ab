//! Every documented limit of the contract: a body at the limit is valid, one past it is not,
//! and the reason names the JSON pointer and the keyword.

use crate::common;

use std::sync::LazyLock;

use rstest::rstest;
use serde_json::{Value as Json, json};
use sms_conformance::Contract;

static CONTRACT: LazyLock<Contract> =
    LazyLock::new(|| Contract::load(&common::schemas_dir()).expect("the shipped schemas load"));

fn text(len: usize) -> Json {
    json!("x".repeat(len))
}

fn ok_200() -> Json {
    json!({"task_id": "d7fa81b9-c174-4c0a-a475-51a54c8af8a4", "passphrase": "secret"})
}

fn ok_403() -> Json {
    json!({"error_code": "SMS.9004", "error_msg": "denied"})
}

fn detail() -> Json {
    json!({"error_code": "SMS.9004", "error_msg": "denied"})
}

fn with(mut body: Json, key: &str, value: Json) -> Json {
    body[key] = value;
    body
}

fn without(mut body: Json, key: &str) -> Json {
    body.as_object_mut().unwrap().remove(key);
    body
}

/// `None`: valid. `Some((pointer, keyword))`: invalid for that reason.
type Verdict = Option<(&'static str, &'static str)>;

#[rstest]
// 200
#[case::task_id_255("passphrase", with(ok_200(), "task_id", text(255)), None)]
#[case::task_id_256("passphrase", with(ok_200(), "task_id", text(256)), Some(("/task_id", "maxLength")))]
#[case::passphrase_0("passphrase", with(ok_200(), "passphrase", text(0)), None)]
#[case::passphrase_255("passphrase", with(ok_200(), "passphrase", text(255)), None)]
#[case::passphrase_256("passphrase", with(ok_200(), "passphrase", text(256)), Some(("/passphrase", "maxLength")))]
#[case::passphrase_number("passphrase", with(ok_200(), "passphrase", json!(42)), Some(("/passphrase", "type")))]
#[case::passphrase_missing("passphrase", without(ok_200(), "passphrase"), Some(("", "required")))]
#[case::task_id_missing("passphrase", without(ok_200(), "task_id"), Some(("", "required")))]
#[case::body_array("passphrase", json!([]), Some(("", "type")))]
// 403
#[case::error_code_255("sms-error", with(ok_403(), "error_code", text(255)), None)]
#[case::error_code_256("sms-error", with(ok_403(), "error_code", text(256)), Some(("/error_code", "maxLength")))]
#[case::error_msg_255("sms-error", with(ok_403(), "error_msg", text(255)), None)]
#[case::error_msg_256("sms-error", with(ok_403(), "error_msg", text(256)), Some(("/error_msg", "maxLength")))]
#[case::error_code_missing("sms-error", without(ok_403(), "error_code"), Some(("", "required")))]
#[case::error_msg_missing("sms-error", without(ok_403(), "error_msg"), Some(("", "required")))]
#[case::encoded_65535(
    "sms-error",
    with(ok_403(), "encoded_authorization_message", text(65535)),
    None
)]
#[case::encoded_65536("sms-error", with(ok_403(), "encoded_authorization_message", text(65536)), Some(("/encoded_authorization_message", "maxLength")))]
#[case::error_param_0("sms-error", with(ok_403(), "error_param", json!([])), Some(("/error_param", "minItems")))]
#[case::error_param_1("sms-error", with(ok_403(), "error_param", json!(["a"])), None)]
#[case::error_param_20("sms-error", with(ok_403(), "error_param", json!(vec!["a"; 20])), None)]
#[case::error_param_21("sms-error", with(ok_403(), "error_param", json!(vec!["a"; 21])), Some(("/error_param", "maxItems")))]
#[case::error_param_item_65535("sms-error", with(ok_403(), "error_param", json!([text(65535)])), None)]
#[case::error_param_item_65536("sms-error", with(ok_403(), "error_param", json!([text(65536)])), Some(("/error_param/0", "maxLength")))]
#[case::error_param_item_number("sms-error", with(ok_403(), "error_param", json!([1])), Some(("/error_param/0", "type")))]
#[case::details_0("sms-error", with(ok_403(), "details", json!([])), Some(("/details", "minItems")))]
#[case::details_1("sms-error", with(ok_403(), "details", json!([detail()])), None)]
#[case::details_20("sms-error", with(ok_403(), "details", json!(vec![detail(); 20])), None)]
#[case::details_21("sms-error", with(ok_403(), "details", json!(vec![detail(); 21])), Some(("/details", "maxItems")))]
#[case::detail_code_65535("sms-error", with(ok_403(), "details", json!([with(detail(), "error_code", text(65535))])), None)]
#[case::detail_code_65536("sms-error", with(ok_403(), "details", json!([with(detail(), "error_code", text(65536))])), Some(("/details/0/error_code", "maxLength")))]
#[case::detail_msg_65536("sms-error", with(ok_403(), "details", json!([with(detail(), "error_msg", text(65536))])), Some(("/details/0/error_msg", "maxLength")))]
#[case::detail_code_missing("sms-error", with(ok_403(), "details", json!([without(detail(), "error_code")])), Some(("/details/0", "required")))]
// gateway
#[case::gateway_ok("gateway-error", json!({"error_code": "APIGW.0301", "error_msg": "x", "request_id": "r"}), None)]
#[case::gateway_no_code("gateway-error", json!({"error_msg": "x", "request_id": "r"}), Some(("", "required")))]
#[case::gateway_with_sms_field("gateway-error", json!({"error_code": "x", "error_msg": "y", "details": []}), Some(("/details", "falseSchema")))]
#[case::gateway_code_number("gateway-error", json!({"error_code": 301, "error_msg": "x"}), Some(("/error_code", "type")))]
fn each_documented_limit_holds(#[case] schema: &str, #[case] body: Json, #[case] verdict: Verdict) {
    let violations = CONTRACT.validate(schema, &body).expect("the schema exists");
    match verdict {
        None => assert!(violations.is_empty(), "expected valid, got {violations:?}"),
        Some((pointer, keyword)) => assert!(
            violations
                .iter()
                .any(|v| v.instance_path.as_str() == pointer && v.keyword == keyword),
            "expected {keyword} at `{pointer}`, got {violations:?}"
        ),
    }
}

#[test]
fn the_detail_limit_is_reached_through_the_local_ref() {
    let body = with(
        ok_403(),
        "details",
        json!([with(detail(), "error_code", text(65536))]),
    );
    let violations = CONTRACT.validate("sms-error", &body).unwrap();
    assert_eq!(
        violations[0].schema_path.as_str(),
        "/properties/details/items/$ref/properties/error_code/maxLength",
        "{violations:?}"
    );
}

#[rstest]
#[case::ok_200(200, ok_200(), true)]
#[case::bad_200(200, with(ok_200(), "passphrase", text(256)), false)]
#[case::gateway_body_on_401(401, json!({"error_code": "APIGW.0301", "error_msg": "x"}), true)]
#[case::no_code_on_401(401, json!({"error_msg": "x"}), false)]
#[case::sms_or_gateway_on_400(400, json!({"error_code": "SMS.0202", "error_msg": "x"}), true)]
#[case::error_param_21_on_400(400, with(ok_403(), "error_param", json!(vec!["a"; 21])), false)]
#[case::error_param_1_on_400(400, with(ok_403(), "error_param", json!(["a"])), true)]
#[case::no_msg_on_400(400, json!({"error_code": "SMS.0202"}), false)]
fn the_manifest_picks_the_schema_by_status(
    #[case] status: u16,
    #[case] body: Json,
    #[case] valid: bool,
) {
    let violations = CONTRACT.check_body(status, &body);
    assert_eq!(violations == Some(Vec::new()), valid, "{violations:?}");
}

#[test]
fn a_status_without_a_row_has_no_schema() {
    assert_eq!(CONTRACT.check_body(500, &json!({})), None);
    assert_eq!(CONTRACT.check_body(302, &json!({})), None);
}

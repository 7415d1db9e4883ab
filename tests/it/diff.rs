//! `sms-conformance diff`: the mock against itself agrees; against the mock with one
//! assumption read another way it differs in cases resting on that assumption and names,
//! for every difference, the fixture setting that would make it agree; against an
//! unfaithful variant it differs where the variant breaks. The assumption tests use the
//! shipped cases: the claim under test is that the shipped suite sees every assumption.
//! The others use the tests' own cases.

use crate::common;

use common::binary::{Run, builtin_env, run};
use serde_json::Value as Json;
use sms_conformance::mock::{Assumptions, Fixture};
use wiremock::MockServer;

/// `diff` of the embedded mock against `server` over the cases in `cases`, with its JSON
/// report.
async fn diff(server: &MockServer, cases: &str, filters: &[&str]) -> (Run, Json) {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("diff.json");
    let uri = server.uri();
    let mut args = vec![
        "diff",
        "--cases",
        cases,
        "--base-url",
        &uri,
        "--report-json",
        report.to_str().unwrap(),
    ];
    args.extend_from_slice(filters);
    let output = run(&args, &builtin_env()).await;
    let json = std::fs::read(&report)
        .map(|bytes| serde_json::from_slice(&bytes).unwrap())
        .unwrap_or(Json::Null);
    if !json.is_null() {
        check_schema(&json);
    }
    (output, json)
}

fn check_schema(report: &Json) {
    let schema: Json = serde_json::from_slice(
        &std::fs::read(common::root().join("schemas/report/diff.schema.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

/// The ids of the cases the report says differ.
fn differing(report: &Json) -> Vec<String> {
    report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["same"] == false)
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_mock_against_itself_agrees() {
    let server = common::stub_fixture(Fixture::builtin()).await;
    let (output, report) = diff(&server, "cases", &[]).await;
    assert_eq!(output.code, 0, "{}", output.all());
    assert!(
        output
            .stdout
            .starts_with("A: embedded mock (built-in fixture)\nB: "),
        "{}",
        output.stdout
    );
    assert!(
        output.stdout.contains("same     read/valid-call"),
        "{}",
        output.stdout
    );
    assert_eq!(differing(&report), Vec::<String>::new());
    assert!(
        report["summary"]["compared"].as_u64().unwrap() > 20,
        "{report}"
    );
}

#[tokio::test]
async fn one_assumption_read_another_way_differs_and_every_difference_names_the_setting() {
    let cases = common::load_cases(&common::cases_dir()).unwrap();
    for (id, values) in Assumptions::values() {
        for value in &values[1..] {
            let mut fixture = Fixture::builtin();
            fixture.assumptions = fixture.assumptions.with(id, value).unwrap();
            let server = common::stub_fixture(fixture).await;
            let (output, report) = diff(&server, "cases", &[]).await;
            assert_eq!(output.code, 1, "{id}: {value}: {}", output.all());
            let found = differing(&report);
            assert!(
                found
                    .iter()
                    .any(|f| cases.iter().any(|c| c.id == *f && c.assumes.contains(id))),
                "{id}: {value}: no case resting on it differs: {found:?}"
            );
            // Whatever differs (also a case whose expectation holds either way, such as an
            // encoding case sending an over-long id), the report names the setting.
            for case in report["cases"].as_array().unwrap() {
                if case["same"] == true {
                    continue;
                }
                let settings = &case["agreeing_settings"];
                assert!(
                    settings
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|s| s["assumption"] == id && s["value"] == *value),
                    "{id}: {value}: {} names {settings}",
                    case["id"]
                );
            }
            let named =
                format!("the mock agrees with `assumptions: {{{id}: {value}}}` in its fixture");
            assert!(
                output.stdout.contains(&named),
                "{id}: {value}:\n{}",
                output.stdout
            );
        }
    }
}

#[tokio::test]
async fn an_unfaithful_variant_differs_where_it_breaks() {
    let server = common::stub(common::long_passphrase).await;
    let cases = common::data_cases();
    let (output, report) = diff(&server, cases.to_str().unwrap(), &["read/", "auth/missing"]).await;
    assert_eq!(output.code, 1, "{}", output.all());
    assert_eq!(differing(&report), ["read/valid-call"]);
    let case = report["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "read/valid-call")
        .unwrap();
    let contract = case["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["aspect"] == "contract")
        .expect("the contract aspect differs");
    assert_eq!(contract["a"], "valid");
    assert_eq!(contract["b"], "breaks maxLength at `/passphrase`");
    assert_eq!(case["secrets"][0]["same"], false);
    assert!(
        !output.all().contains(common::LONG_PASSPHRASE),
        "{}",
        output.all()
    );
}

/// A selection whose every case lacks a setting on the live side compares nothing: exit 2,
/// not "0 cases compared" and 0.
#[tokio::test]
async fn a_diff_that_compares_nothing_is_exit_2() {
    let server = common::stub(common::faithful).await;
    let cases = common::data_cases();
    let mut env = builtin_env();
    env.retain(|(name, _)| *name != "SMS_FORBIDDEN_TOKEN");
    let uri = server.uri();
    let args = [
        "diff",
        "--cases",
        cases.to_str().unwrap(),
        "--base-url",
        &uri,
        "auth/forbidden-token",
    ];
    let output = run(&args, &env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output.stderr.contains("nothing was compared"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn diff_needs_a_live_endpoint() {
    let cases = common::data_cases();
    let output = run(&["diff", "--cases", cases.to_str().unwrap()], &[]).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("diff compares the mock with a live endpoint"),
        "{}",
        output.stderr
    );
}

/// A mock that cannot be reached answers nothing: no setting of it would agree, and the run
/// says the target was unreachable (3), as when the live endpoint is.
#[tokio::test]
async fn an_unreachable_mock_is_exit_3_and_suggests_no_setting() {
    let server = common::stub(common::faithful).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mock_url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let (uri, cases) = (server.uri(), common::data_cases());
    let args = [
        "diff",
        "--cases",
        cases.to_str().unwrap(),
        "--base-url",
        &uri,
        "--mock-url",
        &mock_url,
    ];
    let output = run(&args, &builtin_env()).await;
    assert_eq!(output.code, 3, "{}", output.all());
    assert!(!output.stdout.contains("agrees with"), "{}", output.stdout);
    assert!(
        output
            .stderr
            .contains("error: A (the mock) could not be reached on any request"),
        "{}",
        output.stderr
    );
}

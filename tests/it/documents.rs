//! Document cases: the verdict and its reason must both match, or the case fails; and a
//! document that cannot be built is refused with its place.

use crate::common;

use std::time::Duration;

use common::Harness;
use rstest::rstest;
use sms_conformance::{Outcome, Problem, Verdict};

const OK_200: &str = r#"{"task_id": "t", "passphrase": "p"}"#;

/// Runs one document case written as `document` + `expect` YAML; `None` when it passes.
fn run(document: &str, expect: &str) -> Option<Verdict> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("d.yaml"),
        format!("document:\n{document}expect:\n{expect}"),
    )
    .unwrap();
    let harness = Harness::with_cases(dir.path());
    // Document cases need no endpoint: an address nothing listens on proves it.
    match harness
        .run("http://127.0.0.1:9", "d", Duration::from_secs(1))
        .outcome
    {
        Outcome::Passed => None,
        Outcome::Failed(problems) => match problems.as_slice() {
            [Problem::Verdict(verdict)] => Some(verdict.clone()),
            other => panic!("not a verdict: {other:?}"),
        },
        other => panic!("neither passed nor failed: {other:?}"),
    }
}

/// Whether `violations` are exactly these `(keyword, pointer)` pairs.
fn are(violations: &[sms_conformance::Violation], expected: &[(&str, &str)]) -> bool {
    violations.len() == expected.len()
        && violations
            .iter()
            .zip(expected)
            .all(|(v, (keyword, pointer))| {
                v.keyword == *keyword && v.instance_path.as_str() == *pointer
            })
}

fn not_valid_for_the_passphrase(v: &Verdict) -> bool {
    matches!(v, Verdict::NotValid(found) if are(found, &[("maxLength", "/passphrase")]))
}

fn valid_though_expected_invalid(v: &Verdict) -> bool {
    matches!(v, Verdict::NotInvalid(e) if e.keyword == "maxLength" && e.pointer.as_str() == "/passphrase")
}

fn invalid_elsewhere(v: &Verdict) -> bool {
    matches!(v, Verdict::OtherViolations(e, found)
        if e.pointer.as_str() == "/task_id" && are(found, &[("maxLength", "/passphrase")]))
}

fn invalid_for_more(v: &Verdict) -> bool {
    matches!(v, Verdict::OtherViolations(e, found)
        if e.pointer.as_str() == "/passphrase" && found.len() == 2)
}

fn no_schema_for_500(v: &Verdict) -> bool {
    *v == Verdict::NoSchema(500)
}

#[rstest]
#[case::valid_as_expected(&format!("  schema: passphrase\n  body: {OK_200}\n"), "  valid: true\n", None)]
#[case::invalid_as_expected(
    &format!("  schema: passphrase\n  body: {OK_200}\n  set:\n    /passphrase: {{text: 256}}\n"),
    "  valid: false\n  reason: {keyword: maxLength, pointer: /passphrase}\n",
    None
)]
#[case::invalid_but_expected_valid(
    &format!("  schema: passphrase\n  body: {OK_200}\n  set:\n    /passphrase: {{text: 256}}\n"),
    "  valid: true\n",
    Some(not_valid_for_the_passphrase as fn(&Verdict) -> bool)
)]
#[case::valid_but_expected_invalid(
    &format!("  schema: passphrase\n  body: {OK_200}\n"),
    "  valid: false\n  reason: {keyword: maxLength, pointer: /passphrase}\n",
    Some(valid_though_expected_invalid as fn(&Verdict) -> bool)
)]
#[case::invalid_for_another_reason(
    &format!("  schema: passphrase\n  body: {OK_200}\n  set:\n    /passphrase: {{text: 256}}\n"),
    "  valid: false\n  reason: {keyword: maxLength, pointer: /task_id}\n",
    Some(invalid_elsewhere as fn(&Verdict) -> bool)
)]
#[case::invalid_for_two_reasons(
    &format!("  schema: passphrase\n  body: {OK_200}\n  set:\n    /passphrase: {{text: 256}}\n    /task_id: {{text: 256}}\n"),
    "  valid: false\n  reason: {keyword: maxLength, pointer: /passphrase}\n",
    Some(invalid_for_more as fn(&Verdict) -> bool)
)]
#[case::status_judge_reason_among_alternatives(
    "  status: 400\n  body: {error_code: x, error_msg: y, error_param: []}\n",
    "  valid: false\n  reason: {keyword: minItems, pointer: /error_param}\n",
    None
)]
#[case::status_without_schema(
    "  status: 500\n  body: {}\n",
    "  valid: true\n",
    Some(no_schema_for_500 as fn(&Verdict) -> bool)
)]
fn a_document_case_passes_only_with_the_expected_verdict_and_reason(
    #[case] document: &str,
    #[case] expect: &str,
    #[case] failure: Option<fn(&Verdict) -> bool>,
) {
    match (run(document, expect), failure) {
        (None, None) => {}
        (Some(verdict), Some(expected)) => assert!(expected(&verdict), "{verdict:#?}"),
        (got, expected) => panic!("expected failure: {}, got {got:?}", expected.is_some()),
    }
}

#[rstest]
#[case::unknown_schema(
    "document:\n  schema: passphrases\n  body: {}\nexpect:\n  valid: true\n",
    "d.yaml:2:11: `document.schema`: unknown schema `passphrases`"
)]
#[case::schema_and_status(
    "document:\n  schema: passphrase\n  status: 200\n  body: {}\nexpect:\n  valid: true\n",
    "exactly one of `schema` or `status`"
)]
#[case::missing_parent(
    "document:\n  schema: passphrase\n  body: {}\n  set:\n    /a/b: {text: 1}\nexpect:\n  valid: true\n",
    "`/a/b`: `/a` is not in the body"
)]
#[case::two_fills(
    "document:\n  schema: passphrase\n  body: {}\n  set:\n    /a: {text: 1, json: 2}\nexpect:\n  valid: true\n",
    "give exactly one of"
)]
#[case::invalid_without_reason(
    "document:\n  schema: passphrase\n  body: {}\nexpect:\n  valid: false\n",
    "`valid: false` needs `reason"
)]
#[case::status_in_a_document_case(
    "document:\n  schema: passphrase\n  body: {}\nexpect:\n  status: 200\n",
    "a document case expects `valid`"
)]
#[case::valid_in_a_request_case(
    "request:\n  task_id: x\nexpect:\n  status: 200\n  valid: true\n",
    "belong to document cases"
)]
#[case::neither_kind(
    "expect:\n  valid: true\n",
    "a case needs `request` (sent to the target) or `document`"
)]
fn a_document_that_cannot_be_built_is_refused(#[case] content: &str, #[case] expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.yaml"), content).unwrap();
    let errors = common::load_cases(dir.path()).unwrap_err();
    let message = errors[0].to_string();
    assert!(
        message.contains(expected),
        "`{expected}` not in `{message}`"
    );
}

/// A cases folder of one request case (`a-request`, first by id) and `count` document cases
/// (`doc-000`…), each written to pass when its number is even and to fail when it is odd.
fn request_then_documents(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let request = "request:\n  task_id: ${task_id}\n  token: ${token}\nexpect:\n  status: 200\n";
    std::fs::write(dir.path().join("a-request.yaml"), request).unwrap();
    for n in 0..count {
        let valid = n % 2 == 0;
        let case = format!(
            "document:\n  schema: passphrase\n  body: {OK_200}\n  set:\n    /passphrase: {{text: {}}}\nexpect:\n  valid: true\n",
            if valid { 8 } else { 100_000 }
        );
        std::fs::write(dir.path().join(format!("doc-{n:03}.yaml")), case).unwrap();
    }
    dir
}

/// Document cases need no target: they are judged beside the exchanges, not after them. With
/// one case at a time and a slow answer to the request that comes first, every document's
/// result still comes before the request's.
#[test]
fn documents_are_judged_beside_a_slow_exchange_not_after_it() {
    let dir = request_then_documents(100);
    let harness = Harness::with_cases(dir.path());
    let server = harness.stub(common::faithful, Some(Duration::from_secs(1)));
    let (came, results) = harness.run_until(&server.uri(), 1, &sms_conformance::Stop::new());
    assert_eq!(came.len(), 101);
    assert_eq!(
        came.last().map(String::as_str),
        Some("a-request"),
        "{came:?}"
    );
    assert_eq!(results[0].outcome, Outcome::Passed);
}

/// However the documents are dealt out to the threads, the results come back in the cases'
/// order, each with its own verdict.
#[test]
fn many_documents_come_back_in_case_order_each_with_its_own_verdict() {
    let dir = request_then_documents(300);
    let harness = Harness::with_cases(dir.path());
    let server = harness.stub(common::faithful, None);
    let (_, results) = harness.run_until(&server.uri(), 8, &sms_conformance::Stop::new());
    let ids: Vec<&str> = results.iter().map(|r| r.case.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(ids.len(), 301);
    for (n, result) in results[1..].iter().enumerate() {
        assert_eq!(result.case.id, format!("doc-{n:03}"));
        let passed = result.outcome == Outcome::Passed;
        assert_eq!(
            passed,
            n % 2 == 0,
            "{}: {:?}",
            result.case.id,
            result.outcome
        );
    }
}

/// A stop raised before the run starts judges no document: none ran.
#[test]
fn a_raised_stop_judges_no_document() {
    let dir = request_then_documents(300);
    let harness = Harness::with_cases(dir.path());
    let stop = sms_conformance::Stop::new();
    stop.raise();
    let (came, results) = harness.run_until("http://127.0.0.1:9", 8, &stop);
    assert!(came.is_empty() && results.is_empty(), "{came:?}");
}

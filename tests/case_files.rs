//! Broken case files stop the run before any request, with the file, line, column and key.

mod common;

use std::path::Path;

use rstest::rstest;

/// Loads a cases folder holding `file` alone and returns the one error, as printed.
fn error_for(file: &str, content: &[u8]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, content).unwrap();
    let errors = common::load_cases(dir.path()).expect_err("the file must be refused");
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors[0]
        .to_string()
        .replace(&format!("{}/", dir.path().display()), "")
}

const VALID: &str = "request:\n  task_id: ${task_id}\n  token: ${token}\nexpect:\n  status: 200\n";

#[rstest]
#[case::typo_in_a_key(
    "request:\n  task_id: x\n  tokn: y\nexpect:\n  status: 200\n",
    "c.yaml:3:3: `request.tokn`: unknown field `tokn`"
)]
#[case::bad_indent(
    "request:\n  task_id: x\n   token: y\nexpect:\n  status: 200\n",
    "c.yaml:3:"
)]
#[case::tab_indent("request:\n\ttask_id: x\nexpect:\n  status: 200\n", "c.yaml:2:")]
#[case::unknown_variable(
    "request:\n  task_id: ${taskid}\nexpect:\n  status: 200\n",
    "c.yaml:2:12: `request.task_id`: unknown variable `${taskid}`"
)]
#[case::unknown_needed_variable(
    "needs: [admin_token]\nrequest:\n  task_id: x\nexpect:\n  status: 200\n",
    "c.yaml:1:9: `needs`: unknown variable `admin_token`"
)]
#[case::duplicate_key(
    "request:\n  task_id: x\n  task_id: y\nexpect:\n  status: 200\n",
    "c.yaml:3:3: `request.task_id`: duplicate mapping key"
)]
#[case::wrong_type(
    "request:\n  task_id: x\n  headers: [a]\nexpect:\n  status: 200\n",
    "c.yaml:3:12: `request.headers`: expected a mapping"
)]
#[case::no_expectation("request:\n  task_id: x\n", "c.yaml:1:1: missing field `expect`")]
#[case::status_out_of_range(
    "request:\n  task_id: x\nexpect:\n  status: 999\n",
    "c.yaml:4:11: `expect.status`: status 999 is outside 100..599"
)]
#[case::empty_status_list(
    "request:\n  task_id: x\nexpect:\n  status: []\n",
    "`expect.status`: the status list is empty"
)]
#[case::body_check_that_checks_nothing(
    "request:\n  task_id: x\nexpect:\n  status: 200\n  body:\n    /a: {}\n",
    "c.yaml:6:9: expect.body `/a` checks nothing"
)]
#[case::pointer_without_slash(
    "request:\n  task_id: x\nexpect:\n  status: 200\n  body:\n    a: {present: true}\n",
    "`expect.body.a`: `a` is not a JSON pointer"
)]
#[case::generated_too_long(
    "request:\n  task_id: {repeat: ab, count: 1000000}\nexpect:\n  status: 200\n",
    "`request.task_id`: a generated value of 1000000 × 2 bytes is over the cap"
)]
#[case::not_a_method(
    "request:\n  method: \"G T\"\n  task_id: x\nexpect:\n  status: 200\n",
    "`request.method`: `G T` is not an HTTP method"
)]
#[case::empty_file("", "c.yaml: the file is empty")]
fn a_broken_case_file_is_refused_with_its_place(#[case] content: &str, #[case] expected: &str) {
    let message = error_for("c.yaml", content.as_bytes());
    assert!(
        message.contains(expected),
        "`{expected}` not in `{message}`"
    );
}

#[test]
fn a_file_that_is_not_utf8_is_refused_at_the_bad_byte() {
    let message = error_for("c.yaml", b"request:\n  task_id: \"\xff\"\n");
    assert_eq!(message, "c.yaml:2:13: the file is not valid UTF-8");
}

#[test]
fn a_case_id_is_its_path_without_extension() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("auth")).unwrap();
    std::fs::write(dir.path().join("auth/missing-token.yaml"), VALID).unwrap();
    std::fs::write(dir.path().join("README.md"), "not a case").unwrap();
    let cases = common::load_cases(dir.path()).unwrap();
    let ids: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["auth/missing-token"]);
}

#[test]
fn every_broken_file_is_reported_not_just_the_first() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "request: [").unwrap();
    std::fs::write(dir.path().join("b.yaml"), VALID.replace("token:", "tokn:")).unwrap();
    std::fs::write(dir.path().join("c.yaml"), VALID).unwrap();
    let errors = common::load_cases(Path::new(dir.path())).unwrap_err();
    assert_eq!(errors.len(), 2, "{errors:?}");
}

#[test]
fn the_shipped_cases_all_load() {
    let cases = common::load_cases(&common::cases_dir()).unwrap();
    assert!(cases.len() >= 14, "{} cases", cases.len());
}

//! `generate` and `coverage`: the generator's output for a small schema is checked against
//! golden files (`BLESS=1 cargo test --test it generate::` rewrites them after a deliberate
//! change), `--check` notices a schema change, and coverage notices a removed case.

use crate::common;

use common::binary::output as binary;

use std::path::{Path, PathBuf};

use sms_conformance::Contract;
use sms_conformance::generate::{self, GENERATED_DIR};

fn golden_dir() -> PathBuf {
    common::root().join("tests/generate")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

#[test]
fn the_generator_writes_the_golden_files_for_a_small_schema() {
    let contract = Contract::load(&golden_dir().join("schemas")).unwrap();
    let files = generate::generate(&contract);
    let expected = golden_dir().join("expected");
    if std::env::var("BLESS").is_ok_and(|v| !v.is_empty()) {
        generate::write(&expected, &files).unwrap();
    }
    let differences = generate::differences(&expected, &files).unwrap();
    assert!(
        differences.is_empty(),
        "the generator's output differs from tests/generate/expected: {differences:#?}"
    );
    assert!(files.len() >= 12, "{} files", files.len());
}

#[test]
fn generating_twice_changes_nothing_and_a_schema_change_makes_check_fail() {
    let dir = tempfile::tempdir().unwrap();
    let (schemas, cases) = (dir.path().join("schemas"), dir.path().join("cases"));
    copy_dir(&golden_dir().join("schemas"), &schemas);
    let suite = [
        "--schemas",
        schemas.to_str().unwrap(),
        "--cases",
        cases.to_str().unwrap(),
    ];

    let (code, out) = binary(&[&["generate"][..], &suite].concat());
    assert_eq!(code, 0, "{out}");
    let first = std::fs::read_dir(cases.join(GENERATED_DIR).join("item"))
        .unwrap()
        .count();
    let (code, out) = binary(&[&["generate"][..], &suite].concat());
    assert_eq!(code, 0, "{out}");
    let (code, out) = binary(&[&["generate", "--check"][..], &suite].concat());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("up to date"), "{out}");

    let schema = schemas.join("item.schema.json");
    let text = std::fs::read_to_string(&schema)
        .unwrap()
        .replace("\"maxLength\": 8", "\"maxLength\": 9");
    std::fs::write(&schema, text).unwrap();
    let (code, out) = binary(&[&["generate", "--check"][..], &suite].concat());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("name.maxLength-8.yaml: no longer generated"),
        "{out}"
    );
    assert!(out.contains("name.maxLength-10.yaml: missing"), "{out}");

    let (code, _) = binary(&[&["generate"][..], &suite].concat());
    assert_eq!(code, 0);
    assert_eq!(
        std::fs::read_dir(cases.join(GENERATED_DIR).join("item"))
            .unwrap()
            .count(),
        first
    );
    assert!(
        !cases
            .join(GENERATED_DIR)
            .join("item/name.maxLength-8.yaml")
            .exists()
    );
}

#[test]
fn the_shipped_generated_cases_are_up_to_date() {
    let contract = common::contract();
    let differences =
        generate::differences(&common::cases_dir(), &generate::generate(&contract)).unwrap();
    assert!(
        differences.is_empty(),
        "run `cargo run -- generate`: {differences:#?}"
    );
}

/// The small contract of `tests/generate/schemas` and its generated cases, in a folder of
/// the test's own.
fn generated_suite() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    let contract = Contract::load(&golden_dir().join("schemas")).unwrap();
    generate::write(&cases, &generate::generate(&contract)).unwrap();
    (dir, cases)
}

/// The coverage of `cases` against the small contract, as the binary prints it.
fn coverage_of(cases: &Path) -> (i32, String) {
    binary(&[
        "coverage",
        "--cases",
        cases.to_str().unwrap(),
        "--schemas",
        golden_dir().join("schemas").to_str().unwrap(),
    ])
}

/// Asserts that the coverage of `cases` marks the constraint `label` uncovered.
#[track_caller]
fn assert_uncovered(cases: &Path, label: &str) {
    let (code, out) = coverage_of(cases);
    assert_eq!(
        code, 1,
        "coverage passed, but `{label}` should be uncovered:\n{out}"
    );
    let line = out
        .lines()
        .find(|line| line.ends_with(label))
        .unwrap_or_else(|| panic!("no constraint `{label}` in the coverage:\n{out}"));
    assert!(line.contains("UNCOVERED"), "`{label}` is covered:\n{out}");
}

#[test]
fn the_generated_cases_cover_the_small_contract() {
    let (_dir, cases) = generated_suite();
    let (code, out) = coverage_of(&cases);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(" 0 uncovered"), "{out}");
}

#[test]
fn removing_a_case_uncovers_its_constraint() {
    let (_dir, cases) = generated_suite();
    std::fs::remove_file(cases.join("generated/item/name.maxLength-9.yaml")).unwrap();
    let (code, out) = coverage_of(&cases);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("UNCOVERED /properties/name maxLength 8\n      at the limit: generated/item/name.maxLength-8\n      past it:      NONE"),
        "{out}"
    );
    assert!(out.contains(" 1 uncovered"), "{out}");
}

#[test]
fn removing_the_only_case_of_a_status_uncovers_its_row() {
    let (_dir, cases) = generated_suite();
    // Request cases accept the manifest's statuses; without them, no case exercises 200.
    std::fs::remove_dir_all(cases.join("generated/request")).unwrap();
    assert_uncovered(&cases, "status 200");
}

#[test]
fn a_past_limit_request_case_that_accepts_200_covers_nothing() {
    let (_dir, cases) = generated_suite();
    let file = cases.join("generated/request/task_id.length-4.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("status: [4xx]"), "{text}");
    std::fs::write(&file, text.replace("status: [4xx]", "status: [4xx, 200]")).unwrap();
    assert_uncovered(&cases, "task_id maxLength 3");
}

#[test]
fn an_at_limit_request_case_that_accepts_a_refusal_covers_nothing() {
    let (_dir, cases) = generated_suite();
    std::fs::remove_file(cases.join("generated/request/task_id.length-3.yaml")).unwrap();
    // Sends 3 characters too, but accepts any 4xx: it would not notice a wrong refusal.
    std::fs::write(
        cases.join("lenient.yaml"),
        "request:\n  task_id: abc\n  token: ${token}\nexpect:\n  status: 4xx\n",
    )
    .unwrap();
    assert_uncovered(&cases, "task_id maxLength 3");
}

//! `generate` and `coverage`: the generator's output for a small schema is checked against
//! golden files (`BLESS=1 cargo test --test generate` rewrites them after a deliberate
//! change), `--check` notices a schema change, and coverage notices a removed case.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use sms_conformance::Contract;
use sms_conformance::coverage::Coverage;
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

fn binary(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sms-conformance"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
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

#[test]
fn the_shipped_cases_cover_every_constraint() {
    let coverage = Coverage::of(
        &common::contract(),
        &common::load_cases(&common::cases_dir()).unwrap(),
    );
    assert!(coverage.is_complete(), "{coverage}");
    assert!(coverage.items.len() >= 60, "{coverage}");
}

#[test]
fn removing_a_case_uncovers_its_constraint() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    copy_dir(&common::cases_dir(), &cases);
    std::fs::remove_file(cases.join("generated/passphrase/passphrase.maxLength-256.yaml")).unwrap();
    std::fs::remove_file(cases.join("contract/throttled-429.yaml")).unwrap();
    let (code, out) = binary(&[
        "coverage",
        "--cases",
        cases.to_str().unwrap(),
        "--schemas",
        common::schemas_dir().to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("UNCOVERED /properties/passphrase maxLength 255\n      at the limit: generated/passphrase/passphrase.maxLength-255\n      past it:      NONE"),
        "{out}"
    );
    assert!(out.contains("UNCOVERED status 429"), "{out}");
    assert!(out.contains("2 uncovered"), "{out}");
}

/// Asserts that the cases in `cases` leave the constraint labelled `label` uncovered.
fn assert_uncovered(cases: &Path, label: &str) {
    let coverage = Coverage::of(&common::contract(), &common::load_cases(cases).unwrap());
    let item = coverage
        .items
        .iter()
        .find(|i| i.label == label)
        .expect("the constraint exists");
    assert!(!item.is_covered(), "{coverage}");
}

#[test]
fn a_past_limit_request_case_that_accepts_200_covers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    copy_dir(&common::cases_dir(), &cases);
    let file = cases.join("generated/request/task_id.length-37.yaml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("status: [\"4xx\"]", "status: [\"4xx\", 200]");
    std::fs::write(&file, text).unwrap();
    assert_uncovered(&cases, "task_id maxLength 36");
}

#[test]
fn an_at_limit_request_case_that_accepts_a_refusal_covers_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    copy_dir(&common::cases_dir(), &cases);
    // task-id/unknown-task sends 36 characters too, but accepts any 4xx: it would not notice
    // a wrong refusal, so without the generated case the limit is uncovered.
    std::fs::remove_file(cases.join("generated/request/task_id.length-36.yaml")).unwrap();
    assert_uncovered(&cases, "task_id maxLength 36");
}

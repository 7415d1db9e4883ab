//! The README's examples stay true: every case file it shows loads and passes against the
//! embedded mock, and the fixture it shows is accepted.

mod common;

use common::binary::run;
use sms_conformance::mock::Fixture;

/// The README's ```yaml blocks.
fn yaml_blocks() -> Vec<String> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    readme
        .split("```yaml\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_readme_case_examples_pass_against_the_embedded_mock() {
    let dir = tempfile::tempdir().unwrap();
    let examples: Vec<String> = yaml_blocks()
        .into_iter()
        .filter(|b| b.contains("\nexpect:") && (b.contains("request:") || b.contains("document:")))
        .collect();
    assert!(examples.len() >= 2, "{examples:?}");
    for (index, example) in examples.iter().enumerate() {
        std::fs::write(dir.path().join(format!("example-{index}.yaml")), example).unwrap();
    }
    let run = run(&["--cases", dir.path().to_str().unwrap()], &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows(&format!(
        "test result: ok. {} passed; 0 failed",
        examples.len()
    ));
}

#[test]
fn the_readme_fixture_example_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = yaml_blocks()
        .into_iter()
        .find(|b| b.starts_with("tasks:"))
        .expect("a fixture example");
    let file = dir.path().join("fixture.yaml");
    std::fs::write(&file, fixture).unwrap();
    let fixture = Fixture::load(&file).unwrap();
    assert!(fixture.tokens.iter().any(|t| t.name == "forbidden_token"));
}

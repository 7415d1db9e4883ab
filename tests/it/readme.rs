//! The README's examples stay true: every case file it shows loads and passes against the
//! embedded mock, and the fixture it shows is accepted.

use crate::common;

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

/// Every block the README introduces with "This is `FILE`" (the whole file) or "From `FILE`"
/// (a run of its lines), with the text of that block.
fn quoted_blocks() -> Vec<(bool, String, String)> {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let mut found = Vec::new();
    let mut rest = readme.as_str();
    while let Some(at) = rest.find(['T', 'F']) {
        rest = &rest[at..];
        let whole = rest.starts_with("This is `");
        let part = rest.starts_with("From\n`") || rest.starts_with("From `");
        if !(whole || part) {
            rest = &rest[1..];
            continue;
        }
        let open = rest.find('`').unwrap() + 1;
        let close = open + rest[open..].find('`').unwrap();
        let file = rest[open..close].to_owned();
        let fence = rest.find("```").expect("a block follows");
        let body_start = fence + rest[fence..].find('\n').unwrap() + 1;
        let body_end = body_start + rest[body_start..].find("```").unwrap();
        found.push((whole, file, rest[body_start..body_end].to_owned()));
        rest = &rest[body_end + 3..];
    }
    found
}

#[test]
fn every_file_the_readme_quotes_says_what_the_readme_shows() {
    let blocks = quoted_blocks();
    assert!(blocks.len() >= 2, "{blocks:?}");
    for (whole, file, shown) in blocks {
        let text = std::fs::read_to_string(common::root().join(&file))
            .unwrap_or_else(|e| panic!("the README quotes {file}: {e}"));
        if whole {
            assert_eq!(
                shown, text,
                "the README's copy of {file} differs from the file"
            );
        } else {
            assert!(
                text.contains(&shown),
                "the README's excerpt of {file} is not in the file:\n{shown}"
            );
        }
    }
}

#[test]
fn the_readme_table_of_assumptions_is_the_ledger() {
    let readme = std::fs::read_to_string(common::root().join("README.md")).unwrap();
    let contract = common::contract();
    let mut ids = Vec::new();
    for (id, assumption) in contract.ledger().iter() {
        let others: Vec<String> = assumption
            .alternatives
            .iter()
            .map(|(value, what)| format!("`{value}`: {what}"))
            .collect();
        let row = format!(
            "| `{id}` | {} | `{}`: {} | {} |",
            assumption.states,
            assumption.mock.value,
            assumption.mock.answer,
            others.join("; ")
        );
        assert!(
            readme.contains(&row),
            "the README lacks the ledger's row:\n{row}"
        );
        ids.push(format!("| `{id}` |"));
    }
    let table_rows = readme
        .lines()
        .skip_while(|line| !line.starts_with("| assumption | states |"))
        .skip(2)
        .take_while(|line| line.starts_with('|'))
        .count();
    assert_eq!(
        table_rows,
        ids.len(),
        "the README's table has rows the ledger lacks"
    );
}

#[test]
fn the_readme_fixture_settings_example_is_accepted() {
    let block = yaml_blocks()
        .into_iter()
        .find(|b| b.starts_with("assumptions:"))
        .expect("an assumptions example");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("fixture.yaml");
    std::fs::write(
        &file,
        format!("{}{block}", sms_conformance::mock::DEFAULT_FIXTURE),
    )
    .unwrap();
    let fixture = Fixture::load(&file).unwrap();
    let changed = fixture.assumptions.changed();
    assert_eq!(changed.len(), 2, "{changed:?}");
}

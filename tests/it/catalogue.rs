//! The catalogue of unfaithful endpoints (`common::variants`): the faithful behaviour with
//! exactly one thing broken, each hosted by wiremock. The whole suite runs against each; every one must be
//! caught by at least one case, and the faithful behaviour by none. The table it prints is
//! the README's "variants caught" count.

use crate::common;

use std::path::{Path, PathBuf};

use common::variants::VARIANTS;
use common::{Harness, LONG_PASSPHRASE, Tweak, faithful};
use serde_json::Value as Json;
use sms_conformance::Outcome;
use sms_conformance::mock::{Assumptions, DEFAULT_FIXTURE};

fn failed_cases(harness: &Harness, tweak: Tweak) -> Vec<String> {
    let server = harness.stub(tweak, None);
    harness
        .run_all(&server.uri())
        .into_iter()
        // Every assumption holds on the faithful mock: contradicting one is caught too.
        .filter(|result| {
            matches!(
                result.outcome,
                Outcome::Failed(_) | Outcome::Contradicted(_)
            )
        })
        .map(|result| result.case.id.clone())
        .collect()
}

#[test]
fn every_unfaithful_variant_is_caught_and_the_faithful_one_is_not() {
    assert_eq!(LONG_PASSPHRASE.chars().count(), 256);
    // The shipped suite itself: what it catches is what the README's table claims.
    let harness = Harness::with_cases(&common::cases_dir());
    assert_eq!(
        failed_cases(&harness, faithful),
        Vec::<String>::new(),
        "the faithful behaviour fails cases"
    );
    let mut table = String::from("variant | cases that caught it\n--- | ---\n");
    let mut missed = Vec::new();
    for (name, tweak) in VARIANTS {
        let caught = failed_cases(&harness, *tweak);
        if caught.is_empty() {
            missed.push(*name);
        }
        let shown: Vec<&str> = caught.iter().take(4).map(String::as_str).collect();
        let more = caught.len().saturating_sub(shown.len());
        let more = if more > 0 {
            format!(" (+{more})")
        } else {
            String::new()
        };
        table.push_str(&format!("{name} | {}{more}\n", shown.join(", ")));
    }
    println!(
        "{table}\n{} of {} unfaithful variants caught",
        VARIANTS.len() - missed.len(),
        VARIANTS.len()
    );
    assert!(VARIANTS.len() >= 25);
    assert!(missed.is_empty(), "not caught: {missed:?}\n{table}");
}

/// The built-in fixture with these assumption settings, written in `dir`.
fn fixture_with(dir: &Path, settings: &[(&str, &str)]) -> PathBuf {
    let mut text = DEFAULT_FIXTURE.to_owned();
    if !settings.is_empty() {
        text.push_str("assumptions:\n");
    }
    for (id, value) in settings {
        text.push_str(&format!("  {id}: {value}\n"));
    }
    let file = dir.join(format!("fixture-{}.yaml", settings.len()));
    std::fs::write(&file, text).unwrap();
    file
}

/// The shipped suite on the embedded mock with `settings`: the exit code and the
/// assumptions the JSON report names as contradicted.
fn run_with(settings: &[(&str, &str)], strict: bool) -> (i32, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let fixture = fixture_with(dir.path(), settings);
    let report = dir.path().join("report.json");
    let mut args = vec![
        "--cases".to_owned(),
        common::cases_dir().display().to_string(),
        "--fixture".to_owned(),
        fixture.display().to_string(),
        "--report-json".to_owned(),
        report.display().to_string(),
    ];
    if strict {
        args.push("--strict".to_owned());
    }
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_sms-conformance"))
        .current_dir(common::root())
        .args(&args)
        .env_remove("SMS_ENDPOINT")
        .output()
        .unwrap();
    let report: Json = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let contradicted = report["contradicted_assumptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|id| id.as_str().unwrap().to_owned())
        .collect();
    (output.status.code().unwrap_or(-1), contradicted)
}

/// Every setting of every assumption other than its default.
fn alternatives() -> Vec<(&'static str, &'static str)> {
    Assumptions::values()
        .into_iter()
        .flat_map(|(id, values)| values[1..].iter().map(move |value| (id, *value)))
        .collect()
}

#[test]
fn each_assumption_flipped_alone_is_named_exactly_and_fails_only_a_strict_run() {
    assert_eq!(run_with(&[], true), (0, Vec::new()), "the defaults");
    for (id, value) in alternatives() {
        assert_eq!(
            run_with(&[(id, value)], false),
            (0, vec![id.to_owned()]),
            "{id}: {value}, not strict"
        );
        assert_eq!(
            run_with(&[(id, value)], true),
            (101, vec![id.to_owned()]),
            "{id}: {value}, strict"
        );
    }
}

#[test]
fn assumptions_flipped_together_never_fail_a_run_that_is_not_strict() {
    // Each alternative with the next one of another assumption, and one of each at once.
    let alternatives = alternatives();
    let mut combinations: Vec<Vec<(&str, &str)>> = alternatives
        .iter()
        .enumerate()
        .filter_map(|(index, first)| {
            let second = alternatives[index + 1..]
                .iter()
                .chain(&alternatives[..index])
                .find(|other| other.0 != first.0)?;
            Some(vec![*first, *second])
        })
        .collect();
    let mut one_of_each: Vec<(&str, &str)> = Vec::new();
    for alternative in &alternatives {
        if !one_of_each.iter().any(|(id, _)| *id == alternative.0) {
            one_of_each.push(*alternative);
        }
    }
    combinations.push(one_of_each);
    for settings in combinations {
        let (code, contradicted) = run_with(&settings, false);
        assert_eq!(code, 0, "{settings:?}: {contradicted:?}");
        // Flips can hide each other (a denied token asking for an unknown task is 403
        // either way), so what is named is among the flipped, and never anything else.
        assert!(
            !contradicted.is_empty()
                && contradicted
                    .iter()
                    .all(|id| settings.iter().any(|(flipped, _)| flipped == id)),
            "{settings:?}: {contradicted:?}"
        );
    }
}

//! The catalogue of unfaithful endpoints: the faithful behaviour with exactly one thing
//! broken, each hosted by wiremock. The whole suite runs against each; every one must be
//! caught by at least one case, and the faithful behaviour by none. The table it prints is
//! the README's "variants caught" count.

mod common;

use std::path::{Path, PathBuf};

use common::{Harness, LONG_PASSPHRASE, Tweak, edit_json, faithful};
use percent_encoding::percent_decode_str;
use serde_json::{Value as Json, json};
use sms_conformance::Outcome;
use sms_conformance::mock::{Assumptions, DEFAULT_FIXTURE, MockAnswer};
use wiremock::Request;

/// Edits the JSON body of answers with this status; others pass unchanged.
fn edit_when(answer: MockAnswer, status: u16, edit: impl FnOnce(&mut Json)) -> MockAnswer {
    if answer.status == status {
        edit_json(answer, edit)
    } else {
        answer
    }
}

fn remove(body: &mut Json, key: &str) {
    body.as_object_mut().unwrap().remove(key);
}

fn tokens(request: &Request) -> Vec<&[u8]> {
    request
        .headers
        .get_all("x-auth-token")
        .iter()
        .map(|v| v.as_bytes())
        .collect()
}

/// The task id in the path, decoded, if the path has the API's shape.
fn task_id(request: &Request) -> String {
    let segments: Vec<&str> = request.url.path().split('/').collect();
    percent_decode_str(segments.get(3).unwrap_or(&""))
        .decode_utf8_lossy()
        .into_owned()
}

/// The answer a permitted read would get: 200 with the requested id and a passphrase.
fn served(request: &Request, mut answer: MockAnswer) -> MockAnswer {
    answer.status = 200;
    answer.body = json!({"task_id": task_id(request), "passphrase": "served-anyway"})
        .to_string()
        .into_bytes();
    answer
}

fn error_code(answer: &MockAnswer) -> String {
    let body: Json = serde_json::from_slice(&answer.body).unwrap_or_default();
    body["error_code"].as_str().unwrap_or_default().to_owned()
}

const VARIANTS: &[(&str, Tweak)] = &[
    ("passphrase over 255 characters", common::long_passphrase),
    ("passphrase missing", |_, a| {
        edit_when(a, 200, |b| remove(b, "passphrase"))
    }),
    ("passphrase null", |_, a| {
        edit_when(a, 200, |b| b["passphrase"] = Json::Null)
    }),
    ("passphrase a number", |_, a| {
        edit_when(a, 200, |b| b["passphrase"] = json!(12345))
    }),
    ("task_id in the 200 body differs", |_, a| {
        edit_when(a, 200, |b| {
            b["task_id"] = json!("6a1b2c3d-0000-4e5f-8a9b-0123456789ab")
        })
    }),
    ("task_id missing from the 200 body", |_, a| {
        edit_when(a, 200, |b| remove(b, "task_id"))
    }),
    ("403 error_param empty", |_, a| {
        edit_when(a, 403, |b| b["error_param"] = json!([]))
    }),
    ("403 error_param with 21 items", |_, a| {
        edit_when(a, 403, |b| b["error_param"] = json!(vec!["x"; 21]))
    }),
    ("403 error_param with a non-string item", |_, a| {
        edit_when(a, 403, |b| b["error_param"] = json!([7]))
    }),
    ("403 details with 21 items", |_, a| {
        edit_when(a, 403, |b| {
            b["details"] = json!(vec![
                json!({"error_code": "SMS.9004", "error_msg": "x"});
                21
            ])
        })
    }),
    ("403 details item without error_code", |_, a| {
        edit_when(a, 403, |b| b["details"] = json!([{"error_msg": "x"}]))
    }),
    ("403 without error_code", |_, a| {
        edit_when(a, 403, |b| remove(b, "error_code"))
    }),
    ("403 error_msg over 255 characters", |_, a| {
        edit_when(a, 403, |b| b["error_msg"] = json!("m".repeat(256)))
    }),
    ("403 encoded_authorization_message over 65,535", |_, a| {
        edit_when(a, 403, |b| {
            b["encoded_authorization_message"] = json!("e".repeat(65_536))
        })
    }),
    ("200 for a missing token", |r, a| {
        if tokens(r).is_empty() {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for an empty token", |r, a| {
        if tokens(r) == [b""] { served(r, a) } else { a }
    }),
    ("200 for a 16,385-character token", |r, a| {
        if tokens(r).iter().any(|t| t.len() > 16_384) {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for a 37-character task_id", |r, a| {
        if task_id(r).chars().count() > 36 {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for an unknown task", |r, a| {
        if error_code(&a) == "SMS.2252" {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 for a forbidden token", |r, a| {
        if a.status == 403 { served(r, a) } else { a }
    }),
    ("500 for a forbidden token", |_, mut a| {
        if a.status == 403 {
            a.status = 500;
        }
        a
    }),
    ("200 for two tokens", |r, a| {
        if tokens(r).len() > 1 { served(r, a) } else { a }
    }),
    ("every path and method served", |r, a| {
        if error_code(&a) == "APIGW.0101" {
            served(r, a)
        } else {
            a
        }
    }),
    ("%3F in the task id decoded as a query", |r, a| {
        let path = r.url.path();
        if path.contains("%3F") {
            served(r, a)
        } else {
            a
        }
    }),
    ("200 served as text/plain", |_, mut a| {
        if a.status == 200 {
            a.headers.retain(|(name, _)| *name != "Content-Type");
            a.headers.push(("Content-Type", "text/plain".to_owned()));
        }
        a
    }),
    ("no Content-Type at all", |_, mut a| {
        a.headers.retain(|(name, _)| *name != "Content-Type");
        a
    }),
    ("a body that is not JSON", |_, mut a| {
        a.body = b"<html><body>OK</body></html>".to_vec();
        a
    }),
    ("302 redirect to itself", |r, mut a| {
        a.status = 302;
        a.headers.push(("Location", r.url.to_string()));
        a.body.clear();
        a
    }),
    ("no X-Request-Id", |_, mut a| {
        a.headers.retain(|(name, _)| *name != "X-Request-Id");
        a
    }),
    ("gateway 401 without error_code", |_, a| {
        edit_when(a, 401, |b| remove(b, "error_code"))
    }),
    ("gateway 401 with the service's error_param", |_, a| {
        edit_when(a, 401, |b| b["error_param"] = json!(["x"]))
    }),
];

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

//! `openapi`: the document for a small contract of the tests' own (`tests/openapi/`) is the
//! golden file (`BLESS=1 cargo test --test it openapi::` rewrites it after a deliberate change), the
//! `oas3` crate reads it and the committed `openapi.yaml` as OpenAPI 3.1 with every reference
//! resolved, its embedded schemas judge every body as the contract does, the committed
//! document has what Schemathesis needs (interop/README.md), and `--output` / `--check`
//! behave as `generate --check` does.

use crate::common;

use common::binary::output as binary;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Value as Json, json};
use sms_conformance::mock::Fixture;
use sms_conformance::{Case, CaseKind, Contract, Judge, generate, load_dir, openapi};

fn dir() -> PathBuf {
    common::root().join("tests/openapi")
}

/// The small contract, its cases and fixture.
fn small() -> (Contract, Vec<Arc<Case>>, Fixture) {
    let contract = Contract::load(&dir().join("schemas")).unwrap();
    let cases = load_dir(&dir().join("cases"), &contract.known()).unwrap();
    let fixture = Fixture::load(&dir().join("fixture.yaml")).unwrap();
    (contract, cases, fixture)
}

/// YAML text as JSON.
fn parse(yaml: &str) -> Json {
    serde_saphyr::from_str(yaml).expect("the document is YAML")
}

/// The committed document.
fn committed() -> Json {
    parse(&std::fs::read_to_string(common::root().join("openapi.yaml")).unwrap())
}

/// The JSON pointer of the operation's responses.
const RESPONSES: &str = "/paths/~1v3~1tasks~1{task_id}~1passphrase/get/responses";

#[test]
fn the_document_for_a_small_contract_is_the_golden_file() {
    let (contract, cases, fixture) = small();
    let text = openapi::generate(&contract, &cases, &fixture);
    let golden = dir().join("expected.yaml");
    if std::env::var("BLESS").is_ok_and(|v| !v.is_empty()) {
        std::fs::write(&golden, &text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden).unwrap();
    assert!(
        text == expected,
        "the document differs from tests/openapi/expected.yaml (BLESS=1 rewrites it):\n{text}"
    );
    assert_eq!(text, openapi::generate(&contract, &cases, &fixture));
}

/// Every `$ref` in `document`, with where it is.
fn references(document: &Json, at: String, found: &mut Vec<(String, String)>) {
    match document {
        Json::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Json::String(target)) => found.push((at.clone(), target.clone())),
                    _ => {
                        let key = key.replace('~', "~0").replace('/', "~1");
                        references(value, format!("{at}/{key}"), found);
                    }
                }
            }
        }
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                references(item, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// What oas3 makes of `document`: OpenAPI 3.1, the operation and its parameter, every
/// response with its schema and headers resolved, and every `$ref` pointing into the document.
fn assert_reads_as_openapi_3_1(document: &Json) -> oas3::Spec {
    let spec: oas3::Spec = serde_json::from_value(document.clone()).expect("oas3 reads it");
    let version = spec.validate_version().expect("an OpenAPI 3.1 version");
    assert_eq!((version.major, version.minor), (3, 1));
    let operation = spec
        .operation_by_id(openapi::OPERATION_ID)
        .expect("the operation");
    let parameters = operation.parameters(&spec).expect("its parameters resolve");
    assert_eq!(parameters.len(), 1);
    assert_eq!(parameters[0].name, "task_id");
    let responses = operation.responses(&spec);
    assert_eq!(
        responses.len(),
        operation.responses.as_ref().map_or(0, |r| r.len()),
        "a response did not resolve"
    );
    for (status, response) in &responses {
        assert!(response.description.is_some(), "{status}: no description");
        for (name, header) in &response.headers {
            header
                .resolve(&spec)
                .unwrap_or_else(|e| panic!("{status}: header {name}: {e}"));
        }
        for (media_type, content) in &response.content {
            let schema = content.schema(&spec);
            assert!(
                matches!(schema, Ok(Some(_))),
                "{status} {media_type}: {schema:?}"
            );
        }
    }
    let components = spec.components.as_ref().expect("components");
    for (name, schema) in &components.schemas {
        schema
            .resolve(&spec)
            .unwrap_or_else(|e| panic!("schema {name}: {e}"));
    }
    let mut found = Vec::new();
    references(document, String::new(), &mut found);
    assert!(!found.is_empty());
    for (at, target) in found {
        let pointer = target.strip_prefix('#').unwrap_or_else(|| {
            panic!("{at}: `{target}` points out of the document");
        });
        assert!(
            document.pointer(pointer).is_some(),
            "{at}: `{target}` points at nothing"
        );
    }
    spec
}

#[test]
fn oas3_reads_the_golden_and_the_committed_documents_as_openapi_3_1() {
    let golden = parse(&std::fs::read_to_string(dir().join("expected.yaml")).unwrap());
    let spec = assert_reads_as_openapi_3_1(&golden);
    let responses = spec.operation_by_id(openapi::OPERATION_ID).unwrap();
    let statuses: Vec<&String> = responses.responses.as_ref().unwrap().keys().collect();
    // The manifest's rows (200, 404, 4xx) and the ledger's statuses with a code (400, 409;
    // 404 has its row); 403 is named without a code, so it is not one.
    assert_eq!(statuses, ["200", "400", "404", "409", "4XX"]);
    assert_reads_as_openapi_3_1(&committed());
}

/// Whether `body` is valid against the schema at `pointer` in `document`, as a JSON Schema
/// 2020-12 validator reads the document.
fn valid_in_document(document: &Json, pointer: &str, body: &Json) -> bool {
    const BASE: &str = "urn:sms-conformance:openapi";
    let registry = jsonschema::Registry::new()
        .extend([(BASE, document)])
        .and_then(|builder| builder.prepare())
        .unwrap();
    const FRAGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    let fragment = percent_encoding::utf8_percent_encode(pointer, FRAGMENT).to_string();
    let validator = jsonschema::draft202012::options()
        .with_registry(&registry)
        .offline()
        .build(&json!({"$ref": format!("{BASE}#{fragment}")}))
        .unwrap_or_else(|e| panic!("{pointer}: {e}"));
    validator.is_valid(body)
}

#[test]
fn the_embedded_schemas_judge_every_body_as_the_contract_does() {
    let (contract, cases, fixture) = small();
    let document = openapi::document(&contract, &cases, &fixture);
    // The generator's boundary cases for the small contract, its own document cases, and
    // bodies through the $refs the generator does not follow (into $defs, across files).
    let generated = tempfile::tempdir().unwrap();
    generate::write(generated.path(), &generate::generate(&contract)).unwrap();
    let mut bodies: Vec<(Judge, Json)> = Vec::new();
    for case in load_dir(generated.path(), &contract.known())
        .unwrap()
        .iter()
        .chain(&cases)
    {
        if let CaseKind::Document(document) = &case.kind {
            bodies.push((document.judge.clone(), document.body()));
        }
    }
    for (note, tag) in [("hello", "abcd"), ("hello!", "abcd"), ("hi", "abcde")] {
        let body = json!({"name": "widget", "note": note, "tags": [tag]});
        bodies.push((Judge::Schema("item".into()), body.clone()));
        bodies.push((Judge::Status(418), body));
    }
    let mut verdicts = [0, 0];
    for (judge, body) in &bodies {
        let (by_contract, pointer) = match judge {
            Judge::Schema(name) => (
                contract.validate(name, body).unwrap().is_empty(),
                format!("/components/schemas/{name}"),
            ),
            Judge::Status(status) => {
                let exact = format!("{RESPONSES}/{status}");
                let key = match document.pointer(&exact) {
                    Some(_) => status.to_string(),
                    None => format!("{}XX", status / 100),
                };
                (
                    contract.check_body(*status, body).unwrap().is_empty(),
                    format!("{RESPONSES}/{key}/content/application~1json/schema"),
                )
            }
        };
        let by_document = valid_in_document(&document, &pointer, body);
        assert_eq!(
            by_document, by_contract,
            "{judge}: {body}: the document at {pointer} says {by_document}, the contract {by_contract}"
        );
        verdicts[usize::from(by_contract)] += 1;
    }
    assert!(verdicts[0] >= 10 && verdicts[1] >= 5, "{verdicts:?}");
}

#[test]
fn the_committed_document_has_what_schemathesis_needs() {
    // interop/README.md, "What the generated OpenAPI document must contain".
    let document = committed();
    assert_eq!(
        document.pointer("/components/securitySchemes/XAuthToken"),
        Some(&json!({
            "type": "apiKey",
            "in": "header",
            "name": "X-Auth-Token",
            "description": "An IAM user token (the X-Subject-Token header of IAM's token call), 1..16384 characters (schemas/manifest.yaml, request).",
        }))
    );
    assert_eq!(document["security"], json!([{"XAuthToken": []}]));
    let builtin = Fixture::builtin();
    assert_eq!(
        document
            .pointer("/paths/~1v3~1tasks~1{task_id}~1passphrase/get/parameters/0/example")
            .and_then(Json::as_str),
        Some(builtin.tasks[0].id.as_str()),
        "the task id example is the mock's first task"
    );
    let responses = document.pointer(RESPONSES).unwrap().as_object().unwrap();
    for status in ["200", "400", "401", "403", "404", "429"] {
        let response = &responses[status];
        assert_eq!(
            response.pointer("/headers/X-Request-Id/$ref"),
            Some(&json!("#/components/headers/X-Request-Id")),
            "{status}"
        );
        assert!(
            response
                .pointer("/content/application~1json/schema")
                .is_some(),
            "{status}"
        );
    }
    assert_eq!(
        document["components"]["headers"]["X-Request-Id"]["required"],
        json!(true)
    );
    let schema = |status: &str| responses[status]["content"]["application/json"]["schema"].clone();
    assert_eq!(
        schema("403"),
        json!({"$ref": "#/components/schemas/sms-error"})
    );
    let gateway = &document["components"]["schemas"]["gateway-error"];
    assert_eq!(
        schema("404"),
        json!({"$ref": "#/components/schemas/gateway-error"})
    );
    assert_eq!(gateway["required"], json!(["error_code", "error_msg"]));
    let example = |status: &str, id: &str| {
        responses[status]["content"]["application/json"]["examples"][id]["value"].clone()
    };
    assert_eq!(
        example("200", "contract/page-200-example")["passphrase"],
        "********"
    );
    assert_eq!(
        example("403", "contract/page-403-example")["error_code"],
        "SMS.9004"
    );
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn output_writes_what_is_printed_and_check_tells_an_out_of_date_copy() {
    let temp = tempfile::tempdir().unwrap();
    let file = temp.path().join("openapi.yaml");
    let (schemas, cases, fixture) = (
        dir().join("schemas"),
        dir().join("cases"),
        dir().join("fixture.yaml"),
    );
    let suite = [
        "--schemas",
        path(&schemas),
        "--cases",
        path(&cases),
        "--fixture",
        path(&fixture),
    ];
    let (code, printed) = binary(&[&["openapi"][..], &suite].concat());
    assert_eq!(code, 0, "{printed}");
    assert_eq!(
        printed,
        std::fs::read_to_string(dir().join("expected.yaml")).unwrap()
    );
    let check = [&["openapi", "--check", path(&file)][..], &suite].concat();

    let (code, out) = binary(&check);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("openapi.yaml: missing: run `sms-conformance openapi --output"),
        "{out}"
    );

    let (code, out) = binary(&[&["openapi", "--output", path(&file)][..], &suite].concat());
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), printed);
    let (code, out) = binary(&check);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("is up to date with the contract"), "{out}");

    let stale = printed.replacen("maxLength: 3", "maxLength: 4", 1);
    let line = 1 + printed
        .lines()
        .position(|l| l.contains("maxLength: 3"))
        .unwrap();
    std::fs::write(&file, stale).unwrap();
    let (code, out) = binary(&check);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "out of date with the contract (first difference at line {line})"
        )),
        "{out}"
    );

    let (code, out) = binary(&[&["openapi", "--output", "x", "--check", "y"][..], &suite].concat());
    assert_eq!(code, 2, "--output and --check together: {out}");
}

#[test]
fn without_a_fixture_the_example_is_the_built_in_mocks_first_task() {
    let (contract, cases, _) = small();
    let document = openapi::document(&contract, &cases, &Fixture::builtin());
    let example = document
        .pointer("/paths/~1v3~1tasks~1{task_id}~1passphrase/get/parameters/0/example")
        .and_then(Json::as_str);
    assert_eq!(example, Some(Fixture::builtin().tasks[0].id.as_str()));
}

/// `--check` reads the committed copy no further than a document's length past the
/// document's own: `/dev/zero` is out of date at once, and a pipe nobody writes reads as
/// empty. Before, the first filled the memory and the second waited forever.
#[cfg(unix)]
#[tokio::test]
async fn check_reads_an_endless_or_silent_copy_without_hanging() {
    let temp = tempfile::tempdir().unwrap();
    let silent = temp.path().join("silent.yaml");
    common::fifo(&silent);
    for (copy, says) in [
        (
            "/dev/zero",
            "out of date with the contract (it is longer than the document)",
        ),
        (
            path(&silent),
            "out of date with the contract (first difference at line 1)",
        ),
    ] {
        let (schemas, cases) = (dir().join("schemas"), dir().join("cases"));
        let args = [
            "openapi",
            "--check",
            copy,
            "--schemas",
            path(&schemas),
            "--cases",
            path(&cases),
        ];
        let run = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            common::binary::run(&args, &[]),
        )
        .await
        .expect("the check ends");
        assert_eq!(run.code, 1, "{}", run.all());
        assert!(run.stdout.contains(says), "{}", run.all());
    }
}

//! What one case costs once the run has started: the schema validation of a 200 and a 403
//! body, masking a typical failure message, judging one document case, and one request case
//! against the embedded mock. `cargo bench --bench per_case`.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use divan::{Bencher, black_box};
use serde_json::Value as Json;
use sms_conformance::mock::{self, Fixture};
use sms_conformance::{Case, Contract, HttpClient, Redactor, Runner, Target, load_dir};

fn main() {
    divan::main();
}

fn contract() -> Contract {
    Contract::load(Path::new("schemas")).expect("the schemas load")
}

/// The case `id` of the suite in `cases/`.
fn case(contract: &Contract, id: &str) -> Arc<Case> {
    let cases = load_dir(Path::new("cases"), &contract.known()).expect("the cases load");
    cases
        .into_iter()
        .find(|case| case.id == id)
        .unwrap_or_else(|| panic!("no case {id}"))
}

/// The mock's answer to a GET of the fixture's task with the token called `token`, as JSON.
fn mock_body(token: &str) -> Json {
    let fixture = Fixture::builtin();
    let mut headers = http::HeaderMap::new();
    let value = fixture
        .tokens
        .iter()
        .find(|t| t.name == token)
        .expect("the fixture has the token")
        .value
        .parse()
        .expect("a header value");
    headers.insert("x-auth-token", value);
    let path = format!("/v3/tasks/{}/passphrase", fixture.tasks[0].id);
    let answer = mock::answer(&fixture, &http::Method::GET, &path, &headers, b"", "0");
    serde_json::from_slice(&answer.body).expect("the mock answers JSON")
}

#[divan::bench]
fn validate_200_body(bencher: Bencher) {
    let contract = contract();
    let body = mock_body("token");
    bencher.bench_local(|| contract.validate("passphrase", black_box(&body)));
}

#[divan::bench]
fn validate_403_body(bencher: Bencher) {
    let contract = contract();
    let body = mock_body("forbidden_token");
    bencher.bench_local(|| contract.validate("sms-error", black_box(&body)));
}

#[divan::bench]
fn redact_failure_message(bencher: Bencher) {
    let fixture = Fixture::builtin();
    let redactor = Redactor::new(fixture.secrets());
    redactor.learn_passphrases(&mock_body("token"));
    let message = format!(
        "case: read/valid-call (cases/read/valid-call.yaml)\n\
         sent: GET http://127.0.0.1:40000/v3/tasks/{}/passphrase\n      X-Auth-Token: {}\n\
         got:  200 with 96 bytes\n      content-type: application/json;charset=UTF-8\n\
         body: {}\nwhy:\n    - /task_id: \"x\", expected \"y\"\n",
        fixture.tasks[0].id,
        fixture.tokens[0].value,
        mock_body("token"),
    );
    bencher.bench_local(|| redactor.redact(black_box(&message)));
}

#[divan::bench]
fn document_case(bencher: Bencher) {
    let contract = Arc::new(contract());
    let case = case(&contract, "contract/page-403-example");
    let target = Target::new("http://127.0.0.1:1", Fixture::builtin().variables());
    let client = HttpClient::new(Duration::from_secs(10), 1 << 20);
    let runner = Runner::new(contract, target, client);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    bencher.bench_local(|| runtime.block_on(runner.run(Arc::clone(&case))));
}

#[divan::bench]
fn request_case_against_the_embedded_mock(bencher: Bencher) {
    let contract = Arc::new(contract());
    let case = case(&contract, "read/valid-call");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let fixture = Fixture::builtin();
    let variables = fixture.variables();
    let (listening, serving) = runtime
        .block_on(mock::server::embedded(
            Arc::new(fixture),
            std::future::pending(),
        ))
        .expect("the mock listens");
    runtime.spawn(serving);
    // Where a run's embedded mock listens, reached as a run reaches it.
    let target = Target::embedded(&listening.url(), listening.socket(), variables, None);
    let client = HttpClient::new(Duration::from_secs(10), 1 << 20);
    let runner = Runner::new(contract, target, client);
    bencher.bench_local(|| runtime.block_on(runner.run(Arc::clone(&case))));
}

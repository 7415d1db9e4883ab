//! Shared by the integration tests: the faithful behaviour hosted by wiremock, with one thing
//! changed on purpose ([`variants`]), a runner wired to the shipped contract and the tests'
//! own cases, the binary run to its end ([`binary`]) or serving ([`child`]), and hostile
//! servers ([`hostile`]).

pub mod binary;
pub mod child;
pub mod hostile;
pub mod variants;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use sms_conformance::mock::{self, Fixture, MockAnswer};
use sms_conformance::{
    Case, CaseResult, Contract, FileError, HttpClient, Outcome, Problem, Redactor, Renderer,
    Runner, Stop, Target,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate, matchers::any};

/// Changes the faithful answer to a request.
pub type Tweak = fn(&Request, MockAnswer) -> MockAnswer;

/// The faithful answer, unchanged.
pub fn faithful(_: &Request, answer: MockAnswer) -> MockAnswer {
    answer
}

/// A 256-character passphrase, one past the documented maximum.
pub const LONG_PASSPHRASE: &str = concat!(
    "LongSecret-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
    "0123456789abcdef0123456789abc"
);

/// Answers 200s with [`LONG_PASSPHRASE`].
pub fn long_passphrase(_: &Request, answer: MockAnswer) -> MockAnswer {
    if answer.status != 200 {
        return answer;
    }
    edit_json(answer, |body| {
        body["passphrase"] = serde_json::json!(LONG_PASSPHRASE)
    })
}

/// The forms a secret takes where common encoders write it, each written here without the
/// crate's redactor: itself; JSON-escaped; percent-encoded with every non-alphanumeric
/// byte escaped, with RFC 3986's unreserved `-._~` kept (the runner's own path encoding),
/// as encodeURIComponent and as an HTML form (`+` for a space), each in upper- and
/// lower-case hex; and the part of its base64 and base64url encodings that holds it alone
/// and with a prefix of one or two bytes.
pub fn secret_forms(secret: &str) -> Vec<String> {
    let unreserved = |b: u8| b.is_ascii_alphanumeric() || b"-._~".contains(&b);
    let uri_component = |b: u8| b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b);
    let form = |b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
    let mut forms = vec![secret.to_owned(), json_escaped(secret)];
    for lower in [false, true] {
        forms.push(percent(secret, |b| b.is_ascii_alphanumeric(), lower, false));
        forms.push(percent(secret, unreserved, lower, false));
        forms.push(percent(secret, uri_component, lower, false));
        forms.push(percent(secret, form, lower, true));
    }
    for engine in [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ] {
        for prefix in [&b""[..], b"B", b"Be"] {
            use base64::Engine;
            let encoded = engine.encode([prefix, secret.as_bytes()].concat());
            // Drop the characters that also depend on the prefix, and the padding.
            let skip = (8 * prefix.len()).div_ceil(6);
            let encoded = encoded.trim_end_matches('=');
            let keep = (8 * (prefix.len() + secret.len())) / 6;
            forms.push(encoded[skip..keep].to_owned());
        }
    }
    forms.retain(|form| !form.is_empty());
    forms.sort();
    forms.dedup();
    forms
}

/// `text` as it stands between the quotes of a JSON string.
pub fn json_escaped(text: &str) -> String {
    let quoted = Json::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// `text` percent-encoded, `keep` saying which bytes stay as they are; lower-case hex when
/// `lower`; a space as `+` when `plus`.
pub fn percent(text: &str, keep: impl Fn(u8) -> bool, lower: bool, plus: bool) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if keep(byte) {
            out.push(char::from(byte));
        } else if plus && byte == b' ' {
            out.push('+');
        } else if lower {
            out.push_str(&format!("%{byte:02x}"));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The form encoding of `text` (`+` for a space).
pub fn form_encoded(text: &str) -> String {
    let keep = |b: u8| b.is_ascii_alphanumeric() || b"*-._".contains(&b);
    percent(text, keep, false, true)
}

/// How many characters of a form of a secret make a leak: a cut that leaves this many
/// behind has leaked.
pub const LEAK_WINDOW: usize = 12;

/// Every form ([`secret_forms`]) of every secret found in any of the `outputs`, whole or
/// any [`LEAK_WINDOW`] characters of it, as `form in output` lines.
pub fn leaks(outputs: &[(&str, String)], secrets: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for secret in secrets {
        for form in secret_forms(secret) {
            let chars: Vec<char> = form.chars().collect();
            let mut pieces = vec![form.clone()];
            pieces.extend(
                chars
                    .windows(LEAK_WINDOW)
                    .map(|window| window.iter().collect::<String>()),
            );
            for (name, text) in outputs {
                if let Some(piece) = pieces.iter().find(|piece| text.contains(piece.as_str())) {
                    found.push(format!(
                        "{piece:?} (of {form:?}, a form of {secret:?}) in {name}"
                    ));
                }
            }
        }
    }
    found
}

/// A plain HTTP client (TLS through ring, as the crate's own).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// The value of the built-in fixture's token called `name`.
pub fn builtin_token(name: &str) -> String {
    let fixture = Fixture::builtin();
    let token = fixture.tokens.iter().find(|t| t.name == name);
    token
        .unwrap_or_else(|| panic!("no token {name}"))
        .value
        .clone()
}

/// Makes a FIFO (a named pipe) at `path`.
pub fn fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo").arg(path).status();
    assert!(made.is_ok_and(|status| status.success()), "mkfifo {path:?}");
}

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped cases folder: only the suite, the catalogue and the README's front door run
/// it; other tests use [`data_cases`].
pub fn cases_dir() -> PathBuf {
    root().join("cases")
}

/// The tests' own cases.
pub fn data_cases() -> PathBuf {
    root().join("tests/data/cases")
}

/// The shipped schemas folder.
pub fn schemas_dir() -> PathBuf {
    root().join("schemas")
}

/// The shipped contract.
pub fn contract() -> Contract {
    Contract::load(&schemas_dir()).expect("the shipped schemas load")
}

/// Loads the cases in `dir`, schema names checked against the shipped contract.
pub fn load_cases(dir: &Path) -> Result<Vec<Arc<Case>>, Vec<FileError>> {
    let contract = contract();
    sms_conformance::load_dir(dir, &contract.known())
}

/// The problems of a result that failed; panics with its outcome otherwise.
#[track_caller]
pub fn problems(result: &CaseResult) -> &[Problem] {
    match &result.outcome {
        Outcome::Failed(problems) => problems,
        other => panic!("{} did not fail: {other:?}", result.case.id),
    }
}

/// The failure text of `result` as the terminal shows it, masked with the built-in
/// fixture's secrets.
pub fn failure_text(result: &CaseResult) -> String {
    let redactor = Redactor::new(Fixture::builtin().secrets());
    let renderer = Renderer::new(&redactor, std::slice::from_ref(result));
    renderer.failure(result).unwrap_or_default()
}

/// The mock's behaviour as a wiremock responder, after `tweak`, with an optional delay.
struct Stub {
    fixture: Fixture,
    tweak: Tweak,
    delay: Option<Duration>,
}

impl Respond for Stub {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let faithful = mock::answer(
            &self.fixture,
            &request.method,
            &target(&request.url),
            &request.headers,
            &request.body,
            &mock::new_request_id(),
        );
        let answer = (self.tweak)(request, faithful);
        let mut template = ResponseTemplate::new(answer.status);
        for (name, value) in answer.headers {
            template = template.append_header(name, value.as_ref());
        }
        template = template.set_body_bytes(answer.body);
        match self.delay {
            Some(delay) => template.set_delay(delay),
            None => template,
        }
    }
}

/// The request target as the mock reads it: the raw path, and the query if there is one.
pub fn target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A wiremock server answering every request with the tweaked behaviour.
pub async fn stub(tweak: Tweak) -> MockServer {
    stub_with_delay(tweak, None).await
}

/// Like [`stub`], every answer held back by `delay`.
pub async fn stub_with_delay(tweak: Tweak, delay: Option<Duration>) -> MockServer {
    serve(Fixture::builtin(), tweak, delay).await
}

/// The faithful behaviour with `fixture` (its tasks, tokens and assumed choices).
pub async fn stub_fixture(fixture: Fixture) -> MockServer {
    serve(fixture, faithful, None).await
}

async fn serve(fixture: Fixture, tweak: Tweak, delay: Option<Duration>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Stub {
            fixture,
            tweak,
            delay,
        })
        .mount(&server)
        .await;
    server
}

/// `answer` with its JSON body changed by `edit`.
pub fn edit_json(mut answer: MockAnswer, edit: impl FnOnce(&mut Json)) -> MockAnswer {
    let mut body: Json = serde_json::from_slice(&answer.body).expect("the mock answers JSON");
    edit(&mut body);
    answer.body = body.to_string().into_bytes();
    answer
}

/// A contract and cases, and a runtime to run them on.
pub struct Harness {
    /// Hosts the stubs and drives the runner's requests.
    pub runtime: tokio::runtime::Runtime,
    contract: Arc<Contract>,
    cases: Vec<Arc<Case>>,
}

impl Harness {
    /// The tests' own cases ([`data_cases`]).
    pub fn new() -> Harness {
        Harness::with_cases(&data_cases())
    }

    /// Loads the cases in `dir`, with the shipped contract.
    pub fn with_cases(dir: &Path) -> Harness {
        Harness {
            runtime: tokio::runtime::Runtime::new().expect("a runtime"),
            contract: Arc::new(contract()),
            cases: load_cases(dir).expect("the cases load"),
        }
    }

    /// Starts a stub on the harness's runtime.
    pub fn stub(&self, tweak: Tweak, delay: Option<Duration>) -> MockServer {
        self.runtime.block_on(stub_with_delay(tweak, delay))
    }

    /// Starts a raw TCP server (see [`hostile`]) on the harness's runtime.
    pub fn raw_server<F, Fut>(&self, serve: F) -> String
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        self.runtime.block_on(hostile::raw_server(serve))
    }

    /// Runs the case `id` against `url`, with the built-in fixture's variables.
    pub fn run(&self, url: &str, id: &str, timeout: Duration) -> CaseResult {
        self.run_on(Harness::target(url), id, timeout)
    }

    /// Runs the case `id` against `target`.
    pub fn run_on(&self, target: Target, id: &str, timeout: Duration) -> CaseResult {
        let case = self
            .cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}"));
        let runner = self.runner(target, timeout);
        self.runtime.block_on(runner.run(Arc::clone(case)))
    }

    /// Runs every case against `url`; the results of those that did not pass.
    pub fn run_all(&self, url: &str) -> Vec<CaseResult> {
        let runner = Arc::new(self.runner(Harness::target(url), Duration::from_secs(10)));
        let results = self.runtime.block_on(runner.run_all(&self.cases, 8));
        results
            .into_iter()
            .filter(|result| result.outcome != Outcome::Passed)
            .collect()
    }

    /// Runs every case against `url`, at most `concurrency` at once, until `stop` is
    /// raised: the ids in the order their results came, and the results.
    pub fn run_until(
        &self,
        url: &str,
        concurrency: usize,
        stop: &Stop,
    ) -> (Vec<String>, Vec<CaseResult>) {
        let runner = Arc::new(self.runner(Harness::target(url), Duration::from_secs(10)));
        let mut came = Vec::new();
        let results =
            self.runtime
                .block_on(runner.run_until(&self.cases, concurrency, stop, |result| {
                    came.push(result.case.id.clone())
                }));
        (came, results)
    }

    fn runner(&self, target: Target, timeout: Duration) -> Runner {
        Runner::new(
            Arc::clone(&self.contract),
            target,
            HttpClient::new(timeout, 1 << 20),
        )
    }

    /// The target at `url` with the built-in fixture's variables.
    fn target(url: &str) -> Target {
        Target::new(url, Fixture::builtin().variables())
    }
}

/// The JSON report at `path`, checked against `schemas/report/report.schema.json`.
#[track_caller]
pub fn checked_report(path: &Path) -> Json {
    checked_against(path, "report.schema.json")
}

/// The JSON report at `path`, checked against `schemas/report/{schema}`.
#[track_caller]
pub fn checked_against(path: &Path, schema: &str) -> Json {
    let report: Json = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let errors = schema_errors(&report, schema);
    assert!(errors.is_empty(), "{errors:#?}");
    report
}

/// Why `report` is not valid against `schemas/report/{schema}`, an error a line. The report
/// schemas are read together, each under its file name, as a reader with the folder would
/// resolve them: one `$ref`s another (the proxy report's reasons are the run report's).
pub fn schema_errors(report: &Json, schema: &str) -> Vec<String> {
    const BASE: &str = "file:///sms-conformance/schemas/report/";
    let documents: Vec<(String, Json)> = std::fs::read_dir(root().join("schemas/report"))
        .unwrap()
        .map(|entry| {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            let json = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            (format!("{BASE}{name}"), json)
        })
        .collect();
    let registry = jsonschema::Registry::new()
        .extend(documents.iter().map(|(uri, json)| (uri.as_str(), json)))
        .and_then(|builder| builder.prepare())
        .unwrap();
    let uri = format!("{BASE}{schema}");
    let (_, root) = documents.iter().find(|(known, _)| *known == uri).unwrap();
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .with_registry(&registry)
        .with_base_uri(uri.clone())
        .build(root)
        .unwrap();
    validator
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

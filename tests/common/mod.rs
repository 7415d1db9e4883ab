//! Shared by the integration tests: the faithful behaviour hosted by wiremock, with one thing
//! changed on purpose, and a runner wired to the shipped contract and cases.

#![allow(dead_code)] // each test crate uses its own part of this module

pub mod binary;
pub mod hostile;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use sms_conformance::case::{self, Case};
use sms_conformance::mock::{self, Fixture, MockAnswer};
use sms_conformance::{Contract, HttpClient, Outcome, Redactor, Runner, Target};
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

/// The value of the built-in fixture's token called `name`.
pub fn builtin_token(name: &str) -> String {
    let fixture = Fixture::builtin();
    let token = fixture.tokens.iter().find(|t| t.name == name);
    token
        .unwrap_or_else(|| panic!("no token {name}"))
        .value
        .clone()
}

/// The repository's root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The shipped cases folder.
pub fn cases_dir() -> PathBuf {
    root().join("cases")
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
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, Vec<sms_conformance::yaml::FileError>> {
    let contract = contract();
    case::load_dir(dir, &|name| contract.has_schema(name))
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
            request.url.path(),
            &request.headers,
            &mock::new_request_id(),
        );
        let answer = (self.tweak)(request, faithful);
        let mut template = ResponseTemplate::new(answer.status);
        for (name, value) in answer.headers {
            template = template.append_header(name, value.as_str());
        }
        template = template.set_body_bytes(answer.body);
        match self.delay {
            Some(delay) => template.set_delay(delay),
            None => template,
        }
    }
}

/// A wiremock server answering every request with the tweaked behaviour.
pub async fn stub(tweak: Tweak) -> MockServer {
    stub_with_delay(tweak, None).await
}

/// Like [`stub`], every answer held back by `delay`.
pub async fn stub_with_delay(tweak: Tweak, delay: Option<Duration>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(Stub {
            fixture: Fixture::builtin(),
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

/// The shipped cases and contract, and a runtime to run them on.
pub struct Harness {
    /// Hosts the stubs and drives the runner's requests.
    pub runtime: tokio::runtime::Runtime,
    contract: Arc<Contract>,
    cases: Vec<Case>,
}

impl Harness {
    /// Loads the shipped suite.
    pub fn new() -> Harness {
        Harness::with_cases(&cases_dir())
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
    pub fn run(&self, url: &str, id: &str, timeout: Duration) -> Outcome {
        let case = self
            .cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no case {id}"));
        self.runner(url, timeout).run(case)
    }

    /// Runs every case against `url`; the ids of those that did not pass, with their outcome.
    pub fn run_all(&self, url: &str) -> Vec<(String, Outcome)> {
        let runner = self.runner(url, Duration::from_secs(10));
        self.cases
            .iter()
            .map(|case| (case.id.clone(), runner.run(case)))
            .filter(|(_, outcome)| *outcome != Outcome::Passed)
            .collect()
    }

    fn runner(&self, url: &str, timeout: Duration) -> Runner {
        let fixture = Fixture::builtin();
        Runner::new(
            Arc::clone(&self.contract),
            Target::new(url, fixture.variables()),
            HttpClient::new(timeout, 1 << 20).expect("a client"),
            self.runtime.handle().clone(),
            Arc::new(Redactor::new(fixture.secrets())),
        )
    }
}

//! The runner: turns cases into libtest-mimic trials that send each case's request to the
//! target and check the answer against the contract and the case.
//!
//! One runtime, one HTTP client and one compiled contract are shared by every trial; the
//! trials run in parallel on libtest-mimic's threads.

mod check;
mod message;

use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use check::{Problem, check, check_document};

use crate::case::{Case, CaseKind, RequestSpec, Variables};
use crate::contract::Contract;
use crate::http::{HttpClient, PreparedRequest};
use crate::redact::Redactor;

/// What `quote(task_id, safe='')` leaves alone in the official SDK: RFC 3986's unreserved
/// characters.
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// The header the token travels in.
pub const TOKEN_HEADER: &str = "X-Auth-Token";

/// The endpoint under test and the variables it provides.
#[derive(Debug, Clone)]
pub struct Target {
    /// Scheme, host and optional path prefix, without a trailing `/`.
    pub base_url: String,
    /// The values of `${task_id}`, `${token}`, `${forbidden_token}`.
    pub variables: Variables,
}

impl Target {
    /// A target at `base_url` (a trailing `/` is dropped).
    pub fn new(base_url: &str, variables: Variables) -> Target {
        Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            variables,
        }
    }
}

/// How one case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// Not run: the target lacks a variable.
    Ignored(String),
    /// A check failed; the message is already redacted.
    Failed(String),
}

/// Runs cases against one target.
pub struct Runner {
    contract: Arc<Contract>,
    target: Target,
    client: HttpClient,
    runtime: tokio::runtime::Handle,
    redactor: Arc<Redactor>,
}

impl Runner {
    /// A runner; `redactor` must already know the target's secrets.
    pub fn new(
        contract: Arc<Contract>,
        target: Target,
        client: HttpClient,
        runtime: tokio::runtime::Handle,
        redactor: Arc<Redactor>,
    ) -> Runner {
        Runner {
            contract,
            target,
            client,
            runtime,
            redactor,
        }
    }

    /// One libtest-mimic trial per case, named by the case's id.
    pub fn trials(self: &Arc<Self>, cases: Vec<Case>) -> Vec<Trial> {
        cases
            .into_iter()
            .map(|case| {
                let runner = Arc::clone(self);
                Trial::ignorable_test(case.id.clone(), move || match runner.run(&case) {
                    Outcome::Passed => Ok(Completion::Completed),
                    Outcome::Ignored(reason) => Ok(Completion::ignored_with(reason)),
                    Outcome::Failed(message) => Err(Failed::from(message)),
                })
            })
            .collect()
    }

    /// Runs one case.
    pub fn run(&self, case: &Case) -> Outcome {
        let variables = &self.target.variables;
        let missing: Vec<String> = case
            .needs
            .iter()
            .filter(|v| variables.get(**v).is_none())
            .map(|v| format!("{v} (set {})", v.how_to_set()))
            .collect();
        if !missing.is_empty() {
            return Outcome::Ignored(format!("the target provides no {}", missing.join(", ")));
        }
        let (request, expect) = match &case.kind {
            CaseKind::Request { request, expect } => (request, expect),
            CaseKind::Document(document) => {
                return match check_document(&self.contract, document) {
                    None => Outcome::Passed,
                    Some(why) => Outcome::Failed(message::document_failure(case, document, &why)),
                };
            }
        };
        let request = prepare(&self.target, request);
        let result = self.runtime.block_on(self.client.send(&request));
        let problems = match &result {
            Ok(answer) => {
                if let Ok(body) = serde_json::from_slice(&answer.body) {
                    self.redactor.learn_passphrases(&body);
                }
                check(&self.contract, expect, variables, &request.method, answer)
            }
            Err(_) => Vec::new(),
        };
        if result.is_ok() && problems.is_empty() {
            return Outcome::Passed;
        }
        let text = message::failure(case, &request, &result, &problems);
        Outcome::Failed(self.redactor.redact(&text))
    }
}

/// The request `spec` stands for at `target`. Every variable it refers to must be provided
/// (the runner ignores the case otherwise).
fn prepare(target: &Target, spec: &RequestSpec) -> PreparedRequest {
    let render = |value: &crate::case::Value| value.render(&target.variables).unwrap_or_default();
    let task_id = render(&spec.task_id);
    let path = spec.path.0.replace(
        "{task_id}",
        &utf8_percent_encode(&task_id, PATH_SEGMENT).to_string(),
    );
    let mut headers = Vec::new();
    if let Some(token) = &spec.token {
        headers.push((TOKEN_HEADER.to_owned(), render(token)));
    }
    headers.extend(
        spec.headers
            .iter()
            .map(|(name, value)| (name.to_string(), render(value))),
    );
    PreparedRequest {
        method: spec.method.0.clone(),
        url: format!("{}{path}", target.base_url),
        headers,
    }
}

//! The runner: sends each request case to the target and checks the answer against the
//! contract and the case; judges each document case against the contract.
//!
//! One runtime, one HTTP client and one compiled contract are shared by every case; cases
//! run concurrently as tasks on the runtime ([`Runner::run_all`]), and their reports are
//! masked once all have run. The command line then shows them through libtest-mimic.

mod check;
mod message;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

pub use check::{Problem, check, check_document};

use crate::case::{Case, CaseKind, RequestSpec, Variables};
use crate::contract::Contract;
use crate::http::{HttpClient, PreparedRequest, TransportError};
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// Not run: the target lacks a variable.
    Ignored(String),
    /// A check failed: the whole message.
    Failed(String),
}

/// One reason a case failed, for reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// Which check: `status`, `content-type`, `header`, `json`, `schema`, `body`, `transport`
    /// or `verdict`.
    pub check: &'static str,
    /// What is wrong.
    pub message: String,
    /// The JSON pointer into the body, when there is one.
    pub pointer: Option<String>,
    /// The schema keyword, when a schema failed.
    pub keyword: Option<String>,
}

/// What a case sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    /// The method.
    pub method: String,
    /// The URL.
    pub url: String,
    /// The headers as shown (credentials masked).
    pub headers: Vec<(String, String)>,
}

/// Everything about one case's run.
#[derive(Debug, Clone)]
pub struct CaseReport {
    /// The case's id.
    pub id: String,
    /// Its file.
    pub file: PathBuf,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub duration: Duration,
    /// What it sent (request cases).
    pub request: Option<RequestSummary>,
    /// The status that came back, if an answer did.
    pub response_status: Option<u16>,
    /// Why it failed.
    pub reasons: Vec<Reason>,
    /// Whether the target could not be reached at all.
    pub unreachable: bool,
    /// The exchange as text (`sent:` and `got:` lines), for `--verbose`.
    pub exchange: Option<String>,
}

impl Reason {
    /// A reason that points at no place in the body.
    pub fn new(check: &'static str, message: impl Into<String>) -> Reason {
        Reason {
            check,
            message: message.into(),
            pointer: None,
            keyword: None,
        }
    }
}

impl CaseReport {
    fn new(case: &Case, outcome: Outcome) -> CaseReport {
        CaseReport {
            id: case.id.clone(),
            file: case.file.clone(),
            outcome,
            duration: Duration::ZERO,
            request: None,
            response_status: None,
            reasons: Vec::new(),
            unreachable: false,
            exchange: None,
        }
    }

    /// The report with every text masked by `redactor`.
    pub fn redacted(mut self, redactor: &Redactor) -> CaseReport {
        let mask = |text: &mut String| *text = redactor.redact(text);
        match &mut self.outcome {
            Outcome::Ignored(text) | Outcome::Failed(text) => mask(text),
            Outcome::Passed => {}
        }
        for reason in &mut self.reasons {
            mask(&mut reason.message);
        }
        if let Some(request) = &mut self.request {
            mask(&mut request.url);
            request
                .headers
                .iter_mut()
                .for_each(|(_, value)| mask(value));
        }
        if let Some(exchange) = &mut self.exchange {
            mask(exchange);
        }
        self
    }
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

    /// The redactor that masks this runner's output.
    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Runs one case and masks its outcome with what the redactor knows now.
    pub fn run(&self, case: &Case) -> Outcome {
        self.runtime
            .block_on(self.run_case(case))
            .redacted(&self.redactor)
            .outcome
    }

    /// Runs `cases`, at most `concurrency` at a time, and returns their reports in the same
    /// order, masked once all have run (so a passphrase seen in any answer is masked in all).
    pub fn run_all(self: &Arc<Self>, cases: &[Case], concurrency: usize) -> Vec<CaseReport> {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut reports: Vec<Option<CaseReport>> = vec![None; cases.len()];
        self.runtime.block_on(async {
            let mut tasks = JoinSet::new();
            let mut index_of = HashMap::new();
            for (index, case) in cases.iter().enumerate() {
                let (runner, permits, case) =
                    (Arc::clone(self), Arc::clone(&permits), case.clone());
                let task = tasks.spawn(async move {
                    let _permit = permits.acquire_owned().await;
                    runner.run_case(&case).await
                });
                index_of.insert(task.id(), index);
            }
            while let Some(joined) = tasks.join_next_with_id().await {
                let (id, report) = match joined {
                    Ok((id, report)) => (id, report),
                    Err(error) => {
                        let id = error.id();
                        let why = panic_text(error.try_into_panic().ok().as_deref());
                        (
                            id,
                            CaseReport::new(&cases[index_of[&id]], Outcome::Failed(why)),
                        )
                    }
                };
                reports[index_of[&id]] = Some(report);
            }
        });
        reports
            .into_iter()
            .flatten()
            .map(|report| report.redacted(&self.redactor))
            .collect()
    }

    /// Runs one case; the report is not masked yet.
    pub async fn run_case(&self, case: &Case) -> CaseReport {
        let started = Instant::now();
        let mut report = self.run_unmeasured(case).await;
        report.duration = started.elapsed();
        report
    }

    async fn run_unmeasured(&self, case: &Case) -> CaseReport {
        if let Some(reason) = self.missing_variables(case) {
            return CaseReport::new(case, Outcome::Ignored(reason));
        }
        let (spec, expect) = match &case.kind {
            CaseKind::Request { request, expect } => (request, expect),
            CaseKind::Document(document) => {
                return match check_document(&self.contract, document) {
                    None => CaseReport::new(case, Outcome::Passed),
                    Some(why) => {
                        let mut report = CaseReport::new(
                            case,
                            Outcome::Failed(message::document_failure(case, document, &why)),
                        );
                        report.reasons.push(Reason::new("verdict", why));
                        report
                    }
                };
            }
        };
        let request = prepare(&self.target, spec);
        let result = self.client.send(&request).await;
        // The body is parsed once: for the passphrases to learn, the checks and the message.
        let json = result
            .as_ref()
            .ok()
            .map(|answer| serde_json::from_slice::<serde_json::Value>(&answer.body));
        let problems = match (&result, &json) {
            (Ok(answer), Some(json)) => {
                if let Ok(body) = json {
                    self.redactor.learn_passphrases(body);
                }
                check(
                    &self.contract,
                    expect,
                    &self.target.variables,
                    &request.method,
                    answer,
                    json,
                )
            }
            _ => Vec::new(),
        };
        let parsed = json.as_ref().and_then(|json| json.as_ref().ok());
        let exchange = format!(
            "{}{}",
            message::sent(&request),
            message::got(&result, parsed)
        );
        let mut reasons: Vec<Reason> = problems.iter().flat_map(Problem::reasons).collect();
        let outcome = match &result {
            Ok(_) if problems.is_empty() => Outcome::Passed,
            Ok(_) => {
                let why: String = problems.iter().map(|p| format!("\n    - {p}")).collect();
                Outcome::Failed(format!("{}{exchange}why:{why}", message::heading(case)))
            }
            Err(error) => {
                reasons.push(Reason::new("transport", error.to_string()));
                Outcome::Failed(format!("{}{exchange}why:  {error}", message::heading(case)))
            }
        };
        CaseReport {
            request: Some(RequestSummary {
                method: request.method.to_string(),
                url: request.url.clone(),
                headers: request
                    .headers
                    .iter()
                    .map(|(n, v)| (n.clone(), crate::redact::header_value(n, v)))
                    .collect(),
            }),
            response_status: result.as_ref().ok().map(|answer| answer.status),
            unreachable: matches!(result, Err(TransportError::Unreachable(_))),
            reasons,
            exchange: Some(exchange),
            ..CaseReport::new(case, outcome)
        }
    }

    /// Why `case` cannot run against this target, if it cannot.
    fn missing_variables(&self, case: &Case) -> Option<String> {
        let missing: Vec<String> = case
            .needs
            .iter()
            .filter(|v| self.target.variables.get(**v).is_none())
            .map(|v| format!("{v} (set {})", v.how_to_set()))
            .collect();
        (!missing.is_empty()).then(|| format!("the target provides no {}", missing.join(", ")))
    }

    /// What `case` would do, as text with credentials masked by name: for `--dry-run`.
    pub fn describe(&self, case: &Case) -> String {
        let what = if let Some(reason) = self.missing_variables(case) {
            format!("      ignored: {reason}\n")
        } else {
            match &case.kind {
                CaseKind::Request { request, .. } => message::sent(&prepare(&self.target, request)),
                CaseKind::Document(document) => {
                    format!("      a document checked against {}\n", document.judge)
                }
            }
        };
        self.redactor
            .redact(&format!("{}{what}", message::heading(case)))
    }
}

/// The message of a case whose run panicked.
fn panic_text(payload: Option<&(dyn std::any::Any + Send)>) -> String {
    let text = payload
        .and_then(|p| {
            p.downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| p.downcast_ref::<&str>().copied())
        })
        .unwrap_or("(no message)");
    format!("the runner panicked while running this case: {text}")
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

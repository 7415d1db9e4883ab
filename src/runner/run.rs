//! The loop: every case against one target, concurrently, each ending in a typed
//! [`CaseResult`]. Request cases and document cases are two plain paths.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::check::{check, check_document};
use super::request::Target;
use super::result::{CaseResult, Exchange, Outcome, Problem};
use crate::case::{Case, CaseKind, Document, Expectation, RequestSpec};
use crate::contract::Contract;
use crate::http::HttpClient;
use crate::vocab::Variable;

/// Runs cases against one target: one compiled contract and one HTTP client shared by all.
pub struct Runner {
    contract: Arc<Contract>,
    target: Target,
    client: HttpClient,
}

impl Runner {
    /// A runner of `target`, judging by `contract`, sending through `client`.
    pub fn new(contract: Arc<Contract>, target: Target, client: HttpClient) -> Runner {
        Runner {
            contract,
            target,
            client,
        }
    }

    /// The target it runs against.
    pub fn target(&self) -> &Target {
        &self.target
    }

    /// Runs `cases`, at most `concurrency` at a time, and returns their results in the same
    /// order. A case whose run panics fails with the panic's message.
    pub async fn run_all(
        self: &Arc<Self>,
        cases: &[Arc<Case>],
        concurrency: usize,
    ) -> Vec<CaseResult> {
        let permits = Arc::new(Semaphore::new(concurrency.max(1)));
        let mut results: Vec<Option<CaseResult>> = vec![None; cases.len()];
        let mut tasks = JoinSet::new();
        let mut index_of = HashMap::new();
        for (index, case) in cases.iter().enumerate() {
            let (runner, permits, case) =
                (Arc::clone(self), Arc::clone(&permits), Arc::clone(case));
            let task = tasks.spawn(async move {
                let _permit = permits.acquire_owned().await;
                runner.run(case).await
            });
            index_of.insert(task.id(), index);
        }
        while let Some(joined) = tasks.join_next_with_id().await {
            let (id, result) = match joined {
                Ok((id, result)) => (id, result),
                Err(error) => {
                    let id = error.id();
                    let why = panic_text(error.try_into_panic().ok().as_deref());
                    let case = Arc::clone(&cases[index_of[&id]]);
                    (
                        id,
                        finished(
                            case,
                            Outcome::Failed(vec![Problem::Panicked(why)]),
                            None,
                            Instant::now(),
                        ),
                    )
                }
            };
            results[index_of[&id]] = Some(result);
        }
        results.into_iter().flatten().collect()
    }

    /// Runs one case.
    pub async fn run(&self, case: Arc<Case>) -> CaseResult {
        let started = Instant::now();
        let missing = self.missing_variables(&case);
        if !missing.is_empty() {
            return finished(case, Outcome::Ignored(missing), None, started);
        }
        let (outcome, exchange) = match &case.kind {
            CaseKind::Document(document) => (self.judge(document), None),
            CaseKind::Request { request, expect } => {
                let (outcome, exchange) = self.exchange(request, expect).await;
                (outcome, Some(exchange))
            }
        };
        finished(case, outcome, exchange, started)
    }

    /// The variables `case` needs that the target does not provide.
    pub fn missing_variables(&self, case: &Case) -> Vec<Variable> {
        let variables = &self.target.variables;
        case.needs
            .iter()
            .copied()
            .filter(|v| variables.get(*v).is_none())
            .collect()
    }

    fn judge(&self, document: &Document) -> Outcome {
        match check_document(&self.contract, document) {
            None => Outcome::Passed,
            Some(verdict) => Outcome::Failed(vec![Problem::Verdict(verdict)]),
        }
    }

    async fn exchange(&self, spec: &RequestSpec, expect: &Expectation) -> (Outcome, Exchange) {
        let request = self.target.prepare(spec);
        let carried_token = self
            .target
            .variables
            .get(Variable::Token)
            .is_some_and(|token| request.headers.iter().any(|(_, v)| v.contains(token)));
        let answer = self.client.send(&request).await;
        let (problems, json) = match &answer {
            Ok(answer) => {
                // The body is parsed once: for the checks, and for the reports (the
                // passphrases they mask, and the excerpt they show).
                let json = serde_json::from_slice(&answer.body).map_err(|e| e.to_string());
                let problems = check(
                    &self.contract,
                    expect,
                    &self.target.variables,
                    &request.method,
                    answer,
                    &json,
                );
                (problems, json)
            }
            Err(error) => (
                vec![Problem::Transport(error.clone())],
                Err(error.to_string()),
            ),
        };
        let outcome = if problems.is_empty() {
            Outcome::Passed
        } else {
            Outcome::Failed(problems)
        };
        (
            outcome,
            Exchange {
                request,
                carried_token,
                answer,
                json,
            },
        )
    }
}

fn finished(
    case: Arc<Case>,
    outcome: Outcome,
    exchange: Option<Exchange>,
    started: Instant,
) -> CaseResult {
    CaseResult {
        case,
        outcome,
        duration: started.elapsed(),
        exchange,
    }
}

/// The message of a case whose run panicked.
fn panic_text(payload: Option<&(dyn std::any::Any + Send)>) -> String {
    payload
        .and_then(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        })
        .unwrap_or_else(|| "(no message)".to_owned())
}

//! The loop: every case against one target, concurrently, each ending in a typed
//! [`CaseResult`]. Request cases and document cases are two plain paths; a request goes
//! through the run's [`Gate`] (its pace and retries) and stops starting when the run's
//! [`Stop`] is raised.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use tokio::task::JoinSet;

use super::check::{check, check_document};
use super::polite::{Gate, Next, Politeness, retry_after};
use super::request::Target;
use super::result::{Attempt, CaseResult, Exchange, GaveUp, Outcome, Problem, Throttled};
use super::stop::Stop;
use crate::case::{Case, CaseKind, Document, Expectation, RequestSpec};
use crate::contract::Contract;
use crate::http::{Answer, HttpClient, TransportError};
use crate::vocab::Variable;

/// Runs cases against one target: one compiled contract, one HTTP client and one gate
/// shared by all.
pub struct Runner {
    contract: Arc<Contract>,
    target: Target,
    client: HttpClient,
    gate: Gate,
}

impl Runner {
    /// A runner of `target`, judging by `contract`, sending through `client`, with no rate
    /// limit and no retry.
    pub fn new(contract: Arc<Contract>, target: Target, client: HttpClient) -> Runner {
        Runner {
            contract,
            target,
            client,
            gate: Gate::new(Politeness::default()),
        }
    }

    /// The same runner, keeping `politeness`.
    pub fn polite(self, politeness: Politeness) -> Runner {
        Runner {
            gate: Gate::new(politeness),
            ..self
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
        self.run_until(cases, concurrency, &Stop::new(), |_| {})
            .await
    }

    /// Like [`run_all`](Self::run_all), calling `done` with each result as it comes, until
    /// `stop` is raised: then no case starts and no request is sent again, the exchanges in
    /// flight end, and the cases that had not sent anything are left out of the results.
    pub async fn run_until(
        self: &Arc<Self>,
        cases: &[Arc<Case>],
        concurrency: usize,
        stop: &Stop,
        mut done: impl FnMut(&CaseResult),
    ) -> Vec<CaseResult> {
        // At most `concurrency` tasks exist at a time: a task is spawned as another ends, so
        // that a large suite does not hold a waiting task for each of its cases.
        let concurrency = concurrency.max(1);
        // Results in the order they end, with their case's place: sorted at the end, in
        // place. A slot for every case up front would hold a whole `CaseResult` for each,
        // and a second vector for the ones that ran.
        let mut results: Vec<(usize, CaseResult)> = Vec::with_capacity(cases.len());
        let mut tasks = JoinSet::new();
        let mut index_of = HashMap::new();
        let mut next = cases.iter().enumerate();
        loop {
            while tasks.len() < concurrency && !stop.is_raised() {
                let Some((index, case)) = next.next() else {
                    break;
                };
                let (runner, case, stop) = (Arc::clone(self), Arc::clone(case), stop.clone());
                let task = tasks.spawn(async move { runner.run_or_stop(case, &stop).await });
                index_of.insert(task.id(), index);
            }
            let Some(joined) = tasks.join_next_with_id().await else {
                break;
            };
            let (id, ran) = match joined {
                Ok((id, ran)) => (id, Ok(ran)),
                Err(error) => (error.id(), Err(error)),
            };
            let index = index_of
                .remove(&id)
                .expect("each task runs a case of the run");
            let result = match ran {
                // Stopped before it sent anything: it did not run.
                Ok(None) => continue,
                Ok(Some(result)) => result,
                Err(error) => finished(
                    Arc::clone(&cases[index]),
                    Outcome::Failed(vec![Problem::Panicked(panic_text(
                        error.try_into_panic().ok().as_deref(),
                    ))]),
                    None,
                    Instant::now(),
                ),
            };
            done(&result);
            results.push((index, result));
        }
        results.sort_unstable_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }

    /// Runs one case.
    pub async fn run(&self, case: Arc<Case>) -> CaseResult {
        let id = case.id.clone();
        self.run_or_stop(case, &Stop::new())
            .await
            .unwrap_or_else(|| unreachable!("{id}: a stop never raised stopped it"))
    }

    /// Runs one case; `None` when `stop` was raised before it sent anything.
    async fn run_or_stop(&self, case: Arc<Case>, stop: &Stop) -> Option<CaseResult> {
        let started = Instant::now();
        let missing = self.missing_variables(&case);
        if !missing.is_empty() {
            return Some(finished(case, Outcome::Ignored(missing), None, started));
        }
        let (outcome, exchange) = match &case.kind {
            CaseKind::Document(document) => (self.judge(document), None),
            CaseKind::Request { request, expect } => {
                let (outcome, exchange) =
                    self.exchange(request, expect, &case.assumes, stop).await?;
                (outcome, Some(exchange))
            }
        };
        Some(finished(case, outcome, exchange, started))
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

    /// Sends the request of `spec` (again, as the gate allows) and judges the last answer;
    /// `None` when `stop` was raised before anything was sent.
    async fn exchange(
        &self,
        spec: &RequestSpec,
        expect: &Expectation,
        assumes: &BTreeSet<String>,
        stop: &Stop,
    ) -> Option<(Outcome, Exchange)> {
        let request = self.target.prepare(spec);
        let carried_token = self
            .target
            .variables
            .get(Variable::Token)
            .is_some_and(|token| request.headers.iter().any(|(_, v)| v.contains(token)));
        let mut attempts: Vec<Attempt> = Vec::new();
        let mut gave_up = None;
        let mut retried: Option<Result<Answer, TransportError>> = None;
        let answer = loop {
            if !self.gate.turn(stop).await {
                // Stopped: a case that sent nothing did not run; one waiting to retry ends
                // with the answer it has.
                let answer = retried?;
                gave_up = Some(GaveUp::Interrupted);
                break answer;
            }
            let answer = self.client.send(&request).await;
            let accepted = answer
                .as_ref()
                .is_ok_and(|answer| expect.status.matches(answer.status));
            let next = self
                .gate
                .next(&request.method, &answer, accepted, attempts.len() + 1);
            attempts.push(Attempt {
                answer: answer.as_ref().map(|a| a.status).map_err(Clone::clone),
                retry_after: answer
                    .as_ref()
                    .ok()
                    .and_then(|a| retry_after(a, SystemTime::now())),
                wait: None,
            });
            match next {
                Next::Judge => break answer,
                Next::GiveUp(why) => {
                    gave_up = Some(why);
                    break answer;
                }
                Next::Retry(wait) => {
                    if let Some(last) = attempts.last_mut() {
                        last.wait = Some(wait);
                    }
                    stop.sleep(wait).await;
                    retried = Some(answer);
                }
            }
        };
        let problems = match &answer {
            Ok(answer) => check(
                &self.contract,
                expect,
                &self.target.variables,
                &request.method,
                answer,
                &answer.json(),
            ),
            Err(error) => vec![Problem::Transport(error.clone())],
        };
        let throttled = match (&answer, gave_up) {
            (Ok(answer), Some(gave_up)) => Some(Throttled {
                status: answer.status,
                gave_up,
            }),
            _ => None,
        };
        // A throttled answer is still checked against the contract; the case's own
        // expectations (its status and body) are about another answer.
        let only_expectations = problems.iter().all(Problem::is_expectation);
        let outcome = match throttled {
            Some(throttled) if only_expectations => {
                Outcome::Inconclusive(vec![Problem::Throttled(throttled)])
            }
            _ if problems.is_empty() => Outcome::Passed,
            _ if !assumes.is_empty() && only_expectations => Outcome::Contradicted(problems),
            _ => Outcome::Failed(problems),
        };
        Some((
            outcome,
            Exchange {
                request,
                carried_token,
                answer,
                attempts,
            },
        ))
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

//! The loop: every case against one target, concurrently, each ending in a typed
//! [`CaseResult`]. Request cases and document cases are two plain paths: a request goes
//! through the run's [`Gate`] (its pace and retries), and documents are judged in batches on
//! threads of their own; neither starts once the run's [`Stop`] is raised.

use std::collections::{HashMap, VecDeque};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Instant, SystemTime};

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::check::{check, check_document};
use super::polite::{Gate, Next, Politeness, retry_after};
use super::request::{Target, TargetKind};
use super::result::{Attempt, CaseResult, Exchange, GaveUp, Outcome, Problem, Throttled};
use super::stop::Stop;
use crate::case::{Case, CaseKind, Document, Expectation, RequestSpec};
use crate::contract::Contract;
use crate::http::{Answer, HttpClient, TransportError};
use crate::vocab::Variable;

/// The fewest document cases worth a thread of their own: a thread's start costs about as
/// much as judging a few dozen.
const CASES_A_THREAD_AT_LEAST: usize = 32;
/// How many document cases a judging thread takes, and sends the results of, at once: a
/// send per case would wake the receiving thread for each.
const BATCH: usize = 64;
/// How many of `count` document cases a batch takes when `threads` judge them: shares
/// alike, so that no thread judges most of a small suite alone (66 documents were a batch of
/// 64 and one of 2), and at most [`BATCH`].
fn batch_size(count: usize, threads: usize) -> usize {
    count.div_ceil(threads.max(1)).clamp(1, BATCH)
}

/// Document cases, each with its place in the run, taken together.
type Batch = Vec<(usize, Arc<Case>)>;
/// Where the results of judged batches go.
type Judged = mpsc::UnboundedSender<Vec<(usize, CaseResult)>>;

/// Runs cases against one target: one compiled contract, one HTTP client and one gate
/// shared by all.
pub struct Runner {
    contract: Arc<Contract>,
    target: Arc<Target>,
    /// The search for the target's `${token}` in a request's headers, built once: building
    /// it was 5% of an exchange's instructions (callgrind).
    token: Option<memchr::memmem::Finder<'static>>,
    client: HttpClient,
    gate: Gate,
    /// The most threads that judge document cases; `None`: the run's concurrency.
    judges: Option<usize>,
}

impl Runner {
    /// A runner of `target`, judging by `contract`, sending through `client` (straight to
    /// the embedded mock's socket, for it), with no rate limit and no retry.
    pub fn new(contract: Arc<Contract>, target: Target, client: HttpClient) -> Runner {
        let client = match &target.kind {
            TargetKind::Embedded { socket, .. } => client.direct(socket.as_deref()),
            TargetKind::Standalone { .. } | TargetKind::Live => client,
        };
        let token = target
            .variables
            .get(Variable::Token)
            .map(|token| memchr::memmem::Finder::new(token).into_owned());
        Runner {
            contract,
            target: Arc::new(target),
            token,
            client,
            gate: Gate::new(Politeness::default()),
            judges: None,
        }
    }

    /// The same runner, judging document cases on at most `judges` threads (and no more
    /// than the processors), whatever the concurrency of its exchanges.
    pub fn judges(self, judges: usize) -> Runner {
        Runner {
            judges: Some(judges.max(1)),
            ..self
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
    ///
    /// Document cases need no target: they are judged on threads of their own (at most
    /// `concurrency`, or as [`judges`](Self::judges) says, and no more than the processors),
    /// beside the exchanges, which wait on the network on this one.
    pub async fn run_until(
        self: &Arc<Self>,
        cases: &[Arc<Case>],
        concurrency: usize,
        stop: &Stop,
        mut done: impl FnMut(&CaseResult),
    ) -> Vec<CaseResult> {
        let concurrency = concurrency.max(1);
        // Results in the order they end, with their case's place: sorted at the end, in
        // place. A slot for every case up front would hold a whole `CaseResult` for each,
        // and a second vector for the ones that ran.
        let mut results: Vec<(usize, CaseResult)> = Vec::with_capacity(cases.len());
        let mut judged = self.judge_all(cases, self.judges.unwrap_or(concurrency), stop);
        // At most `concurrency` tasks exist at a time: a task is spawned as another ends, so
        // that a large suite does not hold a waiting task for each of its cases.
        let mut tasks = JoinSet::new();
        let mut index_of = HashMap::new();
        let mut next = cases
            .iter()
            .enumerate()
            .filter(|(_, case)| matches!(case.kind, CaseKind::Request { .. }));
        let mut keep = |index, result: CaseResult| {
            done(&result);
            results.push((index, result));
        };
        loop {
            while tasks.len() < concurrency && !stop.is_raised() {
                let Some((index, case)) = next.next() else {
                    break;
                };
                let (runner, case, stop) = (Arc::clone(self), Arc::clone(case), stop.clone());
                let task = tasks.spawn(async move { runner.run_or_stop(case, &stop).await });
                index_of.insert(task.id(), index);
            }
            tokio::select! {
                Some(batch) = judged.recv() => {
                    for (index, result) in batch {
                        keep(index, result);
                    }
                }
                Some(joined) = tasks.join_next_with_id() => {
                    let (id, ran) = match joined {
                        Ok((id, ran)) => (id, Ok(ran)),
                        Err(error) => (error.id(), Err(error)),
                    };
                    let index = index_of
                        .remove(&id)
                        .expect("each task runs a case of the run");
                    match ran {
                        // Stopped before it sent anything: it did not run.
                        Ok(None) => {}
                        Ok(Some(result)) => keep(index, result),
                        Err(error) => keep(
                            index,
                            panicked(
                                Arc::clone(&cases[index]),
                                error.try_into_panic().ok().as_deref(),
                            ),
                        ),
                    }
                }
                else => break,
            }
        }
        results.sort_unstable_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }

    /// Judges the document cases of `cases` on threads of their own, which take them from a
    /// shared queue a batch at a time and send each batch's results once it is judged; a
    /// thread stops taking cases when `stop` is raised, and the channel closes when every
    /// thread is done. If no thread can start, they are judged here, first.
    fn judge_all(
        self: &Arc<Self>,
        cases: &[Arc<Case>],
        judges: usize,
        stop: &Stop,
    ) -> mpsc::UnboundedReceiver<Vec<(usize, CaseResult)>> {
        let (send, receive) = mpsc::unbounded_channel();
        let documents = || {
            cases
                .iter()
                .enumerate()
                .filter(|(_, case)| matches!(case.kind, CaseKind::Document(_)))
        };
        let count = documents().count();
        let threads = judges
            .min(crate::processors::processors())
            .min(count.div_ceil(CASES_A_THREAD_AT_LEAST));
        let size = batch_size(count, threads);
        let mut documents = documents()
            .map(|(index, case)| (index, Arc::clone(case)))
            .peekable();
        let mut batches = VecDeque::new();
        while documents.peek().is_some() {
            batches.push_back(documents.by_ref().take(size).collect::<Batch>());
        }
        let queue = Arc::new(Mutex::new(batches));
        let (runner, stop) = (Arc::clone(self), stop.clone());
        let judge = move || runner.judge_queue(&queue, &stop, &send);
        let started = (0..threads)
            .filter(|_| std::thread::Builder::new().spawn(judge.clone()).is_ok())
            .count();
        if started == 0 {
            judge();
        }
        receive
    }

    /// Judges the batches of `queue` until none is left or `stop` is raised, sending each
    /// batch's results.
    fn judge_queue(&self, queue: &Mutex<VecDeque<Batch>>, stop: &Stop, send: &Judged) {
        loop {
            let taken = queue
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop_front();
            let Some(batch) = taken else {
                return;
            };
            let mut results = Vec::with_capacity(batch.len());
            for (index, case) in batch {
                if stop.is_raised() {
                    let _ = send.send(results);
                    return;
                }
                let CaseKind::Document(document) = &case.kind else {
                    continue;
                };
                let judging = AssertUnwindSafe(|| self.judged(&case, document));
                let result = std::panic::catch_unwind(judging)
                    .unwrap_or_else(|payload| panicked(Arc::clone(&case), Some(payload.as_ref())));
                results.push((index, result));
            }
            if send.send(results).is_err() {
                return;
            }
        }
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
        let (request, expect) = match &case.kind {
            CaseKind::Document(document) => return Some(self.judged(&case, document)),
            CaseKind::Request { request, expect } => (request, expect),
        };
        let missing = self.missing_variables(&case);
        if !missing.is_empty() {
            return Some(finished(case, Outcome::Ignored(missing), None, started));
        }
        let (outcome, exchange) = self.exchange(&case, request, expect, stop).await?;
        Some(finished(case, outcome, Some(exchange), started))
    }

    /// Judges `document`, the body of `case`, unless the target lacks a variable it needs.
    fn judged(&self, case: &Arc<Case>, document: &Document) -> CaseResult {
        let started = Instant::now();
        let missing = self.missing_variables(case);
        let outcome = if missing.is_empty() {
            self.judge(document)
        } else {
            Outcome::Ignored(missing)
        };
        finished(Arc::clone(case), outcome, None, started)
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

    /// Sends the request of `spec`, `case`'s (again, as the gate allows) and judges the last
    /// answer; `None` when `stop` was raised before anything was sent.
    async fn exchange(
        &self,
        case: &Arc<Case>,
        spec: &RequestSpec,
        expect: &Expectation,
        stop: &Stop,
    ) -> Option<(Outcome, Exchange)> {
        let assumes = &case.assumes;
        let request = self.target.prepare(spec);
        // A header may be 16 KiB long: memchr's search reads it several times faster than
        // `str::contains`.
        let carried_token = self.token.as_ref().is_some_and(|finder| {
            request
                .headers
                .iter()
                .any(|(_, value)| finder.find(value.as_bytes()).is_some())
        });
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
        let exchange = Exchange::new(
            Arc::clone(case),
            Arc::clone(&self.target),
            carried_token,
            answer,
            attempts,
        );
        Some((outcome, exchange))
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

/// The result of a case whose run panicked with `payload`.
fn panicked(case: Arc<Case>, payload: Option<&(dyn std::any::Any + Send)>) -> CaseResult {
    let outcome = Outcome::Failed(vec![Problem::Panicked(panic_text(payload))]);
    finished(case, outcome, None, Instant::now())
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two threads share a small suite's documents alike; a large suite still goes in
    /// batches of [`BATCH`], and no count makes an empty batch.
    #[test]
    fn the_judges_share_the_documents_alike() {
        assert_eq!(batch_size(66, 2), 33);
        assert_eq!(batch_size(65, 2), 33);
        assert_eq!(batch_size(40, 1), 40);
        assert_eq!(batch_size(100_000, 2), BATCH);
        assert_eq!(batch_size(1, 0), 1);
        assert_eq!(batch_size(0, 0), 1);
    }
}

//! A run of the cases: load, build the target, run every selected case, then write the
//! reports, show the masked results through libtest-mimic, and pick the exit code.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};

use super::args::{MAX_THREADS, RunArgs};
use super::error::{EXIT_FAILED, EXIT_UNREACHABLE, Error};
use super::{load_suite, output, runtime, target};
use crate::case::{Case, CaseKind};
use crate::http::HttpClient;
use crate::redact::Redactor;
use crate::report::{self, Renderer, Run};
use crate::runner::{CaseResult, Outcome, Runner};

/// How many cases run at once when `--test-threads` does not say.
const DEFAULT_CONCURRENCY: usize = 8;

/// Runs the cases `args` select and returns the exit code.
pub(super) fn run(args: &RunArgs, redactor: &Redactor) -> Result<ExitCode, Error> {
    let (contract, cases) = load_suite(&args.suite).map_err(|e| match e {
        Error::Files(errors) => Error::NothingSent(errors),
        other => other,
    })?;
    let libtest = &args.libtest;
    if libtest
        .test_threads
        .is_some_and(|threads| !(1..=MAX_THREADS).contains(&threads))
    {
        return Err(Error::Usage(format!(
            "--test-threads must be 1 to {MAX_THREADS}"
        )));
    }
    if libtest.list {
        let listing = cases
            .iter()
            .map(|c| trial(c, || Ok(Completion::Completed)))
            .collect();
        return Ok(output::libtest(libtest, listing)?.exit_code());
    }
    let runtime = runtime()?;
    let target = target::build(args, &runtime, redactor)?;
    let client = HttpClient::new(args.timeout, args.max_body)
        .map_err(|e| Error::start("build the HTTP client", e))?;
    let target_url = report::without_credentials(&target.base_url);
    let runner = Arc::new(Runner::new(Arc::new(contract), target, client));
    let selected: Vec<Arc<Case>> = cases
        .iter()
        .filter(|c| !libtest.is_filtered_out(&trial(c, || Ok(Completion::Completed))))
        .cloned()
        .collect();
    if args.dry_run {
        let renderer = Renderer::new(redactor, &[]);
        for case in &selected {
            let request = match &case.kind {
                CaseKind::Request { request, .. } => Some(runner.target().prepare(request)),
                CaseKind::Document(_) => None,
            };
            let missing = runner.missing_variables(case);
            output::print(&format!(
                "{}\n",
                renderer.plan(case, request.as_ref(), &missing)
            ))?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let started = chrono::Utc::now();
    let clock = std::time::Instant::now();
    let concurrency = libtest.test_threads.unwrap_or(DEFAULT_CONCURRENCY);
    let results = runtime.block_on(runner.run_all(&selected, concurrency));
    let run = Run {
        target: target_url,
        started,
        duration: clock.elapsed(),
        results,
    };
    // Every case has run: the renderer learns every passphrase seen before it shows any.
    let renderer = Renderer::new(redactor, &run.results);
    if args.verbose {
        for result in &run.results {
            if let Some(exchange) = &result.exchange {
                output::eprint(&format!(
                    "=== {}\n{}\n",
                    result.case.id,
                    renderer.exchange(exchange)
                ))?;
            }
        }
    }
    // The reports first: a reader of the terminal that goes away does not cost them.
    let reports = write_reports(args, &run, &renderer);
    let conclusion = output::libtest(libtest, trials(&cases, &run.results, &renderer))?;
    reports?;
    Ok(exit_code(conclusion.has_failed(), &run.results))
}

/// The test of `case`, for libtest-mimic.
fn trial(case: &Case, test: impl FnOnce() -> Result<Completion, Failed> + Send + 'static) -> Trial {
    Trial::ignorable_test(case.id.clone(), test)
}

/// Every case as a trial that replays its (masked) result.
fn trials(cases: &[Arc<Case>], results: &[CaseResult], renderer: &Renderer) -> Vec<Trial> {
    let mut shown: HashMap<&str, Result<Completion, Failed>> = results
        .iter()
        .map(|result| {
            let message = renderer.failure(result);
            let shown = match (&result.outcome, message) {
                (Outcome::Passed, _) => Ok(Completion::Completed),
                (Outcome::Ignored(_), reason) => {
                    Ok(Completion::ignored_with(reason.unwrap_or_default()))
                }
                (Outcome::Failed(_), message) => Err(Failed::from(message.unwrap_or_default())),
            };
            (result.case.id.as_str(), shown)
        })
        .collect();
    cases
        .iter()
        .map(|case| {
            // A case without a result was filtered out and libtest-mimic skips it too; were
            // it ever shown, it must not pass unrun.
            let shown = shown
                .remove(case.id.as_str())
                .unwrap_or_else(|| Err(Failed::from(format!("{} was not run", case.id))));
            trial(case, move || shown)
        })
        .collect()
}

/// 0 when nothing failed; 3 when every request case failed to reach the target; else 101.
fn exit_code(failed: bool, results: &[CaseResult]) -> ExitCode {
    let mut requests = results.iter().filter(|r| r.exchange.is_some()).peekable();
    if !failed {
        ExitCode::SUCCESS
    } else if requests.peek().is_some() && requests.all(CaseResult::unreachable) {
        ExitCode::from(EXIT_UNREACHABLE)
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

fn write_reports(args: &RunArgs, run: &Run, renderer: &Renderer) -> Result<(), Error> {
    let write = |path: &Path, bytes: &[u8]| {
        report::write_atomically(path, bytes).map_err(|source| Error::Write {
            path: path.to_owned(),
            source,
        })
    };
    if let Some(path) = &args.junit {
        let xml = report::junit::render(run, renderer).map_err(|e| Error::Write {
            path: path.to_owned(),
            source: std::io::Error::other(e),
        })?;
        write(path, xml.as_bytes())?;
    }
    if let Some(path) = &args.report_json {
        let json =
            serde_json::to_vec_pretty(&report::json::render(run, renderer)).map_err(|e| {
                Error::Write {
                    path: path.to_owned(),
                    source: e.into(),
                }
            })?;
        write(path, &json)?;
    }
    Ok(())
}

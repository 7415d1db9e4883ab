//! A run of the cases: load, build the target, run every selected case, then show the
//! masked results through libtest-mimic, write the reports, and pick the exit code.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};

use super::args::RunArgs;
use super::error::{EXIT_FAILED, EXIT_UNREACHABLE, Error};
use super::{load_suite, target};
use crate::case::CaseKind;
use crate::http::HttpClient;
use crate::redact::Redactor;
use crate::report::{self, Renderer, Run};
use crate::runner::{CaseResult, Outcome, Runner};

/// How many cases run at once when `--test-threads` does not say.
const DEFAULT_CONCURRENCY: usize = 8;

/// Runs the cases `args` select and returns the exit code.
pub(super) fn run(args: &RunArgs, redactor: &Redactor) -> Result<ExitCode, Error> {
    let mut libtest = args.libtest.clone();
    if libtest.color.is_none() && std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        libtest.color = Some(libtest_mimic::ColorSetting::Never);
    }
    let is_selected = |id: &str| !libtest.is_filtered_out(&trial(id, || Ok(Completion::Completed)));
    let suite = load_suite(&args.suite, &is_selected).map_err(|e| match e {
        Error::Files(errors) => Error::NothingSent(errors),
        other => other,
    })?;
    if libtest.list {
        let listing = suite
            .ids
            .iter()
            .map(|id| trial(id, || Ok(Completion::Completed)))
            .collect();
        return Ok(libtest_mimic::run(&libtest, listing).exit_code());
    }
    // One thread: the cases mostly wait on the network, and the embedded mock answers on the
    // same thread without waking another.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::start("start the async runtime", e))?;
    let target = target::build(args, &runtime, redactor)?;
    let client = HttpClient::new(args.timeout, args.max_body);
    let target_url = report::without_credentials(&target.base_url);
    let runner = Arc::new(Runner::new(Arc::new(suite.contract), target, client));
    let selected = suite.cases;
    if args.dry_run {
        let renderer = Renderer::new(redactor, &[]);
        for case in &selected {
            let request = match &case.kind {
                CaseKind::Request { request, .. } => Some(runner.target().prepare(request)),
                CaseKind::Document(_) => None,
            };
            let missing = runner.missing_variables(case);
            println!("{}", renderer.plan(case, request.as_ref(), &missing));
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
                eprintln!("=== {}\n{}", result.case.id, renderer.exchange(exchange));
            }
        }
    }
    // The trials only replay finished results: one thread shows them, in id order.
    libtest.test_threads = Some(1);
    let conclusion = libtest_mimic::run(&libtest, trials(&suite.ids, &run.results, &renderer));
    write_reports(args, &run, &renderer)?;
    Ok(exit_code(conclusion.has_failed(), &run.results))
}

/// The test of the case `id`, for libtest-mimic.
fn trial(id: &str, test: impl FnOnce() -> Result<Completion, Failed> + Send + 'static) -> Trial {
    Trial::ignorable_test(id, test)
}

/// Every case (by id) as a trial that replays its (masked) result.
fn trials(ids: &[String], results: &[CaseResult], renderer: &Renderer) -> Vec<Trial> {
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
    ids.iter()
        .map(|id| {
            // A case without a result was filtered out and libtest-mimic skips it too; were
            // it ever shown, it must not pass unrun.
            let shown = shown
                .remove(id.as_str())
                .unwrap_or_else(|| Err(Failed::from(format!("{id} was not run"))));
            trial(id, move || shown)
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

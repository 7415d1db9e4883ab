//! A run of the cases: load, build the target, run every selected case, then show the
//! masked results through libtest-mimic, write the reports, and pick the exit code.

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;

use libtest_mimic::{Completion, Failed, Trial};

use super::args::RunArgs;
use super::error::{EXIT_FAILED, EXIT_UNREACHABLE, Error};
use super::{load_suite, runtime, settings, target, write_file, write_report};
use crate::case::{Case, CaseKind};
use crate::http::HttpClient;
use crate::redact::Redactor;
use crate::report::{self, Renderer, Run};
use crate::runner::{CaseResult, Outcome, Runner};

/// How many cases run at once when `--test-threads` does not say.
pub(super) const DEFAULT_CONCURRENCY: usize = 8;

/// Runs the cases `args` select against the endpoint given by `endpoint` (none: the
/// embedded mock) and returns the exit code.
pub(super) fn run(
    args: &RunArgs,
    endpoint: Option<settings::Source>,
    redactor: &Redactor,
) -> Result<ExitCode, Error> {
    settings::warn_look_alikes();
    let (contract, cases) = load_suite(&args.suite).map_err(Error::nothing_sent)?;
    let mut libtest = args.libtest.clone();
    if libtest.color.is_none() && std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        libtest.color = Some(libtest_mimic::ColorSetting::Never);
    }
    if libtest.list {
        let listing = cases
            .iter()
            .map(|c| trial(c, || Ok(Completion::Completed)))
            .collect();
        return Ok(libtest_mimic::run(&libtest, listing).exit_code());
    }
    if endpoint.is_some() && args.target.fixture.is_some() {
        return Err(Error::Usage(
            "--fixture is the embedded mock's, and a live endpoint is set: run one or the other, or compare them with `sms-conformance diff`".to_owned(),
        ));
    }
    settings::check(&args.target, endpoint, &settings::is_set)?;
    let runtime = runtime()?;
    let target = target::build(&args.target, &runtime, redactor)?;
    let client = HttpClient::new(args.target.timeout, args.target.max_body)
        .map_err(|e| Error::start("build the HTTP client", e))?;
    let runner = Arc::new(Runner::new(Arc::new(contract), target, client));
    let selected: Vec<Arc<Case>> = cases
        .iter()
        .filter(|c| !libtest.is_filtered_out(&trial(c, || Ok(Completion::Completed))))
        .cloned()
        .collect();
    let label = Renderer::new(redactor, &[]).mask(&runner.target().label());
    println!("target: {label}");
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
        target: runner.target().clone(),
        strict: args.strict,
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
    let conclusion = libtest_mimic::run(&libtest, trials(&cases, &run, &renderer));
    for note in notes(&run) {
        println!("{note}");
    }
    write_reports(args, &run, &renderer)?;
    Ok(exit_code(conclusion.has_failed(), &run.results))
}

/// The test of `case`, for libtest-mimic.
fn trial(case: &Case, test: impl FnOnce() -> Result<Completion, Failed> + Send + 'static) -> Trial {
    Trial::ignorable_test(case.id.clone(), test)
}

/// Every case as a trial that replays its (masked) result.
fn trials(cases: &[Arc<Case>], run: &Run, renderer: &Renderer) -> Vec<Trial> {
    let mut shown: HashMap<&str, Result<Completion, Failed>> = run
        .results
        .iter()
        .map(|result| {
            let message = renderer.failure(result);
            let shown = match (&result.outcome, message) {
                (Outcome::Passed, _) => Ok(Completion::Completed),
                (Outcome::Contradicted(_), message) if run.strict => {
                    Err(Failed::from(message.unwrap_or_default()))
                }
                (Outcome::Contradicted(_), _) => {
                    Ok(Completion::ignored_with(renderer.contradiction(result)))
                }
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

/// What the summary adds to libtest's: the assumptions contradicted, and the cases a
/// missing setting kept from running.
fn notes(run: &Run) -> Vec<String> {
    let mut notes = Vec::new();
    let contradicted = run.contradicted();
    if !contradicted.is_empty() {
        let ids: Vec<&str> = contradicted.into_iter().collect();
        let consequence = if run.strict {
            "--strict fails on them"
        } else {
            "not contract failures; --strict fails on them"
        };
        notes.push(format!(
            "note: {} assumption{} contradicted: {} (see schemas/assumptions.yaml; {consequence})",
            ids.len(),
            if ids.len() == 1 { "" } else { "s" },
            ids.join(", ")
        ));
    }
    for (variable, cases) in run.missing() {
        notes.push(format!(
            "note: {cases} case{} did not run: set {} to run {}",
            if cases == 1 { "" } else { "s" },
            variable.how_to_set(),
            if cases == 1 { "it" } else { "them" }
        ));
    }
    notes
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
    if let Some(path) = &args.junit {
        let xml = report::junit::render(run, renderer).map_err(|e| Error::Write {
            path: path.to_owned(),
            source: std::io::Error::other(e),
        })?;
        write_file(path, xml.as_bytes())?;
    }
    if let Some(path) = &args.report_json {
        write_report(path, &report::json::render(run, renderer))?;
    }
    Ok(())
}

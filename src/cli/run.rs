//! A run of the cases: load, check the settings and the report paths, build the target, run
//! every selected case (politely, with progress, until done or interrupted), then write the
//! reports, print the masked results as libtest does, and pick the exit code.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::args::{ColorWhen, ExchangeArgs, RunArgs, TargetArgs};
use super::error::{EXIT_BAD_INPUT, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_UNREACHABLE, Error};
use super::progress::Progress;
use super::reports::Reports;
use super::{load_suite, output, read_named, settings, signals, target};
use crate::case::CaseKind;
use crate::http::HttpClient;
use crate::redact::Redactor;
use crate::report::{self, Format, Renderer, Run};
use crate::runner::{CaseResult, Outcome, Politeness, Runner, Stop, TargetKind, none_reached};

/// How many exchanges run at once against the embedded mock when `--test-threads` does not
/// say. It answers on the run's one thread: a second keeps one slow exchange from holding up
/// the rest, and more would only open connections (6 fewer: the suite 0.95x, paired). The
/// document cases are judged on every processor all the same (see [`judges`]).
const EMBEDDED_CONCURRENCY: usize = 2;
/// How many cases run at once against a live endpoint when `--test-threads` does not say.
pub(super) const LIVE_CONCURRENCY: usize = 4;
/// The most `--cacert` may hold: Mozilla's whole bundle is about 220 KiB.
const MAX_CA_BYTES: u64 = 4 << 20;
/// How much of the standard output is gathered before it is written.
const STDOUT_BUFFER: usize = 64 * 1024;
/// Requests a second to a live endpoint when `--rate` does not say.
const LIVE_RATE: f64 = 5.0;

/// Runs the cases `args` select against the endpoint given by `endpoint` (none: the
/// embedded mock) and returns the exit code.
pub(super) fn run(
    args: &RunArgs,
    endpoint: Option<settings::Source>,
    redactor: &Redactor,
) -> Result<ExitCode, Error> {
    settings::warn_look_alikes();
    // Only the selected case files are read.
    let suite =
        load_suite(&args.suite, &|id| args.libtest.selects(id)).map_err(Error::nothing_sent)?;
    let (contract, selected) = (suite.contract, suite.cases);
    let (mut out, colored) = stdout(args);
    // A run that selects nothing would test nothing and pass: a listing may be empty.
    if selected.is_empty() && !args.libtest.list {
        return Err(Error::Usage(nothing_selected(
            "case",
            &args.libtest.filters,
            !args.libtest.skip.is_empty(),
            args.libtest.ignored,
        )));
    }
    if args.libtest.list {
        let listing: String = selected
            .iter()
            .map(|c| format!("{}: test\n", c.id))
            .collect();
        output::printed(out.write_all(listing.as_bytes()).and_then(|()| out.flush()))?;
        return Ok(ExitCode::SUCCESS);
    }
    if endpoint.is_some() && args.target.fixture.is_some() {
        return Err(Error::Usage(
            "--fixture is the embedded mock's, and a live endpoint is set: run one or the other, or compare them with `sms-conformance diff`".to_owned(),
        ));
    }
    settings::check(&args.target, endpoint, &settings::is_set)?;
    let reports = Reports::of(args);
    if !args.dry_run {
        reports.check()?;
    }
    // One thread: the cases mostly wait on the network, and the embedded mock answers on the
    // same thread without waking another.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::start("start the async runtime", e))?;
    let client = client(&args.target.exchange, args.target.cacert.as_deref())?;
    let target = target::build(&args.target, &runtime, &client, redactor, args.dry_run)?;
    let oversized = target.oversized(&selected);
    if !oversized.is_empty() {
        return Err(Error::NothingSent(oversized));
    }
    let live = target.kind == TargetKind::Live;
    let runner = Arc::new(
        Runner::new(Arc::new(contract), target, client)
            .polite(politeness(&args.target, live))
            .judges(judges(args.libtest.test_threads)),
    );
    let label = Renderer::new(redactor, &[]).mask(&runner.target().label());
    // A reader that goes away stops the printing, not the run: the reports are still
    // written, and the exit is 141 at the end.
    // libtest's JSON format is events alone: the lines that are not events go to stderr.
    let events_only = args.libtest.format() == Format::Json;
    // What standard output holds is written first: merged into one stream, the lines keep
    // their order.
    let aside = |out: &mut dyn Write, line: &str| {
        if events_only {
            out.flush()
                .and_then(|()| writeln!(std::io::stderr(), "{line}"))
        } else {
            writeln!(out, "{line}")
        }
    };
    // Said before the run, which may take long.
    let mut printing = aside(&mut out, &format!("target: {label}")).and_then(|()| out.flush());
    if args.dry_run {
        let renderer = Renderer::new(redactor, &[]);
        for case in &selected {
            let request = match &case.kind {
                CaseKind::Request { request, .. } => Some(runner.target().prepare(request)),
                CaseKind::Document(_) => None,
            };
            let missing = runner.missing_variables(case);
            let plan = renderer.plan(case, request.as_ref(), &missing);
            printing = printing.and_then(|()| writeln!(out, "{plan}"));
        }
        output::printed(printing.and_then(|()| out.flush()))?;
        return Ok(ExitCode::SUCCESS);
    }
    let started = chrono::Utc::now();
    let clock = std::time::Instant::now();
    let concurrency = args.libtest.test_threads.unwrap_or(if live {
        LIVE_CONCURRENCY
    } else {
        EMBEDDED_CONCURRENCY
    });
    let mut progress = Progress::start(args.progress, selected.len());
    let stop = Stop::new();
    let say = progress.sayer();
    let received = signals::listen(&runtime, stop.clone(), move |text| say(text))
        .map_err(|e| Error::start("listen for Ctrl-C", e))?;
    let results = runtime.block_on(runner.run_until(&selected, concurrency, &stop, |result| {
        progress.done(result)
    }));
    progress.finish();
    let run = Run {
        target: runner.target().clone(),
        strict: args.strict,
        started,
        duration: clock.elapsed(),
        results,
        selected: selected.len(),
        interrupted: received.signal(),
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
    let written = reports.write(&run, &renderer);
    let filtered_out = suite.ids.len() - selected.len();
    let printing = printing
        .and_then(|()| {
            report::console::print(
                &mut out,
                &run,
                &renderer,
                args.libtest.format(),
                filtered_out,
                colored,
            )
        })
        .and_then(|()| {
            notes(&run)
                .iter()
                .try_for_each(|note| aside(&mut out, note))
        })
        .and_then(|()| out.flush());
    output::printed(printing)?;
    written?;
    let code = exit_code(&run);
    // Freeing every case and result, and stopping the runtime, is left to a thread of its
    // own: the process ends without waiting for it (100,000 document cases 0.96x the wall
    // time), and a program that calls `main_with` gets its memory back all the same. A
    // thread that cannot start drops them here. Nothing they hold has work left to do (the
    // reports are written), so a panic there, printed masked, no longer moves the exit code.
    let leftovers = (runtime, runner, run, selected);
    let _ = std::thread::Builder::new().spawn(move || drop(leftovers));
    Ok(code)
}

/// How many threads may judge the document cases: `--test-threads` when given, else as many
/// as there are processors (the runner takes no more), whatever the exchanges' default.
fn judges(test_threads: Option<usize>) -> usize {
    test_threads.unwrap_or(usize::MAX)
}

/// How politely a target is run: `--rate` (by default [`LIVE_RATE`] for a live endpoint,
/// none for a mock), `--retries`, `--max-wait`.
pub(super) fn politeness(args: &TargetArgs, live: bool) -> Politeness {
    Politeness {
        rate: args.rate.or(live.then_some(LIVE_RATE)),
        retries: args.retries,
        max_wait: args.max_wait,
    }
}

/// The HTTP client of a run (or of the proxy), within `exchange`'s limits, trusting
/// `cacert` too.
pub(super) fn client(exchange: &ExchangeArgs, cacert: Option<&Path>) -> Result<HttpClient, Error> {
    let ca = match cacert {
        Some(file) => read_named(
            file,
            &format!("--cacert {}", file.display()),
            MAX_CA_BYTES,
            "CA bundle",
        )?,
        None => Vec::new(),
    };
    HttpClient::trusting(exchange.timeout, exchange.max_body, &ca).map_err(|why| match cacert {
        Some(file) => Error::Usage(format!("--cacert {}: {why}", file.display())),
        None => Error::start("build the HTTP client", why),
    })
}

/// Standard output, coloured as `--color` and `NO_COLOR` say, written in large pieces: the
/// standard output's own buffer writes at every line end, and the colours are taken out of
/// a line in pieces that end there, so that each case's line was a system call of its own
/// (100 in the suite's run; for 100,000 cases, 50 ms). What must show at once is flushed.
fn stdout(args: &RunArgs) -> (Box<dyn Write + Send>, bool) {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let choice = match args.libtest.color {
        Some(ColorWhen::Always) => anstream::ColorChoice::Always,
        Some(ColorWhen::Never) => anstream::ColorChoice::Never,
        Some(ColorWhen::Auto) | None if no_color => anstream::ColorChoice::Never,
        Some(ColorWhen::Auto) | None => anstream::ColorChoice::Auto,
    };
    // Settled on the standard output itself, which the buffer in front of it is not: whether
    // it is a terminal, and on Windows its console's colours turned on.
    let choice = anstream::AutoStream::new(std::io::stdout(), choice).current_choice();
    let buffered: Box<dyn Write + Send> = Box::new(std::io::BufWriter::with_capacity(
        STDOUT_BUFFER,
        std::io::stdout(),
    ));
    // Without colour nothing coloured is written, and nothing needs stripping.
    match choice {
        anstream::ColorChoice::Never => (buffered, false),
        _ => (Box::new(anstream::AutoStream::new(buffered, choice)), true),
    }
}

/// What the summary adds to libtest's: the assumptions contradicted, the flaky and
/// inconclusive cases, the cases a missing setting kept from running, and an interruption.
fn notes(run: &Run) -> Vec<String> {
    let mut notes = Vec::new();
    let s = |count: usize| if count == 1 { "" } else { "s" };
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
            s(ids.len()),
            ids.join(", ")
        ));
    }
    if run.tested_nothing() {
        notes.push(
            "note: nothing was tested: every selected case lacked a setting (exit 2)".to_owned(),
        );
    }
    if run.unproven() && !run.strict {
        notes.push(
            "note: no answer was a 2xx to a request with the permitted token, so the contradictions above may be wrong settings, not news: check the token (SMS_TOKEN, --token-file or SMS_IAM_USER's) and SMS_TASK_ID (read/valid-call reads the task with them); inconclusive (exit 4) unless something failed".to_owned(),
        );
    }
    let listed = |results: Vec<&CaseResult>| -> String {
        let ids: Vec<&str> = results.iter().map(|r| r.case.id.as_str()).collect();
        ids.join(", ")
    };
    let flaky: Vec<&CaseResult> = run.results.iter().filter(|r| r.flaky()).collect();
    if !flaky.is_empty() {
        let consequence = if run.strict {
            "--strict fails on them"
        } else {
            "counted as passed; --strict fails on them"
        };
        notes.push(format!(
            "note: {} case{} passed only on a retry (flaky): {} ({consequence})",
            flaky.len(),
            s(flaky.len()),
            listed(flaky)
        ));
    }
    let inconclusive: Vec<&CaseResult> = run
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Inconclusive(_)))
        .collect();
    if !inconclusive.is_empty() {
        notes.push(format!(
            "note: {} case{} still throttled after the retries (inconclusive, neither passed nor failed): {}; try a lower --rate or more --retries",
            inconclusive.len(),
            s(inconclusive.len()),
            listed(inconclusive)
        ));
    }
    for (variable, cases) in run.missing() {
        // A mock's variables come from its fixture; a live endpoint's from the settings.
        let how = match (&run.target.kind, variable.iam_user_setting()) {
            (TargetKind::Live, Some(user)) => format!("set {} (or {user})", variable.how_to_set()),
            (TargetKind::Live, None) => format!("set {}", variable.how_to_set()),
            _ => format!("give the fixture a token named `{variable}`"),
        };
        notes.push(format!(
            "note: {cases} case{} did not run: {how} to run {}",
            s(cases),
            if cases == 1 { "it" } else { "them" }
        ));
    }
    if let Some(signal) = run.interrupted {
        let not_run = run.counts().not_run;
        notes.push(format!(
            "note: interrupted by {}: {not_run} of {} selected case{} did not run",
            signal.name(),
            run.selected,
            s(run.selected)
        ));
    }
    notes
}

/// 130 or 143 when a signal interrupted the run; 2 when every case lacked a setting (it
/// tested nothing); else 0 when nothing failed or was inconclusive; 3 when every request
/// case failed to reach the target; 101 when a case failed; 4 when none failed and some
/// were inconclusive.
fn exit_code(run: &Run) -> ExitCode {
    if let Some(signal) = run.interrupted {
        ExitCode::from(signal.exit_code())
    } else if run.tested_nothing() {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if !run.failed() && run.inconclusive() {
        ExitCode::from(EXIT_INCONCLUSIVE)
    } else if !run.failed() {
        ExitCode::SUCCESS
    } else if none_reached(&run.results) {
        ExitCode::from(EXIT_UNREACHABLE)
    } else {
        ExitCode::from(EXIT_FAILED)
    }
}

/// Why a selection of `what` (`case`, `request case`) is empty: the filters matched nothing,
/// `--skip` left nothing, or `--ignored` asked for the cases marked ignored, of which there
/// are none.
pub(super) fn nothing_selected(
    what: &str,
    filters: &[String],
    skipping: bool,
    ignored: bool,
) -> String {
    if ignored {
        return "--ignored selects the cases marked ignored, and no case is: nothing would run"
            .to_owned();
    }
    let listed: Vec<String> = filters.iter().map(|f| format!("`{f}`")).collect();
    let why = match listed.len() {
        _ if skipping => "is left after the filters and --skip".to_owned(),
        0 => "is selected".to_owned(),
        1 => format!("matches the filter {}", listed[0]),
        _ => format!("matches the filters {}", listed.join(", ")),
    };
    format!("no {what} {why}: nothing would run (`--list` shows the cases)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The exchanges' default (2 on the embedded mock) does not bound the judging of the
    /// document cases, which takes every processor unless `--test-threads` says otherwise.
    #[test]
    fn the_documents_are_judged_on_every_processor_unless_told() {
        let processors = crate::processors::processors();
        assert!(judges(None) >= processors.max(EMBEDDED_CONCURRENCY + 1));
        assert_eq!(judges(Some(3)), 3);
    }
}

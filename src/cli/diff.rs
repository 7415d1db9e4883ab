//! `sms-conformance diff`: every request case against the mock (A) and the live endpoint
//! (B), and where their answers differ.

use std::process::ExitCode;
use std::sync::Arc;

use super::args::DiffArgs;
use super::error::{EXIT_BAD_INPUT, EXIT_UNREACHABLE, Error};
use super::run::{LIVE_CONCURRENCY, client, politeness};
use super::{load_suite, output, run, runtime, settings, target, write_report};
use crate::case::{Case, CaseKind};
use crate::diff::{self, Mock};
use crate::redact::Redactor;
use crate::report::{self, Renderer};
use crate::runner::{CaseResult, Runner, Target, none_reached};

/// Compares the mock and the live endpoint `args` name; 0 when they agree, 1 when they
/// differ.
pub(super) fn diff(
    args: &DiffArgs,
    endpoint: Option<settings::Source>,
    redactor: &Redactor,
) -> Result<ExitCode, Error> {
    settings::warn_look_alikes();
    if endpoint.is_none() {
        return Err(Error::Usage(
            "diff compares the mock with a live endpoint: set SMS_ENDPOINT (or --base-url), SMS_TOKEN and SMS_TASK_ID".to_owned(),
        ));
    }
    settings::check(&args.target, endpoint, &settings::is_set)?;
    let chosen = |id: &str| args.filters.is_empty() || args.filters.iter().any(|f| id.contains(f));
    let suite = load_suite(&args.suite, &chosen).map_err(Error::nothing_sent)?;
    let contract = suite.contract;
    let selected: Vec<Arc<Case>> = suite
        .cases
        .into_iter()
        .filter(|c| matches!(c.kind, CaseKind::Request { .. }))
        .collect();
    if selected.is_empty() {
        return Err(Error::Usage(run::nothing_selected(
            "request case",
            &args.filters,
            false,
            false,
        )));
    }
    let runtime = runtime()?;
    let fixture = target::fixture(args.target.fixture.as_deref())?;
    let mock = match &args.mock_url {
        Some(url) => target::standalone(url, &fixture, args.target.fixture.clone(), redactor)?,
        None => target::embedded(
            &runtime,
            fixture.clone(),
            args.target.fixture.clone(),
            redactor,
        )?,
    };
    let client = client(&args.target.exchange, args.target.cacert.as_deref())?;
    let live = target::build(&args.target, &runtime, &client, redactor, false)?;
    let mut oversized = mock.oversized(&selected);
    for error in live.oversized(&selected) {
        if !oversized.contains(&error) {
            oversized.push(error);
        }
    }
    if !oversized.is_empty() {
        return Err(Error::NothingSent(oversized));
    }
    let contract = Arc::new(contract);
    let run = |target: &Target, live: bool| -> Vec<CaseResult> {
        let runner = Runner::new(Arc::clone(&contract), target.clone(), client.clone())
            .polite(politeness(&args.target, live));
        runtime.block_on(Arc::new(runner).run_all(&selected, LIVE_CONCURRENCY))
    };
    let (a, b) = (run(&mock, false), run(&live, true));
    let all: Vec<CaseResult> = a.iter().chain(&b).cloned().collect();
    let renderer = Renderer::new(redactor, &all);
    let side = Mock {
        fixture: &fixture,
        variables: &mock.variables,
    };
    let comparisons = diff::compare_all(&contract, &side, &a, &b, &live.variables);
    println!(
        "{}",
        report::diff::text(&mock, &live, &comparisons, &renderer)
    );
    if let Some(path) = &args.report_json {
        write_report(
            path,
            &report::diff::json(&mock, &live, &comparisons, &renderer),
        )?;
    }
    // Either side unreachable on every request: nothing was compared.
    let gone: Vec<&str> = [(&a, "A (the mock)"), (&b, "B (the live endpoint)")]
        .into_iter()
        .filter(|(results, _)| none_reached(results))
        .map(|(_, side)| side)
        .collect();
    if !gone.is_empty() {
        output::eprint(&format!(
            "error: {} could not be reached on any request: nothing was compared\n",
            gone.join(" and ")
        ))?;
    }
    // Every case lacked a setting on one side or the other: nothing was compared either.
    let ignored = gone.is_empty() && comparisons.is_empty();
    if ignored {
        output::eprint(
            "error: no selected case ran on both sides (see the ignored cases): nothing was compared\n",
        )?;
    }
    Ok(if !gone.is_empty() {
        ExitCode::from(EXIT_UNREACHABLE)
    } else if ignored {
        ExitCode::from(EXIT_BAD_INPUT)
    } else if comparisons.iter().all(diff::Comparison::agrees) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

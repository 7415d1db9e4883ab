//! JUnit XML, as GitLab, Jenkins and GitHub's test reporters read it: one testcase per case
//! (name = the case's id, classname = its folder), failures with their message, ignored and
//! inconclusive cases as skipped, a time for each, and the attempts before the last as reruns
//! (`flakyFailure` on a case that passed on a retry). quick-junit (cargo-nextest's writer) does the XML, escaping
//! and dropping what XML cannot hold.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::{Renderer, Run, Standing, folder};
use crate::runner::Outcome;

/// The report and its one suite are named after the tool.
const NAME: &str = "sms-conformance";

/// The run as JUnit XML, every text masked by `renderer`.
pub fn render(run: &Run, renderer: &Renderer) -> Result<String, quick_junit::SerializeError> {
    let mut suite = TestSuite::new(NAME);
    let started = run.started.fixed_offset();
    suite.set_timestamp(started).set_time(run.duration);
    suite
        .add_property(("target.kind", run.target.kind.name()))
        .add_property((
            "target.url",
            renderer.mask(&run.target.shown_url()).as_str(),
        ))
        .add_property(("target.label", renderer.mask(&run.target.label()).as_str()));
    if let Some(signal) = run.interrupted {
        suite.add_property(("interrupted", signal.name()));
    }
    for result in &run.results {
        let message = renderer.failure(result).unwrap_or_default();
        let reason = || {
            let first = renderer.reasons(result).into_iter().next();
            first.map_or_else(|| "failed".to_owned(), |r| r.message)
        };
        let failure = |summary: String, description: String| {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status.set_message(summary).set_description(description);
            status
        };
        let skipped = |summary: String, description: String| {
            let mut status = TestCaseStatus::skipped();
            status.set_message(summary).set_description(description);
            status
        };
        let mut status = match run.standing(result) {
            Standing::Passed | Standing::Flaky => TestCaseStatus::success(),
            Standing::Failed if result.flaky() => {
                failure(renderer.flaky(result), renderer.flaky_failure(result))
            }
            Standing::Failed if matches!(result.outcome, Outcome::Contradicted(_)) => {
                failure(renderer.contradiction(result), message)
            }
            Standing::Failed => failure(reason(), message),
            Standing::Contradicted => skipped(renderer.contradiction(result), message),
            Standing::Inconclusive => skipped(reason(), message),
            Standing::Ignored => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(message);
                status
            }
        };
        // Every attempt before the last, as the reruns CI reporters show (flaky ones on a
        // passing case).
        let attempts = result.exchange.iter().flat_map(|e| &e.attempts);
        let earlier: Vec<TestRerun> = attempts
            .clone()
            .take(result.attempts().saturating_sub(1))
            .enumerate()
            .map(|(index, attempt)| {
                let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                let got = match &attempt.answer {
                    Ok(status) => format!("attempt {}: {status}", index + 1),
                    Err(error) => format!("attempt {}: {error}", index + 1),
                };
                rerun.set_message(renderer.mask(&got));
                rerun
            })
            .collect();
        status.add_reruns(earlier);
        let mut test_case = TestCase::new(result.case.id.as_str(), status);
        test_case
            .set_classname(folder(&result.case.id))
            .set_time(result.duration);
        suite.add_test_case(test_case);
    }
    let mut report = Report::new(NAME);
    report
        .set_timestamp(started)
        .set_time(run.duration)
        .add_test_suite(suite);
    report.to_string()
}

//! JUnit XML, as GitLab, Jenkins and GitHub's test reporters read it: one testcase per case
//! (name = the case's id, classname = its folder), failures with their message, ignored cases
//! as skipped, a time for each. quick-junit (cargo-nextest's writer) does the XML, escaping
//! and dropping what XML cannot hold.

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{Renderer, Run, folder};
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
    for result in &run.results {
        let message = renderer.failure(result).unwrap_or_default();
        let status = match &result.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed(_) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let summary = renderer.reasons(result).into_iter().next();
                status
                    .set_message(summary.map_or_else(|| "failed".to_owned(), |r| r.message))
                    .set_description(message);
                status
            }
            Outcome::Contradicted(_) if run.strict => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                status
                    .set_message(renderer.contradiction(result))
                    .set_description(message);
                status
            }
            Outcome::Contradicted(_) => {
                let mut status = TestCaseStatus::skipped();
                status
                    .set_message(renderer.contradiction(result))
                    .set_description(message);
                status
            }
            Outcome::Ignored(_) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(message);
                status
            }
        };
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

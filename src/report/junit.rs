//! JUnit XML, as GitLab, Jenkins and GitHub's test reporters read it: one testcase per case
//! (name = the case's id, classname = its folder), failures with their message, ignored cases
//! as skipped, a time for each. quick-junit (cargo-nextest's writer) does the XML, escaping
//! and dropping what XML cannot hold.

use chrono::FixedOffset;
use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::{RunReport, folder};
use crate::runner::Outcome;

/// The report and its one suite are named after the tool.
const NAME: &str = "sms-conformance";

/// The run as JUnit XML.
pub fn render(run: &RunReport) -> Result<String, String> {
    let mut suite = TestSuite::new(NAME);
    let started = run
        .started
        .with_timezone(&FixedOffset::east_opt(0).expect("UTC is an offset"));
    suite.set_timestamp(started).set_time(run.duration);
    for case in &run.cases {
        let status = match &case.outcome {
            Outcome::Passed => TestCaseStatus::success(),
            Outcome::Failed(message) => {
                let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                let summary = case
                    .reasons
                    .first()
                    .map_or("failed", |r| r.message.as_str());
                status
                    .set_message(summary)
                    .set_description(message.as_str());
                status
            }
            Outcome::Ignored(reason) => {
                let mut status = TestCaseStatus::skipped();
                status.set_message(reason.as_str());
                status
            }
        };
        let mut test_case = TestCase::new(case.id.as_str(), status);
        test_case
            .set_classname(folder(&case.id))
            .set_time(case.duration);
        suite.add_test_case(test_case);
    }
    let mut report = Report::new(NAME);
    report
        .set_timestamp(started)
        .set_time(run.duration)
        .add_test_suite(suite);
    report
        .to_string()
        .map_err(|e| format!("cannot write the JUnit report: {e}"))
}

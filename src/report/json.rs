//! The run as one JSON document; its shape is `schemas/report/report.schema.json`.

use serde_json::{Value as Json, json};

use super::RunReport;
use crate::runner::{CaseReport, Outcome};

/// The report's format version, bumped when its shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// The run as JSON.
pub fn render(run: &RunReport) -> Json {
    let (passed, failed, ignored) = run.counts();
    json!({
        "format_version": FORMAT_VERSION,
        "tool": {"name": "sms-conformance", "version": env!("CARGO_PKG_VERSION")},
        "target": run.target,
        "started": run.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "duration_ms": millis(run.duration),
        "summary": {"passed": passed, "failed": failed, "ignored": ignored},
        "cases": run.cases.iter().map(case).collect::<Vec<_>>(),
    })
}

fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn case(case: &CaseReport) -> Json {
    let (status, message) = match &case.outcome {
        Outcome::Passed => ("passed", None),
        Outcome::Failed(message) => ("failed", Some(message)),
        Outcome::Ignored(reason) => ("ignored", Some(reason)),
    };
    json!({
        "id": case.id,
        "file": case.file.display().to_string(),
        "status": status,
        "duration_ms": millis(case.duration),
        "request": case.request.as_ref().map(|r| json!({
            "method": r.method,
            "url": r.url,
            "headers": r.headers.iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
        })),
        "response_status": case.response_status,
        "message": message,
        "reasons": case.reasons.iter().map(|r| json!({
            "check": r.check,
            "message": r.message,
            "pointer": r.pointer,
            "keyword": r.keyword,
        })).collect::<Vec<_>>(),
    })
}

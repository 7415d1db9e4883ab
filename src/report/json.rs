//! The run as one JSON document; its shape is `schemas/report/report.schema.json`.

use serde_json::{Value as Json, json};

use super::text::Reason;
use super::{Renderer, Run};
use crate::runner::{CaseResult, Outcome};

/// The report's format version, bumped when its shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 3;

/// The run as JSON, every text masked by `renderer`.
pub fn render(run: &Run, renderer: &Renderer) -> Json {
    let counts = run.counts();
    json!({
        "format_version": FORMAT_VERSION,
        "tool": {"name": "sms-conformance", "version": env!("CARGO_PKG_VERSION")},
        "target": {
            "kind": run.target.kind.name(),
            "url": renderer.mask(&run.target.shown_url()),
            "label": renderer.mask(&run.target.label()),
        },
        "strict": run.strict,
        "interrupted": run.interrupted.map(|signal| signal.name()),
        "started": run.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "duration_ms": millis(run.duration),
        "summary": {
            "passed": counts.passed,
            "failed": counts.failed,
            "ignored": counts.ignored,
            "contradicted": counts.contradicted,
            "inconclusive": counts.inconclusive,
            "flaky": counts.flaky,
            "not_run": counts.not_run,
        },
        "contradicted_assumptions": run.contradicted(),
        "settings_unproven": run.unproven(),
        "cases": run.results.iter().map(|r| case(r, renderer)).collect::<Vec<_>>(),
    })
}

/// A duration in milliseconds, to the microsecond.
pub(super) fn millis(duration: std::time::Duration) -> f64 {
    (duration.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0
}

fn case(result: &CaseResult, renderer: &Renderer) -> Json {
    let status = match &result.outcome {
        Outcome::Passed => "passed",
        Outcome::Failed(_) => "failed",
        Outcome::Ignored(_) => "ignored",
        Outcome::Contradicted(_) => "contradicted",
        Outcome::Inconclusive(_) => "inconclusive",
    };
    let attempts: Vec<Json> = result
        .exchange
        .iter()
        .flat_map(|e| &e.attempts)
        .map(|attempt| {
            json!({
                "status": attempt.answer.as_ref().ok(),
                "error": attempt.answer.as_ref().err().map(|e| renderer.mask(&e.to_string())),
                "retry_after_ms": attempt.retry_after.map(millis),
                "wait_ms": attempt.wait.map(millis),
            })
        })
        .collect();
    let request = result.exchange.as_ref().map(|exchange| {
        let request = exchange.request();
        json!({
            "method": request.method.as_str(),
            "url": renderer.url(&request.url),
            "headers": request.headers.iter().map(|(name, value)| json!({
                "name": name,
                "value": renderer.header(name, value),
            })).collect::<Vec<_>>(),
        })
    });
    let status_code = result
        .exchange
        .as_ref()
        .and_then(|e| e.answer.as_ref().ok())
        .map(|answer| answer.status);
    json!({
        "id": result.case.id,
        "file": result.case.file.display().to_string(),
        "status": status,
        "duration_ms": millis(result.duration),
        "flaky": result.flaky(),
        "attempts": attempts,
        "request": request,
        "response_status": status_code,
        "message": renderer.failure(result),
        "assumes": result.case.assumes,
        "reasons": reasons(renderer.reasons(result)),
    })
}

/// Reasons as the JSON reports list them: `{check, message, pointer, keyword}`.
pub(super) fn reasons(reasons: Vec<Reason>) -> Vec<Json> {
    reasons
        .into_iter()
        .map(|reason| {
            json!({
                "check": reason.check,
                "message": reason.message,
                "pointer": reason.pointer,
                "keyword": reason.keyword,
            })
        })
        .collect()
}

//! What `sms-conformance proxy` saw, as one JSON document written when it stops; its shape is
//! `schemas/report/proxy.schema.json`. Rendered once the proxy has stopped, so that a secret
//! learned from any exchange is masked in every entry.

use serde_json::{Value as Json, json};

use super::Renderer;
use super::json::{millis, reasons};
use crate::proxy::{Finished, Note};

/// The report's format version, bumped when its shape changes incompatibly.
pub const FORMAT_VERSION: u32 = 1;

/// What the proxy in front of `upstream` saw until it stopped, every text masked by
/// `renderer`.
pub fn render(upstream: &str, fail_fast: bool, finished: &Finished, renderer: &Renderer) -> Json {
    let seen = &finished.seen;
    let noted = seen.violations + seen.upstream_failures;
    json!({
        "format_version": FORMAT_VERSION,
        "tool": {"name": "sms-conformance", "version": env!("CARGO_PKG_VERSION")},
        "upstream": renderer.url(upstream),
        "listen": finished.listened.to_string(),
        "fail_fast": fail_fast,
        "started": finished.started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "duration_ms": millis(finished.duration),
        "stopped_by": finished.stopped.first.name(),
        "quit_at_once": finished.stopped.second.is_some(),
        "summary": {
            "exchanges": seen.exchanges,
            "checked": seen.checked,
            "unchecked": seen.unchecked,
            "violations": seen.violations,
            "upstream_failures": seen.upstream_failures,
            "unanswered": seen.unanswered(),
            "cut": finished.cut(),
            "not_listed": noted - seen.notes.len() as u64,
        },
        "exchanges": seen.notes.iter().map(|note| exchange(note, renderer)).collect::<Vec<_>>(),
    })
}

fn exchange(note: &Note, renderer: &Renderer) -> Json {
    json!({
        "at": note.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "method": note.method.as_str(),
        "target": renderer.url(&note.target),
        "status": note.status,
        "answered": note.answered,
        "request_id": note.request_id.as_deref().map(|id| renderer.header("x-request-id", id)),
        "upstream_failed": note.upstream_failed(),
        "reasons": reasons(renderer.problem_reasons(None, &note.problems)),
    })
}

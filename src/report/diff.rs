//! The comparison of `sms-conformance diff` as text (a row per case) and as JSON (its shape
//! in `schemas/report/diff.schema.json`), every text masked by the run's [`Renderer`].

use std::fmt::Write;

use serde_json::{Value as Json, json};

use super::Renderer;
use crate::diff::Comparison;
use crate::runner::Target;

/// The report's format version.
pub const FORMAT_VERSION: u32 = 1;

/// The comparison as text: the two targets, a row per case, the summary.
pub fn text(a: &Target, b: &Target, comparisons: &[Comparison], renderer: &Renderer) -> String {
    let mut out = format!("A: {}\nB: {}\n\n", a.label(), b.label());
    for comparison in comparisons {
        if comparison.agrees() {
            let _ = writeln!(out, "same     {}", comparison.id);
            continue;
        }
        let _ = writeln!(out, "DIFFERS  {}", comparison.id);
        for d in &comparison.disagreements {
            let side =
                |value: &Option<String>| value.clone().unwrap_or_else(|| "absent".to_owned());
            let _ = writeln!(out, "    {}: A {}, B {}", d.aspect, side(&d.a), side(&d.b));
        }
        let secrets: Vec<String> = comparison
            .secrets
            .iter()
            .map(|(at, same)| format!("{at} {}", if *same { "same" } else { "different" }))
            .collect();
        if !secrets.is_empty() {
            let _ = writeln!(out, "    secrets (never shown): {}", secrets.join(", "));
        }
        if !comparison.assumes.is_empty() {
            let ids: Vec<&str> = comparison.assumes.iter().map(String::as_str).collect();
            let _ = writeln!(
                out,
                "    rests on: {} (schemas/assumptions.yaml)",
                ids.join(", ")
            );
        }
        for (id, value) in &comparison.settings {
            let _ = writeln!(
                out,
                "    the mock agrees with `assumptions: {{{id}: {value}}}` in its fixture"
            );
        }
    }
    let differing = comparisons.iter().filter(|c| !c.agrees()).count();
    let _ = write!(
        out,
        "\n{} cases compared: {} same, {differing} differ",
        comparisons.len(),
        comparisons.len() - differing
    );
    renderer.mask(&out)
}

/// The comparison as JSON.
pub fn json(a: &Target, b: &Target, comparisons: &[Comparison], renderer: &Renderer) -> Json {
    let side = |target: &Target| {
        json!({
            "url": renderer.mask(&target.shown_url()),
            "label": renderer.mask(&target.label()),
        })
    };
    let mask = |value: &Option<String>| value.as_deref().map(|v| renderer.mask(v));
    json!({
        "format_version": FORMAT_VERSION,
        "tool": {"name": "sms-conformance", "version": env!("CARGO_PKG_VERSION")},
        "a": side(a),
        "b": side(b),
        "summary": {
            "compared": comparisons.len(),
            "differ": comparisons.iter().filter(|c| !c.agrees()).count(),
        },
        "cases": comparisons.iter().map(|c| json!({
            "id": c.id,
            "same": c.agrees(),
            "differences": c.disagreements.iter().map(|d| json!({
                "aspect": renderer.mask(&d.aspect),
                "a": mask(&d.a),
                "b": mask(&d.b),
            })).collect::<Vec<_>>(),
            "secrets": c.secrets.iter().map(|(at, same)| json!({"at": at, "same": same})).collect::<Vec<_>>(),
            "assumes": c.assumes,
            "agreeing_settings": c.settings.iter().map(|(id, value)| json!({"assumption": id, "value": value})).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

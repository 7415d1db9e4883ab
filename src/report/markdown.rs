//! The run as a Markdown summary, for GitHub's job summary (`GITHUB_STEP_SUMMARY`) or any page
//! (`--summary-md`): the target, the counts, and a table of the cases that did not simply
//! pass, each with its one-line reason, masked.

use std::fmt::Write;

use super::{Renderer, Run, Standing};

/// The run as Markdown, every text masked by `renderer`.
pub fn render(run: &Run, renderer: &Renderer) -> String {
    let counts = run.counts();
    let verdict = if let Some(signal) = run.interrupted {
        format!("interrupted by {}", signal.name())
    } else if run.failed() {
        "failed".to_owned()
    } else if run.inconclusive() {
        "inconclusive".to_owned()
    } else if run.tested_nothing() {
        "nothing tested (every selected case lacked a setting)".to_owned()
    } else {
        "passed".to_owned()
    };
    let mut out = format!("## sms-conformance: {verdict}\n\n");
    let _ = writeln!(
        out,
        "Target: {} · {} cases in {:.1} s{}\n",
        code(&renderer.mask(&run.target.label())),
        run.results.len(),
        run.duration.as_secs_f64(),
        if run.strict { " · --strict" } else { "" }
    );
    if run.unproven() && !run.strict {
        out.push_str("No answer was a 2xx to a request with the permitted token, so the contradictions below may be wrong settings (the token, the task id), not news.\n\n");
    }
    out.push_str("| passed | failed | contradicted | flaky | inconclusive | ignored | not run |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} |",
        counts.passed,
        counts.failed,
        counts.contradicted,
        counts.flaky,
        counts.inconclusive,
        counts.ignored,
        counts.not_run
    );
    let listed = [
        (Standing::Failed, "failed"),
        (Standing::Contradicted, "contradicted"),
        (Standing::Flaky, "flaky"),
        (Standing::Inconclusive, "inconclusive"),
    ];
    let rows: Vec<String> = listed
        .iter()
        .flat_map(|(standing, word)| {
            run.standing_as(*standing).map(move |result| {
                let why = renderer.one_line(result).unwrap_or_default();
                format!("| {} | {word} | {} |", code(&result.case.id), cell(&why))
            })
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("\n| case | outcome | why |\n|---|---|---|\n");
        for row in rows {
            let _ = writeln!(out, "{row}");
        }
    }
    out
}

/// Text as inline code, whatever backticks it holds.
fn code(text: &str) -> String {
    let fence = if text.contains('`') { "`` " } else { "`" };
    let close = if text.contains('`') { " ``" } else { "`" };
    format!("{fence}{}{close}", text.replace('|', "\\|"))
}

/// Text as one table cell: no line breaks, `|` and HTML escaped.
fn cell(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_keeps_to_its_row_and_column() {
        assert_eq!(cell("a | b\nc <d>"), "a \\| b c &lt;d>");
        assert_eq!(code("read/valid-call"), "`read/valid-call`");
        assert_eq!(code("a`b"), "`` a`b ``");
    }
}

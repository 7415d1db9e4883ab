//! The run on the terminal, in libtest's formats (a line per case, a character per case, or
//! libtest's JSON events), so that people and tools that read `cargo test` read it too. The
//! closing line counts what the run did, in its own wall time; a count libtest has no word
//! for (inconclusive) is added to it only when there is one. Every text comes from the
//! [`Renderer`], masked.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde_json::json;

use super::{Renderer, Run, Standing};
use crate::runner::CaseResult;

/// libtest's output formats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A line per case.
    #[default]
    Pretty,
    /// A character per case.
    Terse,
    /// libtest's JSON events, a line each.
    Json,
}

/// What a case shows on its line, and in the failures section.
struct Shown {
    word: &'static str,
    letter: char,
    style: Style,
    /// Said after the word, in parentheses.
    detail: Option<String>,
    /// The failure block, for cases that stand failed.
    failure: Option<String>,
}

/// Prints `run` to `out` in `format`: the title, a line (or character) per case, the
/// failures, and the closing line; `filtered_out` cases were not selected. The verdicts are
/// coloured when `colored`; otherwise no escape is written at all, so that `out` need not
/// strip any (anstream's stripping read every byte printed: 11% of the suite's instructions
/// on the main thread).
pub fn print(
    out: &mut dyn Write,
    run: &Run,
    renderer: &Renderer,
    format: Format,
    filtered_out: usize,
    colored: bool,
) -> io::Result<()> {
    let unreachable = renderer.unreachable(&run.results, &renderer.mask(&run.target.shown_url()));
    let shown: Vec<(&CaseResult, Shown)> = run
        .results
        .iter()
        .map(|result| {
            let shown = shown(run, renderer, result, unreachable.is_some(), colored);
            (result, shown)
        })
        .collect();
    if format == Format::Json {
        return print_json(out, run, &shown, filtered_out);
    }
    if let Some(line) = &unreachable {
        writeln!(out, "{line}")?;
    }
    let count = run.results.len();
    writeln!(out)?;
    writeln!(out, "running {count} test{}", plural(count))?;
    let width = run
        .results
        .iter()
        .map(|r| r.case.id.chars().count())
        .max()
        .unwrap_or(0);
    for (result, shown) in &shown {
        let style = shown.style;
        if format == Format::Terse {
            write!(out, "{style}{}{style:#}", shown.letter)?;
            continue;
        }
        write!(
            out,
            "test {:<width$} ... {style}{}",
            result.case.id, shown.word
        )?;
        if let Some(detail) = &shown.detail {
            write!(out, " ({detail})")?;
        }
        writeln!(out, "{style:#}")?;
    }
    let failures: Vec<(&str, &str)> = shown
        .iter()
        .filter_map(|(r, s)| Some((r.case.id.as_str(), s.failure.as_deref()?)))
        .collect();
    if !failures.is_empty() {
        writeln!(out)?;
        writeln!(out, "failures:")?;
        writeln!(out)?;
        for (id, failure) in &failures {
            writeln!(out, "---- {id} ----")?;
            writeln!(out, "{failure}")?;
            writeln!(out)?;
        }
        writeln!(out)?;
        writeln!(out, "failures:")?;
        for (id, _) in &failures {
            writeln!(out, "    {id}")?;
        }
    }
    let counts = run.counts();
    let (word, style) = verdict(run, colored);
    let inconclusive = if counts.inconclusive > 0 {
        format!("{} inconclusive; ", counts.inconclusive)
    } else {
        String::new()
    };
    writeln!(out)?;
    writeln!(
        out,
        "test result: {style}{word}{style:#}. {} passed; {} failed; {inconclusive}{} ignored; 0 measured; {filtered_out} filtered out; finished in {:.2}s",
        passed(&shown),
        failures.len(),
        ignored(&shown),
        run.duration.as_secs_f64()
    )?;
    writeln!(out)
}

/// libtest's JSON events: the suite started, each case's outcome, the suite's end.
fn print_json(
    out: &mut dyn Write,
    run: &Run,
    shown: &[(&CaseResult, Shown)],
    filtered_out: usize,
) -> io::Result<()> {
    let line = |out: &mut dyn Write, event: serde_json::Value| writeln!(out, "{event}");
    line(
        out,
        json!({"type": "suite", "event": "started", "test_count": shown.len()}),
    )?;
    for (result, shown) in shown {
        let name = &result.case.id;
        line(
            out,
            json!({"type": "test", "event": "started", "name": name}),
        )?;
        let mut event = json!({"type": "test", "name": name, "event": shown.word.to_lowercase()});
        if let Some(failure) = &shown.failure {
            event["stdout"] = json!(format!("Error: {failure:?}\n"));
        } else if let Some(detail) = &shown.detail {
            event["message"] = json!(detail);
        }
        line(out, event)?;
    }
    let (word, _) = verdict(run, false);
    let counts = run.counts();
    line(
        out,
        json!({
            "type": "suite",
            "event": word.to_lowercase(),
            "passed": passed(shown),
            "failed": shown.iter().filter(|(_, s)| s.failure.is_some()).count(),
            "inconclusive": counts.inconclusive,
            "ignored": ignored(shown),
            "measured": 0,
            "filtered_out": filtered_out,
            "exec_time": run.duration.as_secs_f64(),
        }),
    )
}

fn shown(
    run: &Run,
    renderer: &Renderer,
    result: &CaseResult,
    unreachable: bool,
    colored: bool,
) -> Shown {
    let (green, red, yellow) = (
        color(colored, AnsiColor::Green),
        color(colored, AnsiColor::Red),
        color(colored, AnsiColor::Yellow),
    );
    match run.standing(result) {
        Standing::Passed => Shown {
            word: "ok",
            letter: '.',
            style: green,
            detail: None,
            failure: None,
        },
        Standing::Flaky => Shown {
            word: "ok",
            letter: '.',
            style: green,
            detail: Some(format!("flaky: {}", renderer.flaky(result))),
            failure: None,
        },
        Standing::Failed => Shown {
            word: "FAILED",
            letter: 'F',
            style: red,
            detail: None,
            failure: Some(if result.flaky() {
                renderer.flaky_failure(result)
            } else if unreachable && result.unreachable() {
                renderer.unreachable_failure(result)
            } else {
                renderer.failure(result).unwrap_or_default()
            }),
        },
        Standing::Ignored => Shown {
            word: "ignored",
            letter: 'i',
            style: yellow,
            detail: renderer.failure(result),
            failure: None,
        },
        Standing::Contradicted => Shown {
            word: "ignored",
            letter: 'i',
            style: yellow,
            detail: Some(renderer.contradiction(result)),
            failure: None,
        },
        Standing::Inconclusive => Shown {
            word: "inconclusive",
            letter: '?',
            style: yellow,
            detail: renderer.one_line(result),
            failure: None,
        },
    }
}

/// The closing line's word and its colour (if `colored`).
fn verdict(run: &Run, colored: bool) -> (&'static str, Style) {
    if run.interrupted.is_some() {
        ("interrupted", color(colored, AnsiColor::Red))
    } else if run.failed() {
        ("FAILED", color(colored, AnsiColor::Red))
    } else if run.inconclusive() {
        ("inconclusive", color(colored, AnsiColor::Yellow))
    } else {
        ("ok", color(colored, AnsiColor::Green))
    }
}

fn passed(shown: &[(&CaseResult, Shown)]) -> usize {
    shown.iter().filter(|(_, s)| s.word == "ok").count()
}

fn ignored(shown: &[(&CaseResult, Shown)]) -> usize {
    shown.iter().filter(|(_, s)| s.word == "ignored").count()
}

/// `color` as a style, or no style at all when not `colored`.
fn color(colored: bool, color: AnsiColor) -> Style {
    if colored {
        Style::new().fg_color(Some(color.into()))
    } else {
        Style::new()
    }
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}

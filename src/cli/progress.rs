//! Live progress on stderr while the cases run (their results are printed only once all have
//! run, so that every passphrase seen is masked everywhere): cases done of the total, the
//! failures so far, the time elapsed. Shown on a terminal unless told otherwise; nothing of a
//! case's content is shown, so nothing in it needs masking.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::args::ProgressWhen;
use crate::runner::{CaseResult, Outcome};

/// The progress of a run, drawn or hidden.
pub(super) struct Progress {
    bar: ProgressBar,
    /// Whether the bar is drawn: a hidden one is not counted on (each count takes the bar's
    /// lock and reads the clock). Kept, since asking the bar takes its lock too.
    drawn: bool,
    failed: usize,
}

impl Progress {
    /// Progress over `total` cases, drawn as `when` says.
    pub fn start(when: ProgressWhen, total: usize) -> Progress {
        let target = match when {
            ProgressWhen::Auto => ProgressDrawTarget::stderr_with_hz(10),
            ProgressWhen::Always => ProgressDrawTarget::term_like_with_hz(
                Box::new(console::Term::buffered_stderr()),
                10,
            ),
            ProgressWhen::Never => ProgressDrawTarget::hidden(),
        };
        let bar = ProgressBar::with_draw_target(Some(total as u64), target);
        bar.set_style(
            ProgressStyle::with_template("{elapsed:>4} [{bar:30}] {pos}/{len} cases, {msg}")
                .expect("the template is valid")
                .progress_chars("=> "),
        );
        bar.set_message("0 failed");
        let drawn = !bar.is_hidden();
        // The tick is a thread of its own, joined at the end: only for a bar that is drawn.
        if drawn {
            bar.enable_steady_tick(Duration::from_millis(250));
        }
        Progress {
            bar,
            drawn,
            failed: 0,
        }
    }

    /// Counts a finished case.
    pub fn done(&mut self, result: &CaseResult) {
        if !self.drawn {
            return;
        }
        if matches!(result.outcome, Outcome::Failed(_)) {
            self.failed += 1;
            self.bar.set_message(format!("{} failed", self.failed));
        }
        self.bar.inc(1);
    }

    /// Something that says a line on stderr above the bar, from any thread.
    pub fn sayer(&self) -> impl Fn(&str) + Send + 'static {
        let bar = self.bar.clone();
        move |text: &str| bar.suspend(|| eprintln!("{text}"))
    }

    /// Takes the bar off the screen.
    pub fn finish(self) {
        self.bar.finish_and_clear();
    }
}

//! The run as its readers see it: text for the terminal ([`text`]), JUnit XML ([`junit`]) and
//! one JSON document ([`json`], its shape in `schemas/report/report.schema.json`). Each is
//! rendered from the typed results through one [`Renderer`], which masks every secret; the
//! files are written atomically: a reader sees the old file or the new one, never half.

pub mod diff;
pub mod json;
pub mod junit;
mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use text::Renderer;

use crate::runner::{CaseResult, Outcome, Target};
use crate::vocab::Variable;

/// A finished run.
#[derive(Debug, Clone)]
pub struct Run {
    /// What it ran against (only its kind and URL are ever shown, never its variables).
    pub target: Target,
    /// Whether a contradicted assumption fails the run.
    pub strict: bool,
    /// When the run started.
    pub started: DateTime<Utc>,
    /// How long it took.
    pub duration: Duration,
    /// Every case that ran or was ignored, in id order.
    pub results: Vec<CaseResult>,
}

/// How many cases ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed.
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Not run: the target lacks a variable they need.
    pub ignored: usize,
    /// Contradicted an assumption of the ledger.
    pub contradicted: usize,
}

impl Run {
    /// How many cases ended each way.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for result in &self.results {
            match result.outcome {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed(_) => counts.failed += 1,
                Outcome::Ignored(_) => counts.ignored += 1,
                Outcome::Contradicted(_) => counts.contradicted += 1,
            }
        }
        counts
    }

    /// The assumptions some case contradicted, sorted.
    pub fn contradicted(&self) -> BTreeSet<&str> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Contradicted(_)))
            .flat_map(|r| r.case.assumes.iter().map(String::as_str))
            .collect()
    }

    /// The variables the target lacked, with how many cases each kept from running.
    pub fn missing(&self) -> BTreeMap<Variable, usize> {
        let mut missing = BTreeMap::new();
        for result in &self.results {
            if let Outcome::Ignored(variables) = &result.outcome {
                for variable in variables {
                    *missing.entry(*variable).or_default() += 1;
                }
            }
        }
        missing
    }
}

/// A case's folder: its id up to the last `/` (`auth/missing-token` → `auth`), or `cases`.
pub fn folder(id: &str) -> &str {
    id.rsplit_once('/').map_or("cases", |(folder, _)| folder)
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_found() {
        assert_eq!(
            folder("generated/request/token.length-0"),
            "generated/request"
        );
        assert_eq!(folder("top"), "cases");
    }
}

//! The report files of a run: checked for writability before the first request, written once
//! every case has run (JUnit, JSON and the Markdown summary replaced atomically; GitHub's
//! step summary appended to, as GitHub expects).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::args::RunArgs;
use super::error::Error;
use crate::report::{self, Renderer, Run};

/// The variable GitHub Actions sets to the file of a step's job summary.
pub(super) const GITHUB_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// Where a run's reports go.
pub(super) struct Reports {
    junit: Option<PathBuf>,
    json: Option<PathBuf>,
    markdown: Option<PathBuf>,
    step_summary: Option<PathBuf>,
}

impl Reports {
    /// The reports `args` ask for, and GitHub's step summary when `GITHUB_STEP_SUMMARY` is set.
    pub fn of(args: &RunArgs) -> Reports {
        Reports {
            junit: args.junit.clone(),
            json: args.report_json.clone(),
            markdown: args.summary_md.clone(),
            step_summary: std::env::var_os(GITHUB_STEP_SUMMARY)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
        }
    }

    /// Checks that every report can be written, before anything is sent: a folder that does
    /// not exist or cannot be written to is found now, not after the last case.
    pub fn check(&self) -> Result<(), Error> {
        // Two reports written to one file: the last would replace the first without a word.
        // Compared as the files they are (`./r.json` is `r.json`), GitHub's step summary too.
        let asked: Vec<(&str, &PathBuf, PathBuf)> = [
            ("--junit", &self.junit),
            ("--report-json", &self.json),
            ("--summary-md", &self.markdown),
            (GITHUB_STEP_SUMMARY, &self.step_summary),
        ]
        .into_iter()
        .filter_map(|(flag, path)| Some((flag, path.as_ref()?)))
        .map(|(flag, path)| (flag, path, the_file(path)))
        .collect();
        for (index, (flag, path, file)) in asked.iter().enumerate() {
            if let Some((other, _, _)) = asked[index + 1..].iter().find(|(_, _, f)| f == file) {
                return Err(Error::Usage(format!(
                    "{flag} and {other} name the same file, {}: give each report its own",
                    path.display()
                )));
            }
        }
        for path in [&self.junit, &self.json, &self.markdown]
            .into_iter()
            .flatten()
        {
            report::check_writable(path).map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        if let Some(path) = &self.step_summary {
            append(path, b"").map_err(|source| Error::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Writes every report of `run`, masked by `renderer`.
    pub fn write(&self, run: &Run, renderer: &Renderer) -> Result<(), Error> {
        let failed = |path: &Path| {
            let path = path.to_owned();
            move |source: std::io::Error| Error::Write { path, source }
        };
        if let Some(path) = &self.junit {
            let xml = report::junit::render(run, renderer)
                .map_err(|e| failed(path)(std::io::Error::other(e)))?;
            report::write(path, xml.as_bytes()).map_err(failed(path))?;
        }
        if let Some(path) = &self.json {
            let json = serde_json::to_vec_pretty(&report::json::render(run, renderer))
                .map_err(|e| failed(path)(e.into()))?;
            report::write(path, &json).map_err(failed(path))?;
        }
        if self.markdown.is_none() && self.step_summary.is_none() {
            return Ok(());
        }
        let markdown = report::markdown::render(run, renderer);
        if let Some(path) = &self.markdown {
            report::write(path, markdown.as_bytes()).map_err(failed(path))?;
        }
        if let Some(path) = &self.step_summary {
            append(path, markdown.as_bytes()).map_err(failed(path))?;
        }
        Ok(())
    }
}

/// The file `path` names, as one path: its folder resolved (`.`, `..`, links) when it
/// exists, the path made absolute when it does not (the writability check says so then).
fn the_file(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    match (absolute.parent(), absolute.file_name()) {
        (Some(folder), Some(name)) => folder
            .canonicalize()
            .map_or_else(|_| absolute.clone(), |folder| folder.join(name)),
        _ => absolute,
    }
}

/// Appends `bytes` to the file at `path`, creating it if need be (a pipe is not waited on).
fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    crate::file::open(&mut options, path)?.write_all(bytes)
}

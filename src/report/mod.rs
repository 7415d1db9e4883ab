//! The run as its readers see it: text for the terminal ([`text`], laid out as libtest does
//! by [`console`]), JUnit XML ([`junit`]), one JSON document ([`json`], its shape in
//! `schemas/report/report.schema.json`) and a Markdown summary ([`markdown`]); the proxy's
//! report ([`proxy`]). Each is
//! rendered from the typed results through one [`Renderer`], which masks every secret; the
//! files are written atomically: a reader sees the old file or the new one, never half.

pub mod console;
pub mod diff;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod proxy;
mod text;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use console::Format;
pub use text::Renderer;

use crate::runner::{CaseResult, Exchange, Outcome, Target, TargetKind};
use crate::vocab::{Signal, Variable};

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
    /// How many cases were selected; those without a result never started (the run was
    /// interrupted).
    pub selected: usize,
    /// The signal that interrupted the run, if one did.
    pub interrupted: Option<Signal>,
}

/// How many cases ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Passed (flaky ones included).
    pub passed: usize,
    /// Failed.
    pub failed: usize,
    /// Not run: the target lacks a variable they need.
    pub ignored: usize,
    /// Contradicted an assumption of the ledger.
    pub contradicted: usize,
    /// Still throttled after their retries.
    pub inconclusive: usize,
    /// Passed only on a retry (also counted as passed).
    pub flaky: usize,
    /// Selected, and never started: the run was interrupted.
    pub not_run: usize,
}

/// How a case stands in the run, once `--strict` has had its say: what the terminal, JUnit
/// and the Markdown summary show, and what the exit code follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Passed at the first attempt.
    Passed,
    /// Passed only on a retry.
    Flaky,
    /// Failed; under `--strict` also a contradicted or flaky case.
    Failed,
    /// Not run: the target lacks a setting it needs.
    Ignored,
    /// Contradicted an assumption, and the run is not strict.
    Contradicted,
    /// Still throttled after its retries.
    Inconclusive,
}

impl Run {
    /// How many cases ended each way.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts {
            not_run: self.selected.saturating_sub(self.results.len()),
            ..Counts::default()
        };
        for result in &self.results {
            match result.outcome {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed(_) => counts.failed += 1,
                Outcome::Ignored(_) => counts.ignored += 1,
                Outcome::Contradicted(_) => counts.contradicted += 1,
                Outcome::Inconclusive(_) => counts.inconclusive += 1,
            }
            counts.flaky += usize::from(result.flaky());
        }
        counts
    }

    /// How `result` stands in this run.
    pub fn standing(&self, result: &CaseResult) -> Standing {
        match result.outcome {
            Outcome::Passed if result.flaky() && self.strict => Standing::Failed,
            Outcome::Passed if result.flaky() => Standing::Flaky,
            Outcome::Passed => Standing::Passed,
            Outcome::Failed(_) => Standing::Failed,
            Outcome::Contradicted(_) if self.strict => Standing::Failed,
            Outcome::Contradicted(_) => Standing::Contradicted,
            Outcome::Ignored(_) => Standing::Ignored,
            Outcome::Inconclusive(_) => Standing::Inconclusive,
        }
    }

    /// Whether some case stands failed.
    pub fn failed(&self) -> bool {
        self.results
            .iter()
            .any(|r| self.standing(r) == Standing::Failed)
    }

    /// The results standing each way (in id order).
    pub fn standing_as(&self, standing: Standing) -> impl Iterator<Item = &CaseResult> {
        self.results
            .iter()
            .filter(move |r| self.standing(r) == standing)
    }

    /// The assumptions some case contradicted, sorted.
    pub fn contradicted(&self) -> BTreeSet<&str> {
        self.results
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Contradicted(_)))
            .flat_map(|r| r.case.assumes.iter().map(String::as_str))
            .collect()
    }

    /// Whether it is inconclusive where nothing failed: a case was still throttled after its
    /// retries, or its contradictions cannot be told from wrong settings.
    pub fn inconclusive(&self) -> bool {
        self.counts().inconclusive > 0 || self.unproven()
    }

    /// Whether its contradictions cannot be told from wrong settings: some case was
    /// contradicted, the target is not the embedded mock (whose settings are its fixture's),
    /// and no answer of the run accepted the permitted token. A token the endpoint refuses,
    /// or a task it does not have, changes every answer, assumed or not.
    pub fn unproven(&self) -> bool {
        !matches!(self.target.kind, TargetKind::Embedded { .. })
            && !self.contradicted().is_empty()
            && !self
                .results
                .iter()
                .filter_map(|r| r.exchange.as_ref())
                .any(Exchange::token_accepted)
    }

    /// Whether it tested nothing: it ran to its end, and every case it selected lacked a
    /// setting (was ignored).
    pub fn tested_nothing(&self) -> bool {
        self.interrupted.is_none()
            && !self.results.is_empty()
            && self
                .results
                .iter()
                .all(|r| matches!(r.outcome, Outcome::Ignored(_)))
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

/// Where a report goes.
enum Destination {
    /// A regular file, or none yet: replaced whole, through a temporary file beside it.
    Replaced(PathBuf),
    /// A device, a pipe, or whatever `/dev` or `/proc` names (`/dev/stdout` may be a log
    /// file the output is appended to): added to, never replaced. A rename would replace the
    /// device itself (as root, `/dev/null` with a file) or the log with the report.
    Added,
}

/// Where a report at `path` goes; through links, the file they name.
fn destination(path: &Path) -> std::io::Result<Destination> {
    let named = named_by_links(path)?;
    if in_dev_or_proc(&named) {
        return Ok(Destination::Added);
    }
    match std::fs::metadata(&named) {
        Ok(found) if found.is_dir() => Err(std::io::Error::other("it is a folder")),
        Ok(found) if found.is_file() => Ok(Destination::Replaced(named)),
        Ok(_) => Ok(Destination::Added),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Destination::Replaced(named)),
        Err(e) => Err(e),
    }
}

/// The path `path`'s links lead to, stopping at the first that leads into `/dev` or
/// `/proc` (whose links, such as `/proc/self/fd/1`, name what a descriptor is open on).
fn named_by_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut named = std::path::absolute(path)?;
    // As many links as the kernel follows in one path.
    for _ in 0..40 {
        if in_dev_or_proc(&named) {
            return Ok(named);
        }
        match std::fs::read_link(&named) {
            Ok(target) => {
                let folder = named.parent().unwrap_or(Path::new("/")).to_owned();
                named = std::path::absolute(folder.join(target))?;
            }
            Err(_) => return Ok(named),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

/// Whether `path` is under `/dev` or `/proc`, where a path names a device or a descriptor.
fn in_dev_or_proc(path: &Path) -> bool {
    path.starts_with("/dev") || path.starts_with("/proc")
}

/// Checks that a report can be written at `path`: a file can be made in its folder (where
/// [`write`] makes its temporary file). A device or a pipe is not tried before the run:
/// opening a pipe and closing it would end what reads it.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    let Destination::Replaced(path) = destination(path)? else {
        return Ok(());
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let probe = path.with_file_name(format!(".{name}.{}.check", std::process::id()));
    std::fs::File::create_new(&probe)?;
    std::fs::remove_file(&probe)
}

/// Writes the report `bytes` to `path`: a regular file (or none yet) is replaced whole and
/// atomically; a device, a pipe or `/dev/stdout` is added to.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    match destination(path)? {
        Destination::Replaced(path) => write_atomically(&path, bytes),
        Destination::Added => {
            crate::file::open(std::fs::OpenOptions::new().append(true), path)?.write_all(bytes)
        }
    }
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename. The temporary
/// file has a random name and is created exclusively (a file or symlink planted in the
/// folder is never followed), is removed on any failure, and takes the permissions of the
/// report it replaces (a new report gets a new file's usual ones).
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let permissions = std::fs::metadata(path).map(|m| m.permissions());
    let mut temporary = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        // What a new file gets, less the umask, as `std::fs::write` would create it.
        .permissions(std::fs::Permissions::from_mode(0o666))
        .tempfile_in(folder)?;
    if let Ok(permissions) = permissions {
        temporary.as_file().set_permissions(permissions)?;
    }
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    // On any failure the temporary file is dropped, which removes it.
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
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

    #[cfg(unix)]
    #[test]
    fn a_symlink_planted_where_the_temporary_file_goes_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let report = dir.path().join("report.json");
        // Where the temporary file of this process used to go, by its predictable name.
        let planted = dir
            .path()
            .join(format!(".report.json.{}.tmp", std::process::id()));
        std::os::unix::fs::symlink(&victim, &planted).unwrap();
        write_atomically(&report, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert_eq!(std::fs::read_to_string(&report).unwrap(), "{}");
    }
}

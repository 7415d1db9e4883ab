//! The run as its readers see it: text for the terminal ([`text`]), JUnit XML ([`junit`]) and
//! one JSON document ([`json`], its shape in `schemas/report/report.schema.json`). Each is
//! rendered from the typed results through one [`Renderer`], which masks every secret; the
//! files are written atomically: a reader sees the old file or the new one, never half.

pub mod json;
pub mod junit;
mod text;

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};

pub use text::Renderer;

use crate::runner::{CaseResult, Outcome};

/// A finished run.
#[derive(Debug, Clone)]
pub struct Run {
    /// The target, with any credentials in the URL removed.
    pub target: String,
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
}

impl Run {
    /// How many cases passed, failed and were ignored.
    pub fn counts(&self) -> Counts {
        let mut counts = Counts::default();
        for result in &self.results {
            match result.outcome {
                Outcome::Passed => counts.passed += 1,
                Outcome::Failed(_) => counts.failed += 1,
                Outcome::Ignored(_) => counts.ignored += 1,
            }
        }
        counts
    }
}

/// A case's folder: its id up to the last `/` (`auth/missing-token` → `auth`), or `cases`.
pub fn folder(id: &str) -> &str {
    id.rsplit_once('/').map_or("cases", |(folder, _)| folder)
}

/// `url` without a user name or password.
pub fn without_credentials(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

/// Writes `bytes` to `path` through a temporary file beside it and a rename. The temporary
/// file has a random name and is created exclusively (a file or symlink planted in the
/// folder is never followed), is removed on any failure, and takes the permissions of the
/// report it replaces (a new report gets a new file's usual ones).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
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
    fn credentials_are_stripped_and_folders_found() {
        assert_eq!(
            without_credentials("https://user:pw@host.example/x"),
            "https://host.example/x"
        );
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

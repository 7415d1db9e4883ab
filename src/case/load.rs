//! Loading case files: every file under the cases folder, each checked whole, every broken
//! file reported with its line and column before anything is sent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_saphyr::Spanned;

use super::model::{CaseFile, RawExpectation};
use super::{Case, CaseKind, Expectation, document};
use crate::vocab::{Known, Variable};
use crate::yaml::{self, FileError};

/// The fewest case files worth a thread of their own (loading one takes about 17 µs, so
/// about 1 ms of work): a small selection is loaded on the calling thread alone.
const FILES_PER_THREAD: usize = 64;

impl Case {
    /// Reads one case from `file`; `id` is its name; `known` tells which schemas and
    /// assumptions exist.
    pub fn load(id: &str, file: &Path, known: &Known) -> Result<Case, FileError> {
        yaml::read(file, |parsed| Case::build(id, file, parsed, known))
    }

    /// The case that `parsed`, read from `file`, describes.
    fn build(id: &str, file: &Path, parsed: CaseFile, known: &Known) -> Result<Case, FileError> {
        let mut assumes = BTreeSet::new();
        for id in parsed.assumes {
            if !known.has_assumption(&id.value) {
                return Err(FileError::at(
                    file,
                    id.referenced,
                    format!("`assumes`: {}", known.unknown_assumption(&id.value)),
                ));
            }
            assumes.insert(id.value);
        }
        let expect = parsed.expect;
        let mut needs: BTreeSet<Variable> = parsed.needs.into_iter().collect();
        let kind = match (parsed.request, parsed.document) {
            (Some(request), None) => {
                let expect = request_expectation(file, expect)?;
                needs.extend(request.variables());
                needs.extend(expect.variables());
                CaseKind::Request { request, expect }
            }
            (None, Some(spec)) if assumes.is_empty() => {
                CaseKind::Document(document::build(file, spec, expect, known)?)
            }
            (None, Some(_)) => {
                return Err(FileError::whole(
                    file,
                    "a document case checks the contract, which is never an assumption: remove `assumes`",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(FileError::whole(
                    file,
                    "a case has `request` or `document`, not both",
                ));
            }
            (None, None) => {
                return Err(FileError::whole(
                    file,
                    "a case needs `request` (sent to the target) or `document` (checked against the contract)",
                ));
            }
        };
        Ok(Case {
            id: id.to_owned(),
            file: file.to_owned(),
            description: parsed.description,
            needs,
            assumes,
            kind,
        })
    }
}

fn request_expectation(
    file: &Path,
    expect: Spanned<RawExpectation>,
) -> Result<Expectation, FileError> {
    let location = expect.referenced;
    let at = |message: &str| FileError::at(file, location, message);
    let raw = expect.value;
    if raw.valid.is_some() || raw.reason.is_some() {
        return Err(at(
            "`expect.valid` and `expect.reason` belong to document cases",
        ));
    }
    let status = raw.status.ok_or_else(|| {
        at("`expect.status` is missing: a request case must say which statuses it accepts")
    })?;
    for (pointer, matcher) in &raw.body {
        if matcher.value.is_empty() {
            return Err(FileError::at(
                file,
                matcher.referenced,
                format!(
                    "expect.body `{pointer}` checks nothing: give `equals`, `present` or `same_as`"
                ),
            ));
        }
    }
    Ok(Expectation {
        status,
        body: raw.body.into_iter().collect(),
        headers: raw.headers,
        content_type: raw.content_type,
    })
}

/// Loads every `*.yaml` / `*.yml` file under `dir`, sorted by id. Every broken file is
/// reported, not just the first, and a file the walk refuses does not hide the others'.
pub fn load_dir(dir: &Path, known: &Known) -> Result<Vec<Arc<Case>>, Vec<FileError>> {
    let (files, walked) = case_files(dir);
    with_walk_errors(walked, load_files(&files, known))
}

/// The cases `loaded` holds, unless the walk refused files (`walked`): then every error, the
/// walk's and the cases', in the order of their files.
pub fn with_walk_errors(
    walked: Vec<FileError>,
    loaded: Result<Vec<Arc<Case>>, Vec<FileError>>,
) -> Result<Vec<Arc<Case>>, Vec<FileError>> {
    match loaded {
        Ok(cases) if walked.is_empty() => Ok(cases),
        loaded => {
            let mut errors = walked;
            errors.extend(loaded.err().into_iter().flatten());
            // Stable: one file's errors keep their order.
            errors.sort_by(|a, b| a.file.cmp(&b.file));
            Err(errors)
        }
    }
}

/// Every `*.yaml` / `*.yml` file under `dir` with its case id, sorted by id, and errors for
/// the files that cannot be case files (or one when there is none): the files found can
/// still be read, so that their own errors are reported too.
pub fn case_files(dir: &Path) -> (Vec<(String, PathBuf)>, Vec<FileError>) {
    let (files, mut errors) = yaml::walk(dir);
    if files.is_empty() && errors.is_empty() {
        errors.push(FileError::whole(dir, "no case files (*.yaml) found"));
    }
    let mut cases = Vec::with_capacity(files.len());
    for file in files {
        let id = case_id(dir, &file);
        // The id is shown in every output and report: a control character in it could
        // colour or forge their lines (and XML refuses most of them).
        if id.chars().any(char::is_control) {
            errors.push(FileError::whole(
                dir,
                format!(
                    "`{}`: a case's name (its id) may hold no control character: rename the file",
                    id.escape_debug()
                ),
            ));
        } else {
            cases.push((id, file));
        }
    }
    (cases, errors)
}

/// Loads `files` (ids and paths, as [`case_files`] gives them), in their order. Every broken
/// file is reported, not just the first. A large suite is parsed on every core.
pub fn load_files(
    files: &[(String, PathBuf)],
    known: &Known,
) -> Result<Vec<Arc<Case>>, Vec<FileError>> {
    // Each thread takes the next file not yet taken: a thread that starts late, or shares
    // its core, takes fewer, and none waits for another's share.
    let next = AtomicUsize::new(0);
    let load = || -> Vec<(usize, Result<Case, FileError>)> {
        std::iter::from_fn(|| {
            let at = next.fetch_add(1, Ordering::Relaxed);
            let (id, file) = files.get(at)?;
            Some((at, Case::load(id, file, known)))
        })
        .collect()
    };
    let threads = crate::processors::processors()
        .min(files.len().div_ceil(FILES_PER_THREAD))
        .max(1);
    let mut loaded = std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads).map(|_| scope.spawn(load)).collect();
        let mut loaded = load();
        for other in others {
            loaded.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        loaded
    });
    loaded.sort_unstable_by_key(|(at, _)| *at);
    let mut cases = Vec::with_capacity(loaded.len());
    let mut errors = Vec::new();
    for (_, result) in loaded {
        match result {
            Ok(case) => cases.push(Arc::new(case)),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

/// A file's path under `dir`, without its extension: the walk makes every path by joining
/// names to `dir`, so this is the text that follows `dir`'s own (cheaper than comparing
/// their components, which counts in a suite of 100,000 files).
fn case_id(dir: &Path, file: &Path) -> String {
    let whole = file.as_os_str().as_encoded_bytes();
    let relative = whole
        .strip_prefix(dir.as_os_str().as_encoded_bytes())
        .unwrap_or(whole);
    let relative = relative.strip_prefix(b"/").unwrap_or(relative);
    let name = relative
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(0, |slash| slash + 1);
    let stem = relative[name..]
        .iter()
        .rposition(|&b| b == b'.')
        .filter(|&dot| dot > 0)
        .map_or(relative.len(), |dot| name + dot);
    String::from_utf8_lossy(&relative[..stem]).into_owned()
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::case_id;

    #[test]
    fn a_case_id_is_the_path_under_the_folder_without_its_extension() {
        for (dir, file, id) in [
            ("cases", "cases/auth/empty-token.yaml", "auth/empty-token"),
            ("cases/", "cases/a.b.yml", "a.b"),
            ("cases/.", "cases/./x/y.YAML", "x/y"),
            ("./cases", "./cases/x.yaml", "x"),
            ("cases//", "cases//x.yaml", "x"),
            ("/", "/x/y.yaml", "x/y"),
            ("/tmp/a", "/tmp/a/b c/d.e.yaml", "b c/d.e"),
        ] {
            assert_eq!(case_id(Path::new(dir), Path::new(file)), id, "{dir} {file}");
        }
    }
}

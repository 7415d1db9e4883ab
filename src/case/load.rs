//! Loading case files: every file under the cases folder, each checked whole, every broken
//! file reported with its line and column before anything is sent.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

use serde_saphyr::Spanned;

use super::model::{CaseFile, RawExpectation};
use super::{Case, CaseKind, Expectation, document};
use crate::vocab::{Known, Variable};
use crate::yaml::{self, FileError};

/// The fewest case files worth a thread of their own (loading one takes about 17 µs, so
/// about 1 ms of work): a small selection is loaded on the calling thread alone.
const FILES_PER_THREAD: usize = 64;

/// How many files a loading thread takes from the walk at once: a lock and a wake for each
/// file would cost more than the waiting they save, and a thread takes a folder's files in
/// several turns, so that the threads share even a small suite.
const CHUNK: usize = 16;

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

/// Loads every `*.yaml` / `*.yml` file under `dir`, in the walk's order (each folder's
/// entries by name). Every broken file is reported, not just the first, and a file the walk
/// refuses does not hide the others'.
pub fn load_dir(dir: &Path, known: &Known) -> Result<Vec<Arc<Case>>, Vec<FileError>> {
    load_selected(dir, known, &|_| true).cases
}

/// What [`load_selected`] found and loaded.
pub struct Loaded {
    /// The id of every case file found, selected or not, in order.
    pub ids: Vec<String>,
    /// The selected cases in order, or every error: the walk's and the files'.
    pub cases: Result<Vec<Arc<Case>>, Vec<FileError>>,
}

/// Loads the case files under `dir` whose ids `select` takes, in order, while the walk goes
/// on: a suite of more than [`FILES_PER_THREAD`] files is loaded on more threads (one more
/// for each further [`FILES_PER_THREAD`], up to a core each), the first files while the
/// walk still lists the folders after them (100,000 files take about 85 ms to walk). Every
/// broken file is reported, not just the first, and a file the walk refuses does not hide
/// the others'.
pub fn load_selected(dir: &Path, known: &Known, select: &dyn Fn(&str) -> bool) -> Loaded {
    // Unbounded: a small suite, or one processor, is walked whole before the calling thread
    // loads it, with no other thread to take the chunks meanwhile.
    let (send, receive) = mpsc::channel::<Vec<(usize, String, PathBuf)>>();
    let receive = Mutex::new(receive);
    // Each thread takes the next chunk not yet taken: a thread that starts late, or shares
    // its core, takes fewer, and none waits for another's share. The walk's end closes the
    // channel, and each thread then ends once the chunks are all taken.
    let load = || -> Vec<(usize, Result<Case, FileError>)> {
        let mut loaded = Vec::new();
        loop {
            let next = receive
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .recv();
            let Ok(chunk) = next else {
                return loaded;
            };
            loaded.extend(
                chunk
                    .into_iter()
                    .map(|(at, id, file)| (at, Case::load(&id, &file, known))),
            );
        }
    };
    let (ids, walked, mut loaded) = std::thread::scope(|scope| {
        let mut others = Vec::new();
        let mut ids = Vec::new();
        let mut chunk = Vec::with_capacity(CHUNK);
        let mut selected = 0;
        let walked = each_case_file(dir, &mut |id, file| {
            if select(&id) {
                chunk.push((selected, id.clone(), file));
                selected += 1;
                if chunk.len() == CHUNK {
                    // Nothing ends the receiving end before the walk does.
                    let _ = send.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                }
                // One more thread for each further FILES_PER_THREAD files, up to a core each.
                if selected % FILES_PER_THREAD == 1
                    && selected > 1
                    && others.len() + 1 < crate::processors::processors()
                {
                    others.push(scope.spawn(load));
                }
            }
            ids.push(id);
        });
        if !chunk.is_empty() {
            let _ = send.send(chunk);
        }
        drop(send);
        let mut loaded = load();
        for other in others {
            loaded.extend(
                other
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            );
        }
        (ids, walked, loaded)
    });
    loaded.sort_unstable_by_key(|(at, _)| *at);
    let mut cases = Vec::with_capacity(loaded.len());
    let mut errors = walked;
    for (_, result) in loaded {
        match result {
            Ok(case) => cases.push(Arc::new(case)),
            Err(e) => errors.push(e),
        }
    }
    let cases = if errors.is_empty() {
        Ok(cases)
    } else {
        // Stable: one file's errors keep their order, the walk's first.
        errors.sort_by(|a, b| a.file.cmp(&b.file));
        Err(errors)
    };
    Loaded { ids, cases }
}

/// Gives every `*.yaml` / `*.yml` file under `dir` and its case id to `found`, in the walk's
/// order (each folder's entries by name), as the walk finds them; then gives errors for the
/// files that cannot be case files (or one when there is none): the files found can still
/// be read, so that their own errors are reported too.
fn each_case_file(dir: &Path, found: &mut dyn FnMut(String, PathBuf)) -> Vec<FileError> {
    let mut any = false;
    let mut misnamed = Vec::new();
    let mut errors = yaml::walk_each(dir, &mut |file| {
        any = true;
        let id = case_id(dir, &file);
        // The id is shown in every output and report: a control character in it could
        // colour or forge their lines (and XML refuses most of them).
        if id.chars().any(char::is_control) {
            misnamed.push(FileError::whole(
                dir,
                format!(
                    "`{}`: a case's name (its id) may hold no control character: rename the file",
                    id.escape_debug()
                ),
            ));
        } else {
            found(id, file);
        }
    });
    if !any && errors.is_empty() {
        errors.push(FileError::whole(dir, "no case files (*.yaml) found"));
    }
    errors.extend(misnamed);
    errors
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

//! One YAML reader for every file the project reads (cases, the manifest, the ledger,
//! fixtures), so that every broken file is reported the same way: file, line, column, what
//! is wrong. Each is read first by [`quick`], a reader of the plain YAML they are written in,
//! which leaves every other file, and every fault, to this one.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

pub(crate) mod quick;

/// A file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileError {
    /// The file.
    pub file: PathBuf,
    /// The 1-based line and column, when known.
    pub position: Option<(u64, u64)>,
    /// What is wrong, naming the key.
    pub message: String,
}

impl FileError {
    /// An error about the whole file (or folder).
    pub fn whole(file: &Path, message: impl Into<String>) -> FileError {
        FileError {
            file: file.to_owned(),
            position: None,
            message: message.into(),
        }
    }

    /// An error at a place in the file.
    pub fn at(
        file: &Path,
        location: serde_saphyr::Location,
        message: impl Into<String>,
    ) -> FileError {
        let position = (location.line() > 0).then(|| (location.line(), location.column()));
        FileError {
            file: file.to_owned(),
            position,
            message: message.into(),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(
                f,
                "{}:{line}:{column}: {}",
                self.file.display(),
                self.message
            ),
            None => write!(f, "{}: {}", self.file.display(), self.message),
        }
    }
}

impl std::error::Error for FileError {}

/// Every `*.yaml` / `*.yml` file under `dir`, hidden ones aside, sorted. Symbolic links are
/// followed, but each real folder is walked once (a link back up is no loop). A case file
/// that is not a regular file (a FIFO, which would block the read forever, a socket, a
/// device) is refused, each with its own error.
pub fn files_under(dir: &Path) -> Result<Vec<PathBuf>, Vec<FileError>> {
    let (files, errors) = walk(dir);
    if errors.is_empty() {
        Ok(files)
    } else {
        Err(errors)
    }
}

/// What [`files_under`] finds, and its errors, both: the files found can still be read, so
/// that their own errors are reported with the walk's.
pub fn walk(dir: &Path) -> (Vec<PathBuf>, Vec<FileError>) {
    let mut files = Vec::new();
    let errors = walk_each(dir, &mut |file| files.push(file));
    (files, errors)
}

/// [`walk`], giving each file to `found` as soon as its folder is listed, in the same order:
/// the first files can be read while the walk goes on. Gives the walk's errors at its end.
pub fn walk_each(dir: &Path, found: &mut dyn FnMut(PathBuf)) -> Vec<FileError> {
    let mut walk = Walk {
        seen: HashSet::new(),
        found,
        errors: Vec::new(),
    };
    walk.folder(dir);
    // No sort here: each folder's entries are walked in order of their names, which gives
    // the paths in order (a path sorts by its components).
    walk.errors
}

/// A walk under way.
struct Walk<'f> {
    /// The real (canonical) folders walked.
    seen: HashSet<PathBuf>,
    /// Where each file found goes.
    found: &'f mut dyn FnMut(PathBuf),
    errors: Vec<FileError>,
}

impl Walk<'_> {
    fn folder(&mut self, dir: &Path) {
        let fail = |e: std::io::Error| FileError::whole(dir, e.to_string());
        match dir.canonicalize() {
            Ok(real) => {
                if !self.seen.insert(real) {
                    return;
                }
            }
            Err(e) => return self.errors.push(fail(e)),
        }
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) => return self.errors.push(fail(e)),
        };
        let mut paths = Vec::new();
        for entry in entries {
            match entry {
                // Hidden entries are skipped. The folder's listing tells most entries' type;
                // a link's is asked for.
                Ok(entry) if !entry.file_name().as_encoded_bytes().starts_with(b".") => {
                    paths.push((entry.path(), entry.file_type().ok()));
                }
                Ok(_) => {}
                Err(e) => self.errors.push(fail(e)),
            }
        }
        // Siblings share their folder's path, so their whole paths sort as their names do
        // (comparing them as text is much cheaper than component by component).
        paths.sort_unstable_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        for (path, listed) in paths {
            self.entry(path, listed);
        }
    }

    fn entry(&mut self, path: PathBuf, listed: Option<std::fs::FileType>) {
        // Through symbolic links: a link to a case file is a case file.
        let file_type = match listed {
            Some(listed) if !listed.is_symlink() => Ok(listed),
            _ => std::fs::metadata(&path).map(|m| m.file_type()),
        };
        if file_type.as_ref().is_ok_and(std::fs::FileType::is_dir) {
            return self.folder(&path);
        }
        if !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
        {
            return;
        }
        match file_type.map(|t| special_kind(&t)) {
            Ok(Some(kind)) => self.errors.push(FileError::whole(
                &path,
                format!("not a regular file ({kind}): only case files are read here"),
            )),
            // A link to nothing is reported when it is read.
            Ok(None) | Err(_) => (self.found)(path),
        }
    }
}

/// What a file that is not a regular file is, if it is not.
fn special_kind(file_type: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_file() {
        None
    } else if file_type.is_fifo() {
        Some("a FIFO")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if file_type.is_block_device() || file_type.is_char_device() {
        Some("a device")
    } else {
        Some("not a file")
    }
}

/// The most a file of the suite (case, fixture, manifest, schema) may have: 200 times the
/// largest shipped file, and parsed in well under a second. Long values are written
/// `{repeat: …, count: …}`, not pasted.
const MAX_FILE_BYTES: u64 = 1 << 20;

/// Reads `file` as a `T` and gives what `build` makes of it: see [`read_then`].
pub fn read<T: serde::de::DeserializeOwned, R>(
    file: &Path,
    build: impl Fn(T) -> Result<R, FileError>,
) -> Result<R, FileError> {
    read_then(file, &read_bytes(file)?, build)
}

/// `bytes`, the text of `file`, read as a `T`, and what `build` makes of it (checks that
/// locate their errors by the `Spanned` values read). Most files are plain YAML, which the
/// quick reader reads in a fraction of the time; but it locates nothing, so a file it cannot
/// read, or whose reading `build` refuses, is read again by the full reader.
pub fn read_then<T: serde::de::DeserializeOwned, R>(
    file: &Path,
    bytes: &[u8],
    build: impl Fn(T) -> Result<R, FileError>,
) -> Result<R, FileError> {
    if let Some(parsed) = read_quick(bytes)
        && let Ok(built) = build(parsed)
    {
        return Ok(built);
    }
    build(parse(file, bytes)?)
}

/// Reads a file of the suite whole, refusing it if it is over [`MAX_FILE_BYTES`], without
/// reading further.
pub fn read_bytes(file: &Path) -> Result<Vec<u8>, FileError> {
    crate::file::read_capped(file, MAX_FILE_BYTES)
        .map_err(|e| FileError::whole(file, format!("cannot read: {e}")))?
        .ok_or_else(|| {
            FileError::whole(
                file,
                format!(
                    "the file is over {} MiB, the most a case, fixture, manifest or schema may have",
                    MAX_FILE_BYTES >> 20
                ),
            )
        })
}

/// `bytes` read by the quick reader, when they are in its subset of YAML and make a `T`;
/// `None` sends them to [`parse`], which reads all of YAML and locates what is wrong.
fn read_quick<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    quick::read(&quick::parse(std::str::from_utf8(bytes).ok()?)?)
}

/// Parses `bytes` as the YAML of `file`: YAML 1.2 booleans only (`no` stays a string),
/// duplicate keys refused.
pub fn parse<T: serde::de::DeserializeOwned>(file: &Path, bytes: &[u8]) -> Result<T, FileError> {
    let text = std::str::from_utf8(bytes).map_err(|e| FileError {
        file: file.to_owned(),
        position: Some(line_column(&bytes[..e.valid_up_to()])),
        message: "the file is not valid UTF-8".to_owned(),
    })?;
    // A byte-order mark is no content either (`trim` keeps it).
    let content = text
        .lines()
        .map(|line| line.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .any(|line| !line.is_empty() && !line.starts_with('#'));
    if !content {
        return Err(FileError::whole(
            file,
            "the file is empty (nothing but white space and comments)",
        ));
    }
    let options = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let message = parser_message(&e);
        match e.location().filter(|l| l.line() > 0) {
            Some(location) => {
                let (position, message) =
                    actual_fault(text, (location.line(), location.column()), message);
                // A missing field is reported where its mapping starts: name the mapping. A
                // second document belongs to no key of the first.
                let parent = message.starts_with("missing field");
                let key_path = (!message.starts_with(SECOND_DOCUMENT))
                    .then(|| key_path_at(text, position.0, parent))
                    .flatten();
                let message = match key_path {
                    Some(path) => format!("`{path}`: {message}"),
                    None => message,
                };
                FileError {
                    file: file.to_owned(),
                    position: Some(position),
                    message,
                }
            }
            None => FileError::whole(file, message),
        }
    })
}

/// Where the fault the parser reports at `position` is, and what to say of it. The parser
/// names the start of the construct it was reading: a tab that ends a plain scalar is
/// reported where the scalar starts (a line too early), and a key indented unlike its
/// siblings where the next sibling is. Other faults are where the parser says.
fn actual_fault(text: &str, position: (u64, u64), message: String) -> ((u64, u64), String) {
    let lines: Vec<&str> = text.lines().collect();
    let line = usize::try_from(position.0).unwrap_or(usize::MAX);
    if message.contains("found a tab") {
        let column = usize::try_from(position.1).unwrap_or(usize::MAX);
        let after = lines.iter().enumerate().skip(line.saturating_sub(1));
        for (index, text) in after {
            let from = if index + 1 == line {
                column.saturating_sub(1)
            } else {
                0
            };
            let tab = text
                .char_indices()
                .filter(|(at, _)| *at >= from)
                .find(|(_, c)| *c == '\t');
            if let Some((at, _)) = tab {
                let column = text[..at].chars().count() + 1;
                return (((index + 1) as u64, column as u64), message);
            }
        }
    } else if message.contains("did not find expected key")
        && let Some(fault) = misindented(&lines, line)
    {
        let (blamed, indent, expected) = fault;
        let message =
            format!("{message}: this line is indented {indent} spaces, {expected} were expected");
        return (((blamed + 1) as u64, (indent + 1) as u64), message);
    }
    (position, message)
}

/// The line (0-based), its indentation and the expected one, when the block that `line`
/// (1-based) ends has keys indented unlike the file's step: the block's first line or
/// `line` itself, whichever is not its parent's indentation plus the file's smallest
/// indentation.
fn misindented(lines: &[&str], line: usize) -> Option<(usize, usize, usize)> {
    let indent = |text: &str| text.len() - text.trim_start_matches(' ').len();
    let content = |text: &str| !text.trim().is_empty() && !text.trim_start().starts_with('#');
    let last = line.checked_sub(1).filter(|l| *l < lines.len())?;
    let step = lines
        .iter()
        .filter(|text| content(text))
        .map(|text| indent(text))
        .filter(|n| *n > 0)
        .min()?;
    let mut first = last;
    let mut parent = None;
    for index in (0..last).rev() {
        if !content(lines[index]) {
            continue;
        }
        if indent(lines[index]) < indent(lines[last]) {
            parent = Some(index);
            break;
        }
        first = index;
    }
    let expected = parent.map_or(0, |p| indent(lines[p]) + step);
    [first, last]
        .into_iter()
        .find(|index| indent(lines[*index]) != expected)
        .map(|index| (index, indent(lines[index]), expected))
}

/// The dotted path of block-mapping keys that encloses `line` (1-based), read off the
/// indentation: serde-saphyr gives a line and column, and a reader wants the key.
fn key_path_at(text: &str, line: u64, parent: bool) -> Option<String> {
    let mut stack: Vec<(usize, &str)> = Vec::new();
    for current in text.lines().take(usize::try_from(line).ok()?) {
        let trimmed = current.trim_start_matches([' ', '\t', '-']);
        let indent = current.len() - trimmed.len();
        let Some((key, _)) = trimmed.split_once(':') else {
            continue;
        };
        if key.is_empty() || key.starts_with('#') || key.contains(['{', '[', '"', '\'', ' ']) {
            continue;
        }
        while stack.last().is_some_and(|(depth, _)| *depth >= indent) {
            stack.pop();
        }
        stack.push((indent, key));
    }
    if parent {
        stack.pop();
    }
    (!stack.is_empty()).then(|| {
        stack
            .iter()
            .map(|(_, key)| *key)
            .collect::<Vec<_>>()
            .join(".")
    })
}

/// The parser's whole message without its source snippet and the location we print
/// ourselves; any other location it names (where an alias's anchor is defined) stays.
fn parser_message(error: &serde_saphyr::Error) -> String {
    let rendered = error.without_snippet().to_string();
    let lines: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect();
    let whole = lines.join(" ");
    let mut message = match whole.split_once(": ") {
        Some((prefix, rest)) if prefix.starts_with("line ") => rest,
        _ => &whole,
    };
    if let Some(location) = error.location() {
        let at = format!("at line {}, column {}", location.line(), location.column());
        for suffix in [format!(" (used {at})"), format!(" {at}")] {
            message = message.strip_suffix(&suffix).unwrap_or(message);
        }
    }
    // Advice meant for programmers embedding the parser, not for the author of the file.
    let message = message
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(message);
    if message.starts_with("multiple YAML documents detected") {
        return format!(
            "{SECOND_DOCUMENT}: a file holds one (remove the `---` above, or move what follows to a file of its own)"
        );
    }
    if let Some(depth) = message
        .strip_prefix("budget breached: Depth { depth: ")
        .and_then(|rest| rest.strip_suffix(" }"))
    {
        let allowed = depth
            .parse::<u64>()
            .map_or(0, |depth| depth.saturating_sub(1));
        return format!("nested {depth} levels deep, more than the {allowed} the reader allows");
    }
    message
        .replace("expected mapping start", "expected a mapping")
        .replace("expected sequence start", "expected a list")
        .replace("budget breached: ", "over the reader's limits for a file: ")
}

/// How the parser's "multiple YAML documents" is said.
const SECOND_DOCUMENT: &str = "a second YAML document starts here";

fn line_column(prefix: &[u8]) -> (u64, u64) {
    let line = prefix.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
    let column = prefix.iter().rev().take_while(|&&b| b != b'\n').count() as u64 + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::{files_under, key_path_at};

    #[test]
    fn files_come_in_the_order_of_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let names = [
            "a/z.yaml",
            "a.yaml",
            "a-b/c.yaml",
            "ab.yaml",
            "a/b/c.yaml",
            "a/b.yaml",
            "A.yaml",
            "b/a/a.yaml",
            "b.yml",
            "a0/x.yaml",
            "a /x.yaml",
        ];
        for name in names {
            let path = root.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "a: b\n").unwrap();
        }
        let found = files_under(root).unwrap();
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(found.len(), names.len());
        assert_eq!(found, sorted);
    }

    #[test]
    fn key_path_follows_indentation() {
        let text = "request:\n  task_id: x\n  headers:\n    A: b\nexpect:\n  status: 200\n";
        assert_eq!(
            key_path_at(text, 4, false).as_deref(),
            Some("request.headers.A")
        );
        assert_eq!(key_path_at(text, 6, true).as_deref(), Some("expect"));
        assert_eq!(
            key_path_at(text, 2, false).as_deref(),
            Some("request.task_id")
        );
    }
}

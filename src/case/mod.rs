//! Cases as data: one YAML file a case, loaded and checked before any request is sent.
//!
//! A case's id is its path under the cases folder without the extension
//! (`auth/missing-token`), and that id is the test's name.

mod model;
mod status;
mod value;
mod variable;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use model::{
    BodyMatch, DEFAULT_PATH, Expectation, Expected, HeaderName, JsonPointer, Method, PathTemplate,
    RequestSpec,
};
pub use status::{StatusPattern, StatusSet};
pub use value::{MAX_GENERATED_LEN, Template, Value};
pub use variable::{Variable, Variables};

use crate::yaml::{self, FileError};

/// One case, loaded from its file.
#[derive(Debug, Clone)]
pub struct Case {
    /// Its path under the cases folder without the extension; the test's name.
    pub id: String,
    /// The file it came from.
    pub file: PathBuf,
    /// What it checks, in a sentence.
    pub description: Option<String>,
    /// The variables the target must provide for it to run.
    pub needs: BTreeSet<Variable>,
    /// The request it sends.
    pub request: RequestSpec,
    /// What it expects back.
    pub expect: Expectation,
}

impl Case {
    /// Reads one case from `file`; `id` is its name.
    pub fn load(id: String, file: &Path) -> Result<Case, FileError> {
        let parsed: model::CaseFile = yaml::read(file)?;
        for (pointer, matcher) in &parsed.expect.value.body {
            if matcher.value.is_empty() {
                return Err(FileError::at(
                    file,
                    matcher.referenced,
                    format!(
                        "expect.body `{}` checks nothing: give `equals`, `present` or `same_as`",
                        pointer.as_str()
                    ),
                ));
            }
        }
        let mut needs: BTreeSet<Variable> = parsed.needs.into_iter().collect();
        needs.extend(parsed.request.variables());
        needs.extend(parsed.expect.value.variables());
        Ok(Case {
            id,
            file: file.to_owned(),
            description: parsed.description,
            needs,
            request: parsed.request,
            expect: parsed.expect.value,
        })
    }
}

/// Loads every `*.yaml` / `*.yml` file under `dir`, sorted by id. Every broken file is
/// reported, not just the first.
pub fn load_dir(dir: &Path) -> Result<Vec<Case>, Vec<FileError>> {
    let mut files = Vec::new();
    if let Err(e) = collect_yaml_files(dir, &mut files) {
        return Err(vec![FileError::whole(dir, e.to_string())]);
    }
    files.sort();
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match Case::load(case_id(dir, &file), &file) {
            Ok(case) => cases.push(case),
            Err(e) => errors.push(e),
        }
    }
    if cases.is_empty() && errors.is_empty() {
        errors.push(FileError::whole(dir, "no case files (*.yaml) found"));
    }
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

fn case_id(dir: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(dir).unwrap_or(file).with_extension("");
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn collect_yaml_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_yaml_files(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            files.push(path);
        }
    }
    Ok(())
}

//! Cases as data: one YAML file a case, loaded and checked before any request is sent.
//!
//! A case's id is its path under the cases folder without the extension
//! (`auth/missing-token`), and that id is the test's name.

mod document;
mod model;
mod status;
mod value;
mod variable;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use document::{Document, Judge, Reason};
pub use model::{
    BodyMatch, DEFAULT_PATH, Expectation, Expected, HeaderName, JsonPointer, Method, PathTemplate,
    RequestSpec,
};
pub use status::{StatusPattern, StatusSet};
pub use value::{MAX_GENERATED_LEN, Template, Value};
pub use variable::{Variable, Variables};

use serde_saphyr::Spanned;

use crate::yaml::{self, FileError};
use document::DocumentSpec;
use model::RawExpectation;

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
    /// What it does.
    pub kind: CaseKind,
}

/// The two kinds of case.
#[derive(Debug, Clone)]
pub enum CaseKind {
    /// Sends a request to the target and checks the answer.
    Request {
        /// The request.
        request: RequestSpec,
        /// What the answer must be.
        expect: Expectation,
    },
    /// Checks a body against the contract; needs no target.
    Document(Document),
}

impl Case {
    /// Reads one case from `file`; `id` is its name; `is_schema` tells which schema names
    /// exist.
    pub fn load(
        id: String,
        file: &Path,
        is_schema: &dyn Fn(&str) -> bool,
    ) -> Result<Case, FileError> {
        let parsed: model::CaseFile = yaml::read(file)?;
        let expect = parsed.expect;
        let mut needs: BTreeSet<Variable> = parsed.needs.into_iter().collect();
        let kind = match (parsed.request, parsed.document) {
            (Some(request), None) => {
                let expect = request_expectation(file, expect)?;
                needs.extend(request.variables());
                needs.extend(expect.variables());
                CaseKind::Request { request, expect }
            }
            (None, Some(document)) => {
                CaseKind::Document(build_document(file, document, expect, is_schema)?)
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
            id,
            file: file.to_owned(),
            description: parsed.description,
            needs,
            kind,
        })
    }
}

fn request_expectation(
    file: &Path,
    expect: Spanned<RawExpectation>,
) -> Result<Expectation, FileError> {
    let location = expect.referenced;
    let at = |message: String| FileError::at(file, location, message);
    let raw = expect.value;
    if raw.valid.is_some() || raw.reason.is_some() {
        return Err(at(
            "`expect.valid` and `expect.reason` belong to document cases".to_owned(),
        ));
    }
    let status = raw.status.ok_or_else(|| {
        at(
            "`expect.status` is missing: a request case must say which statuses it accepts"
                .to_owned(),
        )
    })?;
    for (pointer, matcher) in &raw.body {
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
    Ok(Expectation {
        status,
        body: raw.body,
        headers: raw.headers,
        content_type: raw.content_type,
    })
}

fn build_document(
    file: &Path,
    spec: Spanned<DocumentSpec>,
    expect: Spanned<RawExpectation>,
    is_schema: &dyn Fn(&str) -> bool,
) -> Result<Document, FileError> {
    let raw = &expect.value;
    if raw.status.is_some()
        || !raw.body.is_empty()
        || !raw.headers.is_empty()
        || raw.content_type.is_some()
    {
        return Err(FileError::at(
            file,
            expect.referenced,
            "a document case expects `valid` (and `reason` when not valid), not status, body, headers or content_type",
        ));
    }
    let invalid_because = match (raw.valid, &raw.reason) {
        (Some(true), None) => None,
        (Some(false), Some(reason)) => Some(reason.clone()),
        (Some(true), Some(_)) => {
            return Err(FileError::at(
                file,
                expect.referenced,
                "a valid body has no `reason`",
            ));
        }
        (Some(false), None) => {
            return Err(FileError::at(
                file,
                expect.referenced,
                "`valid: false` needs `reason: {keyword, pointer}`",
            ));
        }
        (None, _) => {
            return Err(FileError::at(
                file,
                expect.referenced,
                "`expect.valid` is missing",
            ));
        }
    };
    let spec_at = spec.referenced;
    let spec = spec.value;
    let judge = match (spec.schema, spec.status) {
        (Some(name), None) if is_schema(&name.value) => Judge::Schema(name.value),
        (Some(name), None) => {
            return Err(FileError::at(
                file,
                name.referenced,
                format!("`document.schema`: unknown schema `{}`", name.value),
            ));
        }
        (None, Some(status)) if (100..=599).contains(&status.value) => Judge::Status(status.value),
        (None, Some(status)) => {
            return Err(FileError::at(
                file,
                status.referenced,
                format!("`document.status`: {} is outside 100..599", status.value),
            ));
        }
        _ => {
            return Err(FileError::at(
                file,
                spec_at,
                "a document names exactly one of `schema` or `status`",
            ));
        }
    };
    let mut body = spec.body;
    for (pointer, fill) in &spec.set {
        let value = fill
            .value
            .value()
            .map_err(|e| FileError::at(file, fill.referenced, format!("`document.set`: {e}")))?;
        document::set_at(&mut body, pointer.as_str(), value)
            .map_err(|e| FileError::at(file, fill.referenced, format!("`document.set`: {e}")))?;
    }
    for pointer in &spec.remove {
        document::remove_at(&mut body, pointer.as_str())
            .map_err(|e| FileError::at(file, spec_at, format!("`document.remove`: {e}")))?;
    }
    Ok(Document {
        judge,
        body,
        invalid_because,
    })
}

/// Loads every `*.yaml` / `*.yml` file under `dir`, sorted by id. Every broken file is
/// reported, not just the first.
pub fn load_dir(dir: &Path, is_schema: &dyn Fn(&str) -> bool) -> Result<Vec<Case>, Vec<FileError>> {
    let mut files = Vec::new();
    if let Err(e) = collect_yaml_files(dir, &mut files) {
        return Err(vec![FileError::whole(dir, e.to_string())]);
    }
    files.sort();
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match Case::load(case_id(dir, &file), &file, is_schema) {
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

/// Every `*.yaml` / `*.yml` file under `dir`, hidden ones aside, in no particular order.
pub fn collect_yaml_files(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
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

//! `schemas/manifest.yaml`: which schema applies to which status.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::vocab::{HeaderName, Known, StatusPattern, StatusSet};
use crate::yaml::{self, FileError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    content_type: String,
    #[serde(default)]
    required_headers: Vec<HeaderName>,
    responses: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    request: BTreeMap<RequestField, Spanned<RequestLimit>>,
}

/// A request value whose length the page limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestField {
    /// The `task_id` path parameter.
    TaskId,
    /// The `X-Auth-Token` header.
    Token,
}

impl RequestField {
    /// Its name in case files.
    pub fn name(self) -> &'static str {
        match self {
            RequestField::TaskId => "task_id",
            RequestField::Token => "token",
        }
    }
}

/// A documented length range, and the answers it calls for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLimit {
    /// The shortest allowed length, in characters.
    pub min_length: u64,
    /// The longest allowed length, in characters.
    pub max_length: u64,
    /// The statuses accepted when the length is allowed.
    pub within: StatusSet,
    /// The statuses accepted when it is not (never 200).
    pub outside: StatusSet,
    /// The assumptions (ids of the ledger) each side's statuses rest on.
    #[serde(default)]
    pub assumes: LimitAssumptions,
}

/// The assumptions the statuses of a request limit rest on, side by side.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitAssumptions {
    /// An allowed length.
    #[serde(default)]
    pub within: Vec<String>,
    /// One under the minimum.
    #[serde(default)]
    pub under: Vec<String>,
    /// One over the maximum.
    #[serde(default)]
    pub over: Vec<String>,
}

impl LimitAssumptions {
    fn all(&self) -> impl Iterator<Item = &String> {
        self.within.iter().chain(&self.under).chain(&self.over)
    }
}

/// The manifest, checked against the schemas that exist.
#[derive(Debug, Clone)]
pub struct Manifest {
    file: PathBuf,
    content_type: String,
    required_headers: Vec<HeaderName>,
    request: BTreeMap<RequestField, RequestLimit>,
    /// Exact codes first, then classes: the first row that matches applies.
    rows: Vec<(StatusPattern, Vec<String>)>,
}

impl Manifest {
    /// Reads the manifest at `file`; `known` tells which schemas and assumptions exist.
    pub fn load(file: &Path, known: &Known) -> Result<Manifest, FileError> {
        yaml::read(file, |parsed| Manifest::build(file, parsed, known))
    }

    /// The manifest `parsed` from `file` describes.
    fn build(file: &Path, parsed: ManifestFile, known: &Known) -> Result<Manifest, FileError> {
        let mut rows = Vec::new();
        for (status, names) in parsed.responses {
            let pattern = StatusPattern::parse(&status).map_err(|e| {
                FileError::at(file, names.referenced, format!("responses `{status}`: {e}"))
            })?;
            if names.value.is_empty() {
                return Err(FileError::at(
                    file,
                    names.referenced,
                    format!("responses `{status}` lists no schema"),
                ));
            }
            for name in &names.value {
                if !known.has_schema(&name.value) {
                    return Err(FileError::at(
                        file,
                        name.referenced,
                        format!("responses `{status}`: unknown schema `{}`", name.value),
                    ));
                }
            }
            rows.push((pattern, names.value.into_iter().map(|n| n.value).collect()));
        }
        rows.sort_by_key(|(pattern, _)| matches!(pattern, StatusPattern::Class(_)));
        let mut request = BTreeMap::new();
        for (field, limit) in parsed.request {
            if limit.value.outside.matches(200) || limit.value.min_length > limit.value.max_length {
                return Err(FileError::at(
                    file,
                    limit.referenced,
                    format!(
                        "request `{}`: `outside` must not accept 200, and min_length ≤ max_length",
                        field.name()
                    ),
                ));
            }
            if let Some(id) = limit
                .value
                .assumes
                .all()
                .find(|id| !known.has_assumption(id))
            {
                let message = format!(
                    "request `{}`: {}",
                    field.name(),
                    known.unknown_assumption(id)
                );
                return Err(FileError::at(file, limit.referenced, message));
            }
            request.insert(field, limit.value);
        }
        Ok(Manifest {
            file: file.to_owned(),
            content_type: parsed.content_type,
            required_headers: parsed.required_headers,
            request,
            rows,
        })
    }

    /// The file it was read from.
    pub fn file(&self) -> &Path {
        &self.file
    }

    /// Headers every answer must carry.
    pub fn required_headers(&self) -> &[HeaderName] {
        &self.required_headers
    }

    /// The documented length limits of the request's values.
    pub fn request_limits(&self) -> &BTreeMap<RequestField, RequestLimit> {
        &self.request
    }

    /// The status patterns that have a row, in the order they are matched.
    pub fn statuses(&self) -> impl Iterator<Item = StatusPattern> + '_ {
        self.rows.iter().map(|(pattern, _)| *pattern)
    }

    /// The media type every schema-checked answer must have.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }

    /// The row that applies to `status`.
    pub fn row_for(&self, status: u16) -> Option<(StatusPattern, &[String])> {
        self.rows
            .iter()
            .find(|(pattern, _)| pattern.matches(status))
            .map(|(pattern, names)| (*pattern, names.as_slice()))
    }

    /// The schema names listed for `status`.
    pub fn schemas_for(&self, status: u16) -> Option<&[String]> {
        self.row_for(status).map(|(_, names)| names)
    }
}

/// The quick reader's manifest file is the full reader's wherever the quick reader reads
/// one from `tree`, its reading of `text`: asserted on the differential tests' files and
/// their mutations.
#[cfg(test)]
pub(crate) fn same_read_quickly(tree: &crate::yaml::quick::Tree<'_>, text: &str) {
    let Some(quick) = crate::yaml::quick::read(tree) else {
        return;
    };
    let full: ManifestFile = yaml::parse(Path::new("manifest.yaml"), text.as_bytes())
        .unwrap_or_else(|e| panic!("the full reader refused the manifest {text:?}: {e}"));
    assert_eq!(
        tests::plain(quick),
        tests::plain(full),
        "the quick reader read the manifest {text:?} otherwise"
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::quick;

    /// What a manifest file says, without where: the two readers locate differently.
    type Plain = (
        String,
        Vec<HeaderName>,
        Vec<(String, Vec<String>)>,
        Vec<(RequestField, RequestLimit)>,
    );

    pub(super) fn plain(file: ManifestFile) -> Plain {
        let names = |list: Spanned<Vec<Spanned<String>>>| {
            list.value.into_iter().map(|name| name.value).collect()
        };
        (
            file.content_type,
            file.required_headers,
            file.responses
                .into_iter()
                .map(|(status, list)| (status, names(list)))
                .collect(),
            file.request
                .into_iter()
                .map(|(field, limit)| (field, limit.value))
                .collect(),
        )
    }

    const MANIFEST: &str = "content_type: application/json\nresponses:\n  \"200\": [passphrase]\n  4xx: [sms-error, gateway-error]\nrequired_headers: [X-Request-Id]\nrequest:\n  task_id:\n    min_length: 1\n    max_length: 36\n    within: [200, 404]\n    outside: 4xx\n    assumes:\n      over: [long-task-id]\n";

    fn known() -> Known {
        Known::new(
            ["passphrase", "sms-error", "gateway-error"]
                .map(String::from)
                .into(),
            ["long-task-id".to_owned()].into(),
        )
    }

    /// What the quick reader makes of `text` as a manifest file, if anything.
    fn quick(text: &str) -> Option<ManifestFile> {
        quick::read(&quick::parse(text)?)
    }

    /// The manifest's `Spanned` lists take the quick path, and make the manifest the full
    /// reader makes.
    #[test]
    fn the_manifest_is_read_quickly_as_in_full() {
        let file = Path::new("manifest.yaml");
        let quickly = quick(MANIFEST).expect("the quick reader reads the manifest");
        let full = yaml::parse(file, MANIFEST.as_bytes()).expect("the full reader reads it");
        let built = |parsed| format!("{:?}", Manifest::build(file, parsed, &known()));
        assert_eq!(built(quickly), built(full));
    }

    /// A struct in a `Spanned` is not taken from a list of its fields by the quick reader,
    /// which the full reader refuses too.
    #[test]
    fn a_request_limit_is_not_taken_from_a_list() {
        let text = MANIFEST.replace(
            "  task_id:\n    min_length: 1\n    max_length: 36\n    within: [200, 404]\n    outside: 4xx\n    assumes:\n      over: [long-task-id]\n",
            "  task_id: [1, 36, [200], 4xx]\n",
        );
        assert_ne!(text, MANIFEST);
        assert!(quick::parse(&text).is_some(), "plain YAML");
        assert!(quick(&text).is_none());
        assert!(yaml::parse::<ManifestFile>(Path::new("manifest.yaml"), text.as_bytes()).is_err());
    }
}

//! `schemas/manifest.yaml`: which schema applies to which status.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::case::StatusPattern;
use crate::yaml::{self, FileError};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    content_type: String,
    responses: BTreeMap<String, Spanned<Vec<Spanned<String>>>>,
}

/// The manifest, checked against the schemas that exist.
#[derive(Debug, Clone)]
pub struct Manifest {
    content_type: String,
    /// Exact codes first, then classes: the first row that matches applies.
    rows: Vec<(StatusPattern, Vec<String>)>,
}

impl Manifest {
    /// Reads the manifest at `file`; `is_schema` tells which schema names exist.
    pub fn load(file: &Path, is_schema: impl Fn(&str) -> bool) -> Result<Manifest, FileError> {
        let parsed: ManifestFile = yaml::read(file)?;
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
                if !is_schema(&name.value) {
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
        Ok(Manifest {
            content_type: parsed.content_type,
            rows,
        })
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

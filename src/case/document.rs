//! Document cases: a body checked against the contract with an expected verdict. They need
//! no endpoint, so they run in every mode; they are how the contract tests itself.

use std::fmt;
use std::path::Path;

use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::model::{DocumentSpec, ExpectedViolation, Fill, RawExpectation};
use super::value::MAX_GENERATED_LEN;
use crate::vocab::Known;
use crate::yaml::FileError;

/// Which part of the contract judges the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judge {
    /// The schema of this name.
    Schema(String),
    /// The schemas the manifest lists for this status.
    Status(u16),
}

impl fmt::Display for Judge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Judge::Schema(name) => write!(f, "schema {name}"),
            Judge::Status(status) => write!(f, "the schemas for status {status}"),
        }
    }
}

/// A document case, ready to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What judges it.
    pub judge: Judge,
    /// The body, built.
    pub body: Json,
    /// The expected verdict: `None` valid, `Some(violation)` invalid for that reason only.
    pub invalid_because: Option<ExpectedViolation>,
}

impl Fill {
    /// The value, or why the fill is malformed.
    pub fn value(&self) -> Result<Json, String> {
        match (self.text, self.items, &self.json, &self.of) {
            (Some(len), None, None, None) if len <= MAX_GENERATED_LEN => {
                Ok(Json::String("x".repeat(len)))
            }
            (None, Some(count), None, of) if count <= MAX_GENERATED_LEN => {
                let item = of.clone().unwrap_or_else(|| Json::String("x".into()));
                Ok(Json::Array(vec![item; count]))
            }
            (None, None, Some(json), None) => Ok(json.clone()),
            (Some(_), None, None, None) | (None, Some(_), None, _) => {
                Err(format!("a size over the cap of {MAX_GENERATED_LEN}"))
            }
            _ => Err(
                "give exactly one of `text: N`, `items: N` (with optional `of`), `json: VALUE`"
                    .to_owned(),
            ),
        }
    }
}

/// Builds the document case of `file` from its `document:` and `expect:`.
pub(super) fn build(
    file: &Path,
    spec: Spanned<DocumentSpec>,
    expect: Spanned<RawExpectation>,
    known: &Known,
) -> Result<Document, FileError> {
    let at = |location, message: &str| FileError::at(file, location, message);
    let raw = &expect.value;
    if raw.status.is_some()
        || !raw.body.is_empty()
        || !raw.headers.is_empty()
        || raw.content_type.is_some()
    {
        return Err(at(
            expect.referenced,
            "a document case expects `valid` (and `reason` when not valid), not status, body, headers or content_type",
        ));
    }
    let invalid_because = match (raw.valid, &raw.reason) {
        (Some(true), None) => None,
        (Some(false), Some(reason)) => Some(reason.clone()),
        (Some(true), Some(_)) => return Err(at(expect.referenced, "a valid body has no `reason`")),
        (Some(false), None) => {
            return Err(at(
                expect.referenced,
                "`valid: false` needs `reason: {keyword, pointer}`",
            ));
        }
        (None, _) => return Err(at(expect.referenced, "`expect.valid` is missing")),
    };
    let spec_at = spec.referenced;
    let spec = spec.value;
    let judge = match (spec.schema, spec.status) {
        (Some(name), None) if known.has_schema(&name.value) => Judge::Schema(name.value),
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
            return Err(at(
                spec_at,
                "a document names exactly one of `schema` or `status`",
            ));
        }
    };
    let mut body = spec.body;
    for (pointer, fill) in &spec.set {
        let set = |body: &mut Json| pointer.set(body, fill.value.value()?);
        set(&mut body)
            .map_err(|e| FileError::at(file, fill.referenced, format!("`document.set`: {e}")))?;
    }
    for pointer in &spec.remove {
        pointer
            .remove(&mut body)
            .map_err(|e| FileError::at(file, spec_at, format!("`document.remove`: {e}")))?;
    }
    Ok(Document {
        judge,
        body,
        invalid_because,
    })
}

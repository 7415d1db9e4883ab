//! Document cases: a body checked against the contract with an expected verdict. They need
//! no endpoint, so they run in every mode; they are how the contract tests itself.

use std::fmt;
use std::path::Path;

use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::model::{DocumentSpec, ExpectedViolation, Fill, RawExpectation};
use super::value::MAX_GENERATED_LEN;
use crate::vocab::{JsonPointer, Known};
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

/// A document case, ready to judge. It keeps its body as written, as compact JSON text, and
/// builds it when asked: a built body can hold 64 KiB strings, and a parsed one takes a map
/// node of about 600 bytes an object; a large suite would keep every one of them to its end.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What judges it.
    pub judge: Judge,
    /// The expected verdict: `None` valid, `Some(violation)` invalid for that reason only.
    pub invalid_because: Option<ExpectedViolation>,
    /// The body as written, as compact JSON text.
    written: Box<str>,
    /// The values put into it, in order.
    set: Vec<(JsonPointer, Fill)>,
    /// The pointers removed from it, after the values are put.
    remove: Vec<JsonPointer>,
}

impl Document {
    /// The body: as written, with the values put and the pointers removed.
    pub fn body(&self) -> Json {
        self.build()
            .expect("every step was tried once when the case was loaded")
    }

    /// Whether the values put fit under [`MAX_BODY_LEN`], counted before anything is made:
    /// each value is under its cap, but a million items of a long string, or many long
    /// texts, would fill the memory. Checked once, when the case is loaded.
    fn fits(&self) -> Result<(), (Step, String)> {
        let mut put = 0usize;
        for (index, (_, fill)) in self.set.iter().enumerate() {
            put = put.saturating_add(fill.json_len());
            if put > MAX_BODY_LEN {
                return Err((
                    Step::Set(index),
                    format!(
                        "the values put take over {} MiB as JSON ({put} bytes up to this one); a body of that size already breaks any limit of the contract",
                        MAX_BODY_LEN >> 20
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The body, or which step cannot be done and why.
    fn build(&self) -> Result<Json, (Step, String)> {
        let body = serde_json::from_str(&self.written).expect("the text of a JSON value parses");
        self.put(body, Fill::value)
    }

    /// `body` with the values `make` gives put and the pointers removed, or which step cannot
    /// be done and why.
    fn put(
        &self,
        mut body: Json,
        make: impl Fn(&Fill) -> Result<Json, String>,
    ) -> Result<Json, (Step, String)> {
        for (index, (pointer, fill)) in self.set.iter().enumerate() {
            let value = make(fill).map_err(|e| (Step::Set(index), e))?;
            pointer
                .set(&mut body, value)
                .map_err(|e| (Step::Set(index), e))?;
        }
        for pointer in &self.remove {
            pointer.remove(&mut body).map_err(|e| (Step::Remove, e))?;
        }
        Ok(body)
    }
}

/// A step of building a body.
#[derive(Debug)]
enum Step {
    /// Putting the value of the `set` entry at this index.
    Set(usize),
    /// Removing a pointer.
    Remove,
}

/// The most the values a document case puts into its body may take as JSON.
const MAX_BODY_LEN: usize = 4 * MAX_GENERATED_LEN;

impl Fill {
    /// How long its value is as JSON text, without building it (a `json` or `of` value, at
    /// most the file's size, is written out to be measured); 0 when it is malformed or over
    /// its own cap, which [`Fill::value`] then reports.
    fn json_len(&self) -> usize {
        let quoted = |len: usize| len.saturating_add(2);
        match (self.text, self.items, &self.json, &self.of) {
            (Some(len), None, None, None) if len <= MAX_GENERATED_LEN => quoted(len),
            (None, Some(count), None, of) if count <= MAX_GENERATED_LEN => {
                let item = of.as_ref().map_or(quoted(1), |of| compact(of).len());
                // Each item and its comma, and the brackets.
                count
                    .saturating_mul(item.saturating_add(1))
                    .saturating_add(1)
            }
            (None, None, Some(json), None) => compact(json).len(),
            _ => 0,
        }
    }

    /// The value, or why the fill is malformed.
    pub fn value(&self) -> Result<Json, String> {
        self.make(|len| "x".repeat(len))
    }

    /// What stands in for the value where only the body's shape counts: a text is never a
    /// step on a pointer's way, so an empty one fails every step the full one fails, without
    /// making texts of up to 1 MiB (64 KiB in the suite) to throw away.
    fn stand_in(&self) -> Result<Json, String> {
        self.make(|_| String::new())
    }

    /// The value, with `text` making a text of the length asked, or why the fill is
    /// malformed.
    fn make(&self, text: impl FnOnce(usize) -> String) -> Result<Json, String> {
        match (self.text, self.items, &self.json, &self.of) {
            (Some(len), None, None, None) if len <= MAX_GENERATED_LEN => {
                Ok(Json::String(text(len)))
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

/// `value` as compact JSON text. serde_json's own writer, not `Display`, which goes through
/// the formatter a token at a time (1.6 times the instructions for the suite's bodies).
fn compact(value: &Json) -> Box<str> {
    serde_json::to_string(value)
        .expect("a JSON value with text keys is written")
        .into_boxed_str()
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
    let places: Vec<_> = spec.set.values().map(|fill| fill.referenced).collect();
    let document = Document {
        judge,
        invalid_because,
        written: compact(&spec.body),
        set: spec
            .set
            .into_iter()
            .map(|(pointer, fill)| (pointer, fill.value))
            .collect(),
        remove: spec.remove,
    };
    // Measured and shaped once here, so that a body too large, or a malformed `set` or
    // `remove`, stops the run before it starts.
    document
        .fits()
        .and_then(|()| document.put(spec.body, Fill::stand_in))
        .map_err(|(step, why)| match step {
            Step::Set(index) => {
                FileError::at(file, places[index], format!("`document.set`: {why}"))
            }
            Step::Remove => FileError::at(file, spec_at, format!("`document.remove`: {why}")),
        })?;
    Ok(document)
}

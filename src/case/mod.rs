//! Cases as data: one YAML file a case, loaded and checked before any request is sent.
//!
//! A case's id is its path under the cases folder without the extension
//! (`auth/missing-token`), and that id is the test's name. The file format is [`model`]'s
//! types, read and written by serde.

#[cfg(test)]
mod differential;
mod document;
mod load;
pub mod model;
mod value;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_saphyr::Spanned;

pub use document::{Document, Judge};
pub use load::{load_dir, load_selected};
pub use model::{BodyMatch, DEFAULT_PATH, Expected, ExpectedViolation, RequestSpec, TASK_ID_SLOT};
pub use value::{Template, Value};

use crate::vocab::{HeaderName, JsonPointer, StatusSet, Variable};

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
    /// The assumptions (ledger ids) its own expectations rest on; empty when they rest on
    /// documents alone.
    pub assumes: BTreeSet<String>,
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

/// What a request case expects of the answer.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The statuses accepted.
    pub status: StatusSet,
    /// Values at JSON pointers into the body, in the pointers' order. A vector, not the
    /// file's map: a map's node takes 1.6 KiB for a check or two, in every case of a run.
    pub body: Vec<(JsonPointer, Spanned<BodyMatch>)>,
    /// Headers that must be present.
    pub headers: Vec<HeaderName>,
    /// The media type `Content-Type` must have (parameters such as `charset` aside).
    pub content_type: Option<String>,
}

impl Expectation {
    /// Every variable the expectation refers to.
    pub fn variables(&self) -> BTreeSet<Variable> {
        self.body
            .iter()
            .filter_map(|(_, m)| m.value.equals.as_ref())
            .flat_map(Expected::variables)
            .collect()
    }
}

//! What a case file says: the request to send and what to expect back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};
use serde_saphyr::Spanned;

use super::document::{DocumentSpec, Reason};
use super::status::StatusSet;
use super::value::{Template, Value};
use super::variable::Variable;

/// The path sent when a case gives none; `{task_id}` is the case's task id, percent-encoded.
pub const DEFAULT_PATH: &str = "/v3/tasks/{task_id}/passphrase";

/// A case file as written: a request case (`request:`) or a document case (`document:`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseFile {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub needs: Vec<Variable>,
    #[serde(default)]
    pub request: Option<RequestSpec>,
    #[serde(default)]
    pub document: Option<Spanned<DocumentSpec>>,
    pub expect: Spanned<RawExpectation>,
}

/// `expect:` as written; which keys apply depends on the kind of case.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExpectation {
    #[serde(default)]
    pub status: Option<StatusSet>,
    #[serde(default)]
    pub body: BTreeMap<JsonPointer, Spanned<BodyMatch>>,
    #[serde(default)]
    pub headers: Vec<HeaderName>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub valid: Option<bool>,
    #[serde(default)]
    pub reason: Option<Reason>,
}

/// The request a case sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The HTTP method (default `GET`).
    #[serde(default)]
    pub method: Method,
    /// The path; `{task_id}` stands for the percent-encoded task id.
    #[serde(default = "default_path")]
    pub path: PathTemplate,
    /// The task id put into the path.
    pub task_id: Value,
    /// The `X-Auth-Token` header; absent means the header is not sent.
    #[serde(default)]
    pub token: Option<Value>,
    /// More headers to send.
    #[serde(default)]
    pub headers: BTreeMap<HeaderName, Value>,
}

impl RequestSpec {
    /// Every variable the request refers to.
    pub fn variables(&self) -> BTreeSet<Variable> {
        let mut variables = self.task_id.variables();
        variables.extend(self.token.iter().flat_map(Value::variables));
        variables.extend(self.headers.values().flat_map(Value::variables));
        variables
    }
}

fn default_path() -> PathTemplate {
    PathTemplate(DEFAULT_PATH.to_owned())
}

/// What a request case expects of the answer.
#[derive(Debug, Clone)]
pub struct Expectation {
    /// The statuses accepted.
    pub status: StatusSet,
    /// Values at JSON pointers into the body.
    pub body: BTreeMap<JsonPointer, Spanned<BodyMatch>>,
    /// Headers that must be present.
    pub headers: Vec<HeaderName>,
    /// The media type `Content-Type` must have (parameters such as `charset` aside).
    pub content_type: Option<String>,
}

impl Expectation {
    /// Every variable the expectation refers to.
    pub fn variables(&self) -> BTreeSet<Variable> {
        self.body
            .values()
            .filter_map(|m| m.value.equals.as_ref())
            .flat_map(Expected::variables)
            .collect()
    }
}

/// What must hold of the value at one JSON pointer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyMatch {
    /// It equals this (strings may refer to variables).
    #[serde(default)]
    pub equals: Option<Expected>,
    /// It is present (`true`) or absent (`false`).
    #[serde(default)]
    pub present: Option<bool>,
    /// It equals the value at this other pointer, when both are present.
    #[serde(default)]
    pub same_as: Option<JsonPointer>,
}

impl BodyMatch {
    /// Whether it checks anything at all.
    pub fn is_empty(&self) -> bool {
        self.equals.is_none() && self.present.is_none() && self.same_as.is_none()
    }
}

/// An expected JSON value: a string template, or any other JSON literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A string, with variable references.
    Text(Template),
    /// A number, boolean, null, array or object, compared as is.
    Json(serde_json::Value),
}

impl Expected {
    fn variables(&self) -> Vec<Variable> {
        match self {
            Expected::Text(template) => template.variables().collect(),
            Expected::Json(_) => Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => Template::parse(&text)
                .map(Expected::Text)
                .map_err(de::Error::custom),
            other => Ok(Expected::Json(other)),
        }
    }
}

/// A validated HTTP method.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Method(pub http::Method);

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        http::Method::from_bytes(text.as_bytes())
            .map(Method)
            .map_err(|_| de::Error::custom(format!("`{text}` is not an HTTP method")))
    }
}

/// A path to request: starts with `/`; `{task_id}` is replaced by the task id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate(pub String);

impl<'de> Deserialize<'de> for PathTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if !text.starts_with('/') {
            return Err(de::Error::custom(format!(
                "path `{text}` must start with `/`"
            )));
        }
        Ok(PathTemplate(text))
    }
}

/// A validated header name, ordered by its lower-case text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct HeaderName(String);

impl HeaderName {
    /// The name in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HeaderName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        http::HeaderName::from_bytes(text.as_bytes())
            .map(|name| HeaderName(name.as_str().to_owned()))
            .map_err(|_| de::Error::custom(format!("`{text}` is not a valid header name")))
    }
}

/// A JSON pointer (RFC 6901): empty, or starting with `/`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct JsonPointer(String);

impl JsonPointer {
    /// A pointer from its text: empty, or starting with `/`.
    pub fn new(text: impl Into<String>) -> Result<JsonPointer, String> {
        let text = text.into();
        if text.is_empty() || text.starts_with('/') {
            Ok(JsonPointer(text))
        } else {
            Err(format!(
                "`{text}` is not a JSON pointer: it must be empty or start with `/`"
            ))
        }
    }

    /// The pointer's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() {
            "(the whole body)"
        } else {
            &self.0
        })
    }
}

impl<'de> Deserialize<'de> for JsonPointer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        JsonPointer::new(String::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

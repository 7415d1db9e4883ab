//! A case file as written, both ways: serde reads it, and `generate` writes cases through the
//! same types, so the format is defined once.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value as Json;
use serde_saphyr::{FlowMap, FlowSeq, Spanned};

use super::value::{Template, Value};
use crate::vocab::{HeaderName, JsonPointer, StatusSet, Variable};

/// The path sent when a case gives none; `{task_id}` is the case's task id, percent-encoded.
pub const DEFAULT_PATH: &str = "/v3/tasks/{task_id}/passphrase";

/// A case file: a request case (`request:`) or a document case (`document:`).
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CaseFile {
    /// One sentence shown with a failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Variables the case needs beyond those it refers to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub needs: Vec<Variable>,
    /// The assumptions of the ledger its expectations rest on (request cases).
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "flow_seq"
    )]
    pub assumes: Vec<Spanned<String>>,
    /// The request a request case sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<RequestSpec>,
    /// The body a document case judges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document: Option<Spanned<DocumentSpec>>,
    /// What the answer (or the verdict) must be.
    pub expect: Spanned<RawExpectation>,
}

/// `expect:` as written; which keys apply depends on the kind of case.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawExpectation {
    /// Request cases: the statuses accepted.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "flow_seq"
    )]
    pub status: Option<StatusSet>,
    /// Request cases: checks at JSON pointers into the body.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub body: BTreeMap<JsonPointer, Spanned<BodyMatch>>,
    /// Request cases: headers that must be present.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<HeaderName>,
    /// Request cases: the media type `Content-Type` must have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Document cases: the verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid: Option<bool>,
    /// Document cases: why the body is invalid.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "flow_map"
    )]
    pub reason: Option<ExpectedViolation>,
}

/// The request a case sends.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The HTTP method (default `GET`).
    #[serde(default, skip_serializing_if = "Method::is_get")]
    pub method: Method,
    /// The path; `{task_id}` stands for the percent-encoded task id.
    #[serde(
        default = "default_path",
        skip_serializing_if = "PathTemplate::is_default"
    )]
    pub path: PathTemplate,
    /// The task id put into the path.
    pub task_id: Value,
    /// The `X-Auth-Token` header; absent means the header is not sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Value>,
    /// More headers to send.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
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

/// What must hold of the value at one JSON pointer.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BodyMatch {
    /// It equals this (strings may refer to variables).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Expected>,
    /// It is present (`true`) or absent (`false`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub present: Option<bool>,
    /// It equals the value at this other pointer, when both are present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
    Json(Json),
}

impl Expected {
    /// The variables it refers to.
    pub fn variables(&self) -> Vec<Variable> {
        match self {
            Expected::Text(template) => template.variables().collect(),
            Expected::Json(_) => Vec::new(),
        }
    }
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Json::deserialize(deserializer)? {
            Json::String(text) => Template::parse(&text)
                .map(Expected::Text)
                .map_err(de::Error::custom),
            other => Ok(Expected::Json(other)),
        }
    }
}

impl Serialize for Expected {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Expected::Text(template) => template.serialize(serializer),
            Expected::Json(json) => json.serialize(serializer),
        }
    }
}

/// A validated HTTP method.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Method(pub http::Method);

impl Method {
    fn is_get(&self) -> bool {
        self.0 == http::Method::GET
    }
}

/// The longest method a case may send: about twice the longest registered one
/// (`UPDATEREDIRECTREF`, 17). A longer one is a mistake, and its message would fill the
/// screen.
const MAX_METHOD_LEN: usize = 32;

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let length = text.chars().count();
        if length > MAX_METHOD_LEN {
            let start: String = text.chars().take(MAX_METHOD_LEN).collect();
            return Err(de::Error::custom(format!(
                "a method of {length} characters (`{start}…`) is longer than any HTTP method: at most {MAX_METHOD_LEN}"
            )));
        }
        http::Method::from_bytes(text.as_bytes())
            .map(Method)
            .map_err(|_| de::Error::custom(format!("`{text}` is not an HTTP method")))
    }
}

impl Serialize for Method {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.as_str())
    }
}

/// Where a path takes the task id.
pub const TASK_ID_SLOT: &str = "{task_id}";

/// A path to request: starts with `/`; `{task_id}` is replaced by the task id, and nothing
/// else is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathTemplate(pub String);

impl PathTemplate {
    fn is_default(&self) -> bool {
        self.0 == DEFAULT_PATH
    }
}

impl<'de> Deserialize<'de> for PathTemplate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if !text.starts_with('/') {
            return Err(de::Error::custom(format!(
                "path `{text}` must start with `/`"
            )));
        }
        // Only `{task_id}` is replaced in a path: anything else that looks like a variable
        // would be sent as it stands. The references are read in the whole path, so that
        // `${task_id}` is one, not a `$` before the slot.
        let template = Template::parse(&text).map_err(de::Error::custom)?;
        let rest = text.replace(TASK_ID_SLOT, "");
        let braced = rest.find('{').map(|open| {
            let close = rest[open..]
                .find('}')
                .map_or(rest.len(), |end| open + end + 1);
            &rest[open..close]
        });
        let stray = template
            .variables()
            .next()
            .map(|variable| format!("${{{variable}}}"))
            .or(braced.map(str::to_owned));
        if let Some(stray) = stray {
            return Err(de::Error::custom(format!(
                "a path replaces only `{TASK_ID_SLOT}`: `{stray}` would be sent as it stands"
            )));
        }
        Ok(PathTemplate(text))
    }
}

impl Serialize for PathTemplate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// A document case's `document:` as written.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSpec {
    /// The schema that judges the body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<Spanned<String>>,
    /// Or the status whose manifest row judges it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Spanned<u16>>,
    /// The body.
    #[serde(serialize_with = "flow_map")]
    pub body: Json,
    /// Values put at pointers.
    #[serde(
        default,
        skip_serializing_if = "BTreeMap::is_empty",
        serialize_with = "flow_values"
    )]
    pub set: BTreeMap<JsonPointer, Spanned<Fill>>,
    /// Pointers removed.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        serialize_with = "flow_seq"
    )]
    pub remove: Vec<JsonPointer>,
}

/// A value put into the body at a pointer: exactly one of its keys.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Fill {
    /// A string of this many `x`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<usize>,
    /// An array of this many copies of `of` (default `"x"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<usize>,
    /// The item of `items`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub of: Option<Json>,
    /// This JSON value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<Json>,
}

/// Writes a value as a YAML flow mapping (`{a: 1}`).
fn flow_map<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    FlowMap(value).serialize(serializer)
}

/// Writes a value as a YAML flow sequence (`[1, 2]`).
fn flow_seq<T: Serialize, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    FlowSeq(value).serialize(serializer)
}

/// Writes a mapping in block style whose values are flow mappings.
fn flow_values<K: Serialize, V: Serialize, S: Serializer>(
    map: &BTreeMap<K, Spanned<V>>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_map(map.iter().map(|(key, value)| (key, FlowMap(&value.value))))
}

/// Why a body must be invalid: a keyword at a JSON pointer into the body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedViolation {
    /// The JSON Schema keyword (`maxItems`).
    pub keyword: String,
    /// Where in the body (`/error_param`).
    pub pointer: JsonPointer,
}

impl std::fmt::Display for ExpectedViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} at `{}`", self.keyword, self.pointer)
    }
}

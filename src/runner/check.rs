//! Checks one answer against the contract and the case's expectation, collecting every
//! problem rather than stopping at the first.

use std::fmt;

use serde_json::Value as Json;

use super::Reason;
use crate::case::{
    BodyMatch, Document, Expectation, Expected, HeaderName, JsonPointer, Judge, StatusSet,
    Variables,
};
use crate::contract::{BodyVerdict, Contract, Violation};
use crate::http::Answer;

/// One way an answer fails a case.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The status is not one the case accepts.
    Status {
        /// What came back.
        got: u16,
        /// What the case accepts.
        expected: StatusSet,
        /// Whether the manifest lists a schema for it.
        has_schema: bool,
    },
    /// The media type is not the expected one.
    ContentType {
        /// The header as received, if any.
        got: Option<String>,
        /// The expected media type.
        expected: String,
    },
    /// A required header is missing.
    MissingHeader(HeaderName),
    /// The body is not JSON, though a schema or the case needs it to be.
    NotJson(String),
    /// The body is not valid against the schema for its status.
    Schema(Vec<Violation>),
    /// A value at a JSON pointer is not what the case expects.
    Body {
        /// Where.
        pointer: JsonPointer,
        /// What is wrong.
        detail: String,
    },
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Status {
                got,
                expected,
                has_schema,
            } => {
                write!(f, "status {got}, expected {expected}")?;
                if !has_schema {
                    write!(f, " (and the contract lists no body schema for {got})")?;
                }
                Ok(())
            }
            Problem::ContentType {
                got: Some(got),
                expected,
            } => write!(f, "Content-Type is `{got}`, expected {expected}"),
            Problem::ContentType {
                got: None,
                expected,
            } => write!(f, "no Content-Type header, expected {expected}"),
            Problem::MissingHeader(name) => write!(f, "header {name} is missing"),
            Problem::NotJson(why) => write!(f, "the body is not JSON: {why}"),
            Problem::Schema(violations) => {
                write!(f, "the body breaks the contract:")?;
                for violation in violations {
                    write!(f, "\n      {violation}")?;
                }
                Ok(())
            }
            Problem::Body { pointer, detail } => write!(f, "{pointer}: {detail}"),
        }
    }
}

impl Problem {
    /// The problem as report entries: one per schema violation, one otherwise.
    pub fn reasons(&self) -> Vec<Reason> {
        let reason = |check, pointer: Option<&str>| Reason {
            pointer: pointer.map(str::to_owned),
            ..Reason::new(check, self.to_string())
        };
        match self {
            Problem::Status { .. } => vec![reason("status", None)],
            Problem::ContentType { .. } => vec![reason("content-type", None)],
            Problem::MissingHeader(_) => vec![reason("header", None)],
            Problem::NotJson(_) => vec![reason("json", None)],
            Problem::Body { pointer, .. } => vec![reason("body", Some(pointer.as_str()))],
            Problem::Schema(violations) => violations
                .iter()
                .map(|v| Reason {
                    check: "schema",
                    message: v.to_string(),
                    pointer: Some(v.instance_path.clone()),
                    keyword: Some(v.keyword.clone()),
                })
                .collect(),
        }
    }
}

/// Every problem of `answer` against `contract` and `expect`; empty when it passes. `json` is
/// the body parsed once by the caller. The answer to a `HEAD` has no body by definition, so
/// only its status and headers are checked.
pub fn check(
    contract: &Contract,
    expect: &Expectation,
    variables: &Variables,
    method: &http::Method,
    answer: &Answer,
    json: &Result<Json, serde_json::Error>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let schemas = contract.manifest().schemas_for(answer.status);
    if !expect.status.matches(answer.status) {
        problems.push(Problem::Status {
            got: answer.status,
            expected: expect.status.clone(),
            has_schema: schemas.is_some(),
        });
    }
    let content_type = answer.header("content-type");
    let wanted_types = schemas
        .map(|_| contract.manifest().content_type())
        .into_iter()
        .chain(expect.content_type.as_deref());
    for wanted in wanted_types {
        if !content_type.is_some_and(|got| media_type(got).eq_ignore_ascii_case(wanted)) {
            problems.push(Problem::ContentType {
                got: content_type.map(str::to_owned),
                expected: wanted.to_owned(),
            });
            break;
        }
    }
    let required = contract
        .manifest()
        .required_headers()
        .iter()
        .chain(&expect.headers);
    for name in required {
        let missing = !answer.headers.contains_key(name.as_str());
        if missing && !problems.contains(&Problem::MissingHeader(name.clone())) {
            problems.push(Problem::MissingHeader(name.clone()));
        }
    }
    if (schemas.is_none() && expect.body.is_empty()) || method == http::Method::HEAD {
        return problems;
    }
    let body = match json {
        Ok(body) => body,
        Err(e) => {
            problems.push(Problem::NotJson(e.to_string()));
            return problems;
        }
    };
    if let BodyVerdict::Invalid(violations) = contract.check_body(answer.status, body) {
        problems.push(Problem::Schema(violations));
    }
    for (pointer, matcher) in &expect.body {
        if let Some(detail) = check_value(body, pointer, &matcher.value, variables) {
            problems.push(Problem::Body {
                pointer: pointer.clone(),
                detail,
            });
        }
    }
    problems
}

/// The media type of a `Content-Type` value, without parameters.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// What is wrong with the value at `pointer`, if anything. Values are described, not
/// quoted, where they could be secrets; the redactor masks the rest.
fn check_value(
    body: &Json,
    pointer: &JsonPointer,
    matcher: &BodyMatch,
    variables: &Variables,
) -> Option<String> {
    let found = body.pointer(pointer.as_str());
    if let Some(present) = matcher.present {
        match (present, found) {
            (true, None) => return Some("missing".to_owned()),
            (false, Some(_)) => return Some("present, expected absent".to_owned()),
            _ => {}
        }
    }
    if let Some(expected) = &matcher.equals {
        let expected = match expected {
            Expected::Text(template) => match template.render(variables) {
                Some(text) => Json::String(text),
                None => return Some("the target lacks a variable this check needs".to_owned()),
            },
            Expected::Json(json) => json.clone(),
        };
        match found {
            None => return Some(format!("missing, expected {expected}")),
            Some(value) if *value != expected => {
                return Some(format!("{value}, expected {expected}"));
            }
            Some(_) => {}
        }
    }
    if let Some(other) = &matcher.same_as
        && let (Some(value), Some(other_value)) = (found, body.pointer(other.as_str()))
        && value != other_value
    {
        return Some(format!("{value} differs from {other_value} at {other}"));
    }
    None
}

/// What is wrong with a document case's verdict, if anything. Against a named schema the
/// reason must be the only one; against a status, whose manifest row may list several
/// schemas, it must be among them.
pub fn check_document(contract: &Contract, document: &Document) -> Option<String> {
    let violations = match &document.judge {
        Judge::Schema(name) => contract.validate(name, &document.body)?,
        Judge::Status(status) => match contract.check_body(*status, &document.body) {
            BodyVerdict::NoSchema => {
                return Some(format!("the manifest lists no schema for status {status}"));
            }
            BodyVerdict::Valid => Vec::new(),
            BodyVerdict::Invalid(violations) => violations,
        },
    };
    let listed = || {
        violations
            .iter()
            .map(|v| format!("\n      {v}"))
            .collect::<String>()
    };
    match &document.invalid_because {
        None if violations.is_empty() => None,
        None => Some(format!(
            "expected valid against {}, but:{}",
            document.judge,
            listed()
        )),
        Some(reason) => {
            let matches = |v: &Violation| {
                v.keyword == reason.keyword && v.instance_path == reason.pointer.as_str()
            };
            let exact = matches!(document.judge, Judge::Schema(_));
            if violations.is_empty() {
                Some(format!(
                    "expected invalid ({reason}) against {}, but it is valid",
                    document.judge
                ))
            } else if !violations.iter().any(matches) || (exact && !violations.iter().all(matches))
            {
                Some(format!(
                    "expected invalid for {reason} only, but:{}",
                    listed()
                ))
            } else {
                None
            }
        }
    }
}

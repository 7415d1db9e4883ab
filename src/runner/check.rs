//! Checks one answer against the contract and the case's expectation, or against the
//! contract alone (live traffic), collecting every problem rather than stopping at the
//! first; judges a document case's verdict. What the contract demands of an answer is
//! written once, in [`check_contract`]'s steps, which [`check`] shares.

use serde_json::Value as Json;

use super::result::{Mismatch, Problem, Verdict};
use crate::case::{BodyMatch, Document, Expectation, Expected, Judge};
use crate::contract::{Contract, Violation};
use crate::http::Answer;
use crate::vocab::{HeaderName, JsonPointer, Variables};

/// Every problem of `answer` against `contract` and `expect`; empty when it passes. `json` is
/// the body parsed once by the caller. The answer to a `HEAD` has no body by definition, so
/// only its status and headers are checked.
pub fn check(
    contract: &Contract,
    expect: &Expectation,
    variables: &Variables,
    method: &http::Method,
    answer: &Answer,
    json: &Result<Json, String>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !expect.status.matches(answer.status) {
        problems.push(Problem::Status {
            got: answer.status,
            expected: expect.status.clone(),
            has_schema: contract.manifest().schemas_for(answer.status).is_some(),
        });
    }
    let also = Also {
        content_type: expect.content_type.as_deref(),
        headers: &expect.headers,
        body: !expect.body.is_empty(),
    };
    let Some(body) = contract_problems(contract, &also, method, answer, json, &mut problems) else {
        return problems;
    };
    for (pointer, matcher) in &expect.body {
        if let Some(mismatch) = mismatch(body, pointer, &matcher.value, variables) {
            problems.push(Problem::Body {
                pointer: pointer.clone(),
                mismatch,
            });
        }
    }
    problems
}

/// Every problem of `answer` against the contract alone, as for an answer no case expects
/// (live traffic through the proxy): a status the manifest has no row for is one, and so is
/// everything [`check`] finds against the contract. Empty when it is within the contract.
pub fn check_contract(
    contract: &Contract,
    method: &http::Method,
    answer: &Answer,
    json: &Result<Json, String>,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    if contract.manifest().schemas_for(answer.status).is_none() {
        problems.push(Problem::Unlisted(answer.status));
    }
    let also = Also {
        content_type: None,
        headers: &[],
        body: false,
    };
    contract_problems(contract, &also, method, answer, json, &mut problems);
    problems
}

/// What a case asks of an answer on top of the contract, checked in the same step.
struct Also<'e> {
    /// A media type of its own.
    content_type: Option<&'e str>,
    /// Headers of its own.
    headers: &'e [HeaderName],
    /// Whether it checks values in the body (which must then be JSON).
    body: bool,
}

/// Adds to `problems` what the contract demands of every answer and `answer` breaks: the
/// manifest's media type and headers (and `also`'s), and the body against the schemas for
/// its status. Returns the body when it is JSON and `also` checks values in it.
fn contract_problems<'j>(
    contract: &Contract,
    also: &Also,
    method: &http::Method,
    answer: &Answer,
    json: &'j Result<Json, String>,
    problems: &mut Vec<Problem>,
) -> Option<&'j Json> {
    let manifest = contract.manifest();
    let schemas = manifest.schemas_for(answer.status);
    let content_type = answer.header("content-type");
    let wanted_types = schemas
        .map(|_| manifest.content_type())
        .into_iter()
        .chain(also.content_type);
    for wanted in wanted_types {
        if !content_type.is_some_and(|got| media_type(got).eq_ignore_ascii_case(wanted)) {
            problems.push(Problem::ContentType {
                got: content_type.map(str::to_owned),
                expected: wanted.to_owned(),
            });
            break;
        }
    }
    for name in manifest.required_headers().iter().chain(also.headers) {
        let problem = Problem::MissingHeader(name.clone());
        if !answer.headers.contains_key(name.as_str()) && !problems.contains(&problem) {
            problems.push(problem);
        }
    }
    if (schemas.is_none() && !also.body) || method == http::Method::HEAD {
        return None;
    }
    let body = match json {
        Ok(body) => body,
        Err(why) => {
            problems.push(Problem::NotJson(why.clone()));
            return None;
        }
    };
    if let Some(violations) = contract.check_body(answer.status, body)
        && !violations.is_empty()
    {
        problems.push(Problem::Schema(violations));
    }
    also.body.then_some(body)
}

/// The media type of a `Content-Type` value, without parameters.
fn media_type(content_type: &str) -> &str {
    content_type.split(';').next().unwrap_or_default().trim()
}

/// How the value at `pointer` differs from what `matcher` wants, if it does.
fn mismatch(
    body: &Json,
    pointer: &JsonPointer,
    matcher: &BodyMatch,
    variables: &Variables,
) -> Option<Mismatch> {
    let found = pointer.get(body);
    match (matcher.present, found) {
        (Some(true), None) => return Some(Mismatch::Missing),
        (Some(false), Some(_)) => return Some(Mismatch::Present),
        _ => {}
    }
    if let Some(expected) = &matcher.equals {
        let expected = match expected {
            Expected::Text(template) => match template.render(variables) {
                Some(text) => Json::String(text),
                None => return Some(Mismatch::Unprovided),
            },
            Expected::Json(json) => json.clone(),
        };
        match found {
            None => return Some(Mismatch::MissingExpected(expected)),
            Some(got) if *got != expected => {
                return Some(Mismatch::NotEqual {
                    got: got.clone(),
                    expected,
                });
            }
            Some(_) => {}
        }
    }
    if let Some(other) = &matcher.same_as
        && let (Some(got), Some(other_value)) = (found, other.get(body))
        && got != other_value
    {
        return Some(Mismatch::Differs {
            other: other.clone(),
            got: got.clone(),
            other_value: other_value.clone(),
        });
    }
    None
}

/// What is wrong with a document case's verdict, if anything. Against a named schema the
/// expected violation must be the only one; against a status, whose manifest row may list
/// several schemas, it must be among them.
pub fn check_document(contract: &Contract, document: &Document) -> Option<Verdict> {
    let body = document.body();
    let violations = match &document.judge {
        Judge::Schema(name) => contract.validate(name, &body)?,
        Judge::Status(status) => match contract.check_body(*status, &body) {
            None => return Some(Verdict::NoSchema(*status)),
            Some(violations) => violations,
        },
    };
    match &document.invalid_because {
        None if violations.is_empty() => None,
        None => Some(Verdict::NotValid(violations)),
        Some(expected) if violations.is_empty() => Some(Verdict::NotInvalid(expected.clone())),
        Some(expected) => {
            let matches = |v: &Violation| {
                v.keyword == expected.keyword && v.instance_path == expected.pointer
            };
            let exact = matches!(document.judge, Judge::Schema(_));
            let found = violations.iter().any(matches);
            (!found || (exact && !violations.iter().all(matches)))
                .then(|| Verdict::OtherViolations(expected.clone(), violations))
        }
    }
}

//! `sms-conformance diff`: where the mock and the live service answer differently. Every
//! request case goes to both targets; each answer is normalised (what changes per request is
//! dropped, each target's own variable values are written as the variable) and the two are
//! compared aspect by aspect. Where a difference could be an assumption read another way,
//! the mock's pure function is asked again with each other setting of its fixture, to name
//! the one that would make it agree.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;

use crate::contract::Contract;
use crate::http::{Answer, PreparedRequest};
use crate::mock::{self, Assumptions, Fixture};
use crate::redact::SECRET_KEY;
use crate::runner::CaseResult;
use crate::vocab::{JsonPointer, Variable, Variables};

/// The body keys whose values change with every request.
const PER_REQUEST: [&str; 1] = ["request_id"];

/// What of an answer is compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Normal {
    /// No usable answer: why, in a word (`timeout`, `unreachable`, ...).
    Nothing(String),
    /// An answer.
    Answer {
        /// Its status.
        status: u16,
        /// Its media type, parameters aside, lower case.
        media_type: Option<String>,
        /// Which of the headers every answer must carry it has.
        headers: BTreeMap<String, bool>,
        /// Every value in the body, by place: scalars as they are, objects and arrays by
        /// kind and size, secrets kept only to say same or different.
        fields: BTreeMap<JsonPointer, Field>,
        /// The contract's view: each violation of the schemas for its status, as
        /// `(keyword, place)`.
        violations: BTreeSet<(String, JsonPointer)>,
    },
}

/// One value of a body, as compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// A string, number, boolean or null, with each target variable's value written as
    /// `${name}`.
    Value(Json),
    /// An object (its keys are places of their own).
    Object,
    /// An array of this many items.
    Array(usize),
    /// A secret: compared, never shown.
    Secret(String),
}

/// One aspect in which the two answers differ; each side's value already shown as text
/// (`None`: absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disagreement {
    /// What differs: `status`, `content-type`, `header x-request-id`, a body place, or
    /// `contract`.
    pub aspect: String,
    /// The mock's side.
    pub a: Option<String>,
    /// The live side.
    pub b: Option<String>,
}

/// One case's comparison.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The case's id.
    pub id: String,
    /// The assumptions the case rests on.
    pub assumes: BTreeSet<String>,
    /// Where the answers differ; empty when they agree.
    pub disagreements: Vec<Disagreement>,
    /// Secrets by place: whether both sides hold the same one.
    pub secrets: BTreeMap<JsonPointer, bool>,
    /// Fixture settings (`assumption id`, value) with which the mock would agree.
    pub settings: Vec<(String, String)>,
}

impl Comparison {
    /// Whether the answers agree.
    pub fn agrees(&self) -> bool {
        self.disagreements.is_empty()
    }
}

/// The answer of a result, normalised; `None` for a case that sent nothing.
pub fn normalise(
    contract: &Contract,
    result: &CaseResult,
    variables: &Variables,
) -> Option<Normal> {
    let exchange = result.exchange.as_ref()?;
    Some(match &exchange.answer {
        Ok(answer) => normal_answer(contract, answer, variables),
        Err(error) => Normal::Nothing(error.kind().to_owned()),
    })
}

fn normal_answer(contract: &Contract, answer: &Answer, variables: &Variables) -> Normal {
    let json = answer.json().ok();
    let manifest = contract.manifest();
    let headers = manifest
        .required_headers()
        .iter()
        .map(|name| (name.to_string(), answer.headers.contains_key(name.as_str())))
        .collect();
    let media_type = answer.header("content-type").map(|value| {
        value
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    let mut fields = BTreeMap::new();
    if let Some(json) = &json {
        collect(
            json,
            &mut JsonPointer::root(),
            false,
            &values_of(variables),
            &mut fields,
        );
    }
    let violations = json
        .and_then(|json| contract.check_body(answer.status, &json))
        .unwrap_or_default()
        .into_iter()
        .map(|v| (v.keyword, v.instance_path))
        .collect();
    Normal::Answer {
        status: answer.status,
        media_type,
        headers,
        fields,
        violations,
    }
}

/// A target's variable values, longest first, with the text that replaces each.
fn values_of(variables: &Variables) -> Vec<(String, String)> {
    let mut values: Vec<(String, String)> = Variable::ALL
        .into_iter()
        .filter_map(|v| Some((variables.get(v)?.to_owned(), format!("${{{v}}}"))))
        .filter(|(value, _)| !value.is_empty())
        .collect();
    values.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
    values
}

fn collect(
    json: &Json,
    at: &mut JsonPointer,
    secret: bool,
    values: &[(String, String)],
    fields: &mut BTreeMap<JsonPointer, Field>,
) {
    let field = match json {
        Json::Object(map) => {
            for (key, child) in map {
                if PER_REQUEST.contains(&key.as_str()) {
                    continue;
                }
                at.push(key);
                collect(child, at, secret || key == SECRET_KEY, values, fields);
                at.pop();
            }
            Field::Object
        }
        Json::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                at.push(&index.to_string());
                collect(child, at, secret, values, fields);
                at.pop();
            }
            Field::Array(items.len())
        }
        Json::String(text) if secret => Field::Secret(text.clone()),
        Json::String(text) => {
            let mut text = text.clone();
            for (value, name) in values {
                text = text.replace(value.as_str(), name);
            }
            Field::Value(Json::String(text))
        }
        scalar => Field::Value(scalar.clone()),
    };
    fields.insert(at.clone(), field);
}

/// Where `a` and `b` differ, and which secrets are the same.
pub fn compare(a: &Normal, b: &Normal) -> (Vec<Disagreement>, BTreeMap<JsonPointer, bool>) {
    let mut found = Vec::new();
    let mut secrets = BTreeMap::new();
    let mut differ = |aspect: String, a: Option<String>, b: Option<String>| {
        if a != b {
            found.push(Disagreement { aspect, a, b });
        }
    };
    let (
        Normal::Answer {
            status: status_a,
            media_type: media_a,
            headers: headers_a,
            fields: fields_a,
            violations: violations_a,
        },
        Normal::Answer {
            status: status_b,
            media_type: media_b,
            headers: headers_b,
            fields: fields_b,
            violations: violations_b,
        },
    ) = (a, b)
    else {
        differ("answer".to_owned(), Some(summary(a)), Some(summary(b)));
        return (found, secrets);
    };
    differ(
        "status".to_owned(),
        Some(status_a.to_string()),
        Some(status_b.to_string()),
    );
    differ("content-type".to_owned(), media_a.clone(), media_b.clone());
    for (name, present) in headers_a {
        let other = headers_b.get(name).copied().unwrap_or(false);
        let shown = |present: bool| Some(if present { "present" } else { "absent" }.to_owned());
        differ(format!("header {name}"), shown(*present), shown(other));
    }
    let places: BTreeSet<&JsonPointer> = fields_a.keys().chain(fields_b.keys()).collect();
    for place in places {
        match (fields_a.get(place), fields_b.get(place)) {
            (Some(Field::Secret(x)), Some(Field::Secret(y))) => {
                secrets.insert(place.clone(), x == y);
            }
            (x, y) => differ(place_name(place), x.map(shown), y.map(shown)),
        }
    }
    let listed = |violations: &BTreeSet<(String, JsonPointer)>| {
        let all: Vec<String> = violations
            .iter()
            .map(|(keyword, at)| format!("{keyword} at `{at}`"))
            .collect();
        Some(if all.is_empty() {
            "valid".to_owned()
        } else {
            format!("breaks {}", all.join(", "))
        })
    };
    differ(
        "contract".to_owned(),
        listed(violations_a),
        listed(violations_b),
    );
    (found, secrets)
}

/// A body place as an aspect: its pointer, or `body` for the whole.
fn place_name(place: &JsonPointer) -> String {
    if place.is_root() {
        "body".to_owned()
    } else {
        place.to_string()
    }
}

fn summary(normal: &Normal) -> String {
    match normal {
        Normal::Nothing(why) => format!("no answer ({why})"),
        Normal::Answer { status, .. } => format!("status {status}"),
    }
}

fn shown(field: &Field) -> String {
    match field {
        Field::Value(json) => json.to_string(),
        Field::Object => "an object".to_owned(),
        Field::Array(items) => format!("an array of {items} items"),
        Field::Secret(_) => "a secret".to_owned(),
    }
}

/// The mock's side of a comparison: its fixture, to ask its pure function again with other
/// settings.
pub struct Mock<'a> {
    /// The fixture the mock serves.
    pub fixture: &'a Fixture,
    /// Its variables.
    pub variables: &'a Variables,
}

impl Mock<'_> {
    /// The settings, one changed from the fixture's, with which the mock's answer to
    /// `request` would agree with `live`.
    pub fn agreeing_settings(
        &self,
        contract: &Contract,
        request: &PreparedRequest,
        live: &Normal,
    ) -> Vec<(String, String)> {
        let Ok(url) = reqwest::Url::parse(&request.url) else {
            return Vec::new();
        };
        let target = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        let mut headers = http::HeaderMap::new();
        for (name, value) in &request.headers {
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        let mut agreeing = Vec::new();
        for (id, values) in Assumptions::values() {
            for value in values.iter() {
                let Some(assumptions) = self.fixture.assumptions.with(id, value) else {
                    continue;
                };
                if assumptions == self.fixture.assumptions {
                    continue;
                }
                let fixture = Fixture {
                    assumptions,
                    ..self.fixture.clone()
                };
                let answer = mock::answer(&fixture, &request.method, &target, &headers, b"", "-");
                let answer = Answer {
                    status: answer.status,
                    headers: answer.header_map(),
                    body: answer.body,
                };
                let normal = normal_answer(contract, &answer, self.variables);
                if compare(&normal, live).0.is_empty() {
                    agreeing.push((id.to_owned(), (*value).to_owned()));
                }
            }
        }
        agreeing
    }
}

/// Compares the results of the same cases on the mock (`a`) and the live target (`b`).
pub fn compare_all(
    contract: &Contract,
    mock: &Mock,
    a: &[CaseResult],
    b: &[CaseResult],
    live_variables: &Variables,
) -> Vec<Comparison> {
    a.iter()
        .zip(b)
        .filter_map(|(a, b)| {
            let normal_a = normalise(contract, a, mock.variables)?;
            let normal_b = normalise(contract, b, live_variables)?;
            let (disagreements, secrets) = compare(&normal_a, &normal_b);
            // A setting is worth naming only against what the mock did answer.
            let settings = match (&a.exchange, &normal_a, disagreements.is_empty()) {
                (Some(exchange), Normal::Answer { .. }, false) => {
                    mock.agreeing_settings(contract, &exchange.request(), &normal_b)
                }
                _ => Vec::new(),
            };
            Some(Comparison {
                id: a.case.id.clone(),
                assumes: a.case.assumes.clone(),
                disagreements,
                secrets,
                settings,
            })
        })
        .collect()
}

//! Request preparation: a request case and a target become the exact request sent.

use std::path::PathBuf;
use std::sync::Arc;

use percent_encoding::utf8_percent_encode;

use crate::case::{Case, CaseKind, Expectation, Expected, RequestSpec, TASK_ID_SLOT, Value};
use crate::http::PreparedRequest;
use crate::vocab::{PATH_SEGMENT, Variables};
use crate::yaml::FileError;

/// The most a request's URL and headers may take: each value is capped at 1 MiB, but many
/// values, or a task id in many slots of the path, would take gigabytes to make.
const MAX_REQUEST_LEN: usize = 4 << 20;

/// The header the token travels in.
pub const TOKEN_HEADER: &str = "X-Auth-Token";

/// The endpoint under test and the variables it provides.
#[derive(Debug, Clone)]
pub struct Target {
    /// Scheme, host and optional path prefix, without a trailing `/`.
    pub base_url: String,
    /// The values of `${task_id}`, `${token}`, `${forbidden_token}`.
    pub variables: Variables,
    /// What it is.
    pub kind: TargetKind,
}

/// What a target is, as a run's first line and its reports name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetKind {
    /// The mock, started in this process: reached directly, never through a proxy.
    Embedded {
        /// Its fixture file; `None` for the built-in one.
        fixture: Option<PathBuf>,
        /// The Unix socket it listens on, which every request goes to whatever the URL's
        /// host; `None`: the URL's host and port.
        socket: Option<PathBuf>,
    },
    /// A mock at a URL (`sms-conformance mock`), serving this fixture.
    Standalone {
        /// Its fixture file; `None` for the built-in one.
        fixture: Option<PathBuf>,
    },
    /// An endpoint given by URL.
    Live,
}

impl TargetKind {
    /// Its name in the reports: `embedded`, `mock` or `live`.
    pub fn name(&self) -> &'static str {
        match self {
            TargetKind::Embedded { .. } => "embedded",
            TargetKind::Standalone { .. } => "mock",
            TargetKind::Live => "live",
        }
    }
}

/// How a fixture is named in a target's label.
fn fixture_label(fixture: &Option<PathBuf>) -> String {
    match fixture {
        None => "built-in fixture".to_owned(),
        Some(file) => format!("fixture {}", file.display()),
    }
}

impl Target {
    /// A live target at `base_url` (a trailing `/` is dropped).
    pub fn new(base_url: &str, variables: Variables) -> Target {
        Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            variables,
            kind: TargetKind::Live,
        }
    }

    /// The embedded mock at `base_url`, or on `socket` (`base_url` then names no host to
    /// reach), serving the fixture in `fixture` (the built-in one when `None`).
    pub fn embedded(
        base_url: &str,
        socket: Option<PathBuf>,
        variables: Variables,
        fixture: Option<PathBuf>,
    ) -> Target {
        Target {
            kind: TargetKind::Embedded { fixture, socket },
            ..Target::new(base_url, variables)
        }
    }

    /// The URL without a user name or password: safe to show.
    pub fn shown_url(&self) -> String {
        match reqwest::Url::parse(&self.base_url) {
            Ok(mut parsed) => {
                let _ = parsed.set_username("");
                let _ = parsed.set_password(None);
                parsed.as_str().trim_end_matches('/').to_owned()
            }
            Err(_) => self.base_url.clone(),
        }
    }

    /// What it is, in words: `embedded mock (built-in fixture)`,
    /// `embedded mock (fixture FILE)` or `https://host (live)`.
    pub fn label(&self) -> String {
        match &self.kind {
            TargetKind::Embedded { fixture, .. } => {
                format!("embedded mock ({})", fixture_label(fixture))
            }
            TargetKind::Standalone { fixture } => {
                format!("{} (mock, {})", self.shown_url(), fixture_label(fixture))
            }
            TargetKind::Live => format!("{} (live)", self.shown_url()),
        }
    }

    /// The cases whose request, or the texts their body checks compare, would take over
    /// [`MAX_REQUEST_LEN`] at this target, each as an error naming its file: they stop the
    /// run before anything is made or sent.
    pub fn oversized(&self, cases: &[Arc<Case>]) -> Vec<FileError> {
        let over = |what: &str| {
            format!(
                "{what} would take over {} MiB at this target",
                MAX_REQUEST_LEN >> 20
            )
        };
        cases
            .iter()
            .filter_map(|case| {
                let CaseKind::Request { request, expect } = &case.kind else {
                    return None;
                };
                let message = if self.request_len(request) > MAX_REQUEST_LEN {
                    over("the request (its URL and headers)")
                        + "; no gateway reads a head that long"
                } else if self.expected_len(expect) > MAX_REQUEST_LEN {
                    over("the texts `expect.body` compares")
                } else {
                    return None;
                };
                Some(FileError::whole(&case.file, message))
            })
            .collect()
    }

    /// How long the texts `expect`'s body checks compare are at this target, without making
    /// them: `${token}` a hundred thousand times is short in a file, long with a token.
    fn expected_len(&self, expect: &Expectation) -> usize {
        expect
            .body
            .iter()
            .filter_map(|(_, check)| match &check.value.equals {
                Some(Expected::Text(template)) => Some(template.rendered_len(&self.variables)),
                _ => None,
            })
            .fold(0, usize::saturating_add)
    }

    /// How long the request `spec` stands for is at this target, at most, without making
    /// it: the task id is counted as if every byte were percent-encoded.
    fn request_len(&self, spec: &RequestSpec) -> usize {
        let len = |value: &Value| value.rendered_len(&self.variables);
        let slots = spec.path.0.matches(TASK_ID_SLOT).count();
        let task_ids = slots.saturating_mul(len(&spec.task_id).saturating_mul(3));
        let token = spec
            .token
            .as_ref()
            .map_or(0, |token| TOKEN_HEADER.len().saturating_add(len(token)));
        spec.headers
            .iter()
            .map(|(name, value)| name.as_str().len().saturating_add(len(value)))
            .chain([self.base_url.len(), spec.path.0.len(), task_ids, token])
            .fold(0, usize::saturating_add)
    }

    /// The request `spec` stands for at this target. Every variable it refers to must be
    /// provided (the runner ignores the case otherwise).
    pub fn prepare(&self, spec: &RequestSpec) -> PreparedRequest {
        let render = |value: &Value| value.render(&self.variables).unwrap_or_default();
        let task_id = render(&spec.task_id);
        let path = spec.path.0.replace(
            TASK_ID_SLOT,
            &utf8_percent_encode(&task_id, PATH_SEGMENT).to_string(),
        );
        let mut headers = Vec::new();
        if let Some(token) = &spec.token {
            headers.push((TOKEN_HEADER.to_owned(), render(token)));
        }
        headers.extend(
            spec.headers
                .iter()
                .map(|(name, value)| (name.to_string(), render(value))),
        );
        PreparedRequest {
            method: spec.method.0.clone(),
            url: format!("{}{path}", self.base_url),
            headers,
        }
    }
}

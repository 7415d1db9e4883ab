//! Request preparation: a request case and a target become the exact request sent.

use std::path::PathBuf;

use percent_encoding::utf8_percent_encode;

use crate::case::{RequestSpec, TASK_ID_SLOT, Value};
use crate::http::PreparedRequest;
use crate::vocab::{PATH_SEGMENT, Variables};

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
    /// The mock, started in this process.
    Embedded {
        /// Its fixture file; `None` for the built-in one.
        fixture: Option<PathBuf>,
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

    /// The embedded mock at `base_url`, serving the fixture in `fixture` (the built-in one
    /// when `None`).
    pub fn embedded(base_url: &str, variables: Variables, fixture: Option<PathBuf>) -> Target {
        Target {
            kind: TargetKind::Embedded { fixture },
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
            TargetKind::Embedded { fixture } => {
                format!("embedded mock ({})", fixture_label(fixture))
            }
            TargetKind::Standalone { fixture } => {
                format!("{} (mock, {})", self.shown_url(), fixture_label(fixture))
            }
            TargetKind::Live => format!("{} (live)", self.shown_url()),
        }
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

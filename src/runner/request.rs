//! Request preparation: a request case and a target become the exact request sent.

use percent_encoding::utf8_percent_encode;

use crate::case::{RequestSpec, Value};
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
}

impl Target {
    /// A target at `base_url` (a trailing `/` is dropped).
    pub fn new(base_url: &str, variables: Variables) -> Target {
        Target {
            base_url: base_url.trim_end_matches('/').to_owned(),
            variables,
        }
    }

    /// The request `spec` stands for at this target. Every variable it refers to must be
    /// provided (the runner ignores the case otherwise).
    pub fn prepare(&self, spec: &RequestSpec) -> PreparedRequest {
        let render = |value: &Value| value.render(&self.variables).unwrap_or_default();
        let task_id = render(&spec.task_id);
        let path = spec.path.0.replace(
            "{task_id}",
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

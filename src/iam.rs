//! Asking IAM for a token with a user's password, as a CI job does at its start (a token lives
//! 24 hours, so a job keeps the password, not a token): `POST {iam}/v3/auth/tokens?nocatalog=true`
//! with the password method and a project or domain scope; the token is the `X-Subject-Token`
//! header of the 201. IAM locks a user after several wrong passwords in a row, so a refusal
//! is never retried.

use serde_json::{Value as Json, json};

use crate::http::{HttpClient, PreparedRequest, TransportError};

/// The path of IAM's "obtain a user token" call.
pub const TOKENS_PATH: &str = "/v3/auth/tokens";
/// The header a token comes back in.
pub const SUBJECT_TOKEN_HEADER: &str = "X-Subject-Token";

/// An IAM user's credentials and the scope of the token asked for.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// IAM's base URL, e.g. `https://iam.ap-southeast-3.myhuaweicloud.com`.
    pub endpoint: String,
    /// The user's name.
    pub user: String,
    /// The password (a secret).
    pub password: String,
    /// The account (IAM domain) the user belongs to.
    pub domain: String,
    /// The project the token is scoped to (e.g. `ap-southeast-3`); `None` for the domain.
    pub project: Option<String>,
}

impl Credentials {
    /// The URL the request goes to.
    pub fn url(&self) -> String {
        format!(
            "{}{TOKENS_PATH}?nocatalog=true",
            self.endpoint.trim_end_matches('/')
        )
    }

    /// The scope, in words: `project ap-southeast-3` or `domain ACCOUNT`.
    pub fn scope(&self) -> String {
        match &self.project {
            Some(project) => format!("project {project}"),
            None => format!("domain {}", self.domain),
        }
    }

    /// The request's body: the password method, and the project or domain scope.
    fn body(&self) -> Json {
        let scope = match &self.project {
            Some(project) => json!({"project": {"name": project}}),
            None => json!({"domain": {"name": self.domain}}),
        };
        json!({"auth": {
            "identity": {
                "methods": ["password"],
                "password": {"user": {
                    "name": self.user,
                    "password": self.password,
                    "domain": {"name": self.domain},
                }},
            },
            "scope": scope,
        }})
    }
}

/// Why IAM gave no token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IamError {
    /// IAM refused the request (a 4xx): a wrong password, a locked user, a bad scope.
    #[error("IAM refused: {status}{}: {message}", code.as_ref().map(|c| format!(" {c}")).unwrap_or_default())]
    Refused {
        /// The status.
        status: u16,
        /// IAM's error code, when its body has one.
        code: Option<String>,
        /// IAM's message, or an excerpt of a body that has none.
        message: String,
    },
    /// IAM answered with another status (a 5xx, say): its own failure, not the password's.
    #[error("IAM failed: {status}{}: {message} (IAM's own failure, not the password's: try again later)", code.as_ref().map(|c| format!(" {c}")).unwrap_or_default())]
    Failed {
        /// The status.
        status: u16,
        /// IAM's error code, when its body has one.
        code: Option<String>,
        /// IAM's message, or an excerpt of a body that has none.
        message: String,
    },
    /// A 201 without the `X-Subject-Token` header.
    #[error("IAM answered {0} without an X-Subject-Token header")]
    NoToken(u16),
    /// No answer came back.
    #[error("IAM could not be asked: {0}")]
    Transport(TransportError),
}

/// Asks IAM, once, for a token for `credentials`.
pub async fn token(client: &HttpClient, credentials: &Credentials) -> Result<String, IamError> {
    let request = PreparedRequest {
        method: http::Method::POST,
        url: credentials.url(),
        headers: vec![(
            "Content-Type".to_owned(),
            "application/json;charset=utf8".to_owned(),
        )],
    };
    let body = credentials.body().to_string().into_bytes();
    let answer = client
        .send_with_body(&request, Some(body))
        .await
        .map_err(IamError::Transport)?;
    if answer.status == 201 {
        return answer
            .header(SUBJECT_TOKEN_HEADER)
            .filter(|token| !token.is_empty())
            .map(str::to_owned)
            .ok_or(IamError::NoToken(answer.status));
    }
    let (code, message) = error_of(&answer.body);
    let status = answer.status;
    Err(if (400..500).contains(&status) {
        IamError::Refused {
            status,
            code,
            message,
        }
    } else {
        IamError::Failed {
            status,
            code,
            message,
        }
    })
}

/// IAM's error code and message, from the shapes its errors take: Keystone's
/// `{"error": {"code", "message", "title"}}` (the documented answer to a wrong password) and
/// Huawei Cloud's `{"error_code", "error_msg"}`, at the top or under `error`.
fn error_of(body: &[u8]) -> (Option<String>, String) {
    let text = |value: Option<&Json>| {
        value.and_then(|v| match v {
            Json::String(s) => Some(s.clone()),
            Json::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    if let Ok(json) = serde_json::from_slice::<Json>(body) {
        for at in [&json, json.get("error").unwrap_or(&Json::Null)] {
            let message = text(at.get("error_msg")).or_else(|| text(at.get("message")));
            if let Some(message) = message {
                let code = text(at.get("error_code")).or_else(|| text(at.get("title")));
                return (code, message);
            }
        }
    }
    let excerpt: String = String::from_utf8_lossy(body).chars().take(200).collect();
    (None, format!("(no error message) {excerpt}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_asks_for_a_project_or_a_domain_scope() {
        let mut credentials = Credentials {
            endpoint: "https://iam.example/".into(),
            user: "u".into(),
            password: "p".into(),
            domain: "acct".into(),
            project: Some("ap-southeast-3".into()),
        };
        assert_eq!(
            credentials.url(),
            "https://iam.example/v3/auth/tokens?nocatalog=true"
        );
        let body = credentials.body();
        assert_eq!(
            body.pointer("/auth/identity/password/user/domain/name"),
            Some(&json!("acct"))
        );
        assert_eq!(
            body.pointer("/auth/scope"),
            Some(&json!({"project": {"name": "ap-southeast-3"}}))
        );
        credentials.project = None;
        assert_eq!(
            credentials.body().pointer("/auth/scope"),
            Some(&json!({"domain": {"name": "acct"}}))
        );
    }

    #[test]
    fn iam_errors_are_read_in_each_of_their_shapes() {
        let keystone = br#"{"error": {"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}}"#;
        assert_eq!(
            error_of(keystone),
            (
                Some("Unauthorized".into()),
                "The username or password is wrong.".into()
            )
        );
        let huawei = br#"{"error_code": "IAM.0011", "error_msg": "Request body is invalid."}"#;
        assert_eq!(
            error_of(huawei),
            (Some("IAM.0011".into()), "Request body is invalid.".into())
        );
        assert_eq!(
            error_of(b"<html>"),
            (None, "(no error message) <html>".into())
        );
    }
}

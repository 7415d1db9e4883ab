//! The mock's IAM: `POST /v3/auth/tokens` with the password method, for the fixture's users.
//! A user whose name, account (domain) and password match is issued the fixture token it
//! names, in the `X-Subject-Token` header of a 201; anyone else gets IAM's 401. Pure, like the
//! rest of the mock: it keeps nothing, so it does not count wrong passwords (the real IAM
//! locks a user after several in a row).

use serde_json::{Value as Json, json};

use super::{Fixture, Reply};

/// When every mock token was issued, and when it expires: fixed, since the mock reads no
/// clock (a token lives 24 hours).
const ISSUED_AT: &str = "2026-01-01T00:00:00.000000Z";
const EXPIRES_AT: &str = "2026-01-02T00:00:00.000000Z";

/// The answer to a token request whose body is `body`.
pub(super) fn answer(fixture: &Fixture, body: &[u8]) -> Reply {
    let Some(request) = parse(body) else {
        return error(400, "Bad Request", "The request body is invalid.");
    };
    let user = fixture.users.iter().find(|user| {
        user.name == request.user
            && user.domain == request.domain
            && user.password == request.password
    });
    let (Some(user), true) = (user, request.scope_allowed()) else {
        return error(401, "Unauthorized", "The username or password is wrong.");
    };
    let Some(token) = fixture.tokens.iter().find(|t| t.name == user.token) else {
        unreachable!("a fixture's users name its tokens (checked when it is read)");
    };
    let scope = match &request.project {
        Some(project) => json!({"project": {"name": project, "domain": {"name": user.domain}}}),
        None => json!({"domain": {"name": user.domain}}),
    };
    let mut body = json!({"token": {
        "expires_at": EXPIRES_AT,
        "issued_at": ISSUED_AT,
        "methods": ["password"],
        "user": {"name": user.name, "domain": {"name": user.domain}},
    }});
    if let (Some(token_body), Some(scope)) = (body["token"].as_object_mut(), scope.as_object()) {
        token_body.extend(scope.clone());
    }
    Reply {
        subject_token: Some(token.value.clone()),
        ..Reply::json(201, &body)
    }
}

/// What a token request asks for.
struct TokenRequest {
    user: String,
    password: String,
    domain: String,
    /// The project scope; `None` for the domain scope.
    project: Option<String>,
    /// The domain of a domain scope.
    scope_domain: Option<String>,
}

impl TokenRequest {
    /// A domain scope must name the user's own account.
    fn scope_allowed(&self) -> bool {
        self.scope_domain
            .as_ref()
            .is_none_or(|domain| *domain == self.domain)
    }
}

/// Reads the password method's body; `None` when it is not one.
fn parse(body: &[u8]) -> Option<TokenRequest> {
    let body: Json = serde_json::from_slice(body).ok()?;
    let auth = body.get("auth")?;
    let identity = auth.get("identity")?;
    let methods = identity.get("methods")?.as_array()?;
    if !methods.iter().any(|m| m == "password") {
        return None;
    }
    let user = identity.pointer("/password/user")?;
    let text = |value: &Json, pointer: &str| Some(value.pointer(pointer)?.as_str()?.to_owned());
    let scope = auth.get("scope")?;
    let project = text(scope, "/project/name");
    let scope_domain = text(scope, "/domain/name");
    if project.is_some() == scope_domain.is_some() {
        return None;
    }
    Some(TokenRequest {
        user: text(user, "/name")?,
        password: text(user, "/password")?,
        domain: text(user, "/domain/name")?,
        project,
        scope_domain,
    })
}

/// IAM's error body for a token request, as its documentation shows the wrong-password one.
fn error(status: u16, title: &str, message: &str) -> Reply {
    let body = json!({"error": {"code": status, "message": message, "title": title}});
    Reply::json(status, &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(user: &str, password: &str, scope: Json) -> Vec<u8> {
        json!({"auth": {
            "identity": {"methods": ["password"], "password": {"user": {
                "name": user, "password": password, "domain": {"name": "mock-account"}}}},
            "scope": scope,
        }})
        .to_string()
        .into_bytes()
    }

    #[test]
    fn a_user_with_the_right_password_is_issued_the_token_the_fixture_names() {
        let fixture = Fixture::builtin();
        let user = &fixture.users[0];
        let scopes = [
            json!({"project": {"name": "ap-southeast-3"}}),
            json!({"domain": {"name": "mock-account"}}),
        ];
        for scope in scopes {
            let answer = answer(&fixture, &request(&user.name, &user.password, scope));
            assert_eq!(answer.status, 201);
            let issued = fixture
                .tokens
                .iter()
                .find(|t| t.name == user.token)
                .unwrap();
            assert_eq!(answer.subject_token.as_ref(), Some(&issued.value));
        }
    }

    #[test]
    fn a_wrong_password_an_unknown_user_and_a_bad_body_are_refused() {
        let fixture = Fixture::builtin();
        let project = json!({"project": {"name": "ap-southeast-3"}});
        let user = &fixture.users[0];
        for body in [
            request(&user.name, "wrong", project.clone()),
            request("nobody", &user.password, project.clone()),
            request(
                &user.name,
                &user.password,
                json!({"domain": {"name": "other"}}),
            ),
        ] {
            let refused = answer(&fixture, &body);
            assert_eq!(refused.status, 401);
            assert_eq!(refused.subject_token, None);
            let body: Json = serde_json::from_slice(&refused.body).unwrap();
            assert_eq!(
                body["error"]["message"],
                "The username or password is wrong."
            );
        }
        for body in [&b"not json"[..], br#"{"auth": {}}"#] {
            assert_eq!(answer(&fixture, body).status, 400);
        }
    }
}

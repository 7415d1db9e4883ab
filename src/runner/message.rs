//! The text of a failed case: which case, what was sent, what came back, and why it fails.
//! Tokens are masked here by header; the redactor masks every other known secret after.

use std::fmt::Write;

use super::TOKEN_HEADER;
use super::check::Problem;
use crate::case::{Case, Document};
use crate::http::{Answer, PreparedRequest, TransportError};
use crate::redact::MASK;

/// How much of a body a failure quotes.
const BODY_EXCERPT: usize = 512;
/// How much of a long header value a failure quotes.
const VALUE_EXCERPT: usize = 64;

/// The failure message of `case`.
pub(super) fn failure(
    case: &Case,
    request: &PreparedRequest,
    result: &Result<Answer, TransportError>,
    problems: &[Problem],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case: {} ({})", case.id, case.file.display());
    if let Some(description) = &case.description {
        let _ = writeln!(out, "      {description}");
    }
    let _ = writeln!(out, "sent: {} {}", request.method, request.url);
    if !request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(TOKEN_HEADER))
    {
        let _ = writeln!(out, "      (no {TOKEN_HEADER} header)");
    }
    for (name, value) in &request.headers {
        let _ = writeln!(out, "      {name}: {}", describe_header(name, value));
    }
    match result {
        Err(error) => {
            let _ = writeln!(out, "got:  nothing usable");
            let _ = write!(out, "why:  {error}");
        }
        Ok(answer) => {
            let _ = writeln!(
                out,
                "got:  {} with {} bytes",
                answer.status,
                answer.body.len()
            );
            for (name, value) in &answer.headers {
                let value = value.to_str().unwrap_or("(not text)");
                let _ = writeln!(
                    out,
                    "      {name}: {}",
                    describe_header(name.as_str(), value)
                );
            }
            if !answer.body.is_empty() {
                let _ = writeln!(out, "      body: {}", excerpt(&answer.body));
            }
            let _ = write!(out, "why:");
            for problem in problems {
                let _ = write!(out, "\n    - {problem}");
            }
        }
    }
    out
}

/// The failure message of a document case.
pub(super) fn document_failure(case: &Case, document: &Document, why: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "case: {} ({})", case.id, case.file.display());
    if let Some(description) = &case.description {
        let _ = writeln!(out, "      {description}");
    }
    let _ = writeln!(
        out,
        "body: {} (checked against {})",
        excerpt(document.body.to_string().as_bytes()),
        document.judge
    );
    let _ = write!(out, "why:  {why}");
    out
}

/// A header value as a failure shows it: tokens masked, long values shortened.
fn describe_header(name: &str, value: &str) -> String {
    let secret = ["x-auth-token", "x-subject-token", "authorization"]
        .iter()
        .any(|s| name.eq_ignore_ascii_case(s));
    let chars = value.chars().count();
    if secret && !value.is_empty() {
        format!("{MASK} ({chars} chars)")
    } else if chars > VALUE_EXCERPT {
        let head: String = value.chars().take(VALUE_EXCERPT).collect();
        format!("{head}… ({chars} chars)")
    } else if value.is_empty() {
        "(empty)".to_owned()
    } else {
        value.to_owned()
    }
}

/// The start of a body, as text, with passphrases masked by key.
fn excerpt(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut json) => {
            mask_passphrases(&mut json);
            json.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    if escaped.chars().count() > BODY_EXCERPT {
        let head: String = escaped.chars().take(BODY_EXCERPT).collect();
        format!("{head}… ({} bytes in all)", body.len())
    } else {
        escaped
    }
}

fn mask_passphrases(json: &mut serde_json::Value) {
    match json {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == "passphrase" {
                    *value = serde_json::Value::String(MASK.to_owned());
                } else {
                    mask_passphrases(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask_passphrases),
        _ => {}
    }
}

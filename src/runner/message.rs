//! The text of a case: what was sent, what came back, and why it fails. Credentials and
//! passphrases are masked here by name ([`crate::redact`]); the run's [`Redactor`] masks every
//! other known secret before anything is shown.
//!
//! [`Redactor`]: crate::redact::Redactor

use std::fmt::Write;

use super::TOKEN_HEADER;
use crate::case::{Case, Document};
use crate::http::{Answer, PreparedRequest, TransportError};
use crate::redact;

/// How much of a body is quoted.
const BODY_EXCERPT: usize = 512;
/// How much of a long header value is quoted.
const VALUE_EXCERPT: usize = 64;

/// The case's header: its id, file and description.
pub(super) fn heading(case: &Case) -> String {
    let mut out = format!("case: {} ({})\n", case.id, case.file.display());
    if let Some(description) = &case.description {
        let _ = writeln!(out, "      {description}");
    }
    out
}

/// What was sent, as `sent:` lines.
pub(super) fn sent(request: &PreparedRequest) -> String {
    let mut out = format!("sent: {} {}\n", request.method, request.url);
    if !request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case(TOKEN_HEADER))
    {
        let _ = writeln!(out, "      (no {TOKEN_HEADER} header)");
    }
    for (name, value) in &request.headers {
        let _ = writeln!(out, "      {name}: {}", shown_header(name, value));
    }
    out
}

/// What came back, as `got:` lines; `json` is the body already parsed, if it is JSON.
pub(super) fn got(
    result: &Result<Answer, TransportError>,
    json: Option<&serde_json::Value>,
) -> String {
    let Ok(answer) = result else {
        return "got:  nothing usable\n".to_owned();
    };
    let mut out = format!("got:  {} with {} bytes\n", answer.status, answer.body.len());
    for (name, value) in &answer.headers {
        let value = value.to_str().unwrap_or("(not text)");
        let _ = writeln!(out, "      {name}: {}", shown_header(name.as_str(), value));
    }
    if !answer.body.is_empty() {
        let _ = writeln!(out, "      body: {}", excerpt(json, &answer.body));
    }
    out
}

/// The failure message of a document case.
pub(super) fn document_failure(case: &Case, document: &Document, why: &str) -> String {
    let body = excerpt(Some(&document.body), &[]);
    format!(
        "{}body: {body} (checked against {})\nwhy:  {why}",
        heading(case),
        document.judge
    )
}

/// A header value as shown: credentials masked, long values shortened.
fn shown_header(name: &str, value: &str) -> String {
    let chars = value.chars().count();
    if redact::is_secret_header(name) || chars <= VALUE_EXCERPT {
        return if value.is_empty() {
            "(empty)".to_owned()
        } else {
            redact::header_value(name, value)
        };
    }
    let head: String = value.chars().take(VALUE_EXCERPT).collect();
    format!("{head}… ({chars} chars)")
}

/// The start of a body, as text: its JSON (`json`, passphrases masked by key) or else its
/// raw bytes, with control characters escaped.
fn excerpt(json: Option<&serde_json::Value>, raw: &[u8]) -> String {
    let text = match json {
        Some(json) => {
            let mut json = json.clone();
            redact::mask_json(&mut json);
            json.to_string()
        }
        None => String::from_utf8_lossy(raw).into_owned(),
    };
    let mut escaped = String::with_capacity(text.len().min(BODY_EXCERPT * 2));
    for (count, c) in text.chars().enumerate() {
        if count == BODY_EXCERPT {
            let _ = write!(escaped, "… ({} characters in all)", text.chars().count());
            break;
        }
        if c.is_control() {
            escaped.extend(c.escape_default());
        } else {
            escaped.push(c);
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_masks_passphrases_escapes_controls_and_stops_at_its_length() {
        let json = serde_json::json!({"passphrase": "secret", "x": "a\u{1}b"});
        assert_eq!(
            excerpt(Some(&json), &[]),
            r#"{"passphrase":"********","x":"a\u0001b"}"#
        );
        let long = "y".repeat(BODY_EXCERPT + 10);
        let shown = excerpt(None, long.as_bytes());
        assert_eq!(
            shown,
            format!(
                "{}… ({} characters in all)",
                &long[..BODY_EXCERPT],
                long.len()
            )
        );
        assert_eq!(excerpt(None, b"line\nbreak"), "line\\nbreak");
    }
}

//! The one place results become text: failure messages, exchanges, ignored reasons and dry
//! runs, for the terminal and inside the JUnit and JSON reports. Every text passes through
//! the run's [`Redactor`]; a value that is shortened is masked before it is cut, so no cut
//! can leave part of a secret behind.

use std::fmt::Write;

use crate::case::{Case, CaseKind, Document};
use crate::contract::Violation;
use crate::http::{Answer, PreparedRequest, TransportError};
use crate::redact::{self, Redactor};
use crate::runner::{
    CaseResult, Check, Exchange, Mismatch, Outcome, Problem, TOKEN_HEADER, Verdict,
};
use crate::vocab::{JsonPointer, Variable};

/// How many characters of a body are quoted.
const BODY_EXCERPT: usize = 512;
/// How many characters of a long header value are quoted.
const VALUE_EXCERPT: usize = 64;

/// One entry of a failure, as the reports list them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason<'r> {
    /// The check that failed.
    pub check: Check,
    /// What is wrong, masked.
    pub message: String,
    /// Where in the body, when there is a place.
    pub pointer: Option<&'r JsonPointer>,
    /// The schema keyword that failed, for schema violations.
    pub keyword: Option<&'r str>,
}

/// Renders results as text, masked. Made from every result of the run, so that a passphrase
/// seen in any answer is masked in the text of every case.
pub struct Renderer<'a> {
    redactor: &'a Redactor,
}

impl<'a> Renderer<'a> {
    /// A renderer that masks with `redactor`, once it has learned the passphrases in every
    /// answer of `results`.
    pub fn new(redactor: &'a Redactor, results: &[CaseResult]) -> Renderer<'a> {
        for exchange in results.iter().filter_map(|r| r.exchange.as_ref()) {
            if let Some(json) = &exchange.json {
                redactor.learn_passphrases(json);
            }
        }
        Renderer { redactor }
    }

    /// `text`, masked.
    pub fn mask(&self, text: &str) -> String {
        self.redactor.redact(text)
    }

    /// Why a case did not pass, in full: its heading, the exchange, and each problem; `None`
    /// when it passed.
    pub fn failure(&self, result: &CaseResult) -> Option<String> {
        let text = match &result.outcome {
            Outcome::Passed => return None,
            Outcome::Ignored(missing) => ignored(missing),
            Outcome::Failed(problems) => {
                let mut out = heading(&result.case);
                match (&result.case.kind, &result.exchange) {
                    (CaseKind::Document(document), _) => {
                        let body = self.excerpt(Some(&document.body()), &[]);
                        let _ = writeln!(out, "body: {body} (checked against {})", document.judge);
                    }
                    (_, Some(exchange)) => out.push_str(&self.exchange(exchange)),
                    (_, None) => {}
                }
                let answered = result.exchange.as_ref().is_some_and(|e| e.answer.is_ok());
                if answered {
                    out.push_str("why:");
                    for problem in problems {
                        let _ = write!(out, "\n    - {}", self.problem_text(&result.case, problem));
                    }
                } else {
                    // No answer to list problems of: the one reason there is none.
                    let reasons: Vec<String> = problems
                        .iter()
                        .map(|p| self.problem_text(&result.case, p))
                        .collect();
                    let _ = write!(out, "why:  {}", reasons.join("\n      "));
                }
                out
            }
        };
        Some(self.mask(&text))
    }

    /// Why a case failed, as the reports list it: one reason per schema violation, one
    /// per other problem; masked.
    pub fn reasons<'r>(&self, result: &'r CaseResult) -> Vec<Reason<'r>> {
        let mut reasons = Vec::new();
        for problem in result.problems() {
            let check = problem.check();
            if let Problem::Schema(violations) = problem {
                reasons.extend(violations.iter().map(|v| Reason {
                    check,
                    message: self.mask(&violation_text(v)),
                    pointer: Some(&v.instance_path),
                    keyword: Some(&v.keyword),
                }));
                continue;
            }
            let pointer = match problem {
                Problem::Body { pointer, .. } => Some(pointer),
                _ => None,
            };
            reasons.push(Reason {
                check,
                message: self.mask(&self.problem_text(&result.case, problem)),
                pointer,
                keyword: None,
            });
        }
        reasons
    }

    /// What was sent and what came back, as `sent:` and `got:` lines, masked.
    pub fn exchange(&self, exchange: &Exchange) -> String {
        let mut out = self.sent(&exchange.request);
        out.push_str(&self.got(&exchange.answer, exchange.json.as_ref()));
        self.mask(&out)
    }

    /// What `case` would do against a target that sends `request` (none for document
    /// cases), or the variables it lacks: for `--dry-run`. Masked.
    pub fn plan(
        &self,
        case: &Case,
        request: Option<&PreparedRequest>,
        missing: &[Variable],
    ) -> String {
        let mut out = heading(case);
        if !missing.is_empty() {
            let _ = writeln!(out, "      ignored: {}", ignored(missing));
        } else if let Some(request) = request {
            out.push_str(&self.sent(request));
        } else if let CaseKind::Document(document) = &case.kind {
            let _ = writeln!(out, "      a document checked against {}", document.judge);
        }
        self.mask(&out)
    }

    fn problem_text(&self, case: &Case, problem: &Problem) -> String {
        match problem {
            Problem::Status {
                got,
                expected,
                has_schema,
            } => {
                let mut text = format!("status {got}, expected {expected}");
                if !has_schema {
                    let _ = write!(text, " (and the contract lists no body schema for {got})");
                }
                text
            }
            Problem::ContentType {
                got: Some(got),
                expected,
            } => format!("Content-Type is `{got}`, expected {expected}"),
            Problem::ContentType {
                got: None,
                expected,
            } => format!("no Content-Type header, expected {expected}"),
            Problem::MissingHeader(name) => format!("header {name} is missing"),
            Problem::NotJson(why) => format!("the body is not JSON: {why}"),
            Problem::Schema(violations) => {
                format!("the body breaks the contract:{}", listed(violations))
            }
            Problem::Body { pointer, mismatch } => {
                format!("{}: {}", place(pointer), mismatch_text(mismatch))
            }
            Problem::Transport(error) => error.to_string(),
            Problem::Verdict(verdict) => verdict_text(case, verdict),
            Problem::Panicked(why) => {
                format!("the runner panicked while running this case: {why}")
            }
        }
    }

    /// What was sent, as `sent:` lines.
    fn sent(&self, request: &PreparedRequest) -> String {
        let mut out = format!("sent: {} {}\n", request.method, request.url);
        if !request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(TOKEN_HEADER))
        {
            let _ = writeln!(out, "      (no {TOKEN_HEADER} header)");
        }
        for (name, value) in &request.headers {
            let _ = writeln!(out, "      {name}: {}", self.header(name, value));
        }
        out
    }

    /// What came back, as `got:` lines; `json` is the body already parsed, if it is JSON.
    fn got(
        &self,
        answer: &Result<Answer, TransportError>,
        json: Option<&serde_json::Value>,
    ) -> String {
        let Ok(answer) = answer else {
            return "got:  nothing usable\n".to_owned();
        };
        let mut out = format!("got:  {} with {} bytes\n", answer.status, answer.body.len());
        for (name, value) in &answer.headers {
            let value = value.to_str().unwrap_or("(not text)");
            let _ = writeln!(out, "      {name}: {}", self.header(name.as_str(), value));
        }
        if !answer.body.is_empty() {
            let _ = writeln!(out, "      body: {}", self.excerpt(json, &answer.body));
        }
        out
    }

    /// A header value as shown: credentials masked by name, any other secret masked by
    /// value, then long values shortened.
    fn header(&self, name: &str, value: &str) -> String {
        if value.is_empty() {
            return "(empty)".to_owned();
        }
        if redact::is_secret_header(name) {
            return redact::header_value(name, value);
        }
        let chars = value.chars().count();
        let masked = self.mask(value);
        if masked.chars().count() <= VALUE_EXCERPT {
            return masked;
        }
        let head: String = masked.chars().take(VALUE_EXCERPT).collect();
        format!("{head}… ({chars} chars)")
    }

    /// The start of a body, as text: its JSON (`json`, passphrases masked by key) or else its
    /// raw bytes; masked, then control characters escaped, then cut.
    fn excerpt(&self, json: Option<&serde_json::Value>, raw: &[u8]) -> String {
        let text = match json {
            Some(json) => {
                let mut json = json.clone();
                redact::mask_json(&mut json);
                json.to_string()
            }
            None => String::from_utf8_lossy(raw).into_owned(),
        };
        let text = self.mask(&text);
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
}

/// The case's heading: its id, file and description.
fn heading(case: &Case) -> String {
    let mut out = format!("case: {} ({})\n", case.id, case.file.display());
    if let Some(description) = &case.description {
        let _ = writeln!(out, "      {description}");
    }
    out
}

/// Why a case was not run.
fn ignored(missing: &[Variable]) -> String {
    let missing: Vec<String> = missing
        .iter()
        .map(|v| format!("{v} (set {})", v.how_to_set()))
        .collect();
    format!("the target provides no {}", missing.join(", "))
}

/// A place in a body, for a reader.
fn place(pointer: &JsonPointer) -> &str {
    if pointer.is_root() {
        "(the whole body)"
    } else {
        pointer.as_str()
    }
}

fn mismatch_text(mismatch: &Mismatch) -> String {
    match mismatch {
        Mismatch::Missing => "missing".to_owned(),
        Mismatch::Present => "present, expected absent".to_owned(),
        Mismatch::Unprovided => "the target lacks a variable this check needs".to_owned(),
        Mismatch::MissingExpected(expected) => format!("missing, expected {expected}"),
        Mismatch::NotEqual { got, expected } => format!("{got}, expected {expected}"),
        Mismatch::Differs {
            other,
            got,
            other_value,
        } => format!("{got} differs from {other_value} at {}", place(other)),
    }
}

fn violation_text(violation: &Violation) -> String {
    let at = if violation.instance_path.is_root() {
        "(the body)"
    } else {
        violation.instance_path.as_str()
    };
    format!(
        "{at}: {} [keyword {}, schema {} at {}]",
        violation.message, violation.keyword, violation.schema, violation.schema_path
    )
}

fn listed(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| format!("\n      {}", violation_text(v)))
        .collect()
}

fn verdict_text(case: &Case, verdict: &Verdict) -> String {
    let judge = match &case.kind {
        CaseKind::Document(Document { judge, .. }) => judge.to_string(),
        CaseKind::Request { .. } => "the contract".to_owned(),
    };
    match verdict {
        Verdict::NoSchema(status) => format!("the manifest lists no schema for status {status}"),
        Verdict::NotValid(violations) => {
            format!("expected valid against {judge}, but:{}", listed(violations))
        }
        Verdict::NotInvalid(expected) => {
            format!("expected invalid ({expected}) against {judge}, but it is valid")
        }
        Verdict::OtherViolations(expected, violations) => {
            format!(
                "expected invalid for {expected} only, but:{}",
                listed(violations)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_excerpt_masks_passphrases_escapes_controls_and_stops_at_its_length() {
        let redactor = Redactor::default();
        let renderer = Renderer::new(&redactor, &[]);
        let json = serde_json::json!({"passphrase": "secret", "x": "a\u{1}b"});
        assert_eq!(
            renderer.excerpt(Some(&json), &[]),
            r#"{"passphrase":"********","x":"a\u0001b"}"#
        );
        let long = "y".repeat(BODY_EXCERPT + 10);
        assert_eq!(
            renderer.excerpt(None, long.as_bytes()),
            format!(
                "{}… ({} characters in all)",
                &long[..BODY_EXCERPT],
                long.len()
            )
        );
        assert_eq!(renderer.excerpt(None, b"line\nbreak"), "line\\nbreak");
    }

    #[test]
    fn a_secret_across_the_cut_is_masked_before_it_is_cut() {
        let secret = "s3cr3t-token-value-0123456789";
        let redactor = Redactor::new([secret]);
        let renderer = Renderer::new(&redactor, &[]);
        let body = format!("{}{secret}", "z".repeat(BODY_EXCERPT - 10));
        let shown = renderer.excerpt(None, body.as_bytes());
        assert!(!shown.contains(&secret[..10]), "{shown}");
        let value = format!(
            "{}{secret}{}",
            "v".repeat(VALUE_EXCERPT - 10),
            "w".repeat(20)
        );
        let shown = renderer.header("X-Echo", &value);
        assert!(!shown.contains(&secret[..10]), "{shown}");
        assert!(
            shown.ends_with(&format!("({} chars)", value.chars().count())),
            "{shown}"
        );
    }
}

//! The one place results become text: failure messages, exchanges, ignored reasons and dry
//! runs, for the terminal and inside the JUnit and JSON reports. Every text passes through
//! the run's [`Redactor`]: header values and URLs as whole values, the rest as text. A value
//! that is shortened is masked before it is cut, so no cut can leave part of a secret
//! behind. The body of an answer that may hold a secret is shown only when it is JSON.

use std::fmt::Write;

use crate::case::{Case, CaseKind, Document};
use crate::contract::Violation;
use crate::http::{PreparedRequest, TransportError};
use crate::mock::REQUEST_ID_HEADER;
use crate::proxy::Note;
use crate::redact::{self, Redactor};
use crate::runner::{
    Attempt, CaseResult, Check, Exchange, GaveUp, Mismatch, Outcome, Problem, TOKEN_HEADER,
    Throttled, Verdict, none_reached,
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
    /// answer of `results`: from the JSON, or from the text of a body that is not JSON.
    pub fn new(redactor: &'a Redactor, results: &[CaseResult]) -> Renderer<'a> {
        for exchange in results.iter().filter_map(|r| r.exchange.as_ref()) {
            // Without an answer there is no body, and no JSON.
            if let Ok(answer) = &exchange.answer {
                redactor.learn_answer(answer.json().as_ref(), &answer.body);
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
            Outcome::Failed(problems)
            | Outcome::Contradicted(problems)
            | Outcome::Inconclusive(problems) => {
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
                        let _ = write!(
                            out,
                            "\n    - {}",
                            self.problem_text(Some(&result.case), problem)
                        );
                    }
                } else {
                    // No answer to list problems of: the one reason there is none.
                    let reasons: Vec<String> = problems
                        .iter()
                        .map(|p| self.problem_text(Some(&result.case), p))
                        .collect();
                    let _ = write!(out, "why:  {}", reasons.join("\n      "));
                }
                if matches!(result.outcome, Outcome::Contradicted(_)) {
                    let _ = write!(
                        out,
                        "\nnote: this contradicts {} of the ledger (schemas/assumptions.yaml), not the contract",
                        assumptions(&result.case)
                    );
                }
                out
            }
        };
        Some(self.mask(&text))
    }

    /// Why a case contradicts its assumptions, in a line: the assumptions, then its
    /// problems; masked.
    pub fn contradiction(&self, result: &CaseResult) -> String {
        let problems: Vec<String> = result
            .problems()
            .iter()
            .map(|p| self.problem_text(Some(&result.case), p))
            .collect();
        self.mask(&format!(
            "contradicts {}: {}",
            assumptions(&result.case),
            problems.join("; ")
        ))
    }

    /// Why a case failed, as the reports list it: one reason per schema violation, one
    /// per other problem; masked.
    pub fn reasons<'r>(&self, result: &'r CaseResult) -> Vec<Reason<'r>> {
        self.problem_reasons(Some(&result.case), result.problems())
    }

    /// `problems` (of `case`, or of an answer no case expects) as the reports list them:
    /// one reason per schema violation, one per other problem; masked.
    pub fn problem_reasons<'r>(
        &self,
        case: Option<&Case>,
        problems: &'r [Problem],
    ) -> Vec<Reason<'r>> {
        let mut reasons = Vec::new();
        for problem in problems {
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
                message: self.mask(&self.problem_text(case, problem)),
                pointer,
                keyword: None,
            });
        }
        reasons
    }

    /// What is wrong with an exchange the proxy noted, as lines for stderr: one a reason,
    /// each naming the JSON pointer and the schema keyword of a violation as a run's failure
    /// does: `violation: GET /v3/tasks/…/passphrase → 200, X-Request-Id …: /passphrase: …
    /// [keyword maxLength, …]`. Masked.
    pub fn noted(&self, note: &Note) -> Vec<String> {
        let what = if note.upstream_failed() {
            "upstream failed"
        } else {
            "violation"
        };
        let got = match note.status {
            Some(status) if status == note.answered => status.to_string(),
            Some(status) => format!("{status}, answered {}", note.answered),
            None => format!("answered {}", note.answered),
        };
        let id = note.request_id.as_deref().map_or(String::new(), |id| {
            format!(", X-Request-Id {}", self.header(REQUEST_ID_HEADER, id))
        });
        let head = format!(
            "{what}: {} {} → {got}{id}",
            note.method,
            self.url(&note.target)
        );
        self.problem_reasons(None, &note.problems)
            .into_iter()
            .map(|reason| self.mask(&format!("{head}: {}", one_line(&reason.message))))
            .collect()
    }

    /// What is wrong with an exchange the proxy noted, in one line: its reasons joined by
    /// `; `. Masked.
    pub fn why(&self, note: &Note) -> String {
        let reasons: Vec<String> = self
            .problem_reasons(None, &note.problems)
            .into_iter()
            .map(|reason| one_line(&reason.message))
            .collect();
        self.mask(&reasons.join("; "))
    }

    /// What was sent and what came back, as `sent:` and `got:` lines (and `tries:` when it
    /// was sent more than once), masked.
    pub fn exchange(&self, exchange: &Exchange) -> String {
        let mut out = self.sent(&exchange.request());
        if exchange.attempts.len() > 1 {
            let _ = writeln!(out, "tries: {}", attempts_text(&exchange.attempts));
        }
        out.push_str(&self.got(exchange));
        self.mask(&out)
    }

    /// Why a case that passed only on a retry is flaky, in a line: `passed on attempt 2 of 2
    /// (1: 429, waited 3s)`; masked.
    pub fn flaky(&self, result: &CaseResult) -> String {
        let attempts = result
            .exchange
            .as_ref()
            .map_or(&[][..], |e| e.attempts.as_slice());
        self.mask(&format!(
            "passed on attempt {n} of {n} ({})",
            attempts_text(&attempts[..attempts.len().saturating_sub(1)]),
            n = attempts.len(),
        ))
    }

    /// A flaky case as a failure, for `--strict`: its heading, the exchange, and why.
    pub fn flaky_failure(&self, result: &CaseResult) -> String {
        let mut out = heading(&result.case);
        if let Some(exchange) = &result.exchange {
            out.push_str(&self.exchange(exchange));
        }
        let _ = write!(
            out,
            "why:  it {}: flaky, and --strict fails on a flaky case",
            self.flaky(result)
        );
        self.mask(&out)
    }

    /// A case that could not reach the target, in short: its heading, what it sent, and a
    /// pointer to the line that says why (see [`unreachable`](Self::unreachable)).
    pub fn unreachable_failure(&self, result: &CaseResult) -> String {
        let mut out = heading(&result.case);
        if let Some(exchange) = &result.exchange {
            let request = exchange.request();
            let _ = writeln!(out, "sent: {} {}", request.method, request.url);
        }
        out.push_str("why:  the target could not be reached (see the first lines)");
        self.mask(&out)
    }

    /// The line said once when every request case failed to reach the target: why, and
    /// what to check; `None` when some answer came back.
    pub fn unreachable(&self, results: &[CaseResult], target: &str) -> Option<String> {
        if !none_reached(results) {
            return None;
        }
        let why = results.iter().find_map(|r| {
            r.problems().iter().find_map(|p| match p {
                Problem::Transport(TransportError::Unreachable(why)) => Some(why.as_str()),
                _ => None,
            })
        })?;
        Some(self.mask(&format!(
            "error: {target} could not be reached: {why}\nhint:  {}",
            unreachable_hint(why)
        )))
    }

    /// Why a case did not pass, in one line (the first of its reasons), masked; `None` when
    /// it passed at the first attempt.
    pub fn one_line(&self, result: &CaseResult) -> Option<String> {
        if result.flaky() {
            return Some(self.flaky(result));
        }
        let text = match &result.outcome {
            Outcome::Passed => return None,
            Outcome::Ignored(missing) => ignored(missing),
            _ => {
                let reasons = self.reasons(result);
                one_line(&reasons.into_iter().next()?.message)
            }
        };
        Some(self.mask(&text))
    }

    /// A URL as shown: its user, password, path segments, query keys and values masked as
    /// whole values, then as text.
    pub fn url(&self, url: &str) -> String {
        self.redactor.redact_url(url)
    }

    /// A header value as shown: a credential's by name, any other masked as a whole value
    /// and as text, then shortened when long.
    pub fn header(&self, name: &str, value: &str) -> String {
        if value.is_empty() {
            return "(empty)".to_owned();
        }
        if redact::is_secret_header(name) {
            return redact::header_value(name, value);
        }
        let chars = value.chars().count();
        let masked = self.redactor.redact_value(value);
        if masked.chars().count() <= VALUE_EXCERPT {
            return masked;
        }
        let head: String = masked.chars().take(VALUE_EXCERPT).collect();
        format!("{head}… ({chars} chars)")
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

    fn problem_text(&self, case: Option<&Case>, problem: &Problem) -> String {
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
            Problem::Unlisted(status) => format!(
                "status {status} is not in the contract: the manifest lists no body schema for it"
            ),
            Problem::ContentType {
                got: Some(got),
                expected,
            } => format!(
                "Content-Type is `{}`, expected {expected}",
                self.header("content-type", got)
            ),
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
                format!("{}: {}", place(pointer), self.mismatch_text(mismatch))
            }
            Problem::Transport(error) => error.to_string(),
            Problem::Verdict(verdict) => verdict_text(case, verdict),
            Problem::Panicked(why) => {
                format!("the runner panicked while running this case: {why}")
            }
            Problem::Throttled(throttled) => throttled_text(throttled),
        }
    }

    /// What was sent, as `sent:` lines.
    fn sent(&self, request: &PreparedRequest) -> String {
        let mut out = format!("sent: {} {}\n", request.method, self.url(&request.url));
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

    /// What came back, as `got:` lines.
    fn got(&self, exchange: &Exchange) -> String {
        let Ok(answer) = &exchange.answer else {
            return "got:  nothing usable\n".to_owned();
        };
        let mut out = format!("got:  {} with {} bytes\n", answer.status, answer.body.len());
        for (name, value) in &answer.headers {
            let value = value.to_str().unwrap_or("(not text)");
            let _ = writeln!(out, "      {name}: {}", self.header(name.as_str(), value));
        }
        if answer.body.is_empty() {
            return out;
        }
        let body = match &answer.json() {
            Ok(json) => self.excerpt(Some(json), &answer.body),
            Err(why) if exchange.may_hold_secrets() => {
                let media_type = answer
                    .header("content-type")
                    .map_or("no Content-Type".to_owned(), |t| {
                        self.header("content-type", t)
                    });
                format!(
                    "not shown, as it may hold a secret and is not JSON ({why}): {} bytes of {media_type}",
                    answer.body.len()
                )
            }
            Err(_) => self.excerpt(None, &answer.body),
        };
        let _ = writeln!(out, "      body: {body}");
        out
    }

    /// JSON as text, passphrases masked by key (the text is masked by value where it is
    /// used).
    fn json(&self, json: &serde_json::Value) -> String {
        let mut json = json.clone();
        redact::mask_json(&mut json);
        json.to_string()
    }

    fn mismatch_text(&self, mismatch: &Mismatch) -> String {
        match mismatch {
            Mismatch::Missing => "missing".to_owned(),
            Mismatch::Present => "present, expected absent".to_owned(),
            Mismatch::Unprovided => "the target lacks a variable this check needs".to_owned(),
            Mismatch::MissingExpected(expected) => {
                format!("missing, expected {}", self.json(expected))
            }
            Mismatch::NotEqual { got, expected } => {
                format!("{}, expected {}", self.json(got), self.json(expected))
            }
            Mismatch::Differs {
                other,
                got,
                other_value,
            } => format!(
                "{} differs from {} at {}",
                self.json(got),
                self.json(other_value),
                place(other)
            ),
        }
    }

    /// The start of a body, as text: its JSON (`json`, passphrases masked by key) or else its
    /// raw bytes; masked, then control characters escaped, then cut.
    fn excerpt(&self, json: Option<&serde_json::Value>, raw: &[u8]) -> String {
        let text = match json {
            Some(json) => self.json(json),
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

/// `text`'s lines, trimmed, joined by spaces; a lone carriage return or a tab is a space,
/// another control character escaped. A line break in a case's description could forge a
/// line of its block (`sent: ...`).
fn one_line(text: &str) -> String {
    let joined = text.lines().map(str::trim).collect::<Vec<_>>().join(" ");
    let mut line = String::with_capacity(joined.len());
    for c in joined.chars() {
        match c {
            '\r' | '\t' => line.push(' '),
            c if c.is_control() => line.extend(c.escape_default()),
            c => line.push(c),
        }
    }
    line
}

/// Each attempt: its status or error, and the wait after it.
fn attempts_text(attempts: &[Attempt]) -> String {
    let each: Vec<String> = attempts
        .iter()
        .enumerate()
        .map(|(index, attempt)| {
            let mut text = match &attempt.answer {
                Ok(status) => format!("{}: {status}", index + 1),
                Err(error) => format!("{}: {error}", index + 1),
            };
            if let Some(asked) = attempt.retry_after {
                let _ = write!(text, " (Retry-After {})", seconds(asked));
            }
            if let Some(wait) = attempt.wait {
                let _ = write!(text, ", waited {}", seconds(wait));
            }
            text
        })
        .collect();
    each.join("; ")
}

/// A duration in seconds, as people read it: `3s`, `0.5s`.
fn seconds(duration: std::time::Duration) -> String {
    // A Retry-After of twenty digits would read 18446744073709552000s.
    if duration > std::time::Duration::from_secs(86_400) {
        return "more than a day".to_owned();
    }
    format!("{}s", (duration.as_secs_f64() * 100.0).round() / 100.0)
}

/// Why a throttled case was not judged.
fn throttled_text(throttled: &Throttled) -> String {
    let status = throttled.status;
    let why = match &throttled.gave_up {
        GaveUp::RetriesUsed(retries) => {
            format!("after {} attempts (--retries {retries})", retries + 1)
        }
        GaveUp::WaitOverCap { asked, cap } => format!(
            "and Retry-After asked for {}, over --max-wait {}",
            seconds(*asked),
            seconds(*cap)
        ),
        GaveUp::NotIdempotent(method) => format!("to a {method}, which is never sent twice"),
        GaveUp::Interrupted => "when the run was interrupted".to_owned(),
    };
    format!("still {status} {why}; the target asked to come back later")
}

/// What to check when the target cannot be reached, by the cause.
fn unreachable_hint(why: &str) -> &'static str {
    let why = why.to_ascii_lowercase();
    if why.contains("refused") {
        "nothing listens there: is the endpoint (SMS_ENDPOINT, --base-url) right, and is the service up?"
    } else if why.contains("dns") || why.contains("lookup") || why.contains("resolve") {
        "the host name does not resolve: check its spelling, and HTTPS_PROXY / NO_PROXY if a proxy is needed"
    } else if why.contains("certificate") || why.contains("unknownissuer") {
        "the server's certificate is not trusted: --cacert FILE trusts a private CA"
    } else if why.contains("tls") || why.contains("corrupt message") {
        "TLS failed: is the port plain HTTP (try http://), or the certificate for another name?"
    } else {
        "check the endpoint, the network path, and HTTPS_PROXY / NO_PROXY"
    }
}

/// The case's heading: its id, file and description.
fn heading(case: &Case) -> String {
    let mut out = format!("case: {} ({})\n", case.id, case.file.display());
    if let Some(description) = &case.description {
        let _ = writeln!(out, "      {}", one_line(description));
    }
    out
}

/// The assumptions a case rests on, for a reader: ``assumption `a` `` or
/// ``assumptions `a`, `b` ``.
fn assumptions(case: &Case) -> String {
    let ids: Vec<String> = case.assumes.iter().map(|id| format!("`{id}`")).collect();
    let noun = if ids.len() == 1 {
        "assumption"
    } else {
        "assumptions"
    };
    format!("{noun} {}", ids.join(", "))
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

fn verdict_text(case: Option<&Case>, verdict: &Verdict) -> String {
    let judge = match case.map(|case| &case.kind) {
        Some(CaseKind::Document(Document { judge, .. })) => judge.to_string(),
        _ => "the contract".to_owned(),
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
    fn a_wait_longer_than_a_day_is_said_so_not_in_twenty_digits() {
        assert_eq!(seconds(std::time::Duration::from_millis(1500)), "1.5s");
        assert_eq!(seconds(std::time::Duration::MAX), "more than a day");
    }

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

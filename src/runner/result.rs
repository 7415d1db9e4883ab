//! What running a case gives: a typed outcome, its problems, and the exchange. Nothing here is
//! text for a reader yet; the reports render it, through the redactor, once every case has
//! run.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value as Json;

use crate::case::{Case, CaseKind, ExpectedViolation};
use crate::contract::Violation;
use crate::http::{Answer, PreparedRequest, TransportError};
use crate::vocab::{HeaderName, JsonPointer, StatusSet, Variable};

use super::request::Target;

/// Which check a problem comes from: the `check` of the JSON report's reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Check {
    /// The status is not one the case accepts.
    Status,
    /// The media type is wrong.
    ContentType,
    /// A required header is missing.
    Header,
    /// The body is not JSON.
    Json,
    /// The body breaks a schema.
    Schema,
    /// A value in the body is not what the case expects.
    Body,
    /// No usable answer came back.
    Transport,
    /// A document case's verdict is not the expected one.
    Verdict,
    /// The tool itself failed while running the case.
    Internal,
    /// The target kept asking to come back later (429 or 503) and the retries ran out.
    Throttled,
}

impl Check {
    /// Every check, in the order the report's schema lists them.
    pub const ALL: [Check; 10] = [
        Check::Status,
        Check::ContentType,
        Check::Header,
        Check::Json,
        Check::Schema,
        Check::Body,
        Check::Transport,
        Check::Verdict,
        Check::Internal,
        Check::Throttled,
    ];
}

/// One way a case fails.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// The status is not one the case accepts.
    Status {
        /// What came back.
        got: u16,
        /// What the case accepts.
        expected: StatusSet,
        /// Whether the manifest lists a schema for it.
        has_schema: bool,
    },
    /// No case expects the answer (live traffic), and the manifest lists no schema for its
    /// status: the contract does not allow it.
    Unlisted(u16),
    /// The media type is not the expected one.
    ContentType {
        /// The header as received, if any.
        got: Option<String>,
        /// The expected media type.
        expected: String,
    },
    /// A required header is missing.
    MissingHeader(HeaderName),
    /// The body is not JSON, though a schema or the case needs it to be: the parser's
    /// message, with its line and column.
    NotJson(String),
    /// The body is not valid against the schemas for its status.
    Schema(Vec<Violation>),
    /// A value at a JSON pointer is not what the case expects.
    Body {
        /// Where.
        pointer: JsonPointer,
        /// What is wrong.
        mismatch: Mismatch,
    },
    /// No usable answer came back.
    Transport(TransportError),
    /// A document case's verdict is not the expected one.
    Verdict(Verdict),
    /// The run of the case panicked (a defect of this tool): the panic's message.
    Panicked(String),
    /// The last answer still asked to come back later, and the case does not expect that
    /// status: it says nothing about the contract.
    Throttled(Throttled),
}

impl Problem {
    /// Whether it is about the case's own expectations (its statuses and body checks), which
    /// may rest on an assumption; everything else is the contract or the transport, never
    /// an assumption.
    pub fn is_expectation(&self) -> bool {
        matches!(self, Problem::Status { .. } | Problem::Body { .. })
    }

    /// The check it comes from.
    pub fn check(&self) -> Check {
        match self {
            Problem::Status { .. } | Problem::Unlisted(_) => Check::Status,
            Problem::ContentType { .. } => Check::ContentType,
            Problem::MissingHeader(_) => Check::Header,
            Problem::NotJson(_) => Check::Json,
            Problem::Schema(_) => Check::Schema,
            Problem::Body { .. } => Check::Body,
            Problem::Transport(_) => Check::Transport,
            Problem::Verdict(_) => Check::Verdict,
            Problem::Panicked(_) => Check::Internal,
            Problem::Throttled(_) => Check::Throttled,
        }
    }
}

/// A case whose last answer still asked to come back later (429 or 503).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    /// The last answer's status.
    pub status: u16,
    /// Why no further attempt was made.
    pub gave_up: GaveUp,
}

/// Why the runner stopped retrying a throttled request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GaveUp {
    /// The retries (`--retries`, this many) were all used.
    RetriesUsed(u32),
    /// `Retry-After` asked for a longer wait than the cap (`--max-wait`) allows.
    WaitOverCap {
        /// What the answer asked for.
        asked: Duration,
        /// The cap.
        cap: Duration,
    },
    /// The method is not idempotent, so the request is never sent twice.
    NotIdempotent(http::Method),
    /// The run was interrupted before the next attempt.
    Interrupted,
}

/// How a value in the body differs from what the case expects.
#[derive(Debug, Clone, PartialEq)]
pub enum Mismatch {
    /// It must be present and is not.
    Missing,
    /// It must be absent and is not.
    Present,
    /// It must equal a value that refers to a variable the target lacks.
    Unprovided,
    /// It must equal `expected` and is missing.
    MissingExpected(Json),
    /// It is `got`, not `expected`.
    NotEqual {
        /// What the body holds.
        got: Json,
        /// What the case expects.
        expected: Json,
    },
    /// It is `got`, and the value at `other` is `other_value`; they must be equal.
    Differs {
        /// The other place.
        other: JsonPointer,
        /// What the body holds here.
        got: Json,
        /// What it holds there.
        other_value: Json,
    },
}

/// How a document case's verdict went wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// The case judges by a status the manifest has no row for.
    NoSchema(u16),
    /// Expected valid; these violations say otherwise.
    NotValid(Vec<Violation>),
    /// Expected invalid for this reason; the body is valid.
    NotInvalid(ExpectedViolation),
    /// Expected invalid for this reason only; these are the violations.
    OtherViolations(ExpectedViolation, Vec<Violation>),
}

/// How one case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Every check held.
    Passed,
    /// Not run: the target lacks these variables.
    Ignored(Vec<Variable>),
    /// At least one check failed.
    Failed(Vec<Problem>),
    /// Only the case's own expectations failed, and they rest on assumptions of the ledger
    /// (the case's `assumes`): the target reads those another way. News, not a failure,
    /// unless the run is strict.
    Contradicted(Vec<Problem>),
    /// Not judged: the target still asked to come back later after the retries (a
    /// [`Problem::Throttled`]). Neither passed nor a contract failure.
    Inconclusive(Vec<Problem>),
}

/// One try at an exchange: what came back, and how long the runner then waited.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    /// The status, or why no answer came back.
    pub answer: Result<u16, TransportError>,
    /// The wait the answer asked for in `Retry-After`, if it did.
    pub retry_after: Option<Duration>,
    /// How long the runner waited before the next attempt; `None` after the last.
    pub wait: Option<Duration>,
}

/// What a request case sent and what came back.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// What made the request: its case, at its target.
    made_of: (Arc<Case>, Arc<Target>),
    /// Whether a header of the request carried the permitted token (`${token}`).
    pub carried_token: bool,
    /// The answer, or why there is none.
    pub answer: Result<Answer, TransportError>,
    /// Every attempt, in order; the last one's answer is [`answer`](Self::answer).
    pub attempts: Vec<Attempt>,
}

impl Exchange {
    /// The exchange of `case`'s request, made at `target`.
    pub(crate) fn new(
        case: Arc<Case>,
        target: Arc<Target>,
        carried_token: bool,
        answer: Result<Answer, TransportError>,
        attempts: Vec<Attempt>,
    ) -> Exchange {
        Exchange {
            made_of: (case, target),
            carried_token,
            answer,
            attempts,
        }
    }

    /// The request as sent (secrets in clear: render it through the redactor), made again
    /// from its case and its target: [`Target::prepare`] is a pure function of the two,
    /// and kept until the reports, the 12-16 KiB task id or token that one request case in
    /// eight sends was a third of a case's memory.
    pub fn request(&self) -> PreparedRequest {
        let (case, target) = &self.made_of;
        match &case.kind {
            CaseKind::Request { request, .. } => target.prepare(request),
            CaseKind::Document(_) => unreachable!("only a request case makes an exchange"),
        }
    }

    /// Whether the target accepted the permitted token: the request carried it and the
    /// answer is a success.
    pub fn token_accepted(&self) -> bool {
        self.carried_token && self.succeeded()
    }

    /// Whether the answer is a success (2xx).
    fn succeeded(&self) -> bool {
        self.answer
            .as_ref()
            .is_ok_and(|answer| (200..300).contains(&answer.status))
    }

    /// Whether the answer may hold a secret: it answers a request that carried the
    /// permitted token, or it is a success. Its body is shown only if it is JSON, whose
    /// secrets the reports can find and mask.
    pub fn may_hold_secrets(&self) -> bool {
        self.carried_token || self.succeeded()
    }
}

/// One case's run.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: Arc<Case>,
    /// How it ended.
    pub outcome: Outcome,
    /// How long it took.
    pub duration: Duration,
    /// What it sent and got (request cases that ran).
    pub exchange: Option<Exchange>,
}

impl CaseResult {
    /// The problems, if it failed or contradicted an assumption.
    pub fn problems(&self) -> &[Problem] {
        match &self.outcome {
            Outcome::Failed(problems)
            | Outcome::Contradicted(problems)
            | Outcome::Inconclusive(problems) => problems,
            Outcome::Passed | Outcome::Ignored(_) => &[],
        }
    }

    /// How many times its request was sent (0 for document and ignored cases).
    pub fn attempts(&self) -> usize {
        self.exchange.as_ref().map_or(0, |e| e.attempts.len())
    }

    /// Whether it passed only on a retry.
    pub fn flaky(&self) -> bool {
        self.outcome == Outcome::Passed && self.attempts() > 1
    }

    /// Whether it failed because the target could not be reached at all.
    pub fn unreachable(&self) -> bool {
        self.problems()
            .iter()
            .any(|p| matches!(p, Problem::Transport(TransportError::Unreachable(_))))
    }
}

/// Whether `results` sent a request and none reached the target: nothing came back at all.
pub fn none_reached(results: &[CaseResult]) -> bool {
    let mut sent = results.iter().filter(|r| r.exchange.is_some()).peekable();
    sent.peek().is_some() && sent.all(CaseResult::unreachable)
}

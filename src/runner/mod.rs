//! The runner: sends each request case to the target and checks the answer against the
//! contract and the case; judges each document case against the contract.
//!
//! - [`request`]: a case and a target become the exact request sent;
//! - [`run`](Runner::run_all): the loop, cases concurrently on one runtime, one HTTP client
//!   and one compiled contract shared by all;
//! - [`check`]: the answer against the contract and the expectation;
//! - [`result`]: what a case gives, typed: an [`Outcome`], its [`Problem`]s and the
//!   [`Exchange`]. The reports render these once every case has run.

mod check;
mod request;
mod result;
mod run;

pub use request::{TOKEN_HEADER, Target, TargetKind};
pub use result::{CaseResult, Check, Exchange, Mismatch, Outcome, Problem, Verdict};
pub use run::Runner;

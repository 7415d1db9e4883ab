//! The runner: sends each request case to the target and checks the answer against the
//! contract and the case; judges each document case against the contract.
//!
//! - [`request`]: a case and a target become the exact request sent;
//! - [`run`](Runner::run_all): the loop, request cases concurrently on one runtime and
//!   document cases on threads beside it, one HTTP client and one compiled contract shared
//!   by all;
//! - [`polite`]: the run's pace and its retries ([`Politeness`]), and [`stop`]: the signal
//!   that ends a run early ([`Stop`]);
//! - [`check`]: the answer against the contract and the expectation (or the contract alone,
//!   for live traffic: [`check_contract`]);
//! - [`result`]: what a case gives, typed: an [`Outcome`], its [`Problem`]s and the
//!   [`Exchange`]. The reports render these once every case has run.

mod check;
mod polite;
mod request;
mod result;
mod run;
mod stop;

pub(crate) use check::check_contract;
pub use polite::Politeness;
pub use request::{TOKEN_HEADER, Target, TargetKind};
pub use result::{
    Attempt, CaseResult, Check, Exchange, GaveUp, Mismatch, Outcome, Problem, Throttled, Verdict,
    none_reached,
};
pub use run::Runner;
pub use stop::Stop;

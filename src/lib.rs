//! # sms-conformance
//!
//! A conformance harness for Huawei Cloud Server Migration Service's
//! `GET /v3/tasks/{task_id}/passphrase`.
//!
//! - The **contract** is data: JSON Schemas and a manifest in `schemas/` ([`Contract`]).
//! - The **cases** are data: one YAML file a case in `cases/` ([`Case`], [`load_dir`]).
//! - The **runner** sends each request case to a target and judges each document case,
//!   giving typed results: an [`Outcome`] with its [`Problem`]s and the exchange
//!   ([`Runner`], [`CaseResult`]).
//! - The **reports** render those results, and only they turn them into text: every text
//!   passes through one [`Redactor`] that masks tokens and passphrases ([`Renderer`]).
//! - The **mock** is a faithful stand-in for the endpoint ([`mock`]), the default target; it
//!   also serves IAM's token call for its fixture's users.
//! - The **proxy** ([`proxy`]) sits between an application and the endpoint, passes every
//!   answer on, and checks each against the contract as a run does; it shares the mock's
//!   hardened host.
//! - [`iam`] asks IAM for a token with a user's password, as a CI job does at its start.
//! - [`generate`] writes boundary cases derived from the contract; [`Coverage`] maps cases
//!   back onto the contract's constraints.
//!
//! Using the pieces directly: load the contract and the cases, point a [`Runner`] at a
//! [`Target`] (here the standalone mock, `sms-conformance mock`), run, and render:
//!
//! ```no_run
//! use std::{sync::Arc, time::Duration};
//! use sms_conformance::{Contract, HttpClient, Redactor, Renderer, Runner, Target, load_dir};
//! use sms_conformance::mock::Fixture;
//!
//! let contract = Contract::load("schemas".as_ref()).unwrap();
//! let cases = load_dir("cases".as_ref(), &contract.known()).unwrap();
//! let fixture = Fixture::builtin();
//! let target = Target::new("http://127.0.0.1:8080", fixture.variables());
//! let client = HttpClient::new(Duration::from_secs(10), 1 << 20);
//! let runner = Arc::new(Runner::new(Arc::new(contract), target, client));
//! let runtime = tokio::runtime::Runtime::new().unwrap();
//! let results = runtime.block_on(runner.run_all(&cases, 8));
//! let redactor = Redactor::new(fixture.secrets());
//! let renderer = Renderer::new(&redactor, &results);
//! for result in &results {
//!     match renderer.failure(result) {
//!         None => println!("{}: ok", result.case.id),
//!         Some(why) => println!("{why}"),
//!     }
//! }
//! ```
//!
//! The binary is a thin shell over [`cli::main`]; a test harness can run the whole suite
//! through the same path with [`cli::main_with`]:
//!
//! ```no_run
//! let code = sms_conformance::cli::main_with(["sms-conformance", "--cases", "cases", "auth/"]);
//! ```

mod case;
pub mod cli;
mod contract;
mod coverage;
#[cfg(test)]
mod dice;
mod diff;
mod file;
pub mod generate;
mod host;
mod http;
pub mod iam;
pub mod mock;
pub mod openapi;
mod processors;
pub mod proxy;
mod redact;
mod report;
mod runner;
mod vocab;
mod yaml;

pub use case::{Case, CaseKind, Document, Judge, load_dir};
pub use contract::{Contract, Violation};
pub use coverage::Coverage;
pub use http::{HttpClient, TransportError};
pub use redact::Redactor;
pub use report::Renderer;
pub use runner::{
    Attempt, CaseResult, Check, GaveUp, Mismatch, Outcome, Politeness, Problem, Runner, Stop,
    Target, Throttled, Verdict,
};
pub use vocab::{JsonPointer, Variable, Variables};
pub use yaml::FileError;

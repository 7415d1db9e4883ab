//! # sms-conformance
//!
//! A conformance harness for Huawei Cloud Server Migration Service's
//! `GET /v3/tasks/{task_id}/passphrase`.
//!
//! - The **contract** is data: JSON Schemas and a manifest in `schemas/` ([`contract`]).
//! - The **cases** are data: one YAML file a case in `cases/` ([`case`]).
//! - The **runner** sends each case's request to a target and checks the answer against both,
//!   reporting each case as a libtest test ([`runner`]).
//! - The **mock** is a faithful stand-in for the endpoint ([`mock`]), the default target.
//! - **Reports** for CI ([`report`]) and every other output pass through one [`redact`]ion
//!   layer that masks tokens and passphrases.
//! - [`generate`] writes boundary cases derived from the contract; [`coverage`] maps cases
//!   back onto the contract's constraints.
//!
//! Using the pieces directly: load the contract and the cases, point a [`Runner`] at a
//! [`Target`], and run.
//!
//! ```no_run
//! use std::{sync::Arc, time::Duration};
//! use sms_conformance::{Contract, Fixture, HttpClient, Redactor, Runner, Target, case};
//!
//! let contract = Contract::load("schemas".as_ref()).unwrap();
//! let cases = case::load_dir("cases".as_ref(), &|name| contract.has_schema(name)).unwrap();
//! let fixture = Fixture::builtin();
//! let target = Target::new("http://127.0.0.1:8080", fixture.variables()); // `sms-conformance mock`
//! let redactor = Arc::new(Redactor::new(fixture.secrets()));
//! let runtime = tokio::runtime::Runtime::new().unwrap();
//! let client = HttpClient::new(Duration::from_secs(10), 1 << 20).unwrap();
//! let runner = Arc::new(Runner::new(Arc::new(contract), target, client, runtime.handle().clone(), redactor));
//! for report in runner.run_all(&cases, 8) {
//!     println!("{}: {:?}", report.id, report.outcome);
//! }
//! ```
//!
//! The binary is a thin shell over [`cli::main`]; a test harness can run the whole suite
//! through the same path with [`cli::main_with`]:
//!
//! ```no_run
//! let code = sms_conformance::cli::main_with(["sms-conformance", "--cases", "cases", "auth/"]);
//! ```

pub mod case;
pub mod cli;
pub mod contract;
pub mod coverage;
pub mod generate;
pub mod http;
pub mod mock;
pub mod redact;
pub mod report;
pub mod runner;
pub mod yaml;

pub use case::Case;
pub use contract::Contract;
pub use http::HttpClient;
pub use mock::Fixture;
pub use redact::Redactor;
pub use runner::{Outcome, Runner, Target};

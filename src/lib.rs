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

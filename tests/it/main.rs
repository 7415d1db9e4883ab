//! The integration tests, one module a concern, in one test binary: each binary links the
//! whole crate and its dependencies (about 50 MB a binary in a debug build), so 23 of them
//! were 1.2 GB of `target/` and 23 links for every change. `cargo test --test it hostile::`
//! runs one module. The whole case suite is the other binary, `tests/suite.rs`.

mod common;

mod broken_files;
mod catalogue;
mod cli;
mod conventions;
mod diff;
mod documents;
mod generate;
mod hostile;
mod https;
mod iam;
mod live;
mod mock;
mod mock_host;
mod mock_server;
mod openapi;
mod properties;
mod proxy;
mod readme;
mod render;
mod reports;
mod runner;
mod schemas;
mod secrets;
mod trust;

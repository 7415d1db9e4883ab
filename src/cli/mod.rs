//! The command line: run the cases (the default), serve the mock standalone, check live
//! traffic through the proxy, or use the contract's tools. Each concern has its file: the
//! clap types ([`args`]), building the target ([`target`], the one place that teaches the
//! redactor the run's secrets), the run and its exit codes ([`run`]), the mock ([`mock`]),
//! the proxy ([`proxy`]), `generate` and `coverage` ([`tools`]), writing to standard output
//! and error without panicking ([`output`]), and the errors with their exit codes
//! ([`error`]).

mod args;
mod diff;
mod error;
mod mock;
mod openapi;
mod output;
mod progress;
mod proxy;
mod reports;
mod run;
mod settings;
mod signals;
mod target;
mod tools;

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches};

pub use error::{
    EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_FAILED, EXIT_INCONCLUSIVE, EXIT_INTERRUPTED,
    EXIT_TERMINATED, EXIT_UNREACHABLE, EXIT_VIOLATION, Error,
};

use crate::case::{self, Case};
use crate::contract::{self, Contract, Sources};
use crate::redact::Redactor;
use crate::report;
use crate::vocab::Known;
use crate::yaml::FileError;
use args::{Cli, Command, SuiteArgs};

/// Runs the command line of this process and returns its exit code.
pub fn main() -> ExitCode {
    main_with(std::env::args_os())
}

/// Runs the command line `args` (the first is the program's name) and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if compiles_the_contract(&args) {
        contract::warm_up();
    }
    let matches = Cli::command().get_matches_from(args);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // The endpoint's source, at the top level (a run) or in the subcommand given (diff).
    let active = matches.subcommand().map_or(&matches, |(_, sub)| sub);
    let given = active.try_get_raw("base_url").ok().flatten();
    let endpoint = match given.and_then(|_| active.value_source("base_url")) {
        Some(clap::parser::ValueSource::EnvVariable) => Some(settings::Source::Environment),
        Some(_) => Some(settings::Source::Flag),
        None => None,
    };
    let redactor = Arc::new(Redactor::default());
    install_panic_hook(Arc::clone(&redactor));
    let result = match cli.command {
        Some(Command::Mock(args)) => mock::serve(&args),
        Some(Command::Proxy(args)) => proxy::serve(&args, &redactor),
        Some(Command::Generate(args)) => tools::generate(&args),
        Some(Command::Coverage(args)) => tools::coverage(&args),
        Some(Command::Diff(args)) => diff::diff(&args, endpoint, &redactor),
        Some(Command::Openapi(args)) => openapi::openapi(&args),
        None => run::run(&cli.run, endpoint, &redactor),
    };
    result.unwrap_or_else(|error| {
        if !matches!(error, Error::ClosedPipe) {
            // Standard error may be gone too: there is nowhere left to say so.
            let _ = output::eprint(&format!("error: {}\n", redactor.redact(&error.to_string())));
        }
        ExitCode::from(error.exit_code())
    })
}

/// Whether `args` will likely compile the contract: not `--help`, `--version`, or the mock.
/// Only a guess, read before clap does, so that the warm-up has the core the parsing leaves
/// idle; a wrong one costs that core's time, or the head start.
fn compiles_the_contract(args: &[OsString]) -> bool {
    let words = || args.iter().skip(1).filter_map(|a| a.to_str());
    let asks_for_text = words().any(|w| matches!(w, "-h" | "--help" | "-V" | "--version" | "help"));
    let command = words().find(|w| !w.starts_with('-'));
    !asks_for_text && !matches!(command, Some("mock"))
}

/// Routes every panic through the redactor; a write to a closed pipe ends the process quietly.
fn install_panic_hook(redactor: Arc<Redactor>) {
    std::panic::set_hook(Box::new(move |info| {
        match panic_report(&redactor, &info.to_string()) {
            Some(text) => eprintln!("{text}"),
            None => std::process::exit(i32::from(EXIT_BROKEN_PIPE)),
        }
    }));
}

/// What a panic prints, masked; `None` for a write to a closed pipe, which is not an error.
fn panic_report(redactor: &Redactor, text: &str) -> Option<String> {
    let broken_pipe = text.contains("Broken pipe") && text.contains("failed printing");
    (!broken_pipe).then(|| format!("sms-conformance panicked: {}", redactor.redact(text)))
}

/// The bytes of `file`, a file the user names (shown as `shown`), read up to `cap`; over it,
/// a usage error saying it holds more than any `what` would.
fn read_named(file: &Path, shown: &str, cap: u64, what: &str) -> Result<Vec<u8>, Error> {
    crate::file::read_capped(file, cap)
        .map_err(|source| Error::Read {
            path: file.to_owned(),
            source,
        })?
        .ok_or_else(|| {
            Error::Usage(format!(
                "{shown}: the file is over {} MiB, more than any {what}",
                cap >> 20
            ))
        })
}

/// Writes `bytes` to the report file `path` (atomically, if it is a regular file).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    report::write(path, bytes).map_err(|source| Error::Write {
        path: path.to_owned(),
        source,
    })
}

/// Writes `json`, pretty, to the report file `path`, atomically.
fn write_report(path: &Path, json: &serde_json::Value) -> Result<(), Error> {
    let bytes = serde_json::to_vec_pretty(json).map_err(|e| Error::Write {
        path: path.to_owned(),
        source: e.into(),
    })?;
    write_file(path, &bytes)
}

fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::start("start the async runtime", e))
}

/// The contract and the cases a command works on.
struct Suite {
    contract: Contract,
    /// The id of every case file, selected or not, sorted.
    ids: Vec<String>,
    /// The selected cases, loaded and checked, in id order.
    cases: Vec<Arc<Case>>,
}

/// Loads and checks the contract and the cases whose id `select` keeps (the others are not
/// even read); all errors together.
fn load_suite(args: &SuiteArgs, select: &dyn Fn(&str) -> bool) -> Result<Suite, Error> {
    load_all(args, select).map_err(Error::Files)
}

fn load_all(args: &SuiteArgs, select: &dyn Fn(&str) -> bool) -> Result<Suite, Vec<FileError>> {
    // Started by `main_with` already, unless the arguments hid that this would compile.
    contract::warm_up();
    let sources = Contract::read(&args.contract.schemas);
    // Without the contract's names, still report the cases' own errors; the names they use
    // cannot be checked.
    let known = sources
        .as_ref()
        .map_or_else(|_| Known::anything(), Sources::known);
    // The schemas compile while the cases are read: neither needs the other.
    let (contract, loaded) = std::thread::scope(|scope| {
        let compiling = scope.spawn(|| sources.and_then(Sources::compile));
        let loaded = case::load_selected(&args.cases, &known, select);
        let contract = compiling
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (contract, loaded)
    });
    match (contract, loaded.cases) {
        (Ok(contract), Ok(cases)) => Ok(Suite {
            contract,
            ids: loaded.ids,
            cases,
        }),
        // Every error at once: the contract's, then the files'.
        (contract, cases) => Err(contract
            .err()
            .into_iter()
            .chain(cases.err().into_iter().flatten())
            .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The warm-up's guess: a run, a filtered run, `diff` and the contract's tools compile;
    /// `--help`, `--version` and the mock do not, and do not pay for it.
    #[test]
    fn only_a_command_that_compiles_warms_the_contract_up() {
        let guess = |line: &str| {
            let args: Vec<OsString> = line.split(' ').map(OsString::from).collect();
            compiles_the_contract(&args)
        };
        for line in [
            "sms-conformance",
            "sms-conformance auth/ --format json",
            "sms-conformance --cases c --schemas s",
            "sms-conformance diff --base-url http://x",
            "sms-conformance coverage",
            "sms-conformance proxy --upstream http://x",
        ] {
            assert!(guess(line), "{line}");
        }
        for line in [
            "sms-conformance --help",
            "sms-conformance -h",
            "sms-conformance --version",
            "sms-conformance help",
            "sms-conformance diff --help",
            "sms-conformance mock --listen 127.0.0.1:0",
        ] {
            assert!(!guess(line), "{line}");
        }
    }

    #[test]
    fn a_panic_is_masked_and_a_closed_pipe_is_quiet() {
        let redactor = Redactor::new(["tok-secret-1"]);
        let shown = panic_report(
            &redactor,
            "panicked at src/x.rs:1:1:\nbad token tok-secret-1",
        )
        .unwrap();
        assert!(
            !shown.contains("tok-secret-1") && shown.contains("bad token ********"),
            "{shown}"
        );
        let pipe = "panicked at library/std/src/io/stdio.rs:1:1:\nfailed printing to stdout: Broken pipe (os error 32)";
        assert_eq!(panic_report(&redactor, pipe), None);
    }
}

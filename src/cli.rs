//! The command line: run the cases (the default), or serve the mock standalone.

use std::collections::HashMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use libtest_mimic::{Completion, Failed, Trial};

use crate::case::{self, Variable, Variables};
use crate::contract::Contract;
use crate::http::HttpClient;
use crate::mock::{self, Fixture};
use crate::redact::Redactor;
use crate::report::{self, RunReport};
use crate::runner::{CaseReport, Outcome, Runner, Target};
use crate::yaml::FileError;
use crate::{coverage, generate};

/// Exit code when a case failed (as `cargo test`).
pub const EXIT_FAILED: u8 = 101;
/// Exit code when the arguments, case files, schemas or fixture are unusable (nothing was sent).
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when the target could not be reached at all.
pub const EXIT_UNREACHABLE: u8 = 3;
/// Exit code when the reader of the output went away (`| head`), as a shell reports SIGPIPE.
pub const EXIT_BROKEN_PIPE: u8 = 141;
/// How many cases run at once when `--test-threads` does not say.
const DEFAULT_CONCURRENCY: usize = 8;

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

/// The top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "sms-conformance",
    version,
    about = "Checks an SMS GET /v3/tasks/{task_id}/passphrase endpoint against its contract and cases",
    after_help = "With no --base-url, the cases run against the embedded faithful mock.\n\
                  Tokens come from SMS_TOKEN / SMS_FORBIDDEN_TOKEN or --token-file / --forbidden-token-file, never from a flag value.",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the faithful mock until Ctrl-C.
    Mock(MockArgs),
    /// Write the boundary cases derived from the schemas into <cases>/generated/.
    Generate(GenerateArgs),
    /// List every constraint of the contract and the cases that exercise it.
    Coverage(SuiteArgs),
}

#[derive(Debug, Args)]
struct GenerateArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// Write nothing; exit 1 when the generated cases are out of date.
    #[arg(long)]
    check: bool,
}

/// Where the cases and the contract live.
#[derive(Debug, Clone, Args)]
struct SuiteArgs {
    /// The folder of case files.
    #[arg(long, env = "SMS_CASES", default_value = "cases", value_name = "DIR")]
    cases: PathBuf,
    /// The folder of schemas and their manifest.
    #[arg(
        long,
        env = "SMS_SCHEMAS",
        default_value = "schemas",
        value_name = "DIR"
    )]
    schemas: PathBuf,
}

/// Arguments of a run.
#[derive(Debug, Clone, Args)]
struct RunArgs {
    #[command(flatten)]
    suite: SuiteArgs,
    /// The endpoint to test, e.g. https://sms.ap-southeast-3.myhuaweicloud.com. Without it,
    /// the embedded mock is started and tested.
    #[arg(long, env = "SMS_ENDPOINT", hide_env_values = true, value_name = "URL")]
    base_url: Option<String>,
    /// A task the token may read.
    #[arg(long, env = "SMS_TASK_ID", value_name = "ID")]
    task_id: Option<String>,
    /// A file holding a token with the permission (else env SMS_TOKEN).
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// A file holding a valid token without the permission (else env SMS_FORBIDDEN_TOKEN).
    #[arg(long, value_name = "PATH")]
    forbidden_token_file: Option<PathBuf>,
    /// The embedded mock's fixture (its tasks and tokens) instead of the built-in one.
    #[arg(long, value_name = "FILE", conflicts_with = "base_url")]
    fixture: Option<PathBuf>,
    /// The time limit of each exchange: `10s`, `500ms`, or seconds.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,
    /// The most body bytes read from one answer.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    max_body: usize,
    /// Write a JUnit XML report here (replaced atomically).
    #[arg(long, value_name = "PATH")]
    junit: Option<PathBuf>,
    /// Write a JSON report here (shape: schemas/report/report.schema.json).
    #[arg(long, value_name = "PATH")]
    report_json: Option<PathBuf>,
    /// Print every exchange (method, URL, headers, status, body excerpt) to stderr, secrets masked.
    #[arg(long)]
    verbose: bool,
    /// Print the requests the cases would send, secrets masked, and send nothing.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    libtest: libtest_mimic::Arguments,
}

#[derive(Debug, Args)]
struct MockArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: SocketAddr,
    /// The fixture (tasks and tokens) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    fixture: Option<PathBuf>,
    /// Connections served at once; past it a connection gets the gateway's 429 and is closed.
    #[arg(long, default_value = "1024", value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    max_connections: u32,
    /// The time a request head has to arrive whole (at most 30s), counted from the connection
    /// or from the previous answer.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    header_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    idle_timeout: Duration,
    /// After Ctrl-C or SIGTERM, the time requests in flight get before the mock quits.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    shutdown_timeout: Duration,
}

/// Parses `10s`, `250ms` or `3` (seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 10s, 500ms)"))?;
    let seconds = match unit {
        "s" => value,
        "ms" => value / 1000.0,
        _ => return Err(format!("`{text}`: the unit must be s or ms")),
    };
    if seconds <= 0.0 || !seconds.is_finite() {
        return Err(format!("`{text}` must be more than zero"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Runs the command line of this process and returns its exit code.
pub fn main() -> ExitCode {
    main_with(std::env::args_os())
}

/// Runs the command line `args` (the first is the program's name) and returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    // libtest-mimic's arguments carry their own help template; keep clap's default one.
    let command = Cli::command().help_template(
        "{before-help}{about-with-newline}\n{usage-heading} {usage}\n\n{all-args}{after-help}",
    );
    let cli = match Cli::from_arg_matches(&command.get_matches_from(args)) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let redactor = Arc::new(Redactor::default());
    install_panic_hook(Arc::clone(&redactor));
    let result = match cli.command {
        Some(Command::Mock(args)) => serve_mock(&args),
        Some(Command::Generate(args)) => generate(&args),
        Some(Command::Coverage(args)) => coverage(&args),
        None => run(&cli.run, &redactor),
    };
    result.unwrap_or_else(|message| {
        eprintln!("error: {}", redactor.redact(&message));
        ExitCode::from(EXIT_BAD_INPUT)
    })
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

fn run(args: &RunArgs, redactor: &Arc<Redactor>) -> Result<ExitCode, String> {
    let (contract, cases) =
        load_suite(&args.suite).map_err(|e| format!("nothing was sent; {e}"))?;
    let mut libtest = args.libtest.clone();
    if libtest.color.is_none() && std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        libtest.color = Some(libtest_mimic::ColorSetting::Never);
    }
    if libtest.list {
        let listing = cases
            .iter()
            .map(|c| Trial::test(c.id.clone(), || Ok(())))
            .collect();
        return Ok(libtest_mimic::run(&libtest, listing).exit_code());
    }
    let runtime = runtime()?;
    let target = match &args.base_url {
        Some(url) => external_target(url, args, redactor)?,
        None => embedded_target(&runtime, load_fixture(args.fixture.as_deref())?, redactor)?,
    };
    let client = HttpClient::new(args.timeout, args.max_body)?;
    let target_url = report::without_credentials(&target.base_url);
    let runner = Arc::new(Runner::new(
        Arc::new(contract),
        target,
        client,
        runtime.handle().clone(),
        Arc::clone(redactor),
    ));
    let selected: Vec<case::Case> = cases
        .iter()
        .filter(|c| !libtest.is_filtered_out(&Trial::test(c.id.clone(), || Ok(()))))
        .cloned()
        .collect();
    if args.dry_run {
        for case in &selected {
            println!("{}", runner.describe(case));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let started = chrono::Utc::now();
    let clock = std::time::Instant::now();
    let reports = runner.run_all(
        &selected,
        libtest.test_threads.unwrap_or(DEFAULT_CONCURRENCY),
    );
    let duration = clock.elapsed();
    if args.verbose {
        for report in &reports {
            if let Some(exchange) = &report.exchange {
                eprintln!("=== {}\n{exchange}", report.id);
            }
        }
    }
    // The cases have run; libtest-mimic shows their (masked) outcomes.
    let mut outcomes: HashMap<&str, Outcome> = reports
        .iter()
        .map(|r| (r.id.as_str(), r.outcome.clone()))
        .collect();
    let trials = cases
        .iter()
        .map(|case| {
            // A case without an outcome was filtered out and libtest-mimic skips it too; were
            // it ever shown, it must not pass unrun.
            let outcome = outcomes
                .remove(case.id.as_str())
                .unwrap_or_else(|| Outcome::Failed(format!("{} was not run", case.id)));
            Trial::ignorable_test(case.id.clone(), move || match outcome {
                Outcome::Passed => Ok(Completion::Completed),
                Outcome::Ignored(reason) => Ok(Completion::ignored_with(reason)),
                Outcome::Failed(message) => Err(Failed::from(message)),
            })
        })
        .collect();
    let conclusion = libtest_mimic::run(&libtest, trials);
    let run = RunReport {
        target: target_url,
        started,
        duration,
        cases: reports,
    };
    write_reports(args, &run)?;
    let requests: Vec<&CaseReport> = run.cases.iter().filter(|c| c.request.is_some()).collect();
    Ok(if !conclusion.has_failed() {
        ExitCode::SUCCESS
    } else if !requests.is_empty() && requests.iter().all(|c| c.unreachable) {
        ExitCode::from(EXIT_UNREACHABLE)
    } else {
        ExitCode::from(EXIT_FAILED)
    })
}

fn write_reports(args: &RunArgs, run: &RunReport) -> Result<(), String> {
    let write = |path: &Path, bytes: &[u8]| {
        report::write_atomically(path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))
    };
    if let Some(path) = &args.junit {
        write(path, report::junit::render(run)?.as_bytes())?;
    }
    if let Some(path) = &args.report_json {
        let json =
            serde_json::to_vec_pretty(&report::json::render(run)).map_err(|e| e.to_string())?;
        write(path, &json)?;
    }
    Ok(())
}

fn generate(args: &GenerateArgs) -> Result<ExitCode, String> {
    let contract = Contract::load(&args.suite.schemas).map_err(|e| e.to_string())?;
    let files = generate::generate(&contract);
    let cases = &args.suite.cases;
    if args.check {
        let differences = generate::differences(cases, &files)
            .map_err(|e| format!("cannot read {}: {e}", cases.display()))?;
        if differences.is_empty() {
            println!("{} generated cases are up to date", files.len());
            return Ok(ExitCode::SUCCESS);
        }
        for difference in &differences {
            println!(
                "{}: {}",
                cases.join(&difference.path).display(),
                difference.kind
            );
        }
        println!(
            "generated cases are out of date with the schemas: run `sms-conformance generate`"
        );
        return Ok(ExitCode::FAILURE);
    }
    generate::write(cases, &files).map_err(|e| format!("cannot write {}: {e}", cases.display()))?;
    println!(
        "wrote {} generated cases under {}",
        files.len(),
        cases.join(generate::GENERATED_DIR).display()
    );
    Ok(ExitCode::SUCCESS)
}

fn coverage(args: &SuiteArgs) -> Result<ExitCode, String> {
    let (contract, cases) = load_suite(args)?;
    let report = coverage::Coverage::of(&contract, &cases);
    print!("{report}");
    Ok(if report.is_complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The fixture in `file`, or the built-in one.
fn load_fixture(file: Option<&Path>) -> Result<Fixture, String> {
    match file {
        Some(file) => Fixture::load(file).map_err(|e| e.to_string()),
        None => Ok(Fixture::builtin()),
    }
}

/// Loads and checks the contract and every case; all errors together, one a line.
fn load_suite(args: &SuiteArgs) -> Result<(Contract, Vec<case::Case>), String> {
    load_all(args).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!("fix these first:\n{}", lines.join("\n"))
    })
}

fn load_all(args: &SuiteArgs) -> Result<(Contract, Vec<case::Case>), Vec<FileError>> {
    match Contract::load(&args.schemas) {
        Ok(contract) => {
            let cases = case::load_dir(&args.cases, &|name| contract.has_schema(name))?;
            Ok((contract, cases))
        }
        Err(error) => {
            // Still report the cases' own errors; schema names cannot be checked.
            let cases = case::load_dir(&args.cases, &|_| true);
            Err(std::iter::once(error)
                .chain(cases.err().into_iter().flatten())
                .collect())
        }
    }
}

/// Starts the mock on an ephemeral loopback port of `runtime`; it serves until the runtime
/// is dropped.
fn embedded_target(
    runtime: &tokio::runtime::Runtime,
    fixture: Fixture,
    redactor: &Redactor,
) -> Result<Target, String> {
    fixture.secrets().for_each(|secret| redactor.learn(secret));
    let variables = fixture.variables();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let (addr, serving) = runtime
        .block_on(mock::server::bind(
            loopback,
            Arc::new(fixture),
            std::future::pending(),
        ))
        .map_err(|e| format!("cannot start the embedded mock: {e}"))?;
    runtime.spawn(serving);
    Ok(Target::new(&format!("http://{addr}"), variables))
}

fn external_target(url: &str, args: &RunArgs, redactor: &Redactor) -> Result<Target, String> {
    // The URL is not echoed back: it may hold a password.
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("--base-url is not a URL: {e}"))?;
    if let Some(password) = parsed.password() {
        redactor.learn(password);
        let decoded = percent_encoding::percent_decode_str(password).decode_utf8_lossy();
        redactor.learn(&decoded);
    }
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "--base-url must be http or https, not {}",
            parsed.scheme()
        ));
    }
    let mut variables = Variables::default();
    if let Some(task_id) = &args.task_id {
        variables.set(Variable::TaskId, task_id.clone());
    }
    let secrets = [
        (Variable::Token, args.token_file.as_deref(), "SMS_TOKEN"),
        (
            Variable::ForbiddenToken,
            args.forbidden_token_file.as_deref(),
            "SMS_FORBIDDEN_TOKEN",
        ),
    ];
    for (variable, file, env) in secrets {
        if let Some(value) = read_secret(file, env)? {
            variables.set(variable, value);
        }
    }
    variables
        .secrets()
        .for_each(|secret| redactor.learn(secret));
    Ok(Target::new(url, variables))
}

/// A secret from `file` (surrounding white space trimmed) or else the environment.
fn read_secret(file: Option<&Path>, env: &str) -> Result<Option<String>, String> {
    let value = match file {
        Some(file) => std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read {}: {e}", file.display()))?
            .trim()
            .to_owned(),
        None => std::env::var(env).unwrap_or_default().trim().to_owned(),
    };
    Ok(Some(value).filter(|v| !v.is_empty()))
}

fn serve_mock(args: &MockArgs) -> Result<ExitCode, String> {
    let fixture = load_fixture(args.fixture.as_deref())?;
    let limits = mock::server::Limits {
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        header_timeout: args.header_timeout,
        idle_timeout: args.idle_timeout,
        shutdown_timeout: args.shutdown_timeout,
    };
    mock::server::standalone(args.listen, fixture, limits)
}

#[cfg(test)]
mod tests {
    use super::*;

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

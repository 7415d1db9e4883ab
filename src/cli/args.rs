//! The command line's shape: clap's types for every subcommand and flag, and the parsers of
//! their values.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::RangedU64ValueParser;
use clap::{Args, Parser, Subcommand};

/// The longest `--timeout`: a day.
pub(super) const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// The largest `--max-body`: 1 GiB (every body is held in memory).
pub(super) const MAX_BODY_CAP: u64 = 1 << 30;
/// The most cases run at once (`--test-threads`): libtest-mimic starts a thread for each.
pub(super) const MAX_THREADS: usize = 256;

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
pub(super) struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Serve the faithful mock until Ctrl-C.
    Mock(MockArgs),
    /// Write the boundary cases derived from the schemas into <cases>/generated/.
    Generate(GenerateArgs),
    /// List every constraint of the contract and the cases that exercise it.
    Coverage(SuiteArgs),
}

#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// Write nothing; exit 1 when the generated cases are out of date.
    #[arg(long)]
    pub check: bool,
}

/// Where the cases and the contract live.
#[derive(Debug, Clone, Args)]
pub(super) struct SuiteArgs {
    /// The folder of case files.
    #[arg(long, env = "SMS_CASES", default_value = "cases", value_name = "DIR")]
    pub cases: PathBuf,
    /// The folder of schemas and their manifest.
    #[arg(
        long,
        env = "SMS_SCHEMAS",
        default_value = "schemas",
        value_name = "DIR"
    )]
    pub schemas: PathBuf,
}

/// Arguments of a run.
#[derive(Debug, Clone, Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// The endpoint to test, e.g. https://sms.ap-southeast-3.myhuaweicloud.com. Without it,
    /// the embedded mock is started and tested.
    #[arg(long, env = "SMS_ENDPOINT", hide_env_values = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// A task the token may read.
    #[arg(long, env = "SMS_TASK_ID", value_name = "ID")]
    pub task_id: Option<String>,
    /// A file holding a token with the permission (else env SMS_TOKEN).
    #[arg(long, value_name = "PATH")]
    pub token_file: Option<PathBuf>,
    /// A file holding a valid token without the permission (else env SMS_FORBIDDEN_TOKEN).
    #[arg(long, value_name = "PATH")]
    pub forbidden_token_file: Option<PathBuf>,
    /// The embedded mock's fixture (its tasks and tokens) instead of the built-in one.
    #[arg(long, value_name = "FILE", conflicts_with = "base_url")]
    pub fixture: Option<PathBuf>,
    /// The time limit of each exchange: `10s`, `500ms`, or seconds (more than 0, at most a
    /// day).
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// The most body bytes read from one answer (1 to 1 GiB).
    #[arg(
        long,
        default_value_t = 1 << 20,
        value_name = "BYTES",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_BODY_CAP)
    )]
    pub max_body: usize,
    /// Write a JUnit XML report here (replaced atomically).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (shape: schemas/report/report.schema.json).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Print every exchange (method, URL, headers, status, body excerpt) to stderr, secrets masked.
    #[arg(long)]
    pub verbose: bool,
    /// Print the requests the cases would send, secrets masked, and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub libtest: libtest_mimic::Arguments,
}

#[derive(Debug, Args)]
pub(super) struct MockArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The fixture (tasks and tokens) instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
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
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() && duration <= MAX_TIMEOUT => Ok(duration),
        _ => Err(format!(
            "`{text}` must be more than zero and at most {}s (a day)",
            MAX_TIMEOUT.as_secs()
        )),
    }
}

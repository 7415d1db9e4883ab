//! The command line's shape: clap's types for every subcommand and flag, and the parsers of
//! their values.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

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
    /// Send every request case to the mock and to the live endpoint, and show where their
    /// answers differ (and the fixture setting that would make the mock agree).
    Diff(Box<DiffArgs>),
    /// Print the contract as an OpenAPI 3.1 document (or write it, or check a committed copy).
    Openapi(super::openapi::OpenapiArgs),
}

#[derive(Debug, Clone, Args)]
pub(super) struct DiffArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// The live endpoint (B) and its settings, and the embedded mock's fixture (A).
    #[command(flatten)]
    pub target: TargetArgs,
    /// Compare with the mock at this URL (e.g. `sms-conformance mock`, serving --fixture)
    /// instead of the embedded one.
    #[arg(long, value_name = "URL")]
    pub mock_url: Option<String>,
    /// Write the comparison as JSON here (shape: schemas/report/diff.schema.json).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Compare only the cases whose id contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
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

/// What a run is pointed at: the live endpoint and its settings, or the embedded mock and
/// its fixture; and the limits of each exchange.
#[derive(Debug, Clone, Args)]
pub(super) struct TargetArgs {
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
    /// The embedded mock's fixture (its tasks, tokens and assumed choices) instead of the
    /// built-in one.
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    /// The time limit of each exchange: `10s`, `500ms`, or seconds.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,
    /// The most body bytes read from one answer.
    #[arg(long, default_value_t = 1 << 20, value_name = "BYTES")]
    pub max_body: usize,
}

/// Arguments of a run.
#[derive(Debug, Clone, Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    #[command(flatten)]
    pub target: TargetArgs,
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
    /// Fail (exit 101) when a case contradicts an assumption of the ledger, instead of
    /// reporting it as news.
    #[arg(long)]
    pub strict: bool,
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
    if seconds <= 0.0 || !seconds.is_finite() {
        return Err(format!("`{text}` must be more than zero"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

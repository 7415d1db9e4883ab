//! The command line's shape: clap's types for every subcommand and flag, and the parsers of
//! their values.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::builder::RangedU64ValueParser;
use clap::{Args, Parser, Subcommand};

use crate::host::Limits;
use crate::report::Format;

/// What `--help` says after the flags: the target, the secrets, the exit codes, and libtest's
/// flags that change nothing here.
const AFTER_HELP: &str = "\
With no --base-url (SMS_ENDPOINT), the cases run against the embedded faithful mock.
Secrets never come from a flag value: SMS_TOKEN, SMS_FORBIDDEN_TOKEN, SMS_IAM_PASSWORD,
SMS_IAM_FORBIDDEN_PASSWORD (or the --*-file flags).

Exit codes: 0 every case passed or was ignored; 101 a case failed; 2 bad arguments or files,
or IAM gave no token (nothing was sent), or a report could not be written, or every case was
ignored (nothing was tested); 3 the target could not be reached at all;
4 no case failed, and some were still throttled after their retries (inconclusive);
130 / 143 interrupted by SIGINT / SIGTERM (the outcomes so far are printed and reported);
141 the reader of the output went away.

Accepted for cargo test and libtest compatibility, and without effect here: --nocapture,
--show-output, --test, --bench, -Z.";

/// What `proxy --help` says after the flags: what is checked, and the exit codes.
const PROXY_AFTER_HELP: &str = "\
Every answer (but IAM's POST /v3/auth/tokens) is checked against the contract: the schema the
manifest lists for its status, the media type, and X-Request-Id. Each violation is a masked
line on stderr; the answer is passed on unchanged (502 with the violation under --fail-fast).
An answer over --max-body is passed on unchecked, and is a violation. An upstream that cannot
be reached, times out or drops the connection gets the client a 502 in the gateway's shape.

Exit codes (after SIGINT or SIGTERM, once the exchanges in flight have ended): 0 no violation
and no upstream failure; 1 a violation or an upstream failure was seen, or an exchange was cut
unanswered at the shutdown deadline; 2 bad arguments, or
the report could not be written; 4 no answer was checked (nothing but IAM's, or nothing at
all, came through); 130 / 143 a second SIGINT / SIGTERM quit at once.";

/// The longest `--timeout`: a day.
pub(super) const MAX_TIMEOUT: Duration = Duration::from_secs(24 * 60 * 60);
/// The largest `--max-body`: 1 GiB (every body is held in memory).
pub(super) const MAX_BODY_CAP: u64 = 1 << 30;
/// The most cases run at once (`--test-threads`).
pub(super) const MAX_THREADS: usize = 256;

/// The top-level command line.
#[derive(Debug, Parser)]
#[command(
    name = "sms-conformance",
    version,
    about = "Checks an SMS GET /v3/tasks/{task_id}/passphrase endpoint against its contract and cases",
    after_help = AFTER_HELP,
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
    /// Forward every request to an upstream and check each answer against the contract.
    Proxy(ProxyArgs),
    /// Write the boundary cases derived from the schemas into <cases>/generated/.
    Generate(GenerateArgs),
    /// List every constraint of the contract and the cases that exercise it.
    Coverage(SuiteArgs),
    /// Send every request case to the mock and to the live endpoint, and show where their
    /// answers differ (and the fixture setting that would make the mock agree).
    Diff(Box<DiffArgs>),
    /// Print the contract as an OpenAPI 3.1 document (or write it, or check a committed copy).
    Openapi(OpenapiArgs),
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
    /// Write the comparison as JSON here (shape: schemas/report/diff.schema.json; replaced
    /// atomically, a device or pipe is added to).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Compare only the cases whose id contains one of these.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
}

/// Arguments of `openapi`.
#[derive(Debug, Args)]
pub(super) struct OpenapiArgs {
    #[command(flatten)]
    pub suite: SuiteArgs,
    /// The mock fixture whose first task is the path parameter's example (default: the
    /// built-in one, which `sms-conformance mock` serves).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    /// Write the document to FILE (replaced atomically) instead of printing it.
    #[arg(long, value_name = "FILE", conflicts_with = "check")]
    pub output: Option<PathBuf>,
    /// Write nothing; exit 1 when FILE is not the document the contract gives.
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
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
    /// The folder of case files (each at most 1 MiB: long values are written
    /// `{repeat: TEXT, count: N}`).
    #[arg(long, env = "SMS_CASES", default_value = "cases", value_name = "DIR")]
    pub cases: PathBuf,
    #[command(flatten)]
    pub contract: ContractArgs,
}

/// Where the contract lives.
#[derive(Debug, Clone, Args)]
pub(super) struct ContractArgs {
    /// The folder of schemas and their manifest (each file at most 1 MiB).
    #[arg(
        long,
        env = "SMS_SCHEMAS",
        default_value = "schemas",
        value_name = "DIR"
    )]
    pub schemas: PathBuf,
}

/// What a run is pointed at: the live endpoint and its settings (a token pasted or asked of
/// IAM), or the embedded mock and its fixture; and how politely each exchange is made.
#[derive(Debug, Clone, Args)]
pub(super) struct TargetArgs {
    /// The endpoint to test, e.g. https://sms.ap-southeast-3.myhuaweicloud.com. Without it,
    /// the embedded mock is started and tested.
    #[arg(
        long,
        env = "SMS_ENDPOINT",
        hide_env_values = true,
        value_name = "URL",
        help_heading = "Target"
    )]
    pub base_url: Option<String>,
    /// A task the token may read.
    #[arg(long, env = "SMS_TASK_ID", value_name = "ID", help_heading = "Target")]
    pub task_id: Option<String>,
    /// A file holding a token with the permission (else env SMS_TOKEN); at most 1 MiB, and a
    /// pipe such as <(vault read ...) works.
    #[arg(long, value_name = "PATH", help_heading = "Target")]
    pub token_file: Option<PathBuf>,
    /// A file holding a valid token without the permission (else env SMS_FORBIDDEN_TOKEN); at
    /// most 1 MiB.
    #[arg(long, value_name = "PATH", help_heading = "Target")]
    pub forbidden_token_file: Option<PathBuf>,
    /// Trust this CA certificate (PEM, at most 4 MiB) too, for a gateway behind a private CA.
    /// HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured.
    #[arg(long, value_name = "FILE", help_heading = "Target")]
    pub cacert: Option<PathBuf>,
    /// The embedded mock's fixture (its tasks, tokens, users and assumed choices) instead of
    /// the built-in one (at most 1 MiB).
    #[arg(long, value_name = "FILE", help_heading = "Target")]
    pub fixture: Option<PathBuf>,
    /// IAM's endpoint, e.g. https://iam.ap-southeast-3.myhuaweicloud.com: the tokens are
    /// asked of it, once, with the users' passwords (SMS_TOKEN / SMS_FORBIDDEN_TOKEN win).
    #[arg(
        long,
        env = "SMS_IAM_ENDPOINT",
        hide_env_values = true,
        value_name = "URL",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_endpoint: Option<String>,
    /// The IAM user whose token holds the permission.
    #[arg(
        long,
        env = "SMS_IAM_USER",
        value_name = "NAME",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_user: Option<String>,
    /// A file holding that user's password (else env SMS_IAM_PASSWORD); at most 1 MiB.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_password_file: Option<PathBuf>,
    /// The account (IAM domain) the users belong to.
    #[arg(
        long,
        env = "SMS_IAM_DOMAIN",
        value_name = "ACCOUNT",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_domain: Option<String>,
    /// The project the tokens are scoped to, e.g. ap-southeast-3; unset: the account.
    #[arg(
        long,
        env = "SMS_IAM_PROJECT",
        value_name = "PROJECT",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_project: Option<String>,
    /// The IAM user without the permission (its token is ${forbidden_token}).
    #[arg(
        long,
        env = "SMS_IAM_FORBIDDEN_USER",
        value_name = "NAME",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_forbidden_user: Option<String>,
    /// A file holding that user's password (else env SMS_IAM_FORBIDDEN_PASSWORD); at most
    /// 1 MiB.
    #[arg(
        long,
        value_name = "PATH",
        help_heading = "IAM: a token fetched at the start"
    )]
    pub iam_forbidden_password_file: Option<PathBuf>,
    /// Requests a second across the run, from one a day (0.0000116) up [default: 5 for a live
    /// endpoint, no limit for the embedded mock].
    #[arg(long, value_name = "N", value_parser = parse_rate, help_heading = "Politeness")]
    pub rate: Option<f64>,
    /// How many times a request is sent again after a 429 or 503, or a connection dropped
    /// before any answer (GET, HEAD and other idempotent methods only).
    #[arg(
        long,
        default_value_t = 3,
        value_name = "N",
        help_heading = "Politeness"
    )]
    pub retries: u32,
    /// The longest wait before a retry; a Retry-After asking for more ends the retries.
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION", help_heading = "Politeness")]
    pub max_wait: Duration,
    #[command(flatten, next_help_heading = "Politeness")]
    pub exchange: ExchangeArgs,
}

/// The limits of each exchange with a target (a run's, or the proxy's with its upstream).
#[derive(Debug, Clone, Args)]
pub(super) struct ExchangeArgs {
    /// The time limit of each exchange: `10s`, `500ms`, `5m`, or seconds (more than 0, at most
    /// a day).
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
}

/// Arguments of a run.
#[derive(Debug, Clone, Args)]
pub(super) struct RunArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Write a JUnit XML report here (replaced atomically; a device or pipe, /dev/stdout
    /// included, is added to).
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (shape: schemas/report/report.schema.json; replaced
    /// atomically, a device or pipe is added to).
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub report_json: Option<PathBuf>,
    /// Write a Markdown summary here (replaced atomically, a device or pipe is added to); it
    /// is also appended to $GITHUB_STEP_SUMMARY when set.
    #[arg(long, value_name = "PATH", help_heading = "Reports")]
    pub summary_md: Option<PathBuf>,
    /// Fail (exit 101) when a case contradicts an assumption of the ledger, or passes only
    /// on a retry (flaky), instead of reporting it as news.
    #[arg(long, help_heading = "Reports")]
    pub strict: bool,
    /// Live progress on stderr while the cases run.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        value_name = "WHEN",
        help_heading = "Output"
    )]
    pub progress: ProgressWhen,
    /// Print every exchange (method, URL, headers, status, body excerpt) to stderr, secrets masked.
    #[arg(long, help_heading = "Output")]
    pub verbose: bool,
    /// Print the requests the cases would send, secrets masked, and send nothing.
    #[arg(long, help_heading = "Output")]
    pub dry_run: bool,
    #[command(flatten)]
    pub libtest: LibtestArgs,
    #[command(flatten, next_help_heading = "Cases and contract")]
    pub suite: SuiteArgs,
}

/// libtest's own flags, as `cargo test` takes them: which cases run and how the results are
/// printed. The flags that do nothing here are accepted, hidden and named in `--help`'s end.
#[derive(Debug, Clone, Default, Args)]
pub(super) struct LibtestArgs {
    /// Run only the cases whose id contains one of these (`read/ auth/`), as `cargo test` does.
    #[arg(value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Match the filters and --skip against whole case ids.
    #[arg(long, help_heading = "Selection")]
    pub exact: bool,
    /// Leave out the cases whose id contains FILTER (repeatable).
    #[arg(long, value_name = "FILTER", help_heading = "Selection")]
    pub skip: Vec<String>,
    /// List the selected cases (`ID: test`) and run nothing.
    #[arg(long, help_heading = "Selection")]
    pub list: bool,
    /// libtest: run only the tests marked #[ignore]. No case is marked so: selects none.
    #[arg(long, help_heading = "Selection")]
    pub ignored: bool,
    /// libtest: run the tests marked #[ignore] too. No case is marked so: changes nothing.
    /// (A case is ignored at run time when the target lacks a setting it needs.)
    #[arg(long, help_heading = "Selection")]
    pub include_ignored: bool,
    /// How many cases run at once, 1 to 256 [default: 4 for a live endpoint, 2 for the
    /// embedded mock]. Document cases are judged beside the exchanges, on at most this many
    /// threads when it is given (and never more than the processors).
    #[arg(
        long,
        value_name = "N",
        value_parser = RangedU64ValueParser::<usize>::new().range(1..=MAX_THREADS as u64),
        help_heading = "Politeness"
    )]
    pub test_threads: Option<usize>,
    /// The output's format: pretty (a line per case), terse (a character per case) or json
    /// (libtest's events).
    #[arg(long, value_enum, value_name = "FORMAT", help_heading = "Output")]
    pub format: Option<Format>,
    /// The same as --format terse.
    #[arg(short, long, conflicts_with = "format", help_heading = "Output")]
    pub quiet: bool,
    /// Colour: auto (on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, value_enum, value_name = "WHEN", help_heading = "Output")]
    pub color: Option<ColorWhen>,
    #[arg(long, hide = true)]
    nocapture: bool,
    #[arg(long, hide = true)]
    show_output: bool,
    #[arg(long, hide = true)]
    test: bool,
    #[arg(long, hide = true)]
    bench: bool,
    #[arg(short = 'Z', hide = true, value_name = "FLAG")]
    unstable_flags: Option<String>,
}

impl LibtestArgs {
    /// Whether the case `id` is selected by the filters, `--skip`, `--exact` and `--ignored`.
    pub fn selects(&self, id: &str) -> bool {
        let matches = |filter: &String| {
            if self.exact {
                id == filter
            } else {
                id.contains(filter.as_str())
            }
        };
        !self.ignored
            && (self.filters.is_empty() || self.filters.iter().any(matches))
            && !self.skip.iter().any(matches)
    }

    /// The output format asked for.
    pub fn format(&self) -> Format {
        if self.quiet {
            Format::Terse
        } else {
            self.format.unwrap_or_default()
        }
    }
}

/// When progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ProgressWhen {
    /// When stderr is a terminal.
    Auto,
    /// Always, even into a pipe or a file.
    Always,
    /// Never.
    Never,
}

/// When the output is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(super) enum ColorWhen {
    /// On a terminal, unless NO_COLOR is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Debug, Args)]
pub(super) struct MockArgs {
    /// The address to listen on: an IP address or a host name, and a port
    /// (`localhost:8080`).
    #[arg(long, default_value = "127.0.0.1:8080", value_parser = parse_listen, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// The fixture (tasks, tokens, users and assumed choices) instead of the built-in one (at
    /// most 1 MiB).
    #[arg(long, value_name = "FILE")]
    pub fixture: Option<PathBuf>,
    #[command(flatten)]
    pub host: HostArgs,
}

/// The limits of a host (the mock's, the proxy's) on the connections it serves.
#[derive(Debug, Args)]
pub(super) struct HostArgs {
    /// Connections served at once; past it a connection gets the gateway's 429 and is closed.
    #[arg(long, default_value = "1024", value_parser = clap::value_parser!(u32).range(1..), value_name = "N")]
    pub max_connections: u32,
    /// The time a request head has to arrive whole (at most 30s), counted from the connection
    /// or from the previous answer.
    #[arg(long, default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    pub header_timeout: Duration,
    /// A connection on which no byte moves either way for this long is closed.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub idle_timeout: Duration,
    /// After Ctrl-C or SIGTERM, the time requests in flight get before it quits.
    #[arg(long, default_value = "5s", value_parser = parse_duration, value_name = "DURATION")]
    pub shutdown_timeout: Duration,
}

impl HostArgs {
    /// The host's limits.
    pub fn limits(&self) -> Limits {
        Limits {
            max_connections: usize::try_from(self.max_connections).unwrap_or(usize::MAX),
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            shutdown_timeout: self.shutdown_timeout,
        }
    }
}

/// `sms-conformance proxy`'s arguments.
#[derive(Debug, Args)]
#[command(after_help = PROXY_AFTER_HELP)]
pub(super) struct ProxyArgs {
    /// The address to listen on: an IP address or a host name, and a port
    /// (`localhost:8081`).
    #[arg(long, default_value = "127.0.0.1:8081", value_parser = parse_listen, value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Where every request is forwarded: the real endpoint, a mock of your own, or
    /// `sms-conformance mock` (http:// or https://, with an optional path prefix).
    #[arg(long, value_name = "URL")]
    pub upstream: String,
    /// Answer 502 with the violation instead of an answer that breaks the contract.
    #[arg(long)]
    pub fail_fast: bool,
    /// Write a JSON report here when the proxy stops (shape:
    /// schemas/report/proxy.schema.json; replaced atomically, a device or pipe is added to).
    #[arg(long, value_name = "PATH")]
    pub report_json: Option<PathBuf>,
    /// Trust this CA certificate (PEM, at most 4 MiB) too, for an upstream behind a private
    /// CA. HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    #[command(flatten)]
    pub contract: ContractArgs,
    #[command(flatten, next_help_heading = "The upstream's answers")]
    pub exchange: ExchangeArgs,
    #[command(flatten, next_help_heading = "Connections")]
    pub host: HostArgs,
}

/// Parses a listening address: `127.0.0.1:8080`, `[::1]:8080` or `localhost:8080` (the name
/// resolved, its first address taken).
fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    let mut addresses = text
        .to_socket_addrs()
        .map_err(|e| format!("`{text}` is not an address to listen on (HOST:PORT): {e}"))?;
    addresses
        .next()
        .ok_or_else(|| format!("`{text}` resolves to no address"))
}

/// The slowest rate: one request a day, as the longest `--timeout`. Slower, the interval
/// overflows a `Duration` or an `Instant` (1e-300 panicked), or the run waits for centuries.
const MIN_RATE: f64 = 1.0 / 86_400.0;

/// Parses a rate: a number of requests a second, from one a day up.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(rate) if rate >= MIN_RATE && rate.is_finite() => Ok(rate),
        _ => Err(format!(
            "`{text}` is not a rate: requests a second, from one a day ({MIN_RATE:.7}) up, e.g. 5 or 0.5"
        )),
    }
}

/// Parses `10s`, `250ms`, `5m`, `1h` or `3` (seconds).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(at) => text.split_at(at),
        None => (text, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (e.g. 10s, 500ms, 5m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => return Err(format!("`{text}`: the unit must be ms, s, m or h")),
    };
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() && duration <= MAX_TIMEOUT => Ok(duration),
        _ => Err(format!(
            "`{text}` must be more than zero and at most {}s (a day)",
            MAX_TIMEOUT.as_secs()
        )),
    }
}

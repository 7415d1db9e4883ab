//! The `sms-conformance` binary run as a user runs it, with the environment cleared of
//! anything that would change what it does.

use sms_conformance::mock::Fixture;
use tokio::process::Command;

/// What a run printed and how it ended.
pub struct Run {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Standard output with runs of white space folded, as libtest pads names into columns.
    pub fn text(&self) -> String {
        self.stdout.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// Asserts that standard output shows `needle` (white space folded).
    #[track_caller]
    pub fn assert_shows(&self, needle: &str) {
        assert!(
            self.text().contains(needle),
            "`{needle}` not shown:\n{}",
            self.all()
        );
    }

    /// Both streams, for failure messages.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// The binary with `args` and `env`, in the repository's root.
pub fn command(args: &[&str], env: &[(&str, String)]) -> Command {
    let mut command = Command::from(scrubbed(env!("CARGO_BIN_EXE_sms-conformance")));
    command.args(args).kill_on_drop(true);
    command.envs(env.iter().map(|(name, value)| (name, value)));
    command
}

/// `program`, in the repository's root, with every setting the tool reads, or warns about,
/// removed from its environment: they come from the test alone.
pub fn scrubbed(program: &str) -> std::process::Command {
    let mut command = std::process::Command::new(program);
    command.current_dir(super::root());
    let read = |name: &str| {
        name.starts_with("SMS_")
            || name.eq_ignore_ascii_case("http_proxy")
            || name.eq_ignore_ascii_case("https_proxy")
            || name.eq_ignore_ascii_case("all_proxy")
            || name.eq_ignore_ascii_case("no_proxy")
            || ["NO_COLOR", "CLICOLOR_FORCE", "GITHUB_STEP_SUMMARY"].contains(&name)
    };
    for (name, _) in std::env::vars_os() {
        if read(&name.to_string_lossy()) {
            command.env_remove(&name);
        }
    }
    command
}

/// Runs the data cases with `args` and checks that the run ends within 20 s, with exit 2 and
/// `message` on stderr: for input that used to hang or fill the memory.
pub async fn refused_at_once(args: &[&str], env: &[(&str, String)], message: &str) {
    let run = tokio::time::timeout(std::time::Duration::from_secs(20), run_data(args, env))
        .await
        .expect("the run ends");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains(message), "{}", run.stderr);
}

/// bash running `script`, in which `$BIN` is the binary: for what a user's shell does with
/// it (process substitution, `>>`, `ulimit`).
pub fn bash(script: &str) -> Command {
    let mut command = Command::from(scrubbed("bash"));
    command
        .args(["-c", script])
        .env("BIN", env!("CARGO_BIN_EXE_sms-conformance"))
        .kill_on_drop(true);
    command
}

/// Runs the binary to its end.
pub async fn run(args: &[&str], env: &[(&str, String)]) -> Run {
    let output = command(args, env).output().await.expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs the binary to its end as [`command`] does, waiting on this thread: its exit code and
/// what it printed, standard output then error.
pub fn output(args: &[&str]) -> (i32, String) {
    let output = scrubbed(env!("CARGO_BIN_EXE_sms-conformance"))
        .args(args)
        .output()
        .expect("the binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

/// Runs the binary on the tests' own cases (`tests/data/cases`).
pub async fn run_data(args: &[&str], env: &[(&str, String)]) -> Run {
    let cases = super::data_cases();
    let args = [
        &["--cases", cases.to_str().expect("a UTF-8 path")][..],
        args,
    ]
    .concat();
    run(&args, env).await
}

/// A run with `--verbose`, `--junit` and `--report-json`, and what each output holds.
pub struct Outputs {
    /// The run, with its standard output and error.
    pub run: Run,
    /// Every output by name: stdout, stderr, the JUnit and JSON reports.
    pub named: Vec<(&'static str, String)>,
}

impl Outputs {
    /// The output called `name`.
    #[track_caller]
    pub fn get(&self, name: &str) -> &str {
        let found = self.named.iter().find(|(n, _)| *n == name);
        &found.unwrap_or_else(|| panic!("no output {name}")).1
    }
}

/// Runs the binary with `args`, `--verbose` and both reports (in a temporary folder).
pub async fn run_with_every_output(args: &[&str], env: &[(&str, String)]) -> Outputs {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let reports = [
        "--verbose",
        "--junit",
        junit.to_str().expect("a UTF-8 path"),
        "--report-json",
        json.to_str().expect("a UTF-8 path"),
    ];
    let run = run(&[args, &reports[..]].concat(), env).await;
    let read = |path: &std::path::Path| std::fs::read_to_string(path).unwrap_or_default();
    let named = vec![
        ("stdout", run.stdout.clone()),
        ("stderr", run.stderr.clone()),
        ("junit", read(&junit)),
        ("json", read(&json)),
    ];
    Outputs { run, named }
}

/// The built-in fixture's variables as a live target's environment.
pub fn builtin_env() -> Vec<(&'static str, String)> {
    vec![
        ("SMS_TASK_ID", Fixture::builtin().tasks[0].id.clone()),
        ("SMS_TOKEN", super::builtin_token("token")),
        (
            "SMS_FORBIDDEN_TOKEN",
            super::builtin_token("forbidden_token"),
        ),
    ]
}

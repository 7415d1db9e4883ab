//! The binary as a user runs it: the embedded mock by default, `--base-url` at a live (here:
//! wiremock) endpoint, libtest's own flags, exit codes, secrets never printed, and the
//! standalone mock.

use crate::common;

use std::process::Stdio;

use common::binary::{builtin_env, command, refused_at_once, run, run_data};
use common::{LONG_PASSPHRASE, faithful, long_passphrase, stub};
use serde_json::json;
use sms_conformance::mock::Fixture;
use tokio::io::{AsyncBufReadExt, BufReader};

fn shipped_case_count() -> usize {
    common::load_cases(&common::cases_dir()).unwrap().len()
}

fn data_case_count() -> usize {
    common::load_cases(&common::data_cases()).unwrap().len()
}

#[tokio::test]
async fn with_no_arguments_every_case_passes_against_the_embedded_mock() {
    let run = run(&[], &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let summary = format!("test result: ok. {} passed; 0 failed", shipped_case_count());
    run.assert_shows(&summary);
    run.assert_shows("test read/valid-call ... ok");
}

#[tokio::test]
async fn libtest_flags_list_filter_and_match_exactly() {
    let list = run_data(&["--list"], &[]).await;
    assert_eq!(list.code, 0);
    list.assert_shows("auth/missing-token: test");
    assert_eq!(
        list.stdout
            .lines()
            .filter(|l| l.ends_with(": test"))
            .count(),
        data_case_count()
    );

    let filtered = run_data(&["auth/", "--test-threads", "2"], &[]).await;
    filtered.assert_shows("test auth/missing-token ... ok");
    assert!(
        !filtered.stdout.contains("read/valid-call"),
        "{}",
        filtered.stdout
    );

    let exact = run_data(&["--exact", "read/valid-call", "--format", "terse"], &[]).await;
    exact.assert_shows("test result: ok. 1 passed");
}

#[tokio::test]
async fn a_256_character_passphrase_fails_naming_pointer_and_keyword_without_printing_it() {
    let server = stub(long_passphrase).await;
    let env = builtin_env();
    let run = run_data(&["--base-url", &server.uri()], &env).await;
    assert_eq!(run.code, 101, "{}", run.all());
    run.assert_shows("test read/valid-call ... FAILED");
    assert!(
        run.stdout
            .contains("/passphrase: value is longer than 255 characters [keyword maxLength"),
        "{}",
        run.stdout
    );
    assert_eq!(LONG_PASSPHRASE.chars().count(), 256);
    assert!(!run.all().contains(&LONG_PASSPHRASE[..24]), "{}", run.all());
}

#[tokio::test]
async fn secrets_of_a_fixture_never_reach_the_output_of_a_failing_embedded_run() {
    let dir = tempfile::tempdir().unwrap();
    let fixture_file = dir.path().join("fixture.yaml");
    let (token, forbidden, passphrase) = ("tok-1a2b3c4d5e6f", "forbid-9z8y7x6w", "pass-q1w2e3r4");
    std::fs::write(
        &fixture_file,
        format!(
            "tasks:\n  - id: task-1\n    passphrase: {passphrase}\ntokens:\n  - name: token\n    value: {token}\n    permitted: true\n  - name: forbidden_token\n    value: {forbidden}\n    permitted: false\n"
        ),
    )
    .unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    for (name, token_var, status) in [("read", "token", 500), ("denied", "forbidden_token", 200)] {
        let case = format!(
            "request:\n  task_id: ${{task_id}}\n  token: ${{{token_var}}}\nexpect:\n  status: {status}\n"
        );
        std::fs::write(cases.join(format!("{name}.yaml")), case).unwrap();
    }
    let run = run(
        &[
            "--fixture",
            fixture_file.to_str().unwrap(),
            "--cases",
            cases.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 101, "{}", run.all());
    run.assert_shows("status 200, expected 500");
    for secret in [token, forbidden, passphrase] {
        assert!(
            !run.all().contains(secret),
            "`{secret}` leaked:\n{}",
            run.all()
        );
    }
}

#[tokio::test]
async fn a_case_whose_variable_the_target_lacks_is_ignored_with_the_reason() {
    let server = stub(faithful).await;
    let mut env = builtin_env();
    env.retain(|(name, _)| *name != "SMS_FORBIDDEN_TOKEN" && *name != "SMS_TOKEN");
    let token_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        token_file.path(),
        format!("{}\n", Fixture::builtin().tokens[0].value),
    )
    .unwrap();
    let args = [
        "--base-url",
        &server.uri(),
        "--token-file",
        token_file.path().to_str().unwrap(),
    ];
    let run = run_data(&args, &env).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("auth/forbidden-token ... ignored (the target provides no forbidden_token (set SMS_FORBIDDEN_TOKEN or --forbidden-token-file))");
    run.assert_shows("test read/valid-call ... ok");
}

#[tokio::test]
async fn a_broken_case_file_stops_the_run_before_any_request() {
    let server = stub(faithful).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("good.yaml"),
        "request:\n  task_id: x\nexpect:\n  status: 200\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("bad.yaml"),
        "request:\n  task_id: x\n  tokn: y\nexpect:\n  status: 200\n",
    )
    .unwrap();
    let run = run(
        &[
            "--base-url",
            &server.uri(),
            "--cases",
            dir.path().to_str().unwrap(),
        ],
        &builtin_env(),
    )
    .await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("bad.yaml:3:3: `request.tokn`: unknown field `tokn`"),
        "{}",
        run.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_token_is_not_accepted_as_a_flag_value() {
    let run = run(&["--token", "abc"], &[]).await;
    assert_eq!(run.code, 2, "{}", run.all());
}

#[tokio::test]
async fn the_standalone_mock_serves_until_stopped_and_names_tokens_not_values() {
    let mut child = command(&["mock", "--listen", "127.0.0.1:0"], &[])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines
        .next_line()
        .await
        .unwrap()
        .expect("the mock prints its address");
    let url = first.rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{first}");
    let mut banner = Vec::new();
    for _ in 0..3 {
        banner.push(lines.next_line().await.unwrap().unwrap_or_default());
    }
    let banner = banner.join("\n");
    let fixture = Fixture::builtin();
    assert!(
        banner.contains("token (may read passphrases)") && banner.contains("forbidden_token"),
        "{banner}"
    );
    assert!(!banner.contains(&fixture.tokens[0].value), "{banner}");

    // reqwest is built without a default TLS provider: the crate installs ring's, so does this.
    let client = common::http_client();
    let path = format!("{url}/v3/tasks/{}/passphrase", fixture.tasks[0].id);
    let ok = client
        .get(&path)
        .header("X-Auth-Token", &fixture.tokens[0].value)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let first_id = ok.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = serde_json::from_slice(&ok.bytes().await.unwrap()).unwrap();
    assert_eq!(body["passphrase"], json!(fixture.tasks[0].passphrase));
    let refused = client.get(&path).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_ne!(
        refused.headers()["x-request-id"].to_str().unwrap(),
        first_id
    );
    child.kill().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_endpoint_fails_each_request_case_in_time_and_the_run_ends_with_the_summary() {
    let url = common::hostile::raw_server(common::hostile::never_answers).await;
    let cases = common::load_cases(&common::data_cases()).unwrap();
    let requests = cases
        .iter()
        .filter(|c| matches!(c.kind, sms_conformance::CaseKind::Request { .. }))
        .count();
    let documents = cases.len() - requests;
    let started = std::time::Instant::now();
    let run = run_data(
        &[
            "--base-url",
            &url,
            "--timeout",
            "300ms",
            "--test-threads",
            "32",
        ],
        &builtin_env(),
    )
    .await;
    assert_eq!(run.code, 101, "{}", run.all());
    run.assert_shows(&format!(
        "test result: FAILED. {documents} passed; {requests} failed"
    ));
    run.assert_shows("no complete answer within the timeout of 300ms");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn help_does_not_show_the_endpoint_it_was_given() {
    let env = [(
        "SMS_ENDPOINT",
        "https://user:help-secret-pw@sms.example".to_owned(),
    )];
    let run = run(&["--help"], &env).await;
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("SMS_ENDPOINT"), "{}", run.stdout);
    assert!(!run.all().contains("help-secret-pw"), "{}", run.all());
}

/// What `--help` says of one flag: its line and the description under it.
fn flag_help(help: &str, flag: &str) -> String {
    let mut lines = help
        .lines()
        .skip_while(|line| !line.trim_start().split([' ', ',']).any(|word| word == flag));
    let first = lines
        .next()
        .unwrap_or_else(|| panic!("{flag} is not in:\n{help}"));
    let rest = lines.take_while(|line| !line.trim_start().starts_with('-'));
    // Words, not lines: clap wraps long descriptions.
    std::iter::once(first)
        .chain(rest)
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every flag that names a file to read says its cap, and every report flag how a device or
/// a pipe is written, where a user looks first.
#[tokio::test]
async fn help_says_each_files_cap_and_how_a_report_is_written() {
    let secrets = [
        "--token-file",
        "--forbidden-token-file",
        "--iam-password-file",
        "--iam-forbidden-password-file",
    ];
    let suite = ["--cases", "--schemas", "--fixture"];
    let run_files: Vec<&str> = suite.iter().chain(&secrets).copied().collect();
    for (command, mib, cacert, reports) in [
        (
            &["--help"][..],
            &run_files[..],
            true,
            &["--junit", "--report-json", "--summary-md"][..],
        ),
        (
            &["diff", "--help"],
            &run_files[..],
            true,
            &["--report-json"],
        ),
        (&["mock", "--help"], &["--fixture"], false, &[]),
        (
            &["proxy", "--help"],
            &["--schemas"],
            true,
            &["--report-json"],
        ),
    ] {
        let run = run(command, &[]).await;
        assert_eq!(run.code, 0, "{command:?}: {}", run.all());
        for flag in mib {
            let text = flag_help(&run.stdout, flag);
            assert!(text.contains("at most 1 MiB"), "{command:?} {flag}: {text}");
        }
        if cacert {
            let text = flag_help(&run.stdout, "--cacert");
            assert!(text.contains("at most 4 MiB"), "{command:?}: {text}");
        }
        for flag in reports {
            let text = flag_help(&run.stdout, flag);
            assert!(
                text.contains("a device or pipe"),
                "{command:?} {flag}: {text}"
            );
        }
    }
}

#[tokio::test]
async fn the_body_cap_and_timeout_are_set_from_the_command_line() {
    let run = run_data(
        &["--max-body", "16", "--timeout", "2", "read/valid-call"],
        &[],
    )
    .await;
    assert_eq!(run.code, 101, "{}", run.all());
    run.assert_shows("the body is larger than the cap of 16 bytes");
    let bad = self::run(&["--timeout", "soon"], &[]).await;
    assert_eq!(bad.code, 2, "{}", bad.all());
    assert!(
        bad.stderr.contains("`soon` is not a duration"),
        "{}",
        bad.stderr
    );
}

/// The tests' own cases, relative to the root the binary runs in.
const DATA_CASES: &str = "tests/data/cases";

/// Runs the binary with its standard output closed before it writes anything (`| head`
/// that has gone away) or on `/dev/full`.
async fn run_with_stdout(args: &[&str], stdout: Stdio) -> common::binary::Run {
    let mut child = command(args, &[])
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().await.unwrap();
    common::binary::Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[rstest::rstest]
#[case::a_run(&["--cases", DATA_CASES])]
#[case::a_list(&["--cases", DATA_CASES, "--list"])]
#[case::a_dry_run(&["--cases", DATA_CASES, "--dry-run"])]
#[case::coverage(&["coverage", "--cases", DATA_CASES])]
#[tokio::test]
async fn a_closed_pipe_exits_141_quietly(#[case] args: &[&str]) {
    let run = run_with_stdout(args, Stdio::piped()).await;
    assert_eq!(run.code, 141, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
}

#[tokio::test]
async fn a_closed_pipe_still_gets_the_reports_written() {
    let dir = tempfile::tempdir().unwrap();
    let (junit, json) = (dir.path().join("j.xml"), dir.path().join("r.json"));
    let args = [
        "--cases",
        DATA_CASES,
        "--junit",
        junit.to_str().unwrap(),
        "--report-json",
        json.to_str().unwrap(),
    ];
    let run = run_with_stdout(&args, Stdio::piped()).await;
    assert_eq!(run.code, 141, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    assert!(
        std::fs::read_to_string(&junit)
            .unwrap()
            .contains("<testsuites")
    );
    assert!(
        std::fs::read_to_string(&json)
            .unwrap()
            .contains("\"cases\"")
    );
}

#[cfg(target_os = "linux")]
#[rstest::rstest]
#[case::a_run(&["--cases", DATA_CASES])]
#[case::a_list(&["--cases", DATA_CASES, "--list"])]
#[case::a_dry_run(&["--cases", DATA_CASES, "--dry-run"])]
#[tokio::test]
async fn a_full_device_is_an_error_with_exit_2(#[case] args: &[&str]) {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let run = run_with_stdout(args, Stdio::from(full)).await;
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("error: cannot write") && run.stderr.contains("No space left"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

#[rstest::rstest]
#[case::a_timeout_past_u64(&["--timeout", "99999999999999999999"])]
#[case::a_timeout_over_a_day(&["--timeout", "86401s"])]
#[case::a_timeout_of_zero(&["--timeout", "0"])]
#[case::a_body_cap_past_usize(&["--max-body", "99999999999999999999"])]
#[case::a_body_cap_of_zero(&["--max-body", "0"])]
#[case::a_body_cap_over_a_gib(&["--max-body", "1073741825"])]
#[case::threads_past_usize(&["--test-threads", "99999999999999999999"])]
#[case::no_threads(&["--test-threads", "0"])]
#[case::a_hundred_million_threads(&["--test-threads", "100000000"])]
#[case::a_rate_too_small_for_a_duration(&["--rate", "1e-300"])]
#[case::a_rate_too_small_for_an_instant(&["--rate", "1e-19"])]
#[case::a_request_in_thirty_thousand_years(&["--rate", "1e-12"])]
#[tokio::test]
async fn a_number_out_of_range_is_a_usage_error(#[case] flag: &[&str]) {
    let args = [&["--cases", DATA_CASES][..], flag].concat();
    let bound = std::time::Duration::from_secs(60);
    let run = tokio::time::timeout(bound, run(&args, &[]))
        .await
        .expect("the binary hangs");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.starts_with("error"), "{}", run.stderr);
    assert!(run.stderr.contains(flag[0]), "{}", run.stderr);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// Every file a user names is read within a cap: `/dev/zero` (endless) ends the run at once
/// with exit 2 and the cap. Before the caps, each read went on until memory ran out.
#[rstest::rstest]
#[case::cacert(
    &["--base-url", "http://127.0.0.1:9", "--cacert"],
    "--cacert /dev/zero: the file is over 4 MiB, more than any CA bundle"
)]
#[case::token(
    &["--base-url", "http://127.0.0.1:9", "--token-file"],
    "/dev/zero: the file is over 1 MiB, more than any token or password"
)]
#[case::fixture(
    &["--fixture"],
    "/dev/zero: the file is over 1 MiB, the most a case, fixture, manifest or schema may have"
)]
#[tokio::test]
async fn an_endless_file_is_refused_without_reading_it_all(
    #[case] flag: &[&str],
    #[case] message: &str,
) {
    let args = [flag, &["/dev/zero", "read/"]].concat();
    // Live settings for a live run; none for the embedded mock, which refuses them.
    let env = if flag.contains(&"--base-url") {
        builtin_env()
    } else {
        Vec::new()
    };
    refused_at_once(&args, &env, message).await;
}

#[tokio::test]
async fn an_endless_schema_is_refused_without_reading_it_all() {
    let schemas = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(common::root().join("schemas")).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            std::fs::copy(&path, schemas.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let endless = schemas.path().join("passphrase.schema.json");
    std::fs::remove_file(&endless).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &endless).unwrap();
    let args = ["--schemas", schemas.path().to_str().unwrap(), "read/"];
    let message = "passphrase.schema.json: the file is over 1 MiB, the most a case, fixture, manifest or schema may have";
    refused_at_once(&args, &[], message).await;
}

/// The run appends `/v3/tasks/{task_id}/passphrase` to the endpoint: after a query or a
/// fragment that path would never reach the server, and a server answering every URL alike
/// would turn the run green.
#[rstest::rstest]
#[case::a_query(&["--base-url"], "?x=1", "--base-url")]
#[case::a_fragment(&["--base-url"], "#top", "--base-url")]
#[case::both_in_the_variable(&[], "?x=1#top", "SMS_ENDPOINT")]
#[tokio::test]
async fn an_endpoint_with_a_query_or_a_fragment_is_refused(
    #[case] flag: &[&str],
    #[case] tail: &str,
    #[case] named: &str,
) {
    let server = stub(faithful).await;
    let url = format!("{}/prefix{tail}", server.uri());
    let mut env = builtin_env();
    let args = if flag.is_empty() {
        env.push(("SMS_ENDPOINT", url));
        vec!["read/"]
    } else {
        vec![flag[0], url.as_str(), "read/"]
    };
    let run = run_data(&args, &env).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains(&format!("{named} has a query or a fragment (?... or #...)")),
        "{}",
        run.stderr
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A token file that is a pipe, as `--token-file <(vault read ...)` gives, is read as it
/// comes; a pipe nobody writes reads as empty at once, instead of blocking the opening.
#[cfg(unix)]
#[tokio::test]
async fn a_token_from_a_pipe_is_read_and_a_pipe_nobody_writes_is_empty_not_a_hang() {
    let server = stub(faithful).await;
    let env: Vec<_> = builtin_env()
        .into_iter()
        .filter(|(name, _)| *name != "SMS_TOKEN")
        .collect();
    // bash's process substitution, as a user writes it; its writer slow to write, so that
    // the first read finds the pipe empty but not ended.
    let script = format!(
        "exec \"$BIN\" --cases '{}' --base-url '{}' --token-file <(sleep 0.3; printf %s \"$TOKEN\") read/",
        common::data_cases().display(),
        server.uri()
    );
    let output = common::binary::bash(&script)
        .envs(env.iter().map(|(name, value)| (name, value)))
        .env("TOKEN", common::builtin_token("token"))
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("test read/valid-call ... ok"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let silent = dir.path().join("silent");
    common::fifo(&silent);
    let uri = server.uri();
    let args = [
        "--base-url",
        &uri,
        "--token-file",
        silent.to_str().unwrap(),
        "read/",
    ];
    refused_at_once(&args, &env, "holds nothing (it is empty or white space)").await;
}

/// GitHub's step summary named by a pipe nothing reads: exit 2 with why, not a hang.
#[cfg(unix)]
#[tokio::test]
async fn a_step_summary_to_a_pipe_nothing_reads_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let pipe = dir.path().join("summary");
    common::fifo(&pipe);
    let env = [("GITHUB_STEP_SUMMARY", pipe.to_str().unwrap().to_owned())];
    refused_at_once(&["read/"], &env, "a pipe (FIFO) that nothing reads").await;
}

/// Each value of a request is capped (1 MiB), but many of them, or one task id in many
/// slots of the path, would fill the memory when the request is made. A request over 4 MiB
/// stops the run before anything is sent, naming its file.
#[tokio::test]
async fn a_request_over_four_mib_stops_the_run_before_anything_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let headers: String = ["A", "B", "C", "D", "E"]
        .iter()
        .map(|name| format!("    X-{name}: {{repeat: a, count: 1048576}}\n"))
        .collect();
    std::fs::write(
        dir.path().join("headers.yaml"),
        format!("request:\n  task_id: ${{task_id}}\n  headers:\n{headers}expect:\n  status: 200\n"),
    )
    .unwrap();
    let slots = "/{task_id}".repeat(20_000);
    std::fs::write(
        dir.path().join("slots.yaml"),
        format!("request:\n  path: \"/v3/tasks{slots}/passphrase\"\n  task_id: {{repeat: \"%\", count: 1000}}\nexpect:\n  status: 404\n"),
    )
    .unwrap();
    let args = ["--cases", dir.path().to_str().unwrap()];
    let run = tokio::time::timeout(std::time::Duration::from_secs(20), run(&args, &[]))
        .await
        .expect("the run ends");
    assert_eq!(run.code, 2, "{}", run.all());
    for file in ["headers.yaml", "slots.yaml"] {
        assert!(
            run.stderr.contains(&format!(
                "{file}: the request (its URL and headers) would take over 4 MiB at this target"
            )),
            "{}",
            run.stderr
        );
    }
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
}

/// A socket named as a file is said to be one (its opening fails with ENXIO, as a pipe
/// nothing reads does).
#[cfg(unix)]
#[tokio::test]
async fn a_socket_named_as_a_fixture_is_said_to_be_one() {
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("fixture.yaml");
    let _listening = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let args = ["--fixture", socket.to_str().unwrap(), "read/"];
    refused_at_once(&args, &[], "it is a socket, not a file").await;
}

/// A body check of `${token}` a hundred thousand times is 800 KB in its file, and gigabytes
/// with a 100 KB token: it stops the run before anything is sent, naming its file.
#[tokio::test]
async fn a_body_check_over_four_mib_at_the_target_stops_the_run() {
    let server = stub(faithful).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "t".repeat(100_000)).unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::write(
        cases.join("echo.yaml"),
        format!(
            "request:\n  task_id: ${{task_id}}\n  token: ${{token}}\nexpect:\n  status: 200\n  body:\n    /task_id: {{equals: \"{}\"}}\n",
            "${token}".repeat(100_000)
        ),
    )
    .unwrap();
    let env: Vec<_> = builtin_env()
        .into_iter()
        .filter(|(name, _)| *name != "SMS_TOKEN")
        .collect();
    let uri = server.uri();
    let args = [
        "--cases",
        cases.to_str().unwrap(),
        "--base-url",
        &uri,
        "--token-file",
        token.to_str().unwrap(),
    ];
    let run = tokio::time::timeout(std::time::Duration::from_secs(20), run(&args, &env))
        .await
        .expect("the run ends");
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "echo.yaml: the texts `expect.body` compares would take over 4 MiB at this target"
        ),
        "{}",
        run.stderr
    );
    assert!(server.received_requests().await.unwrap().is_empty());
}

/// A description on several lines is shown on one: a line break in it could forge a line
/// of the failure's block (`sent: ...`).
#[tokio::test]
async fn a_description_is_shown_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("forged.yaml"),
        "description: \"reads it\\nsent: GET http://forged.example/\\r\\tend\"\nrequest:\n  task_id: ${task_id}\n  token: ${token}\nexpect:\n  status: 201\n",
    )
    .unwrap();
    let run = run(&["--cases", dir.path().to_str().unwrap()], &[]).await;
    assert_eq!(run.code, 101, "{}", run.all());
    assert!(
        run.stdout
            .contains("reads it sent: GET http://forged.example/  end"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout
            .lines()
            .any(|line| line.trim_start().starts_with("sent: GET http://forged")),
        "{}",
        run.stdout
    );
}

//! What users of other test runners expect of a command line: `--version`, several filters,
//! `--help` that puts the target and reports first and hides libtest's flags that do
//! nothing here, durations in minutes, the run's own wall time in libtest's closing line, a
//! private CA, the proxy variables, and report paths checked before the first request.

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::binary::{builtin_env, run, run_data};
use common::{Harness, faithful, hostile, stub, stub_with_delay};
use sms_conformance::mock::{self, Fixture};
use sms_conformance::{Outcome, Target};

#[tokio::test]
async fn version_is_printed_with_either_flag() {
    for flag in ["--version", "-V"] {
        let run = run(&[flag], &[]).await;
        assert_eq!(run.code, 0, "{}", run.all());
        assert_eq!(
            run.stdout.trim(),
            format!("sms-conformance {}", env!("CARGO_PKG_VERSION"))
        );
    }
}

#[tokio::test]
async fn several_filters_select_the_cases_any_of_them_matches() {
    let run = run_data(&["read/", "auth/missing"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test read/valid-call ... ok");
    run.assert_shows("test auth/missing-token ... ok");
    assert!(!run.stdout.contains("auth/two-tokens"), "{}", run.stdout);
    let all = common::load_cases(&common::data_cases()).unwrap().len();
    run.assert_shows(&format!(
        "2 passed; 0 failed; 0 ignored; 0 measured; {} filtered out",
        all - 2
    ));
}

#[tokio::test]
async fn help_puts_the_target_and_reports_first_and_hides_libtest_flags_that_do_nothing() {
    let help = run(&["--help"], &[]).await;
    assert_eq!(help.code, 0, "{}", help.all());
    let text = &help.stdout;
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("`{needle}` not in the help:\n{text}"))
    };
    assert!(at("Target:") < at("Reports:"), "{text}");
    assert!(at("Reports:") < at("Selection:"), "{text}");
    assert!(at("--base-url") < at("--junit"), "{text}");
    assert!(text.contains("Exit codes:"), "{text}");
    let description = |flag: &str| {
        let after = text.split(&format!("  {flag}\n")).nth(1).expect(flag);
        after.lines().next().unwrap().trim().to_owned()
    };
    assert_ne!(description("--ignored"), description("--include-ignored"));
    for hidden in ["--nocapture", "--show-output", "--bench", "-Z "] {
        let listed = text
            .lines()
            .filter(|l| l.starts_with("  ") && l.trim_start().starts_with(hidden))
            .count();
        assert_eq!(listed, 0, "{hidden} is listed:\n{text}");
    }
    // Accepted all the same, as cargo test and IDEs pass them.
    let run = run_data(
        &[
            "--nocapture",
            "--show-output",
            "-Z",
            "unstable-options",
            "read/",
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("1 passed");
}

#[tokio::test]
async fn a_timeout_in_minutes_is_a_timeout() {
    let run = run_data(&["--timeout", "5m", "read/"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let bad = run_data(&["--timeout", "5x"], &[]).await;
    assert_eq!(bad.code, 2, "{}", bad.all());
    assert!(
        bad.stderr.contains("the unit must be ms, s, m or h"),
        "{}",
        bad.stderr
    );
}

#[tokio::test]
async fn the_closing_line_says_the_runs_own_wall_time() {
    let server = stub_with_delay(faithful, Some(Duration::from_millis(1100))).await;
    let run = run_data(&["--base-url", &server.uri(), "read/"], &builtin_env()).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let seconds: f64 = run
        .text()
        .split("finished in ")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no time in {}", run.stdout));
    assert!(
        seconds >= 1.0,
        "finished in {seconds}s after a 1.1 s answer"
    );
}

#[tokio::test]
async fn a_report_path_that_cannot_be_written_stops_the_run_before_any_request() {
    let server = stub(faithful).await;
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder/junit.xml");
    for flag in ["--junit", "--report-json", "--summary-md"] {
        let args = ["--base-url", &server.uri(), flag, missing.to_str().unwrap()];
        let run = run_data(&args, &builtin_env()).await;
        assert_eq!(run.code, 2, "{flag}: {}", run.all());
        assert!(
            run.stderr.contains("cannot write") && run.stderr.contains("no-such-folder"),
            "{flag}: {}",
            run.stderr
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

/// A proxy that records the first line of what it is asked, and answers nothing useful; and
/// its URL.
async fn recording_proxy() -> (Arc<Mutex<Vec<String>>>, String) {
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let seen = Arc::clone(&lines);
    let url = hostile::raw_server(move |mut stream| {
        let seen = Arc::clone(&seen);
        async move {
            let mut buffer = vec![0u8; 4096];
            let n = tokio::io::AsyncReadExt::read(&mut stream, &mut buffer)
                .await
                .unwrap_or(0);
            let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
            seen.lock()
                .unwrap()
                .push(text.lines().next().unwrap_or("").to_owned());
        }
    })
    .await;
    (lines, url)
}

#[tokio::test]
async fn requests_go_through_the_proxy_the_environment_names_unless_no_proxy_says_otherwise() {
    let (lines, proxy) = recording_proxy().await;
    let mut env = builtin_env();
    env.push(("HTTPS_PROXY", proxy.clone()));
    let target = "https://sms.example.invalid";
    let run = run_data(&["--base-url", target, "--retries", "0", "read/"], &env).await;
    assert_ne!(run.code, 0, "{}", run.all());
    let seen = lines.lock().unwrap().clone();
    assert!(
        seen.iter()
            .any(|l| l.starts_with("CONNECT sms.example.invalid:443")),
        "{seen:?}"
    );

    let server = stub(faithful).await;
    let mut env = builtin_env();
    env.push(("HTTP_PROXY", proxy.clone()));
    env.push(("NO_PROXY", "127.0.0.1".to_owned()));
    let before = lines.lock().unwrap().len();
    let run = run_data(&["--base-url", &server.uri(), "read/"], &env).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        lines.lock().unwrap().len(),
        before,
        "NO_PROXY must bypass the proxy"
    );
}

/// `--format json` is libtest's JSON events, a line each: every line of standard output is
/// JSON; the target line and the notes go to standard error.
#[tokio::test]
async fn format_json_prints_nothing_but_json_lines_on_stdout() {
    let run = run_data(&["--format", "json"], &[]).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let lines: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!lines.is_empty(), "{}", run.all());
    for line in lines {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
    }
    assert!(
        run.stderr.contains("target: embedded mock"),
        "{}",
        run.stderr
    );
}

/// With `--format json` the notes go to standard error, after the events: merged into one
/// stream (`2>&1`, a CI log), they still come last, though the events are written in large
/// pieces.
#[cfg(unix)]
#[tokio::test]
async fn format_json_notes_come_after_the_events_in_a_merged_stream() {
    let dir = tempfile::tempdir().unwrap();
    // No `forbidden_token`: the case that needs it does not run, and a note says so.
    let fixture = dir.path().join("fixture.yaml");
    std::fs::write(
        &fixture,
        "tasks:\n  - {id: d7fa81b9-c174-4c0a-a475-51a54c8af8a4, passphrase: p-merged}\ntokens:\n  - {name: token, value: tok-merged, permitted: true}\n",
    )
    .unwrap();
    let script = format!(
        "exec \"$BIN\" --cases '{}' --fixture '{}' --format json 2>&1",
        common::data_cases().display(),
        fixture.display()
    );
    let output = common::binary::bash(&script).output().await.unwrap();
    let merged = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<&str> = merged.lines().filter(|l| !l.trim().is_empty()).collect();
    let last_event = lines.iter().rposition(|l| l.starts_with('{'));
    let note = lines.iter().position(|l| l.starts_with("note:"));
    assert!(
        matches!((last_event, note), (Some(event), Some(note)) if note > event),
        "{merged}"
    );
}

/// The embedded mock is the run's own, reached on its own socket: a proxy the environment
/// names never sees its requests (they once went to the proxy, and the run failed).
#[tokio::test]
async fn an_embedded_run_never_goes_through_the_proxy_the_environment_names() {
    let (lines, proxy) = recording_proxy().await;
    let env = [("HTTP_PROXY", proxy.clone()), ("HTTPS_PROXY", proxy)];
    let run = run_data(&["read/"], &env).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test read/valid-call ... ok");
    assert_eq!(*lines.lock().unwrap(), Vec::<String>::new());
}

/// The embedded mock on a loopback port (where its socket cannot be had) is reached straight
/// too. The proxy variables are read when a client is built, and setting them here would
/// reach every test of this binary: the child below runs in a process of its own, with
/// `HTTP_PROXY` naming the recording proxy.
#[tokio::test]
async fn the_embedded_mock_on_a_port_is_reached_without_the_proxy_the_environment_names() {
    let (lines, proxy) = recording_proxy().await;
    let child = tokio::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "conventions::embedded_mock_on_a_port_child",
            "--ignored",
            "--nocapture",
        ])
        .env("HTTP_PROXY", &proxy)
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .output()
        .await
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&child.stdout),
        String::from_utf8_lossy(&child.stderr)
    );
    assert!(child.status.success(), "{out}");
    assert!(out.contains("1 passed"), "the child ran: {out}");
    // The live target's request, and nothing of the embedded one's.
    let seen = lines.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].starts_with("GET http://127.0.0.1:"), "{seen:?}");
}

/// Run by the test above, with `HTTP_PROXY` set: the same case to the mock on a loopback
/// port goes through the proxy as a live target's, and straight as the embedded mock's.
#[test]
#[ignore = "run by the_embedded_mock_on_a_port_is_reached_without_the_proxy_the_environment_names"]
fn embedded_mock_on_a_port_child() {
    assert!(
        std::env::var_os("HTTP_PROXY").is_some(),
        "run by its parent test, with HTTP_PROXY set"
    );
    let harness = Harness::new();
    let fixture = Fixture::builtin();
    let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
    let (addr, serving) = harness
        .runtime
        .block_on(mock::server::bind(
            loopback,
            Arc::new(fixture.clone()),
            std::future::pending(),
        ))
        .unwrap();
    harness.runtime.spawn(serving);
    let url = format!("http://{addr}");
    let timeout = Duration::from_secs(5);
    let live = Target::new(&url, fixture.variables());
    let through_proxy = harness.run_on(live, "read/valid-call", timeout);
    assert_ne!(
        through_proxy.outcome,
        Outcome::Passed,
        "the proxy is in force"
    );
    let embedded = Target::embedded(&url, None, fixture.variables(), None);
    let straight = harness.run_on(embedded, "read/valid-call", timeout);
    assert_eq!(straight.outcome, Outcome::Passed, "{straight:?}");
}

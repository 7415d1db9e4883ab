//! A live run as a CI sees it, over loopback: politeness (the rate, retries after 429 with
//! Retry-After, a connection reset once, flaky and inconclusive cases and their exit codes),
//! progress on stderr, the Markdown summary, and Ctrl-C / SIGTERM sent to the real binary.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::binary::{builtin_env, command, run_data};
use common::child::signal;
use common::{builtin_token, faithful, hostile};
use serde_json::Value as Json;
use sms_conformance::mock::MockAnswer;
use tokio::io::AsyncWriteExt;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The gateway's throttling body, valid against the contract's 429 row.
const THROTTLED: &str = r#"{"error_code":"APIGW.0308","error_msg":"The throttling threshold has been reached","request_id":"0123456789abcdef0123456789abcdef"}"#;

/// The gateway's throttling answer.
fn throttled(retry_after: &str) -> ResponseTemplate {
    ResponseTemplate::new(429)
        .insert_header("X-Request-Id", "0123456789abcdef0123456789abcdef")
        .insert_header("Retry-After", retry_after)
        .set_body_raw(THROTTLED, "application/json;charset=UTF-8")
}

/// The faithful stub, answering its first `times` requests with 429 first.
async fn throttled_first(times: u64) -> MockServer {
    let server = common::stub(faithful).await;
    Mock::given(any())
        .respond_with(throttled("1"))
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    server
}

fn case<'a>(report: &'a Json, id: &str) -> &'a Json {
    let cases = report["cases"].as_array().unwrap();
    cases.iter().find(|c| c["id"] == id).unwrap()
}

#[tokio::test]
async fn a_case_that_passes_after_a_429_is_flaky_and_strict_fails_on_it() {
    let server = throttled_first(1).await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let args = [
        "--base-url",
        &server.uri(),
        "--report-json",
        json.to_str().unwrap(),
        "read/",
    ];
    let run = run_data(&args, &builtin_env()).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test read/valid-call ... ok (flaky: passed on attempt 2 of 2 (1: 429 (Retry-After 1s), waited 1s))");
    run.assert_shows("note: 1 case passed only on a retry (flaky): read/valid-call");
    let report = common::checked_report(&json);
    assert_eq!(report["summary"]["flaky"], 1);
    let valid = case(&report, "read/valid-call");
    assert_eq!(valid["flaky"], true);
    assert_eq!(valid["attempts"][0]["status"], 429);
    assert_eq!(valid["attempts"][0]["wait_ms"], 1000.0);
    assert_eq!(valid["attempts"][1]["status"], 200);

    let server = throttled_first(1).await;
    let strict = run_data(
        &["--base-url", &server.uri(), "--strict", "read/"],
        &builtin_env(),
    )
    .await;
    assert_eq!(strict.code, 101, "{}", strict.all());
    strict.assert_shows("flaky, and --strict fails on a flaky case");
}

#[tokio::test]
async fn a_case_still_throttled_after_its_retries_is_inconclusive_and_exits_4() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(throttled("1"))
        .mount(&server)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("report.json");
    let args = [
        "--base-url",
        &server.uri(),
        "--retries",
        "1",
        "--report-json",
        json.to_str().unwrap(),
        "read/",
    ];
    let run = run_data(&args, &builtin_env()).await;
    assert_eq!(run.code, 4, "{}", run.all());
    run.assert_shows(
        "test read/valid-call ... inconclusive (still 429 after 2 attempts (--retries 1)",
    );
    run.assert_shows("test result: inconclusive. 0 passed; 0 failed; 1 inconclusive;");
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
    let report = common::checked_report(&json);
    let valid = case(&report, "read/valid-call");
    assert_eq!(valid["status"], "inconclusive");
    assert_eq!(valid["reasons"][0]["check"], "throttled");
    assert_eq!(valid["attempts"].as_array().unwrap().len(), 2);

    // A Retry-After over the cap ends the retries at once.
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(throttled("120"))
        .mount(&server)
        .await;
    let run = run_data(&["--base-url", &server.uri(), "read/"], &builtin_env()).await;
    assert_eq!(run.code, 4, "{}", run.all());
    run.assert_shows("Retry-After asked for 120s, over --max-wait 30s");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

/// Throttles the permitted token's requests; answers 500 to requests without a token.
fn throttles_reads_and_breaks_the_rest(request: &Request, answer: MockAnswer) -> MockAnswer {
    let token = builtin_token("token");
    let read = request
        .headers
        .get("x-auth-token")
        .is_some_and(|v| v.as_bytes() == token.as_bytes());
    let mut answer = answer;
    if read {
        answer.status = 429;
        answer.body = THROTTLED.as_bytes().to_vec();
    } else {
        answer.status = 500;
    }
    answer
}

#[tokio::test]
async fn an_inconclusive_case_beside_a_failed_one_exits_101() {
    let server = common::stub(throttles_reads_and_breaks_the_rest).await;
    let args = [
        "--base-url",
        &server.uri(),
        "--retries",
        "0",
        "read/",
        "auth/missing",
    ];
    let run = run_data(&args, &builtin_env()).await;
    assert_eq!(run.code, 101, "{}", run.all());
    run.assert_shows("test auth/missing-token ... FAILED");
    run.assert_shows("test read/valid-call ... inconclusive");
}

#[tokio::test]
async fn a_connection_reset_before_the_answer_is_retried_and_a_complete_answer_is_not() {
    let connections = Arc::new(Mutex::new(0));
    let counted = Arc::clone(&connections);
    let url = hostile::raw_server(move |mut stream| {
        let first = {
            let mut count = counted.lock().unwrap();
            *count += 1;
            *count == 1
        };
        async move {
            if first {
                hostile::read_head(&mut stream).await;
                let _ = stream.set_zero_linger();
                return;
            }
            let body = br#"{"task_id":"d7fa81b9-c174-4c0a-a475-51a54c8af8a4","passphrase":"Mk9#vT2q!Lr7wX4z"}"#;
            hostile::answer(&mut stream, &hostile::json_head("200 OK"), body).await;
            let _ = stream.shutdown().await;
        }
    })
    .await;
    let run = run_data(&["--base-url", &url, "read/"], &builtin_env()).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test read/valid-call ... ok (flaky: passed on attempt 2 of 2 (1: the connection was dropped before an answer");
    assert_eq!(*connections.lock().unwrap(), 2);

    // A reset after part of the answer is a failure, sent once.
    let url = hostile::raw_server(hostile::resets_mid_body).await;
    let run = run_data(&["--base-url", &url, "read/"], &builtin_env()).await;
    assert_eq!(run.code, 101, "{}", run.all());
    assert!(!run.stdout.contains("tries:"), "{}", run.stdout);
}

#[tokio::test]
async fn requests_keep_to_the_rate() {
    let arrivals = Arc::new(Mutex::new(Vec::<Instant>::new()));
    let seen = Arc::clone(&arrivals);
    let url = hostile::raw_server(move |mut stream| {
        let seen = Arc::clone(&seen);
        async move {
            hostile::read_head(&mut stream).await;
            seen.lock().unwrap().push(Instant::now());
            let head = hostile::json_head("404 Not Found");
            let _ = stream
                .write_all(
                    format!("{head}\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{{}}")
                        .as_bytes(),
                )
                .await;
        }
    })
    .await;
    let run = run_data(
        &["--base-url", &url, "--rate", "4", "--test-threads", "8"],
        &builtin_env(),
    )
    .await;
    let arrivals = arrivals.lock().unwrap().clone();
    assert!(arrivals.len() >= 3, "{}", run.all());
    let span = *arrivals.last().unwrap() - arrivals[0];
    let least = Duration::from_secs_f64((arrivals.len() - 1) as f64 / 4.0 * 0.9);
    assert!(
        span >= least,
        "{} requests in {span:?} at --rate 4",
        arrivals.len()
    );
}

#[tokio::test]
async fn progress_shows_on_stderr_when_asked_and_never_into_a_pipe_by_default() {
    let always = run_data(&["--progress", "always", "read/"], &[]).await;
    assert_eq!(always.code, 0, "{}", always.all());
    assert!(
        always.stderr.contains("/1 cases, 0 failed"),
        "{}",
        always.stderr
    );
    for args in [&["read/"][..], &["--progress", "never", "read/"]] {
        let quiet = run_data(args, &[]).await;
        assert!(
            !quiet.stderr.contains("cases"),
            "{args:?}: {}",
            quiet.stderr
        );
    }
}

/// While a run waits on the endpoint, a bar that is not drawn has no thread ticking it: the
/// fewest threads the run holds over a while (a helper still ending, such as the meta-schema
/// warm-up, is not counted; a ticker, which lasts the run, is) is the one that waits, unless
/// the bar is drawn.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn a_hidden_progress_bar_starts_no_thread() {
    for (progress, threads) in [("never", 1), ("auto", 1), ("always", 2)] {
        let dir = tempfile::tempdir().unwrap();
        let (mut child, _) = hanging_run(dir.path(), "60s", &["--progress", progress]).await;
        let pid = child.id().expect("the run is waiting");
        let mut fewest = usize::MAX;
        for _ in 0..20 {
            let now = std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, Iterator::count);
            fewest = fewest.min(now);
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        child.kill().await.unwrap();
        assert_eq!(fewest, threads, "--progress {progress}");
    }
}

#[tokio::test]
async fn the_markdown_summary_is_appended_to_the_github_step_summary_and_written_on_demand() {
    let server = common::stub(common::long_passphrase).await;
    let dir = tempfile::tempdir().unwrap();
    let step = dir.path().join("step-summary.md");
    std::fs::write(&step, "earlier step\n").unwrap();
    let markdown = dir.path().join("summary.md");
    let mut env = builtin_env();
    env.push(("GITHUB_STEP_SUMMARY", step.to_str().unwrap().to_owned()));
    let args = [
        "--base-url",
        &server.uri(),
        "--summary-md",
        markdown.to_str().unwrap(),
    ];
    let run = run_data(&args, &env).await;
    assert_eq!(run.code, 101, "{}", run.all());
    let appended = std::fs::read_to_string(&step).unwrap();
    let written = std::fs::read_to_string(&markdown).unwrap();
    assert!(
        appended.starts_with("earlier step\n## sms-conformance: failed"),
        "{appended}"
    );
    assert!(appended.ends_with(&written), "{appended}");
    assert!(written.contains("| passed | failed |"), "{written}");
    assert!(
        written.contains(
            "| `read/valid-call` | failed | /passphrase: value is longer than 255 characters"
        ),
        "{written}"
    );
    for secret in [builtin_token("token"), common::LONG_PASSPHRASE.to_owned()] {
        assert!(!written.contains(&secret[..20]), "{written}");
    }
}

/// Starts the binary, with `more` arguments, against a server that never answers; returns it
/// once a request arrived, and the JSON report's path.
async fn hanging_run(
    dir: &std::path::Path,
    timeout: &str,
    more: &[&str],
) -> (tokio::process::Child, std::path::PathBuf) {
    let (arrived, mut first) = tokio::sync::mpsc::unbounded_channel();
    let url = hostile::raw_server(move |mut stream| {
        let arrived = arrived.clone();
        async move {
            hostile::read_head(&mut stream).await;
            let _ = arrived.send(());
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    })
    .await;
    let json = dir.join("report.json");
    let cases = common::data_cases();
    let mut args = vec![
        "--cases",
        cases.to_str().unwrap(),
        "--base-url",
        &url,
        "--timeout",
        timeout,
        "--test-threads",
        "1",
        "--report-json",
        json.to_str().unwrap(),
    ];
    args.extend(more);
    let child = command(&args, &builtin_env())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    tokio::time::timeout(Duration::from_secs(30), first.recv())
        .await
        .expect("a request arrives");
    (child, json)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signal_stops_the_run_prints_the_outcomes_so_far_and_writes_the_reports() {
    for (sent, name, code) in [("INT", "SIGINT", 130), ("TERM", "SIGTERM", 143)] {
        let dir = tempfile::tempdir().unwrap();
        let (child, json) = hanging_run(dir.path(), "2s", &[]).await;
        signal(&child, sent);
        let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
            .await
            .expect("the run ends within the timeout")
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(code), "{stdout}");
        assert!(stdout.contains("test result: interrupted."), "{stdout}");
        assert!(
            stdout.contains(&format!("note: interrupted by {name}")),
            "{stdout}"
        );
        let report = common::checked_report(&json);
        assert_eq!(report["interrupted"], name);
        assert!(
            report["summary"]["not_run"].as_u64().unwrap() > 0,
            "{report}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_signal_exits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (child, _) = hanging_run(dir.path(), "120s", &[]).await;
    signal(&child, "INT");
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&child, "INT");
    let output = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("a second Ctrl-C does not wait for the 120 s timeout")
        .unwrap();
    assert_eq!(output.status.code(), Some(130));
}

/// The output is gathered and written in large pieces, but the target is said before the
/// run, which may take long: with the request hanging, its line has come.
#[tokio::test(flavor = "multi_thread")]
async fn the_target_is_said_while_the_run_is_still_going() {
    use tokio::io::AsyncBufReadExt;
    let dir = tempfile::tempdir().unwrap();
    let (mut child, _) = hanging_run(dir.path(), "120s", &[]).await;
    let mut stdout = tokio::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    let read = tokio::time::timeout(Duration::from_secs(10), stdout.read_line(&mut line)).await;
    child.kill().await.unwrap();
    read.expect("a line comes while the request hangs").unwrap();
    assert!(line.starts_with("target: "), "{line}");
}

//! Reports for CI and the one redaction point: JUnit that a parser reads, JSON that its
//! schema accepts, atomic replacement, exit codes, colour conventions, `--verbose` and
//! `--dry-run`, and no secret (nor any derived form of one) anywhere in any output.

use crate::common;

use base64::Engine;
use common::binary::{Run, builtin_env, run_data, run_with_every_output};
use common::{edit_json, faithful, stub};
use quick_xml::events::Event;
use serde_json::{Value as Json, json};
use sms_conformance::mock::Fixture;
use sms_conformance::mock::MockAnswer;
use wiremock::Request;

/// One `<testcase>` as a JUnit reader sees it.
#[derive(Debug, Default)]
struct JunitCase {
    name: String,
    classname: String,
    time: f64,
    failure: Option<String>,
    skipped: Option<String>,
}

/// Parses JUnit XML the way CI reporters do: `testsuites > testsuite > testcase`, with
/// `failure` and `skipped` children.
fn parse_junit(xml: &str) -> (usize, Vec<JunitCase>) {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<JunitCase> = Vec::new();
    let mut declared_tests = 0;
    let mut open = Vec::new();
    loop {
        let event = reader.read_event().expect("well-formed XML");
        let (element, empty) = match &event {
            Event::Start(e) => (Some(e.clone()), false),
            Event::Empty(e) => (Some(e.clone()), true),
            Event::End(_) => {
                open.pop();
                (None, false)
            }
            Event::Eof => break,
            _ => (None, false),
        };
        let Some(element) = element else { continue };
        let name = String::from_utf8(element.name().as_ref().to_vec()).unwrap();
        let attribute = |key: &str| {
            element
                .attributes()
                .map(Result::unwrap)
                .find(|a| a.key.as_ref() == key.as_bytes())
                .map(|a| {
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .unwrap()
                        .into_owned()
                })
        };
        match name.as_str() {
            "testsuites" => declared_tests = attribute("tests").unwrap().parse().unwrap(),
            "testcase" => cases.push(JunitCase {
                name: attribute("name").unwrap(),
                classname: attribute("classname").unwrap(),
                time: attribute("time").unwrap().parse().unwrap(),
                ..JunitCase::default()
            }),
            "failure" => {
                cases.last_mut().unwrap().failure = Some(attribute("message").unwrap_or_default())
            }
            "skipped" => {
                cases.last_mut().unwrap().skipped = Some(attribute("message").unwrap_or_default())
            }
            _ => {}
        }
        if !empty {
            open.push(name);
        }
    }
    assert!(open.is_empty(), "unclosed elements: {open:?}");
    (declared_tests, cases)
}

/// The entry of case `id` in a JSON report.
fn case_in<'a>(report: &'a Json, id: &str) -> &'a Json {
    let cases = report["cases"].as_array().expect("cases");
    cases
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in the report"))
}

#[tokio::test]
async fn a_passing_run_writes_junit_and_json_that_readers_accept() {
    let dir = tempfile::tempdir().unwrap();
    let (junit, json_path) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let output = run_data(
        &[
            "--junit",
            junit.to_str().unwrap(),
            "--report-json",
            json_path.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(output.code, 0, "{}", output.stderr);
    let cases = common::load_cases(&common::data_cases()).unwrap();

    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains(r#"<property name="target.kind" value="embedded"/>"#)
            && xml.contains(
                r#"<property name="target.label" value="embedded mock (built-in fixture)"/>"#
            ),
        "{xml}"
    );
    let (declared, parsed) = parse_junit(&xml);
    assert_eq!(declared, cases.len());
    assert_eq!(parsed.len(), cases.len());
    let valid_call = parsed.iter().find(|c| c.name == "read/valid-call").unwrap();
    assert_eq!(valid_call.classname, "read");
    assert!(valid_call.failure.is_none() && valid_call.skipped.is_none());
    assert!(parsed.iter().all(|c| c.time >= 0.0));

    let report = common::checked_report(&json_path);
    assert_eq!(
        report["summary"],
        json!({"passed": cases.len(), "failed": 0, "ignored": 0, "contradicted": 0,
               "inconclusive": 0, "flaky": 0, "not_run": 0})
    );
    assert_eq!(report["target"]["kind"], "embedded");
    assert_eq!(
        report["target"]["label"],
        "embedded mock (built-in fixture)"
    );
    // On Linux the embedded mock listens on a Unix socket: the URL names no host to reach.
    let url = report["target"]["url"].as_str().unwrap();
    if cfg!(any(target_os = "linux", target_os = "android")) {
        assert_eq!(url, "http://embedded-mock.invalid");
    } else {
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    }
    let valid = case_in(&report, "read/valid-call");
    assert_eq!(valid["response_status"], 200);
    assert_eq!(valid["request"]["method"], "GET");
}

#[tokio::test]
async fn a_failing_run_reports_failures_ignored_cases_and_reasons() {
    let server = stub(common::long_passphrase).await;
    let dir = tempfile::tempdir().unwrap();
    let (junit, json_path) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let mut env = builtin_env();
    env.retain(|(name, _)| *name != "SMS_FORBIDDEN_TOKEN");
    let url = server
        .uri()
        .replace("http://", "http://user:url-secret-pw@");
    let args = [
        "--base-url",
        &url,
        "--junit",
        junit.to_str().unwrap(),
        "--report-json",
        json_path.to_str().unwrap(),
    ];
    let output = run_data(&args, &env).await;
    assert_eq!(output.code, 101);
    assert!(!output.all().contains("url-secret-pw"), "{}", output.all());

    let (_, parsed) = parse_junit(&std::fs::read_to_string(&junit).unwrap());
    let failed = parsed.iter().find(|c| c.name == "read/valid-call").unwrap();
    assert!(
        failed
            .failure
            .as_deref()
            .unwrap()
            .contains("/passphrase: value is longer than 255 characters"),
        "{failed:?}"
    );
    let skipped = parsed
        .iter()
        .find(|c| c.name == "auth/forbidden-token")
        .unwrap();
    assert!(
        skipped
            .skipped
            .as_deref()
            .unwrap()
            .contains("the target provides no forbidden_token"),
        "{skipped:?}"
    );

    let report = common::checked_report(&json_path);
    assert_eq!(report["target"]["kind"], "live");
    assert!(
        !report["target"].to_string().contains("url-secret-pw"),
        "{}",
        report["target"]
    );
    let case = case_in(&report, "read/valid-call");
    assert_eq!(case["status"], "failed");
    assert!(
        case["file"]
            .as_str()
            .unwrap()
            .ends_with("tests/data/cases/read/valid-call.yaml"),
        "{case}"
    );
    let reason = case["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["check"] == "schema")
        .unwrap();
    assert_eq!(
        (reason["pointer"].as_str(), reason["keyword"].as_str()),
        (Some("/passphrase"), Some("maxLength"))
    );
    let ignored = case_in(&report, "auth/forbidden-token");
    assert_eq!(ignored["status"], "ignored");
}

#[tokio::test]
async fn an_existing_report_is_replaced_whole_and_nothing_else_is_left() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    std::fs::write(&junit, "old contents").unwrap();
    let output = run_data(&["--junit", junit.to_str().unwrap(), "read/"], &[]).await;
    assert_eq!(output.code, 0);
    let (_, parsed) = parse_junit(&std::fs::read_to_string(&junit).unwrap());
    assert_eq!(parsed.len(), 1);
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(entries, ["junit.xml"]);
}

#[tokio::test]
async fn an_unreachable_target_exits_3() {
    let output = run_data(
        &["--base-url", &common::hostile::refusing_url()],
        &builtin_env(),
    )
    .await;
    assert_eq!(output.code, 3, "{}", output.stdout);
}

#[tokio::test]
async fn colour_follows_the_conventions() {
    let has_ansi = |output: &Run| output.stdout.contains('\x1b');
    assert!(
        !has_ansi(&run_data(&["read/"], &[]).await),
        "colour on a pipe"
    );
    assert!(
        has_ansi(&run_data(&["read/"], &[("CLICOLOR_FORCE", "1".into())]).await),
        "CLICOLOR_FORCE shows colour"
    );
    let forced_off = run_data(
        &["read/"],
        &[("CLICOLOR_FORCE", "1".into()), ("NO_COLOR", "1".into())],
    )
    .await;
    assert!(!has_ansi(&forced_off), "NO_COLOR must win");
}

#[tokio::test]
async fn dry_run_prints_the_requests_masked_and_sends_nothing() {
    let server = stub(faithful).await;
    let output = run_data(
        &["--base-url", &server.uri(), "--dry-run", "auth/"],
        &builtin_env(),
    )
    .await;
    assert_eq!(output.code, 0);
    let stdout = output.stdout.clone();
    assert!(stdout.contains("case: auth/missing-token"), "{stdout}");
    assert!(stdout.contains("X-Auth-Token: ********"), "{stdout}");
    assert!(
        !stdout.contains(&common::builtin_token("token")),
        "{stdout}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

/// Every answer carries the secrets back in forms a careless server would: the token echoed
/// plain, percent-encoded and base64-encoded in the message and a header, and the passphrase
/// in a field where it does not belong. Errors get status 418 so that every case fails.
fn leaky(request: &Request, answer: MockAnswer) -> MockAnswer {
    let token = request
        .headers
        .get("x-auth-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let passphrase = Fixture::builtin().tasks[0].passphrase.clone();
    let encoded = percent_encoding::utf8_percent_encode(&token, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let base64 = base64::engine::general_purpose::STANDARD.encode(format!("Bearer {token}"));
    let status = answer.status;
    let mut answer = edit_json(answer, |body| {
        body["error_msg"] = json!(format!("token {token} / {encoded} / {base64} was used"));
        body["hint"] = json!(format!("passphrase is {passphrase}"));
    });
    if status != 200 {
        answer.status = 418;
    }
    answer.headers.push(("X-Echo-Token", token.into()));
    answer.headers.push(("X-Echo-Base64", base64.into()));
    answer
}

#[tokio::test]
async fn no_secret_in_any_form_reaches_any_output() {
    let server = stub(leaky).await;
    let outputs = run_with_every_output(
        &[
            "--cases",
            common::data_cases().to_str().unwrap(),
            "--base-url",
            &server.uri(),
        ],
        &builtin_env(),
    )
    .await;
    assert_eq!(outputs.run.code, 101);
    assert!(
        outputs.get("stderr").contains("=== read/valid-call"),
        "--verbose prints exchanges: {}",
        outputs.get("stderr")
    );
    let fixture = Fixture::builtin();
    let secrets = [
        common::builtin_token("token"),
        common::builtin_token("forbidden_token"),
        fixture.tasks[0].passphrase.clone(),
    ];
    let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let leaks = common::leaks(&outputs.named, &secrets);
    assert!(leaks.is_empty(), "{leaks:#?}");
    let stdout = outputs.get("stdout");
    assert!(
        stdout.contains("hint") && stdout.contains("passphrase is ********"),
        "{stdout}"
    );
}

#[test]
fn the_report_schema_names_every_check_and_no_other() {
    let schema: Json = serde_json::from_slice(
        &std::fs::read(common::root().join("schemas/report/report.schema.json")).unwrap(),
    )
    .unwrap();
    let listed = &schema["$defs"]["reason"]["properties"]["check"]["enum"];
    let checks: Vec<Json> = sms_conformance::Check::ALL
        .iter()
        .map(|check| serde_json::to_value(check).unwrap())
        .collect();
    assert_eq!(*listed, Json::Array(checks));
}

#[cfg(unix)]
#[tokio::test]
async fn a_replaced_report_keeps_its_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    std::fs::write(&junit, "old contents").unwrap();
    std::fs::set_permissions(&junit, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = run_data(&["--junit", junit.to_str().unwrap(), "read/"], &[]).await;
    assert_eq!(output.code, 0, "{}", output.all());
    let mode = std::fs::metadata(&junit).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

/// With the file size limit at 0 (and SIGXFSZ ignored, so that a write over it fails
/// with EFBIG), a report cannot be written whole: the run says so, exits 2, and leaves no
/// temporary file behind.
#[cfg(unix)]
#[tokio::test]
async fn a_report_that_cannot_be_written_whole_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let junit = dir.path().join("junit.xml");
    let script = format!(
        "trap '' XFSZ; ulimit -f 0; exec \"$BIN\" --cases '{}' --junit '{}'",
        common::data_cases().display(),
        junit.display()
    );
    let output = common::binary::bash(&script).output().await.unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("cannot write"), "{stderr}");
    let entries: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(entries.is_empty(), "{entries:?}");
}

/// A report whose path is not a regular file is written into it, never replaced: as root, a
/// rename over `/dev/null` or `/dev/stdout` would have replaced the device itself. A FIFO
/// stands in for them here (the same branch, without touching the machine's devices).
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_report_to_a_pipe_is_written_into_it_and_the_pipe_stays() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    common::fifo(&fifo);
    // The reading end, open before the run (without waiting for a writer): the report fits
    // in the pipe's buffer, and is read once the run has ended.
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    const O_NONBLOCK: i32 = 0o4000;
    let mut reading = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(O_NONBLOCK)
        .open(&fifo)
        .unwrap();
    let output = run_data(&["--report-json", fifo.to_str().unwrap(), "read/"], &[]).await;
    assert_eq!(output.code, 0, "{}", output.all());
    let mut text = String::new();
    reading.read_to_string(&mut text).unwrap();
    let report: Json = serde_json::from_str(&text).unwrap();
    assert_eq!(report["summary"]["passed"], 1, "{report:#}");
    use std::os::unix::fs::FileTypeExt;
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

/// A pipe nothing reads would block the opening forever: the run says so and exits 2.
#[cfg(unix)]
#[tokio::test]
async fn a_report_to_a_pipe_nothing_reads_is_an_error_not_a_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    common::fifo(&fifo);
    let args = ["--report-json", fifo.to_str().unwrap(), "read/"];
    common::binary::refused_at_once(&args, &[], "a pipe (FIFO) that nothing reads").await;
}

/// A report path that is a link is written where the link points; the link stays.
#[cfg(unix)]
#[tokio::test]
async fn a_report_through_a_link_replaces_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let real = dir.path().join("real.json");
    std::fs::write(&real, "old contents").unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let output = run_data(&["--report-json", link.to_str().unwrap(), "read/"], &[]).await;
    assert_eq!(output.code, 0, "{}", output.all());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let report: Json = serde_json::from_str(&std::fs::read_to_string(&real).unwrap()).unwrap();
    assert_eq!(report["summary"]["passed"], 1, "{report:#}");
}

/// `--report-json /dev/stdout` with the output appended to a log: the report is added to the
/// log, never renamed over it (which took the log's earlier lines and the run's own output).
#[cfg(unix)]
#[tokio::test]
async fn a_report_to_dev_stdout_is_added_to_the_log_the_output_goes_to() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.txt");
    std::fs::write(&log, "an earlier line\n").unwrap();
    let script = format!(
        "exec \"$BIN\" --cases '{}' --report-json /dev/stdout read/ >> '{}'",
        common::data_cases().display(),
        log.display()
    );
    let status = common::binary::bash(&script).status().await.unwrap();
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.starts_with("an earlier line\n"), "{text}");
    assert!(text.contains("test read/valid-call ... ok"), "{text}");
    assert!(text.contains("\"format_version\""), "{text}");
}

/// A report path that is a link to no file yet makes the file the link names; the link stays.
#[cfg(unix)]
#[tokio::test]
async fn a_report_through_a_dangling_link_makes_the_file_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink("real.json", &link).unwrap();
    let output = run_data(&["--report-json", link.to_str().unwrap(), "read/"], &[]).await;
    assert_eq!(output.code, 0, "{}", output.all());
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let written = std::fs::read_to_string(dir.path().join("real.json")).unwrap();
    assert!(written.contains("\"format_version\""), "{written}");
}

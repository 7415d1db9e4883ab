//! Never green by accident, never red on a guess: a run says what it ran against, refuses
//! settings that do not name one target fully, and reports a live endpoint that reads an
//! assumption another way as news (contradicted), not as a failure, unless `--strict`.

use crate::common;

use common::binary::{builtin_env, run_data};
use common::stub;
use serde_json::Value as Json;
use sms_conformance::mock::{self, Fixture, MockAnswer};
use wiremock::Request;

/// The built-in fixture's live settings, without `SMS_ENDPOINT`.
fn live_settings() -> Vec<(&'static str, String)> {
    builtin_env()
}

#[tokio::test]
async fn a_misspelled_endpoint_with_live_settings_is_refused_and_named() {
    let server = stub(common::faithful).await;
    let mut env = live_settings();
    env.push(("SMS_BASE_URL", server.uri()));
    let output = run_data(&[], &env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("warning: SMS_BASE_URL is set, but sms-conformance does not read it; did you mean SMS_ENDPOINT?"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("live settings are given")
            && output.stderr.contains("SMS_TOKEN or --token-file")
            && output.stderr.contains("set SMS_ENDPOINT"),
        "{}",
        output.stderr
    );
    assert!(output.stdout.is_empty(), "{}", output.stdout);
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn a_live_endpoint_without_its_token_and_task_id_is_refused_naming_each() {
    let server = stub(common::faithful).await;
    let output = run_data(&[], &[("SMS_ENDPOINT", server.uri())]).await;
    assert_eq!(output.code, 2, "{}", output.all());
    for setting in [
        "the task id (SMS_TASK_ID or --task-id)",
        "the token (SMS_TOKEN or --token-file, or SMS_IAM_USER to ask IAM for it)",
    ] {
        assert!(
            output.stderr.contains(setting),
            "{setting}: {}",
            output.stderr
        );
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    let mut env = vec![("SMS_ENDPOINT", server.uri())];
    env.push(("SMS_TASK_ID", "t".to_owned()));
    let output = run_data(&[], &env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(!output.stderr.contains("the task id"), "{}", output.stderr);
    assert!(
        output.stderr.contains("the token (SMS_TOKEN"),
        "{}",
        output.stderr
    );
}

/// A blank token is a mistake, not "no token": it would leave every case that needs one
/// ignored, and the run green.
#[tokio::test]
async fn a_blank_token_is_refused_not_taken_for_none() {
    let server = stub(common::faithful).await;
    let blank = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(blank.path(), "  \n").unwrap();
    let from_file = live_settings()
        .into_iter()
        .filter(|(name, _)| *name != "SMS_TOKEN")
        .collect::<Vec<_>>();
    let file = blank.path().to_str().unwrap();
    let uri = server.uri();
    let output = run_data(&["--base-url", &uri, "--token-file", file], &from_file).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output.stderr.contains(&format!("{file} holds nothing")),
        "{}",
        output.stderr
    );
    let mut from_env = from_file.clone();
    from_env.push(("SMS_TOKEN", " ".to_owned()));
    let output = run_data(&["--base-url", &uri], &from_env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output.stderr.contains("SMS_TOKEN is blank"),
        "{}",
        output.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

/// An empty task id, or two reports named to one file, are mistakes said before anything
/// is sent.
#[tokio::test]
async fn an_empty_task_id_or_one_file_for_two_reports_is_refused() {
    let server = stub(common::faithful).await;
    let uri = server.uri();
    let output = run_data(&["--base-url", &uri, "--task-id", ""], &live_settings()).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("the task id (--task-id or SMS_TASK_ID) is empty"),
        "{}",
        output.stderr
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report");
    let file = file.to_str().unwrap();
    let output = run_data(&["--junit", file, "--report-json", file], &[]).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("--junit and --report-json name the same file"),
        "{}",
        output.stderr
    );
    // The same file written another way, and GitHub's step summary, are caught too.
    let dotted = dir.path().join(".").join("report");
    let dotted = dotted.to_str().unwrap();
    let output = run_data(&["--junit", file, "--summary-md", dotted], &[]).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("--junit and --summary-md name the same file"),
        "{}",
        output.stderr
    );
    let summary = [("GITHUB_STEP_SUMMARY", file.to_owned())];
    let output = run_data(&["--report-json", file], &summary).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("--report-json and GITHUB_STEP_SUMMARY name the same file"),
        "{}",
        output.stderr
    );
    assert!(!std::path::Path::new(file).exists());
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

/// A run, or a comparison, that selects nothing tested nothing: exit 2, not 0.
#[tokio::test]
async fn a_filter_that_selects_nothing_is_an_error() {
    let skipped = run_data(
        &["--exact", "--skip", "read/valid-call", "read/valid-call"],
        &[],
    )
    .await;
    assert_eq!(skipped.code, 2, "{}", skipped.all());
    assert!(
        skipped
            .stderr
            .contains("no case is left after the filters and --skip"),
        "{}",
        skipped.stderr
    );
    // No case is marked ignored: `--ignored` would run none.
    let ignored = run_data(&["--ignored"], &[]).await;
    assert_eq!(ignored.code, 2, "{}", ignored.all());
    assert!(
        ignored
            .stderr
            .contains("--ignored selects the cases marked ignored, and no case is"),
        "{}",
        ignored.stderr
    );
    // A mock's missing token is the fixture's to give, not a setting's.
    let fixture = tempfile::NamedTempFile::new().unwrap();
    let task = &mock::Fixture::builtin().tasks[0];
    std::fs::write(
        fixture.path(),
        format!(
            "tasks:\n  - {{id: {}, passphrase: a-passphrase}}\ntokens:\n  - {{name: token, value: a-token-value-1234, permitted: true}}\n",
            task.id
        ),
    )
    .unwrap();
    let without = run_data(&["--fixture", fixture.path().to_str().unwrap()], &[]).await;
    assert_eq!(without.code, 0, "{}", without.all());
    without.assert_shows("did not run: give the fixture a token named `forbidden_token` to run it");
    let output = run_data(&["no-such-case"], &[]).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output
            .stderr
            .contains("no case matches the filter `no-such-case`"),
        "{}",
        output.stderr
    );
    let server = stub(common::faithful).await;
    let mut env = live_settings();
    env.push(("SMS_ENDPOINT", server.uri()));
    let cases = common::data_cases();
    let diff = ["diff", "--cases", cases.to_str().unwrap(), "no-such-case"];
    let output = common::binary::run(&diff, &env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output.stderr.contains("no request case matches"),
        "{}",
        output.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

#[tokio::test]
async fn an_endpoint_without_a_scheme_names_the_setting_it_came_from() {
    let mut env = live_settings();
    env.push(("SMS_ENDPOINT", "user:hidden-pw@sms.example:8443".to_owned()));
    let output = run_data(&[], &env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    assert!(
        output.stderr.contains(
            "SMS_ENDPOINT has no scheme; did you mean SMS_ENDPOINT=https://sms.example:8443?"
        ),
        "{}",
        output.stderr
    );
    assert!(!output.all().contains("hidden-pw"), "{}", output.all());
    let output = run_data(&["--base-url", "127.0.0.1:9"], &live_settings()).await;
    assert!(
        output
            .stderr
            .contains("--base-url has no scheme; did you mean --base-url=https://127.0.0.1:9?"),
        "{}",
        output.stderr
    );
}

#[tokio::test]
async fn the_first_line_names_the_target() {
    let output = run_data(&["read/"], &[]).await;
    assert!(
        output
            .stdout
            .starts_with("target: embedded mock (built-in fixture)\n"),
        "{}",
        output.stdout
    );
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("mine.yaml");
    std::fs::write(&fixture, mock::DEFAULT_FIXTURE).unwrap();
    let output = run_data(&["--fixture", fixture.to_str().unwrap(), "read/"], &[]).await;
    let expected = format!("target: embedded mock (fixture {})\n", fixture.display());
    assert!(output.stdout.starts_with(&expected), "{}", output.stdout);

    let server = stub(common::faithful).await;
    let url = server.uri().replace("http://", "http://user:line-pw@");
    let output = run_data(
        &["--base-url", &url, "--dry-run", "read/"],
        &live_settings(),
    )
    .await;
    let expected = format!("target: {} (live)\n", server.uri());
    assert!(output.stdout.starts_with(&expected), "{}", output.stdout);
    assert!(!output.all().contains("line-pw"), "{}", output.all());
}

#[tokio::test]
async fn without_the_forbidden_token_the_summary_says_what_did_not_run_and_how_to_run_it() {
    let server = stub(common::faithful).await;
    let mut env = live_settings();
    env.retain(|(name, _)| *name != "SMS_FORBIDDEN_TOKEN");
    let output = run_data(&["--base-url", &server.uri()], &env).await;
    assert_eq!(output.code, 0, "{}", output.all());
    let forbidden_cases = common::load_cases(&common::data_cases())
        .unwrap()
        .iter()
        .filter(|c| c.needs.contains(&sms_conformance::Variable::ForbiddenToken))
        .count();
    output.assert_shows(&format!(
        "note: {forbidden_cases} case{} did not run: set SMS_FORBIDDEN_TOKEN or --forbidden-token-file",
        if forbidden_cases == 1 { "" } else { "s" }
    ));
}

/// A run whose every selected case lacked a setting tested nothing: exit 2, not 0, with the
/// note that says what to give.
#[tokio::test]
async fn a_run_whose_every_case_was_ignored_is_exit_2() {
    let server = stub(common::faithful).await;
    let mut env = live_settings();
    env.retain(|(name, _)| *name != "SMS_FORBIDDEN_TOKEN");
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    let args = [
        "--base-url",
        &server.uri(),
        "--summary-md",
        summary.to_str().unwrap(),
        "auth/forbidden-token",
    ];
    let output = run_data(&args, &env).await;
    assert_eq!(output.code, 2, "{}", output.all());
    output.assert_shows("0 passed; 0 failed; 1 ignored");
    output.assert_shows(
        "note: 1 case did not run: set SMS_FORBIDDEN_TOKEN or --forbidden-token-file",
    );
    output.assert_shows("note: nothing was tested: every selected case lacked a setting (exit 2)");
    assert!(server.received_requests().await.unwrap().is_empty());
    // The job summary a CI page shows says so too, not "passed".
    let summary = std::fs::read_to_string(summary).unwrap();
    assert!(
        summary.starts_with(
            "## sms-conformance: nothing tested (every selected case lacked a setting)\n"
        ),
        "{summary}"
    );
}

/// An independent reading of one undocumented point: of two `X-Auth-Token` headers, the
/// first one wins. Everything documented is answered as the page and the gateway facts say.
fn first_token_wins(request: &Request, answer: MockAnswer) -> MockAnswer {
    let tokens: Vec<_> = request.headers.get_all("x-auth-token").iter().collect();
    let [first, _, ..] = tokens.as_slice() else {
        return answer;
    };
    let mut headers = http::HeaderMap::new();
    headers.insert("x-auth-token", (*first).clone());
    let target = common::target(&request.url);
    mock::answer(
        &Fixture::builtin(),
        &request.method,
        &target,
        &headers,
        &request.body,
        "r",
    )
}

#[tokio::test]
async fn a_server_reading_an_assumption_another_way_is_news_unless_strict() {
    let server = stub(first_token_wins).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let args = [
        "--base-url",
        &server.uri(),
        "--report-json",
        report.to_str().unwrap(),
    ];
    let output = run_data(&args, &live_settings()).await;
    assert_eq!(output.code, 0, "{}", output.all());
    output.assert_shows(
        "test auth/two-tokens ... ignored (contradicts assumption `two-tokens`: status 200, expected 400",
    );
    output
        .assert_shows("note: 1 assumption contradicted: two-tokens (see schemas/assumptions.yaml;");
    let json: Json = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(
        json["contradicted_assumptions"],
        serde_json::json!(["two-tokens"])
    );
    assert_eq!(json["summary"]["failed"], 0);
    assert_eq!(json["settings_unproven"], false);
    let case = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "auth/two-tokens")
        .unwrap();
    assert_eq!(case["status"], "contradicted");

    let strict = run_data(&["--base-url", &server.uri(), "--strict"], &live_settings()).await;
    assert_eq!(strict.code, 101, "{}", strict.all());
    strict.assert_shows("test auth/two-tokens ... FAILED");
    strict.assert_shows("note: this contradicts assumption `two-tokens` of the ledger");
}

/// A contradiction is news only when the run shows its settings work: with a token the
/// endpoint refuses, every answer differs from what the cases expect, and a run that left
/// out `read/valid-call` would call that news and exit 0. Without a single 2xx to the
/// token, the run is inconclusive (exit 4), and says why.
#[tokio::test]
async fn contradictions_without_one_answer_to_the_token_are_inconclusive() {
    let server = stub(first_token_wins).await;
    let uri = server.uri();
    let mut wrong = live_settings();
    for (name, value) in &mut wrong {
        if *name == "SMS_TOKEN" {
            *value = "a-token-the-endpoint-refuses".to_owned();
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let (report, summary) = (dir.path().join("r.json"), dir.path().join("s.md"));
    let args = [
        "--base-url",
        &uri,
        "--report-json",
        report.to_str().unwrap(),
        "--summary-md",
        summary.to_str().unwrap(),
        "auth/",
    ];
    let output = run_data(&args, &wrong).await;
    assert_eq!(output.code, 4, "{}", output.all());
    let json: Json = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["settings_unproven"], true);
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.starts_with("## sms-conformance: inconclusive")
            && markdown.contains("may be wrong settings"),
        "{markdown}"
    );
    output.assert_shows(
        "test auth/two-tokens ... ignored (contradicts assumption `two-tokens`: status 401",
    );
    output.assert_shows(
        "note: no answer was a 2xx to a request with the permitted token, so the contradictions above may be wrong settings, not news",
    );
    output.assert_shows("test result: inconclusive.");
    // The same filter with the right token: the two-token answer is a 200 to it, news.
    let right = run_data(&["--base-url", &uri, "auth/"], &live_settings()).await;
    assert_eq!(right.code, 0, "{}", right.all());
    assert!(!right.stdout.contains("wrong settings"), "{}", right.stdout);
}

#[tokio::test]
async fn a_contract_failure_in_a_case_that_rests_on_an_assumption_still_fails() {
    // The two-token answer without X-Request-Id: the contract, never an assumption.
    let server = stub(|request, answer| {
        let mut answer = first_token_wins(request, answer);
        answer.headers.retain(|(name, _)| *name != "X-Request-Id");
        answer
    })
    .await;
    let output = run_data(
        &["--base-url", &server.uri(), "auth/two-tokens"],
        &live_settings(),
    )
    .await;
    assert_eq!(output.code, 101, "{}", output.all());
    output.assert_shows("test auth/two-tokens ... FAILED");
}

#[tokio::test]
async fn listing_the_cases_needs_no_target() {
    let output = run_data(&["--list"], &[("SMS_TOKEN", "x".to_owned())]).await;
    assert_eq!(output.code, 0, "{}", output.all());
    output.assert_shows("read/valid-call: test");
}

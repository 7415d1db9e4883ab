//! `sms-conformance proxy` as a real child process on loopback, between the binary's run mode
//! (or raw clients) and an upstream: the faithful mock (every case of the shipped suite
//! passes through it, nothing is logged), each unfaithful variant of the catalogue (logged
//! exactly when the contract alone can see its break), `--fail-fast`, failing upstreams,
//! bodies over the cap, a leaking upstream, and the host it shares with the mock (the
//! connection cap, the header timeout, signals).

use crate::common;

use std::time::Duration;

use common::binary::{builtin_env, run};
use common::child::{
    PATIENCE, RawAnswer, SOON, Served, closed_by_the_server, exchange, half_a_head,
    permitted_request, read_answer, task_path, trickle_until_closed,
};
use common::hostile::{self, raw_server, refusing_url, request_head, send};
use common::variants::VARIANTS;
use common::{LONG_PASSPHRASE, faithful, stub, stub_with_delay};
use serde_json::{Value as Json, json};
use sms_conformance::{CaseKind, Check};
use tokio::io::AsyncWriteExt;
use tokio::time::sleep;

/// The prefix of every line the proxy logs about an exchange.
const VIOLATION: &str = "sms-conformance proxy: violation: ";
const UPSTREAM_FAILED: &str = "sms-conformance proxy: upstream failed: ";

/// The variants of the catalogue whose break the contract alone can see: a body against its
/// status's schema, a status the manifest lists, the media type, `X-Request-Id`. The others
/// answer within the contract, and only a case's own expectation (its status, a value in the
/// body) tells them from the faithful behaviour.
const CONTRACT_VISIBLE: &[&str] = &[
    "passphrase over 255 characters",
    "passphrase missing",
    "passphrase null",
    "passphrase a number",
    "task_id missing from the 200 body",
    "403 error_param empty",
    "403 error_param with 21 items",
    "403 error_param with a non-string item",
    "403 details with 21 items",
    "403 details item without error_code",
    "403 without error_code",
    "403 error_msg over 255 characters",
    "403 encoded_authorization_message over 65,535",
    "500 for a forbidden token",
    "200 served as text/plain",
    "no Content-Type at all",
    "a body that is not JSON",
    "302 redirect to itself",
    "no X-Request-Id",
    "gateway 401 without error_code",
    "gateway 401 with the service's error_param",
];

/// `proxy --upstream URL FLAGS`.
async fn start_proxy(upstream: &str, flags: &[&str]) -> Served {
    let args = [&["--upstream", upstream][..], flags].concat();
    Served::start("proxy", &args).await
}

/// A permitted request sent through `proxy` on a connection of its own, once `upstream` has
/// it: the exchange is in flight. The connection is returned, its answer unread.
async fn in_flight(proxy: &Served, upstream: &wiremock::MockServer) -> tokio::net::TcpStream {
    let mut stream = proxy.connect().await;
    stream
        .write_all(permitted_request().as_bytes())
        .await
        .unwrap();
    let received = tokio::time::timeout(PATIENCE, async {
        while upstream.received_requests().await.unwrap().is_empty() {
            sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(received.is_ok(), "the upstream received nothing");
    stream
}

/// The shipped suite run through `proxy` (the binary's run mode, the built-in fixture's
/// settings, no rate limit, no retry): its exit code and output.
async fn suite_through(proxy: &Served) -> common::binary::Run {
    let cases = common::cases_dir();
    let args = [
        "--cases",
        cases.to_str().unwrap(),
        "--base-url",
        &proxy.url(),
        "--rate",
        "100000",
        "--retries",
        "0",
    ];
    run(&args, &builtin_env()).await
}

/// The body of the proxy's own 502 with `code`, after checking that it has the gateway's
/// shape and that its request id is the header's.
#[track_caller]
fn proxys_502(answer: &RawAnswer, code: &str) -> Json {
    assert_eq!(answer.status, 502, "{answer:?}");
    let body = answer.json();
    let gateway = common::contract().validate("gateway-error", &body).unwrap();
    assert!(gateway.is_empty(), "{gateway:?}");
    assert_eq!(body["error_code"], code, "{body}");
    assert_eq!(body["request_id"], answer.header("x-request-id").unwrap());
    body
}

/// The lines of `stderr` about exchanges: violations and upstream failures.
fn logged(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with(VIOLATION) || line.starts_with(UPSTREAM_FAILED))
        .collect()
}

#[tokio::test]
async fn every_case_of_the_suite_passes_through_the_proxy_to_the_mock_and_nothing_is_logged() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let mock = Served::start("mock", &[]).await;
    let proxy = start_proxy(&mock.url(), &["--report-json", report.to_str().unwrap()]).await;
    let suite = suite_through(&proxy).await;
    assert_eq!(suite.code, 0, "{}", suite.all());
    let cases = common::load_cases(&common::cases_dir()).unwrap();
    suite.assert_shows(&format!(
        "test result: ok. {} passed; 0 failed; 0 ignored",
        cases.len()
    ));
    // IAM's token call goes through too, unchecked (it is not this contract's).
    let iam = common::http_client()
        .post(format!("{}/v3/auth/tokens", proxy.url()))
        .body(r#"{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"sms-reader","password":"x","domain":{"name":"mock-account"}}}},"scope":{"domain":{"name":"mock-account"}}}}"#)
        .send()
        .await
        .unwrap();
    // A wrong password is 401; a request whose body did not arrive would be 400.
    assert_eq!(iam.status(), 401, "IAM's answer, passed on");
    let (code, stderr) = proxy.stop().await;
    assert_eq!(logged(&stderr), Vec::<&str>::new(), "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
    let report = common::checked_against(&report, "proxy.schema.json");
    let requests = cases
        .iter()
        .filter(|case| matches!(case.kind, CaseKind::Request { .. }))
        .count();
    let summary = &report["summary"];
    assert_eq!(summary["checked"], requests, "{report:#}");
    assert_eq!(summary["exchanges"], requests + 1, "{report:#}");
    assert_eq!(summary["unchecked"], 1, "{report:#}");
    assert_eq!(summary["violations"], 0, "{report:#}");
    assert_eq!(report["exchanges"], Json::Array(Vec::new()), "{report:#}");
    assert_eq!(report["stopped_by"], "SIGTERM");
}

#[tokio::test]
async fn each_variant_the_contract_can_see_is_logged_and_no_other() {
    let mut caught = Vec::new();
    for (name, tweak) in VARIANTS {
        let upstream = stub(*tweak).await;
        let proxy = start_proxy(&upstream.uri(), &[]).await;
        let suite = suite_through(&proxy).await;
        assert!(matches!(suite.code, 0 | 101), "{name}: {}", suite.all());
        let (code, stderr) = proxy.stop().await;
        let lines = logged(&stderr);
        assert!(
            lines.iter().all(|line| line.starts_with(VIOLATION)),
            "{name}: {stderr}"
        );
        assert_eq!(code, Some(i32::from(!lines.is_empty())), "{name}: {stderr}");
        if !lines.is_empty() {
            caught.push(*name);
        }
    }
    assert_eq!(caught, CONTRACT_VISIBLE);
}

#[tokio::test]
async fn a_violation_is_one_line_naming_the_pointer_and_the_keyword() {
    let upstream = stub(common::long_passphrase).await;
    let proxy = start_proxy(&upstream.uri(), &[]).await;
    let answer = exchange(&proxy, permitted_request().as_bytes())
        .await
        .unwrap();
    assert_eq!(answer.status, 200, "passed on unchanged");
    assert_eq!(answer.json()["passphrase"], LONG_PASSPHRASE);
    let (code, stderr) = proxy.stop().await;
    assert_eq!(code, Some(1), "{stderr}");
    let lines = logged(&stderr);
    assert_eq!(lines.len(), 1, "{stderr}");
    let line = lines[0];
    let id = answer.header("x-request-id").unwrap();
    assert!(
        line.starts_with(&format!(
            "{VIOLATION}GET {} → 200, X-Request-Id {id}: /passphrase: ",
            task_path()
        )),
        "{line}"
    );
    assert!(
        line.ends_with(
            "[keyword maxLength, schema passphrase at /properties/passphrase/maxLength]"
        ),
        "{line}"
    );
    let leaks = common::leaks(&[("the line", line.to_owned())], &[LONG_PASSPHRASE]);
    assert_eq!(leaks, Vec::<String>::new());
}

#[tokio::test]
async fn fail_fast_answers_502_with_the_violation_instead() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let upstream = stub(common::long_passphrase).await;
    let flags = ["--fail-fast", "--report-json", report.to_str().unwrap()];
    let proxy = start_proxy(&upstream.uri(), &flags).await;
    let answer = exchange(&proxy, permitted_request().as_bytes())
        .await
        .unwrap();
    let body = proxys_502(&answer, "CONFORMANCE.0001");
    let message = body["error_msg"].as_str().unwrap();
    assert!(
        message.contains("breaks the contract")
            && message.contains("/passphrase: ")
            && message.contains("keyword maxLength"),
        "{message}"
    );
    let leaks = common::leaks(&[("the 502", message.to_owned())], &[LONG_PASSPHRASE]);
    assert_eq!(leaks, Vec::<String>::new());
    // The faithful answers of the same upstream pass.
    let no_token = format!("GET {} HTTP/1.1\r\nHost: proxy\r\n\r\n", task_path());
    let denied = exchange(&proxy, no_token.as_bytes()).await.unwrap();
    assert_eq!(denied.status, 401);
    let (code, stderr) = proxy.stop().await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        logged(&stderr)[0].contains("→ 200, answered 502"),
        "{stderr}"
    );
    let report = common::checked_against(&report, "proxy.schema.json");
    let noted = &report["exchanges"][0];
    assert_eq!(noted["status"], 200, "{report:#}");
    assert_eq!(noted["answered"], 502, "{report:#}");
    assert_eq!(noted["request_id"], body["request_id"], "{report:#}");
    assert_eq!(noted["reasons"][0]["pointer"], "/passphrase", "{report:#}");
    assert_eq!(noted["reasons"][0]["keyword"], "maxLength", "{report:#}");
}

#[tokio::test]
async fn an_upstream_that_fails_gets_the_client_a_502_in_the_gateways_shape() {
    let silent = stub_with_delay(faithful, Some(Duration::from_secs(5))).await;
    let resets = raw_server(hostile::resets_mid_body).await;
    let garbage = raw_server(hostile::garbage_status_line).await;
    for (upstream, why) in [
        (refusing_url(), "could not be reached"),
        (silent.uri(), "no complete answer within the timeout of 1s"),
        (resets, "the exchange failed"),
        (garbage, "the exchange failed"),
    ] {
        let proxy = start_proxy(&upstream, &["--timeout", "1s"]).await;
        let answer = exchange(&proxy, permitted_request().as_bytes())
            .await
            .unwrap();
        proxys_502(&answer, "CONFORMANCE.0002");
        let id = answer.header("x-request-id").unwrap();
        let (code, stderr) = proxy.stop().await;
        assert_eq!(code, Some(1), "{why}: {stderr}");
        let lines = logged(&stderr);
        assert_eq!(lines.len(), 1, "{why}: {stderr}");
        assert!(
            lines[0].starts_with(&format!(
                "{UPSTREAM_FAILED}GET {} → answered 502, X-Request-Id {id}: ",
                task_path()
            )) && lines[0].contains(why),
            "{why}: {stderr}"
        );
    }
}

/// While the proxy waits for its upstream, no byte moves on its client's connection: an idle
/// timeout shorter than `--timeout` would cut the client off with no answer and nothing
/// logged. The proxy keeps the connection at least as long as it waits.
#[tokio::test]
async fn a_slow_upstream_within_the_timeout_is_answered_whatever_the_idle_timeout() {
    let slow = stub_with_delay(faithful, Some(Duration::from_secs(2))).await;
    let proxy = start_proxy(&slow.uri(), &["--timeout", "5s", "--idle-timeout", "1s"]).await;
    let answer = exchange(&proxy, permitted_request().as_bytes())
        .await
        .expect("the upstream's answer, after 2 s");
    assert_eq!(answer.status, 200);
    let (code, stderr) = proxy.stop().await;
    assert_eq!(code, Some(0), "{stderr}");
}

/// `GET` the built-in task through `proxy` with the permitted token: the status, the
/// headers and the whole body, as a client reads them.
async fn get_through(proxy: &Served) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let answer = common::http_client()
        .get(format!("{}{}", proxy.url(), task_path()))
        .header("X-Auth-Token", common::builtin_token("token"))
        .send()
        .await
        .unwrap();
    let (status, headers) = (answer.status().as_u16(), answer.headers().clone());
    (status, headers, answer.bytes().await.unwrap().to_vec())
}

/// Answers with a chunked body of 64 chunks of 100 bytes (`a` × 100, `b` × 100, ...), with
/// no length announced.
async fn chunked(mut stream: tokio::net::TcpStream) {
    request_head(&mut stream).await;
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nTransfer-Encoding: chunked\r\n\r\n";
    let _ = stream.write_all(head.as_bytes()).await;
    for chunk in chunks() {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        let _ = stream.write_all(framed.as_bytes()).await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
}

/// The chunks [`chunked`] sends.
fn chunks() -> Vec<String> {
    (0..64u8)
        .map(|index| char::from(b'a' + index % 26).to_string().repeat(100))
        .collect()
}

#[tokio::test]
async fn an_answer_over_the_caps_is_passed_on_unchecked_and_noted_or_502_under_fail_fast() {
    // 64 MiB, announced: none of it read, all of it streamed on.
    let huge = raw_server(hostile::huge_body).await;
    let over = start_proxy(&huge, &["--max-body", "1024", "--timeout", "60s"]).await;
    let (status, _, body) = get_through(&over).await;
    assert_eq!(status, 200);
    assert_eq!(body.len(), 64 << 20);
    assert!(body.iter().all(|b| *b == b' '));
    // Chunked, no length: the cap is found by reading, and what was read goes on first.
    let chunked = raw_server(chunked).await;
    let read_first = start_proxy(&chunked, &["--max-body", "1024"]).await;
    let (status, _, body) = get_through(&read_first).await;
    assert_eq!(status, 200);
    assert_eq!(String::from_utf8(body).unwrap(), chunks().concat());
    // Headers over 64 KiB.
    let headers = raw_server(hostile::huge_headers).await;
    let big_head = start_proxy(&headers, &[]).await;
    let (status, headers, _) = get_through(&big_head).await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-padding"].len(), 70 * 1024);
    for (proxy, why) in [
        (over, "the body is larger than the cap of 1024 bytes"),
        (read_first, "the body is larger than the cap of 1024 bytes"),
        (big_head, "over the cap of 65536 bytes"),
    ] {
        let (code, stderr) = proxy.stop().await;
        assert_eq!(code, Some(1), "{stderr}");
        let lines = logged(&stderr);
        assert!(
            lines.len() == 1 && lines[0].starts_with(VIOLATION) && lines[0].contains(why),
            "{stderr}"
        );
    }
    let fail_fast = start_proxy(&huge, &["--max-body", "1024", "--fail-fast"]).await;
    let (status, _, body) = get_through(&fail_fast).await;
    assert_eq!(status, 502);
    let body: Json = serde_json::from_slice(&body).unwrap();
    let message = body["error_msg"].as_str().unwrap();
    assert!(message.contains("larger than the cap"), "{message}");
    let (code, stderr) = fail_fast.stop().await;
    assert_eq!(code, Some(1), "{stderr}");
}

/// A JSON answer over a 1,024-byte body cap, chunked (so the proxy reads up to the cap before
/// it knows), whose passphrase comes in its first bytes and again in its `X-Request-Id`,
/// which the violation's line names.
async fn passphrase_over_the_cap(mut stream: tokio::net::TcpStream) {
    request_head(&mut stream).await;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: {PASSPHRASE}\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let first = format!(r#"{{"task_id":"x","passphrase":"{PASSPHRASE}","pad":""#);
    let pad = " ".repeat(4096);
    for chunk in [first.as_str(), pad.as_str(), "\"}"] {
        let framed = format!("{:x}\r\n{chunk}\r\n", chunk.len());
        let _ = stream.write_all(framed.as_bytes()).await;
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
}

/// What was read of an answer over the body cap teaches the masking its passphrases: the
/// answer is passed on unread, but its line and the report name it masked.
#[tokio::test]
async fn a_passphrase_in_an_answer_over_the_body_cap_is_masked() {
    let upstream = raw_server(passphrase_over_the_cap).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let flags = [
        "--max-body",
        "1024",
        "--report-json",
        report.to_str().unwrap(),
    ];
    let proxy = start_proxy(&upstream, &flags).await;
    let (status, _, _) = get_through(&proxy).await;
    assert_eq!(status, 200);
    let (code, stderr) = proxy.stop().await;
    assert_eq!(code, Some(1), "{stderr}");
    assert_eq!(logged(&stderr).len(), 1, "{stderr}");
    let named = vec![
        ("stderr", stderr),
        ("report", std::fs::read_to_string(&report).unwrap()),
    ];
    let leaks = common::leaks(&named, &[PASSPHRASE]);
    assert!(leaks.is_empty(), "{leaks:#?}\n{named:#?}");
}

/// IAM's token call is not this contract's: its answer goes through unchecked even over a
/// cap, neither noted nor failed (nor a 502 under `--fail-fast`).
#[tokio::test]
async fn iams_answer_over_a_cap_is_passed_on_unchecked() {
    let huge = raw_server(hostile::huge_body).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let flags = [
        "--max-body",
        "1024",
        "--timeout",
        "60s",
        "--fail-fast",
        "--report-json",
        report.to_str().unwrap(),
    ];
    let proxy = start_proxy(&huge, &flags).await;
    let answer = common::http_client()
        .post(format!("{}/v3/auth/tokens", proxy.url()))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.bytes().await.unwrap().len(), 64 << 20);
    let (code, stderr) = proxy.stop().await;
    assert!(logged(&stderr).is_empty(), "{stderr}");
    let report = common::checked_against(&report, "proxy.schema.json");
    assert_eq!(report["summary"]["unchecked"], 1, "{report:#}");
    assert_eq!(report["summary"]["checked"], 0, "{report:#}");
    assert_eq!(code, Some(4), "{stderr}");
}

/// A proxy no checked answer went through saw nothing wrong because it saw nothing: exit 4,
/// with the address the application should have been pointed at.
#[tokio::test]
async fn a_proxy_that_checked_nothing_is_exit_4() {
    let upstream = stub(faithful).await;
    let proxy = start_proxy(&upstream.uri(), &[]).await;
    let address = proxy.url();
    let (code, stderr) = proxy.stop().await;
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "no answer was checked (exit 4): is the application pointed at {address}?"
        )),
        "{stderr}"
    );
}

/// A token with `.`, `/`, `+`, `~` and a space: each encoder writes it differently.
const TOKEN: &str = "tok.en/with+plus~and space-0123456789";
/// A passphrase with characters every encoder treats differently.
const PASSPHRASE: &str = "Br0ken/pass phrase+42~x";
/// A token an answer issues in `X-Subject-Token`, as IAM does.
const ISSUED: &str = "issued.token/0123456789";

/// Answers each request with a break the contract sees, and the request's token or a
/// passphrase where a careless server would put them: the token in the `Content-Type`
/// (which a violation quotes) and base64'd in `X-Request-Id` (which every line names), the
/// passphrase in a body that is not JSON and then in another answer's `X-Request-Id`, a
/// passphrase too long for the schema, a token issued in `X-Subject-Token` and then quoted in
/// another answer's `Content-Type`.
async fn leaking_upstream(mut stream: tokio::net::TcpStream) {
    use base64::Engine;
    let head = request_head(&mut stream).await;
    let token = head
        .lines()
        .find_map(|line| line.strip_prefix("x-auth-token: "))
        .unwrap_or_default()
        .to_owned();
    let encoded = base64::engine::general_purpose::STANDARD.encode(&token);
    let (head, body) = if head.contains("/form/") {
        (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; echo={token}\r\nX-Request-Id: {encoded}"
            ),
            format!("task_id=x&passphrase={}", common::form_encoded(PASSPHRASE)),
        )
    } else if head.contains("/echo/") {
        (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html; issued={ISSUED}\r\nX-Request-Id: {PASSPHRASE}"
            ),
            format!("<p>{PASSPHRASE}</p><p>{token}</p>"),
        )
    } else {
        (
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: {token}\r\nX-Subject-Token: {ISSUED}"
            ),
            format!(r#"{{"task_id":"x","passphrase":"{LONG_PASSPHRASE}"}}"#),
        )
    };
    send(&mut stream, &head, body.as_bytes()).await;
}

#[tokio::test]
async fn no_form_of_a_token_or_a_passphrase_reaches_stderr_the_report_or_a_502() {
    let upstream = raw_server(leaking_upstream).await;
    let mut outputs = Vec::new();
    for fail_fast in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let report = dir.path().join("proxy.json");
        let mut flags = vec!["--report-json", report.to_str().unwrap()];
        if fail_fast {
            flags.push("--fail-fast");
        }
        let proxy = start_proxy(&upstream, &flags).await;
        let client = common::http_client();
        let query = common::percent(TOKEN, |b| b.is_ascii_alphanumeric(), false, false);
        for path in [
            "/v3/tasks/form/passphrase",
            "/v3/tasks/long/passphrase",
            "/v3/tasks/echo/passphrase",
        ] {
            let answer = client
                .get(format!("{}{path}?t={query}", proxy.url()))
                .header("X-Auth-Token", TOKEN)
                .send()
                .await
                .unwrap();
            let status = answer.status();
            let body = answer.text().await.unwrap();
            if fail_fast {
                assert_eq!(status, 502, "{body}");
                outputs.push(("502 body", body));
            }
        }
        let (code, stderr) = proxy.stop().await;
        assert_eq!(code, Some(1), "{stderr}");
        assert_eq!(logged(&stderr).len(), 5, "{stderr}");
        outputs.push(("stderr", stderr));
        outputs.push(("report", std::fs::read_to_string(&report).unwrap()));
    }
    let named: Vec<(&str, String)> = outputs;
    let leaks = common::leaks(&named, &[TOKEN, PASSPHRASE, LONG_PASSPHRASE, ISSUED]);
    assert!(leaks.is_empty(), "{leaks:#?}\n{named:#?}");
}

#[tokio::test]
async fn past_max_connections_a_connection_gets_the_gateways_429_from_the_proxy() {
    let upstream = stub(faithful).await;
    let proxy = start_proxy(&upstream.uri(), &["--max-connections", "1"]).await;
    let mut held = proxy.connect().await;
    held.write_all(half_a_head().as_bytes()).await.unwrap();
    sleep(Duration::from_millis(200)).await;
    let refused = exchange(&proxy, permitted_request().as_bytes())
        .await
        .unwrap();
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(refused.header("connection"), Some("close"));
    let body = refused.json();
    assert_eq!(body["error_code"], "APIGW.0308", "{body}");
    assert!(
        body["error_msg"]
            .as_str()
            .unwrap()
            .contains("the proxy serves at most 1 connections at once"),
        "{body}"
    );
    drop(held);
    proxy.stop().await;
}

#[tokio::test]
async fn a_head_that_never_ends_is_cut_at_the_proxys_header_timeout() {
    let upstream = stub(faithful).await;
    let proxy = start_proxy(
        &upstream.uri(),
        &["--header-timeout", "1s", "--idle-timeout", "60s"],
    )
    .await;
    let mut stream = proxy.connect().await;
    stream.write_all(half_a_head().as_bytes()).await.unwrap();
    assert!(
        trickle_until_closed(&mut stream, SOON).await,
        "the proxy kept reading a head that never ends"
    );
    assert!(upstream.received_requests().await.unwrap().is_empty());
    proxy.stop().await;
}

/// An exchange cut at the shutdown deadline left an application's request unanswered: it
/// is counted and said, and the proxy exits 1, not 0.
#[tokio::test]
async fn an_exchange_cut_at_the_shutdown_deadline_is_a_failure() {
    let slow = stub_with_delay(faithful, Some(Duration::from_secs(5))).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let flags = [
        "--timeout",
        "10s",
        "--shutdown-timeout",
        "1s",
        "--report-json",
        report.to_str().unwrap(),
    ];
    let proxy = start_proxy(&slow.uri(), &flags).await;
    // Held open: the exchange stays in flight while the proxy is stopped.
    let _stream = in_flight(&proxy, &slow).await;
    proxy.signal("TERM");
    let (code, stderr) = proxy.exit().await;
    assert_eq!(code, Some(1), "{stderr}");
    assert!(
        stderr.contains("1 cut unanswered at the shutdown deadline"),
        "{stderr}"
    );
    let report = common::checked_against(&report, "proxy.schema.json");
    assert_eq!(report["summary"]["unanswered"], 1, "{report:#}");
    assert_eq!(report["summary"]["cut"], 1, "{report:#}");
}

#[tokio::test]
async fn a_signal_lets_the_exchange_in_flight_finish_and_a_second_quits_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let upstream = stub_with_delay(faithful, Some(Duration::from_secs(1))).await;
    let flags = [
        "--shutdown-timeout",
        "60s",
        "--report-json",
        report.to_str().unwrap(),
    ];
    let mut proxy = start_proxy(&upstream.uri(), &flags).await;
    let mut stream = in_flight(&proxy, &upstream).await;
    proxy.signal("INT");
    proxy.wait_for_stderr("SIGINT: stopping").await;
    let answer = read_answer(&mut stream)
        .await
        .expect("the answer in flight");
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("connection"), Some("close"));
    closed_by_the_server(&mut stream, PATIENCE).await;
    let (code, stderr) = proxy.exit().await;
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("sms-conformance proxy: stopped"),
        "{stderr}"
    );

    let mut proxy = start_proxy(&upstream.uri(), &flags).await;
    let mut held = proxy.connect().await;
    held.write_all(half_a_head().as_bytes()).await.unwrap();
    sleep(Duration::from_millis(200)).await;
    proxy.signal("TERM");
    proxy.wait_for_stderr("SIGTERM: stopping").await;
    proxy.signal("TERM");
    let (code, stderr) = proxy.exit().await;
    assert_eq!(code, Some(143), "{stderr}");
    let report = common::checked_against(&report, "proxy.schema.json");
    assert_eq!(report["quit_at_once"], true, "{report:#}");
}

#[tokio::test]
async fn bad_arguments_exit_2_before_anything_is_served() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-folder/proxy.json");
    for (args, says) in [
        (vec!["proxy"], "--upstream"),
        (
            vec!["proxy", "--upstream", "ftp://sms.example"],
            "--upstream must be an http:// or https:// URL",
        ),
        (
            vec!["proxy", "--upstream", "sms.example"],
            "did you mean --upstream=https://sms.example",
        ),
        (
            vec![
                "proxy",
                "--upstream",
                "http://127.0.0.1:9",
                "--report-json",
                missing.to_str().unwrap(),
            ],
            "no-such-folder",
        ),
    ] {
        let run = run(&args, &[]).await;
        assert_eq!(run.code, 2, "{args:?}: {}", run.all());
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
}

#[tokio::test]
async fn the_help_says_what_is_checked_and_the_exit_codes() {
    let help = run(&["proxy", "--help"], &[]).await;
    assert_eq!(help.code, 0, "{}", help.all());
    for needle in [
        "--upstream <URL>",
        "--fail-fast",
        "--report-json <PATH>",
        "--max-body <BYTES>",
        "--max-connections <N>",
        "Exit codes",
        "1 a violation or an upstream failure was seen",
    ] {
        assert!(help.stdout.contains(needle), "{needle}:\n{}", help.stdout);
    }
}

/// The proxy report's reasons are the run report's, by reference (the run report's test
/// pins their checks to `Check::ALL`): a reason the run report refuses, the proxy's refuses.
#[test]
fn the_proxy_reports_reasons_are_the_run_reports() {
    let schema: Json = serde_json::from_slice(
        &std::fs::read(common::root().join("schemas/report/proxy.schema.json")).unwrap(),
    )
    .unwrap();
    let reasons = &schema["properties"]["exchanges"]["items"]["properties"]["reasons"]["items"];
    assert_eq!(
        reasons,
        &json!({"$ref": "report.schema.json#/$defs/reason"})
    );
    let exchange = |check: &str| {
        json!({"exchanges": [{"reasons": [
            {"check": check, "message": "m", "pointer": null, "keyword": null}
        ]}]})
    };
    let about_reasons = |report: &Json| {
        common::schema_errors(report, "proxy.schema.json")
            .into_iter()
            .filter(|error| error.contains("/reasons/"))
            .collect::<Vec<_>>()
    };
    for check in Check::ALL {
        let check = serde_json::to_value(check).unwrap();
        let errors = about_reasons(&exchange(check.as_str().unwrap()));
        assert_eq!(errors, Vec::<String>::new(), "{check}");
    }
    assert_eq!(about_reasons(&exchange("bogus")).len(), 1);
}

/// The proxy holds two descriptors a connection (its client's and its upstream's): under the
/// same descriptor limit it serves half the connections the mock does.
#[tokio::test]
async fn under_a_descriptor_limit_the_proxy_serves_half_the_connections_the_mock_does() {
    let served = |stderr: &str| -> usize {
        let (_, rest) = stderr
            .split_once("serving at most ")
            .unwrap_or_else(|| panic!("no lowered cap: {stderr}"));
        rest.split_whitespace().next().unwrap().parse().unwrap()
    };
    let mock = Served::start_with_descriptor_limit("mock", 128, &[]).await;
    let (_, mock_said) = mock.stop().await;
    let upstream = stub(faithful).await;
    let proxy =
        Served::start_with_descriptor_limit("proxy", 128, &["--upstream", &upstream.uri()]).await;
    let (_, proxy_said) = proxy.stop().await;
    let (mock_cap, proxy_cap) = (served(&mock_said), served(&proxy_said));
    assert!(mock_cap > 1, "{mock_said}");
    assert_eq!(proxy_cap, mock_cap / 2, "{mock_said}\n{proxy_said}");
}

/// The report lists the first 1,000 notes; the counts go on, and say how many are not listed.
#[tokio::test]
async fn the_report_lists_the_first_thousand_notes_and_counts_the_rest() {
    let upstream = stub(common::long_passphrase).await;
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("proxy.json");
    let proxy = start_proxy(
        &upstream.uri(),
        &["--report-json", report.to_str().unwrap()],
    )
    .await;
    let client = common::http_client();
    let url = format!("{}{}", proxy.url(), task_path());
    let token = common::builtin_token("token");
    let sent = sms_conformance::proxy::MAX_NOTES + 5;
    for _ in 0..sent {
        let answer = client
            .get(&url)
            .header("X-Auth-Token", &token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
    }
    let (code, stderr) = proxy.stop().await;
    assert_eq!(
        code,
        Some(1),
        "{}",
        &stderr[stderr.len().saturating_sub(2000)..]
    );
    let report = common::checked_against(&report, "proxy.schema.json");
    let summary = &report["summary"];
    assert_eq!(summary["violations"], sent, "{summary}");
    assert_eq!(summary["not_listed"], 5, "{summary}");
    assert_eq!(
        report["exchanges"].as_array().unwrap().len(),
        sms_conformance::proxy::MAX_NOTES
    );
}

/// An exchange whose own client went away before its answer is reported as unanswered, and
/// is no failure of the upstream's.
#[tokio::test]
async fn an_exchange_whose_client_went_away_is_unanswered_not_failed() {
    let slow = stub_with_delay(faithful, Some(Duration::from_secs(2))).await;
    let proxy = start_proxy(&slow.uri(), &[]).await;
    let stream = in_flight(&proxy, &slow).await;
    drop(stream);
    sleep(Duration::from_secs(3)).await;
    let (code, stderr) = proxy.stop().await;
    assert!(
        stderr.contains("1 exchange(s): 0 checked")
            && stderr.contains("; 1 unanswered (the client went away)"),
        "{stderr}"
    );
    // Not a failure (1): nothing was checked, so 4.
    assert_eq!(code, Some(4), "{stderr}");
}

//! Hostile endpoints must not break the run: each fails the case with a clear message, within
//! the timeout or the body cap, without a panic.

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{Harness, hostile};
use sms_conformance::Outcome;
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(1);
/// Well past the timeout, well short of what a hang would take.
const PATIENCE: Duration = Duration::from_secs(4);

/// Runs `read/valid-call` against `url` and checks it fails in time with every `expected`
/// phrase (case aside) in its message.
fn fails_with(harness: &Harness, url: &str, expected: &[&str]) {
    let started = Instant::now();
    let outcome = harness.run(url, "read/valid-call", TIMEOUT);
    let elapsed = started.elapsed();
    let Outcome::Failed(message) = outcome else {
        panic!("passed against a hostile endpoint: {outcome:?}")
    };
    for needle in expected {
        assert!(
            message.to_lowercase().contains(&needle.to_lowercase()),
            "`{needle}` not in:\n{message}"
        );
    }
    assert!(elapsed < PATIENCE, "took {elapsed:?}");
}

/// [`fails_with`] against a raw server that serves each connection with `serve`.
fn fails_against<F, Fut>(serve: F, expected: &[&str])
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let harness = Harness::new();
    let url = harness.raw_server(serve);
    fails_with(&harness, &url, expected);
}

#[test]
fn connection_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    fails_with(
        &Harness::new(),
        &url,
        &["the target could not be reached", "refused"],
    );
}

#[test]
fn a_server_that_never_answers() {
    fails_against(
        hostile::never_answers,
        &["no complete answer within the timeout of 1s"],
    );
}

#[test]
fn a_connection_reset_mid_body() {
    fails_against(
        hostile::resets_mid_body,
        &["the exchange failed", "reading a body", "connection reset"],
    );
}

#[test]
fn an_answer_trickling_one_byte_a_second() {
    fails_against(
        hostile::trickles,
        &["no complete answer within the timeout of 1s"],
    );
}

#[test]
fn a_64_mib_body() {
    fails_against(
        hostile::huge_body,
        &["the body is larger than the cap of 1048576 bytes"],
    );
}

#[test]
fn an_endless_chunked_body() {
    fails_against(
        hostile::endless_chunks,
        &["the body is larger than the cap of 1048576 bytes"],
    );
}

#[test]
fn invalid_utf8_in_a_json_string() {
    let serve = |mut stream| async move {
        let body =
            b"{\"task_id\":\"d7fa81b9-c174-4c0a-a475-51a54c8af8a4\",\"passphrase\":\"\xff\xfe\"}";
        hostile::answer(&mut stream, &hostile::json_head("200 OK"), body).await;
    };
    fails_against(serve, &["the body is not JSON", "invalid unicode"]);
}

#[test]
fn json_nested_100000_levels_deep() {
    let serve = |mut stream| async move {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        hostile::answer(&mut stream, &hostile::json_head("200 OK"), body.as_bytes()).await;
    };
    fails_against(serve, &["the body is not JSON", "recursion limit exceeded"]);
}

#[test]
fn headers_over_64_kib() {
    fails_against(hostile::huge_headers, &["over the cap of 65536 bytes"]);
}

#[test]
fn a_garbage_status_line() {
    fails_against(
        hostile::garbage_status_line,
        &[
            "the exchange failed",
            "invalid HTTP version",
            "not HTTP/1.x",
        ],
    );
}

#[test]
fn an_http_0_9_answer() {
    fails_against(
        hostile::http09,
        &["the exchange failed", "invalid HTTP version", "HTTP/0.9"],
    );
}

#[test]
fn tls_spoken_to_a_plain_port() {
    let harness = Harness::new();
    let server = harness.stub(common::faithful, None);
    let url = server.uri().replace("http://", "https://");
    let expected = [
        "the target could not be reached",
        "corrupt message",
        "is the port plain HTTP?",
    ];
    fails_with(&harness, &url, &expected);
}

#[test]
fn plain_http_spoken_to_a_tls_port() {
    fails_against(
        hostile::tls_port,
        &["the exchange failed", "a TLS port spoken to with http://"],
    );
}

//! Hostile endpoints must not break the run: each fails the case with a clear message, within
//! the timeout or the body cap, without a panic.

mod common;

use std::time::{Duration, Instant};

use common::{Harness, hostile};
use sms_conformance::Outcome;

const TIMEOUT: Duration = Duration::from_secs(1);
/// Well past the timeout, well short of what a hang would take.
const PATIENCE: Duration = Duration::from_secs(4);

fn fails_with(url: &str, harness: &Harness, expected: &[&str]) {
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

#[test]
fn connection_refused() {
    let harness = Harness::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fails_with(
        &format!("http://127.0.0.1:{port}"),
        &harness,
        &["the target could not be reached", "refused"],
    );
}

#[test]
fn a_server_that_never_answers() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::never_answers);
    fails_with(
        &url,
        &harness,
        &["no complete answer within the timeout of 1s"],
    );
}

#[test]
fn a_connection_reset_mid_body() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::resets_mid_body);
    fails_with(
        &url,
        &harness,
        &["the exchange failed", "reading a body", "connection reset"],
    );
}

#[test]
fn an_answer_trickling_one_byte_a_second() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::trickles);
    fails_with(
        &url,
        &harness,
        &["no complete answer within the timeout of 1s"],
    );
}

#[test]
fn a_64_mib_body() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::huge_body);
    fails_with(
        &url,
        &harness,
        &["the body is larger than the cap of 1048576 bytes"],
    );
}

#[test]
fn an_endless_chunked_body() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::endless_chunks);
    fails_with(
        &url,
        &harness,
        &["the body is larger than the cap of 1048576 bytes"],
    );
}

#[test]
fn invalid_utf8_in_a_json_string() {
    let harness = Harness::new();
    let url = harness.raw_server(|mut stream| async move {
        let body =
            b"{\"task_id\":\"d7fa81b9-c174-4c0a-a475-51a54c8af8a4\",\"passphrase\":\"\xff\xfe\"}";
        hostile::answer(&mut stream, &hostile::json_head("200 OK"), body).await;
    });
    fails_with(&url, &harness, &["the body is not JSON", "invalid unicode"]);
}

#[test]
fn json_nested_100000_levels_deep() {
    let harness = Harness::new();
    let url = harness.raw_server(|mut stream| async move {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        hostile::answer(&mut stream, &hostile::json_head("200 OK"), body.as_bytes()).await;
    });
    fails_with(
        &url,
        &harness,
        &["the body is not JSON", "recursion limit exceeded"],
    );
}

#[test]
fn headers_over_64_kib() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::huge_headers);
    fails_with(&url, &harness, &["over the cap of 65536 bytes"]);
}

#[test]
fn a_garbage_status_line() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::garbage_status_line);
    fails_with(
        &url,
        &harness,
        &[
            "the exchange failed",
            "invalid HTTP version",
            "not HTTP/1.x",
        ],
    );
}

#[test]
fn an_http_0_9_answer() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::http09);
    fails_with(
        &url,
        &harness,
        &["the exchange failed", "invalid HTTP version", "HTTP/0.9"],
    );
}

#[test]
fn tls_spoken_to_a_plain_port() {
    let harness = Harness::new();
    let server = harness.stub(common::faithful, None);
    let url = server.uri().replace("http://", "https://");
    fails_with(
        &url,
        &harness,
        &[
            "the target could not be reached",
            "corrupt message",
            "is the port plain HTTP?",
        ],
    );
}

#[test]
fn plain_http_spoken_to_a_tls_port() {
    let harness = Harness::new();
    let url = harness.raw_server(hostile::tls_port);
    fails_with(
        &url,
        &harness,
        &["the exchange failed", "a TLS port spoken to with http://"],
    );
}

//! Hostile endpoints must not break the run: each fails the case with a clear message, within
//! the timeout or the body cap, without a panic.

use crate::common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{Harness, hostile};
use sms_conformance::{Problem, TransportError};
use tokio::net::TcpStream;

const TIMEOUT: Duration = Duration::from_secs(1);
/// Well past the timeout, well short of what a hang would take.
const PATIENCE: Duration = Duration::from_secs(4);

/// What a hostile endpoint must cause: one problem, of this shape, whose detail holds every
/// phrase (case aside).
struct Expect {
    shape: fn(&Problem) -> Option<&str>,
    phrases: &'static [&'static str],
}

/// The detail of an unreachable target.
fn unreachable(problem: &Problem) -> Option<&str> {
    match problem {
        Problem::Transport(TransportError::Unreachable(why)) => Some(why),
        _ => None,
    }
}

/// The detail of an exchange that failed once connected.
fn failed(problem: &Problem) -> Option<&str> {
    match problem {
        Problem::Transport(TransportError::Failed(why)) => Some(why),
        _ => None,
    }
}

/// A timeout of [`TIMEOUT`].
fn timed_out(problem: &Problem) -> Option<&str> {
    matches!(problem, Problem::Transport(TransportError::Timeout(t)) if *t == TIMEOUT).then_some("")
}

/// A body over the default cap.
fn body_too_large(problem: &Problem) -> Option<&str> {
    matches!(
        problem,
        Problem::Transport(TransportError::BodyTooLarge { cap: 1_048_576 })
    )
    .then_some("")
}

/// A body that is not JSON, with the parser's reason.
fn not_json(problem: &Problem) -> Option<&str> {
    match problem {
        Problem::NotJson(why) => Some(why),
        _ => None,
    }
}

/// Runs `read/valid-call` against `url` and checks it fails in time as `expect` says.
fn fails_with(harness: &Harness, url: &str, expect: Expect) {
    let started = Instant::now();
    let result = harness.run(url, "read/valid-call", TIMEOUT);
    let elapsed = started.elapsed();
    let problems = common::problems(&result);
    let detail = problems
        .iter()
        .find_map(expect.shape)
        .unwrap_or_else(|| panic!("not the expected problem: {problems:#?}"));
    for phrase in expect.phrases {
        assert!(
            detail.to_lowercase().contains(&phrase.to_lowercase()),
            "`{phrase}` not in `{detail}`"
        );
    }
    assert!(elapsed < PATIENCE, "took {elapsed:?}");
}

/// [`fails_with`] against a raw server that serves each connection with `serve`.
fn fails_against<F, Fut>(serve: F, expect: Expect)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let harness = Harness::new();
    let url = harness.raw_server(serve);
    fails_with(&harness, &url, expect);
}

#[test]
fn connection_refused() {
    let url = hostile::refusing_url();
    let expect = Expect {
        shape: unreachable,
        phrases: &["refused"],
    };
    fails_with(&Harness::new(), &url, expect);
}

#[test]
fn a_server_that_never_answers() {
    let expect = Expect {
        shape: timed_out,
        phrases: &[],
    };
    fails_against(hostile::never_answers, expect);
}

#[test]
fn a_connection_reset_mid_body() {
    let expect = Expect {
        shape: failed,
        phrases: &["reading a body", "connection reset"],
    };
    fails_against(hostile::resets_mid_body, expect);
}

#[test]
fn an_answer_trickling_one_byte_a_second() {
    let expect = Expect {
        shape: timed_out,
        phrases: &[],
    };
    fails_against(hostile::trickles, expect);
}

#[test]
fn a_64_mib_body() {
    let expect = Expect {
        shape: body_too_large,
        phrases: &[],
    };
    fails_against(hostile::huge_body, expect);
}

#[test]
fn an_endless_chunked_body() {
    let expect = Expect {
        shape: body_too_large,
        phrases: &[],
    };
    fails_against(hostile::endless_chunks, expect);
}

#[test]
fn invalid_utf8_in_a_json_string() {
    let serve = |mut stream| async move {
        let body =
            b"{\"task_id\":\"d7fa81b9-c174-4c0a-a475-51a54c8af8a4\",\"passphrase\":\"\xff\xfe\"}";
        hostile::answer(&mut stream, &hostile::json_head("200 OK"), body).await;
    };
    let expect = Expect {
        shape: not_json,
        phrases: &["invalid unicode"],
    };
    fails_against(serve, expect);
}

#[test]
fn json_nested_100000_levels_deep() {
    let serve = |mut stream| async move {
        let body = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        hostile::answer(&mut stream, &hostile::json_head("200 OK"), body.as_bytes()).await;
    };
    let expect = Expect {
        shape: not_json,
        phrases: &["recursion limit exceeded"],
    };
    fails_against(serve, expect);
}

#[test]
fn headers_over_64_kib() {
    let expect = Expect {
        shape: |p| {
            matches!(p, Problem::Transport(TransportError::HeadersTooLarge(n)) if *n > 65_536)
                .then_some("")
        },
        phrases: &[],
    };
    fails_against(hostile::huge_headers, expect);
}

#[test]
fn a_garbage_status_line() {
    let expect = Expect {
        shape: failed,
        phrases: &["invalid HTTP version", "not HTTP/1.x"],
    };
    fails_against(hostile::garbage_status_line, expect);
}

#[test]
fn an_http_0_9_answer() {
    let expect = Expect {
        shape: failed,
        phrases: &["invalid HTTP version", "HTTP/0.9"],
    };
    fails_against(hostile::http09, expect);
}

#[test]
fn tls_spoken_to_a_plain_port() {
    let harness = Harness::new();
    let server = harness.stub(common::faithful, None);
    let url = server.uri().replace("http://", "https://");
    let expect = Expect {
        shape: unreachable,
        phrases: &["corrupt message", "is the port plain HTTP?"],
    };
    fails_with(&harness, &url, expect);
}

#[test]
fn plain_http_spoken_to_a_tls_port() {
    let expect = Expect {
        shape: failed,
        phrases: &["a TLS port spoken to with http://"],
    };
    fails_against(hostile::tls_port, expect);
}

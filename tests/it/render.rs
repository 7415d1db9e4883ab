//! The rendered text itself, as golden files: what a failure, an ignored case and an
//! unreachable target look like on the terminal (`BLESS=1 cargo test --test it render::` rewrites
//! `tests/golden/*.txt` after a deliberate change). Every other test asserts on types.

use crate::common;

use common::binary::{builtin_env, run};
use common::hostile;

/// A fixed answer: a 200 whose passphrase is 256 characters, with fixed headers.
async fn long_passphrase(mut stream: tokio::net::TcpStream) {
    let body = format!(
        r#"{{"task_id":"d7fa81b9-c174-4c0a-a475-51a54c8af8a4","passphrase":"{}"}}"#,
        "p".repeat(256)
    );
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json;charset=UTF-8\r\nX-Request-Id: 0123456789abcdef0123456789abcdef";
    hostile::answer(&mut stream, head, body.as_bytes()).await;
}

/// `text` with the run's address and timing made stable.
fn stable(text: &str, url: &str) -> String {
    let mut out = text.replace(url, "http://127.0.0.1:PORT");
    if let Some(at) = out.find("finished in ") {
        let end = out[at..].find('\n').map_or(out.len(), |n| at + n);
        out.replace_range(at..end, "finished in TIME");
    }
    out
}

fn assert_golden(name: &str, text: &str) {
    let golden = common::root().join("tests/golden").join(name);
    if std::env::var("BLESS").is_ok_and(|v| !v.is_empty()) {
        std::fs::write(&golden, text).unwrap();
    }
    let expected = std::fs::read_to_string(&golden)
        .unwrap_or_else(|_| panic!("no {}: run with BLESS=1", golden.display()));
    assert_eq!(text, expected, "{name} differs from its golden file");
}

/// The golden cases run against `url` one at a time, those matching `filters` only.
async fn golden_run(url: &str, env: &[(&str, String)], filters: &[&str]) -> common::binary::Run {
    let args = [
        &[
            "--cases",
            "tests/golden/cases",
            "--base-url",
            url,
            "--test-threads",
            "1",
        ][..],
        filters,
    ]
    .concat();
    run(&args, env).await
}

#[tokio::test]
async fn failures_and_an_ignored_case_read_as_the_golden_file() {
    let url = hostile::raw_server(long_passphrase).await;
    let mut env = builtin_env();
    env.retain(|(name, _)| *name != "SMS_FORBIDDEN_TOKEN");
    let output = golden_run(&url, &env, &[]).await;
    assert_eq!(output.code, 101, "{}", output.all());
    assert_golden("failures.txt", &stable(&output.stdout, &url));
}

#[tokio::test]
async fn an_unreachable_target_reads_as_the_golden_file() {
    let url = hostile::refusing_url();
    let output = golden_run(&url, &builtin_env(), &["long-passphrase"]).await;
    assert_eq!(output.code, 3, "{}", output.all());
    assert_golden("unreachable.txt", &stable(&output.stdout, &url));
}

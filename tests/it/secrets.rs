//! Secrets against servers and files written to leak them: a passphrase in a body that is
//! not JSON, tokens echoed in any header or deep in a body, encodings other than the one the
//! redactor was told of, and secrets so short that masking them everywhere would garble the
//! output. Each runs the binary with every output (terminal, `--verbose`, JUnit, JSON) and
//! searches all of them.

use crate::common;

use common::binary::{Outputs, builtin_env, run_with_every_output};
use common::hostile::{raw_server, request_head, send};
use rstest::rstest;
use tokio::net::TcpStream;

const TASK: &str = "d7fa81b9-c174-4c0a-a475-51a54c8af8a4";

/// A passphrase with characters every encoder treats differently.
const PASSPHRASE: &str = "Br0ken/pass phrase+42~x";

/// A token with `.`, `/`, `+`, `~` and a space: each encoder writes it differently.
const TOKEN: &str = "tok.en/with+plus~and space-0123456789";

/// Runs the tests' own cases against `url` with every output, the built-in variables but
/// `token` for the permitted token.
async fn run_against(url: &str, token: &str, extra: &[&str]) -> Outputs {
    let cases = common::data_cases();
    let mut env = builtin_env();
    env.retain(|(name, _)| *name != "SMS_TOKEN");
    env.push(("SMS_TOKEN", token.to_owned()));
    let args = [
        &["--cases", cases.to_str().unwrap(), "--base-url", url][..],
        extra,
    ]
    .concat();
    run_with_every_output(&args, &env).await
}

#[track_caller]
fn assert_no_leak(outputs: &Outputs, secrets: &[&str]) {
    let leaks = common::leaks(&outputs.named, secrets);
    assert!(leaks.is_empty(), "{leaks:#?}\n{}", outputs.get("stdout"));
}

#[rstest]
#[case::json_with_a_trailing_comma(
    "application/json",
    format!(r#"{{"task_id":"{TASK}","passphrase":"{PASSPHRASE}",}}"#),
    true,
    "trailing comma at line 1 column"
)]
#[case::a_form(
    "application/x-www-form-urlencoded",
    format!("task_id={TASK}&passphrase={}", common::form_encoded(PASSPHRASE)),
    true,
    "expected ident at line 1 column 2"
)]
#[case::text(
    "text/plain",
    format!("Your passphrase is {PASSPHRASE}. Keep it safe."),
    false,
    "expected value at line 1 column 1"
)]
#[tokio::test]
async fn a_body_that_is_not_json_never_shows_the_passphrase(
    #[case] media_type: &'static str,
    #[case] body: String,
    #[case] learnable: bool,
    #[case] parse_error: &str,
) {
    let token = common::builtin_token("token");
    let permitted = token.clone();
    let answer_body = body.clone();
    let url = raw_server(move |mut stream: TcpStream| {
        let (permitted, body) = (permitted.clone(), answer_body.clone());
        async move {
            let head = request_head(&mut stream).await;
            if head.contains(&permitted) {
                let head =
                    format!("HTTP/1.1 200 OK\r\nContent-Type: {media_type}\r\nX-Request-Id: r");
                send(&mut stream, &head, body.as_bytes()).await;
            } else if learnable {
                // The passphrase learned from the broken body is masked elsewhere too.
                let head = format!(
                    "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nX-Echo: {PASSPHRASE}"
                );
                let body = format!(
                    r#"{{"error_code":"APIGW.0301","error_msg":"the passphrase {PASSPHRASE} is not a token"}}"#
                );
                send(&mut stream, &head, body.as_bytes()).await;
            } else {
                let head = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nX-Request-Id: r";
                send(&mut stream, head, br#"{"error_code":"APIGW.0301","error_msg":"no"}"#)
                    .await;
            }
        }
    })
    .await;
    let outputs = run_against(&url, &token, &[]).await;
    assert_eq!(outputs.run.code, 101, "{}", outputs.run.all());
    assert_no_leak(&outputs, &[PASSPHRASE]);
    let stdout = outputs.get("stdout");
    for phrase in [parse_error, &format!("{} bytes", body.len()), media_type] {
        assert!(stdout.contains(phrase), "`{phrase}` not said:\n{stdout}");
    }
}

/// Echoes the request's token in headers off the credential list, in a redirect's query
/// (form-encoded, lower-case hex) and near character 500 of the body.
async fn echoes_the_token(mut stream: TcpStream) {
    let head = request_head(&mut stream).await;
    let token = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("x-auth-token")
                .then(|| value.trim().to_owned())
        })
        .unwrap_or_default();
    let lower_form = common::percent(
        &token,
        |b| b.is_ascii_alphanumeric() || b"*-._".contains(&b),
        true,
        true,
    );
    let head = format!(
        "HTTP/1.1 302 Found\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nX-Echo: {token}\r\nX-Set-Cookie: session={token}; Path=/\r\nLocation: https://idp.example/callback?next=%2F&token={lower_form}"
    );
    let body = format!(
        r#"{{"error_code":"X","error_msg":"{}{token}"}}"#,
        "x".repeat(470)
    );
    send(&mut stream, &head, body.as_bytes()).await;
}

#[tokio::test]
async fn a_token_echoed_in_any_header_or_deep_in_a_body_is_masked_in_every_output() {
    let url = raw_server(echoes_the_token).await;
    let outputs = run_against(&url, TOKEN, &[]).await;
    assert_eq!(outputs.run.code, 101, "{}", outputs.run.all());
    assert_no_leak(
        &outputs,
        &[TOKEN, &common::builtin_token("forbidden_token")],
    );
    assert!(
        outputs.get("stderr").contains("x-echo: ********"),
        "{}",
        outputs.get("stderr")
    );
}

/// A case sending the token as the task id and in a header of its own.
const TOKEN_EVERYWHERE: &str = "request:\n  task_id: ${token}\n  token: ${token}\n  headers: {X-Upstream-Token: \"${token}\"}\nexpect:\n  status: 200\n";

#[rstest]
#[case::the_builtin_token(None)]
#[case::a_token_every_encoder_writes_differently(Some(TOKEN))]
#[tokio::test]
async fn the_token_in_the_path_and_any_header_is_masked_in_dry_runs_and_reports(
    #[case] token: Option<&str>,
) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("everywhere.yaml"), TOKEN_EVERYWHERE).unwrap();
    let cases = dir.path().to_str().unwrap();
    let url = raw_server(echoes_the_token).await;
    let (env, secret) = match token {
        Some(token) => {
            let mut env = builtin_env();
            env.retain(|(name, _)| *name != "SMS_TOKEN");
            env.push(("SMS_TOKEN", token.to_owned()));
            (env, token.to_owned())
        }
        None => (Vec::new(), common::builtin_token("token")),
    };
    let target: Vec<&str> = match token {
        Some(_) => vec!["--base-url", &url],
        None => vec![],
    };
    let dry = common::binary::run(
        &[&["--cases", cases, "--dry-run"][..], &target].concat(),
        &env,
    )
    .await;
    assert_eq!(dry.code, 0, "{}", dry.all());
    assert!(
        dry.stdout.contains("x-upstream-token: ********"),
        "{}",
        dry.stdout
    );
    let run = run_with_every_output(&[&["--cases", cases][..], &target].concat(), &env).await;
    let report = run.get("json");
    assert!(report.contains("\"url\""), "{report}");
    let mut outputs = run.named.clone();
    outputs.push(("dry-run", dry.stdout.clone()));
    let leaks = common::leaks(&outputs, &[&secret]);
    assert!(leaks.is_empty(), "{leaks:#?}\n{}\n{report}", dry.stdout);
}

/// Answers every request with `passphrase`: as the passphrase of a 200 to the permitted
/// token, in a field and a header of its own otherwise (418, so that every case fails).
fn short_passphrase_server(
    passphrase: &'static str,
) -> impl Fn(TcpStream) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync {
    let permitted = common::builtin_token("token");
    move |mut stream: TcpStream| {
        let permitted = permitted.clone();
        Box::pin(async move {
            let head = request_head(&mut stream).await;
            let (status, body) = if head.contains(&permitted) {
                (
                    "200 OK",
                    serde_json::json!({"task_id": TASK, "passphrase": passphrase}),
                )
            } else {
                let message = "every message here has the letter e and spaces in it";
                (
                    "418 I'm a teapot",
                    serde_json::json!({"error_code": "E", "error_msg": message, "hint": passphrase}),
                )
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nX-Echo: {passphrase}"
            );
            send(&mut stream, &head, body.to_string().as_bytes()).await;
        })
    }
}

/// Whether `text` shows `secret` as a whole value: a JSON string (also inside a JSON
/// string, escaped) or a header value.
fn shown_as_a_value(text: &str, secret: &str) -> bool {
    let quoted = serde_json::Value::String(secret.to_owned()).to_string();
    let escaped = common::json_escaped(&quoted);
    text.contains(&quoted)
        || text.contains(&escaped)
        || text
            .lines()
            .any(|line| line.ends_with(&format!(": {secret}")))
}

#[rstest]
#[case::a_letter("e")]
#[case::a_space(" ")]
#[tokio::test]
async fn a_one_character_passphrase_is_masked_as_a_value_and_the_text_stays_readable(
    #[case] passphrase: &'static str,
) {
    let url = raw_server(short_passphrase_server(passphrase)).await;
    let outputs = run_against(&url, &common::builtin_token("token"), &[]).await;
    assert_eq!(outputs.run.code, 101, "{}", outputs.run.all());
    for (name, text) in &outputs.named {
        assert!(
            !shown_as_a_value(text, passphrase),
            "{passphrase:?} shown as a value in {name}:\n{text}"
        );
    }
    let stdout = outputs.get("stdout");
    for readable in [
        "test result: FAILED.",
        "every message here has the letter e and spaces in it",
        "status 418, expected 401",
    ] {
        assert!(stdout.contains(readable), "`{readable}` garbled:\n{stdout}");
    }
}

#[tokio::test]
async fn a_one_character_passphrase_of_a_fixture_keeps_the_text_readable() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("fixture.yaml");
    std::fs::write(
        &fixture,
        format!(
            "tasks:\n  - id: {TASK}\n    passphrase: e\ntokens:\n  - name: token\n    value: tok-1a2b3c4d5e6f\n    permitted: true\n"
        ),
    )
    .unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    std::fs::write(
        cases.join("read.yaml"),
        "request:\n  task_id: ${task_id}\n  token: ${token}\nexpect:\n  status: 500\n",
    )
    .unwrap();
    let outputs = run_with_every_output(
        &[
            "--fixture",
            fixture.to_str().unwrap(),
            "--cases",
            cases.to_str().unwrap(),
        ],
        &[],
    )
    .await;
    assert_eq!(outputs.run.code, 101, "{}", outputs.run.all());
    let stdout = outputs.get("stdout");
    assert!(
        stdout.contains("status 200, expected 500") && stdout.contains("test result: FAILED."),
        "{stdout}"
    );
    for (name, text) in &outputs.named {
        assert!(
            !shown_as_a_value(text, "e"),
            "shown as a value in {name}:\n{text}"
        );
    }
}

/// A token is often passed as the user name of the endpoint's URL (`https://TOKEN@host`): it
/// is masked like a password there, in every output.
#[rstest]
#[case::a_user_name("user-Secret-0123456789@")]
#[case::a_user_and_a_password("gw-User-0123456789:pass-Secret-0123456789@")]
#[tokio::test]
async fn credentials_in_the_endpoints_url_reach_no_output(#[case] user_info: &str) {
    let server = common::stub(common::faithful).await;
    let url = server
        .uri()
        .replace("http://", &format!("http://{user_info}"));
    let outputs = run_against(&url, &common::builtin_token("token"), &[]).await;
    assert_eq!(outputs.run.code, 0, "{}", outputs.run.all());
    let secrets: Vec<&str> = user_info.trim_end_matches('@').split(':').collect();
    assert_no_leak(&outputs, &secrets);
}

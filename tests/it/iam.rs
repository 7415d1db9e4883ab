//! A token from IAM, not pasted: the binary asks the mock's IAM (`POST /v3/auth/tokens`) for
//! each user's token and runs the suite with them; a refused password stops the run with exit
//! 2, IAM's message and no second try; an explicit token wins; half-given IAM settings are
//! refused before anything is sent; no password or issued token reaches any output.

use crate::common;

use common::binary::{run_data, run_with_every_output};
use common::faithful;
use sms_conformance::mock::Fixture;

/// The environment of a CI job that asks the mock's IAM at `url` for both tokens.
fn iam_env(url: &str) -> Vec<(&'static str, String)> {
    let fixture = Fixture::builtin();
    let (reader, denied) = (&fixture.users[0], &fixture.users[1]);
    vec![
        ("SMS_ENDPOINT", url.to_owned()),
        ("SMS_TASK_ID", fixture.tasks[0].id.clone()),
        ("SMS_IAM_ENDPOINT", url.to_owned()),
        ("SMS_IAM_USER", reader.name.clone()),
        ("SMS_IAM_PASSWORD", reader.password.clone()),
        ("SMS_IAM_DOMAIN", reader.domain.clone()),
        ("SMS_IAM_PROJECT", "ap-southeast-3".to_owned()),
        ("SMS_IAM_FORBIDDEN_USER", denied.name.clone()),
        ("SMS_IAM_FORBIDDEN_PASSWORD", denied.password.clone()),
    ]
}

/// The IAM requests a stub received.
async fn iam_requests(server: &wiremock::MockServer) -> usize {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .filter(|r| r.url.path() == "/v3/auth/tokens")
        .count()
}

#[tokio::test]
async fn the_tokens_come_from_iam_and_no_secret_reaches_any_output() {
    let server = common::stub(faithful).await;
    let outputs = run_with_every_output(&[], &iam_env(&server.uri())).await;
    let run = &outputs.run;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test auth/forbidden-token ... ok");
    run.assert_shows("test read/valid-call ... ok");
    assert!(
        run.stderr
            .contains("iam: ${token} is the token of `sms-reader` (project ap-southeast-3)"),
        "{}",
        run.stderr
    );
    assert_eq!(iam_requests(&server).await, 2);
    let fixture = Fixture::builtin();
    let secrets = fixture
        .users
        .iter()
        .map(|u| u.password.clone())
        .chain(fixture.tokens.iter().map(|t| t.value.clone()));
    for secret in secrets {
        for (name, text) in &outputs.named {
            assert!(!text.contains(&secret), "{secret} in {name}:\n{text}");
        }
    }
}

/// A password in the IAM endpoint's URL (a proxy's or a gateway's basic credentials) is a
/// secret like the others: the `iam:` lines and IAM's refusal name the endpoint masked.
#[tokio::test]
async fn a_password_in_the_iam_endpoints_url_reaches_no_output() {
    let server = common::stub(faithful).await;
    let secret = "iam-url-Secret-42";
    let with_password = server
        .uri()
        .replace("http://", &format!("http://gw:{secret}@"));
    let mut env = iam_env(&server.uri());
    env.retain(|(name, _)| *name != "SMS_IAM_ENDPOINT");
    env.push(("SMS_IAM_ENDPOINT", with_password.clone()));
    let outputs = run_with_every_output(&[], &env).await;
    assert_eq!(outputs.run.code, 0, "{}", outputs.run.all());
    assert!(
        outputs.run.stderr.contains("iam: ${token}"),
        "{}",
        outputs.run.stderr
    );
    for (name, text) in &outputs.named {
        assert!(!text.contains(secret), "{secret} in {name}:\n{text}");
    }

    env.retain(|(name, _)| *name != "SMS_IAM_PASSWORD");
    env.push(("SMS_IAM_PASSWORD", "wrong-Passw0rd-123".to_owned()));
    let refused = run_data(&[], &env).await;
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains("IAM gave no token"),
        "{}",
        refused.stderr
    );
    assert!(!refused.all().contains(secret), "{}", refused.all());
}

#[tokio::test]
async fn a_refused_password_stops_the_run_once_with_iams_message() {
    let server = common::stub(faithful).await;
    let mut env = iam_env(&server.uri());
    let wrong = "wrong-Passw0rd-123";
    env.retain(|(name, _)| *name != "SMS_IAM_PASSWORD");
    env.push(("SMS_IAM_PASSWORD", wrong.to_owned()));
    let run = run_data(&[], &env).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("IAM gave no token for user `sms-reader`")
            && run
                .stderr
                .contains("IAM refused: 401 Unauthorized: The username or password is wrong.")
            && run
                .stderr
                .contains("IAM locks a user after repeated wrong passwords"),
        "{}",
        run.stderr
    );
    assert!(!run.all().contains(wrong), "{}", run.all());
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "one IAM request and nothing else");
}

#[tokio::test]
async fn an_explicit_token_wins_over_iam() {
    let server = common::stub(faithful).await;
    let mut env = iam_env(&server.uri());
    env.retain(|(name, _)| *name != "SMS_IAM_PASSWORD");
    env.push(("SMS_IAM_PASSWORD", "never-sent".to_owned()));
    env.push(("SMS_TOKEN", common::builtin_token("token")));
    let run = run_data(&[], &env).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        iam_requests(&server).await,
        1,
        "only the forbidden user's token is asked for"
    );
}

#[tokio::test]
async fn half_given_iam_settings_are_refused_before_anything_is_sent() {
    let server = common::stub(faithful).await;
    let mut env = iam_env(&server.uri());
    env.retain(|(name, _)| !matches!(*name, "SMS_IAM_PASSWORD" | "SMS_IAM_DOMAIN"));
    let run = run_data(&[], &env).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains(
            "asking IAM for a token needs SMS_IAM_PASSWORD or --iam-password-file, SMS_IAM_DOMAIN"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);

    let without_endpoint = [("SMS_IAM_USER", "sms-reader".to_owned())];
    let run = run_data(&[], &without_endpoint).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("live settings are given (SMS_IAM_*) but no endpoint"),
        "{}",
        run.stderr
    );
}

/// A blank IAM setting (an undefined CI variable yields one) is refused before IAM is asked:
/// a login with a blank user or domain counts towards the user's lockout all the same.
#[tokio::test]
async fn blank_iam_settings_are_refused_before_iam_is_asked() {
    let server = common::stub(faithful).await;
    for (name, value, said) in [
        ("SMS_IAM_USER", " ", "SMS_IAM_USER is empty"),
        ("SMS_IAM_DOMAIN", "", "SMS_IAM_DOMAIN is empty"),
        ("SMS_IAM_PROJECT", " ", "SMS_IAM_PROJECT is empty"),
        (
            "SMS_IAM_ENDPOINT",
            "iam.example.com",
            "SMS_IAM_ENDPOINT has no scheme",
        ),
    ] {
        let mut env = iam_env(&server.uri());
        env.retain(|(set, _)| *set != name);
        env.push((name, value.to_owned()));
        let run = run_data(&[], &env).await;
        assert_eq!(run.code, 2, "{name}: {}", run.all());
        assert!(run.stderr.contains(said), "{name}: {}", run.stderr);
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
    // An IAM that cannot be reached refused no password: no word of lockout.
    let mut env = iam_env(&server.uri());
    env.retain(|(set, _)| *set != "SMS_IAM_ENDPOINT");
    env.push(("SMS_IAM_ENDPOINT", "http://127.0.0.1:1".to_owned()));
    let run = run_data(&[], &env).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(!run.stderr.contains("locks a user"), "{}", run.stderr);
}

#[tokio::test]
async fn a_password_file_is_read_and_a_domain_scope_used_without_a_project() {
    let server = common::stub(faithful).await;
    let mut env = iam_env(&server.uri());
    env.retain(|(name, _)| !matches!(*name, "SMS_IAM_PASSWORD" | "SMS_IAM_PROJECT"));
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        file.path(),
        format!("{}\n", Fixture::builtin().users[0].password),
    )
    .unwrap();
    let run = run_data(
        &["--iam-password-file", file.path().to_str().unwrap()],
        &env,
    )
    .await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("(domain mock-account)"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn the_mocks_http_host_serves_iam_as_the_embedded_and_standalone_mock_do() {
    let fixture = std::sync::Arc::new(Fixture::builtin());
    let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
    let (addr, serving) = sms_conformance::mock::server::bind(
        loopback,
        std::sync::Arc::clone(&fixture),
        std::future::pending(),
    )
    .await
    .unwrap();
    tokio::spawn(serving);
    let url = format!("http://{addr}");
    let run = run_data(&[], &iam_env(&url)).await;
    assert_eq!(run.code, 0, "{}", run.all());
    run.assert_shows("test auth/forbidden-token ... ok");
}

#[tokio::test]
async fn a_dry_run_asks_iam_nothing() {
    let server = common::stub(faithful).await;
    let run = run_data(&["--dry-run"], &iam_env(&server.uri())).await;
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stderr.contains("a dry run asks IAM nothing"),
        "{}",
        run.stderr
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 0);
}

/// IAM failing (a 5xx) is not a refused password: the message says IAM failed, and does not
/// blame the password.
#[tokio::test]
async fn iams_own_failure_is_not_called_a_refused_password() {
    use wiremock::matchers::{method, path};
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(method("POST"))
        .and(path("/v3/auth/tokens"))
        .respond_with(wiremock::ResponseTemplate::new(503).set_body_json(
            serde_json::json!({"error_code": "IAM.0000", "error_msg": "service unavailable"}),
        ))
        .mount(&server)
        .await;
    let run = run_data(&[], &iam_env(&server.uri())).await;
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr
            .contains("IAM failed: 503 IAM.0000: service unavailable (IAM's own failure, not the password's: try again later)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("refused"), "{}", run.stderr);
}

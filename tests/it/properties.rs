//! Generative tests, a fixed number of cases each so that `cargo test` stays fast:
//!
//! - the mock's answer function, given any method, raw path and headers, never panics and
//!   always answers JSON with a request id;
//! - the loader, given any bytes as a case file or a fixture (random, or a valid file with
//!   bytes spliced in), never panics;
//! - the runner, given any answer over HTTP (status, headers, body bytes) holding random
//!   secrets at random places in the encodings common encoders write, never panics, and
//!   nothing the renderer makes of it (failure, reasons, exchange, request URL and headers)
//!   holds any form of any secret, or any 12 characters of one; a one-character passphrase
//!   is masked where it is a value and nowhere else.

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use sms_conformance::mock::{self, Fixture};
use sms_conformance::{
    Case, CaseResult, Contract, HttpClient, Redactor, Renderer, Runner, Target, Variable, Variables,
};
use tokio::io::AsyncWriteExt;

const TASK: &str = "d7fa81b9-c174-4c0a-a475-51a54c8af8a4";

/// `cases` cases from a fixed seed: the same cases on every run.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        rng_seed: proptest::test_runner::RngSeed::Fixed(0x5EC2E7),
        ..Config::default()
    }
}

/// A header name: a few that matter to the checks and the redactor, or a random one.
fn header_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("x-auth-token".to_owned()),
        Just("content-type".to_owned()),
        Just("x-request-id".to_owned()),
        Just("location".to_owned()),
        Just("set-cookie".to_owned()),
        "x-[a-z]{1,12}",
    ]
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_mock_answers_any_request_with_json_and_a_request_id(
        method in prop_oneof![
            Just("GET".to_owned()),
            Just("HEAD".to_owned()),
            Just("POST".to_owned()),
            "[A-Z]{1,10}",
        ],
        path in prop_oneof![
            Just(format!("/v3/tasks/{TASK}/passphrase")),
            "/v3/tasks/[^/]{0,40}/passphrase",
            any::<String>(),
        ],
        headers in proptest::collection::vec(
            (header_name(), proptest::collection::vec(0x20u8..0x7f, 0..40)),
            0..6,
        ),
        use_the_token in any::<bool>(),
    ) {
        let fixture = Fixture::builtin();
        let mut map = http::HeaderMap::new();
        if use_the_token {
            map.append("x-auth-token", fixture.tokens[0].value.parse().unwrap());
        }
        for (name, value) in headers {
            let value = http::HeaderValue::from_bytes(&value).unwrap();
            map.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value);
        }
        let method = http::Method::from_bytes(method.as_bytes()).unwrap();
        let answer = mock::answer(&fixture, &method, &path, &map, b"", "rid-0123");
        let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
        prop_assert!(body.is_object(), "{body}");
        prop_assert!(answer.headers.contains(&("X-Request-Id", "rid-0123".into())));
    }
}

/// A valid case and a valid fixture, for the loader to be fed broken copies of.
const VALID_CASE: &str = "description: d\nrequest:\n  task_id: ${task_id}\n  token: ${token}\n  headers: {X-A: \"b\"}\nexpect:\n  status: [200, 4xx]\n  body:\n    /task_id: {equals: \"${task_id}\"}\n";

/// Bytes for the loader: random, or `valid` with bytes spliced in at a random place.
fn file_bytes(valid: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        (
            0..=valid.len(),
            0usize..8,
            proptest::collection::vec(any::<u8>(), 0..12)
        )
            .prop_map(move |(at, removed, inserted)| {
                let mut bytes = valid.as_bytes().to_vec();
                let end = (at + removed).min(bytes.len());
                bytes.splice(at..end, inserted);
                bytes
            }),
    ]
}

#[test]
fn the_loader_never_panics_on_any_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases");
    std::fs::create_dir(&cases).unwrap();
    let case_file = cases.join("case.yaml");
    let fixture_file = dir.path().join("fixture.yaml");
    let contract = common::contract();
    let mut runner = TestRunner::new(config(256));
    runner
        .run(
            &(file_bytes(VALID_CASE), file_bytes(mock::DEFAULT_FIXTURE)),
            |(case, fixture)| {
                std::fs::write(&case_file, &case).unwrap();
                std::fs::write(&fixture_file, &fixture).unwrap();
                let _ = sms_conformance::load_dir(&cases, &contract.known());
                let _ = Fixture::load(&fixture_file);
                Ok(())
            },
        )
        .unwrap();
}

/// Characters of the generated secrets: every class an encoder treats differently.
const SECRET_CHARS: &str =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!*'()/+ =&?%\":;@,\\";

/// A secret of 8 to 40 characters (masked wherever it appears), not starting or ending
/// with a space (HTTP trims those from a header value).
fn long_secret() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        proptest::sample::select(SECRET_CHARS.chars().collect::<Vec<_>>()),
        8..40,
    )
    .prop_map(|chars| chars.into_iter().collect::<String>())
    .prop_filter("no space at either end", |s| s.trim() == s)
}

/// How a secret is written where it is placed.
#[derive(Debug, Clone, Copy)]
enum Encoding {
    Raw,
    Json,
    Percent { keep: Keep, lower: bool },
    Base64 { url_safe: bool, prefix: usize },
}

#[derive(Debug, Clone, Copy)]
enum Keep {
    Alphanumeric,
    Unreserved,
    UriComponent,
    Form,
}

fn encoding() -> impl Strategy<Value = Encoding> {
    let keep = prop_oneof![
        Just(Keep::Alphanumeric),
        Just(Keep::Unreserved),
        Just(Keep::UriComponent),
        Just(Keep::Form),
    ];
    prop_oneof![
        Just(Encoding::Raw),
        Just(Encoding::Json),
        (keep, any::<bool>()).prop_map(|(keep, lower)| Encoding::Percent { keep, lower }),
        (any::<bool>(), 0usize..3)
            .prop_map(|(url_safe, prefix)| Encoding::Base64 { url_safe, prefix }),
    ]
}

impl Encoding {
    fn apply(self, secret: &str) -> String {
        match self {
            Encoding::Raw => secret.to_owned(),
            Encoding::Json => common::json_escaped(secret),
            Encoding::Percent { keep, lower } => {
                let kept: &[u8] = match keep {
                    Keep::Alphanumeric => b"",
                    Keep::Unreserved => b"-._~",
                    Keep::UriComponent => b"-_.!~*'()",
                    Keep::Form => b"*-._",
                };
                let form = matches!(keep, Keep::Form);
                common::percent(
                    secret,
                    |b| b.is_ascii_alphanumeric() || kept.contains(&b),
                    lower,
                    form,
                )
            }
            Encoding::Base64 { url_safe, prefix } => {
                let data = [&b"Bearer "[..prefix], secret.as_bytes()].concat();
                if url_safe {
                    base64::engine::general_purpose::URL_SAFE.encode(data)
                } else {
                    base64::engine::general_purpose::STANDARD.encode(data)
                }
            }
        }
    }
}

/// How the body tells the passphrase, if it does.
#[derive(Debug, Clone, Copy)]
enum Body {
    /// `{"task_id", "passphrase", "note": ...}`: JSON.
    Json,
    /// The same with a trailing comma: not JSON, the passphrase still learnable.
    BrokenJson,
    /// `task_id=...&passphrase=...&note=...`.
    Form,
    /// Random bytes, no passphrase.
    Bytes,
}

/// One answer: its status, headers and body, with the secrets placed in it.
#[derive(Debug, Clone)]
struct Hostile {
    status: u16,
    body: Body,
    noise: Vec<u8>,
    /// Where in the noise, how, and which secret (0 the token, 1 the passphrase).
    in_body: Vec<(usize, Encoding, usize)>,
    /// Header name, how, which secret.
    in_headers: Vec<(String, Encoding, usize)>,
    /// Whether the request carries the token.
    with_token: bool,
}

fn hostile() -> impl Strategy<Value = Hostile> {
    let body = prop_oneof![
        Just(Body::Json),
        Just(Body::BrokenJson),
        Just(Body::Form),
        Just(Body::Bytes),
    ];
    (
        prop_oneof![Just(200u16), Just(401), Just(403), 200u16..600],
        body,
        proptest::collection::vec(any::<u8>(), 0..700),
        proptest::collection::vec((0usize..700, encoding(), 0usize..2), 0..4),
        proptest::collection::vec((header_name(), encoding(), 0usize..2), 0..4),
        any::<bool>(),
    )
        .prop_map(
            |(status, body, noise, in_body, in_headers, with_token)| Hostile {
                status,
                body,
                noise,
                in_body,
                in_headers,
                with_token,
            },
        )
}

impl Hostile {
    /// Whether the answer teaches the passphrase (else it is not placed anywhere): a body
    /// that holds it, with a status that has a body.
    fn tells_the_passphrase(&self) -> bool {
        !matches!(self.body, Body::Bytes) && !matches!(self.status, 204 | 304)
    }

    fn placed<'a>(&self, which: usize, secrets: &'a [String; 2]) -> Option<&'a str> {
        (which == 0 || self.tells_the_passphrase()).then(|| secrets[which].as_str())
    }

    /// The answer as bytes on the wire.
    fn response(&self, secrets: &[String; 2]) -> Vec<u8> {
        let mut note = String::from_utf8_lossy(&self.noise).into_owned();
        // Places in the noise as generated, filled from the last to the first, so that no
        // secret lands inside another.
        let noise_len = note.len();
        let mut in_body = self.in_body.clone();
        in_body.sort_by_key(|(at, _, _)| std::cmp::Reverse(*at));
        for (at, encoding, which) in &in_body {
            if let Some(secret) = self.placed(*which, secrets) {
                let mut at = (*at).min(noise_len);
                while !note.is_char_boundary(at) {
                    at -= 1;
                }
                note.insert_str(at, &encoding.apply(secret));
            }
        }
        let passphrase = &secrets[1];
        let body = match self.body {
            Body::Json => {
                serde_json::json!({"task_id": TASK, "passphrase": passphrase, "note": note})
                    .to_string()
            }
            Body::BrokenJson => format!(
                r#"{{"task_id":"{TASK}","passphrase":{},"note":{},}}"#,
                serde_json::json!(passphrase),
                serde_json::json!(note)
            ),
            Body::Form => format!(
                "task_id={TASK}&passphrase={}&note={}",
                Encoding::Percent {
                    keep: Keep::Form,
                    lower: false
                }
                .apply(passphrase),
                note
            ),
            Body::Bytes => note,
        };
        let mut head = format!("HTTP/1.1 {} X\r\nConnection: close\r\n", self.status);
        for (name, encoding, which) in &self.in_headers {
            if let Some(secret) = self.placed(*which, secrets) {
                head.push_str(&format!("{name}: v={}\r\n", encoding.apply(secret)));
            }
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        [head.into_bytes(), body.into_bytes()].concat()
    }
}

/// A raw server answering every connection with the bytes in `response`, then closing.
async fn replaying_server(response: Arc<Mutex<Vec<u8>>>) -> String {
    common::hostile::raw_server(move |mut stream| {
        let response = response.lock().unwrap().clone();
        async move {
            common::hostile::read_head(&mut stream).await;
            let _ = stream.write_all(&response).await;
            let _ = stream.shutdown().await;
        }
    })
    .await
}

/// The cases the runner is given: one that sends the token everywhere it can (task id,
/// X-Auth-Token, a header of its own), one that sends no token.
fn write_cases(dir: &std::path::Path) -> Vec<Arc<Case>> {
    let with = "request:\n  task_id: ${token}\n  token: ${token}\n  headers: {X-Upstream-Token: \"${token}\"}\nexpect:\n  status: 200\n  body:\n    /passphrase: {equals: \"${token}\"}\n";
    let without = "request:\n  task_id: ${task_id}\nexpect:\n  status: 401\n  body:\n    /note: {present: false}\n";
    std::fs::write(dir.join("with-token.yaml"), with).unwrap();
    std::fs::write(dir.join("without-token.yaml"), without).unwrap();
    common::load_cases(dir).unwrap()
}

/// Everything the renderer makes of `result`, as the run's outputs would show it.
fn rendered(renderer: &Renderer, result: &CaseResult) -> Vec<(&'static str, String)> {
    let mut texts = vec![("failure", renderer.failure(result).unwrap_or_default())];
    for reason in renderer.reasons(result) {
        texts.push(("reason", reason.message));
    }
    if let Some(exchange) = &result.exchange {
        texts.push(("exchange", renderer.exchange(exchange)));
        let request = exchange.request();
        texts.push(("url", renderer.url(&request.url)));
        for (name, value) in &request.headers {
            texts.push(("request header", renderer.header(name, value)));
        }
    }
    texts
}

/// `texts` for a failure message.
fn shown(texts: &[(&str, String)]) -> String {
    let shown: Vec<String> = texts
        .iter()
        .map(|(name, text)| format!("--- {name}\n{text}"))
        .collect();
    shown.join("\n")
}

/// Runs `property` on `cases` generated answers, each served over loopback to the runner.
fn against_hostile_answers(
    cases: u32,
    strategy: impl Strategy<Value = (Hostile, [String; 2])>,
    property: impl Fn(&Hostile, &[String; 2], &[(&'static str, String)]) -> Result<(), TestCaseError>,
) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let response = Arc::new(Mutex::new(Vec::new()));
    let url = runtime.block_on(replaying_server(Arc::clone(&response)));
    let dir = tempfile::tempdir().unwrap();
    let case_list = write_cases(dir.path());
    let contract = Arc::new(Contract::load(&common::schemas_dir()).unwrap());
    let client = HttpClient::new(Duration::from_secs(5), 1 << 20);
    let mut runner = TestRunner::new(config(cases));
    runner
        .run(&strategy, |(hostile, secrets)| {
            *response.lock().unwrap() = hostile.response(&secrets);
            let mut variables = Variables::default();
            variables.set(Variable::TaskId, TASK.to_owned());
            variables.set(Variable::Token, secrets[0].clone());
            let target = Target::new(&url, variables);
            let run = Runner::new(Arc::clone(&contract), target, client.clone());
            let case = &case_list[usize::from(!hostile.with_token)];
            let result = runtime.block_on(run.run(Arc::clone(case)));
            // As the command line does: the target's secrets first, then what the answers
            // teach.
            let redactor = Redactor::new([secrets[0].as_str()]);
            let renderer = Renderer::new(&redactor, std::slice::from_ref(&result));
            property(&hostile, &secrets, &rendered(&renderer, &result))
        })
        .unwrap();
}

#[test]
fn no_form_of_any_secret_in_any_answer_reaches_any_output() {
    let strategy = (hostile(), [long_secret(), long_secret()])
        .prop_filter("two secrets, neither inside the other", |(_, [a, b])| {
            !a.contains(b.as_str()) && !b.contains(a.as_str())
        });
    against_hostile_answers(96, strategy, |hostile, secrets, texts| {
        let mut known = vec![secrets[0].as_str()];
        if hostile.tells_the_passphrase() {
            known.push(&secrets[1]);
        }
        let leaks = common::leaks(texts, &known);
        prop_assert!(leaks.is_empty(), "{}\n{}", leaks.join("\n"), shown(texts));
        Ok(())
    });
}

#[test]
fn a_one_character_passphrase_is_masked_as_a_value_only() {
    let short =
        proptest::sample::select(vec!["e", "a", "1", "-", "x", ":"]).prop_map(str::to_owned);
    let strategy = (hostile(), long_secret(), short)
        .prop_map(|(mut hostile, token, passphrase)| {
            hostile.body = Body::Json;
            hostile
                .in_headers
                .push(("x-echo".to_owned(), Encoding::Raw, 1));
            (hostile, [token, passphrase])
        })
        .prop_filter("the token does not hold the passphrase", |(_, [t, p])| {
            !t.contains(p.as_str())
        });
    against_hostile_answers(48, strategy, |_, secrets, texts| {
        let passphrase = &secrets[1];
        let quoted = serde_json::json!(passphrase).to_string();
        for (name, text) in texts {
            prop_assert!(!text.contains(&quoted), "{quoted} in {name}: {text}");
            prop_assert!(
                !text
                    .lines()
                    .any(|l| l.ends_with(&format!(": v={passphrase}"))),
                "a header value in {name}: {text}"
            );
        }
        let failure = &texts[0].1;
        prop_assert!(
            failure.contains("case: with-token") || failure.contains("case: without-token"),
            "garbled: {failure}"
        );
        Ok(())
    });
}

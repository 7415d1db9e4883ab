//! The mock's hyper host (the embedded default target, `sms-conformance mock`) serves what the
//! mock's pure behaviour answers, byte for byte, and nothing of the request: the host builds
//! its answers without going through `MockAnswer`, in the request's own header map. So it
//! does on both its sockets: a loopback port (`mock --listen`), and the Unix socket the
//! embedded mock listens on.

use crate::common;

use std::net::SocketAddr;
use std::sync::Arc;

use common::builtin_token;
use common::child::{RawAnswer, read_answer};
use rstest::rstest;
use sms_conformance::mock::server::Listening;
use sms_conformance::mock::{self, Fixture};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

/// A header of the request that no answer may carry back.
const ECHO_BAIT: (&str, &str) = ("X-Echo-Bait", "request-only");

/// The headers hyper adds to every answer, which the pure behaviour leaves to its host.
const HOSTS_OWN: [&str; 2] = ["content-length", "date"];

#[rstest]
#[case::permitted("GET", "/v3/tasks/{task}/passphrase", Some("token"), "")]
#[case::forbidden("GET", "/v3/tasks/{task}/passphrase", Some("forbidden_token"), "")]
#[case::no_token("GET", "/v3/tasks/{task}/passphrase", None, "")]
#[case::unknown_task("GET", "/v3/tasks/nope/passphrase", Some("token"), "")]
#[case::escaped_id("GET", "/v3/tasks/%C3%A9/passphrase", Some("token"), "")]
#[case::query("GET", "/v3/tasks/{task}/passphrase?x=1", Some("token"), "")]
#[case::not_published("DELETE", "/v3/tasks/{task}/passphrase", Some("token"), "")]
#[case::iam_issues("POST", "/v3/auth/tokens", None, "{password}")]
#[case::iam_refuses("POST", "/v3/auth/tokens", None, "wrong")]
#[tokio::test]
async fn the_host_serves_what_the_pure_behaviour_answers_and_nothing_of_the_request(
    #[case] method: &str,
    #[case] target: &str,
    #[case] token: Option<&str>,
    #[case] password: &str,
    #[values(Socket::Port, Socket::Embedded)] socket: Socket,
) {
    let fixture = Arc::new(Fixture::builtin());
    let target = target.replace("{task}", &fixture.tasks[0].id);
    let body = match method {
        "POST" => iam_request(&fixture, password),
        _ => String::new(),
    };
    let mut headers = vec![ECHO_BAIT];
    let token = token.map(builtin_token);
    if let Some(token) = &token {
        headers.push(("X-Auth-Token", token));
    }

    let mut stream = connect(&fixture, socket).await;
    let served = exchange(&mut stream, &format!("{method} {target}"), &headers, &body).await;
    let request_id = served
        .header("x-request-id")
        .expect("an X-Request-Id")
        .to_owned();
    let mut map = http::HeaderMap::new();
    for (name, value) in &headers {
        map.append(*name, value.parse().unwrap());
    }
    let method = http::Method::from_bytes(method.as_bytes()).unwrap();
    let pure = mock::answer(
        &fixture,
        &method,
        &target,
        &map,
        body.as_bytes(),
        &request_id,
    );

    assert_served_as(&served, &pure);
}

/// hyper parses a kept-alive connection's next request into the header map the answer
/// before it was sent in: the second request is read from its own headers alone.
#[rstest]
#[tokio::test]
async fn a_kept_alive_connection_answers_each_request_from_its_own_headers(
    #[values(Socket::Port, Socket::Embedded)] socket: Socket,
) {
    let fixture = Arc::new(Fixture::builtin());
    let target = format!("/v3/tasks/{}/passphrase", fixture.tasks[0].id);
    let token = builtin_token("token");
    let mut stream = connect(&fixture, socket).await;
    let first = [ECHO_BAIT, ("X-Auth-Token", token.as_str())];
    let permitted = exchange(&mut stream, &format!("GET {target}"), &first, "").await;
    assert_eq!(permitted.status, 200);
    let second = [("X-Second-Bait", "request-only")];
    let refused = exchange(&mut stream, &format!("GET {target}"), &second, "").await;
    let request_id = refused.header("x-request-id").expect("an X-Request-Id");
    let pure = mock::answer(
        &fixture,
        &http::Method::GET,
        &target,
        &http::HeaderMap::new(),
        b"",
        request_id,
    );
    assert_eq!(pure.status, 401, "no token: the gateway's 401");
    assert_served_as(&refused, &pure);
}

/// `served` is `pure`, but for the headers hyper adds.
fn assert_served_as(served: &RawAnswer, pure: &mock::MockAnswer) {
    assert_eq!(served.status, pure.status);
    assert_eq!(
        String::from_utf8_lossy(&served.body),
        String::from_utf8_lossy(&pure.body)
    );
    let mut expected: Vec<(String, String)> = pure
        .headers
        .iter()
        .map(|(name, value)| (name.to_lowercase(), value.to_string()))
        .collect();
    let mut got: Vec<(String, String)> = served
        .headers
        .iter()
        .filter(|(name, _)| !HOSTS_OWN.contains(&name.as_str()))
        .cloned()
        .collect();
    expected.sort();
    got.sort();
    assert_eq!(got, expected, "the answer's headers, but for hyper's own");
}

/// An IAM token request for the fixture's first user, with `password` (`{password}`: the
/// user's own).
fn iam_request(fixture: &Fixture, password: &str) -> String {
    let user = &fixture.users[0];
    let password = password.replace("{password}", &user.password);
    serde_json::json!({"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user.name, "password": password, "domain": {"name": user.domain}}}},
        "scope": {"project": {"name": "ap-southeast-3"}},
    }})
    .to_string()
}

/// Which of the mock host's sockets a test speaks to.
#[derive(Debug, Clone, Copy)]
enum Socket {
    /// A loopback port, as `mock --listen` and `mock::server::bind` listen on.
    Port,
    /// Where the embedded mock listens: on Linux, a Unix socket.
    Embedded,
}

/// A byte stream to the mock: a TCP or a Unix connection.
trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A connection to a new mock host serving `fixture`, on `socket`.
async fn connect(fixture: &Arc<Fixture>, socket: Socket) -> Box<dyn Stream> {
    match socket {
        Socket::Port => {
            let loopback = SocketAddr::from(([127, 0, 0, 1], 0));
            let (addr, serving) =
                mock::server::bind(loopback, Arc::clone(fixture), std::future::pending())
                    .await
                    .unwrap();
            tokio::spawn(serving);
            Box::new(TcpStream::connect(addr).await.unwrap())
        }
        Socket::Embedded => {
            let (listening, serving) =
                mock::server::embedded(Arc::clone(fixture), std::future::pending())
                    .await
                    .unwrap();
            tokio::spawn(serving);
            match listening {
                Listening::Socket(name) => Box::new(UnixStream::connect(name).await.unwrap()),
                Listening::Port(addr) => {
                    if cfg!(any(target_os = "linux", target_os = "android")) {
                        panic!("on Linux the embedded mock listens on a Unix socket, not {addr}");
                    }
                    Box::new(TcpStream::connect(addr).await.unwrap())
                }
            }
        }
    }
}

/// The answer to `request_line` with `headers` and `body`, sent on `stream`.
async fn exchange(
    stream: &mut Box<dyn Stream>,
    request_line: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawAnswer {
    let mut request = format!("{request_line} HTTP/1.1\r\nHost: mock\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() {
        request.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    read_answer(stream).await.expect("an answer")
}

//! The throughput ceiling for `benches/mock-throughput.sh`: a bare hyper 1 server that answers
//! every request with the same bytes the mock sends for a permitted read (computed once at
//! start, with a fixed request id), and does nothing else per request.
//!
//! `cargo run --release --example bare_hyper -- 127.0.0.1:18081`

use std::convert::Infallible;
use std::net::SocketAddr;

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use sms_conformance::mock::Fixture;
use sms_conformance::mock::answer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr: SocketAddr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18081".to_owned())
        .parse()
        .map_err(std::io::Error::other)?;
    let fixture = Fixture::builtin();
    let token = fixture
        .tokens
        .iter()
        .find(|t| t.permitted)
        .expect("a permitted token");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "x-auth-token",
        token.value.parse().map_err(std::io::Error::other)?,
    );
    let path = format!("/v3/tasks/{}/passphrase", fixture.tasks[0].id);
    let template = answer(
        &fixture,
        &http::Method::GET,
        &path,
        &headers,
        b"",
        &"0".repeat(32),
    );
    let status = http::StatusCode::from_u16(template.status).map_err(std::io::Error::other)?;
    let mut head = http::HeaderMap::new();
    for (name, value) in &template.headers {
        let name = http::HeaderName::try_from(*name).map_err(std::io::Error::other)?;
        head.insert(name, value.parse().map_err(std::io::Error::other)?);
    }
    let body = Bytes::from(template.body);

    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("bare hyper listening on http://{}", listener.local_addr()?);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (head, body) = (head.clone(), body.clone());
        tokio::spawn(async move {
            let service = service_fn(move |_: Request<Incoming>| {
                let mut response = Response::new(Full::new(body.clone()));
                *response.status_mut() = status;
                *response.headers_mut() = head.clone();
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

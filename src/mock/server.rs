//! The mock's HTTP host: hyper via axum, for the embedded default target and for
//! `sms-conformance mock`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;

use super::{Fixture, answer, new_request_id};

/// The most bytes of a request body read: an IAM token request is well under 1 KiB.
const BODY_CAP: usize = 64 * 1024;

/// The mock as an axum router: every method and path goes to [`answer`].
pub fn router(fixture: Arc<Fixture>) -> axum::Router {
    axum::Router::new().fallback(move |request: Request| {
        let fixture = Arc::clone(&fixture);
        async move {
            let (parts, body) = request.into_parts();
            let body = axum::body::to_bytes(body, BODY_CAP)
                .await
                .unwrap_or_default();
            let mock = answer(
                &fixture,
                &parts.method,
                parts
                    .uri
                    .path_and_query()
                    .map_or("/", |target| target.as_str()),
                &parts.headers,
                &body,
                &new_request_id(),
            );
            let mut response = Response::builder().status(mock.status);
            for (name, value) in mock.headers {
                response = response.header(name, value);
            }
            response
                .body(Body::from(mock.body))
                .expect("the mock's status and headers are valid")
        }
    })
}

/// Binds `addr` and returns the bound address and the future that serves until `shutdown`
/// completes.
pub async fn bind(
    addr: SocketAddr,
    fixture: Arc<Fixture>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<(SocketAddr, impl Future<Output = std::io::Result<()>>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let serving = axum::serve(listener, router(fixture)).with_graceful_shutdown(shutdown);
    Ok((local, async move { serving.await }))
}

//! Servers that break HTTP itself, written on raw TCP: what a hostile or broken endpoint
//! does to a client.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves every connection on an ephemeral loopback port with `serve`; returns the base URL.
pub async fn raw_server<F, Fut>(serve: F) -> String
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    url
}

/// A loopback URL nothing listens on: its port was bound and given back.
pub fn refusing_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port();
    format!("http://127.0.0.1:{port}")
}

/// Reads one request head (up to the blank line) and drops it.
pub async fn read_head(stream: &mut TcpStream) {
    request_head(stream).await;
}

/// Reads one request head (up to the blank line), as text.
pub async fn request_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 1 << 20 {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// Answers with `head` and `body` once the request head has been read.
pub async fn send(stream: &mut TcpStream, head: &str, body: &[u8]) {
    let _ = stream
        .write_all(format!("{head}\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes())
        .await;
    let _ = stream.write_all(body).await;
}

/// The head of a JSON answer with this status (`200 OK`).
pub fn json_head(status: &str) -> String {
    format!("HTTP/1.1 {status}\r\nContent-Type: application/json\r\nX-Request-Id: r")
}

/// Answers with `head` (the status line and headers, without the blank line) and `body`.
pub async fn answer(stream: &mut TcpStream, head: &str, body: &[u8]) {
    read_head(stream).await;
    send(stream, head, body).await;
}

/// Accepts, reads the request, and never answers.
pub async fn never_answers(mut stream: TcpStream) {
    read_head(&mut stream).await;
    tokio::time::sleep(Duration::from_secs(3600)).await;
}

/// Starts a 1000-byte body, sends part of it, then resets the connection.
pub async fn resets_mid_body(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nContent-Length: 1000\r\n\r\n";
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(b"{\"task_id\": \"").await;
    let _ = stream.flush().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let _ = stream.set_zero_linger();
}

/// Sends a valid answer one byte a second.
pub async fn trickles(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let body = r#"{"task_id":"d7fa81b9-c174-4c0a-a475-51a54c8af8a4","passphrase":"x"}"#;
    let whole = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    for byte in whole.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Announces and sends a 64 MiB body, as fast as the client reads.
pub async fn huge_body(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let size = 64 << 20;
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nContent-Length: {size}\r\n\r\n"
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let chunk = vec![b' '; 64 * 1024];
    for _ in 0..size / chunk.len() {
        if stream.write_all(&chunk).await.is_err() {
            return;
        }
    }
}

/// A chunked body that never ends.
pub async fn endless_chunks(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Request-Id: r\r\nTransfer-Encoding: chunked\r\n\r\n";
    let _ = stream.write_all(head.as_bytes()).await;
    let chunk = format!("4000\r\n{}\r\n", " ".repeat(0x4000));
    while stream.write_all(chunk.as_bytes()).await.is_ok() {}
}

/// Headers of over 64 KiB (one long header), then a valid answer.
pub async fn huge_headers(mut stream: TcpStream) {
    let head = format!(
        "{}\r\nX-Padding: {}",
        json_head("200 OK"),
        "a".repeat(70 * 1024)
    );
    answer(
        &mut stream,
        &head,
        br#"{"task_id":"d7fa81b9-c174-4c0a-a475-51a54c8af8a4","passphrase":"x"}"#,
    )
    .await;
}

/// A status line that is not HTTP/1.x.
pub async fn garbage_status_line(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream.write_all(b"SMS/9.9 banana\r\n\r\n").await;
}

/// An HTTP/0.9 answer: the body alone, no status line or headers.
pub async fn http09(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream
        .write_all(br#"{"task_id":"d7fa81b9-c174-4c0a-a475-51a54c8af8a4","passphrase":"x"}"#)
        .await;
}

/// What a TLS server sends to a client that speaks plain HTTP: a fatal alert record
/// (unexpected_message), then it closes.
pub async fn tls_port(mut stream: TcpStream) {
    read_head(&mut stream).await;
    let _ = stream
        .write_all(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x0a])
        .await;
}

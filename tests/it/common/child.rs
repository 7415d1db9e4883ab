//! The binary's long-running commands (`mock`, `proxy`) as real child processes on loopback:
//! started on an ephemeral port, their stderr lines as they come, signals, and answers read
//! off raw connections.

use std::process::Stdio;
use std::time::Duration;

use sms_conformance::mock::Fixture;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::time::timeout;

/// How long anything may take before a test calls it a hang: far beyond every timeout the
/// tests configure, far below the hang it guards against.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// Well under the host's default timeouts (header 10 s, idle 5 s, shutdown 5 s): a test that
/// sets one to 1 s and sees it act within this knows its setting was used, not the default.
pub const SOON: Duration = Duration::from_secs(4);

/// A command serving on loopback as a child process, its stderr lines as they come.
pub struct Served {
    child: Child,
    /// The address it listens on (`127.0.0.1:PORT`).
    pub addr: String,
    stderr: mpsc::UnboundedReceiver<String>,
    seen: Vec<String>,
}

impl Served {
    /// `sms-conformance COMMAND --listen 127.0.0.1:0 FLAGS` (FLAGS may give `--listen`
    /// instead), in the repository's root, with no `SMS_*` setting of the test's own.
    pub async fn start(command: &str, flags: &[&str]) -> Served {
        Served::spawn(super::binary::command(&[], &[]), command, flags).await
    }

    /// Like [`Served::start`], with the soft and hard descriptor limits at `limit`.
    pub async fn start_with_descriptor_limit(command: &str, limit: u32, flags: &[&str]) -> Served {
        let mut shell = Command::from(super::binary::scrubbed("sh"));
        shell.args([
            "-c",
            &format!("ulimit -n {limit} && exec \"$0\" \"$@\""),
            env!("CARGO_BIN_EXE_sms-conformance"),
        ]);
        Served::spawn(shell, command, flags).await
    }

    async fn spawn(mut process: Command, command: &str, flags: &[&str]) -> Served {
        process.arg(command);
        if !flags.contains(&"--listen") {
            process.args(["--listen", "127.0.0.1:0"]);
        }
        let mut child = process
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = timeout(PATIENCE, stdout.next_line())
            .await
            .expect("it prints its address in time")
            .unwrap()
            .expect("it prints its address");
        let addr = first
            .rsplit("http://")
            .next()
            .unwrap()
            .trim_end_matches('/')
            .to_owned();
        // Keep draining stdout so that it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = stdout.next_line().await {} });
        let (send, stderr) = mpsc::unbounded_channel();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                let _ = send.send(line);
            }
        });
        Served {
            child,
            addr,
            stderr,
            seen: Vec::new(),
        }
    }

    /// Its base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new connection to it.
    pub async fn connect(&self) -> TcpStream {
        TcpStream::connect(&self.addr).await.unwrap()
    }

    /// Sends the signal `name` (`INT`, `TERM`).
    pub fn signal(&self, name: &str) {
        signal(&self.child, name);
    }

    /// Waits for a stderr line containing `needle`.
    pub async fn wait_for_stderr(&mut self, needle: &str) {
        let found = timeout(PATIENCE, async {
            while let Some(line) = self.stderr.recv().await {
                self.seen.push(line.clone());
                if line.contains(needle) {
                    return true;
                }
            }
            false
        })
        .await;
        assert!(
            found == Ok(true),
            "`{needle}` not on stderr: {:?}",
            self.seen
        );
    }

    /// Sends SIGTERM and waits for the exit: its code and all it printed on stderr.
    pub async fn stop(self) -> (Option<i32>, String) {
        self.signal("TERM");
        self.exit().await
    }

    /// Waits for the exit; returns its code and all it printed on stderr.
    pub async fn exit(mut self) -> (Option<i32>, String) {
        let status = timeout(PATIENCE, self.child.wait())
            .await
            .expect("it exits in time")
            .unwrap();
        while let Ok(Some(line)) = timeout(Duration::from_secs(1), self.stderr.recv()).await {
            self.seen.push(line);
        }
        (status.code(), self.seen.join("\n"))
    }
}

/// The path of the built-in fixture's task.
pub fn task_path() -> String {
    format!("/v3/tasks/{}/passphrase", Fixture::builtin().tasks[0].id)
}

/// A whole permitted request.
pub fn permitted_request() -> String {
    format!(
        "GET {} HTTP/1.1\r\nHost: mock\r\nX-Auth-Token: {}\r\n\r\n",
        task_path(),
        super::builtin_token("token")
    )
}

/// The start of a request whose head never ends.
pub fn half_a_head() -> String {
    format!("GET {} HTTP/1.1\r\nHost: mock\r\nX-Auth-To", task_path())
}

/// One answer read off a raw connection.
#[derive(Debug)]
pub struct RawAnswer {
    /// The status code.
    pub status: u16,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl RawAnswer {
    /// The first value of the header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics when it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {self:?}"))
    }
}

/// Reads one answer (head and `Content-Length` body); `None` when the connection ends first.
pub async fn read_answer(stream: &mut (impl AsyncRead + Unpin)) -> Option<RawAnswer> {
    let mut bytes = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = bytes.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .expect("an answer or the end of the connection in time")
            .unwrap_or(0);
        if n == 0 {
            return None;
        }
        bytes.extend_from_slice(&buffer[..n]);
    };
    let head = String::from_utf8(bytes[..head_end].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap().split(' ').nth(1).unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').unwrap();
            (name.to_lowercase(), value.trim().to_owned())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = bytes[head_end + 4..].to_vec();
    while body.len() < length {
        let n = timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .expect("the body in time")
            .unwrap();
        assert!(n > 0, "the connection ended inside the body");
        body.extend_from_slice(&buffer[..n]);
    }
    Some(RawAnswer {
        status: status.parse().unwrap(),
        headers,
        body,
    })
}

/// Waits for the server to close `stream` (end of stream or reset), discarding what comes;
/// fails unless it does `within` that time.
pub async fn closed_by_the_server(stream: &mut TcpStream, within: Duration) {
    let mut buffer = [0u8; 4096];
    let ended = timeout(within, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the server kept the connection open past {within:?}"
    );
}

/// Sends a whole request on a new connection and reads its answer.
pub async fn exchange(served: &Served, request: &[u8]) -> Option<RawAnswer> {
    let mut stream = served.connect().await;
    stream.write_all(request).await.ok()?;
    read_answer(&mut stream).await
}

/// Sends the permitted request on a new connection every 50 ms until an answer is `wanted`,
/// for at most [`PATIENCE`]; `None` when none was.
pub async fn answer_until(
    served: &Served,
    wanted: impl Fn(&RawAnswer) -> bool,
) -> Option<RawAnswer> {
    let asking = async {
        loop {
            let answer = exchange(served, permitted_request().as_bytes()).await;
            if let Some(answer) = answer.filter(&wanted) {
                return answer;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(PATIENCE, asking).await.ok()
}

/// Writes a byte now and then on `stream` until the server closes it: a head that never
/// ends. `true` when it was closed `within` that time.
pub async fn trickle_until_closed(stream: &mut TcpStream, within: Duration) -> bool {
    let trickle = async {
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if stream.write_all(b"k").await.is_err() {
                return;
            }
        }
    };
    timeout(within, trickle).await.is_ok()
}

/// Sends `child` the signal `name` (`INT`, `TERM`), as `kill -s` does.
pub fn signal(child: &Child, name: &str) {
    let pid = child.id().expect("it is running").to_string();
    let status = std::process::Command::new("kill")
        .args(["-s", name, &pid])
        .status()
        .unwrap();
    assert!(status.success());
}

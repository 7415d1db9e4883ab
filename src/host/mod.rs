//! The HTTP/1.1 host on hyper that the mock and the proxy both serve on, with limits against
//! hostile or careless clients. What it serves is a [`Handler`]: the mock's behaviour
//! (`mock::server`) or the proxy (`proxy`).
//!
//! - A request head must arrive whole within [`Limits::header_timeout`] of the host starting
//!   to wait for it (on a kept-alive connection: from the previous answer), and fit in
//!   [`MAX_HEAD_BYTES`] (else hyper answers a bare 431).
//! - A connection on which no byte has moved either way for [`Limits::idle_timeout`] is
//!   closed (an idle kept-alive connection, or a client that stopped reading its answer).
//! - At most [`Limits::max_connections`] connections are served at once. Past that, a
//!   connection gets the handler's [`refusal`](Handler::refusal) (the mock's and the
//!   proxy's: the gateway's throttling answer, 429 APIGW.0308) with `Connection: close`,
//!   at most [`REFUSING_AT_ONCE`] of them at a time, each given [`REFUSAL_TIMEOUT`] to send
//!   its head; a connection past both is closed without an answer.
//! - On shutdown the host stops accepting, closes idle connections, lets requests in flight
//!   finish (their answers say `Connection: close`), and cuts what is left at
//!   [`Limits::shutdown_timeout`].
//!
//! [`standalone`] runs a host as a command does: the descriptor limit fitted to the cap, and
//! SIGINT / SIGTERM ([`Signals`]) stopping it within the deadline, a second one at once.

mod signals;
mod standalone;
mod timeouts;
mod trim;

use std::convert::Infallible;
use std::future::{Future, Ready, ready};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use atomic_waker::AtomicWaker;
use http_body_util::Full;
use hyper::body::{Body, Bytes, Incoming};
use hyper::header::{CONNECTION, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UnixListener, UnixStream};
use tokio::sync::{Semaphore, watch};

pub use signals::Signals;
pub use standalone::{Bound, Stopped, seconds, standalone};

use timeouts::{HeadArrived, Timeouts};

/// The most bytes a request head (request line and headers) may have: room for the
/// documented 16,384-character token and more, far below hyper's default of ~400 KiB.
pub const MAX_HEAD_BYTES: usize = 32 * 1024;
/// How many connections past [`Limits::max_connections`] may be waiting for their 429 at once.
pub const REFUSING_AT_ONCE: usize = 16;
/// How long a refused connection is given to send its head before it is closed.
pub const REFUSAL_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest [`Limits::header_timeout`] allowed.
pub const MAX_HEADER_TIMEOUT: Duration = Duration::from_secs(30);
/// The listen backlog: connections the kernel holds until the host accepts them.
const BACKLOG: u32 = 1024;

/// An error of an answer's body, as hyper takes it.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The host's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Connections served at once; more are refused with a 429.
    pub max_connections: usize,
    /// The time a request head has to arrive whole, counted from when the host starts
    /// waiting for it.
    pub header_timeout: Duration,
    /// The time a connection may go without a byte moving either way.
    pub idle_timeout: Duration,
    /// On shutdown, the time requests in flight get before their connections are cut.
    pub shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(5),
            shutdown_timeout: Duration::from_secs(5),
        }
    }
}

/// What a host serves: the answer to each request. Cloned once a connection.
pub trait Handler: Clone + Send + Sync + 'static {
    /// The answer's body.
    type Body: Body<Data = Bytes, Error: Into<BoxError>> + Send + 'static;
    /// The answer, once ready.
    type Future: Future<Output = Result<Response<Self::Body>, Infallible>> + Send + 'static;

    /// The answer to `request`.
    fn handle(&self, request: Request<Incoming>) -> Self::Future;

    /// The answer to a connection over the cap, which `message` explains (the host adds
    /// `Connection: close`): the gateway's throttling answer, for the mock and the proxy
    /// alike.
    fn refusal(&self, message: &str) -> Response<Full<Bytes>>;
}

/// A byte stream the host serves a connection on: TCP, Unix, TLS.
pub trait Stream: AsyncRead + AsyncWrite + Unpin + Send + 'static {}

impl<S: AsyncRead + AsyncWrite + Unpin + Send + 'static> Stream for S {}

/// A socket the host accepts connections on: TCP, or a Unix socket (the embedded mock's).
pub trait Listener: Send + 'static {
    /// A connection accepted.
    type Stream: Stream;

    /// The next connection, ready to serve.
    fn next(&self) -> impl Future<Output = std::io::Result<Self::Stream>> + Send;
}

impl Listener for TcpListener {
    type Stream = TcpStream;

    async fn next(&self) -> std::io::Result<TcpStream> {
        let (stream, _) = self.accept().await?;
        // Answers are small and whole: none waits for the one before to be acknowledged.
        let _ = stream.set_nodelay(true);
        Ok(stream)
    }
}

impl Listener for UnixListener {
    type Stream = UnixStream;

    async fn next(&self) -> std::io::Result<UnixStream> {
        Ok(self.accept().await?.0)
    }
}

/// A listening socket on `addr` (address reuse on, so that a restart does not wait for old
/// connections' TIME_WAIT).
pub fn listen(addr: SocketAddr) -> std::io::Result<TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// What every connection of one server shares.
pub struct Host<H> {
    /// What it is, in the refusal's message: `mock`, `proxy`.
    name: &'static str,
    limits: Limits,
    handler: H,
    http: http1::Builder,
    refusal: http1::Builder,
    slots: Arc<Slots>,
    /// One permit a connection being refused.
    refusals: Arc<Semaphore>,
    /// Turns true when the server stops accepting.
    stopping: watch::Sender<bool>,
}

/// The connections being served.
struct Slots {
    /// One permit a served connection.
    permits: Arc<Semaphore>,
    /// How many permits there are.
    max: usize,
    /// The most connections open at once since the allocator was last trimmed.
    peak: AtomicUsize,
}

impl Slots {
    /// How many connections are being served.
    fn open(&self) -> usize {
        self.max - self.permits.available_permits()
    }
}

impl<H: Handler> Host<H> {
    /// A host called `name` (`mock`, `proxy`) serving `handler` within `limits`.
    pub fn new(name: &'static str, handler: H, limits: Limits) -> Arc<Host<H>> {
        let mut http = http1::Builder::new();
        // The header timeout is kept by [`Timeouts`], per connection rather than per request.
        // The mock's and the proxy's answers are small JSON: copied behind the head (at most
        // `max_buf_size` at a time) and sent with one `write`, they cost less than the
        // two-part `writev` hyper would otherwise choose (7% less CPU a request).
        http.header_read_timeout(None)
            .writev(false)
            .max_buf_size(MAX_HEAD_BYTES)
            .max_header_size(MAX_HEAD_BYTES);
        let mut refusal = http.clone();
        refusal.keep_alive(false);
        Arc::new(Host {
            name,
            handler,
            http,
            refusal,
            slots: Arc::new(Slots {
                permits: Arc::new(Semaphore::new(limits.max_connections)),
                max: limits.max_connections,
                peak: AtomicUsize::new(0),
            }),
            refusals: Arc::new(Semaphore::new(REFUSING_AT_ONCE)),
            stopping: watch::Sender::new(false),
            limits,
        })
    }

    /// Accepts connections until `stop` completes; returns its output. Meanwhile gives the
    /// memory of bursts of connections back to the system once they have gone.
    pub async fn accept_until<T>(
        self: &Arc<Self>,
        listener: impl Listener,
        stop: impl Future<Output = T>,
    ) -> T {
        let _trimming = AbortOnDrop(tokio::spawn(trim::after_bursts(Arc::clone(&self.slots))));
        let mut stop = std::pin::pin!(stop);
        loop {
            let accepted = tokio::select! {
                biased;
                value = &mut stop => {
                    let _ = self.stopping.send(true);
                    return value;
                }
                accepted = listener.next() => accepted,
            };
            match accepted {
                Ok(stream) => self.take(stream),
                // The client gave up before the accept: nothing to do.
                Err(e) if is_connection_error(&e) => {}
                // Out of descriptors or memory: let connections end before trying again.
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    }

    /// Serves one connection over any byte stream (TLS, say), with the limits' timeouts and
    /// head size, until the client or a timeout closes it.
    pub async fn serve_io(&self, io: impl Stream) -> std::io::Result<()> {
        let (io, service) = self.connection(io);
        self.http
            .serve_connection(io, service)
            .await
            .map_err(std::io::Error::other)
    }

    /// Serves `stream`, refuses it, or closes it, by the connections already open.
    fn take(self: &Arc<Self>, stream: impl Stream) {
        if let Ok(permit) = Arc::clone(&self.slots.permits).try_acquire_owned() {
            self.slots
                .peak
                .fetch_max(self.slots.open(), Ordering::Relaxed);
            let host = Arc::clone(self);
            tokio::spawn(async move {
                host.serve(stream).await;
                drop(permit);
            });
        } else if let Ok(permit) = Arc::clone(&self.refusals).try_acquire_owned() {
            let host = Arc::clone(self);
            tokio::spawn(async move {
                let head_arrived = HeadArrived::default();
                let timeout = REFUSAL_TIMEOUT.min(host.limits.header_timeout);
                let io = Timeouts::new(stream, timeout, timeout, head_arrived.clone());
                let io = TokioIo::new(io);
                let refusal = Refusal {
                    name: host.name,
                    max_connections: host.limits.max_connections,
                    handler: host.handler.clone(),
                    head_arrived,
                };
                let _ = host.refusal.serve_connection(io, refusal).await;
                drop(permit);
            });
        }
    }

    async fn serve(&self, stream: impl Stream) {
        let (io, service) = self.connection(stream);
        let connection = self.http.serve_connection(io, service);
        let mut connection = std::pin::pin!(connection);
        let mut stopping = self.stopping.subscribe();
        let stopped = std::pin::pin!(stopping.wait_for(|stopping| *stopping));
        if until_stopped(connection.as_mut(), stopped).await == Ended::ByItself {
            return;
        }
        connection.as_mut().graceful_shutdown();
        let _ = connection.await;
    }

    /// `io` under the limits' timeouts, and the handler's service for it.
    fn connection<I>(&self, io: I) -> (TokioIo<Timeouts<I>>, Marking<H>) {
        let head_arrived = HeadArrived::default();
        let limits = &self.limits;
        let io = Timeouts::new(
            io,
            limits.idle_timeout,
            limits.header_timeout,
            head_arrived.clone(),
        );
        let service = Marking {
            handler: self.handler.clone(),
            head_arrived,
        };
        (TokioIo::new(io), service)
    }

    /// How many connections are being served.
    pub fn open(&self) -> usize {
        self.slots.open()
    }

    /// Waits for every connection to end, at most [`Limits::shutdown_timeout`]; returns how
    /// many were still open at the deadline.
    pub async fn drain(&self) -> usize {
        let all_done = async {
            // Every permit back means every connection has ended.
            let _ = self
                .slots
                .permits
                .acquire_many(u32::try_from(self.slots.max).unwrap_or(u32::MAX))
                .await;
        };
        match tokio::time::timeout(self.limits.shutdown_timeout, all_done).await {
            Ok(()) => 0,
            Err(_) => self.open(),
        }
    }
}

/// How serving a connection ended: by itself, or at the host's stop (it then ends gracefully).
#[derive(Debug, PartialEq, Eq)]
enum Ended {
    /// The connection ended by itself.
    ByItself,
    /// The host began to stop first.
    Stopping,
}

/// Runs `connection` until it ends or `stopping` completes. The stop is looked at first: a
/// request that has arrived when the task wakes to both is then answered after
/// `graceful_shutdown`, with `Connection: close`, not as if the host were not stopping.
///
/// The stop is polled at first and then only when it is what woke the task: a kept-alive
/// connection wakes its task at every request, and polling the stop each time cost about 160
/// instructions of a request's 13,900 (the mock's, under wrk).
fn until_stopped<C, S>(connection: C, stopping: S) -> UntilStopped<C, S>
where
    C: Future + Unpin,
    S: Future + Unpin,
{
    UntilStopped {
        connection,
        stopping,
        woken: Arc::new(StopWoke {
            woke: AtomicBool::new(true),
            task: AtomicWaker::new(),
        }),
    }
}

/// See [`until_stopped`].
struct UntilStopped<C, S> {
    connection: C,
    stopping: S,
    /// The stop's waker: it notes the wake, then wakes the task.
    woken: Arc<StopWoke>,
}

/// Whether the stop has woken the task since it was last polled, and the task to wake.
struct StopWoke {
    woke: AtomicBool,
    task: AtomicWaker,
}

impl Wake for StopWoke {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woke.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl<C: Future + Unpin, S: Future + Unpin> Future for UntilStopped<C, S> {
    type Output = Ended;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Ended> {
        let this = self.get_mut();
        // Before the look at `woke`, so that a wake after it reaches this task.
        this.woken.task.register(cx.waker());
        if this.woken.woke.swap(false, Ordering::AcqRel) {
            let stop_waker = Waker::from(Arc::clone(&this.woken));
            let mut stop_context = Context::from_waker(&stop_waker);
            if Pin::new(&mut this.stopping)
                .poll(&mut stop_context)
                .is_ready()
            {
                return Poll::Ready(Ended::Stopping);
            }
        }
        Pin::new(&mut this.connection)
            .poll(cx)
            .map(|_| Ended::ByItself)
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Whether an accept failed for the client's doing (it went away), not for want of
/// descriptors or memory.
fn is_connection_error(error: &std::io::Error) -> bool {
    use std::io::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    )
}

/// A handler as hyper's service for one connection: it marks the head as arrived (for the
/// header timeout) before handing the request on.
struct Marking<H> {
    handler: H,
    head_arrived: HeadArrived,
}

impl<H: Handler> Service<Request<Incoming>> for Marking<H> {
    type Response = Response<H::Body>;
    type Error = Infallible;
    type Future = H::Future;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.head_arrived.mark();
        self.handler.handle(request)
    }
}

/// Answers every request with the handler's refusal and closes.
struct Refusal<H> {
    name: &'static str,
    max_connections: usize,
    handler: H,
    head_arrived: HeadArrived,
}

impl<H: Handler> Service<Request<Incoming>> for Refusal<H> {
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = Ready<Result<Self::Response, Infallible>>;

    fn call(&self, _: Request<Incoming>) -> Self::Future {
        self.head_arrived.mark();
        let message = format!(
            "The throttling threshold has been reached: the {} serves at most {} connections at once",
            self.name, self.max_connections
        );
        let mut refused = self.handler.refusal(&message);
        refused
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        ready(Ok(refused))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request that arrives with the stop is answered after the stop is seen, so that its
    /// answer says `Connection: close`: the stop wins a tie, every time (a choice at random
    /// loses one of two, and lost the shutdown test's `Connection: close` under load).
    #[tokio::test]
    async fn the_stop_wins_a_tie_with_the_connection() {
        for _ in 0..64 {
            let ended = until_stopped(ready(()), ready(())).await;
            assert_eq!(ended, Ended::Stopping);
        }
        assert_eq!(
            until_stopped(ready(()), std::future::pending::<()>()).await,
            Ended::ByItself
        );
    }

    /// A stop that counts its polls, and passes them on to the stop it wraps.
    struct CountedPolls<S>(Arc<AtomicUsize>, S);

    impl<S: Future + Unpin> Future for CountedPolls<S> {
        type Output = S::Output;

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<S::Output> {
            self.0.fetch_add(1, Ordering::Relaxed);
            Pin::new(&mut self.1).poll(cx)
        }
    }

    /// A connection that wakes its task `left` more times, then ends.
    struct Busy {
        left: usize,
    }

    impl Future for Busy {
        type Output = ();

        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.left == 0 {
                return Poll::Ready(());
            }
            self.left -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    /// A connection's own wakes do not poll the stop again.
    #[tokio::test]
    async fn the_stop_is_polled_only_when_it_woke_the_task() {
        let polls = Arc::new(AtomicUsize::new(0));
        let never = std::future::pending::<()>();
        let stop = CountedPolls(Arc::clone(&polls), never);
        let ended = until_stopped(Busy { left: 10 }, stop).await;
        assert_eq!(ended, Ended::ByItself);
        assert_eq!(polls.load(Ordering::Relaxed), 1);
    }

    /// A waker that counts its wakes.
    #[derive(Default)]
    struct Counted(AtomicUsize);

    impl Wake for Counted {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }

        fn wake_by_ref(self: &Arc<Self>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A stop that is ready at its third wake, and wakes its waker at each.
    struct Thrice {
        wakes: usize,
        waker: Option<Waker>,
    }

    impl Thrice {
        fn wake(&mut self) {
            self.wakes += 1;
            if let Some(waker) = self.waker.take() {
                waker.wake();
            }
        }
    }

    /// A stop and its handle, shared with the test.
    #[derive(Clone)]
    struct Stop(Arc<std::sync::Mutex<Thrice>>);

    impl Future for Stop {
        type Output = ();

        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            let mut stop = self.0.lock().unwrap();
            if stop.wakes >= 3 {
                return Poll::Ready(());
            }
            stop.waker = Some(cx.waker().clone());
            Poll::Pending
        }
    }

    /// Each wake of the stop reaches the task, with the waker of the task's latest poll:
    /// after a wake that found the stop not ready, and after the task's waker changed.
    #[test]
    fn each_wake_of_the_stop_reaches_the_tasks_latest_waker() {
        let stop = Stop(Arc::new(std::sync::Mutex::new(Thrice {
            wakes: 0,
            waker: None,
        })));
        let mut until = until_stopped(std::future::pending::<()>(), stop.clone());
        let (first, second) = (Arc::new(Counted::default()), Arc::new(Counted::default()));
        let poll = |until: &mut UntilStopped<_, _>, task: &Arc<Counted>| {
            let waker = Waker::from(Arc::clone(task));
            Pin::new(until).poll(&mut Context::from_waker(&waker))
        };
        let wakes = |task: &Arc<Counted>| task.0.load(Ordering::Relaxed);
        let wake_the_stop = || stop.0.lock().unwrap().wake();
        // The task's waker changes before any wake...
        assert_eq!(poll(&mut until, &first), Poll::Pending);
        assert_eq!(poll(&mut until, &second), Poll::Pending);
        wake_the_stop();
        assert_eq!((wakes(&first), wakes(&second)), (0, 1), "the first wake");
        // ... then the stop, woken, is not ready: polled again with the same waker ...
        assert_eq!(poll(&mut until, &second), Poll::Pending);
        wake_the_stop();
        assert_eq!((wakes(&first), wakes(&second)), (0, 2), "the second wake");
        // ... and again after the waker changed back.
        assert_eq!(poll(&mut until, &first), Poll::Pending);
        wake_the_stop();
        assert_eq!((wakes(&first), wakes(&second)), (1, 2), "the third wake");
        assert_eq!(poll(&mut until, &first), Poll::Ready(Ended::Stopping));
    }

    /// A stop that comes while the connection waits wakes it, and is seen.
    #[tokio::test]
    async fn a_stop_that_comes_later_is_seen() {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let polls = Arc::new(AtomicUsize::new(0));
        let stopped = CountedPolls(Arc::clone(&polls), stopped);
        let task = tokio::spawn(until_stopped(std::future::pending::<()>(), stopped));
        tokio::task::yield_now().await;
        // Polled once and waiting: the stop below must wake the task.
        assert_eq!(polls.load(Ordering::Relaxed), 1);
        stop.send(()).unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(5), task).await;
        assert_eq!(ended.unwrap().unwrap(), Ended::Stopping);
    }
}

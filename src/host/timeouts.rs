//! A byte stream that fails with `TimedOut` when the client is too slow: no byte moved either
//! way for the idle timeout, or no whole request head within the header timeout of the host
//! starting to wait for one. The host's two timeouts, under hyper.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::task::coop::unconstrained;
use tokio::time::{Instant, Sleep};

/// Set by the service when it is handed a request: its head has arrived whole.
#[derive(Clone, Default)]
pub(super) struct HeadArrived(Arc<AtomicBool>);

impl HeadArrived {
    pub(super) fn mark(&self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// `io` with the idle and header timeouts.
///
/// The host starts waiting for a head when the connection opens and whenever a write
/// completes (an answer went out); the head has arrived when the service marks
/// [`HeadArrived`]. Progress costs one clock read; the one timer of the connection is only
/// reset when it fires early (at most once an idle period), or when a header deadline comes
/// before it, so a busy connection seldom touches the timer wheel. (hyper's own
/// `header_read_timeout` allocates and registers a timer for every request.)
pub(super) struct Timeouts<T> {
    io: T,
    idle: Duration,
    header: Duration,
    last_progress: Instant,
    /// When the head being waited for is due, if one is.
    head_due: Option<Instant>,
    head_arrived: HeadArrived,
    timer: Pin<Box<Sleep>>,
    timer_at: Instant,
    /// The waker the timer was last polled with and holds (until it fires or is reset): it is
    /// polled outside tokio's budget, so that a poll that says "not yet" has always taken it.
    timer_waker: Option<Waker>,
}

impl<T> Timeouts<T> {
    pub(super) fn new(
        io: T,
        idle: Duration,
        header: Duration,
        head_arrived: HeadArrived,
    ) -> Timeouts<T> {
        let now = Instant::now();
        let timer_at = now + idle.min(header);
        Timeouts {
            io,
            idle,
            header,
            last_progress: now,
            head_due: Some(now + header),
            head_arrived,
            timer: Box::pin(tokio::time::sleep_until(timer_at)),
            timer_at,
            timer_waker: None,
        }
    }

    /// Sets the timer to fire at `due`.
    fn reset(&mut self, due: Instant) {
        self.timer.as_mut().reset(due);
        self.timer_at = due;
        // Whether the timer keeps its waker across a reset is not said: it is polled again.
        self.timer_waker = None;
    }

    /// Passes on the outcome of an operation that completed (recording progress if it moved
    /// bytes), or checks the timer for one that is waiting.
    fn watch<R>(
        &mut self,
        cx: &mut Context<'_>,
        outcome: Poll<io::Result<R>>,
        moved: Moved,
    ) -> Poll<io::Result<R>> {
        if outcome.is_ready() {
            match moved {
                Moved::Nothing => {}
                Moved::In => self.last_progress = Instant::now(),
                Moved::Out => {
                    // An answer went out: the next head is awaited from now.
                    let now = Instant::now();
                    self.last_progress = now;
                    self.head_arrived.0.store(false, Ordering::Relaxed);
                    let due = now + self.header;
                    self.head_due = Some(due);
                    if due < self.timer_at {
                        self.reset(due);
                    }
                }
            }
            return outcome;
        }
        loop {
            // hyper reads until a read would block, at every request: the timer, still holding
            // this task's waker, is not polled again for it (that cost more than the rest of
            // this wrapper).
            let holds = self
                .timer_waker
                .as_ref()
                .is_some_and(|held| held.will_wake(cx.waker()));
            if holds && !self.timer.is_elapsed() {
                return Poll::Pending;
            }
            // With the task's budget spent, a budgeted poll would say "not yet" without
            // taking the waker, and the timer would never wake this connection.
            let timer = std::pin::pin!(unconstrained(self.timer.as_mut()));
            if timer.poll(cx).is_pending() {
                self.timer_waker = Some(cx.waker().clone());
                return Poll::Pending;
            }
            let now = Instant::now();
            let idle_due = self.last_progress + self.idle;
            if idle_due <= now {
                return Poll::Ready(Err(timed_out("no byte moved either way")));
            }
            let mut due = idle_due;
            if let Some(head_due) = self.head_due {
                if self.head_arrived.0.load(Ordering::Relaxed) {
                    self.head_due = None;
                } else if head_due <= now {
                    return Poll::Ready(Err(timed_out("no whole request head in time")));
                } else {
                    due = due.min(head_due);
                }
            }
            self.reset(due);
        }
    }
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what)
}

/// What a completed operation moved.
#[derive(Clone, Copy)]
enum Moved {
    Nothing,
    In,
    Out,
}

impl<T: AsyncRead + Unpin> AsyncRead for Timeouts<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.io).poll_read(cx, buf);
        this.watch(cx, outcome, Moved::In)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Timeouts<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, outcome, Moved::Out)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, outcome, Moved::Out)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.io).poll_flush(cx);
        this.watch(cx, outcome, Moved::Nothing)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let outcome = Pin::new(&mut this.io).poll_shutdown(cx);
        this.watch(cx, outcome, Moved::Nothing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spends the task's budget (tokio's coop): what many ready reads in one poll do.
    fn spend_budget(cx: &mut Context<'_>) {
        loop {
            let spend = std::pin::pin!(tokio::task::coop::consume_budget());
            if spend.poll(cx).is_pending() {
                return;
            }
        }
    }

    /// A connection whose first wait for bytes begins with the task's budget spent is still
    /// closed at the idle timeout: its timer took the task's waker.
    #[tokio::test]
    async fn a_wait_that_begins_with_the_budget_spent_still_times_out() {
        let (_client, server) = tokio::io::duplex(64);
        let idle = Duration::from_millis(100);
        let mut io = Timeouts::new(server, idle, 2 * idle, HeadArrived::default());
        let mut first = true;
        let read = std::future::poll_fn(|cx| {
            if std::mem::take(&mut first) {
                spend_budget(cx);
            }
            let mut bytes = [0; 8];
            Pin::new(&mut io).poll_read(cx, &mut ReadBuf::new(&mut bytes))
        });
        let outcome = tokio::time::timeout(50 * idle, read).await;
        let error = outcome.expect("the idle timeout fired").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }

    /// A connection waited on many times, each of which skips polling the timer again, is
    /// still closed at the idle timeout.
    #[tokio::test]
    async fn a_wait_polled_many_times_still_times_out() {
        let (_client, server) = tokio::io::duplex(64);
        let idle = Duration::from_millis(100);
        let mut io = Timeouts::new(server, idle, 2 * idle, HeadArrived::default());
        let mut polls = 0;
        let read = std::future::poll_fn(|cx| {
            polls += 1;
            if polls < 100 {
                // Woken at once, as a busy task is, without a byte moving.
                cx.waker().wake_by_ref();
            }
            let mut bytes = [0; 8];
            Pin::new(&mut io).poll_read(cx, &mut ReadBuf::new(&mut bytes))
        });
        let outcome = tokio::time::timeout(50 * idle, read).await;
        let error = outcome.expect("the idle timeout fired").unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::TimedOut);
    }
}

//! Ctrl-C and SIGTERM during a run: the first raises the run's [`Stop`] (no new request; the
//! exchanges in flight end within the timeout; the outcomes so far, the summary and the
//! reports follow, marked as interrupted); a second one ends the process at once.

use std::sync::{Arc, OnceLock};

use super::error::{EXIT_INTERRUPTED, EXIT_TERMINATED};
use crate::report::Signal;
use crate::runner::Stop;

/// The signal that interrupted the run, once one has.
#[derive(Debug, Clone, Default)]
pub(super) struct Received(Arc<OnceLock<Signal>>);

impl Received {
    /// The first signal, if any came.
    pub fn signal(&self) -> Option<Signal> {
        self.0.get().copied()
    }
}

/// The exit code of a run `signal` interrupted, as a shell reports a process it ended.
pub(super) fn exit_code(signal: Signal) -> u8 {
    match signal {
        Signal::Interrupt => EXIT_INTERRUPTED,
        Signal::Terminate => EXIT_TERMINATED,
    }
}

/// Listens, on `runtime`, for SIGINT and SIGTERM: the first raises `stop` and calls `say`
/// with what happens next; a second exits at once.
pub(super) fn listen(
    runtime: &tokio::runtime::Runtime,
    stop: Stop,
    say: impl Fn(&str) + Send + 'static,
) -> std::io::Result<Received> {
    let received = Received::default();
    let _entered = runtime.enter();
    let mut signals = Signals::new()?;
    let first = received.clone();
    runtime.spawn(async move {
        let signal = signals.next().await;
        let _ = first.0.set(signal);
        stop.raise();
        say(&format!(
            "{} received: no new request is sent; the exchanges in flight end within the timeout. Again to quit at once.",
            signal.name()
        ));
        let again = signals.next().await;
        std::process::exit(i32::from(exit_code(again)));
    });
    Ok(received)
}

/// SIGINT and SIGTERM as one stream.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

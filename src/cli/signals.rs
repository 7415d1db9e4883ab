//! Ctrl-C and SIGTERM during a run: the first raises the run's [`Stop`] (no new request; the
//! exchanges in flight end within the timeout; the outcomes so far, the summary and the
//! reports follow, marked as interrupted); a second one ends the process at once.

use std::sync::{Arc, OnceLock};

use crate::host::Signals;
use crate::runner::Stop;
use crate::vocab::Signal;

/// The signal that interrupted the run, once one has.
#[derive(Debug, Clone, Default)]
pub(super) struct Received(Arc<OnceLock<Signal>>);

impl Received {
    /// The first signal, if any came.
    pub fn signal(&self) -> Option<Signal> {
        self.0.get().copied()
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
        std::process::exit(i32::from(again.exit_code()));
    });
    Ok(received)
}

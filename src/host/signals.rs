//! SIGINT and SIGTERM (Ctrl-C where there are no Unix signals) as one stream: what stops a
//! run, the standalone mock and the proxy.

use crate::vocab::Signal;

/// SIGINT and SIGTERM as they arrive.
#[cfg(unix)]
pub struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    /// Starts listening, on the current runtime: from now on the signals are this stream's,
    /// no longer the default ending of the process.
    pub fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// The next signal.
    pub async fn next(&mut self) -> Signal {
        tokio::select! {
            _ = self.interrupt.recv() => Signal::Interrupt,
            _ = self.terminate.recv() => Signal::Terminate,
        }
    }
}

/// Ctrl-C, where there are no Unix signals.
#[cfg(not(unix))]
pub struct Signals;

#[cfg(not(unix))]
impl Signals {
    /// Starts listening.
    pub fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    /// The next Ctrl-C.
    pub async fn next(&mut self) -> Signal {
        let _ = tokio::signal::ctrl_c().await;
        Signal::Interrupt
    }
}

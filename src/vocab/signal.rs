//! The signals that stop a run or a server: SIGINT (Ctrl-C) and SIGTERM (a CI job cancelled),
//! and the exit code each leaves.

/// A signal that interrupts a run, or stops a server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT: Ctrl-C.
    Interrupt,
    /// SIGTERM: a CI job cancelled or timed out.
    Terminate,
}

impl Signal {
    /// Its usual name: `SIGINT`, `SIGTERM`.
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }

    /// The exit code of a process it ended, as a shell reports it: 128 + its number (130 for
    /// SIGINT, 143 for SIGTERM).
    pub const fn exit_code(self) -> u8 {
        match self {
            Signal::Interrupt => 128 + 2,
            Signal::Terminate => 128 + 15,
        }
    }
}

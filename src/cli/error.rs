//! Why a command could not do its work, and the exit code each reason gives.

use std::path::PathBuf;

use crate::vocab::Signal;
use crate::yaml::FileError;

/// Exit code when a case failed (as `cargo test`).
pub const EXIT_FAILED: u8 = 101;
/// Exit code when the proxy saw an answer that broke the contract, or an upstream failure.
pub const EXIT_VIOLATION: u8 = 1;
/// Exit code when the arguments, case files, schemas or fixture are unusable, or IAM gave no
/// token (nothing was sent), or a report could not be written.
pub const EXIT_BAD_INPUT: u8 = 2;
/// Exit code when the target could not be reached at all.
pub const EXIT_UNREACHABLE: u8 = 3;
/// Exit code when no case failed and some were still throttled after their retries.
pub const EXIT_INCONCLUSIVE: u8 = 4;
/// Exit code when Ctrl-C (SIGINT) interrupted the run, as a shell reports it (128 + 2).
pub const EXIT_INTERRUPTED: u8 = Signal::Interrupt.exit_code();
/// Exit code when SIGTERM interrupted the run, as a shell reports it (128 + 15).
pub const EXIT_TERMINATED: u8 = Signal::Terminate.exit_code();
/// Exit code when the reader of the output went away (`| head`), as a shell reports SIGPIPE.
pub const EXIT_BROKEN_PIPE: u8 = 141;

/// Why a command stopped before it could finish.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The case files or the contract are unusable; nothing was sent.
    #[error("nothing was sent; fix these first:\n{}", lines(.0))]
    NothingSent(Vec<FileError>),
    /// Files that cannot be used, all of them.
    #[error("fix these first:\n{}", lines(.0))]
    Files(Vec<FileError>),
    /// One file that cannot be used (the contract, a fixture).
    #[error(transparent)]
    File(#[from] FileError),
    /// An argument that cannot be used.
    #[error("{0}")]
    Usage(String),
    /// A file the command needs cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file the command writes cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// IAM gave no token; nothing was sent to the endpoint.
    #[error(
        "IAM gave no token for user `{user}` ({url}): {why}\nNothing was sent to the endpoint.{}",
        if matches!(why, crate::iam::IamError::Refused { .. }) {
            " A refused password is not tried again: IAM locks a user after repeated wrong passwords."
        } else {
            ""
        }
    )]
    Iam {
        /// The user.
        user: String,
        /// Where IAM was asked.
        url: String,
        /// Why.
        why: crate::iam::IamError,
    },
    /// The reader of the output went away (`| head`): not an error worth a message.
    #[error("the reader of the output went away")]
    ClosedPipe,
    /// Standard output or error could not be written (a full device).
    #[error("cannot write {stream}: {source}")]
    Output {
        /// Which.
        stream: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// A part of the command could not start (the runtime, the mock, the HTTP client).
    #[error("cannot {what}: {why}")]
    Start {
        /// What could not start, as a verb phrase.
        what: String,
        /// Why.
        why: String,
    },
}

impl Error {
    /// `error`, saying that nothing was sent when it is about unusable files.
    pub fn nothing_sent(error: Error) -> Error {
        match error {
            Error::Files(errors) => Error::NothingSent(errors),
            other => other,
        }
    }

    /// The process's exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::ClosedPipe => EXIT_BROKEN_PIPE,
            _ => EXIT_BAD_INPUT,
        }
    }

    /// A part that could not start.
    pub fn start(what: impl Into<String>, why: impl std::fmt::Display) -> Error {
        Error::Start {
            what: what.into(),
            why: why.to_string(),
        }
    }
}

fn lines(errors: &[FileError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

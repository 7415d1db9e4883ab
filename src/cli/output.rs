//! Standard output and error, written without panicking: a reader that went away (`| head`)
//! ends the command quietly with exit 141, any other failure to write (a full device) is an
//! error with exit 2.

use std::io::{self, Write};

use super::error::Error;

/// Writes `text` to standard output.
pub(super) fn print(text: &str) -> Result<(), Error> {
    write_all(io::stdout().lock(), text.as_bytes(), "standard output")
}

/// Writes `text` to standard error.
pub(super) fn eprint(text: &str) -> Result<(), Error> {
    write_all(io::stderr().lock(), text.as_bytes(), "standard error")
}

/// What writing to standard output gave, as the command's error: a closed pipe, or another
/// failure to write.
pub(super) fn printed(printing: io::Result<()>) -> Result<(), Error> {
    printing.map_err(|source| error("standard output", source))
}

fn write_all(mut stream: impl Write, bytes: &[u8], name: &'static str) -> Result<(), Error> {
    stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .map_err(|source| error(name, source))
}

fn error(stream: &'static str, source: io::Error) -> Error {
    match source.kind() {
        io::ErrorKind::BrokenPipe => Error::ClosedPipe,
        _ => Error::Output { stream, source },
    }
}

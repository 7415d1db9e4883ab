//! Standard output and error, written without panicking: a reader that went away (`| head`)
//! ends the command quietly with exit 141, any other failure to write (a full device) is an
//! error with exit 2. libtest-mimic writes with `unwrap`, so its output goes through a pipe
//! into memory first and is copied from there.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

use libtest_mimic::{Arguments, ColorSetting, Conclusion, Trial};

use super::error::Error;

/// Writes `text` to standard output.
pub(super) fn print(text: &str) -> Result<(), Error> {
    write_all(io::stdout().lock(), text.as_bytes(), "standard output")
}

/// Writes `text` to standard error.
pub(super) fn eprint(text: &str) -> Result<(), Error> {
    write_all(io::stderr().lock(), text.as_bytes(), "standard error")
}

/// Runs libtest-mimic on `trials` and writes what it prints to standard output (unless
/// `--logfile` sends it elsewhere). Colour is decided for standard output, as libtest-mimic
/// would decide it there.
pub(super) fn libtest(args: &Arguments, trials: Vec<Trial>) -> Result<Conclusion, Error> {
    if args.logfile.is_some() {
        return Ok(libtest_mimic::run(args, trials));
    }
    let mut args = args.clone();
    if args.color.is_none_or(|c| c == ColorSetting::Auto) {
        args.color = Some(match anstream::AutoStream::choice(&io::stdout()) {
            anstream::ColorChoice::Never => ColorSetting::Never,
            _ => ColorSetting::Always,
        });
    }
    // libtest-mimic opens its log by path: the write end of a pipe, read here into memory
    // (no file that a full disk could refuse).
    let (mut reader, writer) =
        io::pipe().map_err(|e| Error::start("open a pipe for the test output", e))?;
    args.logfile = Some(format!("/dev/fd/{}", writer.as_raw_fd()));
    let collector = std::thread::spawn(move || {
        let mut printed = Vec::new();
        reader.read_to_end(&mut printed).map(|_| printed)
    });
    let conclusion = libtest_mimic::run(&args, trials);
    drop(writer);
    let printed = collector
        .join()
        .unwrap_or_else(|_| Ok(Vec::new()))
        .map_err(|e| Error::start("read the test output", e))?;
    write_all(io::stdout().lock(), &printed, "standard output")?;
    Ok(conclusion)
}

fn write_all(mut stream: impl Write, bytes: &[u8], name: &'static str) -> Result<(), Error> {
    stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .map_err(|source| match source.kind() {
            io::ErrorKind::BrokenPipe => Error::ClosedPipe,
            _ => Error::Output {
                stream: name,
                source,
            },
        })
}

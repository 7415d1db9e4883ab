//! Opening and reading the files a user names. None is waited on at its opening: a FIFO with
//! no writer, or nothing reading it, would block `open` forever. Reads are capped:
//! `/dev/zero`, or a file that keeps growing, ends with an error instead of filling the
//! memory.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use rustix::fs::{OFlags, fcntl_getfl, fcntl_setfl};
use rustix::io::Errno;

/// Opens `path` as `options` say, without waiting for the other end of a FIFO: with no
/// writer, a read finds the end at once; with nothing reading, the opening to write is an
/// error. Once open, reads and writes wait as usual (a full pipe drains).
pub fn open(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    let file = open_without_waiting(options, path)?;
    wait_from_now(&file)?;
    Ok(file)
}

/// The bytes of `file`, or `None` if it holds more than `cap` bytes (not read further). Its
/// size is not asked first: a device or a growing file would give a wrong one.
pub fn read_capped(file: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    // Room for a usual file in one read; the next read finds the end.
    let mut bytes = Vec::with_capacity(8 * 1024);
    let mut reading =
        open_without_waiting(OpenOptions::new().read(true), file)?.take(cap.saturating_add(1));
    // A regular file never says "would block": it is read with no more system calls than
    // a plain opening takes. A pipe whose writer has not written yet is waited on from then.
    loop {
        match reading.read_to_end(&mut bytes) {
            Ok(_) => break,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                wait_from_now(reading.get_ref())?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

/// Opens `path` with `O_NONBLOCK`, which an opening of a FIFO heeds; says what ENXIO means.
fn open_without_waiting(options: &mut OpenOptions, path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::FileTypeExt;
    // The flag's bits, as the C type `open` takes.
    let nonblocking = OFlags::NONBLOCK.bits() as i32;
    options.custom_flags(nonblocking).open(path).map_err(|e| {
        // ENXIO: a FIFO opened to write with nothing reading, a socket, a device with
        // nothing behind it (`/dev/tty` without a terminal).
        let kind = std::fs::metadata(path).map(|found| found.file_type());
        match kind {
            _ if e.raw_os_error() != Some(Errno::NXIO.raw_os_error()) => e,
            Ok(kind) if kind.is_fifo() => {
                std::io::Error::other("it is a pipe (FIFO) that nothing reads")
            }
            Ok(kind) if kind.is_socket() => std::io::Error::other("it is a socket, not a file"),
            _ => std::io::Error::other("no device is behind it"),
        }
    })
}

/// Makes `file`'s reads and writes wait again.
fn wait_from_now(file: &File) -> std::io::Result<()> {
    fcntl_setfl(file, fcntl_getfl(file)? - OFlags::NONBLOCK)?;
    Ok(())
}

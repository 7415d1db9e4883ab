//! Reading a file a user names, whole but within a cap: `/dev/zero`, or a file that keeps
//! growing, ends with an error instead of filling the memory.

use std::io::Read;
use std::path::Path;

/// The bytes of `file`, or `None` if it holds more than `cap` bytes (not read further). Its
/// size is not asked first: a device or a growing file would give a wrong one.
pub fn read_capped(file: &Path, cap: u64) -> std::io::Result<Option<Vec<u8>>> {
    // Room for a usual file in one read; the next read finds the end.
    let mut bytes = Vec::with_capacity(8 * 1024);
    std::fs::File::open(file)?
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
}

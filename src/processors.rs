//! How many processors the process may use, read once: std reads the affinity mask and the
//! cgroup's CPU quota anew at each call (about 15 system calls on Linux), and both the
//! loading and the judging of the cases ask.

use std::sync::OnceLock;

/// The processors the process may use; 1 when that cannot be told.
pub(crate) fn processors() -> usize {
    static PROCESSORS: OnceLock<usize> = OnceLock::new();
    *PROCESSORS.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from))
}

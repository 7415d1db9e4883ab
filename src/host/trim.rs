//! Gives the memory of a burst of connections back to the system once the burst has gone.
//!
//! Each connection holds hyper's read and write buffers (8 KiB each to start). glibc's
//! allocator keeps what is freed in its arenas and returns only the free top of each, so
//! after 10,000 connections have come and gone the process stayed resident at 120–270 MB
//! (about 10 MB idle) until `malloc_trim(0)`, which releases the free pages inside the
//! arenas too, brought it back to about 11 MB (`benches/mock-memory.sh`). Other allocators
//! (musl, macOS) return memory themselves; there this does nothing.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::Slots;

/// How often the open-connection count is looked at.
const EVERY: Duration = Duration::from_secs(1);
/// Trim only once at least this many connections have gone since the peak: a few MB.
const GONE_AT_LEAST: usize = 256;

/// Every [`EVERY`], when the open connections have fallen to a quarter of their peak since
/// the last trim, and by at least [`GONE_AT_LEAST`], returns the allocator's free memory to
/// the system and starts a new peak. A steady load (as many open as at the peak) never
/// triggers it.
pub(super) async fn after_bursts(slots: Arc<Slots>) {
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let open = slots.open();
        let peak = slots.peak.load(Ordering::Relaxed);
        if burst_gone(open, peak) {
            slots.peak.store(open, Ordering::Relaxed);
            // It walks and locks every arena: not on a worker thread.
            let _ = tokio::task::spawn_blocking(release_free_memory).await;
        }
    }
}

/// Whether a burst has gone: `open` connections are a quarter of `peak` or fewer, and at
/// least [`GONE_AT_LEAST`] fewer.
fn burst_gone(open: usize, peak: usize) -> bool {
    peak >= open + GONE_AT_LEAST && open <= peak / 4
}

/// Asks glibc to return the free pages of every arena to the system.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn release_free_memory() {
    // SAFETY: malloc_trim takes no pointer and has no precondition; glibc serialises it with
    // every other allocator call.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Elsewhere the allocator returns memory itself.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release_free_memory() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_burst_that_has_gone_is_given_back() {
        // 10,000 connections came, 20 are left: given back.
        assert!(burst_gone(20, 10_000));
        // As many open as at the peak: a steady load, kept.
        assert!(!burst_gone(10_000, 10_000));
        // Down to a third: still busy.
        assert!(!burst_gone(3_000, 9_000));
        // A quarter, but only 150 gone: not worth a trim.
        assert!(!burst_gone(50, 200));
        // Exactly a quarter, 750 gone.
        assert!(burst_gone(250, 1_000));
    }
}

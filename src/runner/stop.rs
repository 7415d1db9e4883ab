//! A run's stop signal: once raised (Ctrl-C, SIGTERM), no case starts and no retry is sent;
//! exchanges already in flight end on their own, within the timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// Raised once, seen by every case of a run. Clones share it.
#[derive(Debug, Clone)]
pub struct Stop {
    raised: Arc<watch::Sender<bool>>,
}

impl Default for Stop {
    fn default() -> Stop {
        Stop {
            raised: Arc::new(watch::Sender::new(false)),
        }
    }
}

impl Stop {
    /// A stop not raised yet.
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Raises it.
    pub fn raise(&self) {
        self.raised.send_replace(true);
    }

    /// Whether it is raised.
    pub fn is_raised(&self) -> bool {
        *self.raised.borrow()
    }

    /// Completes once it is raised.
    pub async fn raised(&self) {
        let mut seen = self.raised.subscribe();
        // The sender lives in `self`, so the channel cannot close while this waits.
        let _ = seen.wait_for(|raised| *raised).await;
    }

    /// Sleeps for `duration`; `false` when it was raised first.
    pub async fn sleep(&self, duration: Duration) -> bool {
        // tokio's timer ticks in milliseconds: even a zero sleep would wait for the next
        // tick, and every request of an unthrottled run asks for one.
        if duration.is_zero() {
            return !self.is_raised();
        }
        tokio::select! {
            () = tokio::time::sleep(duration) => true,
            () = self.raised() => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_raised_stop_cuts_a_sleep_short() {
        let stop = Stop::new();
        assert!(stop.sleep(Duration::from_millis(1)).await);
        let raiser = stop.clone();
        tokio::spawn(async move { raiser.raise() });
        assert!(!stop.sleep(Duration::from_secs(600)).await);
        assert!(stop.is_raised());
    }

    /// A zero sleep must not touch tokio's timer, whose millisecond ticks made every request
    /// of an unthrottled run wait up to a millisecond for its turn.
    #[tokio::test]
    async fn a_zero_sleep_is_over_at_once() {
        let stop = Stop::new();
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let sleep = std::pin::pin!(stop.sleep(Duration::ZERO));
        assert_eq!(sleep.poll(&mut context), std::task::Poll::Ready(true));
        stop.raise();
        let sleep = std::pin::pin!(stop.sleep(Duration::ZERO));
        assert_eq!(sleep.poll(&mut context), std::task::Poll::Ready(false));
    }
}

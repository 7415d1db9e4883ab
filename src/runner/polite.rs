//! Politeness to the gateway: a request rate shared by the whole run, and retries of what
//! may be retried. A 429 or 503 is retried after the wait its `Retry-After` asks for (never
//! sooner; a wait over the cap ends the retries), and every request of the run holds back
//! until then; a connection dropped before any answer is retried after a short back-off, as
//! is a refused connection once the target has answered in this run. Only idempotent
//! methods are sent twice, and nothing is sent again after a complete answer that does not
//! ask for it.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use super::result::GaveUp;
use super::stop::Stop;
use crate::http::{Answer, TransportError};

/// The statuses that ask a client to come back later.
pub const COME_BACK_LATER: [u16; 2] = [429, 503];

/// How polite a run is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Politeness {
    /// The most requests a second, across the run; `None` for no limit.
    pub rate: Option<f64>,
    /// How many times a request may be sent again.
    pub retries: u32,
    /// The longest wait before a retry.
    pub max_wait: Duration,
}

impl Default for Politeness {
    /// No limit and no retry.
    fn default() -> Politeness {
        Politeness {
            rate: None,
            retries: 0,
            max_wait: Duration::from_secs(30),
        }
    }
}

/// What to do after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Judge this answer.
    Judge,
    /// Send the request again after this wait.
    Retry(Duration),
    /// Judge this answer: it asked to come back later, and that will not happen.
    GiveUp(GaveUp),
}

/// The politeness of one run, shared by all its cases: the pace of requests and what the
/// target has shown so far.
#[derive(Debug)]
pub struct Gate {
    politeness: Politeness,
    /// The earliest the next request may start.
    next_start: Mutex<Instant>,
    /// Whether the target has answered any request of this run.
    answered: AtomicBool,
}

impl Gate {
    /// A gate that keeps `politeness`.
    pub fn new(politeness: Politeness) -> Gate {
        Gate {
            politeness,
            next_start: Mutex::new(Instant::now()),
            answered: AtomicBool::new(false),
        }
    }

    /// Waits for this request's turn; `false` when `stop` is raised first.
    pub async fn turn(&self, stop: &Stop) -> bool {
        let start = {
            let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            let interval = self
                .politeness
                .rate
                .map_or(Duration::ZERO, |rate| Duration::from_secs_f64(1.0 / rate));
            *next = start + interval;
            start
        };
        !stop.is_raised()
            && stop
                .sleep(start.saturating_duration_since(Instant::now()))
                .await
    }

    /// Holds every request of the run back for `wait`: the gateway throttles the caller, not
    /// the one request.
    fn hold(&self, wait: Duration) {
        let mut next = self.next_start.lock().unwrap_or_else(|p| p.into_inner());
        *next = (*next).max(Instant::now() + wait);
    }

    /// What follows the `tries`-th attempt of a request with this `method`, whose answer
    /// (`answer`) the case does or does not `accept` as its status. A retry holds the whole
    /// run back for its wait.
    pub fn next(
        &self,
        method: &http::Method,
        answer: &Result<Answer, TransportError>,
        accepted: bool,
        tries: usize,
    ) -> Next {
        let answered_before = self.answered.load(Ordering::Relaxed);
        if answer.is_ok() {
            self.answered.store(true, Ordering::Relaxed);
        }
        let retries_left = tries <= self.politeness.retries as usize;
        match answer {
            Ok(answer) if accepted || !COME_BACK_LATER.contains(&answer.status) => Next::Judge,
            Ok(_) if !is_idempotent(method) => Next::GiveUp(GaveUp::NotIdempotent(method.clone())),
            Ok(_) if !retries_left => Next::GiveUp(GaveUp::RetriesUsed(self.politeness.retries)),
            Ok(answer) => match retry_after(answer, SystemTime::now()) {
                Some(asked) if asked > self.politeness.max_wait => {
                    Next::GiveUp(GaveUp::WaitOverCap {
                        asked,
                        cap: self.politeness.max_wait,
                    })
                }
                asked => {
                    let wait = asked.unwrap_or_else(|| self.backoff(tries, Duration::from_secs(1)));
                    self.hold(wait);
                    Next::Retry(wait)
                }
            },
            Err(TransportError::Dropped(_)) if retries_left && is_idempotent(method) => {
                Next::Retry(self.backoff(tries, Duration::from_millis(500)))
            }
            Err(TransportError::Unreachable(_))
                if answered_before && retries_left && is_idempotent(method) =>
            {
                Next::Retry(self.backoff(tries, Duration::from_millis(500)))
            }
            Err(_) => Next::Judge,
        }
    }

    /// `first` doubled for each earlier try, within the cap.
    fn backoff(&self, tries: usize, first: Duration) -> Duration {
        let doublings = u32::try_from(tries.saturating_sub(1))
            .unwrap_or(u32::MAX)
            .min(16);
        (first * 2u32.pow(doublings)).min(self.politeness.max_wait)
    }
}

/// Whether sending `method` twice does what sending it once does (RFC 9110, 9.2.2).
pub fn is_idempotent(method: &http::Method) -> bool {
    use http::Method;
    [
        Method::GET,
        Method::HEAD,
        Method::OPTIONS,
        Method::TRACE,
        Method::PUT,
        Method::DELETE,
    ]
    .contains(method)
}

/// The wait an answer's `Retry-After` asks for: seconds, or an HTTP date (a date past is no
/// wait).
pub fn retry_after(answer: &Answer, now: SystemTime) -> Option<Duration> {
    let value = answer.header("retry-after")?.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // Too many digits for a u64 is still a number of seconds: longer than any wait.
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, retry_after: Option<&str>) -> Result<Answer, TransportError> {
        let mut headers = http::HeaderMap::new();
        if let Some(value) = retry_after {
            headers.insert("retry-after", value.parse().unwrap());
        }
        Ok(Answer {
            status,
            headers,
            body: Vec::new(),
        })
    }

    fn gate(retries: u32) -> Gate {
        Gate::new(Politeness {
            rate: None,
            retries,
            max_wait: Duration::from_secs(30),
        })
    }

    /// Without a rate, every turn is given at once: nothing waits for the timer.
    #[tokio::test]
    async fn an_unpaced_gate_never_waits() {
        let (gate, stop) = (gate(0), Stop::new());
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        for _ in 0..3 {
            let turn = std::pin::pin!(gate.turn(&stop));
            assert_eq!(turn.poll(&mut context), std::task::Poll::Ready(true));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let seconds = answer(429, Some("7")).unwrap();
        assert_eq!(retry_after(&seconds, now), Some(Duration::from_secs(7)));
        let date = httpdate::fmt_http_date(now + Duration::from_secs(12));
        let dated = answer(429, Some(&date)).unwrap();
        assert_eq!(retry_after(&dated, now), Some(Duration::from_secs(12)));
        let past = httpdate::fmt_http_date(now - Duration::from_secs(12));
        assert_eq!(
            retry_after(&answer(429, Some(&past)).unwrap(), now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after(&answer(429, Some("soon")).unwrap(), now), None);
        // Digits past u64 are still a number of seconds: longer than any wait allowed.
        let endless = answer(429, Some("99999999999999999999")).unwrap();
        assert_eq!(retry_after(&endless, now), Some(Duration::MAX));
    }

    #[test]
    fn throttling_is_retried_as_asked_until_the_retries_or_the_cap_run_out() {
        let get = http::Method::GET;
        let gate = gate(2);
        let throttled = answer(429, Some("3"));
        assert_eq!(
            gate.next(&get, &throttled, false, 1),
            Next::Retry(Duration::from_secs(3))
        );
        assert_eq!(
            gate.next(&get, &throttled, false, 3),
            Next::GiveUp(GaveUp::RetriesUsed(2))
        );
        assert_eq!(gate.next(&get, &throttled, true, 1), Next::Judge);
        assert_eq!(
            gate.next(&get, &answer(503, Some("31")), false, 1),
            Next::GiveUp(GaveUp::WaitOverCap {
                asked: Duration::from_secs(31),
                cap: Duration::from_secs(30)
            })
        );
        assert_eq!(
            gate.next(&get, &answer(429, None), false, 2),
            Next::Retry(Duration::from_secs(2))
        );
        assert_eq!(
            gate.next(&http::Method::POST, &throttled, false, 1),
            Next::GiveUp(GaveUp::NotIdempotent(http::Method::POST))
        );
        assert_eq!(
            gate.next(&get, &answer(500, Some("1")), false, 1),
            Next::Judge
        );
    }

    #[test]
    fn a_refused_connection_is_retried_only_once_the_target_has_answered() {
        let get = http::Method::GET;
        let gate = gate(1);
        let refused = Err(TransportError::Unreachable("refused".into()));
        assert_eq!(gate.next(&get, &refused, false, 1), Next::Judge);
        assert_eq!(gate.next(&get, &answer(200, None), true, 1), Next::Judge);
        assert!(matches!(
            gate.next(&get, &refused, false, 1),
            Next::Retry(_)
        ));
        let dropped = Err(TransportError::Dropped("reset".into()));
        assert!(matches!(
            gate.next(&get, &dropped, false, 1),
            Next::Retry(_)
        ));
        assert_eq!(gate.next(&get, &dropped, false, 2), Next::Judge);
        let timeout = Err(TransportError::Timeout(Duration::from_secs(1)));
        assert_eq!(gate.next(&get, &timeout, false, 1), Next::Judge);
    }
}

//! A host as a command runs it (`sms-conformance mock`, `sms-conformance proxy`): its own
//! runtime, the descriptor limit fitted to the connection cap, and SIGINT / SIGTERM handling
//! (drain within a deadline; a second signal quits at once).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

use super::{Handler, Host, Limits, MAX_HEADER_TIMEOUT, Signals, listen};
use crate::vocab::Signal;

#[cfg(unix)]
/// Descriptors kept back from the connection cap: standard streams, the listener, the
/// runtime's own, and some slack.
const RESERVED_DESCRIPTORS: usize = 32;

/// How a host stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped {
    /// The signal that stopped it.
    pub first: Signal,
    /// The signal that cut its drain short, if one did: the process should end at once,
    /// with [`Signal::exit_code`].
    pub second: Option<Signal>,
    /// How many connections were still open at the drain's deadline, and cut.
    pub cut: usize,
}

/// A command's host, bound to its address and watching for signals: what [`standalone`]
/// hands its `serve`, which prints its banner and then [`serve`](Bound::serve)s.
pub struct Bound {
    name: &'static str,
    limits: Limits,
    listener: TcpListener,
    signals: Signals,
    /// The address it listens on (with the port chosen when port 0 was asked).
    pub addr: SocketAddr,
}

impl Bound {
    /// Prints the banner's lines that state the limits, and serves `handler` until signalled
    /// (see [`Host::until_signalled`]).
    pub async fn serve<H: Handler>(mut self, handler: H) -> Stopped {
        println!("{}", limits_banner(&self.limits));
        Host::new(self.name, handler, self.limits)
            .until_signalled(self.listener, &mut self.signals)
            .await
    }
}

/// Binds `addr` and runs `serve` on a runtime of its own, as the command
/// `sms-conformance NAME`, and then cuts whatever is still open.
///
/// Before it starts: the header timeout must be at most [`MAX_HEADER_TIMEOUT`]; when the
/// descriptor limit (`ulimit -n`) cannot be raised to fit [`Limits::max_connections`]
/// connections of `descriptors_each` descriptors (the proxy holds one to its upstream too),
/// the cap is lowered to fit, and stderr says so.
///
/// # Errors
///
/// The header timeout is too long, the descriptor limit leaves no room for a connection, the
/// runtime cannot start, the signal handlers cannot be set up, `addr` cannot be bound, or
/// `serve` fails.
pub fn standalone<T, F>(
    name: &'static str,
    addr: SocketAddr,
    limits: Limits,
    descriptors_each: usize,
    serve: impl FnOnce(Bound) -> F,
) -> Result<T, String>
where
    F: Future<Output = Result<T, String>>,
{
    if limits.header_timeout > MAX_HEADER_TIMEOUT {
        return Err(format!(
            "the header timeout ({}) may be at most {}",
            seconds(limits.header_timeout),
            seconds(MAX_HEADER_TIMEOUT)
        ));
    }
    let (limits, lowered) = fit_descriptor_limit(limits, descriptors_each)?;
    if let Some(lowered) = lowered {
        eprintln!(
            "sms-conformance {name}: the descriptor limit (ulimit -n) is {}: serving at most {} connections at once, not {}",
            lowered.descriptors, limits.max_connections, lowered.asked
        );
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let outcome = runtime.block_on(async {
        // Before the banner, so that a signal sent as soon as it shows is ours to handle.
        let signals = Signals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;
        let listener = listen(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        serve(Bound {
            name,
            limits,
            listener,
            signals,
            addr,
        })
        .await
    });
    // Whatever is still open past the deadline is cut here.
    runtime.shutdown_background();
    outcome
}

/// The lines of a banner that state `limits`.
fn limits_banner(limits: &Limits) -> String {
    format!(
        "  at most {} connections at once; a request head must arrive within {}; a connection idle for {} is closed\n  Ctrl-C or SIGTERM stops it (requests in flight get {}; a second signal quits at once).",
        limits.max_connections,
        seconds(limits.header_timeout),
        seconds(limits.idle_timeout),
        seconds(limits.shutdown_timeout)
    )
}

impl<H: Handler> Host<H> {
    /// Serves on `listener` until the first of `signals`; then stops accepting and drains
    /// (see the module's documentation), unless a second signal comes first. Says each step
    /// on stderr.
    pub async fn until_signalled(
        self: &Arc<Self>,
        listener: TcpListener,
        signals: &mut super::Signals,
    ) -> Stopped {
        let name = self.name;
        let first = self.accept_until(listener, signals.next()).await;
        eprintln!(
            "sms-conformance {name}: {}: stopping; waiting up to {} for {} open connection(s); a second signal quits at once",
            first.name(),
            seconds(self.limits.shutdown_timeout),
            self.open()
        );
        tokio::select! {
            cut = self.drain() => {
                match cut {
                    0 => eprintln!("sms-conformance {name}: stopped"),
                    1 => eprintln!("sms-conformance {name}: stopped at the deadline; 1 connection cut"),
                    n => eprintln!("sms-conformance {name}: stopped at the deadline; {n} connections cut"),
                }
                Stopped { first, second: None, cut }
            }
            second = signals.next() => {
                eprintln!("sms-conformance {name}: {} again: quitting at once", second.name());
                Stopped { first, second: Some(second), cut: 0 }
            }
        }
    }
}

/// `10s`, or `1.5s`.
pub fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// The connection cap was lowered to fit the descriptor limit.
struct Lowered {
    descriptors: u64,
    asked: usize,
}

/// `limits` with the connection cap (of `each` descriptors a connection) lowered to fit the
/// descriptor limit, after raising the soft limit towards the hard one if need be.
#[cfg(unix)]
fn fit_descriptor_limit(
    mut limits: Limits,
    each: usize,
) -> Result<(Limits, Option<Lowered>), String> {
    use super::REFUSING_AT_ONCE;
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let kept_back = REFUSING_AT_ONCE + RESERVED_DESCRIPTORS;
    let wanted = u64::try_from(limits.max_connections * each + kept_back).unwrap_or(u64::MAX);
    let Rlimit { current, maximum } = getrlimit(Resource::Nofile);
    let mut available = current.unwrap_or(u64::MAX);
    if available < wanted {
        let raised = maximum.map_or(wanted, |maximum| maximum.min(wanted));
        let new = Rlimit {
            current: Some(raised),
            maximum,
        };
        if raised > available && setrlimit(Resource::Nofile, new).is_ok() {
            available = raised;
        }
    }
    if available >= wanted {
        return Ok((limits, None));
    }
    let room = usize::try_from(available)
        .unwrap_or(usize::MAX)
        .saturating_sub(kept_back)
        / each;
    if room == 0 {
        return Err(format!(
            "the descriptor limit (ulimit -n) is {available}: no room for a connection (the host keeps {kept_back} back); raise it"
        ));
    }
    let lowered = Lowered {
        descriptors: available,
        asked: limits.max_connections,
    };
    limits.max_connections = room;
    Ok((limits, Some(lowered)))
}

/// Elsewhere the cap is left as asked.
#[cfg(not(unix))]
fn fit_descriptor_limit(limits: Limits, _: usize) -> Result<(Limits, Option<Lowered>), String> {
    Ok((limits, None))
}

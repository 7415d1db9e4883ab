//! `sms-conformance mock`: the host on its own runtime, with its banner, the descriptor limit
//! fitted to the connection cap, and SIGINT / SIGTERM handling (drain within a deadline; a
//! second signal quits at once).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::{Host, Limits, MAX_HEADER_TIMEOUT, listen};
use crate::mock::Fixture;

#[cfg(unix)]
/// Descriptors kept back from the connection cap: standard streams, the listener, the
/// runtime's own, and some slack.
const RESERVED_DESCRIPTORS: usize = 32;

/// Serves the mock on `listen` until SIGINT or SIGTERM (Ctrl-C elsewhere than Unix), printing
/// its address, tasks, token names (never values) and limits first.
///
/// On the first signal it stops accepting and drains (see the module's documentation) for at
/// most [`Limits::shutdown_timeout`], then returns success. A second signal ends it at once
/// with 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a
/// process killed by it. When the descriptor limit (`ulimit -n`) cannot be raised to fit
/// [`Limits::max_connections`], the cap is lowered to fit, and stderr says so.
///
/// # Errors
///
/// The header timeout is over [`MAX_HEADER_TIMEOUT`], the address cannot be bound, the descriptor limit leaves no room for a connection, or the
/// runtime or the signal handlers cannot be set up: nothing was served.
pub fn standalone(
    listen: SocketAddr,
    fixture: Fixture,
    limits: Limits,
) -> Result<ExitCode, String> {
    if limits.header_timeout > MAX_HEADER_TIMEOUT {
        return Err(format!(
            "the header timeout ({}) may be at most {}",
            seconds(limits.header_timeout),
            seconds(MAX_HEADER_TIMEOUT)
        ));
    }
    let (limits, lowered) = fit_descriptor_limit(limits)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let code = runtime.block_on(serve_until_signalled(listen, fixture, limits, lowered));
    // Whatever is still open past the deadline is cut here.
    runtime.shutdown_background();
    code
}

async fn serve_until_signalled(
    addr: SocketAddr,
    fixture: Fixture,
    limits: Limits,
    lowered: Option<Lowered>,
) -> Result<ExitCode, String> {
    // Before the banner, so that a signal sent as soon as it shows is ours to handle.
    let mut signals = Signals::new().map_err(|e| format!("cannot watch for signals: {e}"))?;
    let listener = listen(addr).map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    println!("sms-conformance mock listening on http://{addr}");
    println!("  GET http://{addr}/v3/tasks/{{task_id}}/passphrase");
    println!(
        "  {} task(s); tokens: {}",
        fixture.tasks.len(),
        token_names(&fixture)
    );
    if !fixture.users.is_empty() {
        let users: Vec<String> = fixture
            .users
            .iter()
            .map(|u| format!("{}@{} ({})", u.name, u.domain, u.token))
            .collect();
        println!(
            "  POST http://{addr}/v3/auth/tokens issues IAM users their token: {}",
            users.join(", ")
        );
    }
    println!(
        "  at most {} connections at once; a request head must arrive within {}; a connection idle for {} is closed",
        limits.max_connections,
        seconds(limits.header_timeout),
        seconds(limits.idle_timeout)
    );
    println!(
        "  Ctrl-C or SIGTERM stops it (requests in flight get {}; a second signal quits at once).",
        seconds(limits.shutdown_timeout)
    );
    if let Some(lowered) = lowered {
        eprintln!(
            "sms-conformance mock: the descriptor limit (ulimit -n) is {}: serving at most {} connections at once, not {}",
            lowered.descriptors, limits.max_connections, lowered.asked
        );
    }
    let deadline = seconds(limits.shutdown_timeout);
    let host = Host::new(Arc::new(fixture), limits);
    let first = host.accept_until(listener, signals.next()).await;
    eprintln!(
        "sms-conformance mock: {}: stopping; waiting up to {deadline} for {} open connection(s); a second signal quits at once",
        first.name,
        host.open()
    );
    tokio::select! {
        cut = host.drain() => {
            match cut {
                0 => eprintln!("sms-conformance mock: stopped"),
                1 => eprintln!("sms-conformance mock: stopped at the deadline; 1 connection cut"),
                n => eprintln!("sms-conformance mock: stopped at the deadline; {n} connections cut"),
            }
            Ok(ExitCode::SUCCESS)
        }
        second = signals.next() => {
            eprintln!("sms-conformance mock: {} again: quitting at once", second.name);
            Ok(ExitCode::from(second.exit_code))
        }
    }
}

/// The fixture's token names and what each may do.
fn token_names(fixture: &Fixture) -> String {
    let names: Vec<String> = fixture
        .tokens
        .iter()
        .map(|t| {
            let may = if t.permitted {
                "may read passphrases"
            } else {
                "denied: 403"
            };
            format!("{} ({may})", t.name)
        })
        .collect();
    names.join(", ")
}

/// `10s`, or `1.5s`.
fn seconds(duration: Duration) -> String {
    format!("{}s", duration.as_secs_f64())
}

/// The connection cap was lowered to fit the descriptor limit.
struct Lowered {
    descriptors: u64,
    asked: usize,
}

/// `limits` with the connection cap lowered to fit the descriptor limit, after raising the
/// soft limit towards the hard one if need be.
#[cfg(unix)]
fn fit_descriptor_limit(mut limits: Limits) -> Result<(Limits, Option<Lowered>), String> {
    use super::REFUSING_AT_ONCE;
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let kept_back = REFUSING_AT_ONCE + RESERVED_DESCRIPTORS;
    let wanted = u64::try_from(limits.max_connections + kept_back).unwrap_or(u64::MAX);
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
        .saturating_sub(kept_back);
    if room == 0 {
        return Err(format!(
            "the descriptor limit (ulimit -n) is {available}: no room for a connection (the mock keeps {kept_back} back); raise it"
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
fn fit_descriptor_limit(limits: Limits) -> Result<(Limits, Option<Lowered>), String> {
    Ok((limits, None))
}

/// A stop signal: its name and the exit code when it comes a second time.
struct Stop {
    name: &'static str,
    exit_code: u8,
}

/// SIGINT and SIGTERM as they arrive.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> Stop {
        tokio::select! {
            _ = self.interrupt.recv() => Stop { name: "SIGINT", exit_code: 130 },
            _ = self.terminate.recv() => Stop { name: "SIGTERM", exit_code: 143 },
        }
    }
}

/// Ctrl-C as it arrives.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Stop {
        let _ = tokio::signal::ctrl_c().await;
        Stop {
            name: "Ctrl-C",
            exit_code: 130,
        }
    }
}

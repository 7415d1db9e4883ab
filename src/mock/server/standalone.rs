//! `sms-conformance mock`: the mock on the shared host run as a command, with its banner.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use super::{Limits, MockService, NAME};
use crate::host::{self, Bound};
use crate::mock::Fixture;

/// Serves the mock on `listen` until SIGINT or SIGTERM (Ctrl-C elsewhere than Unix), printing
/// its address, tasks, token names (never values) and limits first.
///
/// On the first signal it stops accepting and drains (see [`crate::host`]) for at most
/// [`Limits::shutdown_timeout`], then returns success. A second signal ends it at once with
/// 128 + the signal's number (130 for SIGINT, 143 for SIGTERM), as a shell reports a process
/// killed by it. When the descriptor limit (`ulimit -n`) cannot be raised to fit
/// [`Limits::max_connections`], the cap is lowered to fit, and stderr says so.
///
/// # Errors
///
/// The header timeout is over [`host::MAX_HEADER_TIMEOUT`], the address cannot be bound, the
/// descriptor limit leaves no room for a connection, or the runtime or the signal handlers
/// cannot be set up: nothing was served.
pub fn standalone(
    listen: SocketAddr,
    fixture: Fixture,
    limits: Limits,
) -> Result<ExitCode, String> {
    host::standalone(NAME, listen, limits, 1, |bound| {
        serve_until_signalled(bound, fixture)
    })
}

async fn serve_until_signalled(bound: Bound, fixture: Fixture) -> Result<ExitCode, String> {
    let addr = bound.addr;
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
    let fixture = Arc::new(fixture);
    let stopped = bound.serve(MockService { fixture }).await;
    Ok(stopped.second.map_or(ExitCode::SUCCESS, |second| {
        ExitCode::from(second.exit_code())
    }))
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

//! `sms-conformance mock`: the faithful mock, served standalone until SIGINT or SIGTERM,
//! within the limits its flags set.

use std::process::ExitCode;

use super::args::MockArgs;
use super::error::Error;
use super::target;
use crate::mock::server::{self, Limits};

/// Serves the mock on `args.listen` until a signal.
pub(super) fn serve(args: &MockArgs) -> Result<ExitCode, Error> {
    let fixture = target::fixture(args.fixture.as_deref())?;
    let limits = Limits {
        max_connections: usize::try_from(args.max_connections).unwrap_or(usize::MAX),
        header_timeout: args.header_timeout,
        idle_timeout: args.idle_timeout,
        shutdown_timeout: args.shutdown_timeout,
    };
    server::standalone(args.listen, fixture, limits).map_err(Error::Usage)
}

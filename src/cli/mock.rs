//! `sms-conformance mock`: the faithful mock, served standalone until SIGINT or SIGTERM,
//! within the limits its flags set.

use std::process::ExitCode;

use super::args::MockArgs;
use super::error::Error;
use super::target;
use crate::mock::server;

/// Serves the mock on `args.listen` until a signal.
pub(super) fn serve(args: &MockArgs) -> Result<ExitCode, Error> {
    let fixture = target::fixture(args.fixture.as_deref())?;
    server::standalone(args.listen, fixture, args.host.limits()).map_err(Error::Usage)
}

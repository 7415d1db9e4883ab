//! `sms-conformance mock`: the faithful mock, served standalone until Ctrl-C.

use std::process::ExitCode;
use std::sync::Arc;

use super::args::MockArgs;
use super::error::Error;
use super::{runtime, target};
use crate::mock;

/// Serves the mock on `args.listen` until Ctrl-C.
pub(super) fn serve(args: &MockArgs) -> Result<ExitCode, Error> {
    let fixture = target::fixture(args.fixture.as_deref())?;
    let tokens: Vec<String> = fixture
        .tokens
        .iter()
        .map(|t| {
            let what = if t.permitted {
                "may read passphrases"
            } else {
                "denied: 403"
            };
            format!("{} ({what})", t.name)
        })
        .collect();
    let tasks = fixture.tasks.len();
    let users: Vec<String> = fixture
        .users
        .iter()
        .map(|u| format!("{}@{} ({})", u.name, u.domain, u.token))
        .collect();
    let runtime = runtime()?;
    runtime.block_on(async {
        let shutdown = async {
            let _ = tokio::signal::ctrl_c().await;
        };
        let (addr, serving) = mock::server::bind(args.listen, Arc::new(fixture), shutdown)
            .await
            .map_err(|e| Error::start(format!("listen on {}", args.listen), e))?;
        println!("sms-conformance mock listening on http://{addr}");
        println!("  GET http://{addr}/v3/tasks/{{task_id}}/passphrase");
        println!("  {tasks} task(s); tokens: {}", tokens.join(", "));
        if !users.is_empty() {
            println!(
                "  POST http://{addr}/v3/auth/tokens issues IAM users their token: {}",
                users.join(", ")
            );
        }
        println!("  Ctrl-C stops it.");
        serving.await.map_err(|e| Error::start("keep serving", e))
    })?;
    Ok(ExitCode::SUCCESS)
}

//! `sms-conformance proxy`: the upstream checked, in front of a team's own application, until
//! SIGINT or SIGTERM; then the report and the exit code (0 clean, 1 a violation or an upstream
//! failure was seen, 2 bad arguments or a report not written, 4 no answer was checked, 130 /
//! 143 quit at once by a second signal).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use super::args::ProxyArgs;
use super::error::{EXIT_INCONCLUSIVE, EXIT_VIOLATION, Error};
use super::{run, settings, target, write_report};
use crate::contract::Contract;
use crate::proxy::{self, Note, Settings, Words};
use crate::redact::Redactor;
use crate::report::{self, Renderer};

/// Serves the proxy that `args` describe until a signal; writes its report.
pub(super) fn serve(args: &ProxyArgs, redactor: &Arc<Redactor>) -> Result<ExitCode, Error> {
    settings::check_url(&args.upstream, "--upstream")?;
    target::learn_credentials(&args.upstream, "--upstream", redactor)?;
    if let Some(path) = &args.report_json {
        report::check_writable(path).map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
    }
    let contract = Contract::load(&args.contract.schemas)?;
    let client = run::client(&args.exchange, args.cacert.as_deref())?;
    let upstream = args.upstream.trim_end_matches('/').to_owned();
    // No byte moves on a client's connection while the proxy waits for its upstream: an
    // idle timeout shorter than that wait would cut the client off with no answer at all.
    let mut limits = args.host.limits();
    limits.idle_timeout = limits
        .idle_timeout
        .max(client.timeout() + Duration::from_secs(1));
    let settings = Settings {
        listen: args.listen,
        upstream: upstream.clone(),
        fail_fast: args.fail_fast,
        limits,
    };
    let words = Arc::new(Masked(Arc::clone(redactor)));
    let finished = proxy::serve(
        settings,
        Arc::new(contract),
        client,
        Arc::clone(redactor),
        words,
    )
    .map_err(Error::Usage)?;
    let seen = &finished.seen;
    // An exchange the shutdown cut left an application's request unanswered: a failure.
    let cut = finished.cut();
    let unanswered = match (cut, seen.unanswered()) {
        (0, 0) => String::new(),
        (0, gone) => format!("; {gone} unanswered (the client went away)"),
        (cut, _) => format!("; {cut} cut unanswered at the shutdown deadline"),
    };
    eprintln!(
        "sms-conformance proxy: {} exchange(s): {} checked, {} passed on unchecked (IAM); {} broke the contract, {} failed upstream{unanswered}",
        seen.exchanges, seen.checked, seen.unchecked, seen.violations, seen.upstream_failures
    );
    if let Some(path) = &args.report_json {
        let renderer = Renderer::new(redactor, &[]);
        let json = report::proxy::render(&upstream, args.fail_fast, &finished, &renderer);
        write_report(path, &json)?;
    }
    // A proxy no checked answer went through saw nothing wrong because it saw nothing: an
    // application still pointed at the endpoint itself would pass.
    let nothing_checked = seen.checked == 0;
    if nothing_checked && !seen.failed() && cut == 0 {
        eprintln!(
            "sms-conformance proxy: no answer was checked (exit 4): is the application pointed at http://{}?",
            finished.listened
        );
    }
    Ok(match finished.stopped.second {
        Some(second) => ExitCode::from(second.exit_code()),
        None if seen.failed() || cut > 0 => ExitCode::from(EXIT_VIOLATION),
        None if nothing_checked => ExitCode::from(EXIT_INCONCLUSIVE),
        None => ExitCode::SUCCESS,
    })
}

/// The proxy's notes in the reports' words, masked by the redactor.
struct Masked(Arc<Redactor>);

impl Words for Masked {
    fn lines(&self, note: &Note) -> Vec<String> {
        Renderer::new(&self.0, &[]).noted(note)
    }

    fn why(&self, note: &Note) -> String {
        Renderer::new(&self.0, &[]).why(note)
    }
}

//! Building the target of a run, embedded or external: the one place that teaches the
//! redactor every secret the run starts with (tokens, the fixture's passphrases and
//! passwords, a password in the URL, the IAM users' passwords and the tokens IAM issues).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::args::TargetArgs;
use super::error::Error;
use super::{read_named, settings};
use crate::http::HttpClient;
use crate::iam::{self, Credentials};
use crate::mock::{self, Fixture};
use crate::redact::Redactor;
use crate::runner::{Target, TargetKind};
use crate::vocab::{Variable, Variables};

/// The fixture in `file`, or the built-in one.
pub(super) fn fixture(file: Option<&Path>) -> Result<Fixture, Error> {
    match file {
        Some(file) => Ok(Fixture::load(file)?),
        None => Ok(Fixture::builtin()),
    }
}

/// The target `args` name, its secrets taught to `redactor`; a token not given is asked of
/// IAM through `client` (not on a `dry_run`, which only says it would). The embedded mock
/// serves on `runtime` until the runtime is dropped.
pub(super) fn build(
    args: &TargetArgs,
    runtime: &tokio::runtime::Runtime,
    client: &HttpClient,
    redactor: &Redactor,
    dry_run: bool,
) -> Result<Target, Error> {
    match &args.base_url {
        Some(url) => {
            let mut target = external(url, args, redactor)?;
            from_iam(&mut target, args, runtime, client, redactor, dry_run)?;
            Ok(target)
        }
        None => {
            let served = fixture(args.fixture.as_deref())?;
            embedded(runtime, served, args.fixture.clone(), redactor)
        }
    }
}

/// Starts the mock on `runtime` (see [`mock::server::embedded`]), serving `fixture` (read
/// from `file`, or the built-in one).
pub(super) fn embedded(
    runtime: &tokio::runtime::Runtime,
    fixture: Fixture,
    file: Option<PathBuf>,
    redactor: &Redactor,
) -> Result<Target, Error> {
    redactor.learn_all(fixture.secrets());
    let variables = fixture.variables();
    let (listening, serving) = runtime
        .block_on(mock::server::embedded(
            Arc::new(fixture),
            std::future::pending(),
        ))
        .map_err(|e| Error::start("start the embedded mock", e))?;
    runtime.spawn(serving);
    Ok(Target::embedded(
        &listening.url(),
        listening.socket(),
        variables,
        file,
    ))
}

/// The mock at `url`, serving `fixture` (read from `file`, or the built-in one).
pub(super) fn standalone(
    url: &str,
    fixture: &Fixture,
    file: Option<PathBuf>,
    redactor: &Redactor,
) -> Result<Target, Error> {
    reqwest::Url::parse(url).map_err(|e| Error::Usage(format!("--mock-url is not a URL: {e}")))?;
    redactor.learn_all(fixture.secrets());
    Ok(Target {
        kind: TargetKind::Standalone { fixture: file },
        ..Target::new(url, fixture.variables())
    })
}

fn external(url: &str, args: &TargetArgs, redactor: &Redactor) -> Result<Target, Error> {
    learn_credentials(url, "the endpoint", redactor)?;
    let mut variables = Variables::default();
    if let Some(task_id) = &args.task_id {
        if task_id.trim().is_empty() {
            return Err(Error::Usage(
                "the task id (--task-id or SMS_TASK_ID) is empty: give the task the token may read"
                    .to_owned(),
            ));
        }
        variables.set(Variable::TaskId, task_id.clone());
    }
    let secrets = [
        (Variable::Token, args.token_file.as_deref(), "SMS_TOKEN"),
        (
            Variable::ForbiddenToken,
            args.forbidden_token_file.as_deref(),
            "SMS_FORBIDDEN_TOKEN",
        ),
    ];
    for (variable, file, env) in secrets {
        if let Some(value) = read_secret(file, env)? {
            variables.set(variable, value);
        }
    }
    redactor.learn_all(variables.secrets());
    Ok(Target::new(url, variables))
}

/// Teaches `redactor` the credentials in `url`, its user name and password (as written and
/// decoded): a token is often passed as the user name. Refuses a `url` that does not parse,
/// naming it as `what` (the URL is not echoed back: it may hold a password).
pub(super) fn learn_credentials(url: &str, what: &str, redactor: &Redactor) -> Result<(), Error> {
    let parsed =
        reqwest::Url::parse(url).map_err(|e| Error::Usage(format!("{what} is not a URL: {e}")))?;
    for credential in [Some(parsed.username()), parsed.password()]
        .into_iter()
        .flatten()
    {
        redactor.learn(credential);
        let decoded = percent_encoding::percent_decode_str(credential).decode_utf8_lossy();
        redactor.learn(&decoded);
    }
    Ok(())
}

/// Refuses a blank IAM setting before IAM is asked (an undefined CI variable gives one): a
/// login with a blank user or domain counts towards the user's lockout all the same. Teaches
/// `redactor` the password the IAM endpoint's URL may carry: the `iam:` lines name it.
fn check_iam_settings(
    args: &TargetArgs,
    user: &str,
    variable: Variable,
    redactor: &Redactor,
) -> Result<(), Error> {
    let user_setting = variable.iam_user_setting().unwrap_or("SMS_IAM_USER");
    let blank = [
        (user_setting, Some(user)),
        ("SMS_IAM_DOMAIN", args.iam_domain.as_deref()),
        ("SMS_IAM_PROJECT", args.iam_project.as_deref()),
    ]
    .into_iter()
    .find(|(_, value)| value.is_some_and(|v| v.trim().is_empty()));
    if let Some((name, _)) = blank {
        return Err(Error::Usage(format!(
            "{name} is empty: set it, or unset it{}",
            if name == "SMS_IAM_PROJECT" {
                " for the account's (domain's) scope"
            } else {
                ""
            }
        )));
    }
    if let Some(endpoint) = &args.iam_endpoint {
        settings::check_url(endpoint, "SMS_IAM_ENDPOINT")?;
        learn_credentials(endpoint, "SMS_IAM_ENDPOINT", redactor)?;
    }
    Ok(())
}

/// Asks IAM, once each, for the tokens `target` lacks and `args` name a user for.
fn from_iam(
    target: &mut Target,
    args: &TargetArgs,
    runtime: &tokio::runtime::Runtime,
    client: &HttpClient,
    redactor: &Redactor,
    dry_run: bool,
) -> Result<(), Error> {
    let users = [
        (
            Variable::Token,
            &args.iam_user,
            args.iam_password_file.as_deref(),
            "SMS_IAM_PASSWORD",
        ),
        (
            Variable::ForbiddenToken,
            &args.iam_forbidden_user,
            args.iam_forbidden_password_file.as_deref(),
            "SMS_IAM_FORBIDDEN_PASSWORD",
        ),
    ];
    for (variable, user, password_file, password_env) in users {
        let Some(user) = user else { continue };
        if target.variables.get(variable).is_some() {
            continue;
        }
        check_iam_settings(args, user, variable, redactor)?;
        let password = read_secret(password_file, password_env)?.unwrap_or_default();
        redactor.learn(&password);
        let credentials = Credentials {
            endpoint: args.iam_endpoint.clone().unwrap_or_default(),
            user: user.clone(),
            password,
            domain: args.iam_domain.clone().unwrap_or_default(),
            project: args.iam_project.clone(),
        };
        let url = redactor.redact(&credentials.url());
        if dry_run {
            eprintln!(
                "iam: a dry run asks IAM nothing: ${{{variable}}} would be the token of `{user}` ({}) from {url}",
                credentials.scope()
            );
            continue;
        }
        let token = runtime
            .block_on(iam::token(client, &credentials))
            .map_err(|why| Error::Iam {
                user: user.clone(),
                url: url.clone(),
                why,
            })?;
        redactor.learn(&token);
        eprintln!(
            "iam: ${{{variable}}} is the token of `{user}` ({}) from {url}",
            credentials.scope()
        );
        target.variables.set(variable, token);
    }
    Ok(())
}

/// The most a token or password file may hold: an IAM token is about 10 KiB.
const MAX_SECRET_BYTES: u64 = 1 << 20;

/// A secret from `file` (surrounding white space trimmed) or else the environment.
fn read_secret(file: Option<&Path>, env: &str) -> Result<Option<String>, Error> {
    // An empty variable is an unset one (an undefined CI secret gives one; the cases that
    // need it are ignored and a note says so). An empty file, or white space alone, is a
    // mistake, not "none".
    match file {
        Some(file) => {
            let shown = file.display().to_string();
            let bytes = read_named(file, &shown, MAX_SECRET_BYTES, "token or password")?;
            // Said as `read_to_string` says it: the error itself would hold the secret's bytes.
            let text = String::from_utf8(bytes).map_err(|_| Error::Read {
                path: file.to_owned(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "stream did not contain valid UTF-8",
                ),
            })?;
            match text.trim() {
                "" => Err(Error::Usage(format!(
                    "{} holds nothing (it is empty or white space)",
                    file.display()
                ))),
                value => Ok(Some(value.to_owned())),
            }
        }
        None => match std::env::var(env) {
            Err(_) => Ok(None),
            Ok(value) if value.is_empty() => Ok(None),
            Ok(value) if value.trim().is_empty() => Err(Error::Usage(format!(
                "{env} is blank (white space only): set it or unset it"
            ))),
            Ok(value) => Ok(Some(value.trim().to_owned())),
        },
    }
}

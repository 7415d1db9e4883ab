//! The settings a run reads from its environment and flags, checked before anything is
//! sent: a variable that looks like a misspelling of one the tool reads is named, live
//! settings without an endpoint are refused, and a live endpoint without its token or task id
//! is refused naming each missing setting. A run never quietly tests something else than what
//! the user meant.

use super::args::TargetArgs;
use super::error::Error;

/// Every `SMS_*` environment variable the tool reads.
pub const KNOWN: [&str; 13] = [
    "SMS_ENDPOINT",
    "SMS_TASK_ID",
    "SMS_TOKEN",
    "SMS_FORBIDDEN_TOKEN",
    "SMS_CASES",
    "SMS_SCHEMAS",
    "SMS_IAM_ENDPOINT",
    "SMS_IAM_USER",
    "SMS_IAM_PASSWORD",
    "SMS_IAM_DOMAIN",
    "SMS_IAM_PROJECT",
    "SMS_IAM_FORBIDDEN_USER",
    "SMS_IAM_FORBIDDEN_PASSWORD",
];

/// The variable an unknown `SMS_*` name most likely meant: by the word it holds, or else by
/// spelling.
pub fn meant(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    if KNOWN.contains(&upper.as_str()) {
        return None;
    }
    let rest = upper.strip_prefix("SMS")?.trim_start_matches(['_', '-']);
    let forbidden = ["FORBID", "DENIED", "DENY"]
        .iter()
        .any(|word| rest.contains(word));
    let iam_words: [(&[&str], &'static str); 5] = [
        (&["PASS", "PWD", "SECRET"], "SMS_IAM_PASSWORD"),
        (&["USER", "LOGIN"], "SMS_IAM_USER"),
        (&["DOMAIN", "ACCOUNT", "TENANT"], "SMS_IAM_DOMAIN"),
        (&["PROJECT", "REGION", "SCOPE"], "SMS_IAM_PROJECT"),
        (&["URL", "ENDPOINT", "HOST", "ADDR"], "SMS_IAM_ENDPOINT"),
    ];
    let iam = iam_words
        .iter()
        .filter(|(_, known)| rest.contains("IAM") || *known != "SMS_IAM_ENDPOINT")
        .find(|(words, _)| words.iter().any(|w| rest.contains(w)))
        .map(|(_, known)| match (*known, forbidden) {
            ("SMS_IAM_PASSWORD", true) => "SMS_IAM_FORBIDDEN_PASSWORD",
            ("SMS_IAM_USER", true) => "SMS_IAM_FORBIDDEN_USER",
            (known, _) => known,
        });
    if iam.is_some() {
        return iam;
    }
    let by_word = [
        (
            ["FORBID", "DENIED", "DENY"].as_slice(),
            "SMS_FORBIDDEN_TOKEN",
        ),
        (&["TOKEN"], "SMS_TOKEN"),
        (
            &["URL", "ENDPOINT", "HOST", "BASE", "SERVER", "ADDR"],
            "SMS_ENDPOINT",
        ),
        (&["TASK"], "SMS_TASK_ID"),
        (&["CASE"], "SMS_CASES"),
        (&["SCHEMA"], "SMS_SCHEMAS"),
    ];
    by_word
        .iter()
        .find(|(words, _)| words.iter().any(|w| rest.contains(w)))
        .map(|(_, known)| *known)
        .or_else(|| {
            KNOWN
                .iter()
                .map(|known| (distance(&upper, known), *known))
                .filter(|(d, _)| *d <= 3)
                .min()
                .map(|(_, known)| known)
        })
}

/// Levenshtein distance between two ASCII names.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<u8> = b.bytes().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, x) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(x != *y))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

/// Prints to stderr a warning for every `SMS_*` variable of this process that the tool does
/// not read.
pub fn warn_look_alikes() {
    let names: Vec<String> = std::env::vars_os()
        .filter_map(|(name, _)| name.into_string().ok())
        .collect();
    for warning in look_alikes(names.iter().map(String::as_str)) {
        eprintln!("{warning}");
    }
}

/// Whether the environment variable `name` is set and not empty.
pub fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// A warning for every `SMS_*` variable in `names` that the tool does not read.
pub fn look_alikes<'a>(names: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    names
        .into_iter()
        .filter_map(|name| {
            let known = meant(name)?;
            Some(format!(
                "warning: {name} is set, but sms-conformance does not read it; did you mean {known}?"
            ))
        })
        .collect()
}

/// How a run's endpoint was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `--base-url`.
    Flag,
    /// `SMS_ENDPOINT`.
    Environment,
}

impl Source {
    fn name(self) -> &'static str {
        match self {
            Source::Flag => "--base-url",
            Source::Environment => "SMS_ENDPOINT",
        }
    }
}

/// A live setting and whether it is given: (what it is, how to set it, given).
fn live_settings(
    args: &TargetArgs,
    env: &dyn Fn(&str) -> bool,
) -> [(&'static str, &'static str, bool); 4] {
    [
        (
            "the task id",
            "SMS_TASK_ID or --task-id",
            args.task_id.is_some(),
        ),
        (
            "the token",
            "SMS_TOKEN or --token-file",
            explicit_token(args, env),
        ),
        (
            "the forbidden token",
            "SMS_FORBIDDEN_TOKEN or --forbidden-token-file",
            args.forbidden_token_file.is_some() || env("SMS_FORBIDDEN_TOKEN"),
        ),
        (
            "IAM settings",
            "SMS_IAM_*",
            iam_settings(args, env).any(|(_, given)| given),
        ),
    ]
}

fn explicit_token(args: &TargetArgs, env: &dyn Fn(&str) -> bool) -> bool {
    args.token_file.is_some() || env("SMS_TOKEN")
}

fn explicit_forbidden_token(args: &TargetArgs, env: &dyn Fn(&str) -> bool) -> bool {
    args.forbidden_token_file.is_some() || env("SMS_FORBIDDEN_TOKEN")
}

/// Each IAM setting, how it is set, and whether it is given.
fn iam_settings<'a>(
    args: &'a TargetArgs,
    env: &'a dyn Fn(&str) -> bool,
) -> impl Iterator<Item = (&'static str, bool)> + 'a {
    [
        ("SMS_IAM_ENDPOINT", args.iam_endpoint.is_some()),
        ("SMS_IAM_USER", args.iam_user.is_some()),
        (
            "SMS_IAM_PASSWORD or --iam-password-file",
            args.iam_password_file.is_some() || env("SMS_IAM_PASSWORD"),
        ),
        ("SMS_IAM_DOMAIN", args.iam_domain.is_some()),
        ("SMS_IAM_PROJECT", args.iam_project.is_some()),
        ("SMS_IAM_FORBIDDEN_USER", args.iam_forbidden_user.is_some()),
        (
            "SMS_IAM_FORBIDDEN_PASSWORD or --iam-forbidden-password-file",
            args.iam_forbidden_password_file.is_some() || env("SMS_IAM_FORBIDDEN_PASSWORD"),
        ),
    ]
    .into_iter()
}

/// What IAM still needs to issue the tokens the run will ask it for: each user asked for
/// (its token not given explicitly) needs its password, the endpoint and the account; a
/// password needs its user.
fn iam_missing(args: &TargetArgs, env: &dyn Fn(&str) -> bool) -> Vec<&'static str> {
    let given: Vec<(&str, bool)> = iam_settings(args, env).collect();
    let has = |name: &str| given.iter().any(|(n, g)| *n == name && *g);
    let permitted = !explicit_token(args, env);
    let forbidden = !explicit_forbidden_token(args, env);
    let mut missing = Vec::new();
    let pairs = [
        (
            permitted,
            "SMS_IAM_USER",
            "SMS_IAM_PASSWORD or --iam-password-file",
        ),
        (
            forbidden,
            "SMS_IAM_FORBIDDEN_USER",
            "SMS_IAM_FORBIDDEN_PASSWORD or --iam-forbidden-password-file",
        ),
    ];
    let mut asked = false;
    for (wanted, user, password) in pairs {
        if !wanted {
            continue;
        }
        match (has(user), has(password)) {
            (true, false) => missing.push(password),
            (false, true) => missing.push(user),
            _ => {}
        }
        asked |= has(user);
    }
    if asked {
        missing.extend(
            ["SMS_IAM_ENDPOINT", "SMS_IAM_DOMAIN"]
                .into_iter()
                .filter(|name| !has(name)),
        );
    }
    missing
}

/// Checks that the settings of `args` name one target fully: `source` tells where the
/// endpoint came from (none for the embedded mock); `env` whether a variable is set and not
/// empty.
pub fn check(
    args: &TargetArgs,
    source: Option<Source>,
    env: &dyn Fn(&str) -> bool,
) -> Result<(), Error> {
    let settings = live_settings(args, env);
    let Some(source) = source else {
        let given: Vec<&str> = settings
            .iter()
            .filter(|(_, _, given)| *given)
            .map(|(_, how, _)| *how)
            .collect();
        if given.is_empty() {
            return Ok(());
        }
        return Err(Error::Usage(format!(
            "live settings are given ({}) but no endpoint: set SMS_ENDPOINT (or --base-url) to test a live endpoint, or unset them to test the embedded mock",
            given.join("; ")
        )));
    };
    if let Some(url) = &args.base_url {
        check_url(url, source.name())?;
    }
    let (task, token) = (&settings[0], &settings[1]);
    let mut missing = Vec::new();
    if !task.2 {
        missing.push(format!("{} ({})", task.0, task.1));
    }
    if !token.2 && args.iam_user.is_none() {
        missing.push(format!(
            "{} ({}, or SMS_IAM_USER to ask IAM for it)",
            token.0, token.1
        ));
    }
    if !missing.is_empty() {
        return Err(Error::Usage(format!(
            "a live endpoint needs {}; nothing was sent",
            missing.join(" and ")
        )));
    }
    let iam = iam_missing(args, env);
    if iam.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "asking IAM for a token needs {}; nothing was sent",
            iam.join(", ")
        )))
    }
}

/// Refuses an endpoint that is not an http(s) URL, naming where it was set (`name`: the flag
/// or the variable). The value is never echoed whole: it may hold a password.
pub fn check_url(url: &str, name: &str) -> Result<(), Error> {
    if url.trim().is_empty() {
        let or = if name.starts_with("--") {
            "leave the flag out"
        } else {
            "unset it"
        };
        return Err(Error::Usage(format!(
            "{name} is empty: give the endpoint's URL (https://...), or {or}"
        )));
    }
    let scheme = url.split_once("://");
    match scheme.map(|(scheme, _)| scheme) {
        // The run appends the API's path: after a `?` or a `#` it would never reach the server.
        Some("http" | "https") if scheme.is_some_and(|(_, rest)| rest.contains(['?', '#'])) => {
            Err(Error::Usage(format!(
                "{name} has a query or a fragment (?... or #...): the API's path is appended to it, so give the endpoint alone (https://host[:port][/prefix]; a ? or # in a user name or password is written %3F or %23)"
            )))
        }
        Some("http" | "https") => Ok(()),
        Some(other) => Err(Error::Usage(format!(
            "{name} must be an http:// or https:// URL, not {other}://"
        ))),
        None => {
            let host = url.rsplit('@').next().unwrap_or(url);
            Err(Error::Usage(format!(
                "{name} has no scheme; did you mean {name}=https://{host}?"
            )))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_alikes_are_named_with_the_variable_meant() {
        assert_eq!(meant("SMS_BASE_URL"), Some("SMS_ENDPOINT"));
        assert_eq!(meant("SMS_URL"), Some("SMS_ENDPOINT"));
        assert_eq!(meant("SMS_TOKENS"), Some("SMS_TOKEN"));
        assert_eq!(meant("SMS_DENIED_TOKEN"), Some("SMS_FORBIDDEN_TOKEN"));
        assert_eq!(meant("SMS_TASKID"), Some("SMS_TASK_ID"));
        assert_eq!(meant("SMS_ENDPOINT"), None);
        assert_eq!(meant("PATH"), None);
        assert_eq!(look_alikes(["SMS_TOKEN", "HOME"]), Vec::<String>::new());
        assert_eq!(meant("SMS_IAM_PASS"), Some("SMS_IAM_PASSWORD"));
        assert_eq!(meant("SMS_PASSWORD"), Some("SMS_IAM_PASSWORD"));
        assert_eq!(meant("SMS_IAM_USERNAME"), Some("SMS_IAM_USER"));
        assert_eq!(
            meant("SMS_IAM_DENIED_PASSWORD"),
            Some("SMS_IAM_FORBIDDEN_PASSWORD")
        );
        assert_eq!(meant("SMS_IAM_URL"), Some("SMS_IAM_ENDPOINT"));
        assert_eq!(meant("SMS_IAM_ACCOUNT"), Some("SMS_IAM_DOMAIN"));
        assert_eq!(meant("SMS_REGION"), Some("SMS_IAM_PROJECT"));
        assert_eq!(meant("SMS_IAM_PROJECT"), None);
    }

    #[test]
    fn an_endpoint_without_a_scheme_names_its_source_and_never_a_password() {
        let error = check_url("user:pw@sms.example:8443", Source::Environment.name()).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("SMS_ENDPOINT=https://sms.example:8443"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
        let error = check_url("ftp://x", Source::Flag.name())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--base-url must be an http:// or https:// URL"),
            "{error}"
        );
        let error = check_url("", Source::Environment.name())
            .unwrap_err()
            .to_string();
        assert!(error.contains("SMS_ENDPOINT is empty"), "{error}");
        assert!(error.ends_with("or unset it"), "{error}");
        let error = check_url("", Source::Flag.name()).unwrap_err().to_string();
        assert!(
            error.ends_with(
                "--base-url is empty: give the endpoint's URL (https://...), or leave the flag out"
            ),
            "{error}"
        );
    }
}

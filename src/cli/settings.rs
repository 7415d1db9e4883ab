//! The settings a run reads from its environment and flags, checked before anything is
//! sent: a variable that looks like a misspelling of one the tool reads is named, live
//! settings without an endpoint are refused, and a live endpoint without its token or task id
//! is refused naming each missing setting. A run never quietly tests something else than what
//! the user meant.

use super::args::TargetArgs;
use super::error::Error;

/// Every environment variable the tool reads.
pub const KNOWN: [&str; 6] = [
    "SMS_ENDPOINT",
    "SMS_TASK_ID",
    "SMS_TOKEN",
    "SMS_FORBIDDEN_TOKEN",
    "SMS_CASES",
    "SMS_SCHEMAS",
];

/// The variable an unknown `SMS_*` name most likely meant: by the word it holds, or else by
/// spelling.
pub fn meant(name: &str) -> Option<&'static str> {
    let upper = name.to_ascii_uppercase();
    if KNOWN.contains(&upper.as_str()) {
        return None;
    }
    let rest = upper.strip_prefix("SMS")?.trim_start_matches(['_', '-']);
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
) -> [(&'static str, &'static str, bool); 3] {
    [
        (
            "the task id",
            "SMS_TASK_ID or --task-id",
            args.task_id.is_some(),
        ),
        (
            "the token",
            "SMS_TOKEN or --token-file",
            args.token_file.is_some() || env("SMS_TOKEN"),
        ),
        (
            "the forbidden token",
            "SMS_FORBIDDEN_TOKEN or --forbidden-token-file",
            args.forbidden_token_file.is_some() || env("SMS_FORBIDDEN_TOKEN"),
        ),
    ]
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
        check_url(url, source)?;
    }
    let missing: Vec<String> = settings[..2]
        .iter()
        .filter(|(_, _, given)| !*given)
        .map(|(what, how, _)| format!("{what} ({how})"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Usage(format!(
            "a live endpoint needs {}; nothing was sent",
            missing.join(" and ")
        )))
    }
}

/// Refuses an endpoint that is not an http(s) URL, naming where it was set. The value is
/// never echoed whole: it may hold a password.
fn check_url(url: &str, source: Source) -> Result<(), Error> {
    let name = source.name();
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
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
    }

    #[test]
    fn an_endpoint_without_a_scheme_names_its_source_and_never_a_password() {
        let error = check_url("user:pw@sms.example:8443", Source::Environment).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("SMS_ENDPOINT=https://sms.example:8443"),
            "{text}"
        );
        assert!(!text.contains("pw"), "{text}");
        let error = check_url("ftp://x", Source::Flag).unwrap_err().to_string();
        assert!(
            error.contains("--base-url must be an http:// or https:// URL"),
            "{error}"
        );
    }
}

//! The one place secrets are masked. Every output (the terminal, failure messages, JUnit and
//! JSON reports, `--verbose` and `--dry-run` dumps, panics) is built from text that passes
//! through a [`Redactor`], which masks
//!
//! - by name: the values of credential headers ([`SECRET_HEADERS`]) and of `passphrase` keys
//!   in JSON, whatever they are;
//! - by value: the tokens it was given and every passphrase seen in an answer (also in a
//!   body that is not JSON: a `"passphrase"` key in broken JSON, `passphrase=` in a form),
//!   in the forms common encoders give them ([`derived_forms`]).
//!
//! A form of [`MIN_ANYWHERE`] characters or more is masked wherever it appears. A shorter
//! one (a passphrase `e`, a token of a space) would turn every `e` or space of every message
//! into a mask, so it is masked only where it stands as a whole value: a header value, a
//! segment, user, password, query key or query value of a URL ([`Redactor::redact_value`],
//! [`Redactor::redact_url`]), and in free text a whole JSON string (`"e"`) or a whole form
//! value (`=e` up to `&`, `;`, a quote, white space or the end).
//!
//! A run masks its output only after every case has run, so a passphrase learned from one
//! answer is masked in the output of every case, whatever the order they ran in.

use std::collections::HashSet;
use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use serde_json::Value as Json;

use crate::vocab::PATH_SEGMENT;

/// What a secret is replaced by.
pub const MASK: &str = "********";

/// Headers whose values are credentials, masked by name (lower case).
pub const SECRET_HEADERS: [&str; 6] = [
    "x-auth-token",
    "x-subject-token",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// The key whose values are masked by name in any JSON.
pub const SECRET_KEY: &str = "passphrase";

/// A form of a secret this long or longer is masked wherever it appears; a shorter one only
/// where it stands as a whole value.
pub const MIN_ANYWHERE: usize = 8;

/// A base64 run shorter than this is not masked: it could match innocent text.
const MIN_BASE64_CORE: usize = MIN_ANYWHERE;

/// What encodeURIComponent leaves alone: the unreserved characters and `!*'()`.
const URI_COMPONENT: &AsciiSet = &PATH_SEGMENT
    .remove(b'!')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// What an HTML form (application/x-www-form-urlencoded) leaves alone; it writes a space as
/// `+`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// The percent-encodings a secret is looked for in: every non-alphanumeric byte escaped;
/// RFC 3986's unreserved characters kept (the runner's own path encoding, and the official
/// SDK's); as encodeURIComponent; as an HTML form. Each in upper- and lower-case hex.
const PERCENT_ENCODINGS: [&AsciiSet; 4] = [NON_ALPHANUMERIC, PATH_SEGMENT, URI_COMPONENT, FORM];

/// Characters that end a form value in free text.
const FORM_VALUE_END: &[char] = &['&', ';', '#', '"', '\'', ',', ' ', '\t', '\r', '\n'];

/// Every form of every known secret.
#[derive(Debug, Default)]
struct Forms {
    /// The secrets learned, as given: the proxy learns the same token on every request.
    learned: HashSet<String>,
    /// Every form in the two lists: a look-up, where a list's would cost its length.
    listed: HashSet<String>,
    /// Forms of [`MIN_ANYWHERE`] characters or more, longest first: masked anywhere.
    anywhere: Vec<String>,
    /// Shorter forms: masked only as whole values.
    whole: Vec<String>,
}

/// Masks known secrets in text. Shared by every case of a run; learns passphrases as
/// answers arrive.
#[derive(Debug, Default)]
pub struct Redactor {
    forms: RwLock<Forms>,
}

impl Redactor {
    /// A redactor that knows `secrets` from the start.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let redactor = Redactor::default();
        redactor.learn_all(secrets);
        redactor
    }

    /// Adds a secret and its derived forms.
    pub fn learn(&self, secret: &str) {
        // A known secret costs a read lock, not the write lock every redaction waits on.
        let known = self
            .forms
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .learned
            .contains(secret);
        if !secret.is_empty() && !known {
            self.learn_all([secret]);
        }
    }

    /// Adds secrets and their derived forms, ordering the forms once for all of them: a
    /// fixture of 22,000 tasks, ordered after each, took 8 s to start.
    pub fn learn_all<'a>(&self, secrets: impl IntoIterator<Item = &'a str>) {
        let mut forms = self
            .forms
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut added = false;
        for secret in secrets {
            if secret.is_empty() || !forms.learned.insert(secret.to_owned()) {
                continue;
            }
            for form in derived_forms(secret) {
                if forms.listed.contains(&form) {
                    continue;
                }
                forms.listed.insert(form.clone());
                if form.chars().count() >= MIN_ANYWHERE {
                    forms.anywhere.push(form);
                } else {
                    forms.whole.push(form);
                }
                added = true;
            }
        }
        if added {
            // Longest first, so that a form containing another is masked whole.
            forms
                .anywhere
                .sort_by_key(|form| std::cmp::Reverse(form.len()));
        }
    }

    /// Learns every string value of a `passphrase` key anywhere in `body`.
    pub fn learn_passphrases(&self, body: &Json) {
        match body {
            Json::Object(map) => {
                for (key, value) in map {
                    match value {
                        Json::String(text) if key == SECRET_KEY => self.learn(text),
                        other => self.learn_passphrases(other),
                    }
                }
            }
            Json::Array(items) => items.iter().for_each(|item| self.learn_passphrases(item)),
            _ => {}
        }
    }

    /// Learns what a body that is not JSON says a passphrase is: the value after a
    /// `passphrase` key followed by `:` or `=` (a `"passphrase"` key in broken JSON,
    /// `passphrase=` in a form or a query, `passphrase: ` in text), as written and decoded.
    pub fn learn_passphrases_in_text(&self, text: &str) {
        for value in passphrases_in_text(text) {
            self.learn(&value);
        }
    }

    /// Learns the passphrases of an answer's body: from `json`, its parse, or when it is not
    /// JSON from the text of `body`.
    pub fn learn_answer(&self, json: Result<&Json, &String>, body: &[u8]) {
        match json {
            Ok(json) => self.learn_passphrases(json),
            Err(_) => self.learn_passphrases_in_text(&String::from_utf8_lossy(body)),
        }
    }

    /// `text` with every known form of every known secret replaced by [`MASK`]: long forms
    /// wherever they are, short ones where they are a whole JSON string or form value.
    pub fn redact(&self, text: &str) -> String {
        let forms = self
            .forms
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = text.to_owned();
        for form in &forms.anywhere {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), MASK);
            }
        }
        for form in &forms.whole {
            out = mask_delimited(&out, '"', form, |next| next == Some('"'));
            out = mask_delimited(&out, '=', form, |next| {
                next.is_none_or(|c| FORM_VALUE_END.contains(&c))
            });
        }
        out
    }

    /// A whole value (a header value, a part of a URL): [`MASK`] if it is a form of a
    /// secret, else as [`Redactor::redact`] masks text.
    pub fn redact_value(&self, value: &str) -> String {
        let whole = {
            let forms = self
                .forms
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            forms
                .whole
                .iter()
                .chain(&forms.anywhere)
                .any(|f| f == value)
        };
        if whole {
            MASK.to_owned()
        } else {
            self.redact(value)
        }
    }

    /// A URL with its user, password, each path segment, each query key and value and its
    /// fragment masked as whole values, then the whole masked as text.
    pub fn redact_url(&self, url: &str) -> String {
        let (rest, fragment) = split(url, '#');
        let (rest, query) = split(rest, '?');
        let (scheme, rest) = match rest.split_once("://") {
            Some((scheme, rest)) => (Some(scheme), rest),
            None => (None, rest),
        };
        let mut out = String::new();
        let path = match scheme {
            Some(scheme) => {
                let (authority, path) = rest.find('/').map_or((rest, ""), |at| rest.split_at(at));
                out.push_str(scheme);
                out.push_str("://");
                if let Some((user_info, host)) = authority.rsplit_once('@') {
                    out.push_str(&self.joined(user_info, ':'));
                    out.push('@');
                    out.push_str(host);
                } else {
                    out.push_str(authority);
                }
                path
            }
            None => rest,
        };
        out.push_str(&self.joined(path, '/'));
        if let Some(query) = query {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| self.joined(pair, '='))
                .collect();
            out.push('?');
            out.push_str(&pairs.join("&"));
        }
        if let Some(fragment) = fragment {
            out.push('#');
            out.push_str(&self.redact_value(fragment));
        }
        self.redact(&out)
    }

    /// `text`'s parts between `separator`s, each masked as a whole value, joined again.
    fn joined(&self, text: &str, separator: char) -> String {
        let parts: Vec<String> = text
            .split(separator)
            .map(|part| self.redact_value(part))
            .collect();
        parts.join(&separator.to_string())
    }
}

/// `text` before and after the first `separator`, if there is one.
fn split(text: &str, separator: char) -> (&str, Option<&str>) {
    match text.split_once(separator) {
        Some((before, after)) => (before, Some(after)),
        None => (text, None),
    }
}

/// `text` with every `form` that follows `open` and is followed by a character `ends`
/// accepts (`None` at the end of the text) replaced by [`MASK`].
fn mask_delimited(
    text: &str,
    open: char,
    form: &str,
    ends: impl Fn(Option<char>) -> bool,
) -> String {
    let needle = format!("{open}{form}");
    if !text.contains(&needle) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(&needle) {
        let after = &rest[at + needle.len()..];
        out.push_str(&rest[..at]);
        out.push(open);
        out.push_str(if ends(after.chars().next()) {
            MASK
        } else {
            form
        });
        rest = after;
    }
    out.push_str(rest);
    out
}

/// A header's value as it may be shown: a credential header's value masked (with its
/// length, which helps debugging and tells little), others as they are.
pub fn header_value(name: &str, value: &str) -> String {
    if is_secret_header(name) && !value.is_empty() {
        format!("{MASK} ({} chars)", value.chars().count())
    } else {
        value.to_owned()
    }
}

/// Whether a header carries a credential.
pub fn is_secret_header(name: &str) -> bool {
    SECRET_HEADERS
        .iter()
        .any(|secret| name.eq_ignore_ascii_case(secret))
}

/// `json` with the value of every `passphrase` key replaced by [`MASK`].
pub fn mask_json(json: &mut Json) {
    match json {
        Json::Object(map) => {
            for (key, value) in map.iter_mut() {
                if key == SECRET_KEY {
                    *value = Json::String(MASK.to_owned());
                } else {
                    mask_json(value);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// The forms a secret takes in output: itself; JSON-escaped, once or twice; percent-encoded in each of
/// [`PERCENT_ENCODINGS`], in upper- and lower-case hex, and as a form (`+` for a space);
/// and the parts of its base64 and base64url encodings that do not depend on the bytes
/// around it.
fn derived_forms(secret: &str) -> Vec<String> {
    let json_escaped = |text: &str| {
        let quoted = Json::String(text.to_owned()).to_string();
        quoted[1..quoted.len() - 1].to_owned()
    };
    let escaped = json_escaped(secret);
    let mut forms = vec![
        secret.to_owned(),
        // JSON in a JSON string (an upstream's error quoted whole) escapes it twice.
        json_escaped(&escaped),
        escaped,
    ];
    for set in PERCENT_ENCODINGS {
        let upper = utf8_percent_encode(secret, set).to_string();
        let plus = upper.replace("%20", "+");
        for encoded in [upper, plus] {
            forms.push(lower_case_hex(&encoded));
            forms.push(encoded);
        }
    }
    for shift in 0..3 {
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            if let Some(core) = base64_core(engine, secret.as_bytes(), shift) {
                forms.push(core);
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// `encoded` with the two hex digits after each `%` in lower case.
fn lower_case_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut digits_left = 0;
    for c in encoded.chars() {
        if digits_left > 0 {
            out.push(c.to_ascii_lowercase());
            digits_left -= 1;
        } else {
            out.push(c);
            if c == '%' {
                digits_left = 2;
            }
        }
    }
    out
}

/// The base64 characters fully determined by `secret` when it starts `shift` bytes into the
/// encoded data: they appear in any encoding of any data holding the secret at that
/// alignment.
fn base64_core(engine: &impl Engine, secret: &[u8], shift: usize) -> Option<String> {
    let mut data = vec![0u8; shift];
    data.extend_from_slice(secret);
    let encoded = engine.encode(&data);
    let first = (8 * shift).div_ceil(6);
    let end = (8 * (shift + secret.len())) / 6;
    let core = encoded.get(first..end)?;
    (core.len() >= MIN_BASE64_CORE).then(|| core.to_owned())
}

/// The values `text` gives a `passphrase` key (any case) followed by `:` or `=`: a quoted
/// JSON string decoded (or as written, if it does not decode), or the run of characters up
/// to a separator, and for `=` also form-decoded.
fn passphrases_in_text(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase();
    let mut values = Vec::new();
    for (at, _) in lower.match_indices(SECRET_KEY) {
        let starts_a_word = text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_');
        if !starts_a_word {
            continue;
        }
        let rest = text[at + SECRET_KEY.len()..].trim_start_matches(['"', '\'']);
        let rest = rest.trim_start();
        let Some(separator) = rest.chars().next().filter(|c| matches!(c, ':' | '=')) else {
            continue;
        };
        let rest = rest[1..].trim_start();
        if let Some(quoted) = rest.strip_prefix('"') {
            let end = closing_quote(quoted).unwrap_or(quoted.len());
            let literal = &quoted[..end];
            let decoded = serde_json::from_str::<String>(&format!("\"{literal}\""));
            values.push(decoded.unwrap_or_else(|_| literal.to_owned()));
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || "&,;}]\"'".contains(c))
                .unwrap_or(rest.len());
            let value = &rest[..end];
            if separator == '=' {
                let spaced = value.replace('+', " ");
                values.push(percent_decode_str(&spaced).decode_utf8_lossy().into_owned());
            }
            values.push(value.to_owned());
        }
    }
    values.retain(|value| !value.is_empty());
    values
}

/// Where the JSON string that `text` continues ends: its first quote not escaped.
fn closing_quote(text: &str) -> Option<usize> {
    let mut escaped = false;
    for (at, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(at),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets_and_their_encoded_forms() {
        let redactor = Redactor::new(["tok/en\"1 x+y~z"]);
        redactor.learn_passphrases(&serde_json::json!({"x": [{"passphrase": "pass phrase"}]}));
        let text = "a tok/en\"1 x+y~z b tok%2Fen%221%20x%2By~z c tok/en\\\"1 x+y~z \
                    d tok%2fen%221+x%2by%7ez e pass phrase f pass%20phrase g pass+phrase";
        assert_eq!(
            redactor.redact(text),
            "a ******** b ******** c ******** d ******** e ******** f ******** g ********"
        );
    }

    #[test]
    fn masks_a_secret_escaped_for_json_quoted_in_json() {
        let redactor = Redactor::new([r#"quote"and\back"#]);
        let upstream = serde_json::json!({"token": r#"quote"and\back"#}).to_string();
        let nested = serde_json::json!({ "upstream": upstream });
        assert_eq!(
            redactor.redact(&nested.to_string()),
            r#"{"upstream":"{\"token\":\"********\"}"}"#
        );
    }

    #[test]
    fn masks_base64_at_every_alignment() {
        let secret = "a-secret-token-value";
        let redactor = Redactor::new([secret]);
        for prefix in ["", "x", "xy", "xyz"] {
            for engine in [
                &base64::engine::general_purpose::STANDARD,
                &base64::engine::general_purpose::URL_SAFE,
            ] {
                let encoded = engine.encode(format!("{prefix}{secret}!"));
                let redacted = redactor.redact(&encoded);
                assert!(
                    redacted.contains(MASK),
                    "{prefix:?}: {encoded} → {redacted}"
                );
                let remaining: String = redacted.replace(MASK, "");
                assert!(
                    remaining.len() <= 8,
                    "too much left of {encoded}: {redacted}"
                );
            }
        }
    }

    #[test]
    fn masks_credential_headers_and_passphrase_keys_by_name() {
        assert_eq!(
            header_value("Authorization", "Bearer x"),
            "******** (8 chars)"
        );
        assert_eq!(header_value("X-Request-Id", "abc"), "abc");
        let mut json = serde_json::json!({"a": {"passphrase": "p"}, "passphrase": 1});
        mask_json(&mut json);
        assert_eq!(
            json,
            serde_json::json!({"a": {"passphrase": MASK}, "passphrase": MASK})
        );
    }

    #[test]
    fn a_short_secret_is_masked_only_as_a_whole_value() {
        let redactor = Redactor::new(["e", " "]);
        let text = r#"the message "e" has e=e&f=e; and "e-mail" and " " and e"#;
        assert_eq!(
            redactor.redact(text),
            r#"the message "********" has e=********&f=********; and "e-mail" and "********" and e"#
        );
        assert_eq!(redactor.redact_value("e"), MASK);
        assert_eq!(redactor.redact_value("see"), "see");
        assert_eq!(
            redactor.redact_url("http://u:e@h.example/v3/tasks/e/x?e=%20&k=see#e"),
            "http://u:********@h.example/v3/tasks/********/x?********=********&k=see#********"
        );
    }

    #[test]
    fn learns_passphrases_from_bodies_that_are_not_json() {
        let found = |text: &str| passphrases_in_text(text);
        assert_eq!(
            found(r#"{"task_id":"t","passphrase":"a \"b\"/c",}"#),
            ["a \"b\"/c"]
        );
        assert_eq!(
            found("task_id=t&passphrase=a%2Fb+c&x=1"),
            ["a/b c", "a%2Fb+c"]
        );
        assert_eq!(found("Passphrase: hunter2 and more"), ["hunter2"]);
        assert!(found("no_passphrase=x mypassphrase: y passphrases").is_empty());
    }
}

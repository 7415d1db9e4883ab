//! The one place secrets are masked. Every output (the terminal, failure messages, JUnit and
//! JSON reports, `--verbose` and `--dry-run` dumps, panics) is built from text that passes
//! through a [`Redactor`], which masks
//!
//! - by name: the values of credential headers ([`SECRET_HEADERS`]) and of `passphrase` keys
//!   in JSON, whatever they are;
//! - by value: the tokens it was given and every passphrase seen in an answer, and their
//!   common derived forms (percent-encoded, JSON-escaped, base64 and base64url at any
//!   alignment).
//!
//! A run masks its output only after every case has run, so a passphrase learned from one
//! answer is masked in the output of every case, whatever the order they ran in.

use std::sync::RwLock;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use serde_json::Value as Json;

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

/// A base64 run shorter than this is not masked: it could match innocent text.
const MIN_BASE64_CORE: usize = 8;

/// Masks known secrets in text. Shared by every case of a run; learns passphrases as
/// answers arrive.
#[derive(Debug, Default)]
pub struct Redactor {
    /// Every form of every secret, longest first.
    forms: RwLock<Vec<String>>,
}

impl Redactor {
    /// A redactor that knows `secrets` from the start.
    pub fn new<'a>(secrets: impl IntoIterator<Item = &'a str>) -> Redactor {
        let redactor = Redactor::default();
        for secret in secrets {
            redactor.learn(secret);
        }
        redactor
    }

    /// Adds a secret and its derived forms.
    pub fn learn(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let mut forms = self
            .forms
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for form in derived_forms(secret) {
            if !form.is_empty() && !forms.contains(&form) {
                forms.push(form);
            }
        }
        // Longest first, so that a form containing another is masked whole.
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
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

    /// `text` with every known form of every known secret replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let forms = self
            .forms
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = text.to_owned();
        for form in forms.iter() {
            if out.contains(form.as_str()) {
                out = out.replace(form.as_str(), MASK);
            }
        }
        out
    }
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

/// The forms a secret takes in output: itself, percent-encoded, JSON-escaped, and the parts
/// of its base64 and base64url encodings that do not depend on the bytes around it.
fn derived_forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        Json::String(secret.to_owned())
            .to_string()
            .trim_matches('"')
            .to_owned(),
    ];
    for shift in 0..3 {
        for engine in [&STANDARD_NO_PAD, &URL_SAFE_NO_PAD] {
            if let Some(core) = base64_core(engine, secret.as_bytes(), shift) {
                forms.push(core);
            }
        }
    }
    forms
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets_and_their_encoded_forms() {
        let redactor = Redactor::new(["tok/en\"1"]);
        redactor.learn_passphrases(&serde_json::json!({"x": [{"passphrase": "pass phrase"}]}));
        let text = "a tok/en\"1 b tok%2Fen%221 c tok/en\\\"1 d pass phrase e pass%20phrase";
        assert_eq!(
            redactor.redact(text),
            "a ******** b ******** c ******** d ******** e ********"
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
}

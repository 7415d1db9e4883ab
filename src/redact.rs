//! The one place secrets are masked: every message the runner prints passes through a
//! [`Redactor`] that knows the tokens and every passphrase seen so far.

use std::sync::RwLock;

/// What a secret is replaced by.
pub const MASK: &str = "********";

/// Masks known secrets in text. Shared by every case of a run; learns passphrases as
/// answers arrive.
#[derive(Debug, Default)]
pub struct Redactor {
    secrets: RwLock<Vec<String>>,
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

    /// Adds a secret, and the forms it takes once percent-encoded or JSON-escaped.
    pub fn learn(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        let forms = [
            secret.to_owned(),
            percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
            serde_json::to_string(secret)
                .map(|quoted| quoted[1..quoted.len() - 1].to_owned())
                .unwrap_or_default(),
        ];
        let mut secrets = self
            .secrets
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for form in forms {
            if !form.is_empty() && !secrets.contains(&form) {
                secrets.push(form);
            }
        }
        // Longest first, so that a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }

    /// Learns every string value of a `passphrase` key anywhere in `body`.
    pub fn learn_passphrases(&self, body: &serde_json::Value) {
        match body {
            serde_json::Value::Object(map) => {
                for (key, value) in map {
                    match value {
                        serde_json::Value::String(text) if key == "passphrase" => self.learn(text),
                        other => self.learn_passphrases(other),
                    }
                }
            }
            serde_json::Value::Array(items) => {
                items.iter().for_each(|item| self.learn_passphrases(item))
            }
            _ => {}
        }
    }

    /// `text` with every known secret replaced by [`MASK`].
    pub fn redact(&self, text: &str) -> String {
        let secrets = self
            .secrets
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut out = text.to_owned();
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
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
}

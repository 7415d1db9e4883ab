//! Document cases: a body checked against the contract with an expected verdict. They need
//! no endpoint, so they run in every mode; they are how the contract tests itself.

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde_json::Value as Json;
use serde_saphyr::Spanned;

use super::model::JsonPointer;
use super::value::MAX_GENERATED_LEN;

/// A document case's `document:` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DocumentSpec {
    #[serde(default)]
    pub schema: Option<Spanned<String>>,
    #[serde(default)]
    pub status: Option<Spanned<u16>>,
    pub body: Json,
    #[serde(default)]
    pub set: BTreeMap<JsonPointer, Spanned<Fill>>,
    #[serde(default)]
    pub remove: Vec<JsonPointer>,
}

/// A value put into the body at a pointer.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Fill {
    /// A string of this many `x`.
    #[serde(default)]
    text: Option<usize>,
    /// An array of this many copies of `of` (default `"x"`).
    #[serde(default)]
    items: Option<usize>,
    #[serde(default)]
    of: Option<Json>,
    /// This JSON value.
    #[serde(default)]
    json: Option<Json>,
}

impl Fill {
    /// The value, or why the fill is malformed.
    pub fn value(&self) -> Result<Json, String> {
        match (self.text, self.items, &self.json, &self.of) {
            (Some(len), None, None, None) if len <= MAX_GENERATED_LEN => {
                Ok(Json::String("x".repeat(len)))
            }
            (None, Some(count), None, of) if count <= MAX_GENERATED_LEN => Ok(Json::Array(vec![
                    of.clone().unwrap_or_else(|| Json::String(
                        "x".into()
                    ));
                    count
                ])),
            (None, None, Some(json), None) => Ok(json.clone()),
            (Some(_), None, None, None) | (None, Some(_), None, _) => {
                Err(format!("a size over the cap of {MAX_GENERATED_LEN}"))
            }
            _ => Err(
                "give exactly one of `text: N`, `items: N` (with optional `of`), `json: VALUE`"
                    .to_owned(),
            ),
        }
    }
}

/// Which part of the contract judges the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judge {
    /// The schema of this name.
    Schema(String),
    /// The schemas the manifest lists for this status.
    Status(u16),
}

impl fmt::Display for Judge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Judge::Schema(name) => write!(f, "schema {name}"),
            Judge::Status(status) => write!(f, "the schemas for status {status}"),
        }
    }
}

/// Why a body must be invalid: a keyword at a JSON pointer into the body.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    /// The JSON Schema keyword (`maxItems`).
    pub keyword: String,
    /// Where in the body (`/error_param`).
    pub pointer: JsonPointer,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at `{}`", self.keyword, self.pointer.as_str())
    }
}

/// A document case, ready to judge.
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// What judges it.
    pub judge: Judge,
    /// The body, built.
    pub body: Json,
    /// The expected verdict: `None` valid, `Some(reason)` invalid for that reason only.
    pub invalid_because: Option<Reason>,
}

/// Puts `value` at `pointer` in `body`; the parent must exist.
pub(super) fn set_at(body: &mut Json, pointer: &str, value: Json) -> Result<(), String> {
    if pointer.is_empty() {
        *body = value;
        return Ok(());
    }
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("`{pointer}` is not a JSON pointer"))?;
    let key = last.replace("~1", "/").replace("~0", "~");
    match body.pointer_mut(parent) {
        Some(Json::Object(map)) => {
            map.insert(key, value);
            Ok(())
        }
        Some(Json::Array(items)) => match key.parse::<usize>() {
            Ok(index) if index < items.len() => {
                items[index] = value;
                Ok(())
            }
            Ok(index) if index == items.len() => {
                items.push(value);
                Ok(())
            }
            _ => Err(format!(
                "`{pointer}`: no item `{key}` in an array of {}",
                items.len()
            )),
        },
        Some(_) => Err(format!(
            "`{pointer}`: `{parent}` is neither an object nor an array"
        )),
        None => Err(format!("`{pointer}`: `{parent}` is not in the body")),
    }
}

/// Removes the value at `pointer` from `body`.
pub(super) fn remove_at(body: &mut Json, pointer: &str) -> Result<(), String> {
    let (parent, last) = pointer
        .rsplit_once('/')
        .ok_or_else(|| format!("`{pointer}`: cannot remove the whole body"))?;
    let key = last.replace("~1", "/").replace("~0", "~");
    let removed = match body.pointer_mut(parent) {
        Some(Json::Object(map)) => map.remove(&key).is_some(),
        Some(Json::Array(items)) => match key.parse::<usize>() {
            Ok(index) if index < items.len() => {
                items.remove(index);
                true
            }
            _ => false,
        },
        _ => false,
    };
    if removed {
        Ok(())
    } else {
        Err(format!("`{pointer}` is not in the body"))
    }
}

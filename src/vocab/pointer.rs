//! JSON pointers (RFC 6901): the one type that owns their escaping, shared by case files,
//! schema violations, constraints and coverage.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};
use serde_json::Value as Json;

/// A JSON pointer into a body or a schema: empty (the whole document), or `/`-separated
/// segments with `~` written `~0` and `/` written `~1`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JsonPointer(String);

/// The segment of a pointer pattern that stands for any array index.
pub const ANY_INDEX: &str = "*";

impl JsonPointer {
    /// The pointer to the whole document.
    pub fn root() -> JsonPointer {
        JsonPointer::default()
    }

    /// A pointer from its escaped text: empty, or starting with `/`.
    pub fn parse(text: impl Into<String>) -> Result<JsonPointer, String> {
        let text = text.into();
        if !text.is_empty() && !text.starts_with('/') {
            return Err(format!(
                "`{text}` is not a JSON pointer: it must be empty or start with `/`"
            ));
        }
        // RFC 6901: `~` begins `~0` or `~1`, nothing else.
        let escapes_well = text
            .split('~')
            .skip(1)
            .all(|after| after.starts_with(['0', '1']));
        if !escapes_well {
            return Err(format!(
                "`{text}` is not a JSON pointer: inside a segment, `~` is written `~0` and `/` `~1`"
            ));
        }
        Ok(JsonPointer(text))
    }

    /// The pointer's escaped text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether it points at the whole document.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// This pointer with one more segment (escaped here).
    pub fn join(&self, segment: &str) -> JsonPointer {
        let mut joined = self.clone();
        joined.push(segment);
        joined
    }

    /// Appends a segment (escaped here).
    pub fn push(&mut self, segment: &str) {
        self.0.push('/');
        self.0.push_str(&escape(segment));
    }

    /// Removes the last segment, if there is one.
    pub fn pop(&mut self) {
        let end = self.0.rfind('/').unwrap_or(0);
        self.0.truncate(end);
    }

    /// The segments, unescaped.
    pub fn segments(&self) -> impl Iterator<Item = Cow<'_, str>> {
        self.0.split('/').skip(1).map(unescape)
    }

    /// The parent pointer and the last segment (unescaped); `None` for the root.
    pub fn split_last(&self) -> Option<(JsonPointer, Cow<'_, str>)> {
        let at = self.0.rfind('/')?;
        Some((
            JsonPointer(self.0[..at].to_owned()),
            unescape(&self.0[at + 1..]),
        ))
    }

    /// The value it points at in `json`.
    pub fn get<'a>(&self, json: &'a Json) -> Option<&'a Json> {
        json.pointer(&self.0)
    }

    /// Puts `value` at this place in `json`: the parent must exist; an array takes an index
    /// up to its length (its length appends).
    pub fn set(&self, json: &mut Json, value: Json) -> Result<(), String> {
        let Some((parent, key)) = self.split_last() else {
            *json = value;
            return Ok(());
        };
        match json.pointer_mut(parent.as_str()) {
            Some(Json::Object(map)) => {
                map.insert(key.into_owned(), value);
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
                    "`{self}`: no item `{key}` in an array of {}",
                    items.len()
                )),
            },
            Some(_) => Err(format!(
                "`{self}`: `{parent}` is neither an object nor an array"
            )),
            None => Err(format!("`{self}`: `{parent}` is not in the body")),
        }
    }

    /// Removes the value at this place from `json`.
    pub fn remove(&self, json: &mut Json) -> Result<Json, String> {
        let (parent, key) = self
            .split_last()
            .ok_or_else(|| format!("`{self}`: cannot remove the whole body"))?;
        let removed = match json.pointer_mut(parent.as_str()) {
            Some(Json::Object(map)) => map.remove(key.as_ref()),
            Some(Json::Array(items)) => match key.parse::<usize>() {
                Ok(index) if index < items.len() => Some(items.remove(index)),
                _ => None,
            },
            _ => None,
        };
        removed.ok_or_else(|| format!("`{self}` is not in the body"))
    }

    /// Whether this pointer matches `pattern`, a pointer where a [`ANY_INDEX`] segment
    /// stands for any array index.
    pub fn matches(&self, pattern: &JsonPointer) -> bool {
        let (mut pattern, mut segments) = (pattern.0.split('/'), self.0.split('/'));
        loop {
            match (pattern.next(), segments.next()) {
                (None, None) => return true,
                (Some(ANY_INDEX), Some(segment)) if segment.parse::<usize>().is_ok() => {}
                (Some(a), Some(b)) if a == b => {}
                _ => return false,
            }
        }
    }
}

/// A segment as written in a pointer: `~` → `~0`, `/` → `~1`.
fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

/// A segment as meant: `~1` → `/`, `~0` → `~` (in that order, as RFC 6901 says).
fn unescape(segment: &str) -> Cow<'_, str> {
    if segment.contains('~') {
        Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(segment)
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for JsonPointer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        JsonPointer::parse(String::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

impl Serialize for JsonPointer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pointer(text: &str) -> JsonPointer {
        JsonPointer::parse(text).unwrap()
    }

    #[test]
    fn escaping_round_trips_through_segments() {
        let built = JsonPointer::root().join("a/b").join("c~d").join("0");
        assert_eq!(built.as_str(), "/a~1b/c~0d/0");
        assert_eq!(built.segments().collect::<Vec<_>>(), ["a/b", "c~d", "0"]);
        // `~01` is `~1` unescaped, never `/`.
        assert_eq!(pointer("/~01").segments().next().unwrap(), "~1");
        assert!(JsonPointer::parse("no-slash").is_err());
    }

    #[test]
    fn set_and_remove_follow_the_parent() {
        let mut body = json!({"a": {"x/y": 1}, "list": [1]});
        pointer("/a/x~1y").set(&mut body, json!(2)).unwrap();
        pointer("/list/1").set(&mut body, json!(3)).unwrap();
        assert_eq!(body, json!({"a": {"x/y": 2}, "list": [1, 3]}));
        assert!(pointer("/list/5").set(&mut body, json!(0)).is_err());
        assert!(pointer("/missing/x").set(&mut body, json!(0)).is_err());
        assert_eq!(pointer("/a/x~1y").remove(&mut body).unwrap(), json!(2));
        assert!(pointer("/a/x~1y").remove(&mut body).is_err());
        assert!(JsonPointer::root().remove(&mut body).is_err());
    }

    #[test]
    fn patterns_match_any_index_only_where_they_say() {
        let pattern = pointer("/details/*/error_code");
        assert!(pointer("/details/3/error_code").matches(&pattern));
        assert!(!pointer("/details/x/error_code").matches(&pattern));
        assert!(!pointer("/details/0/error_code").matches(&pointer("/details/*")));
        assert!(JsonPointer::root().matches(&JsonPointer::root()));
    }

    #[test]
    fn pop_undoes_push() {
        let mut at = pointer("/a");
        at.push("b/c");
        at.pop();
        assert_eq!(at, pointer("/a"));
        at.pop();
        assert!(at.is_root());
    }
}

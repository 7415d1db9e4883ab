//! Header names as cases and the manifest write them: checked, compared without case.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};

/// A validated HTTP header name, kept (and ordered) in lower case.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HeaderName(String);

impl HeaderName {
    /// A header name from its text, if HTTP allows it.
    pub fn parse(text: &str) -> Result<HeaderName, String> {
        http::HeaderName::from_bytes(text.as_bytes())
            .map(|name| HeaderName(name.as_str().to_owned()))
            .map_err(|_| format!("`{text}` is not a valid header name"))
    }

    /// The name in lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HeaderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for HeaderName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        HeaderName::parse(&String::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

impl Serialize for HeaderName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

//! Statuses as cases and the manifest name them: `200`, `"4xx"`, or a list of them.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// One accepted status, or a class of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    /// Exactly this code.
    Code(u16),
    /// Any code in `class * 100 ..= class * 100 + 99`, written `4xx`.
    Class(u16),
}

impl StatusPattern {
    /// Parses `404` or `4xx`.
    pub fn parse(text: &str) -> Result<StatusPattern, String> {
        let text = text.trim();
        if let Some(class) = text.strip_suffix("xx").or_else(|| text.strip_suffix("XX")) {
            return match class.parse::<u16>() {
                Ok(class @ 1..=5) => Ok(StatusPattern::Class(class)),
                _ => Err(format!("`{text}` is not a status class (1xx..5xx)")),
            };
        }
        match text.parse::<u64>() {
            Ok(code) => StatusPattern::code(code),
            Err(_) => Err(format!(
                "`{text}` is not a status (a code such as 404, or a class such as 4xx)"
            )),
        }
    }

    /// Exactly `code`, which must be within 100..599.
    pub fn code(code: u64) -> Result<StatusPattern, String> {
        match u16::try_from(code) {
            Ok(code @ 100..=599) => Ok(StatusPattern::Code(code)),
            _ => Err(format!("status {code} is outside 100..599")),
        }
    }

    /// Whether `status` matches.
    pub fn matches(self, status: u16) -> bool {
        match self {
            StatusPattern::Code(code) => code == status,
            StatusPattern::Class(class) => status / 100 == class,
        }
    }
}

impl fmt::Display for StatusPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatusPattern::Code(code) => write!(f, "{code}"),
            StatusPattern::Class(class) => write!(f, "{class}xx"),
        }
    }
}

/// The statuses a case accepts (at least one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(Vec<StatusPattern>);

impl StatusSet {
    /// A set of these patterns; `None` when there are none.
    pub fn new(patterns: Vec<StatusPattern>) -> Option<StatusSet> {
        (!patterns.is_empty()).then_some(StatusSet(patterns))
    }

    /// Whether `status` is accepted.
    pub fn matches(&self, status: u16) -> bool {
        self.0.iter().any(|pattern| pattern.matches(status))
    }

    /// Whether every status this set accepts is one `other` accepts too.
    pub fn is_within(&self, other: &StatusSet) -> bool {
        self.0.iter().all(|pattern| match pattern {
            StatusPattern::Code(code) => other.matches(*code),
            StatusPattern::Class(_) => other.0.contains(pattern),
        })
    }

    /// The patterns, in the order the case gave them.
    pub fn patterns(&self) -> &[StatusPattern] {
        &self.0
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        f.write_str(&texts.join(" or "))
    }
}

impl Serialize for StatusPattern {
    /// A code as a number, a class as text (`"4xx"`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StatusPattern::Code(code) => serializer.serialize_u16(*code),
            StatusPattern::Class(_) => serializer.collect_str(self),
        }
    }
}

impl Serialize for StatusSet {
    /// Always a list (a flow list in YAML: `[200, 404]`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut list = serializer.serialize_seq(Some(self.0.len()))?;
        for pattern in &self.0 {
            list.serialize_element(pattern)?;
        }
        list.end()
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StatusVisitor)
    }
}

struct StatusVisitor;

impl<'de> Visitor<'de> for StatusVisitor {
    type Value = StatusSet;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a status (200), a class (\"4xx\") or a list of them")
    }

    fn visit_u64<E: de::Error>(self, code: u64) -> Result<StatusSet, E> {
        StatusPattern::code(code)
            .map(|p| StatusSet(vec![p]))
            .map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, code: i64) -> Result<StatusSet, E> {
        let code = u64::try_from(code)
            .map_err(|_| E::custom(format!("status {code} is outside 100..599")))?;
        self.visit_u64(code)
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<StatusSet, E> {
        StatusPattern::parse(text)
            .map(|p| StatusSet(vec![p]))
            .map_err(E::custom)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
        let mut patterns = Vec::new();
        while let Some(StatusSet(more)) = seq.next_element::<StatusSet>()? {
            patterns.extend(more);
        }
        if patterns.is_empty() {
            return Err(de::Error::custom(
                "the status list is empty: a case must accept at least one status",
            ));
        }
        Ok(StatusSet(patterns))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_and_codes_match() {
        assert!(StatusPattern::parse("4xx").unwrap().matches(404));
        assert!(!StatusPattern::parse("4xx").unwrap().matches(200));
        assert!(StatusPattern::parse("401").unwrap().matches(401));
        assert!(StatusPattern::parse("600").is_err());
        assert!(StatusPattern::parse("6xx").is_err());
    }

    #[test]
    fn a_set_is_within_another_when_it_accepts_nothing_more() {
        let set = |patterns: &[&str]| {
            StatusSet(
                patterns
                    .iter()
                    .map(|p| StatusPattern::parse(p).unwrap())
                    .collect(),
            )
        };
        assert!(set(&["404"]).is_within(&set(&["200", "404"])));
        assert!(set(&["404"]).is_within(&set(&["4xx"])));
        assert!(!set(&["4xx"]).is_within(&set(&["200", "404"])));
        assert!(set(&["4xx"]).is_within(&set(&["4xx", "200"])));
    }
}

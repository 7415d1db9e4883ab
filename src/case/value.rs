//! Request values in case files: literal text with `${variable}` references, or a string
//! generated to a length.

use std::collections::BTreeSet;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};
use serde_saphyr::FlowMap;

use crate::vocab::{Variable, Variables};

/// The longest string a case may generate: longer ones are typos, not tests.
pub const MAX_GENERATED_LEN: usize = 1 << 20;

/// A piece of text with `${variable}` references; `$$` stands for a literal `$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Variable(Variable),
}

impl Template {
    /// Parses `text`, rejecting unknown variables, unterminated references, and the other
    /// tools' spellings of a known one (`{{token}}`, `$token`), which would be sent as they
    /// stand.
    pub fn parse(text: &str) -> Result<Template, String> {
        if let Some(name) = postman_reference(text) {
            return Err(format!(
                "`{{{{{name}}}}}` is Postman's spelling and would be sent as it stands: write `${{{name}}}`"
            ));
        }
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(at) = rest.find('$') {
            literal.push_str(&rest[..at]);
            rest = &rest[at..];
            if let Some(after) = rest.strip_prefix("$$") {
                literal.push('$');
                rest = after;
            } else if let Some(after) = rest.strip_prefix("${") {
                let end = after
                    .find('}')
                    .ok_or_else(|| format!("unterminated `${{` in `{text}`"))?;
                let name = &after[..end];
                let variable = Variable::from_name(name).ok_or_else(|| {
                    format!(
                        "unknown variable `${{{name}}}` (known: {})",
                        Variable::known_names()
                    )
                })?;
                if !literal.is_empty() {
                    parts.push(Part::Literal(std::mem::take(&mut literal)));
                }
                parts.push(Part::Variable(variable));
                rest = &after[end + 1..];
            } else {
                let name: String = rest[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if let Some(variable) = Variable::from_name(&name.to_ascii_lowercase()) {
                    return Err(format!(
                        "`${name}` is a shell's spelling and would be sent as it stands: write `${{{variable}}}` (or `$${name}` for a literal `${name}`)"
                    ));
                }
                literal.push('$');
                rest = &rest[1..];
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(Template { parts })
    }

    /// The variables it refers to.
    pub fn variables(&self) -> impl Iterator<Item = Variable> + '_ {
        self.parts.iter().filter_map(|part| match part {
            Part::Variable(variable) => Some(*variable),
            Part::Literal(_) => None,
        })
    }

    /// How long the text is with every reference replaced, without making it; a reference
    /// the target lacks counts nothing.
    pub fn rendered_len(&self, variables: &Variables) -> usize {
        self.parts
            .iter()
            .map(|part| match part {
                Part::Literal(text) => text.len(),
                Part::Variable(variable) => variables.get(*variable).map_or(0, str::len),
            })
            .fold(0, usize::saturating_add)
    }

    /// The text with every reference replaced; `None` when the target lacks one.
    pub fn render(&self, variables: &Variables) -> Option<String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Variable(variable) => out.push_str(variables.get(*variable)?),
            }
        }
        Some(out)
    }
}

/// The known variable a `{{name}}` in `text` names, if one does.
fn postman_reference(text: &str) -> Option<Variable> {
    text.split("{{").skip(1).find_map(|after| {
        let name = after.split_once("}}")?.0.trim();
        Variable::from_name(&name.to_ascii_lowercase())
    })
}

impl std::fmt::Display for Template {
    /// The template as written: `$` doubled, references as `${name}`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.parts {
            match part {
                Part::Literal(text) => f.write_str(&text.replace('$', "$$"))?,
                Part::Variable(variable) => write!(f, "${{{variable}}}")?,
            }
        }
        Ok(())
    }
}

impl Serialize for Template {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Template {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Template::parse(&text).map_err(de::Error::custom)
    }
}

/// A request value: a template, or `{repeat: "a", count: 37}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Text with variable references.
    Template(Template),
    /// `unit` repeated `count` times.
    Generated {
        /// The text repeated.
        unit: String,
        /// How many times.
        count: usize,
    },
}

impl Value {
    /// The variables it refers to.
    pub fn variables(&self) -> BTreeSet<Variable> {
        match self {
            Value::Template(template) => template.variables().collect(),
            Value::Generated { .. } => BTreeSet::new(),
        }
    }

    /// How long the text it stands for is, without making it.
    pub fn rendered_len(&self, variables: &Variables) -> usize {
        match self {
            Value::Template(template) => template.rendered_len(variables),
            Value::Generated { unit, count } => unit.len().saturating_mul(*count),
        }
    }

    /// The text it stands for; `None` when the target lacks a variable it refers to.
    pub fn render(&self, variables: &Variables) -> Option<String> {
        match self {
            Value::Template(template) => template.render(variables),
            Value::Generated { unit, count } => Some(unit.repeat(*count)),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Template(template) => template.serialize(serializer),
            Value::Generated { unit, count } => {
                #[derive(Serialize)]
                struct Repeat<'a> {
                    repeat: &'a str,
                    count: usize,
                }
                let repeat = Repeat {
                    repeat: unit,
                    count: *count,
                };
                FlowMap(repeat).serialize(serializer)
            }
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "a string (with optional `${variable}` references) or `{repeat: TEXT, count: N}`",
        )
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Value, E> {
        Template::parse(text)
            .map(Value::Template)
            .map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut unit: Option<String> = None;
        let mut count: Option<usize> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "repeat" if unit.is_none() => unit = Some(map.next_value()?),
                "count" if count.is_none() => count = Some(map.next_value()?),
                "repeat" | "count" => return Err(de::Error::duplicate_field("repeat/count")),
                other => return Err(de::Error::unknown_field(other, &["repeat", "count"])),
            }
        }
        let unit = unit.ok_or_else(|| de::Error::missing_field("repeat"))?;
        let count = count.ok_or_else(|| de::Error::missing_field("count"))?;
        if unit.is_empty() {
            return Err(de::Error::custom("`repeat` must not be empty"));
        }
        if unit.len().saturating_mul(count) > MAX_GENERATED_LEN {
            return Err(de::Error::custom(format!(
                "a generated value of {count} × {} bytes is over the cap of {MAX_GENERATED_LEN} bytes",
                unit.len()
            )));
        }
        Ok(Value::Generated { unit, count })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_references_escapes_and_literals() {
        let template = Template::parse("a${task_id}$$b$c").unwrap();
        let mut variables = Variables::default();
        variables.set(Variable::TaskId, "T");
        assert_eq!(template.render(&variables).as_deref(), Some("aT$b$c"));
        assert_eq!(template.variables().collect::<Vec<_>>(), [Variable::TaskId]);
        assert_eq!(template.to_string(), "a${task_id}$$b$$c");
    }

    #[test]
    fn rejects_unknown_and_unterminated_references() {
        assert!(
            Template::parse("${tokn}")
                .unwrap_err()
                .contains("unknown variable `${tokn}`")
        );
        assert!(
            Template::parse("${token")
                .unwrap_err()
                .contains("unterminated")
        );
    }

    #[test]
    fn other_tools_spellings_of_a_variable_name_the_one_meant() {
        let postman = Template::parse("Bearer {{ token }}").unwrap_err();
        assert!(postman.contains("write `${token}`"), "{postman}");
        let shell = Template::parse("$TASK_ID").unwrap_err();
        assert!(shell.contains("write `${task_id}`"), "{shell}");
        assert!(Template::parse("$$token and $5 and {{other}}").is_ok());
    }

    #[test]
    fn render_is_none_when_a_variable_is_missing() {
        let template = Template::parse("${forbidden_token}").unwrap();
        assert_eq!(template.render(&Variables::default()), None);
    }
}

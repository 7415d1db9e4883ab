//! Every constraint the response schemas state, found by walking them: each keyword at each
//! place, with the JSON pointers of the body it applies to. The generator writes boundary
//! cases from these, and coverage maps cases back onto them.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::Value as Json;

use super::{Contract, SCHEMA_SUFFIX};
use crate::vocab::{ANY_INDEX, JsonPointer};

/// What a constraint demands.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// `type`: the value has this JSON type.
    Type(String),
    /// `required`: the object has this property.
    Required(String),
    /// `minLength`.
    MinLength(u64),
    /// `maxLength`.
    MaxLength(u64),
    /// `minItems`.
    MinItems(u64),
    /// `maxItems`.
    MaxItems(u64),
    /// A `false` schema: the property must not be there.
    Forbidden,
}

impl Rule {
    /// The keyword a validator names when the rule is broken.
    pub fn keyword(&self) -> &'static str {
        match self {
            Rule::Type(_) => "type",
            Rule::Required(_) => "required",
            Rule::MinLength(_) => "minLength",
            Rule::MaxLength(_) => "maxLength",
            Rule::MinItems(_) => "minItems",
            Rule::MaxItems(_) => "maxItems",
            Rule::Forbidden => "falseSchema",
        }
    }

    /// The size limit of a length or item-count rule.
    pub fn limit(&self) -> Option<u64> {
        match self {
            Rule::MinLength(n) | Rule::MaxLength(n) | Rule::MinItems(n) | Rule::MaxItems(n) => {
                Some(*n)
            }
            _ => None,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Rule::Type(ty) => write!(f, "type {ty}"),
            Rule::Required(name) => write!(f, "required {name}"),
            Rule::Forbidden => f.write_str("false (not allowed)"),
            other => write!(
                f,
                "{} {}",
                other.keyword(),
                other.limit().unwrap_or_default()
            ),
        }
    }
}

/// One constraint of one schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    /// The schema whose file states it.
    pub schema: String,
    /// Where in that file: the JSON pointer of the subschema holding the keyword.
    pub location: JsonPointer,
    /// What it demands.
    pub rule: Rule,
    /// The body pointers it applies to, for each schema that reaches it (itself, and any
    /// that `$ref` it): `(schema, pattern)`, where [`ANY_INDEX`] in a pattern is any array
    /// index.
    pub applies_at: Vec<(String, JsonPointer)>,
}

impl Constraint {
    /// The pattern of the body pointer under its own schema.
    pub fn own_pattern(&self) -> JsonPointer {
        self.applies_at
            .iter()
            .find(|(root, _)| *root == self.schema)
            .map(|(_, pattern)| pattern.clone())
            .unwrap_or_default()
    }

    /// Whether `pointer`, in a body judged by `schema`, is a place it applies to.
    pub fn applies_to(&self, schema: &str, pointer: &JsonPointer) -> bool {
        self.applies_at
            .iter()
            .any(|(root, pattern)| root == schema && pointer.matches(pattern))
    }
}

/// The schema a `$ref` names: `x.schema.json` (a whole local file) → `x`.
pub fn schema_name_of_ref(reference: &str) -> Option<&str> {
    reference
        .strip_suffix(SCHEMA_SUFFIX)
        .filter(|name| !name.contains(['/', '#']))
}

/// How deep `$ref`s may nest before the walk stops (a cycle would never end).
const MAX_DEPTH: usize = 32;

/// A size keyword, and the rule it states.
type SizeKeyword = (&'static str, fn(u64) -> Rule);

/// The size keywords.
const SIZE_KEYWORDS: [SizeKeyword; 4] = [
    ("minLength", Rule::MinLength),
    ("maxLength", Rule::MaxLength),
    ("minItems", Rule::MinItems),
    ("maxItems", Rule::MaxItems),
];

/// What a walk finds: `(schema, location, rule)` → the `(root, pattern)`s it applies at.
type Found = BTreeMap<(String, JsonPointer, Rule), Vec<(String, JsonPointer)>>;

impl Contract {
    /// Every constraint of every schema, sorted by schema and place.
    pub fn constraints(&self) -> Vec<Constraint> {
        let mut found = Found::new();
        for root in self.schema_names() {
            let Some((_, json)) = self.schema_source(root) else {
                continue;
            };
            let mut walk = Walk {
                contract: self,
                root,
                found: &mut found,
            };
            walk.visit(root, json, JsonPointer::root(), JsonPointer::root(), 0);
        }
        found
            .into_iter()
            .map(|((schema, location, rule), mut applies_at)| {
                applies_at.sort();
                applies_at.dedup();
                Constraint {
                    schema,
                    location,
                    rule,
                    applies_at,
                }
            })
            .collect()
    }
}

/// A walk of one root schema, following `$ref`s into the others.
struct Walk<'a> {
    contract: &'a Contract,
    root: &'a str,
    found: &'a mut Found,
}

impl Walk<'_> {
    fn add(&mut self, schema: &str, location: &JsonPointer, pattern: &JsonPointer, rule: Rule) {
        self.found
            .entry((schema.to_owned(), location.clone(), rule))
            .or_default()
            .push((self.root.to_owned(), pattern.clone()));
    }

    fn visit(
        &mut self,
        schema: &str,
        node: &Json,
        location: JsonPointer,
        pattern: JsonPointer,
        depth: usize,
    ) {
        let Json::Object(map) = node else {
            if *node == Json::Bool(false) {
                self.add(schema, &location, &pattern, Rule::Forbidden);
            }
            return;
        };
        if let Some(Json::String(ty)) = map.get("type") {
            self.add(schema, &location, &pattern, Rule::Type(ty.clone()));
        }
        for name in map
            .get("required")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .filter_map(Json::as_str)
        {
            self.add(schema, &location, &pattern, Rule::Required(name.to_owned()));
        }
        for (keyword, rule) in SIZE_KEYWORDS {
            if let Some(limit) = map.get(keyword).and_then(Json::as_u64) {
                self.add(schema, &location, &pattern, rule(limit));
            }
        }
        if depth >= MAX_DEPTH {
            return;
        }
        let contract = self.contract;
        if let Some(target) = map
            .get("$ref")
            .and_then(Json::as_str)
            .and_then(schema_name_of_ref)
            && let Some((_, json)) = contract.schema_source(target)
        {
            self.visit(
                target,
                json,
                JsonPointer::root(),
                pattern.clone(),
                depth + 1,
            );
        }
        if let Some(Json::Object(properties)) = map.get("properties") {
            for (name, sub) in properties {
                let location = location.join("properties").join(name);
                self.visit(schema, sub, location, pattern.join(name), depth + 1);
            }
        }
        if let Some(items) = map.get("items") {
            self.visit(
                schema,
                items,
                location.join("items"),
                pattern.join(ANY_INDEX),
                depth + 1,
            );
        }
    }
}

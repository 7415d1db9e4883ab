//! A schema checked against JSON Schema 2020-12's meta-schema without its validator, where
//! the schema is plainly valid; jsonschema's own check for every other schema.
//!
//! jsonschema checks each schema it compiles against its draft's meta-schema, and builds that
//! meta-schema's validator the first time, in every process: for 2020-12, about 4.3 M
//! instructions, the largest single cost of a run. The contract's schemas use a handful of
//! keywords whose rules are short, so they are checked here; a schema that uses any other
//! keyword, or breaks a rule, is left to jsonschema, which gives the same error as ever.

use std::collections::HashSet;

use serde_json::Value as Json;

/// The URI of the one dialect read here.
pub(super) const DRAFT_2020_12: &str = "https://json-schema.org/draft/2020-12/schema";

/// Whether 2020-12's meta-schema surely accepts `schema`: it names that dialect in `$schema`
/// and uses only keywords whose rules are below, each within them. `false` says nothing
/// either way.
pub(super) fn plainly_valid(schema: &Json) -> bool {
    schema
        .as_object()
        .is_some_and(|map| map.get("$schema").and_then(Json::as_str) == Some(DRAFT_2020_12))
        && subschema(schema, true)
}

/// A schema: a boolean, or an object whose every keyword keeps its rule. `$schema` is read
/// only at the root: below it, beside an `$id`, it would make another dialect's resource,
/// which jsonschema checks against that dialect's meta-schema.
fn subschema(schema: &Json, root: bool) -> bool {
    let Some(map) = schema.as_object() else {
        return schema.is_boolean();
    };
    map.iter().all(|(keyword, value)| match keyword.as_str() {
        "$schema" => root,
        "$ref" | "$comment" | "title" | "description" | "format" | "pattern"
        | "contentEncoding" | "contentMediaType" => value.is_string(),
        "items"
        | "contains"
        | "additionalProperties"
        | "propertyNames"
        | "if"
        | "then"
        | "else"
        | "not"
        | "contentSchema"
        | "unevaluatedItems"
        | "unevaluatedProperties" => subschema(value, false),
        "properties" | "patternProperties" | "dependentSchemas" | "$defs" => value
            .as_object()
            .is_some_and(|map| map.values().all(|value| subschema(value, false))),
        "prefixItems" | "allOf" | "anyOf" | "oneOf" => value.as_array().is_some_and(|list| {
            !list.is_empty() && list.iter().all(|value| subschema(value, false))
        }),
        "type" => match value {
            Json::Array(names) => {
                !names.is_empty() && names.iter().all(simple_type) && string_set(value)
            }
            name => simple_type(name),
        },
        "const" | "default" => true,
        "enum" | "examples" => value.is_array(),
        "multipleOf" => value.as_f64().is_some_and(|n| n > 0.0),
        "maximum" | "exclusiveMaximum" | "minimum" | "exclusiveMinimum" => value.is_number(),
        // 2020-12 counts 2.0 as an integer too; such a rare spelling goes to jsonschema.
        "maxLength" | "minLength" | "maxItems" | "minItems" | "maxContains" | "minContains"
        | "maxProperties" | "minProperties" => value.is_u64(),
        "uniqueItems" | "deprecated" | "readOnly" | "writeOnly" => value.is_boolean(),
        "required" => string_set(value),
        "dependentRequired" => value
            .as_object()
            .is_some_and(|map| map.values().all(string_set)),
        _ => false,
    })
}

/// One of the seven type names.
fn simple_type(name: &Json) -> bool {
    matches!(
        name.as_str(),
        Some("array" | "boolean" | "integer" | "null" | "number" | "object" | "string")
    )
}

/// An array of strings, none twice.
fn string_set(value: &Json) -> bool {
    value.as_array().is_some_and(|list| {
        let mut seen = HashSet::with_capacity(list.len());
        list.iter()
            .all(|item| item.as_str().is_some_and(|text| seen.insert(text)))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dice::{self, Dice};
    use serde_json::json;

    /// jsonschema's verdict, the one `plainly_valid` must never contradict.
    fn meta_accepts(schema: &Json) -> bool {
        jsonschema::draft202012::meta::is_valid(schema)
    }

    /// A schema with every keyword `plainly_valid` reads, each within its rule.
    fn every_keyword() -> Json {
        json!({
            "$schema": DRAFT_2020_12,
            "$comment": "c", "title": "t", "description": "d",
            "type": ["object", "null"],
            "required": ["a", "b"],
            "dependentRequired": {"a": ["b"]},
            "minProperties": 0, "maxProperties": 9,
            "properties": {
                "a": {"$ref": "#/$defs/text", "format": "email", "default": "x",
                      "examples": ["y"], "deprecated": false, "readOnly": true,
                      "writeOnly": false},
                "b": {"type": "array", "prefixItems": [true], "items": {"type": "integer"},
                      "contains": {"const": 1}, "minContains": 1, "maxContains": 2,
                      "minItems": 0, "maxItems": 3, "uniqueItems": true,
                      "unevaluatedItems": false},
                "c": {"type": "number", "minimum": -1.5, "maximum": 2, "exclusiveMinimum": -2,
                      "exclusiveMaximum": 3, "multipleOf": 0.5},
                "d": {"enum": [1, "a", null], "contentEncoding": "base64",
                      "contentMediaType": "application/json", "contentSchema": {}},
                "$schema": {"type": "string"}
            },
            "patternProperties": {"^x-": {"not": false}},
            "additionalProperties": {"allOf": [true], "anyOf": [{}], "oneOf": [{"type": "string"}]},
            "propertyNames": {"minLength": 1},
            "dependentSchemas": {"a": {"if": true, "then": {}, "else": false}},
            "unevaluatedProperties": false,
            "$defs": {"text": {"type": "string", "minLength": 0, "maxLength": 255,
                               "pattern": "^[a-z]*$"}}
        })
    }

    /// The rules read `$ref`, `pattern`, `format` and `$schema` as any string because
    /// jsonschema's meta-schema check does not assert formats: pinned, so that a version of
    /// jsonschema that did would fail here first.
    #[test]
    fn the_meta_schema_check_asserts_no_format() {
        for (keyword, text) in [("pattern", "("), ("$ref", "a b"), ("format", "")] {
            let mut schema = json!({"$schema": DRAFT_2020_12});
            schema[keyword] = json!(text);
            assert!(plainly_valid(&schema), "{schema}");
            assert!(meta_accepts(&schema), "{schema}");
        }
        let keys = json!({"$schema": DRAFT_2020_12, "patternProperties": {"(": true}});
        assert!(plainly_valid(&keys) && meta_accepts(&keys));
    }

    #[test]
    fn reads_schemas_within_the_rules_as_valid() {
        let plain = [
            every_keyword(),
            json!({"$schema": DRAFT_2020_12}),
            json!({"$schema": DRAFT_2020_12, "type": "object", "required": ["task_id"],
                   "properties": {"task_id": {"type": "string", "maxLength": 255}}}),
            json!({"$schema": DRAFT_2020_12, "items": {"$ref": "other.schema.json"}}),
        ];
        for schema in plain {
            assert!(plainly_valid(&schema), "{schema}");
            assert!(meta_accepts(&schema), "{schema}");
        }
    }

    /// Each rule, broken, leaves the schema to jsonschema, which refuses it; and what the
    /// rules do not read is left to jsonschema too, valid or not.
    #[test]
    fn leaves_each_broken_rule_to_jsonschema() {
        let strings = [
            "$ref",
            "$comment",
            "title",
            "description",
            "format",
            "pattern",
            "contentEncoding",
            "contentMediaType",
        ];
        let schemas = [
            "items",
            "contains",
            "additionalProperties",
            "propertyNames",
            "if",
            "then",
            "else",
            "not",
            "contentSchema",
            "unevaluatedItems",
            "unevaluatedProperties",
        ];
        let maps = [
            "properties",
            "patternProperties",
            "dependentSchemas",
            "$defs",
        ];
        let lists = ["prefixItems", "allOf", "anyOf", "oneOf"];
        let counts = [
            "maxLength",
            "minLength",
            "maxItems",
            "minItems",
            "maxContains",
            "minContains",
            "maxProperties",
            "minProperties",
        ];
        let numbers = ["maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum"];
        let flags = ["uniqueItems", "deprecated", "readOnly", "writeOnly"];
        let mut broken: Vec<(&str, Json)> = Vec::new();
        broken.extend(strings.iter().map(|k| (*k, json!(1))));
        broken.extend(
            schemas
                .iter()
                .flat_map(|k| [(*k, json!(1)), (*k, json!({"type": 1}))]),
        );
        broken.extend(
            maps.iter()
                .flat_map(|k| [(*k, json!([])), (*k, json!({"a": "b"}))]),
        );
        broken.extend(
            lists
                .iter()
                .flat_map(|k| [(*k, json!([])), (*k, json!([1])), (*k, json!({}))]),
        );
        broken.extend(
            counts
                .iter()
                .flat_map(|k| [(*k, json!(-1)), (*k, json!(1.5)), (*k, json!("1"))]),
        );
        broken.extend(numbers.iter().map(|k| (*k, json!("0"))));
        broken.extend(flags.iter().map(|k| (*k, json!(1))));
        broken.extend([
            ("type", json!("nope")),
            ("type", json!([])),
            ("type", json!(["string", "string"])),
            ("type", json!(["string", 1])),
            ("type", json!(1)),
            ("enum", json!({})),
            ("examples", json!("x")),
            ("multipleOf", json!(0)),
            ("multipleOf", json!(-2)),
            ("multipleOf", json!("2")),
            ("required", json!(["a", "a"])),
            ("required", json!([1])),
            ("required", json!("a")),
            ("dependentRequired", json!({"a": ["b", "b"]})),
            ("dependentRequired", json!({"a": "b"})),
            ("dependentRequired", json!([])),
        ]);
        for (keyword, value) in broken {
            let mut schema = json!({"$schema": DRAFT_2020_12});
            schema[keyword] = value;
            assert!(!plainly_valid(&schema), "{schema}");
            assert!(!meta_accepts(&schema), "{schema}");
        }
        let unread = [
            json!({"$schema": DRAFT_2020_12, "minLength": 2.0}),
            json!({"$schema": DRAFT_2020_12, "$id": "https://example.com/x"}),
            json!({"$schema": DRAFT_2020_12, "x-note": 1}),
            json!({"$schema": "http://json-schema.org/draft-07/schema#"}),
            json!({"type": "string"}),
            json!({"$schema": DRAFT_2020_12, "items": {"$schema": DRAFT_2020_12}}),
            json!(true),
        ];
        for schema in unread {
            assert!(!plainly_valid(&schema), "{schema}");
        }
    }

    /// Values a mutation puts in place: each rule's edges, from either side.
    fn pool() -> Vec<Json> {
        vec![
            json!(null),
            json!(true),
            json!(false),
            json!(0),
            json!(1),
            json!(-1),
            json!(2.0),
            json!(0.5),
            json!(-0.5),
            json!(1e300),
            json!(u64::MAX),
            json!(""),
            json!("a"),
            json!("string"),
            json!("integer"),
            json!("nope"),
            json!("("),
            json!("a b"),
            json!(DRAFT_2020_12),
            json!("http://json-schema.org/draft-07/schema#"),
            json!([]),
            json!(["a"]),
            json!(["a", "a"]),
            json!(["string", "null"]),
            json!(["string", "string"]),
            json!([1]),
            json!([{}]),
            json!([true, {"type": "nope"}]),
            json!({}),
            json!({"type": "string"}),
            json!({"type": "nope"}),
            json!({"$schema": DRAFT_2020_12}),
            json!({"minLength": -1}),
            json!({"a": ["b"]}),
            json!({"a": 1}),
        ]
    }

    /// Keywords a mutation adds: those read here, and some that are not.
    const KEYWORDS: &[&str] = &[
        "$schema",
        "$ref",
        "$comment",
        "title",
        "format",
        "pattern",
        "items",
        "not",
        "if",
        "contentSchema",
        "properties",
        "$defs",
        "dependentSchemas",
        "allOf",
        "prefixItems",
        "type",
        "const",
        "enum",
        "examples",
        "multipleOf",
        "minimum",
        "maxLength",
        "minContains",
        "uniqueItems",
        "readOnly",
        "required",
        "dependentRequired",
        "$id",
        "$anchor",
        "$dynamicRef",
        "definitions",
        "dependencies",
        "x-note",
    ];

    /// Every object and array in `value`, by JSON pointer.
    fn places(value: &Json, at: String, out: &mut Vec<String>) {
        match value {
            Json::Object(map) => {
                out.push(at.clone());
                for (key, item) in map {
                    let key = key.replace('~', "~0").replace('/', "~1");
                    places(item, format!("{at}/{key}"), out);
                }
            }
            Json::Array(list) => {
                out.push(at.clone());
                for (index, item) in list.iter().enumerate() {
                    places(item, format!("{at}/{index}"), out);
                }
            }
            _ => {}
        }
    }

    /// `schema` changed in one to three places: a member replaced, removed or added, an
    /// array's item doubled.
    fn mutate(schema: &Json, dice: &mut Dice) -> Json {
        let pool = pool();
        let mut schema = schema.clone();
        for _ in 0..=dice.below(3) {
            let mut found = Vec::new();
            places(&schema, String::new(), &mut found);
            let at = &found[dice.below(found.len())];
            let value = pool[dice.below(pool.len())].clone();
            match schema.pointer_mut(at).expect("a place just found") {
                Json::Object(map) => {
                    let keys: Vec<String> = map.keys().cloned().collect();
                    match dice.below(3) {
                        0 if !keys.is_empty() => {
                            map.insert(keys[dice.below(keys.len())].clone(), value);
                        }
                        1 if !keys.is_empty() => {
                            map.remove(&keys[dice.below(keys.len())]);
                        }
                        _ => {
                            map.insert(KEYWORDS[dice.below(KEYWORDS.len())].to_owned(), value);
                        }
                    }
                }
                Json::Array(list) => match dice.below(3) {
                    0 if !list.is_empty() => {
                        let index = dice.below(list.len());
                        list[index] = value;
                    }
                    1 if !list.is_empty() => list.push(list[dice.below(list.len())].clone()),
                    _ => list.push(value),
                },
                _ => unreachable!("places finds objects and arrays"),
            }
        }
        schema
    }

    /// On thousands of mutations of plainly valid schemas, a schema read as valid here is
    /// one jsonschema accepts.
    #[test]
    fn never_valid_where_jsonschema_refuses() {
        let count = dice::mutants("META_MUTANTS", 4000) as u64;
        let bases = [
            every_keyword(),
            json!({"$schema": DRAFT_2020_12, "type": "object", "required": ["a"],
                   "properties": {"a": {"type": "array", "items": {"type": "string"}}}}),
        ];
        let (mut valid, mut left, mut refused) = (0, 0, 0);
        for round in 0..count {
            let mut dice = Dice::nth(round + 1);
            let seed = dice.0;
            let base = &bases[round as usize % bases.len()];
            let mutant = mutate(base, &mut dice);
            let accepted = meta_accepts(&mutant);
            if plainly_valid(&mutant) {
                assert!(accepted, "seed {seed}: {mutant}");
                valid += 1;
            } else if accepted {
                left += 1;
            } else {
                refused += 1;
            }
        }
        // All three outcomes are reached: the mutations cross the rules' edges both ways.
        eprintln!("mutants: valid {valid}, left though valid {left}, refused {refused}");
        assert!(valid > 0 && left > 0 && refused > 0);
    }
}

//! The contract as data: the JSON Schemas in `schemas/` and the manifest that says which of
//! them applies to which status. Each schema is compiled once and shared.

mod constraints;
mod ledger;
mod manifest;
mod meta;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use jsonschema::Validator;
use serde_json::Value as Json;

pub use constraints::{Constraint, Rule, schema_name_of_ref};
#[cfg(test)]
pub(crate) use ledger::Assumption;
pub use ledger::Ledger;
#[cfg(test)]
pub(crate) use manifest::same_read_quickly;
pub use manifest::{Manifest, RequestField, RequestLimit};

use crate::vocab::{JsonPointer, Known};
use crate::yaml::FileError;

/// The manifest's file name in the schemas folder.
pub const MANIFEST_FILE: &str = "manifest.yaml";
/// The assumption ledger's file name in the schemas folder.
pub const LEDGER_FILE: &str = "assumptions.yaml";
/// The ending that makes a file in the schemas folder a schema; its name is the rest.
pub const SCHEMA_SUFFIX: &str = ".schema.json";
/// A base for the schemas' URIs, so that `$ref: "x.schema.json"` resolves among the local
/// files; nothing is ever fetched (the validators are built offline).
const BASE_URI: &str = "file:///sms-conformance/schemas/";

/// A compiled schema, with its source.
struct Schema {
    validator: Validator,
    /// Whether the validator reaches the schema through a root `$ref` (see `compile`), which
    /// every schema path then begins with.
    referred: bool,
    file: PathBuf,
    json: Json,
}

/// The compiled contract: every schema, and the manifest.
pub struct Contract {
    schemas: BTreeMap<String, Schema>,
    manifest: Manifest,
    ledger: Ledger,
}

/// One reason a body is not valid against a schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The schema's name.
    pub schema: String,
    /// Where in the body (`/passphrase`).
    pub instance_path: JsonPointer,
    /// The keyword that failed (`maxLength`).
    pub keyword: String,
    /// Where in the schema, following `$ref`s (`/properties/passphrase/maxLength`).
    pub schema_path: JsonPointer,
    /// What is wrong, in the validator's words, without the offending value (it may be a
    /// secret).
    pub message: String,
}

/// The contract as read, before its schemas are compiled: already enough to tell which
/// names a case may use, so that the cases can be read while the schemas compile.
pub struct Sources {
    dir: PathBuf,
    documents: BTreeMap<String, (PathBuf, Json)>,
    ledger: Ledger,
}

impl Sources {
    /// The names a case may use: the schemas and the assumptions.
    pub fn known(&self) -> Known {
        names(self.documents.keys(), &self.ledger)
    }

    /// Compiles every schema and reads the manifest.
    pub fn compile(self) -> Result<Contract, FileError> {
        let known = self.known();
        let Sources {
            dir,
            documents,
            ledger,
        } = self;
        let schemas = compile_all(&dir, &documents)?;
        let manifest = Manifest::load(&dir.join(MANIFEST_FILE), &known)?;
        Ok(Contract {
            schemas,
            manifest,
            ledger,
        })
    }
}

/// Compiles every schema of the folder `dir`.
fn compile_all(
    dir: &Path,
    documents: &BTreeMap<String, (PathBuf, Json)>,
) -> Result<BTreeMap<String, Schema>, FileError> {
    let registry = jsonschema::Registry::new()
        .extend(
            documents
                .iter()
                .map(|(name, (_, json))| (schema_uri(name), json)),
        )
        .and_then(|builder| builder.prepare())
        .map_err(|e| FileError::whole(dir, format!("cannot index the schemas: {e}")))?;
    let mut schemas = BTreeMap::new();
    for (name, (file, json)) in documents {
        let (validator, referred) = compile(name, json, &registry)
            .map_err(|e| FileError::whole(file, format!("not a valid schema: {e}")))?;
        schemas.insert(
            name.clone(),
            Schema {
                validator,
                referred,
                file: file.clone(),
                json: json.clone(),
            },
        );
    }
    Ok(schemas)
}

/// Compiles the schema called `name`, and says whether its validator reaches it through a
/// root `$ref`.
///
/// jsonschema checks every schema it compiles against its draft's meta-schema, and builds
/// that meta-schema's validator once a process: for 2020-12, about 4.3 M instructions, the
/// largest single cost of a run. A schema `meta` finds plainly valid needs no such check: it
/// is compiled through a root that only refers to it, in draft 4, whose meta-schema's
/// validator costs a quarter of that. jsonschema then checks only that root, and the schema
/// keeps its own dialect, 2020-12 (jsonschema reads a `$ref`'s target in the target's own
/// draft). Every other schema, and one that does not compile that way, is compiled as it is,
/// so that its error is jsonschema's own.
///
/// The two ways read every body alike (a unit test, and a review's 1.2 M random pairs), but
/// for schemas that contradict themselves through a `$ref` to `#` that does not move into
/// the instance, which the specification leaves undefined: there jsonschema's guard against
/// the cycle answers either way.
fn compile(
    name: &str,
    json: &Json,
    registry: &jsonschema::Registry,
) -> Result<(Validator, bool), jsonschema::ValidationError<'static>> {
    if meta::plainly_valid(json) {
        let root = serde_json::json!({ "$ref": schema_uri(name) });
        if let Ok(validator) = jsonschema::draft4::options()
            .with_registry(registry)
            .offline()
            .build(&root)
        {
            return Ok((validator, true));
        }
    }
    let validator = jsonschema::draft202012::options()
        .with_registry(registry)
        .with_base_uri(schema_uri(name))
        .offline()
        .build(json)?;
    Ok((validator, false))
}

/// Starts building the meta-schema validator `compile` needs for plainly valid schemas
/// (draft 4's) on a thread of its own, once a process; any other schema builds 2020-12's when
/// it is compiled.
///
/// jsonschema builds it when the first schema is compiled. Started early, on a core the start
/// leaves idle, it is ready sooner. The process does not wait for it; a thread that cannot
/// start leaves the building to the compiling.
pub fn warm_up() {
    static STARTED: std::sync::Once = std::sync::Once::new();
    STARTED.call_once(|| {
        let _ = std::thread::Builder::new()
            .spawn(|| jsonschema::draft4::meta::is_valid(&serde_json::json!({"type": "object"})));
    });
}

impl Contract {
    /// Loads and compiles every `*.schema.json` and the manifest in `dir`.
    pub fn load(dir: &Path) -> Result<Contract, FileError> {
        Contract::read(dir)?.compile()
    }

    /// Reads every `*.schema.json` in `dir` and the assumption ledger, compiling nothing.
    pub fn read(dir: &Path) -> Result<Sources, FileError> {
        let mut documents = BTreeMap::new();
        let entries = std::fs::read_dir(dir)
            .map_err(|e| FileError::whole(dir, format!("cannot read the schemas folder: {e}")))?;
        for entry in entries {
            let path = entry
                .map_err(|e| FileError::whole(dir, e.to_string()))?
                .path();
            let Some(name) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(SCHEMA_SUFFIX))
            else {
                continue;
            };
            let bytes = crate::yaml::read_bytes(&path)?;
            let json: Json = serde_json::from_slice(&bytes).map_err(|e| FileError {
                file: path.clone(),
                position: Some((e.line() as u64, e.column() as u64)),
                message: format!("not JSON: {e}"),
            })?;
            documents.insert(name.to_owned(), (path, json));
        }
        if documents.is_empty() {
            return Err(FileError::whole(
                dir,
                format!(
                    "no schemas (*{SCHEMA_SUFFIX}) here: --schemas names the folder of the contract's schemas, its {MANIFEST_FILE} and its {LEDGER_FILE}"
                ),
            ));
        }
        let ledger = Ledger::load(&dir.join(LEDGER_FILE))?;
        Ok(Sources {
            dir: dir.to_owned(),
            documents,
            ledger,
        })
    }

    /// The names a case may use: the schemas and the assumptions.
    pub fn known(&self) -> Known {
        names(self.schemas.keys(), &self.ledger)
    }

    /// The assumption ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The source of the schema called `name`: its file and its JSON.
    pub fn schema_source(&self, name: &str) -> Option<(&Path, &Json)> {
        self.schemas.get(name).map(|s| (s.file.as_path(), &s.json))
    }

    /// The names of every schema, sorted.
    pub fn schema_names(&self) -> impl Iterator<Item = &str> {
        self.schemas.keys().map(String::as_str)
    }

    /// Whether a schema of this name exists.
    pub fn has_schema(&self, name: &str) -> bool {
        self.schemas.contains_key(name)
    }

    /// Validates `body` against the schema called `name`; `None` if there is no such schema.
    pub fn validate(&self, name: &str, body: &Json) -> Option<Vec<Violation>> {
        Some(self.schemas.get(name)?.violations(name, body))
    }

    /// Checks `body` against the schemas the manifest lists for `status`: `None` when it
    /// lists none; else every violation, schema by schema, or none when one schema holds.
    pub fn check_body(&self, status: u16, body: &Json) -> Option<Vec<Violation>> {
        let names = self.manifest.schemas_for(status)?;
        let mut violations = Vec::new();
        for name in names {
            let found = self.validate(name, body).unwrap_or_default();
            if found.is_empty() {
                return Some(Vec::new());
            }
            violations.extend(found);
        }
        Some(violations)
    }
}

impl Schema {
    /// Every reason `body` is not valid against this schema, called `name`.
    fn violations(&self, name: &str, body: &Json) -> Vec<Violation> {
        self.validator
            .iter_errors(body)
            .map(|error| Violation {
                schema: name.to_owned(),
                instance_path: pointer(error.instance_path().as_str()),
                keyword: error.kind().keyword().to_owned(),
                schema_path: self.path(error.evaluation_path().as_str()),
                message: error.masked().to_string(),
            })
            .collect()
    }

    /// Where in this schema an evaluation `path` ends, from the schema's own root.
    fn path(&self, path: &str) -> JsonPointer {
        let own = match self.referred {
            true => path.strip_prefix("/$ref").unwrap_or(path),
            false => path,
        };
        pointer(own)
    }
}

/// A pointer the validator wrote; it writes only valid ones.
fn pointer(text: &str) -> JsonPointer {
    JsonPointer::parse(text).unwrap_or_default()
}

/// The names a case may use: these schemas and the ledger's assumptions.
fn names<'a>(schemas: impl Iterator<Item = &'a String>, ledger: &Ledger) -> Known {
    Known::new(
        schemas.cloned().collect(),
        ledger.iter().map(|(id, _)| id.to_owned()).collect(),
    )
}

fn schema_uri(name: &str) -> String {
    format!("{BASE_URI}{name}{SCHEMA_SUFFIX}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Schemas by name (the root's `$schema` is added), and bodies to read with each.
    type Sample<'a> = (&'a [(&'a str, Json)], &'a [Json]);

    /// `schemas` compiled as the contract compiles them; with `left`, each gets a keyword
    /// `meta` does not read, so that each is compiled as it is.
    fn compiled(schemas: &[(&str, Json)], left: bool) -> BTreeMap<String, Schema> {
        let documents = schemas
            .iter()
            .map(|(name, json)| {
                let mut json = json.clone();
                json["$schema"] = json!(meta::DRAFT_2020_12);
                if left {
                    json["x-left"] = json!(true);
                }
                (name.to_string(), (PathBuf::from(name), json))
            })
            .collect();
        let schemas = compile_all(Path::new("."), &documents).expect("the schemas compile");
        for (name, schema) in &schemas {
            assert_eq!(schema.referred, !left, "{name}");
        }
        schemas
    }

    /// A plainly valid schema that the root `$ref` cannot reach (here, one missing from the
    /// registry) is compiled as it is, not refused.
    #[test]
    fn a_schema_the_root_ref_cannot_reach_is_compiled_as_it_is() {
        let schema = json!({"$schema": meta::DRAFT_2020_12, "type": "string"});
        assert!(meta::plainly_valid(&schema));
        let registry = jsonschema::Registry::new()
            .prepare()
            .expect("an empty registry");
        let (validator, referred) = compile("lonely", &schema, &registry).expect("it compiles");
        assert!(!referred);
        assert!(!validator.is_valid(&json!(5)));
    }

    /// A schema compiled through a root `$ref` reads every body as the schema compiled as it
    /// is: the same violations, at the same places in the same schema, in 2020-12's dialect.
    #[test]
    fn both_ways_of_compiling_read_a_schema_alike() {
        let samples: [Sample; 4] = [
            // A `$ref` at the root, and beside other keywords (draft 4 would ignore these).
            (
                &[
                    ("root", json!({"$ref": "text.schema.json"})),
                    ("text", json!({"type": "string", "maxLength": 3})),
                    (
                        "beside",
                        json!({"properties": {"a": {"$ref": "text.schema.json", "minLength": 2}}}),
                    ),
                ],
                &[
                    json!("abcd"),
                    json!(5),
                    json!({"a": "x"}),
                    json!({"a": "abcde"}),
                ],
            ),
            // Local references, arrays, and 2020-12's own keywords.
            (
                &[(
                    "local",
                    json!({
                        "$defs": {"code": {"type": "string", "pattern": "^[A-Z]+\\.[0-9]+$"}},
                        "type": "object",
                        "required": ["code"],
                        "properties": {
                            "code": {"$ref": "#/$defs/code"},
                            "list": {"prefixItems": [{"const": 1}], "items": {"type": "string"}},
                            "kind": {"enum": ["a", "b"]},
                        },
                        "dependentRequired": {"kind": ["list"]},
                        "unevaluatedProperties": false,
                    }),
                )],
                &[
                    json!({"code": "SMS.1"}),
                    json!({"code": "sms"}),
                    json!({"code": "A.1", "list": [2, 3], "kind": "c"}),
                    json!({"code": "A.1", "other": 1}),
                ],
            ),
            // Applicators, and a format, which 2020-12 only notes (draft 4 would assert it).
            (
                &[(
                    "logic",
                    json!({
                        "format": "email",
                        "anyOf": [{"type": "string"}, {"type": "integer", "minimum": 3}],
                        "not": {"const": "no"},
                        "if": {"type": "integer"}, "then": {"multipleOf": 2},
                    }),
                )],
                &[
                    json!("not an email"),
                    json!("no"),
                    json!(2),
                    json!(5),
                    json!(null),
                ],
            ),
            // Nested through items into another schema.
            (
                &[
                    (
                        "outer",
                        json!({"properties": {"details": {"type": "array", "maxItems": 1,
                            "items": {"$ref": "inner.schema.json"}}}}),
                    ),
                    ("inner", json!({"required": ["error_code"]})),
                ],
                &[
                    json!({"details": [{}]}),
                    json!({"details": [{"error_code": 1}, {}]}),
                ],
            ),
        ];
        for (schemas, bodies) in samples {
            let (referred, left) = (compiled(schemas, false), compiled(schemas, true));
            let mut found = 0;
            for body in bodies {
                for (name, _) in schemas {
                    let read = referred[*name].violations(name, body);
                    assert_eq!(read, left[*name].violations(name, body), "{name}: {body}");
                    found += read.len();
                }
            }
            assert!(found > 0, "no body broke {schemas:?}");
        }
    }
}

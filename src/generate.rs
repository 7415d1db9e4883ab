//! `sms-conformance generate`: boundary cases derived from the contract, one file each,
//! under `cases/generated/`. Response limits become document cases; the request's documented
//! lengths (the manifest's `request`) become request cases. Output is deterministic, so
//! `generate --check` can tell when the files are out of date with the schemas.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value as Json, json};
use serde_saphyr::{Location, Spanned};

use crate::case::model::{
    CaseFile, DocumentSpec, ExpectedViolation, Fill, Method, PathTemplate, RawExpectation,
};
use crate::case::{DEFAULT_PATH, RequestSpec, Template, Value};
use crate::contract::{Constraint, Contract, RequestField, RequestLimit, Rule, schema_name_of_ref};
use crate::vocab::{ANY_INDEX, JsonPointer};

/// The folder, under the cases folder, that generated cases live in.
pub const GENERATED_DIR: &str = "generated";

/// The generated files: path under the cases folder → content.
pub type Generated = BTreeMap<PathBuf, String>;

/// Every generated case for `contract`.
pub fn generate(contract: &Contract) -> Generated {
    let mut files = Generated::new();
    for constraint in contract.constraints() {
        for case in document_cases(contract, &constraint) {
            let path = Path::new(GENERATED_DIR)
                .join(&constraint.schema)
                .join(format!("{}.yaml", case.name));
            files.insert(path, case.render(contract, &constraint));
        }
    }
    let manifest_file = file_name(contract.manifest().file());
    for (field, limit) in contract.manifest().request_limits() {
        for length in boundary_lengths(limit) {
            let path = Path::new(GENERATED_DIR)
                .join("request")
                .join(format!("{}.length-{length}.yaml", field.name()));
            files.insert(path, request_case(&manifest_file, *field, limit, length));
        }
    }
    files
}

/// Writes `files` under `cases_dir`, removing generated files that are no longer generated.
pub fn write(cases_dir: &Path, files: &Generated) -> std::io::Result<()> {
    for difference in differences(cases_dir, files)? {
        if difference.kind == DifferenceKind::Stale {
            std::fs::remove_file(cases_dir.join(&difference.path))?;
        }
    }
    for (path, content) in files {
        let target = cases_dir.join(path);
        if std::fs::read_to_string(&target).ok().as_deref() != Some(content) {
            std::fs::create_dir_all(target.parent().unwrap_or(cases_dir))?;
            std::fs::write(&target, content)?;
        }
    }
    Ok(())
}

/// One way the files on disk differ from what `generate` would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    /// The path under the cases folder.
    pub path: PathBuf,
    /// How it differs.
    pub kind: DifferenceKind,
}

/// How a generated file differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DifferenceKind {
    /// On disk, but no longer generated.
    Stale,
    /// Generated, but not on disk.
    Missing,
    /// On disk with other contents.
    OutOfDate,
}

impl std::fmt::Display for DifferenceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            DifferenceKind::Stale => "no longer generated",
            DifferenceKind::Missing => "missing",
            DifferenceKind::OutOfDate => "out of date",
        })
    }
}

/// How `cases_dir/generated` differs from `files`; empty when up to date.
pub fn differences(cases_dir: &Path, files: &Generated) -> std::io::Result<Vec<Difference>> {
    let mut on_disk = Vec::new();
    let root = cases_dir.join(GENERATED_DIR);
    if root.is_dir() {
        on_disk = crate::yaml::files_under(&root).map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
            std::io::Error::other(lines.join("\n"))
        })?;
    }
    let mut found = Vec::new();
    for path in &on_disk {
        let relative = path.strip_prefix(cases_dir).unwrap_or(path).to_owned();
        if !files.contains_key(&relative) {
            found.push(Difference {
                path: relative,
                kind: DifferenceKind::Stale,
            });
        }
    }
    for (path, content) in files {
        let kind = match std::fs::read_to_string(cases_dir.join(path)) {
            Err(_) => DifferenceKind::Missing,
            Ok(text) if text != *content => DifferenceKind::OutOfDate,
            Ok(_) => continue,
        };
        found.push(Difference {
            path: path.clone(),
            kind,
        });
    }
    found.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

fn file_name(path: &Path) -> String {
    format!(
        "schemas/{}",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    )
}

/// A generated document case, before rendering.
struct DocumentCase {
    name: String,
    description: String,
    edit: Edit,
    invalid: bool,
}

/// The one change made to the schema's example body.
enum Edit {
    /// Put a value.
    Set(JsonPointer, Fill),
    /// Remove the value at this pointer.
    Remove(JsonPointer),
}

impl DocumentCase {
    fn render(&self, contract: &Contract, constraint: &Constraint) -> String {
        let (file, json) = contract
            .schema_source(&constraint.schema)
            .expect("constraints name existing schemas");
        let pointer = concrete(&constraint.own_pattern());
        let limit = constraint
            .rule
            .limit()
            .map(|l| format!(", limit {l}"))
            .unwrap_or_default();
        let header = format!(
            "Source: schema {}, at {}, keyword {}{limit}; body pointer {}.",
            constraint.schema,
            if constraint.location.is_root() {
                "the root"
            } else {
                constraint.location.as_str()
            },
            constraint.rule.keyword(),
            display_pointer(&pointer),
        );
        let (set, remove) = match &self.edit {
            Edit::Set(at, fill) => ([(at.clone(), spanned(fill.clone()))].into(), Vec::new()),
            Edit::Remove(at) => (Default::default(), vec![at.clone()]),
        };
        let reason = self.invalid.then(|| ExpectedViolation {
            keyword: constraint.rule.keyword().to_owned(),
            pointer: match &self.edit {
                Edit::Remove(removed) => removed
                    .split_last()
                    .map(|(parent, _)| parent)
                    .unwrap_or_default(),
                Edit::Set(..) => pointer.clone(),
            },
        });
        let case = CaseFile {
            description: Some(self.description.clone()),
            needs: Vec::new(),
            assumes: Vec::new(),
            request: None,
            document: Some(spanned(DocumentSpec {
                schema: Some(spanned(constraint.schema.clone())),
                status: None,
                body: example(contract, json, 0),
                set,
                remove,
            })),
            expect: spanned(RawExpectation {
                valid: Some(!self.invalid),
                reason,
                ..RawExpectation::default()
            }),
        };
        render(&file_name(file), &header, &case)
    }
}

/// A case file: two comment lines saying where it comes from, then the case.
fn render(source: &str, header: &str, case: &CaseFile) -> String {
    let yaml = serde_saphyr::to_string(case).expect("a case always serializes");
    format!(
        "# Generated by `sms-conformance generate` from {source}: do not edit.\n# {header}\n{yaml}"
    )
}

/// A value as if read from a file, at no place in it.
fn spanned<T>(value: T) -> Spanned<T> {
    Spanned::new(value, Location::UNKNOWN, Location::UNKNOWN)
}

/// The cases at and past a constraint's limit.
fn document_cases(contract: &Contract, constraint: &Constraint) -> Vec<DocumentCase> {
    let pattern = constraint.own_pattern();
    let pointer = concrete(&pattern);
    let shown = display_pointer(&pointer);
    let keyword = constraint.rule.keyword();
    let sized = |count: u64, invalid: bool, what: &str| {
        let count_usize = usize::try_from(count).unwrap_or(usize::MAX);
        let fill = match constraint.rule {
            Rule::MinItems(_) | Rule::MaxItems(_) => Fill {
                items: Some(count_usize),
                of: Some(item_example(contract, constraint).unwrap_or_else(|| json!("x"))),
                ..Fill::default()
            },
            _ => Fill {
                text: Some(count_usize),
                ..Fill::default()
            },
        };
        DocumentCase {
            name: format!("{}.{keyword}-{count}", slug(&pattern)),
            description: format!(
                "{shown} {what}: {}",
                if invalid { "invalid" } else { "valid" }
            ),
            edit: Edit::Set(pointer.clone(), fill),
            invalid,
        }
    };
    let unit = |rule: &Rule| {
        if matches!(rule, Rule::MinItems(_) | Rule::MaxItems(_)) {
            "items"
        } else {
            "characters"
        }
    };
    let json_fill = |json: Json| Fill {
        json: Some(json),
        ..Fill::default()
    };
    match &constraint.rule {
        Rule::MaxLength(max) | Rule::MaxItems(max) => {
            let unit = unit(&constraint.rule);
            vec![
                sized(
                    *max,
                    false,
                    &format!("with {max} {unit}, the most {keyword} allows"),
                ),
                sized(
                    max + 1,
                    true,
                    &format!("with {} {unit}, one past {keyword} {max}", max + 1),
                ),
            ]
        }
        Rule::MinLength(min) | Rule::MinItems(min) => {
            let unit = unit(&constraint.rule);
            let mut cases = vec![sized(
                *min,
                false,
                &format!("with {min} {unit}, the fewest {keyword} allows"),
            )];
            if *min > 0 {
                cases.push(sized(
                    min - 1,
                    true,
                    &format!("with {} {unit}, one under {keyword} {min}", min - 1),
                ));
            }
            cases
        }
        Rule::Type(ty) => vec![DocumentCase {
            name: format!("{}.type", slug(&pattern)),
            description: format!("{shown} that is not of type {ty}: invalid"),
            edit: Edit::Set(pointer.clone(), json_fill(wrong_type(ty))),
            invalid: true,
        }],
        Rule::Required(name) => vec![DocumentCase {
            name: format!("{}.required-{name}", slug(&pattern)),
            description: format!("{shown} without the required `{name}`: invalid"),
            edit: Edit::Remove(pointer.join(name)),
            invalid: true,
        }],
        Rule::Forbidden => vec![DocumentCase {
            name: format!("{}.forbidden", slug(&pattern)),
            description: format!("{shown} present, which this schema does not allow: invalid"),
            edit: Edit::Set(pointer.clone(), json_fill(json!("x"))),
            invalid: true,
        }],
    }
}

/// A value of some other type than `ty`.
fn wrong_type(ty: &str) -> Json {
    match ty {
        "string" => json!(0),
        _ => json!("x"),
    }
}

/// An example item for an array constraint: the example of the array's `items` schema.
fn item_example(contract: &Contract, constraint: &Constraint) -> Option<Json> {
    let (_, schema) = contract.schema_source(&constraint.schema)?;
    let items = constraint.location.get(schema)?.get("items")?;
    Some(example(contract, items, 0))
}

/// The smallest valid example of a schema with every allowed property present, so that
/// every body pointer the schema constrains exists.
fn example(contract: &Contract, schema: &Json, depth: usize) -> Json {
    let Json::Object(map) = schema else {
        return Json::Null;
    };
    if depth > 16 {
        return Json::Null;
    }
    if let Some(target) = map
        .get("$ref")
        .and_then(Json::as_str)
        .and_then(schema_name_of_ref)
        && let Some((_, json)) = contract.schema_source(target)
    {
        return example(contract, json, depth + 1);
    }
    let size = |min: &str, max: &str| {
        let low = map.get(min).and_then(Json::as_u64).unwrap_or(0).max(1);
        map.get(max)
            .and_then(Json::as_u64)
            .map_or(low, |high| low.min(high))
    };
    match map.get("type").and_then(Json::as_str) {
        Some("object") => {
            let properties = map
                .get("properties")
                .and_then(Json::as_object)
                .into_iter()
                .flatten();
            let allowed = properties.filter(|(_, sub)| **sub != Json::Bool(false));
            Json::Object(
                allowed
                    .map(|(name, sub)| (name.clone(), example(contract, sub, depth + 1)))
                    .collect(),
            )
        }
        Some("array") => {
            let item = map
                .get("items")
                .map_or(json!("x"), |items| example(contract, items, depth + 1));
            Json::Array(vec![item; size("minItems", "maxItems") as usize])
        }
        Some("string") => Json::String("x".repeat(size("minLength", "maxLength") as usize)),
        Some("integer" | "number") => json!(0),
        Some("boolean") => json!(false),
        _ => Json::Null,
    }
}

/// A pattern with every [`ANY_INDEX`] made index 0.
fn concrete(pattern: &JsonPointer) -> JsonPointer {
    let mut pointer = JsonPointer::root();
    for segment in pattern.segments() {
        pointer.push(if segment == ANY_INDEX { "0" } else { &segment });
    }
    pointer
}

/// A file-name form of a pattern: `/details/*/error_code` → `details.items.error_code`.
fn slug(pattern: &JsonPointer) -> String {
    if pattern.is_root() {
        return "body".to_owned();
    }
    pattern
        .segments()
        .map(|s| if s == ANY_INDEX { "items".into() } else { s })
        .collect::<Vec<_>>()
        .join(".")
}

fn display_pointer(pointer: &JsonPointer) -> String {
    if pointer.is_root() {
        "the body".to_owned()
    } else {
        format!("`{pointer}`")
    }
}

/// The lengths a limit is tested at: under, at and over each end.
fn boundary_lengths(limit: &RequestLimit) -> Vec<u64> {
    let mut lengths = vec![limit.min_length, limit.max_length, limit.max_length + 1];
    if limit.min_length > 0 {
        lengths.push(limit.min_length - 1);
    }
    lengths.sort_unstable();
    lengths.dedup();
    lengths
}

fn request_case(
    manifest_file: &str,
    field: RequestField,
    limit: &RequestLimit,
    length: u64,
) -> String {
    let (min, max) = (limit.min_length, limit.max_length);
    let allowed = (min..=max).contains(&length);
    let name = field.name();
    let header = format!(
        "Source: request `{name}`, minLength {min} and maxLength {max}; this case: length {length}."
    );
    let description = if allowed {
        format!(
            "A {name} of {length} characters is within {min}..{max}, so it is not refused for its length."
        )
    } else {
        format!(
            "A {name} of {length} characters is outside {min}..{max}: refused with an error body, never 200."
        )
    };
    let generated = Value::Generated {
        unit: "a".to_owned(),
        count: usize::try_from(length).unwrap_or(usize::MAX),
    };
    let variable = |text: &str| Value::Template(Template::parse(text).expect("a known variable"));
    let (task_id, token) = match field {
        RequestField::TaskId => (generated, variable("${token}")),
        RequestField::Token => (variable("${task_id}"), generated),
    };
    let status = if allowed {
        &limit.within
    } else {
        &limit.outside
    };
    let assumes = if allowed {
        &limit.assumes.within
    } else if length < min {
        &limit.assumes.under
    } else {
        &limit.assumes.over
    };
    let case = CaseFile {
        description: Some(description),
        needs: Vec::new(),
        assumes: assumes.iter().cloned().map(spanned).collect(),
        request: Some(RequestSpec {
            method: Method::default(),
            path: PathTemplate(DEFAULT_PATH.to_owned()),
            task_id,
            token: Some(token),
            headers: Default::default(),
        }),
        document: None,
        expect: spanned(RawExpectation {
            status: Some(status.clone()),
            ..RawExpectation::default()
        }),
    };
    render(manifest_file, &header, &case)
}

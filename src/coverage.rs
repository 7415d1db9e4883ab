//! `sms-conformance coverage`: every constraint of the contract and every assumption of the
//! ledger, and the cases that exercise each. What a case exercises is read off what it does (the body it judges, the lengths it
//! sends, the statuses it accepts), not off a label, so removing a case uncovers its
//! constraint.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::case::{Case, CaseKind, Document, Judge, RequestSpec, Value};
use crate::contract::{Constraint, Contract, LEDGER_FILE, MANIFEST_FILE, RequestField, Rule};
use crate::vocab::{JsonPointer, StatusPattern, Variables};

/// One constraint and the cases on each side of its limit.
#[derive(Debug, Clone)]
pub struct Item {
    /// Where it is stated (a file, and a group within it).
    pub group: String,
    /// The constraint, in words.
    pub label: String,
    /// Cases at the limit (allowed), when that side must be exercised.
    pub at: Option<BTreeSet<String>>,
    /// Cases past the limit (refused), when that side must be exercised.
    pub past: Option<BTreeSet<String>>,
}

impl Item {
    fn new(group: String, label: String, at: bool, past: bool) -> Item {
        Item {
            group,
            label,
            at: at.then(BTreeSet::new),
            past: past.then(BTreeSet::new),
        }
    }

    /// Whether every side that must be exercised is.
    pub fn is_covered(&self) -> bool {
        [&self.at, &self.past]
            .into_iter()
            .flatten()
            .all(|cases| !cases.is_empty())
    }
}

/// The coverage of a contract by a set of cases.
#[derive(Debug, Clone)]
pub struct Coverage {
    /// Every constraint, in the contract's order.
    pub items: Vec<Item>,
}

impl Coverage {
    /// Maps `cases` onto the constraints of `contract`.
    pub fn of(contract: &Contract, cases: &[Arc<Case>]) -> Coverage {
        let mut items = Vec::new();
        for constraint in contract.constraints() {
            items.push(schema_item(contract, &constraint, cases));
        }
        let manifest = contract.manifest();
        let manifest_file = manifest.file().display().to_string();
        for (field, limit) in manifest.request_limits() {
            for rule in [
                Rule::MinLength(limit.min_length),
                Rule::MaxLength(limit.max_length),
            ] {
                let bound = rule.limit().unwrap_or_default();
                let (past_possible, outside) = match rule {
                    Rule::MaxLength(_) => (true, bound + 1),
                    _ => (bound > 0, bound.wrapping_sub(1)),
                };
                let group = format!("{manifest_file}: request");
                let mut item = Item::new(
                    group,
                    format!("{} {rule}", field.name()),
                    true,
                    past_possible,
                );
                for case in cases {
                    let CaseKind::Request { request, expect } = &case.kind else {
                        continue;
                    };
                    let Some(length) = static_length(request, *field) else {
                        continue;
                    };
                    // At the limit, a case only counts if it would fail on a refusal: it
                    // accepts nothing the manifest does not allow for an allowed length.
                    if length == bound && expect.status.is_within(&limit.within) {
                        insert(&mut item.at, case);
                    } else if past_possible && length == outside && !expect.status.matches(200) {
                        insert(&mut item.past, case);
                    }
                }
                items.push(item);
            }
        }
        for row in manifest.statuses() {
            let mut item = Item::new(
                format!("{manifest_file}: statuses"),
                format!("status {row}"),
                true,
                false,
            );
            for case in cases {
                let exercised = match &case.kind {
                    CaseKind::Request { expect, .. } => expect
                        .status
                        .patterns()
                        .iter()
                        .any(|p| row_of(contract, *p) == Some(row)),
                    CaseKind::Document(Document {
                        judge: Judge::Status(status),
                        ..
                    }) => manifest.row_for(*status).map(|(p, _)| p) == Some(row),
                    CaseKind::Document(_) => false,
                };
                if exercised {
                    insert(&mut item.at, case);
                }
            }
            items.push(item);
        }
        let every_answer = [format!("Content-Type {}", manifest.content_type())]
            .into_iter()
            .chain(
                manifest
                    .required_headers()
                    .iter()
                    .map(|h| format!("header {h}")),
            );
        for label in every_answer {
            let mut item = Item::new(format!("{manifest_file}: every answer"), label, true, false);
            for case in cases
                .iter()
                .filter(|c| matches!(c.kind, CaseKind::Request { .. }))
            {
                insert(&mut item.at, case);
            }
            items.push(item);
        }
        let ledger_file = manifest_file.replace(MANIFEST_FILE, LEDGER_FILE);
        for (id, _) in contract.ledger().iter() {
            let mut item = Item::new(
                format!("{ledger_file}: assumptions"),
                format!("assumption {id}"),
                true,
                false,
            );
            for case in cases.iter().filter(|c| c.assumes.contains(id)) {
                insert(&mut item.at, case);
            }
            items.push(item);
        }
        Coverage { items }
    }

    /// Whether every constraint is covered.
    pub fn is_complete(&self) -> bool {
        self.items.iter().all(Item::is_covered)
    }
}

fn insert(side: &mut Option<BTreeSet<String>>, case: &Case) {
    if let Some(cases) = side {
        cases.insert(case.id.clone());
    }
}

/// The manifest row a case's status pattern falls in.
fn row_of(contract: &Contract, pattern: StatusPattern) -> Option<StatusPattern> {
    match pattern {
        StatusPattern::Code(code) => contract.manifest().row_for(code).map(|(row, _)| row),
        StatusPattern::Class(_) => contract.manifest().statuses().find(|row| *row == pattern),
    }
}

/// The length a request case gives `field`, when it is known without a target.
fn static_length(request: &RequestSpec, field: RequestField) -> Option<u64> {
    let value: &Value = match field {
        RequestField::TaskId => &request.task_id,
        RequestField::Token => request.token.as_ref()?,
    };
    if !value.variables().is_empty() {
        return None;
    }
    value
        .render(&Variables::default())
        .map(|text| text.chars().count() as u64)
}

fn schema_item(contract: &Contract, constraint: &Constraint, cases: &[Arc<Case>]) -> Item {
    let file = contract
        .schema_source(&constraint.schema)
        .map(|(file, _)| file.display().to_string())
        .unwrap_or_default();
    let place = if constraint.location.is_root() {
        "(root)"
    } else {
        constraint.location.as_str()
    };
    let label = format!("{place} {}", constraint.rule);
    let (at, past) = match constraint.rule {
        Rule::MinLength(min) | Rule::MinItems(min) => (true, min > 0),
        Rule::MaxLength(_) | Rule::MaxItems(_) => (true, true),
        Rule::Type(_) | Rule::Required(_) | Rule::Forbidden => (false, true),
    };
    let mut item = Item::new(file, label, at, past);
    for case in cases {
        let CaseKind::Document(document) = &case.kind else {
            continue;
        };
        let body = document.body();
        let roots: Vec<&str> = match &document.judge {
            Judge::Schema(name) => vec![name.as_str()],
            Judge::Status(status) => contract
                .manifest()
                .schemas_for(*status)
                .unwrap_or_default()
                .iter()
                .map(String::as_str)
                .collect(),
        };
        for root in roots {
            match &document.invalid_because {
                Some(reason)
                    if reason.keyword == constraint.rule.keyword()
                        && constraint.applies_to(root, &reason.pointer) =>
                {
                    let lacks = |name: &str| {
                        reason
                            .pointer
                            .get(&body)
                            .is_some_and(|v| v.get(name).is_none())
                    };
                    if !matches!(&constraint.rule, Rule::Required(name) if !lacks(name)) {
                        insert(&mut item.past, case);
                    }
                }
                None if at_limit(constraint, root, &body) => insert(&mut item.at, case),
                _ => {}
            }
        }
    }
    item
}

/// Whether a valid body puts a value exactly at the constraint's size limit.
fn at_limit(constraint: &Constraint, root: &str, body: &Json) -> bool {
    let Some(limit) = constraint.rule.limit() else {
        return false;
    };
    let mut found = false;
    visit(body, &mut JsonPointer::root(), &mut |pointer, value| {
        let size = match (&constraint.rule, value) {
            (Rule::MinLength(_) | Rule::MaxLength(_), Json::String(text)) => {
                text.chars().count() as u64
            }
            (Rule::MinItems(_) | Rule::MaxItems(_), Json::Array(items)) => items.len() as u64,
            _ => return,
        };
        found |= size == limit && constraint.applies_to(root, pointer);
    });
    found
}

fn visit(value: &Json, pointer: &mut JsonPointer, each: &mut dyn FnMut(&JsonPointer, &Json)) {
    each(pointer, value);
    match value {
        Json::Object(map) => {
            for (key, child) in map {
                pointer.push(key);
                visit(child, pointer, each);
                pointer.pop();
            }
        }
        Json::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointer.push(&index.to_string());
                visit(child, pointer, each);
                pointer.pop();
            }
        }
        _ => {}
    }
}

/// How many case ids a line shows before "(+N more)".
const SHOWN: usize = 3;

fn list(cases: &BTreeSet<String>) -> String {
    if cases.is_empty() {
        return "NONE".to_owned();
    }
    let shown: Vec<&str> = cases.iter().take(SHOWN).map(String::as_str).collect();
    match cases.len().saturating_sub(SHOWN) {
        0 => shown.join(", "),
        more => format!("{} (+{more} more)", shown.join(", ")),
    }
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut group = None;
        for item in &self.items {
            if group != Some(&item.group) {
                writeln!(f, "{}", item.group)?;
                group = Some(&item.group);
            }
            let mark = if item.is_covered() {
                "covered  "
            } else {
                "UNCOVERED"
            };
            write!(f, "  {mark} {}", item.label)?;
            match (&item.at, &item.past) {
                (Some(at), Some(past)) => writeln!(
                    f,
                    "\n      at the limit: {}\n      past it:      {}",
                    list(at),
                    list(past)
                )?,
                (Some(cases), None) | (None, Some(cases)) => {
                    writeln!(f, "\n      by: {}", list(cases))?
                }
                (None, None) => writeln!(f)?,
            }
        }
        let uncovered = self.items.iter().filter(|i| !i.is_covered()).count();
        writeln!(
            f,
            "\n{} constraints: {} covered, {uncovered} uncovered",
            self.items.len(),
            self.items.len() - uncovered
        )
    }
}

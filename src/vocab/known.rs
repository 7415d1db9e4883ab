//! The names the contract defines and case files refer to: schemas and assumptions.

use std::collections::BTreeSet;

/// The names a case or the manifest may use.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Known {
    /// Schema names (a file's name without `.schema.json`); `None` accepts any.
    schemas: Option<BTreeSet<String>>,
    /// Assumption ids of the ledger; `None` accepts any.
    assumptions: Option<BTreeSet<String>>,
}

impl Known {
    /// These schemas and assumptions.
    pub fn new(schemas: BTreeSet<String>, assumptions: BTreeSet<String>) -> Known {
        Known {
            schemas: Some(schemas),
            assumptions: Some(assumptions),
        }
    }

    /// Any name: for reading case files when the contract itself could not be read.
    pub fn anything() -> Known {
        Known {
            schemas: None,
            assumptions: None,
        }
    }

    /// Whether a schema of this name exists.
    pub fn has_schema(&self, name: &str) -> bool {
        self.schemas
            .as_ref()
            .is_none_or(|names| names.contains(name))
    }

    /// Whether the ledger has this assumption.
    pub fn has_assumption(&self, id: &str) -> bool {
        self.assumptions.as_ref().is_none_or(|ids| ids.contains(id))
    }

    /// An error message for an unknown assumption id, listing the known ones.
    pub fn unknown_assumption(&self, id: &str) -> String {
        let known: Vec<&str> = self
            .assumptions
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        if known.is_empty() {
            format!("unknown assumption `{id}` (the schemas folder has no ledger of assumptions)")
        } else {
            format!(
                "unknown assumption `{id}` (the ledger, assumptions.yaml in the schemas folder, has: {})",
                known.join(", ")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_assumption_is_named_with_what_the_ledger_has() {
        let some = Known::new(BTreeSet::new(), ["head".to_owned()].into());
        assert_eq!(
            some.unknown_assumption("haed"),
            "unknown assumption `haed` (the ledger, assumptions.yaml in the schemas folder, has: head)"
        );
        let none = Known::new(BTreeSet::new(), BTreeSet::new());
        assert!(
            none.unknown_assumption("head")
                .ends_with("(the schemas folder has no ledger of assumptions)")
        );
    }
}

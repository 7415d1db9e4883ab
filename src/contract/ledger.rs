//! `schemas/assumptions.yaml`, the assumption ledger: every expected behaviour that no
//! document states, with what the mock does, why, and what a real endpoint might do instead.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::yaml::{self, FileError};

/// One assumption.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Assumption {
    /// What it states.
    pub states: String,
    /// What the mock does by default.
    pub mock: MockChoice,
    /// Why that was chosen.
    pub why: String,
    /// Other readings a real endpoint might show: the fixture setting's value → what it does.
    pub alternatives: BTreeMap<String, String>,
}

/// The mock's default reading of an assumption.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockChoice {
    /// The fixture setting's default value.
    pub value: String,
    /// What the mock answers.
    pub answer: String,
}

/// Every assumption, by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    assumptions: BTreeMap<String, Assumption>,
}

impl Ledger {
    /// Reads the ledger at `file`; a contract without one assumes nothing.
    pub fn load(file: &Path) -> Result<Ledger, FileError> {
        if !file.exists() {
            return Ok(Ledger::default());
        }
        yaml::read(file, |assumptions| Ok(Ledger { assumptions }))
    }

    /// The assumption with this id.
    pub fn get(&self, id: &str) -> Option<&Assumption> {
        self.assumptions.get(id)
    }

    /// Every assumption, by id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Assumption)> {
        self.assumptions.iter().map(|(id, a)| (id.as_str(), a))
    }
}

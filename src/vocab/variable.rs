//! The target variables a case may refer to, and the values a target gives them.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer};
use serde::{Serialize, Serializer};

/// A value the target supplies: a case names it as `${name}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Variable {
    /// A task the token may read (`${task_id}`).
    TaskId,
    /// A token with the `sms:server:getTaskPassphrase` permission (`${token}`).
    Token,
    /// A valid token that lacks the permission (`${forbidden_token}`).
    ForbiddenToken,
}

impl Variable {
    /// Every variable, in the order they are documented.
    pub const ALL: [Variable; 3] = [Variable::TaskId, Variable::Token, Variable::ForbiddenToken];

    /// The name a case uses for it.
    pub fn name(self) -> &'static str {
        match self {
            Variable::TaskId => "task_id",
            Variable::Token => "token",
            Variable::ForbiddenToken => "forbidden_token",
        }
    }

    /// The variable with this name, if there is one.
    pub fn from_name(name: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Whether its value must never be printed.
    pub fn is_secret(self) -> bool {
        matches!(self, Variable::Token | Variable::ForbiddenToken)
    }

    /// Where a user of the command line sets it, for "ignored" reasons.
    pub fn how_to_set(self) -> &'static str {
        match self {
            Variable::TaskId => "--task-id or SMS_TASK_ID",
            Variable::Token => "SMS_TOKEN or --token-file",
            Variable::ForbiddenToken => "SMS_FORBIDDEN_TOKEN or --forbidden-token-file",
        }
    }

    /// The setting naming the IAM user whose token it can be, if it is a token.
    pub fn iam_user_setting(self) -> Option<&'static str> {
        match self {
            Variable::TaskId => None,
            Variable::Token => Some("SMS_IAM_USER"),
            Variable::ForbiddenToken => Some("SMS_IAM_FORBIDDEN_USER"),
        }
    }

    /// The list of known names, for error messages.
    pub fn known_names() -> String {
        Variable::ALL.map(Variable::name).join(", ")
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Variable {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Variable::from_name(&name).ok_or_else(|| {
            de::Error::custom(format!(
                "unknown variable `{name}` (known: {})",
                Variable::known_names()
            ))
        })
    }
}

impl Serialize for Variable {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

/// The values a target gives to the variables; a missing one makes the cases that need it
/// ignored.
#[derive(Debug, Clone, Default)]
pub struct Variables {
    values: BTreeMap<Variable, String>,
}

impl Variables {
    /// Sets a variable's value.
    pub fn set(&mut self, variable: Variable, value: impl Into<String>) {
        self.values.insert(variable, value.into());
    }

    /// The value of a variable, if the target provides it.
    pub fn get(&self, variable: Variable) -> Option<&str> {
        self.values.get(&variable).map(String::as_str)
    }

    /// The values that must be masked in every output.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        self.values
            .iter()
            .filter(|(variable, _)| variable.is_secret())
            .map(|(_, value)| value.as_str())
    }
}

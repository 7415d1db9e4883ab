//! The mock's data: its tasks with their passphrases, and its tokens.

use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::{Assumptions, limits};
use crate::vocab::{Variable, Variables};
use crate::yaml::{self, FileError};

/// The fixture built in, used when no `--fixture` is given.
pub const DEFAULT_FIXTURE: &str = include_str!("default-fixture.yaml");

/// A fixture file as written: entries keep their place for error messages.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixtureFile {
    tasks: Vec<Spanned<Task>>,
    tokens: Vec<Spanned<Token>>,
    #[serde(default)]
    users: Vec<Spanned<User>>,
    #[serde(default)]
    assumptions: Assumptions,
}

/// The mock's tasks and tokens.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// The tasks; the first is the target's `${task_id}`.
    pub tasks: Vec<Task>,
    /// The tokens the mock knows; any other token is refused by the "gateway".
    pub tokens: Vec<Token>,
    /// The IAM users the mock issues tokens to.
    pub users: Vec<User>,
    /// How it answers where the service's behaviour is assumed.
    pub assumptions: Assumptions,
}

/// A migration task.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Task {
    /// The task id (1..36 characters).
    pub id: String,
    /// Its certificate passphrase (0..255 characters).
    pub passphrase: String,
}

/// A token the mock accepts.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Token {
    /// Its name; `token` and `forbidden_token` become the target's variables.
    pub name: String,
    /// The token (1..16,384 characters).
    pub value: String,
    /// Whether it holds `sms:server:getTaskPassphrase`; without it the answer is 403.
    pub permitted: bool,
}

/// An IAM user the mock's `POST /v3/auth/tokens` knows.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    /// The user's name.
    pub name: String,
    /// The password.
    pub password: String,
    /// The account (IAM domain) the user belongs to.
    pub domain: String,
    /// The name of the fixture's token the user is issued.
    pub token: String,
}

impl Fixture {
    /// The built-in fixture.
    pub fn builtin() -> Fixture {
        Fixture::parse(Path::new("<built-in fixture>"), DEFAULT_FIXTURE.as_bytes())
            .expect("the built-in fixture is valid (checked by a test)")
    }

    /// Reads a fixture file.
    pub fn load(file: &Path) -> Result<Fixture, FileError> {
        Fixture::parse(file, &yaml::read_bytes(file)?)
    }

    /// Parses and checks a fixture; errors name the file, and the line of the entry at fault.
    fn parse(file: &Path, bytes: &[u8]) -> Result<Fixture, FileError> {
        yaml::read_then(file, bytes, |raw| Fixture::check(file, raw))
    }

    /// The fixture `raw`, read from `file`, describes, checked.
    fn check(file: &Path, raw: FixtureFile) -> Result<Fixture, FileError> {
        if raw.tasks.is_empty() {
            return Err(FileError::whole(
                file,
                "`tasks` is empty: the mock needs at least one task",
            ));
        }
        for (i, task) in raw.tasks.iter().enumerate() {
            let len = task.value.id.chars().count();
            if !limits::TASK_ID_CHARS.contains(&len) {
                let message = format!(
                    "`tasks[{i}].id` has {len} characters: the API allows {}..{}",
                    limits::TASK_ID_CHARS.start(),
                    limits::TASK_ID_CHARS.end()
                );
                return Err(FileError::at(file, task.referenced, message));
            }
            if task.value.passphrase.chars().count() > limits::PASSPHRASE_MAX_CHARS {
                let message = format!(
                    "`tasks[{i}].passphrase` is over {} characters",
                    limits::PASSPHRASE_MAX_CHARS
                );
                return Err(FileError::at(file, task.referenced, message));
            }
        }
        for (i, token) in raw.tokens.iter().enumerate() {
            let (name, len) = (&token.value.name, token.value.value.len());
            if !limits::TOKEN_LEN.contains(&len) {
                let message = format!(
                    "`tokens[{i}]` ({name}) has {len} characters: the API allows 1..16,384"
                );
                return Err(FileError::at(file, token.referenced, message));
            }
            let repeats = raw.tokens[..i]
                .iter()
                .any(|t| t.value.value == token.value.value || t.value.name == *name);
            if repeats {
                let message =
                    format!("`tokens[{i}]` ({name}) repeats another token's name or value");
                return Err(FileError::at(file, token.referenced, message));
            }
        }
        // The cases send `${token}`: without it the read itself would be ignored, and a run
        // of the mock would pass having read nothing.
        if !raw
            .tokens
            .iter()
            .any(|t| t.value.name == Variable::Token.name())
        {
            return Err(FileError::whole(
                file,
                "`tokens` has no token named `token`: the cases send it (`${token}`), and without it the mock could not be read",
            ));
        }
        for (i, user) in raw.users.iter().enumerate() {
            let (name, token) = (&user.value.name, &user.value.token);
            if !raw.tokens.iter().any(|t| t.value.name == *token) {
                let message =
                    format!("`users[{i}]` ({name}) is issued `{token}`, which no token is called");
                return Err(FileError::at(file, user.referenced, message));
            }
        }
        Ok(Fixture {
            tasks: raw.tasks.into_iter().map(|t| t.value).collect(),
            tokens: raw.tokens.into_iter().map(|t| t.value).collect(),
            users: raw.users.into_iter().map(|u| u.value).collect(),
            assumptions: raw.assumptions,
        })
    }

    /// The task with this id.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|task| task.id == id)
    }

    /// The token with this value.
    pub fn token(&self, value: &[u8]) -> Option<&Token> {
        self.tokens
            .iter()
            .find(|token| token.value.as_bytes() == value)
    }

    /// The target variables it provides: the first task, and the tokens named after variables.
    pub fn variables(&self) -> Variables {
        let mut variables = Variables::default();
        if let Some(task) = self.tasks.first() {
            variables.set(Variable::TaskId, task.id.clone());
        }
        for token in &self.tokens {
            if let Some(variable) = Variable::from_name(&token.name) {
                variables.set(variable, token.value.clone());
            }
        }
        variables
    }

    /// Every value that must never be printed: tokens, passphrases and passwords.
    pub fn secrets(&self) -> impl Iterator<Item = &str> {
        let tokens = self.tokens.iter().map(|t| t.value.as_str());
        let passwords = self.users.iter().map(|u| u.password.as_str());
        tokens
            .chain(self.tasks.iter().map(|t| t.passphrase.as_str()))
            .chain(passwords)
    }
}

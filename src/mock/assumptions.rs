//! The mock's assumed choices as settings: one per entry of the assumption ledger
//! (`schemas/assumptions.yaml`), each defaulting to the ledger's `mock` value. A fixture's
//! `assumptions:` section sets them, so a user aligns the mock with a live endpoint by
//! editing data, not Rust.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Declares a setting: an enum of its values (the first is the default) with their names
/// as the ledger and fixtures write them.
macro_rules! setting {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
        pub enum $name {
            #[default]
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, the default first, as written.
            pub const VALUES: &[&str] = &[$($text),+];
        }
    };
}

setting!(
    /// `empty-token`: how an empty `X-Auth-Token` is answered.
    EmptyToken {
        /// As a missing one: 401 APIGW.0301.
        Missing = "missing",
        /// As a malformed header: 400 APIGW.0201.
        Malformed = "malformed",
    }
);

setting!(
    /// `long-token`: how a token over 16,384 characters is answered.
    LongToken {
        /// 400 APIGW.0201.
        Malformed = "malformed",
        /// As an unknown token: 401 APIGW.0301.
        Unknown = "unknown",
    }
);

setting!(
    /// `two-tokens`: how two `X-Auth-Token` headers are answered.
    TwoTokens {
        /// 400 APIGW.0201.
        Refused = "refused",
        /// The first one is used.
        First = "first",
    }
);

setting!(
    /// `long-task-id`: how a task_id over 36 characters is answered.
    LongTaskId {
        /// 400 SMS.0202.
        Invalid = "invalid",
        /// As an unknown task: 404 SMS.2252.
        NotFound = "not-found",
    }
);

setting!(
    /// `unknown-task`: how a task_id that names no task is answered.
    UnknownTask {
        /// 404 SMS.2252.
        NotFound = "not-found",
        /// As a denied resource: 403 SMS.9004.
        Forbidden = "forbidden",
    }
);

setting!(
    /// `check-order`: the order of the service's checks.
    CheckOrder {
        /// The id's length, the permission, the task.
        LengthPermissionTask = "length-permission-task",
        /// The permission first.
        PermissionLengthTask = "permission-length-task",
        /// The task's existence before the permission.
        LengthTaskPermission = "length-task-permission",
    }
);

setting!(
    /// `query-string`: how an unknown query parameter is answered.
    QueryString {
        /// Ignored.
        Ignored = "ignored",
        /// 400 APIGW.0201.
        Refused = "refused",
    }
);

setting!(
    /// `head`: how HEAD on the path is answered.
    Head {
        /// 404 APIGW.0101.
        NotFound = "not-found",
        /// As the GET, without a body.
        AsGet = "as-get",
    }
);

setting!(
    /// `trailing-slash`: how the path with a trailing slash is answered.
    TrailingSlash {
        /// 404 APIGW.0101.
        NotFound = "not-found",
        /// As the path without it.
        Same = "same",
    }
);

setting!(
    /// `path-case`: whether paths are case-sensitive.
    PathCase {
        /// Exactly as published.
        Sensitive = "sensitive",
        /// In any case.
        Insensitive = "insensitive",
    }
);

setting!(
    /// `empty-task-id`: how an empty task_id segment is answered.
    EmptyTaskId {
        /// 404 APIGW.0101: no route.
        NotFound = "not-found",
        /// 400 SMS.0202: routed, and refused by the service.
        Invalid = "invalid",
    }
);

/// The mock's choice for every assumption of the ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Assumptions {
    /// `empty-token`.
    pub empty_token: EmptyToken,
    /// `long-token`.
    pub long_token: LongToken,
    /// `two-tokens`.
    pub two_tokens: TwoTokens,
    /// `long-task-id`.
    pub long_task_id: LongTaskId,
    /// `unknown-task`.
    pub unknown_task: UnknownTask,
    /// `check-order`.
    pub check_order: CheckOrder,
    /// `query-string`.
    pub query_string: QueryString,
    /// `head`.
    pub head: Head,
    /// `trailing-slash`.
    pub trailing_slash: TrailingSlash,
    /// `path-case`.
    pub path_case: PathCase,
    /// `empty-task-id`.
    pub empty_task_id: EmptyTaskId,
}

impl Assumptions {
    /// Every setting's id and its values (the default first).
    pub fn values() -> BTreeMap<&'static str, &'static [&'static str]> {
        BTreeMap::from([
            ("empty-token", EmptyToken::VALUES),
            ("long-token", LongToken::VALUES),
            ("two-tokens", TwoTokens::VALUES),
            ("long-task-id", LongTaskId::VALUES),
            ("unknown-task", UnknownTask::VALUES),
            ("check-order", CheckOrder::VALUES),
            ("query-string", QueryString::VALUES),
            ("head", Head::VALUES),
            ("trailing-slash", TrailingSlash::VALUES),
            ("path-case", PathCase::VALUES),
            ("empty-task-id", EmptyTaskId::VALUES),
        ])
    }

    /// The settings that differ from the defaults, as `id: value`.
    pub fn changed(&self) -> BTreeMap<String, String> {
        let text = |value: &Self| -> BTreeMap<String, String> {
            serde_json::to_value(value)
                .ok()
                .and_then(|json| serde_json::from_value(json).ok())
                .unwrap_or_default()
        };
        let (mine, defaults) = (text(self), text(&Assumptions::default()));
        mine.into_iter()
            .filter(|(id, value)| defaults.get(id) != Some(value))
            .collect()
    }

    /// These settings with `id` set to `value`; `None` when there is no such setting or value.
    pub fn with(&self, id: &str, value: &str) -> Option<Assumptions> {
        let mut json = serde_json::to_value(self).ok()?;
        let slot = json.get_mut(id)?;
        *slot = serde_json::Value::String(value.to_owned());
        serde_json::from_value(json).ok()
    }
}

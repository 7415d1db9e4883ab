//! The words every part shares: JSON pointers, statuses, header names and the target's
//! variables. Cases, the contract, the mock and the runner all import this module; it
//! imports none of them.

mod header;
mod pointer;
mod status;
mod variable;

pub use header::HeaderName;
pub use pointer::{ANY_INDEX, JsonPointer};
pub use status::{StatusPattern, StatusSet};
pub use variable::{Variable, Variables};

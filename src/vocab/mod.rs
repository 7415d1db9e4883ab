//! The words every part shares: JSON pointers, statuses, header names, the encoding of a
//! path segment, the target's variables, the names the contract defines, and the signals
//! that stop a run or a server. Cases, the contract, the mock and its host, the runner, the
//! reports and the redactor all import this module; it imports none of them.

mod header;
mod known;
mod path;
mod pointer;
mod signal;
mod status;
mod variable;

pub use header::HeaderName;
pub use known::Known;
pub use path::PATH_SEGMENT;
pub use pointer::{ANY_INDEX, JsonPointer};
pub use signal::Signal;
pub use status::{StatusPattern, StatusSet};
pub use variable::{Variable, Variables};

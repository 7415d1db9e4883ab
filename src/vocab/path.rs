//! How a value is written into one segment of a URL's path: the runner sends task ids this
//! way, and the redactor masks secrets in this form too.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// What `quote(task_id, safe='')` leaves alone in the official SDK: RFC 3986's unreserved
/// characters; everything else is percent-encoded (upper-case hex).
pub const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

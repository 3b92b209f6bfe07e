//! Wall-clock timestamps as golive's artifacts write them.

use std::time::SystemTime;

/// RFC 3339 UTC with second precision, as the seeds' artifacts write it.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The current time, RFC 3339.
pub fn now() -> String {
    rfc3339(SystemTime::now())
}

/// The current time, RFC 3339 with milliseconds: for events less than a second apart.
pub fn now_millis() -> String {
    humantime::format_rfc3339_millis(SystemTime::now()).to_string()
}

//! Rendering results: outcome types in, bytes out. `artifact` decides how bytes reach disk.

pub mod artifact;
pub mod gates;
mod stress;
pub mod text;

pub use stress::{RunSettings, StressReport};

/// RFC 3339 UTC with second precision, as the seeds' artifacts write it.
pub fn timestamp(t: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

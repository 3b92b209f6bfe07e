//! Checks: pure judgements of what a target answered (health contract, security
//! headers) or of the environment (provider configuration, required variables).
//! They never do I/O themselves; `probe` fetches what they judge.

pub mod envfile;
pub mod headers;
pub mod health;
pub mod probe;
pub mod providers;
pub mod smoke;

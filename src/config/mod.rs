//! Flags and environment turned into validated, typed plans: one per command, each
//! built by a `from_args` that is unit-tested without running anything. Every problem
//! found here is a usage error (exit 2) whose message names the flag and the fix.
//! The plan types live with the engine that runs them; only their construction from
//! flags lives here, so nothing below `commands/` imports `cli`.

mod canary;
pub mod capacity;
pub mod compare;
pub mod ramp;
pub use canary::canary_target;
mod serve;
mod smoke;
mod stage4;
mod stress;

use std::path::Path;

pub use stress::DEFAULT_REQUESTS;

use crate::cli::ClientArgs;
use crate::http::{ClientOptions, Target};
use crate::output::Dest;
use crate::slo::{Slo, SloError};

/// Environment lookups: the process environment in commands, a map in tests.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The process environment.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no URL: pass one (golive stress http://HOST/PATH) or set API_BASE")]
    NoUrl,
    /// The positional URL: the target error already names it.
    #[error(transparent)]
    Url(crate::http::TargetError),
    /// A URL given by a named flag or variable (not a `source`: the message carries it).
    #[error("{flag}: {why}")]
    Target {
        flag: &'static str,
        why: crate::http::TargetError,
    },
    #[error("invalid --method '{0}'")]
    Method(String),
    #[error(transparent)]
    Header(#[from] crate::http::TemplateError),
    #[error("cannot read {flag} {path}: {why}")]
    File {
        flag: &'static str,
        path: String,
        why: String,
    },
    #[error(transparent)]
    Slo(#[from] SloError),
    #[error("{0}")]
    Invalid(String),
}

/// A URL given by `flag` (named in the error; "URL" is the positional argument).
pub fn target(flag: &'static str, url: &str) -> Result<Target, ConfigError> {
    Target::parse(url).map_err(|why| match flag {
        "URL" => ConfigError::Url(why),
        _ => ConfigError::Target { flag, why },
    })
}

/// SLO expressions, or `default` when none is given.
pub fn parse_slos(exprs: &[String], default: &[&str]) -> Result<Vec<Slo>, SloError> {
    if exprs.is_empty() {
        default.iter().map(|s| Slo::parse(s)).collect()
    } else {
        exprs.iter().map(|s| Slo::parse(s)).collect()
    }
}

pub fn client_options(args: &ClientArgs) -> ClientOptions {
    ClientOptions {
        insecure: args.insecure,
        cacert: args.cacert.clone(),
        http2: args.http2,
        h2_window: args.h2_window,
        ..ClientOptions::default()
    }
}

/// Where a `--json FILE` goes (`-` is stdout).
pub fn dest(path: Option<&Path>) -> Option<Dest> {
    path.map(Dest::parse)
}

/// The health endpoint: the one given (flag or HEALTH_URL) when non-empty, else BASE/health.
pub fn health_url(base: &str, given: Option<&str>) -> String {
    match given.filter(|u| !u.trim().is_empty()) {
        Some(u) => u.to_string(),
        None => format!("{}/health", base.trim_end_matches('/')),
    }
}

#[cfg(test)]
pub(crate) fn env_of(
    pairs: &'static [(&'static str, &'static str)],
) -> impl Fn(&str) -> Option<String> {
    move |k| {
        pairs
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

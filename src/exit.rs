//! Exit codes (part of golive's interface) and the error that carries one to `main`.

use std::process::ExitCode;

use crate::outcome::Outcome;

/// What a golive process exits with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Every check and SLO held.
    Pass = 0,
    /// A check or SLO failed.
    Fail = 1,
    /// Bad usage or input: flags, URLs, durations, SLO expressions, files.
    Usage = 2,
    /// No verdict could be reached: too few samples, or the generator's own lag.
    Inconclusive = 3,
    /// golive itself could not do its job (a port to bind, a file to write).
    Runtime = 4,
    /// A ramp's rollback command failed or timed out: traffic may still reach the
    /// release. `golive ramp --resume` (or `abort`) runs it again.
    RollbackFailed = 5,
    /// Interrupted by Ctrl-C; what was measured is still printed and written.
    Interrupted = 130,
}

impl From<Outcome> for Exit {
    fn from(o: Outcome) -> Exit {
        match o {
            Outcome::Pass => Exit::Pass,
            Outcome::Fail => Exit::Fail,
            Outcome::Inconclusive => Exit::Inconclusive,
            Outcome::Interrupted => Exit::Interrupted,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

/// An error with the exit code it deserves. Printed once, on one line, by `main`.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub error: anyhow::Error,
}

impl Failure {
    pub fn new(exit: Exit, error: impl Into<anyhow::Error>) -> Failure {
        Failure {
            exit,
            error: error.into(),
        }
    }

    pub fn usage(error: impl Into<anyhow::Error>) -> Failure {
        Failure::new(Exit::Usage, error)
    }

    pub fn runtime(error: impl Into<anyhow::Error>) -> Failure {
        Failure::new(Exit::Runtime, error)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // `{:#}` prints the context chain on one line: "writing x: permission denied".
        write!(f, "{:#}", self.error)
    }
}

pub type Result<T> = std::result::Result<T, Failure>;

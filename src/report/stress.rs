//! The `stress` JSON document: settings, results and each SLO's verdict.

use serde::{Deserialize, Serialize};

use crate::measure::Summary;
use crate::slo::{Outcome, Verdict};

/// What `--json` writes. Field names are stable; units are in the names.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StressReport {
    pub golive_version: String,
    /// Always "stress".
    pub command: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    pub finished_at: String,
    /// Ctrl-C stopped the run; results cover what was measured until then.
    pub interrupted: bool,
    /// Why `--abort-on-fail` stopped the run early, if it did.
    pub stopped_early: Option<String>,
    pub settings: RunSettings,
    pub results: Summary,
    pub slos: Vec<Verdict>,
    /// pass, fail or inconclusive.
    pub verdict: Outcome,
    /// Things that make the numbers suspect (saturated generator, late sends, aborts).
    pub warnings: Vec<String>,
}

/// How the run was set up. Header values are never written: they may be secrets.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RunSettings {
    pub url: String,
    pub method: String,
    /// "closed" (concurrency × count/duration) or "open" (constant rate).
    pub model: String,
    pub concurrency: u32,
    pub threads: u32,
    pub requests: Option<u64>,
    pub duration_s: Option<f64>,
    pub rate_rps: Option<f64>,
    pub timeout_ms: u64,
    pub http2: bool,
    pub insecure: bool,
    /// Names of the headers sent.
    pub headers: Vec<String>,
    pub body_bytes: usize,
}

//! `golive capacity`: the highest rate a release sustains within its SLOs. Steady
//! fixed-rate steps, an exponential probe from a start rate, then bisection between the
//! last passing and the first failing rate until they are within the precision; the
//! passing bound is then repeated. A step is judged on its seconds after a warm-up, in
//! sub-windows (a sustained breach fails it, one bad sub-window does not), and a step
//! that golive itself could not send as planned is invalid, not a failure.

mod card;
mod judge;
mod run;
mod search;
pub mod usl;
pub mod versus;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use card::Card;
pub use judge::{judge_step, StepRules};
pub use run::{search, sweep, CapacityError, CapacityPlan};
pub use search::{Next, Search};

/// The most connections the search grows to when they, not the target, are the limit.
pub const MAX_CONNECTIONS: u32 = 1000;

/// How a step ended.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// The SLOs held in enough sub-windows.
    Pass,
    /// A sustained breach on the target's account.
    Fail,
    /// golive could not send the step as planned (its own lateness, or its connections
    /// were the limit while the target's service time held): says nothing of the target.
    Invalid,
}

impl StepOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            StepOutcome::Pass => "PASS",
            StepOutcome::Fail => "FAIL",
            StepOutcome::Invalid => "INVALID",
        }
    }
}

/// One fixed-rate step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StepRecord {
    /// Planned requests per second (0 in a concurrency sweep: the closed loop plans none).
    pub rate: f64,
    pub connections: u32,
    /// Its part in the search: probe, bisect or repeat.
    pub phase: String,
    pub outcome: StepOutcome,
    /// Responses per second after the warm-up.
    pub achieved_rps: f64,
    /// Corrected latency after the warm-up (ms).
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Service time (from the actual send) over the whole step (ms).
    pub service_p99_ms: Option<f64>,
    /// Sub-windows whose SLOs held, of how many.
    pub windows_passed: u32,
    pub windows: u32,
    /// The SLOs that failed in a sub-window, each once.
    pub breached: Vec<String>,
    /// Why the step is not a pass, one line.
    pub why: Option<String>,
    /// Invalid because golive's connections, not the target, were the limit: more
    /// connections may judge it.
    #[serde(skip)]
    pub connections_limited: bool,
    /// The step's success latencies after the warm-up (HdrHistogram, base64), for the
    /// report's overlay of percentile curves.
    pub histogram: String,
}

/// What limited the search.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Limit {
    /// The target: a rate above the maximum failed its SLOs.
    Target { binding_slo: String },
    /// golive could not send the rate (lateness or connections): the target may do more.
    Generator { why: String },
    /// `--max-rate` passed: the target may do more.
    MaxRate,
    /// `--max-duration` ran out before the search closed.
    MaxDuration,
    /// Ctrl-C: what was found so far.
    Interrupted,
    /// `--concurrency-steps`: every concurrency was run (closed loop); the maximum is
    /// the highest throughput a step achieved within the SLOs.
    Concurrency,
}

/// The maximum sustainable rate with the interval it lies in.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Found {
    /// The highest rate that passed, every time it was run.
    pub max_rps: f64,
    /// The interval: it passed at `low`; the target failed at `high` (absent when no
    /// rate failed on the target's account).
    pub low: f64,
    pub high: Option<f64>,
    /// How often the maximum was run and passed.
    pub confirmed: u32,
}

/// What `golive capacity --json` writes after the envelope.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CapacityRun {
    pub url: String,
    pub slos: Vec<String>,
    pub step_s: f64,
    pub warmup_s: f64,
    pub precision_pct: f64,
    pub steps: Vec<StepRecord>,
    /// `null` when no rate passed.
    pub found: Option<Found>,
    pub limit: Limit,
    /// The answer in one sentence.
    pub said: String,
    /// `--concurrency-steps`: the Universal Scalability Law fitted to the steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usl: Option<usl::UslFit>,
}

impl StepRecord {
    /// How the step is named: its rate, or its connections in a concurrency sweep.
    pub fn label(&self) -> String {
        match self.phase.as_str() {
            "concurrency" if self.connections == 1 => "1 connection".into(),
            "concurrency" => format!("{} connections", self.connections),
            _ => format!("{:.0} req/s {}", self.rate, self.phase),
        }
    }
}

pub type CapacityReport = crate::outcome::Document<CapacityRun>;

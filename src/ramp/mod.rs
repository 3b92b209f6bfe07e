//! `golive ramp`: carry a release from a few percent of traffic to all of it, judging
//! each step by windows of synthetic load, the service's own metrics and guards, and
//! rolling back (or pausing) on a breach. Durable: a state file journals every step.

pub mod decide;
pub mod event;
pub mod exposition;
pub mod metrics;
pub mod plan;
pub mod run;
pub mod shell;
pub mod state;
pub mod window;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::outcome::Document;

pub use event::{Event, EventKind};
pub use plan::{parse_steps, Commands, Direct, Limits, MetricsPlan, OnFail, RampPlan, Step};
pub use run::{abort, run, Ended};
pub use state::{Journal, Phase, RampState};

/// The plan a ramp ran, as its report shows it (commands as written; header values
/// never: they are not part of the plan's text).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct PlanSummary {
    pub steps: Vec<Step>,
    pub interval_s: f64,
    pub warmup_s: f64,
    /// The windows' synthetic load.
    pub window_rate_rps: f64,
    pub window_concurrency: u32,
    /// The rollback criteria each window is judged by.
    pub slos: Vec<String>,
    /// The pre-gate's SLOs; `null` when the pre-gate was skipped.
    pub pre_gate_slos: Option<Vec<String>>,
    /// The service's metrics endpoint, when it was judged too.
    pub metrics_url: Option<String>,
    /// `--baseline-metrics`: the release the canary's metrics were compared with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_metrics_url: Option<String>,
    /// `--canary`: the URL the windows loaded instead of the front URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary_url: Option<String>,
    /// `--baseline`: the release the canary was compared with, each window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_url: Option<String>,
    pub set_weight: String,
    pub rollback: String,
    pub guards: Vec<String>,
    pub on_event_hooks: usize,
    pub command_timeout_s: f64,
    pub on_fail: OnFail,
    pub pause_before: Vec<u32>,
    pub failure_limit: Option<u32>,
    pub consecutive_failures: Option<u32>,
    pub error_limit: u32,
}

impl RampPlan {
    pub fn summary(&self) -> PlanSummary {
        PlanSummary {
            steps: self.steps.clone(),
            interval_s: self.interval.as_secs_f64(),
            warmup_s: self.warmup.as_secs_f64(),
            window_rate_rps: self.sample.load.rate.unwrap_or(0.0),
            window_concurrency: self.sample.load.concurrency,
            slos: self.sample.slos.iter().map(|s| s.to_string()).collect(),
            pre_gate_slos: self
                .pre
                .as_ref()
                .map(|p| p.slos.iter().map(|s| s.to_string()).collect()),
            metrics_url: self.metrics.as_ref().map(|m| m.target.uri.to_string()),
            baseline_metrics_url: self
                .metrics
                .as_ref()
                .and_then(|m| m.baseline.as_ref())
                .map(|b| b.uri.to_string()),
            canary_url: self
                .direct
                .as_ref()
                .map(|d| d.canary.target.uri.to_string()),
            baseline_url: self
                .direct
                .as_ref()
                .and_then(|d| d.baseline.as_ref())
                .map(|b| b.target.uri.to_string()),
            set_weight: self.commands.set_weight.clone(),
            rollback: self.commands.rollback_cmd(),
            guards: self.commands.guards.clone(),
            on_event_hooks: self.commands.on_event.len(),
            command_timeout_s: self.commands.timeout.as_secs_f64(),
            on_fail: self.on_fail,
            pause_before: self.pause_before.clone(),
            failure_limit: self.limits.failure_limit,
            consecutive_failures: self.limits.consecutive_failures,
            error_limit: self.limits.error_limit,
        }
    }
}

/// What `--json` writes after the envelope.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RampRun {
    pub url: String,
    pub revision: Option<String>,
    pub state_file: Option<String>,
    /// The plan it ran (absent in results written before it was recorded).
    #[serde(default)]
    pub plan: Option<PlanSummary>,
    /// Why the ramp ended as it did, one line.
    pub why: String,
    pub timeline: Vec<Event>,
}

impl RampRun {
    /// Every judged window, in order.
    pub fn windows(&self) -> Vec<window::WindowRecord> {
        self.timeline
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::Window(w) => Some(w.clone()),
                _ => None,
            })
            .collect()
    }
}

pub type RampReport = Document<RampRun>;

//! `golive ramp`: carry a release from a few percent of traffic to all of it, judging
//! each step by windows of synthetic load, the service's own metrics and guards, and
//! rolling back (or pausing) on a breach. Durable: a state file journals every step.

pub mod decide;
pub mod event;
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
pub use plan::{parse_steps, Commands, Limits, MetricsPlan, OnFail, RampPlan, Step};
pub use run::{abort, run, Ended};
pub use state::{Journal, Phase, RampState};

/// What `--json` writes after the envelope.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RampRun {
    pub url: String,
    pub revision: Option<String>,
    pub state_file: Option<String>,
    /// Why the ramp ended as it did, one line.
    pub why: String,
    pub timeline: Vec<Event>,
}

pub type RampReport = Document<RampRun>;

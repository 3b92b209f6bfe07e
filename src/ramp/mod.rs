//! `golive ramp`: carry a release from a few percent of traffic to all of it, judging
//! each step by windows of synthetic load, the service's own metrics and guards, and
//! rolling back (or pausing) on a breach. Durable: a state file journals every step.

pub mod event;
pub mod metrics;
pub mod plan;
pub mod run;
pub mod shell;
pub mod state;
pub mod window;

pub use event::{Event, EventKind};
pub use plan::{parse_steps, Commands, Limits, MetricsPlan, OnFail, RampPlan, Step};
pub use run::{run, Ended};
pub use state::{Journal, Phase, RampState};

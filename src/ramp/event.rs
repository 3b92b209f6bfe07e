//! What happens during a ramp, as events: journaled in the state file, written to
//! `--json`, printed as lines and handed to `--on-event` hooks as JSON on stdin.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::shell::CmdResult;
use super::window::WindowRecord;
use crate::outcome::Outcome;
use crate::slo::Verdict;

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Event {
    /// RFC 3339, UTC.
    pub at: String,
    #[serde(flatten)]
    pub kind: EventKind,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum EventKind {
    Started {
        revision: Option<String>,
        resumed: bool,
    },
    PreGate {
        outcome: Outcome,
        skipped: bool,
        slos: Vec<Verdict>,
        reasons: Vec<String>,
        requests: u64,
    },
    StepStarted {
        step: usize,
        weight: u32,
        hold_s: f64,
        /// Less than `hold_s` when a resumed ramp picks up mid-step.
        remaining_s: f64,
        set_weight: CmdResult,
    },
    Window(WindowRecord),
    Promoted {
        step: usize,
        weight: u32,
        passing_windows: u32,
    },
    Paused {
        step: usize,
        weight: u32,
        /// The pause's id: `golive ramp approve` answers this one (0 in results
        /// written before pauses had ids).
        #[serde(default)]
        pause: u32,
        why: String,
    },
    Approved {
        step: usize,
        #[serde(default)]
        pause: u32,
    },
    /// `golive ramp abort` was heard: the ramp rolls back at once.
    Aborted {
        step: Option<usize>,
        /// What the ramp was doing when the abort came.
        #[serde(default)]
        during: String,
    },
    /// The rollback is about to run (journaled before it does).
    RollingBack {
        step: Option<usize>,
        /// The weight last known to be in force (`null`: none was set).
        weight: Option<u32>,
        why: String,
    },
    RolledBack {
        step: Option<usize>,
        weight: Option<u32>,
        why: String,
        rollback: CmdResult,
    },
    /// The rollback command failed or timed out: traffic may still reach the release.
    RollbackFailed {
        step: Option<usize>,
        weight: Option<u32>,
        why: String,
        rollback: CmdResult,
    },
    Interrupted {
        step: Option<usize>,
        /// The weight as far as golive knows it, in words.
        #[serde(default)]
        weight: String,
    },
    /// The journal could not be written; the ramp stopped.
    JournalFailed {
        why: String,
    },
    Finished {
        outcome: Outcome,
        why: String,
    },
}

impl Event {
    pub fn now(kind: EventKind) -> Event {
        Event {
            at: crate::time::now_millis(),
            kind,
        }
    }
}

//! The state file: a journal of the ramp (its plan, where it is, every event, the
//! approvals), rewritten atomically (write, fsync, rename) at every change, so that a
//! crash, a reboot or Ctrl-C loses at most the window in progress.
//!
//! Two lock files sit beside it: `FILE.lock`, held by the one ramp that runs on it,
//! and `FILE.wlock`, held for each read-modify-write, so that `golive ramp approve`
//! can write while a ramp waits.

use std::fs::File;
use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::event::Event;
use super::plan::Step;

pub const FORMAT: &str = "golive-ramp-state";
pub const VERSION: u32 = 1;

/// Where the ramp is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    PreGate,
    Stepping,
    Paused,
    /// Ended: promoted to the last step.
    Promoted,
    /// Ended: rolled back (or the pre-gate failed: nothing was touched).
    RolledBack,
    PreGateFailed,
    /// Ended without a verdict (errors, too few conclusive windows).
    Inconclusive,
}

impl Phase {
    pub fn is_over(self) -> bool {
        matches!(
            self,
            Phase::Promoted | Phase::RolledBack | Phase::PreGateFailed | Phase::Inconclusive
        )
    }
}

/// Progress within the current step, enough to resume it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StepProgress {
    /// Seconds of the hold already judged (windows that completed).
    pub held_s: f64,
    pub windows: u32,
    pub passes: u32,
    pub failures: u32,
    pub consecutive_failures: u32,
    pub errors: u32,
    /// A `--pause-before` gate for this step was approved.
    pub approved: bool,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Approve,
    Abort,
}

/// An approval or abort, written by `golive ramp approve|abort`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Control {
    pub action: Action,
    pub at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RampState {
    pub format: String,
    pub version: u32,
    pub revision: Option<String>,
    /// The ramp's command line, without header values or tokens (those are given
    /// again on resume): the plan is rebuilt from it.
    pub argv: Vec<String>,
    /// Header names sent (values are never written).
    pub header_names: Vec<String>,
    pub steps: Vec<Step>,
    pub phase: Phase,
    /// Index into `steps` of the current step.
    pub step: usize,
    pub progress: StepProgress,
    /// How many entries of `control` the ramp has acted on.
    pub control_seen: usize,
    pub control: Vec<Control>,
    pub timeline: Vec<Event>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the state file {path}: {why}")]
    Read { path: String, why: String },
    #[error("{path} is not a golive ramp state file ({why}); nothing was run. Give another --state, or remove it if it is yours")]
    Foreign { path: String, why: String },
    #[error("another ramp is running on {path} (its lock {lock} is held); nothing was run")]
    Locked { path: String, lock: String },
    #[error("cannot write the state file {path}: {why}")]
    Write { path: String, why: String },
}

fn sidecar(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

fn open_lock(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
}

/// Reads a state file; `Ok(None)` when there is none.
pub fn read(path: &Path) -> Result<Option<RampState>, StateError> {
    let text = match std::fs::read(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StateError::Read {
                path: path.display().to_string(),
                why: e.to_string(),
            })
        }
    };
    let foreign = |why: String| StateError::Foreign {
        path: path.display().to_string(),
        why,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| foreign(format!("not JSON: {e}")))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(foreign(format!("no \"format\": \"{FORMAT}\"")));
    }
    let version = value.get("version").and_then(|v| v.as_u64());
    if version != Some(VERSION as u64) {
        return Err(foreign(format!(
            "version {version:?}, this golive reads {VERSION}"
        )));
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| foreign(format!("damaged: {e}")))
}

/// Applies `change` to the file under the write lock (for approve and abort).
pub fn update(path: &Path, change: impl FnOnce(&mut RampState)) -> Result<RampState, StateError> {
    let wlock = write_lock(path)?;
    let mut state = read(path)?.ok_or_else(|| StateError::Read {
        path: path.display().to_string(),
        why: "no such file".into(),
    })?;
    change(&mut state);
    state.updated_at = crate::time::now();
    write(path, &state)?;
    drop(wlock);
    Ok(state)
}

fn write_lock(path: &Path) -> Result<File, StateError> {
    let err = |e: std::io::Error| StateError::Write {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    let f = open_lock(&sidecar(path, ".wlock")).map_err(err)?;
    f.lock().map_err(err)?;
    Ok(f)
}

fn write(path: &Path, state: &RampState) -> Result<(), StateError> {
    crate::output::file::write(path, &crate::output::file::json_bytes(state)).map_err(|e| {
        StateError::Write {
            path: path.display().to_string(),
            why: format!("{e:#}"),
        }
    })
}

/// The running ramp's state, and its hold on the state file when there is one
/// (without `--state` the journal lives in memory only and cannot be resumed).
pub struct Journal {
    path: Option<PathBuf>,
    _run_lock: Option<File>,
    pub state: RampState,
}

impl Journal {
    /// Takes the run lock; refuses when another ramp holds it.
    pub fn lock(path: &Path, state: RampState) -> Result<Journal, StateError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| StateError::Write {
                path: path.display().to_string(),
                why: e.to_string(),
            })?;
        }
        let lock_path = sidecar(path, ".lock");
        let lock = open_lock(&lock_path).map_err(|e| StateError::Write {
            path: lock_path.display().to_string(),
            why: e.to_string(),
        })?;
        if lock.try_lock().is_err() {
            return Err(StateError::Locked {
                path: path.display().to_string(),
                lock: lock_path.display().to_string(),
            });
        }
        Ok(Journal {
            path: Some(path.to_path_buf()),
            _run_lock: Some(lock),
            state,
        })
    }

    pub fn in_memory(state: RampState) -> Journal {
        Journal {
            path: None,
            _run_lock: None,
            state,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes the state, keeping approvals another process added meanwhile.
    pub fn save(&mut self) -> Result<(), StateError> {
        self.state.updated_at = crate::time::now();
        let Some(path) = &self.path else {
            return Ok(());
        };
        let wlock = write_lock(path)?;
        if let Ok(Some(on_disk)) = read(path) {
            if on_disk.control.len() > self.state.control.len() {
                self.state.control = on_disk.control;
            }
        }
        write(path, &self.state)?;
        drop(wlock);
        Ok(())
    }

    /// Re-reads approvals and aborts written by other processes.
    pub fn poll_control(&mut self) -> Option<Action> {
        if let Some(Ok(Some(on_disk))) = self.path.as_deref().map(read) {
            if on_disk.control.len() > self.state.control.len() {
                self.state.control = on_disk.control;
            }
        }
        let next = self.state.control.get(self.state.control_seen)?.action;
        self.state.control_seen += 1;
        Some(next)
    }
}

/// A new state for a ramp about to start.
pub fn fresh(
    argv: Vec<String>,
    header_names: Vec<String>,
    steps: Vec<Step>,
    revision: Option<String>,
) -> RampState {
    let now = crate::time::now();
    RampState {
        format: FORMAT.into(),
        version: VERSION,
        revision,
        argv,
        header_names,
        steps,
        phase: Phase::PreGate,
        step: 0,
        progress: StepProgress::default(),
        control_seen: 0,
        control: Vec::new(),
        timeline: Vec::new(),
        created_at: now.clone(),
        updated_at: now,
    }
}

//! The state file: the ramp's journal (its plan, where it is, the weight it knows, the
//! action under way, every event, the approvals), rewritten atomically (write, fsync,
//! rename) at every change, so that a crash, a reboot or Ctrl-C loses at most the
//! window in progress. Every action that changes traffic is written as an *intent*
//! before it runs and cleared after, so a resumed ramp finishes what was under way
//! instead of judging again.
//!
//! Two lock files sit beside it: `FILE.lock`, held by the one process that drives the
//! ramp (a running ramp, or `golive ramp abort` rolling back a ramp nobody runs), and
//! `FILE.wlock`, held for each read-modify-write, so that `golive ramp approve|abort`
//! can write while a ramp waits. The journal is the one file the engine writes itself
//! (through `output::file`): it must be on disk before the action it records.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::event::Event;
use super::plan::Step;
use crate::output::lock::{self, Held};

pub const FORMAT: &str = "golive-ramp-state";
pub const VERSION: u32 = 2;

/// Where the ramp is.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    PreGate,
    Stepping,
    Paused,
    /// A rollback was started (its intent is journaled) and has not finished.
    RollingBack,
    /// The rollback command failed or timed out: traffic may still reach the release.
    /// Not over: `--resume` and `golive ramp abort` run the rollback again.
    RollbackFailed,
    /// Ended: promoted to the last step.
    Promoted,
    /// Ended: rolled back to 0%.
    RolledBack,
    /// Ended: the pre-gate failed; nothing was touched.
    PreGateFailed,
    /// Ended without a verdict (errors, too few conclusive windows); the weight left.
    Inconclusive,
}

impl Phase {
    pub fn is_over(self) -> bool {
        matches!(
            self,
            Phase::Promoted | Phase::RolledBack | Phase::PreGateFailed | Phase::Inconclusive
        )
    }

    /// In words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            Phase::PreGate => "running the pre-gate",
            Phase::Stepping => "judging windows",
            Phase::Paused => "paused, waiting for approve or abort",
            Phase::RollingBack => "rolling back (the rollback did not finish)",
            Phase::RollbackFailed => "ROLLBACK FAILED (traffic may still reach the release)",
            Phase::Promoted => "promoted",
            Phase::RolledBack => "rolled back",
            Phase::PreGateFailed => "stopped: the pre-gate failed, nothing was touched",
            Phase::Inconclusive => "stopped inconclusive, the weight left as it was",
        }
    }
}

/// Progress within the current step, enough to resume it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StepProgress {
    /// Seconds of the step already spent (warm-up and completed windows).
    pub held_s: f64,
    pub windows: u32,
    pub passes: u32,
    pub failures: u32,
    pub consecutive_failures: u32,
    pub errors: u32,
    /// A `--pause-before` gate for this step was approved.
    pub approved: bool,
}

/// An action that changes traffic, written before it runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Intent {
    /// The set-weight command for this step is (or was, when golive died) running.
    SetWeight {
        step: usize,
        weight: u32,
        at: String,
    },
    /// The rollback command is (or was) running, for this reason.
    Rollback { why: String, at: String },
}

/// Why a ramp waits.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PauseKind {
    /// `--pause-before WEIGHT`: approval lets the step start.
    BeforeStep,
    /// `--on-fail pause`: approval judges the step again from its start.
    AfterFailure,
}

/// The pause in force: an approval answers this one, by its id.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Pause {
    /// 1, 2, … in the order the ramp paused.
    pub id: u32,
    pub step: usize,
    pub weight: u32,
    pub kind: PauseKind,
    pub why: String,
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
    /// The pause an approval answers (an abort answers none: it stops the ramp
    /// whatever it is doing).
    #[serde(default)]
    pub pause: Option<u32>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RampState {
    pub format: String,
    pub version: u32,
    /// This ramp's identity: approvals written for another ramp in the same file (one
    /// that ended, then was restarted) are never merged into this one.
    pub id: String,
    pub revision: Option<String>,
    /// The ramp's flags as the command resolved them, with secrets redacted by type
    /// (header values, the token): what a resume rebuilds the plan from.
    pub plan: serde_json::Value,
    /// Header names sent (values are never written; given again on resume).
    pub header_names: Vec<String>,
    pub steps: Vec<Step>,
    pub phase: Phase,
    /// Index into `steps` of the current step.
    pub step: usize,
    pub progress: StepProgress,
    /// The weight the last successful set-weight (or rollback: 0) put in force;
    /// `null` before the ramp changed anything.
    pub weight: Option<u32>,
    /// The action under way, if any.
    pub intent: Option<Intent>,
    /// The pause in force, when the phase is `paused`.
    pub pause: Option<Pause>,
    /// Pauses so far (the next one's id is this plus one).
    pub pauses: u32,
    /// How many entries of `control` the ramp has acted on.
    pub control_seen: usize,
    pub control: Vec<Control>,
    pub timeline: Vec<Event>,
    pub created_at: String,
    pub updated_at: String,
}

impl RampState {
    /// The weight in words: what is known, including an action cut short.
    pub fn weight_words(&self) -> String {
        let known = match self.weight {
            Some(w) => format!("{w}%"),
            None => "as it was before the ramp (no weight was set)".into(),
        };
        match &self.intent {
            Some(Intent::SetWeight { weight, .. }) if Some(*weight) != self.weight => {
                format!(
                    "{known} or {weight}% (the set-weight command for {weight}% did not finish)"
                )
            }
            Some(Intent::Rollback { .. }) => {
                format!("{known} or 0% (the rollback command did not finish)")
            }
            _ => known,
        }
    }

    /// What is wrong with a state that parsed but cannot be acted on (a damaged or
    /// hand-edited file): nothing golive does may index past a list or wait forever.
    pub fn check(&self) -> Result<(), String> {
        if self.steps.is_empty() {
            return Err("it has no steps".into());
        }
        if self.steps.windows(2).any(|w| w[0].weight >= w[1].weight)
            || self
                .steps
                .iter()
                .any(|s| s.weight > 100 || s.hold.is_zero())
        {
            return Err("its steps do not rise from 0 to 100 with holds above zero".into());
        }
        if self.step >= self.steps.len() {
            return Err(format!(
                "its step {} is past its {} steps",
                self.step.saturating_add(1),
                self.steps.len()
            ));
        }
        if self.control_seen > self.control.len() {
            return Err(format!(
                "it has acted on {} approvals of {}",
                self.control_seen,
                self.control.len()
            ));
        }
        if self.weight.is_some_and(|w| w > 100) {
            return Err("its weight is above 100%".into());
        }
        if let Some(Intent::SetWeight { step, weight, .. }) = &self.intent {
            if self.steps.get(*step).map(|s| s.weight) != Some(*weight) {
                return Err("its set-weight intent names no step of the plan".into());
            }
        }
        match (&self.phase, &self.pause) {
            (Phase::Paused, None) => return Err("it is paused with no pause recorded".into()),
            (Phase::Paused, Some(p)) if p.id == 0 || p.id > self.pauses || p.step != self.step => {
                return Err("its pause does not match its step".into())
            }
            _ => {}
        }
        let p = &self.progress;
        // Bounds no real ramp comes near, so that no count or duration can overflow.
        const MANY: u32 = 10_000_000;
        if !(0.0..1e9).contains(&p.held_s) {
            return Err("its progress holds a negative or impossible time".into());
        }
        if [
            p.windows,
            p.passes,
            p.failures,
            p.consecutive_failures,
            p.errors,
            self.pauses,
        ]
        .iter()
        .any(|n| *n > MANY)
        {
            return Err("its counts are impossibly large".into());
        }
        if u64::from(p.passes) + u64::from(p.failures) + u64::from(p.errors) > u64::from(p.windows)
        {
            return Err("its progress counts more verdicts than windows".into());
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the state file {path}: {why}")]
    Read { path: String, why: String },
    #[error("{path} is not a golive ramp state file ({why}); nothing was run. Give another --state, or remove it if it is yours")]
    Foreign { path: String, why: String },
    #[error("{path} is damaged ({why}); nothing was run and the file was left as it is. `golive ramp status --state {path}` shows what it holds; finish by hand, or start over with --restart")]
    Damaged { path: String, why: String },
    #[error(
        "another golive is driving the ramp in {path} (its lock {lock} is held); nothing was run"
    )]
    Locked { path: String, lock: String },
    #[error("cannot write the state file {path}: {why}")]
    Write { path: String, why: String },
}

pub fn sidecar(path: &Path, ext: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(ext);
    PathBuf::from(s)
}

/// The lock held by whoever drives the ramp in `path`.
pub fn run_lock_path(path: &Path) -> PathBuf {
    sidecar(path, ".lock")
}

/// Reads a state file; `Ok(None)` when there is none. A file that parses but cannot
/// be acted on is [`StateError::Damaged`].
pub fn read(path: &Path) -> Result<Option<RampState>, StateError> {
    let text = match crate::input::read(path, crate::input::STATE) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(StateError::Read {
                path: path.display().to_string(),
                why: e.to_string(),
            })
        }
    };
    let shown = path.display().to_string();
    let foreign = |why: String| StateError::Foreign {
        path: shown.clone(),
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
            "version {}, this golive reads {VERSION}: finish that ramp with the golive that started it, or --restart",
            version.map_or("(none)".to_string(), |v| v.to_string())
        )));
    }
    let state: RampState = serde_json::from_value(value).map_err(|e| StateError::Damaged {
        path: shown.clone(),
        why: e.to_string(),
    })?;
    state
        .check()
        .map_err(|why| StateError::Damaged { path: shown, why })?;
    Ok(Some(state))
}

fn write_err(path: &Path, why: impl std::fmt::Display) -> StateError {
    StateError::Write {
        path: path.display().to_string(),
        why: why.to_string(),
    }
}

/// The read-modify-write lock (waits for it: it is held for milliseconds).
fn write_lock(path: &Path) -> Result<Held, StateError> {
    let wlock = sidecar(path, ".wlock");
    lock::exclusive(&wlock, std::time::Duration::from_secs(10))
        .map_err(|e| write_err(&wlock, e))?
        .ok_or_else(|| write_err(&wlock, "its write lock stayed held for 10 s"))
}

/// Which write of the file is on disk: inode, modification time (ns) and size. Every
/// write replaces the file (a new inode, a new time), so another process's write shows
/// as another stamp; an inode number alone could come back after a rename.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Stamp(u64, i64, i64, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some(Stamp(m.ino(), m.mtime(), m.mtime_nsec(), m.size()))
}

fn write(path: &Path, state: &RampState) -> Result<Stamp, StateError> {
    crate::output::file::write(path, &crate::output::file::json_bytes(state))
        .map_err(|e| write_err(path, format!("{e:#}")))?;
    stamp(path).ok_or_else(|| write_err(path, "it vanished after it was written"))
}

/// Applies `change` to the file under the write lock (for approve and abort): the
/// change sees the state as it is on disk, and may refuse (nothing is then written).
pub fn update<T>(
    path: &Path,
    change: impl FnOnce(&mut RampState) -> Result<T, String>,
) -> Result<Result<(T, RampState), String>, StateError> {
    let wlock = write_lock(path)?;
    let mut state = read(path)?.ok_or_else(|| StateError::Read {
        path: path.display().to_string(),
        why: "no such file".into(),
    })?;
    let answer = match change(&mut state) {
        Ok(a) => a,
        Err(refused) => return Ok(Err(refused)),
    };
    state.updated_at = crate::time::now();
    write(path, &state)?;
    drop(wlock);
    Ok(Ok((answer, state)))
}

/// The driven ramp's state, and its hold on the state file when there is one
/// (without `--state` the journal lives in memory only and cannot be resumed).
pub struct Journal {
    path: Option<PathBuf>,
    _run_lock: Option<Held>,
    /// The file as this process last wrote it: another stamp means another process
    /// wrote it (an approve or abort).
    written: Arc<Mutex<Stamp>>,
    /// The stamp last read for approvals (not re-read until it changes again).
    checked: Stamp,
    /// Set when an abort reached the state by any way (a merge on save, a poll), for
    /// the watcher that stops the ramp.
    abort_heard: Arc<AtomicBool>,
    pub state: RampState,
}

impl Journal {
    /// Takes the run lock on `path` (canonical: two spellings of one file are one
    /// ramp); refuses when another process holds it. Creates the lock file only.
    pub fn lock(path: &Path, state: RampState) -> Result<Journal, StateError> {
        let lock_path = run_lock_path(path);
        let lock = lock::try_exclusive(&lock_path)
            .map_err(|e| write_err(&lock_path, e))?
            .ok_or_else(|| StateError::Locked {
                path: path.display().to_string(),
                lock: lock_path.display().to_string(),
            })?;
        Ok(Journal {
            path: Some(path.to_path_buf()),
            _run_lock: Some(lock),
            written: Arc::default(),
            checked: Stamp::default(),
            abort_heard: Arc::default(),
            state,
        })
    }

    pub fn in_memory(state: RampState) -> Journal {
        Journal {
            path: None,
            _run_lock: None,
            written: Arc::default(),
            checked: Stamp::default(),
            abort_heard: Arc::default(),
            state,
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Writes the state, keeping approvals another process added meanwhile.
    pub fn save(&mut self) -> Result<(), StateError> {
        self.state.updated_at = crate::time::now();
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let wlock = write_lock(&path)?;
        self.merge_control(&path);
        let written = write(&path, &self.state)?;
        *self.written.lock().unwrap_or_else(|p| p.into_inner()) = written;
        drop(wlock);
        Ok(())
    }

    /// Takes the approvals and aborts another process appended for this ramp.
    fn merge_control(&mut self, path: &Path) {
        let Ok(Some(on_disk)) = read(path) else {
            return;
        };
        if on_disk.id != self.state.id
            || on_disk.control.len() <= self.state.control.len()
            || !on_disk.control.starts_with(&self.state.control)
        {
            return;
        }
        let seen = self.state.control_seen;
        self.state.control = on_disk.control;
        if self.state.control[seen..]
            .iter()
            .any(|c| c.action == Action::Abort)
        {
            self.abort_heard.store(true, Ordering::Release);
        }
    }

    /// Merges what others appended, whoever wrote last (before acting on an abort).
    pub fn refresh_control(&mut self) {
        if let Some(path) = self.path.clone() {
            self.merge_control(&path);
        }
    }

    /// An abort journaled for this ramp that it has not acted on yet.
    pub fn pending_abort(&self) -> bool {
        self.state.control[self.state.control_seen.min(self.state.control.len())..]
            .iter()
            .any(|c| c.action == Action::Abort)
    }

    /// Re-reads approvals and aborts written by other processes (only when another
    /// process wrote the file) and returns those not yet acted on.
    pub fn poll_control(&mut self) -> Vec<Control> {
        if let Some(path) = self.path.clone() {
            if let Some(s) = written_by_another(&path, &self.written, self.checked) {
                self.checked = s;
                self.merge_control(&path);
            }
        }
        let new = self.state.control[self.state.control_seen..].to_vec();
        self.state.control_seen = self.state.control.len();
        new
    }

    /// A watcher for aborts that runs beside the driver: `Some(control)` once another
    /// process has journaled an abort this ramp has not seen.
    pub fn abort_watch(&self) -> Option<AbortWatch> {
        Some(AbortWatch {
            path: self.path.clone()?,
            id: self.state.id.clone(),
            written: self.written.clone(),
            heard: self.abort_heard.clone(),
            checked: Stamp::default(),
            known: self.state.control_seen,
        })
    }
}

/// The file's stamp when another process wrote it since `written` and it was not
/// read at `checked` already.
fn written_by_another(path: &Path, written: &Mutex<Stamp>, checked: Stamp) -> Option<Stamp> {
    let now = stamp(path)?;
    let mine = *written.lock().unwrap_or_else(|p| p.into_inner());
    (now != mine && now != checked).then_some(now)
}

/// Looks for a new abort, cheaply: one the journal merged while saving, or one in the
/// file, which is read only when another process wrote it.
pub struct AbortWatch {
    path: PathBuf,
    id: String,
    written: Arc<Mutex<Stamp>>,
    heard: Arc<AtomicBool>,
    checked: Stamp,
    known: usize,
}

impl AbortWatch {
    pub fn aborted(&mut self) -> bool {
        if self.heard.load(Ordering::Acquire) {
            return true;
        }
        let Some(s) = written_by_another(&self.path, &self.written, self.checked) else {
            return false;
        };
        self.checked = s;
        let Ok(Some(on_disk)) = read(&self.path) else {
            return false;
        };
        if on_disk.id != self.id {
            return false;
        }
        on_disk
            .control
            .iter()
            .skip(self.known)
            .any(|c| c.action == Action::Abort)
    }
}

/// A new state for a ramp about to start.
pub fn fresh(
    plan: serde_json::Value,
    header_names: Vec<String>,
    steps: Vec<Step>,
    revision: Option<String>,
) -> RampState {
    let now = crate::time::now();
    RampState {
        format: FORMAT.into(),
        version: VERSION,
        id: crate::sign::random_id(),
        revision,
        plan,
        header_names,
        steps,
        phase: Phase::PreGate,
        step: 0,
        progress: StepProgress::default(),
        weight: None,
        intent: None,
        pause: None,
        pauses: 0,
        control_seen: 0,
        control: Vec::new(),
        timeline: Vec::new(),
        created_at: now.clone(),
        updated_at: now,
    }
}

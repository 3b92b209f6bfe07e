//! The ramp, driven: pre-gate, then each step (set the weight, warm up, judge windows
//! until the hold is done), promotion, rollback or pause. Every action that changes
//! traffic is journaled as an intent before it runs and as done after; every event is
//! journaled before it is announced. The caller's cancel token (Ctrl-C) and an abort
//! journaled by `golive ramp abort` stop whatever runs, commands included.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::decide::{decide, Decision};
use super::event::{Event, EventKind};
use super::plan::{OnFail, RampPlan};
use super::shell;
use super::state::{
    Action, Control, Intent, Journal, Pause, PauseKind, Phase, RampState, StateError, StepProgress,
};
use super::window;
use crate::gates::stress;
use crate::outcome::Outcome;
use crate::shutdown::Cancel;

/// How a ramp ended (or stopped: interrupted, or waiting on a pause that Ctrl-C ended).
#[derive(Clone, Debug, PartialEq)]
pub struct Ended {
    pub outcome: Outcome,
    pub why: String,
    /// The rollback command failed or timed out: traffic may still reach the release.
    pub rollback_failed: bool,
    /// The journal could not be written: golive stopped, having said what ran.
    pub journal_failed: bool,
}

impl Ended {
    fn new(outcome: Outcome, why: impl Into<String>) -> Ended {
        Ended {
            outcome,
            why: why.into(),
            rollback_failed: false,
            journal_failed: false,
        }
    }
}

/// How often the ramp looks for an approval or an abort written by another process.
const POLL: Duration = Duration::from_millis(200);

struct Driver<'a> {
    plan: &'a RampPlan,
    journal: Journal,
    observer: &'a mut dyn FnMut(&Event),
    /// The command's token: Ctrl-C and SIGTERM.
    signals: Cancel,
    /// Stops the current window, wait or command: a signal, or an abort.
    stop: Cancel,
    /// Set when the stop was `golive ramp abort`.
    aborted: Arc<AtomicBool>,
}

type Flow<T = ()> = Result<T, Ended>;

/// Runs (or resumes) the ramp journaled in `journal` to its end.
pub async fn run(
    plan: &RampPlan,
    journal: Journal,
    resumed: bool,
    signals: &Cancel,
    observer: &mut dyn FnMut(&Event),
) -> (Ended, Journal) {
    let mut d = Driver::new(plan, journal, signals, observer);
    let watcher = d.watch_for_abort();
    let ended = match d.drive(resumed).await {
        Ok(e) | Err(e) => e,
    };
    if let Some(w) = watcher {
        w.abort();
    }
    d.finish(ended).await
}

/// `golive ramp abort` on a ramp no process is driving: the abort is journaled and the
/// rollback run here, journaled as a running ramp would.
pub async fn abort(
    plan: &RampPlan,
    journal: Journal,
    signals: &Cancel,
    observer: &mut dyn FnMut(&Event),
) -> (Ended, Journal) {
    let mut d = Driver::new(plan, journal, signals, observer);
    d.aborted.store(true, Ordering::Release);
    let step = d.touched().then_some(d.state().step);
    let ended = d.on_stop(step).await;
    d.finish(ended).await
}

impl<'a> Driver<'a> {
    fn new(
        plan: &'a RampPlan,
        journal: Journal,
        signals: &Cancel,
        observer: &'a mut dyn FnMut(&Event),
    ) -> Driver<'a> {
        Driver {
            plan,
            journal,
            observer,
            signals: signals.clone(),
            stop: signals.child(),
            aborted: Arc::new(AtomicBool::new(false)),
        }
    }

    fn state(&mut self) -> &mut RampState {
        &mut self.journal.state
    }

    /// Whether this ramp may have changed traffic.
    fn touched(&self) -> bool {
        self.journal.state.weight.is_some() || self.journal.state.intent.is_some()
    }

    fn resume_hint(&self) -> String {
        match self.journal.path() {
            Some(p) => format!("`golive ramp --resume --state {}`", p.display()),
            None => "a new ramp (there is no --state file to resume)".into(),
        }
    }

    /// An abort journaled by another process stops the ramp within [`POLL`], whatever
    /// it is doing.
    fn watch_for_abort(&self) -> Option<tokio::task::JoinHandle<()>> {
        let mut watch = self.journal.abort_watch()?;
        let (stop, aborted) = (self.stop.clone(), self.aborted.clone());
        Some(tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL).await;
                if watch.aborted() {
                    aborted.store(true, Ordering::Release);
                    stop.cancel();
                    return;
                }
            }
        }))
    }

    async fn finish(mut self, ended: Ended) -> (Ended, Journal) {
        let settled = ended.outcome != Outcome::Interrupted || self.journal.state.phase.is_over();
        if settled && !ended.journal_failed {
            let _ = self
                .emit(EventKind::Finished {
                    outcome: ended.outcome,
                    why: ended.why.clone(),
                })
                .await;
        }
        (ended, self.journal)
    }

    /// Journals an event, then tells the observer and the `--on-event` hooks.
    async fn emit(&mut self, kind: EventKind) -> Result<(), StateError> {
        let event = Event::now(kind);
        self.journal.state.timeline.push(event.clone());
        self.journal.save()?;
        (self.observer)(&event);
        if !self.plan.commands.on_event.is_empty() {
            let json = serde_json::to_vec(&event).unwrap_or_default();
            for hook in &self.plan.commands.on_event {
                let seen = self.signals.count();
                let r = shell::run(
                    hook,
                    &[],
                    Some(json.clone()),
                    self.plan.commands.timeout,
                    &self.signals,
                    seen,
                )
                .await;
                if !r.ok() {
                    tracing::warn!(hook = %hook, result = %r.describe(), "an --on-event hook failed");
                }
            }
        }
        Ok(())
    }

    /// The journal could not be written: stop, saying what ran and where the weight is.
    fn journal_failed(&mut self, e: StateError, ran: Option<String>) -> Ended {
        let weight = self.journal.state.weight_words();
        let resume = self.resume_hint();
        let why = match ran {
            None => format!(
                "{e}: golive stopped and ran nothing further; the weight is {weight}. Free the disk (or fix the path), then {resume}"
            ),
            Some(ran) => format!(
                "{e}, after {ran}: the weight is now {weight}, but the journal still records that command as under way. Free the disk (or fix the path), then {resume}: it runs that command again and goes on"
            ),
        };
        let event = Event::now(EventKind::JournalFailed { why: why.clone() });
        self.journal.state.timeline.push(event.clone());
        (self.observer)(&event);
        Ended {
            journal_failed: true,
            ..Ended::new(Outcome::Inconclusive, why)
        }
    }

    async fn drive(&mut self, resumed: bool) -> Flow<Ended> {
        let revision = self.plan.revision.clone();
        self.emit(EventKind::Started { revision, resumed })
            .await
            .map_err(|e| self.journal_failed(e, None))?;
        // An abort journaled while no process drove the ramp (or just before it was
        // killed) is acted on first.
        if self.journal.pending_abort() {
            self.aborted.store(true, Ordering::Release);
            let step = self.touched().then_some(self.journal.state.step);
            return Err(self.on_stop(step).await);
        }
        match self.state().phase {
            Phase::RollingBack | Phase::RollbackFailed => {
                let why = match &self.journal.state.intent {
                    Some(Intent::Rollback { why, .. }) => why.clone(),
                    _ => "a rollback that did not finish".into(),
                };
                return Err(self.rollback(why).await);
            }
            Phase::PreGate => self.pre_gate().await?,
            Phase::Paused => self.resume_pause().await?,
            _ => {}
        }
        loop {
            let step = self.journal.state.step;
            self.run_step(step).await?;
            if step + 1 == self.plan.steps.len() {
                self.state().phase = Phase::Promoted;
                let weight = self.plan.steps[step].weight;
                return Ok(Ended::new(Outcome::Pass, format!("promoted to {weight}%")));
            }
            self.state().step = step + 1;
            self.state().progress = StepProgress::default();
        }
    }

    async fn pre_gate(&mut self) -> Flow {
        let Some(pre) = &self.plan.pre else {
            self.state().phase = Phase::Stepping;
            return self
                .emit(EventKind::PreGate {
                    outcome: Outcome::Pass,
                    skipped: true,
                    slos: Vec::new(),
                    reasons: vec!["--skip-pre: the ramp started without a stress test".into()],
                    requests: 0,
                })
                .await
                .map_err(|e| self.journal_failed(e, None));
        };
        let report = match stress::run(pre, Duration::from_millis(100), &self.stop, |_| {}).await {
            Ok(r) => r,
            Err(e) => {
                self.state().phase = Phase::Inconclusive;
                return Err(Ended::new(
                    Outcome::Inconclusive,
                    format!("pre-gate could not run: {e}; nothing was touched"),
                ));
            }
        };
        let outcome = report.outcome();
        if outcome == Outcome::Interrupted {
            return Err(self.on_stop(None).await);
        }
        let run = &report.body;
        let mut reasons = run.outcome_reasons.clone();
        if let Some(s) = &run.stopped_early {
            reasons.push(s.clone());
        }
        self.state().phase = match outcome {
            Outcome::Pass => Phase::Stepping,
            Outcome::Fail => Phase::PreGateFailed,
            _ => Phase::Inconclusive,
        };
        let failed: Vec<String> = run
            .slos
            .iter()
            .filter(|v| v.outcome != Outcome::Pass)
            .map(|v| v.slo.clone())
            .collect();
        self.emit(EventKind::PreGate {
            outcome,
            skipped: false,
            slos: run.slos.clone(),
            reasons,
            requests: run.results.requests_sent,
        })
        .await
        .map_err(|e| self.journal_failed(e, None))?;
        match outcome {
            Outcome::Pass => Ok(()),
            Outcome::Fail => Err(Ended::new(
                Outcome::Fail,
                format!(
                    "pre-gate failed ({}): nothing was touched",
                    failed.join(", ")
                ),
            )),
            _ => Err(Ended::new(
                Outcome::Inconclusive,
                "pre-gate inconclusive: nothing was touched",
            )),
        }
    }

    /// A ramp resumed while paused waits at the same pause; once approved, a gate
    /// lets its step start, and a failed step is judged again from its start.
    async fn resume_pause(&mut self) -> Flow {
        let Some(pause) = self.journal.state.pause.clone() else {
            return Ok(());
        };
        self.wait_for_approval(&pause).await
    }

    fn after_approval(&mut self, kind: PauseKind) {
        let p = &mut self.journal.state.progress;
        match kind {
            PauseKind::BeforeStep => p.approved = true,
            PauseKind::AfterFailure => {
                *p = StepProgress {
                    approved: true,
                    ..StepProgress::default()
                }
            }
        }
    }

    /// Sets the step's weight: the intent journaled first, then the command, then
    /// the weight it put in force. `Ok(Some(how))` when the command failed.
    async fn set_weight(&mut self, step: usize) -> Flow<Option<String>> {
        let weight = self.plan.steps[step].weight;
        let state = self.state();
        state.step = step;
        state.phase = Phase::Stepping;
        state.intent = Some(Intent::SetWeight {
            step,
            weight,
            at: crate::time::now_millis(),
        });
        self.journal
            .save()
            .map_err(|e| self.journal_failed(e, None))?;
        let env = [
            ("GOLIVE_WEIGHT", weight.to_string()),
            ("GOLIVE_STEP", (step + 1).to_string()),
            (
                "GOLIVE_REVISION",
                self.plan.revision.clone().unwrap_or_default(),
            ),
        ];
        if self.stop.is_cancelled() {
            return Err(self.on_stop(Some(step)).await);
        }
        let cmd = self.plan.commands.set_weight_for(weight);
        let set = shell::run(&cmd, &env, None, self.plan.commands.timeout, &self.stop, 0).await;
        let (ok, interrupted, described) = (set.ok(), set.interrupted, set.describe());
        if ok {
            let state = self.state();
            state.weight = Some(weight);
            state.intent = None;
        } else if !interrupted {
            // It ran and failed: the weight is unknown; the rollback's intent follows.
            self.state().intent = None;
        }
        let hold = self.plan.steps[step].hold.as_secs_f64();
        let remaining = (hold - self.journal.state.progress.held_s).max(0.0);
        self.emit(EventKind::StepStarted {
            step,
            weight,
            hold_s: hold,
            remaining_s: (remaining * 1000.0).round() / 1000.0,
            set_weight: set,
        })
        .await
        .map_err(|e| {
            self.journal_failed(
                e,
                Some(format!("set-weight for {weight}% ran ({described})")),
            )
        })?;
        if interrupted || self.stop.is_cancelled() {
            return Err(self.on_stop(Some(step)).await);
        }
        Ok((!ok).then_some(described))
    }

    async fn run_step(&mut self, step: usize) -> Flow {
        let s = self.plan.steps[step];
        if self.plan.pause_before.contains(&s.weight) && !self.journal.state.progress.approved {
            let why = format!("--pause-before {}: waiting for approval", s.weight);
            self.pause(step, PauseKind::BeforeStep, why).await?;
        }
        if let Some(how) = self.set_weight(step).await? {
            let before = self.journal.state.weight_words();
            let why = format!(
                "the set-weight command for {}% failed ({how}): traffic was at {before} before it, and may be partly moved",
                s.weight
            );
            return self.failed(step, why).await;
        }
        // The hold counts from here (warm-up included), less what a resumed step held.
        let held_before = Duration::from_secs_f64(self.journal.state.progress.held_s);
        let clock = tokio::time::Instant::now();
        let held = || held_before + clock.elapsed();
        if !self.stop.sleep(self.plan.warmup, 0).await {
            return Err(self.on_stop(Some(step)).await);
        }
        let mut scrapes = window::Scrapes::default();
        if let Some(mp) = &self.plan.metrics {
            scrapes = window::Scrapes::start(mp, &self.plan.sample.client).await;
        }
        let mut last_reasons = String::new();
        let mut accumulated = window::Accumulated::default();
        loop {
            let p = self.journal.state.progress.clone();
            let decision = decide(self.plan, &s, &p, held());
            let at = format!("step {} ({}%)", step + 1, s.weight);
            match decision {
                Decision::Window => {}
                Decision::Promote => {
                    return self
                        .emit(EventKind::Promoted {
                            step,
                            weight: s.weight,
                            passing_windows: p.passes,
                        })
                        .await
                        .map_err(|e| self.journal_failed(e, None));
                }
                Decision::Fail => {
                    let why = format!("{at}, window {}: {last_reasons}", p.windows);
                    return self.failed(step, why).await;
                }
                Decision::TooManyErrors => {
                    self.state().phase = Phase::Inconclusive;
                    return Err(Ended::new(
                        Outcome::Inconclusive,
                        format!(
                            "{at}: {} windows could not be judged (--error-limit {}), last: {last_reasons}; the weight was left at {}%",
                            p.errors, self.plan.limits.error_limit, s.weight
                        ),
                    ));
                }
                Decision::TooFewPasses => {
                    self.state().phase = Phase::Inconclusive;
                    let n = self.plan.min_windows(&s);
                    return Err(Ended::new(
                        Outcome::Inconclusive,
                        format!(
                            "{at}: {} of {} {} passed (needs {n}), even with the hold extended; the weight was left at {}%",
                            p.passes,
                            p.windows,
                            if p.windows == 1 { "window" } else { "windows" },
                            s.weight
                        ),
                    ));
                }
            }
            let (record, _) = window::run(
                window::WindowCtx {
                    plan: self.plan,
                    step,
                    weight: s.weight,
                    window: p.windows + 1,
                    scrapes: &mut scrapes,
                    accumulated: &mut accumulated,
                },
                &self.stop,
            )
            .await;
            if self.stop.is_cancelled() {
                return Err(self.on_stop(Some(step)).await);
            }
            let p = &mut self.journal.state.progress;
            p.windows += 1;
            p.held_s = (held().as_secs_f64() * 1000.0).round() / 1000.0;
            match record.verdict {
                window::WindowVerdict::Pass => {
                    p.passes += 1;
                    p.consecutive_failures = 0;
                }
                window::WindowVerdict::Fail => {
                    p.failures += 1;
                    p.consecutive_failures += 1;
                }
                window::WindowVerdict::Error => p.errors += 1,
                window::WindowVerdict::Inconclusive => {}
            }
            last_reasons = record.reasons.join("; ");
            self.emit(EventKind::Window(record))
                .await
                .map_err(|e| self.journal_failed(e, None))?;
        }
    }

    /// A failing step: roll back, or pause and wait (then judge the step again).
    async fn failed(&mut self, step: usize, why: String) -> Flow {
        if self.plan.on_fail == OnFail::Rollback {
            return Err(self.rollback(why).await);
        }
        self.pause(step, PauseKind::AfterFailure, why).await?;
        Box::pin(self.run_step(step)).await
    }

    /// Journals a pause and waits for the approval that names it.
    async fn pause(&mut self, step: usize, kind: PauseKind, why: String) -> Flow {
        let weight = self.plan.steps[step].weight;
        let state = self.state();
        state.pauses += 1;
        let pause = Pause {
            id: state.pauses,
            step,
            weight,
            kind,
            why: why.clone(),
        };
        state.pause = Some(pause.clone());
        state.phase = Phase::Paused;
        self.emit(EventKind::Paused {
            step,
            weight,
            pause: pause.id,
            why,
        })
        .await
        .map_err(|e| self.journal_failed(e, None))?;
        self.wait_for_approval(&pause).await
    }

    async fn wait_for_approval(&mut self, pause: &Pause) -> Flow {
        if self.journal.path().is_none() {
            return Err(Ended::new(
                Outcome::Inconclusive,
                format!(
                    "{}, but there is no --state file to approve through",
                    pause.why
                ),
            ));
        }
        loop {
            for c in self.journal.poll_control() {
                match c {
                    Control {
                        action: Action::Abort,
                        ..
                    } => {
                        self.aborted.store(true, Ordering::Release);
                        return Err(self.on_stop(Some(pause.step)).await);
                    }
                    Control {
                        action: Action::Approve,
                        pause: Some(id),
                        ..
                    } if id == pause.id => {
                        // The approval's effect is journaled with the Approved event.
                        self.after_approval(pause.kind);
                        let state = self.state();
                        state.pause = None;
                        state.phase = Phase::Stepping;
                        return self
                            .emit(EventKind::Approved {
                                step: pause.step,
                                pause: id,
                            })
                            .await
                            .map_err(|e| self.journal_failed(e, None));
                    }
                    // An approval of another pause: `golive ramp approve` refuses those;
                    // one written by hand is not this pause's.
                    _ => {}
                }
            }
            if !self.stop.sleep(POLL, 0).await {
                return Err(self.on_stop(Some(pause.step)).await);
            }
        }
    }

    /// The current work was stopped: by an abort (roll back), or by a signal.
    async fn on_stop(&mut self, step: Option<usize>) -> Ended {
        if !self.aborted.load(Ordering::Acquire) {
            return self.interrupted(step).await;
        }
        let during = self.journal.state.phase.describe().to_string();
        self.journal.refresh_control();
        if !self.journal.pending_abort() {
            self.state().control.push(Control {
                action: Action::Abort,
                at: crate::time::now_millis(),
                pause: None,
            });
        }
        let state = self.state();
        state.control_seen = state.control.len();
        let _ = self
            .emit(EventKind::Aborted {
                step,
                during: during.clone(),
            })
            .await;
        self.rollback(format!("aborted by golive ramp abort ({during})"))
            .await
    }

    /// Runs the rollback, journaled: intent, command, then done or failed. Only a new
    /// signal stops the rollback command itself (it is the safe action).
    async fn rollback(&mut self, why: String) -> Ended {
        let state = &self.journal.state;
        let step = (state.weight.is_some() || state.intent.is_some()).then_some(state.step);
        let weight = state.weight;
        let mut journal_error = None;
        if !matches!(state.intent, Some(Intent::Rollback { .. })) {
            let state = self.state();
            state.intent = Some(Intent::Rollback {
                why: why.clone(),
                at: crate::time::now_millis(),
            });
            state.phase = Phase::RollingBack;
            state.pause = None;
            // Not written? The rollback runs all the same: it is the safe action.
            journal_error = self
                .emit(EventKind::RollingBack {
                    step,
                    weight,
                    why: why.clone(),
                })
                .await
                .err();
        } else {
            self.state().phase = Phase::RollingBack;
        }
        let cmd = self.plan.commands.rollback_cmd();
        let env = [("GOLIVE_WEIGHT", "0".to_string())];
        let seen = self.signals.count();
        let r = shell::run(
            &cmd,
            &env,
            None,
            self.plan.commands.timeout,
            &self.signals,
            seen,
        )
        .await;
        let described = r.describe();
        let resume = self.resume_hint();
        let mut ended = if r.ok() {
            let state = self.state();
            state.phase = Phase::RolledBack;
            state.weight = Some(0);
            state.intent = None;
            let done = self
                .emit(EventKind::RolledBack {
                    step,
                    weight,
                    why: why.clone(),
                    rollback: r,
                })
                .await;
            journal_error = journal_error.or(done.err());
            Ended::new(Outcome::Fail, format!("rolled back to 0%: {why}"))
        } else if r.interrupted {
            let words = self.journal.state.weight_words();
            let _ = self
                .emit(EventKind::Interrupted {
                    step,
                    weight: words.clone(),
                })
                .await;
            Ended::new(
                Outcome::Interrupted,
                format!(
                    "the rollback was interrupted: the weight is {words}; {resume} runs it again. Cause: {why}"
                ),
            )
        } else {
            self.state().phase = Phase::RollbackFailed;
            let words = self.journal.state.weight_words();
            let failed = self
                .emit(EventKind::RollbackFailed {
                    step,
                    weight,
                    why: why.clone(),
                    rollback: r,
                })
                .await;
            journal_error = journal_error.or(failed.err());
            Ended {
                rollback_failed: true,
                ..Ended::new(
                    Outcome::Fail,
                    format!(
                        "ROLLBACK COMMAND FAILED ({described}): traffic may still reach the release (the weight is {words}). Run it by hand: {cmd}; or {resume} runs it again. Cause: {why}"
                    ),
                )
            }
        };
        if let Some(e) = journal_error {
            ended.why.push_str(&format!(
                ". The journal could not be written ({e}): it may still say the rollback is under way; {resume} would run it again (it only sets 0%)"
            ));
            ended.journal_failed = true;
        }
        ended
    }

    async fn interrupted(&mut self, step: Option<usize>) -> Ended {
        let words = self.journal.state.weight_words();
        let _ = self
            .emit(EventKind::Interrupted {
                step,
                weight: words.clone(),
            })
            .await;
        if self.plan.rollback_on_interrupt && self.touched() {
            let e = self
                .rollback("interrupted (--rollback-on-interrupt)".into())
                .await;
            return Ended {
                outcome: Outcome::Interrupted,
                ..e
            };
        }
        Ended::new(
            Outcome::Interrupted,
            format!("interrupted: the weight was left at {words}"),
        )
    }
}

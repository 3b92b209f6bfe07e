//! The ramp, driven: pre-gate, then each step (set the weight, warm up, judge windows
//! until the hold is done), promotion, rollback or pause; every change journaled
//! before it is announced.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::event::{Event, EventKind};
use super::plan::{OnFail, RampPlan};
use super::shell;
use super::state::{Action, Journal, Phase, StepProgress};
use super::window::{self, WindowVerdict};
use crate::gates::stress;
use crate::outcome::Outcome;

/// How a ramp ended (or stopped: interrupted, or waiting on a pause that Ctrl-C ended).
#[derive(Clone, Debug, PartialEq)]
pub struct Ended {
    pub outcome: Outcome,
    pub why: String,
}

impl Ended {
    fn new(outcome: Outcome, why: impl Into<String>) -> Ended {
        Ended {
            outcome,
            why: why.into(),
        }
    }
}

/// Ctrl-C, heard outside the load engine too (commands, warm-up, pauses).
struct Interrupt {
    flag: AtomicBool,
    notify: Notify,
}

impl Interrupt {
    fn listen() -> Arc<Interrupt> {
        let it = Arc::new(Interrupt {
            flag: AtomicBool::new(false),
            notify: Notify::new(),
        });
        let me = it.clone();
        let mut signals = crate::shutdown::Signals::new();
        tokio::spawn(async move {
            signals.recv().await;
            me.flag.store(true, Ordering::SeqCst);
            me.notify.notify_waiters();
        });
        it
    }

    fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// Sleeps `d`; false when interrupted first.
    async fn sleep(&self, d: Duration) -> bool {
        let notified = self.notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if self.is_set() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => !self.is_set(),
            _ = notified => false,
        }
    }
}

/// How often a paused ramp looks for an approval.
const POLL: Duration = Duration::from_millis(200);

struct Driver<'a> {
    plan: &'a RampPlan,
    journal: Journal,
    observer: &'a mut dyn FnMut(&Event),
    interrupt: Arc<Interrupt>,
    /// A weight has been set in this run (so an interrupt may roll it back).
    touched: bool,
}

/// Runs (or resumes) the ramp journaled in `journal` to its end.
pub async fn run(
    plan: &RampPlan,
    journal: Journal,
    resumed: bool,
    observer: &mut dyn FnMut(&Event),
) -> (Ended, Journal) {
    let mut d = Driver {
        plan,
        journal,
        observer,
        interrupt: Interrupt::listen(),
        touched: false,
    };
    let ended = match d.drive(resumed).await {
        Ok(e) | Err(e) => e,
    };
    if ended.outcome != Outcome::Interrupted || d.journal.state.phase.is_over() {
        let _ = d
            .emit(EventKind::Finished {
                outcome: ended.outcome,
                why: ended.why.clone(),
            })
            .await;
    }
    (ended, d.journal)
}

type Flow<T = ()> = Result<T, Ended>;

impl Driver<'_> {
    async fn emit(&mut self, kind: EventKind) -> Flow {
        let event = Event::now(kind);
        self.journal.state.timeline.push(event.clone());
        self.journal.save().map_err(|e| {
            Ended::new(
                Outcome::Inconclusive,
                format!("{e}; the ramp stopped where it was (the weight was not changed)"),
            )
        })?;
        (self.observer)(&event);
        if !self.plan.commands.on_event.is_empty() {
            let json = serde_json::to_vec(&event).unwrap_or_default();
            for hook in &self.plan.commands.on_event {
                let r = shell::run(hook, &[], Some(json.clone()), self.plan.commands.timeout).await;
                if !r.ok() {
                    tracing::warn!(hook = %hook, result = %r.describe(), "an --on-event hook failed");
                }
            }
        }
        Ok(())
    }

    fn set_phase(&mut self, phase: Phase) {
        self.journal.state.phase = phase;
    }

    async fn drive(&mut self, resumed: bool) -> Flow<Ended> {
        let revision = self.plan.revision.clone();
        self.emit(EventKind::Started { revision, resumed }).await?;
        if self.journal.state.phase == Phase::PreGate {
            self.pre_gate().await?;
        }
        if self.journal.state.phase == Phase::Paused {
            self.paused_resume().await?;
        }
        loop {
            let step = self.journal.state.step;
            self.run_step(step).await?;
            if step + 1 == self.plan.steps.len() {
                self.set_phase(Phase::Promoted);
                let weight = self.plan.steps[step].weight;
                return Ok(Ended::new(Outcome::Pass, format!("promoted to {weight}%")));
            }
            self.journal.state.step = step + 1;
            self.journal.state.progress = StepProgress::default();
        }
    }

    async fn pre_gate(&mut self) -> Flow {
        let Some(pre) = &self.plan.pre else {
            self.set_phase(Phase::Stepping);
            return self
                .emit(EventKind::PreGate {
                    outcome: Outcome::Pass,
                    skipped: true,
                    slos: Vec::new(),
                    reasons: vec!["--skip-pre: the ramp started without a stress test".into()],
                    requests: 0,
                })
                .await;
        };
        let report = stress::run(pre, Duration::from_millis(100), |_| {})
            .await
            .map_err(|e| {
                Ended::new(
                    Outcome::Inconclusive,
                    format!("pre-gate could not run: {e}"),
                )
            })?;
        let outcome = report.outcome();
        let run = &report.body;
        let mut reasons = run.outcome_reasons.clone();
        if let Some(s) = &run.stopped_early {
            reasons.push(s.clone());
        }
        let next = match outcome {
            Outcome::Pass => Phase::Stepping,
            Outcome::Fail => Phase::PreGateFailed,
            Outcome::Inconclusive => Phase::Inconclusive,
            Outcome::Interrupted => Phase::PreGate,
        };
        self.set_phase(next);
        self.emit(EventKind::PreGate {
            outcome,
            skipped: false,
            slos: run.slos.clone(),
            reasons,
            requests: run.results.requests_sent,
        })
        .await?;
        let failed: Vec<String> = run
            .slos
            .iter()
            .filter(|v| v.outcome != Outcome::Pass)
            .map(|v| v.slo.clone())
            .collect();
        match outcome {
            Outcome::Pass => Ok(()),
            Outcome::Fail => Err(Ended::new(
                Outcome::Fail,
                format!(
                    "pre-gate failed ({}): nothing was touched",
                    failed.join(", ")
                ),
            )),
            Outcome::Inconclusive => Err(Ended::new(
                Outcome::Inconclusive,
                "pre-gate inconclusive: nothing was touched",
            )),
            Outcome::Interrupted => Err(self.interrupted(None).await),
        }
    }

    /// A resumed ramp that was paused waits again.
    async fn paused_resume(&mut self) -> Flow {
        let step = self.journal.state.step;
        self.wait_for_control(step, "resumed while paused").await
    }

    async fn run_step(&mut self, step: usize) -> Flow {
        let s = self.plan.steps[step];
        if self.plan.pause_before.contains(&s.weight) && !self.journal.state.progress.approved {
            self.set_phase(Phase::Paused);
            let why = format!(
                "--pause-before {}: waiting for golive ramp approve",
                s.weight
            );
            self.emit(EventKind::Paused {
                step,
                weight: s.weight,
                why: why.clone(),
            })
            .await?;
            self.wait_for_control(step, &why).await?;
            self.journal.state.progress.approved = true;
        }
        self.set_phase(Phase::Stepping);
        let env = [
            ("GOLIVE_WEIGHT", s.weight.to_string()),
            ("GOLIVE_STEP", (step + 1).to_string()),
            (
                "GOLIVE_REVISION",
                self.plan.revision.clone().unwrap_or_default(),
            ),
        ];
        // Not cut short by Ctrl-C: a weight change half done is worse than a late stop.
        let cmd = self.plan.commands.set_weight_for(s.weight);
        let set = shell::run(&cmd, &env, None, self.plan.commands.timeout).await;
        self.touched = true;
        let windows_total = self.plan.windows_in(&s);
        let done = self.journal.state.progress.windows.min(windows_total);
        let remaining = s.hold.saturating_sub(self.plan.warmup).as_secs_f64()
            * f64::from(windows_total - done)
            / f64::from(windows_total)
            + self.plan.warmup.as_secs_f64();
        let ok = set.ok();
        let described = set.describe();
        self.emit(EventKind::StepStarted {
            step,
            weight: s.weight,
            hold_s: s.hold.as_secs_f64(),
            remaining_s: (remaining * 1000.0).round() / 1000.0,
            set_weight: set,
        })
        .await?;
        if !ok {
            return self
                .failed(step, format!("the set-weight command failed ({described})"))
                .await;
        }
        if self.interrupt.is_set() || !self.interrupt.sleep(self.plan.warmup).await {
            return Err(self.interrupted(Some(step)).await);
        }
        let extension =
            self.plan.max_extension(&s).as_secs_f64() / self.plan.interval.as_secs_f64();
        let max_windows = windows_total + extension.ceil() as u32;
        let min_windows = self.plan.min_windows(&s);
        let mut baseline = None;
        if let Some(mp) = &self.plan.metrics {
            baseline = Some(window::scrape(mp, &self.plan.sample.client).await);
        }
        loop {
            let p = self.journal.state.progress.clone();
            if p.windows >= windows_total && p.passes >= min_windows {
                let passing_windows = p.passes;
                return self
                    .emit(EventKind::Promoted {
                        step,
                        weight: s.weight,
                        passing_windows,
                    })
                    .await;
            }
            if p.windows >= max_windows {
                self.set_phase(Phase::Inconclusive);
                return Err(Ended::new(
                    Outcome::Inconclusive,
                    format!(
                        "step {} ({}%): {} passing windows of {} (needs {min_windows}), even with the hold extended; the weight was left at {}%",
                        step + 1, s.weight, p.passes, p.windows, s.weight
                    ),
                ));
            }
            let (record, interrupted) = window::run(window::WindowCtx {
                plan: self.plan,
                step,
                weight: s.weight,
                window: p.windows + 1,
                baseline: &mut baseline,
            })
            .await;
            if interrupted || self.interrupt.is_set() {
                return Err(self.interrupted(Some(step)).await);
            }
            let p = &mut self.journal.state.progress;
            p.windows += 1;
            p.held_s += record.duration_s;
            match record.verdict {
                WindowVerdict::Pass => {
                    p.passes += 1;
                    p.consecutive_failures = 0;
                }
                WindowVerdict::Fail => {
                    p.failures += 1;
                    p.consecutive_failures += 1;
                }
                WindowVerdict::Error => p.errors += 1,
                WindowVerdict::Inconclusive => {}
            }
            let (failures, consecutive, errors) = (p.failures, p.consecutive_failures, p.errors);
            let reasons = record.reasons.join("; ");
            let window_no = record.window;
            self.emit(EventKind::Window(record)).await?;
            let limits = &self.plan.limits;
            let too_many = limits.failure_limit.is_some_and(|l| failures >= l)
                || limits
                    .consecutive_failures
                    .is_some_and(|l| consecutive >= l);
            if too_many {
                let why = format!(
                    "step {} ({}%), window {window_no}: {reasons}",
                    step + 1,
                    s.weight
                );
                return self.failed(step, why).await;
            }
            if errors > limits.error_limit {
                self.set_phase(Phase::Inconclusive);
                return Err(Ended::new(
                    Outcome::Inconclusive,
                    format!(
                        "step {} ({}%): {errors} windows could not be judged (--error-limit {}), last: {reasons}; the weight was left at {}%",
                        step + 1, s.weight, limits.error_limit, s.weight
                    ),
                ));
            }
        }
    }

    /// A failing step: roll back, or pause and wait (then re-run the step, or roll back).
    async fn failed(&mut self, step: usize, why: String) -> Flow {
        if self.plan.on_fail == OnFail::Rollback {
            return Err(self.rollback(Some(step), why).await);
        }
        let weight = self.plan.steps[step].weight;
        self.set_phase(Phase::Paused);
        self.emit(EventKind::Paused {
            step,
            weight,
            why: why.clone(),
        })
        .await?;
        self.wait_for_control(step, &why).await?;
        // Approved: judge the step again from its start.
        self.journal.state.progress = StepProgress {
            approved: true,
            ..StepProgress::default()
        };
        Box::pin(self.run_step(step)).await
    }

    async fn wait_for_control(&mut self, step: usize, why: &str) -> Flow {
        if self.journal.path().is_none() {
            return Err(Ended::new(
                Outcome::Inconclusive,
                format!("{why}, but there is no --state file to approve through"),
            ));
        }
        loop {
            match self.journal.poll_control() {
                Some(Action::Approve) => {
                    self.set_phase(Phase::Stepping);
                    return self.emit(EventKind::Approved { step }).await;
                }
                Some(Action::Abort) => {
                    self.emit(EventKind::Aborted { step }).await?;
                    return Err(self
                        .rollback(Some(step), format!("aborted while paused ({why})"))
                        .await);
                }
                None => {}
            }
            if !self.interrupt.sleep(POLL).await {
                return Err(self.interrupted(Some(step)).await);
            }
        }
    }

    async fn rollback(&mut self, step: Option<usize>, why: String) -> Ended {
        let cmd = self.plan.commands.rollback_cmd();
        let env = [("GOLIVE_WEIGHT", "0".to_string())];
        let r = shell::run(&cmd, &env, None, self.plan.commands.timeout).await;
        let ok = r.ok();
        let described = r.describe();
        self.set_phase(Phase::RolledBack);
        let weight = step.map(|s| self.plan.steps[s].weight);
        let _ = self
            .emit(EventKind::RolledBack {
                step,
                weight,
                why: why.clone(),
                rollback: r,
            })
            .await;
        if ok {
            Ended::new(Outcome::Fail, format!("rolled back to 0%: {why}"))
        } else {
            Ended::new(
                Outcome::Fail,
                format!(
                    "ROLLBACK COMMAND FAILED ({described}): run it by hand: {cmd}. Cause: {why}"
                ),
            )
        }
    }

    async fn interrupted(&mut self, step: Option<usize>) -> Ended {
        let _ = self.emit(EventKind::Interrupted { step }).await;
        if self.plan.rollback_on_interrupt && self.touched {
            let e = self
                .rollback(step, "interrupted (--rollback-on-interrupt)".into())
                .await;
            return Ended::new(Outcome::Interrupted, e.why);
        }
        Ended::new(
            Outcome::Interrupted,
            "interrupted: the weight was left as it was",
        )
    }
}

//! A step's decision before each window, pure: run another window, promote, fail, or
//! stop inconclusive. Time enters only as the time the step has been held (warm-up
//! included), so a step lasts its hold within half a window, whatever the windows'
//! own overheads (connecting, scrapes, guards) add.

use std::time::Duration;

use super::plan::{RampPlan, Step};
use super::state::StepProgress;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Judge another window.
    Window,
    /// The hold is done and enough windows passed.
    Promote,
    /// The failure limits are reached (`--failure-limit`, `--consecutive-failures`).
    Fail,
    /// More windows could not be judged than `--error-limit` allows.
    TooManyErrors,
    /// The hold and its extension are spent without enough passing windows.
    TooFewPasses,
}

/// What the step does next, given what its windows found so far and how long it has
/// been held. A window that would end more than half a window past the hold is not
/// started: the step then lasts its hold within half a window.
pub fn decide(plan: &RampPlan, step: &Step, p: &StepProgress, held: Duration) -> Decision {
    let limits = &plan.limits;
    if limits.failure_limit.is_some_and(|n| p.failures >= n)
        || limits
            .consecutive_failures
            .is_some_and(|n| p.consecutive_failures >= n)
    {
        return Decision::Fail;
    }
    if p.errors > limits.error_limit {
        return Decision::TooManyErrors;
    }
    let half = plan.interval / 2;
    let held_out = held + half >= step.hold;
    if held_out && p.passes >= plan.min_windows(step) {
        return Decision::Promote;
    }
    if held + half >= step.hold + plan.max_extension(step) {
        return Decision::TooFewPasses;
    }
    Decision::Window
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ramp::plan::{Commands, Limits, OnFail};

    fn plan(interval: Duration, warmup: Duration) -> RampPlan {
        let sample = crate::gates::stress::StressPlan::for_tests("http://127.0.0.1:1/");
        RampPlan {
            pre: None,
            pre_basis: None,
            sample,
            steps: Vec::new(),
            interval,
            warmup,
            limits: Limits {
                failure_limit: Some(1),
                consecutive_failures: None,
                error_limit: 3,
                min_windows: None,
                max_extension: None,
            },
            metrics: None,
            direct: None,
            commands: Commands {
                set_weight: "true".into(),
                rollback: None,
                guards: Vec::new(),
                on_event: Vec::new(),
                timeout: Duration::from_secs(1),
            },
            on_fail: OnFail::Rollback,
            pause_before: Vec::new(),
            rollback_on_interrupt: false,
            revision: None,
        }
    }

    /// Drives a step on tokio's paused clock: the warm-up, then windows that each take
    /// the interval plus `overhead`, with `verdict(n)` for the n-th window.
    async fn held_step(
        plan: &RampPlan,
        step: &Step,
        overhead: Duration,
        verdict: impl Fn(u32) -> &'static str,
    ) -> (Decision, Duration, StepProgress) {
        let start = tokio::time::Instant::now();
        tokio::time::sleep(plan.warmup).await;
        let mut p = StepProgress::default();
        loop {
            let d = decide(plan, step, &p, start.elapsed());
            if d != Decision::Window {
                return (d, start.elapsed(), p);
            }
            tokio::time::sleep(plan.interval + overhead).await;
            p.windows += 1;
            match verdict(p.windows) {
                "pass" => p.passes += 1,
                "fail" => {
                    p.failures += 1;
                    p.consecutive_failures += 1
                }
                "error" => p.errors += 1,
                _ => {}
            }
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_step_lasts_its_hold_within_half_a_window_whatever_the_overhead() {
        let secs = Duration::from_secs;
        for (hold, interval, warmup, overhead) in [
            (secs(8), secs(2), secs(1), Duration::from_millis(300)),
            (secs(3600), secs(60), secs(30), secs(4)),
            (
                secs(1),
                Duration::from_millis(500),
                Duration::ZERO,
                Duration::ZERO,
            ),
        ] {
            let plan = plan(interval, warmup);
            let step = Step { weight: 5, hold };
            let (d, took, _) = held_step(&plan, &step, overhead, |_| "pass").await;
            assert_eq!(d, Decision::Promote);
            let slack = interval / 2 + overhead;
            assert!(
                took + slack >= hold && took <= hold + slack,
                "hold {hold:?}: took {took:?}"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn failures_errors_and_thin_evidence_end_a_step_each_its_way() {
        let secs = Duration::from_secs;
        let plan = plan(secs(2), secs(1));
        let step = Step {
            weight: 20,
            hold: secs(8),
        };
        let (d, _, p) = held_step(&plan, &step, Duration::ZERO, |n| {
            if n == 2 {
                "fail"
            } else {
                "pass"
            }
        })
        .await;
        assert_eq!((d, p.windows), (Decision::Fail, 2));

        let (d, _, p) = held_step(&plan, &step, Duration::ZERO, |_| "error").await;
        assert_eq!((d, p.windows), (Decision::TooManyErrors, 4));

        // Inconclusive windows: the hold is extended by half, then the step stops.
        let (d, took, _) = held_step(&plan, &step, Duration::ZERO, |_| "unsure").await;
        assert_eq!(d, Decision::TooFewPasses);
        assert!(took >= secs(11) && took <= secs(13), "{took:?}");

        // Late passes inside the extension still promote.
        let (d, _, p) = held_step(&plan, &step, Duration::ZERO, |n| {
            if n >= 4 {
                "pass"
            } else {
                "unsure"
            }
        })
        .await;
        assert_eq!(d, Decision::Promote);
        assert_eq!(p.passes, plan.min_windows(&step));
    }
}

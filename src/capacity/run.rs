//! The search, driven: fixed-rate steps chosen by [`Search`], each judged as it ends,
//! until the maximum is bracketed and confirmed or something else limits the search.
//! Shared by `golive capacity` and the demo; Ctrl-C (the caller's [`Cancel`]) keeps
//! what was found.

use std::time::{Duration, Instant};

use super::{judge_step, CapacityRun, Found, Limit, Next, Search, StepOutcome, StepRecord};
use super::{StepRules, MAX_CONNECTIONS};
use crate::gates::stress::{self, StressPlan};
use crate::http::SetupError;
use crate::outcome::Outcome;
use crate::shutdown::Cancel;

/// What the search runs: the step's plan (its rate set per step) and its bounds.
#[derive(Clone, Debug)]
pub struct CapacityPlan {
    pub stress: StressPlan,
    pub rules: StepRules,
    pub start_rate: f64,
    pub max_rate: f64,
    /// Relative width at which the bracket is closed (0.05: within 5%).
    pub precision: f64,
    pub repeat: u32,
    pub max_duration: Duration,
    /// Connections may be doubled when they, not the target, were the limit (false
    /// when the user chose them).
    pub grow_connections: bool,
    /// `--concurrency-steps`: a closed-loop sweep instead of the rate search.
    pub concurrency_steps: Vec<u32>,
}

/// Runs the search; `on_step` hears each step as it is judged.
pub async fn search(
    plan: &CapacityPlan,
    cancel: &Cancel,
    mut on_step: impl FnMut(&StepRecord),
) -> Result<(Outcome, CapacityRun), CapacityError> {
    let mut stress_plan = plan.stress.clone();
    let mut search = Search::new(plan.start_rate, plan.max_rate, plan.precision, plan.repeat);
    let clock = Instant::now();
    let step = Duration::from_secs_f64(plan.rules.step_s);
    let mut steps: Vec<StepRecord> = Vec::new();
    let limit = loop {
        let Next::Step { rate, phase } = search.next() else {
            break match search.fail {
                Some(_) => Limit::Target {
                    binding_slo: binding(&steps),
                },
                None => Limit::MaxRate,
            };
        };
        if clock.elapsed() + step > plan.max_duration {
            break Limit::MaxDuration;
        }
        stress_plan.load.rate = Some(rate);
        let Some(report) = one_step(&stress_plan, cancel).await? else {
            break Limit::Interrupted;
        };
        if steps.is_empty() {
            unreachable_target(&report.body.results, rate)?;
        }
        let record = judge_step(
            &report,
            &stress_plan.slos,
            &plan.rules,
            (rate, stress_plan.load.concurrency, phase),
        );
        on_step(&record);
        let (outcome, limited) = (record.outcome, record.connections_limited);
        let why = record.why.clone().unwrap_or_default();
        steps.push(record);
        match outcome {
            StepOutcome::Invalid
                if limited
                    && plan.grow_connections
                    && stress_plan.load.concurrency < MAX_CONNECTIONS =>
            {
                // golive's connections, not the target, were the limit: more, and again.
                let load = &mut stress_plan.load;
                load.concurrency = (load.concurrency * 2).min(MAX_CONNECTIONS);
                load.threads = load.threads.min(load.concurrency);
            }
            StepOutcome::Invalid => {
                break Limit::Generator {
                    why: format!("at {rate:.0} req/s: {why}"),
                }
            }
            o => search.record(rate, o),
        }
    };
    let found = search.pass().map(|max| Found {
        max_rps: max,
        low: max,
        high: search.fail,
        confirmed: steps
            .iter()
            .filter(|s| s.rate == max && s.outcome == StepOutcome::Pass)
            .count() as u32,
    });
    let (outcome, said) = verdict(&found, &limit, plan.start_rate);
    Ok((outcome, written(plan, steps, found, limit, said, None)))
}

/// `--concurrency-steps`: a closed-loop step at each concurrency, each judged by the
/// SLOs, then the Universal Scalability Law fitted to their throughput. The maximum
/// is the highest throughput a step achieved within the SLOs.
pub async fn sweep(
    plan: &CapacityPlan,
    cancel: &Cancel,
    mut on_step: impl FnMut(&StepRecord),
) -> Result<(Outcome, CapacityRun), CapacityError> {
    let mut stress_plan = plan.stress.clone();
    let threads = stress_plan.load.threads;
    stress_plan.load.rate = None;
    let clock = Instant::now();
    let step = Duration::from_secs_f64(plan.rules.step_s);
    let mut steps: Vec<StepRecord> = Vec::new();
    let mut limit = Limit::Concurrency;
    for &c in &plan.concurrency_steps {
        if clock.elapsed() + step > plan.max_duration {
            limit = Limit::MaxDuration;
            break;
        }
        stress_plan.load.concurrency = c;
        stress_plan.load.threads = threads.min(c);
        let Some(report) = one_step(&stress_plan, cancel).await? else {
            limit = Limit::Interrupted;
            break;
        };
        let mut record = judge_step(
            &report,
            &stress_plan.slos,
            &plan.rules,
            (0.0, c, "concurrency"),
        );
        // The closed loop has no plan to fall behind, and its connections are the load.
        record.connections_limited = false;
        on_step(&record);
        steps.push(record);
    }
    let measured: Vec<(u32, f64)> = steps
        .iter()
        .filter(|s| s.outcome != StepOutcome::Invalid)
        .map(|s| (s.connections, s.achieved_rps))
        .collect();
    let fit = super::usl::fit(&measured);
    let found = steps
        .iter()
        .filter(|s| s.outcome == StepOutcome::Pass)
        .map(|s| s.achieved_rps)
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))))
        .map(|max| Found {
            max_rps: max,
            low: max,
            high: None,
            confirmed: 1,
        });
    let (outcome, mut said) = match (&found, &limit) {
        (_, Limit::Interrupted) => (Outcome::Interrupted, "interrupted".to_string()),
        (Some(f), _) => (
            Outcome::Pass,
            format!(
                "the highest throughput within the SLOs: {:.0} req/s (closed loop, {} concurrencies)",
                f.max_rps,
                steps.len()
            ),
        ),
        (None, _) => (
            Outcome::Fail,
            "no concurrency held the SLOs".to_string(),
        ),
    };
    if matches!(limit, Limit::MaxDuration) {
        said.push_str("; --max-duration ran out before every concurrency was run");
    }
    match &fit {
        Ok(f) => said = format!("{said}. {}", f.said),
        Err(e) => said = format!("{said}. {e}"),
    }
    Ok((outcome, written(plan, steps, found, limit, said, fit.ok())))
}

/// What a search or a sweep writes: its plan's settings and what it found.
fn written(
    plan: &CapacityPlan,
    steps: Vec<StepRecord>,
    found: Option<Found>,
    limit: Limit,
    said: String,
    usl: Option<super::usl::UslFit>,
) -> CapacityRun {
    CapacityRun {
        url: plan.stress.target.uri.to_string(),
        slos: plan.stress.slos.iter().map(|s| s.to_string()).collect(),
        step_s: plan.rules.step_s,
        warmup_s: plan.rules.warmup_s,
        precision_pct: plan.precision * 100.0,
        steps,
        found,
        limit,
        said,
        usl,
    }
}

/// One step's run; `None` when Ctrl-C stopped it (what it measured is not judged).
async fn one_step(
    plan: &StressPlan,
    cancel: &Cancel,
) -> Result<Option<stress::StressReport>, CapacityError> {
    let report = stress::run(plan, Duration::from_millis(100), cancel, |_| {}).await?;
    let interrupted = report.outcome() == Outcome::Interrupted || cancel.is_cancelled();
    Ok((!interrupted).then_some(report))
}

/// Why a search could not run.
#[derive(Debug, thiserror::Error)]
pub enum CapacityError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    /// The first step got no response, only failed connections: nothing was measured
    /// of the target's capacity.
    #[error("{0}")]
    Unreachable(String),
}

/// The first step connected to nothing: the target is down or elsewhere, which is
/// not a capacity below the start rate.
fn unreachable_target(results: &crate::measure::Summary, rate: f64) -> Result<(), CapacityError> {
    let connecting = |kind: &str| kind.starts_with("connect") || kind.starts_with("tls");
    let failed: Vec<String> = results
        .errors
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{k} ×{n}"))
        .collect();
    let only_connects = results.errors.iter().all(|(k, n)| *n == 0 || connecting(k));
    if results.responses == 0 && results.errors_total > 0 && only_connects {
        return Err(CapacityError::Unreachable(format!(
            "the target answered no request of the first step ({rate:.0} req/s): {}; is it up at that URL?",
            failed.join(", ")
        )));
    }
    Ok(())
}

/// The SLO that failed most often in the steps that failed.
fn binding(steps: &[StepRecord]) -> String {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for s in steps.iter().filter(|s| s.outcome == StepOutcome::Fail) {
        for b in &s.breached {
            match counts.iter_mut().find(|(n, _)| *n == b) {
                Some((_, c)) => *c += 1,
                None => counts.push((b, 1)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, c)| *c)
        .map_or(String::new(), |(n, _)| n.clone())
}

fn verdict(found: &Option<Found>, limit: &Limit, start: f64) -> (Outcome, String) {
    let interval = |f: &Found| match f.high {
        Some(h) => format!("between {:.0} and {:.0} req/s", f.low, h),
        None => format!("at least {:.0} req/s", f.low),
    };
    match (found, limit) {
        (Some(f), Limit::Target { binding_slo }) => (
            Outcome::Pass,
            format!(
                "MAXIMUM {:.0} req/s: the target sustains it with every SLO held ({}); its limit lies {}, bound by {binding_slo}",
                f.max_rps,
                match f.confirmed {
                    1 => "run once".to_string(),
                    n => format!("run {n} times"),
                },
                interval(f)
            ),
        ),
        (None, Limit::Target { binding_slo }) => (
            Outcome::Fail,
            format!(
                "the target did not hold its SLOs at the start rate {start:.0} req/s ({binding_slo}): its capacity is below it (--start-rate)"
            ),
        ),
        (f, Limit::Generator { why }) => (
            Outcome::Inconclusive,
            format!(
                "the generator is the limit, not the target ({why}); {}",
                f.as_ref().map_or("no rate passed before it".into(), |f| format!(
                    "the target held {} so far",
                    interval(f)
                ))
            ),
        ),
        (f, other) => (
            if matches!(other, Limit::Interrupted) {
                Outcome::Interrupted
            } else {
                Outcome::Inconclusive
            },
            format!(
                "{}: {}",
                match other {
                    Limit::MaxRate => "--max-rate reached",
                    Limit::MaxDuration => "--max-duration reached",
                    Limit::Concurrency => "every concurrency was run",
                    _ => "interrupted",
                },
                f.as_ref().map_or("no rate passed".into(), |f| format!(
                    "the target held {} (a lower bound)",
                    interval(f)
                ))
            ),
        ),
    }
}

//! One step judged: its seconds after the warm-up cut into sub-windows, each held to
//! the SLOs; a sustained breach fails the step, unless the breach was golive's (its
//! own late sends, or its connections all busy while the target's service time held).

use crate::gates::stress::StressReport;
use crate::measure::{decode_hist, encode_hist, new_hist, Hist, SecondStats, Summary};
use crate::outcome::Outcome;
use crate::slo::{Latencies, Metric, Observed, Slo};

use super::{StepOutcome, StepRecord};

/// How steps are judged.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepRules {
    /// Seconds at a step's start left out.
    pub warmup_s: f64,
    /// The step's length: seconds completed after it (stragglers) are left out too.
    pub step_s: f64,
    /// Sub-windows a step is cut into…
    pub windows: u32,
    /// …of which this many must hold.
    pub must_hold: u32,
}

/// A stretch of seconds merged: what the SLOs judge.
struct Stretch {
    hist: Hist,
    responses: u64,
    successes: u64,
    status_4xx: u64,
    status_5xx: u64,
    errors: u64,
    seconds: f64,
}

impl Stretch {
    fn of(seconds: &[&SecondStats]) -> Stretch {
        let mut s = Stretch {
            hist: new_hist(),
            responses: 0,
            successes: 0,
            status_4xx: 0,
            status_5xx: 0,
            errors: 0,
            seconds: seconds.len() as f64,
        };
        for x in seconds {
            if let Ok(h) = decode_hist(&x.histogram) {
                let _ = s.hist.add(h);
            }
            s.responses += x.responses;
            s.successes += x.successes();
            s.status_4xx += x.status_4xx;
            s.status_5xx += x.status_5xx;
            s.errors += x.errors;
        }
        s
    }

    fn observed(&self) -> Observed<'_> {
        Observed {
            latency: Latencies::Hist(&self.hist),
            latency_without_lag: None,
            finished: self.responses + self.errors,
            successes: self.successes,
            status_4xx: self.status_4xx,
            status_5xx: self.status_5xx,
            errors: self.errors,
            rps: self.responses as f64 / self.seconds.max(1.0),
        }
    }
}

/// The timeline a (possibly scoped) SLO reads.
fn timeline_for<'a>(results: &'a Summary, slo: &Slo) -> &'a [SecondStats] {
    match slo.scope.as_deref() {
        Some(name) => results
            .endpoints
            .iter()
            .find(|e| e.name == name)
            .map_or(&[][..], |e| e.results.timeline.as_slice()),
        None => &results.timeline,
    }
}

/// The seconds judged: after the warm-up, within the step.
fn judged<'a>(timeline: &'a [SecondStats], rules: &StepRules) -> Vec<&'a SecondStats> {
    timeline
        .iter()
        .filter(|s| {
            let t = f64::from(s.second);
            t >= rules.warmup_s.floor() && t + 1.0 <= rules.step_s.ceil()
        })
        .collect()
}

/// Judges a finished step at `rate` over `connections`.
pub fn judge_step(
    report: &StressReport,
    slos: &[Slo],
    rules: &StepRules,
    (rate, connections, phase): (f64, u32, &str),
) -> StepRecord {
    let results = &report.body.results;
    let kept = judged(&results.timeline, rules);
    let whole = Stretch::of(&kept);
    let q =
        |q: f64| (!whole.hist.is_empty()).then(|| whole.hist.value_at_quantile(q) as f64 / 1000.0);
    let mut record = StepRecord {
        rate,
        connections,
        phase: phase.into(),
        outcome: StepOutcome::Pass,
        achieved_rps: (whole.responses as f64 / whole.seconds.max(1.0) * 10.0).round() / 10.0,
        p50_ms: q(0.5),
        p95_ms: q(0.95),
        p99_ms: q(0.99),
        service_p99_ms: results.service_latency.as_ref().and_then(|l| l.p99_ms),
        windows_passed: 0,
        windows: 0,
        breached: Vec::new(),
        why: None,
        connections_limited: false,
        histogram: encode_hist(&whole.hist),
    };
    // Short of the plan for want of a free connection: the judgement below tells
    // whose the wait was (the target's service time, or golive's connections).
    let sent = results
        .schedule
        .as_ref()
        .and_then(|s| s.planned_requests)
        .filter(|&p| p > 0)
        .map_or(1.0, |p| results.requests_sent as f64 / p as f64);
    // Sub-windows: a breach must be sustained.
    let n = rules.windows.max(1) as usize;
    // A window fails when any of its SLOs does.
    let mut failed = vec![false; n];
    let mut unsure = 0u32;
    for slo in slos {
        let seconds = judged(timeline_for(results, slo), rules);
        // min(n, seconds) near-equal sub-windows: 8 seconds make 5 windows, not 4.
        let k = n.min(seconds.len());
        let chunks = (0..k).map(|w| &seconds[w * seconds.len() / k..(w + 1) * seconds.len() / k]);
        for (w, chunk) in chunks.enumerate() {
            let stretch = Stretch::of(chunk);
            let v = slo.evaluate(&stretch.observed());
            record.windows = record.windows.max(w as u32 + 1);
            match v.outcome {
                Outcome::Fail => {
                    failed[w.min(n - 1)] = true;
                    if !record.breached.contains(&v.slo) {
                        record.breached.push(v.slo.clone());
                    }
                }
                Outcome::Inconclusive => unsure += 1,
                _ => {}
            }
        }
    }
    let failed_windows = failed.iter().filter(|f| **f).count() as u32;
    record.windows_passed = record.windows.saturating_sub(failed_windows);
    if record.windows == 0 {
        // The plan leaves at least a second to judge (config): none came back in it.
        record.outcome = StepOutcome::Fail;
        record.why =
            Some("no response completed after the warm-up: the target did not answer".into());
        return record;
    }
    // The share of sub-windows that may fail, kept when a short step has fewer of them.
    let allowed = rules.windows.saturating_sub(rules.must_hold);
    let tolerated = |failed: u32| failed * rules.windows <= allowed * record.windows;
    if tolerated(failed_windows) && sent >= 0.95 {
        if unsure > 0 && record.windows_passed == 0 {
            record.outcome = StepOutcome::Invalid;
            record.why = Some("too few responses to judge the SLOs: give a longer --step".into());
        }
        return record;
    }
    // golive's own lateness decides it only when the breach is gone without it (the
    // corrected latency less golive's lag holds): then the step says nothing of the
    // target. A step that passes passes, however late golive was.
    let late = results
        .schedule
        .as_ref()
        .map_or(0.0, |s| s.late_wakeups_pct);
    if late > 1.0 {
        if let Some(Ok(bound)) = results.histograms.without_lag.as_deref().map(decode_hist) {
            let observed = Observed {
                latency: Latencies::Hist(&bound),
                ..whole.observed()
            };
            let gone = slos
                .iter()
                .filter(|s| record.breached.contains(&s.to_string()))
                .all(|s| s.evaluate(&observed).outcome != Outcome::Fail);
            if gone && !record.breached.is_empty() {
                record.outcome = StepOutcome::Invalid;
                record.why = Some(format!(
                    "golive's own sends were late in {late:.1}% of the step, and without its lag {} held: its CPU is the limit (--threads, a quieter machine)",
                    record.breached.join(", ")
                ));
                return record;
            }
        }
    }
    // A latency breach that the target's own service time does not show, with every
    // connection busy: golive's connections were the limit.
    let latency_only = slos
        .iter()
        .filter(|s| record.breached.contains(&s.to_string()))
        .all(|s| {
            matches!(
                s.metric,
                Metric::Percentile(_) | Metric::Mean | Metric::Max | Metric::Min
            )
        });
    let busy = results.schedule.as_ref().map_or(0.0, |s| s.busy_waits_pct);
    if (latency_only || tolerated(failed_windows)) && busy > 1.0 {
        if let Ok(service) = decode_hist(&results.histograms.service) {
            let observed = Observed {
                latency: Latencies::Hist(&service),
                ..whole.observed()
            };
            // The SLOs that broke, or (when the step fell short of its plan without a
            // breach) every latency SLO.
            let held_to = |s: &&Slo| {
                record.breached.contains(&s.to_string())
                    || (record.breached.is_empty()
                        && matches!(s.metric, Metric::Percentile(_) | Metric::Mean | Metric::Max))
            };
            let holds = slos
                .iter()
                .filter(held_to)
                .all(|s| s.evaluate(&observed).outcome != Outcome::Fail);
            if holds {
                record.outcome = StepOutcome::Invalid;
                record.connections_limited = true;
                record.why = Some(format!(
                    "every one of golive's {connections} connections was busy in {busy:.1}% of sends while the target's own service time held {}: the generator's connections are the limit (-c)",
                    record.breached.join(", ")
                ));
                return record;
            }
        }
    }
    record.outcome = StepOutcome::Fail;
    record.why = Some(if !tolerated(failed_windows) {
        format!(
            "{} breached in {failed_windows} of {} sub-windows after the warm-up (at most {} allowed)",
            record.breached.join(", "),
            record.windows,
            allowed * record.windows / rules.windows
        )
    } else {
        format!(
            "the target fell behind: golive could send only {:.1}% of the planned requests, every connection waiting on it",
            sent * 100.0
        )
    });
    record
}

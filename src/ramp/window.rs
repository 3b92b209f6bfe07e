//! One analysis window: a bounded constant-rate sample of the URL through the load
//! engine, the service's own metrics between two scrapes, and the guards; judged
//! pass, fail (a breach), inconclusive (too little to tell) or error (could not look).

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::metrics::{self, Snapshot};
use super::plan::{MetricsPlan, RampPlan};
use super::shell::{self, CmdResult};
use crate::checks::probe;
use crate::compare::binned::{self, Served};
use crate::compare::{self, Change, Comparison};
use crate::gates::stress;
use crate::http::Connector;
use crate::load;
use crate::measure::{Measurement, SecondStats};
use crate::outcome::Outcome;
use crate::shutdown::Cancel;
use crate::slo::{samples_needed, Metric, Slo, Verdict};

/// A window's verdict. Errors are kept apart from failures, as Argo Rollouts does: a
/// scrape or guard that could not run says nothing about the release.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WindowVerdict {
    Pass,
    Fail,
    Inconclusive,
    Error,
}

impl WindowVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            WindowVerdict::Pass => "PASS",
            WindowVerdict::Fail => "FAIL",
            WindowVerdict::Inconclusive => "INCONCLUSIVE",
            WindowVerdict::Error => "ERROR",
        }
    }
}

/// The synthetic sample's figures and verdicts.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Synthetic {
    pub outcome: Outcome,
    pub requests: u64,
    pub responses: u64,
    pub status_5xx: u64,
    pub errors: u64,
    pub p95_ms: Option<f64>,
    pub slos: Vec<Verdict>,
    pub reasons: Vec<String>,
}

/// The service's real traffic between the window's two scrapes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ServiceMetrics {
    pub outcome: Outcome,
    /// Why the metrics could not be judged (a scrape failed), when they could not.
    pub error: Option<String>,
    pub requests: Option<f64>,
    pub status_5xx: Option<f64>,
    /// From the latency histogram's bucket deltas, interpolated as histogram_quantile.
    pub p95_ms: Option<f64>,
    pub checks: Vec<Verdict>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct WindowRecord {
    pub step: usize,
    pub weight: u32,
    /// 1-based, within the step.
    pub window: u32,
    pub verdict: WindowVerdict,
    pub duration_s: f64,
    pub synthetic: Synthetic,
    pub metrics: Option<ServiceMetrics>,
    pub guards: Vec<CmdResult>,
    /// Why the verdict is not a pass, one line each, with the numbers.
    pub reasons: Vec<String>,
    /// `--baseline`: the canary against the release it replaces, over the step's
    /// windows so far (histograms left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparison: Option<Box<Comparison>>,
    /// `--baseline-metrics`: the canary's own metrics against the baseline's, over the
    /// step's windows so far.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics_comparison: Option<Box<Comparison>>,
}

/// Scrapes one release's metrics once.
pub async fn scrape(
    target: &crate::http::Target,
    plan: &MetricsPlan,
    client: &crate::http::ClientOptions,
) -> Result<Snapshot, String> {
    let got = probe::get(target, client, Duration::from_secs(10))
        .await
        .map_err(|e| format!("scrape of {} failed: {e}", target.uri))?;
    if got.status != 200 {
        return Err(format!("scrape of {} answered {}", target.uri, got.status));
    }
    if got.truncated {
        return Err(format!(
            "scrape of {} is over {} bytes",
            target.uri,
            probe::MAX_BODY
        ));
    }
    let text = String::from_utf8_lossy(&got.body);
    metrics::snapshot(&text, &plan.five_xx, &plan.latency)
}

/// The last scrape of each release's metrics: a window's traffic is what was served
/// between it and the window's own scrape.
#[derive(Debug, Default)]
pub struct Scrapes {
    pub canary: Option<Result<Snapshot, String>>,
    pub baseline: Option<Result<Snapshot, String>>,
}

impl Scrapes {
    /// The scrapes a step's first window counts from.
    pub async fn start(plan: &MetricsPlan, client: &crate::http::ClientOptions) -> Scrapes {
        let baseline = async {
            match &plan.baseline {
                Some(t) => Some(scrape(t, plan, client).await),
                None => None,
            }
        };
        let (canary, baseline) = tokio::join!(scrape(&plan.target, plan, client), baseline);
        Scrapes {
            canary: Some(canary),
            baseline,
        }
    }
}

/// The step's windows so far, each side's timeline end to end: a step's decision uses
/// all of them.
#[derive(Debug, Default)]
pub struct Accumulated {
    canary: Vec<SecondStats>,
    baseline: Vec<SecondStats>,
    looks: u32,
    /// The services' own counters over the step's windows: (baseline, canary).
    served: (Served, Served),
    served_looks: u32,
}

fn append(into: &mut Vec<SecondStats>, more: Vec<SecondStats>) {
    let offset = into.last().map_or(0, |s| s.second + 1);
    into.extend(more.into_iter().map(|mut s| {
        s.second += offset;
        s
    }));
}

/// The settings of a step's k-th look: confidence 1 − α/(k(k+1)), so that all of a
/// step's looks together keep the false-alarm rate α (a union bound: the α/(k(k+1))
/// sum to α).
fn spent(settings: &compare::Settings, looks: u32) -> compare::Settings {
    let k = f64::from(looks);
    let alpha = (1.0 - settings.confidence) / (k * (k + 1.0));
    compare::Settings {
        confidence: 1.0 - alpha,
        ..settings.clone()
    }
}

/// The canary against the baseline over the step's windows so far, at a spent
/// confidence.
fn against_baseline(
    acc: &mut Accumulated,
    settings: &compare::Settings,
    baseline: &Measurement,
    canary: &Measurement,
) -> Comparison {
    append(&mut acc.baseline, baseline.summary().timeline);
    append(&mut acc.canary, canary.summary().timeline);
    acc.looks += 1;
    let settings = spent(settings, acc.looks);
    let mut c = match compare::Pair::from_timelines(&acc.baseline, &acc.canary, settings.unit_s, 0)
    {
        Ok(pair) => compare::compare(&pair, &settings),
        // golive's own histograms always decode; say so if one did not.
        Err(e) => unreachable_comparison(&e.to_string()),
    };
    c.baseline_histogram.clear();
    c.candidate_histogram.clear();
    c
}

/// The canary's own metrics against the baseline's over the step's windows so far, at
/// a spent confidence.
fn against_baseline_metrics(
    acc: &mut Accumulated,
    settings: &compare::Settings,
    baseline: &Served,
    canary: &Served,
) -> Comparison {
    acc.served.0.add(baseline);
    acc.served.1.add(canary);
    acc.served_looks += 1;
    let settings = spent(settings, acc.served_looks);
    binned::compare(
        &acc.served.0,
        &acc.served.1,
        &settings,
        acc.served_looks as usize,
    )
}

fn unreachable_comparison(why: &str) -> Comparison {
    let empty = compare::Pair {
        values: Vec::new(),
        baseline: Vec::new(),
        candidate: Vec::new(),
    };
    let mut c = compare::compare(&empty, &compare::Settings::default());
    c.notes.push(format!("a histogram did not decode: {why}"));
    c
}

/// What a window needs from the step it belongs to.
pub struct WindowCtx<'a> {
    pub plan: &'a RampPlan,
    pub step: usize,
    pub weight: u32,
    pub window: u32,
    /// The scrapes at the window's start; replaced by those at its end.
    pub scrapes: &'a mut Scrapes,
    /// `--baseline`: the step's windows so far.
    pub accumulated: &'a mut Accumulated,
}

/// One window's sample against one target, to its end or `cancel`.
async fn load_sample(
    plan: &crate::gates::stress::StressPlan,
    cancel: &Cancel,
) -> Result<load::Finished, String> {
    let connector = Connector::new(&plan.target, &plan.client)
        .await
        .map_err(|e| e.to_string())?;
    let handle = load::start(plan.load.clone(), plan.requests(), connector, None);
    Ok(handle
        .run_until(Duration::from_millis(100), cancel, |_| {})
        .await)
}

/// Runs and judges one window. `interrupted` is true when `cancel` cut the sample
/// short (the window is then not judged by the caller).
pub async fn run(mut ctx: WindowCtx<'_>, cancel: &Cancel) -> (WindowRecord, bool) {
    let plan = ctx.plan;
    let started = Instant::now();
    let sample = &plan.sample;
    let (m, base) = match &plan.direct {
        None => (load_sample(sample, cancel).await, None),
        Some(d) => {
            let baseline = async {
                match &d.baseline {
                    Some(b) => Some(load_sample(b, cancel).await),
                    None => None,
                }
            };
            tokio::join!(load_sample(&d.canary, cancel), baseline)
        }
    };
    let comparison = match (&plan.direct, &m, &base) {
        (Some(d), Ok(canary), Some(Ok(baseline))) => Some(Box::new(against_baseline(
            ctx.accumulated,
            &d.compare,
            &baseline.measurement,
            &canary.measurement,
        ))),
        _ => None,
    };
    let (synthetic, interrupted) = match m {
        Ok(finished) => (
            judge_synthetic(&finished.measurement, &sample.slos, finished.interrupted),
            finished.interrupted,
        ),
        Err(e) => (
            Synthetic {
                outcome: Outcome::Fail,
                requests: 0,
                responses: 0,
                status_5xx: 0,
                errors: 0,
                p95_ms: None,
                slos: Vec::new(),
                reasons: vec![format!("cannot reach the target: {e}")],
            },
            false,
        ),
    };
    let mut baseline_unreachable = None;
    if let Some(Err(e)) = &base {
        baseline_unreachable = Some(format!("baseline: cannot reach it: {e}"));
    }
    let (metrics, metrics_comparison) = match &plan.metrics {
        Some(mp) => {
            let (judged, compared) = service_metrics(mp, &mut ctx, &sample.client).await;
            (Some(judged), compared)
        }
        None => (None, None),
    };
    let mut guards = Vec::new();
    for g in &plan.commands.guards {
        let env = [
            ("GOLIVE_WEIGHT", ctx.weight.to_string()),
            ("GOLIVE_STEP", (ctx.step + 1).to_string()),
        ];
        guards.push(shell::run(g, &env, None, plan.commands.timeout, cancel, 0).await);
    }
    let (verdict, mut reasons) = verdict_of(
        &synthetic,
        metrics.as_ref(),
        &guards,
        comparison.as_deref(),
        metrics_comparison.as_ref(),
    );
    if let Some(why) = baseline_unreachable {
        // Without the baseline nothing is compared: the window says so and cannot pass.
        reasons.push(why);
    }
    let verdict = match verdict {
        WindowVerdict::Pass if base.as_ref().is_some_and(|b| b.is_err()) => WindowVerdict::Error,
        v => v,
    };
    let record = WindowRecord {
        step: ctx.step,
        weight: ctx.weight,
        window: ctx.window,
        verdict,
        duration_s: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        synthetic,
        metrics,
        guards,
        reasons,
        comparison,
        metrics_comparison: metrics_comparison.and_then(Result::ok).map(Box::new),
    };
    (record, interrupted)
}

/// Both releases' metrics scraped at the window's end: the canary's judged by the SLOs
/// and, with `--baseline-metrics`, compared with the baseline's over the step so far
/// (`Err`: the baseline's could not be read, so nothing was compared).
async fn service_metrics(
    mp: &MetricsPlan,
    ctx: &mut WindowCtx<'_>,
    client: &crate::http::ClientOptions,
) -> (ServiceMetrics, Option<Result<Comparison, String>>) {
    let now = Scrapes::start(mp, client).await;
    let canary = served_between(ctx.scrapes.canary.as_ref(), now.canary.as_ref());
    let judged = judge_metrics(&canary, &ctx.plan.sample.slos);
    let compared = match (&mp.baseline, &canary) {
        (None, _) => None,
        (Some(_), canary) => {
            let baseline = served_between(ctx.scrapes.baseline.as_ref(), now.baseline.as_ref());
            match (baseline, canary) {
                (Ok(b), Ok(c)) => Some(Ok(against_baseline_metrics(
                    ctx.accumulated,
                    &mp.compare,
                    &b,
                    c,
                ))),
                (Err(e), _) => Some(Err(e)),
                // The canary's own error is said once, by its metrics.
                (Ok(_), Err(_)) => None,
            }
        }
    };
    *ctx.scrapes = now;
    (judged, compared)
}

fn judge_synthetic(m: &Measurement, slos: &[Slo], interrupted: bool) -> Synthetic {
    let (outcome, verdicts, reasons) = stress::judge(m, slos, interrupted);
    let summary = m.summary();
    Synthetic {
        outcome,
        requests: summary.requests_sent,
        responses: summary.responses,
        status_5xx: summary.status_5xx,
        errors: summary.errors_total,
        p95_ms: summary.latency.p95_ms,
        slos: verdicts,
        reasons,
    }
}

/// What a release served between two scrapes, or why that cannot be told.
fn served_between(
    before: Option<&Result<Snapshot, String>>,
    after: Option<&Result<Snapshot, String>>,
) -> Result<Served, String> {
    match (before, after) {
        (_, None) => Err("not scraped".into()),
        (_, Some(Err(e))) => Err(e.clone()),
        // Absent from the window's first scrape but present in its last: a fresh
        // release's series, created at its first request, counts from zero.
        (_, Some(Ok(a))) if !a.present => Err(format!(
            "no '{}' series in the scrape: is the metric's name right?",
            a.metric
        )),
        (Some(Ok(b)), Some(Ok(a))) => Ok(metrics::delta(b, a)),
        (Some(Err(e)), Some(Ok(_))) => Err(format!("no baseline: {e}")),
        (None, Some(Ok(_))) => Err("no baseline scrape".into()),
    }
}

/// The service's 5xx and latency between two scrapes, against the same criteria as
/// the synthetic load: 5xx (count or share of requests) and latency percentiles.
pub fn judge_metrics(served: &Result<Served, String>, slos: &[Slo]) -> ServiceMetrics {
    let d = match served {
        Ok(d) => d,
        Err(why) => {
            return ServiceMetrics {
                outcome: Outcome::Inconclusive,
                error: Some(why.clone()),
                requests: None,
                status_5xx: None,
                p95_ms: None,
                checks: Vec::new(),
            }
        }
    };
    let p95 = metrics::quantile(&d.buckets, 0.95).map(|s| s * 1000.0);
    let mut checks = Vec::new();
    for slo in slos {
        match slo.metric {
            Metric::Status5xx => {
                let observed = if slo.unit == crate::slo::Unit::Percent {
                    (d.requests > 0.0).then(|| d.status_5xx * 100.0 / d.requests)
                } else {
                    Some(d.status_5xx)
                };
                checks.push(slo.verdict_for(observed, None));
            }
            Metric::Percentile(pct) if !d.buckets.is_empty() => {
                let q = pct / 100.0;
                let count = d.buckets.last().map_or(0.0, |b| b.1);
                let needed = samples_needed(q);
                if count < needed as f64 {
                    let why = format!(
                        "the service answered {count:.0} requests in the window; p{pct} needs {needed}"
                    );
                    checks.push(slo.verdict_for(None, Some(why)));
                } else {
                    let v = metrics::quantile(&d.buckets, q).map(|s| s * 1000.0);
                    checks.push(slo.verdict_for(v, None));
                }
            }
            _ => {}
        }
    }
    ServiceMetrics {
        outcome: Outcome::combine(checks.iter().map(|c| c.outcome)),
        error: None,
        requests: Some(d.requests),
        status_5xx: Some(d.status_5xx),
        p95_ms: p95,
        checks,
    }
}

/// Fail beats error beats inconclusive beats pass.
fn verdict_of(
    synthetic: &Synthetic,
    metrics: Option<&ServiceMetrics>,
    guards: &[CmdResult],
    comparison: Option<&Comparison>,
    metrics_comparison: Option<&Result<Comparison, String>>,
) -> (WindowVerdict, Vec<String>) {
    let mut fails = Vec::new();
    let mut errors = Vec::new();
    let mut unsure = Vec::new();
    let failed = |v: &[Verdict], source: &str, out: &mut Vec<String>, want: Outcome| {
        for c in v.iter().filter(|c| c.outcome == want) {
            let why = c
                .reason
                .clone()
                .unwrap_or_else(|| format!("observed {}", c.observed_words()));
            out.push(format!("{source}: {}: {why}", c.slo));
        }
    };
    failed(&synthetic.slos, "synthetic", &mut fails, Outcome::Fail);
    failed(
        &synthetic.slos,
        "synthetic",
        &mut unsure,
        Outcome::Inconclusive,
    );
    if synthetic.outcome == Outcome::Fail && synthetic.slos.is_empty() {
        fails.extend(synthetic.reasons.iter().map(|r| format!("synthetic: {r}")));
    } else {
        unsure.extend(synthetic.reasons.iter().map(|r| format!("synthetic: {r}")));
    }
    if let Some(m) = metrics {
        match &m.error {
            Some(e) => errors.push(format!("metrics: {e}")),
            None => {
                failed(&m.checks, "metrics", &mut fails, Outcome::Fail);
                failed(&m.checks, "metrics", &mut unsure, Outcome::Inconclusive);
            }
        }
    }
    let compared = [
        comparison.map(|c| ("baseline", c)),
        metrics_comparison
            .and_then(|c| c.as_ref().ok())
            .map(|c| ("baseline metrics", c)),
    ];
    for (source, c) in compared.into_iter().flatten() {
        match c.change {
            Change::Regressed => fails.push(format!("{source}: {}", c.said)),
            Change::Inconclusive => unsure.push(format!("{source}: {}", c.said)),
            Change::Same | Change::Improved => {}
        }
    }
    if let Some(Err(e)) = metrics_comparison {
        errors.push(format!("baseline metrics: {e}"));
    }
    for g in guards {
        if g.ran() && !g.ok() {
            fails.push(format!("guard `{}`: {}", g.command, g.describe()));
        } else if !g.ran() {
            errors.push(format!("guard `{}`: {}", g.command, g.describe()));
        }
    }
    if !fails.is_empty() {
        fails.extend(errors);
        (WindowVerdict::Fail, fails)
    } else if !errors.is_empty() {
        (WindowVerdict::Error, errors)
    } else if synthetic.outcome == Outcome::Inconclusive
        || metrics.is_some_and(|m| m.outcome == Outcome::Inconclusive)
        || compared
            .iter()
            .flatten()
            .any(|(_, c)| c.change == Change::Inconclusive)
    {
        (WindowVerdict::Inconclusive, unsure)
    } else {
        (WindowVerdict::Pass, Vec::new())
    }
}

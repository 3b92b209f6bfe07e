//! Canary pings: sequential GETs of a health endpoint, each on a fresh connection and
//! checked against the health contract, judged by SLOs over the exact samples.

use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ms;
use crate::checks::{health, probe};
use crate::http::{ClientOptions, Target};
use crate::load::Control;
use crate::outcome::Outcome;
use crate::slo::{Latencies, Observed, Slo, Verdict};

/// The seeds' canary: 5 pings, 300 ms apart, p95 under one second.
pub const DEFAULT_COUNT: u32 = 5;
pub const DEFAULT_DELAY: Duration = Duration::from_millis(300);
pub const DEFAULT_SLO: &str = "p95<1000ms";

/// How samples are spaced.
#[derive(Clone, Debug, PartialEq)]
pub enum Spacing {
    /// `count` samples, each starting `delay` after the previous one ended (the seed's loop).
    Delay { count: u32, delay: Duration },
    /// One sample every `interval` (start to start) for `duration`: an uptime probe.
    Every {
        interval: Duration,
        duration: Duration,
    },
}

#[derive(Clone, Debug)]
pub struct CanaryPlan {
    pub spacing: Spacing,
    /// Per sample: connect, request and body.
    pub timeout: Duration,
    pub slos: Vec<Slo>,
}

/// One ping.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Sample {
    /// HTTP status; `null` when no response came.
    pub code: Option<u16>,
    /// Connect to last body byte; `null` when no response came.
    pub latency_ms: Option<f64>,
    /// HTTP 200 and a healthy body.
    pub ok: bool,
    /// Why the sample is not ok.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Passing with a remark (IETF `warn`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The seed's `canary` object (`oks`, `count`, `p95_ms`, `samples`) plus verdicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CanaryResult {
    pub url: String,
    pub oks: u32,
    pub count: u32,
    /// Nearest-rank p95 over the samples that got a response.
    pub p95_ms: Option<f64>,
    pub samples: Vec<Sample>,
    pub slos: Vec<Verdict>,
    /// Pass when every sample is ok and every SLO holds; interrupted when Ctrl-C
    /// stopped it before the plan was done.
    pub verdict: Outcome,
}

impl CanaryResult {
    pub fn ok(&self) -> bool {
        self.verdict.is_pass()
    }
}

async fn sample(target: &Target, client: &ClientOptions, timeout: Duration) -> Sample {
    match probe::get(target, client, timeout).await {
        Ok(p) => {
            let v = health::judge_probe(&p);
            Sample {
                code: Some(p.status),
                latency_ms: Some(ms(p.latency)),
                ok: v.ok,
                error: v.reason,
                note: v.note,
            }
        }
        Err(e) => Sample {
            code: None,
            latency_ms: None,
            ok: false,
            error: Some(e.to_string()),
            note: None,
        },
    }
}

/// Runs the canary; `on_sample` sees each sample as it completes. `control.stop()`
/// ends it early (the result says `interrupted`).
pub async fn run(
    target: &Target,
    client: &ClientOptions,
    plan: &CanaryPlan,
    control: &Control,
    mut on_sample: impl FnMut(usize, &Sample),
) -> CanaryResult {
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut interrupted = false;
    for i in 0.. {
        let wake = match plan.spacing {
            Spacing::Delay { count, delay } => {
                if i >= count as usize {
                    break;
                }
                (i > 0).then(|| Instant::now() + delay)
            }
            Spacing::Every { interval, duration } => {
                let at = start + interval * i as u32;
                if at >= start + duration {
                    break;
                }
                Some(at)
            }
        };
        if let Some(wake) = wake {
            tokio::select! {
                _ = tokio::time::sleep_until(wake.into()) => {}
                _ = control.stopped() => { interrupted = true; break; }
            }
        }
        let s = tokio::select! {
            s = sample(target, client, plan.timeout) => s,
            _ = control.stopped() => { interrupted = true; break; }
        };
        on_sample(i, &s);
        samples.push(s);
    }
    judge(target.uri.to_string(), samples, &plan.slos, interrupted)
}

/// Judges a list of samples against the SLOs.
pub fn judge(url: String, samples: Vec<Sample>, slos: &[Slo], interrupted: bool) -> CanaryResult {
    let mut latencies: Vec<f64> = samples.iter().filter_map(|s| s.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let count = samples.len() as u32;
    let oks = samples.iter().filter(|s| s.ok).count() as u32;
    let code_count = |lo: u16, hi: u16| {
        samples
            .iter()
            .filter(|s| s.code.is_some_and(|c| (lo..=hi).contains(&c)))
            .count() as u64
    };
    let obs = Observed {
        latency: Latencies::Samples(&latencies),
        latency_without_lag: None,
        finished: count as u64,
        successes: oks as u64,
        status_4xx: code_count(400, 499),
        status_5xx: code_count(500, 999),
        errors: samples.iter().filter(|s| s.code.is_none()).count() as u64,
        rps: 0.0,
    };
    let verdicts: Vec<Verdict> = slos.iter().map(|s| s.evaluate(&obs)).collect();
    let verdict = Outcome::combine(
        verdicts
            .iter()
            .map(|v| v.outcome)
            .chain([Outcome::of_checks(samples.iter().map(|s| s.ok))])
            .chain((count == 0).then_some(Outcome::Fail)),
    )
    .or_interrupted(interrupted);
    CanaryResult {
        url,
        oks,
        count,
        p95_ms: (!latencies.is_empty()).then(|| Latencies::Samples(&latencies).quantile_ms(0.95)),
        samples,
        slos: verdicts,
        verdict,
    }
}

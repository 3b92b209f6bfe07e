//! Is the candidate worse than the baseline? Two runs' per-second histograms compared
//! metric by metric (the typical request's shift, percentiles, the share of requests
//! that got slower, error and 5xx rates, throughput), each with its effect, interval,
//! p-value and tolerance band, and one verdict: same, improved, regressed or
//! inconclusive. Pure: results in, a [`Comparison`] out.
//!
//! Replication: requests are autocorrelated, so intervals of the timeline (1 s by
//! default), not requests, are the units: every variance is clustered by interval
//! (Mann–Whitney's after Obuchowski 1997, percentiles' after Woodruff, rates' as ratio
//! estimators), and shape permutes and resamples whole intervals.

pub mod binned;
pub mod plan;
pub mod sample;
pub mod stats;
pub mod tolerance;
mod verdict;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use plan::PlanKey;
pub use sample::{Pair, Unit};
pub use tolerance::{Band, Metric, Tolerance, Tolerances};
pub use verdict::{p_words, Change};

use crate::measure::{encode_hist, new_hist};

/// Intervals a side needs before anything is concluded (benchstat refuses under 4).
pub const MIN_UNITS: usize = 5;

/// How a comparison is made.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Seconds per replication unit (1–10).
    pub unit_s: u32,
    /// Seconds at the start of each run left out (warm-up).
    pub warmup_s: u32,
    /// Two-sided confidence of every interval.
    pub confidence: f64,
    pub percentiles: Vec<f64>,
    pub tolerances: Tolerances,
    pub resamples: u32,
    /// Compare responses per second (closed model with the same plan only: in the
    /// open model throughput is the planned rate).
    pub throughput: bool,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            unit_s: 1,
            warmup_s: 0,
            confidence: 0.995,
            percentiles: vec![0.5, 0.95, 0.99],
            tolerances: Tolerances::default(),
            resamples: 1000,
            throughput: false,
        }
    }
}

/// A metric's change from baseline to candidate, in the band's unit.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Effect {
    /// "%" (relative to the baseline, or a share of requests for shape), "ms" or
    /// "pp" (percentage points).
    pub unit: String,
    /// Candidate minus baseline: positive means higher (slower, more errors).
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// One compared metric.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct MetricResult {
    /// `shift`, `p50`, `p95`, `p99`, `shape`, `errors`, `5xx` or `throughput`.
    pub metric: String,
    /// The baseline's and the candidate's value, in `value_unit`.
    pub baseline: Option<f64>,
    pub candidate: Option<f64>,
    /// "ms", "%" or "rps".
    pub value_unit: String,
    /// Absent when the data could not support an estimate (see `said`).
    pub effect: Option<Effect>,
    /// The probability of a change at least this large if nothing had changed.
    pub p_value: Option<f64>,
    /// How the interval and p-value were found.
    pub test: String,
    /// The band within which a change is "the same", worse-way (e.g. "+10%").
    pub tolerance: String,
    pub change: Change,
    /// The comparison in words: effect, interval, p-value and band.
    pub said: String,
}

/// How the comparison was made, so a reader can judge the judgement.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Method {
    pub unit_s: u32,
    pub warmup_s: u32,
    pub units_baseline: usize,
    pub units_candidate: usize,
    pub confidence: f64,
    pub resamples: u32,
    /// The seed of shape's permutations, taken from the data (the same files give the
    /// same verdict).
    pub seed: String,
    /// The replication rule in words.
    pub replication: String,
}

/// The comparison of a candidate run against a baseline run.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Comparison {
    /// Regressed if any metric regressed; else inconclusive if any is; else improved
    /// if any improved; else same.
    pub change: Change,
    /// The verdict in one sentence.
    pub said: String,
    pub method: Method,
    pub metrics: Vec<MetricResult>,
    /// Plan differences let through with `--force`, interrupted runs and the like.
    pub notes: Vec<String>,
    /// Each side's success latencies after the warm-up (HdrHistogram V2+DEFLATE,
    /// base64), for the report's percentile curves.
    pub baseline_histogram: String,
    pub candidate_histogram: String,
}

/// Compares the two sides of `pair`.
pub fn compare(pair: &Pair, settings: &Settings) -> Comparison {
    let metrics = verdict::metrics(pair, settings);
    let change = Change::overall(metrics.iter().map(|m| m.change));
    let said = verdict::headline(change, &metrics);
    let hist = |units: &[Unit]| {
        let mut h = new_hist();
        for u in units {
            for &(i, c) in &u.latency {
                // Bucket values came out of golive's own histograms: they fit.
                let _ = h.record_n(pair.values[i as usize], c);
            }
        }
        encode_hist(&h)
    };
    Comparison {
        change,
        said,
        method: Method {
            unit_s: settings.unit_s,
            warmup_s: settings.warmup_s,
            units_baseline: pair.baseline.len(),
            units_candidate: pair.candidate.len(),
            confidence: settings.confidence,
            resamples: settings.resamples,
            seed: format!("{:016x}", pair.seed()),
            replication: format!(
                "{}-second intervals as units: every variance clustered by interval; shape's p \
                 from {} permutations of intervals, its noise from as many resamples",
                settings.unit_s, settings.resamples
            ),
        },
        metrics,
        notes: Vec::new(),
        baseline_histogram: hist(&pair.baseline),
        candidate_histogram: hist(&pair.candidate),
    }
}

/// One compared run, as its file names it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RunSide {
    /// The `--json` file read.
    pub file: String,
    /// `stress` or `merge`.
    pub command: String,
    pub started_at: String,
    pub url: String,
    /// "closed" or "open".
    pub model: String,
    /// The run's own verdict on its SLOs.
    pub outcome: crate::outcome::Outcome,
    pub responses: u64,
    pub wall_time_s: f64,
}

/// What `golive compare --json` writes after the envelope.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct CompareRun {
    pub baseline: RunSide,
    pub candidate: RunSide,
    pub comparison: Comparison,
}

pub type CompareReport = crate::outcome::Document<CompareRun>;

//! SLO expressions: `p95<500ms`, `success>99%`, `5xx==0`, `rps>=1000`.
//! Parsing and evaluation are pure; a verdict is pass, fail or inconclusive.

use std::fmt;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::measure::{Hist, LiveTotals, Measurement};
use crate::outcome::Outcome;

/// What an SLO is about.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Metric {
    /// A latency percentile, in percent: (0, 100].
    Percentile(f64),
    Mean,
    Min,
    Max,
    SuccessRate,
    Status4xx,
    Status5xx,
    Errors,
    Rps,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl Op {
    fn holds(self, observed: f64, threshold: f64) -> bool {
        match self {
            Op::Lt => observed < threshold,
            Op::Le => observed <= threshold,
            Op::Gt => observed > threshold,
            Op::Ge => observed >= threshold,
            Op::Eq => observed == threshold,
            Op::Ne => observed != threshold,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
}

/// The unit a threshold is expressed in; counts may also be given as a percentage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Ms,
    Percent,
    Count,
    Rps,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::Percent => "%",
            Unit::Count => "count",
            Unit::Rps => "req/s",
        }
    }
}

/// A parsed SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    pub metric: Metric,
    pub op: Op,
    /// In `unit`: milliseconds, percent, a count or requests per second.
    pub threshold: f64,
    pub unit: Unit,
    /// `checkout: p99<300ms`: the named request of a workload it judges (`None`: the
    /// whole run).
    pub scope: Option<String>,
    text: String,
}

#[derive(Debug, thiserror::Error, PartialEq)]
#[error("invalid --slo '{expr}': {why}")]
pub struct SloError {
    expr: String,
    why: String,
}

/// The seeds' stress bar: success > 99%, p95 < 500 ms, zero 5xx.
pub const DEFAULT_STRESS_SLOS: [&str; 3] = ["success>99%", "p95<500ms", "5xx==0"];

impl Slo {
    pub fn parse(expr: &str) -> Result<Slo, SloError> {
        let fail = |why: &str| SloError {
            expr: expr.to_string(),
            why: why.to_string(),
        };
        let (scope, body) = match expr.split_once(':') {
            Some((name, rest)) => {
                let name = name.trim();
                if name.is_empty() || name.contains(['<', '>', '=', '!']) {
                    return Err(fail(
                        "expected NAME: METRIC OP VALUE, e.g. checkout: p99<300ms",
                    ));
                }
                (Some(name.to_string()), rest)
            }
            None => (None, expr),
        };
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let (at, op_text) = ["<=", ">=", "==", "!=", "<", ">", "="]
            .iter()
            .filter_map(|op| compact.find(op).map(|i| (i, *op)))
            .min_by_key(|(i, op)| (*i, std::cmp::Reverse(op.len())))
            .ok_or_else(|| fail("expected METRIC OP VALUE, e.g. p95<500ms"))?;
        let op = match op_text {
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "==" | "=" => Op::Eq,
            _ => Op::Ne,
        };
        let name = compact[..at].to_ascii_lowercase();
        let value = &compact[at + op_text.len()..];
        if value.is_empty() {
            return Err(fail("missing value after the operator"));
        }
        let metric = parse_metric(&name).ok_or_else(|| {
            fail("unknown metric; use pNN (p50, p95, p99.9), mean, min, max, success, 4xx, 5xx, errors or rps")
        })?;
        let (threshold, unit) = match metric {
            Metric::Percentile(_) | Metric::Mean | Metric::Min | Metric::Max => {
                (parse_latency(value).map_err(|w| fail(&w))?, Unit::Ms)
            }
            Metric::SuccessRate => (
                parse_percent(value)
                    .ok_or_else(|| fail("success takes a percentage, e.g. success>99%"))?,
                Unit::Percent,
            ),
            Metric::Status4xx | Metric::Status5xx | Metric::Errors => match parse_percent(value) {
                Some(p) => (p, Unit::Percent),
                None => (
                    value.parse::<u64>().map_err(|_| {
                        fail("counts take a whole number (5xx==0) or a percentage (5xx<1%)")
                    })? as f64,
                    Unit::Count,
                ),
            },
            Metric::Rps => (
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| fail("rps takes a number, e.g. rps>=1000"))?,
                Unit::Rps,
            ),
        };
        let text = format!("{name}{}{value}", op.symbol());
        Ok(Slo {
            metric,
            op,
            threshold,
            unit,
            text: match &scope {
                Some(s) => format!("{s}: {text}"),
                None => text,
            },
            scope,
        })
    }

    /// Judges the SLO against a run's measurement. A latency SLO is judged twice in
    /// the open model: on the corrected latency and on the same less golive's own send
    /// lag. The true latency lies between them, so it is inconclusive only when the two
    /// disagree, and the reason gives both values.
    pub fn evaluate(&self, obs: &Observed) -> Verdict {
        let observed = match self.observe(obs.latency, obs) {
            Ok(v) => v,
            Err(reason) => return self.verdict(None, Outcome::Inconclusive, Some(reason)),
        };
        let holds = self.op.holds(observed, self.threshold);
        if let Some(bound) = obs.latency_without_lag.filter(|_| self.unit == Unit::Ms) {
            if let Ok(b) = self.observe(bound, obs) {
                if self.op.holds(b, self.threshold) != holds {
                    let why = format!(
                        "{observed:.1} ms measured, {b:.1} ms without golive's own send lag: \
                         the generator's lateness, not the server, decides it; give golive \
                         more CPU (--threads, a quieter machine) or a lower --rate"
                    );
                    return self.verdict(Some(observed), Outcome::Inconclusive, Some(why));
                }
            }
        }
        self.verdict(Some(observed), Outcome::from_ok(holds), None)
    }

    fn observe(&self, latency: Latencies, obs: &Observed) -> Result<f64, String> {
        let n = latency.len();
        let need_latency = |needed: u64| {
            if n < needed {
                Err(format!(
                    "needs at least {needed} successful responses, have {n}"
                ))
            } else {
                Ok(())
            }
        };
        let rate = |count: u64| {
            if obs.finished == 0 {
                Err("no request finished".to_string())
            } else {
                Ok(count as f64 * 100.0 / obs.finished as f64)
            }
        };
        let count_or_rate = |count: u64| match self.unit {
            Unit::Percent => rate(count),
            _ => Ok(count as f64),
        };
        match self.metric {
            Metric::Percentile(pct) => {
                let q = pct / 100.0;
                // A histogram summarises a run: too few samples is no verdict. Exact
                // samples (a canary) are judged by nearest rank however few they are.
                need_latency(match latency {
                    Latencies::Hist(_) => samples_needed(q),
                    Latencies::Samples(_) => 1,
                })?;
                Ok(latency.quantile_ms(q))
            }
            Metric::Mean => need_latency(1).map(|_| latency.mean_ms()),
            Metric::Min => need_latency(1).map(|_| latency.quantile_ms(0.0)),
            Metric::Max => need_latency(1).map(|_| latency.quantile_ms(1.0)),
            Metric::SuccessRate => rate(obs.successes),
            Metric::Status4xx => count_or_rate(obs.status_4xx),
            Metric::Status5xx => count_or_rate(obs.status_5xx),
            Metric::Errors => count_or_rate(obs.errors),
            Metric::Rps => Ok(obs.rps),
        }
    }

    /// True when the SLO can no longer hold whatever the rest of the run does: a count
    /// budget already spent, or a success rate out of reach of the planned request count.
    pub fn lost_for_good(&self, live: &LiveTotals, planned: Option<u64>) -> bool {
        // The live totals are the whole run's: one request's budget is not among them.
        if self.scope.is_some() {
            return false;
        }
        let count = match self.metric {
            Metric::Status5xx => live.status_5xx,
            Metric::Errors => live.errors,
            Metric::SuccessRate => {
                let Some(planned) = planned.filter(|&p| p > 0) else {
                    return false;
                };
                let best = planned.saturating_sub(live.failures) as f64 * 100.0 / planned as f64;
                return matches!(self.op, Op::Gt | Op::Ge) && !self.op.holds(best, self.threshold);
            }
            _ => return false,
        };
        let floor = match self.unit {
            Unit::Count => count as f64,
            Unit::Percent => match planned.filter(|&p| p > 0) {
                Some(p) => count as f64 * 100.0 / p as f64,
                None => return false,
            },
            _ => return false,
        };
        // Counts only grow: an upper bound that is already exceeded stays exceeded.
        match self.op {
            Op::Lt | Op::Le => !self.op.holds(floor, self.threshold),
            Op::Eq => floor > self.threshold,
            _ => false,
        }
    }

    /// Judges a value measured elsewhere (e.g. a service's own metrics); `None` is
    /// inconclusive, for `reason`.
    pub fn verdict_for(&self, observed: Option<f64>, reason: Option<String>) -> Verdict {
        match observed {
            Some(v) => self.verdict(
                Some(v),
                Outcome::from_ok(self.op.holds(v, self.threshold)),
                None,
            ),
            None => {
                let why = reason.unwrap_or_else(|| "could not be measured".into());
                self.verdict(None, Outcome::Inconclusive, Some(why))
            }
        }
    }

    /// A value in this SLO's unit, in words: counts whole, others with their unit.
    fn amount(&self, v: f64) -> String {
        match self.unit {
            Unit::Count => format!("{v:.0}"),
            Unit::Percent => format!("{}%", trim(v)),
            unit => format!("{} {}", trim(v), unit.as_str()),
        }
    }

    /// Why a verdict failed, in words with both numbers.
    fn why_failed(&self, observed: f64) -> String {
        let (obs, limit) = (self.amount(observed), self.amount(self.threshold));
        match self.op {
            Op::Lt => format!("{obs}, at or over the limit of {limit}"),
            Op::Le => format!("{obs}, over the limit of {limit}"),
            Op::Gt => format!("{obs}, at or under the floor of {limit}"),
            Op::Ge => format!("{obs}, under the floor of {limit}"),
            Op::Eq => format!("{obs}, where {limit} is required"),
            Op::Ne => format!("{obs}, the one value excluded"),
        }
    }

    fn verdict(&self, observed: Option<f64>, outcome: Outcome, reason: Option<String>) -> Verdict {
        // A failure explains itself, as an inconclusive verdict does.
        let reason = match (outcome, reason, observed) {
            (Outcome::Fail, None, Some(v)) => Some(self.why_failed((v * 1000.0).round() / 1000.0)),
            (_, reason, _) => reason,
        };
        Verdict {
            slo: self.text.clone(),
            observed: observed.map(|v| (v * 1000.0).round() / 1000.0),
            threshold: self.threshold,
            unit: self.unit.as_str().to_string(),
            pass: outcome.is_pass(),
            outcome,
            reason,
        }
    }
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// How many samples a quantile needs before nearest rank stops returning the maximum:
/// p95 needs 20, p99 needs 100, p99.9 needs 1000.
pub fn samples_needed(q: f64) -> u64 {
    if q >= 1.0 {
        1
    } else {
        (1.0 / (1.0 - q) - 1e-9).ceil() as u64
    }
}

fn parse_metric(name: &str) -> Option<Metric> {
    Some(match name {
        "mean" | "avg" => Metric::Mean,
        "min" => Metric::Min,
        "max" => Metric::Max,
        "success" | "success_rate" => Metric::SuccessRate,
        "4xx" => Metric::Status4xx,
        "5xx" => Metric::Status5xx,
        "errors" => Metric::Errors,
        "rps" | "throughput" => Metric::Rps,
        _ => {
            let digits = name.strip_prefix('p')?;
            // p999 is read as p99.9, as in wrk and oha output.
            let pct: f64 = match digits {
                "999" => 99.9,
                "9999" => 99.99,
                d => d.parse().ok()?,
            };
            if !(pct > 0.0 && pct <= 100.0) {
                return None;
            }
            Metric::Percentile(pct)
        }
    })
}

fn parse_latency(value: &str) -> Result<f64, String> {
    if value.parse::<f64>().is_ok() {
        return Err(format!("latency needs a unit, e.g. {value}ms"));
    }
    let d: Duration = humantime::parse_duration(value)
        .map_err(|e| format!("'{value}' is not a duration ({e}); e.g. 500ms, 1s, 250us"))?;
    Ok(d.as_secs_f64() * 1000.0)
}

fn parse_percent(value: &str) -> Option<f64> {
    let p: f64 = value.strip_suffix('%')?.parse().ok()?;
    (p.is_finite() && (0.0..=100.0).contains(&p)).then_some(p)
}

/// Latencies to judge: a run's histogram, or a handful of exact samples (ms, sorted).
#[derive(Clone, Copy, Debug)]
pub enum Latencies<'a> {
    Hist(&'a Hist),
    Samples(&'a [f64]),
}

impl Latencies<'_> {
    pub fn len(&self) -> u64 {
        match self {
            Latencies::Hist(h) => h.len(),
            Latencies::Samples(s) => s.len() as u64,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Nearest rank: the smallest sample with at least `q` of all samples at or below it.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        match self {
            Latencies::Hist(h) => h.value_at_quantile(q) as f64 / 1000.0,
            Latencies::Samples(s) => nearest_rank(s, q),
        }
    }

    fn mean_ms(&self) -> f64 {
        match self {
            Latencies::Hist(h) => h.mean() / 1000.0,
            Latencies::Samples(s) => s.iter().sum::<f64>() / s.len().max(1) as f64,
        }
    }
}

/// Nearest-rank quantile of sorted samples (`ceil(q·n)`-th smallest). Unlike the seed's
/// `sorted(l)[int(n*0.95)-1]`, it does not under-report with few samples: the p95 of
/// five samples is the slowest, not the fourth.
pub fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// What SLOs are judged against.
pub struct Observed<'a> {
    /// Latency of successful responses.
    pub latency: Latencies<'a>,
    /// Open model: the same less golive's own send lag (a lower bound of the truth).
    pub latency_without_lag: Option<Latencies<'a>>,
    /// Requests that ended with a response or an error.
    pub finished: u64,
    pub successes: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    pub errors: u64,
    pub rps: f64,
}

impl<'a> Observed<'a> {
    pub fn of(m: &'a Measurement) -> Observed<'a> {
        let summary_counts =
            |lo: u16, hi: u16| -> u64 { m.status.range(lo..=hi).map(|(_, n)| n).sum() };
        Observed {
            latency: Latencies::Hist(&m.success),
            latency_without_lag: m.intended_rps.map(|_| Latencies::Hist(&m.without_lag)),
            finished: m.finished(),
            successes: m.successes(),
            status_4xx: summary_counts(400, 499),
            status_5xx: summary_counts(500, 999),
            errors: m.errors_total(),
            rps: m.throughput_rps(),
        }
    }
}

/// One SLO's verdict, as written to `--json` under `slos`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Verdict {
    /// The expression, normalised (e.g. `p95<500ms`).
    pub slo: String,
    /// The observed value in `unit`; `null` when it could not be measured.
    pub observed: Option<f64>,
    pub threshold: f64,
    /// `ms`, `%`, `count` or `req/s`.
    pub unit: String,
    pub outcome: Outcome,
    pub pass: bool,
    /// Why the verdict is not a pass (a failure's numbers, or what an inconclusive
    /// one lacked).
    pub reason: Option<String>,
}

/// `500`, `99.5`, `0.333`: no trailing zeros.
fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl Verdict {
    /// The observed value in words: counts as whole numbers, a missing value said.
    pub fn observed_words(&self) -> String {
        match self.observed {
            None => "no value".into(),
            Some(x) if self.unit == "count" => format!("{x:.0}"),
            Some(x) => format!("{x:.3} {}", self.unit),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::new_hist;

    fn observed(h: &Hist) -> Observed<'_> {
        Observed {
            latency: Latencies::Hist(h),
            latency_without_lag: None,
            finished: 1000,
            successes: 995,
            status_4xx: 1,
            status_5xx: 2,
            errors: 2,
            rps: 1234.0,
        }
    }

    fn hist(values_us: impl IntoIterator<Item = u64>) -> Hist {
        let mut h = new_hist();
        values_us.into_iter().for_each(|v| h.record(v).unwrap());
        h
    }

    #[test]
    fn parses_the_documented_forms() {
        let cases = [
            (
                "p95<500ms",
                Metric::Percentile(95.0),
                Op::Lt,
                500.0,
                Unit::Ms,
            ),
            (
                "p99 <= 1s",
                Metric::Percentile(99.0),
                Op::Le,
                1000.0,
                Unit::Ms,
            ),
            (
                "p99.9<250us",
                Metric::Percentile(99.9),
                Op::Lt,
                0.25,
                Unit::Ms,
            ),
            (
                "p999<2s",
                Metric::Percentile(99.9),
                Op::Lt,
                2000.0,
                Unit::Ms,
            ),
            (
                "success>99%",
                Metric::SuccessRate,
                Op::Gt,
                99.0,
                Unit::Percent,
            ),
            ("5xx==0", Metric::Status5xx, Op::Eq, 0.0, Unit::Count),
            ("5xx<1%", Metric::Status5xx, Op::Lt, 1.0, Unit::Percent),
            ("rps>=1000", Metric::Rps, Op::Ge, 1000.0, Unit::Rps),
            ("errors=0", Metric::Errors, Op::Eq, 0.0, Unit::Count),
            ("mean!=3ms", Metric::Mean, Op::Ne, 3.0, Unit::Ms),
        ];
        for (text, metric, op, threshold, unit) in cases {
            let slo = Slo::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((slo.metric, slo.op, slo.unit), (metric, op, unit), "{text}");
            assert!(
                (slo.threshold - threshold).abs() < 1e-9,
                "{text}: {}",
                slo.threshold
            );
        }
    }

    #[test]
    fn rejects_malformed_expressions_with_a_reason() {
        for bad in [
            "",
            "p95",
            "p95<",
            "p95<500",
            "p0<1ms",
            "p101<1s",
            "success>99",
            "5xx==-1",
            "rps>fast",
            "latency<1s",
            "p95<-5ms",
        ] {
            let err = Slo::parse(bad).expect_err(bad);
            assert!(err.to_string().starts_with("invalid --slo"), "{bad}: {err}");
        }
    }

    #[test]
    fn evaluates_pass_and_fail() {
        let h = hist((1..=100).map(|i| i * 1000)); // 1..100 ms
        let obs = observed(&h);
        let v = Slo::parse("p95<500ms").unwrap().evaluate(&obs);
        assert_eq!(v.outcome, Outcome::Pass);
        // HdrHistogram reports the highest value equivalent within 3 significant digits.
        assert!(
            (v.observed.unwrap() - 95.0).abs() < 95.0 * 0.001,
            "{:?}",
            v.observed
        );
        let v = Slo::parse("p95<90ms").unwrap().evaluate(&obs);
        assert_eq!(v.outcome, Outcome::Fail);
        assert_eq!(
            Slo::parse("success>99%").unwrap().evaluate(&obs).observed,
            Some(99.5)
        );
        assert_eq!(
            Slo::parse("5xx==0").unwrap().evaluate(&obs).outcome,
            Outcome::Fail
        );
        assert_eq!(
            Slo::parse("5xx<1%").unwrap().evaluate(&obs).outcome,
            Outcome::Pass
        );
        assert_eq!(
            Slo::parse("rps>=1000").unwrap().evaluate(&obs).outcome,
            Outcome::Pass
        );
    }

    #[test]
    fn too_few_samples_is_inconclusive_not_a_pass() {
        let h = hist([1000; 10]);
        let v = Slo::parse("p95<500ms").unwrap().evaluate(&observed(&h));
        assert_eq!(v.outcome, Outcome::Inconclusive);
        assert!(v.reason.unwrap().contains("at least 20"));
        assert_eq!(samples_needed(0.5), 2);
        assert_eq!(samples_needed(0.99), 100);
        assert_eq!(samples_needed(0.999), 1000);
    }

    /// Corrected latency 100..595 ms (p95 ≈ 570 ms); golive's own lag took `lag_ms`
    /// off every request's true latency.
    fn lagged(lag_ms: u64) -> (Hist, Hist) {
        let corrected = hist((0..100).map(|i| (100 + i * 5) * 1000));
        let without =
            hist((0..100u64).map(|i| ((100 + i * 5).saturating_sub(lag_ms)).max(1) * 1000));
        (corrected, without)
    }

    fn judge_lagged(expr: &str, lag_ms: u64) -> Verdict {
        let (c, w) = lagged(lag_ms);
        let mut obs = observed(&c);
        obs.latency_without_lag = Some(Latencies::Hist(&w));
        Slo::parse(expr).unwrap().evaluate(&obs)
    }

    #[test]
    fn generator_lag_changes_a_verdict_only_when_it_could_have_decided_it() {
        // A pass on the corrected latency stays a pass, however late golive was.
        assert_eq!(judge_lagged("p95<1s", 400).outcome, Outcome::Pass);
        // A clear fail stays a fail: it fails even with golive's lag taken out.
        assert_eq!(judge_lagged("p95<300ms", 100).outcome, Outcome::Fail);
        // Between the two bounds: inconclusive, and the reason gives both values.
        let v = judge_lagged("p95<500ms", 100);
        assert_eq!(v.outcome, Outcome::Inconclusive);
        let why = v.reason.unwrap();
        assert!(why.contains("570") && why.contains("470"), "{why}");
        // Counts are never affected by the bound.
        assert_eq!(judge_lagged("5xx==2", 400).outcome, Outcome::Pass);
    }

    #[test]
    fn budgets_are_lost_for_good_only_when_spent() {
        let live = |failures, status_5xx, errors| LiveTotals {
            sent: 100,
            responses: 100,
            failures,
            status_5xx,
            errors,
        };
        let zero_5xx = Slo::parse("5xx==0").unwrap();
        assert!(!zero_5xx.lost_for_good(&live(0, 0, 0), None));
        assert!(zero_5xx.lost_for_good(&live(1, 1, 0), None));
        let success = Slo::parse("success>99%").unwrap();
        assert!(
            !success.lost_for_good(&live(10, 0, 10), None),
            "unknown total: never lost"
        );
        assert!(!success.lost_for_good(&live(9, 0, 9), Some(1000)));
        assert!(success.lost_for_good(&live(10, 0, 10), Some(1000)));
        assert!(!Slo::parse("p95<1ms")
            .unwrap()
            .lost_for_good(&live(50, 50, 0), Some(100)));
        assert!(Slo::parse("errors<3")
            .unwrap()
            .lost_for_good(&live(3, 0, 3), None));
    }

    #[test]
    fn exact_samples_use_nearest_rank_however_few() {
        let samples = [48.5, 49.8, 50.1, 51.2, 52.15];
        assert_eq!(
            nearest_rank(&samples, 0.95),
            52.15,
            "p95 of five samples is the slowest"
        );
        assert_eq!(nearest_rank(&samples, 0.5), 50.1);
        let h = new_hist();
        let mut obs = observed(&h);
        obs.latency = Latencies::Samples(&samples);
        let v = Slo::parse("p95<52ms").unwrap().evaluate(&obs);
        assert_eq!((v.outcome, v.observed), (Outcome::Fail, Some(52.15)));
    }
}

//! Each metric's effect, interval and p-value, and the rule that turns them into a
//! change: a significant change whose estimate is beyond the band is a regression; an
//! interval whose worse end is within the band is the same; anything else is
//! inconclusive, because more data could still go either way, and the words say how
//! much more would settle it.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::sample::{Pair, Unit};
use super::stats;
use super::tolerance::{percent_label, Band, Metric};
use super::{Effect, MetricResult, Settings, MIN_UNITS};
use crate::outcome::Outcome;
use crate::slo::samples_needed;

/// A metric's change, and the comparison's.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Same,
    Improved,
    Regressed,
    Inconclusive,
}

impl Change {
    pub fn overall(changes: impl IntoIterator<Item = Change>) -> Change {
        let all: Vec<Change> = changes.into_iter().collect();
        [Change::Regressed, Change::Inconclusive, Change::Improved]
            .into_iter()
            .find(|c| all.contains(c))
            .unwrap_or(Change::Same)
    }

    /// Same and improved pass (exit 0), regressed fails (1), inconclusive is 3.
    pub fn outcome(self) -> Outcome {
        match self {
            Change::Same | Change::Improved => Outcome::Pass,
            Change::Regressed => Outcome::Fail,
            Change::Inconclusive => Outcome::Inconclusive,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Change::Same => "SAME",
            Change::Improved => "IMPROVED",
            Change::Regressed => "REGRESSED",
            Change::Inconclusive => "INCONCLUSIVE",
        }
    }
}

/// Both sides as the tests read them: dense counts over the shared values, and each
/// interval's sparse counts.
struct Sides<'a> {
    pair: &'a Pair,
    a: Vec<&'a Unit>,
    b: Vec<&'a Unit>,
    da: Vec<f64>,
    db: Vec<f64>,
    z: f64,
}

impl<'a> Sides<'a> {
    fn new(pair: &'a Pair, settings: &Settings) -> Sides<'a> {
        let a: Vec<&Unit> = pair.baseline.iter().collect();
        let b: Vec<&Unit> = pair.candidate.iter().collect();
        Sides {
            da: pair.dense(a.iter().copied()),
            db: pair.dense(b.iter().copied()),
            a,
            b,
            pair,
            z: stats::z_for(settings.confidence),
        }
    }

    fn latency_units(units: &[&'a Unit]) -> Vec<&'a stats::UnitCounts> {
        units.iter().map(|u| u.latency.as_slice()).collect()
    }

    fn successes(&self) -> (u64, u64) {
        let n = |units: &[&Unit]| units.iter().map(|u| u.successes).sum::<u64>();
        (n(&self.a), n(&self.b))
    }
}

/// A metric measured: the two sides' values, and the effect with its interval and p.
pub(crate) struct Measured {
    pub(crate) baseline: Option<f64>,
    pub(crate) candidate: Option<f64>,
    /// (estimate, low, high) in the band's unit.
    pub(crate) effect: Option<(f64, f64, f64)>,
    pub(crate) p: Option<f64>,
    pub(crate) test: String,
}

/// How much data a comparison stands on, for the words that say how much more would
/// settle it.
pub(crate) enum Extent<'a> {
    /// Intervals of the timeline a side (a run's histograms).
    Intervals(&'a Pair),
    /// Requests a side (a service's counters).
    Requests(f64),
    /// The caller's own words for how much more would settle it.
    Said(String),
}

pub(crate) fn p_of(estimate: f64, se: f64) -> f64 {
    if se > 0.0 {
        stats::two_sided_p(estimate / se)
    } else if estimate == 0.0 {
        1.0
    } else {
        0.0
    }
}

/// The typical request's change: the shift (a factor for % bands, µs for ms bands)
/// that the clustered Mann–Whitney test sees as no difference, and the shifts it would
/// just reject.
fn location(s: &Sides, band: Band) -> Measured {
    let ratio = !matches!(band, Band::Ms(_));
    let (ua, ub) = (Sides::latency_units(&s.a), Sides::latency_units(&s.b));
    let found = stats::shift_interval(&s.pair.values, &s.da, &s.db, &ua, &ub, s.z, ratio);
    let median = |c: &[f64]| stats::quantile(&s.pair.values, c, 0.5).map(|x| x / 1000.0);
    Measured {
        baseline: median(&s.da),
        candidate: median(&s.db),
        effect: found.map(|(e, l, h, _)| {
            if ratio {
                ((e - 1.0) * 100.0, (l - 1.0) * 100.0, (h - 1.0) * 100.0)
            } else {
                (e / 1000.0, l / 1000.0, h / 1000.0)
            }
        }),
        p: found.map(|(.., p)| p),
        test: "Hodges-Lehmann shift; interval and p from Mann-Whitney U with its variance clustered by interval".into(),
    }
}

/// A percentile's change: each side's percentile with a Woodruff interval (clustered).
fn percentile(s: &Sides, q: f64, band: Band) -> Measured {
    let side = |c: &[f64], units: &[&Unit]| {
        stats::quantile_interval(&s.pair.values, c, &Sides::latency_units(units), q, s.z)
            .map(|(x, l, h)| (x / 1000.0, l / 1000.0, h / 1000.0))
    };
    let test = "Woodruff interval of each side's percentile, variance clustered by interval";
    match (side(&s.da, &s.a), side(&s.db, &s.b)) {
        (Some(a), Some(b)) => percentile_change(a, b, s.z, band, test),
        (a, b) => Measured {
            baseline: a.map(|a| a.0),
            candidate: b.map(|b| b.0),
            effect: None,
            p: None,
            test: test.into(),
        },
    }
}

/// Two percentiles, each (value, low, high) in ms, compared: on the log scale for %
/// bands, as a difference for ms bands.
pub(crate) fn percentile_change(
    (xa, la, ha): (f64, f64, f64),
    (xb, lb, hb): (f64, f64, f64),
    z: f64,
    band: Band,
    test: &str,
) -> Measured {
    let ms = matches!(band, Band::Ms(_));
    let (e, se) = if ms {
        (xb - xa, (ha - la).hypot(hb - lb) / (2.0 * z))
    } else {
        let spread = |l: f64, h: f64| (h.ln() - l.ln()) / (2.0 * z);
        ((xb / xa).ln(), spread(la, ha).hypot(spread(lb, hb)))
    };
    let to_band = |x: f64| if ms { x } else { (x.exp() - 1.0) * 100.0 };
    Measured {
        baseline: Some(xa),
        candidate: Some(xb),
        effect: Some((to_band(e), to_band(e - z * se), to_band(e + z * se))),
        p: Some(p_of(e, se)),
        test: test.into(),
    }
}

/// Responses a side before a percentile's interval stops running into the largest
/// response (Woodruff's upper end, q + z·√(q(1−q)/n), must stay under 1 − 1/n):
/// p99 at 99.5% needs about 880, p95 170, p50 18.
pub(crate) fn interval_needs(q: f64, z: f64) -> u64 {
    ((z * z * q + 1.0) / (1.0 - q)).ceil() as u64
}

/// A share of finished requests (percent) on each side, and the difference in points.
fn rate(s: &Sides, part: fn(&Unit) -> u64) -> Measured {
    let side = |units: &[&Unit]| {
        let clusters: Vec<(f64, f64)> = units
            .iter()
            .map(|u| (part(u) as f64, u.finished as f64))
            .collect();
        stats::cluster_ratio(&clusters)
    };
    let (a, b) = (side(&s.a), side(&s.b));
    let effect = a
        .zip(b)
        .map(|((pa, sa), (pb, sb))| ((pb - pa) * 100.0, sa.hypot(sb) * 100.0));
    Measured {
        baseline: a.map(|(p, _)| p * 100.0),
        candidate: b.map(|(p, _)| p * 100.0),
        effect: effect.map(|(e, se)| (e, e - s.z * se, e + s.z * se)),
        p: effect.map(|(e, se)| p_of(e, se)),
        test: "difference of shares, variance clustered by interval".into(),
    }
}

/// Finished requests per second on each side, and their ratio (log scale).
fn throughput(s: &Sides) -> Measured {
    let side = |units: &[&Unit]| {
        let clusters: Vec<(f64, f64)> = units
            .iter()
            .map(|u| (u.finished as f64, f64::from(u.seconds)))
            .collect();
        stats::cluster_ratio(&clusters).filter(|(r, _)| *r > 0.0)
    };
    let (a, b) = (side(&s.a), side(&s.b));
    let effect = a
        .zip(b)
        .map(|((ra, sa), (rb, sb))| ((rb / ra).ln(), (sa / ra).hypot(sb / rb)));
    let pct = |x: f64| (x.exp() - 1.0) * 100.0;
    Measured {
        baseline: a.map(|(r, _)| r),
        candidate: b.map(|(r, _)| r),
        effect: effect.map(|(e, se)| (pct(e), pct(e - s.z * se), pct(e + s.z * se))),
        p: effect.map(|(e, se)| p_of(e, se)),
        test: "ratio of rates, variance clustered by interval".into(),
    }
}

/// Every metric of the comparison, judged.
pub fn metrics(pair: &Pair, settings: &Settings) -> Vec<MetricResult> {
    let s = Sides::new(pair, settings);
    let successes = s.successes();
    let mut rng = fastrand::Rng::with_seed(pair.seed());
    let band = |m: Metric| settings.tolerances.band(m);
    let mut out = Vec::new();
    let mut push = |metric: Metric, needed: u64, unit: &str, measure: &dyn Fn() -> Measured| {
        let why = lacking(pair, settings, successes, needed, metric);
        out.push(finish(metric, unit, why, measure, settings, pair));
    };
    push(Metric::Shift, 1, "ms", &|| {
        location(&s, band(Metric::Shift))
    });
    for &q in &settings.percentiles {
        let m = Metric::Percentile(q);
        let needed = samples_needed(q).max(interval_needs(q, s.z));
        push(m, needed, "ms", &|| percentile(&s, q, band(m)));
    }
    push(Metric::Errors, 0, "%", &|| rate(&s, Unit::failures));
    push(Metric::Status5xx, 0, "%", &|| rate(&s, |u| u.status_5xx));
    if settings.throughput {
        push(Metric::Throughput, 0, "rps", &|| throughput(&s));
    }
    out.insert(
        1 + settings.percentiles.len(),
        shape(&s, settings, &mut rng),
    );
    out
}

/// Why a metric cannot be judged on this data, with what it needs.
fn lacking(
    pair: &Pair,
    settings: &Settings,
    successes: (u64, u64),
    needed: u64,
    metric: Metric,
) -> Option<String> {
    let (ua, ub) = (pair.baseline.len(), pair.candidate.len());
    if ua < MIN_UNITS || ub < MIN_UNITS {
        return Some(format!(
            "needs at least {MIN_UNITS} intervals of {} s a side after the warm-up, has {ua} and {ub}: run each side for at least {} s",
            settings.unit_s,
            MIN_UNITS as u32 * settings.unit_s + settings.warmup_s
        ));
    }
    let (sa, sb) = successes;
    (sa < needed || sb < needed).then(|| {
        format!(
            "{} needs at least {needed} successful responses a side, has {sa} and {sb}",
            metric.name()
        )
    })
}

/// A metric's result: refused for lack of data, or measured, classified and said.
fn finish(
    metric: Metric,
    value_unit: &str,
    lacking: Option<String>,
    measure: &dyn Fn() -> Measured,
    settings: &Settings,
    pair: &Pair,
) -> MetricResult {
    let measured = match lacking {
        Some(why) => Err(why),
        None => Ok(measure()),
    };
    judged(
        metric,
        value_unit,
        measured,
        settings,
        &Extent::Intervals(pair),
    )
}

/// A metric's result from what was measured (or why nothing could be), classified by
/// the rule and said in words.
pub(crate) fn judged(
    metric: Metric,
    value_unit: &str,
    measured: Result<Measured, String>,
    settings: &Settings,
    extent: &Extent,
) -> MetricResult {
    let band = settings.tolerances.band(metric);
    let mut r = MetricResult {
        metric: metric.name(),
        baseline: None,
        candidate: None,
        value_unit: value_unit.into(),
        effect: None,
        p_value: None,
        test: String::new(),
        tolerance: band_words(metric, band),
        change: Change::Inconclusive,
        said: String::new(),
    };
    let m = match measured {
        Ok(m) => m,
        Err(why) => {
            r.said = format!("{}: {why}", metric.name());
            return r;
        }
    };
    r.baseline = m.baseline;
    r.candidate = m.candidate;
    r.p_value = m.p;
    r.test = m.test;
    match m.effect {
        Some((estimate, low, high))
            if estimate.is_finite() && low.is_finite() && high.is_finite() =>
        {
            r.effect = Some(Effect {
                unit: band.unit().into(),
                estimate,
                low,
                high,
            });
            r.change = classify(metric, estimate, low, high, band.amount());
            r.said = words(metric, &r, settings, extent);
        }
        _ => {
            r.said = format!(
                "{}: no estimate on this data (no successful responses on one side?)",
                metric.name()
            )
        }
    }
    r
}

/// Shape: the one-sided KS distance between the baseline and the candidate aligned
/// by the location shift (the share of requests slower beyond what the shift
/// explains); its p-value from permuting whole intervals between the sides, its
/// interval the distance ± how far the two sides' distributions wobble when their
/// intervals are resampled. Shape is a detector: it regresses when the distance is
/// significant (p at most 1 − confidence) and beyond the band, and otherwise leaves the
/// verdict to the other metrics (the percentiles' intervals speak for the tail), since
/// bounding the share of slower requests from above needs thousands of requests a side.
fn shape(s: &Sides, settings: &Settings, rng: &mut fastrand::Rng) -> MetricResult {
    let (pair, successes) = (s.pair, s.successes());
    let metric = Metric::Shape;
    let band = settings.tolerances.band(metric);
    let mut r = MetricResult {
        metric: metric.name(),
        baseline: None,
        candidate: None,
        value_unit: "%".into(),
        effect: None,
        p_value: None,
        test: format!(
            "Kolmogorov-Smirnov D (slower side, by more than the shift's band) after aligning by the shift; p from permuting {}-s intervals, noise from resampling them",
            settings.unit_s
        ),
        tolerance: band_words(metric, band),
        change: Change::Inconclusive,
        said: String::new(),
    };
    if let Some(why) = lacking(pair, settings, successes, samples_needed(0.95), metric) {
        r.said = format!("shape: {why}");
        return r;
    }
    let dense = |units: &[&Unit]| pair.dense(units.iter().copied());
    let (a, b, da, db) = (&s.a, &s.b, &s.da, &s.db);
    let shift = stats::hodges_lehmann(&pair.values, da, db).unwrap_or(0.0);
    // Slower by a margin that matters: the typical request's band (5% of the median by
    // default). A tight distribution would otherwise show a microsecond's difference
    // between two instances as a share of requests slower.
    let margin = match settings.tolerances.band(Metric::Shift) {
        Band::Ms(ms) => ms * 1000.0,
        other => other.amount() / 100.0 * stats::quantile(&pair.values, da, 0.5).unwrap_or(0.0),
    };
    let Some(observed) = stats::kolmogorov_smirnov(&pair.values, da, db, shift + margin) else {
        r.said = "shape: no successful responses on one side".into();
        return r;
    };
    // p: under "the same shape", the candidate less its shift is exchangeable with the
    // baseline, so the aligned intervals are dealt to the sides at random, each split
    // aligned by its own shift as the observed distance was, and the share of splits
    // at least as far apart is the p-value.
    let aligned = pair.shifted_candidate(shift);
    let mut pool: Vec<&Unit> = aligned.baseline.iter().chain(&aligned.candidate).collect();
    let mut beyond = 0u32;
    for _ in 0..settings.resamples {
        rng.shuffle(&mut pool);
        let (pa, pb) = pool.split_at(a.len());
        let (pa, pb) = (
            aligned.dense(pa.iter().copied()),
            aligned.dense(pb.iter().copied()),
        );
        let own = stats::hodges_lehmann(&aligned.values, &pa, &pb).unwrap_or(0.0);
        let d = stats::kolmogorov_smirnov(&aligned.values, &pa, &pb, own + margin);
        beyond += u32::from(d.is_some_and(|d| d.slower >= observed.slower));
    }
    // Noise: how far each side's distribution moves when its own intervals are
    // resampled (a block bootstrap), which bounds how far the distance can be off.
    let mut noise: Vec<f64> = (0..settings.resamples)
        .map(|_| {
            let ra: Vec<&Unit> = (0..a.len()).map(|_| a[rng.usize(..a.len())]).collect();
            let rb: Vec<&Unit> = (0..b.len()).map(|_| b[rng.usize(..b.len())]).collect();
            stats::ecdf_wobble(da, &dense(&ra), db, &dense(&rb))
        })
        .collect();
    noise.sort_by(f64::total_cmp);
    let q = stats::interval(&noise, 2.0 * settings.confidence - 1.0).map_or(1.0, |(_, hi)| hi);
    let estimate = observed.slower * 100.0;
    let (low, high) = (
        (observed.slower - q).max(0.0) * 100.0,
        (observed.slower + q).min(1.0) * 100.0,
    );
    r.effect = Some(Effect {
        unit: "%".into(),
        estimate,
        low,
        high,
    });
    r.p_value = Some((f64::from(beyond) + 1.0) / (f64::from(settings.resamples) + 1.0));
    let p = r.p_value.unwrap_or(1.0);
    r.change = if p <= 1.0 - settings.confidence && estimate > band.amount() {
        Change::Regressed
    } else {
        Change::Same
    };
    r.said = words(metric, &r, settings, &Extent::Intervals(pair));
    r
}

/// The rule, on values turned so that positive is worse: regressed when the change is
/// significant (the interval excludes no change) and its estimate is beyond the band;
/// improved likewise the other way; the same when even the interval's worse end is
/// within the band; otherwise inconclusive, since more data could go either way.
fn classify(metric: Metric, estimate: f64, low: f64, high: f64, band: f64) -> Change {
    let (estimate, low, high) = worse_way(metric, estimate, low, high);
    if low > 0.0 && estimate > band {
        Change::Regressed
    } else if high < 0.0 && estimate < -band {
        Change::Improved
    } else if high <= band {
        Change::Same
    } else {
        Change::Inconclusive
    }
}

fn worse_way(metric: Metric, estimate: f64, low: f64, high: f64) -> (f64, f64, f64) {
    if metric.larger_is_worse() {
        (estimate, low, high)
    } else {
        (-estimate, -high, -low)
    }
}

fn band_words(metric: Metric, band: Band) -> String {
    let sign = if metric.larger_is_worse() { "+" } else { "-" };
    match band {
        Band::Share(x) => format!("{x}% of requests"),
        _ => format!("{sign}{band}"),
    }
}

fn number(x: f64, unit: &str) -> String {
    match unit {
        "%" => format!("{x:.1}%"),
        "ms" if x.abs() >= 100.0 => format!("{x:.1} ms"),
        "ms" => format!("{x:.2} ms"),
        "pp" => format!("{x:.2} points"),
        "rps" => format!("{x:.0} req/s"),
        _ => format!("{x}"),
    }
}

pub fn p_words(p: f64) -> String {
    if p <= 0.001 {
        "p≤0.001".into()
    } else {
        format!("p={:.3}", p)
    }
}

/// The metric in a sentence: values, effect, interval, p-value and band.
fn words(metric: Metric, r: &MetricResult, settings: &Settings, extent: &Extent) -> String {
    let name = match metric {
        Metric::Shift => "typical latency (median shift)".to_string(),
        Metric::Percentile(q) => format!("p{}", percent_label(q)),
        Metric::Shape => "shape".into(),
        Metric::Errors => "error rate".into(),
        Metric::Status5xx => "5xx rate".into(),
        Metric::Throughput => "throughput".into(),
    };
    let Some(e) = &r.effect else {
        return r.said.clone();
    };
    let values = match (r.baseline, r.candidate) {
        (Some(a), Some(b)) => format!(
            "{} → {}, ",
            number(a, &r.value_unit),
            number(b, &r.value_unit)
        ),
        _ => String::new(),
    };
    let change = if metric == Metric::Shape {
        format!(
            "{} of requests slower by more than the shift's band, beyond the median shift",
            number(e.estimate, "%")
        )
    } else {
        let way = match (e.estimate, metric) {
            (0.0, _) => "no different",
            (x, Metric::Shift) if x > 0.0 => "slower",
            (_, Metric::Shift) => "faster",
            (x, _) if x > 0.0 => "higher",
            _ => "lower",
        };
        if e.estimate == 0.0 {
            way.to_string()
        } else {
            format!("{} {way}", number(e.estimate.abs(), &e.unit))
        }
    };
    let conf = percent_label(settings.confidence);
    let p = r
        .p_value
        .map(|p| format!(", {}", p_words(p)))
        .unwrap_or_default();
    let interval = format!(
        "{conf}% interval {} to {}{p}",
        number(e.low, &e.unit),
        number(e.high, &e.unit)
    );
    let band = &r.tolerance;
    let verdict = match r.change {
        Change::Regressed => format!("beyond the {band} allowed"),
        Change::Same if metric == Metric::Shape && e.high > band_amount(settings, metric) => {
            format!("not shown to exceed the {band} allowed")
        }
        Change::Same => format!("within the {band} allowed"),
        Change::Improved => format!("better, beyond the {band} band"),
        Change::Inconclusive => format!(
            "could be beyond the {band} allowed; {}",
            more_data(metric, e, settings, extent)
        ),
    };
    format!("{name}: {values}{change} ({interval}): {verdict}")
}

fn band_amount(settings: &Settings, metric: Metric) -> f64 {
    settings.tolerances.band(metric).amount()
}

/// How much longer each side would need to run to settle it if the estimate held (the
/// interval narrows with the square root of the data): an estimate beyond the band
/// needs the interval to leave zero; one within it, the interval to come inside.
fn more_data(metric: Metric, e: &Effect, settings: &Settings, extent: &Extent) -> String {
    let band = settings.tolerances.band(metric).amount();
    let (est, low, high) = worse_way(metric, e.estimate, e.low, e.high);
    let gap = if est > band { est } else { band - est };
    let half = (high - low) / 2.0;
    // Within a twentieth of the band from its edge, the interval would have to shrink
    // to nothing: the data's size cannot be said.
    if gap < band / 20.0 || gap <= 0.0 {
        return "the estimate sits at the band's edge: more data alone may not settle it".into();
    }
    let factor = (half / gap).powi(2);
    match extent {
        Extent::Intervals(pair) => {
            let n = pair.baseline.len().min(pair.candidate.len()) as f64;
            let more = ((n * factor).ceil() - n).max(1.0) * f64::from(settings.unit_s);
            format!("about {more:.0} s more a side would settle it")
        }
        Extent::Requests(n) => {
            let more = ((n * factor).ceil() - n).max(1.0);
            format!("about {more:.0} more requests a side would settle it")
        }
        Extent::Said(words) => words.clone(),
    }
}

/// The comparison's verdict in one sentence: the first metric that decided it.
pub fn headline(change: Change, metrics: &[MetricResult]) -> String {
    let deciding: Vec<&MetricResult> = metrics.iter().filter(|m| m.change == change).collect();
    let more = match deciding.len() {
        0 | 1 => String::new(),
        n => format!(" (and {} more)", n - 1),
    };
    match (change, deciding.first()) {
        (Change::Regressed | Change::Inconclusive, Some(first)) => {
            format!("{}: {}{more}", change.as_str(), first.said)
        }
        (Change::Improved, _) => format!(
            "IMPROVED: nothing worse beyond its band, and better beyond it: {}",
            deciding
                .iter()
                .map(|m| m.metric.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => "SAME: every metric within its band".into(),
    }
}

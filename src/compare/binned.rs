//! Two releases' own Prometheus metrics compared: the canary's and the baseline's
//! request, 5xx and latency-histogram counters over the same windows. A service's
//! counters have no timeline finer than a scrape, so requests are the units (taken as
//! independent). Percentiles are interpolated within their buckets, as Prometheus's
//! `histogram_quantile` does, and judged as detectors: a regression must hold at the
//! buckets' bounds, since interpolation alone can make a difference out of two values
//! either side of one bound.

use super::tolerance::{percent_label, Band, Metric};
use super::verdict::{self, Extent, Measured};
use super::{stats, Change, Comparison, Method, MetricResult, Settings};
use crate::slo::samples_needed;

/// One release's traffic over the windows compared.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Served {
    pub requests: f64,
    pub status_5xx: f64,
    /// Cumulative counts by upper bound `le` (seconds), sorted, ending with +Inf when
    /// the service exports it.
    pub buckets: Vec<(f64, f64)>,
}

impl Served {
    /// Adds another window's traffic. Bucket bounds both windows share add up; a bound
    /// only one has cannot be (its cumulative count in the other is unknown) and is
    /// left out, as it is when a service restarts with other buckets.
    pub fn add(&mut self, more: &Served) {
        self.buckets = if self.requests == 0.0 && self.buckets.is_empty() {
            more.buckets.clone()
        } else {
            self.buckets
                .iter()
                .filter_map(|&(le, n)| {
                    more.buckets
                        .iter()
                        .find(|(l, _)| *l == le)
                        .map(|&(_, m)| (le, n + m))
                })
                .collect()
        };
        self.requests += more.requests;
        self.status_5xx += more.status_5xx;
    }

    /// Observations in the latency histogram.
    pub fn observed(&self) -> f64 {
        self.buckets.last().map_or(0.0, |b| b.1)
    }
}

/// Where the value of rank `rank` (0 < rank ≤ total) lies: interpolated linearly in
/// its bucket, as `histogram_quantile` does. `Err(bound)` when it falls past the
/// largest finite bound (into +Inf), which is then all that is known of it.
pub fn at_rank(buckets: &[(f64, f64)], rank: f64) -> Option<Result<f64, f64>> {
    let mut prev = (0.0, 0.0);
    for &(le, n) in buckets {
        if n >= rank && n > prev.1 {
            if le.is_infinite() {
                return Some(Err(prev.0));
            }
            let frac = (rank - prev.1) / (n - prev.1);
            return Some(Ok(prev.0 + (le - prev.0) * frac.clamp(0.0, 1.0)));
        }
        prev = (le, n);
    }
    (prev.1 > 0.0).then_some(Err(prev.0))
}

/// The bucket a value lies in: (lower, upper) bounds.
fn bucket_of(buckets: &[(f64, f64)], x: f64) -> Option<(f64, f64)> {
    let mut lower = 0.0;
    for &(le, _) in buckets {
        if x <= le {
            return Some((lower, le));
        }
        lower = le;
    }
    None
}

/// A percentile with the interval of its rank (requests independent: the count at or
/// under the true percentile is binomial), in ms: (value, low, high) interpolated, and
/// the buckets' bounds around the interval (lower bound of the low end's bucket, upper
/// bound of the high end's), which hold wherever in their buckets the values lie.
struct Side {
    interpolated: (f64, f64, f64),
    bounds: (f64, f64),
}

fn percentile_side(s: &Served, q: f64, z: f64) -> Result<Side, String> {
    let n = s.observed();
    let half = z * (n * q * (1.0 - q)).sqrt();
    let finite = |rank: f64| match at_rank(&s.buckets, rank.clamp(0.5, n)) {
        Some(Ok(v)) => Ok(v),
        Some(Err(bound)) => Err(format!(
            "p{}'s interval reaches past the largest bucket ({} s)",
            percent_label(q),
            bound
        )),
        None => Err("no observations".into()),
    };
    let (x, lo, hi) = (finite(q * n)?, finite(q * n - half)?, finite(q * n + half)?);
    let bucket = |v: f64| bucket_of(&s.buckets, v).unwrap_or((v, v));
    Ok(Side {
        interpolated: (x * 1000.0, lo * 1000.0, hi * 1000.0),
        bounds: (bucket(lo).0 * 1000.0, bucket(hi).1 * 1000.0),
    })
}

/// A percentile compared on bucketed data. The interpolated values (as dashboards show
/// them) give the effect and its interval, but interpolation can make a difference out
/// of two values either side of a bucket bound. So the comparison is a detector, as
/// shape is: a regression must also be beyond the band wherever in their buckets the
/// values lie (the canary's lowest bound against the baseline's highest), and anything
/// else is "not shown", said with the buckets.
fn percentile(
    b: &Served,
    c: &Served,
    q: f64,
    z: f64,
    settings: &Settings,
    extent: &Extent,
) -> MetricResult {
    let m = Metric::Percentile(q);
    let needed = samples_needed(q).max(verdict::interval_needs(q, z)) as f64;
    let lacking = if b.buckets.is_empty() || c.buckets.is_empty() {
        Some("no latency histogram in a side's metrics".to_string())
    } else {
        (b.observed() < needed || c.observed() < needed).then(|| {
            format!(
                "needs at least {needed:.0} observations a side, has {:.0} and {:.0}",
                b.observed(),
                c.observed()
            )
        })
    };
    let sides = lacking.map_or_else(
        || Ok((percentile_side(b, q, z)?, percentile_side(c, q, z)?)),
        Err,
    );
    let (sb, sc) = match sides {
        Ok(s) => s,
        Err(why) => return verdict::judged(m, "ms", Err(why), settings, extent),
    };
    let measured = verdict::percentile_change(
        sb.interpolated,
        sc.interpolated,
        z,
        settings.tolerances.band(m),
        "each side's percentile interpolated in its buckets, its interval from the binomial count under it (requests as units); a regression must hold at the buckets' bounds",
    );
    let mut r = verdict::judged(m, "ms", Ok(measured), settings, extent);
    // Beyond the band even at the bounds least favourable to a regression.
    let beyond_buckets = match settings.tolerances.band(m) {
        Band::Ms(ms) => sc.bounds.0 - sb.bounds.1 > ms,
        band => sb.bounds.1 > 0.0 && (sc.bounds.0 / sb.bounds.1 - 1.0) * 100.0 > band.amount(),
    };
    if matches!(r.change, Change::Regressed if !beyond_buckets) || r.change == Change::Inconclusive
    {
        r.change = Change::Same;
        r.said = format!(
            "{}: {:.1} ms → {:.1} ms interpolated; not shown to exceed the {} allowed at the buckets' resolution (the canary's lies in {}–{} ms, the baseline's in {}–{} ms)",
            m.name(),
            sb.interpolated.0,
            sc.interpolated.0,
            r.tolerance,
            sc.bounds.0,
            sc.bounds.1,
            sb.bounds.0,
            sb.bounds.1
        );
    }
    r
}

/// Wilson's score interval of a share x of n.
fn wilson(x: f64, n: f64, z: f64) -> (f64, f64) {
    let p = x / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Newcombe's hybrid score interval of the difference of two shares, xc/nc − xb/nb.
fn newcombe(b: (f64, f64), c: (f64, f64), z: f64) -> (f64, f64) {
    let (pb, pc) = (b.0 / b.1, c.0 / c.1);
    let ((lb, ub), (lc, uc)) = (wilson(b.0, b.1, z), wilson(c.0, c.1, z));
    let d = pc - pb;
    (
        d - ((pc - lc).powi(2) + (ub - pb).powi(2)).sqrt(),
        d + ((uc - pc).powi(2) + (pb - lb).powi(2)).sqrt(),
    )
}

/// How many more requests a side, at the shares seen, would take the interval off
/// zero (an estimate beyond the band) or inside the band (one within it). Near 0% the
/// interval narrows as 1/n, not 1/√n, so it is searched for, not scaled.
fn five_xx_more(b: &Served, c: &Served, z: f64, band_points: f64) -> String {
    let (pb, pc) = (b.status_5xx / b.requests, c.status_5xx / c.requests);
    let beyond = (pc - pb) * 100.0 > band_points;
    let settled = |n: f64| {
        let (low, high) = newcombe((pb * n, n), (pc * n, n), z);
        if beyond {
            low > 0.0
        } else {
            high * 100.0 <= band_points
        }
    };
    let n = b.requests.min(c.requests);
    let mut hi = n * 2.0;
    while !settled(hi) {
        hi *= 2.0;
        if hi > n * 1e6 {
            return "the estimate sits at the band's edge: more data alone may not settle it"
                .into();
        }
    }
    let mut lo = hi / 2.0;
    while hi - lo > hi * 0.05 {
        let mid = (lo + hi) / 2.0;
        if settled(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    format!(
        "about {:.0} more requests a side would settle it",
        (hi - n).max(1.0)
    )
}

/// The 5xx share on each side and its difference in points, with Newcombe's hybrid
/// score interval (sound near 0%, where the services' 5xx shares live) and a pooled
/// two-proportion p.
fn five_xx(b: &Served, c: &Served, z: f64) -> Measured {
    let (xb, nb, xc, nc) = (b.status_5xx, b.requests, c.status_5xx, c.requests);
    let (pb, pc) = (xb / nb, xc / nc);
    let d = pc - pb;
    let (low, high) = newcombe((xb, nb), (xc, nc), z);
    let pooled = (xb + xc) / (nb + nc);
    let se = (pooled * (1.0 - pooled) * (1.0 / nb + 1.0 / nc)).sqrt();
    Measured {
        baseline: Some(pb * 100.0),
        candidate: Some(pc * 100.0),
        effect: Some((d * 100.0, low * 100.0, high * 100.0)),
        p: Some(verdict::p_of(d, se)),
        test: "difference of 5xx shares, Newcombe's hybrid score interval (requests as units)"
            .into(),
    }
}

/// The canary's metrics against the baseline's over `windows` windows: the asked
/// percentiles and the 5xx share, each judged by the rule `golive compare` uses.
pub fn compare(b: &Served, c: &Served, settings: &Settings, windows: usize) -> Comparison {
    let z = stats::z_for(settings.confidence);
    let extent = Extent::Requests(b.observed().min(c.observed()));
    let mut metrics = Vec::new();
    for &q in &settings.percentiles {
        metrics.push(percentile(b, c, q, z, settings, &extent));
    }
    let lacking = (b.requests <= 0.0 || c.requests <= 0.0).then(|| {
        format!(
            "no requests counted on a side ({:.0} and {:.0})",
            b.requests, c.requests
        )
    });
    let band = settings.tolerances.band(Metric::Status5xx).amount();
    let (measured, extent) = match lacking {
        Some(why) => (Err(why), Extent::Requests(0.0)),
        None => (
            Ok(five_xx(b, c, z)),
            Extent::Said(five_xx_more(b, c, z, band)),
        ),
    };
    metrics.push(verdict::judged(
        Metric::Status5xx,
        "%",
        measured,
        settings,
        &extent,
    ));
    let change = Change::overall(metrics.iter().map(|m| m.change));
    Comparison {
        change,
        said: verdict::headline(change, &metrics),
        method: Method {
            unit_s: 0,
            warmup_s: 0,
            units_baseline: windows,
            units_candidate: windows,
            confidence: settings.confidence,
            resamples: 0,
            seed: String::new(),
            replication: format!(
                "the services' own counters over {windows} window(s): requests as units, taken as independent (the counters have no finer timeline); percentiles interpolated within buckets, as histogram_quantile does"
            ),
        },
        metrics,
        notes: Vec::new(),
        baseline_histogram: String::new(),
        candidate_histogram: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` requests spread evenly over (0, top] seconds, in Prometheus's default
    /// buckets, with `bad` of them 5xx.
    fn served(n: f64, top: f64, bad: f64) -> Served {
        let les = [
            0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
        ];
        let mut buckets: Vec<(f64, f64)> = les
            .iter()
            .map(|&le| (le, n * (le / top).min(1.0)))
            .collect();
        buckets.push((f64::INFINITY, n));
        Served {
            requests: n,
            status_5xx: bad,
            buckets,
        }
    }

    fn judged(b: &Served, c: &Served) -> Comparison {
        let settings = Settings {
            percentiles: vec![0.5, 0.95],
            ..Settings::default()
        };
        compare(b, c, &settings, 1)
    }

    #[test]
    fn ranks_interpolate_in_their_bucket_and_the_inf_bucket_bounds_only_from_below() {
        let b = [(0.1, 50.0), (0.2, 100.0), (f64::INFINITY, 110.0)];
        let near = |rank: f64, want: f64| {
            let got = at_rank(&b, rank).unwrap().unwrap();
            assert!((got - want).abs() < 1e-12, "rank {rank}: {got}");
        };
        near(25.0, 0.05);
        near(75.0, 0.15);
        assert_eq!(at_rank(&b, 105.0), Some(Err(0.2)));
        assert_eq!(at_rank(&[(0.1, 0.0), (f64::INFINITY, 0.0)], 1.0), None);
    }

    #[test]
    fn the_same_traffic_is_the_same_and_a_slower_canary_regressed() {
        let same = judged(&served(20_000.0, 0.2, 0.0), &served(20_000.0, 0.2, 0.0));
        assert_eq!(same.change, Change::Same, "{}", same.said);
        let slower = judged(&served(20_000.0, 0.2, 0.0), &served(20_000.0, 2.0, 0.0));
        assert_eq!(slower.change, Change::Regressed, "{}", slower.said);
        assert!(slower.said.contains("p50"), "{}", slower.said);
        // 10% slower, with the medians either side of the 100 ms bound: interpolation
        // sees it, the buckets cannot confirm it, and it is said so.
        let near = judged(&served(20_000.0, 0.2, 0.0), &served(20_000.0, 0.22, 0.0));
        assert_eq!(near.change, Change::Same, "{}", near.said);
        let p50 = &near.metrics[0];
        assert!(
            p50.said.contains("at the buckets' resolution"),
            "{}",
            p50.said
        );
    }

    #[test]
    fn a_rise_in_5xx_beyond_the_band_regressed_and_a_few_requests_are_inconclusive() {
        let more = judged(&served(20_000.0, 0.2, 2.0), &served(20_000.0, 0.2, 200.0));
        let five = more.metrics.iter().find(|m| m.metric == "5xx").unwrap();
        assert_eq!(five.change, Change::Regressed, "{}", five.said);
        let few = judged(&served(30.0, 0.2, 0.0), &served(30.0, 0.2, 0.0));
        assert_eq!(few.change, Change::Inconclusive, "{}", few.said);
        assert!(few.said.contains("p95: needs at least 170"), "{}", few.said);
        // No 5xx on either side of 360 requests: too few to bound the rise by 0.1
        // points. Near 0% the interval narrows as 1/n: thousands more, not hundreds of
        // thousands as 1/√n scaling would say.
        let quiet = judged(&served(360.0, 0.2, 0.0), &served(360.0, 0.2, 0.0));
        let five = quiet.metrics.iter().find(|m| m.metric == "5xx").unwrap();
        assert_eq!(five.change, Change::Inconclusive, "{}", five.said);
        let more: f64 = five
            .said
            .split("about ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!((3_000.0..20_000.0).contains(&more), "{}", five.said);
    }

    #[test]
    fn windows_add_up_on_the_bounds_both_share() {
        let mut s = Served::default();
        s.add(&served(100.0, 0.2, 1.0));
        s.add(&served(100.0, 0.2, 1.0));
        assert_eq!(
            (s.requests, s.status_5xx, s.observed()),
            (200.0, 2.0, 200.0)
        );
        let mut odd = served(100.0, 0.2, 0.0);
        odd.buckets.remove(0);
        s.add(&odd);
        assert_eq!(s.buckets.len(), 11);
    }
}

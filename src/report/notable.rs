//! Seconds worth a look in a run's timeline: a throughput dip (a stall), a latency
//! spike, an error burst, each against the run's own median second by a robust margin
//! (median absolute deviation), not a fixed threshold. The report shades them on the
//! over-time charts and lists them, so that a stall is seen at a glance rather than
//! found.

use crate::measure::SecondStats;

/// A second and what was odd about it, in words with the numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Notable {
    pub second: u32,
    pub what: Vec<String>,
}

/// Below this many finished requests per second, a dip is noise, not a stall.
const MIN_RATE_FOR_DIPS: f64 = 4.0;
/// How many robust standard deviations (1.4826 × the median absolute deviation) from
/// the run's own median make a second stand out.
const DEVIATIONS: f64 = 5.0;
/// A dip must lose at least this share of the median rate (and is always news below
/// half of it)…
const DIP_SHARE: f64 = 0.25;
/// …a spike must at least double the median's slowest, and by this much…
const SPIKE_FLOOR_MS: f64 = 1.0;
/// …and a burst must exceed the median share of failures by this many points.
const BURST_POINTS: f64 = 1.0;

fn finished(s: &SecondStats) -> u64 {
    s.responses + s.errors
}

/// The median and the robust spread (1.4826 × the median absolute deviation) of `xs`.
fn centre(xs: &[f64]) -> (f64, f64) {
    let median = |v: &mut Vec<f64>| -> f64 {
        if v.is_empty() {
            return 0.0;
        }
        v.sort_by(f64::total_cmp);
        let n = v.len();
        if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        }
    };
    let mut v = xs.to_vec();
    let m = median(&mut v);
    let mut dev: Vec<f64> = xs.iter().map(|x| (x - m).abs()).collect();
    (m, 1.4826 * median(&mut dev))
}

/// Failures (errors and 5xx) as a percentage of a second's finished requests.
fn bad_pct(s: &SecondStats) -> f64 {
    100.0 * (s.errors + s.status_5xx) as f64 / finished(s).max(1) as f64
}

/// The notable seconds of `seconds`, in order: each judged against the run's own
/// median second, by a robust margin (a steady 1% of 5xx is the run's normal, not a
/// burst every second). `median_ms` is the whole run's p50, said in the words.
pub fn find(seconds: &[SecondStats], median_ms: Option<f64>) -> Vec<Notable> {
    // The first and last seconds are partial: they set no norm, and dip by nature.
    let interior = seconds
        .get(1..seconds.len().saturating_sub(1))
        .unwrap_or(&[]);
    let norm = if interior.is_empty() {
        seconds
    } else {
        interior
    };
    let (rate, rate_spread) = centre(&norm.iter().map(|s| finished(s) as f64).collect::<Vec<_>>());
    let maxes: Vec<f64> = norm.iter().filter_map(|s| s.max_ms).collect();
    let (slowest, slowest_spread) = centre(&maxes);
    let (bad, bad_spread) = centre(&norm.iter().map(bad_pct).collect::<Vec<_>>());
    // Each margin is the robust one, kept between a floor (noise is not news) and a
    // ceiling (a second below half the median, ten times as slow or ten points more
    // failing is news however wild the run, and however few its seconds).
    let dip_below = rate - (DEVIATIONS * rate_spread).clamp(DIP_SHARE * rate, 0.5 * rate);
    let spike_above = slowest
        + (DEVIATIONS * slowest_spread).clamp(
            slowest.max(SPIKE_FLOOR_MS),
            9.0 * slowest.max(SPIKE_FLOOR_MS),
        );
    let burst_above = bad + (DEVIATIONS * bad_spread).clamp(BURST_POINTS, 10.0);
    let mut found = Vec::new();
    for (i, s) in seconds.iter().enumerate() {
        let mut what = Vec::new();
        let n = finished(s);
        let is_interior = i > 0 && i + 1 < seconds.len();
        if is_interior && rate >= MIN_RATE_FOR_DIPS && (n as f64) < dip_below {
            what.push(format!(
                "{n} finished against a median of {rate:.0} per second"
            ));
        }
        if let Some(max) = s.max_ms.filter(|m| !maxes.is_empty() && *m > spike_above) {
            what.push(format!(
                "slowest {max:.1} ms (a median second's slowest is {slowest:.1} ms; the run's p50 {:.1} ms)",
                median_ms.unwrap_or(0.0)
            ));
        }
        let failures = s.errors + s.status_5xx;
        if failures >= 2 && bad_pct(s) > burst_above {
            what.push(format!(
                "{} errors and {} 5xx of {n} (a median second fails {bad:.1}%)",
                s.errors, s.status_5xx
            ));
        }
        if !what.is_empty() {
            found.push(Notable {
                second: s.second,
                what,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(second: u32, responses: u64, max_ms: f64, five_xx: u64) -> SecondStats {
        SecondStats {
            second,
            responses,
            status_2xx: responses - five_xx,
            status_3xx: 0,
            status_4xx: 0,
            status_5xx: five_xx,
            errors: 0,
            successes: None,
            p50_ms: Some(1.0),
            p99_ms: Some(max_ms),
            max_ms: Some(max_ms),
            histogram: String::new(),
        }
    }

    #[test]
    fn a_stall_shows_as_a_dip_then_a_spike() {
        let seconds = vec![
            second(0, 40, 2.0, 0),
            second(1, 100, 2.0, 0),
            second(2, 3, 2.0, 0),
            second(3, 120, 1004.0, 0),
            second(4, 100, 2.0, 0),
            second(5, 10, 2.0, 0),
        ];
        let found = find(&seconds, Some(1.0));
        let at: Vec<u32> = found.iter().map(|n| n.second).collect();
        assert_eq!(at, vec![2, 3], "{found:?}");
        assert!(found[0].what[0].starts_with("3 finished"));
        assert!(found[1].what[0].starts_with("slowest 1004.0 ms"));
    }

    #[test]
    fn an_error_burst_is_named_and_a_steady_run_has_nothing() {
        let steady: Vec<_> = (0..5).map(|i| second(i, 100, 2.0, 0)).collect();
        assert!(find(&steady, Some(1.0)).is_empty());
        let mut burst = steady.clone();
        burst[3] = second(3, 100, 2.0, 20);
        let found = find(&burst, Some(1.0));
        assert_eq!(found.len(), 1);
        assert!(found[0].what[0].starts_with("0 errors and 20 5xx of 100"));
    }

    #[test]
    fn a_steady_share_of_errors_is_the_runs_normal_and_a_jump_stands_out() {
        let mut run: Vec<_> = (0..8).map(|i| second(i, 100, 2.0, 1)).collect();
        assert!(find(&run, Some(1.0)).is_empty(), "1% 5xx every second");
        run[5] = second(5, 100, 2.0, 6);
        let found = find(&run, Some(1.0));
        assert_eq!(found.iter().map(|n| n.second).collect::<Vec<_>>(), [5]);
        // Latency that wanders a little is not a spike either.
        let wandering: Vec<_> = (0..8)
            .map(|i| second(i, 100, 2.0 + f64::from(i % 3) * 0.2, 0))
            .collect();
        assert!(find(&wandering, Some(1.0)).is_empty());
    }
}

//! Seconds worth a look in a run's timeline: a throughput dip (a stall), a latency
//! spike, an error burst. The report shades them on the over-time charts and lists
//! them, so that a stall is seen at a glance rather than found.

use crate::measure::SecondStats;

/// A second and what was odd about it, in words with the numbers.
#[derive(Clone, Debug, PartialEq)]
pub struct Notable {
    pub second: u32,
    pub what: Vec<String>,
}

/// Below this many finished requests per second, a dip is noise, not a stall.
const MIN_RATE_FOR_DIPS: f64 = 4.0;
/// A second slower than this many times the run's median latency is a spike…
const SPIKE_FACTOR: f64 = 10.0;
/// …and only when it is also at least this slow.
const SPIKE_FLOOR_MS: f64 = 100.0;
/// Errors and 5xx above this share of a second's requests make a burst.
const BURST_SHARE: f64 = 0.01;

fn finished(s: &SecondStats) -> u64 {
    s.responses + s.errors
}

fn median(mut xs: Vec<u64>) -> f64 {
    if xs.is_empty() {
        return 0.0;
    }
    xs.sort_unstable();
    xs[xs.len() / 2] as f64
}

/// The notable seconds of `seconds`, in order. `median_ms` is the whole run's p50.
pub fn find(seconds: &[SecondStats], median_ms: Option<f64>) -> Vec<Notable> {
    // The first and last seconds are partial: their dips are the run's edges.
    let interior = seconds
        .get(1..seconds.len().saturating_sub(1))
        .unwrap_or(&[]);
    let typical = median(interior.iter().map(finished).collect());
    let spike_ms = median_ms.map(|m| (m * SPIKE_FACTOR).max(SPIKE_FLOOR_MS));
    let mut found = Vec::new();
    for (i, s) in seconds.iter().enumerate() {
        let mut what = Vec::new();
        let n = finished(s);
        let is_interior = i > 0 && i + 1 < seconds.len();
        if is_interior && typical >= MIN_RATE_FOR_DIPS && (n as f64) < typical / 2.0 {
            what.push(format!(
                "{n} finished against a median of {typical:.0} per second"
            ));
        }
        if let (Some(max), Some(limit)) = (s.max_ms, spike_ms) {
            if max >= limit {
                what.push(format!(
                    "slowest {max:.1} ms (the run's median is {:.1} ms)",
                    median_ms.unwrap_or(0.0)
                ));
            }
        }
        let bad = s.errors + s.status_5xx;
        if bad > 0 && bad as f64 >= BURST_SHARE * n.max(1) as f64 {
            what.push(format!(
                "{} errors and {} 5xx of {n}",
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
        assert_eq!(found[0].what, vec!["0 errors and 20 5xx of 100"]);
    }
}

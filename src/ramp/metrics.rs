//! The service's own metrics: one scrape of a Prometheus text endpoint, and what
//! happened between two scrapes (counter deltas; a counter that went down was reset,
//! so it counts from zero; a series absent from the first scrape was created since,
//! as client libraries create a series at its first observation, so it counts from
//! zero too). Parsing follows the exposition format (see [`super::exposition`]).

use std::collections::BTreeMap;

use regex::Regex;

use super::exposition::{self, Sample};
use crate::compare::binned::{self, Served};

/// A series selector: `name`, optionally with `{label="value", label=~"regex"}`.
#[derive(Clone, Debug)]
pub struct Selector {
    pub name: String,
    /// (label, match, negated).
    matchers: Vec<(String, Match, bool)>,
    text: String,
}

#[derive(Clone, Debug)]
enum Match {
    Eq(String),
    Re(Regex),
}

impl std::fmt::Display for Selector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for Selector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let text = s.trim().to_string();
        let (name, rest) = match text.split_once('{') {
            Some((n, r)) => (n.trim(), Some(r)),
            None => (text.as_str(), None),
        };
        let valid = |n: &str| {
            !n.is_empty()
                && n.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
        };
        if !valid(name) {
            return Err(format!(
                "'{s}': expected a metric name, e.g. http_requests_total{{status=~\"5..\"}}"
            ));
        }
        let matchers = match rest {
            Some(rest) => matchers(rest).map_err(|why| format!("'{s}': {why}"))?,
            None => Vec::new(),
        };
        Ok(Selector {
            name: name.to_string(),
            matchers,
            text,
        })
    }
}

/// `label="value", label=~"regex", label!="value", label!~"regex"}` (after the '{'),
/// values quoted and escaped as in the exposition format.
fn matchers(mut rest: &str) -> Result<Vec<(String, Match, bool)>, String> {
    let mut out = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix('}') {
            if !after.trim().is_empty() {
                return Err("text after '}'".into());
            }
            return Ok(out);
        }
        let (label, after) =
            exposition::name(rest).ok_or("expected label=\"value\" or label=~\"regex\"")?;
        let after = after.trim_start();
        let (op, after) = ["=~", "!~", "!=", "="]
            .iter()
            .find_map(|op| after.strip_prefix(op).map(|a| (*op, a)))
            .ok_or_else(|| format!("expected =, !=, =~ or !~ after '{label}'"))?;
        let (value, after) = exposition::quoted(after.trim_start())?;
        let m = if op.ends_with('~') {
            let re = Regex::new(&format!("^(?:{value})$"))
                .map_err(|e| format!("bad regex '{value}': {e}"))?;
            Match::Re(re)
        } else {
            Match::Eq(value)
        };
        out.push((label.to_string(), m, op.starts_with('!')));
        rest = after.trim_start();
        match rest.strip_prefix(',') {
            Some(after) => rest = after,
            None if rest.starts_with('}') => {}
            None => return Err("missing '}'".into()),
        }
    }
}

impl Selector {
    fn matches(&self, sample: &Sample) -> bool {
        self.matchers.iter().all(|(l, m, negated)| {
            let v = sample.label(l).unwrap_or("");
            let hit = match m {
                Match::Eq(want) => v == want,
                Match::Re(re) => re.is_match(v),
            };
            hit != *negated
        })
    }
}

/// One scrape, reduced to what the ramp judges, kept per series so that deltas and
/// resets are per series.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Every series of the selector's metric (all requests), by labels.
    pub total: BTreeMap<String, f64>,
    /// The series the selector picks (the 5xx), by labels.
    pub selected: BTreeMap<String, f64>,
    /// Cumulative bucket counts by `le`, summed over the latency family's series.
    pub buckets: Vec<(f64, f64)>,
    /// The selector's metric, and whether the scrape had any series of it.
    pub metric: String,
    pub present: bool,
}

/// Reads the families the ramp needs out of a scrape. A scrape without the
/// selector's metric reads as no series yet (a fresh release serves none until its
/// first request); `present` says which it was.
pub fn snapshot(text: &str, five_xx: &Selector, latency: &str) -> Result<Snapshot, String> {
    let samples = exposition::parse(text).map_err(|e| format!("not Prometheus text: {e}"))?;
    let bucket_name = format!("{latency}_bucket");
    let mut snap = Snapshot {
        metric: five_xx.name.clone(),
        ..Snapshot::default()
    };
    let mut buckets: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
    for sample in &samples {
        if sample.name == five_xx.name {
            snap.present = true;
            let key = sample.series_key();
            snap.total.insert(key.clone(), sample.value);
            if five_xx.matches(sample) {
                snap.selected.insert(key, sample.value);
            }
        } else if sample.name == bucket_name {
            let Some(le) = sample.label("le").and_then(|l| l.parse::<f64>().ok()) else {
                continue;
            };
            let e = buckets.entry(le.to_bits()).or_insert((le, 0.0));
            e.1 += sample.value;
        }
    }
    snap.buckets = buckets.into_values().collect();
    snap.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(snap)
}

fn counter_delta(before: Option<f64>, after: f64) -> f64 {
    match before {
        // A counter that went down was reset in between: it counted from zero.
        Some(b) if after >= b => after - b,
        _ => after,
    }
}

fn series_delta(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> f64 {
    after
        .iter()
        .map(|(k, &v)| counter_delta(before.get(k).copied(), v))
        .sum()
}

/// What the service served between two scrapes.
pub fn delta(before: &Snapshot, after: &Snapshot) -> Served {
    let buckets = after
        .buckets
        .iter()
        .map(|&(le, n)| {
            let b = before
                .buckets
                .iter()
                .find(|(l, _)| *l == le)
                .map(|&(_, n)| n);
            (le, counter_delta(b, n))
        })
        .collect();
    Served {
        requests: series_delta(&before.total, &after.total) + 0.0,
        status_5xx: series_delta(&before.selected, &after.selected) + 0.0,
        buckets,
    }
}

/// The q-quantile of a cumulative bucket histogram, interpolated linearly within its
/// bucket as Prometheus's histogram_quantile does, so the figure matches dashboards.
/// `None` without observations; the highest finite bound when it falls in +Inf.
pub fn quantile(buckets: &[(f64, f64)], q: f64) -> Option<f64> {
    let total = buckets.last()?.1;
    binned::at_rank(buckets, q * total).map(|v| v.unwrap_or_else(|bound| bound))
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "# TYPE http_requests_total counter\n\
        http_requests_total{status=\"200\"} 100\n\
        http_requests_total{status=\"500\"} 2\n\
        # TYPE lat histogram\n\
        lat_bucket{le=\"0.1\"} 90\n\
        lat_bucket{le=\"1\"} 100\n\
        lat_bucket{le=\"+Inf\"} 102\n\
        lat_sum 5\nlat_count 102\n";

    const B: &str = "# TYPE http_requests_total counter\n\
        http_requests_total{status=\"200\"} 150\n\
        http_requests_total{status=\"500\"} 7\n\
        http_requests_total{status=\"503\"} 1\n\
        # TYPE lat histogram\n\
        lat_bucket{le=\"0.1\"} 100\n\
        lat_bucket{le=\"1\"} 150\n\
        lat_bucket{le=\"+Inf\"} 158\n";

    fn sel() -> Selector {
        "http_requests_total{status=~\"5..\"}".parse().unwrap()
    }

    #[test]
    fn deltas_count_new_5xx_and_bucket_growth() {
        let a = snapshot(A, &sel(), "lat").unwrap();
        let b = snapshot(B, &sel(), "lat").unwrap();
        let d = delta(&a, &b);
        assert_eq!((d.requests, d.status_5xx), (56.0, 6.0));
        assert_eq!(d.buckets.last(), Some(&(f64::INFINITY, 56.0)));
        // 10 of 56 under 0.1 s, 50 under 1 s: p50 lies in (0.1, 1].
        let p50 = quantile(&d.buckets, 0.5).unwrap();
        assert!(p50 > 0.1 && p50 <= 1.0, "{p50}");
    }

    #[test]
    fn a_reset_counter_counts_from_zero() {
        let b = snapshot(B, &sel(), "lat").unwrap();
        let a = snapshot(A, &sel(), "lat").unwrap();
        let d = delta(&b, &a);
        // 200: 100 < 150, reset: 100; 500: 2 < 7, reset: 2; 503 gone.
        assert_eq!((d.requests, d.status_5xx), (102.0, 2.0));
    }

    #[test]
    fn selectors_parse_or_say_why() {
        assert!("http_requests_total".parse::<Selector>().is_ok());
        assert!("x{code=\"500\",method=~\"GET|POST\"}"
            .parse::<Selector>()
            .is_ok());
        assert!("{status=\"5\"}".parse::<Selector>().is_err());
        assert!("x{status=~\"(\"}".parse::<Selector>().is_err());
        assert!("x{a=\"1\"".parse::<Selector>().is_err());
        assert!(!snapshot("nothing 1\n", &sel(), "lat").unwrap().present);
        assert!(snapshot("x{a=1} 2\n", &sel(), "lat").is_err());
    }
}

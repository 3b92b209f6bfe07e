//! The two sides of a comparison as replication units: consecutive intervals of a
//! run's per-second timeline (1–10 s each), their success-latency histograms as sparse
//! counts over one value list shared by both sides, and their status counts.
//! Requests within a second are correlated (a GC pause, a busy neighbour), so the
//! interval, not the request, is what the intervals and p-values resample.

use crate::measure::SecondStats;
use crate::measure::{decode_hist, HistCodecError};

/// One interval of one run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Unit {
    /// Success latencies: (position in [`Pair::values`], count).
    pub latency: Vec<(u32, u64)>,
    /// Responses and transport errors that finished in the interval.
    pub finished: u64,
    /// 2xx and 3xx responses.
    pub successes: u64,
    pub status_5xx: u64,
    /// Seconds of the run the interval covers (the last one may be short).
    pub seconds: u32,
}

impl Unit {
    /// Requests that did not succeed: 4xx, 5xx and transport errors.
    pub fn failures(&self) -> u64 {
        self.finished - self.successes
    }
}

/// Both sides, over one sorted list of the bucket values (µs) either side recorded.
#[derive(Clone, Debug, PartialEq)]
pub struct Pair {
    pub values: Vec<u64>,
    pub baseline: Vec<Unit>,
    pub candidate: Vec<Unit>,
}

/// One second before it joins a unit: decoded histogram buckets and counts.
struct Second {
    index: u32,
    buckets: Vec<(u64, u64)>,
    finished: u64,
    successes: u64,
    status_5xx: u64,
}

fn decode(timeline: &[SecondStats], warmup_s: u32) -> Result<Vec<Second>, HistCodecError> {
    timeline
        .iter()
        .filter(|s| s.second >= warmup_s)
        .map(|s| {
            let h = decode_hist(&s.histogram)?;
            let buckets = h
                .iter_recorded()
                .map(|v| (v.value_iterated_to(), v.count_at_value()))
                .collect();
            Ok(Second {
                index: s.second - warmup_s,
                buckets,
                finished: s.responses + s.errors,
                successes: s.successes(),
                status_5xx: s.status_5xx,
            })
        })
        .collect()
}

fn units(seconds: &[Second], unit_s: u32, values: &[u64]) -> Vec<Unit> {
    let mut out: Vec<(u32, Unit, std::collections::BTreeMap<u32, u64>)> = Vec::new();
    for s in seconds {
        let key = s.index / unit_s;
        if out.last().is_none_or(|(k, _, _)| *k != key) {
            out.push((key, Unit::default(), Default::default()));
        }
        let (_, unit, lat) = out.last_mut().expect("just pushed");
        unit.finished += s.finished;
        unit.successes += s.successes;
        unit.status_5xx += s.status_5xx;
        unit.seconds += 1;
        for &(v, c) in &s.buckets {
            let at = values.binary_search(&v).expect("every value is listed") as u32;
            *lat.entry(at).or_default() += c;
        }
    }
    out.into_iter()
        .filter(|(_, u, _)| u.finished > 0)
        .map(|(_, mut u, lat)| {
            u.latency = lat.into_iter().collect();
            u
        })
        .collect()
}

impl Pair {
    /// Two runs' timelines cut into `unit_s`-second intervals, each run's first
    /// `warmup_s` seconds left out. Intervals in which nothing finished are left out.
    pub fn from_timelines(
        baseline: &[SecondStats],
        candidate: &[SecondStats],
        unit_s: u32,
        warmup_s: u32,
    ) -> Result<Pair, HistCodecError> {
        let unit_s = unit_s.max(1);
        let (a, b) = (decode(baseline, warmup_s)?, decode(candidate, warmup_s)?);
        let mut values: Vec<u64> = a
            .iter()
            .chain(&b)
            .flat_map(|s| s.buckets.iter().map(|(v, _)| *v))
            .collect();
        values.sort_unstable();
        values.dedup();
        Ok(Pair {
            baseline: units(&a, unit_s, &values),
            candidate: units(&b, unit_s, &values),
            values,
        })
    }

    /// Dense counts over `values` of the given units (a unit may repeat: resampling).
    pub fn dense<'a>(&self, units: impl IntoIterator<Item = &'a Unit>) -> Vec<f64> {
        let mut c = vec![0.0; self.values.len()];
        for u in units {
            for &(i, k) in &u.latency {
                c[i as usize] += k as f64;
            }
        }
        c
    }

    /// The pair with every candidate latency moved down by `shift_us` (at least 1 µs),
    /// over a value list that holds both: what a test of shape, not location, permutes.
    pub fn shifted_candidate(&self, shift_us: f64) -> Pair {
        let shift = shift_us.round() as i64;
        let moved = |v: u64| (v as i64 - shift).max(1) as u64;
        let mut values: Vec<u64> = self.values.clone();
        for u in &self.candidate {
            values.extend(
                u.latency
                    .iter()
                    .map(|&(i, _)| moved(self.values[i as usize])),
            );
        }
        values.sort_unstable();
        values.dedup();
        let at = |v: u64| values.binary_search(&v).expect("listed above") as u32;
        let remap = |units: &[Unit], f: &dyn Fn(u64) -> u64| -> Vec<Unit> {
            units
                .iter()
                .map(|u| {
                    let mut latency: Vec<(u32, u64)> = u
                        .latency
                        .iter()
                        .map(|&(i, c)| (at(f(self.values[i as usize])), c))
                        .collect();
                    latency.sort_unstable();
                    latency.dedup_by(|b, a| {
                        let same = a.0 == b.0;
                        if same {
                            a.1 += b.1;
                        }
                        same
                    });
                    Unit {
                        latency,
                        ..u.clone()
                    }
                })
                .collect()
        };
        Pair {
            baseline: remap(&self.baseline, &|v| v),
            candidate: remap(&self.candidate, &moved),
            values: values.clone(),
        }
    }

    /// A seed from the data itself, so that the same two files always resample the
    /// same way: a verdict does not change from one reading to the next.
    pub fn seed(&self) -> u64 {
        // FNV-1a over the values and every unit's counts.
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for byte in x.to_le_bytes() {
                h ^= byte as u64;
                h = h.wrapping_mul(0x0100_0000_01b3);
            }
        };
        self.values.iter().for_each(|&v| eat(v));
        for u in self.baseline.iter().chain(&self.candidate) {
            eat(u.finished);
            eat(u.successes);
            u.latency
                .iter()
                .for_each(|&(i, c)| eat(((i as u64) << 40) ^ c));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::{encode_hist, new_hist};

    fn second(index: u32, latencies_us: &[u64], errors: u64) -> SecondStats {
        let mut h = new_hist();
        latencies_us.iter().for_each(|&v| h.record(v).unwrap());
        SecondStats {
            second: index,
            responses: latencies_us.len() as u64,
            status_2xx: latencies_us.len() as u64,
            status_3xx: 0,
            status_4xx: 0,
            status_5xx: 0,
            errors,
            successes: None,
            p50_ms: None,
            p99_ms: None,
            max_ms: None,
            histogram: encode_hist(&h),
        }
    }

    #[test]
    fn seconds_group_into_units_after_the_warmup() {
        let a: Vec<SecondStats> = (0..7).map(|s| second(s, &[1_000, 2_000], 1)).collect();
        let b = vec![second(0, &[5_000], 0), second(3, &[5_000], 0)];
        let pair = Pair::from_timelines(&a, &b, 2, 1).unwrap();
        // Seconds 1..=6 of a: three units of two seconds.
        assert_eq!(pair.baseline.len(), 3);
        assert!(pair
            .baseline
            .iter()
            .all(|u| u.finished == 6 && u.successes == 4));
        assert_eq!(pair.baseline[0].failures(), 2);
        // b's second 0 is warm-up; its second 3 is the second unit's.
        assert_eq!(pair.candidate.len(), 1);
        assert_eq!(pair.values.len(), 3);
        let dense = pair.dense(&pair.baseline);
        assert_eq!(dense.iter().sum::<f64>(), 12.0);
        assert_eq!(pair.seed(), pair.clone().seed());
    }
}

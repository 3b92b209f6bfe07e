//! Per-second buckets: throughput, status classes and a latency histogram for each
//! second of a run, so a ramp can judge windows and a report can plot time series.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::hist::{decode_hist, encode_hist, new_hist, us_to_ms, Hist, HistCodecError};
use super::outcome::{ErrorKind, StatusClass};

/// One second of a run, counted from the run's start by completion time.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct SecondStats {
    /// Seconds since the run started (0 is the first second).
    pub second: u32,
    /// Complete HTTP responses that finished in this second.
    pub responses: u64,
    pub status_2xx: u64,
    pub status_3xx: u64,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Transport errors (no response) that ended in this second.
    pub errors: u64,
    /// Responses that succeeded, when that is not their 2xx and 3xx (a workload's
    /// `expect_status`); absent when it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub successes: Option<u64>,
    /// Latency of successful responses finishing in this second.
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    /// The second's success-latency histogram (HdrHistogram V2+DEFLATE, base64), for exact merging.
    pub histogram: String,
}

impl SecondStats {
    /// Responses that succeeded this second.
    pub fn successes(&self) -> u64 {
        self.successes.unwrap_or(self.status_2xx + self.status_3xx)
    }
}

/// Counts for one second, indexed 1xx..5xx, then errors, then successes.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
struct Counts([u64; 7]);

impl Counts {
    const ERRORS: usize = 5;
    const SUCCESSES: usize = 6;

    fn add(&mut self, other: &Counts) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += b;
        }
    }
}

fn class_index(class: StatusClass) -> usize {
    match class {
        StatusClass::Informational => 0,
        StatusClass::Success => 1,
        StatusClass::Redirect => 2,
        StatusClass::ClientError => 3,
        StatusClass::ServerError => 4,
    }
}

/// A finished second: counts and the encoded histogram (a few hundred bytes), so the
/// timeline of an hour-long run stays small.
#[derive(Clone, Debug)]
struct Bucket {
    counts: Counts,
    hist: String,
}

/// Per-second buckets. One lives in each thread's recorder; they merge by second.
#[derive(Debug)]
pub struct Timeline {
    current_second: u32,
    current_counts: Counts,
    current_hist: Hist,
    done: BTreeMap<u32, Bucket>,
}

impl Default for Timeline {
    fn default() -> Self {
        Timeline {
            current_second: 0,
            current_counts: Counts::default(),
            current_hist: new_hist(),
            done: BTreeMap::new(),
        }
    }
}

impl Timeline {
    fn roll_to(&mut self, second: u32) {
        if second != self.current_second {
            self.flush();
            self.current_second = second;
        }
    }

    fn flush(&mut self) {
        let counts = std::mem::take(&mut self.current_counts);
        if counts == Counts::default() {
            return;
        }
        let hist = encode_hist(&self.current_hist);
        self.current_hist.reset();
        let slot = self.done.entry(self.current_second).or_insert(Bucket {
            counts: Counts::default(),
            hist: String::new(),
        });
        slot.counts.add(&counts);
        slot.hist = if slot.hist.is_empty() {
            hist
        } else {
            // A late completion re-opened an earlier second: merge, don't overwrite.
            let mut merged = decode_hist(&slot.hist).expect("own encoding decodes");
            merged
                .add(decode_hist(&hist).expect("own encoding decodes"))
                .expect("same bounds");
            encode_hist(&merged)
        };
    }

    /// Records a response finishing `second` seconds into the run.
    #[inline]
    pub fn response(&mut self, second: u32, status: u16, latency_us: u64, ok: bool) {
        self.roll_to(second);
        self.current_counts.0[class_index(StatusClass::of(status))] += 1;
        if ok {
            self.current_counts.0[Counts::SUCCESSES] += 1;
            self.current_hist.saturating_record(latency_us.max(1));
        }
    }

    #[inline]
    pub fn error(&mut self, second: u32, _kind: ErrorKind) {
        self.roll_to(second);
        self.current_counts.0[Counts::ERRORS] += 1;
    }

    /// Closes the current second; call once when the run ends.
    pub fn finish(&mut self) {
        self.flush();
    }

    /// Adds another timeline second by second.
    pub fn merge(&mut self, mut other: Timeline) -> Result<(), HistCodecError> {
        self.finish();
        other.finish();
        for (second, bucket) in other.done {
            match self.done.get_mut(&second) {
                None => {
                    self.done.insert(second, bucket);
                }
                Some(mine) => {
                    mine.counts.add(&bucket.counts);
                    let mut h = decode_hist(&mine.hist)?;
                    h.add(decode_hist(&bucket.hist)?)
                        .map_err(HistCodecError::Bounds)?;
                    mine.hist = encode_hist(&h);
                }
            }
        }
        Ok(())
    }

    pub fn to_stats(&self) -> Vec<SecondStats> {
        self.done
            .iter()
            .map(|(&second, b)| {
                let h = decode_hist(&b.hist).unwrap_or_else(|_| new_hist());
                let q = |q: f64| (!h.is_empty()).then(|| us_to_ms(h.value_at_quantile(q)));
                let c = b.counts.0;
                SecondStats {
                    second,
                    responses: c[0] + c[1] + c[2] + c[3] + c[4],
                    status_2xx: c[1],
                    status_3xx: c[2],
                    status_4xx: c[3],
                    status_5xx: c[4],
                    errors: c[Counts::ERRORS],
                    successes: (c[Counts::SUCCESSES] != c[1] + c[2])
                        .then_some(c[Counts::SUCCESSES]),
                    p50_ms: q(0.5),
                    p99_ms: q(0.99),
                    max_ms: (!h.is_empty()).then(|| us_to_ms(h.max())),
                    histogram: b.hist.clone(),
                }
            })
            .collect()
    }

    /// Rebuilds a timeline from its serialised form (for merging saved results).
    pub fn from_stats(stats: &[SecondStats]) -> Result<Timeline, HistCodecError> {
        let mut t = Timeline::default();
        for s in stats {
            decode_hist(&s.histogram)?;
            // 1xx responses are not kept apart in the JSON; they are the remainder.
            let informational = s
                .responses
                .saturating_sub(s.status_2xx + s.status_3xx + s.status_4xx + s.status_5xx);
            let counts = Counts([
                informational,
                s.status_2xx,
                s.status_3xx,
                s.status_4xx,
                s.status_5xx,
                s.errors,
                s.successes(),
            ]);
            t.done.insert(
                s.second,
                Bucket {
                    counts,
                    hist: s.histogram.clone(),
                },
            );
        }
        Ok(t)
    }
}

//! Live counts one load thread publishes while it runs, for progress lines and the
//! stop rule. Each thread owns one (single writer: plain loads and stores, no locked
//! read-modify-write), padded so threads never share a cache line.

use std::sync::atomic::{AtomicU64, Ordering};

/// Coarse latency buckets: 16 per power of two (about 6% wide), 1 µs to past an hour.
const SUB: u32 = 16;
const BUCKETS: usize = 480;

#[derive(Debug)]
#[repr(align(64))]
pub struct LiveCounters {
    sent: AtomicU64,
    responses: AtomicU64,
    failures: AtomicU64,
    status_5xx: AtomicU64,
    errors: AtomicU64,
    latency: Box<[AtomicU64]>,
}

impl Default for LiveCounters {
    fn default() -> Self {
        LiveCounters {
            sent: AtomicU64::new(0),
            responses: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            status_5xx: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            latency: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

#[inline]
fn bucket_of(us: u64) -> usize {
    if us < SUB as u64 {
        return us as usize;
    }
    let exp = 63 - us.leading_zeros();
    let sub = (us >> (exp - 4)) & (SUB as u64 - 1);
    (((exp - 3) * SUB) as usize + sub as usize).min(BUCKETS - 1)
}

/// The middle of a bucket, in µs.
fn value_of(bucket: usize) -> f64 {
    if bucket < SUB as usize {
        return bucket as f64;
    }
    let exp = bucket as u32 / SUB + 3;
    let sub = bucket as u64 % SUB as u64;
    let low = (SUB as u64 + sub) << (exp - 4);
    low as f64 + (1u64 << (exp - 4)) as f64 / 2.0
}

/// Single writer: a load and a store, which a reader may see a moment late.
#[inline]
fn bump(counter: &AtomicU64, to: u64) {
    counter.store(to, Ordering::Relaxed);
}

impl LiveCounters {
    #[inline]
    pub(super) fn publish_sent(&self, n: u64) {
        bump(&self.sent, n);
    }

    #[inline]
    pub(super) fn publish(&self, t: &LiveTotals) {
        bump(&self.responses, t.responses);
        bump(&self.failures, t.failures);
        bump(&self.status_5xx, t.status_5xx);
        bump(&self.errors, t.errors);
    }

    #[inline]
    pub(super) fn record_latency(&self, us: u64) {
        let b = &self.latency[bucket_of(us)];
        b.store(b.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
    }
}

/// A snapshot of the live counts summed over threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LiveTotals {
    pub sent: u64,
    /// Complete HTTP responses, any status.
    pub responses: u64,
    /// Responses that were not 2xx/3xx, plus transport errors.
    pub failures: u64,
    pub status_5xx: u64,
    pub errors: u64,
}

impl LiveTotals {
    pub fn sum<'a>(counters: impl IntoIterator<Item = &'a LiveCounters>) -> LiveTotals {
        let mut t = LiveTotals::default();
        for c in counters {
            t.sent += c.sent.load(Ordering::Relaxed);
            t.responses += c.responses.load(Ordering::Relaxed);
            t.failures += c.failures.load(Ordering::Relaxed);
            t.status_5xx += c.status_5xx.load(Ordering::Relaxed);
            t.errors += c.errors.load(Ordering::Relaxed);
        }
        t
    }
}

/// Latency quantiles so far (successes and failures alike), within about 6%, in ms.
pub fn live_quantiles<'a>(
    counters: impl IntoIterator<Item = &'a LiveCounters>,
    qs: &[f64],
) -> Option<Vec<f64>> {
    let mut counts = vec![0u64; BUCKETS];
    for c in counters {
        for (sum, b) in counts.iter_mut().zip(c.latency.iter()) {
            *sum += b.load(Ordering::Relaxed);
        }
    }
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return None;
    }
    let quantile = |q: f64| {
        let rank = ((q * total as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, n) in counts.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return value_of(i) / 1000.0;
            }
        }
        value_of(BUCKETS - 1) / 1000.0
    };
    Some(qs.iter().map(|&q| quantile(q)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_within_seven_percent() {
        for us in [
            1u64,
            15,
            16,
            17,
            100,
            999,
            1_000,
            12_345,
            500_000,
            3_600_000_000,
        ] {
            let v = value_of(bucket_of(us));
            assert!(
                (v - us as f64).abs() <= us as f64 * 0.07 + 0.5,
                "{us} -> {v}"
            );
        }
    }

    #[test]
    fn quantiles_sum_threads() {
        let (a, b) = (LiveCounters::default(), LiveCounters::default());
        (0..90).for_each(|_| a.record_latency(1_000));
        (0..10).for_each(|_| b.record_latency(100_000));
        let q = live_quantiles([&a, &b], &[0.5, 0.99]).unwrap();
        assert!((q[0] - 1.0).abs() < 0.07, "{q:?}");
        assert!((q[1] - 100.0).abs() < 7.0, "{q:?}");
    }
}

//! The fault knobs, changeable while the target runs: by a schedule given at start
//! (`--error-rate-after 3s:0.2`), by the loopback admin endpoint, or in-process (the
//! demo's ramp turns the target bad at its third step).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Latency and error rate, read on every request.
#[derive(Debug)]
pub struct Faults {
    latency_us: AtomicU64,
    error_rate_bits: AtomicU64,
}

impl Faults {
    pub fn new(latency: Duration, error_rate: f64) -> Faults {
        Faults {
            latency_us: AtomicU64::new(latency.as_micros() as u64),
            error_rate_bits: AtomicU64::new(error_rate.to_bits()),
        }
    }

    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_us.load(Ordering::Relaxed))
    }

    pub fn error_rate(&self) -> f64 {
        f64::from_bits(self.error_rate_bits.load(Ordering::Relaxed))
    }

    pub fn set_latency(&self, latency: Duration) {
        self.latency_us
            .store(latency.as_micros() as u64, Ordering::Relaxed);
    }

    /// Clamped to [0, 1].
    pub fn set_error_rate(&self, rate: f64) {
        let rate = if rate.is_finite() {
            rate.clamp(0.0, 1.0)
        } else {
            0.0
        };
        self.error_rate_bits
            .store(rate.to_bits(), Ordering::Relaxed);
    }
}

/// A change of error rate at a set time after start: `--error-rate-after 3s:0.2`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScheduledRate {
    pub after: Duration,
    pub rate: f64,
}

impl std::str::FromStr for ScheduledRate {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("'{s}': expected DURATION:RATE, e.g. 3s:0.2");
        let (after, rate) = s.split_once(':').ok_or_else(bad)?;
        let after = humantime::parse_duration(after.trim()).map_err(|_| bad())?;
        let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("'{s}': the rate must be between 0 and 1"));
        }
        Ok(ScheduledRate { after, rate })
    }
}

/// Applies the scheduled changes, in time order, to `faults`.
pub async fn run_schedule(
    faults: std::sync::Arc<Faults>,
    mut schedule: Vec<ScheduledRate>,
    started: Instant,
) {
    schedule.sort_by_key(|s| s.after);
    for change in schedule {
        tokio::time::sleep_until((started + change.after).into()).await;
        faults.set_error_rate(change.rate);
        tracing::info!(rate = change.rate, "error rate changed as scheduled");
    }
}

/// Applies `error_rate=R&latency=D` from the admin endpoint's query string.
pub fn apply_query(faults: &Faults, query: &str) -> Result<(), String> {
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "error_rate" => {
                let rate: f64 = value
                    .parse()
                    .ok()
                    .filter(|r| (0.0..=1.0).contains(r))
                    .ok_or_else(|| format!("error_rate '{value}': a number from 0 to 1"))?;
                faults.set_error_rate(rate);
            }
            "latency" => {
                let d = humantime::parse_duration(value)
                    .map_err(|_| format!("latency '{value}': a duration such as 20ms"))?;
                faults.set_latency(d);
            }
            other => return Err(format!("unknown knob '{other}': error_rate or latency")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knobs_parse_and_apply() {
        let s: ScheduledRate = "3s:0.2".parse().unwrap();
        assert_eq!((s.after, s.rate), (Duration::from_secs(3), 0.2));
        assert!("3s".parse::<ScheduledRate>().is_err());
        assert!("3s:2".parse::<ScheduledRate>().is_err());
        let f = Faults::new(Duration::ZERO, 0.0);
        apply_query(&f, "error_rate=1&latency=20ms").unwrap();
        assert_eq!(
            (f.error_rate(), f.latency()),
            (1.0, Duration::from_millis(20))
        );
        assert!(apply_query(&f, "error_rate=7").is_err());
        assert!(apply_query(&f, "speed=1").is_err());
    }
}

//! A run's mergeable measurement and the serialisable summary derived from it.

use std::collections::BTreeMap;
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::hist::{decode_hist, encode_hist, new_hist, us_to_ms, Hist, HistCodecError};
use super::outcome::{ErrorKind, StatusClass};
use super::timeline::{SecondStats, Timeline};

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Open-model schedule counters, summed over threads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScheduleCounters {
    /// Sends that left more than the timer's resolution after their intended time.
    pub late_sends: u64,
    /// Of those, sends that waited for a connection still busy with an earlier request.
    pub busy_waits: u64,
    /// Sends that golive itself made more than 2 ms late (a late wake-up).
    pub late_wakeups: u64,
    pub max_lag_us: u64,
    /// The most golive itself delayed one send.
    pub max_golive_lag_us: u64,
}

/// Everything a run measured, in mergeable form: histograms add, counters add.
#[derive(Debug)]
pub struct Measurement {
    pub sent: u64,
    /// Latency of 2xx/3xx responses (from the intended send time in the open model).
    pub success: Hist,
    /// Latency of responses that were not 2xx/3xx, kept apart: failures are often fast.
    pub failure: Hist,
    /// Latency of 2xx/3xx responses from the actual send time (service time).
    pub service: Hist,
    /// Corrected latency of 2xx/3xx responses less golive's own send lag: the bound
    /// that tells a slow server from a lagging generator.
    pub without_lag: Hist,
    pub status: BTreeMap<u16, u64>,
    /// Responses that succeeded: 2xx and 3xx, or a status the request expected.
    pub successes: u64,
    pub errors: [u64; ErrorKind::COUNT],
    pub bytes: u64,
    pub connections_opened: u64,
    /// TLS connections that resumed a session (`None` without TLS).
    pub tls_resumed: Option<u64>,
    /// Requests sent once more after an idle close.
    pub retried_idle_close: u64,
    pub schedule: ScheduleCounters,
    pub timeline: Timeline,
    /// Wall time of the run; when merging runs that ran side by side, the longest.
    pub wall: Duration,
    /// CPU time the generator process used (user + system).
    pub cpu: Duration,
    /// The open model's target rate; `None` for closed-loop runs.
    pub intended_rps: Option<f64>,
    /// Requests the plan meant to send, when known in advance.
    pub planned: Option<u64>,
    pub threads: u32,
    pub connections: u32,
    pub peak_rss_kb: u64,
    /// A mix's requests, each measured on its own, by name (empty for one request).
    pub endpoints: Vec<(String, Measurement)>,
}

impl Default for Measurement {
    fn default() -> Self {
        Measurement {
            sent: 0,
            success: new_hist(),
            failure: new_hist(),
            service: new_hist(),
            without_lag: new_hist(),
            status: BTreeMap::new(),
            successes: 0,
            errors: [0; ErrorKind::COUNT],
            bytes: 0,
            connections_opened: 0,
            tls_resumed: None,
            retried_idle_close: 0,
            schedule: ScheduleCounters::default(),
            timeline: Timeline::default(),
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
            intended_rps: None,
            planned: None,
            threads: 0,
            connections: 0,
            peak_rss_kb: 0,
            endpoints: Vec::new(),
        }
    }
}

impl Measurement {
    /// Adds another measurement of the same kind: threads of one run, or runs that went
    /// side by side on several machines. Percentiles are recomputed from the summed
    /// histograms, never averaged.
    pub fn merge(&mut self, other: Measurement) -> Result<(), HistCodecError> {
        let bounds = HistCodecError::Bounds;
        self.sent += other.sent;
        self.success.add(&other.success).map_err(bounds)?;
        self.failure.add(&other.failure).map_err(bounds)?;
        self.service.add(&other.service).map_err(bounds)?;
        self.without_lag.add(&other.without_lag).map_err(bounds)?;
        for (code, n) in other.status {
            *self.status.entry(code).or_default() += n;
        }
        self.successes += other.successes;
        for (mine, theirs) in self.errors.iter_mut().zip(other.errors) {
            *mine += theirs;
        }
        self.bytes += other.bytes;
        self.connections_opened += other.connections_opened;
        self.tls_resumed = match (self.tls_resumed, other.tls_resumed) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.retried_idle_close += other.retried_idle_close;
        self.schedule.late_sends += other.schedule.late_sends;
        self.schedule.busy_waits += other.schedule.busy_waits;
        self.schedule.late_wakeups += other.schedule.late_wakeups;
        self.schedule.max_lag_us = self.schedule.max_lag_us.max(other.schedule.max_lag_us);
        self.schedule.max_golive_lag_us = self
            .schedule
            .max_golive_lag_us
            .max(other.schedule.max_golive_lag_us);
        self.timeline.merge(other.timeline)?;
        self.wall = self.wall.max(other.wall);
        self.cpu += other.cpu;
        self.intended_rps = match (self.intended_rps, other.intended_rps) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.planned = match (self.planned, other.planned) {
            (Some(a), Some(b)) => Some(a + b),
            (a, b) => a.or(b),
        };
        self.threads += other.threads;
        self.connections += other.connections;
        self.peak_rss_kb = self.peak_rss_kb.max(other.peak_rss_kb);
        for (name, theirs) in other.endpoints {
            match self.endpoints.iter_mut().find(|(n, _)| *n == name) {
                Some((_, mine)) => mine.merge(theirs)?,
                None => self.endpoints.push((name, theirs)),
            }
        }
        Ok(())
    }

    /// Gives each request of a mix the run's context: its wall time, and in the open
    /// model its share of the planned rate (`shares`, in the mix's order).
    pub fn share_to_endpoints(&mut self, shares: &[f64]) {
        for ((_, e), share) in self.endpoints.iter_mut().zip(shares) {
            e.wall = self.wall;
            e.intended_rps = self.intended_rps.map(|r| r * share);
            e.threads = self.threads;
            e.connections = self.connections;
        }
    }

    /// A named request's measurement, in a mix.
    pub fn endpoint(&self, name: &str) -> Option<&Measurement> {
        self.endpoints
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
    }

    pub fn responses(&self) -> u64 {
        self.status.values().sum()
    }

    pub fn successes(&self) -> u64 {
        self.successes
    }

    fn count_class(&self, class: StatusClass) -> u64 {
        self.status
            .iter()
            .filter(|(&code, _)| StatusClass::of(code) == class)
            .map(|(_, n)| n)
            .sum()
    }

    pub fn errors_total(&self) -> u64 {
        self.errors.iter().sum()
    }

    /// Requests that ended (a response or an error); the success rate's denominator.
    pub fn finished(&self) -> u64 {
        self.responses() + self.errors_total()
    }

    pub fn success_rate_pct(&self) -> Option<f64> {
        let finished = self.finished();
        (finished > 0).then(|| self.successes() as f64 * 100.0 / finished as f64)
    }

    /// Open model: the share of the planned requests actually sent, when the plan
    /// knew its count. Below 1 when the generator could not get to every ticket.
    pub fn sent_fraction(&self) -> Option<f64> {
        let planned = self
            .planned
            .filter(|&p| p > 0 && self.intended_rps.is_some())?;
        Some(self.sent as f64 / planned as f64)
    }

    pub fn throughput_rps(&self) -> f64 {
        let secs = self.wall.as_secs_f64();
        if secs > 0.0 {
            self.responses() as f64 / secs
        } else {
            0.0
        }
    }

    pub fn summary(&self) -> Summary {
        let sent = self.sent;
        let responses = self.responses();
        let errors_total = self.errors_total();
        let schedule = self.intended_rps.map(|intended| {
            let secs = self.wall.as_secs_f64();
            let s = self.schedule;
            ScheduleStats {
                intended_rps: round3(intended),
                achieved_rps: round3(if secs > 0.0 { sent as f64 / secs } else { 0.0 }),
                planned_requests: self.planned,
                late_sends: s.late_sends,
                late_sends_pct: round3(pct(s.late_sends, sent)),
                busy_waits: s.busy_waits,
                busy_waits_pct: round3(pct(s.busy_waits, sent)),
                late_wakeups: s.late_wakeups,
                late_wakeups_pct: round3(pct(s.late_wakeups, sent)),
                max_send_lag_ms: us_to_ms(s.max_lag_us),
                max_generator_lag_ms: us_to_ms(s.max_golive_lag_us),
            }
        });
        Summary {
            requests_sent: sent,
            responses,
            successes: self.successes(),
            errors_total,
            aborted: sent.saturating_sub(responses + errors_total),
            success_rate_pct: self.success_rate_pct().map(round3),
            status_codes: self
                .status
                .iter()
                .map(|(c, n)| (c.to_string(), *n))
                .collect(),
            status_4xx: self.count_class(StatusClass::ClientError),
            status_5xx: self.count_class(StatusClass::ServerError),
            errors: ErrorKind::ALL
                .iter()
                .map(|k| (k.as_str().to_string(), self.errors[k.index()]))
                .collect(),
            bytes_read: self.bytes,
            retried_idle_close: self.retried_idle_close,
            wall_time_s: round3(self.wall.as_secs_f64()),
            throughput_rps: round3(self.throughput_rps()),
            latency: LatencyStats::of(&self.success),
            failed_latency: LatencyStats::of(&self.failure),
            service_latency: schedule.is_some().then(|| LatencyStats::of(&self.service)),
            latency_without_lag: schedule
                .is_some()
                .then(|| LatencyStats::of(&self.without_lag)),
            schedule,
            generator: GeneratorStats {
                threads: self.threads,
                connections: self.connections,
                connections_opened: self.connections_opened,
                tls_resumed: self.tls_resumed,
                cpu_time_s: round3(self.cpu.as_secs_f64()),
                cpu_us_per_request: (sent > 0)
                    .then(|| round3(self.cpu.as_secs_f64() * 1e6 / sent as f64)),
                peak_rss_mb: round3(self.peak_rss_kb as f64 / 1024.0),
            },
            timeline: self.timeline.to_stats(),
            histograms: Histograms {
                success: encode_hist(&self.success),
                failure: encode_hist(&self.failure),
                service: encode_hist(&self.service),
                without_lag: Some(encode_hist(&self.without_lag)),
            },
            endpoints: self
                .endpoints
                .iter()
                .map(|(name, m)| Endpoint {
                    name: name.clone(),
                    results: Box::new(m.summary()),
                })
                .collect(),
        }
    }

    /// Rebuilds the mergeable form from a saved summary.
    pub fn from_summary(s: &Summary) -> Result<Measurement, HistCodecError> {
        let mut errors = [0; ErrorKind::COUNT];
        for (name, n) in &s.errors {
            if let Some(kind) = ErrorKind::from_name(name) {
                errors[kind.index()] += n;
            }
        }
        let schedule = s.schedule.as_ref();
        Ok(Measurement {
            sent: s.requests_sent,
            success: decode_hist(&s.histograms.success)?,
            failure: decode_hist(&s.histograms.failure)?,
            service: decode_hist(&s.histograms.service)?,
            without_lag: match &s.histograms.without_lag {
                Some(h) => decode_hist(h)?,
                // Saved before the bound existed: the corrected latency is the only bound.
                None => decode_hist(&s.histograms.success)?,
            },
            status: s
                .status_codes
                .iter()
                .filter_map(|(code, n)| code.parse().ok().map(|c| (c, *n)))
                .collect(),
            successes: s.successes,
            errors,
            bytes: s.bytes_read,
            connections_opened: s.generator.connections_opened,
            tls_resumed: s.generator.tls_resumed,
            retried_idle_close: s.retried_idle_close,
            schedule: ScheduleCounters {
                late_sends: schedule.map_or(0, |x| x.late_sends),
                busy_waits: schedule.map_or(0, |x| x.busy_waits),
                late_wakeups: schedule.map_or(0, |x| x.late_wakeups),
                max_lag_us: schedule.map_or(0, |x| (x.max_send_lag_ms * 1000.0).round() as u64),
                max_golive_lag_us: schedule
                    .map_or(0, |x| (x.max_generator_lag_ms * 1000.0).round() as u64),
            },
            timeline: Timeline::from_stats(&s.timeline)?,
            wall: Duration::from_secs_f64(s.wall_time_s.max(0.0)),
            cpu: Duration::from_secs_f64(s.generator.cpu_time_s.max(0.0)),
            intended_rps: schedule.map(|x| x.intended_rps),
            planned: schedule.and_then(|x| x.planned_requests),
            threads: s.generator.threads,
            connections: s.generator.connections,
            peak_rss_kb: (s.generator.peak_rss_mb * 1024.0).round() as u64,
            endpoints: s
                .endpoints
                .iter()
                .map(|e| Ok((e.name.clone(), Measurement::from_summary(&e.results)?)))
                .collect::<Result<_, HistCodecError>>()?,
        })
    }
}

fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Latency percentiles in milliseconds (nearest rank, as HdrHistogram computes them).
/// Every field is `null` when no response of that kind was recorded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct LatencyStats {
    /// Number of samples.
    pub count: u64,
    pub min_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    pub stdev_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub p999_ms: Option<f64>,
    pub max_ms: Option<f64>,
}

impl LatencyStats {
    pub fn of(h: &Hist) -> LatencyStats {
        if h.is_empty() {
            return LatencyStats::default();
        }
        let q = |q: f64| Some(us_to_ms(h.value_at_quantile(q)));
        LatencyStats {
            count: h.len(),
            min_ms: Some(us_to_ms(h.min())),
            mean_ms: Some(round3(h.mean() / 1000.0)),
            stdev_ms: Some(round3(h.stdev() / 1000.0)),
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p95_ms: q(0.95),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            max_ms: Some(us_to_ms(h.max())),
        }
    }
}

/// How well the open model kept its schedule.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct ScheduleStats {
    /// The requested `--rate`.
    pub intended_rps: f64,
    /// Sends per second actually made over the run.
    pub achieved_rps: f64,
    /// Requests the plan meant to send (rate × duration, or -n).
    #[serde(default)]
    pub planned_requests: Option<u64>,
    /// Sends more than 1 ms behind their intended time, for any reason; the wait is
    /// in the corrected latency.
    pub late_sends: u64,
    pub late_sends_pct: f64,
    /// Late sends that waited for a connection still busy with an earlier request:
    /// the server was slower than the connections (-c) can carry at this rate.
    #[serde(default)]
    pub busy_waits: u64,
    #[serde(default)]
    pub busy_waits_pct: f64,
    /// Sends golive itself made more than 2 ms late (it woke late: a busy CPU).
    pub late_wakeups: u64,
    #[serde(default)]
    pub late_wakeups_pct: f64,
    pub max_send_lag_ms: f64,
    /// The most golive itself delayed one send.
    #[serde(default)]
    pub max_generator_lag_ms: f64,
}

/// What the generator itself cost.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct GeneratorStats {
    pub threads: u32,
    /// Connections the run keeps open (`-c`).
    pub connections: u32,
    /// Connections opened, reconnects included.
    pub connections_opened: u64,
    /// Of those, TLS connections that resumed an earlier session (an abbreviated
    /// handshake); absent without TLS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_resumed: Option<u64>,
    /// CPU time of the golive process (user + system) over the run.
    pub cpu_time_s: f64,
    pub cpu_us_per_request: Option<f64>,
    pub peak_rss_mb: f64,
}

/// Whole-run histograms (HdrHistogram V2+DEFLATE, base64) for exact merging.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Histograms {
    pub success: String,
    pub failure: String,
    pub service: String,
    /// Corrected latency less golive's own send lag (open model).
    #[serde(default)]
    pub without_lag: Option<String>,
}

/// The results of a run, as written to `--json` under `results`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Summary {
    /// Requests the generator started (connection attempts included).
    pub requests_sent: u64,
    /// Complete HTTP responses, any status.
    pub responses: u64,
    /// Responses with a 2xx or 3xx status.
    pub successes: u64,
    /// Requests that got no response (see `errors`).
    pub errors_total: u64,
    /// Requests still in flight when the run stopped (deadline or interrupt).
    pub aborted: u64,
    /// successes / (responses + errors) × 100; `null` when nothing finished.
    pub success_rate_pct: Option<f64>,
    /// Responses by status code.
    pub status_codes: BTreeMap<String, u64>,
    pub status_4xx: u64,
    pub status_5xx: u64,
    /// Transport errors by kind: connect_refused, connect, timeout, reset, tls, malformed, other.
    pub errors: BTreeMap<String, u64>,
    /// Response body bytes read.
    pub bytes_read: u64,
    /// Requests sent once more on a new connection because the server had closed the
    /// kept-alive one while idle (no byte of a response came back); not errors. Their
    /// latency includes the retry.
    #[serde(default)]
    pub retried_idle_close: u64,
    pub wall_time_s: f64,
    /// Responses per second of wall time.
    pub throughput_rps: f64,
    /// Latency of successful responses (corrected for coordinated omission in the open model).
    pub latency: LatencyStats,
    /// Latency of responses that were not 2xx/3xx.
    pub failed_latency: LatencyStats,
    /// Open model only: latency from the actual send (uncorrected service time).
    pub service_latency: Option<LatencyStats>,
    /// Open model only: the corrected latency less golive's own send lag. A latency
    /// SLO that fails here too failed on the server's account.
    #[serde(default)]
    pub latency_without_lag: Option<LatencyStats>,
    /// Open model only: how well the schedule was kept.
    pub schedule: Option<ScheduleStats>,
    pub generator: GeneratorStats,
    /// Per-second buckets.
    pub timeline: Vec<SecondStats>,
    pub histograms: Histograms,
    /// A workload's requests, each with its own results (`--workload`; absent for a
    /// run of one request).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoints: Vec<Endpoint>,
}

/// One named request of a workload and what it measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct Endpoint {
    pub name: String,
    pub results: Box<Summary>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn measurement(latencies_us: &[u64], status: u16) -> Measurement {
        let mut m = Measurement::default();
        for &us in latencies_us {
            m.sent += 1;
            m.success.record(us).unwrap();
            *m.status.entry(status).or_default() += 1;
            m.successes += u64::from(StatusClass::of(status).is_success());
        }
        m.wall = Duration::from_secs(1);
        m
    }

    #[test]
    fn merged_percentiles_come_from_summed_histograms_not_averages() {
        // Fast run: all 1 ms. Slow run: all 100 ms. Averaging p99s would say 50.5 ms.
        let mut fast = measurement(&[1_000; 99], 200);
        let slow = measurement(&[100_000; 1], 200);
        fast.merge(slow).unwrap();
        let s = fast.summary();
        assert_eq!(s.responses, 100);
        assert_eq!(s.latency.p99_ms, Some(1.0));
        assert!(s.latency.max_ms.unwrap() >= 100.0);
    }

    #[test]
    fn summary_round_trips_through_its_serialised_form() {
        let mut m = measurement(&[500, 1_500, 2_500], 200);
        m.errors[ErrorKind::Timeout.index()] = 2;
        m.sent += 2;
        let s = m.summary();
        let json = serde_json::to_string(&s).unwrap();
        let back: Summary = serde_json::from_str(&json).unwrap();
        let rebuilt = Measurement::from_summary(&back).unwrap();
        assert_eq!(rebuilt.summary(), s);
    }

    #[test]
    fn success_rate_counts_errors_and_failed_statuses() {
        let mut m = measurement(&[1_000; 8], 200);
        *m.status.entry(503).or_default() += 1;
        m.errors[ErrorKind::Reset.index()] = 1;
        m.sent = 10;
        let s = m.summary();
        assert_eq!(s.success_rate_pct, Some(80.0));
        assert_eq!(s.status_5xx, 1);
        assert_eq!(s.errors["reset"], 1);
        assert_eq!(s.aborted, 0);
    }
}

//! The per-thread recorder: everything the hot path writes, with no allocation,
//! no formatting and no lock shared with other threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::hist::{new_hist, Hist};
use super::live::{LiveCounters, LiveTotals};
use super::outcome::{ErrorKind, StatusClass};
use super::summary::{Measurement, ScheduleCounters};
use super::timeline::Timeline;

/// Highest status code kept apart; hyper accepts 100..=999.
const STATUS_SLOTS: usize = 1000;

/// How one open-model send kept its schedule.
#[derive(Clone, Copy, Debug, Default)]
pub struct Pace {
    /// From the intended send time to the actual send.
    pub lag: Duration,
    /// The part of `lag` that was golive's own doing: from when an idle connection
    /// could first have sent (the later of the due time and the connection freeing
    /// up) to the actual send.
    pub golive_lag: Duration,
    /// The connection was still busy with an earlier request when this one fell due.
    pub busy_wait: bool,
}

/// A complete response, as the worker saw it.
#[derive(Clone, Copy, Debug)]
pub struct Response {
    pub done: Instant,
    /// From the intended send time (corrected for coordinated omission).
    pub latency: Duration,
    /// From the actual send (service time).
    pub service: Duration,
    /// `latency` less golive's own lag: what the corrected latency would have been
    /// had golive sent on time. Between `service` and `latency`.
    pub without_lag: Duration,
    pub status: u16,
    pub bytes: u64,
    /// A success: 2xx or 3xx, or a status the request expects (`expect_status`).
    pub ok: bool,
}

/// One thread's record of a run.
pub struct Recorder {
    start: Instant,
    /// The run's live counters; `None` for a named request's own recorder (the run's
    /// recorder publishes the totals).
    live: Option<Arc<LiveCounters>>,
    local: LiveTotals,
    success: Hist,
    failure: Hist,
    service: Hist,
    without_lag: Hist,
    status: Box<[u64; STATUS_SLOTS]>,
    errors: [u64; ErrorKind::COUNT],
    bytes: u64,
    successes: u64,
    connections_opened: u64,
    retried: u64,
    schedule: ScheduleCounters,
    timeline: Timeline,
    /// A mix's requests, each with its own record, by name.
    endpoints: Vec<(String, Recorder)>,
}

/// Latencies below 1 µs are recorded as 1 µs (the histogram's floor).
#[inline]
fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).max(1)
}

/// A send within this of its due time is on time (tokio's timer resolution).
pub const ON_TIME: Duration = Duration::from_millis(1);

/// A wake-up later than this is the generator lagging, not timer granularity.
pub const WAKE_LATE: Duration = Duration::from_millis(2);

impl Recorder {
    /// A thread's recorder; with `names` (a mix), one more per named request.
    pub fn new(start: Instant, live: Arc<LiveCounters>, names: &[String]) -> Recorder {
        let mut r = Recorder::bare(start, Some(live));
        r.endpoints = names
            .iter()
            .map(|n| (n.clone(), Recorder::bare(start, None)))
            .collect();
        r
    }

    fn bare(start: Instant, live: Option<Arc<LiveCounters>>) -> Recorder {
        Recorder {
            start,
            live,
            local: LiveTotals::default(),
            success: new_hist(),
            failure: new_hist(),
            service: new_hist(),
            without_lag: new_hist(),
            status: Box::new([0; STATUS_SLOTS]),
            errors: [0; ErrorKind::COUNT],
            bytes: 0,
            successes: 0,
            connections_opened: 0,
            retried: 0,
            schedule: ScheduleCounters::default(),
            timeline: Timeline::default(),
            endpoints: Vec::new(),
        }
    }

    /// The named request `which`'s own recorder, in a mix.
    #[inline]
    fn endpoint(&mut self, which: usize) -> Option<&mut Recorder> {
        self.endpoints.get_mut(which).map(|(_, r)| r)
    }

    #[inline]
    fn second(&self, at: Instant) -> u32 {
        at.saturating_duration_since(self.start).as_secs() as u32
    }

    #[inline]
    pub fn on_send(&mut self, which: usize) {
        self.local.sent += 1;
        if let Some(live) = &self.live {
            live.publish_sent(self.local.sent);
        }
        if let Some(e) = self.endpoint(which) {
            e.local.sent += 1;
        }
    }

    #[inline]
    pub fn on_connect(&mut self) {
        self.connections_opened += 1;
    }

    /// A request sent once more after an idle close.
    pub fn on_retry(&mut self) {
        self.retried += 1;
    }

    /// An open-model send: busy-connection waits and golive's own lateness are
    /// counted apart, since they have different causes and different fixes.
    #[inline]
    pub fn on_scheduled_send(&mut self, pace: Pace) {
        let s = &mut self.schedule;
        s.late_sends += (pace.lag > ON_TIME) as u64;
        s.busy_waits += (pace.busy_wait && pace.lag > ON_TIME) as u64;
        s.late_wakeups += (pace.golive_lag > WAKE_LATE) as u64;
        s.max_lag_us = s.max_lag_us.max(pace.lag.as_micros() as u64);
        s.max_golive_lag_us = s.max_golive_lag_us.max(pace.golive_lag.as_micros() as u64);
    }

    #[inline]
    pub fn on_response(&mut self, which: usize, r: Response) {
        self.record_response(r);
        if let Some(e) = self.endpoint(which) {
            e.record_response(r);
        }
    }

    #[inline]
    fn record_response(&mut self, r: Response) {
        let latency_us = micros(r.latency);
        let class = StatusClass::of(r.status);
        self.status[(r.status as usize).min(STATUS_SLOTS - 1)] += 1;
        self.bytes += r.bytes;
        self.local.responses += 1;
        self.local.status_5xx += (class == StatusClass::ServerError) as u64;
        if r.ok {
            self.successes += 1;
            self.success.saturating_record(latency_us);
            self.service.saturating_record(micros(r.service));
            self.without_lag.saturating_record(micros(r.without_lag));
        } else {
            self.failure.saturating_record(latency_us);
            self.local.failures += 1;
        }
        if let Some(live) = &self.live {
            live.record_latency(latency_us);
            live.publish(&self.local);
        }
        let second = self.second(r.done);
        self.timeline.response(second, r.status, latency_us, r.ok);
    }

    #[inline]
    pub fn on_error(&mut self, which: usize, done: Instant, kind: ErrorKind) {
        self.record_error(done, kind);
        if let Some(e) = self.endpoint(which) {
            e.record_error(done, kind);
        }
    }

    #[inline]
    fn record_error(&mut self, done: Instant, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
        self.local.errors += 1;
        self.local.failures += 1;
        if let Some(live) = &self.live {
            live.publish(&self.local);
        }
        let second = self.second(done);
        self.timeline.error(second, kind);
    }

    /// Ends this thread's part of the run.
    pub fn finish(mut self) -> Measurement {
        self.timeline.finish();
        let status = self
            .status
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(|(code, &n)| (code as u16, n))
            .collect();
        Measurement {
            sent: self.local.sent,
            success: self.success,
            failure: self.failure,
            service: self.service,
            without_lag: self.without_lag,
            status,
            errors: self.errors,
            bytes: self.bytes,
            successes: self.successes,
            connections_opened: self.connections_opened,
            retried_idle_close: self.retried,
            schedule: self.schedule,
            timeline: self.timeline,
            endpoints: self
                .endpoints
                .into_iter()
                .map(|(n, r)| (n, r.finish()))
                .collect(),
            ..Measurement::default()
        }
    }
}

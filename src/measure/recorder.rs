//! The per-thread recorder: everything the hot path writes, with no allocation,
//! no formatting and no lock shared with other threads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::hist::{new_hist, Hist};
use super::outcome::{ErrorKind, StatusClass};
use super::summary::{Measurement, ScheduleCounters};
use super::timeline::Timeline;

/// Live counts one thread publishes for the progress bar and `--abort-on-fail`.
/// Each thread owns one (single writer), padded so threads never share a cache line.
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct LiveCounters {
    sent: AtomicU64,
    responses: AtomicU64,
    failures: AtomicU64,
    status_5xx: AtomicU64,
    errors: AtomicU64,
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

/// Highest status code kept apart; hyper accepts 100..=999.
const STATUS_SLOTS: usize = 1000;

/// One thread's record of a run.
pub struct Recorder {
    start: Instant,
    live: Arc<LiveCounters>,
    local: LiveTotals,
    success: Hist,
    failure: Hist,
    service: Hist,
    status: Box<[u64; STATUS_SLOTS]>,
    errors: [u64; ErrorKind::COUNT],
    bytes: u64,
    connections_opened: u64,
    schedule: ScheduleCounters,
    timeline: Timeline,
}

/// Latencies below 1 µs are recorded as 1 µs (the histogram's floor).
#[inline]
fn micros(d: Duration) -> u64 {
    (d.as_micros() as u64).max(1)
}

impl Recorder {
    pub fn new(start: Instant, live: Arc<LiveCounters>) -> Recorder {
        Recorder {
            start,
            live,
            local: LiveTotals::default(),
            success: new_hist(),
            failure: new_hist(),
            service: new_hist(),
            status: Box::new([0; STATUS_SLOTS]),
            errors: [0; ErrorKind::COUNT],
            bytes: 0,
            connections_opened: 0,
            schedule: ScheduleCounters::default(),
            timeline: Timeline::default(),
        }
    }

    #[inline]
    fn second(&self, at: Instant) -> u32 {
        at.saturating_duration_since(self.start).as_secs() as u32
    }

    #[inline]
    pub fn on_send(&mut self) {
        self.local.sent += 1;
        self.live.sent.store(self.local.sent, Ordering::Relaxed);
    }

    #[inline]
    pub fn on_connect(&mut self) {
        self.connections_opened += 1;
    }

    /// An open-model send: how far behind its intended time it went out, and whether the
    /// lateness came from the generator waking late rather than from a busy connection.
    #[inline]
    pub fn on_scheduled_send(&mut self, lag: Duration, late: bool, woke_late: bool) {
        let lag_us = lag.as_micros() as u64;
        self.schedule.late_sends += late as u64;
        self.schedule.late_wakeups += woke_late as u64;
        self.schedule.max_lag_us = self.schedule.max_lag_us.max(lag_us);
    }

    /// A complete response. `latency` runs from the intended send time (corrected);
    /// `service` from the actual send.
    #[inline]
    pub fn on_response(
        &mut self,
        done: Instant,
        latency: Duration,
        service: Duration,
        status: u16,
        bytes: u64,
    ) {
        let latency_us = micros(latency);
        let class = StatusClass::of(status);
        self.status[(status as usize).min(STATUS_SLOTS - 1)] += 1;
        self.bytes += bytes;
        self.local.responses += 1;
        if class.is_success() {
            self.success.saturating_record(latency_us);
            self.service.saturating_record(micros(service));
        } else {
            self.failure.saturating_record(latency_us);
            self.local.failures += 1;
            self.live
                .failures
                .store(self.local.failures, Ordering::Relaxed);
            if class == StatusClass::ServerError {
                self.local.status_5xx += 1;
                self.live
                    .status_5xx
                    .store(self.local.status_5xx, Ordering::Relaxed);
            }
        }
        self.live
            .responses
            .store(self.local.responses, Ordering::Relaxed);
        let second = self.second(done);
        self.timeline.response(second, status, latency_us);
    }

    #[inline]
    pub fn on_error(&mut self, done: Instant, kind: ErrorKind) {
        self.errors[kind.index()] += 1;
        self.local.errors += 1;
        self.local.failures += 1;
        self.live.errors.store(self.local.errors, Ordering::Relaxed);
        self.live
            .failures
            .store(self.local.failures, Ordering::Relaxed);
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
            status,
            errors: self.errors,
            bytes: self.bytes,
            connections_opened: self.connections_opened,
            schedule: self.schedule,
            timeline: self.timeline,
            ..Measurement::default()
        }
    }
}

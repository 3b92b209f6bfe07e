//! Supervising a run: the hard deadline, the grace period for requests in flight,
//! the caller's cancel token (first cancel: stop and keep what was measured; second:
//! drop what is in flight), and a tick for progress displays.

use std::time::{Duration, Instant};

use tracing::warn;

use super::RunHandle;
use crate::measure::{LiveTotals, Measurement};
use crate::shutdown::Cancel;

/// How a supervised run ended.
pub struct Finished {
    pub measurement: Measurement,
    /// Ctrl-C or SIGTERM stopped the run.
    pub interrupted: bool,
    /// Why the stop rule ended the run early, if it did.
    pub stopped_early: Option<String>,
}

/// What a progress display sees at each tick.
pub struct Tick<'a> {
    pub handle: &'a RunHandle,
    pub live: LiveTotals,
    pub elapsed: Duration,
}

impl RunHandle {
    /// Runs to the end of the plan, a cancel or the stop rule, calling `on_tick` every
    /// `tick`; then joins the threads. A token cancelled before the run stops it at once.
    pub async fn run_until(
        self,
        tick: Duration,
        cancel: &Cancel,
        mut on_tick: impl FnMut(&Tick),
    ) -> Finished {
        let plan = self.plan();
        let grace = plan.grace();
        // Nothing useful can arrive after the deadline plus the grace period.
        let hard_deadline = plan.duration.map(|d| self.started() + d + grace);
        let mut abort_at: Option<Instant> = None;
        let mut interrupted = false;
        let mut aborted = false;
        let mut seen = 0;
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let finished = self.finished.clone();
        let done = finished.notified();
        tokio::pin!(done);
        loop {
            let limit = match (abort_at, hard_deadline) {
                _ if aborted => None,
                (Some(a), Some(h)) => Some(a.min(h)),
                (a, h) => a.or(h),
            };
            let until_limit = async {
                match limit {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = &mut done => break,
                _ = ticks.tick() => {
                    on_tick(&Tick { handle: &self, live: self.live(), elapsed: self.started().elapsed() });
                }
                _ = cancel.beyond(seen), if !aborted => {
                    seen = cancel.count();
                    if interrupted || seen > 1 {
                        warn!("interrupted again: dropping requests in flight");
                        interrupted = true;
                        self.abort();
                        aborted = true;
                    } else {
                        warn!("interrupted: stopping, waiting briefly for requests in flight");
                        interrupted = true;
                        self.stop();
                        abort_at = Some(Instant::now() + grace);
                    }
                }
                _ = until_limit => {
                    self.abort();
                    aborted = true;
                }
            }
            if self.is_stopping_early() && abort_at.is_none() {
                abort_at = Some(Instant::now() + grace);
            }
        }
        let stopped_early = self.stopped_early();
        let measurement = tokio::task::spawn_blocking(move || self.join())
            .await
            .expect("joining load threads");
        Finished {
            measurement,
            interrupted,
            stopped_early,
        }
    }

    fn is_stopping_early(&self) -> bool {
        self.shared.control.is_stopping()
    }
}

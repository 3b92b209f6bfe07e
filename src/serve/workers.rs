//! `--workers N --service-time D`: a target with a known capacity. Each request takes
//! one of N workers for exactly D of the workers' schedule (a worker is next free at
//! the end of its last request's D, however late the timer woke), queueing when all
//! are busy; so the target serves at most N/D requests per second, and its latency
//! rises past that: ground truth for `golive capacity`.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capacity {
    pub workers: u32,
    pub service_time: Duration,
}

impl Capacity {
    /// Requests per second it can serve.
    pub fn rate(&self) -> f64 {
        f64::from(self.workers) / self.service_time.as_secs_f64()
    }
}

pub(crate) struct Workers {
    service_time: Duration,
    /// When each worker is next free.
    free_at: Mutex<Vec<Instant>>,
}

impl Workers {
    pub fn new(c: Capacity) -> Workers {
        let now = Instant::now();
        Workers {
            service_time: c.service_time,
            free_at: Mutex::new(vec![now; c.workers.max(1) as usize]),
        }
    }

    /// Waits for a worker and for its service time.
    pub async fn serve(&self) {
        let done = {
            let mut free = self.free_at.lock().unwrap_or_else(|p| p.into_inner());
            let (i, &earliest) = free
                .iter()
                .enumerate()
                .min_by_key(|(_, t)| **t)
                .expect("at least one worker");
            let done = earliest.max(Instant::now()) + self.service_time;
            free[i] = done;
            done
        };
        tokio::time::sleep_until(done).await;
    }
}

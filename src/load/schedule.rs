//! Tickets: permission to send one request, and in the open model the time it is due.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::control::Control;
use super::shard::Shard;

pub(super) struct Ticket {
    /// The ticket's place in the schedule, from 0.
    pub index: u64,
    /// Open model: when this request should go out. `None`: go now (closed loop).
    pub due: Option<Instant>,
}

/// Hands out tickets from one atomic counter shared by all workers. In the open model
/// ticket `i` is due at `start + i / rate`, whichever connection takes it, so sends are
/// spread evenly over the connections rather than bursting per connection. A shard
/// hands out only its own tickets of the global schedule (`i mod N = K`).
pub(super) struct Schedule {
    next: AtomicU64,
    start: Instant,
    limit: Option<u64>,
    deadline: Option<Instant>,
    period_ns: Option<f64>,
    /// `--stages`: the due times of a changing rate (then `period_ns` is unused).
    profile: Option<std::sync::Arc<super::Profile>>,
    shard: Shard,
}

impl Schedule {
    pub fn new(
        start: Instant,
        limit: Option<u64>,
        deadline: Option<Instant>,
        rate: Option<f64>,
        shard: Shard,
    ) -> Schedule {
        Schedule {
            next: AtomicU64::new(0),
            start,
            limit,
            deadline,
            period_ns: rate.map(|r| 1e9 / r),
            profile: None,
            shard,
        }
    }

    /// Due times from a staged rate instead of a fixed one.
    pub fn staged(mut self, profile: Option<std::sync::Arc<super::Profile>>) -> Schedule {
        self.profile = profile;
        self
    }

    #[inline]
    pub fn next_ticket(&self, control: &Control) -> Option<Ticket> {
        if control.is_stopping() {
            return None;
        }
        let i = self.shard.ticket(self.next.fetch_add(1, Ordering::Relaxed));
        if self.limit.is_some_and(|n| i >= n) {
            return None;
        }
        if let Some(p) = &self.profile {
            let due = self.start + Duration::from_secs_f64(p.due(i)?);
            return Some(Ticket {
                index: i,
                due: Some(due),
            });
        }
        let due = match self.period_ns {
            None => {
                if self.deadline.is_some_and(|d| Instant::now() >= d) {
                    return None;
                }
                None
            }
            Some(period) => {
                let due = self.start + Duration::from_nanos((i as f64 * period) as u64);
                if self.deadline.is_some_and(|d| due >= d) {
                    return None;
                }
                Some(due)
            }
        };
        Some(Ticket { index: i, due })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_schedule_stops_at_the_count() {
        let control = Control::default();
        let s = Schedule::new(Instant::now(), Some(3), None, None, Shard::default());
        let n = std::iter::from_fn(|| s.next_ticket(&control))
            .take(10)
            .count();
        assert_eq!(n, 3);
    }

    #[test]
    fn open_schedule_spaces_tickets_by_the_period_and_ends_at_the_deadline() {
        let control = Control::default();
        let start = Instant::now();
        let s = Schedule::new(
            start,
            None,
            Some(start + Duration::from_secs(1)),
            Some(100.0),
            Shard::default(),
        );
        let dues: Vec<_> = std::iter::from_fn(|| s.next_ticket(&control))
            .map(|t| t.due.unwrap())
            .collect();
        assert_eq!(dues.len(), 100);
        assert_eq!(dues[1] - dues[0], Duration::from_millis(10));
        assert_eq!(dues[99] - start, Duration::from_millis(990));
    }

    #[test]
    fn shards_together_hold_the_one_schedule_at_the_same_instants() {
        let control = Control::default();
        let start = Instant::now();
        let deadline = Some(start + Duration::from_secs(1));
        let whole: Vec<Instant> = {
            let s = Schedule::new(start, None, deadline, Some(400.0), Shard::default());
            std::iter::from_fn(|| s.next_ticket(&control))
                .map(|t| t.due.unwrap())
                .collect()
        };
        let mut union: Vec<(u64, Instant)> = Vec::new();
        for index in 0..4 {
            let s = Schedule::new(
                start,
                None,
                deadline,
                Some(400.0),
                Shard { index, count: 4 },
            );
            let mine: Vec<_> = std::iter::from_fn(|| s.next_ticket(&control)).collect();
            assert_eq!(mine.len(), 100, "shard {index}");
            union.extend(mine.into_iter().map(|t| (t.index, t.due.unwrap())));
        }
        union.sort();
        let dues: Vec<Instant> = union.iter().map(|&(_, due)| due).collect();
        assert_eq!(dues, whole, "same tickets, same instants");
        assert!(union.iter().enumerate().all(|(n, &(i, _))| i == n as u64));
    }

    #[test]
    fn stop_ends_the_schedule() {
        let control = Control::default();
        let s = Schedule::new(Instant::now(), None, None, None, Shard::default());
        assert!(s.next_ticket(&control).is_some());
        control.stop();
        assert!(s.next_ticket(&control).is_none());
    }
}

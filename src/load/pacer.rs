//! One timer per load thread for the open model. A worker whose ticket is not yet due
//! queues here; one task sleeps until the earliest queued send and releases every
//! ticket due by then, up to [`ON_TIME`] early (early rather than late: the send then
//! counts from its actual time). A waiting worker costs a heap slot, not a timer of
//! its own and a registration for the stop signal.

use std::cell::{Cell, RefCell};
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::control::Control;
use crate::measure::ON_TIME;

#[derive(Default)]
pub(super) struct Pacer {
    queue: RefCell<BinaryHeap<Reverse<Entry>>>,
    /// Every ticket whose send time is at or before this has been released.
    released: Cell<Option<Instant>>,
    stopped: Cell<bool>,
    /// What the timer is set for; `None` while nothing is queued.
    armed: Cell<Option<Instant>>,
    /// A ticket was queued before `armed`: the timer must be set earlier.
    rearm: Cell<bool>,
    /// The pacer task, woken to re-arm.
    pacer_task: RefCell<Option<Waker>>,
}

struct Entry {
    send_at: Instant,
    waker: Waker,
}

impl Pacer {
    /// Resolves when a ticket due at `due` may go (`true`), or the run stopped (`false`).
    pub fn wait(&self, due: Instant) -> Wait<'_> {
        Wait {
            pacer: self,
            send_at: due.checked_sub(ON_TIME).unwrap_or(due),
            queued: false,
        }
    }

    /// The thread's one timer: runs until the run stops.
    pub async fn run(&self, control: &Control) {
        let far = || tokio::time::Instant::now().into_std() + Duration::from_secs(86_400);
        let mut timer = std::pin::pin!(tokio::time::sleep_until(far().into()));
        let mut stopped = std::pin::pin!(control.stopped());
        loop {
            let next = self.queue.borrow().peek().map(|e| e.0.send_at);
            self.armed.set(next);
            timer.as_mut().reset(next.unwrap_or_else(far).into());
            tokio::select! {
                biased;
                _ = &mut stopped => break,
                _ = &mut timer => {}
                _ = self.rearm_needed() => continue,
            }
            // tokio's clock (the same as std's outside tests) so that a paused test
            // clock drives the pacer.
            self.release(tokio::time::Instant::now().into_std());
        }
        self.stopped.set(true);
        for Reverse(e) in self.queue.take() {
            e.waker.wake();
        }
    }

    async fn rearm_needed(&self) {
        poll_fn(|cx| {
            if self.rearm.replace(false) {
                return Poll::Ready(());
            }
            *self.pacer_task.borrow_mut() = Some(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    fn release(&self, now: Instant) {
        self.released.set(Some(now));
        let mut queue = self.queue.borrow_mut();
        while queue.peek().is_some_and(|e| e.0.send_at <= now) {
            if let Some(Reverse(e)) = queue.pop() {
                e.waker.wake();
            }
        }
    }
}

/// A worker's wait for its ticket's send time.
pub(super) struct Wait<'a> {
    pacer: &'a Pacer,
    send_at: Instant,
    queued: bool,
}

impl Future for Wait<'_> {
    type Output = bool;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<bool> {
        let pacer = self.pacer;
        if pacer.stopped.get() {
            return Poll::Ready(false);
        }
        if pacer.released.get().is_some_and(|r| self.send_at <= r) {
            return Poll::Ready(true);
        }
        if !self.queued {
            pacer.queue.borrow_mut().push(Reverse(Entry {
                send_at: self.send_at,
                waker: cx.waker().clone(),
            }));
            // Tickets come in schedule order, so this is rare: the first ticket after
            // an idle spell, or one that overtook another.
            if pacer.armed.get().is_none_or(|a| self.send_at < a) {
                pacer.rearm.set(true);
                if let Some(task) = pacer.pacer_task.take() {
                    task.wake();
                }
            }
            self.queued = true;
        }
        Poll::Pending
    }
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.send_at == other.send_at
    }
}

impl Eq for Entry {}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        self.send_at.cmp(&other.send_at)
    }
}

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use super::*;

    /// Waits for each due time in `dues` (ms from now) on a paused clock; returns when
    /// each was released, in ms from the start, in the order given.
    async fn released_at(dues: &[u64], stop_after: Option<u64>) -> Vec<(u64, bool)> {
        let pacer = Rc::new(Pacer::default());
        let control = Rc::new(Control::default());
        let now = || tokio::time::Instant::now().into_std();
        let start = now();
        let timer = {
            let (pacer, control) = (pacer.clone(), control.clone());
            tokio::task::spawn_local(async move { pacer.run(&control).await })
        };
        let waits: Vec<_> = dues
            .iter()
            .map(|&ms| {
                let pacer = pacer.clone();
                tokio::task::spawn_local(async move {
                    let go = pacer.wait(start + Duration::from_millis(ms)).await;
                    ((now() - start).as_millis() as u64, go)
                })
            })
            .collect();
        if let Some(ms) = stop_after {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            control.stop();
        }
        let mut out = Vec::new();
        for w in waits {
            out.push(w.await.unwrap());
        }
        timer.abort();
        out
    }

    #[tokio::test(start_paused = true)]
    async fn tickets_go_at_most_one_tick_early_and_never_late_in_any_order() {
        let local = tokio::task::LocalSet::new();
        let got = local.run_until(released_at(&[50, 30, 100, 30], None)).await;
        for (&(at, go), due) in got.iter().zip([50, 30, 100, 30]) {
            assert!(go);
            assert!(
                at <= due && at + 1 >= due,
                "due {due} ms, released at {at} ms"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_releases_every_waiting_ticket_unsent() {
        let local = tokio::task::LocalSet::new();
        let got = local
            .run_until(released_at(&[10, 500, 900], Some(100)))
            .await;
        assert_eq!(got, vec![(9, true), (100, false), (100, false)]);
    }
}

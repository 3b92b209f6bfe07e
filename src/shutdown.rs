//! The one shutdown signal: SIGINT (Ctrl-C) or SIGTERM, heard at the top of a command
//! and passed down as a [`Cancel`] token.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::Notify;

/// SIGINT and SIGTERM as one stream. Create it once and call [`Signals::recv`] in a
/// loop, so that no signal between two waits is missed.
pub struct Signals(Option<(Signal, Signal)>);

impl Signals {
    pub fn new() -> Signals {
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(int), Ok(term)) => Signals(Some((int, term))),
            _ => {
                tracing::warn!(
                    "cannot install signal handlers: Ctrl-C will not save partial results"
                );
                Signals(None)
            }
        }
    }

    /// The next SIGINT or SIGTERM; never, if the handlers could not be installed (the
    /// process then dies by the signal, as it would without golive's handling).
    pub async fn recv(&mut self) {
        match &mut self.0 {
            Some((int, term)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            None => std::future::pending().await,
        }
    }
}

impl Default for Signals {
    fn default() -> Self {
        Signals::new()
    }
}

/// Resolves on the next SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    Signals::new().recv().await
}

/// One cancel token for a command: the signals are heard once, at the top of the
/// command ([`Cancel::on_signals`]), and the token is passed down to everything that
/// must stop (the load, the ramp, the commands it runs). Engine code takes a token and
/// never installs a handler; tests pass their own. It counts cancellations, so a
/// second Ctrl-C can mean more than the first.
#[derive(Clone, Default)]
pub struct Cancel(Arc<CancelInner>);

#[derive(Default)]
struct CancelInner {
    count: AtomicU32,
    notify: Notify,
}

impl Cancel {
    pub fn new() -> Cancel {
        Cancel::default()
    }

    /// A token cancelled by SIGINT and SIGTERM, once per signal. Call it inside the
    /// command's runtime.
    pub fn on_signals() -> Cancel {
        let cancel = Cancel::new();
        let mut signals = Signals::new();
        let c = cancel.clone();
        tokio::spawn(async move {
            loop {
                signals.recv().await;
                c.cancel();
            }
        });
        cancel
    }

    pub fn cancel(&self) {
        self.0.count.fetch_add(1, Ordering::AcqRel);
        self.0.notify.notify_waiters();
    }

    /// How many times it was cancelled.
    pub fn count(&self) -> u32 {
        self.0.count.load(Ordering::Acquire)
    }

    pub fn is_cancelled(&self) -> bool {
        self.count() > 0
    }

    /// Resolves once it has been cancelled more than `seen` times.
    pub async fn beyond(&self, seen: u32) {
        loop {
            // Register before checking, so a cancel in between is not missed.
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.count() > seen {
                return;
            }
            notified.await;
        }
    }

    /// Resolves once it has been cancelled.
    pub async fn cancelled(&self) {
        self.beyond(0).await
    }

    /// A new token, cancelled whenever this one is (and also on its own): for a part
    /// of the work that has more reasons to stop than its caller.
    pub fn child(&self) -> Cancel {
        let child = Cancel::new();
        let (parent, c) = (self.clone(), child.clone());
        tokio::spawn(async move {
            let mut seen = 0;
            loop {
                parent.beyond(seen).await;
                let now = parent.count();
                for _ in seen..now {
                    c.cancel();
                }
                seen = now;
            }
        });
        child
    }

    /// Sleeps `d`; false when cancelled beyond `seen` first.
    pub async fn sleep(&self, d: std::time::Duration, seen: u32) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(d) => self.count() <= seen,
            _ = self.beyond(seen) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn counts_wakes_and_forwards_to_children() {
        let top = Cancel::new();
        let child = top.child();
        assert!(top.sleep(Duration::from_secs(1), 0).await);
        let waiter = tokio::spawn({
            let child = child.clone();
            async move { child.beyond(1).await }
        });
        top.cancel();
        tokio::task::yield_now().await;
        assert_eq!(child.count(), 1);
        assert!(!waiter.is_finished());
        top.cancel();
        waiter.await.unwrap();
        assert_eq!((top.count(), child.count()), (2, 2));
        assert!(!child.sleep(Duration::from_secs(1), 1).await);
        child.cancel();
        assert_eq!(top.count(), 2, "a child's cancel stays its own");
    }
}

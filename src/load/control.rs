//! Stop and abort signals shared by the coordinator and every load thread.

use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// `stop`: take no new tickets (in-flight requests finish). `abort`: drop in-flight requests.
/// Flags are read on the hot path; the notifies wake workers that are sleeping or waiting.
#[derive(Default)]
pub struct Control {
    stopping: AtomicBool,
    aborting: AtomicBool,
    stop_notify: Notify,
    abort_notify: Notify,
}

impl Control {
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
        self.stop_notify.notify_waiters();
    }

    pub fn abort(&self) {
        self.aborting.store(true, Ordering::Release);
        self.abort_notify.notify_waiters();
    }

    #[inline]
    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Relaxed)
    }

    /// Resolves once `stop` has been called.
    pub async fn stopped(&self) {
        wait(&self.stopping, &self.stop_notify).await
    }

    /// Resolves once `abort` has been called.
    pub async fn aborted(&self) {
        wait(&self.aborting, &self.abort_notify).await
    }
}

async fn wait(flag: &AtomicBool, notify: &Notify) {
    loop {
        // Register before checking the flag, so a notify in between is not missed.
        let notified = notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        if flag.load(Ordering::Acquire) {
            return;
        }
        notified.await;
    }
}

//! The one shutdown signal: SIGINT (Ctrl-C) or SIGTERM.

use tokio::signal::unix::{signal, Signal, SignalKind};

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

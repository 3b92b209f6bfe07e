//! The one worker loop, shared by the closed and open models: take a ticket, wait for
//! its due time if it has one, (re)connect if needed, exchange, record.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use super::schedule::Ticket;
use super::Shared;
use crate::http::{exchange, Conn};
use crate::measure::{ErrorKind, Recorder};

/// tokio's timers tick every millisecond: a send within this of its due time is on time.
const TIMER_RESOLUTION: Duration = Duration::from_millis(1);

/// An idle worker waking more than two ticks late means the generator itself lagged.
const WAKE_LATE: Duration = Duration::from_millis(2);

/// How an open-model send kept its schedule.
struct Pace {
    lag: Duration,
    woke_late: bool,
}

pub(super) async fn run(shared: &Shared, recorder: &RefCell<Recorder>) {
    let mut conn: Option<Conn> = None;
    // One timer per worker, re-armed per request: moving a deadline later is cheap in
    // tokio, registering a new timer per request is not.
    let mut timeout = std::pin::pin!(tokio::time::sleep(shared.timeout));
    while let Some(ticket) = shared.schedule.next_ticket(&shared.control) {
        let pace = match ticket.due {
            Some(due) => match wait_until_due(due, shared).await {
                Some(pace) => Some(pace),
                None => break,
            },
            None => None,
        };
        if conn.as_mut().is_none_or(Conn::is_closed) {
            match shared.connector.connect().await {
                Ok(c) => {
                    conn = Some(c);
                    recorder.borrow_mut().on_connect();
                }
                Err(kind) => {
                    record_failed_connect(recorder, kind);
                    if ticket.due.is_none() {
                        // A refused port answers at once: don't spin the CPU on it.
                        tokio::time::sleep(TIMER_RESOLUTION).await;
                    }
                    continue;
                }
            }
        }
        let Some(c) = conn.as_mut() else { continue };
        let sent_at = Instant::now();
        // Latency runs from when the request was due, or from the send if it left early.
        let start = start_of(&ticket, sent_at);
        {
            let mut r = recorder.borrow_mut();
            r.on_send();
            if let Some(p) = &pace {
                r.on_scheduled_send(p.lag, p.lag > TIMER_RESOLUTION, p.woke_late);
            }
        }
        timeout.as_mut().reset((sent_at + shared.timeout).into());
        let result = tokio::select! {
            biased;
            r = exchange(c, shared.template.build()) => r,
            _ = timeout.as_mut() => Err(ErrorKind::Timeout),
        };
        let done = Instant::now();
        let mut r = recorder.borrow_mut();
        match result {
            Ok(x) => r.on_response(done, done - start, done - sent_at, x.status, x.body_bytes),
            Err(kind) => {
                r.on_error(done, kind);
                conn = None;
            }
        }
    }
}

#[inline]
fn start_of(ticket: &Ticket, sent_at: Instant) -> Instant {
    match ticket.due {
        Some(due) => due.min(sent_at),
        None => sent_at,
    }
}

fn record_failed_connect(recorder: &RefCell<Recorder>, kind: ErrorKind) {
    let mut r = recorder.borrow_mut();
    r.on_send();
    r.on_error(Instant::now(), kind);
}

/// Sleeps until a ticket is due. It wakes up to one timer tick early rather than late
/// (the send then counts from its actual time), so pacing adds no systematic delay.
/// `None` when the run was stopped while waiting.
async fn wait_until_due(due: Instant, shared: &Shared) -> Option<Pace> {
    let now = Instant::now();
    if due <= now + TIMER_RESOLUTION {
        // Due already: the connection was busy, so any lag is the server's doing.
        return Some(Pace {
            lag: now.saturating_duration_since(due),
            woke_late: false,
        });
    }
    tokio::select! {
        _ = tokio::time::sleep_until((due - TIMER_RESOLUTION).into()) => {}
        _ = shared.control.stopped() => return None,
    }
    let lag = Instant::now().saturating_duration_since(due);
    Some(Pace {
        lag,
        woke_late: lag > WAKE_LATE,
    })
}

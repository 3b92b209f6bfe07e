//! The one worker loop, shared by the closed and open models and by HTTP/2 streams:
//! take a ticket, wait for its due time if it has one, (re)connect if needed,
//! exchange, record.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use super::link::Link;
use super::pacer::Pacer;
use super::schedule::Ticket;
use super::Shared;
use crate::measure::{ErrorKind, Pace, Recorder, Response, ON_TIME};

pub(super) async fn run(
    shared: &Shared,
    recorder: &RefCell<Recorder>,
    pacer: &Pacer,
    mut link: Link,
    slot: u32,
) {
    // When this connection last became free to send: a ticket due before then waited
    // for the server, not for golive.
    let mut free_at = Instant::now();
    // One timer per worker, re-armed per request: moving a deadline later is cheap in
    // tokio, registering a new timer per request is not.
    let mut timeout = std::pin::pin!(tokio::time::sleep(shared.timeout));
    // Where a request filled per send is written: its capacity is kept between sends.
    let mut buf = Vec::new();
    loop {
        if let Some(stages) = &shared.connection_stages {
            if !active(shared, stages, slot).await {
                break;
            }
        }
        let Some(ticket) = shared.schedule.next_ticket(&shared.control) else {
            break;
        };
        shared.inject_lag(&ticket);
        let which = shared.requests.pick(ticket.index);
        let pace = match ticket.due {
            Some(due) => match wait_until_due(due, free_at, pacer).await {
                Some(pace) => Some(pace),
                None => break,
            },
            None => None,
        };
        match link.ready(&shared.connector).await {
            Ok(true) => recorder.borrow_mut().on_connect(),
            Ok(false) => {}
            Err(kind) => {
                record_failed_connect(shared, recorder, which, kind);
                if ticket.due.is_none() {
                    // A refused port answers at once: don't spin the CPU on it.
                    tokio::time::sleep(ON_TIME).await;
                }
                free_at = Instant::now();
                continue;
            }
        }
        let sent_at = Instant::now();
        // Latency runs from when the request was due, or from the send if it left early.
        let start = start_of(&ticket, sent_at);
        {
            let mut r = recorder.borrow_mut();
            r.on_send(which);
            if let Some(p) = pace {
                r.on_scheduled_send(p);
            }
        }
        timeout.as_mut().reset((sent_at + shared.timeout).into());
        let result = tokio::select! {
            biased;
            r = exchange(shared, (which, ticket.index), recorder, &mut link, &mut buf) => r,
            _ = timeout.as_mut() => Err(ErrorKind::Timeout),
        };
        let done = Instant::now();
        free_at = done;
        let failed = match result {
            Ok(x) => {
                let latency = done - start;
                let service = done - sent_at;
                let golive_lag = pace.map_or(Duration::ZERO, |p| p.golive_lag);
                let ok = shared.requests.is_success(which, x.status);
                recorder.borrow_mut().on_response(
                    which,
                    Response {
                        done,
                        latency,
                        service,
                        without_lag: latency.saturating_sub(golive_lag).max(service),
                        status: x.status,
                        bytes: x.body_bytes,
                        ok,
                    },
                );
                !ok
            }
            Err(kind) => {
                recorder.borrow_mut().on_error(which, done, kind);
                link.failed();
                if ticket.due.is_none() {
                    // An error can come back without a wait (a refused stream): let the
                    // thread's other tasks, a connection's own among them, run first.
                    tokio::task::yield_now().await;
                }
                true
            }
        };
        if failed {
            shared.check_stop_rule();
        }
    }
}

/// Waits until the connection level is above this connection's slot; false when it
/// never will be again in this run, or the run stops first.
async fn active(shared: &Shared, stages: &super::Profile, slot: u32) -> bool {
    let t = shared.start.elapsed().as_secs_f64();
    if stages.level_at(t) > f64::from(slot) {
        return true;
    }
    let Some(at) = stages.next_above(f64::from(slot), t) else {
        return false;
    };
    let due = shared.start + Duration::from_secs_f64(at);
    tokio::select! {
        _ = tokio::time::sleep_until(due.into()) => !shared.control.is_stopping(),
        _ = shared.control.stopped() => false,
    }
}

/// One exchange, and once more on a new connection when the server had closed the kept-
/// alive one while it was idle: the request met the close on its way out (no byte of a
/// response came back), as browsers and curl retry. The retry's time stays in the
/// request's latency (it runs from the first send, or the due time); the timeout
/// covers both.
async fn exchange(
    shared: &Shared,
    (which, index): (usize, u64),
    recorder: &RefCell<Recorder>,
    link: &mut Link,
    buf: &mut Vec<u8>,
) -> Result<crate::http::Exchange, ErrorKind> {
    let template = shared.requests.template(which);
    let fill = shared.requests.fill_for(which);
    let first = match fill {
        None => link.exchange(template).await,
        Some(f) => link.exchange_filled(template, f, (which, index), buf).await,
    };
    if !(shared.retry_idle_close && first.is_err() && link.idle_closed()) {
        return first;
    }
    link.failed();
    if link.ready(&shared.connector).await? {
        recorder.borrow_mut().on_connect();
    }
    recorder.borrow_mut().on_retry();
    match fill {
        None => link.exchange(template).await,
        Some(f) => link.exchange_filled(template, f, (which, index), buf).await,
    }
}

#[inline]
fn start_of(ticket: &Ticket, sent_at: Instant) -> Instant {
    match ticket.due {
        Some(due) => due.min(sent_at),
        None => sent_at,
    }
}

fn record_failed_connect(
    shared: &Shared,
    recorder: &RefCell<Recorder>,
    which: usize,
    kind: ErrorKind,
) {
    {
        let mut r = recorder.borrow_mut();
        r.on_send(which);
        r.on_error(which, Instant::now(), kind);
    }
    shared.check_stop_rule();
}

/// Waits until a ticket is due. The thread's pacer releases it up to one timer tick
/// early rather than late (the send then counts from its actual time), so pacing adds
/// no systematic delay. `None` when the run was stopped while waiting.
async fn wait_until_due(due: Instant, free_at: Instant, pacer: &Pacer) -> Option<Pace> {
    let now = Instant::now();
    if due <= now + ON_TIME {
        // Due already. Until the connection freed up, the wait was the server's; from
        // then (or from the due time, if later) to now it was golive's.
        return Some(Pace {
            lag: now.saturating_duration_since(due),
            golive_lag: now.saturating_duration_since(due.max(free_at)),
            busy_wait: free_at > due + ON_TIME,
        });
    }
    if !pacer.wait(due).await {
        return None;
    }
    // The connection was idle at the due time: all lateness now is golive's.
    let lag = Instant::now().saturating_duration_since(due);
    Some(Pace {
        lag,
        golive_lag: lag,
        busy_wait: false,
    })
}

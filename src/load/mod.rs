//! The load engine.
//!
//! A run is `threads` OS threads, each a current-thread tokio runtime running its share
//! of the `concurrency` connections as local tasks, so a thread's connections share one
//! [`Recorder`] without locks. Every connection runs the same worker loop; the models
//! differ only in the [`Schedule`] that hands out tickets: closed-loop tickets are "go
//! now", open-model tickets carry the time the request was due, from which latency is
//! measured (coordinated omission corrected, as in wrk2).

mod control;
mod schedule;
mod worker;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::task::LocalSet;

pub use control::Control;
use schedule::Schedule;

use crate::http::{Connector, RequestTemplate};
use crate::measure::{LiveCounters, LiveTotals, Measurement, Recorder};

/// How much load, for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadPlan {
    /// Connections kept open, one request in flight on each.
    pub concurrency: u32,
    /// OS threads the connections are spread over.
    pub threads: u32,
    /// Stop after this many requests.
    pub requests: Option<u64>,
    /// Stop sending after this long.
    pub duration: Option<Duration>,
    /// Open model: requests per second on a fixed schedule. `None`: closed loop.
    pub rate: Option<f64>,
    /// Per-request timeout (send to last body byte).
    pub timeout: Duration,
}

impl LoadPlan {
    /// The number of requests the plan will send, when it is known in advance.
    pub fn planned_requests(&self) -> Option<u64> {
        let by_rate = match (self.rate, self.duration) {
            (Some(rate), Some(d)) => Some((rate * d.as_secs_f64()).ceil() as u64),
            _ => None,
        };
        match (self.requests, by_rate) {
            (Some(n), Some(r)) => Some(n.min(r)),
            (n, r) => n.or(r),
        }
    }

    /// Threads actually used: at least one, at most one per connection.
    pub fn effective_threads(&self) -> u32 {
        self.threads.clamp(1, self.concurrency.max(1))
    }

    /// How long in-flight requests may finish after sending stops.
    pub fn grace(&self) -> Duration {
        self.timeout.min(Duration::from_secs(2))
    }
}

struct Shared {
    schedule: Schedule,
    control: Arc<Control>,
    connector: Connector,
    template: RequestTemplate,
    timeout: Duration,
    start: Instant,
}

/// A run in progress.
pub struct RunHandle {
    live: Vec<Arc<LiveCounters>>,
    control: Arc<Control>,
    threads: Vec<JoinHandle<Measurement>>,
    plan: LoadPlan,
    start: Instant,
    cpu_before: Duration,
}

/// Starts a run; it stops by itself when its count or duration is reached.
pub fn start(plan: LoadPlan, template: RequestTemplate, connector: Connector) -> RunHandle {
    let start = Instant::now();
    let cpu_before = process_cpu();
    let control = Arc::new(Control::default());
    let shared = Arc::new(Shared {
        schedule: Schedule::new(
            start,
            plan.requests,
            plan.duration.map(|d| start + d),
            plan.rate,
        ),
        control: control.clone(),
        connector,
        template,
        timeout: plan.timeout,
        start,
    });
    let threads = plan.effective_threads();
    let mut live = Vec::new();
    let mut handles = Vec::new();
    for i in 0..threads {
        let conns = plan.concurrency / threads + u32::from(i < plan.concurrency % threads);
        let counters = Arc::new(LiveCounters::default());
        live.push(counters.clone());
        let shared = shared.clone();
        let handle = std::thread::Builder::new()
            .name(format!("golive-load-{i}"))
            .spawn(move || thread_main(&shared, conns, counters))
            .expect("spawning a load thread");
        handles.push(handle);
    }
    RunHandle {
        live,
        control,
        threads: handles,
        plan,
        start,
        cpu_before,
    }
}

fn thread_main(shared: &Arc<Shared>, conns: u32, live: Arc<LiveCounters>) -> Measurement {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a load thread's runtime");
    let recorder = Rc::new(RefCell::new(Recorder::new(shared.start, live)));
    let local = LocalSet::new();
    local.block_on(&rt, async {
        let workers: Vec<_> = (0..conns)
            .map(|_| {
                let (shared, recorder) = (shared.clone(), recorder.clone());
                tokio::task::spawn_local(async move { worker::run(&shared, &recorder).await })
            })
            .collect();
        let all = async {
            for w in workers {
                let _ = w.await;
            }
        };
        tokio::select! {
            _ = all => {}
            _ = shared.control.aborted() => {}
        }
    });
    let end = Instant::now();
    // Dropping the set drops aborted workers and their recorder handles.
    drop(local);
    let recorder = Rc::try_unwrap(recorder)
        .ok()
        .expect("no worker outlives its thread");
    let mut m = recorder.into_inner().finish();
    m.wall = end.duration_since(shared.start);
    m.threads = 1;
    m.connections = conns;
    m
}

impl RunHandle {
    /// Counts so far, summed over threads.
    pub fn live(&self) -> LiveTotals {
        LiveTotals::sum(self.live.iter().map(|c| c.as_ref()))
    }

    pub fn plan(&self) -> &LoadPlan {
        &self.plan
    }

    pub fn started(&self) -> Instant {
        self.start
    }

    /// Stops sending; requests in flight may finish.
    pub fn stop(&self) {
        self.control.stop();
    }

    /// Drops requests still in flight; they are reported as aborted.
    pub fn abort(&self) {
        self.control.stop();
        self.control.abort();
    }

    pub fn is_stopping(&self) -> bool {
        self.control.is_stopping()
    }

    pub fn is_finished(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }

    /// Waits for every thread and merges their measurements.
    pub fn join(self) -> Measurement {
        let mut total = Measurement::default();
        for t in self.threads {
            let m = t.join().expect("a load thread panicked");
            total.merge(m).expect("recorders share one histogram shape");
        }
        total.cpu = process_cpu().saturating_sub(self.cpu_before);
        total.peak_rss_kb = peak_rss_kb();
        total.intended_rps = self.plan.rate;
        total
    }
}

fn rusage() -> libc::rusage {
    // SAFETY: getrusage only writes into the zeroed struct we pass.
    unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_SELF, &mut usage);
        usage
    }
}

/// User + system CPU time of this process.
pub fn process_cpu() -> Duration {
    let u = rusage();
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(u.ru_utime) + tv(u.ru_stime)
}

/// Peak resident set size of this process, in KiB. VmHWM is the high-water mark of
/// golive's own address space; getrusage's ru_maxrss would also count the parent's
/// memory at fork (e.g. cargo's, under `cargo run`), since Linux keeps it across exec.
pub fn peak_rss_kb() -> u64 {
    let from_proc = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        });
    from_proc.unwrap_or_else(|| rusage().ru_maxrss.max(0) as u64)
}

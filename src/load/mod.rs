//! The load engine.
//!
//! A run is `threads` OS threads, each a current-thread tokio runtime running its share
//! of the `concurrency` connections as local tasks, so a thread's connections share one
//! [`Recorder`] without locks. Every connection runs the same worker loop; the models
//! differ only in the `Schedule` that hands out tickets: closed-loop tickets are "go
//! now", open-model tickets carry the time the request was due, from which latency is
//! measured (coordinated omission corrected, as in wrk2); each thread's one pacer
//! releases them when due. [`RunHandle::run_until`] supervises a run: deadline, grace,
//! Ctrl-C, progress.

mod control;
mod link;
mod pacer;
mod profile;
mod requests;
mod schedule;
mod shard;
mod supervise;
mod worker;

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use tokio::sync::Notify;
use tokio::task::LocalSet;

pub use control::Control;
pub use profile::{parse_connection_stages, parse_stages, Profile, Stage};
pub use requests::{smooth_cycle, Fill, Requests};
use schedule::{Schedule, Ticket};
pub use shard::Shard;
pub use supervise::{Finished, Tick};

use crate::http::Connector;
use crate::measure::{live_quantiles, LiveCounters, LiveTotals, Measurement, Recorder};

/// How much load, for how long.
#[derive(Clone, Debug, PartialEq)]
pub struct LoadPlan {
    /// Connections this process keeps open (a shard's share of the plan's).
    pub concurrency: u32,
    /// Requests in flight on each connection: 1, or HTTP/2 streams (`--streams`).
    pub streams: u32,
    /// OS threads the connections are spread over.
    pub threads: u32,
    /// Stop after this many requests (of the whole plan: a shard sends its share).
    pub requests: Option<u64>,
    /// Stop sending after this long.
    pub duration: Option<Duration>,
    /// Open model: requests per second on a fixed schedule (of the whole plan: a
    /// shard sends every Nth). `None`: closed loop.
    pub rate: Option<f64>,
    /// Per-request timeout (send to last body byte).
    pub timeout: Duration,
    /// Test hook: block the load thread for `pause` before every `every`-th ticket, as
    /// a CPU-starved generator would be (GOLIVE_TEST_INJECT_LAG).
    pub inject_lag: Option<InjectedLag>,
    /// Which part of the plan this process runs.
    pub shard: Shard,
    /// When the schedule starts (shards share it). Later: the run waits for it;
    /// earlier: the tickets already due go out at once and count as late.
    pub start_at: Option<SystemTime>,
    /// A kept-alive connection the server closed while idle, found as a request went
    /// out (no byte of a response came back), gets the request once more on a new
    /// connection, counted apart; idempotent methods only. `--no-retry`: false.
    pub retry_idle_close: bool,
    /// `--stages`: the open model's rate changes over the run (then `rate` is its mean,
    /// `requests` and `duration` the plan's).
    pub stages: Option<Arc<Profile>>,
    /// `--connection-stages`: the closed loop's connections change over the run (as a
    /// level: connection k sends while the level is above k; `concurrency` is its peak).
    pub connection_stages: Option<Arc<Profile>>,
}

/// A deterministic generator stall, for tests of the verdict rules.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct InjectedLag {
    pub every: u64,
    pub pause: Duration,
}

impl LoadPlan {
    /// The number of requests this process will send, when it is known in advance.
    pub fn planned_requests(&self) -> Option<u64> {
        let by_rate = match (self.rate, self.duration) {
            (Some(rate), Some(d)) => Some((rate * d.as_secs_f64()).ceil() as u64),
            _ => None,
        };
        let whole = match (self.requests, by_rate) {
            (Some(n), Some(r)) => Some(n.min(r)),
            (n, r) => n.or(r),
        };
        whole.map(|n| self.shard.share(n))
    }

    /// This process's rate: the plan's, over the shards.
    pub fn own_rate(&self) -> Option<f64> {
        self.rate.map(|r| r / f64::from(self.shard.count))
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

/// Decides, from the live totals, that a run can stop early: `Some(reason)` stops it.
/// Called after every failed request (only failures can spend a budget), so a run
/// under `5xx==0` stops at its first 5xx.
pub type StopRule = Arc<dyn Fn(&LiveTotals) -> Option<String> + Send + Sync>;

struct Shared {
    schedule: Schedule,
    control: Arc<Control>,
    connector: Connector,
    requests: Requests,
    timeout: Duration,
    start: Instant,
    live: Vec<Arc<LiveCounters>>,
    stop_rule: Option<StopRule>,
    stopped_early: Mutex<Option<String>>,
    inject_lag: Option<InjectedLag>,
    streams: u32,
    /// Send a request once more after an idle close (idempotent methods only).
    retry_idle_close: bool,
    /// The closed loop's connections over time (`--connection-stages`).
    connection_stages: Option<Arc<Profile>>,
    /// Threads the connections are dealt over (a connection's slot is its place in
    /// that deal, so the first k slots are spread over every thread).
    threads: u32,
    /// This process's part of the plan: its connection j is the plan's slot
    /// `shard.ticket(j)`, so the shards' connection stages add up to the plan's.
    shard: Shard,
}

impl Shared {
    fn check_stop_rule(&self) {
        let Some(rule) = &self.stop_rule else { return };
        if self.control.is_stopping() {
            return;
        }
        if let Some(why) = rule(&LiveTotals::sum(self.live.iter().map(|c| c.as_ref()))) {
            let mut early = self.stopped_early.lock().unwrap_or_else(|p| p.into_inner());
            early.get_or_insert(why);
            self.control.stop();
        }
    }

    #[inline]
    fn inject_lag(&self, ticket: &Ticket) {
        if let Some(lag) = self.inject_lag {
            if ticket.index % lag.every == lag.every - 1 {
                std::thread::sleep(lag.pause);
            }
        }
    }
}

/// A run in progress.
pub struct RunHandle {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<Measurement>>,
    finished: Arc<Notify>,
    plan: LoadPlan,
    cpu_before: Duration,
}

/// Starts a run; it stops by itself when its count or duration is reached, or when
/// `stop_rule` says so.
pub fn start(
    plan: LoadPlan,
    requests: impl Into<Requests>,
    connector: Connector,
    stop_rule: Option<StopRule>,
) -> RunHandle {
    let requests = requests.into();
    let start = origin(plan.start_at);
    let cpu_before = process_cpu();
    let threads = plan.effective_threads();
    let shared = Arc::new(Shared {
        schedule: Schedule::new(
            start,
            plan.requests,
            plan.duration.map(|d| start + d),
            plan.rate,
            plan.shard,
        )
        .staged(plan.stages.clone()),
        control: Arc::new(Control::default()),
        connector,
        timeout: plan.timeout,
        start,
        live: (0..threads)
            .map(|_| Arc::new(LiveCounters::default()))
            .collect(),
        stop_rule,
        stopped_early: Mutex::new(None),
        inject_lag: plan.inject_lag,
        streams: plan.streams.max(1),
        retry_idle_close: plan.retry_idle_close && requests.all_idempotent(),
        requests,
        connection_stages: plan.connection_stages.clone(),
        threads,
        shard: plan.shard,
    });
    let finished = Arc::new(Notify::new());
    let remaining = Arc::new(std::sync::atomic::AtomicU32::new(threads));
    let handles = (0..threads)
        .map(|i| {
            let conns = plan.concurrency / threads + u32::from(i < plan.concurrency % threads);
            let (shared, finished, remaining) =
                (shared.clone(), finished.clone(), remaining.clone());
            std::thread::Builder::new()
                .name(format!("golive-load-{i}"))
                .spawn(move || {
                    let m = thread_main(&shared, i as usize, conns);
                    if remaining.fetch_sub(1, std::sync::atomic::Ordering::AcqRel) == 1 {
                        finished.notify_one();
                    }
                    m
                })
                .expect("spawning a load thread")
        })
        .collect();
    RunHandle {
        shared,
        threads: handles,
        finished,
        plan,
        cpu_before,
    }
}

/// The schedule's origin as an instant: now, or the shared start time (in the past
/// when this process started late).
fn origin(start_at: Option<SystemTime>) -> Instant {
    let (now, wall) = (Instant::now(), SystemTime::now());
    match start_at.map(|at| at.duration_since(wall)) {
        None => now,
        Some(Ok(ahead)) => now + ahead,
        Some(Err(late)) => now.checked_sub(late.duration()).unwrap_or(now),
    }
}

fn thread_main(shared: &Arc<Shared>, index: usize, conns: u32) -> Measurement {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("building a load thread's runtime");
    let live = shared.live[index].clone();
    let recorder = Rc::new(RefCell::new(Recorder::new(
        shared.start,
        live,
        shared.requests.names(),
    )));
    let local = LocalSet::new();
    local.block_on(&rt, async {
        // A shared start in the future: nothing goes out before it (closed loop too).
        tokio::select! {
            _ = tokio::time::sleep_until(shared.start.into()) => {}
            _ = shared.control.aborted() => return,
        }
        // With --streams, each connection's workers share it as one group.
        let streams = shared.streams;
        let links = (0..conns).flat_map(|_| {
            let group = (streams > 1).then(|| Rc::new(link::Group::default()));
            (0..streams).map(move |_| link::Link::new(group.clone(), &shared.connector))
        });
        // The open model's one timer for this thread's connections.
        let pacer = Rc::new(pacer::Pacer::default());
        let timer = {
            let (pacer, shared) = (pacer.clone(), shared.clone());
            tokio::task::spawn_local(async move { pacer.run(&shared.control).await })
        };
        let workers: Vec<_> = links
            .enumerate()
            .map(|(k, link)| {
                let (shared, recorder, pacer) = (shared.clone(), recorder.clone(), pacer.clone());
                let mine = k as u32 / streams * shared.threads + index as u32;
                let slot = shared.shard.ticket(u64::from(mine)) as u32;
                tokio::task::spawn_local(async move {
                    worker::run(&shared, &recorder, &pacer, link, slot).await
                })
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
        timer.abort();
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
        LiveTotals::sum(self.shared.live.iter().map(|c| c.as_ref()))
    }

    /// Latency quantiles so far (about 6% precision), in ms.
    pub fn live_quantiles(&self, qs: &[f64]) -> Option<Vec<f64>> {
        live_quantiles(self.shared.live.iter().map(|c| c.as_ref()), qs)
    }

    pub fn plan(&self) -> &LoadPlan {
        &self.plan
    }

    pub fn started(&self) -> Instant {
        self.shared.start
    }

    /// Stops sending; requests in flight may finish.
    pub fn stop(&self) {
        self.shared.control.stop();
    }

    /// Drops requests still in flight; they are reported as aborted.
    pub fn abort(&self) {
        self.shared.control.stop();
        self.shared.control.abort();
    }

    /// Why the stop rule ended the run, if it did.
    pub fn stopped_early(&self) -> Option<String> {
        self.shared
            .stopped_early
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
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
        total.intended_rps = self.plan.own_rate();
        total.planned = self.plan.planned_requests();
        total.share_to_endpoints(&self.shared.requests.shares());
        total
    }
}

/// Raises this process's soft limit on open files to its hard limit (as wrk and Go
/// programs do: the soft default, often 1024, is a relic) and returns the limit now in
/// force and the hard one.
pub fn raise_open_files_limit() -> (u64, u64) {
    // SAFETY: getrlimit/setrlimit read and write the struct we pass, nothing else.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return (u64::MAX, u64::MAX);
        }
        if lim.rlim_cur < lim.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                lim.rlim_cur = lim.rlim_max;
            }
        }
        (lim.rlim_cur as u64, lim.rlim_max as u64)
    }
}

/// Files a run opens besides its connections: standard streams, the runtimes' epoll
/// and wake-up descriptors, output files, a TLS CA file.
pub const FILES_BESIDES_CONNECTIONS: u64 = 64;

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

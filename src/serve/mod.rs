//! The embedded target: the seeds' backend endpoints on hyper, with fault knobs, so that
//! everything golive does can be tried on a fresh machine with nothing else running.

mod faults;
mod metrics;
mod routes;
mod workers;

pub use faults::{Faults, ScheduledRate};
pub use routes::ROUTES;
pub use workers::Capacity;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// What /health reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HealthMode {
    /// 200 {"status":"ok"}
    Ok,
    /// 200 {"status":"degraded"}
    Degraded,
    /// 503 {"status":"fail"}
    Fail,
}

impl std::str::FromStr for HealthMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ok" => Ok(HealthMode::Ok),
            "degraded" => Ok(HealthMode::Degraded),
            "fail" => Ok(HealthMode::Fail),
            _ => Err(format!("unknown health mode '{s}': ok, degraded or fail")),
        }
    }
}

/// How the target behaves.
#[derive(Clone, Debug)]
pub struct ServeOptions {
    /// Added to every response but /metrics.
    pub latency: Duration,
    /// Fraction of responses turned into 500s, deterministically (0.1: every tenth).
    pub error_rate: f64,
    /// Error-rate changes at set times after start (`--error-rate-after 3s:0.2`).
    pub error_rate_after: Vec<ScheduledRate>,
    pub health: HealthMode,
    /// Send a Content-Security-Policy on `/`.
    pub csp: bool,
    /// Secret for /api/stripe/webhook signatures (STRIPE_SIGNING_SECRET).
    pub signing_secret: Option<Vec<u8>>,
    /// `--admin`: the token `/admin/faults` requires (header `X-Golive-Admin`);
    /// `None`: the admin routes answer 404. A token, not the peer's address, decides:
    /// a reverse proxy on the same host makes every peer look like loopback.
    pub admin_token: Option<String>,
    /// `--workers N --service-time D`: a capacity of N/D requests per second.
    pub capacity: Option<workers::Capacity>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            latency: Duration::ZERO,
            error_rate: 0.0,
            error_rate_after: Vec::new(),
            health: HealthMode::Ok,
            csp: true,
            signing_secret: None,
            admin_token: None,
            capacity: None,
        }
    }
}

/// The header that carries the admin token.
pub const ADMIN_HEADER: &str = "x-golive-admin";

/// A fresh admin token.
pub fn new_admin_token() -> String {
    crate::sign::random_id()
}

/// Shared server state: options, the live fault knobs and counters for /metrics.
pub(crate) struct State {
    opts: ServeOptions,
    faults: Arc<Faults>,
    metrics: metrics::ServeMetrics,
    started: Instant,
    requests: AtomicU64,
    errors_injected: AtomicU64,
    responses_5xx: AtomicU64,
    workers: Option<workers::Workers>,
}

impl State {
    /// Whether request number `n` (from 0) gets an injected 500: exactly
    /// `floor(n × rate)` of the first n requests do, evenly spread.
    fn inject_error(&self, n: u64) -> bool {
        let rate = self.faults.error_rate();
        rate > 0.0 && ((n + 1) as f64 * rate).floor() > (n as f64 * rate).floor()
    }
}

/// Serves until `shutdown` resolves. Tests pass a listener bound to 127.0.0.1:0.
pub async fn serve(listener: TcpListener, opts: ServeOptions, shutdown: impl Future<Output = ()>) {
    let faults = Arc::new(Faults::new(opts.latency, opts.error_rate));
    serve_with(listener, opts, faults, shutdown).await
}

/// [`serve`] with fault knobs the caller keeps a handle to.
pub async fn serve_with(
    listener: TcpListener,
    opts: ServeOptions,
    faults: Arc<Faults>,
    shutdown: impl Future<Output = ()>,
) {
    let started = Instant::now();
    tokio::spawn(faults::run_schedule(
        faults.clone(),
        opts.error_rate_after.clone(),
        started,
    ));
    let state = Arc::new(State {
        workers: opts.capacity.map(workers::Workers::new),
        opts,
        faults,
        metrics: metrics::ServeMetrics::default(),
        started,
        requests: AtomicU64::new(0),
        errors_injected: AtomicU64::new(0),
        responses_5xx: AtomicU64::new(0),
    });
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                // Out of file descriptors and the like: back off, keep serving.
                Err(_) => { tokio::time::sleep(Duration::from_millis(10)).await; continue; }
            },
            _ = &mut shutdown => return,
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let _ = peer;
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, std::convert::Infallible>(routes::handle(&state, req).await) }
            });
            let _ = auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl State {
    fn count_request(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed)
    }
}

/// The embedded target running on its own thread and runtime, so it does not share a
/// core's scheduler with the generator it is measured by.
pub struct BackgroundServer {
    pub addr: SocketAddr,
    /// The running target's fault knobs.
    pub faults: Arc<Faults>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    pub fn start(opts: ServeOptions) -> anyhow::Result<BackgroundServer> {
        let std_listener =
            std::net::TcpListener::bind("127.0.0.1:0").context("binding a loopback port")?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let faults = Arc::new(Faults::new(opts.latency, opts.error_rate));
        let knobs = faults.clone();
        let thread = std::thread::Builder::new()
            .name("golive-serve".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("server runtime");
                rt.block_on(async move {
                    let listener = TcpListener::from_std(std_listener).expect("listener");
                    serve_with(listener, opts, knobs, async {
                        let _ = stopped.await;
                    })
                    .await;
                });
            })?;
        Ok(BackgroundServer {
            addr,
            faults,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

//! `golive stress`: validate, run, supervise (progress, Ctrl-C, --abort-on-fail),
//! judge the SLOs, print and write the report.

use std::io::IsTerminal;
use std::time::{Duration, Instant, SystemTime};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::signal::unix::{signal, SignalKind};
use tracing::{info, warn};

use crate::cli::StressArgs;
use crate::config::StressConfig;
use crate::exit::{self, Exit, Failure};
use crate::http::Connector;
use crate::load::{self, LoadPlan, RunHandle};
use crate::measure::{LiveTotals, Measurement};
use crate::report::{artifact, text, timestamp, RunSettings, StressReport};
use crate::slo::{Observed, Outcome, Verdict};

pub fn run(args: &StressArgs) -> exit::Result<Exit> {
    let cfg = StressConfig::from_args(args, |k| std::env::var(k).ok()).map_err(Failure::usage)?;
    let report = super::runtime()?.block_on(execute(&cfg))?;
    print!("{}", text::stress(&report));
    if let Some(path) = &cfg.json {
        artifact::write_json(path, &report).map_err(Failure::runtime)?;
        info!(path = %path.display(), "results written");
    }
    Ok(exit_code(&report))
}

/// The exit code a finished run deserves.
pub fn exit_code(report: &StressReport) -> Exit {
    if report.interrupted {
        return Exit::Interrupted;
    }
    match report.verdict {
        Outcome::Pass => Exit::Pass,
        Outcome::Fail => Exit::Fail,
        Outcome::Inconclusive => Exit::Inconclusive,
    }
}

/// Why a run ended before its plan did.
#[derive(Default)]
struct Stopped {
    interrupted: bool,
    early: Option<String>,
}

/// Runs a validated stress configuration to completion and judges it.
pub async fn execute(cfg: &StressConfig) -> exit::Result<StressReport> {
    let connector = Connector::new(&cfg.target, &cfg.client)
        .await
        .map_err(Failure::usage)?;
    let started_at = SystemTime::now();
    info!(url = %cfg.target.uri, concurrency = cfg.plan.concurrency, rate = ?cfg.plan.rate, "stress run started");
    let handle = load::start(cfg.plan.clone(), cfg.template.clone(), connector);
    let stopped = supervise(&handle, cfg).await.map_err(Failure::runtime)?;
    let m = tokio::task::spawn_blocking(move || handle.join())
        .await
        .map_err(|e| Failure::runtime(anyhow::anyhow!("load threads failed: {e}")))?;
    info!(
        responses = m.responses(),
        errors = m.errors_total(),
        "stress run finished"
    );
    Ok(build_report(cfg, &m, started_at, stopped))
}

/// Watches a run: progress, signals, SLO budgets, and the hard deadline.
async fn supervise(handle: &RunHandle, cfg: &StressConfig) -> std::io::Result<Stopped> {
    let plan = handle.plan();
    let grace = plan.grace();
    let planned = plan.planned_requests();
    // Nothing useful can arrive after the deadline plus the grace period.
    let hard_deadline = plan.duration.map(|d| handle.started() + d + grace);
    let mut abort_at: Option<Instant> = None;
    let mut stopped = Stopped::default();
    let mut progress = Progress::new(cfg.progress, plan);
    let mut sigint = signal(SignalKind::interrupt())?;
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        let signalled = tokio::select! {
            _ = tick.tick() => false,
            _ = sigint.recv() => true,
            _ = sigterm.recv() => true,
        };
        let now = Instant::now();
        if signalled {
            if stopped.interrupted {
                warn!("interrupted again: dropping requests in flight");
                handle.abort();
            } else {
                warn!("interrupted: stopping, waiting briefly for requests in flight");
                stopped.interrupted = true;
                handle.stop();
                abort_at = Some(now + grace);
            }
        }
        if handle.is_finished() {
            break;
        }
        let live = handle.live();
        progress.update(&live, handle.started().elapsed());
        if cfg.abort_on_fail && stopped.early.is_none() {
            if let Some(slo) = cfg.slos.iter().find(|s| s.lost_for_good(&live, planned)) {
                warn!(%slo, "SLO lost for good: stopping early");
                stopped.early = Some(format!("{slo} can no longer hold"));
                handle.stop();
                abort_at = Some(now + grace);
            }
        }
        if abort_at.is_some_and(|t| now >= t) || hard_deadline.is_some_and(|t| now >= t) {
            handle.abort();
        }
    }
    progress.finish();
    Ok(stopped)
}

fn build_report(
    cfg: &StressConfig,
    m: &Measurement,
    started_at: SystemTime,
    stopped: Stopped,
) -> StressReport {
    let results = m.summary();
    let slos: Vec<Verdict> = cfg
        .slos
        .iter()
        .map(|s| s.evaluate(&Observed::of(m)))
        .collect();
    let mut verdict = Outcome::combine(slos.iter().map(|v| v.outcome));
    if stopped.interrupted && verdict == Outcome::Pass {
        // A run cut short has not shown what it set out to show.
        verdict = Outcome::Inconclusive;
    }
    let mut warnings = Vec::new();
    if let Some(s) = &results.schedule {
        if s.generator_saturated {
            warnings.push(format!(
                "the generator could not keep its schedule ({} late wake-ups): latency is suspect; use more --threads or a lower --rate",
                s.late_wakeups
            ));
        } else if s.late_sends_pct > 1.0 {
            warnings.push(format!(
                "{:.1}% of sends waited for a busy connection: the server was slower than -c {} can carry at this rate; the wait is in the corrected latency (raise -c to separate it)",
                s.late_sends_pct, cfg.plan.concurrency
            ));
        }
    }
    if results.aborted > 0 {
        warnings.push(format!(
            "{} request(s) were in flight when the run stopped and are not in the results",
            results.aborted
        ));
    }
    if results.responses == 0 && results.errors_total > 0 {
        let top = results
            .errors
            .iter()
            .max_by_key(|(_, &n)| n)
            .map(|(k, _)| k.as_str())
            .unwrap_or("");
        warnings.push(format!(
            "no response at all (mostly {top}): is the target up?"
        ));
    }
    StressReport {
        golive_version: env!("CARGO_PKG_VERSION").to_string(),
        command: "stress".into(),
        started_at: timestamp(started_at),
        finished_at: timestamp(SystemTime::now()),
        interrupted: stopped.interrupted,
        stopped_early: stopped.early,
        settings: settings(cfg),
        results,
        slos,
        verdict,
        warnings,
    }
}

fn settings(cfg: &StressConfig) -> RunSettings {
    let p = &cfg.plan;
    RunSettings {
        url: cfg.target.uri.to_string(),
        method: cfg.template.method().to_string(),
        model: if p.rate.is_some() { "open" } else { "closed" }.into(),
        concurrency: p.concurrency,
        threads: p.effective_threads(),
        requests: p.requests,
        duration_s: p.duration.map(|d| d.as_secs_f64()),
        rate_rps: p.rate,
        timeout_ms: p.timeout.as_millis() as u64,
        http2: cfg.client.http2,
        insecure: cfg.client.insecure,
        headers: cfg.template.header_names(),
        body_bytes: cfg.template.body_len(),
    }
}

/// A progress bar on stderr, for runs longer than a second, only on a terminal.
struct Progress {
    enabled: bool,
    bar: Option<ProgressBar>,
    planned: Option<u64>,
    duration: Option<Duration>,
}

impl Progress {
    fn new(wanted: bool, plan: &LoadPlan) -> Progress {
        Progress {
            enabled: wanted && std::io::stderr().is_terminal(),
            bar: None,
            planned: plan.planned_requests(),
            duration: plan.duration,
        }
    }

    fn update(&mut self, live: &LiveTotals, elapsed: Duration) {
        if !self.enabled || elapsed < Duration::from_secs(1) {
            return;
        }
        let (len, pos) = match (self.duration, self.planned) {
            (Some(d), _) => (d.as_millis() as u64, elapsed.as_millis() as u64),
            (None, Some(n)) => (n, live.responses + live.errors),
            (None, None) => (1, 0),
        };
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg}",
                )
                .expect("static template"),
            );
            bar
        });
        bar.set_position(pos.min(len));
        let rps = (live.responses + live.errors) as f64 / elapsed.as_secs_f64();
        bar.set_message(format!(
            "{rps:.0} req/s · {} errors · {} 5xx",
            live.errors, live.status_5xx
        ));
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

//! A stress run judged: the load engine supervised to the end of its plan, the SLOs
//! judged on the merged measurement, and the reasons a verdict is not clear-cut.

use std::time::SystemTime;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tracing::info;

use super::shards::{ShardRecord, ShardSet};
use crate::compare::{Comparison, PlanKey};
use crate::http::{ClientOptions, Connector, H1Client, RequestTemplate, SetupError, Target};
use crate::load::{self, LoadPlan, StopRule, Tick};
use crate::measure::{Measurement, Summary};
use crate::outcome::{Document, Outcome};
use crate::slo::{Metric, Observed, Slo, Verdict};

/// An open-model run that sent less than this share of its planned requests did not
/// apply the planned load: a pass then proves nothing.
pub const RATE_TOLERANCE: f64 = 0.05;

/// A stress run, validated.
#[derive(Clone, Debug)]
pub struct StressPlan {
    pub target: Target,
    pub template: RequestTemplate,
    pub client: ClientOptions,
    pub load: LoadPlan,
    pub slos: Vec<Slo>,
    /// Stop at the first response that makes an SLO unreachable.
    pub abort_on_fail: bool,
    /// `--shard K/N`: recorded in the result so that merge can check the set.
    pub shard: Option<ShardRecord>,
    /// `--workload`: the mix sent instead of `template` alone (which is then its first
    /// request).
    pub workload: Option<crate::workload::Workload>,
}

impl StressPlan {
    /// GET `target` with no headers, default client: the demo's plans and tests'.
    pub fn simple_get(target: Target, load: LoadPlan, slos: Vec<Slo>) -> StressPlan {
        let template =
            RequestTemplate::new(&target, http::Method::GET, [], bytes::Bytes::new(), false);
        StressPlan {
            target,
            template,
            client: ClientOptions::default(),
            load,
            slos,
            abort_on_fail: false,
            shard: None,
            workload: None,
        }
    }

    /// What the engine sends: the workload's mix, or the one request.
    pub fn requests(&self) -> crate::load::Requests {
        match &self.workload {
            Some(w) => w.requests.clone(),
            None => self.template.clone().into(),
        }
    }

    #[cfg(test)]
    pub fn for_tests(url: &str) -> StressPlan {
        let load = LoadPlan {
            concurrency: 1,
            streams: 1,
            threads: 1,
            requests: Some(1),
            duration: None,
            rate: None,
            timeout: std::time::Duration::from_secs(1),
            inject_lag: None,
            shard: crate::load::Shard::default(),
            start_at: None,
            retry_idle_close: true,
            stages: None,
            connection_stages: None,
        };
        StressPlan::simple_get(Target::parse(url).expect("a test URL"), load, Vec::new())
    }
}

fn one() -> u32 {
    1
}

/// What `--json` writes for stress and merge, after the envelope. Field names are
/// stable; units are in the names.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct StressRun {
    /// Why the stop rule (`--abort-on-fail`) stopped the run early, if it did.
    pub stopped_early: Option<String>,
    pub settings: RunSettings,
    pub results: Summary,
    pub slos: Vec<Verdict>,
    /// Reasons about the run as a whole, beyond each SLO's own (e.g. the generator
    /// sent too little of the planned load, so a pass became inconclusive).
    #[serde(default)]
    pub outcome_reasons: Vec<String>,
    /// Things that make the numbers worth a second look (busy connections, aborts).
    pub warnings: Vec<String>,
    /// Which shard of which plan this run was (`--shard K/N`); absent for a whole run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardRecord>,
    /// `--baseline FILE`: this run compared with a saved one; a regression fails the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineComparison>,
}

/// This run against a saved run of the same plan.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct BaselineComparison {
    /// The baseline's `--json` file.
    pub file: String,
    pub comparison: Comparison,
}

/// How the run was set up. Header values are never written: they may be secrets.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct RunSettings {
    pub url: String,
    pub method: String,
    /// "closed" (concurrency × count/duration) or "open" (constant rate).
    pub model: String,
    pub concurrency: u32,
    pub threads: u32,
    pub requests: Option<u64>,
    pub duration_s: Option<f64>,
    pub rate_rps: Option<f64>,
    pub timeout_ms: u64,
    pub http2: bool,
    /// HTTP/2 requests in flight per connection (`--streams`).
    #[serde(default = "one")]
    pub streams: u32,
    /// HTTP/1.1 runs: which client sent the load (`--h1-client`). Absent for HTTP/2,
    /// and in results from before the choice existed (those were hyper's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h1_client: Option<H1Client>,
    /// HTTP/2 runs: which client sent the load (`--h2-client`). Absent for HTTP/1.1,
    /// and in results from before the choice existed (those were hyper's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h2_client: Option<crate::http::H2Client>,
    /// Whether a request that met an idle close was sent once more (`--no-retry`:
    /// false; always false for methods that are not idempotent).
    #[serde(default)]
    pub retry_idle_close: bool,
    pub insecure: bool,
    /// Names of the headers sent.
    pub headers: Vec<String>,
    pub body_bytes: usize,
    /// `--workload`: the mix sent (then `method`, `headers` and `body_bytes` are its
    /// first request's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload: Option<WorkloadSettings>,
    /// `--stages`: the open model's rate over the run (the whole plan's; `rate_rps`
    /// is then this process's mean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stages: Option<Vec<crate::load::Stage>>,
    /// `--connection-stages`: the closed loop's connections over the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_stages: Option<Vec<crate::load::Stage>>,
}

impl RunSettings {
    /// `--stages`: requests this process planned in each second of the run.
    pub fn planned_per_second(&self) -> Option<Vec<f64>> {
        let p = crate::load::Profile::new(self.stages.clone()?);
        let share = self.rate_rps? / p.mean_rate();
        let seconds = p.length().as_secs_f64().ceil() as usize;
        Some(
            (0..seconds)
                .map(|s| (p.planned_by(s as f64 + 1.0) - p.planned_by(s as f64)) * share)
                .collect(),
        )
    }
}

/// A workload as the result records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, JsonSchema)]
pub struct WorkloadSettings {
    /// The `--workload` file.
    pub file: String,
    pub requests: Vec<crate::workload::Described>,
    /// The placeholders' seed: `--seed` with it sends the same requests again.
    #[serde(default)]
    pub seed: u64,
}

impl RunSettings {
    /// The load went out through hyper's HTTP/1.1 client (`--h1-client hyper`).
    pub fn hyper_h1_client(&self) -> bool {
        self.h1_client == Some(H1Client::Hyper)
    }

    /// The load went out through hyper's HTTP/2 client (`--h2-client hyper`).
    pub fn hyper_h2_client(&self) -> bool {
        self.h2_client == Some(crate::http::H2Client::Hyper)
    }

    /// What must match for this run to be compared with another.
    pub fn plan_key(&self) -> PlanKey {
        let uri: Option<http::Uri> = self.url.parse().ok();
        let part =
            |f: fn(&http::Uri) -> Option<String>| uri.as_ref().and_then(f).unwrap_or_default();
        PlanKey {
            method: self.method.clone(),
            authority: part(|u| u.authority().map(|a| a.to_string())),
            target: part(|u| u.path_and_query().map(|p| p.to_string())),
            model: self.model.clone(),
            concurrency: self.concurrency,
            streams: self.streams,
            rate_rps: self.rate_rps,
            http2: self.http2,
            body_bytes: self.body_bytes,
        }
    }
}

pub type StressReport = Document<StressRun>;

/// The stop rule for `--abort-on-fail`: the first SLO that can no longer hold.
fn stop_rule(plan: &StressPlan) -> Option<StopRule> {
    if !plan.abort_on_fail {
        return None;
    }
    let slos = plan.slos.clone();
    let planned = plan.load.planned_requests();
    Some(std::sync::Arc::new(move |live| {
        slos.iter()
            .find(|s| s.lost_for_good(live, planned))
            .map(|s| format!("{s} can no longer hold"))
    }))
}

/// Runs a plan to its end (or Ctrl-C, or the stop rule) and judges it.
pub async fn run(
    plan: &StressPlan,
    tick: std::time::Duration,
    cancel: &crate::shutdown::Cancel,
    on_tick: impl FnMut(&Tick),
) -> Result<StressReport, SetupError> {
    let connector = Connector::new(&plan.target, &plan.client).await?;
    let started = SystemTime::now();
    info!(url = %plan.target.uri, concurrency = plan.load.concurrency, rate = ?plan.load.rate, "stress run started");
    let handle = load::start(
        plan.load.clone(),
        plan.requests(),
        connector.clone(),
        stop_rule(plan),
    );
    let mut finished = handle.run_until(tick, cancel, on_tick).await;
    finished.measurement.tls_resumed = connector.tls_resumed();
    let m = &finished.measurement;
    info!(
        responses = m.responses(),
        errors = m.errors_total(),
        "stress run finished"
    );
    let shards = plan.shard.as_ref().map_or(1, |s| s.count);
    let (outcome, slos, reasons) = judge_share(m, &plan.slos, finished.interrupted, shards);
    let results = m.summary();
    let mut warnings = warnings_for(&results, plan.load.concurrency * plan.load.streams.max(1));
    if let Some((feeder, rows, at)) = plan.workload.as_ref().and_then(|w| w.spent_at.as_ref()) {
        if plan.load.requests == Some(*at) {
            warnings.push(format!(
                "the {} feeder '{feeder}' gives each of its {rows} rows once: the plan ended at its request {at}, when they were spent",
                plan.workload.as_ref().and_then(|w| w.feeder_mode(feeder)).unwrap_or("queue"),
            ));
        }
    }
    if shards > 1 && plan.slos.iter().any(|s| s.metric == Metric::Rps) {
        warnings.push(format!(
            "rps SLOs state the whole plan's rate: this shard's throughput is judged × {shards}              (the plan's, if every shard keeps pace); the merged result decides"
        ));
    }
    let run = StressRun {
        stopped_early: finished.stopped_early,
        settings: settings(plan),
        warnings,
        results,
        slos,
        outcome_reasons: reasons,
        shard: plan.shard.clone(),
        baseline: None,
    };
    Ok(Document::new("stress", started, outcome, run))
}

/// Judges a measurement: each SLO, then the run as a whole. Shared by stress, merge
/// and the ramp's windows, so that a verdict means the same everywhere.
pub fn judge(
    m: &Measurement,
    slos: &[Slo],
    interrupted: bool,
) -> (Outcome, Vec<Verdict>, Vec<String>) {
    judge_share(m, slos, interrupted, 1)
}

/// As [`judge`], for one of `shards` shards of a plan. An `rps` SLO states the whole
/// plan's rate, and a shard sends every Nth request of it, so the shard's throughput
/// is held against it times `shards`. The other SLOs judge the shard's own requests.
fn judge_share(
    m: &Measurement,
    slos: &[Slo],
    interrupted: bool,
    shards: u32,
) -> (Outcome, Vec<Verdict>, Vec<String>) {
    fn of(m: &Measurement, shards: u32) -> Observed<'_> {
        let mut observed = Observed::of(m);
        observed.rps *= f64::from(shards.max(1));
        observed
    }
    let whole = of(m, shards);
    let verdicts: Vec<Verdict> = slos
        .iter()
        .map(|s| match s.scope.as_deref() {
            None => s.evaluate(&whole),
            Some(name) => match m.endpoint(name) {
                Some(e) => s.evaluate(&of(e, shards)),
                None => s.verdict_for(None, Some(format!("no request named '{name}' in this run"))),
            },
        })
        .collect();
    let mut outcome = Outcome::combine(verdicts.iter().map(|v| v.outcome));
    let mut reasons = Vec::new();
    if let Some(fraction) = m.sent_fraction().filter(|f| *f < 1.0 - RATE_TOLERANCE) {
        if !interrupted {
            reasons.push(format!(
                "golive sent {:.1}% of the planned requests (tolerance {:.0}%): the planned load was not applied, so a pass proves nothing",
                fraction * 100.0,
                RATE_TOLERANCE * 100.0
            ));
            if outcome == Outcome::Pass {
                outcome = Outcome::Inconclusive;
            }
        }
    }
    (outcome.or_interrupted(interrupted), verdicts, reasons)
}

/// Warnings, each worded for its own cause.
pub fn warnings_for(results: &Summary, concurrency: u32) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(s) = &results.schedule {
        // Little's law: connections the server kept busy on average. Waits for a busy
        // connection are the server's only when the connections were really loaded;
        // otherwise golive read responses late (a starved CPU) and the waits are its own.
        let loaded = results
            .service_latency
            .as_ref()
            .and_then(|l| l.mean_ms)
            .is_some_and(|mean| s.intended_rps * mean / 1000.0 > 0.5 * f64::from(concurrency));
        if s.busy_waits_pct > 1.0 && loaded {
            warnings.push(format!(
                "{:.1}% of sends waited for a connection still busy with an earlier request: the server was slower than -c {concurrency} can carry at this rate; the wait is in the corrected latency (raise -c to separate it)",
                s.busy_waits_pct
            ));
        }
        if s.late_wakeups_pct > 1.0 {
            warnings.push(format!(
                "golive itself sent {:.1}% of requests more than 2 ms late (up to {:.1} ms): its CPU was busy; verdicts take this lag out before failing a latency SLO",
                s.late_wakeups_pct, s.max_generator_lag_ms
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
    warnings
}

pub fn settings(plan: &StressPlan) -> RunSettings {
    let p = &plan.load;
    RunSettings {
        url: plan.target.uri.to_string(),
        method: plan.template.method().to_string(),
        model: if p.rate.is_some() { "open" } else { "closed" }.into(),
        concurrency: p.concurrency,
        threads: p.effective_threads(),
        requests: p.requests.map(|n| p.shard.share(n)),
        duration_s: p.duration.map(|d| d.as_secs_f64()),
        rate_rps: p.own_rate(),
        timeout_ms: p.timeout.as_millis() as u64,
        http2: plan.client.http2,
        streams: p.streams.max(1),
        h1_client: (!plan.client.http2).then_some(plan.client.h1_client),
        h2_client: plan.client.http2.then_some(plan.client.h2_client),
        retry_idle_close: p.retry_idle_close
            && plan.template.is_idempotent()
            && !plan.client.http2
            && !plan.client.h1_client.eq(&H1Client::Hyper),
        insecure: plan.client.insecure,
        headers: plan.template.header_names(),
        body_bytes: plan.template.body_len(),
        stages: p.stages.as_ref().map(|s| s.stages.clone()),
        connection_stages: p.connection_stages.as_ref().map(|s| s.stages.clone()),
        workload: plan.workload.as_ref().map(|w| WorkloadSettings {
            file: w.file.clone(),
            requests: w.described.clone(),
            seed: w.seed,
        }),
    }
}

/// Merges saved runs (threads, machines, shards) into one, exactly: histograms and
/// counters add, percentiles are recomputed, the SLOs re-judged by the same rules.
/// `shards` is what [`super::shards::check`] found: a partial set is inconclusive at
/// best, since the load it judges is not the plan's.
pub fn merge(
    reports: &[StressReport],
    slos: &[Slo],
    shards: Option<&ShardSet>,
) -> Result<StressReport, MergeError> {
    let first = reports.first().ok_or(MergeError::Nothing)?;
    let mut total = Measurement::default();
    for r in reports {
        total.merge(Measurement::from_summary(&r.body.results)?)?;
    }
    let interrupted = reports.iter().any(|r| r.envelope.interrupted);
    let (mut outcome, verdicts, mut reasons) = judge(&total, slos, interrupted);
    let mut shard_notes = Vec::new();
    if let Some(set) = shards {
        shard_notes.push(format!(
            "merged {} of {} shards of plan {}",
            set.count as usize - set.missing.len(),
            set.count,
            set.plan
        ));
        if !set.missing.is_empty() {
            let missing: Vec<String> = set.missing.iter().map(u32::to_string).collect();
            reasons.push(format!(
                "shard(s) {} of {} missing (--allow-partial): this is not the plan's load",
                missing.join(", "),
                set.count
            ));
            if outcome == Outcome::Pass {
                outcome = Outcome::Inconclusive;
            }
        }
        if set.start_differs {
            shard_notes
                .push("the shards' --start-at differ: they did not send on one schedule".into());
        }
    }
    let mut settings = first.body.settings.clone();
    settings.concurrency = reports.iter().map(|r| r.body.settings.concurrency).sum();
    settings.threads = reports.iter().map(|r| r.body.settings.threads).sum();
    settings.requests = reports.iter().map(|r| r.body.settings.requests).sum();
    settings.rate_rps = reports.iter().map(|r| r.body.settings.rate_rps).sum();
    if reports
        .iter()
        .any(|r| r.body.settings.url != first.body.settings.url)
    {
        settings.url = format!("{} (and other URLs)", first.body.settings.url);
    }
    let results = total.summary();
    let mut warnings = vec![format!(
        "merged from {} runs; wall time is the longest run's",
        reports.len()
    )];
    warnings.extend(shard_notes);
    warnings.extend(warnings_for(
        &results,
        settings.concurrency * settings.streams,
    ));
    let started = reports
        .iter()
        .filter_map(|r| humantime::parse_rfc3339(&r.envelope.started_at).ok())
        .min()
        .unwrap_or_else(SystemTime::now);
    let run = StressRun {
        stopped_early: reports.iter().find_map(|r| r.body.stopped_early.clone()),
        settings,
        results,
        slos: verdicts,
        outcome_reasons: reasons,
        warnings,
        shard: None,
        baseline: None,
    };
    Ok(Document::new("merge", started, outcome, run))
}

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("nothing to merge")]
    Nothing,
    #[error("decoding histograms")]
    Histogram(#[from] crate::measure::HistCodecError),
}

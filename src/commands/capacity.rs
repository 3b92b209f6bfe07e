//! `golive capacity`: fixed-rate steps chosen by the search, each judged as it ends
//! (a line per step), until the maximum is bracketed and confirmed, or something else
//! limits the search; Ctrl-C keeps what was found.

use std::time::{Duration, Instant, SystemTime};

use super::Finished;
use crate::capacity::{
    judge_step, CapacityReport, CapacityRun, Found, Limit, Next, Search, StepOutcome, StepRecord,
    StepRules,
};
use crate::cli::CapacityArgs;
use crate::config::{self, process_env};
use crate::exit::{self, Failure};
use crate::gates::stress;
use crate::outcome::{Document, Outcome};
use crate::output::console;
use crate::report::Judged;

const DEFAULT_CONNECTIONS: u32 = config::capacity::DEFAULT_CONNECTIONS;
const MAX_CONNECTIONS: u32 = 1000;

fn step_line(s: &StepRecord) -> String {
    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    format!(
        "  {:<7} {:>9.0} req/s  {:<8} achieved {:>9.1} req/s · p50 {} · p99 {} · {}/{} sub-windows held · {} conns{}",
        s.phase,
        s.rate,
        s.outcome.as_str(),
        s.achieved_rps,
        ms(s.p50_ms),
        ms(s.p99_ms),
        s.windows_passed,
        s.windows,
        s.connections,
        s.why.as_ref().map_or(String::new(), |w| format!("\n          {w}"))
    )
}

pub fn run(args: &CapacityArgs) -> exit::Result<Finished> {
    let mut plan = config::capacity::plan(args, &process_env).map_err(Failure::usage)?;
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    super::preflight_fds(MAX_CONNECTIONS.min(plan.load.concurrency.max(DEFAULT_CONNECTIONS)))?;
    let rules = StepRules {
        warmup_s: args.warmup.as_secs_f64(),
        step_s: args.step.as_secs_f64(),
        windows: 5,
        must_hold: 4,
    };
    let mut search = Search::new(
        args.start_rate,
        args.max_rate,
        args.precision / 100.0,
        args.repeat,
    );
    let started = SystemTime::now();
    let clock = Instant::now();
    let rt = super::runtime()?;
    let cancel = {
        let _in = rt.enter();
        crate::shutdown::Cancel::on_signals()
    };
    let url = plan.target.uri.to_string();
    human.text(&format!(
        "golive capacity  {url}\n  steps of {} (the first {} left out) · SLOs {} · within {}% · the maximum run {} more times\n",
        humantime::format_duration(args.step),
        humantime::format_duration(args.warmup),
        plan.slos.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        args.precision,
        args.repeat
    ));
    let mut steps: Vec<StepRecord> = Vec::new();
    let limit = loop {
        let Next::Step { rate, phase } = search.next() else {
            break match search.fail {
                Some(_) => Limit::Target {
                    binding_slo: binding(&steps),
                },
                None => Limit::MaxRate,
            };
        };
        if clock.elapsed() + args.step > args.max_duration {
            break Limit::MaxDuration;
        }
        plan.load.rate = Some(rate);
        let report = rt
            .block_on(stress::run(
                &plan,
                Duration::from_millis(100),
                &cancel,
                |_| {},
            ))
            .map_err(Failure::usage)?;
        if report.outcome() == Outcome::Interrupted || cancel.is_cancelled() {
            break Limit::Interrupted;
        }
        let record = judge_step(
            &report,
            &plan.slos,
            &rules,
            (rate, plan.load.concurrency, phase),
        );
        console::out(&format!("{}\n", step_line(&record)));
        let outcome = record.outcome;
        let why = record.why.clone().unwrap_or_default();
        let connections_limited = record.connections_limited;
        steps.push(record);
        match outcome {
            StepOutcome::Invalid
                if connections_limited
                    && args.concurrency.is_none()
                    && plan.load.concurrency < MAX_CONNECTIONS =>
            {
                // golive's connections, not the target, were the limit: more, and again.
                plan.load.concurrency = (plan.load.concurrency * 2).min(MAX_CONNECTIONS);
                plan.load.threads = plan.load.threads.min(plan.load.concurrency);
            }
            StepOutcome::Invalid => {
                break Limit::Generator {
                    why: format!("at {rate:.0} req/s: {why}"),
                }
            }
            o => search.record(rate, o),
        }
    };
    let found = search.pass().map(|max| Found {
        max_rps: max,
        low: max,
        high: search.fail,
        confirmed: steps
            .iter()
            .filter(|s| s.rate == max && s.outcome == StepOutcome::Pass)
            .count() as u32,
    });
    let (outcome, said) = verdict(&found, &limit, args.start_rate);
    let doc: CapacityReport = Document::new(
        "capacity",
        started,
        outcome,
        CapacityRun {
            url,
            slos: plan.slos.iter().map(|s| s.to_string()).collect(),
            step_s: args.step.as_secs_f64(),
            warmup_s: args.warmup.as_secs_f64(),
            precision_pct: args.precision,
            steps,
            found,
            limit,
            said: said.clone(),
        },
    );
    Ok(Finished::new(
        outcome,
        human,
        format!("\n{said}\nverdict: {}\n", outcome.as_str()),
    )
    .json(json, &doc)
    .evidence(&args.evidence, &Judged::Capacity(Box::new(doc))))
}

/// The SLO that failed most often in the steps that failed.
fn binding(steps: &[StepRecord]) -> String {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for s in steps.iter().filter(|s| s.outcome == StepOutcome::Fail) {
        for b in &s.breached {
            match counts.iter_mut().find(|(n, _)| *n == b) {
                Some((_, c)) => *c += 1,
                None => counts.push((b, 1)),
            }
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, c)| *c)
        .map_or(String::new(), |(n, _)| n.clone())
}

fn verdict(found: &Option<Found>, limit: &Limit, start: f64) -> (Outcome, String) {
    let interval = |f: &Found| match f.high {
        Some(h) => format!("between {:.0} and {:.0} req/s", f.low, h),
        None => format!("at least {:.0} req/s", f.low),
    };
    match (found, limit) {
        (Some(f), Limit::Target { binding_slo }) => (
            Outcome::Pass,
            format!(
                "MAXIMUM {:.0} req/s: the target sustains it within its SLOs (run {} times); its limit lies {}, bound by {binding_slo}",
                f.max_rps, f.confirmed, interval(f)
            ),
        ),
        (None, Limit::Target { binding_slo }) => (
            Outcome::Fail,
            format!(
                "the target did not hold its SLOs at the start rate {start:.0} req/s ({binding_slo}): its capacity is below it (--start-rate)"
            ),
        ),
        (f, Limit::Generator { why }) => (
            Outcome::Inconclusive,
            format!(
                "the generator is the limit, not the target ({why}); {}",
                f.as_ref().map_or("no rate passed before it".into(), |f| format!(
                    "the target held {} so far",
                    interval(f)
                ))
            ),
        ),
        (f, other) => (
            if matches!(other, Limit::Interrupted) {
                Outcome::Interrupted
            } else {
                Outcome::Inconclusive
            },
            format!(
                "{}: {}",
                match other {
                    Limit::MaxRate => "--max-rate reached",
                    Limit::MaxDuration => "--max-duration reached",
                    _ => "interrupted",
                },
                f.as_ref().map_or("no rate passed".into(), |f| format!(
                    "the target held {} (a lower bound)",
                    interval(f)
                ))
            ),
        ),
    }
}

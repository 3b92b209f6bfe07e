//! The ramp as lines: one per event, a window's reasons and a guard's output under
//! it, so that a rollback explains itself on the terminal and in CI logs.

use std::fmt::Write;
use std::time::Duration;

use super::paint;
use crate::outcome::Outcome;
use crate::ramp::window::{WindowRecord, WindowVerdict};
use crate::ramp::{Event, EventKind, RampPlan};

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.1} ms"))
}

fn step_tag(plan: &RampPlan, step: usize) -> String {
    let weight = plan.steps.get(step).map_or(0, |s| s.weight);
    format!("step {}/{} {:>3}%", step + 1, plan.steps.len(), weight)
}

/// The plan, before anything runs (and all of `--dry-run`).
pub fn plan(plan: &RampPlan, url: &str, warnings: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "ramp {url}");
    let steps: Vec<String> = plan
        .steps
        .iter()
        .map(|s| format!("{}% for {}", s.weight, humantime::format_duration(s.hold)))
        .collect();
    let _ = writeln!(out, "  steps       {}", steps.join(" → "));
    let _ = writeln!(
        out,
        "  windows     every {} after {} warm-up · {} req/s synthetic · criteria {}",
        humantime::format_duration(plan.interval),
        humantime::format_duration(plan.warmup),
        plan.sample.load.rate.unwrap_or(0.0),
        plan.sample
            .slos
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(d) = &plan.direct {
        let _ = writeln!(
            out,
            "  canary      {} loaded directly each window (the criteria judge it)",
            d.canary.target.uri
        );
        if let Some(b) = &d.baseline {
            let _ = writeln!(
                out,
                "  baseline    {} loaded at once; a regression beyond the tolerance fails a window (the step's windows accumulate, each look at a spent confidence)",
                b.target.uri
            );
        }
    }
    match &plan.pre {
        Some(pre) => {
            let slos: Vec<String> = pre.slos.iter().map(|s| s.to_string()).collect();
            let load = &pre.load;
            let size = match (load.requests, load.duration) {
                // Whichever comes first ends it.
                (Some(n), Some(d)) => {
                    format!("{n} requests or {}", humantime::format_duration(d))
                }
                (Some(n), None) => format!("{n} requests"),
                (None, Some(d)) => humantime::format_duration(d).to_string(),
                (None, None) => String::new(),
            };
            let rate = load.rate.map_or(String::new(), |r| match &plan.pre_basis {
                Some(basis) => format!(" at {r:.0} req/s ({basis})"),
                None => format!(" at {r:.0} req/s"),
            });
            let _ = writeln!(
                out,
                "  pre-gate    stress run of {size}{rate} over {} connections, judged by {}",
                load.concurrency,
                slos.join(", ")
            );
        }
        None => {
            let _ = writeln!(out, "  pre-gate    SKIPPED (--skip-pre)");
        }
    }
    let _ = writeln!(out, "  set weight  {}", plan.commands.set_weight);
    let _ = writeln!(
        out,
        "  rollback    {} ({})",
        plan.commands.rollback_cmd(),
        match plan.on_fail {
            crate::ramp::OnFail::Rollback => "run when a step fails",
            crate::ramp::OnFail::Pause => "a failing step pauses for approve or abort instead",
        }
    );
    for g in &plan.commands.guards {
        let _ = writeln!(out, "  guard       {g}");
    }
    if let Some(m) = &plan.metrics {
        let _ = writeln!(
            out,
            "  metrics     {} · 5xx {} · latency {}",
            m.target.uri, m.five_xx, m.latency
        );
        if let Some(b) = &m.baseline {
            let _ = writeln!(
                out,
                "  compared    with the baseline's metrics {} (p50, p95, 5xx share)",
                b.uri
            );
        }
    }
    let hold = plan.total_hold();
    let span = |d: Duration| humantime::format_duration(d).to_string();
    // The pre-gate runs before the first step: its time is part of the wait.
    let duration = match plan
        .pre
        .as_ref()
        .map(|p| (p.load.duration, p.load.requests))
    {
        // Either limit ends it: its time is at most the duration.
        Some((Some(pre), Some(n))) => format!(
            "at least {} after the pre-gate (up to {} or {n} requests), when every window passes",
            span(hold),
            span(pre)
        ),
        Some((Some(pre), None)) => format!(
            "at least {} (pre-gate {}, steps {}) when every window passes",
            span(pre + hold),
            span(pre),
            span(hold)
        ),
        Some((None, Some(n))) => format!(
            "at least {} after the pre-gate's {n} requests, when every window passes",
            span(hold)
        ),
        _ => format!("at least {} when every window passes", span(hold)),
    };
    let _ = writeln!(out, "  duration    {duration}");
    for w in warnings {
        let _ = writeln!(out, "  warning: {w}");
    }
    out
}

/// One event as it happens; `state` is the journal's path, for the commands printed.
pub fn event(plan: &RampPlan, state: Option<&std::path::Path>, e: &Event) -> String {
    let mut out = String::new();
    match &e.kind {
        EventKind::Started { revision, resumed } => {
            let what = if *resumed { "resumed" } else { "started" };
            let rev = revision
                .as_deref()
                .map(|r| format!(" (revision {r})"))
                .unwrap_or_default();
            let _ = writeln!(out, "ramp {what}{rev} at {}", e.at);
        }
        EventKind::PreGate { skipped: true, .. } => {
            let _ = writeln!(
                out,
                "pre-gate      SKIPPED (--skip-pre): the ramp starts without a stress test"
            );
        }
        EventKind::PreGate {
            outcome,
            slos,
            reasons,
            requests,
            ..
        } => {
            let _ = writeln!(
                out,
                "pre-gate      {}  {requests} requests",
                paint::outcome(*outcome)
            );
            for v in slos {
                let _ = writeln!(
                    out,
                    "  {:<22} {:>16} {}",
                    v.slo,
                    v.observed_words(),
                    v.outcome.as_str()
                );
            }
            for r in reasons {
                let _ = writeln!(out, "  {r}");
            }
        }
        EventKind::StepStarted {
            step,
            hold_s,
            remaining_s,
            set_weight,
            ..
        } => {
            let set = if set_weight.ok() {
                "weight set".to_string()
            } else {
                format!("weight NOT set ({})", set_weight.describe())
            };
            let _ = writeln!(
                out,
                "{}  {set} · hold {} · {} left",
                step_tag(plan, *step),
                humantime::format_duration(std::time::Duration::from_secs_f64(*hold_s)),
                humantime::format_duration(std::time::Duration::from_secs_f64(remaining_s.round()))
            );
            if !set_weight.ok() && !set_weight.output.is_empty() {
                indent(&mut out, &set_weight.output);
            }
        }
        EventKind::Window(w) => window(&mut out, plan, w),
        EventKind::Promoted {
            step,
            passing_windows,
            ..
        } => {
            let _ = writeln!(
                out,
                "{}  promoted ({passing_windows} passing {})",
                step_tag(plan, *step),
                if *passing_windows == 1 {
                    "window"
                } else {
                    "windows"
                }
            );
        }
        EventKind::Paused {
            step, why, pause, ..
        } => {
            let _ = writeln!(out, "{}  PAUSED: {why}", step_tag(plan, *step));
            let file = state.map_or("FILE".into(), |p| p.display().to_string());
            let _ = writeln!(
                out,
                "  go on:     golive ramp approve --state {file} --pause {pause}"
            );
            let _ = writeln!(out, "  roll back: golive ramp abort --state {file}");
        }
        EventKind::Approved { step, pause } => {
            let _ = writeln!(out, "{}  approved (pause {pause})", step_tag(plan, *step));
        }
        EventKind::Aborted { step, during } => {
            let at = step.map_or_else(|| "ramp".into(), |s| step_tag(plan, s));
            let _ = writeln!(
                out,
                "{at}  ABORTED by golive ramp abort while {during}: rolling back"
            );
        }
        EventKind::RollingBack { weight, why, .. } => {
            let from = weight.map_or_else(|| "no weight set yet".into(), |w| format!("at {w}%"));
            let _ = writeln!(out, "rolling back ({from}): {why}");
        }
        EventKind::RolledBack {
            weight, rollback, ..
        } => {
            let from = weight.map(|w| format!(" from {w}%")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{}{from} (rollback command: {}, {})",
                paint::colored(Outcome::Fail, "ROLLED BACK"),
                rollback.describe(),
                rollback.command
            );
        }
        EventKind::RollbackFailed {
            weight, rollback, ..
        } => {
            let at = weight
                .map(|w| format!(" (traffic may still be at {w}%)"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "{}{at}: {}: {}",
                paint::colored(Outcome::Fail, "ROLLBACK COMMAND FAILED"),
                rollback.describe(),
                rollback.command
            );
            if !rollback.output.is_empty() {
                indent(&mut out, &rollback.output);
            }
        }
        EventKind::Interrupted { step, weight } => {
            let at = step
                .map(|s| step_tag(plan, s))
                .unwrap_or_else(|| "pre-gate".into());
            let _ = writeln!(out, "{at}  interrupted (the weight is {weight})");
        }
        EventKind::JournalFailed { why } => {
            let _ = writeln!(
                out,
                "{}: {why}",
                paint::colored(Outcome::Fail, "JOURNAL NOT WRITTEN")
            );
        }
        EventKind::Finished { .. } => {}
    }
    out
}

fn window(out: &mut String, plan: &RampPlan, w: &WindowRecord) {
    let s = &w.synthetic;
    let mut line = format!(
        "{}  window {:<3} {}  p95 {} · 5xx {} · errors {} · {} req",
        step_tag(plan, w.step),
        w.window,
        paint::colored(window_outcome(w.verdict), w.verdict.as_str()),
        ms(s.p95_ms),
        s.status_5xx,
        s.errors,
        s.requests
    );
    if let Some(m) = &w.metrics {
        match (&m.error, m.status_5xx) {
            (None, Some(n)) => {
                let _ = write!(line, " · service 5xx {n:.0} p95 {}", ms(m.p95_ms));
            }
            _ => line.push_str(" · service metrics unavailable"),
        }
    }
    if !w.guards.is_empty() {
        let ok = w.guards.iter().filter(|g| g.ok()).count();
        let _ = write!(line, " · guards {ok}/{} ok", w.guards.len());
    }
    let _ = writeln!(out, "{line}");
    for r in &w.reasons {
        let _ = writeln!(out, "    {r}");
    }
    for g in w.guards.iter().filter(|g| !g.ok() && !g.output.is_empty()) {
        let _ = writeln!(out, "    guard output ({}):", g.command);
        indent(out, &g.output);
    }
}

fn window_outcome(v: WindowVerdict) -> Outcome {
    match v {
        WindowVerdict::Pass => Outcome::Pass,
        WindowVerdict::Fail => Outcome::Fail,
        WindowVerdict::Inconclusive | WindowVerdict::Error => Outcome::Inconclusive,
    }
}

fn indent(out: &mut String, text: &str) {
    for l in text
        .lines()
        .rev()
        .take(20)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let _ = writeln!(out, "      | {l}");
    }
}

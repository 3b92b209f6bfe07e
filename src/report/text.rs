//! Human output of a stress or merge run: a compact table of percentiles (80
//! columns), status codes, errors, the schedule and the verdicts.

use std::fmt::Write;

use super::paint;
use super::words::wrap;
use crate::gates::stress::StressReport;
use crate::measure::LatencyStats;
use crate::slo::Verdict;

fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v < 10.0 => format!("{v:.3}"),
        Some(v) if v < 1000.0 => format!("{v:.2}"),
        Some(v) => format!("{v:.0}"),
    }
}

fn latency_row(out: &mut String, label: &str, l: &LatencyStats) {
    let _ = writeln!(
        out,
        "  {label:<10}{:>7}{:>7}{:>7}{:>7}{:>7}{:>8}{:>8}{:>7}{:>9}",
        ms(l.min_ms),
        ms(l.p50_ms),
        ms(l.p90_ms),
        ms(l.p95_ms),
        ms(l.p99_ms),
        ms(l.p999_ms),
        ms(l.max_ms),
        ms(l.mean_ms),
        l.count
    );
}

pub(crate) fn verdict_value(v: &Verdict) -> String {
    v.observed_words()
}

/// One SLO verdict: expression, observed value, outcome and why if inconclusive.
pub fn slo_line(v: &Verdict) -> String {
    let reason = v
        .reason
        .as_deref()
        .map(|why| format!("  ({why})"))
        .unwrap_or_default();
    format!(
        "  SLO {:<16}{:>16}  {}{reason}",
        v.slo,
        verdict_value(v),
        paint::outcome(v.outcome)
    )
}

/// Renders a stress report for a terminal, its rows from the one model the HTML page
/// renders too, and its long lines (warnings, reasons) wrapped at `width` columns.
pub fn stress(r: &StressReport, width: usize) -> String {
    let s = &r.body.settings;
    let v = super::stress_view::view(r);
    let mut out = String::new();
    match &s.workload {
        Some(w) => {
            let _ = writeln!(
                out,
                "golive {}  workload {} ({} requests) on {}",
                r.envelope.command,
                w.file,
                w.requests.len(),
                s.url
            );
        }
        None => {
            let _ = writeln!(out, "golive {}  {} {}", r.envelope.command, s.method, s.url);
        }
    }
    let _ = writeln!(out, "{}\n", wrap(&v.plan, width, "  ", "  "));
    let label_row = |out: &mut String, label: &str, value: &str| {
        let first = format!("  {label:<11} ");
        let _ = writeln!(
            out,
            "{}",
            wrap(value, width, &first, &" ".repeat(first.len()))
        );
    };
    for row in &v.results {
        label_row(&mut out, row.label, &row.value);
    }
    out.push('\n');
    let _ = writeln!(
        out,
        "  {:<10}{:>7}{:>7}{:>7}{:>7}{:>7}{:>8}{:>8}{:>7}{:>9}",
        "ms", "min", "p50", "p90", "p95", "p99", "p99.9", "max", "mean", "count"
    );
    for (name, l) in &v.latency {
        // The table's first column is ten wide: the long names shortened.
        let short = match *name {
            "less golive's lag" => "less lag",
            "service time" => "service",
            other => other,
        };
        latency_row(&mut out, short, l);
    }
    out.push('\n');
    if !v.endpoints.is_empty() {
        let _ = writeln!(
            out,
            "  {:<14}{:>6}{:>8}{:>9}{:>8}{:>8}{:>8}{:>6}{:>7}",
            "request", "share", "sent", "success", "p50", "p95", "p99", "5xx", "errors"
        );
        for e in &v.endpoints {
            let name: String = e.name.chars().take(13).collect();
            let _ = writeln!(
                out,
                "  {name:<14}{:>5.1}%{:>8}{:>9}{:>8}{:>8}{:>8}{:>6}{:>7}",
                e.share_pct,
                e.sent,
                e.success,
                ms(e.latency.p50_ms),
                ms(e.latency.p95_ms),
                ms(e.latency.p99_ms),
                e.status_5xx,
                e.errors
            );
        }
        out.push('\n');
    }
    for e in v.errors.iter().filter(|e| e.fix.is_some()) {
        label_row(&mut out, e.kind, e.meaning);
        label_row(&mut out, "", &format!("fix: {}", e.fix.unwrap_or_default()));
    }
    for row in &v.generator {
        label_row(&mut out, row.label, &row.value);
    }

    for w in &r.body.warnings {
        // The label is painted after wrapping: styles take no columns.
        let wrapped = wrap(w, width, "  warning: ", "           ");
        let _ = writeln!(
            out,
            "  {}{}",
            paint::warning("warning:"),
            &wrapped["  warning:".len()..]
        );
    }
    out.push('\n');
    for v in &r.body.slos {
        let _ = writeln!(out, "{}", slo_line(v));
    }
    if let Some(base) = &r.body.baseline {
        let _ = writeln!(out, "\n  against the baseline {}:", base.file);
        out.push_str(&super::compare::lines(&base.comparison, width));
        out.push('\n');
    }
    for why in &r.body.outcome_reasons {
        let _ = writeln!(out, "{}", wrap(why, width, "  ", "  "));
    }
    let mut verdict = paint::verdict_line(r.outcome());
    if r.envelope.interrupted {
        verdict.push_str(" (interrupted: partial results)");
    }
    if let Some(why) = &r.body.stopped_early {
        let _ = write!(verdict, " (stopped early: {why})");
    }
    let _ = writeln!(out, "{verdict}");
    out
}

/// A step as one line (and its reason on the next), for the terminal.
pub fn capacity_step(s: &crate::capacity::StepRecord) -> String {
    format!(
        "  {:<22} {:<8} {}{}",
        s.label(),
        s.outcome.as_str(),
        capacity_step_numbers(s),
        s.why
            .as_ref()
            .map_or(String::new(), |w| format!("\n          {w}"))
    )
}

/// A step's numbers in one line, for the terminal and the report's table.
pub fn capacity_step_numbers(s: &crate::capacity::StepRecord) -> String {
    let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
    format!(
        "achieved {:.1} req/s · p50 {} · p99 {} · {}/{} sub-windows held · {} connection{}",
        s.achieved_rps,
        ms(s.p50_ms),
        ms(s.p99_ms),
        s.windows_passed,
        s.windows,
        s.connections,
        if s.connections == 1 { "" } else { "s" },
    )
}

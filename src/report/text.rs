//! Human output of a stress or merge run: a compact table of percentiles (80
//! columns), status codes, errors, the schedule and the verdicts.

use std::fmt::Write;

use super::paint;
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

pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

pub(crate) fn verdict_value(v: &Verdict) -> String {
    v.observed_words()
}

/// `200 ×1990 · 500 ×10`, or `empty` when there is nothing to count.
pub(crate) fn counts<'a>(items: impl Iterator<Item = (&'a str, u64)>, empty: &str) -> String {
    let parts: Vec<String> = items.map(|(k, n)| format!("{k} ×{n}")).collect();
    if parts.is_empty() {
        empty.to_string()
    } else {
        parts.join(" · ")
    }
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

/// `text` in lines of at most `width` columns, broken between words: the first line
/// after `first`, the others after `indent` (a hanging indent).
pub fn wrap(text: &str, width: usize, first: &str, indent: &str) -> String {
    use unicode_width::UnicodeWidthStr;
    let mut out = String::from(first);
    let mut col = first.width();
    let mut line_start = true;
    for word in text.split_whitespace() {
        let w = word.width();
        if !line_start && col + 1 + w > width {
            out.push('\n');
            out.push_str(indent);
            col = indent.width();
            line_start = true;
        }
        if !line_start {
            out.push(' ');
            col += 1;
        }
        out.push_str(word);
        col += w;
        line_start = false;
    }
    out
}

/// Renders a stress report for a terminal, its rows from the one model the HTML page
/// renders too, and its long lines (warnings, reasons) wrapped at `width` columns.
pub fn stress(r: &StressReport, width: usize) -> String {
    let s = &r.body.settings;
    let v = super::stress_view::view(r);
    let mut out = String::new();
    let _ = writeln!(out, "golive {}  {} {}", r.envelope.command, s.method, s.url);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_sizes_read_naturally() {
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(2048), "2.0 KiB");
        assert_eq!(bytes(50 * 1024 * 1024), "50.0 MiB");
    }
}

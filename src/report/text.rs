//! Human output of a stress or merge run: a compact table of percentiles (80
//! columns), status codes, errors, the schedule and the verdicts.

use std::fmt::Write;

use super::paint;
use crate::gates::stress::StressReport;
use crate::measure::{ErrorKind, LatencyStats};
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
fn counts<'a>(items: impl Iterator<Item = (&'a str, u64)>, empty: &str) -> String {
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

/// Renders a stress report for a terminal.
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

/// The report, its warnings and reasons wrapped at `width` columns.
pub fn stress(r: &StressReport, width: usize) -> String {
    let s = &r.body.settings;
    let res = &r.body.results;
    let mut out = String::new();
    let _ = writeln!(out, "golive {}  {} {}", r.envelope.command, s.method, s.url);
    let bound = match (s.requests, s.duration_s) {
        (Some(n), Some(d)) => format!("{n} requests or {d} s"),
        (Some(n), None) => format!("{n} requests"),
        (None, Some(d)) => format!("{d} s"),
        (None, None) => String::new(),
    };
    let model = match s.rate_rps {
        Some(rate) => format!("open model · {rate} req/s"),
        None => "closed loop".into(),
    };
    let _ = writeln!(
        out,
        "  {model} · {} connections · {} thread(s) · {bound}{}\n",
        s.concurrency,
        s.threads,
        match (s.http2, s.streams) {
            (true, 1) => " · HTTP/2".to_string(),
            (true, n) => format!(" · HTTP/2, {n} streams each"),
            (false, _) if s.hyper_h1_client() => " · hyper's client".into(),
            (false, _) => String::new(),
        }
    );
    let _ = writeln!(
        out,
        "  requests    {} sent · {} responses · {} errors · {} aborted",
        res.requests_sent, res.responses, res.errors_total, res.aborted
    );
    if res.retried_idle_close > 0 {
        let n = res.retried_idle_close;
        let _ = writeln!(
            out,
            "  retried     {n} {} met a connection the server had closed while idle, and went out again on a new one (--no-retry counts them as resets)",
            if n == 1 { "request" } else { "requests" }
        );
    }
    let _ = writeln!(
        out,
        "  throughput  {:.1} req/s over {:.3} s · {} read",
        res.throughput_rps,
        res.wall_time_s,
        bytes(res.bytes_read)
    );
    let success = res
        .success_rate_pct
        .map_or("-".into(), |p| format!("{p:.2}%"));
    let _ = writeln!(
        out,
        "  success     {success} ({} of {})\n",
        res.successes,
        res.responses + res.errors_total
    );

    let _ = writeln!(
        out,
        "  {:<10}{:>7}{:>7}{:>7}{:>7}{:>7}{:>8}{:>8}{:>7}{:>9}",
        "ms", "min", "p50", "p90", "p95", "p99", "p99.9", "max", "mean", "count"
    );
    let corrected = if res.schedule.is_some() {
        "corrected"
    } else {
        "successes"
    };
    latency_row(&mut out, corrected, &res.latency);
    if let Some(without) = res
        .latency_without_lag
        .as_ref()
        .filter(|w| **w != res.latency)
    {
        latency_row(&mut out, "less lag", without);
    }
    if let Some(service) = &res.service_latency {
        latency_row(&mut out, "service", service);
    }
    if res.failed_latency.count > 0 {
        latency_row(&mut out, "failures", &res.failed_latency);
    }
    out.push('\n');

    let statuses = res.status_codes.iter().map(|(c, n)| (c.as_str(), *n));
    let _ = writeln!(out, "  status      {}", counts(statuses, "-"));
    let errors = res
        .errors
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(k, n)| (k.as_str(), *n));
    let _ = writeln!(out, "  errors      {}", counts(errors, "none"));
    for kind in ErrorKind::ALL {
        let seen = res.errors.get(kind.as_str()).is_some_and(|&n| n > 0);
        if let (true, Some(fix)) = (seen, kind.fix()) {
            let _ = writeln!(out, "  {:<11} {}", kind.as_str(), kind.describe());
            let _ = writeln!(out, "  {:<11} fix: {fix}", "");
        }
    }
    if let Some(sch) = &res.schedule {
        let _ = writeln!(
            out,
            "  schedule    {:.1} req/s planned · {:.1} achieved · max lag {} ms",
            sch.intended_rps,
            sch.achieved_rps,
            ms(Some(sch.max_send_lag_ms))
        );
        let _ = writeln!(
            out,
            "              late sends {:.2}%: busy connection {:.2}% · golive late {:.2}%",
            sch.late_sends_pct, sch.busy_waits_pct, sch.late_wakeups_pct
        );
    }
    let g = &res.generator;
    let _ = writeln!(
        out,
        "  generator   {} thread(s) · {} conns opened · {} µs CPU/req · {:.1} MB",
        g.threads,
        g.connections_opened,
        g.cpu_us_per_request
            .map_or("-".into(), |c| format!("{c:.1}")),
        g.peak_rss_mb
    );

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

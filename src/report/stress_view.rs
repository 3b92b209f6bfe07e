//! What a stress (or merged) result shows, decided once: the rows of results, the
//! latency rows, the errors with their fixes, the generator and the settings. The text
//! report and the HTML page both render this one model, so they cannot drift apart.

use crate::gates::stress::StressReport;
use crate::measure::{ErrorKind, LatencyStats};

use super::words::{bytes, counts};

/// One labelled row.
pub struct Row {
    pub label: &'static str,
    pub value: String,
}

fn row(label: &'static str, value: String) -> Row {
    Row { label, value }
}

/// An error kind that occurred, with what it means and how to fix it.
pub struct ErrorRow {
    pub kind: &'static str,
    pub count: u64,
    pub meaning: &'static str,
    pub fix: Option<&'static str>,
}

pub struct StressView<'a> {
    /// The model in one line: closed loop or the rate, connections, threads, bound.
    pub plan: String,
    pub results: Vec<Row>,
    pub errors: Vec<ErrorRow>,
    /// Latency rows: corrected (or successes), less golive's lag, service time, failures.
    pub latency: Vec<(&'static str, &'a LatencyStats)>,
    pub generator: Vec<Row>,
    pub settings: Vec<Row>,
    /// `--workload`: each request's own numbers, in the file's order.
    pub endpoints: Vec<EndpointRow<'a>>,
}

/// One request of a workload.
pub struct EndpointRow<'a> {
    pub name: &'a str,
    /// `GET /items` (when the settings describe it).
    pub request: String,
    /// Its share of the requests sent, in percent.
    pub share_pct: f64,
    pub sent: u64,
    pub success: String,
    pub status_5xx: u64,
    pub errors: u64,
    pub latency: &'a LatencyStats,
}

/// Each request's row; empty for a run of one request.
fn endpoints(r: &StressReport) -> Vec<EndpointRow<'_>> {
    let res = &r.body.results;
    let described = r.body.settings.workload.as_ref().map(|w| &w.requests);
    res.endpoints
        .iter()
        .map(|e| {
            let d = described.and_then(|ds| ds.iter().find(|d| d.name == e.name));
            let x = &e.results;
            EndpointRow {
                name: &e.name,
                request: d.map_or(String::new(), |d| format!("{} {}", d.method, d.path)),
                share_pct: if res.requests_sent > 0 {
                    x.requests_sent as f64 * 100.0 / res.requests_sent as f64
                } else {
                    0.0
                },
                sent: x.requests_sent,
                success: x
                    .success_rate_pct
                    .map_or("n/a".into(), |p| format!("{p:.2}%")),
                status_5xx: x.status_5xx,
                errors: x.errors_total,
                latency: &x.latency,
            }
        })
        .collect()
}

pub fn view(r: &StressReport) -> StressView<'_> {
    let s = &r.body.settings;
    let res = &r.body.results;
    let bound = match (s.requests, s.duration_s) {
        (Some(n), Some(d)) => format!("{n} requests or {d} s"),
        (Some(n), None) => format!("{n} requests"),
        (None, Some(d)) => format!("{d} s"),
        (None, None) => "no bound".into(),
    };
    let model = match (&s.stages, s.rate_rps) {
        (Some(stages), _) => format!(
            "open model, staged: {}",
            stages
                .iter()
                .map(|st| format!("→{} req/s over {}s", st.rate, st.duration_s))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (None, Some(rate)) => format!("open model at {rate} req/s"),
        (None, None) => "closed loop".into(),
    };
    let h2_by = if s.hyper_h2_client() {
        " (hyper's client)"
    } else {
        ""
    };
    let protocol = match (s.http2, s.streams) {
        (true, 1) => format!("HTTP/2{h2_by}"),
        (true, n) => format!("HTTP/2{h2_by}, {n} streams per connection"),
        (false, _) if s.hyper_h1_client() => "HTTP/1.1 (hyper's client)".into(),
        (false, _) => "HTTP/1.1".into(),
    };
    let plural = |n: u64, one: &str, many: &str| {
        if n == 1 {
            one.to_string()
        } else {
            many.to_string()
        }
    };
    let short = match (s.http2, s.streams) {
        (true, n) if n > 1 => format!("HTTP/2, {n} streams each"),
        _ => protocol.clone(),
    };
    let plan = format!(
        "{model} · {} {} · {} {} · {bound} · {short}",
        s.concurrency,
        plural(u64::from(s.concurrency), "connection", "connections"),
        s.threads,
        plural(u64::from(s.threads), "thread", "threads"),
    );

    let mut results = vec![row(
        "requests",
        format!(
            "{} sent · {} responses · {} errors · {} aborted",
            res.requests_sent, res.responses, res.errors_total, res.aborted
        ),
    )];
    if res.retried_idle_close > 0 {
        let n = res.retried_idle_close;
        results.push(row(
            "retried",
            format!(
                "{n} {} met a connection the server had closed while idle, and went out again on a new one (--no-retry counts them as resets)",
                plural(n, "request", "requests")
            ),
        ));
    }
    results.push(row(
        "throughput",
        format!(
            "{:.1} req/s over {:.3} s · {} read",
            res.throughput_rps,
            res.wall_time_s,
            bytes(res.bytes_read)
        ),
    ));
    results.push(row(
        "success",
        res.success_rate_pct
            .map_or("no request finished".into(), |p| {
                format!(
                    "{p:.2}% ({} of {})",
                    res.successes,
                    res.responses + res.errors_total
                )
            }),
    ));
    let statuses = res.status_codes.iter().map(|(c, n)| (c.as_str(), *n));
    results.push(row("status", counts(statuses, "no response")));
    let seen = res
        .errors
        .iter()
        .filter(|(_, &n)| n > 0)
        .map(|(k, n)| (k.as_str(), *n));
    results.push(row("errors", counts(seen, "none")));

    let errors = ErrorKind::ALL
        .iter()
        .filter_map(|k| {
            let count = *res.errors.get(k.as_str())?;
            (count > 0).then(|| ErrorRow {
                kind: k.as_str(),
                count,
                meaning: k.describe(),
                fix: k.fix(),
            })
        })
        .collect();

    let corrected = if res.schedule.is_some() {
        "corrected"
    } else {
        "successes"
    };
    let mut latency: Vec<(&'static str, &LatencyStats)> = vec![(corrected, &res.latency)];
    if let Some(w) = res
        .latency_without_lag
        .as_ref()
        .filter(|w| **w != res.latency)
    {
        latency.push(("less golive's lag", w));
    }
    if let Some(svc) = &res.service_latency {
        latency.push(("service time", svc));
    }
    if res.failed_latency.count > 0 {
        latency.push(("failures", &res.failed_latency));
    }

    let mut generator = Vec::new();
    if let Some(sch) = &res.schedule {
        generator.push(row(
            "schedule",
            format!(
                "{:.1} req/s planned · {:.1} achieved · late sends {:.2}% (busy connection {:.2}%, golive late {:.2}%) · max send lag {:.3} ms",
                sch.intended_rps,
                sch.achieved_rps,
                sch.late_sends_pct,
                sch.busy_waits_pct,
                sch.late_wakeups_pct,
                sch.max_send_lag_ms
            ),
        ));
    }
    let g = &res.generator;
    generator.push(row(
        "generator",
        format!(
            "{} {} · {} {} ({} opened{}) · {:.2} s CPU · {} · {:.1} MB peak",
            g.threads,
            plural(u64::from(g.threads), "thread", "threads"),
            g.connections,
            plural(u64::from(g.connections), "connection", "connections"),
            g.connections_opened,
            g.tls_resumed
                .map_or(String::new(), |r| format!(", {r} resuming a TLS session")),
            g.cpu_time_s,
            g.cpu_us_per_request
                .map_or("no request sent".into(), |c| format!(
                    "{c:.1} µs CPU/request"
                )),
            g.peak_rss_mb
        ),
    ));

    let request = match &s.workload {
        Some(w) => row(
            "workload",
            format!(
                "{} on {}: {} (seed {})",
                w.file,
                s.url,
                w.requests
                    .iter()
                    .map(|d| format!("{} ×{}", d.name, d.weight))
                    .collect::<Vec<_>>()
                    .join(", "),
                w.seed
            ),
        ),
        None => row("request", format!("{} {}", s.method, s.url)),
    };
    let settings = vec![
        request,
        row("model", model),
        row(
            "connections",
            format!(
                "{} over {} {}",
                s.concurrency,
                s.threads,
                plural(u64::from(s.threads), "thread", "threads")
            ),
        ),
        row("bound", bound),
        row("timeout", format!("{} ms", s.timeout_ms)),
        row("protocol", protocol),
        row(
            "idle-close retry",
            if s.retry_idle_close { "on" } else { "off" }.into(),
        ),
        row(
            "TLS verification",
            if s.insecure { "off (-k)" } else { "on" }.into(),
        ),
        row(
            "headers",
            if s.headers.is_empty() {
                "none".into()
            } else {
                s.headers.join(", ")
            },
        ),
        row("body", bytes(s.body_bytes as u64)),
    ];
    StressView {
        plan,
        results,
        errors,
        latency,
        generator,
        settings,
        endpoints: endpoints(r),
    }
}

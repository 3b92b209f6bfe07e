//! The HTML report: one self-contained page per judged result. No script, no external
//! reference of any kind; the one `<style>` is allowed by its hash in a strict
//! Content-Security-Policy, and the charts are inline SVG. Readable on a phone,
//! printable on paper.

use std::fmt::Write;

use base64::Engine as _;

use super::charts::{self, RampMark};
use super::judged::Judged;
use super::notable;
use super::suite::{self, Status, Suite};
use crate::compare::Comparison;
use crate::gates::canary::CanaryResult;
use crate::gates::stress::StressReport;
use crate::measure::decode_hist;
use crate::ramp::{window::WindowVerdict, EventKind, RampReport};

const STYLE: &str = include_str!("report.css");

/// Notable seconds listed in full; the rest are counted (all are shaded).
const MAX_NOTABLE: usize = 20;

pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `'sha256-…'` of the page's style: the only inline content the policy allows.
fn style_hash() -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, STYLE.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

/// The Content-Security-Policy the page carries (and passes).
pub fn policy() -> String {
    format!(
        "default-src 'none'; style-src {}; img-src data:; base-uri 'none'; form-action 'none'",
        style_hash()
    )
}

fn class(status: Status) -> &'static str {
    match status {
        Status::Pass => "pass",
        Status::Fail => "fail",
        Status::Inconclusive => "inconclusive",
        Status::Error => "error",
    }
}
/// The whole page for `judged`; `rendered_at` is when the page was made (RFC 3339).
pub fn render(judged: &Judged, rendered_at: &str) -> String {
    let suite = suite::suite(judged);
    let mut body = String::new();
    verdict(&mut body, &suite);
    checks(&mut body, &suite);
    match judged {
        Judged::Stress(r) => stress(&mut body, r),
        Judged::Canary(d) => canary(&mut body, &d.body),
        Judged::Stage4(d) => canary(&mut body, &d.body.checks.canary),
        Judged::Ramp(r) => ramp(&mut body, r),
        Judged::Compare(d) => comparison(&mut body, &d.body.comparison),
        Judged::Capacity(d) => capacity(&mut body, &d.body),
        Judged::CompareCapacity(d) => capacities(&mut body, &d.body),
        _ => {}
    }
    footer(&mut body, &suite, rendered_at);
    let title = format!(
        "golive {}: {} · {}",
        suite.envelope.command,
        suite.outcome().as_str(),
        suite.subject
    );
    page(&title, &body)
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\n\
         <meta name=\"generator\" content=\"golive\">\n<title>{}</title>\n\
         <style>{STYLE}</style>\n</head>\n<body>\n<main>\n{body}</main>\n</body>\n</html>\n",
        policy(),
        escape(title)
    )
}

fn verdict(out: &mut String, s: &Suite) {
    let o = s.outcome();
    let _ = writeln!(
        out,
        "<header class=\"verdict {}\">\n<p class=\"kind\">golive {}</p>\n<h1>{}</h1>\n<p class=\"subject\">{}</p>",
        class(Status::of(o)),
        escape(&s.envelope.command),
        o.as_str(),
        escape(&s.subject)
    );
    let _ = writeln!(
        out,
        "<p class=\"counts\">{} · {} passed · {} failed · {} inconclusive · {} errors</p>",
        s.checks(),
        s.count(Status::Pass),
        s.count(Status::Fail),
        s.count(Status::Inconclusive),
        s.count(Status::Error)
    );
    if s.envelope.interrupted {
        out.push_str("<p><strong>Interrupted:</strong> the run was cut short; what it measured is below.</p>\n");
    }
    list(out, "reasons", s.reasons.iter().filter(|r| !r.is_empty()));
    out.push_str("</header>\n");
    if !s.advisories.is_empty() {
        out.push_str("<section>\n<h2>Warnings and advisories</h2>\n");
        list(out, "advisories", s.advisories.iter());
        out.push_str("</section>\n");
    }
}

fn list<'a>(out: &mut String, class: &str, items: impl Iterator<Item = &'a String>) {
    let items: Vec<String> = items.map(|i| format!("<li>{}</li>", escape(i))).collect();
    if !items.is_empty() {
        let _ = writeln!(out, "<ul class=\"{class}\">{}</ul>", items.join(""));
    }
}

/// Checks listed in full up to this many; a longer list shows what did not pass and
/// folds the whole list away (a long ramp or canary has hundreds).
const MAX_OPEN_CHECKS: usize = 25;

fn checks(out: &mut String, s: &Suite) {
    out.push_str("<section>\n<h2>Checks</h2>\n");
    if s.cases.len() <= MAX_OPEN_CHECKS {
        checks_table(out, s.cases.iter());
    } else {
        let not_passed: Vec<_> = s
            .cases
            .iter()
            .filter(|c| c.status != Status::Pass)
            .collect();
        if not_passed.is_empty() {
            let _ = writeln!(out, "<p>All {} checks passed.</p>", s.cases.len());
        } else {
            let _ = writeln!(
                out,
                "<p>{} of {} checks did not pass:</p>",
                not_passed.len(),
                s.cases.len()
            );
            checks_table(out, not_passed.into_iter());
        }
        let _ = writeln!(
            out,
            "<details><summary>all {} checks</summary>",
            s.cases.len()
        );
        checks_table(out, s.cases.iter());
        out.push_str("</details>\n");
    }
    out.push_str("</section>\n");
}

fn checks_table<'a>(out: &mut String, cases: impl Iterator<Item = &'a suite::Case>) {
    out.push_str("<div class=\"scroll\"><table class=\"checks\">\n<thead><tr><th>check</th><th>measured</th><th>result</th><th>why</th></tr></thead>\n<tbody>\n");
    for c in cases {
        let output = c.output.as_deref().map_or(String::new(), |o| {
            format!(
                "<details><summary>output</summary><pre>{}</pre></details>",
                escape(o)
            )
        });
        let _ = writeln!(
            out,
            "<tr class=\"{}\"><td>{}</td><td>{}</td><td class=\"status\">{}</td><td>{}{output}</td></tr>",
            class(c.status),
            escape(&c.name),
            escape(&c.measured),
            c.status.as_str(),
            escape(c.detail.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</tbody>\n</table></div>\n");
}

fn footer(out: &mut String, s: &Suite, rendered_at: &str) {
    let e = &s.envelope;
    let _ = writeln!(
        out,
        "<footer><p>golive {} · {} · started {} · finished {} · report rendered <time>{}</time></p></footer>",
        escape(&e.golive_version),
        escape(&e.command),
        escape(&e.started_at),
        escape(&e.finished_at),
        escape(rendered_at)
    );
}

fn figure(out: &mut String, svg: &charts::Svg, caption: &str) {
    match svg {
        Ok(svg) => {
            let _ = writeln!(
                out,
                "<figure>\n{svg}\n<figcaption>{}</figcaption>\n</figure>",
                escape(caption)
            );
        }
        Err(why) => {
            let _ = writeln!(
                out,
                "<p class=\"note\">chart not drawn: {}</p>",
                escape(why)
            );
        }
    }
}

fn ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.3}"))
}

fn table(out: &mut String, rows: &[(&str, String)]) {
    out.push_str("<table class=\"facts\"><tbody>\n");
    for (k, v) in rows {
        let _ = writeln!(out, "<tr><th>{}</th><td>{}</td></tr>", escape(k), escape(v));
    }
    out.push_str("</tbody></table>\n");
}

fn rows(out: &mut String, rows: &[super::stress_view::Row]) {
    let pairs: Vec<(&str, String)> = rows.iter().map(|r| (r.label, r.value.clone())).collect();
    table(out, &pairs);
}

fn stress(out: &mut String, r: &StressReport) {
    let res = &r.body.results;
    let v = super::stress_view::view(r);
    if let Some(base) = &r.body.baseline {
        comparison(out, &base.comparison);
    }
    out.push_str("<section>\n<h2>Results</h2>\n");
    let _ = writeln!(out, "<p>{}</p>", escape(&v.plan));
    rows(out, &v.results);
    if !v.errors.is_empty() {
        out.push_str("<h3>Errors</h3>\n");
        let errors: Vec<(&str, String)> = v
            .errors
            .iter()
            .map(|e| {
                let fix = e.fix.map_or(String::new(), |f| format!(" Fix: {f}"));
                (e.kind, format!("{} · {}.{fix}", e.count, e.meaning))
            })
            .collect();
        table(out, &errors);
    }
    out.push_str("</section>\n");

    out.push_str("<section>\n<h2>Latency</h2>\n<div class=\"scroll\"><table class=\"latency\">\n<thead><tr><th>ms</th><th>min</th><th>p50</th><th>p90</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>mean</th><th>count</th></tr></thead><tbody>\n");
    let corrected = v.latency[0].0;
    for (name, l) in &v.latency {
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(name),
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
    out.push_str("</tbody></table></div>\n");
    if !v.endpoints.is_empty() {
        out.push_str("<h3>By request</h3>\n<div class=\"scroll\"><table class=\"latency\">\n<thead><tr><th>request</th><th></th><th>share</th><th>sent</th><th>success</th><th>p50</th><th>p95</th><th>p99</th><th>5xx</th><th>errors</th></tr></thead><tbody>\n");
        for e in &v.endpoints {
            let _ = writeln!(
                out,
                "<tr><th>{}</th><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(e.name),
                escape(&e.request),
                e.share_pct,
                e.sent,
                escape(&e.success),
                ms(e.latency.p50_ms),
                ms(e.latency.p95_ms),
                ms(e.latency.p99_ms),
                e.status_5xx,
                e.errors
            );
        }
        out.push_str("</tbody></table></div>\n");
        endpoint_curves(out, r);
    }
    let h = &res.histograms;
    let decoded = (
        decode_hist(&h.success),
        res.schedule.as_ref().map(|_| decode_hist(&h.service)),
    );
    match decoded {
        (Ok(success), service) => {
            let service = service.and_then(Result::ok);
            let mut lines = vec![(corrected, &success, charts::BLUE)];
            if let Some(svc) = &service {
                lines.push(("service time", svc, charts::ORANGE));
            }
            let caption = if service.is_some() {
                "Latency by percentile, from the full histograms. Corrected latency runs from each request's intended send (coordinated omission corrected); service time from its actual send."
            } else {
                "Latency by percentile, from the full histogram of successful responses."
            };
            figure(out, &charts::spectrum(&lines), caption);
        }
        (Err(e), _) => {
            let _ = writeln!(out, "<p class=\"note\">The histogram does not decode ({}); the spectrum is not drawn.</p>", escape(&e.to_string()));
        }
    }
    out.push_str("</section>\n");

    out.push_str("<section>\n<h2>Over time</h2>\n");
    let found = notable::find(&res.timeline, res.latency.p50_ms);
    let marked: Vec<u32> = found.iter().map(|n| n.second).collect();
    if res.timeline.is_empty() {
        out.push_str("<p class=\"note\">No per-second data.</p>\n");
    } else {
        let thinned = if res.timeline.len() > charts::MAX_POINTS {
            format!(" Drawn from {} of {} seconds (largest-triangle-three-buckets), every notable second shaded.", charts::MAX_POINTS, res.timeline.len())
        } else {
            String::new()
        };
        figure(
            out,
            &charts::over_time(
                &res.timeline,
                &marked,
                res.wall_time_s,
                r.body.settings.planned_per_second().as_deref(),
            ),
            &format!(
                "Per second: requests finished, p50 and p99 latency of successes, responses by status class with errors stacked, and the responses that were not 2xx on their own scale (so 1% shows). Shaded: notable seconds, each against the run's own median second.{thinned}{}",
                charts::partial_last_second(&res.timeline, res.wall_time_s).map_or(String::new(), |span| format!(
                    " The last second lasted {span:.2} s: its counts are drawn as a per-second rate."
                ))
            ),
        );
    }
    if found.is_empty() {
        out.push_str("<p>No notable seconds: no stall, latency spike or error burst.</p>\n");
    } else {
        out.push_str("<h3>Notable seconds</h3>\n<ul class=\"notable\">");
        for n in found.iter().take(MAX_NOTABLE) {
            let _ = write!(
                out,
                "<li>second {}: {}</li>",
                n.second,
                escape(&n.what.join("; "))
            );
        }
        out.push_str("</ul>\n");
        if found.len() > MAX_NOTABLE {
            let _ = writeln!(out, "<p>… and {} more.</p>", found.len() - MAX_NOTABLE);
        }
    }
    out.push_str("</section>\n");

    out.push_str("<section>\n<h2>Generator</h2>\n");
    rows(out, &v.generator);
    out.push_str("<h3>Settings</h3>\n");
    rows(out, &v.settings);
    out.push_str("</section>\n");
}

/// A comparison: each metric's values, effect with its interval, p-value, band and
/// change; both sides' percentile curves on one chart.
/// Two capacity cards: each one's bracket (the rate that held, where it failed) and
/// the change of the maximum against the band.
fn capacities(out: &mut String, c: &crate::capacity::versus::CapacityComparison) {
    out.push_str("<section>\n<h2>Capacity, candidate against baseline</h2>\n");
    let _ = writeln!(out, "<p>{}</p>", escape(&c.said));
    out.push_str("<div class=\"scroll\"><table class=\"latency\">\n<thead><tr><th>card</th><th>file</th><th>URL</th><th>held</th><th>failed at</th><th>note</th></tr></thead><tbody>\n");
    for (name, b) in [("baseline", &c.baseline), ("candidate", &c.candidate)] {
        let _ = writeln!(
            out,
            "<tr><th>{name}</th><td>{}</td><td>{}</td><td>{:.0} req/s</td><td>{}</td><td>{}</td></tr>",
            escape(&b.file),
            escape(&b.url),
            b.max_rps,
            b.failed_at.map_or("-".into(), |f| format!("{f:.0} req/s")),
            escape(&b.caveat)
        );
    }
    out.push_str("</tbody></table></div>\n");
    let _ = writeln!(
        out,
        "<p>Change of the maximum: {:+.1}% (the band: −{:.0}%): {}.</p>",
        c.change_pct,
        c.band_pct,
        c.change.as_str()
    );
    list(out, "notes", c.notes.iter());
    out.push_str("</section>\n");
}

fn comparison(out: &mut String, c: &Comparison) {
    out.push_str("<section>\n<h2>Candidate against baseline</h2>\n");
    let _ = writeln!(out, "<p>{}</p>", escape(&c.said));
    out.push_str("<div class=\"scroll\"><table class=\"latency\">\n<thead><tr><th>metric</th><th>baseline</th><th>candidate</th><th>change</th><th>interval</th><th>p</th><th>band</th><th>verdict</th></tr></thead><tbody>\n");
    for m in &c.metrics {
        let value = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.3} {}", m.value_unit));
        let (effect, interval) = m.effect.as_ref().map_or(("-".into(), "-".into()), |e| {
            (
                format!("{:+.2} {}", e.estimate, e.unit),
                format!("{:+.2} to {:+.2}", e.low, e.high),
            )
        });
        let status = Status::of(m.change.outcome());
        let _ = writeln!(
            out,
            "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&m.metric),
            escape(&value(m.baseline)),
            escape(&value(m.candidate)),
            escape(&effect),
            escape(&interval),
            m.p_value.map_or("-".into(), crate::compare::p_words),
            escape(&m.tolerance),
            class(status),
            m.change.as_str()
        );
    }
    out.push_str("</tbody></table></div>\n");
    let said: Vec<String> = c.metrics.iter().map(|m| m.said.clone()).collect();
    list(out, "said", said.iter());
    match (decode_hist(&c.baseline_histogram), decode_hist(&c.candidate_histogram)) {
        (Ok(a), Ok(b)) => figure(
            out,
            &charts::spectrum(&[("baseline", &a, charts::BLUE), ("candidate", &b, charts::ORANGE)]),
            "Latency of successes by percentile, baseline and candidate, from each side's histogram after the warm-up.",
        ),
        _ => out.push_str("<p class=\"note\">A histogram does not decode; the curves are not drawn.</p>\n"),
    }
    let m = &c.method;
    table(
        out,
        &[
            (
                "intervals",
                format!(
                    "{} baseline, {} candidate, {} s each",
                    m.units_baseline, m.units_candidate, m.unit_s
                ),
            ),
            ("warm-up left out", format!("{} s", m.warmup_s)),
            (
                "confidence",
                format!(
                    "{}%",
                    crate::compare::tolerance::percent_label(m.confidence)
                ),
            ),
            ("replication", m.replication.clone()),
            ("seed", m.seed.clone()),
        ],
    );
    out.push_str("</section>\n");
}

fn canary(out: &mut String, c: &CanaryResult) {
    out.push_str("<section>\n<h2>Canary samples</h2>\n");
    let points: Vec<(Option<f64>, bool)> = c.samples.iter().map(|s| (s.latency_ms, s.ok)).collect();
    let p95 = c.p95_ms.map_or("-".into(), |p| format!("{p:.2} ms"));
    figure(
        out,
        &charts::samples(&points),
        &format!(
            "Each sample's latency in order: {} of {} ok (green), the rest not (vermillion; no response is drawn at 0). p95 {p95} (nearest rank).",
            c.oks, c.count
        ),
    );
    out.push_str("</section>\n");
}

fn seconds_since(start: &str, at: &str) -> f64 {
    let parse = |t: &str| chrono::DateTime::parse_from_rfc3339(t).ok();
    match (parse(start), parse(at)) {
        (Some(s), Some(a)) => (a - s).num_milliseconds() as f64 / 1000.0,
        _ => 0.0,
    }
}

fn ramp_plan(out: &mut String, p: &crate::ramp::PlanSummary, state: Option<&str>) {
    let secs = |s: f64| {
        humantime::format_duration(std::time::Duration::from_secs_f64(s.max(0.0))).to_string()
    };
    let steps: Vec<String> = p
        .steps
        .iter()
        .map(|s| format!("{}% for {}", s.weight, humantime::format_duration(s.hold)))
        .collect();
    let limits = match (p.failure_limit, p.consecutive_failures) {
        (Some(n), _) => format!(
            "{n} failing {} a step",
            if n == 1 { "window ends" } else { "windows end" }
        ),
        (None, Some(n)) => format!("{n} failing windows in a row end a step"),
        (None, None) => "no failure limit".into(),
    };
    let mut rows = vec![
        ("steps", steps.join(" → ")),
        (
            "windows",
            format!(
                "every {} after a {} warm-up · {} req/s over {} connections · judged by {}",
                secs(p.interval_s),
                secs(p.warmup_s),
                p.window_rate_rps,
                p.window_concurrency,
                p.slos.join(", ")
            ),
        ),
        (
            "pre-gate",
            p.pre_gate_slos
                .as_ref()
                .map_or("skipped (--skip-pre)".into(), |s| {
                    format!("a stress run judged by {}", s.join(", "))
                }),
        ),
        (
            "service metrics",
            match (&p.metrics_url, &p.baseline_metrics_url) {
                (Some(c), Some(b)) => format!("{c}, compared with the baseline's {b}"),
                (Some(c), None) => c.clone(),
                _ => "not scraped".into(),
            },
        ),
        (
            "windows load",
            match (&p.canary_url, &p.baseline_url) {
                (Some(c), Some(b)) => format!("the canary {c} and, at once, the baseline {b}: a regression against it fails a window"),
                (Some(c), None) => format!("the canary {c} directly"),
                _ => "the ramp's URL (through the traffic split)".into(),
            },
        ),
        ("set weight", p.set_weight.clone()),
        ("rollback", p.rollback.clone()),
        (
            "on a failing step",
            match p.on_fail {
                crate::ramp::OnFail::Rollback => "roll back".to_string(),
                crate::ramp::OnFail::Pause => "pause for approve or abort".into(),
            },
        ),
        (
            "limits",
            format!(
                "{limits}; more than {} windows not judged stop the ramp",
                p.error_limit
            ),
        ),
        (
            "commands",
            format!(
                "{} {} · {} event {} · each bounded by {}",
                p.guards.len(),
                if p.guards.len() == 1 {
                    "guard"
                } else {
                    "guards"
                },
                p.on_event_hooks,
                if p.on_event_hooks == 1 {
                    "hook"
                } else {
                    "hooks"
                },
                secs(p.command_timeout_s)
            ),
        ),
    ];
    if !p.pause_before.is_empty() {
        let gates: Vec<String> = p.pause_before.iter().map(|w| format!("{w}%")).collect();
        rows.push(("approval before", gates.join(", ")));
    }
    for g in &p.guards {
        rows.push(("guard", g.clone()));
    }
    if let Some(s) = state {
        rows.push(("journal", s.to_string()));
    }
    table(out, &rows);
}

/// The windows compared with a baseline (the synthetic samples', else the services'
/// metrics'), as the versus chart draws them: p95 with the interval of the difference.
fn versus_points(windows: &[crate::ramp::window::WindowRecord]) -> Vec<charts::Versus> {
    let mut last_step = None;
    windows
        .iter()
        .filter_map(|w| {
            let c = w.comparison.as_ref().or(w.metrics_comparison.as_ref())?;
            let m = c.metrics.iter().find(|m| m.metric == "p95")?;
            let (b, e) = (m.baseline?, m.effect.as_ref()?);
            let band: f64 = m
                .tolerance
                .trim_start_matches('+')
                .trim_end_matches('%')
                .trim_end_matches("ms")
                .trim()
                .parse()
                .ok()?;
            let at = |x: f64| {
                if e.unit == "%" {
                    b * (1.0 + x / 100.0)
                } else {
                    b + x
                }
            };
            let step = (last_step != Some(w.step)).then_some(w.weight);
            last_step = Some(w.step);
            Some(charts::Versus {
                baseline_ms: b,
                canary_ms: m.candidate?,
                low_ms: at(e.low).max(0.0),
                high_ms: at(e.high),
                allowed_ms: at(band),
                step,
            })
        })
        .collect()
}

/// A workload's requests, each its own percentile curve on one chart.
fn endpoint_curves(out: &mut String, r: &StressReport) {
    const COLORS: [plotters::style::RGBColor; 6] = [
        charts::BLUE,
        charts::ORANGE,
        charts::GREEN,
        charts::VERMILLION,
        charts::SKY,
        charts::PURPLE,
    ];
    let decoded: Vec<(&str, crate::measure::Hist)> = r
        .body
        .results
        .endpoints
        .iter()
        .filter_map(|e| {
            Some((
                e.name.as_str(),
                decode_hist(&e.results.histograms.success).ok()?,
            ))
        })
        .filter(|(_, h)| !h.is_empty())
        .take(COLORS.len())
        .collect();
    if decoded.is_empty() {
        return;
    }
    let lines: Vec<_> = decoded
        .iter()
        .zip(COLORS)
        .map(|((name, h), c)| (*name, h, c))
        .collect();
    let more = r.body.results.endpoints.len().saturating_sub(COLORS.len());
    let caption = if more > 0 {
        format!("Latency by percentile of each request (the first {} of the workload; {more} more in the table), from their own histograms.", COLORS.len())
    } else {
        "Latency by percentile of each request of the workload, from their own histograms."
            .to_string()
    };
    figure(out, &charts::spectrum(&lines), &caption);
}

/// A capacity search: each step's percentile curve on one chart (wrk2's overlay), the
/// knee (latency against achieved throughput, the maximum marked), and the steps.
fn capacity(out: &mut String, c: &crate::capacity::CapacityRun) {
    use crate::capacity::StepOutcome;
    out.push_str("<section>\n<h2>Capacity</h2>\n");
    let _ = writeln!(out, "<p>{}</p>", escape(&c.said));
    let decoded: Vec<(String, crate::measure::Hist, StepOutcome)> = c
        .steps
        .iter()
        .filter_map(|s| {
            let h = decode_hist(&s.histogram).ok().filter(|h| !h.is_empty())?;
            Some((s.label(), h, s.outcome))
        })
        .collect();
    let lines: Vec<_> = decoded
        .iter()
        .map(|(name, h, o)| {
            let color = match o {
                StepOutcome::Pass => charts::GREEN,
                StepOutcome::Fail => charts::VERMILLION,
                StepOutcome::Invalid => charts::GREY,
            };
            (name.as_str(), h, color)
        })
        .collect();
    // The percentile SLOs, as points each curve must pass below.
    let requirement = charts::Requirement {
        points: c
            .slos
            .iter()
            .filter_map(|s| crate::slo::Slo::parse(s).ok())
            .filter(|s| s.scope.is_none())
            .filter_map(|s| match s.metric {
                crate::slo::Metric::Percentile(p) => Some((p, s.threshold)),
                _ => None,
            })
            .collect(),
        log_latency: true,
    };
    if !lines.is_empty() {
        figure(
            out,
            &charts::spectrum_with(&lines, &requirement),
            "Each step's latency by percentile after its warm-up, on a log latency scale (green passed, vermillion failed, grey invalid); each cross is a percentile SLO, which a passing curve stays below: the maximum is the highest rate whose whole curve does.",
        );
    }
    let points: Vec<(f64, Option<f64>, Option<f64>, bool)> = c
        .steps
        .iter()
        .filter(|s| s.outcome != StepOutcome::Invalid)
        .map(|s| {
            (
                s.achieved_rps,
                s.p50_ms,
                s.p99_ms,
                s.outcome == StepOutcome::Pass,
            )
        })
        .collect();
    if !points.is_empty() {
        figure(
            out,
            &charts::knee(&points, c.found.as_ref().map(|f| f.max_rps)),
            "The knee: p50 and p99 against the throughput each step achieved; the dashed line is the maximum found.",
        );
    }
    if let Some(fit) = &c.usl {
        figure(
            out,
            &charts::usl(
                &fit.points,
                (fit.sigma, fit.kappa, fit.lambda),
                fit.peak_concurrency.zip(fit.peak_rps),
            ),
            &format!(
                "Throughput against connections: each step measured (dots) and the Universal Scalability Law fitted to them (line; σ {:.4}, κ {:.6}, λ {:.1} req/s){}. {}",
                fit.sigma,
                fit.kappa,
                fit.lambda,
                if fit.peak_concurrency.is_some() { ", the predicted peak dashed" } else { "" },
                fit.said
            ),
        );
    }
    let rows: Vec<(String, String)> = c
        .steps
        .iter()
        .map(|s| {
            (
                s.label(),
                format!(
                    "{}: {}{}",
                    s.outcome.as_str(),
                    super::text::capacity_step_numbers(s),
                    s.why.as_ref().map_or(String::new(), |w| format!(" · {w}"))
                ),
            )
        })
        .collect();
    out.push_str("<h3>Steps</h3>\n");
    let rows: Vec<(&str, String)> = rows.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    table(out, &rows);
    out.push_str("</section>\n");
}

fn ramp(out: &mut String, r: &RampReport) {
    // Events carry milliseconds; the envelope only seconds.
    let start = r
        .body
        .timeline
        .first()
        .map_or(r.envelope.started_at.as_str(), |e| e.at.as_str());
    let mut marks = Vec::new();
    let mut lines = Vec::new();
    for e in &r.body.timeline {
        let t = seconds_since(start, &e.at);
        let line = match &e.kind {
            EventKind::Started { revision, resumed } => {
                if *resumed {
                    marks.push(RampMark::Resumed(t));
                }
                format!(
                    "{} revision {}",
                    if *resumed { "RESUMED" } else { "started" },
                    revision.as_deref().unwrap_or("(none given)")
                )
            }
            EventKind::PreGate {
                outcome,
                skipped,
                requests,
                ..
            } => {
                if *skipped {
                    "pre-gate skipped".into()
                } else {
                    format!("pre-gate {} over {requests} requests", outcome.as_str())
                }
            }
            EventKind::StepStarted {
                step,
                weight,
                set_weight,
                ..
            } => {
                marks.push(RampMark::Weight(t, *weight));
                let ok = if set_weight.ok() { "ok" } else { "FAILED" };
                format!("step {}: weight {weight}% (set-weight {ok})", step + 1)
            }
            EventKind::Window(w) => {
                let passed = match w.verdict {
                    WindowVerdict::Pass => Some(true),
                    WindowVerdict::Fail => Some(false),
                    WindowVerdict::Inconclusive | WindowVerdict::Error => None,
                };
                marks.push(RampMark::Window(t, w.weight, passed));
                let why = if w.reasons.is_empty() {
                    String::new()
                } else {
                    format!(": {}", w.reasons.join("; "))
                };
                format!(
                    "step {} window {} at {}%: {}{why}",
                    w.step + 1,
                    w.window,
                    w.weight,
                    w.verdict.as_str()
                )
            }
            EventKind::Promoted {
                step,
                weight,
                passing_windows,
            } => {
                format!(
                    "step {} at {weight}% promoted after {passing_windows} passing windows",
                    step + 1
                )
            }
            EventKind::Paused {
                step,
                weight,
                why,
                pause,
            } => {
                format!(
                    "paused (pause {pause}) at step {} ({weight}%): {why}",
                    step + 1
                )
            }
            EventKind::Approved { step, pause } => {
                format!("pause {pause} approved at step {}", step + 1)
            }
            EventKind::Aborted { step, during } => format!(
                "aborted by golive ramp abort while {during}{}",
                step.map_or(String::new(), |s| format!(" (step {})", s + 1))
            ),
            EventKind::RollingBack { weight, why, .. } => format!(
                "rolling back ({}): {why}",
                weight.map_or_else(|| "no weight set yet".into(), |w| format!("at {w}%"))
            ),
            EventKind::RolledBack {
                weight, rollback, ..
            } => {
                marks.push(RampMark::RolledBack(t));
                format!(
                    "rolled back to 0% from {}% (the rollback command exited {})",
                    weight.unwrap_or(0),
                    rollback.exit_code.unwrap_or(0)
                )
            }
            EventKind::RollbackFailed {
                weight, rollback, ..
            } => format!(
                "ROLLBACK COMMAND FAILED ({}): traffic may still be at {}%",
                rollback.describe(),
                weight.unwrap_or(0)
            ),
            EventKind::Interrupted { step, weight } => {
                marks.push(RampMark::Interrupted(t));
                format!(
                    "INTERRUPTED at {} (the weight is {weight}); a resumed ramp goes on from here",
                    step.map_or("the pre-gate".into(), |s| format!("step {}", s + 1))
                )
            }
            EventKind::JournalFailed { why } => format!("the journal could not be written: {why}"),
            EventKind::Finished { outcome, why } => format!("finished {}: {why}", outcome.as_str()),
        };
        lines.push((t, line));
    }
    let end = r
        .body
        .timeline
        .last()
        .map_or(0.0, |e| seconds_since(start, &e.at));
    out.push_str("<section>\n<h2>Ramp</h2>\n");
    figure(
        out,
        &charts::ramp(&marks, end),
        "Traffic weight over time; each window a dot on its step (green pass, vermillion fail, grey inconclusive or error); a solid vertical line marks a rollback (the action), dashed ones an interruption and the resume.",
    );
    let versus = versus_points(&r.body.windows());
    if !versus.is_empty() {
        figure(
            out,
            &charts::versus(&versus, "p95"),
            "The canary against its baseline, window by window: each release's p95 over the step's windows so far (blue the baseline, orange the canary), the bar the interval of the canary's given the baseline's at the look's spent confidence, the dash the most the tolerance allows.",
        );
    }
    if let Some(p) = &r.body.plan {
        out.push_str("<h3>Plan</h3>\n");
        ramp_plan(out, p, r.body.state_file.as_deref());
    }
    out.push_str("<h3>Timeline</h3>\n<ol class=\"timeline\">");
    for (t, line) in lines {
        let _ = write!(
            out,
            "<li><span class=\"t\">{t:.1} s</span> {}</li>",
            escape(&line)
        );
    }
    out.push_str("</ol>\n</section>\n");
}

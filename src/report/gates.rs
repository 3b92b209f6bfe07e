//! Human renderings of gate results: the seed's tests.txt, canary lines, probes,
//! smoke lines. Artifacts (tests.txt) are plain text; console lines may carry styles.

use std::fmt::Write;

use super::paint;
use crate::gates::canary::{CanaryResult, Sample};
use crate::gates::probes::ProbesResult;
use crate::gates::stage4::Stage4Summary;

fn mark(ok: bool) -> &'static str {
    if ok {
        "✅"
    } else {
        "❌"
    }
}

fn ms2(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.2}ms"))
}

/// One canary sample, as printed while the canary runs.
pub fn canary_sample(i: usize, s: &Sample) -> String {
    let code = s.code.map_or("---".into(), |c| c.to_string());
    let latency = s.latency_ms.map_or("-".into(), |l| format!("{l:.2} ms"));
    let verdict = match (&s.ok, &s.error, &s.note) {
        (true, _, Some(note)) => format!("ok ({note})"),
        (true, _, None) => "ok".into(),
        (false, Some(why), _) => format!("FAIL: {why}"),
        (false, None, _) => "FAIL".into(),
    };
    format!("  {:>3}  {code:>3}  {latency:>11}  {verdict}", i + 1)
}

pub fn canary_summary(r: &CanaryResult) -> String {
    let mut out = format!(
        "\n  {}/{} samples ok · p95 {} (nearest rank)\n",
        r.oks,
        r.count,
        ms2(r.p95_ms)
    );
    for v in &r.slos {
        let _ = writeln!(out, "{}", super::text::slo_line(v));
    }
    let _ = writeln!(out, "{}", paint::verdict_line(r.verdict));
    out
}

pub fn probes(r: &ProbesResult) -> String {
    let mut out = String::new();
    for p in &r.probes {
        let code = p.status_code.map_or("---".into(), |c| c.to_string());
        let why = p
            .error
            .as_deref()
            .map(|e| format!("  {e}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{} {:<8} {code:>3} {:>10}  {}{why}",
            mark(p.ok),
            p.probe,
            ms2(p.latency_ms),
            p.url
        );
    }
    let _ = writeln!(
        out,
        "{}",
        paint::verdict_line(crate::outcome::Outcome::from_ok(r.ok))
    );
    out
}

/// tests.txt, in the seed's layout, with the reasons behind every ❌ and the advisories.
pub fn stage4_tests_txt(s: &Stage4Summary) -> String {
    let c = &s.checks;
    let mut out = String::new();
    let _ = writeln!(out, "{}", s.stage);
    let _ = writeln!(out, "Timestamp: {}", s.timestamp);
    let _ = writeln!(out, "Base URL: {}", s.base_url);
    if let Some(note) = &s.base_url_note {
        let _ = writeln!(out, "   ({note})");
    }
    out.push('\n');

    let h = &c.health;
    let health = if h.ok {
        format!("PASS ({})", ms2(h.latency_ms))
    } else {
        format!("FAIL ({})", h.error.as_deref().unwrap_or("not ok"))
    };
    let _ = writeln!(out, "{} Health Check: {health}", mark(h.ok));

    let k = &c.canary;
    let mut canary = format!("{}/{} succeed, p95: {}", k.oks, k.count, ms2(k.p95_ms));
    for v in k.slos.iter().filter(|v| !v.pass) {
        let _ = write!(canary, " ({} {})", v.slo, v.outcome.as_str());
    }
    let _ = writeln!(out, "{} Canary Pings: {canary}", mark(k.ok()));

    let r = &c.root_headers;
    let root = match (&r.error, r.csp_present, r.csp_report_only) {
        (Some(e), _, _) => format!("FAIL ({e})"),
        (None, false, _) => "CSP missing".into(),
        (None, true, true) => "CSP present (report-only)".into(),
        (None, true, false) => "CSP present".into(),
    };
    let _ = writeln!(out, "{} Root Headers: {root}", mark(r.ok));

    let mocks_allowed = s.allow_provider_mock;
    let provider_ok = c.provider_issues.is_empty() || mocks_allowed;
    let provider = match (c.provider_issues.len(), mocks_allowed) {
        (0, true) => "OK (mocks allowed)".to_string(),
        (0, false) => "OK".to_string(),
        (n, true) => format!("OK (mocks allowed; {n} issue(s))"),
        (n, false) => format!("FAIL ({n} issue(s))"),
    };
    let _ = writeln!(out, "{} Provider Config: {provider}", mark(provider_ok));
    if let Some(p) = &c.probes {
        let list: Vec<String> = p
            .probes
            .iter()
            .map(|x| {
                format!(
                    "{} {}",
                    x.probe,
                    x.status_code.map_or("---".into(), |c| c.to_string())
                )
            })
            .collect();
        let _ = writeln!(out, "{} Probes: {}", mark(p.ok), list.join(", "));
    }

    for issue in &c.provider_issues {
        let _ = write!(out, "\n   provider: {issue}");
    }
    for f in &r.findings {
        let kind = if r.strict { "finding" } else { "advisory" };
        let _ = write!(
            out,
            "\n   {kind}: {}: {} (fix: {})",
            f.header, f.issue, f.fix
        );
    }
    for (i, sample) in k.samples.iter().enumerate().filter(|(_, s)| !s.ok) {
        let _ = write!(
            out,
            "\n   canary sample {}: {}",
            i + 1,
            sample.error.as_deref().unwrap_or("not ok")
        );
    }
    if !c.provider_issues.is_empty() || !r.findings.is_empty() || k.samples.iter().any(|s| !s.ok) {
        out.push('\n');
    }
    let _ = writeln!(out, "\nStatus: {}", s.status);
    out
}

/// One smoke check, as printed while the run goes.
pub fn smoke_check(c: &crate::gates::smoke::CheckResult) -> String {
    let code = c.status_code.map_or("---".into(), |s| s.to_string());
    let repeat = c
        .repeat_status_code
        .map(|s| format!(" then {s}"))
        .unwrap_or_default();
    let why = c
        .reason
        .as_deref()
        .map(|r| format!("  {r}"))
        .unwrap_or_default();
    format!(
        "{} {:<32} {code}{repeat} {:>10}{why}",
        mark(c.passed()),
        c.check,
        ms2(c.latency_ms)
    )
}

pub fn smoke_summary(r: &crate::gates::smoke::SmokeResults) -> String {
    let rule = if r.zero_5xx {
        format!(" · {} 5xx (zero_5xx)", r.five_xx_count)
    } else {
        format!(" · {} 5xx", r.five_xx_count)
    };
    format!(
        "\n  {}/{} checks passed{rule}\n{}\n",
        r.passed,
        r.total,
        paint::verdict_line(r.status)
    )
}

/// Stage 3 tests.txt.
pub fn stage3_tests_txt(s: &crate::gates::stage3::Stage3Summary) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Stage 3 — Staging Pilot (v0.3.0)");
    let _ = writeln!(out, "Started: {}\nFinished: {}", s.started, s.finished);
    let _ = writeln!(
        out,
        "Base URL: {}\nHealth URL: {}\n",
        s.base_url, s.health_url
    );
    for c in &s.smoke.checks {
        let _ = writeln!(out, "{}", smoke_check(c));
    }
    out.push_str(&stage3_outcome(s));
    out
}

/// The part of tests.txt after the checks: the smoke and gate lines and the status
/// (what the console prints after showing each check live).
pub fn stage3_outcome(s: &crate::gates::stage3::Stage3Summary) -> String {
    let mut out = String::new();
    let passed = s.smoke.checks.iter().filter(|c| c.passed()).count();
    let _ = writeln!(
        out,
        "\n{} Smoke: {passed}/{} passed, {} 5xx",
        mark(s.smoke.status.is_pass()),
        s.smoke.checks.len(),
        s.smoke.five_xx_count
    );
    let gate_ok = s.release_gate_exit_code == Some(0);
    let gate = match (s.release_gate_exit_code, s.release_gate_timed_out) {
        (_, true) => "killed after the timeout".to_string(),
        (Some(code), _) => format!("exit {code}"),
        (None, _) => "did not run".to_string(),
    };
    let _ = writeln!(
        out,
        "{} Release gate (API mode, `{}`): {gate}",
        mark(gate_ok),
        s.release_gate_command
    );
    for f in &s.failures {
        let _ = writeln!(out, "   {f}");
    }
    let _ = writeln!(out, "\nStatus: {}", s.status);
    out
}

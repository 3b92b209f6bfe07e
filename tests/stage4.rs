//! `golive canary`, `stage4`, `probes` and `envcheck` against real loopback servers:
//! verdicts, exit codes and the artifacts read back with the seed's field names.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;
use golive::gates::canary::CanaryResult;
use golive::gates::stage4::Stage4Summary;

/// A target whose /health answers `health` with `status`, and whose / sends `headers`.
fn site(
    status: u16,
    health: &'static str,
    headers: &'static [(&'static str, &'static str)],
) -> TestServer {
    TestServer::start(move |req, _| async move {
        let path = req.uri().path().to_string();
        match path.as_str() {
            "/health" => text(status, health),
            "/" => {
                let mut r = text(200, "<html></html>");
                for (k, v) in headers {
                    r.headers_mut()
                        .insert(*k, hyper::header::HeaderValue::from_static(v));
                }
                r
            }
            "/health/ready" => text(503, r#"{"status":"not ready"}"#),
            p if p.starts_with("/health/") => text(200, r#"{"status":"ok"}"#),
            _ => text(404, ""),
        }
    })
}

const GOOD_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
];

struct Gate {
    run: Run,
    summary: Stage4Summary,
    raw: serde_json::Value,
    tests_txt: String,
}

fn stage4_with(base: &str, extra: &[&str], env: &[(&str, &str)]) -> Gate {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("qa/stage4/v0.4.0");
    let mut cmd: Command = golive();
    cmd.args(["stage4", "--prod-url", base, "--out", out.to_str().unwrap()])
        .args(extra);
    for var in [
        "PROD_URL",
        "EXPECT_LIVE",
        "ALLOW_PROVIDER_MOCK",
        "S4_TIMEOUT",
        "STRIPE_TEST",
        "NOTIFY_MODE",
        "EMAIL_FROM",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = run_with(cmd, Duration::from_secs(60));
    let summary: Stage4Summary = read_json(&out.join("summary.json"));
    let raw: serde_json::Value = read_json(&out.join("summary.json"));
    let tests_txt = std::fs::read_to_string(out.join("tests.txt")).unwrap();
    // Every run leaves its HTML report beside summary.json, with the same verdict.
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    let headline = format!("<h1>{}</h1>", summary.status.as_str());
    assert!(page.contains(&headline), "report.html lacks {headline}");
    Gate {
        run,
        summary,
        raw,
        tests_txt,
    }
}

fn stage4(base: &str, extra: &[&str]) -> Gate {
    stage4_with(base, extra, &[])
}

#[test]
fn a_healthy_target_passes_with_the_seeds_field_names() {
    let s = site(200, r#"{"status":"ok"}"#, GOOD_HEADERS);
    let g = stage4(&s.url(""), &[]);
    assert_eq!(g.run.code, 0, "{}", g.run.stdout);
    assert!(g.summary.passed());
    let raw = &g.raw;
    for key in [
        "stage",
        "timestamp",
        "base_url",
        "health_url",
        "checks",
        "status",
    ] {
        assert!(raw.get(key).is_some(), "summary.json lacks {key}");
    }
    for key in [
        "health",
        "canary",
        "root_headers",
        "provider_config",
        "provider_issues",
    ] {
        assert!(raw["checks"].get(key).is_some(), "checks lacks {key}");
    }
    assert_eq!(raw["stage"], "Stage 4 – Production Go-Live Readiness");
    assert_eq!(
        raw["checks"]["health"]["payload"],
        serde_json::json!({"status": "ok"})
    );
    assert_eq!(raw["checks"]["canary"]["oks"], 5);
    assert_eq!(
        raw["checks"]["canary"]["samples"].as_array().unwrap().len(),
        5
    );
    assert!(raw["checks"]["canary"]["samples"][0].get("code").is_some());
    assert_eq!(raw["checks"]["root_headers"]["csp_present"], true);
    for key in [
        "STRIPE_MODE",
        "STRIPE_SIGNING_SECRET_set",
        "NOTIFY_MODE",
        "EMAIL_FROM_set",
    ] {
        assert!(
            raw["checks"]["provider_config"].get(key).is_some(),
            "provider_config lacks {key}"
        );
    }
    assert!(
        g.tests_txt
            .starts_with("Stage 4 – Production Go-Live Readiness\nTimestamp: "),
        "{}",
        g.tests_txt
    );
    assert!(
        g.tests_txt.contains("✅ Health Check: PASS ("),
        "{}",
        g.tests_txt
    );
    assert!(
        g.tests_txt.contains("✅ Canary Pings: 5/5 succeed, p95: "),
        "{}",
        g.tests_txt
    );
    assert!(g.tests_txt.contains("✅ Root Headers: CSP present"));
    assert!(g
        .tests_txt
        .contains("✅ Provider Config: OK (mocks allowed)"));
    assert!(g.tests_txt.trim_end().ends_with("Status: PASS"));
}

#[test]
fn a_degraded_health_body_fails_the_contract() {
    let s = site(200, r#"{"status":"degraded"}"#, GOOD_HEADERS);
    let g = stage4(&s.url(""), &[]);
    assert_eq!(g.run.code, 1);
    assert_eq!(
        g.summary.checks.health.error.as_deref(),
        Some("status 'degraded' is not ok")
    );
    assert_eq!(g.summary.checks.canary.oks, 0);
    assert!(
        g.tests_txt
            .contains("❌ Health Check: FAIL (status 'degraded' is not ok)"),
        "{}",
        g.tests_txt
    );
    assert!(g.tests_txt.contains("Status: FAIL"));
}

#[test]
fn http_500_and_non_json_bodies_fail_with_reasons() {
    let s = site(500, r#"{"status":"ok"}"#, GOOD_HEADERS);
    let g = stage4(&s.url(""), &[]);
    assert!(!g.summary.passed());
    assert_eq!(g.summary.checks.health.status_code, Some(500));
    assert!(g
        .summary
        .checks
        .health
        .error
        .as_deref()
        .unwrap()
        .contains("HTTP 500"));

    let s = site(200, "OK", GOOD_HEADERS);
    let g = stage4(&s.url(""), &[]);
    assert!(!g.summary.passed());
    let why = g.summary.checks.canary.samples[0].error.clone().unwrap();
    assert!(why.starts_with("body is not JSON: 'OK'"), "{why}");
}

#[test]
fn csp_missing_fails_report_only_passes_with_an_advisory_and_unsafe_inline_is_found() {
    let s = site(200, r#"{"status":"ok"}"#, &[]);
    let g = stage4(&s.url(""), &[]);
    assert!(!g.summary.checks.root_headers.ok && !g.summary.passed());
    assert!(
        g.tests_txt.contains("❌ Root Headers: CSP missing"),
        "{}",
        g.tests_txt
    );

    let s = site(
        200,
        r#"{"status":"ok"}"#,
        &[("content-security-policy-report-only", "default-src 'self'")],
    );
    let g = stage4(&s.url(""), &[]);
    assert!(g.summary.passed(), "{}", g.tests_txt);
    assert!(g.summary.checks.root_headers.csp_report_only);
    assert!(g
        .summary
        .checks
        .root_headers
        .findings
        .iter()
        .any(|f| f.issue.contains("report-only")));
    assert!(
        g.tests_txt
            .contains("advisory: Content-Security-Policy-Report-Only"),
        "{}",
        g.tests_txt
    );
    let strict = stage4(&s.url(""), &["--strict-headers"]);
    assert!(
        !strict.summary.passed(),
        "findings fail the gate with --strict-headers"
    );

    let s = site(
        200,
        r#"{"status":"ok"}"#,
        &[(
            "content-security-policy",
            "default-src 'self'; script-src 'self' 'unsafe-inline'",
        )],
    );
    let g = stage4(&s.url(""), &[]);
    let findings = &g.summary.checks.root_headers.findings;
    assert!(
        findings
            .iter()
            .any(|f| f.issue.contains("script-src allows 'unsafe-inline'") && !f.fix.is_empty()),
        "{findings:?}"
    );
}

#[test]
fn expect_live_with_mock_providers_fails_unless_mocks_are_allowed() {
    let s = site(200, r#"{"status":"ok"}"#, GOOD_HEADERS);
    let g = stage4_with(&s.url(""), &[], &[("EXPECT_LIVE", "1")]);
    assert_eq!(g.run.code, 1);
    assert_eq!(g.summary.checks.provider_issues.len(), 4);
    assert!(
        g.tests_txt
            .contains("❌ Provider Config: FAIL (4 issue(s))"),
        "{}",
        g.tests_txt
    );

    let g = stage4_with(
        &s.url(""),
        &[],
        &[("EXPECT_LIVE", "1"), ("ALLOW_PROVIDER_MOCK", "1")],
    );
    assert_eq!(g.run.code, 0, "{}", g.tests_txt);
    assert_eq!(
        g.summary.checks.provider_issues.len(),
        4,
        "issues are still listed"
    );

    let live = [
        ("EXPECT_LIVE", "1"),
        ("STRIPE_TEST", "0"),
        ("STRIPE_SIGNING_SECRET", "whsec_x"),
        ("NOTIFY_MODE", "resend"),
        ("EMAIL_FROM", "a@b.test"),
    ];
    assert_eq!(stage4_with(&s.url(""), &[], &live).run.code, 0);
}

#[test]
fn secret_values_never_reach_artifacts_or_output() {
    let s = site(200, r#"{"status":"ok"}"#, GOOD_HEADERS);
    let secret = "whsec_DO_NOT_LEAK_4f9a8b";
    let g = stage4_with(
        &s.url(""),
        &[],
        &[
            ("STRIPE_SIGNING_SECRET", secret),
            ("EMAIL_FROM", "ops@example.test"),
        ],
    );
    assert_eq!(
        g.raw["checks"]["provider_config"]["STRIPE_SIGNING_SECRET_set"],
        true
    );
    for (what, text) in [
        ("summary.json", g.raw.to_string()),
        ("tests.txt", g.tests_txt.clone()),
        ("stdout", g.run.stdout.clone()),
        ("stderr", g.run.stderr.clone()),
    ] {
        assert!(!text.contains(secret), "secret leaked into {what}");
        assert!(
            !text.contains("ops@example.test"),
            "EMAIL_FROM value leaked into {what}"
        );
    }
}

#[test]
fn an_unreachable_target_is_a_fail_with_reasons_not_a_crash() {
    let g = stage4(&format!("http://{}", closed_port()), &[]);
    assert_eq!(g.run.code, 1);
    assert_eq!(
        g.summary.checks.health.error.as_deref(),
        Some("connection refused")
    );
    assert!(g
        .summary
        .failures
        .iter()
        .any(|f| f.starts_with("health: connection refused")));
    assert!(
        g.tests_txt
            .contains("❌ Health Check: FAIL (connection refused)"),
        "{}",
        g.tests_txt
    );
}

#[test]
fn probes_report_a_failing_readiness_endpoint() {
    let s = site(200, r#"{"status":"ok"}"#, GOOD_HEADERS);
    let r = run(&["probes", &s.url("")]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.contains("❌ ready"), "{}", r.stdout);
    assert!(r.stdout.contains("✅ live"), "{}", r.stdout);
    let g = stage4(&s.url(""), &["--probes"]);
    assert!(!g.summary.passed());
    assert!(
        g.summary
            .failures
            .iter()
            .any(|f| f == "probes: ready failed"),
        "{:?}",
        g.summary.failures
    );
}

fn canary(args: &[&str]) -> (Run, CanaryResult) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("canary.json");
    let mut all = vec!["canary", "--json", out.to_str().unwrap()];
    all.extend_from_slice(args);
    let r = run(&all);
    let result = read_json(&out);
    (r, result)
}

#[test]
fn canary_reports_every_sample_and_the_p95() {
    let s = site(200, r#"{"healthy":true}"#, GOOD_HEADERS);
    let (r, c) = canary(&[&s.url("/health"), "--count", "4", "--delay", "10ms"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!((c.oks, c.count, c.samples.len()), (4, 4, 4));
    let slowest = c
        .samples
        .iter()
        .filter_map(|s| s.latency_ms)
        .fold(0.0, f64::max);
    assert_eq!(
        c.p95_ms,
        Some(slowest),
        "nearest-rank p95 of 4 samples is the slowest"
    );
    assert_eq!(
        r.stdout.lines().filter(|l| l.contains(" 200 ")).count(),
        4,
        "{}",
        r.stdout
    );
}

#[test]
fn a_slow_health_endpoint_fails_the_p95_slo() {
    let s = TestServer::start(|_, _| async {
        tokio::time::sleep(Duration::from_millis(1200)).await;
        text(200, r#"{"status":"ok"}"#)
    });
    let (r, c) = canary(&[&s.url("/health"), "--count", "2", "--delay", "0s"]);
    assert_eq!(r.code, 1);
    assert_eq!(c.oks, 2, "every sample was healthy, just slow");
    assert!(c.p95_ms.unwrap() >= 1200.0);
    assert!(!c.slos[0].pass);
}

#[test]
fn canary_finds_its_url_in_the_environment_and_probes_on_an_interval() {
    let s = site(200, r#"{"status":"ok"}"#, GOOD_HEADERS);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("c.json");
    let mut cmd = golive();
    cmd.args([
        "canary",
        "--interval",
        "100ms",
        "--for",
        "500ms",
        "--json",
        out.to_str().unwrap(),
    ])
    .env("PROD_URL", s.url("/"));
    let r = run_with(cmd, Duration::from_secs(30));
    let c: CanaryResult = read_json(&out);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(c.count, 5, "one sample every 100 ms for 500 ms");
    assert!(c.url.ends_with("/health"), "{}", c.url);
}

#[test]
fn envcheck_finds_missing_variables_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let example = dir.path().join(".env.example");
    std::fs::write(
        &example,
        "DATABASE_URL=\nAPI_SECRET_KEY=\nGOLIVE_TEST_MISSING_VAR=\n# optional\nSENTRY_DSN=\n",
    )
    .unwrap();
    let mut cmd = golive();
    cmd.args(["envcheck", "--example"])
        .arg(&example)
        .env("DATABASE_URL", "postgres://app:hunter2@db:5432/app")
        .env("API_SECRET_KEY", "sk_live_SECRET_VALUE");
    let r = run_with(cmd, Duration::from_secs(20));
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains("❌ GOLIVE_TEST_MISSING_VAR=(unset)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("API_SECRET_KEY=set (20 chars)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("postgres://app:****@db:5432/app"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("SENTRY_DSN=(unset)  (optional)"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("hunter2") && !r.stdout.contains("sk_live_SECRET_VALUE"));
    let bad = run(&["envcheck", "--example", "/nonexistent/.env.example"]);
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stderr.lines().count(), 1);
}

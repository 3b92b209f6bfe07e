//! `golive stress` against real loopback servers: counts, statuses, latency, the open
//! model's coordinated-omission correction, SLO verdicts and exit codes.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use golive::gates::stress::StressReport;

#[test]
fn counts_and_status_codes_are_exact() {
    let server = TestServer::start(|_, _| async { text(200, "ok") });
    let (run, report) = stress_json(&[&server.url("/"), "-n", "500", "-c", "8", "--threads", "2"]);
    let r = &report.body.results;
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        (r.requests_sent, r.responses, r.successes, r.errors_total),
        (500, 500, 500, 0)
    );
    assert_eq!(r.status_codes.get("200"), Some(&500));
    assert_eq!(r.bytes_read, 1000);
    assert_eq!(r.latency.count, 500);
    assert_eq!(
        server.requests.load(Ordering::SeqCst),
        500,
        "the server saw exactly what was reported"
    );
    assert_eq!(r.timeline.iter().map(|s| s.responses).sum::<u64>(), 500);
    assert_eq!(report.body.settings.model, "closed");
    assert_eq!(report.body.settings.threads, 2);
    assert_eq!(report.outcome(), golive::outcome::Outcome::Pass);
    assert!(run.stdout.contains("verdict: PASS"), "{}", run.stdout);
}

#[test]
fn one_in_ten_server_errors_gives_matching_5xx_count_and_success_rate() {
    let server = TestServer::start(|_, n| async move {
        if n % 10 == 9 {
            text(500, "boom")
        } else {
            text(200, "ok")
        }
    });
    let (run, report) = stress_json(&[&server.url("/"), "-n", "1000", "-c", "4"]);
    let r = &report.body.results;
    assert_eq!(r.status_5xx, 100);
    assert_eq!(r.success_rate_pct, Some(90.0));
    assert_eq!(
        r.failed_latency.count, 100,
        "failed responses are kept apart"
    );
    assert_eq!(r.latency.count, 900);
    assert_eq!(run.code, 1, "default SLOs fail");
    let failed: Vec<_> = report
        .body
        .slos
        .iter()
        .filter(|v| !v.pass)
        .map(|v| v.slo.as_str())
        .collect();
    assert_eq!(failed, ["success>99%", "5xx==0"]);
}

#[test]
fn injected_latency_shows_in_the_median() {
    let server = TestServer::start(|_, _| async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        text(200, "ok")
    });
    let (_, report) = stress_json(&[&server.url("/"), "-n", "40", "-c", "4"]);
    let p50 = report.body.results.latency.p50_ms.unwrap();
    // Loose bounds: the point is that the 20 ms shows, not how precisely on a shared box.
    assert!((20.0..500.0).contains(&p50), "p50 {p50} ms");
}

#[test]
fn open_model_corrects_for_a_stalled_server() {
    // Requests arriving from 1.0 s to 2.0 s after the first are held until 2.0 s.
    let first = Arc::new(std::sync::OnceLock::<Instant>::new());
    let server = TestServer::start(move |_, _| {
        let first = first.clone();
        async move {
            let t0 = *first.get_or_init(Instant::now);
            let (from, until) = (t0 + Duration::from_secs(1), t0 + Duration::from_secs(2));
            let now = Instant::now();
            if now >= from && now < until {
                tokio::time::sleep_until(until.into()).await;
            }
            text(200, "ok")
        }
    });
    let (_, report) = stress_json(&[
        &server.url("/"),
        "--rate",
        "200",
        "-d",
        "3s",
        "-c",
        "2",
        "--slo",
        "p99<100ms",
    ]);
    let r = &report.body.results;
    let corrected = r.latency.p99_ms.unwrap();
    let service = r.service_latency.as_ref().unwrap().p99_ms.unwrap();
    let schedule = r.schedule.as_ref().unwrap();
    assert!(
        corrected >= 300.0,
        "corrected p99 {corrected} ms should show the 1 s stall"
    );
    assert!(
        service < 300.0,
        "service-time p99 {service} ms hides it (only 2 requests were stalled)"
    );
    assert!(
        schedule.late_sends > 50,
        "sends queued behind the stall: {schedule:?}"
    );
    assert_eq!(report.body.settings.model, "open");
    // Fail, or inconclusive when a busy test machine made the generator itself lag.
    assert_ne!(report.outcome(), golive::outcome::Outcome::Pass);
}

#[test]
fn abort_on_fail_stops_once_the_5xx_budget_is_spent() {
    let server = TestServer::start(|_, _| async { text(503, "down") });
    let (run, report) = stress_json(&[
        &server.url("/"),
        "-n",
        "1000000",
        "-d",
        "20s",
        "-c",
        "2",
        "--abort-on-fail",
        "--slo",
        "5xx==0",
    ]);
    assert_eq!(run.code, 1);
    assert_eq!(
        report.body.stopped_early.as_deref(),
        Some("5xx==0 can no longer hold")
    );
    assert!(report.body.results.requests_sent < 1_000_000);
    assert!(run.stdout.contains("stopped early"), "{}", run.stdout);
}

#[test]
fn too_few_samples_for_the_percentile_is_inconclusive() {
    let server = TestServer::start(|_, _| async { text(200, "ok") });
    let (run, report) = stress_json(&[&server.url("/"), "-n", "10", "-c", "1", "--slo", "p99<1s"]);
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(report.outcome(), golive::outcome::Outcome::Inconclusive);
    assert!(report.body.slos[0]
        .reason
        .as_deref()
        .unwrap()
        .contains("at least 100"));
}

#[test]
fn seed_environment_fallbacks_drive_the_run_and_the_token_stays_secret() {
    let seen = Arc::new(AtomicU64::new(0));
    let seen_by_server = seen.clone();
    let server = TestServer::start(move |req, _| {
        let ok = req
            .headers()
            .get("authorization")
            .is_some_and(|v| v == "Bearer s3cr3t-jwt-value");
        if ok {
            seen_by_server.fetch_add(1, Ordering::SeqCst);
        }
        async move { text(if ok { 200 } else { 401 }, "") }
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("stress-results.json");
    let mut cmd = golive();
    cmd.args(["stress", "--no-progress"])
        .env("API_BASE", server.url("/v1/parts"))
        .env("TEST_JWT", "s3cr3t-jwt-value")
        .env("CONCURRENCY", "3")
        .env("REQUESTS", "30")
        .env("OUTPUT_JSON", &json);
    let run = run_with(cmd, Duration::from_secs(60));
    assert_eq!(
        seen.load(Ordering::SeqCst),
        30,
        "every request carried the bearer token"
    );
    let raw = std::fs::read_to_string(&json).unwrap();
    let report: StressReport = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        (
            report.body.settings.concurrency,
            report.body.settings.requests
        ),
        (3, Some(30))
    );
    assert!(report
        .body
        .settings
        .headers
        .contains(&"authorization".to_string()));
    for (what, text) in [
        ("JSON", &raw),
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
    ] {
        assert!(
            !text.contains("s3cr3t-jwt-value"),
            "token leaked into {what}"
        );
    }
}

#[test]
fn header_values_expand_from_the_environment() {
    let server = TestServer::start(|req, _| {
        let ok = req
            .headers()
            .get("x-api-key")
            .is_some_and(|v| v == "key-from-env");
        async move { text(if ok { 200 } else { 403 }, "") }
    });
    let mut cmd = golive();
    cmd.args([
        "stress",
        &server.url("/"),
        "-n",
        "5",
        "-c",
        "1",
        "--slo",
        "success==100%",
        "-H",
        "X-Api-Key: ${GOLIVE_TEST_KEY}",
    ])
    .env("GOLIVE_TEST_KEY", "key-from-env");
    let run = run_with(cmd, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn post_bodies_are_sent() {
    let server = TestServer::start(|req, _| async move {
        use http_body_util::BodyExt;
        let method_ok = req.method() == hyper::Method::POST;
        let body = req.into_body().collect().await.unwrap().to_bytes();
        text(
            if method_ok && body.as_ref() == b"{\"a\":1}" {
                201
            } else {
                400
            },
            "",
        )
    });
    let run = run(&[
        "stress",
        &server.url("/items"),
        "-X",
        "post",
        "--body",
        "{\"a\":1}",
        "-n",
        "5",
        "-c",
        "1",
        "--slo",
        "success==100%",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
}

#[test]
fn http2_prior_knowledge_works() {
    let server = TestServer::start(|req, _| {
        let h2 = req.version() == hyper::Version::HTTP_2;
        async move { text(if h2 { 200 } else { 505 }, "") }
    });
    let (run, report) = stress_json(&[
        &server.url("/"),
        "--http2",
        "-n",
        "50",
        "-c",
        "2",
        "--slo",
        "success==100%",
    ]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(report.body.settings.http2);
}

#[test]
fn json_logs_are_one_object_per_line() {
    let server = TestServer::start(|_, _| async { text(200, "ok") });
    let run = run(&[
        "stress",
        &server.url("/"),
        "-n",
        "5",
        "-c",
        "1",
        "--log-format",
        "json",
        "--slo",
        "errors==0",
    ]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(!lines.is_empty(), "json logs include lifecycle events");
    for line in lines {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            v.get("level").is_some() && v.get("message").is_some(),
            "{line}"
        );
    }
}

#[test]
fn interrupt_still_prints_and_writes_what_was_measured() {
    let server = TestServer::start(|_, _| async {
        tokio::time::sleep(Duration::from_millis(2)).await;
        text(200, "ok")
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("partial.json");
    let mut cmd = golive();
    cmd.args([
        "stress",
        &server.url("/"),
        "-d",
        "30s",
        "-c",
        "2",
        "--no-progress",
        "--json",
    ])
    .arg(&json);
    let child = cmd.spawn().unwrap();
    // Wait until the server has seen traffic, then interrupt.
    interrupt_when(&child, || server.requests.load(Ordering::SeqCst) >= 20);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let report: StressReport = read_json(&json);
    assert!(report.envelope.interrupted);
    assert!(report.body.results.responses >= 20);
    assert!(String::from_utf8_lossy(&out.stdout).contains("interrupted"));
}

#[test]
fn saved_runs_merge_exactly() {
    let fast = TestServer::start(|_, _| async { text(200, "ok") });
    let slow = TestServer::start(|_, _| async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        text(200, "ok")
    });
    let (_, a) = stress_json(&[&fast.url("/"), "-n", "300", "-c", "3"]);
    let (_, b) = stress_json(&[&slow.url("/"), "-n", "100", "-c", "5"]);
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb, out) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("m.json"),
    );
    std::fs::write(&pa, serde_json::to_vec(&a).unwrap()).unwrap();
    std::fs::write(&pb, serde_json::to_vec(&b).unwrap()).unwrap();
    let run = run(&[
        "merge",
        pa.to_str().unwrap(),
        pb.to_str().unwrap(),
        "--slo",
        "p50<10ms",
        "--json",
        out.to_str().unwrap(),
    ]);
    let m: StressReport = read_json(&out);
    assert_eq!(m.body.results.responses, 400);
    assert_eq!(m.body.results.latency.count, 400);
    assert_eq!(m.body.settings.concurrency, 8);
    // A quarter of the samples are slow: the merged p90 is slow, the p50 is not; an
    // average of the two runs' p50s would be neither.
    assert!(
        m.body.results.latency.p90_ms.unwrap() >= 30.0,
        "{:?}",
        m.body.results.latency
    );
    assert!(
        m.body.results.latency.p50_ms.unwrap() < a.body.results.latency.p99_ms.unwrap().max(10.0)
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    let bad = run_with(
        {
            let mut c = golive();
            c.args(["merge", "/nonexistent.json"]);
            c
        },
        Duration::from_secs(20),
    );
    assert_eq!(bad.code, 2);
    assert_eq!(bad.stderr.lines().count(), 1);
}

//! `golive compare` and `stress --baseline` against two real servers on loopback: the
//! baseline and the candidate are loaded at the same time, so the machine's load
//! falls on both alike, and the verdicts are read back from the JSON.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::*;
use golive::compare::{Change, CompareReport};

/// A server that answers every request after `delay(n)` (n counts its requests).
fn sleeper(delay: fn(u64) -> u64) -> TestServer {
    TestServer::start(move |_req, n| async move {
        tokio::time::sleep(Duration::from_millis(delay(n))).await;
        text(200, "ok")
    })
}

/// One pair of runs at a time in this file: the verdicts are about the servers, and
/// four generators sharing two cores would make the numbers about the machine.
static LOAD: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Loads both servers at once with one plan, each into its own `--json` file.
fn run_pair(base: &TestServer, cand: &TestServer, load: &[&str], dir: &Path) -> (PathBuf, PathBuf) {
    let _one_at_a_time = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    let spawn = |server: &TestServer, name: &str| {
        let path = dir.join(name);
        let mut cmd = golive();
        cmd.args([
            "stress",
            &server.url("/"),
            "--no-progress",
            "--slo",
            "p50<10s",
        ]);
        cmd.args(load);
        cmd.args(["--json", path.to_str().unwrap()]);
        (
            std::thread::spawn(move || run_with(cmd, Duration::from_secs(60))),
            path,
        )
    };
    let (a, pa) = spawn(base, "baseline.json");
    let (b, pb) = spawn(cand, "candidate.json");
    for run in [a.join().unwrap(), b.join().unwrap()] {
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }
    (pa, pb)
}

fn compare(a: &Path, b: &Path, extra: &[&str], dir: &Path) -> (Run, CompareReport) {
    let out = dir.join("compare.json");
    let mut args = vec!["compare", a.to_str().unwrap(), b.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(["--json", out.to_str().unwrap()]);
    let run = run(&args);
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let doc = read_json(&out);
    (run, doc)
}

fn metric<'a>(doc: &'a CompareReport, name: &str) -> &'a golive::compare::MetricResult {
    let c = &doc.body.comparison;
    c.metrics
        .iter()
        .find(|m| m.metric == name)
        .unwrap_or_else(|| panic!("no {name} in {c:#?}"))
}

#[test]
fn identical_targets_are_the_same() {
    let (a, b) = (sleeper(|_| 20), sleeper(|_| 20));
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = run_pair(
        &a,
        &b,
        &["--rate", "300", "-d", "10s", "-c", "30"],
        dir.path(),
    );
    // The typical request, its shape and the error rates: on a 2-core machine running
    // both generators and both servers, the tail of a 20 ms sleep (p95 at 31 ms in a
    // bad second) is the scheduler's, and its clustered interval honestly spans
    // -50% to +100%: inconclusive, which says nothing about the servers.
    let (run, doc) = compare(&pa, &pb, &["--percentiles", "50"], dir.path());
    let c = &doc.body.comparison;
    assert_eq!(c.change, Change::Same, "{}\n{c:#?}", run.stdout);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(c.method.units_baseline >= 9, "{:?}", c.method);
    // Two server instances may differ by a fraction of a percent; the band absorbs it.
    let shift = metric(&doc, "shift");
    let e = shift.effect.as_ref().unwrap();
    assert!(
        e.low > -5.0 && e.high < 5.0,
        "the shift's interval is inside ±5%: {e:?}"
    );
    assert!(
        run.stdout.contains("within the +5% allowed"),
        "{}",
        run.stdout
    );
}

#[test]
fn twenty_ms_more_on_every_request_is_a_regression_whose_interval_excludes_zero() {
    let (a, b) = (sleeper(|_| 5), sleeper(|_| 25));
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = run_pair(
        &a,
        &b,
        &["--rate", "100", "-d", "6s", "-c", "10"],
        dir.path(),
    );
    let (run, doc) = compare(&pa, &pb, &["--tolerance", "shift:+5ms"], dir.path());
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(doc.body.comparison.change, Change::Regressed);
    let shift = metric(&doc, "shift");
    assert_eq!(shift.change, Change::Regressed);
    let e = shift.effect.as_ref().unwrap();
    assert_eq!(e.unit, "ms");
    assert!(
        e.low > 15.0 && e.high < 25.0 && e.low <= e.estimate,
        "{e:?}"
    );
    assert!(shift.p_value.unwrap() < 0.001, "{shift:?}");
    assert!(
        run.stdout.contains("slower") && run.stdout.contains("beyond the +5 ms allowed"),
        "{}",
        run.stdout
    );
    // A failing comparison reads as a failure in JUnit too: one testcase per metric.
    let xml = dir.path().join("compare.xml");
    let report = dir.path().join("compare.html");
    let again = common::run(&[
        "compare",
        pa.to_str().unwrap(),
        pb.to_str().unwrap(),
        "--junit",
        xml.to_str().unwrap(),
        "--report",
        report.to_str().unwrap(),
    ]);
    assert_eq!(again.code, 1);
    let junit = junit_counts(&xml);
    assert_eq!(junit.tests, doc.body.comparison.metrics.len(), "{junit:?}");
    assert!(junit.failures >= 1, "{junit:?}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("Candidate against baseline") && html.contains("<svg"));
}

#[test]
fn a_heavier_tail_with_the_same_median_is_caught_by_the_shape_test() {
    // One request in ten takes 50 ms longer: the median does not move.
    let (a, b) = (
        sleeper(|_| 10),
        sleeper(|n| if n % 10 == 0 { 60 } else { 10 }),
    );
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = run_pair(
        &a,
        &b,
        &["--rate", "600", "-d", "12s", "-c", "60"],
        dir.path(),
    );
    let (run, doc) = compare(&pa, &pb, &[], dir.path());
    assert_eq!(run.code, 1, "{}", run.stdout);
    let shape = metric(&doc, "shape");
    assert_eq!(shape.change, Change::Regressed, "{}", run.stdout);
    let e = shape.effect.as_ref().unwrap();
    assert!(
        e.estimate > 7.0 && e.estimate < 13.0,
        "about a tenth of requests: {e:?}"
    );
    let p50 = metric(&doc, "p50");
    assert_ne!(p50.change, Change::Regressed, "{}", run.stdout);
}

#[test]
fn ten_samples_are_inconclusive_and_say_how_many_are_needed() {
    let (a, b) = (sleeper(|_| 1), sleeper(|_| 1));
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb) = run_pair(&a, &b, &["-n", "10", "-c", "1"], dir.path());
    let (run, doc) = compare(&pa, &pb, &[], dir.path());
    assert_eq!(run.code, 3, "{}", run.stdout);
    assert_eq!(doc.body.comparison.change, Change::Inconclusive);
    assert!(
        doc.body
            .comparison
            .said
            .contains("needs at least 5 intervals of 1 s a side"),
        "{}",
        doc.body.comparison.said
    );
    assert!(
        run.stdout.contains("verdict: INCONCLUSIVE"),
        "{}",
        run.stdout
    );
}

#[test]
fn different_plans_are_refused_unless_forced() {
    let _one_at_a_time = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    let server = sleeper(|_| 1);
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one.json"), dir.path().join("two.json"));
    for (path, rate) in [(&one, "100"), (&two, "200")] {
        let r = run(&[
            "stress",
            &server.url("/"),
            "--rate",
            rate,
            "-d",
            "1s",
            "--no-progress",
            "--json",
            path.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    let refused = run(&["compare", one.to_str().unwrap(), two.to_str().unwrap()]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("rate: 100 req/s vs 200 req/s")
            && refused.stderr.contains("--force"),
        "{}",
        refused.stderr
    );
    let (forced, doc) = compare(&one, &two, &["--force"], dir.path());
    assert!(forced.code == 0 || forced.code == 3, "{}", forced.stdout);
    assert!(
        doc.body
            .comparison
            .notes
            .iter()
            .any(|n| n.contains("rate: 100 req/s vs 200 req/s")),
        "{:?}",
        doc.body.comparison.notes
    );

    // stress --baseline refuses a different plan before any traffic moves.
    let before = server.requests.load(std::sync::atomic::Ordering::SeqCst);
    let r = run(&[
        "stress",
        &server.url("/"),
        "--rate",
        "300",
        "-d",
        "1s",
        "--no-progress",
        "--baseline",
        one.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(
        server.requests.load(std::sync::atomic::Ordering::SeqCst),
        before,
        "no request was sent"
    );
    // And comparison flags need a baseline.
    let r = run(&[
        "stress",
        &server.url("/"),
        "-n",
        "1",
        "--tolerance",
        "p99:+5%",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn stress_with_a_baseline_fails_a_slower_release() {
    let _one_at_a_time = LOAD.lock().unwrap_or_else(|e| e.into_inner());
    let (fast, slow) = (sleeper(|_| 2), sleeper(|_| 22));
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("base.json");
    let plan = ["--rate", "100", "-d", "6s", "-c", "10"];
    let mut args = vec!["stress", "--no-progress", "--json", base.to_str().unwrap()];
    let fast_url = fast.url("/");
    args.push(&fast_url);
    args.extend(plan);
    assert_eq!(run(&args).code, 0);
    let slow_url = slow.url("/");
    let mut args = vec!["--baseline", base.to_str().unwrap(), &slow_url];
    args.extend(plan);
    let (run, doc) = stress_json(&args);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let against = doc
        .body
        .baseline
        .as_ref()
        .expect("the comparison is in the result");
    assert_eq!(against.comparison.change, Change::Regressed);
    assert!(
        doc.body
            .slos
            .iter()
            .all(|v| v.outcome == golive::outcome::Outcome::Pass),
        "the SLOs held; the baseline failed it"
    );
    assert!(
        doc.body
            .outcome_reasons
            .iter()
            .any(|r| r.contains("REGRESSED")),
        "{:?}",
        doc.body.outcome_reasons
    );
    assert!(
        run.stdout.contains("against the baseline"),
        "{}",
        run.stdout
    );
    // Two servers are two hosts: said, not refused.
    assert!(
        against
            .comparison
            .notes
            .iter()
            .any(|n| n.starts_with("different hosts")),
        "{:?}",
        against.comparison.notes
    );
}

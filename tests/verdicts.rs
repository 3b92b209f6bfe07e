//! Verdicts a busy runner cannot flip, and a CLI that behaves in pipes and CI:
//! generator lag injected deterministically (GOLIVE_TEST_INJECT_LAG stalls the load
//! thread before every Nth ticket, as a starved CPU would), status lines when stderr
//! is not a terminal, NO_COLOR, completions.

mod common;

use std::time::Duration;

use common::*;
use golive::gates::stress::StressReport;
use golive::outcome::Outcome;

fn lagged_stress(url: &str, lag: &str, slo: &str, dir: &std::path::Path) -> (Run, StressReport) {
    let json = dir.join(format!("{}.json", slo.replace(['<', '>', '%'], "_")));
    let mut cmd = golive();
    cmd.env("GOLIVE_TEST_INJECT_LAG", lag).args([
        "stress",
        url,
        "--rate",
        "200",
        "-d",
        "1s",
        "-c",
        "4",
        "--threads",
        "1",
        "--slo",
        slo,
        "--json",
        json.to_str().unwrap(),
    ]);
    let run = run_with(cmd, Duration::from_secs(60));
    let report = read_json(&json);
    (run, report)
}

#[test]
fn generator_lag_does_not_flip_a_verdict_with_a_wide_margin() {
    let fast = TestServer::start(|_, _| async { text(200, "ok") });
    let slow = TestServer::start(|_, _| async {
        tokio::time::sleep(Duration::from_millis(120)).await;
        text(200, "ok")
    });
    let dir = tempfile::tempdir().unwrap();
    // Every 10th ticket the generator stalls 40 ms: 10% of sends late by golive alone.
    let lag = "10:40ms";
    let (run, pass) = lagged_stress(&fast.url("/"), lag, "p95<500ms", dir.path());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let sched = pass.body.results.schedule.as_ref().unwrap();
    assert!(sched.late_wakeups > 5, "the lag was injected: {sched:?}");
    assert!(
        pass.body
            .warnings
            .iter()
            .any(|w| w.contains("golive itself")),
        "{:?}",
        pass.body.warnings
    );
    assert!(
        !pass
            .body
            .warnings
            .iter()
            .any(|w| w.contains("busy with an earlier")),
        "a fast server is not blamed: {:?}",
        pass.body.warnings
    );
    // A server that misses the SLO by far fails, lag or not.
    let (run, fail) = lagged_stress(&slow.url("/"), lag, "p95<50ms", dir.path());
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(fail.outcome(), Outcome::Fail);
}

#[test]
fn piped_runs_print_a_status_line_at_each_interval() {
    let server = TestServer::start(|_, _| async { text(200, "ok") });
    let run = run(&[
        "stress",
        &server.url("/"),
        "--rate",
        "100",
        "-d",
        "1500ms",
        "-c",
        "2",
        "--status-interval",
        "500ms",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("golive: ") && l.contains("req/s"))
        .collect();
    assert!(lines.len() >= 2, "{}", run.stderr);
    assert!(
        lines[0].contains("p99") && lines[0].contains("5xx"),
        "{}",
        lines[0]
    );
}

#[test]
fn colour_only_when_asked_and_never_under_no_color() {
    let server = TestServer::start(|_, _| async { text(200, "ok") });
    let args = ["stress", &server.url("/"), "-n", "30", "-c", "1"];
    let plain = run(&args);
    assert!(
        !plain.stdout.contains('\x1b'),
        "piped output has no escapes"
    );
    let mut forced = golive();
    forced.args(args).arg("--color").arg("always");
    let forced = run_with(forced, Duration::from_secs(30));
    assert!(forced.stdout.contains("\x1b["), "{}", forced.stdout);
    let mut no_color = golive();
    no_color.env("NO_COLOR", "1").args(args);
    let no_color = run_with(no_color, Duration::from_secs(30));
    assert!(!no_color.stdout.contains('\x1b'), "{}", no_color.stdout);
}

#[test]
fn completions_generate_for_each_shell_and_the_man_page_renders() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let run = run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains("stress"), "{shell}");
    }
    let man = run(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.contains(".TH golive"),
        "{}",
        &man.stdout[..200.min(man.stdout.len())]
    );
}

#[test]
fn stage4_names_the_default_it_used() {
    let out = tempfile::tempdir().unwrap();
    let run = run(&[
        "stage4",
        "--out",
        out.path().to_str().unwrap(),
        "--timeout",
        "1s",
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("PROD_URL is not set"), "{}", run.stdout);
}

#[test]
fn a_health_body_over_the_limit_is_said_to_be_too_large() {
    let server = TestServer::start(|_, _| async {
        let body: &'static str = Box::leak(
            format!("{{\"status\":\"ok\",\"pad\":\"{}\"}}", "x".repeat(2 << 20)).into_boxed_str(),
        );
        text(200, body)
    });
    let run = run(&["canary", &server.url("/health"), "--count", "1"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(run.stdout.contains("larger than 1 MiB"), "{}", run.stdout);
}

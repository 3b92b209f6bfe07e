//! `golive ramp` against the embedded target on loopback: the hooks record their
//! calls in a temp file, the target is turned bad through its admin endpoint (from
//! the set-weight command itself, so the step is exact), and every run is bounded.

mod common;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use golive::ramp::window::WindowVerdict;
use golive::ramp::{EventKind, RampReport, RampState};
use golive::serve::{BackgroundServer, HealthMode, ServeOptions};

const ADMIN_TOKEN: &str = "test-admin-token";

struct Ramp {
    dir: tempfile::TempDir,
    server: BackgroundServer,
}

impl Ramp {
    fn new(opts: ServeOptions) -> Ramp {
        Ramp {
            dir: tempfile::tempdir().unwrap(),
            server: BackgroundServer::start(ServeOptions {
                admin_token: Some(ADMIN_TOKEN.into()),
                ..opts
            })
            .unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.server.addr)
    }

    /// A set-weight command that logs each weight, and from `bad_at` on turns the
    /// target's error rate to 1 (python3's urllib: no curl needed).
    fn set_weight(&self, bad_at: Option<u32>) -> String {
        let log = self.path("weights.log");
        let mut cmd = format!("echo {{weight}} >> '{}'", log.display());
        if let Some(w) = bad_at {
            cmd.push_str(&format!(
                " && if [ {{weight}} -ge {w} ]; then python3 -c \"import urllib.request as u; u.urlopen(u.Request('{}', method='POST', headers={{'X-Golive-Admin': '{ADMIN_TOKEN}'}}))\"; fi",
                self.url("/admin/faults?error_rate=1")
            ));
        }
        cmd
    }

    fn weights(&self) -> Vec<u32> {
        std::fs::read_to_string(self.path("weights.log"))
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect()
    }

    /// The common flags of a short ramp: four steps of `hold`, windows of 500 ms at
    /// 60 req/s (30 samples: enough for p95), no warm-up.
    fn args(&self, hold: &str, set_weight: &str) -> Vec<String> {
        self.args_with_steps(
            &format!("5:{hold},20:{hold},50:{hold},100:{hold}"),
            set_weight,
        )
    }

    fn args_with_steps(&self, steps: &str, set_weight: &str) -> Vec<String> {
        [
            "ramp",
            &self.url("/health"),
            "--steps",
            steps,
            "--interval",
            "500ms",
            "--warmup",
            "0s",
            "--window-rate",
            "60",
            "--set-weight",
            set_weight,
            "--json",
            self.path("ramp.json").to_str().unwrap(),
            "--color",
            "never",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn run(&self, args: &[String], extra: &[&str]) -> Run {
        let mut cmd = golive();
        cmd.args(args).args(extra);
        run_with(cmd, Duration::from_secs(60))
    }

    fn report(&self) -> RampReport {
        read_json(&self.path("ramp.json"))
    }
}

fn rolled_back(report: &RampReport) -> Option<(Option<u32>, String)> {
    report.body.timeline.iter().find_map(|e| match &e.kind {
        EventKind::RolledBack { weight, why, .. } => Some((*weight, why.clone())),
        _ => None,
    })
}

#[test]
fn a_healthy_ramp_sets_each_weight_in_order_and_never_rolls_back() {
    let r = Ramp::new(ServeOptions::default());
    let run = r.run(&r.args("1s", &r.set_weight(None)), &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 20, 50, 100]);
    let report = r.report();
    assert_eq!(report.outcome(), golive::outcome::Outcome::Pass);
    assert!(rolled_back(&report).is_none());
    let promoted = report
        .body
        .timeline
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Promoted { .. }))
        .count();
    assert_eq!(promoted, 4);
    assert!(run.stdout.contains("window 2   PASS"), "{}", run.stdout);
}

#[test]
fn five_xx_at_the_third_step_rolls_back_with_the_evidence() {
    let r = Ramp::new(ServeOptions::default());
    let (junit, page) = (r.path("ramp.xml"), r.path("ramp.html"));
    let evidence = [
        "--skip-pre",
        "--junit",
        junit.to_str().unwrap(),
        "--report",
        page.to_str().unwrap(),
    ];
    let run = r.run(&r.args("1s", &r.set_weight(Some(50))), &evidence);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 20, 50, 0]);
    let report = r.report();
    let (weight, why) = rolled_back(&report).expect("a rollback event");
    assert_eq!(weight, Some(50));
    assert!(why.contains("5xx==0"), "{why}");
    let window = report
        .body
        .timeline
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Window(w) if w.weight == 50 => Some(w.clone()),
            _ => None,
        })
        .unwrap();
    assert!(window.synthetic.status_5xx > 0);
    // JUnit: a testcase per set-weight and per window, and the rollback; every failed
    // window is a failure, and so is the rollback.
    let windows: Vec<_> = report
        .body
        .timeline
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Window(w) => Some(w.verdict),
            _ => None,
        })
        .collect();
    let failed = windows
        .iter()
        .filter(|v| **v == WindowVerdict::Fail)
        .count();
    let c = junit_counts(&junit);
    assert_eq!(c.tests, 3 + windows.len() + 1, "{c:?}");
    assert_eq!(c.failures, failed + 1, "{c:?}");
    let page = std::fs::read_to_string(&page).unwrap();
    assert!(
        page.contains("<h1>FAIL</h1>") && page.contains("rolled back to 0% from 50%"),
        "the page names the rollback"
    );
    assert!(
        run.stdout.contains("ROLLED BACK from 50%"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("SKIPPED (--skip-pre)"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_failing_pre_gate_touches_nothing() {
    let r = Ramp::new(ServeOptions {
        error_rate: 1.0,
        ..ServeOptions::default()
    });
    let run = r.run(&r.args("1s", &r.set_weight(None)), &["-n", "20"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(r.weights().is_empty(), "{:?}", r.weights());
    assert!(r.report().body.why.contains("pre-gate failed"));
}

#[test]
fn a_failing_set_weight_command_rolls_back() {
    let r = Ramp::new(ServeOptions::default());
    let log = r.path("weights.log");
    let cmd = format!(
        "echo {{weight}} >> '{}'; [ {{weight}} -ne 20 ] || {{ echo 'flag table locked' >&2; exit 3; }}",
        log.display()
    );
    let run = r.run(&r.args("1s", &cmd), &["--skip-pre"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 20, 0]);
    assert!(run.stdout.contains("flag table locked"), "{}", run.stdout);
    let (_, why) = rolled_back(&r.report()).unwrap();
    assert!(
        why.contains("set-weight command for 20% failed (exit 3)") && why.contains("5%"),
        "{why}"
    );
}

#[test]
fn a_failing_guard_rolls_back_and_its_output_is_evidence() {
    let r = Ramp::new(ServeOptions::default());
    let guard = "echo 'audit_signature NULL rows: 3'; exit 1";
    let run = r.run(
        &r.args("1s", &r.set_weight(None)),
        &["--skip-pre", "--guard", guard],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 0]);
    let report = r.report();
    let evidence = report
        .body
        .timeline
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Window(w) => w.guards.first().cloned(),
            _ => None,
        })
        .unwrap();
    assert_eq!(evidence.exit_code, Some(1));
    assert!(evidence.output.contains("NULL rows: 3"), "{evidence:?}");
    assert!(run.stdout.contains("NULL rows: 3"), "{}", run.stdout);
}

#[test]
fn metrics_see_5xx_the_synthetic_load_did_not_send() {
    // /health answers 503; the windows load / (200). Real traffic on /health, from a
    // separate client, shows only in the service's own metrics.
    let r = Ramp::new(ServeOptions {
        health: HealthMode::Fail,
        ..ServeOptions::default()
    });
    let stop = Arc::new(AtomicBool::new(false));
    let traffic = {
        let (stop, addr) = (stop.clone(), r.server.addr);
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                if let Ok(mut s) = std::net::TcpStream::connect(addr) {
                    write_all(
                        &mut s,
                        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    );
                    let _ = read_head(&mut s);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    let mut args = r.args("1s", &r.set_weight(None));
    args[1] = r.url("/");
    let metrics = r.url("/metrics");
    let run = r.run(&args, &["--skip-pre", "--metrics", &metrics]);
    stop.store(true, Ordering::Relaxed);
    traffic.join().unwrap();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let report = r.report();
    let window = report.body.windows().remove(0);
    assert_eq!(window.synthetic.status_5xx, 0);
    let service = window.metrics.unwrap();
    assert!(service.status_5xx.unwrap() > 0.0, "{service:?}");
    let (_, why) = rolled_back(&report).unwrap();
    assert!(why.contains("metrics: 5xx==0"), "{why}");
}

#[test]
fn a_ramp_killed_mid_step_resumes_at_the_same_step_and_finishes() {
    let r = Ramp::new(ServeOptions::default());
    let state = r.path("state.json");
    let log = r.path("weights.log");
    let cmd = format!("echo {{weight}} >> '{}'", log.display());
    let steps = "5:500ms,20:3s,50:500ms,100:500ms";
    let args = |extra: &[&str]| {
        let mut a = r.args_with_steps(steps, &cmd);
        a.extend(["--skip-pre", "--state", state.to_str().unwrap()].map(String::from));
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let mut cmd_first = golive();
    cmd_first.args(args(&["--revision", "v2"]));
    let mut child = cmd_first.spawn().unwrap();
    // Kill once step 2 (20%) has judged a window: mid-step, nothing flushed on exit.
    let deadline = Instant::now() + Duration::from_secs(30);
    let mid_step = || {
        golive::ramp::state::read(&state)
            .ok()
            .flatten()
            .is_some_and(|s: RampState| s.step == 1 && s.progress.windows >= 1)
    };
    while !mid_step() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let before: RampState = read_json(&state);
    assert_eq!(before.step, 1, "killed at step 2");

    // Another revision is refused, and runs nothing.
    let other = r.run(&args(&["--resume", "--revision", "v3"]), &[]);
    assert_eq!(other.code, 2, "{}{}", other.stdout, other.stderr);
    assert!(other.stderr.contains("revision v2"), "{}", other.stderr);

    // The plan comes from the state file: --resume and --state are enough.
    let resumed = r.run(
        &[
            "ramp".to_string(),
            "--resume".into(),
            "--state".into(),
            state.display().to_string(),
        ],
        &[],
    );
    assert_eq!(resumed.code, 0, "{}{}", resumed.stdout, resumed.stderr);
    // The current weight is set again, then the ramp goes on from step 2.
    assert_eq!(r.weights(), [5, 20, 20, 50, 100]);
    let after: RampState = read_json(&state);
    assert_eq!(after.phase, golive::ramp::Phase::Promoted);
    assert!(after
        .timeline
        .iter()
        .any(|e| matches!(e.kind, EventKind::Started { resumed: true, .. })));
    let resumed_step = after.timeline.iter().rev().find_map(|e| match &e.kind {
        EventKind::StepStarted {
            step: 1,
            remaining_s,
            ..
        } => Some(*remaining_s),
        _ => None,
    });
    assert!(resumed_step.unwrap() < 3.0, "the remaining hold is shorter");
}

#[test]
fn a_corrupt_or_foreign_state_file_is_refused_and_nothing_runs() {
    let r = Ramp::new(ServeOptions::default());
    let state = r.path("state.json");
    for content in [
        "{ not json",
        r#"{"format": "something-else", "version": 1}"#,
    ] {
        std::fs::write(&state, content).unwrap();
        let run = r.run(
            &r.args("1s", &r.set_weight(None)),
            &["--state", state.to_str().unwrap(), "--skip-pre"],
        );
        assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("not a golive ramp state file"),
            "{}",
            run.stderr
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(r.weights().is_empty());
        assert_eq!(
            std::fs::read_to_string(&state).unwrap(),
            content,
            "left as it was"
        );
    }
}

#[test]
fn dry_run_prints_the_plan_and_runs_no_command() {
    let r = Ramp::new(ServeOptions::default());
    let run = r.run(&r.args("1h", &r.set_weight(None)), &["--dry-run"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    // The pre-gate's time counts in the wait, and is said apart from the steps'.
    let duration = run
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("duration"))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert!(
        duration.contains("at least 4h after the pre-gate's 200 requests"),
        "{duration}"
    );
    assert!(run.stdout.contains("nothing was run"), "{}", run.stdout);
    assert!(r.weights().is_empty());
    assert!(!Path::new(&r.path("ramp.json")).exists());
    // A hold that ends inside a window runs to its end: 2 s holds, a 1 s warm-up and
    // 2 s windows take 3 s a step.
    let mut args = r.args_with_steps("5:2s,100:2s", &r.set_weight(None));
    for (flag, value) in [("--interval", "2s"), ("--warmup", "1s")] {
        let i = args.iter().position(|a| a == flag).unwrap();
        args[i + 1] = value.into();
    }
    let run = r.run(&args, &["--dry-run", "--skip-pre"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("duration    at least 6s when every window passes"),
        "{}",
        run.stdout
    );
}

/// A ramp whose windows of `interval` load a canary `extra` slower than its baseline
/// directly, with `more` flags: its exit and its report.
fn canary_ramp(extra: Duration, steps: &str, interval: &str, more: &[&str]) -> (Run, Ramp) {
    let r = Ramp::new(ServeOptions::default());
    let (stable, canary) = releases(extra);
    let mut args = r.args_with_steps(steps, &r.set_weight(None));
    let i = args.iter().position(|a| a == "--interval").unwrap();
    args[i + 1] = interval.into();
    let (canary_url, stable_url) = (
        format!("http://{}/health", canary.addr),
        format!("http://{}/health", stable.addr),
    );
    let mut extra_args = vec![
        "--skip-pre",
        "--canary",
        &canary_url,
        "--baseline",
        &stable_url,
    ];
    extra_args.extend_from_slice(more);
    let run = r.run(&args, &extra_args);
    (run, r)
}

/// Two embedded targets: the release being replaced, and a canary `extra` slower.
fn releases(extra: Duration) -> (BackgroundServer, BackgroundServer) {
    let start = |latency| {
        BackgroundServer::start(ServeOptions {
            latency,
            ..ServeOptions::default()
        })
        .unwrap()
    };
    (
        start(Duration::from_millis(2)),
        start(Duration::from_millis(2) + extra),
    )
}

#[test]
fn a_canary_300ms_slower_is_rolled_back_in_the_first_window_of_the_5_percent_step() {
    // The front URL stands for the splitter: at 5% it would send the canary a
    // twentieth of the sample. --canary loads the canary itself.
    let (run, r) = canary_ramp(
        Duration::from_millis(300),
        "5:4s,20:4s,100:1s",
        "2s",
        &["--slo", "p95<200ms", "--window-concurrency", "40"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 0]);
    let report = r.report();
    let windows = report.body.windows();
    assert_eq!(windows.len(), 1, "rolled back at the first window");
    assert!(
        windows[0].synthetic.p95_ms.unwrap() > 300.0,
        "the canary's own p95: {:?}",
        windows[0].synthetic
    );
    let (_, why) = rolled_back(&report).unwrap();
    assert!(why.contains("p95<200ms"), "{why}");
}

#[test]
fn a_regression_against_the_baseline_fails_a_window_whose_slos_hold() {
    // 20 ms slower on every request: well inside p95<1000ms, far beyond +5%.
    let (run, r) = canary_ramp(Duration::from_millis(20), "5:6s,100:1s", "6s", &[]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 0]);
    let report = r.report();
    let window = report.body.windows().remove(0);
    assert_eq!(
        window.synthetic.outcome,
        golive::outcome::Outcome::Pass,
        "{:?}",
        window.synthetic
    );
    let c = window.comparison.expect("compared with the baseline");
    assert_eq!(c.change, golive::compare::Change::Regressed, "{}", c.said);
    assert!(
        c.method.confidence > 0.995,
        "the first look is made at a spent confidence: {:?}",
        c.method
    );
    let (_, why) = rolled_back(&report).unwrap();
    assert!(why.contains("baseline: REGRESSED"), "{why}");
}

/// The splitter case end to end: nginx's `split_clients` in front of the release
/// being replaced and a canary 300 ms slower, users' traffic through it, the weight
/// set by rewriting the split and reloading nginx. The default SLOs hold on the canary
/// (p95 under 1000 ms); the canary loaded directly and compared with its baseline is
/// caught in the 5% step's first window, by the synthetic samples and by the two
/// releases' own metrics alike.
#[test]
fn through_an_nginx_splitter_a_canary_300ms_slower_is_caught_at_5_percent_against_its_baseline() {
    let (stable, canary) = releases(Duration::from_millis(300));
    let Some(nginx) = common::nginx::Nginx::start(|port, dir| {
        std::fs::write(
            dir.join("split.conf"),
            "split_clients \"${request_id}\" $release { * stable; }\n",
        )
        .unwrap();
        format!(
            "access_log off;\n  upstream stable {{ server {}; }}\n  upstream canary {{ server {}; }}\n  \
             include {}/split.conf;\n  \
             server {{ listen 127.0.0.1:{port}; location / {{ proxy_pass http://$release; }} }}",
            stable.addr,
            canary.addr,
            dir.display()
        )
    }) else {
        return;
    };
    let r = Ramp::new(ServeOptions::default());
    let script = r.path("set-weight.sh");
    std::fs::write(
        &script,
        format!(
            "set -e\necho \"$1\" >> '{log}'\n\
             if [ \"$1\" -eq 0 ]; then split='* stable;'\n\
             elif [ \"$1\" -ge 100 ]; then split='* canary;'\n\
             else split=\"$1% canary; * stable;\"; fi\n\
             printf 'split_clients \"${{request_id}}\" $release {{ %s }}\\n' \"$split\" > '{conf}'\n\
             {reload}\n",
            log = r.path("weights.log").display(),
            conf = nginx.path("split.conf").display(),
            reload = nginx.reload_cmd()
        ),
    )
    .unwrap();
    // The users: a bounded open-model load through the splitter for the ramp's length.
    let mut users = golive()
        .args([
            &format!("{}/health", nginx.url),
            "--rate",
            "20",
            "--duration",
            "30s",
            "--no-progress",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut args = r.args_with_steps(
        "5:6s,100:1s",
        &format!("sh '{}' {{weight}}", script.display()),
    );
    args[1] = format!("{}/health", nginx.url);
    let i = args.iter().position(|a| a == "--interval").unwrap();
    args[i + 1] = "6s".into();
    let at = |server: &BackgroundServer, path: &str| format!("http://{}{path}", server.addr);
    let run = r.run(
        &args,
        &[
            "--skip-pre",
            "--window-concurrency",
            "40",
            "--canary",
            &at(&canary, "/health"),
            "--baseline",
            &at(&stable, "/health"),
            "--canary-metrics",
            &at(&canary, "/metrics"),
            "--baseline-metrics",
            &at(&stable, "/metrics"),
            "--report",
            r.path("ramp.html").to_str().unwrap(),
        ],
    );
    let _ = users.kill();
    let _ = users.wait();
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(r.weights(), [5, 0]);
    let report = r.report();
    let windows = report.body.windows();
    assert_eq!(windows.len(), 1, "rolled back at the first window");
    let w = &windows[0];
    assert_eq!(w.synthetic.outcome, golive::outcome::Outcome::Pass, "{w:?}");
    let synthetic = w.comparison.as_ref().expect("compared with the baseline");
    assert_eq!(
        synthetic.change,
        golive::compare::Change::Regressed,
        "{}",
        synthetic.said
    );
    let own = w.metrics_comparison.as_ref().expect("metrics compared");
    assert_eq!(
        own.change,
        golive::compare::Change::Regressed,
        "{}",
        own.said
    );
    let p50 = own.metrics.iter().find(|m| m.metric == "p50").unwrap();
    assert!(
        p50.candidate.unwrap() > 250.0 && p50.baseline.unwrap() < 50.0,
        "the services' own p50s: {p50:?}"
    );
    let (_, why) = rolled_back(&report).unwrap();
    assert!(why.contains("baseline: REGRESSED"), "{why}");
    assert!(why.contains("baseline metrics: REGRESSED"), "{why}");
    let page = std::fs::read_to_string(r.path("ramp.html")).unwrap();
    assert!(
        page.contains("The canary against its baseline, window by window"),
        "the report draws the window's canary against its baseline"
    );
}

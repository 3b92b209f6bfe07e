//! `stress --stages`: an open-model rate that changes over the run, on one exact
//! schedule, against the embedded target on loopback.

mod common;

use std::time::Duration;

use common::*;
use golive::serve::{BackgroundServer, ServeOptions};

#[test]
fn a_staged_run_sends_each_stage_its_planned_count() {
    let server = BackgroundServer::start(ServeOptions::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("staged.json");
    let url = format!("http://{}/health", server.addr);
    // Up from 0 to 100 req/s over 2 s (100 requests), hold 2 s (200), up to 300 over
    // 2 s (400): 700 in all.
    let mut cmd = golive();
    cmd.args([
        "stress",
        &url,
        "--stages",
        "100:2s,100:2s,300:2s",
        "-c",
        "20",
    ])
    .args(["--no-progress", "--json", out.to_str().unwrap()]);
    let r = run_with(cmd, Duration::from_secs(30));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report: serde_json::Value = read_json(&out);
    let results = &report["results"];
    assert_eq!(results["requests_sent"], 700, "{results}");
    assert_eq!(results["responses"], 700);
    // Per stage, by completion second: within 2% (and one request) of its plan.
    let per_second: Vec<u64> = results["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["responses"].as_u64().unwrap())
        .collect();
    let stage =
        |from: usize, to: usize| per_second.iter().skip(from).take(to - from).sum::<u64>() as f64;
    for (from, to, planned) in [(0, 2, 100.0), (2, 4, 200.0), (4, 6, 400.0)] {
        let got = stage(from, to);
        assert!(
            (got - planned).abs() <= planned * 0.02 + 1.0,
            "seconds {from}..{to}: {got} against {planned} planned ({per_second:?})"
        );
    }
    assert!(r.stdout.contains("open model, staged"), "{}", r.stdout);
    assert_eq!(report["settings"]["stages"].as_array().unwrap().len(), 3);
}

#[test]
fn bad_stages_are_one_line_and_exit_2_before_any_request() {
    for (stages, said) in [
        ("100", "expected RATE:DURATION"),
        ("0:1s,0:2s", "every stage's rate is 0"),
        ("100:0s", "the duration must be above 0"),
    ] {
        let r = run(&["stress", "http://127.0.0.1:9/", "--stages", stages]);
        assert_eq!(r.code, 2, "{stages}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(said), "{stages}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    }
    let r = run(&[
        "stress",
        "http://127.0.0.1:9/",
        "--stages",
        "100:1s",
        "--rate",
        "5",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

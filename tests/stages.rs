//! `stress --stages`: an open-model rate that changes over the run, on one exact
//! schedule; `--connection-stages`: the closed loop's connections over the run; both
//! against the embedded target on loopback.

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
        ("0:1s,0:2s", "every stage is at 0 requests per second"),
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

#[test]
fn connection_stages_open_connections_up_to_their_peak_and_no_more_work_than_planned() {
    // Every request takes 20 ms: a connection carries at most 50 a second.
    let server = BackgroundServer::start(ServeOptions {
        latency: Duration::from_millis(20),
        ..ServeOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("staged.json");
    let url = format!("http://{}/health", server.addr);
    // 0 → 4 connections over 1 s, 4 for 1 s, 4 → 0 over 1 s: at most 9 connection-
    // seconds (a slot sends while the level is above it), so at most 450 requests.
    let mut cmd = golive();
    cmd.args(["stress", &url, "--connection-stages", "4:1s,4:1s,0:1s"])
        .args([
            "--threads",
            "1",
            "--no-progress",
            "--json",
            out.to_str().unwrap(),
        ]);
    let r = run_with(cmd, Duration::from_secs(30));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report: serde_json::Value = read_json(&out);
    let results = &report["results"];
    let responses = results["responses"].as_u64().unwrap();
    assert!((50..=450).contains(&responses), "{results}");
    assert_eq!(results["generator"]["connections_opened"], 4, "{results}");
    assert_eq!(report["settings"]["concurrency"], 4);
    assert_eq!(
        report["settings"]["connection_stages"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Wall time is the plan's (3 s) and the last requests' tail, not more.
    let wall = results["wall_time_s"].as_f64().unwrap();
    assert!((2.9..10.0).contains(&wall), "{wall}");

    for (stages, said) in [
        ("4", "expected N:DURATION"),
        ("2.5:1s", "whole number"),
        ("0:1s", "every stage is at 0 connections"),
    ] {
        let r = run(&["stress", &url, "--connection-stages", stages]);
        assert_eq!(r.code, 2, "{stages}: {}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(said), "{stages}: {}", r.stderr);
    }
}

#[test]
fn connection_stages_cut_into_shards_add_up_to_the_plan() {
    let server = BackgroundServer::start(ServeOptions {
        latency: Duration::from_millis(20),
        ..ServeOptions::default()
    })
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/health", server.addr);
    // The plan of the one-process test above, cut in two: shard K takes the plan's
    // connection slots K, K+2, ..., so each opens 2 of the 4 and the first slot to
    // open on the way up (slot 0) is shard 0's.
    let start = humantime::format_rfc3339_millis(
        std::time::SystemTime::now() + Duration::from_millis(1500),
    )
    .to_string();
    let outs: Vec<_> = (0..2)
        .map(|k| dir.path().join(format!("s{k}.json")))
        .collect();
    let children: Vec<_> = outs
        .iter()
        .enumerate()
        .map(|(k, out)| {
            let mut cmd = golive();
            cmd.args(["stress", &url, "--connection-stages", "4:1s,4:1s,0:1s"])
                .args(["--shard", &format!("{k}/2"), "--start-at", &start])
                .args(["--threads", "1", "--no-progress", "--slo", "5xx==0"])
                .args(["--json", out.to_str().unwrap()]);
            cmd.stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().expect("golive runs")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let docs: Vec<serde_json::Value> = outs.iter().map(|o| read_json(o)).collect();
    let mut responses = 0;
    for (k, doc) in docs.iter().enumerate() {
        let results = &doc["results"];
        assert_eq!(results["generator"]["connections_opened"], 2, "shard {k}");
        assert_eq!(doc["settings"]["concurrency"], 2, "shard {k}");
        responses += results["responses"].as_u64().unwrap();
    }
    // At most the plan's 9 connection-seconds of 20 ms requests, as one process sends.
    assert!((50..=450).contains(&responses), "{responses}");
    // Shard 0's slots (0 and 2) are open about 3 s and 2 s, shard 1's (1 and 3) about
    // 2.5 s and 1.5 s: the first sends about 5/4 of the second's.
    let (a, b) = (
        docs[0]["results"]["responses"].as_u64().unwrap(),
        docs[1]["results"]["responses"].as_u64().unwrap(),
    );
    assert!(a > b + b / 10, "shard 0 sent {a}, shard 1 {b}");
    let merged = dir.path().join("merged.json");
    let r = run(&[
        "merge",
        outs[0].to_str().unwrap(),
        outs[1].to_str().unwrap(),
        "--json",
        merged.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let merged: serde_json::Value = read_json(&merged);
    assert_eq!(merged["results"]["responses"], responses);
}

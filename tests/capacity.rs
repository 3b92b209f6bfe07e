//! `golive capacity` against a target with a known capacity: the embedded target with
//! 4 workers each taking 2 ms (`serve --workers 4 --service-time 2ms`: 2,000 req/s at
//! most, its latency rising past it). One search at a time: each loads the machine.

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::*;
use golive::serve::{BackgroundServer, Capacity, ServeOptions};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn target() -> BackgroundServer {
    BackgroundServer::start(ServeOptions {
        capacity: Some(Capacity {
            workers: 4,
            service_time: Duration::from_millis(2),
        }),
        ..ServeOptions::default()
    })
    .unwrap()
}

fn capacity(server: &BackgroundServer, extra: &[&str], out: &std::path::Path) -> Run {
    let mut cmd = golive();
    cmd.args(["capacity", &format!("http://{}/health", server.addr)])
        .args(["--slo", "p99<20ms", "--start-rate", "250", "--step", "2s"])
        .args(["--warmup", "500ms", "--repeat", "1", "--max-duration", "2m"])
        .args(["--json", out.to_str().unwrap()])
        .args(extra);
    run_with(cmd, Duration::from_secs(150))
}

#[test]
fn the_maximum_of_a_2000_per_second_target_is_found_within_10_percent() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("capacity.json");
    let r = capacity(&server, &[], &out);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = read_json(&out);
    let found = &doc["found"];
    let max = found["max_rps"].as_f64().unwrap();
    assert!((1800.0..=2200.0).contains(&max), "{max}: {}", r.stdout);
    // The interval holds the truth: it passed at low, failed at high.
    let (low, high) = (
        found["low"].as_f64().unwrap(),
        found["high"].as_f64().unwrap(),
    );
    assert!(
        low <= 2000.0 * 1.05 && high >= 2000.0 * 0.95,
        "[{low}, {high}]"
    );
    assert_eq!(doc["limit"]["kind"], "target");
    assert_eq!(doc["limit"]["binding_slo"], "p99<20ms");
    assert!(found["confirmed"].as_u64().unwrap() >= 2);
    assert!(r.stdout.contains("MAXIMUM"), "{}", r.stdout);
}

#[test]
fn a_starved_generator_says_it_is_the_limit_instead_of_a_maximum() {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let server = target();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("capacity.json");
    // Two connections of ~2 ms each carry at most ~1,000 req/s: half the target's.
    let r = capacity(&server, &["-c", "2", "--threads", "1"], &out);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = read_json(&out);
    assert_eq!(doc["limit"]["kind"], "generator", "{}", doc["limit"]);
    assert!(
        r.stdout.contains("the generator is the limit"),
        "{}",
        r.stdout
    );
    let steps = doc["steps"].as_array().unwrap();
    assert_eq!(steps.last().unwrap()["outcome"], "invalid");
    assert!(
        !steps.iter().any(|s| s["outcome"] == "fail"),
        "no step was failed on the target's account: {}",
        r.stdout
    );
}

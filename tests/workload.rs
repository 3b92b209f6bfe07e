//! `--workload`: a weighted mix of named requests against a hyper server on loopback
//! that counts what it was sent, by path. The mix is exact (closed loop, open model,
//! four shards merged), each request has its own numbers and SLOs, and bad input is
//! refused before any request goes out.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;

/// A server that counts requests by path; `/slow` answers after 30 ms.
struct Counting {
    server: TestServer,
    seen: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl Counting {
    fn start() -> Counting {
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let counts = seen.clone();
        let server = TestServer::start(move |req, _| {
            let path = req.uri().path().to_string();
            *counts.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
            async move {
                if path == "/slow" {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                text(200, "ok")
            }
        });
        Counting { server, seen }
    }

    fn seen(&self) -> BTreeMap<String, u64> {
        self.seen.lock().unwrap().clone()
    }

    fn reset(&self) {
        self.seen.lock().unwrap().clear();
    }
}

/// The 6:3:1 mix of the issue, on the server's origin.
fn mix(dir: &Path, server: &Counting, extra: &str) -> PathBuf {
    let path = dir.join("mix.toml");
    std::fs::write(
        &path,
        format!(
            "base = \"{}\"\n\
             [[request]]\nname = \"list\"\npath = \"/items?page=1\"\nweight = 6\n\
             [[request]]\nname = \"item\"\npath = \"/items/7\"\nweight = 3\n\
             [[request]]\nname = \"order\"\nmethod = \"POST\"\npath = \"/orders\"\n\
             body = '{{\"sku\": \"a\", \"qty\": 1}}'\nweight = 1\n{extra}",
            server.server.url("")
        ),
    )
    .unwrap();
    path
}

fn counts(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["results"]["endpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["results"]["requests_sent"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn exact() -> Vec<(String, u64)> {
    [("list", 600), ("item", 300), ("order", 100)]
        .map(|(n, c)| (n.to_string(), c))
        .to_vec()
}

fn by_path() -> BTreeMap<String, u64> {
    [("/items", 600), ("/items/7", 300), ("/orders", 100)]
        .map(|(p, c)| (p.to_string(), c))
        .into()
}

fn stress(file: &Path, out: &Path, extra: &[&str]) -> Run {
    let mut cmd = golive();
    cmd.args([
        "stress",
        "--workload",
        file.to_str().unwrap(),
        "--no-progress",
    ])
    .args(["--json", out.to_str().unwrap()])
    .args(extra);
    run_with(cmd, Duration::from_secs(60))
}

#[test]
fn a_6_3_1_mix_sends_exactly_600_300_100_closed_open_and_over_4_shards() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = mix(dir.path(), &server, "");
    let out = dir.path().join("r.json");
    for model in [
        &["-n", "1000", "-c", "8"][..],
        &["--rate", "1000", "-n", "1000", "-c", "20"][..],
    ] {
        server.reset();
        let r = stress(&file, &out, model);
        assert_eq!(r.code, 0, "{model:?}: {}{}", r.stdout, r.stderr);
        let report = read_json::<serde_json::Value>(&out);
        assert_eq!(counts(&report), exact(), "{model:?}");
        assert_eq!(server.seen(), by_path(), "{model:?}: what the server got");
        assert!(r.stdout.contains("order"), "{}", r.stdout);
    }

    server.reset();
    let shards: Vec<PathBuf> = (0..4)
        .map(|k| dir.path().join(format!("s{k}.json")))
        .collect();
    for (k, f) in shards.iter().enumerate() {
        let shard = format!("{k}/4");
        let r = stress(&file, f, &["-n", "1000", "-c", "8", "--shard", &shard]);
        assert_eq!(r.code, 0, "shard {k}: {}{}", r.stdout, r.stderr);
    }
    let merged = dir.path().join("merged.json");
    let mut args = vec!["merge".to_string()];
    args.extend(shards.iter().map(|f| f.display().to_string()));
    args.extend(["--json".into(), merged.display().to_string()]);
    let r = run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(counts(&read_json(&merged)), exact(), "merged shards");
    assert_eq!(server.seen(), by_path(), "the four shards together");
}

#[test]
fn a_slow_request_fails_its_own_slo_and_only_its_own() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = mix(
        dir.path(),
        &server,
        "[[request]]\nname = \"slow\"\npath = \"/slow\"\nweight = 1\nslo = [\"p95<20ms\"]\n",
    );
    let out = dir.path().join("r.json");
    let r = stress(
        &file,
        &out,
        &["-n", "220", "-c", "4", "--slo", "list: p95<20ms"],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let report = read_json::<serde_json::Value>(&out);
    let outcome = |slo: &str| {
        report["slos"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["slo"] == slo)
            .unwrap_or_else(|| panic!("{slo} in {}", report["slos"]))["outcome"]
            .clone()
    };
    assert_eq!(outcome("slow: p95<20ms"), "fail");
    assert_eq!(outcome("list: p95<20ms"), "pass");
    assert!(
        r.stdout.contains("slow: p95<20ms") && r.stdout.contains("FAIL"),
        "the report names the request that failed: {}",
        r.stdout
    );
}

#[test]
fn bad_workloads_are_refused_before_any_request() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = mix(dir.path(), &server, "");
    let out = dir.path().join("r.json");
    let r = stress(&file, &out, &["--slo", "checkout: p99<300ms"]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("no request is named 'checkout'"),
        "{}",
        r.stderr
    );

    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "base = \"{}\"\n[[request]]\nname = \"a\"\npath = \"/a\"\nweight = 0\n",
            server.server.url("")
        ),
    )
    .unwrap();
    let r = stress(&bad, &out, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("bad.toml:2: every request has weight 0"),
        "{}",
        r.stderr
    );

    std::fs::write(
        &bad,
        "[[request]]\nname = \"a\"\nurl = \"http://elsewhere.example/a\"\n[[request]]\nname = \"b\"\npath = \"/b\"\n",
    )
    .unwrap();
    let r = stress(&bad, &out, &[&server.server.url("")]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("bad.toml:1: request 'a'") && r.stderr.contains("one origin per run"),
        "{}",
        r.stderr
    );
    assert!(
        server.seen().is_empty(),
        "nothing was sent: {:?}",
        server.seen()
    );
}

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

/// A server that counts requests by path and logs each (method, target, body) in the
/// order they arrived; `/slow` answers after 30 ms, `/gone` 404.
struct Counting {
    server: TestServer,
    seen: Arc<Mutex<BTreeMap<String, u64>>>,
    log: Arc<Mutex<Vec<String>>>,
}

impl Counting {
    fn start() -> Counting {
        use http_body_util::BodyExt;
        let seen = Arc::new(Mutex::new(BTreeMap::new()));
        let log = Arc::new(Mutex::new(Vec::new()));
        let (counts, lines) = (seen.clone(), log.clone());
        let server = TestServer::start(move |req, _| {
            let path = req.uri().path().to_string();
            *counts.lock().unwrap().entry(path.clone()).or_insert(0) += 1;
            let (lines, head) = (lines.clone(), format!("{} {}", req.method(), req.uri()));
            async move {
                let body = req.into_body().collect().await.unwrap().to_bytes();
                lines
                    .lock()
                    .unwrap()
                    .push(format!("{head} {}", String::from_utf8_lossy(&body)));
                if path == "/slow" {
                    tokio::time::sleep(Duration::from_millis(30)).await;
                }
                text(if path == "/gone" { 404 } else { 200 }, "ok")
            }
        });
        Counting { server, seen, log }
    }

    fn log(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }

    fn seen(&self) -> BTreeMap<String, u64> {
        self.seen.lock().unwrap().clone()
    }

    fn reset(&self) {
        self.seen.lock().unwrap().clear();
        self.log.lock().unwrap().clear();
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

    // Data: an unknown placeholder, a column no feeder has, a CSV line too long.
    let data = with_data(dir.path(), &server, "queue");
    let text = std::fs::read_to_string(&data).unwrap();
    for (edit, said) in [
        (
            ("${uuid}", "${uuidd}"),
            "data.toml:2: request 'order': unknown placeholder ${uuidd}",
        ),
        (
            ("${sku}", "${skus.colour}"),
            "feeder 'skus' has no column 'colour'",
        ),
    ] {
        std::fs::write(&data, text.replace(edit.0, edit.1)).unwrap();
        let r = stress(&data, &out, &[]);
        assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
        assert!(r.stderr.contains(said), "{said}: {}", r.stderr);
    }
    std::fs::write(&data, text).unwrap();
    std::fs::write(
        dir.path().join("skus.csv"),
        "sku,price\nSKU-1,10\nSKU-2,20,extra\n",
    )
    .unwrap();
    let r = stress(&data, &out, &[]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("skus.csv:3:"),
        "the CSV's line: {}",
        r.stderr
    );
    assert!(
        server.seen().is_empty(),
        "nothing was sent: {:?}",
        server.seen()
    );
}

/// A workload whose requests read a feeder and every generator.
fn with_data(dir: &Path, server: &Counting, mode: &str) -> PathBuf {
    let rows: String = (1..=50).map(|i| format!("SKU-{i},{}\n", i * 10)).collect();
    std::fs::write(dir.join("skus.csv"), format!("sku,price\n{rows}")).unwrap();
    let path = dir.join("data.toml");
    std::fs::write(
        &path,
        format!(
            "base = \"{}\"\n\
             [[request]]\nname = \"order\"\nmethod = \"POST\"\n\
             path = \"/orders/${{seq}}?page=${{rand_int(1,50)}}&q=${{rand_regex('[a-z]{{6}}')}}\"\n\
             body = '{{\"sku\": \"${{sku}}\", \"price\": ${{price}}, \"id\": \"${{uuid}}\"}}'\n\
             [feeder.skus]\nfile = \"skus.csv\"\nmode = \"{mode}\"\n",
            server.server.url("")
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_queue_feeder_of_50_rows_ends_an_80_request_run_at_50_and_says_why() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = with_data(dir.path(), &server, "queue");
    let out = dir.path().join("r.json");
    let r = stress(&file, &out, &["-n", "80", "-c", "4"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let report = read_json::<serde_json::Value>(&out);
    assert_eq!(report["results"]["requests_sent"], 50);
    assert!(
        report["warnings"]
            .to_string()
            .contains("feeder 'skus' gives each of its 50 rows once"),
        "{}",
        report["warnings"]
    );
    let mut skus: Vec<String> = server
        .log()
        .iter()
        .map(|l| {
            l.split("\"sku\": \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    skus.sort();
    skus.dedup();
    assert_eq!(skus.len(), 50, "every row once: {skus:?}");
}

#[test]
fn the_same_seed_sends_the_same_requests_and_another_seed_others() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = with_data(dir.path(), &server, "random");
    let out = dir.path().join("r.json");
    let mut sent = Vec::new();
    for seed in ["42", "42", "43"] {
        let r = stress(&file, &out, &["-n", "30", "-c", "1", "--seed", seed]);
        assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
        assert_eq!(
            read_json::<serde_json::Value>(&out)["settings"]["workload"]["seed"],
            seed.parse::<u64>().unwrap()
        );
        sent.push(server.log());
    }
    assert_eq!(sent[0].len(), 30);
    assert_eq!(sent[0], sent[1], "seed 42 twice");
    assert_ne!(sent[0], sent[2], "seed 43");
    // Each placeholder was filled: the first request of the plan, as the server saw it.
    let first = &sent[0][0];
    assert!(first.starts_with("POST /orders/0?page="), "{first}");
    assert!(!first.contains("${"), "{first}");
    let id = first
        .split("\"id\": \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(id.len(), 36, "a UUID: {first}");
}

#[test]
fn a_ramp_sends_the_mix_in_its_pre_gate_and_windows_and_rolls_back_on_one_request() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = mix(
        dir.path(),
        &server,
        "[[request]]\nname = \"slow\"\npath = \"/slow\"\nweight = 2\n",
    );
    let out = dir.path().join("ramp.json");
    let mut cmd = golive();
    cmd.args([
        "ramp",
        &server.server.url("/"),
        "--workload",
        file.to_str().unwrap(),
    ])
    .args([
        "--steps",
        "5:2s,100:1s",
        "--interval",
        "1s",
        "--warmup",
        "0s",
    ])
    .args([
        "--window-rate",
        "150",
        "--window-concurrency",
        "10",
        "-n",
        "120",
    ])
    .args(["--set-weight", "true", "--no-progress"])
    .args(["--slo", "slow: p95<20ms", "--json", out.to_str().unwrap()]);
    let r = run_with(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let seen = server.seen();
    for path in ["/items", "/items/7", "/orders", "/slow"] {
        assert!(seen.get(path).is_some_and(|n| *n > 0), "{path}: {seen:?}");
    }
    let report = read_json::<serde_json::Value>(&out);
    let timeline = report["timeline"].to_string();
    assert!(timeline.contains("pre_gate"), "{timeline}");
    assert!(
        timeline.contains("slow: p95<20ms"),
        "the window failed on the slow request's SLO: {timeline}"
    );
}

/// Imports a checked-in sample and returns the workload's text.
fn import(dir: &Path, how: &[&str], sample: &str) -> (String, String) {
    let out = dir.join(format!("{sample}.toml"));
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/workload")
        .join(sample);
    let mut args = vec!["workload"];
    args.extend_from_slice(how);
    args.extend([fixture.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    let r = run(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    (std::fs::read_to_string(&out).unwrap(), r.stderr)
}

#[test]
fn each_importer_turns_its_sample_into_a_workload_that_runs() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let (vegeta, _) = import(dir.path(), &["from-vegeta"], "targets.txt");
    let (har, said) = import(dir.path(), &["from-har"], "checkout.har");
    let (log, _) = import(dir.path(), &["from-log"], "access.log");
    // The recorded bearer token and session cookie are never written; the note says
    // which variables to set.
    assert!(
        !har.contains("fake-recorded-token") && !har.contains("fake-session"),
        "{har}"
    );
    assert!(
        har.contains("Authorization = \"${AUTHORIZATION}\""),
        "{har}"
    );
    assert!(said.contains("set AUTHORIZATION, COOKIE"), "{said}");
    assert!(said.contains("3 static assets"), "{said}");
    assert!(log.contains("path = \"/items/${rand_int(1,"), "{log}");

    for (name, text, expected) in [
        (
            "vegeta",
            &vegeta,
            vec![("/items", 2), ("/items/7", 1), ("/orders", 1)],
        ),
        (
            "har",
            &har,
            vec![("/items", 2), ("/items/7", 1), ("/orders", 1)],
        ),
    ] {
        server.reset();
        let file = dir.path().join(format!("{name}.toml"));
        std::fs::write(&file, text).unwrap();
        let mut cmd = golive();
        cmd.args([
            "stress",
            &server.server.url(""),
            "--workload",
            file.to_str().unwrap(),
        ])
        .args([
            "-n",
            "40",
            "-c",
            "2",
            "--no-progress",
            "--json",
            out.to_str().unwrap(),
        ])
        .env("AUTHORIZATION", "Bearer test")
        .env("COOKIE", "session=test");
        let r = run_with(cmd, Duration::from_secs(30));
        assert_eq!(r.code, 0, "{name}: {}{}", r.stdout, r.stderr);
        let seen = server.seen();
        let want: BTreeMap<String, u64> = expected
            .into_iter()
            .map(|(p, w)| (p.to_string(), w * 10))
            .collect();
        assert_eq!(seen, want, "{name}: weights from the recording");
    }

    server.reset();
    let file = dir.path().join("log.toml");
    std::fs::write(&file, &log).unwrap();
    let r = stress(
        &file,
        &out,
        &[&server.server.url(""), "-n", "99", "-c", "2"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let seen = server.seen();
    assert_eq!(seen.get("/items"), Some(&62), "{seen:?}");
    assert_eq!(seen.get("/orders"), Some(&9), "{seen:?}");
    assert_eq!(seen.values().sum::<u64>(), 99, "{seen:?}");
}

#[test]
fn expect_status_makes_a_request_s_own_successes() {
    let server = Counting::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("expect.toml");
    std::fs::write(
        &file,
        format!(
            "base = \"{}\"\n\
             [[request]]\nname = \"gone\"\npath = \"/gone\"\nexpect_status = [404, 410]\n\
             [[request]]\nname = \"created\"\nmethod = \"POST\"\npath = \"/orders\"\nexpect_status = [201]\n",
            server.server.url("")
        ),
    )
    .unwrap();
    let out = dir.path().join("r.json");
    let r = stress(
        &file,
        &out,
        &[
            "-n",
            "40",
            "-c",
            "2",
            "--slo",
            "gone: success>99%",
            "--slo",
            "created: success>99%",
        ],
    );
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let report = read_json::<serde_json::Value>(&out);
    let results = &report["results"];
    assert_eq!(
        results["successes"], 20,
        "the 404s it expected, not the 200s: {results}"
    );
    let rate = |name: &str| {
        results["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["name"] == name)
            .unwrap()["results"]["success_rate_pct"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((rate("gone"), rate("created")), (100.0, 0.0));
    let outcomes: Vec<(String, String)> = report["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["slo"].as_str().unwrap().into(),
                v["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&("gone: success>99%".into(), "pass".into())),
        "{outcomes:?}"
    );
    assert!(
        outcomes.contains(&("created: success>99%".into(), "fail".into())),
        "{outcomes:?}"
    );
}

//! Every command's JSON validates against its schema in `public/schemas/`, and those
//! files are exactly what the result types generate (GOLIVE_BLESS=1 rewrites them).

mod common;

use std::path::{Path, PathBuf};

use common::*;

fn schema_path(command: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("public/schemas/{command}.schema.json"))
}

#[test]
fn committed_schemas_match_the_result_types() {
    let bless = std::env::var("GOLIVE_BLESS").is_ok_and(|v| v == "1");
    for (command, schema) in golive::schema::all() {
        let want = golive::schema::text(&schema);
        let path = schema_path(command);
        if bless {
            std::fs::write(&path, &want).unwrap();
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run GOLIVE_BLESS=1 cargo test --test schemas",
            path.display()
        );
    }
}

fn validate(command: &str, doc: &serde_json::Value) {
    let schema: serde_json::Value = read_json(&schema_path(command));
    let validator = jsonschema::validator_for(&schema).expect("a valid JSON Schema");
    let errors: Vec<String> = validator
        .iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{command}: {errors:#?}\n{doc:#}");
    assert_eq!(doc["command"], command, "{doc:#}");
    for key in [
        "golive_version",
        "started_at",
        "finished_at",
        "outcome",
        "interrupted",
    ] {
        assert!(doc.get(key).is_some(), "{command}: no {key}");
    }
}

fn json_of(args: &[&str], dir: &Path, name: &str) -> (Run, serde_json::Value) {
    let path = dir.join(name);
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--json", path.to_str().unwrap()]);
    let run = run(&all);
    let doc = read_json(&path);
    (run, doc)
}

#[test]
fn every_commands_json_validates_against_its_schema() {
    let server = TestServer::start(|req, n| async move {
        match req.uri().path() {
            "/health" | "/health/live" | "/health/startup" => text(200, r#"{"status":"ok"}"#),
            "/health/ready" => text(503, r#"{"status":"not ready"}"#),
            _ if n % 7 == 3 => text(500, "oops"),
            _ => text(200, "{}"),
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let base = server.url("");
    let health = server.url("/health");

    let (_, a) = json_of(
        &["stress", &health, "-n", "50", "-c", "2"],
        dir.path(),
        "a.json",
    );
    validate("stress", &a);
    let (_, b) = json_of(
        &["stress", &health, "--rate", "200", "-d", "300ms", "-c", "4"],
        dir.path(),
        "b.json",
    );
    validate("stress", &b);
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    let (_, merged) = json_of(
        &["merge", a.to_str().unwrap(), b.to_str().unwrap()],
        dir.path(),
        "merged.json",
    );
    validate("merge", &merged);
    // Plans differ (closed vs open): compared with --force, too little data.
    let (_, compared) = json_of(
        &[
            "compare",
            a.to_str().unwrap(),
            b.to_str().unwrap(),
            "--force",
        ],
        dir.path(),
        "compare.json",
    );
    validate("compare", &compared);
    let (_, capacity) = json_of(
        &[
            "capacity",
            &health,
            "--start-rate",
            "50",
            "--max-rate",
            "100",
            "--step",
            "1s",
            "--warmup",
            "0s",
            "--repeat",
            "0",
            "--slo",
            "p99<1s",
        ],
        dir.path(),
        "capacity.json",
    );
    validate("capacity", &capacity);
    assert_eq!(capacity["limit"]["kind"], "max_rate", "{capacity}");
    // A card that is a lower bound (--max-rate) against itself cannot settle a change.
    let card = dir.path().join("capacity.json");
    let (r, cards) = json_of(
        &["compare", card.to_str().unwrap(), card.to_str().unwrap()],
        dir.path(),
        "compare-capacity.json",
    );
    validate("compare-capacity", &cards);
    assert_eq!(r.code, 3, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("lower bound"), "{}", r.stdout);
    let (_, canary) = json_of(
        &["canary", &health, "--count", "2", "--delay", "0s"],
        dir.path(),
        "canary.json",
    );
    validate("canary", &canary);
    let (_, probes) = json_of(&["probes", &base], dir.path(), "probes.json");
    validate("probes", &probes);
    let (_, smoke) = json_of(&["smoke", "--base", &base], dir.path(), "smoke.json");
    validate("smoke", &smoke);
    let example = dir.path().join(".env.example");
    std::fs::write(&example, "GOLIVE_SCHEMA_SET=x\nGOLIVE_SCHEMA_UNSET=\n").unwrap();
    let mut cmd = golive();
    let path = dir.path().join("env.json");
    cmd.env("GOLIVE_SCHEMA_SET", "secret-value").args([
        "envcheck",
        "--example",
        example.to_str().unwrap(),
        "--json",
        path.to_str().unwrap(),
    ]);
    run_with(cmd, std::time::Duration::from_secs(30));
    let env: serde_json::Value = read_json(&path);
    validate("envcheck", &env);
    assert!(
        !env.to_string().contains("secret-value"),
        "values are never written"
    );

    let out = dir.path().join("s4");
    run(&[
        "stage4",
        "--prod-url",
        &base,
        "--out",
        out.to_str().unwrap(),
    ]);
    validate("stage4", &read_json(&out.join("summary.json")));

    let root = dir.path().join("project");
    std::fs::create_dir_all(&root).unwrap();
    run(&[
        "stage3",
        "--base",
        &base,
        "--root",
        root.to_str().unwrap(),
        "--gate-cmd",
        "echo gate ran",
    ]);
    let s3 = root.join("qa/stage3/v0.3.0");
    validate("stage3", &read_json(&s3.join("summary.json")));
    validate("smoke", &read_json(&s3.join("smoke_results.json")));

    // A short ramp: one step, two windows, the set-weight command a no-op.
    let (_, ramp) = json_of(
        &[
            "ramp",
            &health,
            "--skip-pre",
            "--steps",
            "100:1s",
            "--interval",
            "500ms",
            "--warmup",
            "0s",
            "--window-rate",
            "60",
            "--set-weight",
            "true",
        ],
        dir.path(),
        "ramp.json",
    );
    validate("ramp", &ramp);
    assert!(ramp["timeline"].as_array().is_some_and(|t| !t.is_empty()));
}

//! The CI snippets parse as YAML and say what they promise; run_and_save.sh keeps the
//! gate's exit code and records the run.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::*;
use yaml_rust2::{Yaml, YamlLoader};

fn load(rel: &str) -> Yaml {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    let mut docs = YamlLoader::load_from_str(&text).unwrap_or_else(|e| panic!("{rel}: {e}"));
    assert_eq!(docs.len(), 1, "{rel}");
    docs.remove(0)
}

fn steps_text(doc: &Yaml) -> String {
    let jobs = doc["jobs"].as_hash().expect("jobs");
    let mut out = String::new();
    for (_, job) in jobs {
        for step in job["steps"].as_vec().expect("steps") {
            out.push_str(step["run"].as_str().unwrap_or(""));
            out.push('\n');
        }
    }
    out
}

#[test]
fn snippets_are_valid_workflows() {
    for rel in [
        "ci/snippets/stage3_pipeline.yml",
        "ci/snippets/stage4_pipeline.yml",
        "ci/snippets/shards_matrix.yml",
        "ci/stage4_gate.yml",
    ] {
        let doc = load(rel);
        assert!(doc["name"].as_str().is_some(), "{rel}: name");
        assert!(!doc["on"].is_badvalue(), "{rel}: on");
        let steps = steps_text(&doc);
        assert!(
            steps.contains("cargo install --locked --path"),
            "{rel} builds golive from source"
        );
        let cache = step_using(&doc, "actions/cache@").unwrap_or_else(|| panic!("{rel}: cache"));
        let key = cache["with"]["key"].as_str().unwrap();
        assert!(
            key.contains("Cargo.lock") && key.contains("src/**"),
            "{rel}: {key}"
        );
        let build = find_step(&doc, |s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("cargo install"))
        })
        .unwrap();
        let id = cache["id"].as_str().unwrap();
        assert!(
            build["if"].as_str().unwrap().contains(id),
            "{rel}: the build is skipped on a cache hit"
        );
    }
}

fn find_step(doc: &Yaml, pred: impl Fn(&Yaml) -> bool) -> Option<Yaml> {
    let jobs = doc["jobs"].as_hash()?;
    jobs.values()
        .flat_map(|job| job["steps"].as_vec().cloned().unwrap_or_default())
        .find(|s| pred(s))
}

fn step_using(doc: &Yaml, action: &str) -> Option<Yaml> {
    find_step(doc, |s| {
        s["uses"].as_str().is_some_and(|u| u.starts_with(action))
    })
}

#[test]
fn the_updated_test_index_leaves_the_runner() {
    let doc = load("ci/snippets/stage4_pipeline.yml");
    assert!(steps_text(&doc).contains("golive index"));
    let upload = step_using(&doc, "actions/upload-artifact@").expect("upload step");
    assert_eq!(upload["if"].as_str(), Some("always()"));
    let paths = upload["with"]["path"].as_str().unwrap();
    assert!(
        paths.lines().any(|l| l.trim() == "public/test2.html"),
        "{paths}"
    );
}

#[test]
fn the_gates_upload_their_report_and_the_junit_file_they_wrote() {
    for (rel, stage) in [
        ("ci/snippets/stage3_pipeline.yml", "stage3"),
        ("ci/snippets/stage4_pipeline.yml", "stage4"),
        ("ci/stage4_gate.yml", "stage4"),
    ] {
        let doc = load(rel);
        let text = steps_text(&doc);
        let flag = format!("golive {stage} --junit ");
        let at = text
            .find(&flag)
            .unwrap_or_else(|| panic!("{rel}: no {flag}"))
            + flag.len();
        let junit = text[at..].split_whitespace().next().unwrap();
        let dir = junit.rsplit_once('/').unwrap().0;
        let upload = step_using(&doc, "actions/upload-artifact@").expect("upload step");
        assert_eq!(upload["if"].as_str(), Some("always()"), "{rel}");
        let paths: Vec<&str> = upload["with"]["path"]
            .as_str()
            .unwrap()
            .lines()
            .map(str::trim)
            .collect();
        for want in [junit.to_string(), format!("{dir}/report.html")] {
            assert!(
                paths.contains(&want.as_str()),
                "{rel}: {want} not uploaded: {paths:?}"
            );
        }
    }
}

#[test]
fn the_matrix_runs_every_shard_once_and_the_merge_judges_them_all() {
    let doc = load("ci/snippets/shards_matrix.yml");
    let shards: usize = doc["env"]["SHARDS"].as_str().unwrap().parse().unwrap();
    let matrix: Vec<i64> = doc["jobs"]["shard"]["strategy"]["matrix"]["shard"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(matrix, (0..shards as i64).collect::<Vec<_>>());
    let shard_job = &doc["jobs"]["shard"];
    assert_eq!(shard_job["strategy"]["fail-fast"].as_bool(), Some(false));
    let run = shard_job["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("golive stress")))
        .unwrap();
    for want in [
        "--shard ${{ matrix.shard }}/$SHARDS",
        "--start-at ${{ needs.plan.outputs.start_at }}",
        "$SLOS",
    ] {
        assert!(run.contains(want), "{want}: {run}");
    }
    let merge = &doc["jobs"]["merge"];
    assert_eq!(merge["needs"].as_str(), Some("shard"));
    assert_eq!(
        merge["if"].as_str(),
        Some("always()"),
        "the merge reports even when a shard failed"
    );
    let merge_run = merge["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("golive merge")))
        .unwrap();
    assert!(
        merge_run.starts_with("golive merge shard-*.json $SLOS"),
        "{merge_run}"
    );
    assert!(
        merge_run.contains("--junit") && merge_run.contains("--report"),
        "{merge_run}"
    );
}

#[test]
fn the_gate_workflow_requires_urls_and_live_providers() {
    let doc = load("ci/stage4_gate.yml");
    let inputs = &doc["on"]["workflow_dispatch"]["inputs"];
    for input in ["base_url", "health_url"] {
        assert_eq!(inputs[input]["required"].as_bool(), Some(true), "{input}");
    }
    let env = &doc["jobs"]["stage4-gate"]["steps"]
        .as_vec()
        .unwrap()
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("golive stage4"))
        })
        .unwrap()["env"];
    assert_eq!(env["EXPECT_LIVE"].as_str(), Some("1"));
    assert_eq!(env["ALLOW_PROVIDER_MOCK"].as_str(), Some("0"));
    assert!(steps_text(&load("ci/snippets/stage3_pipeline.yml")).contains("golive stage3"));
}

#[test]
fn run_and_save_keeps_the_gate_exit_code_and_records_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/run_and_save.sh");
    let run_script = |prod_url: &str| {
        let mut cmd = Command::new("bash");
        cmd.arg(&script)
            .env("GOLIVE_BIN", env!("CARGO_BIN_EXE_golive"))
            .env("PROJECT_ROOT", dir.path())
            .env("PROD_URL", prod_url)
            .env_remove("HEALTH_URL")
            .env_remove("EXPECT_LIVE")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        run_with(cmd, Duration::from_secs(60))
    };
    let down = run_script(&format!("http://{}", closed_port()));
    assert_eq!(down.code, 1, "{}{}", down.stdout, down.stderr);
    assert!(
        down.stdout.contains("== qa/stage4/v0.4.0/summary.json"),
        "{}",
        down.stdout
    );
    let page = std::fs::read_to_string(dir.path().join("public/test2.html")).unwrap();
    assert!(page.contains("(last run: FAIL)"), "{page}");
    assert!(dir.path().join("qa/stage4/v0.4.0/tests.txt").exists());
}

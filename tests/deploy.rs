//! The Kubernetes manifests and the Dockerfile cannot rot: every manifest validates
//! against the Kubernetes schemas (kubernetes-validate, offline; `.ci/run` installs it
//! and sets GOLIVE_REQUIRE_K8S_VALIDATE so it cannot be skipped there), and the golive
//! command lines in them parse and plan as golive itself would read them.

use std::path::{Path, PathBuf};
use std::process::Command;

use clap::Parser;
use golive::cli::{Cli, Command as Sub};
use golive::gates::stress::StressPlan;
use yaml_rust2::{Yaml, YamlLoader};

fn k8s_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/k8s")
}

fn manifests() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(k8s_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn load(name: &str) -> Yaml {
    let text = std::fs::read_to_string(k8s_dir().join(name)).unwrap();
    YamlLoader::load_from_str(&text).unwrap().remove(0)
}

#[test]
fn every_manifest_validates_against_the_kubernetes_schemas() {
    let files = manifests();
    assert!(files.len() >= 4, "{files:?}");
    let validate = || {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "kubernetes_validate"]);
        cmd
    };
    let installed = validate()
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !installed {
        assert!(
            std::env::var_os("GOLIVE_REQUIRE_K8S_VALIDATE").is_none(),
            "kubernetes-validate is missing: python3 -m pip install kubernetes-validate"
        );
        eprintln!("skipped: no kubernetes-validate (python3 -m pip install kubernetes-validate)");
        return;
    }
    let out = validate().arg("--strict").args(&files).output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    assert_eq!(said.matches(" passed ").count(), files.len(), "{said}");
}

/// A container's args with Kubernetes' `$(VAR)` references filled in.
fn args_of(job: &Yaml, vars: &[(&str, &str)]) -> Vec<String> {
    job["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_vec()
        .unwrap()
        .iter()
        .map(|a| {
            let mut a = a.as_str().unwrap().to_string();
            for (k, v) in vars {
                a = a.replace(&format!("$({k})"), v);
            }
            a
        })
        .collect()
}

fn slos(args: &[String]) -> Vec<String> {
    args.windows(2)
        .filter(|w| w[0] == "--slo")
        .map(|w| w[1].clone())
        .collect()
}

#[test]
fn the_jobs_run_golive_command_lines_it_accepts() {
    let plan = load("plan.yaml");
    let target = plan["data"]["TARGET_URL"].as_str().unwrap();
    let start = plan["data"]["START_AT"].as_str().unwrap();
    let shards = load("shards-job.yaml");
    let spec = &shards["spec"];
    assert_eq!(spec["completionMode"].as_str(), Some("Indexed"));
    assert_eq!(
        spec["backoffLimitPerIndex"].as_i64(),
        Some(0),
        "a shard is never retried"
    );
    let n = spec["completions"].as_i64().unwrap();
    assert_eq!(spec["parallelism"].as_i64(), Some(n), "all shards at once");

    let vars = [
        ("TARGET_URL", target),
        ("START_AT", start),
        ("JOB_COMPLETION_INDEX", "3"),
    ];
    let args = args_of(&shards, &vars);
    let auto = format!("auto/{n}");
    assert!(args.contains(&auto), "{args:?}");
    let cli = Cli::try_parse_from(std::iter::once("golive".to_string()).chain(args.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let Sub::Stress(stress) = cli.command else {
        panic!("the shards run golive stress")
    };
    let env = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
    let planned = StressPlan::from_args(&stress, &env).unwrap_or_else(|e| panic!("{e}"));
    let record = planned.shard.expect("a shard");
    assert_eq!((record.index, i64::from(record.count)), (3, n));

    let merge = load("merge-job.yaml");
    let margs = args_of(&merge, &[]);
    let cli = Cli::try_parse_from(std::iter::once("golive".to_string()).chain(margs.clone()))
        .unwrap_or_else(|e| panic!("{e}"));
    let Sub::Merge(m) = cli.command else {
        panic!("the merge runs golive merge")
    };
    let want: Vec<PathBuf> = (0..n)
        .map(|k| PathBuf::from(format!("/results/shard-{k}.json")))
        .collect();
    assert_eq!(m.files, want, "the merge reads every shard's file");
    assert_eq!(
        slos(&margs),
        slos(&args),
        "the merge judges the shards' SLOs"
    );
    assert!(!m.allow_partial);
}

#[test]
fn the_dockerfile_builds_a_static_binary_for_a_non_root_user() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Dockerfile")).unwrap();
    assert!(text.contains("cargo build --release --locked"), "{text}");
    assert!(text.contains("FROM scratch"), "{text}");
    let user = text
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .expect("a USER line");
    let uid: u32 = user.split(':').next().unwrap().trim().parse().unwrap();
    assert!(uid != 0, "non-root");
    // Everything Cargo.toml names must be in the build context the Dockerfile copies.
    for copied in ["Cargo.toml", "Cargo.lock", "src", "benches"] {
        assert!(
            text.contains(&format!("COPY {copied}")) || text.contains(&format!(" {copied} ")),
            "{copied}"
        );
    }
}

//! Stage 3 – Staging Pilot: the smoke checks, then the project's release gate in API
//! mode (HOME_API=1, PYTHONPATH=.), its output captured to files and its run bounded
//! by a timeout after which it is killed with its whole process group. Artifacts go
//! to `qa/stage3/v0.3.0/` in the seed's shape.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use serde::{Deserialize, Serialize};

use super::smoke::{self, CheckResult, SmokePlan, SmokeResults};
use crate::report::{artifact, timestamp};

pub const STAGE: &str = "stage3_v0_3_0";
pub const ARTIFACT_DIR: &str = "qa/stage3/v0.3.0";
pub const DEFAULT_GATE_SCRIPT: &str = "release_gate/run_all.py";

#[derive(Clone, Debug)]
pub struct Stage3Plan {
    pub smoke: SmokePlan,
    pub health_url: String,
    /// Shell command run from `root`; `None`: python3 (else python) release_gate/run_all.py.
    pub gate_cmd: Option<String>,
    pub gate_timeout: Duration,
    /// HOME_API for the gate (the seed's API mode: "1").
    pub home_api: String,
    pub root: PathBuf,
    /// Where artifacts go (relative paths are under `root`).
    pub out: PathBuf,
}

impl Stage3Plan {
    pub fn out_dir(&self) -> PathBuf {
        if self.out.is_absolute() {
            self.out.clone()
        } else {
            self.root.join(&self.out)
        }
    }
}

/// `summary.json`: the seed's fields plus what golive adds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stage3Summary {
    pub stage: String,
    pub started: String,
    pub finished: String,
    pub base_url: String,
    pub health_url: String,
    pub smoke: SmokeSection,
    /// `null` when the gate did not run to an exit (missing, killed).
    pub release_gate_exit_code: Option<i32>,
    pub status: String,
    pub release_gate_command: String,
    pub release_gate_timed_out: bool,
    pub release_gate_duration_s: f64,
    pub failures: Vec<String>,
    pub golive_version: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmokeSection {
    pub status: String,
    pub five_xx_count: u64,
    pub checks: Vec<CheckResult>,
}

impl Stage3Summary {
    pub fn passed(&self) -> bool {
        self.status == "PASS"
    }
}

/// How the release gate ended.
#[derive(Clone, Debug, PartialEq)]
pub struct GateRun {
    pub command: String,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub error: Option<String>,
    pub duration: Duration,
}

fn has_python3() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs the gate with its output going to `stdout_path` / `stderr_path`.
pub fn run_gate(plan: &Stage3Plan, stdout_path: &Path, stderr_path: &Path) -> GateRun {
    let start = Instant::now();
    let command = plan.gate_cmd.clone().unwrap_or_else(|| {
        let python = if has_python3() { "python3" } else { "python" };
        format!("{python} {DEFAULT_GATE_SCRIPT}")
    });
    let ended = |exit_code, timed_out, error: Option<String>| GateRun {
        command: command.clone(),
        exit_code,
        timed_out,
        error,
        duration: start.elapsed(),
    };
    if plan.gate_cmd.is_none() && !plan.root.join(DEFAULT_GATE_SCRIPT).exists() {
        let why = format!(
            "{DEFAULT_GATE_SCRIPT} not found under {}",
            plan.root.display()
        );
        let _ = std::fs::write(stderr_path, format!("golive: {why}\n"));
        let _ = std::fs::write(stdout_path, "");
        return ended(None, false, Some(why));
    }
    let files = File::create(stdout_path).and_then(|o| Ok((o, File::create(stderr_path)?)));
    let (out, err) = match files {
        Ok(f) => f,
        Err(e) => {
            return ended(
                None,
                false,
                Some(format!("cannot create the gate's output files: {e}")),
            )
        }
    };
    let pythonpath = match std::env::var("PYTHONPATH") {
        Ok(p) if !p.is_empty() => format!(".:{p}"),
        _ => ".".into(),
    };
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(&command)
        .current_dir(&plan.root)
        .env("HOME_API", &plan.home_api)
        .env("PYTHONPATH", pythonpath)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    // Its own process group, so a timeout kills the gate and everything it started.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return ended(None, false, Some(format!("cannot start `{command}`: {e}"))),
    };
    let deadline = start + plan.gate_timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let code = status.code();
                let error = match code {
                    Some(127) => Some(format!("`{command}`: command not found (exit 127)")),
                    None => Some("the gate was killed by a signal".to_string()),
                    _ => None,
                };
                return ended(code, false, error);
            }
            Ok(None) if Instant::now() >= deadline => {
                // SAFETY: signalling the process group we created for the child.
                unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
                let _ = child.wait();
                let why = format!(
                    "killed after --gate-timeout {}",
                    humantime::format_duration(plan.gate_timeout)
                );
                return ended(None, true, Some(why));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return ended(None, false, Some(format!("waiting for the gate: {e}"))),
        }
    }
}

/// Runs Stage 3 and writes its artifacts. Never fails on the target's account: an
/// unreachable API or a missing gate is a FAIL with its reason.
pub async fn run(
    plan: &Stage3Plan,
    env: &dyn Fn(&str) -> Option<String>,
    on_check: impl FnMut(&CheckResult),
) -> anyhow::Result<(Stage3Summary, SmokeResults)> {
    let started = timestamp(SystemTime::now());
    let dir = plan.out_dir();
    std::fs::create_dir_all(&dir)
        .map_err(|e| anyhow::anyhow!("creating {}: {e}", dir.display()))?;
    let smoke = smoke::run(&plan.smoke, env, on_check).await;
    let gate = {
        let plan = plan.clone();
        let (o, e) = (
            dir.join("release_gate_stdout.txt"),
            dir.join("release_gate_stderr.txt"),
        );
        tokio::task::spawn_blocking(move || run_gate(&plan, &o, &e)).await?
    };
    let mut failures = Vec::new();
    if !smoke.ok() {
        let mut why = format!("smoke: {}/{} checks passed", smoke.passed, smoke.total);
        if smoke.zero_5xx && smoke.five_xx_count > 0 {
            why.push_str(&format!(
                ", {} 5xx response(s) (zero_5xx)",
                smoke.five_xx_count
            ));
        }
        failures.push(why);
    }
    match (&gate.error, gate.exit_code) {
        (Some(e), _) => failures.push(format!("release gate: {e}")),
        (None, Some(0)) => {}
        (None, code) => failures.push(format!(
            "release gate exited {}",
            code.map_or("-".into(), |c| c.to_string())
        )),
    }
    let summary = Stage3Summary {
        stage: STAGE.into(),
        started,
        finished: timestamp(SystemTime::now()),
        base_url: smoke.base_url.clone(),
        health_url: plan.health_url.clone(),
        smoke: SmokeSection {
            status: smoke.status.clone(),
            five_xx_count: smoke.five_xx_count,
            checks: smoke.checks.clone(),
        },
        release_gate_exit_code: gate.exit_code,
        status: if failures.is_empty() { "PASS" } else { "FAIL" }.into(),
        release_gate_command: gate.command.clone(),
        release_gate_timed_out: gate.timed_out,
        release_gate_duration_s: (gate.duration.as_secs_f64() * 1000.0).round() / 1000.0,
        failures,
        golive_version: env!("CARGO_PKG_VERSION").into(),
    };
    artifact::write_json(&dir.join("smoke_results.json"), &smoke)?;
    artifact::write_json(&dir.join("summary.json"), &summary)?;
    artifact::write_atomic(
        &dir.join("tests.txt"),
        crate::report::gates::stage3_tests_txt(&summary).as_bytes(),
    )?;
    Ok((summary, smoke))
}

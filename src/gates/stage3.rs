//! Stage 3 – Staging Pilot: the smoke checks, then the project's release gate in API
//! mode (HOME_API=1, PYTHONPATH=.), its output captured and its run bounded by a
//! timeout after which it is killed with its whole process group. The command writes
//! the artifacts to `qa/stage3/v0.3.0/` in the seed's shape.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::smoke::{self, CheckResult, SmokePlan, SmokeResults};
use crate::load::Control;
use crate::outcome::{upper, Outcome};
use crate::time::now;

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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage3Summary {
    pub stage: String,
    pub started: String,
    pub finished: String,
    pub base_url: String,
    pub health_url: String,
    pub smoke: SmokeSection,
    /// `null` when the gate did not run to an exit (missing, killed).
    pub release_gate_exit_code: Option<i32>,
    /// "PASS", "FAIL" or "INTERRUPTED".
    #[serde(with = "upper")]
    #[schemars(schema_with = "upper::schema")]
    pub status: Outcome,
    pub release_gate_command: String,
    pub release_gate_timed_out: bool,
    pub release_gate_duration_s: f64,
    pub failures: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SmokeSection {
    #[serde(with = "upper")]
    #[schemars(schema_with = "upper::schema")]
    pub status: Outcome,
    pub five_xx_count: u64,
    pub checks: Vec<CheckResult>,
}

impl Stage3Summary {
    pub fn passed(&self) -> bool {
        self.status.is_pass()
    }
}

/// How the release gate ended, with what it printed.
#[derive(Clone, Debug, PartialEq)]
pub struct GateRun {
    pub command: String,
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub interrupted: bool,
    pub error: Option<String>,
    pub duration: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Everything Stage 3 produced: the summary, the smoke results and the gate's output.
pub struct Stage3Run {
    pub summary: Stage3Summary,
    pub smoke: SmokeResults,
    pub gate: GateRun,
}

fn has_python3() -> bool {
    Command::new("python3")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Runs the gate, capturing its output; it is killed with its process group on the
/// timeout or when `control` stops.
pub fn run_gate(plan: &Stage3Plan, control: &Control) -> GateRun {
    let start = Instant::now();
    let command = plan.gate_cmd.clone().unwrap_or_else(|| {
        let python = if has_python3() { "python3" } else { "python" };
        format!("{python} {DEFAULT_GATE_SCRIPT}")
    });
    let mut run = GateRun {
        command: command.clone(),
        exit_code: None,
        timed_out: false,
        interrupted: false,
        error: None,
        duration: Duration::ZERO,
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    if plan.gate_cmd.is_none() && !plan.root.join(DEFAULT_GATE_SCRIPT).exists() {
        let why = format!(
            "{DEFAULT_GATE_SCRIPT} not found under {}",
            plan.root.display()
        );
        run.stderr = format!("golive: {why}\n").into_bytes();
        run.error = Some(why);
        return run;
    }
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
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so a timeout kills the gate and everything it started.
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            run.error = Some(format!("cannot start `{command}`: {e}"));
            return run;
        }
    };
    let out = child.stdout.take().map(drain);
    let err = child.stderr.take().map(drain);
    let deadline = start + plan.gate_timeout;
    let kill = |child: &mut std::process::Child| {
        // SAFETY: signalling the process group we created for the child.
        unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
        let _ = child.wait();
    };
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                run.exit_code = status.code();
                run.error = match run.exit_code {
                    Some(127) => Some(format!("`{command}`: command not found (exit 127)")),
                    None => Some("the gate was killed by a signal".to_string()),
                    _ => None,
                };
                break;
            }
            Ok(None) if control.is_stopping() => {
                kill(&mut child);
                run.interrupted = true;
                run.error = Some("interrupted: the gate was stopped".into());
                break;
            }
            Ok(None) if Instant::now() >= deadline => {
                kill(&mut child);
                run.timed_out = true;
                run.error = Some(format!(
                    "killed after --gate-timeout {}",
                    humantime::format_duration(plan.gate_timeout)
                ));
                break;
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => {
                run.error = Some(format!("waiting for the gate: {e}"));
                break;
            }
        }
    }
    run.stdout = out.and_then(|h| h.join().ok()).unwrap_or_default();
    run.stderr = err.and_then(|h| h.join().ok()).unwrap_or_default();
    run.duration = start.elapsed();
    run
}

/// Runs Stage 3. Never fails on the target's account: an unreachable API or a missing
/// gate is a FAIL with its reason; Ctrl-C (`control`) is an interrupted result.
pub async fn run(
    plan: &Stage3Plan,
    env: &dyn Fn(&str) -> Option<String>,
    control: &std::sync::Arc<Control>,
    on_check: impl FnMut(&CheckResult),
) -> Stage3Run {
    let started = now();
    let smoke = smoke::run(&plan.smoke, env, control, on_check).await;
    let gate = if control.is_stopping() {
        GateRun {
            command: String::new(),
            exit_code: None,
            timed_out: false,
            interrupted: true,
            error: Some("not run: interrupted".into()),
            duration: Duration::ZERO,
            stdout: Vec::new(),
            stderr: Vec::new(),
        }
    } else {
        let (plan, control) = (plan.clone(), control.clone());
        tokio::task::spawn_blocking(move || run_gate(&plan, &control))
            .await
            .expect("the gate runner does not panic")
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
    let interrupted = gate.interrupted || smoke.status == Outcome::Interrupted;
    let summary = Stage3Summary {
        stage: STAGE.into(),
        started,
        finished: now(),
        base_url: smoke.base_url.clone(),
        health_url: plan.health_url.clone(),
        smoke: SmokeSection {
            status: smoke.status,
            five_xx_count: smoke.five_xx_count,
            checks: smoke.checks.clone(),
        },
        release_gate_exit_code: gate.exit_code,
        status: Outcome::from_ok(failures.is_empty()).or_interrupted(interrupted),
        release_gate_command: gate.command.clone(),
        release_gate_timed_out: gate.timed_out,
        release_gate_duration_s: (gate.duration.as_secs_f64() * 1000.0).round() / 1000.0,
        failures,
    };
    Stage3Run {
        summary,
        smoke,
        gate,
    }
}

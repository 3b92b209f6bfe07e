//! The ramp's state under races, kills, full disks and early approvals, with real
//! processes: a ramp in the background, `golive ramp approve|abort|status` from
//! another "terminal", SIGKILL mid-action, a journal on a filesystem that fills up.
//! Every case ends in a state golive names truthfully, and one command recovers it.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use golive::ramp::state::{Intent, Phase};
use golive::ramp::{EventKind, RampReport, RampState};
use golive::serve::{BackgroundServer, ServeOptions};

struct Ramp {
    dir: tempfile::TempDir,
    server: BackgroundServer,
}

impl Ramp {
    fn new() -> Ramp {
        Ramp {
            dir: tempfile::tempdir().unwrap(),
            server: BackgroundServer::start(ServeOptions::default()).unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn state(&self) -> PathBuf {
        self.path("state.json")
    }

    fn log(&self) -> PathBuf {
        self.path("weights.log")
    }

    /// A set-weight command that logs each weight.
    fn logger(&self) -> String {
        format!("echo {{weight}} >> '{}'", self.log().display())
    }

    fn weights(&self) -> Vec<u32> {
        std::fs::read_to_string(self.log())
            .unwrap_or_default()
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect()
    }

    /// A ramp over `steps` with 300 ms windows at 100 req/s, no warm-up, no pre-gate,
    /// journaled in `state.json`.
    fn args(&self, steps: &str, set_weight: &str) -> Vec<String> {
        [
            "ramp",
            &format!("http://{}/health", self.server.addr),
            "--steps",
            steps,
            "--interval",
            "300ms",
            "--warmup",
            "0s",
            "--window-rate",
            "100",
            "--skip-pre",
            "--set-weight",
            set_weight,
            "--state",
            self.state().to_str().unwrap(),
            "--color",
            "never",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn spawn(&self, args: &[String]) -> Child {
        let mut cmd = golive();
        cmd.args(args);
        cmd.spawn().unwrap()
    }

    fn run(&self, args: &[&str]) -> Run {
        let mut cmd = golive();
        cmd.args(args);
        run_with(cmd, Duration::from_secs(60))
    }

    fn control(&self, action: &str) -> Run {
        self.run(&["ramp", action, "--state", self.state().to_str().unwrap()])
    }

    fn read(&self) -> RampState {
        read_json(&self.state())
    }

    /// Waits (20 s at most) until the journal satisfies `cond`.
    fn until(&self, what: &str, cond: impl Fn(&RampState) -> bool) -> RampState {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(s)) = golive::ramp::state::read(&self.state()) {
                if cond(&s) {
                    return s;
                }
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Waits for a child (60 s at most) and returns its output.
fn finish(child: Child) -> Run {
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn kill9(mut child: Child) {
    child.kill().unwrap();
    child.wait().unwrap();
}

fn alive(pid: i32) -> bool {
    // A killed process may linger as a zombie until its parent reaps it: not alive.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .next();
    !stat.is_empty() && state != Some("Z")
}

fn events(s: &RampState, pick: impl Fn(&EventKind) -> bool) -> usize {
    s.timeline.iter().filter(|e| pick(&e.kind)).count()
}

#[test]
fn an_early_approve_is_refused_and_only_the_pending_pause_is_approved() {
    let r = Ramp::new();
    let mut args = r.args("5:1500ms,100:600ms", &r.logger());
    args.extend(["--pause-before", "100"].map(String::from));
    let child = r.spawn(&args);
    r.until("a window of step 1", |s| {
        s.step == 0 && s.progress.windows >= 1
    });
    let early = r.control("approve");
    assert_eq!(early.code, 2, "{}{}", early.stdout, early.stderr);
    assert!(
        early.stderr.contains("no pause is pending"),
        "{}",
        early.stderr
    );
    let paused = r.until("the pause before 100%", |s| s.phase == Phase::Paused);
    assert_eq!(paused.pause.as_ref().map(|p| p.id), Some(1));
    assert_eq!(r.weights(), [5], "the gate held: 100% not set");
    let wrong = r.run(&[
        "ramp",
        "approve",
        "--state",
        r.state().to_str().unwrap(),
        "--pause",
        "7",
    ]);
    assert_eq!(wrong.code, 2, "{}", wrong.stderr);
    let ok = r.control("approve");
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(ok.stdout.contains("approved pause 1"), "{}", ok.stdout);
    let ramp = finish(child);
    assert_eq!(ramp.code, 0, "{}{}", ramp.stdout, ramp.stderr);
    assert_eq!(r.weights(), [5, 100]);
    // The pause printed runnable commands with the real path.
    assert!(
        ramp.stdout.contains(&format!(
            "golive ramp approve --state {} --pause 1",
            std::fs::canonicalize(r.state()).unwrap().display()
        )),
        "{}",
        ramp.stdout
    );
}

#[test]
fn abort_during_a_step_rolls_back_at_once() {
    let r = Ramp::new();
    let child = r.spawn(&r.args("5:20s,100:1s", &r.logger()));
    r.until("a window of step 1", |s| s.progress.windows >= 1);
    let started = Instant::now();
    let abort = r.control("abort");
    assert_eq!(abort.code, 0, "{}{}", abort.stdout, abort.stderr);
    assert!(abort.stdout.contains("rolled back"), "{}", abort.stdout);
    let ramp = finish(child);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "an abort is honoured at once, not at the end of the 20 s step"
    );
    assert_eq!(ramp.code, 1, "{}{}", ramp.stdout, ramp.stderr);
    assert_eq!(r.weights(), [5, 0]);
    let s = r.read();
    assert_eq!(s.phase, Phase::RolledBack);
    assert_eq!(s.weight, Some(0));
    assert_eq!(events(&s, |k| matches!(k, EventKind::Aborted { .. })), 1);
    // An abort is not an approval: ended ramps refuse both.
    assert_eq!(r.control("abort").code, 2);
    assert_eq!(r.control("approve").code, 2);
}

#[test]
fn abort_with_no_ramp_running_rolls_back_itself_and_resume_is_then_refused() {
    let r = Ramp::new();
    let child = r.spawn(&r.args("5:20s,100:1s", &r.logger()));
    r.until("a window of step 1", |s| s.progress.windows >= 1);
    kill9(child);
    let status = r.control("status");
    assert_eq!(status.code, 0, "{}", status.stderr);
    assert!(
        status.stdout.contains("no golive is driving it")
            && status.stdout.contains("golive ramp --resume --state"),
        "{}",
        status.stdout
    );
    let abort = r.control("abort");
    assert_eq!(abort.code, 0, "{}{}", abort.stdout, abort.stderr);
    assert_eq!(r.weights(), [5, 0]);
    assert_eq!(r.read().phase, Phase::RolledBack);
    let resume = r.run(&["ramp", "--resume", "--state", r.state().to_str().unwrap()]);
    assert_eq!(resume.code, 2, "{}", resume.stderr);
    assert!(resume.stderr.contains("has ended"), "{}", resume.stderr);
}

#[test]
fn a_command_that_leaves_a_background_child_returns_within_its_timeout_and_leaves_nothing() {
    let r = Ramp::new();
    let pids = r.path("pids");
    let set = format!(
        "sleep 1000 & echo $! >> '{}'; {}",
        pids.display(),
        r.logger()
    );
    let mut args = r.args("5:300ms,100:300ms", &set);
    args.extend(["--command-timeout", "2s"].map(String::from));
    let started = Instant::now();
    let mut cmd = golive();
    cmd.args(&args);
    let run = run_with(cmd, Duration::from_secs(30));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(2 * 3 + 5),
        "took {:?}",
        started.elapsed()
    );
    let pids: Vec<i32> = std::fs::read_to_string(&pids)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(
            !alive(pid),
            "the background sleep {pid} outlived its command"
        );
    }
}

#[test]
fn a_hung_command_is_killed_at_its_timeout_and_sigterm_is_heard_while_one_runs() {
    let r = Ramp::new();
    let pid_file = r.path("pid");
    // The first set-weight hangs: it is killed after --command-timeout, the step fails
    // and the ramp rolls back (the rollback is the same command with weight 0).
    let set = format!(
        "[ {{weight}} -eq 0 ] && {{ {}; exit 0; }}; echo $$ > '{}'; exec sleep 1000",
        r.logger(),
        pid_file.display()
    );
    let mut args = r.args("5:1s,100:1s", &set);
    args.extend(["--command-timeout", "1s"].map(String::from));
    let started = Instant::now();
    let mut cmd = golive();
    cmd.args(&args);
    let run = run_with(cmd, Duration::from_secs(30));
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    assert!(run.stdout.contains("timed out after"), "{}", run.stdout);
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(pid));
    assert_eq!(r.weights(), [0]);

    // SIGTERM while a long command runs: heard at once, the command's group killed.
    let r = Ramp::new();
    let set = format!("echo $$ > '{}'; exec sleep 1000", pid_file.display());
    let _ = std::fs::remove_file(&pid_file);
    let mut args = r.args("5:1s,100:1s", &set);
    args.extend(["--command-timeout", "60s"].map(String::from));
    let child = r.spawn(&args);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let sent = Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let run = finish(child);
    assert!(
        sent.elapsed() < Duration::from_secs(5),
        "{:?}",
        sent.elapsed()
    );
    assert_eq!(run.code, 130, "{}{}", run.stdout, run.stderr);
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(!alive(pid));
    // The set-weight was cut short: the journal keeps its intent, and says so.
    let s = r.read();
    assert!(matches!(
        s.intent,
        Some(Intent::SetWeight { weight: 5, .. })
    ));
    assert!(s.weight_words().contains("5%"), "{}", s.weight_words());
    assert!(run.stdout.contains("--resume"), "{}", run.stdout);
}

#[test]
fn sigkill_during_the_rollback_then_resume_finishes_the_rollback_without_judging() {
    let r = Ramp::new();
    let marker = r.path("rolling");
    // The guard fails at 20%; the rollback takes a while, so it can be killed mid-way.
    let rollback = format!(
        "touch '{}'; sleep 2; echo 0 >> '{}'",
        marker.display(),
        r.log().display()
    );
    let mut args = r.args("5:300ms,20:5s,100:300ms", &r.logger());
    args.extend(
        [
            "--guard",
            "[ \"$GOLIVE_WEIGHT\" -lt 20 ]",
            "--rollback-cmd",
            &rollback,
        ]
        .map(String::from),
    );
    let child = r.spawn(&args);
    let during = r.until("the rollback's intent", |s| s.phase == Phase::RollingBack);
    assert!(matches!(during.intent, Some(Intent::Rollback { .. })));
    while !marker.exists() {
        std::thread::sleep(Duration::from_millis(10));
    }
    kill9(child);
    assert_eq!(r.weights(), [5, 20], "the rollback did not finish");
    let windows_before = events(&r.read(), |k| matches!(k, EventKind::Window(_)));
    let status = r.control("status");
    assert!(
        status.stdout.contains("rolling back") && status.stdout.contains("runs the rollback again"),
        "{}",
        status.stdout
    );
    let resume = r.run(&["ramp", "--resume", "--state", r.state().to_str().unwrap()]);
    assert_eq!(resume.code, 1, "{}{}", resume.stdout, resume.stderr);
    // The killed golive's rollback command lives on in its own group and may finish
    // too: rolling back twice only sets 0% twice.
    let w = r.weights();
    assert!(
        w.starts_with(&[5, 20]) && w.len() > 2 && w[2..].iter().all(|x| *x == 0),
        "{w:?}"
    );
    let s = r.read();
    assert_eq!(s.phase, Phase::RolledBack);
    assert_eq!(
        events(&s, |k| matches!(k, EventKind::Window(_))),
        windows_before,
        "no window was judged after the resume"
    );
    assert_eq!(
        events(&s, |k| matches!(k, EventKind::StepStarted { step: 1, .. })),
        1,
        "the failed weight was not set again"
    );
}

#[test]
fn a_failed_rollback_is_its_own_phase_and_exit_code_and_resume_retries_it() {
    let r = Ramp::new();
    let flag = r.path("rollback-works");
    let rollback = format!(
        "[ -e '{}' ] || {{ echo 'flag service down' >&2; exit 3; }}; echo 0 >> '{}'",
        flag.display(),
        r.log().display()
    );
    let mut args = r.args("5:300ms,100:300ms", &r.logger());
    args.extend(["--guard", "false", "--rollback-cmd", &rollback].map(String::from));
    let mut cmd = golive();
    cmd.args(&args);
    let run = run_with(cmd, Duration::from_secs(30));
    assert_eq!(run.code, 5, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("ROLLBACK COMMAND FAILED") && !run.stdout.contains("ROLLED BACK"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("flag service down"), "{}", run.stdout);
    let s = r.read();
    assert_eq!(s.phase, Phase::RollbackFailed);
    assert_eq!(s.weight, Some(5));
    assert_eq!(r.weights(), [5]);
    std::fs::write(&flag, "").unwrap();
    let resume = r.run(&["ramp", "--resume", "--state", r.state().to_str().unwrap()]);
    assert_eq!(resume.code, 1, "{}{}", resume.stdout, resume.stderr);
    assert_eq!(r.weights(), [5, 0]);
    assert_eq!(r.read().phase, Phase::RolledBack);
}

#[test]
fn a_journal_on_a_full_disk_says_what_ran_and_where_the_weight_is() {
    let r = Ramp::new();
    let disk = r.path("disk");
    std::fs::create_dir(&disk).unwrap();
    let state = disk.join("state.json");
    // At 20% the set-weight command fills the journal's filesystem after it ran.
    let set = format!(
        "{}; [ {{weight}} -lt 20 ] || dd if=/dev/zero of='{}/filler' bs=4k count=1000 2>/dev/null; true",
        r.logger(),
        disk.display()
    );
    let mut args = r.args("5:600ms,20:600ms,100:300ms", &set);
    let i = args.iter().position(|a| a == "--state").unwrap();
    args[i + 1] = state.display().to_string();
    let copy = r.path("state-after.json");
    let golive_bin = env!("CARGO_BIN_EXE_golive");
    let quoted: Vec<String> = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
        .collect();
    // A private mount namespace: a 256 KiB tmpfs only this run sees.
    let script = format!(
        "mount -t tmpfs -o size=256k tmpfs '{d}' || exit 97; '{golive_bin}' {args}; code=$?; cp '{s}' '{c}'; exit $code",
        d = disk.display(),
        args = quoted.join(" "),
        s = state.display(),
        c = copy.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-rm", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let run = run_with(cmd, Duration::from_secs(60));
    assert_ne!(run.code, 97, "cannot mount a tmpfs here: {}", run.stderr);
    assert_eq!(run.code, 4, "{}{}", run.stdout, run.stderr);
    let all = format!("{}{}", run.stdout, run.stderr);
    assert!(
        all.contains("after set-weight for 20% ran (exit 0)")
            && all.contains("the weight is now 20%"),
        "{all}"
    );
    assert!(!all.contains("was not changed"), "{all}");
    let s: RampState = read_json(&copy);
    assert_eq!(
        s.weight,
        Some(5),
        "the journal still has the last weight it recorded"
    );
    assert!(
        matches!(s.intent, Some(Intent::SetWeight { weight: 20, .. })),
        "and the intent to set 20%: {:?}",
        s.intent
    );
    assert_eq!(r.weights(), [5, 20]);
}

#[test]
fn outputs_the_state_path_and_metrics_are_checked_before_anything_moves() {
    let r = Ramp::new();
    let state = r.state();
    let state_s = state.to_str().unwrap();
    let mut args = r.args("5:300ms,100:300ms", &r.logger());
    // --state and --json naming one file.
    let run = r.run(
        &args
            .iter()
            .map(String::as_str)
            .chain(["--json", state_s])
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("--state journal"), "{}", run.stderr);
    // A --json in a directory that does not exist.
    let missing = r.path("no/such/dir/out.json");
    let run = r.run(
        &args
            .iter()
            .map(String::as_str)
            .chain(["--json", missing.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(!r.path("no").exists(), "no directory was created");
    // --metrics that answers 404.
    let metrics = format!("http://{}/no-such-metrics", r.server.addr);
    args.extend(["--metrics".into(), metrics]);
    let run = r.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("404") && run.stderr.contains("nothing was touched"),
        "{}",
        run.stderr
    );
    assert!(r.weights().is_empty(), "no weight was set");
    let leftovers: Vec<_> = std::fs::read_dir(r.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        leftovers.is_empty(),
        "a refused ramp leaves no file: {leftovers:?}"
    );
}

#[test]
fn a_symlink_to_a_running_ramps_state_is_the_same_journal() {
    let r = Ramp::new();
    let child = r.spawn(&r.args("5:3s,100:300ms", &r.logger()));
    r.until("a window", |s| s.progress.windows >= 1);
    let link = r.path("link.json");
    std::os::unix::fs::symlink(r.state(), &link).unwrap();
    let mut args = r.args("5:300ms,100:300ms", &r.logger());
    let i = args.iter().position(|a| a == "--state").unwrap();
    args[i + 1] = link.display().to_string();
    args.push("--restart".into());
    let second = r.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(second.code, 4, "{}{}", second.stdout, second.stderr);
    assert!(
        second.stderr.contains("another golive is driving"),
        "{}",
        second.stderr
    );
    kill9(child);
}

#[test]
fn resume_after_ctrl_c_rewrites_the_evidence_with_the_whole_timeline() {
    let r = Ramp::new();
    let (json, page, junit) = (r.path("ramp.json"), r.path("ramp.html"), r.path("ramp.xml"));
    let mut args = r.args("5:300ms,20:2s,100:300ms", &r.logger());
    args.extend(
        [
            "--json",
            json.to_str().unwrap(),
            "--report",
            page.to_str().unwrap(),
            "--junit",
            junit.to_str().unwrap(),
        ]
        .map(String::from),
    );
    let child = r.spawn(&args);
    interrupt_when(&child, || {
        golive::ramp::state::read(&r.state())
            .ok()
            .flatten()
            .is_some_and(|s| s.step == 1 && s.progress.windows >= 1)
    });
    let first = finish(child);
    assert_eq!(first.code, 130, "{}{}", first.stdout, first.stderr);
    let interrupted: RampReport = read_json(&json);
    assert_eq!(interrupted.outcome(), golive::outcome::Outcome::Interrupted);
    assert!(
        first
            .stdout
            .contains("interrupted: the weight was left at 20%"),
        "{}",
        first.stdout
    );
    std::fs::remove_file(&page).unwrap();
    let resumed = r.run(&["ramp", "--resume", "--state", r.state().to_str().unwrap()]);
    assert_eq!(resumed.code, 0, "{}{}", resumed.stdout, resumed.stderr);
    let report: RampReport = read_json(&json);
    assert_eq!(report.outcome(), golive::outcome::Outcome::Pass);
    let t = &report.body.timeline;
    let at = |pick: &dyn Fn(&EventKind) -> bool| t.iter().position(|e| pick(&e.kind)).unwrap();
    let interrupted_at = at(&|k| matches!(k, EventKind::Interrupted { .. }));
    let resumed_at = at(&|k| matches!(k, EventKind::Started { resumed: true, .. }));
    assert!(
        interrupted_at < resumed_at,
        "the interruption is kept and marked"
    );
    assert!(page.exists(), "the report is written again on resume");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("interrupted at step 2"),
        "interruption marked in the page"
    );
    assert!(junit_counts(&junit).tests > 0);
}

#[test]
fn no_damaged_state_file_makes_golive_panic_or_change_it() {
    let r = Ramp::new();
    let child = r.spawn(&r.args("5:300ms,20:20s,100:300ms", &r.logger()));
    r.until("step 2", |s| s.step == 1 && s.progress.windows >= 1);
    kill9(child);
    let good: serde_json::Value = read_json(&r.state());
    let keys: Vec<String> = good.as_object().unwrap().keys().cloned().collect();
    let mut variants: Vec<(String, serde_json::Value)> = Vec::new();
    for k in &keys {
        let mut removed = good.clone();
        removed.as_object_mut().unwrap().remove(k);
        variants.push((format!("{k} removed"), removed));
        for (what, v) in [
            ("null", serde_json::Value::Null),
            ("a string", serde_json::json!("x")),
            ("a huge number", serde_json::json!(18446744073709551615u64)),
            ("a negative number", serde_json::json!(-1)),
            ("an object", serde_json::json!({"a": 1})),
        ] {
            let mut changed = good.clone();
            changed[k] = v;
            variants.push((format!("{k} = {what}"), changed));
        }
    }
    // Values that parse but cannot be acted on.
    for (what, path, v) in [
        ("step past the steps", "/step", serde_json::json!(9)),
        (
            "control_seen past control",
            "/control_seen",
            serde_json::json!(3),
        ),
        (
            "paused without a pause",
            "/phase",
            serde_json::json!("paused"),
        ),
        ("no steps", "/steps", serde_json::json!([])),
        ("weight 500", "/weight", serde_json::json!(500)),
        ("negative hold", "/progress/held_s", serde_json::json!(-5.0)),
    ] {
        let mut changed = good.clone();
        *changed.pointer_mut(path).unwrap() = v;
        variants.push((what.to_string(), changed));
    }
    let state = r.state();
    let s = state.to_str().unwrap();
    for (what, value) in variants {
        let bytes = serde_json::to_vec_pretty(&value).unwrap();
        std::fs::write(&state, &bytes).unwrap();
        // A state status reads as sound would really be resumed (other tests do that).
        let damaged = r.run(&["ramp", "status", "--state", s]).code == 2;
        let commands: &[&[&str]] = if damaged {
            &[
                &["ramp", "status", "--state", s],
                &["ramp", "approve", "--state", s],
                &["ramp", "abort", "--state", s],
                &["ramp", "--resume", "--state", s],
            ]
        } else {
            &[
                &["ramp", "status", "--state", s],
                &["ramp", "approve", "--state", s],
            ]
        };
        for command in commands {
            std::fs::write(&state, &bytes).unwrap();
            let run = r.run(command);
            assert_ne!(
                run.code, 101,
                "{what}, {command:?}: panicked: {}",
                run.stderr
            );
            assert!(
                !run.stderr.contains("internal error"),
                "{what}, {command:?}: {}",
                run.stderr
            );
            if run.code == 2 {
                assert_eq!(
                    std::fs::read(&state).unwrap(),
                    bytes,
                    "{what}, {command:?}: a refused command changed the file"
                );
                assert_eq!(run.stderr.lines().count(), 1, "{what}: {}", run.stderr);
            }
        }
    }
}

#[test]
fn two_terminals_approving_at_once_answer_one_pause_once() {
    let r = Ramp::new();
    let mut args = r.args("5:300ms,100:300ms", &r.logger());
    args.extend(["--pause-before", "100"].map(String::from));
    let child = r.spawn(&args);
    r.until("the pause", |s| s.phase == Phase::Paused);
    let approvers: Vec<Child> = (0..2)
        .map(|_| {
            let mut cmd = golive();
            cmd.args(["ramp", "approve", "--state", r.state().to_str().unwrap()]);
            cmd.spawn().unwrap()
        })
        .collect();
    let codes: Vec<i32> = approvers.into_iter().map(|c| finish(c).code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 2], "one approval, one refusal: {codes:?}");
    let ramp = finish(child);
    assert_eq!(ramp.code, 0, "{}{}", ramp.stdout, ramp.stderr);
    let s = r.read();
    assert_eq!(s.control.len(), 1);
    assert_eq!(r.weights(), [5, 100]);
}

#[test]
fn a_new_ramp_in_an_ended_ramps_file_is_not_approved_by_the_old_approvals() {
    let r = Ramp::new();
    let mut args = r.args("5:300ms,100:300ms", &r.logger());
    args.extend(["--pause-before", "100"].map(String::from));
    let first = r.spawn(&args);
    r.until("the first ramp's pause", |s| s.phase == Phase::Paused);
    assert_eq!(r.control("approve").code, 0);
    assert_eq!(finish(first).code, 0);
    // The same file, a new ramp: its pause 1 is not the old ramp's pause 1.
    let second = r.spawn(&args);
    let paused = r.until("the second ramp's pause", |s| {
        s.phase == Phase::Paused && s.control.is_empty()
    });
    std::thread::sleep(Duration::from_millis(1000));
    let still = r.read();
    assert_eq!(still.phase, Phase::Paused, "approved by nobody");
    assert_eq!(still.id, paused.id);
    let abort = r.control("abort");
    assert_eq!(abort.code, 0, "{}{}", abort.stdout, abort.stderr);
    assert_eq!(finish(second).code, 1);
    assert_eq!(r.weights(), [5, 100, 5, 0]);
}

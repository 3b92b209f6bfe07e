//! What every command shares: exit codes from one Outcome, interrupted runs that keep
//! their artifacts, readable files, `--json -`, closed pipes and a full disk.

mod common;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::time::Duration;

use common::*;
use golive::gates::stress::StressReport;

fn healthy() -> TestServer {
    TestServer::start(|req, _| async move {
        match req.uri().path() {
            "/" => {
                let mut r = text(200, "<html></html>");
                r.headers_mut().insert(
                    "content-security-policy",
                    hyper::header::HeaderValue::from_static("default-src 'self'"),
                );
                r
            }
            _ => text(200, r#"{"status":"ok"}"#),
        }
    })
}

#[test]
fn stage4_interrupted_exits_130_with_an_interrupted_artifact() {
    // /health answers slowly so Ctrl-C lands mid-gate.
    let server = TestServer::start(|_, _| async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        text(200, r#"{"status":"ok"}"#)
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s4");
    let mut cmd = golive();
    cmd.args(["stage4", "--prod-url", &server.url(""), "--out"])
        .arg(&out);
    let child = cmd.spawn().unwrap();
    interrupt_when(&child, || server.requests.load(Ordering::SeqCst) >= 2);
    let done = child.wait_with_output().unwrap();
    assert_eq!(
        done.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    let summary: serde_json::Value = read_json(&out.join("summary.json"));
    assert_eq!(summary["status"], "INTERRUPTED");
    assert_eq!(summary["outcome"], "interrupted");
    assert_eq!(summary["interrupted"], true);
    let tests_txt = std::fs::read_to_string(out.join("tests.txt")).unwrap();
    assert!(tests_txt.contains("Status: INTERRUPTED"), "{tests_txt}");
}

#[test]
fn artifacts_are_readable_like_any_file_the_user_creates() {
    let server = healthy();
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("out.json");
    let s4 = dir.path().join("s4");
    // Under the usual umask 022, whatever the test runner's umask is.
    let script = format!(
        "umask 022; \"$0\" stress {} -n 30 -c 1 --json {} && exec \"$0\" stage4 --prod-url {} --out {}",
        server.url("/health"),
        json.display(),
        server.url(""),
        s4.display()
    );
    let mut cmd = Command::new("sh");
    cmd.env_clear()
        .args(["-c", &script, env!("CARGO_BIN_EXE_golive")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let run = run_with(cmd, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for f in [json, s4.join("summary.json"), s4.join("tests.txt")] {
        let mode = std::fs::metadata(&f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644, "{}", f.display());
    }
}

#[test]
fn json_dash_goes_to_stdout_and_the_report_to_stderr() {
    let server = healthy();
    let run = run(&[
        "stress",
        &server.url("/health"),
        "-n",
        "30",
        "-c",
        "1",
        "--json",
        "-",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let report: StressReport = serde_json::from_str(&run.stdout).expect("stdout is the JSON alone");
    assert_eq!(report.body.results.responses, 30);
    assert!(run.stderr.contains("verdict: PASS"), "{}", run.stderr);
    assert!(!std::path::Path::new("-").exists(), "no file named -");
}

/// Runs golive with its stdout closed by the reader after `keep` bytes.
fn with_closed_stdout(args: &[&str], keep: usize) -> (Option<i32>, String) {
    let mut cmd = golive();
    cmd.args(args);
    let mut child = cmd.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut buf = vec![0u8; keep];
    let _ = stdout.read_exact(&mut buf);
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (child.wait().unwrap().code(), stderr)
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_normal_exit_code() {
    let server = healthy();
    let (base, health) = (server.url(""), server.url("/health"));
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["stress", &health, "-n", "20", "-c", "1"], 0),
        (vec!["canary", &health, "--count", "2", "--delay", "0s"], 0),
        (vec!["smoke", "--base", &base], 1),
        (
            vec![
                "stage4",
                "--prod-url",
                &base,
                "--out",
                "/tmp/golive-pipe-test-s4",
            ],
            0,
        ),
        (vec!["probes", &base], 0),
        (vec!["completions", "bash"], 0),
        (vec!["man"], 0),
        (vec!["--help"], 0),
    ];
    for (args, code) in cases {
        for keep in [0, 10] {
            let (got, stderr) = with_closed_stdout(&args, keep);
            assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            assert!(!stderr.contains("Broken pipe"), "{args:?}: {stderr}");
            assert_eq!(got, Some(code), "{args:?} (read {keep} bytes): {stderr}");
        }
    }
    let _ = std::fs::remove_dir_all("/tmp/golive-pipe-test-s4");
}

#[test]
fn a_full_disk_is_one_line_and_exit_4() {
    let server = healthy();
    let mut cmd = golive();
    cmd.args(["stress", &server.url("/health"), "-n", "30", "-c", "1"])
        .stdout(
            std::fs::File::options()
                .write(true)
                .open("/dev/full")
                .unwrap(),
        );
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("No space left"), "{}", lines[0]);
}

#[test]
fn abort_on_fail_stops_at_the_first_5xx() {
    // Exactly the 10th request of every 10 fails.
    let server = TestServer::start(|_, n| async move {
        if n % 10 == 9 {
            text(500, "oops")
        } else {
            text(200, "ok")
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("r.json");
    let run = run(&[
        "stress",
        &server.url("/"),
        "-n",
        "1000",
        "-c",
        "1",
        "--slo",
        "5xx==0",
        "--abort-on-fail",
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let report: StressReport = read_json(&json);
    assert_eq!(report.body.results.status_5xx, 1);
    assert_eq!(report.body.results.responses, 10);
}

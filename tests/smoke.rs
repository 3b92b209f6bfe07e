//! `golive smoke`, `jwt` and `stage3` against real loopback servers (the embedded
//! target and in-test servers) and small real Python release gates.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use golive::gates::smoke::SmokeResults;
use golive::gates::stage3::Stage3Summary;
use golive::serve::BackgroundServer;
use golive::serve::ServeOptions;

const SECRET: &str = "whsec_smoke_test_SECRET_9f2c";

fn smoke_with(
    base: &str,
    checks: Option<&str>,
    env: &[(&str, &str)],
) -> (Run, SmokeResults, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("smoke_results.json");
    let mut cmd = golive();
    cmd.args(["smoke", "--base", base, "--json", out.to_str().unwrap()]);
    for var in ["OI_BASE_URL", "HOD_JWT", "CREW_JWT"] {
        cmd.env_remove(var);
    }
    if let Some(text) = checks {
        let file = dir.path().join("checks.toml");
        std::fs::write(&file, text).unwrap();
        cmd.arg("--checks").arg(&file);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let run = run_with(cmd, Duration::from_secs(60));
    let raw = std::fs::read_to_string(&out)
        .unwrap_or_else(|_| panic!("no results: {}{}", run.stdout, run.stderr));
    let results = serde_json::from_str(&raw).unwrap();
    (run, results, raw)
}

fn embedded(secret: Option<&str>) -> BackgroundServer {
    BackgroundServer::start(ServeOptions {
        signing_secret: secret.map(|s| s.as_bytes().to_vec()),
        ..ServeOptions::default()
    })
    .unwrap()
}

#[test]
fn the_default_checks_pass_against_the_embedded_target_in_the_seeds_shape() {
    let server = embedded(None);
    let (run, r, raw) = smoke_with(&format!("http://{}", server.addr), None, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!((r.passed, r.total, r.five_xx_count), (5, 5, 0));
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    for key in ["started", "finished", "status", "checks"] {
        assert!(v.get(key).is_some(), "smoke_results.json lacks {key}");
    }
    assert_eq!(v["checks"][0]["check"], "health");
    assert_eq!(v["checks"][0]["status"], "PASS");
    assert_eq!(v["checks"][0]["status_code"], 200);
    assert_eq!(v["checks"][0]["body"], "{\"status\":\"ok\"}");
    assert_eq!(
        v["checks"][3]["status_code"], 400,
        "unsigned webhook is rejected"
    );
}

#[test]
fn signatures_are_enforced_both_ways_by_the_embedded_target() {
    let server = embedded(Some(SECRET));
    let checks = r#"
[[check]]
name = "signed"
method = "POST"
path = "/api/stripe/webhook"
body = '{"type":"invoice.paid"}'
sign = "stripe"
expect_status = [200]

[[check]]
name = "unsigned"
method = "POST"
path = "/api/stripe/webhook"
body = "{}"
expect_status = [400]

[[check]]
name = "stale"
method = "POST"
path = "/api/stripe/webhook"
body = "{}"
sign = "stripe-stale"
expect_status = [400]

[[check]]
name = "wrong_secret"
method = "POST"
path = "/api/stripe/webhook"
body = "{}"
sign = "stripe-wrong-secret"
expect_status = [400]

[[check]]
name = "malformed"
method = "POST"
path = "/api/stripe/webhook"
body = "{}"
sign = "stripe-malformed"
expect_status = [400]
"#;
    let (run, r, raw) = smoke_with(
        &format!("http://{}", server.addr),
        Some(checks),
        &[("STRIPE_SIGNING_SECRET", SECRET)],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(r.passed, 5, "{raw}");
    for (what, text) in [
        ("json", &raw),
        ("stdout", &run.stdout),
        ("stderr", &run.stderr),
    ] {
        assert!(!text.contains(SECRET), "signing secret leaked into {what}");
    }
}

/// Answers 200 to HOD's token, 403 to CREW's, 401 otherwise; echoes the header back.
fn role_server() -> TestServer {
    TestServer::start(|req, _| {
        let auth = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        async move {
            let status = match auth.as_str() {
                "Bearer hod-token-abcdef" => 200,
                "Bearer crew-token-123456" => 403,
                _ => 401,
            };
            let body: &'static str =
                Box::leak(format!("{{\"you_sent\":\"{auth}\"}}").into_boxed_str());
            text(status, body)
        }
    })
}

const ROLES: &str = r#"
[[check]]
name = "suggestions"
path = "/v1/parts/suggestions"
roles = [
  { name = "HOD", token_env = "HOD_JWT", expect_status = [200] },
  { name = "CREW", token_env = "CREW_JWT", expect_status = [403] },
]
"#;

#[test]
fn roles_get_their_own_tokens_and_expectations_and_tokens_stay_secret() {
    let server = role_server();
    let env = [
        ("HOD_JWT", "hod-token-abcdef"),
        ("CREW_JWT", "crew-token-123456"),
    ];
    let (run, r, raw) = smoke_with(&server.url(""), Some(ROLES), &env);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let names: Vec<_> = r.checks.iter().map(|c| c.check.as_str()).collect();
    assert_eq!(names, ["suggestions (HOD)", "suggestions (CREW)"]);
    assert_eq!(r.checks[1].status_code, Some(403));
    assert!(
        r.checks[0].body.as_deref().unwrap().contains("[redacted]"),
        "echoed token is redacted"
    );
    for token in ["hod-token-abcdef", "crew-token-123456"] {
        assert!(
            !raw.contains(token) && !run.stdout.contains(token),
            "{token} leaked"
        );
    }
    // CREW seeing HOD's answer is a failure with a reason.
    let (run, r, _) = smoke_with(
        &server.url(""),
        Some(ROLES),
        &[
            ("HOD_JWT", "hod-token-abcdef"),
            ("CREW_JWT", "hod-token-abcdef"),
        ],
    );
    assert_eq!(run.code, 1);
    assert_eq!(
        r.checks[1].reason.as_deref(),
        Some("HTTP 200, expected 403")
    );
    // A missing token fails that role's check, it does not crash the run.
    let (_, r, _) = smoke_with(
        &server.url(""),
        Some(ROLES),
        &[("HOD_JWT", "hod-token-abcdef")],
    );
    assert_eq!(
        r.checks[1].reason.as_deref(),
        Some("CREW_JWT is not set (the role's token)")
    );
}

#[test]
fn idempotency_replays_expect_the_second_status() {
    let seen = Arc::new(Mutex::new(std::collections::HashSet::new()));
    let strict = {
        let seen = seen.clone();
        TestServer::start(move |req, _| {
            let key = req
                .headers()
                .get("idempotency-key")
                .map(|v| v.to_str().unwrap().to_string());
            let first = key.is_some_and(|k| seen.lock().unwrap().insert(k));
            async move { text(if first { 201 } else { 409 }, r#"{"part":{"id":"p-1"}}"#) }
        })
    };
    let checks = r#"
[[check]]
name = "receive_part"
method = "POST"
path = "/v1/parts/receive"
body = '{"part":"p-1"}'
idempotency_key = "auto"
expect_status = [201]
expect_repeat_status = [409]
expect_json = { field = "part.id", equals = "p-1" }
"#;
    let (run, r, _) = smoke_with(&strict.url(""), Some(checks), &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        (r.checks[0].status_code, r.checks[0].repeat_status_code),
        (Some(201), Some(409))
    );

    let lax = TestServer::start(|_, _| async { text(201, r#"{"part":{"id":"p-1"}}"#) });
    let (run, r, _) = smoke_with(&lax.url(""), Some(checks), &[]);
    assert_eq!(run.code, 1);
    assert_eq!(
        r.checks[0].reason.as_deref(),
        Some("repeat with the same Idempotency-Key: HTTP 201, expected 409")
    );
}

#[test]
fn any_5xx_fails_the_run_under_zero_5xx() {
    let server = TestServer::start(|_, _| async { text(500, "oops") });
    let checks = "[[check]]\nname = \"tolerant\"\npath = \"/x\"\nexpect_status = [200, 500]\n";
    let (run, r, _) = smoke_with(&server.url(""), Some(checks), &[]);
    assert_eq!(r.passed, 1, "the check itself accepts 500");
    assert_eq!(
        (r.five_xx_count, r.status.as_str(), run.code),
        (1, "FAIL", 1)
    );
    let (run, _, _) = smoke_with(
        &server.url(""),
        Some(&format!("zero_5xx = false\n{checks}")),
        &[],
    );
    assert_eq!(run.code, 0);
}

#[test]
fn a_malformed_checks_file_is_one_line_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.toml");
    std::fs::write(
        &file,
        "[[check]]\nname = \"health\"\npath = \"/health\"\nexpect_status = [200\n",
    )
    .unwrap();
    let r = run(&[
        "smoke",
        "--checks",
        file.to_str().unwrap(),
        "--base",
        "http://127.0.0.1:9",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("checks.toml:4:") || r.stderr.contains("checks.toml:5:"),
        "{}",
        r.stderr
    );
}

#[test]
fn jwt_tokens_verify_with_the_secret_and_carry_the_claims() {
    let secret = "jwt-secret-for-tests-only";
    let mut cmd = golive();
    cmd.args([
        "jwt",
        "--secret-env",
        "GOLIVE_TEST_JWT_SECRET",
        "--sub",
        "hod@example.test",
        "--role",
        "chief_engineer",
        "--ttl",
        "2h",
        "--claim",
        "yacht_id=85fe",
        "--claim",
        "level=3",
    ])
    .env("GOLIVE_TEST_JWT_SECRET", secret);
    let r = run_with(cmd, Duration::from_secs(20));
    assert_eq!(r.code, 0, "{}", r.stderr);
    let line = r.stdout.trim();
    let token = line
        .strip_prefix("export CHIEF_ENGINEER_JWT=")
        .unwrap_or_else(|| panic!("{line}"));
    assert!(!r.stdout.contains(secret));
    // Verified independently, by Python's standard library.
    let script = r#"
import base64, hashlib, hmac, json, sys
token, secret = sys.argv[1], sys.argv[2].encode()
head, body, sig = token.split(".")
pad = lambda s: s + "=" * (-len(s) % 4)
expected = base64.urlsafe_b64encode(hmac.new(secret, (head + "." + body).encode(), hashlib.sha256).digest()).rstrip(b"=").decode()
assert hmac.compare_digest(expected, sig), "bad signature"
print(json.dumps(json.loads(base64.urlsafe_b64decode(pad(body)))))
"#;
    let out = Command::new("python3")
        .args(["-c", script, token, secret])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let claims: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(claims["sub"], "hod@example.test");
    assert_eq!(claims["role"], "chief_engineer");
    assert_eq!(claims["yacht_id"], "85fe");
    assert_eq!(claims["level"], 3);
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        7200
    );

    let missing = run(&[
        "jwt",
        "--secret-env",
        "GOLIVE_SURELY_UNSET_SECRET",
        "--sub",
        "x",
    ]);
    assert_eq!(missing.code, 2);
    assert_eq!(missing.stderr.lines().count(), 1);
}

struct Stage3 {
    run: Run,
    summary: Stage3Summary,
    raw: serde_json::Value,
    dir: tempfile::TempDir,
}

fn stage3(base: &str, gate: Option<&str>, extra: &[&str]) -> Stage3 {
    let dir = tempfile::tempdir().unwrap();
    if let Some(source) = gate {
        std::fs::create_dir_all(dir.path().join("release_gate")).unwrap();
        std::fs::write(dir.path().join("release_gate/run_all.py"), source).unwrap();
    }
    let mut cmd = golive();
    cmd.args(["stage3", "--base", base, "--root"])
        .arg(dir.path())
        .args(extra);
    for var in ["OI_BASE_URL", "HOME_API"] {
        cmd.env_remove(var);
    }
    let run = run_with(cmd, Duration::from_secs(60));
    let path = dir.path().join("qa/stage3/v0.3.0/summary.json");
    let summary = read_json(&path);
    let raw = read_json(&path);
    Stage3 {
        run,
        summary,
        raw,
        dir,
    }
}

const PASSING_GATE: &str = "import os, sys\nprint('HOME_API=%s PYTHONPATH=%s' % (os.environ.get('HOME_API'), os.environ.get('PYTHONPATH')))\nprint('all packs passed')\nsys.exit(0)\n";

#[test]
fn stage3_passes_with_a_passing_gate_and_writes_every_artifact() {
    let server = embedded(None);
    let s = stage3(&format!("http://{}", server.addr), Some(PASSING_GATE), &[]);
    assert_eq!(s.run.code, 0, "{}{}", s.run.stdout, s.run.stderr);
    let dir = s.dir.path().join("qa/stage3/v0.3.0");
    for file in [
        "smoke_results.json",
        "summary.json",
        "release_gate_stdout.txt",
        "release_gate_stderr.txt",
        "tests.txt",
        "report.html",
    ] {
        assert!(dir.join(file).exists(), "{file}");
    }
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("<h1>PASS</h1>") && page.contains("release gate"),
        "{page}"
    );
    let stdout = std::fs::read_to_string(dir.join("release_gate_stdout.txt")).unwrap();
    assert!(stdout.starts_with("HOME_API=1 PYTHONPATH=."), "{stdout}");
    for key in [
        "stage",
        "started",
        "finished",
        "base_url",
        "health_url",
        "smoke",
        "release_gate_exit_code",
        "status",
    ] {
        assert!(s.raw.get(key).is_some(), "summary.json lacks {key}");
    }
    assert_eq!(s.raw["stage"], "stage3_v0_3_0");
    assert_eq!(s.raw["smoke"]["status"], "PASS");
    assert_eq!(s.summary.release_gate_exit_code, Some(0));
    let smoke: SmokeResults = read_json(&dir.join("smoke_results.json"));
    assert_eq!(smoke.total, 5);
    let tests_txt = std::fs::read_to_string(dir.join("tests.txt")).unwrap();
    assert!(
        tests_txt.contains("✅ Release gate (API mode")
            && tests_txt.trim_end().ends_with("Status: PASS"),
        "{tests_txt}"
    );
}

#[test]
fn stage3_fails_on_a_failing_gate_a_missing_gate_and_an_unreachable_api() {
    let server = embedded(None);
    let base = format!("http://{}", server.addr);
    let failing = stage3(
        &base,
        Some("import sys\nprint('pack 7 failed', file=sys.stderr)\nsys.exit(3)\n"),
        &[],
    );
    assert_eq!(failing.run.code, 1);
    assert_eq!(failing.summary.release_gate_exit_code, Some(3));
    let stderr = std::fs::read_to_string(
        failing
            .dir
            .path()
            .join("qa/stage3/v0.3.0/release_gate_stderr.txt"),
    )
    .unwrap();
    assert!(stderr.contains("pack 7 failed"));

    let missing = stage3(&base, None, &[]);
    assert_eq!(missing.run.code, 1);
    assert_eq!(missing.summary.release_gate_exit_code, None);
    assert!(
        missing
            .summary
            .failures
            .iter()
            .any(|f| f.contains("release_gate/run_all.py not found")),
        "{:?}",
        missing.summary.failures
    );

    let down = stage3(
        &format!("http://{}", closed_port()),
        Some(PASSING_GATE),
        &[],
    );
    assert_eq!(down.run.code, 1);
    assert_eq!(down.summary.smoke.status, golive::outcome::Outcome::Fail);
    assert_eq!(
        down.summary.release_gate_exit_code,
        Some(0),
        "the gate still runs"
    );
}

#[test]
fn a_hanging_gate_is_killed_with_its_process_group() {
    let server = embedded(None);
    let hang = "import subprocess, time\nchild = subprocess.Popen(['sleep', '60'])\nopen('child.pid', 'w').write(str(child.pid))\nprint('started', flush=True)\ntime.sleep(60)\n";
    let s = stage3(
        &format!("http://{}", server.addr),
        Some(hang),
        &["--gate-timeout", "1s"],
    );
    assert_eq!(s.run.code, 1);
    assert!(s.summary.release_gate_timed_out);
    let pid: i32 = std::fs::read_to_string(s.dir.path().join("child.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: signal 0 only checks whether the process exists.
    let alive = unsafe { libc::kill(pid, 0) } == 0 && !is_zombie(pid);
    assert!(
        !alive,
        "the gate's child process {pid} survived the timeout"
    );
}

fn is_zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_or(true, |s| s.split_whitespace().nth(2) == Some("Z"))
}

#[test]
fn secrets_never_reach_stage3_artifacts() {
    let server = role_server();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("checks.toml"), ROLES).unwrap();
    std::fs::create_dir_all(dir.path().join("release_gate")).unwrap();
    std::fs::write(dir.path().join("release_gate/run_all.py"), "print('ok')\n").unwrap();
    let mut cmd = golive();
    cmd.args(["stage3", "--base", &server.url(""), "--checks"])
        .arg(dir.path().join("checks.toml"))
        .arg("--root")
        .arg(dir.path())
        .env("HOD_JWT", "hod-token-abcdef")
        .env("CREW_JWT", "crew-token-123456");
    let r = run_with(cmd, Duration::from_secs(60));
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let qa = dir.path().join("qa/stage3/v0.3.0");
    for entry in std::fs::read_dir(&qa).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        assert!(!text.contains("hod-token-abcdef") && !text.contains("crew-token-123456"));
    }
    assert!(!r.stdout.contains("hod-token-abcdef"));
    assert!(Path::new(&qa).join("tests.txt").exists());
}

//! Secrets are never printed or written: a run that used each kind (header values, a
//! token, URL passwords, secret-named variables) is grepped, every stream and every
//! file it left, for the secret values. Redaction is by type, not by pattern.

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::*;

const SECRETS: [&str; 7] = [
    "S3CRET-header",
    "S3CRET-apikey",
    "S3CRET-token",
    "S3CRET-urlpass",
    "S3CRET-dbpass",
    "S3CRET-smtp",
    "S3CRET-signing",
];

/// Every secret's absence from `text`, named by `what`.
fn clean(what: &str, text: &str) {
    for s in SECRETS {
        assert!(!text.contains(s), "{s} appears in {what}:\n{text}");
    }
}

fn clean_run(what: &str, run: &Run) {
    clean(&format!("{what} stdout"), &run.stdout);
    clean(&format!("{what} stderr"), &run.stderr);
}

/// Every file under `dir`, read as bytes.
fn clean_dir(dir: &Path) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            clean_dir(&path);
        } else {
            let bytes = std::fs::read(&path).unwrap();
            clean(
                &path.display().to_string(),
                &String::from_utf8_lossy(&bytes),
            );
        }
    }
}

#[test]
fn a_ramp_with_headers_and_a_token_writes_none_of_them() {
    let authorized = Arc::new(AtomicU64::new(0));
    let seen = authorized.clone();
    let s = TestServer::start(move |req, _| {
        let ok = req
            .headers()
            .get("authorization")
            .is_some_and(|v| v == "Bearer S3CRET-header")
            && req
                .headers()
                .get("x-api-key")
                .is_some_and(|v| v == "S3CRET-apikey");
        if ok {
            seen.fetch_add(1, Ordering::Relaxed);
        }
        async move { text(200, "ok") }
    });
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n).display().to_string();
    let mut cmd = golive();
    cmd.args([
        "ramp",
        &format!("http://{}/", s.addr),
        "--steps",
        "5:300ms,100:300ms",
        "--interval",
        "300ms",
        "--warmup",
        "0s",
        "--window-rate",
        "100",
        "-n",
        "20",
        "--set-weight",
        "true",
        // Clustered short flags: -k and -H together.
        "-kH",
        "Authorization: Bearer S3CRET-header",
        "-H",
        "X-Api-Key: S3CRET-apikey",
        "--state",
        &p("state.json"),
        "--json",
        &p("ramp.json"),
        "--report",
        &p("ramp.html"),
        "--junit",
        &p("ramp.xml"),
        "--pre-slo",
        "5xx==0",
    ])
    .env("TEST_JWT", "S3CRET-token");
    let run = run_with(cmd, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        authorized.load(Ordering::Relaxed) > 20,
        "the headers were sent"
    );
    clean_run("ramp", &run);
    clean_dir(dir.path());
    let state = std::fs::read_to_string(dir.path().join("state.json")).unwrap();
    assert!(
        state.contains("authorization") && state.contains("x-api-key"),
        "names are kept"
    );
    // Status reads the journal back without a secret to show.
    let status = golive::ramp::state::read(&dir.path().join("state.json")).unwrap();
    assert!(status.is_some());
}

#[test]
fn url_passwords_are_masked_in_every_refusal() {
    let s = TestServer::start(|_, _| async { text(200, "ok") });
    let with_pass = format!("http://ops:S3CRET-urlpass@{}/", s.addr);
    let bad_port = "http://ops:S3CRET-urlpass@127.0.0.1:99999/".to_string();
    for args in [
        vec!["stress", with_pass.as_str(), "-n", "1"],
        vec!["stress", bad_port.as_str(), "-n", "1"],
        vec!["canary", with_pass.as_str(), "--count", "1"],
        vec![
            "ramp",
            "http://127.0.0.1:1/",
            "--steps",
            "5:1m",
            "--set-weight",
            "true",
            "--metrics",
            with_pass.as_str(),
        ],
    ] {
        let run = run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("ops:****@"), "{}", run.stderr);
        clean_run(&format!("{args:?}"), &run);
    }
    assert_eq!(s.requests.load(Ordering::Relaxed), 0);

    // A smoke checks file's URL: refused before any request, masked.
    let dir = tempfile::tempdir().unwrap();
    let checks = dir.path().join("smoke.toml");
    std::fs::write(
        &checks,
        format!(
            "[[check]]\nname = \"health\"\nurl = \"{with_pass}health\"\nexpect_status = [200]\n"
        ),
    )
    .unwrap();
    let json = dir.path().join("smoke.json");
    let run = run(&[
        "smoke",
        "--base",
        &format!("http://{}", s.addr),
        "--checks",
        checks.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    clean_run("smoke", &run);
    assert!(!json.exists());
    assert_eq!(s.requests.load(Ordering::Relaxed), 0);
}

#[test]
fn envcheck_says_a_secret_is_set_and_never_what_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let example = dir.path().join(".env.example");
    std::fs::write(
        &example,
        "DB_PASS=\nSMTP_PWD=\nAUTH_HEADER=\nSESSION_SIGNING=\nDATABASE_URL=\nLOG_LEVEL=\n",
    )
    .unwrap();
    let (json, page) = (dir.path().join("env.json"), dir.path().join("env.html"));
    let mut cmd = golive();
    cmd.args([
        "envcheck",
        "--example",
        example.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--report",
        page.to_str().unwrap(),
    ])
    .env("DB_PASS", "S3CRET-dbpass")
    .env("SMTP_PWD", "S3CRET-smtp")
    .env("AUTH_HEADER", "Bearer S3CRET-header")
    .env("SESSION_SIGNING", "S3CRET-signing")
    .env("DATABASE_URL", "postgres://app:S3CRET-urlpass@db:5432/x")
    .env("LOG_LEVEL", "info");
    let run = run_with(cmd, Duration::from_secs(30));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    clean_run("envcheck", &run);
    clean_dir(dir.path());
    assert!(
        run.stdout.contains("DB_PASS=set (13 chars)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("postgres://app:****@db"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("LOG_LEVEL=info"), "{}", run.stdout);
}

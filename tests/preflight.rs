//! Bad input is found before any traffic moves, gets one line and exit 2, and never
//! costs memory, files or directories: output paths, the open-files limit, endless
//! input files, outputs that would overwrite inputs, and a connect that never ends.

mod common;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use common::*;

fn server() -> TestServer {
    TestServer::start(|_, _| async { text(200, "ok") })
}

#[test]
fn outputs_are_checked_before_the_load_and_no_directory_is_created() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("http://{}/", s.addr);
    for flag in ["--json", "--report", "--junit", "--hdr-log"] {
        let out = dir.path().join("missing/sub/out");
        let run = run(&[
            "stress",
            &url,
            "-d",
            "3s",
            "--no-progress",
            flag,
            out.to_str().unwrap(),
        ]);
        assert_eq!(run.code, 2, "{flag}: {}", run.stderr);
        assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }
    assert!(
        !dir.path().join("missing").exists(),
        "no directory was created"
    );
    let same = dir.path().join("out");
    let run = run(&[
        "stress",
        &url,
        "-n",
        "5",
        "--json",
        same.to_str().unwrap(),
        "--report",
        same.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(s.requests.load(Ordering::Relaxed), 0, "no request was sent");
}

#[test]
fn more_connections_than_open_files_is_exit_2_before_any_request() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    // `ulimit -n` in sh sets the hard limit too, so golive cannot raise it.
    let script = format!(
        "ulimit -n 256 && exec '{}' stress {url} -c 1000 -n 1000 --no-progress",
        env!("CARGO_BIN_EXE_golive")
    );
    let mut cmd = std::process::Command::new("sh");
    cmd.args(["-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let run = run_with(cmd, Duration::from_secs(30));
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("1000 connections need about 1064 open files")
            && run.stderr.contains("may open 256"),
        "{}",
        run.stderr
    );
    assert!(
        listener.accept().is_err(),
        "not one connection was attempted"
    );
}

#[test]
fn endless_input_files_are_refused_at_their_cap() {
    let s = server();
    let url = format!("http://{}/", s.addr);
    let started = Instant::now();
    let body = run(&["stress", &url, "-n", "1", "--body-file", "/dev/zero"]);
    assert_eq!(body.code, 2, "{}", body.stderr);
    assert!(body.stderr.contains("over 64 MiB"), "{}", body.stderr);
    let report = run(&["report", "/dev/zero", "-o", "/dev/null"]);
    assert_eq!(report.code, 2, "{}", report.stderr);
    assert!(report.stderr.contains("over 512 MiB"), "{}", report.stderr);
    let merge = run(&["merge", "/dev/zero"]);
    assert_eq!(merge.code, 2, "{}", merge.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "bounded: {:?}",
        started.elapsed()
    );
    assert_eq!(s.requests.load(Ordering::Relaxed), 0);
}

#[test]
fn report_and_merge_never_write_over_their_input() {
    let s = server();
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("saved.html");
    let url = format!("http://{}/", s.addr);
    let first = run(&["stress", &url, "-n", "5", "--json", saved.to_str().unwrap()]);
    assert!(first.code == 0 || first.code == 3, "{}", first.stderr);
    let before = std::fs::read(&saved).unwrap();
    for args in [
        vec!["report", saved.to_str().unwrap()],
        vec![
            "report",
            saved.to_str().unwrap(),
            "-o",
            saved.to_str().unwrap(),
        ],
        vec![
            "report",
            saved.to_str().unwrap(),
            "-o",
            "/dev/null",
            "--junit",
            saved.to_str().unwrap(),
        ],
        vec![
            "merge",
            saved.to_str().unwrap(),
            "--json",
            saved.to_str().unwrap(),
        ],
    ] {
        let run = run(&args);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("its own input"), "{}", run.stderr);
        assert_eq!(std::fs::read(&saved).unwrap(), before, "{args:?}");
    }
}

#[test]
fn the_connect_phase_honours_the_timeout() {
    // A listener whose backlog is full: new connections are never accepted.
    let listener = socket2_listener();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let started = Instant::now();
    let (run, report) = stress_json(&[&url, "-n", "1", "-c", "1", "--timeout", "1s"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(report.body.results.errors.get("connect"), Some(&1));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "one connect of at most --timeout 1s took {:?}",
        started.elapsed()
    );
}

/// A listener with a backlog of zero, already full: connects hang in SYN_SENT.
fn socket2_listener() -> std::net::TcpListener {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen(2) on our own socket, to shrink the backlog.
    unsafe {
        use std::os::fd::AsRawFd;
        libc::listen(listener.as_raw_fd(), 0);
    }
    let addr = listener.local_addr().unwrap();
    let mut held = Vec::new();
    for _ in 0..8 {
        if let Ok(s) = std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(100)) {
            held.push(s);
        }
    }
    std::mem::forget(held);
    listener
}

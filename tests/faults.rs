//! Faults and bad input: each failure is counted under its kind, runs finish on time,
//! nothing panics, memory stays bounded; bad input exits 2 with one line.

mod common;

use std::io::Write;
use std::time::Duration;

use common::*;
use golive::gates::stress::StressReport;

fn errors_of(url: &str, extra: &[&str]) -> (Run, StressReport) {
    stress_json(&[&[url], extra].concat())
}

#[test]
fn connection_refused_is_counted() {
    let url = format!("http://{}/", closed_port());
    let (run, report) = errors_of(&url, &["-n", "20", "-c", "2"]);
    assert_eq!(report.body.results.errors["connect_refused"], 20);
    assert_eq!(report.body.results.responses, 0);
    assert_eq!(run.code, 1);
    assert!(
        report
            .body
            .warnings
            .iter()
            .any(|w| w.contains("is the target up")),
        "{:?}",
        report.body.warnings
    );
}

#[test]
fn reset_mid_response_is_counted() {
    let server = RawServer::start(|mut s| {
        if read_head(&mut s) {
            write_all(
                &mut s,
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial",
            );
            std::thread::sleep(Duration::from_millis(5));
            reset(s);
        }
    });
    let (_, report) = errors_of(&server.url(), &["-n", "10", "-c", "2"]);
    assert_eq!(
        report.body.results.errors["reset"], 10,
        "{:?}",
        report.body.results.errors
    );
}

#[test]
fn garbage_instead_of_http_is_malformed() {
    let server = RawServer::start(|mut s| {
        if read_head(&mut s) {
            write_all(&mut s, b"SSH-2.0-OpenSSH_9.2 this is not HTTP\r\n\r\n");
        }
    });
    let (_, report) = errors_of(&server.url(), &["-n", "6", "-c", "2"]);
    assert_eq!(
        report.body.results.errors["malformed"], 6,
        "{:?}",
        report.body.results.errors
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    let server = RawServer::start(|mut s| {
        read_head(&mut s);
        std::thread::sleep(Duration::from_secs(5));
    });
    let (_, report) = errors_of(&server.url(), &["-n", "4", "-c", "2", "--timeout", "200ms"]);
    assert_eq!(report.body.results.errors["timeout"], 4);
}

#[test]
fn a_huge_body_is_read_and_dropped_with_bounded_memory() {
    const BODY: usize = 50 * 1024 * 1024;
    let server = RawServer::start(|mut s| {
        while read_head(&mut s) {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {BODY}\r\n\r\n");
            if s.write_all(head.as_bytes()).is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..BODY / chunk.len() {
                if s.write_all(&chunk).is_err() {
                    return;
                }
            }
        }
    });
    let (run, report) = errors_of(
        &server.url(),
        &["-n", "3", "-c", "1", "--slo", "success==100%"],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(report.body.results.bytes_read, 3 * BODY as u64);
    let rss = report.body.results.generator.peak_rss_mb;
    assert!(rss < 64.0, "peak RSS {rss} MB: bodies must not be kept");
}

/// Input golive itself validates: exit 2 and one line naming the problem.
#[test]
fn bad_input_exits_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["stress", "not a url"],
        &["stress", "ftp://127.0.0.1/"],
        &["stress", "127.0.0.1:9/"],
        &["stress", "localhost:9/health"],
        &["stress", "http://127.0.0.1:99999/", "-n", "1"],
        &["stress", "http://127.0.0.1:65536/", "-n", "1"],
        &["canary", "http://127.0.0.1:19x02/health"],
        &["stage4", "--prod-url", "http://127.0.0.1:99999"],
        &["stress", "http://127.0.0.1:9/", "--slo", "p95<"],
        &["stress", "http://127.0.0.1:9/", "--slo", "latency<1s"],
        &["stress", "http://127.0.0.1:9/", "-H", "no-colon"],
        &[
            "stress",
            "http://127.0.0.1:9/",
            "-H",
            "Authorization: Bearer ${GOLIVE_SURELY_UNSET}",
        ],
        &[
            "stress",
            "http://127.0.0.1:9/",
            "--body-file",
            "/nonexistent/body.json",
        ],
        &["stress"],
    ];
    for args in cases {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(
            lines.len(),
            1,
            "{args:?}: expected one line, got {:?}",
            run.stderr
        );
        assert!(lines[0].starts_with("golive: "), "{args:?}: {}", lines[0]);
    }
}

/// Flags clap rejects: exit 2 and one line, clap's message with its tips and
/// suggestions kept, naming the help to read.
#[test]
fn usage_errors_keep_clap_tips() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["stress", "http://127.0.0.1:9/", "--rate", "0"],
            "greater than 0",
        ),
        (&["stress", "http://127.0.0.1:9/", "-d", "-5s"], "negative"),
        (&["stress", "http://127.0.0.1:9/", "-d", "5"], "add a unit"),
        (
            &["stress", "http://127.0.0.1:9/", "--timeout", "soon"],
            "300ms",
        ),
        (&["stress", "http://127.0.0.1:9/", "-c", "0"], "at least 1"),
        (
            &["stress", "http://h/", "--concurency", "5"],
            "--concurrency",
        ),
        (
            &["canary", "http://h/health", "--interval", "300ms"],
            "--for",
        ),
        (&["serve", "--health", "great"], "degraded"),
        (&["no-such-command"], "see golive --help"),
        (
            &["canary", "--foo"],
            "tip: a similar argument exists: '--for'",
        ),
        (&["stres"], "'stress'); see golive --help"),
        (
            &["patch", "rollback", "--bogus"],
            "see golive patch rollback --help",
        ),
        (
            &["stress", "http://127.0.0.1:9/", "--rate", "abc"],
            "see golive stress --help",
        ),
    ];
    for (args, tip) in cases {
        let run = run(args);
        assert_eq!(run.code, 2, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.starts_with("golive: error: "),
            "{args:?}: {}",
            run.stderr
        );
        assert_eq!(run.stderr.trim_end().lines().count(), 1, "{}", run.stderr);
        assert!(run.stderr.contains(tip), "{args:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn help_and_version_exit_0() {
    for args in [&["--help"][..], &["stress", "--help"], &["--version"]] {
        let run = run(args);
        assert_eq!(run.code, 0, "{args:?}");
        assert!(!run.stdout.is_empty());
    }
}

//! What a person sees: the ramp's live view on a terminal (a pty, through `script`) and
//! a status line per window when stderr is a pipe; progress and warnings that fit the
//! terminal's width; and words, not the program's own names, in everything the demo
//! prints and writes.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use golive::serve::{BackgroundServer, ServeOptions};
use unicode_width::UnicodeWidthStr;

fn ramp_args(url: &str) -> Vec<String> {
    [
        "ramp",
        url,
        "--steps",
        "5:1s,100:1s",
        "--interval",
        "500ms",
        "--warmup",
        "0s",
        "--window-rate",
        "60",
        "--skip-pre",
        "--set-weight",
        "true",
        "--color",
        "never",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn the_ramp_is_a_live_view_on_a_terminal_and_a_line_per_window_in_ci() {
    let s = BackgroundServer::start(ServeOptions::default()).unwrap();
    let url = format!("http://{}/health", s.addr);
    let args = ramp_args(&url);

    // A terminal: `script` gives golive a pty; what the terminal got comes back.
    let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
    let line = format!("'{}' {}", env!("CARGO_BIN_EXE_golive"), quoted.join(" "));
    let mut cmd = Command::new("script");
    cmd.args(["-qfec", &line, "/dev/null"])
        .env("COLUMNS", "100")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let tty = run_with(cmd, Duration::from_secs(60));
    assert_eq!(tty.code, 0, "{}{}", tty.stdout, tty.stderr);
    assert!(
        tty.stdout.contains("step 1/2 at 5% · window 1 of 2") && tty.stdout.contains(" left"),
        "no live view on the terminal:\n{}",
        tty.stdout
    );

    // A pipe: one status line per window on stderr, the events on stdout.
    let mut cmd = golive();
    cmd.args(&args);
    let piped = run_with(cmd, Duration::from_secs(60));
    assert_eq!(piped.code, 0, "{}{}", piped.stdout, piped.stderr);
    let windows = piped
        .stdout
        .lines()
        .filter(|l| l.contains("%  window "))
        .count();
    let status = piped
        .stderr
        .lines()
        .filter(|l| l.starts_with("golive: step "))
        .count();
    assert!(
        windows >= 2 && status == windows,
        "{windows} windows, {status} lines:\n{}",
        piped.stderr
    );
    assert!(!piped.stderr.contains('\r'), "no live redraws into a pipe");

    // --no-progress: no view at all.
    let mut cmd = golive();
    cmd.args(&args).arg("--no-progress");
    let quiet = run_with(cmd, Duration::from_secs(60));
    assert!(!quiet.stderr.contains("golive: step"), "{}", quiet.stderr);
}

#[test]
fn progress_and_warnings_fit_the_terminal_width() {
    // Lag injected so that the report has warnings to wrap.
    let run = paced_stress(&[("COLUMNS", "60"), ("GOLIVE_TEST_INJECT_LAG", "10:40ms")]);
    let progress = status_lines(&run.stderr);
    assert!(progress.len() >= 2, "{}", run.stderr);
    for l in &progress {
        assert!(l.width() <= 60, "{} columns: {l}", l.width());
    }
    let mut warnings = 0;
    let mut in_warning = false;
    for l in run.stdout.lines() {
        in_warning = l.starts_with("  warning:") || (in_warning && l.starts_with("           "));
        if in_warning {
            warnings += 1;
            assert!(l.width() <= 60, "{} columns: {l}", l.width());
        }
    }
    assert!(warnings >= 2, "a wrapped warning:\n{}", run.stdout);
}

/// Our enums' variant names, and any CamelCase word: what `{:?}` leaks.
fn debug_names(text: &str) -> Vec<String> {
    const OURS: [&str; 16] = [
        "PreGate",
        "PreGateFailed",
        "Stepping",
        "RollingBack",
        "RollbackFailed",
        "RolledBack",
        "Promoted",
        "Rollback",
        "BeforeStep",
        "AfterFailure",
        "SetWeight",
        "SectionAdded",
        "RowUpdated",
        "Unchanged",
        "Inconclusive",
        "Interrupted",
    ];
    const ALLOWED: [&str; 6] = [
        "GitHub",
        "HdrHistogram",
        "JavaScript",
        "TypeScript",
        "PostgreSQL",
        "McKinsey",
    ];
    let mut found = Vec::new();
    for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
        let humps = word.chars().filter(char::is_ascii_uppercase).count();
        let camel = word.len() > 3
            && word.starts_with(|c: char| c.is_ascii_uppercase())
            && humps >= 2
            && word.chars().any(|c| c.is_ascii_lowercase())
            && !ALLOWED.contains(&word);
        if OURS.contains(&word) || camel {
            found.push(word.to_string());
        }
    }
    found
}

#[test]
fn the_demo_speaks_in_words_not_in_the_programs_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("stage4");
    let json = dir.path().join("demo.json");
    let mut cmd = golive();
    cmd.args([
        "demo",
        "-d",
        "1s",
        "--out",
        out.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
        "--color",
        "never",
    ])
    .current_dir(dir.path());
    let run = run_with(cmd, Duration::from_secs(120));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let mut texts = vec![
        ("stdout".to_string(), run.stdout.clone()),
        ("stderr".into(), run.stderr.clone()),
    ];
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "html" || e == "txt") {
            // The page's visible text: tags and styles aside.
            let page = std::fs::read_to_string(&path).unwrap();
            let visible = page
                .split('<')
                .map(|part| part.split_once('>').map_or(part, |(_, t)| t))
                .collect::<Vec<_>>()
                .join(" ");
            texts.push((path.display().to_string(), visible));
        }
    }
    assert!(texts.len() >= 3, "the demo's pages: {texts:?}");
    for (what, text) in texts {
        let found = debug_names(&text);
        assert!(found.is_empty(), "{what} has program names: {found:?}");
    }
    // And the numbers read as numbers.
    assert!(!run.stdout.contains("observed - ms") && !run.stdout.contains(".000 count"));
}

#[test]
fn status_lines_in_a_log_are_whole() {
    // No terminal and no COLUMNS: a CI log, where nothing wraps and every figure counts.
    let run = paced_stress(&[]);
    let progress = status_lines(&run.stderr);
    assert!(!progress.is_empty(), "{}", run.stderr);
    for l in &progress {
        assert!(l.ends_with(" errors") && !l.contains('…'), "{l}");
    }
    assert!(
        progress.iter().any(|l| l.width() > 80),
        "a line longer than 80 columns is kept whole: {progress:?}"
    );
}

/// `stress` at 200 req/s for 1.5 s with a status line every 300 ms, with `env` set.
fn paced_stress(env: &[(&str, &str)]) -> Run {
    let s = TestServer::start(|_, _| async { text(200, "ok") });
    let mut cmd = golive();
    cmd.envs(env.iter().copied()).args([
        "stress",
        &s.url("/"),
        "--rate",
        "200",
        "-d",
        "1500ms",
        "-c",
        "4",
        "--threads",
        "1",
        "--status-interval",
        "300ms",
        "--color",
        "never",
    ]);
    run_with(cmd, Duration::from_secs(60))
}

/// The status lines among stderr's.
fn status_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("golive: "))
        .collect()
}

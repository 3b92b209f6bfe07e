//! The HTML report as a browser shows it: headless Chromium renders real reports from
//! file:// paths, the charts and verdicts are in what it rendered, and it logged no
//! Content-Security-Policy violation. Screenshots are kept under target/tmp for a
//! person to look at. Skipped, with a message, where Chromium is absent (`.ci/run`
//! installs it and sets GOLIVE_REQUIRE_CHROMIUM, so there a missing browser fails).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn chromium() -> Option<PathBuf> {
    let named = std::env::var_os("GOLIVE_CHROMIUM").map(PathBuf::from);
    let candidates = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
    named
        .into_iter()
        .chain(candidates.iter().map(PathBuf::from))
        .find(|p| p.exists())
}

/// Headless Chromium on `page` with `extra` arguments, its own empty profile and no
/// background traffic; returns (stdout, stderr). Bounded at 60 s.
fn browse(browser: &Path, profile: &Path, page: &Path, extra: &[&str]) -> (String, String) {
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn csp_violations(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("Content Security Policy"))
        .collect()
}

#[test]
fn chromium_renders_reports_with_charts_verdicts_and_no_csp_violation() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("GOLIVE_REQUIRE_CHROMIUM").is_none(),
            "CI must run the browser test: install Debian's chromium (.ci/run does)"
        );
        eprintln!("skipped: no chromium (apt-get install chromium, or set GOLIVE_CHROMIUM)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("profile");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshots");
    std::fs::create_dir_all(&shots).unwrap();

    // The detector works: the same policy refuses an inline script and a stray style.
    let control = dir.path().join("control.html");
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/stress-report.html"),
    )
    .unwrap()
    .replace(
        "</main>",
        "<p style=\"color:red\">x</p><script>document.title='x'</script></main>",
    );
    std::fs::write(&control, page).unwrap();
    let (_, stderr) = browse(&browser, &profile, &control, &["--dump-dom"]);
    assert!(
        csp_violations(&stderr).len() >= 2,
        "chromium logged no violation for a page that has two:\n{stderr}"
    );

    for (kind, verdict, charts) in [
        ("stress", "FAIL", 2),
        ("ramp", "FAIL", 1),
        ("canary", "PASS", 1),
        ("compare", "FAIL", 1),
    ] {
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/fixtures/results/{kind}.json"));
        let html = dir.path().join(format!("{kind}.html"));
        let r = run(&[
            "report",
            fixture.to_str().unwrap(),
            "-o",
            html.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 0, "{}", r.stderr);

        let (dom, stderr) = browse(&browser, &profile, &html, &["--dump-dom"]);
        assert!(
            csp_violations(&stderr).is_empty(),
            "{kind}: {:#?}",
            csp_violations(&stderr)
        );
        assert!(
            dom.contains(&format!("<h1>{verdict}</h1>")),
            "{kind}: verdict not rendered"
        );
        assert_eq!(
            dom.matches("<svg").count(),
            charts,
            "{kind}: charts in the DOM"
        );
        assert!(
            dom.contains("<polyline") || dom.contains("<path"),
            "{kind}: empty charts"
        );
        assert!(dom.contains("<h2>Checks</h2>"), "{kind}");
        // The pieces each page must show a person.
        let pieces: &[&str] = match kind {
            // The non-2xx on their own scale; a failed SLO says why, with numbers.
            "stress" => &[
                "not 2xx/s",
                "at or over the limit of 500 ms",
                "own median second",
            ],
            // The plan; the legend beside the chart; the interruption and resume.
            "ramp" => &[
                "<h3>Plan</h3>",
                "interrupted, resumed",
                "INTERRUPTED at step 2",
                "RESUMED",
                "rolled back to 0% from",
            ],
            // Each metric in words, with its interval and band.
            "compare" => &[
                "Candidate against baseline",
                "beyond the +5% allowed",
                "99.5% interval",
                "baseline",
            ],
            _ => &[],
        };
        for piece in pieces {
            assert!(
                dom.contains(piece),
                "{kind}: no {piece:?} in the rendered page"
            );
        }

        let shot = shots.join(format!("{kind}.png"));
        let _ = std::fs::remove_file(&shot);
        let arg = format!("--screenshot={}", shot.display());
        browse(
            &browser,
            &profile,
            &html,
            &[&arg, "--window-size=1000,2400"],
        );
        let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{kind}: no screenshot: {e}"));
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 20_000,
            "{kind}: blank screenshot"
        );
        eprintln!("{kind}: screenshot {}", shot.display());
    }
}

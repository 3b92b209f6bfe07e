//! The evidence golive leaves: `golive report` renders every saved result kind offline
//! into one self-contained page (pinned by a golden file), `--junit` agrees with the
//! verdicts, `$GITHUB_STEP_SUMMARY` gets a summary appended, and a stall is visible.
//! The fixtures are real results (scripts/report-fixtures.sh regenerates them).

mod common;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::*;

const KINDS: [&str; 10] = [
    "stress", "merge", "compare", "canary", "smoke", "stage3", "stage4", "probes", "envcheck",
    "ramp",
];

fn fixture(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/results/{kind}.json"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// `golive report` of a fixture into `dir`: the page, and the JUnit file's path.
fn report(kind: &str, dir: &Path) -> (String, PathBuf) {
    let html = dir.join(format!("{kind}.html"));
    let junit = dir.join(format!("{kind}.xml"));
    let fix = fixture(kind);
    let r = run(&[
        "report",
        fix.to_str().unwrap(),
        "-o",
        html.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{kind}: {}{}", r.stdout, r.stderr);
    (read(&html), junit)
}

#[test]
fn every_result_kind_renders_offline_with_its_verdict_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let doc: serde_json::Value = read_json(&fixture(kind));
        let outcome = doc["outcome"].as_str().unwrap().to_uppercase();
        let (html, junit) = report(kind, dir.path());
        assert!(html.starts_with("<!doctype html>"), "{kind}");
        assert!(
            html.contains(&format!("<h1>{outcome}</h1>")),
            "{kind}: no {outcome} headline"
        );
        assert!(html.contains("<h2>Checks</h2>"), "{kind}");
        let charts = html.matches("<svg").count();
        let want = match kind {
            "stress" | "merge" => 2,
            "canary" | "stage4" | "ramp" | "compare" => 1,
            _ => 0,
        };
        assert_eq!(charts, want, "{kind}: charts");
        let c = junit_counts(&junit);
        assert!(c.tests > 0, "{kind}: no testcase");
        assert_eq!(
            c.failures + c.errors > 0,
            outcome == "FAIL",
            "{kind}: {c:?}"
        );
    }
}

/// The `'sha256-…'` of a page's one `<style>`, computed here.
fn style_hash(html: &str) -> String {
    use base64::Engine as _;
    let start = html.find("<style>").unwrap() + "<style>".len();
    let end = html.find("</style>").unwrap();
    let digest = ring::digest::digest(&ring::digest::SHA256, &html.as_bytes()[start..end]);
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest.as_ref())
    )
}

#[test]
fn no_page_refers_to_anything_outside_itself() {
    let dir = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let (html, _) = report(kind, dir.path());
        let json = read(&fixture(kind));
        for banned in [
            "href=", "src=", "url(", "@import", "<script", "<link", "<iframe",
        ] {
            assert!(!html.contains(banned), "{kind}: {banned}");
        }
        // Every URL left is the run's own, shown as text.
        for (at, _) in html.match_indices("http") {
            let url: String = html[at..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !"<\"'&".contains(*c))
                .collect();
            if url.starts_with("http://") || url.starts_with("https://") {
                assert!(json.contains(&url), "{kind}: {url} is not the run's");
            }
        }
        let csp_at = html.find("Content-Security-Policy\" content=\"").unwrap();
        let csp = &html[csp_at..html[csp_at..].find("\">").unwrap() + csp_at];
        assert!(csp.contains("default-src 'none'"), "{csp}");
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("script-src"),
            "{csp}"
        );
        assert!(
            csp.contains(&style_hash(&html)),
            "{kind}: the style's hash is not allowed"
        );
        assert_eq!(html.matches("<style>").count(), 1, "{kind}");
        assert!(
            !html.contains(" style=\""),
            "{kind}: a style attribute needs unsafe-inline"
        );
    }
}

/// The page with its render time masked.
fn masked(html: &str) -> String {
    let start = html.find("<time>").unwrap() + "<time>".len();
    let end = html.find("</time>").unwrap();
    format!("{}RENDERED-AT{}", &html[..start], &html[end..])
}

#[test]
fn the_stress_report_matches_its_golden_file() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = report("stress", dir.path());
    let got = masked(&html);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/stress-report.html");
    if std::env::var("GOLIVE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(golden.parent().unwrap()).unwrap();
        std::fs::write(&golden, &got).unwrap();
    }
    let want = read(&golden);
    if got != want {
        let diff = similar::TextDiff::from_lines(&want, &got);
        let shown: String = diff
            .unified_diff()
            .context_radius(1)
            .to_string()
            .lines()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n");
        panic!(
            "the report changed (review, then GOLIVE_BLESS=1 cargo test --test report):\n{shown}"
        );
    }
}

/// A server that holds every request arriving between 1.05 s and 2.2 s after its first
/// one until 2.2 s: a one-second stall.
fn stalling_server() -> TestServer {
    let t0: Arc<OnceLock<Instant>> = Arc::new(OnceLock::new());
    TestServer::start(move |_req, _n| {
        let t0 = *t0.get_or_init(Instant::now);
        async move {
            let since = t0.elapsed();
            let (from, to) = (Duration::from_millis(1050), Duration::from_millis(2200));
            if since >= from && since < to {
                tokio::time::sleep(to - since).await;
            }
            text(200, "ok")
        }
    })
}

#[test]
fn a_one_second_stall_shows_in_the_over_time_data() {
    let server = stalling_server();
    let dir = tempfile::tempdir().unwrap();
    let (json, html) = (dir.path().join("run.json"), dir.path().join("run.html"));
    let r = run(&[
        "stress",
        &server.url("/"),
        "-c",
        "4",
        "-d",
        "5s",
        "--no-progress",
        "--slo",
        "p50<500ms",
        "--json",
        json.to_str().unwrap(),
        "--report",
        html.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = read_json(&json);
    let timeline = doc["results"]["timeline"].as_array().unwrap();
    let slowest = timeline
        .iter()
        .filter_map(|s| s["max_ms"].as_f64())
        .fold(0.0, f64::max);
    assert!(slowest >= 1000.0, "no second saw the stall: {timeline:#?}");
    let page = read(&html);
    let notable = &page[page
        .find("<h3>Notable seconds</h3>")
        .expect("notable seconds listed")..];
    let notable = &notable[..notable.find("</ul>").unwrap()];
    assert!(
        notable.contains("finished against a median of"),
        "no dip: {notable}"
    );
    // The stall is among the spikes listed (a busy machine may list a warm-up second's
    // spike too, and first).
    let spikes: Vec<f64> = notable
        .split("slowest ")
        .skip(1)
        .filter_map(|rest| rest.split(' ').next()?.parse().ok())
        .collect();
    assert!(spikes.iter().any(|&ms| ms >= 1000.0), "{notable}");
    // Shaded on the charts too: one band per notable second in each of three panels.
    let listed = notable.matches("<li>").count();
    assert!(listed >= 2, "{notable}");
}

/// A healthy 200, except a 503 for every tenth request.
fn one_in_ten_503() -> TestServer {
    TestServer::start(|_req, n| async move {
        if n % 10 == 9 {
            text(503, "down")
        } else {
            text(200, r#"{"status":"ok"}"#)
        }
    })
}

#[test]
fn junit_counts_match_the_verdicts() {
    let server = one_in_ten_503();
    let dir = tempfile::tempdir().unwrap();
    let (json, junit) = (dir.path().join("r.json"), dir.path().join("r.xml"));
    let r = run(&[
        "stress",
        &server.url("/"),
        "-n",
        "50",
        "-c",
        "1",
        "--no-progress",
        "--slo",
        "p95<5s",
        "--slo",
        "5xx==0",
        "--slo",
        "p99.99<1s",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = read_json(&json);
    let outcomes: Vec<&str> = doc["slos"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["pass", "fail", "inconclusive"]);
    let c = junit_counts(&junit);
    assert_eq!(
        (c.tests, c.failures, c.skipped, c.errors),
        (3, 1, 1, 0),
        "{c:?}"
    );
    assert!(
        c.messages
            .iter()
            .any(|m| m.starts_with("5 (") && m.contains("where 0 is required")),
        "the failure names the 5 503s and why they fail: {c:?}"
    );
    assert!(
        c.messages.iter().any(|m| m.contains("needs at least")),
        "the skip says why: {c:?}"
    );

    // A canary: one testcase per sample and per SLO, each failed sample a failure.
    let junit = dir.path().join("canary.xml");
    let json = dir.path().join("canary.json");
    let r = run(&[
        "canary",
        &server.url("/health"),
        "--count",
        "10",
        "--delay",
        "0s",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    let doc: serde_json::Value = read_json(&json);
    let samples = doc["samples"].as_array().unwrap();
    let bad = samples.iter().filter(|s| s["ok"] == false).count();
    let slos = doc["slos"].as_array().unwrap().len();
    let c = junit_counts(&junit);
    assert_eq!(c.tests, samples.len() + slos, "{c:?}");
    assert_eq!(c.failures, bad, "{c:?}");
}

#[test]
fn a_github_step_summary_is_appended_not_replaced() {
    let server = one_in_ten_503();
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "## the step before\n").unwrap();
    for _ in 0..2 {
        let mut cmd = golive();
        cmd.env("GITHUB_STEP_SUMMARY", &summary).args([
            "stress",
            &server.url("/"),
            "-n",
            "20",
            "-c",
            "1",
            "--no-progress",
            "--slo",
            "5xx==0",
        ]);
        let r = run_with(cmd, Duration::from_secs(60));
        assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    }
    let text = read(&summary);
    assert!(text.starts_with("## the step before\n"), "{text}");
    assert_eq!(text.matches("golive stress: FAIL").count(), 2, "{text}");
    assert!(text.contains("| SLO 5xx==0 | 2 | ❌ FAIL |"), "{text}");
    assert!(!text.contains("](http"), "a link: {text}");
    assert!(text.len() < 64 * 1024);
}

#[test]
fn a_corrupt_or_foreign_result_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("corrupt.json", "{\"golive_version\": \"0.1.0\", \"comm"),
        ("foreign.json", "{\"status\": \"PASS\", \"checks\": []}"),
        (
            "demo.json",
            "{\"golive_version\": \"0.1.0\", \"command\": \"demo\"}",
        ),
        (
            "cut.json",
            "{\"golive_version\": \"0.1.0\", \"command\": \"stress\", \"outcome\": \"pass\"}",
        ),
    ];
    for (name, body) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, body).unwrap();
        let r = run(&["report", path.to_str().unwrap()]);
        assert_eq!(r.code, 2, "{name}: {}{}", r.stdout, r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{name}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("golive: error: "),
            "{name}: {}",
            r.stderr
        );
        assert!(
            !path.with_extension("html").exists(),
            "{name}: a page was written"
        );
    }
    let r = run(&["report", dir.path().join("missing.json").to_str().unwrap()]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("cannot read"), "{}", r.stderr);
}

#[test]
fn only_one_artifact_may_take_stdout_and_a_page_can() {
    let server = one_in_ten_503();
    let r = run(&[
        "stress",
        &server.url("/"),
        "-n",
        "5",
        "--json",
        "-",
        "--report",
        "-",
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert_eq!(server.requests.load(std::sync::atomic::Ordering::SeqCst), 0);

    let fix = fixture("canary");
    let r = run(&["report", fix.to_str().unwrap(), "-o", "-"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("<!doctype html>") && r.stdout.ends_with("</html>\n"));
    assert!(
        r.stderr.contains("canary"),
        "the note goes to stderr: {}",
        r.stderr
    );
}

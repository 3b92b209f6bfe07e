//! `golive serve`: the embedded target answers like the seeds' backend, enforces webhook
//! signatures and obeys its fault knobs. Requests go through golive's own client.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use common::*;
use golive::gates::stress::StressReport;
use golive::http::{fetch, ClientOptions, Connector, Fetched, RequestTemplate, Target};
use golive::sign::stripe_header;
use http::header::{HeaderName, HeaderValue};
use http::Method;

const SECRET: &str = "whsec_golive_test_secret";

/// `golive serve --port 0` as a real process; killed on drop.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut cmd = golive();
        cmd.args(["serve", "--port", "0"])
            .args(args)
            .env("STRIPE_SIGNING_SECRET", SECRET);
        let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string();
        assert!(
            line.contains("STRIPE_SIGNING_SECRET set") && !line.contains(SECRET),
            "{line}"
        );
        Served { child, base }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(
    url: &str,
    method: Method,
    headers: Vec<(&'static str, String)>,
    body: &'static [u8],
) -> Fetched {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let target = Target::parse(url).unwrap();
        let headers = headers.into_iter().map(|(n, v)| {
            (
                HeaderName::from_static(n),
                HeaderValue::from_str(&v).unwrap(),
            )
        });
        let template =
            RequestTemplate::new(&target, method, headers, Bytes::from_static(body), false);
        let connector = Connector::new(&target, &ClientOptions::default())
            .await
            .unwrap();
        let mut conn = connector.connect().await.unwrap();
        fetch(&mut conn, template.build(), 64 * 1024).await.unwrap()
    })
}

fn get(url: &str) -> Fetched {
    request(url, Method::GET, vec![], b"")
}

fn json(f: &Fetched) -> serde_json::Value {
    serde_json::from_slice(&f.body).unwrap_or_else(|e| panic!("{e}: {:?}", f.body))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn endpoints_answer_like_the_seed_backend() {
    let s = Served::start(&[]);
    let health = get(&format!("{}/health", s.base));
    assert_eq!(
        (health.status, json(&health)),
        (200, serde_json::json!({"status": "ok"}))
    );
    let root = get(&format!("{}/", s.base));
    assert_eq!(root.status, 200);
    assert!(root.headers["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src"));
    for path in [
        "/health/live",
        "/health/ready",
        "/health/startup",
        "/api/auth/csrf",
        "/api/security/csrf",
    ] {
        let r = get(&format!("{}{path}", s.base));
        assert_eq!(r.status, 200, "{path}");
        assert!(json(&r).is_object(), "{path}");
    }
    assert!(json(&get(&format!("{}/api/notify/outbox", s.base))).is_array());
    assert_eq!(get(&format!("{}/nope", s.base)).status, 404);
    let metrics = get(&format!("{}/metrics", s.base));
    let text = String::from_utf8_lossy(&metrics.body);
    assert!(
        text.contains("# TYPE golive_serve_requests_total counter"),
        "{text}"
    );
    let count: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("golive_serve_requests_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(count, 10, "nine requests before this one, and this one");
}

#[test]
fn webhook_accepts_only_a_correct_fresh_signature() {
    let s = Served::start(&[]);
    let url = format!("{}/api/stripe/webhook", s.base);
    let body: &'static [u8] = b"{\"type\":\"invoice.paid\"}";
    let post = |headers| request(&url, Method::POST, headers, body).status;
    assert_eq!(post(vec![]), 400, "unsigned");
    assert_eq!(
        post(vec![("stripe-signature", "t=abc,v1=zz".into())]),
        400,
        "malformed"
    );
    assert_eq!(
        post(vec![(
            "stripe-signature",
            stripe_header(b"wrong", now(), body)
        )]),
        400,
        "wrong secret"
    );
    assert_eq!(
        post(vec![(
            "stripe-signature",
            stripe_header(SECRET.as_bytes(), now() - 301, body)
        )]),
        400,
        "stale"
    );
    assert_eq!(
        post(vec![(
            "stripe-signature",
            stripe_header(SECRET.as_bytes(), now(), body)
        )]),
        200,
        "signed"
    );
}

#[test]
fn fault_knobs_change_what_the_target_says() {
    let s = Served::start(&["--health", "degraded", "--no-csp"]);
    let health = get(&format!("{}/health", s.base));
    assert_eq!(
        (health.status, json(&health)),
        (200, serde_json::json!({"status": "degraded"}))
    );
    assert!(get(&format!("{}/", s.base))
        .headers
        .get("content-security-policy")
        .is_none());
    let failing = Served::start(&["--health", "fail"]);
    assert_eq!(get(&format!("{}/health", failing.base)).status, 503);
}

#[test]
fn error_rate_is_exact_and_stress_counts_it() {
    let s = Served::start(&["--error-rate", "0.1"]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let run = run(&[
        "stress",
        &format!("{}/health", s.base),
        "-n",
        "200",
        "-c",
        "4",
        "--no-progress",
        "--json",
        out.to_str().unwrap(),
    ]);
    let report: StressReport = read_json(&out);
    assert_eq!(report.body.results.status_5xx, 20);
    assert_eq!(report.body.results.success_rate_pct, Some(90.0));
    assert_eq!(run.code, 1);
}

#[test]
fn a_taken_port_is_a_one_line_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let run = run_with(
        {
            let mut c = golive();
            c.args(["serve", "--port", &port]);
            c
        },
        Duration::from_secs(20),
    );
    assert_eq!(run.code, 4);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("cannot listen"), "{}", run.stderr);
}

#[test]
fn demo_runs_against_the_embedded_target_without_failing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("demo.json");
    let qa = dir.path().join("qa");
    let run = run(&[
        "demo",
        "-d",
        "500ms",
        "--json",
        out.to_str().unwrap(),
        "--out",
        qa.to_str().unwrap(),
    ]);
    // Generator lag on a busy machine cannot flip a pass with this much margin.
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.matches("verdict: ").count(),
        9,
        "two stress runs, a traffic mix, a smoke run, a canary, three ramps and Stage 4: {}",
        run.stdout
    );
    assert!(run.stdout.contains("Status: PASS"), "{}", run.stdout);
    assert!(qa.join("summary.json").exists() && qa.join("tests.txt").exists());
    // The healthy ramp is promoted; the one whose target goes bad is rolled back at
    // its third step; the canary 3 ms slower than its baseline is rolled back in its
    // first window: the only FAILs the demo shows. The comparison of two releases
    // finds the slower one.
    assert!(run.stdout.contains("promoted to 100%"), "{}", run.stdout);
    assert!(
        run.stdout.contains("ROLLED BACK from 50%"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("ROLLED BACK from 5%") && run.stdout.contains("baseline: REGRESSED"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("REGRESSED: typical latency"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("SLO order: p99<500ms"),
        "the traffic mix judges its order request: {}",
        run.stdout
    );
    assert_eq!(
        run.stdout.matches("verdict: FAIL").count(),
        2,
        "{}",
        run.stdout
    );
    let report: StressReport = read_json(&out);
    assert!(report.body.results.responses > 0);
    assert_eq!(report.body.results.errors_total, 0);
}

#[test]
fn admin_routes_are_off_unless_asked_and_then_need_the_printed_token() {
    let off = Served::start(&[]);
    let url = format!("{}/admin/faults?error_rate=1", off.base);
    assert_eq!(request(&url, Method::POST, vec![], b"").status, 404);

    let mut cmd = golive();
    cmd.args(["serve", "--port", "0", "--admin"])
        .env("GOLIVE_ADMIN_TOKEN", "tok-123")
        .stdout(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let (mut first, mut second) = (String::new(), String::new());
    out.read_line(&mut first).unwrap();
    out.read_line(&mut second).unwrap();
    let on = Served {
        child,
        base: first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap()
            .to_string(),
    };
    assert!(second.contains("X-Golive-Admin: tok-123"), "{second}");
    let url = format!("{}/admin/faults?error_rate=1", on.base);
    // A proxy on the same host would pass any loopback check: only the token counts.
    assert_eq!(request(&url, Method::POST, vec![], b"").status, 403);
    let wrong = vec![("x-golive-admin", "tok-12".to_string())];
    assert_eq!(request(&url, Method::POST, wrong, b"").status, 403);
    let right = vec![("x-golive-admin", "tok-123".to_string())];
    assert_eq!(request(&url, Method::POST, right, b"").status, 200);
    assert_eq!(get(&format!("{}/health", on.base)).status, 500);
}

#[test]
fn serve_help_lists_every_route_it_answers() {
    let help = run(&["serve", "--help"]);
    assert_eq!(help.code, 0);
    for (route, _) in golive::serve::ROUTES {
        assert!(
            help.stdout.contains(route),
            "{route} missing from:\n{}",
            help.stdout
        );
    }
}

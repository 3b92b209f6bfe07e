//! The ramp reads a service's own metrics as a real client library writes them: a
//! fresh release's series, absent from a window's first scrape, count from zero, and
//! label values with commas, quotes and escapes select the right series. The metrics
//! come from prometheus-client (the Prometheus project's Rust client) behind a hyper
//! server on loopback.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use golive::ramp::RampReport;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

type Labels = Vec<(String, String)>;

/// A service instrumented with prometheus-client: every request to / counts under
/// a path label with a comma and a quote; the 5xx it serves go to another path whose
/// label also holds an escape. Its family exists only from its first request.
struct Service {
    registry: Registry,
    requests: Family<Labels, Counter>,
}

fn labels(path: &str, status: &str) -> Labels {
    vec![
        ("path".into(), path.into()),
        ("status".into(), status.into()),
    ]
}

#[test]
fn a_fresh_series_counts_from_zero_and_labels_keep_their_commas() {
    let requests = Family::<Labels, Counter>::default();
    let mut registry = Registry::default();
    registry.register("http_requests", "Requests served", requests.clone());
    let service = Arc::new(Mutex::new(Service { registry, requests }));
    let served = Arc::new(AtomicBool::new(false));
    let server = {
        let (service, served) = (service.clone(), served.clone());
        TestServer::start(move |req, _| {
            let (service, served) = (service.clone(), served.clone());
            async move {
                let s = service.lock().unwrap();
                if req.uri().path() == "/metrics" {
                    let mut text = String::new();
                    // Until the first request there is no series at all, as with a
                    // freshly started release.
                    if served.load(Ordering::SeqCst) {
                        encode(&mut text, &s.registry).unwrap();
                    }
                    return Resp::new(http_body_util::Full::new(bytes::Bytes::from(text)));
                }
                served.store(true, Ordering::SeqCst);
                s.requests
                    .get_or_create(&labels("/v1/a,b \"x\"", "200"))
                    .inc();
                // A 5xx on a label the selector excludes: a value with an escape.
                s.requests
                    .get_or_create(&labels("/admin\\ping", "503"))
                    .inc();
                text(200, "ok")
            }
        })
    };
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("ramp.json");
    let mut cmd = golive();
    cmd.args([
        "ramp",
        &server.url("/"),
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
        "--metrics",
        &server.url("/metrics"),
        // Only the public path's 5xx count: its label value holds a comma and quotes.
        "--metrics-5xx",
        "http_requests_total{path=\"/v1/a,b \\\"x\\\"\",status=~\"5..\"}",
        "--json",
        json.to_str().unwrap(),
    ]);
    let run = run_with(cmd, Duration::from_secs(60));
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let report: RampReport = read_json(&json);
    let windows = report.body.windows();
    assert!(!windows.is_empty());
    let first = windows[0].metrics.clone().expect("metrics judged");
    assert_eq!(first.error, None, "{first:?}");
    // The first window counted the fresh series from zero: every request it sent.
    assert!(first.requests.unwrap() > 0.0, "{first:?}");
    assert_eq!(
        first.status_5xx,
        Some(0.0),
        "the excluded path's 503s are not selected"
    );
}

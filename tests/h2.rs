//! HTTP/2 multiplexing (`--streams N`): N requests really are in flight on one
//! connection, a server that allows fewer concurrent streams shows as waiting in the
//! latency (it runs from the intended send), and GOAWAY and RST_STREAM are counted as
//! their own error kinds rather than hanging the run. Each holds for both load-path
//! clients: the h2 crate's driven directly (the default) and hyper's (`--h2-client
//! hyper`).

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Requests in flight now, and the most seen at once.
#[derive(Default)]
struct InFlight {
    now: AtomicU64,
    max: AtomicU64,
}

impl InFlight {
    fn enter(&self) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
    }

    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An h2c server (prior knowledge) whose every response takes 100 ms, allowing at
/// most `max_streams` concurrent streams per connection.
fn slow_h2(max_streams: u32, seen: Arc<InFlight>, conns: Arc<AtomicU64>) -> String {
    let addr = serve_tcp(move |stream| {
        conns.fetch_add(1, Ordering::SeqCst);
        let seen = seen.clone();
        async move {
            let svc = service_fn(move |_req| {
                let seen = seen.clone();
                async move {
                    seen.enter();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    seen.leave();
                    let body = Full::new(Bytes::from_static(b"ok"));
                    Ok::<_, Infallible>(hyper::Response::new(body))
                }
            });
            let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                .max_concurrent_streams(max_streams)
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        }
    });
    format!("http://{addr}/")
}

const CLIENTS: [&str; 2] = ["lean", "hyper"];

fn stress_h2(client: &str, url: &str, extra: &[&str]) -> (Run, serde_json::Value) {
    let (run, report) = stress_json(
        &[
            &[url, "--http2", "--h2-client", client, "--slo", "5xx==0"],
            extra,
        ]
        .concat(),
    );
    (run, serde_json::to_value(report).unwrap())
}

#[test]
fn streams_are_really_concurrent_on_one_connection() {
    for client in CLIENTS {
        streams_are_concurrent(client);
    }
}

fn streams_are_concurrent(client: &str) {
    let (seen, conns) = (Arc::new(InFlight::default()), Arc::new(AtomicU64::new(0)));
    let url = slow_h2(100, seen.clone(), conns.clone());
    let (r, doc) = stress_h2(client, &url, &["-c", "1", "--streams", "8", "-n", "32"]);
    assert_eq!(r.code, 0, "{client}: {}{}", r.stdout, r.stderr);
    assert_eq!(doc["results"]["responses"], 32);
    assert_eq!(doc["settings"]["h2_client"], client);
    assert_eq!(
        seen.max.load(Ordering::SeqCst),
        8,
        "the server saw 8 requests at once"
    );
    assert_eq!(conns.load(Ordering::SeqCst), 1, "on one connection");
    assert_eq!(doc["results"]["generator"]["connections_opened"], 1);
    assert_eq!(doc["settings"]["streams"], 8);
    assert!(r.stdout.contains("HTTP/2, 8 streams each"), "{}", r.stdout);
}

#[test]
fn waiting_for_a_stream_the_server_does_not_allow_yet_counts_in_the_latency() {
    for client in CLIENTS {
        waiting_for_a_stream_counts(client);
    }
}

fn waiting_for_a_stream_counts(client: &str) {
    let (seen, conns) = (Arc::new(InFlight::default()), Arc::new(AtomicU64::new(0)));
    let url = slow_h2(2, seen.clone(), conns.clone());
    let (r, doc) = stress_h2(client, &url, &["-c", "1", "--streams", "8", "-n", "16"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        doc["results"]["responses"], 16,
        "{:#}",
        doc["results"]["errors"]
    );
    assert_eq!(
        seen.max.load(Ordering::SeqCst),
        2,
        "the server's limit held"
    );
    // 8 sent at once, 2 served per 100 ms: the last of them waited 300 ms for a stream
    // before its own 100 ms. h2load would start its clock at the frame and show 100 ms.
    let max = doc["results"]["latency"]["max_ms"].as_f64().unwrap();
    assert!(
        max >= 350.0,
        "the wait for a stream is not in the latency: max {max} ms"
    );
}

/// An h2c server answering `/big` with 100,000 bytes (several DATA frames, more than
/// the stream's initial 64 KiB window, so the client must give window back) and any
/// other path with an empty 204.
fn sized_h2() -> String {
    let addr = serve_tcp(move |stream| async move {
        let svc = service_fn(|req: hyper::Request<hyper::body::Incoming>| async move {
            let mut resp = hyper::Response::new(Full::new(Bytes::new()));
            if req.uri().path() == "/big" {
                *resp.body_mut() = Full::new(Bytes::from(vec![b'x'; 100_000]));
            } else {
                *resp.status_mut() = hyper::StatusCode::NO_CONTENT;
            }
            Ok::<_, Infallible>(resp)
        });
        let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
            .serve_connection(TokioIo::new(stream), svc)
            .await;
    });
    format!("http://{addr}")
}

#[test]
fn every_body_byte_is_read_and_an_empty_response_ends_at_its_headers() {
    let base = sized_h2();
    for client in CLIENTS {
        let big = format!("{base}/big");
        let (r, doc) = stress_h2(client, &big, &["-c", "1", "--streams", "4", "-n", "20"]);
        assert_eq!(r.code, 0, "{client}: {}{}", r.stdout, r.stderr);
        assert_eq!(doc["results"]["responses"], 20, "{client}");
        assert_eq!(doc["results"]["bytes_read"], 2_000_000, "{client}");
        let empty = format!("{base}/empty");
        let (r, doc) = stress_h2(client, &empty, &["-c", "1", "--streams", "4", "-n", "20"]);
        assert_eq!(r.code, 0, "{client}: {}{}", r.stdout, r.stderr);
        assert_eq!(doc["results"]["responses"], 20, "{client}");
        assert_eq!(doc["results"]["bytes_read"], 0, "{client}");
        assert_eq!(
            doc["results"]["status_codes"]["204"], 20,
            "{client}: {doc:#}"
        );
    }
}

/// A raw h2 server: of every three requests one is refused (REFUSED_STREAM), one is
/// reset (INTERNAL_ERROR) and one answered; at the tenth request on a connection the
/// server shuts it with GOAWAY, leaving that request unanswered.
fn unruly_h2() -> String {
    let addr = serve_tcp(|stream| async move {
        let Ok(mut conn) = h2::server::handshake(stream).await else {
            return;
        };
        let mut n = 0u64;
        let mut held = Vec::new();
        while let Some(Ok((_req, mut respond))) = conn.accept().await {
            n += 1;
            if n == 10 {
                held.push(respond);
                conn.abrupt_shutdown(h2::Reason::NO_ERROR);
                continue;
            }
            match n % 3 {
                1 => respond.send_reset(h2::Reason::REFUSED_STREAM),
                2 => respond.send_reset(h2::Reason::INTERNAL_ERROR),
                _ => {
                    let _ = respond.send_response(hyper::Response::new(()), true);
                }
            }
        }
    });
    format!("http://{addr}/")
}

#[test]
fn goaway_and_stream_resets_are_counted_not_hung_on() {
    for client in CLIENTS {
        goaway_and_resets_are_counted(client);
    }
}

fn goaway_and_resets_are_counted(client: &str) {
    let url = unruly_h2();
    let extra = [
        "-c",
        "1",
        "--streams",
        "4",
        "-n",
        "40",
        "--timeout",
        "5s",
        "--slo",
        "errors==0",
    ];
    let (r, doc) = stress_h2(client, &url, &extra);
    assert_eq!(r.code, 1, "{client}: {}{}", r.stdout, r.stderr);
    let res = &doc["results"];
    let errors = &res["errors"];
    let count = |kind: &str| errors[kind].as_u64().unwrap_or(0);
    for kind in ["h2_refused_stream", "h2_reset"] {
        assert!(count(kind) > 0, "{client}: no {kind}: {errors:#}");
    }
    // GOAWAY ends the connection: a stream past its last id counts as h2_goaway, one cut
    // by the close as reset (which of the two depends on what was in flight), and golive
    // opens a new connection for the rest.
    assert!(count("h2_goaway") + count("reset") > 0, "{errors:#}");
    assert!(
        res["generator"]["connections_opened"].as_u64().unwrap() >= 2,
        "{res:#}"
    );
    assert_eq!(
        errors["timeout"].as_u64().unwrap_or(0),
        0,
        "nothing hung: {errors:#}"
    );
    let finished = res["responses"].as_u64().unwrap() + res["errors_total"].as_u64().unwrap();
    assert_eq!(finished, 40, "{res:#}");
    assert!(
        r.stdout.contains("fewer --streams per connection"),
        "{}",
        r.stdout
    );
}

/// A raw h2 server that, at its tenth request, shuts the connection gracefully
/// (GOAWAY) while that request is still being answered (200 ms later), as nginx does
/// at its keepalive_requests.
fn graceful_goaway_h2() -> String {
    let addr = serve_tcp(|stream| async move {
        let Ok(mut conn) = h2::server::handshake(stream).await else {
            return;
        };
        let mut n = 0u64;
        while let Some(Ok((_req, mut respond))) = conn.accept().await {
            n += 1;
            if n == 10 {
                conn.graceful_shutdown();
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    let _ = respond.send_response(hyper::Response::new(()), true);
                });
                continue;
            }
            let _ = respond.send_response(hyper::Response::new(()), true);
        }
    });
    format!("http://{addr}/")
}

#[test]
fn a_graceful_goaway_moves_the_load_to_a_new_connection_without_spinning() {
    for client in CLIENTS {
        let url = graceful_goaway_h2();
        let extra = ["-c", "1", "--streams", "4", "-n", "40", "--timeout", "5s"];
        let (r, doc) = stress_h2(client, &url, &extra);
        let res = &doc["results"];
        let finished = res["responses"].as_u64().unwrap() + res["errors_total"].as_u64().unwrap();
        assert_eq!(finished, 40, "{client}: {res:#}");
        // A refusal or two per stream before the new connection, not a spin that
        // spends the run's requests as errors.
        assert!(
            res["errors_total"].as_u64().unwrap() <= 8,
            "{client}: {:#}\n{}",
            res["errors"],
            r.stdout
        );
        assert!(
            res["generator"]["connections_opened"].as_u64().unwrap() >= 2,
            "{client}: {res:#}"
        );
    }
}

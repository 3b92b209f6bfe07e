//! Proof by measurement that N shards behave as one run: the same plan (1,000 req/s
//! for 3 s) once in one process and once as 4 shards on one `--start-at`, against a
//! loopback server that notes when each request arrives. Prints the request counts,
//! the spacing of the arrivals (the union of the shards' sends should be spaced
//! 1/rate apart, as one process's are) and the percentiles of each.
//!
//!   cargo bench --bench shards

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clap::Parser;
use golive::cli::{Cli, Command};
use golive::gates::stress::{self, StressPlan, StressReport};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};

const RATE: f64 = 1000.0;

/// A server on 127.0.0.1:0 that records each request's arrival; 1 ms per response.
fn server(arrivals: Arc<Mutex<Vec<Instant>>>) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let arrivals = arrivals.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |_req| {
                        arrivals.lock().unwrap().push(Instant::now());
                        async {
                            tokio::time::sleep(Duration::from_millis(1)).await;
                            Ok::<_, Infallible>(hyper::Response::new(Full::new(
                                Bytes::from_static(b"ok"),
                            )))
                        }
                    });
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
    });
    format!("http://{addr}/")
}

fn plan(url: &str, extra: &[String]) -> StressPlan {
    let mut argv: Vec<String> = [
        "golive",
        "stress",
        url,
        "--rate",
        "1000",
        "-d",
        "3s",
        "-c",
        "40",
        "--threads",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend(extra.iter().cloned());
    let Command::Stress(args) = Cli::try_parse_from(argv).unwrap().command else {
        unreachable!()
    };
    StressPlan::from_args(&args, &|_| None).unwrap()
}

fn run(plan: StressPlan) -> StressReport {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(stress::run(
        &plan,
        Duration::from_millis(100),
        &golive::shutdown::Cancel::new(),
        |_| {},
    ))
    .unwrap()
}

/// The middle second's arrivals: median gap, and how far arrivals sit from an even
/// 1/rate grid (p50 and p99 of the distance, after removing the median offset), in ms.
fn spacing(arrivals: &[Instant]) -> (f64, f64, f64) {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let third = sorted.len() / 3;
    let middle = &sorted[third..2 * third];
    let mut gaps: Vec<f64> = middle
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs_f64() * 1e3)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let t0 = middle[0];
    let mut offs: Vec<f64> = middle
        .iter()
        .enumerate()
        .map(|(i, a)| (*a - t0).as_secs_f64() * 1e3 - i as f64 * 1e3 / RATE)
        .collect();
    offs.sort_by(f64::total_cmp);
    let centre = offs[offs.len() / 2];
    let mut dist: Vec<f64> = offs.iter().map(|o| (o - centre).abs()).collect();
    dist.sort_by(f64::total_cmp);
    let q = |v: &[f64], q: f64| v[((v.len() - 1) as f64 * q) as usize];
    (q(&gaps, 0.5), q(&dist, 0.5), q(&dist, 0.99))
}

fn line(name: &str, r: &StressReport, arrivals: &[Instant]) {
    let l = &r.body.results.latency;
    let (gap, off50, off99) = spacing(arrivals);
    println!(
        "{name:<10} sent {:>5}  arrivals {:>5}  median gap {gap:.3} ms (1/rate {:.3})  off the even grid p50 {off50:.3} p99 {off99:.3} ms  latency p50 {:.3} p99 {:.3} ms",
        r.body.results.requests_sent,
        arrivals.len(),
        1e3 / RATE,
        l.p50_ms.unwrap_or(0.0),
        l.p99_ms.unwrap_or(0.0)
    );
}

fn main() {
    let arrivals = Arc::new(Mutex::new(Vec::new()));
    let url = server(arrivals.clone());

    let one = run(plan(&url, &[]));
    let single: Vec<Instant> = std::mem::take(&mut *arrivals.lock().unwrap());
    line("1 process", &one, &single);

    let start = humantime::format_rfc3339_millis(SystemTime::now() + Duration::from_millis(500))
        .to_string();
    let shards: Vec<StressReport> = (0..4)
        .map(|k| {
            let extra = vec![
                "--shard".into(),
                format!("{k}/4"),
                "--start-at".into(),
                start.clone(),
            ];
            let p = plan(&url, &extra);
            std::thread::spawn(move || run(p))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
    let merged = stress::merge(&shards, &one_slos(&one), None).unwrap();
    let union: Vec<Instant> = std::mem::take(&mut *arrivals.lock().unwrap());
    line("4 shards", &merged, &union);
}

fn one_slos(r: &StressReport) -> Vec<golive::slo::Slo> {
    r.body
        .slos
        .iter()
        .map(|v| golive::slo::Slo::parse(&v.slo).unwrap())
        .collect()
}

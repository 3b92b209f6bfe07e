//! Hot-path costs: what each request pays (recording, building the request) and what
//! a run pays once (merging thread measurements, judging SLOs, summarising).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use golive::http::{RequestTemplate, Target};
use golive::measure::{ErrorKind, LiveCounters, Measurement, Recorder, Response};
use golive::slo::{Observed, Slo};

/// Latencies spread over three decades, as a loaded service produces them.
fn latencies() -> Vec<Duration> {
    (0..1024u64)
        .map(|i| Duration::from_micros(80 + (i * i * 37) % 250_000))
        .collect()
}

/// A thread's measurement of `n` requests spread over `seconds`.
fn measurement(n: u64, seconds: u64) -> Measurement {
    let start = Instant::now() - Duration::from_secs(seconds);
    let mut r = Recorder::new(start, Arc::new(LiveCounters::default()), &[]);
    let lat = latencies();
    for i in 0..n {
        let done = start + Duration::from_millis(i * seconds * 1000 / n);
        let l = lat[(i % 1024) as usize];
        r.on_send(0);
        r.on_response(
            0,
            Response {
                done,
                latency: l,
                service: l,
                without_lag: l,
                status: if i % 100 == 0 { 503 } else { 200 },
                bytes: 512,
                ok: i % 100 != 0,
            },
        );
    }
    r.finish()
}

fn record(c: &mut Criterion) {
    let lat = latencies();
    let mut r = Recorder::new(Instant::now(), Arc::new(LiveCounters::default()), &[]);
    let now = Instant::now();
    let mut i = 0usize;
    c.bench_function("record/response", |b| {
        b.iter(|| {
            i = (i + 1) & 1023;
            let l = lat[i];
            r.on_send(0);
            r.on_response(
                0,
                black_box(Response {
                    done: now,
                    latency: l,
                    service: l,
                    without_lag: l,
                    status: 200,
                    bytes: 512,
                    ok: true,
                }),
            );
        })
    });
    c.bench_function("record/error", |b| {
        b.iter(|| r.on_error(0, black_box(now), black_box(ErrorKind::Timeout)))
    });
}

fn merge(c: &mut Criterion) {
    c.bench_function("merge/2 threads x 100k requests x 60 s", |b| {
        b.iter_batched(
            || (measurement(100_000, 60), measurement(100_000, 60)),
            |(mut a, b)| {
                a.merge(b).unwrap();
                a
            },
            BatchSize::LargeInput,
        )
    });
    let m = measurement(100_000, 60);
    c.bench_function("summary/100k requests x 60 s", |b| {
        b.iter(|| black_box(m.summary()))
    });
}

fn slo(c: &mut Criterion) {
    let m = measurement(100_000, 10);
    let slos: Vec<Slo> = ["success>99%", "p95<500ms", "5xx==0", "p99.9<1s"]
        .iter()
        .map(|s| Slo::parse(s).unwrap())
        .collect();
    c.bench_function("slo/evaluate 4", |b| {
        b.iter(|| {
            let obs = Observed::of(&m);
            slos.iter()
                .map(|s| s.evaluate(&obs))
                .filter(|v| v.pass)
                .count()
        })
    });
    c.bench_function("slo/parse", |b| {
        b.iter(|| Slo::parse(black_box("p99.9<=250ms")).unwrap())
    });
}

fn template(c: &mut Criterion) {
    let target = Target::parse("http://127.0.0.1:8000/api/v1/items?limit=10").unwrap();
    let headers = [
        ("authorization", "Bearer abc.def.ghi"),
        ("accept", "application/json"),
    ]
    .map(|(n, v)| {
        (
            http::header::HeaderName::from_static(n),
            http::HeaderValue::from_static(v),
        )
    });
    let t = RequestTemplate::new(&target, http::Method::GET, headers, Bytes::new(), false);
    // HTTP/2 and `--h1-client hyper` build a request per send; golive's own HTTP/1.1
    // exchange sends the bytes encoded once (`http1_bytes`) and pays nothing here.
    c.bench_function("request/build (HTTP/2, hyper)", |b| {
        b.iter(|| black_box(t.build()))
    });
}

criterion_group!(benches, record, merge, slo, template);
criterion_main!(benches);

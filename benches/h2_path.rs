//! The HTTP/2 send/receive path: one request and its response, on a connection to an
//! in-process h2c server on loopback, with the load path's two clients: the h2 crate's
//! driven directly (`--h2-client lean`) and hyper's (`--h2-client hyper`). One stream
//! at a time, and 10 in flight, as `--streams 10` sends them.

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use golive::http::{ClientOptions, Connector, H2Client, RequestTemplate, Target};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// An h2c server answering `ok` on a thread of its own; its address.
fn server() -> std::net::SocketAddr {
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
                let (tcp, _) = listener.accept().await.unwrap();
                let _ = tcp.set_nodelay(true);
                tokio::spawn(async move {
                    let svc = service_fn(|_req| async {
                        Ok::<_, Infallible>(hyper::Response::new(Full::new(Bytes::from_static(
                            b"ok",
                        ))))
                    });
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .max_concurrent_streams(1000)
                        .serve_connection(TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
    });
    addr
}

fn exchanges(c: &mut Criterion) {
    let addr = server();
    let target = Target::parse(&format!("http://{addr}/health")).unwrap();
    let template = RequestTemplate::new(&target, http::Method::GET, [], Bytes::new(), true);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // The lean client's connection task runs on the load thread's local set, as in a run.
    let local = tokio::task::LocalSet::new();
    let mut group = c.benchmark_group("h2 exchange");
    group.measurement_time(Duration::from_secs(5));
    for (name, client) in [("lean", H2Client::Lean), ("hyper", H2Client::Hyper)] {
        let opts = ClientOptions {
            http2: true,
            h2_client: client,
            ..ClientOptions::default()
        };
        let (connector, conn) = local.block_on(&rt, async {
            let connector = Connector::new(&target, &opts).await.unwrap();
            let conn = connector.connect_shared().await.unwrap();
            (connector, conn)
        });
        let _keep = connector;
        group.bench_function(format!("{name}, 1 stream"), |b| {
            b.iter_custom(|iters| {
                let mut conn = conn.clone();
                local.block_on(&rt, async {
                    let start = Instant::now();
                    for _ in 0..iters {
                        conn.exchange(&template).await.unwrap();
                    }
                    start.elapsed()
                })
            })
        });
        group.bench_function(format!("{name}, 10 streams"), |b| {
            b.iter_custom(|iters| {
                local.block_on(&rt, async {
                    let start = Instant::now();
                    let per = iters.div_ceil(10);
                    let streams = (0..10).map(|_| {
                        let (mut conn, template) = (conn.clone(), template.clone());
                        async move {
                            for _ in 0..per {
                                conn.exchange(&template).await.unwrap();
                            }
                        }
                    });
                    together(streams).await;
                    // Time per exchange: 10 × per of them ran.
                    start.elapsed() * iters as u32 / (per * 10).max(1) as u32
                })
            })
        });
    }
    group.finish();
}

/// Runs the futures to completion together, as tasks of this thread.
async fn together<F: std::future::Future<Output = ()> + 'static>(futs: impl Iterator<Item = F>) {
    tokio::task::LocalSet::new()
        .run_until(async {
            let handles: Vec<_> = futs.map(tokio::task::spawn_local).collect();
            for h in handles {
                let _ = h.await;
            }
        })
        .await;
}

criterion_group!(benches, exchanges);
criterion_main!(benches);

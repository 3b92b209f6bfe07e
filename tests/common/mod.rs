//! Test harness: real servers on 127.0.0.1:0 (hyper, or raw TCP for faults) and a
//! bounded runner for the golive binary that reads its JSON back into typed structs.
#![allow(dead_code)] // each test file uses its own part of the harness

pub mod nginx;

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::Path;
use std::pin::Pin;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::sync::oneshot;

pub type Resp = Response<Full<Bytes>>;
pub type Handler =
    Arc<dyn Fn(Request<Incoming>, u64) -> Pin<Box<dyn Future<Output = Resp> + Send>> + Send + Sync>;

pub fn text(status: u16, body: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap();
    r
}

/// A hyper server (HTTP/1.1 and h2c) on its own thread; `n` counts requests from 0.
pub struct TestServer {
    pub addr: SocketAddr,
    pub requests: Arc<AtomicU64>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start<F, Fut>(handler: F) -> TestServer
    where
        F: Fn(Request<Incoming>, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Resp> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |req, n| Box::pin(handler(req, n)));
        let std_listener = StdListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let addr = std_listener.local_addr().unwrap();
        let requests = Arc::new(AtomicU64::new(0));
        let (stop, mut stopped) = oneshot::channel::<()>();
        let counter = requests.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
                loop {
                    let (stream, _) = tokio::select! {
                        a = listener.accept() => a.unwrap(),
                        _ = &mut stopped => return,
                    };
                    let (handler, counter) = (handler.clone(), counter.clone());
                    tokio::spawn(async move {
                        let svc = service_fn(move |req| {
                            let n = counter.fetch_add(1, Ordering::SeqCst);
                            let fut = handler(req, n);
                            async move { Ok::<_, std::convert::Infallible>(fut.await) }
                        });
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
        });
        TestServer {
            addr,
            requests,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A raw TCP server for faults: `on_conn` gets each accepted stream on its own thread.
/// It stops accepting when dropped.
pub struct RawServer {
    pub addr: SocketAddr,
    stop: Arc<std::sync::atomic::AtomicBool>,
}

impl RawServer {
    pub fn start(
        on_conn: impl Fn(std::net::TcpStream) + Send + Sync + Clone + 'static,
    ) -> RawServer {
        let listener = StdListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).unwrap();
                        let f = on_conn.clone();
                        std::thread::spawn(move || f(s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(2)),
                }
            }
        });
        RawServer { addr, stop }
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Reads one request head (up to the blank line) so the client has finished sending.
pub fn read_head(s: &mut std::net::TcpStream) -> bool {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => buf.push(byte[0]),
            _ => return false,
        }
    }
    true
}

/// Closes with RST instead of FIN.
pub fn reset(s: std::net::TcpStream) {
    socket_linger_zero(&s);
    drop(s);
}

fn socket_linger_zero(s: &std::net::TcpStream) {
    use std::os::fd::AsRawFd;
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: setsockopt on a valid fd with a correctly sized linger struct.
    unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            &linger as *const _ as *const libc::c_void,
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        );
    }
}

pub fn write_all(s: &mut std::net::TcpStream, bytes: &[u8]) {
    let _ = s.write_all(bytes);
}

/// A port with nothing listening.
pub fn closed_port() -> SocketAddr {
    let l = StdListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// What a golive process did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// golive with an empty environment plus PATH (the patched gate finds python3 and
/// golive through it), so no variable of the caller's can leak into a test.
pub fn golive() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_golive"));
    cmd.env_clear();
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Sends SIGINT to a child once `ready` holds (checked every 20 ms, for 20 s at most).
pub fn interrupt_when(child: &std::process::Child, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !ready() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
}

/// Runs golive to completion, killing it if it outlives `limit` (the test then fails).
pub fn run_with(mut cmd: Command, limit: Duration) -> Run {
    let mut child = cmd.spawn().expect("golive binary runs");
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("golive did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

pub fn run(args: &[&str]) -> Run {
    let mut cmd = golive();
    cmd.args(args);
    run_with(cmd, Duration::from_secs(60))
}

pub fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> T {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("parsing {}: {e}\n{text}", path.display()))
}

/// Runs `golive stress --no-progress --json FILE ARGS…` (ARGS start with the URL) and
/// reads the document back; a panic in golive fails the test whatever the exit code.
pub fn stress_json(args: &[&str]) -> (Run, golive::gates::stress::StressReport) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let mut all = vec!["stress", "--no-progress", "--json", path.to_str().unwrap()];
    all.extend_from_slice(args);
    let run = run(&all);
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("internal error"),
        "{}",
        run.stderr
    );
    assert!(path.exists(), "no JSON written; stderr: {}", run.stderr);
    let doc = read_json(&path);
    (run, doc)
}

/// Counts of a JUnit file's testcases and of their failure, error and skipped elements,
/// read with an XML parser.
#[derive(Debug, Default, PartialEq)]
pub struct JunitCounts {
    pub tests: usize,
    pub failures: usize,
    pub errors: usize,
    pub skipped: usize,
    pub messages: Vec<String>,
}

pub fn junit_counts(path: &Path) -> JunitCounts {
    let text = std::fs::read_to_string(path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&text);
    let mut c = JunitCounts::default();
    loop {
        match reader
            .read_event()
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
        {
            quick_xml::events::Event::Eof => break,
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                match e.name().as_ref() {
                    b"testcase" => c.tests += 1,
                    b"failure" => c.failures += 1,
                    b"error" => c.errors += 1,
                    b"skipped" => c.skipped += 1,
                    _ => continue,
                }
                if let Some(m) = e.try_get_attribute("message").unwrap() {
                    c.messages.push(
                        m.normalized_value(quick_xml::XmlVersion::Explicit1_0)
                            .unwrap()
                            .into_owned(),
                    );
                }
            }
            _ => {}
        }
    }
    c
}

/// A loopback server of any protocol: `on_conn` serves each accepted TCP stream as a
/// task of a runtime on its own thread. Returns the address; it stops with the test.
pub fn serve_tcp<F, Fut>(on_conn: F) -> SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = StdListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(on_conn(stream));
            }
        });
    });
    addr
}

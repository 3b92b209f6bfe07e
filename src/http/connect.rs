//! Opening connections: the host is resolved once, then each connection is TCP
//! (no Nagle), optionally TLS, and then either golive's own HTTP/1.1 exchange (the load
//! path) or a hyper HTTP/1.1 or HTTP/2 handshake. Each load worker owns one connection
//! (or one stream of a shared HTTP/2 one); there is no pool.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::{http1, http2};
use hyper::Response;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::ServerName;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::h1::H1Conn;
use super::h2::LeanH2;
use super::io::Io;
use super::response::{classify, read_to_end, Exchange};
use super::setup::SetupError;
use super::target::{Scheme, Target};
use super::template::{head_of, ReqBody, RequestTemplate};
use super::tls::{client_config, error_kind};
use crate::measure::ErrorKind;

/// How to talk to the target.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Accept any TLS certificate (self-signed staging).
    pub insecure: bool,
    /// Extra CA certificates (PEM) to trust.
    pub cacert: Option<PathBuf>,
    pub http2: bool,
    /// HTTP/2 flow-control windows (stream and connection), bytes; `None`: hyper's.
    pub h2_window: Option<u32>,
    /// Which HTTP/1.1 client the load path uses.
    pub h1_client: H1Client,
    /// Which HTTP/2 client the load path uses.
    pub h2_client: H2Client,
    pub connect_timeout: Duration,
}

/// The load path's HTTP/1.1 client: golive's own exchange, or hyper's (to compare, or
/// as a fallback should a server's framing trip the lean one).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum H1Client {
    #[default]
    Lean,
    Hyper,
}

impl std::str::FromStr for H1Client {
    type Err = String;

    fn from_str(s: &str) -> Result<H1Client, String> {
        match s {
            "lean" => Ok(H1Client::Lean),
            "hyper" => Ok(H1Client::Hyper),
            _ => Err(format!("'{s}': expected lean or hyper")),
        }
    }
}

/// The load path's HTTP/2 client: the h2 crate's, driven directly, or hyper's (to
/// compare, or as a fallback).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum H2Client {
    #[default]
    Lean,
    Hyper,
}

impl std::str::FromStr for H2Client {
    type Err = String;

    fn from_str(s: &str) -> Result<H2Client, String> {
        match s {
            "lean" => Ok(H2Client::Lean),
            "hyper" => Ok(H2Client::Hyper),
            _ => Err(format!("'{s}': expected lean or hyper")),
        }
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            insecure: false,
            cacert: None,
            http2: false,
            h2_window: None,
            h1_client: H1Client::Lean,
            h2_client: H2Client::Lean,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// hyper's connection state machine. It is polled inline by whoever uses the
/// connection (see [`Conn::drive`]) rather than spawned as a task: one task wake-up
/// less per request on the load path.
type Driver = Pin<Box<dyn Future<Output = Result<(), hyper::Error>> + Send>>;

enum Sender {
    H1(http1::SendRequest<ReqBody>),
    H2(http2::SendRequest<ReqBody>),
}

/// An open connection, ready to carry requests one at a time.
pub struct Conn {
    sender: SenderHandle,
    driver: Option<Driver>,
}

impl Conn {
    fn new(sender: Sender, driver: Driver) -> Conn {
        Conn {
            sender: SenderHandle(sender),
            driver: Some(driver),
        }
    }

    /// Runs `f` on the sender while driving the connection, until `f` completes.
    pub async fn drive<'a, F, Fut, T>(&'a mut self, f: F) -> T
    where
        F: FnOnce(&'a mut SenderHandle) -> Fut,
        Fut: Future<Output = T> + 'a,
    {
        let Conn { sender, driver } = self;
        let mut fut = std::pin::pin!(f(sender));
        std::future::poll_fn(|cx| {
            if let Poll::Ready(out) = fut.as_mut().poll(cx) {
                return Poll::Ready(out);
            }
            if let Some(d) = driver.as_mut() {
                // A finished driver is dropped, which fails whatever still waits on it.
                if d.as_mut().poll(cx).is_ready() {
                    *driver = None;
                }
            }
            // The driver may just have delivered what `fut` waits for.
            fut.as_mut().poll(cx)
        })
        .await
    }

    /// The peer closed the connection (e.g. `Connection: close`, idle timeout): open
    /// a new one. Polls the idle driver once so that a close is noticed before use.
    pub fn is_closed(&mut self) -> bool {
        if let Some(d) = self.driver.as_mut() {
            let mut cx = Context::from_waker(Waker::noop());
            if d.as_mut().poll(&mut cx).is_ready() {
                self.driver = None;
            }
        }
        self.driver.is_none()
            || match &self.sender.0 {
                Sender::H1(s) => s.is_closed(),
                Sender::H2(s) => s.is_closed(),
            }
    }
}

/// The sending half of a [`Conn`], usable inside [`Conn::drive`].
pub struct SenderHandle(Sender);

impl SenderHandle {
    pub async fn ready(&mut self) -> Result<(), hyper::Error> {
        match &mut self.0 {
            Sender::H1(s) => s.ready().await,
            Sender::H2(s) => s.ready().await,
        }
    }

    pub async fn send(
        &mut self,
        req: http::Request<ReqBody>,
    ) -> Result<Response<Incoming>, hyper::Error> {
        match &mut self.0 {
            Sender::H1(s) => s.send_request(req).await,
            Sender::H2(s) => s.send_request(req).await,
        }
    }
}

/// One HTTP/2 connection's sending half, cloned by each worker that shares it; a
/// request waits for a stream while the server's SETTINGS_MAX_CONCURRENT_STREAMS are
/// all in use (that wait counts in its latency, which runs from the intended send).
#[derive(Clone)]
pub enum SharedH2 {
    /// The h2 crate's client, driven directly (the load path's default).
    Lean(LeanH2),
    /// hyper's (`--h2-client hyper`).
    Hyper(http2::SendRequest<ReqBody>),
}

impl SharedH2 {
    pub fn is_closed(&self) -> bool {
        match self {
            SharedH2::Lean(c) => c.is_closed(),
            SharedH2::Hyper(s) => s.is_closed(),
        }
    }

    /// The template's request.
    pub async fn exchange(&mut self, template: &RequestTemplate) -> Result<Exchange, ErrorKind> {
        match (self, template.h2_parts()) {
            (SharedH2::Lean(c), Some((head, body))) => c.exchange(head.clone(), body).await,
            (shared, _) => shared.exchange_built(template.build()).await,
        }
    }

    /// A request built for this send (a workload's, filled per send).
    pub async fn exchange_built(
        &mut self,
        req: http::Request<ReqBody>,
    ) -> Result<Exchange, ErrorKind> {
        match self {
            SharedH2::Lean(c) => {
                let (parts, body) = req.into_parts();
                let body = body.collect().await.map_or(Bytes::new(), |b| b.to_bytes());
                let head = head_of(&http::Request::from_parts(parts, ()), body.len());
                c.exchange(head, &body).await
            }
            SharedH2::Hyper(sender) => {
                sender.ready().await.map_err(|e| classify(&e))?;
                let resp = sender.send_request(req).await.map_err(|e| classify(&e))?;
                read_to_end(resp).await
            }
        }
    }
}

/// Opens connections to one target.
#[derive(Clone)]
pub struct Connector {
    addrs: Arc<[SocketAddr]>,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    http2: bool,
    h2_window: Option<u32>,
    h1_client: H1Client,
    h2_client: H2Client,
    connect_timeout: Duration,
    /// TLS handshakes that resumed a session, over every clone of this connector.
    resumed: Arc<AtomicU64>,
}

impl Connector {
    /// Resolves the host and prepares TLS; fails only on setup problems.
    pub async fn new(target: &Target, opts: &ClientOptions) -> Result<Connector, SetupError> {
        let resolve_err = |why: String| SetupError::Resolve {
            host: target.host.clone(),
            why,
        };
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((target.host.as_str(), target.port))
            .await
            .map_err(|e| resolve_err(e.to_string()))?
            .collect();
        if addrs.is_empty() {
            return Err(resolve_err("no address".into()));
        }
        let tls = match target.scheme {
            Scheme::Http => None,
            Scheme::Https => {
                let config = client_config(opts.insecure, opts.cacert.as_deref(), opts.http2)?;
                let name = ServerName::try_from(target.host.clone()).map_err(|e| {
                    SetupError::Tls(format!("bad server name '{}': {e}", target.host))
                })?;
                Some((TlsConnector::from(config), name))
            }
        };
        Ok(Connector {
            addrs: addrs.into(),
            tls,
            http2: opts.http2,
            h2_window: opts.h2_window,
            h1_client: opts.h1_client,
            h2_client: opts.h2_client,
            connect_timeout: opts.connect_timeout,
            resumed: Arc::default(),
        })
    }

    /// TLS connections so far that resumed a session (`None` without TLS).
    pub fn tls_resumed(&self) -> Option<u64> {
        self.tls
            .as_ref()
            .map(|_| self.resumed.load(Ordering::Relaxed))
    }

    /// Opens one connection; failures are classified for the error breakdown.
    pub async fn connect(&self) -> Result<Conn, ErrorKind> {
        let (sender, driver) = self.open().await?;
        Ok(Conn::new(sender, driver))
    }

    /// Opens an HTTP/2 connection whose streams several workers share. No one worker
    /// can poll it for the others, so its driver runs as a task of its own, to the
    /// connection's end. Call from a load thread (its local set runs the lean driver).
    pub async fn connect_shared(&self) -> Result<SharedH2, ErrorKind> {
        if self.lean_h2() {
            let io = self.open_io().await?;
            return Ok(SharedH2::Lean(LeanH2::handshake(io, self.h2_window).await?));
        }
        match self.open().await? {
            (Sender::H2(sender), driver) => {
                tokio::spawn(driver);
                Ok(SharedH2::Hyper(sender))
            }
            (Sender::H1(_), _) => Err(ErrorKind::Other),
        }
    }

    /// The load path sends HTTP/2 on the h2 crate's client ([`LeanH2`]), each worker's
    /// connection (or `--streams` group's) its own.
    pub fn lean_h2(&self) -> bool {
        self.http2 && self.h2_client == H2Client::Lean
    }

    /// The load path sends with golive's own HTTP/1.1 exchange ([`Self::connect_h1`]).
    pub fn lean_h1(&self) -> bool {
        !self.http2 && self.h1_client == H1Client::Lean
    }

    /// Opens a connection for golive's own HTTP/1.1 exchange (the load path).
    pub async fn connect_h1(&self) -> Result<H1Conn, ErrorKind> {
        Ok(H1Conn::new(self.open_io().await?))
    }

    async fn open(&self) -> Result<(Sender, Driver), ErrorKind> {
        let io = self.open_io().await?;
        self.handshake(TokioIo::new(io)).await
    }

    /// TCP (no Nagle), then TLS if the target is https.
    async fn open_io(&self) -> Result<Io, ErrorKind> {
        let tcp = tokio::time::timeout(self.connect_timeout, self.connect_tcp())
            .await
            .map_err(|_| ErrorKind::Connect)??;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => Ok(Io::Tcp(tcp)),
            Some((connector, name)) => {
                let tls = tokio::time::timeout(
                    self.connect_timeout,
                    connector.connect(name.clone(), tcp),
                )
                .await
                .map_err(|_| ErrorKind::Connect)?
                .map_err(|e| tls_error_kind(&e))?;
                if tls.get_ref().1.handshake_kind() == Some(rustls::HandshakeKind::Resumed) {
                    self.resumed.fetch_add(1, Ordering::Relaxed);
                }
                Ok(Io::Tls(Box::new(tls)))
            }
        }
    }

    async fn connect_tcp(&self) -> Result<TcpStream, ErrorKind> {
        let mut last = ErrorKind::Connect;
        for addr in self.addrs.iter() {
            match TcpStream::connect(addr).await {
                Ok(s) => return Ok(s),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                    last = ErrorKind::ConnectRefused
                }
                Err(_) => last = ErrorKind::Connect,
            }
        }
        Err(last)
    }

    async fn handshake(&self, io: TokioIo<Io>) -> Result<(Sender, Driver), ErrorKind> {
        if self.http2 {
            let mut builder = http2::Builder::new(TokioExecutor::new());
            // One stream until the server's SETTINGS say how many it takes: sending more
            // on hyper's optimistic default (100) gets them refused by a stricter server,
            // an artefact of the client, not a fault of the server.
            builder.initial_max_send_streams(1);
            if let Some(window) = self.h2_window {
                builder
                    .initial_stream_window_size(window)
                    .initial_connection_window_size(window);
            }
            let (sender, conn) = builder.handshake(io).await.map_err(|e| classify(&e))?;
            Ok((Sender::H2(sender), Box::pin(conn)))
        } else {
            let (sender, conn) = http1::handshake(io).await.map_err(|e| classify(&e))?;
            Ok((Sender::H1(sender), Box::pin(conn)))
        }
    }
}

/// A failed TLS handshake arrives as an io::Error wrapping rustls's reason.
fn tls_error_kind(e: &std::io::Error) -> ErrorKind {
    e.get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map_or(ErrorKind::Tls, error_kind)
}

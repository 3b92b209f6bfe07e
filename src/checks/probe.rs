//! One GET on a fresh connection, timed from connect to the last body byte: what a
//! health check, a canary sample or an uptime probe sees.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method};

use crate::http::{fetch, ClientOptions, Connector, RequestTemplate, SetupError, Target};
use crate::measure::ErrorKind;

/// Bodies beyond this are read but not kept: health bodies are small.
pub const MAX_BODY: usize = 1 << 20;

#[derive(Clone, Debug)]
pub struct Probed {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body was longer than [`MAX_BODY`]; `body` holds its start.
    pub truncated: bool,
    pub latency: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("{}{}", .0.describe(), .0.fix().map(|f| format!(": {f}")).unwrap_or_default())]
    Transport(ErrorKind),
}

impl ProbeError {
    /// The error kind, for counting; setup problems count as connect failures.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ProbeError::Setup(_) => ErrorKind::Connect,
            ProbeError::Transport(k) => *k,
        }
    }
}

/// GETs `target` within `timeout` (connect, TLS, request and body included).
pub async fn get(
    target: &Target,
    client: &ClientOptions,
    timeout: Duration,
) -> Result<Probed, ProbeError> {
    send(
        target,
        client,
        Method::GET,
        Vec::new(),
        Bytes::new(),
        timeout,
    )
    .await
}

/// Sends one request on a fresh connection within `timeout`.
pub async fn send(
    target: &Target,
    client: &ClientOptions,
    method: Method,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Bytes,
    timeout: Duration,
) -> Result<Probed, ProbeError> {
    let start = Instant::now();
    let attempt = async {
        let connector = Connector::new(target, client).await?;
        let mut conn = connector.connect().await.map_err(ProbeError::Transport)?;
        let template = RequestTemplate::new(target, method, headers, body, client.http2);
        fetch(&mut conn, template.build(), MAX_BODY)
            .await
            .map_err(ProbeError::Transport)
    };
    let fetched = tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| ProbeError::Transport(ErrorKind::Timeout))??;
    Ok(Probed {
        status: fetched.status,
        headers: fetched.headers,
        body: fetched.body,
        truncated: fetched.truncated,
        latency: start.elapsed(),
    })
}

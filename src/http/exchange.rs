//! One request and its response, read to the end; failures become an [`ErrorKind`].

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, Request};
use http_body_util::BodyExt;

use super::connect::Conn;
use super::response::{classify, read_to_end, Exchange};
use super::template::ReqBody;
use crate::measure::ErrorKind;

pub async fn exchange(conn: &mut Conn, req: Request<ReqBody>) -> Result<Exchange, ErrorKind> {
    conn.drive(|sender| async move {
        sender.ready().await.map_err(|e| classify(&e))?;
        let resp = sender.send(req).await.map_err(|e| classify(&e))?;
        read_to_end(resp).await
    })
    .await
}

/// A response kept for inspection (health checks, headers): at most `max_body` bytes
/// of the body are kept, the rest is read and dropped.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The body was longer than `max_body`; `body` holds its start.
    pub truncated: bool,
}

pub async fn fetch(
    conn: &mut Conn,
    req: Request<ReqBody>,
    max_body: usize,
) -> Result<Fetched, ErrorKind> {
    conn.drive(|sender| async move {
        sender.ready().await.map_err(|e| classify(&e))?;
        let resp = sender.send(req).await.map_err(|e| classify(&e))?;
        keep_body(resp, max_body).await
    })
    .await
}

async fn keep_body(
    resp: http::Response<hyper::body::Incoming>,
    max_body: usize,
) -> Result<Fetched, ErrorKind> {
    let (parts, mut body) = resp.into_parts();
    let mut kept = BytesMut::new();
    let mut truncated = false;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        if let Some(data) = frame.data_ref() {
            let room = max_body.saturating_sub(kept.len());
            truncated |= data.len() > room;
            kept.extend_from_slice(&data[..data.len().min(room)]);
        }
    }
    Ok(Fetched {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body: kept.freeze(),
        truncated,
    })
}

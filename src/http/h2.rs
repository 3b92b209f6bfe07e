//! HTTP/2 for the load path on the `h2` crate directly (the crate hyper's client
//! drives): a request head built once per template and cloned per send, its body sent
//! as one DATA frame, the response's DATA released to flow control as it arrives and
//! dropped. No request conversion, dispatch channel or oneshot per request, as
//! hyper's client has; hyper's stays for `--h2-client hyper` and for the checks.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http::Request;

use super::io::Io;
use super::response::{io_kind, Exchange};
use crate::measure::ErrorKind;

/// One HTTP/2 connection's sending half, cloned by each worker that shares it. A
/// request waits in `poll_ready` while the server's SETTINGS_MAX_CONCURRENT_STREAMS
/// are all in use (that wait counts in its latency, which runs from the intended send).
#[derive(Clone)]
pub struct LeanH2 {
    sender: h2::client::SendRequest<Bytes>,
    /// The connection's task ended (GOAWAY, a close, an error): open a new one.
    closed: Arc<AtomicBool>,
}

impl LeanH2 {
    /// The handshake, then the connection driven by a task of its own to its end, on the
    /// load thread's local set beside the workers that share it (waking them needs no
    /// hand-off between schedulers). Call from a load thread.
    pub(super) async fn handshake(io: Io, window: Option<u32>) -> Result<LeanH2, ErrorKind> {
        let mut builder = h2::client::Builder::new();
        // One stream until the server's SETTINGS say how many it takes (as for hyper's).
        builder.initial_max_send_streams(1);
        if let Some(w) = window {
            builder
                .initial_window_size(w)
                .initial_connection_window_size(w);
        }
        let (sender, conn) = builder.handshake(io).await.map_err(|e| kind(&e))?;
        let closed = Arc::new(AtomicBool::new(false));
        let flag = closed.clone();
        tokio::task::spawn_local(async move {
            let _ = conn.await;
            flag.store(true, Ordering::Release);
        });
        Ok(LeanH2 { sender, closed })
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// One request, its response read to the end.
    pub async fn exchange(
        &mut self,
        head: Request<()>,
        body: &Bytes,
    ) -> Result<Exchange, ErrorKind> {
        // The connection refusing a new stream (a GOAWAY, a broken link) is closed for
        // us at once, though its task still drains the streams in flight: the next send
        // opens a new one instead of meeting the same refusal again.
        let closed = &self.closed;
        let refused = |e: h2::Error| {
            closed.store(true, Ordering::Release);
            kind(&e)
        };
        std::future::poll_fn(|cx| self.sender.poll_ready(cx))
            .await
            .map_err(refused)?;
        let end = body.is_empty();
        let (response, mut stream) = self.sender.send_request(head, end).map_err(refused)?;
        if !end {
            // Queued by h2 until the stream's window has room for it.
            stream.send_data(body.clone(), true).map_err(|e| kind(&e))?;
        }
        let response = response.await.map_err(|e| kind(&e))?;
        let status = response.status().as_u16();
        let mut recv = response.into_body();
        let mut body_bytes = 0u64;
        while let Some(chunk) = recv.data().await {
            let chunk = chunk.map_err(|e| kind(&e))?;
            body_bytes += chunk.len() as u64;
            // Read and dropped: give the window back at once, as h2load does.
            let _ = recv.flow_control().release_capacity(chunk.len());
            // The frame that carried END_STREAM ends the loop: no poll of the stream
            // only to learn that it ended.
            if recv.is_end_stream() {
                break;
            }
        }
        Ok(Exchange { status, body_bytes })
    }
}

/// Maps an h2 error to the kind the report counts, as [`super::classify`] maps
/// hyper's wrapping of the same errors.
fn kind(e: &h2::Error) -> ErrorKind {
    if e.is_go_away() {
        return ErrorKind::H2GoAway;
    }
    if e.reason() == Some(h2::Reason::REFUSED_STREAM) {
        return ErrorKind::H2RefusedStream;
    }
    if e.is_reset() {
        return ErrorKind::H2Reset;
    }
    match e.get_io() {
        Some(io) => io_kind(io),
        None if e.is_io() => ErrorKind::Reset,
        None => ErrorKind::Other,
    }
}

//! What every exchange shares: a response read to its end (status and size kept,
//! the body dropped as it arrives), and a failure named as the kind the report counts.

use std::error::Error as _;

use http_body_util::BodyExt;

use super::tls::error_kind;
use crate::measure::ErrorKind;

/// What the load loop keeps of a response: its status and size. The body is read and
/// dropped frame by frame, so a 50 MB body costs no memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Exchange {
    pub status: u16,
    pub body_bytes: u64,
}

pub(super) async fn read_to_end(
    resp: http::Response<hyper::body::Incoming>,
) -> Result<Exchange, ErrorKind> {
    let status = resp.status().as_u16();
    let mut body = resp.into_body();
    let mut body_bytes = 0u64;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| classify(&e))?;
        if let Some(data) = frame.data_ref() {
            body_bytes += data.len() as u64;
        }
    }
    Ok(Exchange { status, body_bytes })
}

/// Maps a hyper error to the kind the report counts.
pub fn classify(e: &hyper::Error) -> ErrorKind {
    if e.is_parse() || e.is_parse_status() || e.is_parse_too_large() {
        return ErrorKind::Malformed;
    }
    if e.is_timeout() {
        return ErrorKind::Timeout;
    }
    let mut source = e.source();
    while let Some(err) = source {
        if let Some(h2) = err.downcast_ref::<h2::Error>() {
            if h2.is_go_away() {
                return ErrorKind::H2GoAway;
            }
            if h2.reason() == Some(h2::Reason::REFUSED_STREAM) {
                return ErrorKind::H2RefusedStream;
            }
            if h2.is_reset() {
                return ErrorKind::H2Reset;
            }
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return io_kind(io);
        }
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return error_kind(tls);
        }
        source = err.source();
    }
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() || e.is_body_write_aborted() {
        return ErrorKind::Reset;
    }
    ErrorKind::Other
}

/// Maps a failed read or write on the connection to the kind the report counts.
pub(super) fn io_kind(io: &std::io::Error) -> ErrorKind {
    if let Some(tls) = io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return error_kind(tls);
    }
    match io.kind() {
        std::io::ErrorKind::TimedOut => ErrorKind::Timeout,
        std::io::ErrorKind::InvalidData => ErrorKind::Malformed,
        _ => ErrorKind::Reset,
    }
}

//! The load path's own HTTP/1.1 exchange: the request encoded once per run and sent with
//! one write; the response head parsed by httparse, the body framed as RFC 9112 §6.3
//! says and dropped as it arrives.
//!
//! Why not hyper here: measured at 50 connections, hyper's general client path (its
//! request channel and oneshot, a header map per response, the body channel) was most
//! of golive's user-space CPU per request. This path does the same work on the wire
//! with none of that. hyper still carries HTTP/2, the checks, and `--h1-client hyper`.

use std::task::{Context, Waker};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, ReadBuf};

use super::io::Io;
use super::response::{io_kind, Exchange};
use crate::measure::ErrorKind;

/// As many headers as hyper accepts in a response.
const MAX_HEADERS: usize = 100;
/// hyper's default read-buffer limit: a head longer than this is refused, as there.
const MAX_HEAD: usize = 8192 + 4096 * 100;
/// A chunk-size line (with extensions) or a trailer line longer than this is refused.
const MAX_LINE: usize = 8192;
/// Room kept free for each read; bodies are dropped, so the buffer stays this size.
const READ_ROOM: usize = 16 * 1024;

/// One HTTP/1.1 connection of a load worker.
pub struct H1Conn {
    io: Io,
    buf: BytesMut,
    /// The last response was read to its end and the server keeps the connection.
    reusable: bool,
}

/// How the response body ends (RFC 9112 §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

#[derive(Debug, PartialEq, Eq)]
struct Head {
    status: u16,
    /// Bytes of the head, status line to the blank line.
    len: usize,
    framing: Framing,
    /// The server asked to close after this response (or spoke HTTP/1.0 without
    /// keep-alive).
    close: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Parsed {
    Final(Head),
    /// A 1xx before the real response (100 Continue, 103 Early Hints): skip this many bytes.
    Interim(usize),
    Partial,
}

impl H1Conn {
    pub(super) fn new(io: Io) -> H1Conn {
        H1Conn {
            io,
            buf: BytesMut::with_capacity(READ_ROOM),
            reusable: true,
        }
    }

    /// The connection cannot carry another request: the server said close, a response
    /// was cut short, or the idle socket shows the server's FIN (an idle timeout) or
    /// bytes nobody asked for. The check costs no system call while the socket has
    /// nothing to read, which tokio already knows.
    pub fn is_closed(&mut self) -> bool {
        if !self.reusable {
            return true;
        }
        let mut byte = [0u8; 1];
        let mut read = ReadBuf::new(&mut byte);
        let mut cx = Context::from_waker(Waker::noop());
        if std::pin::Pin::new(&mut self.io)
            .poll_read(&mut cx, &mut read)
            .is_ready()
        {
            self.reusable = false;
        }
        !self.reusable
    }

    /// Sends `request` (a whole encoded request) and reads the response to its end.
    /// `head_request`: the request was HEAD, so the response has no body whatever its
    /// headers say.
    pub async fn exchange(
        &mut self,
        request: &[u8],
        head_request: bool,
    ) -> Result<Exchange, ErrorKind> {
        // Until this response is read to its end, the connection is in an unknown state.
        self.reusable = false;
        self.buf.clear();
        self.io.write_all(request).await.map_err(|e| io_kind(&e))?;
        self.io.flush().await.map_err(|e| io_kind(&e))?;
        let head = self.read_head(head_request).await?;
        let body_bytes = match head.framing {
            Framing::Length(n) => self.read_length(n).await?,
            Framing::Chunked => self.read_chunked().await?,
            Framing::UntilClose => self.read_to_close().await?,
        };
        self.reusable = !head.close && head.framing != Framing::UntilClose;
        Ok(Exchange {
            status: head.status,
            body_bytes,
        })
    }

    /// Reads more into the buffer; `Reset` if the server closed first.
    async fn fill(&mut self) -> Result<(), ErrorKind> {
        match self.read_some().await? {
            0 => Err(ErrorKind::Reset),
            _ => Ok(()),
        }
    }

    async fn read_some(&mut self) -> Result<usize, ErrorKind> {
        if self.buf.capacity() - self.buf.len() < READ_ROOM / 4 {
            self.buf.reserve(READ_ROOM);
        }
        self.io
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| io_kind(&e))
    }

    async fn read_head(&mut self, head_request: bool) -> Result<Head, ErrorKind> {
        loop {
            match parse_head(&self.buf, head_request)? {
                Parsed::Final(head) => {
                    self.buf.advance(head.len);
                    return Ok(head);
                }
                Parsed::Interim(len) => self.buf.advance(len),
                Parsed::Partial if self.buf.len() >= MAX_HEAD => return Err(ErrorKind::Malformed),
                Parsed::Partial => self.fill().await?,
            }
        }
    }

    async fn read_length(&mut self, total: u64) -> Result<u64, ErrorKind> {
        let mut left = total;
        loop {
            let take = left.min(self.buf.len() as u64);
            self.buf.advance(take as usize);
            left -= take;
            if left == 0 {
                return Ok(total);
            }
            self.fill().await?;
        }
    }

    async fn read_chunked(&mut self) -> Result<u64, ErrorKind> {
        let mut chunks = Chunked::default();
        while !chunks.feed(&mut self.buf)? {
            self.fill().await?;
        }
        Ok(chunks.body)
    }

    async fn read_to_close(&mut self) -> Result<u64, ErrorKind> {
        let mut body = self.buf.len() as u64;
        self.buf.clear();
        loop {
            match self.read_some().await? {
                0 => return Ok(body),
                n => body += n as u64,
            }
            self.buf.clear();
        }
    }
}

fn parse_head(buf: &[u8], head_request: bool) -> Result<Parsed, ErrorKind> {
    // Left uninitialised: zeroing 100 headers per response was a measurable share of
    // the whole exchange.
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    let parsed = httparse::ParserConfig::default().parse_response_with_uninit_headers(
        &mut resp,
        buf,
        &mut headers,
    );
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(_) => return Err(ErrorKind::Malformed),
    };
    let status = resp.code.unwrap_or_default();
    if (100..200).contains(&status) && status != 101 {
        return Ok(Parsed::Interim(len));
    }
    let http10 = resp.version == Some(0);
    let mut close = http10;
    let mut length: Option<u64> = None;
    let mut transfer: Option<bool> = None;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = content_length(h.value).ok_or(ErrorKind::Malformed)?;
            if length.is_some_and(|l| l != n) {
                return Err(ErrorKind::Malformed);
            }
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            // Chunked counts only as the last coding of the last such header.
            let last = tokens(h.value).last().unwrap_or_default();
            transfer = Some(last.eq_ignore_ascii_case(b"chunked"));
        } else if h.name.eq_ignore_ascii_case("connection") {
            for token in tokens(h.value) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if http10 && token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    let framing = if head_request || status == 204 || status == 304 || status == 101 {
        Framing::Length(0)
    } else {
        match (transfer, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(n)) => Framing::Length(n),
            (None, None) => Framing::UntilClose,
        }
    };
    // Both lengths at once may be response splitting (RFC 9112 §6.3): the body is read
    // as chunked, but the connection is not trusted with another request.
    let ambiguous = transfer.is_some() && length.is_some();
    Ok(Parsed::Final(Head {
        status,
        len,
        framing,
        close: close || ambiguous || status == 101,
    }))
}

/// Comma-separated list members, trimmed, empty ones skipped.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// `12`, or a list of equal values (`12, 12`) as some proxies send; anything else is
/// malformed.
fn content_length(value: &[u8]) -> Option<u64> {
    let mut found = None;
    for t in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(t).ok()?.parse().ok()?;
        if found.is_some_and(|f| f != n) {
            return None;
        }
        found = Some(n);
    }
    found
}

/// A chunked body, decoded incrementally from whatever bytes have arrived.
#[derive(Default)]
struct Chunked {
    state: ChunkState,
    /// Payload bytes so far (chunk framing not counted).
    body: u64,
}

#[derive(Default, Clone, Copy)]
enum ChunkState {
    #[default]
    Size,
    Data(u64),
    DataEnd,
    Trailers,
}

impl Chunked {
    /// Consumes what it can of `buf`: `true` once the body has ended.
    fn feed(&mut self, buf: &mut BytesMut) -> Result<bool, ErrorKind> {
        loop {
            match self.state {
                ChunkState::Size => {
                    let Some(line) = line_end(buf)? else {
                        return Ok(false);
                    };
                    let size = chunk_size(&buf[..line])?;
                    buf.advance(line + 1);
                    self.state = match size {
                        0 => ChunkState::Trailers,
                        n => ChunkState::Data(n),
                    };
                }
                ChunkState::Data(left) => {
                    if buf.is_empty() {
                        return Ok(false);
                    }
                    let take = left.min(buf.len() as u64);
                    buf.advance(take as usize);
                    self.body += take;
                    self.state = match left - take {
                        0 => ChunkState::DataEnd,
                        rest => ChunkState::Data(rest),
                    };
                }
                ChunkState::DataEnd => {
                    if buf.len() < 2 {
                        return Ok(false);
                    }
                    if &buf[..2] != b"\r\n" {
                        return Err(ErrorKind::Malformed);
                    }
                    buf.advance(2);
                    self.state = ChunkState::Size;
                }
                ChunkState::Trailers => {
                    let Some(line) = line_end(buf)? else {
                        return Ok(false);
                    };
                    let blank = buf[..line].trim_ascii().is_empty();
                    buf.advance(line + 1);
                    if blank {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// Where the current line's `\n` is, if it has arrived.
fn line_end(buf: &[u8]) -> Result<Option<usize>, ErrorKind> {
    match buf.iter().position(|&b| b == b'\n') {
        Some(i) => Ok(Some(i)),
        None if buf.len() > MAX_LINE => Err(ErrorKind::Malformed),
        None => Ok(None),
    }
}

/// The hex size at the start of a chunk line; extensions after `;` are ignored.
fn chunk_size(line: &[u8]) -> Result<u64, ErrorKind> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let hex = line.split(|&b| b == b';').next().unwrap_or_default();
    let hex = hex.trim_ascii();
    if hex.is_empty() || hex.len() > 15 {
        return Err(ErrorKind::Malformed);
    }
    let text = std::str::from_utf8(hex).map_err(|_| ErrorKind::Malformed)?;
    u64::from_str_radix(text, 16).map_err(|_| ErrorKind::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(raw: &str) -> Head {
        match parse_head(raw.as_bytes(), false) {
            Ok(Parsed::Final(h)) => h,
            other => panic!("{raw:?}: {other:?}"),
        }
    }

    #[test]
    fn framing_follows_rfc_9112() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n");
        assert_eq!(
            (h.status, h.framing, h.close),
            (200, Framing::Length(12), false)
        );
        let h = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n",
        );
        assert_eq!((h.framing, h.close), (Framing::Chunked, true));
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
        assert_eq!(h.framing, Framing::UntilClose);
        assert_eq!(head("HTTP/1.1 200 OK\r\n\r\n").framing, Framing::UntilClose);
        let h = head("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(0));
        assert_eq!(
            head("HTTP/1.1 304 Not Modified\r\n\r\n").framing,
            Framing::Length(0)
        );
        let Ok(Parsed::Final(h)) =
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true)
        else {
            panic!()
        };
        assert_eq!(h.framing, Framing::Length(0), "HEAD has no body");
    }

    #[test]
    fn connection_close_and_http10_keep_alive() {
        assert!(
            head("HTTP/1.1 200 OK\r\nConnection: keep-alive, Close\r\nContent-Length: 0\r\n\r\n")
                .close
        );
        assert!(head("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n").close);
        assert!(
            !head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n").close
        );
    }

    #[test]
    fn interim_responses_are_skipped_and_partial_heads_wait() {
        let raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n";
        assert_eq!(parse_head(raw, false), Ok(Parsed::Interim(25)));
        assert_eq!(parse_head(&raw[25..], false), Ok(Parsed::Partial));
        assert_eq!(parse_head(b"", false), Ok(Parsed::Partial));
    }

    #[test]
    fn bad_heads_are_malformed() {
        for raw in [
            "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "SSH-2.0-OpenSSH\r\n\r\n",
        ] {
            assert_eq!(
                parse_head(raw.as_bytes(), false),
                Err(ErrorKind::Malformed),
                "{raw:?}"
            );
        }
        assert_eq!(content_length(b"7, 7"), Some(7));
    }

    #[test]
    fn chunked_bodies_decode_byte_by_byte() {
        let raw =
            b"5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n";
        let mut chunks = Chunked::default();
        let mut buf = BytesMut::new();
        let mut done_at = None;
        for (i, b) in raw.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            if chunks.feed(&mut buf).unwrap() {
                done_at = Some(i);
                break;
            }
        }
        assert_eq!(done_at, Some(raw.len() - 1));
        assert_eq!(chunks.body, 31);
        assert!(buf.is_empty());
    }

    #[test]
    fn bad_chunks_are_malformed() {
        for raw in [
            &b"zz\r\n"[..],
            b"5\r\nhelloXX",
            b"\r\n",
            b"1000000000000000\r\n",
        ] {
            let mut buf = BytesMut::from(raw);
            assert_eq!(
                Chunked::default().feed(&mut buf),
                Err(ErrorKind::Malformed),
                "{raw:?}"
            );
        }
    }
}

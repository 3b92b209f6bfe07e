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
/// Requests longer than this are sent while watching for an early response (a 413
/// before the body is all read): shorter ones fit the socket's buffers at once.
const WATCH_ABOVE: usize = 64 * 1024;

/// What the exchange needs to know of the request.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sent {
    /// HEAD: the response has no body whatever its headers say.
    pub head: bool,
    /// The request said `Connection: close`: the connection is not reused (RFC 9112
    /// §9.6), whatever the server answers.
    pub close: bool,
}

/// One HTTP/1.1 connection of a load worker.
pub struct H1Conn {
    io: Io,
    buf: BytesMut,
    /// The last response was read to its end and the server keeps the connection.
    reusable: bool,
    /// Responses read to their end on this connection.
    served: u64,
    /// Response bytes read in the current exchange.
    received: u64,
    /// The last exchange failed on a kept-alive connection before a byte of a response
    /// came back: the server closed it while idle, so the request may be sent again.
    idle_closed: bool,
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
            served: 0,
            received: 0,
            idle_closed: false,
        }
    }

    /// Whether the last failure was an idle close (see [`H1Conn::exchange`]).
    pub fn idle_closed(&self) -> bool {
        self.idle_closed
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
    /// A failure on a kept-alive connection before any response byte (EOF or reset:
    /// the server closed it while idle, as the request went out) sets
    /// [`H1Conn::idle_closed`], so that the caller may send the request again.
    pub async fn exchange(&mut self, request: &[u8], sent: Sent) -> Result<Exchange, ErrorKind> {
        let reused = self.served > 0;
        let result = self.exchange_once(request, sent).await;
        self.idle_closed = reused && self.received == 0 && result == Err(ErrorKind::Reset);
        if result.is_ok() {
            self.served += 1;
        }
        result
    }

    async fn exchange_once(&mut self, request: &[u8], sent: Sent) -> Result<Exchange, ErrorKind> {
        // Until this response is read to its end, the connection is in an unknown state.
        self.reusable = false;
        self.received = 0;
        self.buf.clear();
        let early = match self.send(request).await {
            Ok(early) => early,
            Err(e) => {
                // RFC 9112 §9.5: the server may have answered (413, 431) and closed
                // before reading the whole request; that answer, if it came, is the
                // response.
                if self.buf.is_empty() && self.fill().await.is_err() {
                    return Err(io_kind(&e));
                }
                true
            }
        };
        let head = self.read_head(sent.head).await?;
        let body_bytes = match head.framing {
            Framing::Length(n) => self.read_length(n).await?,
            Framing::Chunked => self.read_chunked().await?,
            Framing::UntilClose => self.read_to_close().await?,
        };
        // Bytes after the response's end (a longer body than stated, a body after a
        // 204, a response nobody asked for): the connection is out of step; close it.
        let in_step = self.buf.is_empty();
        self.reusable =
            !head.close && head.framing != Framing::UntilClose && !sent.close && !early && in_step;
        Ok(Exchange {
            status: head.status,
            body_bytes,
        })
    }

    /// Writes the request. A long one goes out while golive watches for a response
    /// that comes before the request is all sent (RFC 9112 §9.5: a 413 and a close);
    /// `Ok(true)` when one did, and the rest of the request was not sent.
    async fn send(&mut self, request: &[u8]) -> std::io::Result<bool> {
        if request.len() <= WATCH_ABOVE {
            self.io.write_all(request).await?;
            self.io.flush().await?;
            return Ok(false);
        }
        let H1Conn { io, buf, .. } = self;
        let (mut rd, mut wr) = tokio::io::split(io);
        let mut written = 0;
        loop {
            tokio::select! {
                w = wr.write(&request[written..]) => {
                    match w? {
                        0 => return Err(std::io::ErrorKind::WriteZero.into()),
                        n => written += n,
                    }
                    if written == request.len() {
                        wr.flush().await?;
                        return Ok(false);
                    }
                }
                r = rd.read_buf(buf) => {
                    if r? == 0 {
                        return Err(std::io::ErrorKind::UnexpectedEof.into());
                    }
                    if response_begins(buf) {
                        return Ok(true);
                    }
                }
            }
        }
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
        let n = self
            .io
            .read_buf(&mut self.buf)
            .await
            .map_err(|e| io_kind(&e))?;
        self.received += n as u64;
        Ok(n)
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

/// Whether `buf` holds the start of a final response (interim ones skipped), or bytes
/// that cannot be one: either way the request need not be sent further.
fn response_begins(buf: &[u8]) -> bool {
    let mut at = 0;
    loop {
        match parse_head(&buf[at..], false) {
            Ok(Parsed::Interim(len)) => at += len,
            Ok(Parsed::Partial) => return false,
            Ok(Parsed::Final(_)) | Err(_) => return true,
        }
    }
}

fn parse_head(buf: &[u8], head_request: bool) -> Result<Parsed, ErrorKind> {
    // Left uninitialised: zeroing 100 headers per response was a measurable share of
    // the whole exchange.
    let mut headers = [const { std::mem::MaybeUninit::uninit() }; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut []);
    // RFC 9112 §5.2: a user agent replaces an obs-fold with spaces; the framing
    // headers are read token by token, so a fold is whitespace there.
    let parsed = httparse::ParserConfig::default()
        .allow_obsolete_multiline_headers_in_responses(true)
        .parse_response_with_uninit_headers(&mut resp, buf, &mut headers);
    let len = match parsed {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(Parsed::Partial),
        Err(_) => return Err(ErrorKind::Malformed),
    };
    // The same verdict whatever the segmentation: a head over the cap that arrived in
    // one read is refused as one that arrived in several would be.
    if len > MAX_HEAD {
        return Err(ErrorKind::Malformed);
    }
    let status = resp.code.unwrap_or_default();
    // RFC 9110 §15: a status code is three digits, 100 to 599 meaningful; below 100
    // it is no status at all.
    if status < 100 {
        return Err(ErrorKind::Malformed);
    }
    if (100..200).contains(&status) && status != 101 {
        return Ok(Parsed::Interim(len));
    }
    let http10 = resp.version == Some(0);
    // RFC 9112 §6.3 rule 1: HEAD, 1xx, 204 and 304 responses end at the head, whatever
    // their Content-Length says (valid or not).
    let bodiless = head_request || status == 204 || status == 304 || status == 101;
    let (mut saw_close, mut saw_keep_alive) = (false, false);
    let mut length: Option<u64> = None;
    let mut transfer: Option<bool> = None;
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            if bodiless {
                continue;
            }
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
                saw_close |= token.eq_ignore_ascii_case(b"close");
                saw_keep_alive |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    // RFC 9112 §9.6: `close` wins over any keep-alive, in any order; HTTP/1.0 is
    // persistent only when it says keep-alive.
    let close = saw_close || (http10 && !saw_keep_alive);
    let framing = if bodiless {
        Framing::Length(0)
    } else {
        match (transfer, length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(n)) => Framing::Length(n),
            (None, None) => Framing::UntilClose,
        }
    };
    // Both lengths at once may be response splitting (RFC 9112 §6.3), and HTTP/1.0
    // with Transfer-Encoding is faulty framing (§6.1): the body is read as the
    // encoding says, but the connection is not trusted with another request.
    let suspect = (transfer.is_some() && length.is_some()) || (http10 && transfer.is_some());
    Ok(Parsed::Final(Head {
        status,
        len,
        framing,
        close: close || suspect || status == 101,
    }))
}

/// Comma-separated list members, trimmed, empty ones skipped.
fn tokens(value: &[u8]) -> impl Iterator<Item = &[u8]> {
    value
        .split(|&b| b == b',')
        .map(<[u8]>::trim_ascii)
        .filter(|t| !t.is_empty())
}

/// The largest length a response may state, as hyper: two below `u64::MAX`, so that a
/// length no body can have is malformed, not a wait for bytes that never come.
const MAX_LENGTH: u64 = u64::MAX - 2;

/// `12`, or a list of equal values (`12, 12`) as some proxies send (RFC 9110 §8.6);
/// anything else is malformed.
fn content_length(value: &[u8]) -> Option<u64> {
    let mut found = None;
    for t in value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
        if t.is_empty() || !t.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: u64 = std::str::from_utf8(t).ok()?.parse().ok()?;
        if n > MAX_LENGTH || found.is_some_and(|f| f != n) {
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
                    // A field line, or the empty line that ends the message; RFC 9112
                    // §2.2 lets a recipient take a bare LF as a line's end here.
                    let content = buf[..line].strip_suffix(b"\r").unwrap_or(&buf[..line]);
                    let end = content.is_empty();
                    if !end && !is_field_line(content) {
                        return Err(ErrorKind::Malformed);
                    }
                    buf.advance(line + 1);
                    if end {
                        return Ok(true);
                    }
                }
            }
        }
    }
}

/// Where the current line's `\n` is, if it has arrived. A line longer than
/// [`MAX_LINE`] is malformed whether its end has arrived or not: the verdict must not
/// depend on how the bytes were cut into reads.
fn line_end(buf: &[u8]) -> Result<Option<usize>, ErrorKind> {
    let window = &buf[..buf.len().min(MAX_LINE + 1)];
    match window.iter().position(|&b| b == b'\n') {
        Some(i) if i > MAX_LINE => Err(ErrorKind::Malformed),
        Some(i) => Ok(Some(i)),
        None if buf.len() > MAX_LINE => Err(ErrorKind::Malformed),
        None => Ok(None),
    }
}

/// `name: value` with a token for a name (RFC 9110 §5.1), as a trailer line must be.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    colon > 0
        && line[..colon]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b))
}

/// The size of a chunk line, strictly as RFC 9112 §7.1 writes it: hex digits (leading
/// zeros allowed), then optional extensions after `;` (whitespace allowed before it),
/// then CRLF. Signs, leading blanks and a bare LF are malformed.
fn chunk_size(line: &[u8]) -> Result<u64, ErrorKind> {
    let line = line.strip_suffix(b"\r").ok_or(ErrorKind::Malformed)?;
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let (hex, rest) = line.split_at(digits);
    let rest = rest.trim_ascii_start();
    if hex.is_empty() || !(rest.is_empty() || rest[0] == b';') {
        return Err(ErrorKind::Malformed);
    }
    let significant = &hex[hex.iter().take_while(|&&b| b == b'0').count()..];
    // At most 15 significant digits: a chunk can be no larger than 2^60 bytes here.
    if significant.len() > 15 {
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
    fn chunk_lines_are_read_as_rfc_9112_writes_them() {
        assert_eq!(chunk_size(b"0000000000000005\r"), Ok(5));
        assert_eq!(chunk_size(b"a ;ext=\"x y\"\r"), Ok(10));
        for bad in [
            &b"+5\r"[..],
            b" 5\r",
            b"5",
            b"5 x\r",
            b"\r",
            b"1000000000000000\r",
        ] {
            assert_eq!(chunk_size(bad), Err(ErrorKind::Malformed), "{bad:?}");
        }
        let mut long = vec![b'5'; 1];
        long.extend(std::iter::repeat_n(b';', MAX_LINE + 10));
        long.extend(b"\r\n");
        assert_eq!(line_end(&long), Err(ErrorKind::Malformed));
    }

    #[test]
    fn bodiless_responses_ignore_their_length_and_close_wins() {
        for raw in [
            "HTTP/1.1 204 No Content\r\nContent-Length: abc\r\n\r\n",
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n",
        ] {
            assert_eq!(head(raw).framing, Framing::Length(0), "{raw:?}");
        }
        assert!(
            head("HTTP/1.0 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 0\r\n\r\n")
                .close
        );
        assert!(head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").close);
        let h =
            head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!((h.framing, h.close), (Framing::Chunked, true));
        assert_eq!(
            parse_head(b"HTTP/1.1 099 Odd\r\n\r\n", false),
            Err(ErrorKind::Malformed)
        );
        assert_eq!(
            parse_head(
                b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n",
                false
            ),
            Err(ErrorKind::Malformed)
        );
        let folded = head(
            "HTTP/1.1 200 OK\r\nConnection: keep-alive,\r\n close\r\nContent-Length: 0\r\n\r\n",
        );
        assert!(folded.close, "an obs-fold is whitespace");
    }

    #[test]
    fn bad_chunks_are_malformed() {
        for raw in [
            &b"zz\r\n"[..],
            b"5\r\nhelloXX",
            b"\r\n",
            b"1000000000000000\r\n",
            b"5\nhello\r\n",
            b"0\r\n \r\n",
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

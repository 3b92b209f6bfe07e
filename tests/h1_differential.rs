//! The HTTP/1.1 client against the RFC: a raw-socket server serves a table of response
//! recipes, each delivered in one write, cut at random points (fixed seeds) and
//! trickled byte by byte; for every delivery, golive's own exchange must report
//! exactly the row written from RFC 9110/9112 (statuses, error kinds, body bytes,
//! connections, retries), and hyper's client the same row, or the row it is known to
//! differ by, with the reason. Runs go through the library (`gates::stress::run`), on
//! real loopback TCP.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Duration;

use clap::Parser;
use common::*;
use golive::cli::{Cli, Command};
use golive::gates::stress::{self, StressPlan};
use golive::shutdown::Cancel;

/// What the server does after writing a response.
#[derive(Clone, Copy, Debug, PartialEq)]
enum After {
    /// Reads the next request on the same connection.
    Keep,
    /// Closes the connection (FIN).
    Close,
    /// Resets the connection (RST) after writing.
    Reset,
}

/// What a run must report.
#[derive(Clone, Debug, PartialEq)]
struct Row {
    statuses: BTreeMap<String, u64>,
    errors: BTreeMap<String, u64>,
    bytes: u64,
    connections: u64,
}

fn row(statuses: &[(u16, u64)], errors: &[(&str, u64)], bytes: u64, connections: u64) -> Row {
    Row {
        statuses: statuses.iter().map(|(s, n)| (s.to_string(), *n)).collect(),
        errors: errors.iter().map(|(e, n)| (e.to_string(), *n)).collect(),
        bytes,
        connections,
    }
}

struct Recipe {
    name: &'static str,
    /// The rule the expected row follows.
    rule: &'static str,
    response: Vec<u8>,
    after: After,
    requests: u64,
    args: Vec<String>,
    expect: Row,
    /// hyper's row, where hyper departs from the RFC's (with why); `None` inside:
    /// hyper gives no stable row, and is not compared.
    hyper: Option<(Option<Row>, &'static str)>,
    /// Where stray bytes begin (see [`Recipe::stray`]).
    stray: Option<usize>,
}

fn recipe(
    name: &'static str,
    rule: &'static str,
    response: &[u8],
    after: After,
    expect: Row,
) -> Recipe {
    Recipe {
        name,
        rule,
        response: response.to_vec(),
        after,
        requests: 3,
        args: Vec::new(),
        expect,
        hyper: None,
        stray: None,
    }
}

impl Recipe {
    fn args(mut self, args: &[&str]) -> Recipe {
        self.args = args.iter().map(|s| s.to_string()).collect();
        self
    }

    fn requests(mut self, n: u64) -> Recipe {
        self.requests = n;
        self
    }

    /// Bytes from `at` on are stray (past the response's end): they are written with
    /// the response's last part, never cut off from it, since a stray byte that comes
    /// later could be anyone's.
    fn stray(mut self, at: usize) -> Recipe {
        self.stray = Some(at);
        self
    }

    fn hyper(mut self, row: Row, why: &'static str) -> Recipe {
        self.hyper = Some((Some(row), why));
        self
    }

    /// hyper's row is not one row: it is not compared (why is said).
    fn hyper_unchecked(mut self, why: &'static str) -> Recipe {
        self.hyper = Some((None, why));
        self
    }
}

/// How the response bytes are cut into writes.
#[derive(Clone, Copy, Debug)]
enum Delivery {
    Whole,
    /// Three cut points from a fixed-seed sequence, different for each response.
    Random(u64),
    /// One byte per write.
    Trickle,
}

fn cuts(len: usize, delivery: Delivery, nth: u64) -> Vec<usize> {
    match delivery {
        Delivery::Whole => vec![],
        Delivery::Trickle => (1..len).collect(),
        Delivery::Random(seed) => {
            let mut x = seed ^ (nth.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let mut c: Vec<usize> = (0..3)
                .map(|_| {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    1 + (x >> 33) as usize % len.max(2).saturating_sub(1)
                })
                .collect();
            c.sort();
            c.dedup();
            c
        }
    }
}

fn deliver(s: &mut std::net::TcpStream, bytes: &[u8], cuts: &[usize]) {
    let mut at = 0;
    for &c in cuts.iter().chain(std::iter::once(&bytes.len())) {
        if c <= at || c > bytes.len() {
            continue;
        }
        if s.write_all(&bytes[at..c]).is_err() {
            return;
        }
        at = c;
        if c < bytes.len() {
            std::thread::sleep(Duration::from_micros(300));
        }
    }
}

fn serve(recipe: &Recipe, delivery: Delivery) -> RawServer {
    let (response, after) = (recipe.response.clone(), recipe.after);
    let whole_from = recipe.stray.unwrap_or(response.len());
    let served = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    RawServer::start(move |mut s| {
        let _ = s.set_nodelay(true);
        while read_head(&mut s) {
            let nth = served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let cut = cuts(whole_from, delivery, nth);
            deliver(&mut s, &response, &cut);
            match after {
                After::Keep => continue,
                After::Close => {
                    let _ = s.shutdown(std::net::Shutdown::Both);
                    return;
                }
                After::Reset => {
                    reset(s);
                    return;
                }
            }
        }
    })
}

/// One in-process stress run with `client`, read back as a row.
fn measure(url: &str, recipe: &Recipe, client: &str) -> (Row, u64) {
    let n = recipe.requests.to_string();
    let mut argv: Vec<String> = [
        "golive",
        "stress",
        url,
        "-n",
        &n,
        "-c",
        "1",
        "--timeout",
        "2s",
        "--h1-client",
        client,
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    argv.extend(recipe.args.iter().cloned());
    let Ok(Cli {
        command: Command::Stress(args),
        ..
    }) = Cli::try_parse_from(&argv)
    else {
        panic!("{argv:?} does not parse")
    };
    let plan = StressPlan::from_args(&args, &|_| None).expect("a valid plan");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let report = rt
        .block_on(stress::run(
            &plan,
            Duration::from_millis(50),
            &Cancel::new(),
            |_| {},
        ))
        .expect("the run starts");
    let r = &report.body.results;
    let errors = r
        .errors
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| (k.clone(), *n))
        .collect();
    (
        Row {
            statuses: r.status_codes.clone(),
            errors,
            bytes: r.bytes_read,
            connections: r.generator.connections_opened,
        },
        r.retried_idle_close,
    )
}

fn chunked(body: &str) -> Vec<u8> {
    format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{body}").into_bytes()
}

/// hyper's chunk decoder fails with an I/O error, which reads as a reset.
const HYPER_CHUNK: &str = "hyper reports a chunk syntax error as an I/O error: a reset";

fn recipes() -> Vec<Recipe> {
    use After::*;
    let ok3 = |bytes: u64, conns: u64| row(&[(200, 3)], &[], bytes, conns);
    let malformed = |n: u64| row(&[], &[("malformed", n)], 0, n);
    let long_ext = format!("5;{}\r\nhello\r\n0\r\n\r\n", "x".repeat(9 * 1024));
    let long_trailer = format!("5\r\nhello\r\n0\r\nX-Big: {}\r\n\r\n", "y".repeat(9 * 1024));
    let huge_head = format!(
        "HTTP/1.1 200 OK\r\n{}Content-Length: 0\r\n\r\n",
        (0..99)
            .map(|i| format!("X-H{i}: {}\r\n", "v".repeat(4300)))
            .collect::<String>()
    );
    vec![
        // Framings that every client agrees on.
        recipe("content-length", "RFC 9112 §6.3 rule 6", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", Keep, ok3(15, 1)),
        recipe("content-length list of equal values", "RFC 9110 §8.6", b"HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", Keep, ok3(15, 1)),
        recipe("chunked with extension and trailer", "RFC 9112 §7.1", &chunked("5;a=1\r\nhello\r\n6\r\n world\r\n0\r\nX-T: 1\r\n\r\n"), Keep, ok3(33, 1)),
        recipe("chunk size with leading zeros (16 digits)", "RFC 9112 §7.1: 1*HEXDIG", &chunked("0000000000000005\r\nhello\r\n0\r\n\r\n"), Keep, ok3(15, 1)),
        recipe("1xx run before the response", "RFC 9110 §15.2", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Keep, ok3(6, 1)),
        recipe("close-delimited body", "RFC 9112 §6.3 rule 8", b"HTTP/1.1 200 OK\r\n\r\nuntil close", Close, ok3(33, 3)),
        recipe("HTTP/1.0 without keep-alive", "RFC 9112 §9.3", b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n1.0!", Keep, ok3(12, 3)),
        recipe("205 Reset Content", "RFC 9110 §15.3.6", b"HTTP/1.1 205 Reset Content\r\nContent-Length: 0\r\n\r\n", Keep, row(&[(205, 3)], &[], 0, 1)),
        recipe("HEAD with a length and no body", "RFC 9112 §6.3 rule 1", b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", Keep, ok3(0, 1)).args(&["-X", "HEAD"]),
        recipe("obs-fold in a header", "RFC 9112 §5.2: replaced by SP", b"HTTP/1.1 200 OK\r\nX-Folded: a\r\n b\r\nContent-Length: 2\r\n\r\nok", Keep, ok3(6, 1))
            .hyper(malformed(3), "hyper refuses an obs-fold in a response; §5.2 has a user agent replace it with spaces"),
        recipe("RST mid-body", "a response cut short", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", Reset, row(&[], &[("reset", 3)], 0, 3)),
        recipe("FIN mid-body", "RFC 9112 §8: incomplete", b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", Close, row(&[], &[("reset", 3)], 0, 3)),
        // 1: the user's Connection: close.
        recipe("request says close, server keeps the connection", "RFC 9112 §9.6: not reused", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Keep, ok3(6, 3)).args(&["-H", "Connection: close"]),
        recipe("request says close, server closes silently", "RFC 9112 §9.6", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Close, ok3(6, 3)).args(&["-H", "Connection: close"]),
        // 2: close wins.
        recipe("HTTP/1.0 close, keep-alive in one header", "RFC 9112 §9.6: close wins", b"HTTP/1.0 200 OK\r\nConnection: close, keep-alive\r\nContent-Length: 2\r\n\r\nok", Close, ok3(6, 3)),
        recipe("HTTP/1.0 keep-alive then close as two headers", "RFC 9112 §9.6", b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", Close, ok3(6, 3)),
        // 3: bodiless responses with bad lengths.
        recipe("204 with Content-Length abc", "RFC 9112 §6.3 rule 1", b"HTTP/1.1 204 No Content\r\nContent-Length: abc\r\n\r\n", Keep, row(&[(204, 3)], &[], 0, 1)),
        recipe("304 with lengths 0 then 5", "RFC 9112 §6.3 rule 1", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\nContent-Length: 5\r\n\r\n", Keep, row(&[(304, 3)], &[], 0, 1)),
        recipe("HEAD answered with lengths 10, 12", "RFC 9112 §6.3 rule 1", b"HTTP/1.1 200 OK\r\nContent-Length: 10, 12\r\n\r\n", Keep, ok3(0, 1)).args(&["-X", "HEAD"]),
        recipe("204 with Content-Length -1", "RFC 9112 §6.3 rule 1", b"HTTP/1.1 204 No Content\r\nContent-Length: -1\r\n\r\n", Keep, row(&[(204, 3)], &[], 0, 1)),
        // 4: no status below 100.
        recipe("status 000", "RFC 9110 §15", b"HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n", Keep, malformed(3)),
        recipe("status 099", "RFC 9110 §15", b"HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", Keep, malformed(3)),
        // 5: the same verdict whatever the segmentation.
        recipe("9 KiB chunk extension", "golive's 8 KiB line cap", &chunked(&long_ext), Keep, malformed(3))
            .hyper(ok3(15, 1), "hyper allows chunk extensions up to 16 KiB a body"),
        recipe("9 KiB trailer line", "golive's 8 KiB line cap", &chunked(&long_trailer), Keep, malformed(3))
            .hyper(ok3(15, 1), "hyper reads trailers up to its header buffer"),
        recipe("head over 417,792 bytes", "golive's head cap", huge_head.as_bytes(), Keep, malformed(3))
            .hyper_unchecked("hyper's verdict on a head past its buffer depends on how the bytes arrive: 2 of 3 read, 1 malformed, in one write"),
        // 6: stray bytes after a complete response.
        recipe("body longer than its length", "RFC 9112 §6.3: out of step, closed", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA", Keep, ok3(6, 3)).stray(40),
        recipe("204 with a body", "RFC 9112 §6.3 rule 1: out of step, closed", b"HTTP/1.1 204 No Content\r\n\r\nxyz", Keep, row(&[(204, 3)], &[], 0, 3)).stray(27),
        recipe("a second response nobody asked for", "RFC 9112 §6.3: out of step, closed", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", Keep, ok3(6, 3)).stray(40),
        // 8: smaller ones.
        recipe("HTTP/1.0 with Transfer-Encoding", "RFC 9112 §6.1: read, then closed", b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", Keep, ok3(6, 3))
            .hyper(malformed(3), "hyper refuses the message as faulty framing; §6.1 has it processed, then the connection closed"),
        recipe("chunk size +5", "RFC 9112 §7.1: 1*HEXDIG", &chunked("+5\r\nhello\r\n0\r\n\r\n"), Keep, malformed(3))
            .hyper(row(&[], &[("reset", 3)], 0, 3), HYPER_CHUNK),
        recipe("chunk size with a leading space", "RFC 9112 §7.1", &chunked(" 5\r\nhello\r\n0\r\n\r\n"), Keep, malformed(3))
            .hyper(row(&[], &[("reset", 3)], 0, 3), HYPER_CHUNK),
        recipe("bare LF after the chunk size", "RFC 9112 §7.1: CRLF", &chunked("5\nhello\r\n0\r\n\r\n"), Keep, malformed(3))
            .hyper(row(&[], &[("reset", 3)], 0, 3), HYPER_CHUNK),
        recipe("LF inside a chunk extension", "RFC 9112 §7.1.1", &chunked("5;a\nb\r\nhello\r\n0\r\n\r\n"), Keep, malformed(3)),
        recipe("whitespace-only trailer line", "RFC 9112 §7.1.2: field lines", &chunked("5\r\nhello\r\n0\r\n \r\n\r\n"), Keep, malformed(3))
            .hyper(row(&[], &[("reset", 3)], 0, 3), HYPER_CHUNK),
        recipe("bare LF after chunk data", "RFC 9112 §7.1: CRLF", &chunked("5\r\nhello\n0\r\n\r\n"), Keep, malformed(3))
            .hyper(row(&[], &[("reset", 3)], 0, 3), HYPER_CHUNK),
        recipe("Transfer-Encoding: chunked, (an empty list member)", "RFC 9110 §5.6.1: empty members ignored", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked,\r\n\r\n2\r\nok\r\n0\r\n\r\n", Close, ok3(6, 3))
            .hyper(ok3(36, 3), "hyper reads a body whose coding list ends in an empty member to the close"),
        recipe("last chunk, then a bare LF", "RFC 9112 §2.2: a recipient MAY take LF as a line's end", &chunked("2\r\nok\r\n0\r\n\n"), Close, ok3(6, 3))
            .hyper_unchecked("hyper waits for a CRLF that never comes: its verdict is the server's close or the timeout"),
        recipe("101 trailer fields", "RFC 9112 §7.1.2: no count is set", &chunked(&format!("2\r\nok\r\n0\r\n{}\r\n", "X-T: 1\r\n".repeat(101))), Keep, ok3(6, 1))
            .hyper(malformed(3), "hyper refuses more than 100 trailer fields"),
        recipe("Content-Length 18446744073709551615", "no body has that length", b"HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551615\r\n\r\n", Keep, malformed(3)),
    ]
}

fn check(recipe: &Recipe, delivery: Delivery) -> Vec<String> {
    let mut wrong = Vec::new();
    let server = serve(recipe, delivery);
    for client in ["lean", "hyper"] {
        let (got, _) = measure(&server.url(), recipe, client);
        let (want, why) = match (&recipe.hyper, client) {
            (Some((Some(row), why)), "hyper") => (row.clone(), *why),
            (Some((None, _)), "hyper") => continue,
            _ => (recipe.expect.clone(), recipe.rule),
        };
        if got != want {
            wrong.push(format!(
                "{} [{client}, {delivery:?}] ({why}):\n  want {want:?}\n  got  {got:?}",
                recipe.name
            ));
        }
    }
    wrong
}

#[test]
fn every_recipe_gives_the_rfcs_row_in_one_write_and_cut_anywhere() {
    let mut wrong = Vec::new();
    for (i, recipe) in recipes().iter().enumerate() {
        let mut deliveries = vec![Delivery::Whole, Delivery::Random(17 + i as u64)];
        if recipe.response.len() <= 512 {
            deliveries.push(Delivery::Trickle);
        }
        for d in deliveries {
            wrong.extend(check(recipe, d));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} rows differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn an_early_answer_to_a_large_body_is_the_response() {
    // A server that refuses an 8 MiB POST after its head (nginx's 413) and closes
    // without reading the body: RFC 9112 §9.5 has the client watch for it.
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("big");
    std::fs::write(&body, vec![b'x'; 8 << 20]).unwrap();
    let server = RawServer::start(|mut s| {
        if read_head(&mut s) {
            let _ = s.write_all(
                b"HTTP/1.1 413 Content Too Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    });
    let r = Recipe {
        name: "413 before the body",
        rule: "RFC 9112 §9.5",
        response: vec![],
        after: After::Close,
        requests: 2,
        args: ["-X", "POST", "--body-file", body.to_str().unwrap()]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        expect: row(&[(413, 2)], &[], 0, 2),
        hyper: None,
        stray: None,
    };
    let (got, _) = measure(&server.url(), &r, "lean");
    assert_eq!(got, r.expect);
}

#[test]
fn an_idle_close_is_retried_once_and_counted_apart() {
    // Keep-alive by the headers, but the server closes after every response: in the
    // closed loop the next request is often already on its way when the FIN comes.
    let server = RawServer::start(|mut s| {
        if read_head(&mut s) {
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        }
    });
    let recipe = |args: &[&str]| {
        recipe(
            "idle close",
            "retry",
            b"",
            After::Close,
            row(&[], &[], 0, 0),
        )
        .requests(200)
        .args(args)
    };
    let (retried_run, retried) = measure(&server.url(), &recipe(&[]), "lean");
    assert_eq!(
        retried_run.errors,
        BTreeMap::new(),
        "no error: {retried_run:?}"
    );
    assert_eq!(retried_run.statuses["200"], 200);
    assert_eq!(retried_run.connections, 200, "one connection per response");
    assert!(retried < 200, "{retried}");
    // Strict counting: the same requests are resets.
    let (strict, none) = measure(&server.url(), &recipe(&["--no-retry"]), "lean");
    assert_eq!(none, 0);
    let resets = strict.errors.get("reset").copied().unwrap_or(0);
    assert_eq!(
        strict.statuses.get("200").copied().unwrap_or(0) + resets,
        200
    );
    // A POST is never sent twice.
    let (post, none) = measure(&server.url(), &recipe(&["-X", "POST"]), "lean");
    assert_eq!(none, 0);
    let resets = post.errors.get("reset").copied().unwrap_or(0);
    assert_eq!(post.statuses.get("200").copied().unwrap_or(0) + resets, 200);
}

mod property {
    use super::*;
    use proptest::prelude::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// One valid response: a status, a body, its framing, an optional 1xx before.
    #[derive(Clone, Debug)]
    struct Valid {
        status: u16,
        body: usize,
        chunks: Option<Vec<usize>>,
        interim: bool,
        extension: bool,
        trailer: bool,
    }

    impl Valid {
        fn bytes(&self) -> Vec<u8> {
            let mut out = Vec::new();
            if self.interim {
                out.extend(b"HTTP/1.1 100 Continue\r\n\r\n");
            }
            out.extend(format!("HTTP/1.1 {} X\r\nServer: prop\r\n", self.status).as_bytes());
            let body = vec![b'b'; self.body];
            match &self.chunks {
                None => {
                    out.extend(format!("Content-Length: {}\r\n\r\n", self.body).as_bytes());
                    out.extend(&body);
                }
                Some(sizes) => {
                    out.extend(b"Transfer-Encoding: chunked\r\n\r\n");
                    let mut at = 0;
                    for &size in sizes {
                        let size = size.min(self.body - at);
                        if size == 0 {
                            continue;
                        }
                        let ext = if self.extension { ";x=\"y z\"" } else { "" };
                        out.extend(format!("{size:X}{ext}\r\n").as_bytes());
                        out.extend(&body[at..at + size]);
                        out.extend(b"\r\n");
                        at += size;
                    }
                    if at < self.body {
                        out.extend(format!("{:x}\r\n", self.body - at).as_bytes());
                        out.extend(&body[at..]);
                        out.extend(b"\r\n");
                    }
                    out.extend(b"0\r\n");
                    if self.trailer {
                        out.extend(b"X-Checksum: 1\r\n");
                    }
                    out.extend(b"\r\n");
                }
            }
            out
        }
    }

    fn valid() -> impl Strategy<Value = Valid> {
        (
            prop::sample::select(vec![200u16, 201, 202, 301, 404, 500, 503]),
            0usize..3000,
            prop::option::of(prop::collection::vec(1usize..700, 1..6)),
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(
                |(status, body, chunks, interim, extension, trailer)| Valid {
                    status,
                    body,
                    chunks,
                    interim,
                    extension,
                    trailer,
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 40,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Any valid responses, cut anywhere, on one kept connection: every response
        /// and every body byte counted, no error, one connection.
        #[test]
        fn valid_responses_cut_anywhere_are_counted_exactly(
            responses in prop::collection::vec(valid(), 1..6),
            seed in any::<u64>(),
        ) {
            let wire: Arc<Vec<Vec<u8>>> = Arc::new(responses.iter().map(Valid::bytes).collect());
            let next = Arc::new(AtomicUsize::new(0));
            let (w, n) = (wire.clone(), next.clone());
            let server = RawServer::start(move |mut s| {
                let _ = s.set_nodelay(true);
                while read_head(&mut s) {
                    let i = n.fetch_add(1, Ordering::Relaxed);
                    let bytes = &w[i % w.len()];
                    deliver(&mut s, bytes, &cuts(bytes.len(), Delivery::Random(seed), i as u64));
                }
            });
            let r = Recipe {
                name: "property",
                rule: "RFC 9112 §6, §7",
                response: vec![],
                after: After::Keep,
                requests: responses.len() as u64,
                args: vec![],
                expect: row(&[], &[], 0, 0),
                hyper: None,
                stray: None,
            };
            let (got, _) = measure(&server.url(), &r, "lean");
            let mut statuses = BTreeMap::new();
            for v in &responses {
                *statuses.entry(v.status.to_string()).or_insert(0) += 1;
            }
            let bytes = responses.iter().map(|v| v.body as u64).sum();
            prop_assert_eq!(got, Row { statuses, errors: BTreeMap::new(), bytes, connections: 1 });
        }
    }
}

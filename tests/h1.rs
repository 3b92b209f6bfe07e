//! The load path's own HTTP/1.1 exchange against raw servers that frame responses
//! every way RFC 9112 allows: each body is read to its end (the connection is reused,
//! the byte counts are exact), the request on the wire is what hyper would send, and
//! what cannot be framed is counted as malformed. Both clients run the same cases.

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use golive::gates::stress::StressReport;

const CLIENTS: [&str; 2] = ["lean", "hyper"];

fn stress(url: &str, client: &str, extra: &[&str]) -> StressReport {
    let common = [
        url,
        "--timeout",
        "3s",
        "--slo",
        "errors==0",
        "--h1-client",
        client,
    ];
    stress_json(&[&common[..], extra].concat()).1
}

/// Responses, body bytes and connections opened of a run that must have no error.
fn clean_run(url: &str, client: &str, args: &[&str]) -> (u64, u64, u64) {
    let report = stress(url, client, args);
    let r = &report.body.results;
    assert_eq!(r.errors_total, 0, "{client}: {:?}", r.errors);
    (r.responses, r.bytes_read, r.generator.connections_opened)
}

/// Writes `bytes` in two parts with a pause between, so the client sees a head or a
/// chunk split across reads.
fn write_split(s: &mut std::net::TcpStream, bytes: &[u8]) {
    let mid = bytes.len() / 2;
    write_all(s, &bytes[..mid]);
    std::thread::sleep(Duration::from_millis(1));
    write_all(s, &bytes[mid..]);
}

#[test]
fn every_framing_is_read_to_its_end_on_one_kept_connection() {
    const RESPONSES: [&[u8]; 4] = [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n\
          HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n\
          5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n",
    ];
    for client in CLIENTS {
        let served = Arc::new(AtomicU64::new(0));
        let count = served.clone();
        let server = RawServer::start(move |mut s| {
            while read_head(&mut s) {
                let n = count.fetch_add(1, Ordering::Relaxed) as usize;
                write_split(&mut s, RESPONSES[n % RESPONSES.len()]);
            }
        });
        let report = stress(&server.url(), client, &["-n", "40", "-c", "1"]);
        let r = &report.body.results;
        assert_eq!(r.errors_total, 0, "{client}: {:?}", r.errors);
        for status in ["200", "201", "204", "304"] {
            assert_eq!(r.status_codes[status], 10, "{client}: {:?}", r.status_codes);
        }
        // Bodies only, on one kept connection.
        let counts = (r.bytes_read, r.generator.connections_opened);
        assert_eq!(counts, (10 * 5 + 10 * 11, 1), "{client}");
    }
}

#[test]
fn connection_close_and_close_delimited_bodies_open_a_new_connection() {
    for client in CLIENTS {
        let served = Arc::new(AtomicU64::new(0));
        let count = served.clone();
        let server = RawServer::start(move |mut s| {
            if read_head(&mut s) {
                let response: &[u8] = match count.fetch_add(1, Ordering::Relaxed) % 3 {
                    0 => b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
                    1 => b"HTTP/1.1 200 OK\r\n\r\nuntil close",
                    _ => b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\n1.0!",
                };
                write_split(&mut s, response);
            }
        });
        let counts = clean_run(&server.url(), client, &["-n", "30", "-c", "2"]);
        assert_eq!(counts, (30, 10 * (2 + 11 + 4), 30), "{client}");
    }
}

#[test]
fn a_connection_the_server_closed_while_idle_is_replaced_not_failed() {
    for client in CLIENTS {
        // Keep-alive by the headers, but the server hangs up right after each
        // response, as an idle timeout would; the next request is 50 ms later.
        let server = RawServer::start(|mut s| {
            if read_head(&mut s) {
                write_all(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
            }
        });
        let counts = clean_run(
            &server.url(),
            client,
            &["--rate", "20", "-n", "6", "-c", "1"],
        );
        assert_eq!(counts, (6, 12, 6), "{client}");
    }
}

#[test]
fn a_head_response_has_no_body_whatever_its_length_says() {
    for client in CLIENTS {
        let server = RawServer::start(|mut s| {
            while read_head(&mut s) {
                write_all(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
            }
        });
        let counts = clean_run(
            &server.url(),
            client,
            &["-n", "10", "-c", "1", "-X", "HEAD"],
        );
        assert_eq!(counts, (10, 0, 1), "{client}");
    }
}

#[test]
fn responses_that_cannot_be_framed_are_malformed() {
    let bad: [&[u8]; 3] = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY",
    ];
    for response in bad {
        let server = RawServer::start(move |mut s| {
            if read_head(&mut s) {
                write_all(&mut s, response);
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let report = stress(&server.url(), "lean", &["-n", "4", "-c", "2"]);
        let r = &report.body.results;
        assert_eq!(
            (r.errors["malformed"], r.responses),
            (4, 0),
            "{}: {:?}",
            String::from_utf8_lossy(response),
            r.errors
        );
    }
}

/// The request as the server received it: request line, header lines (sorted), body.
type Captured = (String, Vec<String>, String);

fn parse_captured(raw: &[u8]) -> Captured {
    let raw = String::from_utf8(raw.to_vec()).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap();
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap().to_string();
    let mut headers: Vec<String> = lines.map(str::to_ascii_lowercase).collect();
    headers.sort();
    (request_line, headers, body.to_string())
}

#[test]
fn the_lean_request_is_the_one_hyper_sends() {
    let seen = Arc::new(Mutex::new(Vec::<Vec<u8>>::new()));
    let sink = seen.clone();
    let server = RawServer::start(move |mut s| {
        use std::io::Read;
        let mut buf = vec![0u8; 4096];
        let mut got = Vec::new();
        // The head, then the body its content-length announces.
        while !got.windows(4).any(|w| w == b"\r\n\r\n") || !got.ends_with(b"payload") {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
        sink.lock().unwrap().push(got);
        write_all(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    let url = format!("http://{}/v1/items?q=1", server.addr);
    // A user's Content-Length that disagrees with the body is corrected by both.
    let args = [
        "-n",
        "1",
        "-c",
        "1",
        "-X",
        "POST",
        "--body",
        "payload",
        "-H",
        "X-Trace: abc",
        "-H",
        "Content-Length: 99",
    ];
    let captured: Vec<Captured> = CLIENTS
        .iter()
        .map(|client| {
            let report = stress(&url, client, &args);
            assert_eq!(report.body.results.responses, 1, "{client}");
            let raw = seen.lock().unwrap().pop().expect("the request arrived");
            parse_captured(&raw)
        })
        .collect();
    let lean = &captured[0];
    assert_eq!(lean.0, "POST /v1/items?q=1 HTTP/1.1");
    assert!(
        lean.1.contains(&"content-length: 7".to_string()),
        "{:?}",
        lean.1
    );
    assert!(lean.1.contains(&"x-trace: abc".to_string()), "{:?}", lean.1);
    assert_eq!(lean.2, "payload");
    assert_eq!(lean, &captured[1], "lean and hyper send the same request");
}

//! The HTTP/1.1 clients against a real server: nginx on loopback, with
//! `keepalive_requests 3` (every third response says `Connection: close`), gzip
//! (chunked bodies), 204, 304 and a static file. golive's own exchange and hyper's
//! must agree exactly, with no error. Skipped with a message when nginx is absent,
//! unless GOLIVE_REQUIRE_NGINX is set (CI installs it and sets it).

mod common;

use common::nginx::Nginx;
use common::*;

/// nginx serving a static file, a compressible page (gzip), 204 and 304.
fn start() -> Option<Nginx> {
    Nginx::start(|port, dir| {
        let root = dir.join("www");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("file.txt"), "x".repeat(1000)).unwrap();
        let text: String = (0..200)
            .map(|i| format!("line {i} of a compressible page\n"))
            .collect();
        std::fs::write(root.join("page.txt"), text).unwrap();
        format!(
            "access_log off;\n  keepalive_requests 3; if_modified_since before;\n\
             server {{\n    listen 127.0.0.1:{port};\n    root {root};\n\
               location = /empty {{ return 204; }}\n\
               location /gzip/ {{ alias {root}/; gzip on; gzip_min_length 0; gzip_types text/plain; }}\n\
             }}",
            root = root.display()
        )
    })
}

/// Statuses, body bytes, connections and errors of a run with `client`.
fn counts(url: &str, client: &str, extra: &[&str]) -> (Vec<(String, u64)>, u64, u64, u64) {
    let args = [
        &[url, "-n", "30", "-c", "1", "--h1-client", client][..],
        extra,
    ]
    .concat();
    let (_, report) = stress_json(&args);
    let r = &report.body.results;
    (
        r.status_codes.clone().into_iter().collect(),
        r.bytes_read,
        r.generator.connections_opened,
        r.errors_total,
    )
}

#[test]
fn both_clients_read_nginx_alike_with_no_error() {
    let Some(nginx) = start() else { return };
    let cases: [(&str, &[&str], &str, Option<u64>); 4] = [
        ("/file.txt", &[], "200", Some(1000)),
        (
            "/gzip/page.txt",
            &["-H", "Accept-Encoding: gzip"],
            "200",
            None,
        ),
        ("/empty", &[], "204", Some(0)),
        (
            "/file.txt",
            &["-H", "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT"],
            "304",
            Some(0),
        ),
    ];
    for (path, extra, status, body) in cases {
        let url = format!("{}{path}", nginx.url);
        let lean = counts(&url, "lean", extra);
        let hyper = counts(&url, "hyper", extra);
        assert_eq!(lean, hyper, "{path}: lean and hyper differ");
        let (statuses, bytes, conns, errors) = lean;
        assert_eq!(statuses, [(status.to_string(), 30)], "{path}");
        assert_eq!(errors, 0, "{path}");
        // keepalive_requests 3: nginx closes every third response, saying so.
        assert_eq!(conns, 10, "{path}");
        if let Some(b) = body {
            assert_eq!(bytes, 30 * b, "{path}");
        } else {
            assert!(
                bytes > 0 && bytes < 30 * 7000,
                "{path}: gzip shrank the page ({bytes})"
            );
        }
    }
}

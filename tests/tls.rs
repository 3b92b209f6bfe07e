//! https against a real rustls server with a self-signed certificate: refused by
//! default (counted by rustls's reason, with the fix), accepted with --insecure or
//! --cacert, including the server's own certificate marked as a CA (curl's idiom).

mod common;

use std::sync::Arc;

use common::*;
use golive::gates::stress::StressReport;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

struct TlsServer {
    addr: std::net::SocketAddr,
    cert_pem: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

/// A self-signed certificate for `names`; `ca` marks it CA:TRUE, as
/// `openssl req -x509` does by default.
fn self_signed(names: &[&str], ca: bool) -> (rcgen::Certificate, rcgen::KeyPair) {
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = rcgen::CertificateParams::new(names).unwrap();
    if ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    }
    let key = rcgen::KeyPair::generate().unwrap();
    (params.self_signed(&key).unwrap(), key)
}

fn start_tls_server() -> TlsServer {
    start_tls_server_with(self_signed(&["127.0.0.1"], false))
}

fn start_tls_server_with((cert, key): (rcgen::Certificate, rcgen::KeyPair)) -> TlsServer {
    let cert_pem = cert.pem();
    let cert: CertificateDer<'static> = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let (tcp, _) = tokio::select! {
                    a = listener.accept() => a.unwrap(),
                    _ = &mut stopped => return,
                };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let svc = service_fn(|_req| async {
                        Ok::<_, std::convert::Infallible>(text(200, "secure"))
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), svc)
                        .await;
                });
            }
        });
    });
    TlsServer {
        addr,
        cert_pem,
        _stop: stop,
    }
}

fn stress(url: &str, extra: &[&str]) -> StressReport {
    stress_with_text(url, extra).0
}

fn stress_with_text(url: &str, extra: &[&str]) -> (StressReport, String) {
    let (run, report) = stress_json(&[&[url, "-n", "10", "-c", "2"], extra].concat());
    (report, run.stdout)
}

fn write_pem(dir: &tempfile::TempDir, pem: &str) -> String {
    let path = dir.path().join("server.pem");
    std::fs::write(&path, pem).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn self_signed_certificates_are_refused_unless_trusted() {
    let server = start_tls_server();
    let url = format!("https://{}/", server.addr);

    let (refused, text) = stress_with_text(&url, &[]);
    assert_eq!(
        refused.body.results.errors["tls_unknown_issuer"], 10,
        "{:?}",
        refused.body.results.errors
    );
    assert!(text.contains("unknown authority"), "{text}");
    assert!(text.contains("fix: trust it: --cacert FILE"), "{text}");

    let insecure = stress(&url, &["--insecure"]);
    assert_eq!(insecure.body.results.status_codes.get("200"), Some(&10));
    assert!(insecure.body.settings.insecure);

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &server.cert_pem).unwrap();
    let trusted = stress(&url, &["--cacert", ca.to_str().unwrap()]);
    assert_eq!(
        trusted.body.results.status_codes.get("200"),
        Some(&10),
        "{:?}",
        trusted.body.results.errors
    );
}

#[test]
fn a_cacert_that_is_not_pem_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, "not a certificate").unwrap();
    let run = run(&[
        "stress",
        "https://127.0.0.1:9/",
        "--cacert",
        ca.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--cacert"), "{}", run.stderr);
}

#[test]
fn the_servers_own_ca_marked_certificate_is_trusted_by_cacert_like_curl() {
    let server = start_tls_server_with(self_signed(&["127.0.0.1"], true));
    let url = format!("https://{}/", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let pem = write_pem(&dir, &server.cert_pem);

    let refused = stress(&url, &[]);
    let errors = &refused.body.results.errors;
    assert_eq!(
        errors["tls_unknown_issuer"] + errors["tls_ca_as_end_entity"],
        10,
        "{errors:?}"
    );

    let trusted = stress(&url, &["--cacert", &pem]);
    assert_eq!(
        trusted.body.results.status_codes.get("200"),
        Some(&10),
        "{:?}",
        trusted.body.results.errors
    );
}

#[test]
fn a_pinned_certificate_for_another_name_is_refused_as_a_name_mismatch() {
    let server = start_tls_server_with(self_signed(&["staging.example.com"], true));
    let url = format!("https://{}/", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let pem = write_pem(&dir, &server.cert_pem);

    let (refused, text) = stress_with_text(&url, &["--cacert", &pem]);
    assert_eq!(
        refused.body.results.errors["tls_name_mismatch"], 10,
        "{:?}",
        refused.body.results.errors
    );
    assert!(text.contains("not valid for this host name"), "{text}");
}

#[test]
fn canary_names_the_tls_reason_and_the_fix_in_each_sample() {
    let server = start_tls_server();
    let url = format!("https://{}/", server.addr);
    let run = run(&["canary", &url, "--count", "2", "--delay", "10ms"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let out = format!("{}{}", run.stdout, run.stderr);
    assert!(out.contains("unknown authority"), "{out}");
    assert!(out.contains("--cacert"), "{out}");
}

#[test]
fn a_new_connection_per_request_resumes_tls_sessions_and_says_how_many() {
    let server = start_tls_server();
    let url = format!("https://{}/", server.addr);
    // `Connection: close`: every request on a new connection and a new handshake; all
    // but the first on each of the 2 connections can resume a session the server gave
    // a ticket for.
    let (report, text) = stress_with_text(&url, &["--insecure", "-H", "Connection: close"]);
    let g = &report.body.results.generator;
    assert_eq!(report.body.results.status_codes.get("200"), Some(&10));
    assert_eq!(g.connections_opened, 10, "{g:?}");
    let resumed = g.tls_resumed.expect("a TLS run says how many resumed");
    assert!((1..=8).contains(&resumed), "{g:?}");
    assert!(text.contains("resuming a TLS session"), "{text}");
}

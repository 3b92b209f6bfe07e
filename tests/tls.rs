//! https against a real rustls server with a self-signed certificate: refused by
//! default (counted as tls errors), accepted with --insecure or --cacert.

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

fn start_tls_server() -> TlsServer {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    let cert_pem = certified.cert.pem();
    let cert: CertificateDer<'static> = certified.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
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
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("tls.json");
    let mut args = vec![
        "stress",
        url,
        "-n",
        "10",
        "-c",
        "2",
        "--no-progress",
        "--json",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    run(&args);
    read_json(&out)
}

#[test]
fn self_signed_certificates_are_refused_unless_trusted() {
    let server = start_tls_server();
    let url = format!("https://{}/", server.addr);

    let refused = stress(&url, &[]);
    assert_eq!(
        refused.body.results.errors["tls"], 10,
        "{:?}",
        refused.body.results.errors
    );

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

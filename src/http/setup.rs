//! Problems that stop a run before it starts: resolving, TLS set-up, a CA file.

/// Problems that stop a run before it starts.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot resolve host '{host}': {why}")]
    Resolve { host: String, why: String },
    #[error("TLS setup failed: {0}")]
    Tls(String),
    #[error("cannot use --cacert {path}: {why}")]
    CaCert { path: String, why: String },
}

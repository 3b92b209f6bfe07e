//! How a single request can end: a status class or a transport error kind.

use serde::{Deserialize, Serialize};

/// Why a request produced no HTTP response. Failed requests are data: each kind is counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The target refused the TCP connection (nothing listening).
    ConnectRefused,
    /// Any other failure to open a connection (unreachable network, connect timeout).
    Connect,
    /// No complete response within `--timeout`.
    Timeout,
    /// The peer reset or closed the connection before the response was complete.
    Reset,
    /// TLS handshake or certificate failure.
    Tls,
    /// Bytes that are not a valid HTTP response.
    Malformed,
    /// Anything else (reported with its kind so it can be fixed).
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 7] = [
        ErrorKind::ConnectRefused,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::Tls,
        ErrorKind::Malformed,
        ErrorKind::Other,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::Connect => "connect",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Reset => "reset",
            ErrorKind::Tls => "tls",
            ErrorKind::Malformed => "malformed",
            ErrorKind::Other => "other",
        }
    }

    /// A short human description, for per-sample lines and artifacts.
    pub fn describe(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connection refused",
            ErrorKind::Connect => "could not connect",
            ErrorKind::Timeout => "timed out",
            ErrorKind::Reset => "connection reset or closed mid-response",
            ErrorKind::Tls => "TLS handshake or certificate failure",
            ErrorKind::Malformed => "response is not valid HTTP",
            ErrorKind::Other => "request failed",
        }
    }

    pub fn from_name(name: &str) -> Option<ErrorKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// Status classes, for per-second counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusClass {
    Informational,
    Success,
    Redirect,
    ClientError,
    ServerError,
}

impl StatusClass {
    pub fn of(status: u16) -> StatusClass {
        match status {
            0..=199 => StatusClass::Informational,
            200..=299 => StatusClass::Success,
            300..=399 => StatusClass::Redirect,
            400..=499 => StatusClass::ClientError,
            _ => StatusClass::ServerError,
        }
    }

    /// A response counts as a success when it is 2xx or 3xx.
    pub fn is_success(self) -> bool {
        matches!(self, StatusClass::Success | StatusClass::Redirect)
    }
}

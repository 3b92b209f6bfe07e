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
    /// The certificate's issuer is not trusted (self-signed, private CA).
    TlsUnknownIssuer,
    /// The certificate has expired or is not valid yet.
    TlsExpired,
    /// The certificate does not name the host that was asked for.
    TlsNameMismatch,
    /// The server presented a CA certificate as its own (a typical `openssl req -x509`).
    TlsCaAsEndEntity,
    /// Any other TLS handshake or certificate failure.
    Tls,
    /// HTTP/2: the server sent GOAWAY, and this request's stream was past its last one.
    H2GoAway,
    /// HTTP/2: the server refused the stream (RST_STREAM REFUSED_STREAM): not processed.
    H2RefusedStream,
    /// HTTP/2: the stream was reset (RST_STREAM with any other code).
    H2Reset,
    /// Bytes that are not a valid HTTP response.
    Malformed,
    /// Anything else (reported with its kind so it can be fixed).
    Other,
}

impl ErrorKind {
    pub const ALL: [ErrorKind; 14] = [
        ErrorKind::ConnectRefused,
        ErrorKind::Connect,
        ErrorKind::Timeout,
        ErrorKind::Reset,
        ErrorKind::TlsUnknownIssuer,
        ErrorKind::TlsExpired,
        ErrorKind::TlsNameMismatch,
        ErrorKind::TlsCaAsEndEntity,
        ErrorKind::Tls,
        ErrorKind::H2GoAway,
        ErrorKind::H2RefusedStream,
        ErrorKind::H2Reset,
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
            ErrorKind::TlsUnknownIssuer => "tls_unknown_issuer",
            ErrorKind::TlsExpired => "tls_expired",
            ErrorKind::TlsNameMismatch => "tls_name_mismatch",
            ErrorKind::TlsCaAsEndEntity => "tls_ca_as_end_entity",
            ErrorKind::Tls => "tls",
            ErrorKind::H2GoAway => "h2_goaway",
            ErrorKind::H2RefusedStream => "h2_refused_stream",
            ErrorKind::H2Reset => "h2_reset",
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
            ErrorKind::TlsUnknownIssuer => "TLS certificate issued by an unknown authority",
            ErrorKind::TlsExpired => "TLS certificate expired or not yet valid",
            ErrorKind::TlsNameMismatch => "TLS certificate is not valid for this host name",
            ErrorKind::TlsCaAsEndEntity => "TLS server presented a CA certificate as its own",
            ErrorKind::Tls => "TLS handshake failure",
            ErrorKind::H2GoAway => {
                "HTTP/2 GOAWAY: the server stopped taking streams on the connection"
            }
            ErrorKind::H2RefusedStream => "HTTP/2 stream refused by the server (not processed)",
            ErrorKind::H2Reset => "HTTP/2 stream reset by the server",
            ErrorKind::Malformed => "response is not valid HTTP",
            ErrorKind::Other => "request failed",
        }
    }

    /// The one-line fix a user can try, where there is one.
    pub fn fix(self) -> Option<&'static str> {
        match self {
            ErrorKind::TlsUnknownIssuer | ErrorKind::TlsCaAsEndEntity => {
                Some("trust it: --cacert FILE (its CA or the server's own cert), or -k")
            }
            ErrorKind::TlsExpired => Some("renew the certificate, or skip verification with -k"),
            ErrorKind::TlsNameMismatch => {
                Some("use a host name on the certificate, or skip verification with -k")
            }
            ErrorKind::H2RefusedStream => {
                Some("fewer --streams per connection (the server's SETTINGS_MAX_CONCURRENT_STREAMS), or more -c")
            }
            _ => None,
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

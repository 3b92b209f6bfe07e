//! A URL validated for load: scheme, host, port and the request path.

use http::uri::{PathAndQuery, Uri};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

/// Where requests go.
#[derive(Clone, Debug)]
pub struct Target {
    pub scheme: Scheme,
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    /// `host[:port]` as written in the URL: the Host header and HTTP/2 `:authority`.
    pub authority: String,
    pub path_and_query: PathAndQuery,
    /// The full URL.
    pub uri: Uri,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TargetError {
    #[error("malformed URL '{0}': expected http://HOST[:PORT]/PATH")]
    Malformed(String),
    #[error("URL '{0}' has no scheme: did you mean http://{0}?")]
    NoScheme(String),
    #[error("unsupported scheme '{scheme}' in URL '{url}': use http:// or https://")]
    Scheme { scheme: String, url: String },
    #[error(
        "URL '{0}' carries credentials: pass them as a header instead (-H 'Authorization: ...')"
    )]
    Credentials(String),
    #[error("URL '{url}' has port '{port}': a port is a number from 1 to 65535")]
    Port { url: String, port: String },
}

/// The port as written after the host, if any: `[::1]:80` and `host:80` alike.
fn written_port(authority: &str) -> Option<&str> {
    let after_host = match authority.rfind(']') {
        Some(i) => &authority[i + 1..],
        None => authority,
    };
    after_host.rsplit_once(':').map(|(_, p)| p)
}

impl Target {
    pub fn parse(given: &str) -> Result<Target, TargetError> {
        // Errors show the URL without the password a user may have put in it.
        let shown = crate::redact::url(given);
        let parsed = Target::parse_shown(given, &shown);
        if parsed.is_ok() && shown != given {
            return Err(TargetError::Credentials(shown));
        }
        parsed
    }

    fn parse_shown(url: &str, shown: &str) -> Result<Target, TargetError> {
        let malformed = || TargetError::Malformed(shown.to_string());
        // `localhost:8000/health` would read as scheme `localhost`, or not at all.
        if !url.contains("://") && !url.trim().starts_with('/') {
            return Err(TargetError::NoScheme(shown.trim().to_string()));
        }
        let uri: Uri = url.trim().parse().map_err(|_| malformed())?;
        let scheme = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("http") => Scheme::Http,
            Some(s) if s.eq_ignore_ascii_case("https") => Scheme::Https,
            Some(s) => {
                return Err(TargetError::Scheme {
                    scheme: s.to_string(),
                    url: shown.to_string(),
                })
            }
            None if uri.authority().is_some() || !url.starts_with('/') => {
                return Err(TargetError::NoScheme(shown.to_string()))
            }
            None => return Err(malformed()),
        };
        let authority = uri.authority().ok_or_else(malformed)?;
        if authority.as_str().contains('@') {
            return Err(TargetError::Credentials(shown.to_string()));
        }
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        if host.is_empty() {
            return Err(malformed());
        }
        let port = match written_port(authority.as_str()) {
            // Never fall back silently: a typo must not load port 80 instead.
            Some(p) => {
                p.parse::<u16>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(|| TargetError::Port {
                        url: shown.to_string(),
                        port: p.to_string(),
                    })?
            }
            None => match scheme {
                Scheme::Http => 80,
                Scheme::Https => 443,
            },
        };
        let path_and_query = uri
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        Ok(Target {
            scheme,
            host: host.to_string(),
            port,
            authority: authority.as_str().to_string(),
            path_and_query,
            uri,
        })
    }

    /// Another path on the same origin (for checks that probe several endpoints).
    pub fn with_path(&self, path: &str) -> Result<Target, TargetError> {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        Target::parse(&format!("{scheme}://{}{path}", self.authority))
    }
}

/// A request described by `path` (on a base URL, starting with /) or `url`: exactly
/// one of them. Shared by the checks file and the workload file.
pub fn path_or_url(path: Option<&str>, url: Option<&str>) -> Result<(), String> {
    match (path, url) {
        (Some(p), None) if p.starts_with('/') => Ok(()),
        (Some(_), None) => Err("path must start with /".into()),
        (None, Some(u)) => Target::parse(u).map(|_| ()).map_err(|e| e.to_string()),
        _ => Err("give exactly one of path or url".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_ports_and_paths() {
        let t = Target::parse("http://127.0.0.1:8000/health?x=1").unwrap();
        assert_eq!(
            (t.host.as_str(), t.port, t.path_and_query.as_str()),
            ("127.0.0.1", 8000, "/health?x=1")
        );
        let t = Target::parse("https://example.test").unwrap();
        assert_eq!(
            (t.scheme, t.port, t.path_and_query.as_str()),
            (Scheme::Https, 443, "/")
        );
        let t = Target::parse("http://[::1]:9/").unwrap();
        assert_eq!((t.host.as_str(), t.authority.as_str()), ("::1", "[::1]:9"));
    }

    #[test]
    fn rejects_what_cannot_be_loaded() {
        assert!(matches!(
            Target::parse("ftp://x/"),
            Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::parse("localhost:8000"),
            Err(TargetError::NoScheme(_)) | Err(TargetError::Scheme { .. })
        ));
        assert!(matches!(
            Target::parse("http://"),
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            Target::parse("http://a b/"),
            Err(TargetError::Malformed(_))
        ));
        assert!(matches!(
            Target::parse("http://u:p@host/"),
            Err(TargetError::Credentials(_))
        ));
        // The password is never in the error, whatever else is wrong with the URL.
        for bad in [
            "http://u:hunter2@host/",
            "http://u:hunter2@host:99999/",
            "ftp://u:hunter2@h/",
        ] {
            let e = Target::parse(bad).unwrap_err().to_string();
            assert!(!e.contains("hunter2") && e.contains("u:****@"), "{e}");
        }
    }

    #[test]
    fn ports_out_of_range_are_refused_not_replaced() {
        for url in [
            "http://127.0.0.1:99999/",
            "http://127.0.0.1:65536/",
            "http://127.0.0.1:19x02/",
            "http://127.0.0.1:0/",
            "http://[::1]:70000/",
        ] {
            assert!(
                matches!(Target::parse(url), Err(TargetError::Port { .. })),
                "{url}"
            );
        }
        assert_eq!(Target::parse("http://[::1]:8080/").unwrap().port, 8080);
        assert_eq!(Target::parse("https://h/").unwrap().port, 443);
    }

    #[test]
    fn host_and_port_without_a_scheme_get_the_hint() {
        for url in ["127.0.0.1:8000", "localhost:8000/health"] {
            let err = Target::parse(url).unwrap_err().to_string();
            assert!(err.contains(&format!("did you mean http://{url}")), "{err}");
        }
    }
}

//! The request every worker sends: built once, cloned cheaply per request.

use bytes::{BufMut, Bytes, BytesMut};
use http::header::{
    HeaderName, HeaderValue, CONNECTION, CONTENT_LENGTH, HOST, TE, TRANSFER_ENCODING, UPGRADE,
    USER_AGENT,
};
use http::{HeaderMap, Method, Request, Uri};
use http_body_util::Full;

use super::target::Target;

pub type ReqBody = Full<Bytes>;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TemplateError {
    #[error("invalid header '{0}': expected 'Name: value'")]
    Header(String),
    #[error("header '{header}' references ${{{var}}}, which is not set in the environment")]
    UnsetVar { header: String, var: String },
    #[error("unterminated ${{ in header '{0}'")]
    Unterminated(String),
}

/// Expands `${NAME}` references from `lookup` (the environment in practice).
pub fn expand_env(
    header: &str,
    value: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| TemplateError::Unterminated(header.to_string()))?;
        let var = &after[..end];
        let val = lookup(var).ok_or_else(|| TemplateError::UnsetVar {
            header: header.to_string(),
            var: var.to_string(),
        })?;
        out.push_str(&val);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Parses `Name: value`, expanding environment references in the value.
pub fn parse_header(
    raw: &str,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<(HeaderName, HeaderValue), TemplateError> {
    // Only the first word goes into the error: the rest may be a secret.
    let bad = || {
        let first = raw
            .split(|c: char| c == ':' || c.is_whitespace())
            .next()
            .unwrap_or_default();
        TemplateError::Header(first.to_string())
    };
    let (name, value) = raw.split_once(':').ok_or_else(bad)?;
    let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad())?;
    let value = expand_env(name.as_str(), value.trim(), lookup)?;
    // The value may hold a secret: the error names the header only.
    let value = HeaderValue::from_str(&value).map_err(|_| bad())?;
    Ok((name, value))
}

/// The request a run sends, ready to clone.
#[derive(Clone, Debug)]
pub struct RequestTemplate {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
    /// The whole HTTP/1.1 request, encoded once for the load path (empty for HTTP/2).
    http1: Bytes,
    /// The request says `Connection: close` (the user's -H).
    closes: bool,
    /// The HTTP/2 head, built once for the load path (`None` for HTTP/1.1).
    h2_head: Option<Request<()>>,
}

impl RequestTemplate {
    pub fn new(
        target: &Target,
        method: Method,
        headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>,
        body: Bytes,
        http2: bool,
    ) -> RequestTemplate {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(name, value);
        }
        // The body's length is golive's to state: a user's Content-Length or
        // Transfer-Encoding could only disagree with the body sent (hyper would send a
        // `Content-Length: 99` with a 2-byte body, and the server would wait).
        map.remove(CONTENT_LENGTH);
        map.remove(TRANSFER_ENCODING);
        if !map.contains_key(USER_AGENT) {
            map.insert(
                USER_AGENT,
                HeaderValue::from_static(concat!("golive/", env!("CARGO_PKG_VERSION"))),
            );
        }
        // HTTP/1.1 sends origin-form with a Host header; HTTP/2 needs the absolute URI
        // for its :scheme and :authority pseudo-headers and must not send Host.
        let uri = if http2 {
            map.remove(HOST);
            target.uri.clone()
        } else {
            if !map.contains_key(HOST) {
                let host = HeaderValue::from_str(&target.authority)
                    .expect("authority is a valid header value");
                map.insert(HOST, host);
            }
            Uri::from(target.path_and_query.clone())
        };
        let http1 = if http2 {
            Bytes::new()
        } else {
            encode_http1(&method, &uri, &map, &body)
        };
        let closes = map.get_all(http::header::CONNECTION).iter().any(|v| {
            v.as_bytes()
                .split(|&b| b == b',')
                .any(|t| t.trim_ascii().eq_ignore_ascii_case(b"close"))
        });
        let h2_head = http2.then(|| {
            let mut req = Request::new(());
            *req.method_mut() = method.clone();
            *req.uri_mut() = uri.clone();
            *req.headers_mut() = map.clone();
            head_of(&req, body.len())
        });
        RequestTemplate {
            method,
            uri,
            headers: map,
            body,
            http1,
            closes,
            h2_head,
        }
    }

    /// The HTTP/2 head and body the load path sends (`None` for an HTTP/1.1 template).
    #[inline]
    pub fn h2_parts(&self) -> Option<(&Request<()>, &Bytes)> {
        self.h2_head.as_ref().map(|h| (h, &self.body))
    }

    /// What the HTTP/1.1 exchange must know of the request.
    #[inline]
    pub fn h1_sent(&self) -> super::h1::Sent {
        super::h1::Sent {
            head: self.method == Method::HEAD,
            close: self.closes,
        }
    }

    /// RFC 9110 §9.2.2: a request that may be sent again without changing what it does.
    pub fn is_idempotent(&self) -> bool {
        matches!(
            self.method,
            Method::GET
                | Method::HEAD
                | Method::OPTIONS
                | Method::TRACE
                | Method::PUT
                | Method::DELETE
        )
    }

    /// The request as HTTP/1.1 bytes on the wire, the same for every send.
    #[inline]
    pub fn http1_bytes(&self) -> &[u8] {
        &self.http1
    }

    /// A HEAD request's response has no body, whatever its headers say.
    #[inline]
    pub fn is_head(&self) -> bool {
        self.method == Method::HEAD
    }

    /// A fresh request: clones of shared bytes and a small header map.
    #[inline]
    pub fn build(&self) -> Request<ReqBody> {
        let mut req = Request::new(Full::new(self.body.clone()));
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = self.uri.clone();
        *req.headers_mut() = self.headers.clone();
        req
    }

    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The headers sent (values may be secrets: never for reports).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Header names only: values may be secrets and are never reported.
    pub fn header_names(&self) -> Vec<String> {
        self.headers
            .keys()
            .map(|k| k.as_str().to_string())
            .collect()
    }

    pub fn body_len(&self) -> usize {
        self.body.len()
    }
}

/// The head sent for a request: HTTP/1.1's connection-specific headers left out
/// (RFC 9113 §8.2.2 makes them malformed; hyper drops them too), and the body's
/// length stated as hyper states it.
pub fn head_of<T>(req: &Request<T>, body_len: usize) -> Request<()> {
    let mut head = Request::new(());
    *head.method_mut() = req.method().clone();
    *head.uri_mut() = req.uri().clone();
    *head.version_mut() = http::Version::HTTP_2;
    let headers = head.headers_mut();
    for (name, value) in req.headers() {
        let connection_specific = [CONNECTION, TRANSFER_ENCODING, UPGRADE, CONTENT_LENGTH]
            .contains(name)
            || name.as_str() == "keep-alive"
            || name.as_str() == "proxy-connection"
            || (*name == TE && value.as_bytes() != b"trailers");
        if !connection_specific {
            headers.append(name.clone(), value.clone());
        }
    }
    if body_len > 0 || body_expects_length(req.method()) {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body_len));
    }
    head
}

/// Header lines as HTTP/1.1 sends them (names lower-case, as hyper sends them).
pub fn encode_headers(headers: &HeaderMap, out: &mut impl BufMut) {
    for (name, value) in headers {
        out.put_slice(name.as_str().as_bytes());
        out.put_slice(b": ");
        out.put_slice(value.as_bytes());
        out.put_slice(b"\r\n");
    }
}

/// Methods whose request states its body's length even when it is empty, as hyper does.
pub fn body_expects_length(method: &Method) -> bool {
    matches!(*method, Method::POST | Method::PUT | Method::PATCH)
}

/// Request line, headers (names lower-case, as hyper sends them) and body, with the
/// body's length stated as hyper states it.
fn encode_http1(method: &Method, uri: &Uri, headers: &HeaderMap, body: &Bytes) -> Bytes {
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut out = BytesMut::with_capacity(128 + target.len() + body.len());
    out.put_slice(method.as_str().as_bytes());
    out.put_u8(b' ');
    out.put_slice(target.as_bytes());
    out.put_slice(b" HTTP/1.1\r\n");
    encode_headers(headers, &mut out);
    if !body.is_empty() || body_expects_length(method) {
        out.put_slice(format!("content-length: {}\r\n", body.len()).as_bytes());
    }
    out.put_slice(b"\r\n");
    out.put_slice(body);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TEST_JWT").then(|| "abc.def".to_string())
    }

    #[test]
    fn expands_environment_references() {
        let (n, v) = parse_header("Authorization: Bearer ${TEST_JWT}", env).unwrap();
        assert_eq!(
            (n.as_str(), v.to_str().unwrap()),
            ("authorization", "Bearer abc.def")
        );
    }

    #[test]
    fn unset_variable_is_named_and_value_is_not_leaked() {
        let err = parse_header("Authorization: Bearer ${NOPE}", env).unwrap_err();
        assert_eq!(
            err,
            TemplateError::UnsetVar {
                header: "authorization".into(),
                var: "NOPE".into()
            }
        );
        assert!(parse_header("no colon here", env).is_err());
        assert!(parse_header("X: ${OPEN", env).is_err());
        let err = parse_header("X-Token: sekrit\nvalue", env)
            .unwrap_err()
            .to_string();
        assert!(!err.contains("sekrit"), "{err}");
    }

    #[test]
    fn http1_requests_carry_host_and_origin_form() {
        let t = Target::parse("http://127.0.0.1:8080/a?b=1").unwrap();
        let req = RequestTemplate::new(&t, Method::GET, [], Bytes::new(), false).build();
        assert_eq!(req.uri().to_string(), "/a?b=1");
        assert_eq!(req.headers()[HOST], "127.0.0.1:8080");
        let req = RequestTemplate::new(&t, Method::GET, [], Bytes::new(), true).build();
        assert_eq!(req.uri().to_string(), "http://127.0.0.1:8080/a?b=1");
        assert!(req.headers().get(HOST).is_none());
    }

    #[test]
    fn http1_bytes_are_the_whole_request_with_golive_stating_the_length() {
        let t = Target::parse("http://127.0.0.1:8080/a?b=1").unwrap();
        let headers = [
            parse_header("X-Id: 7", env).unwrap(),
            parse_header("Content-Length: 99", env).unwrap(),
        ];
        let post = RequestTemplate::new(&t, Method::POST, headers, Bytes::from("hi"), false);
        let text = String::from_utf8(post.http1_bytes().to_vec()).unwrap();
        let ua = concat!("golive/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            text,
            format!(
                "POST /a?b=1 HTTP/1.1\r\nx-id: 7\r\nuser-agent: {ua}\r\nhost: 127.0.0.1:8080\r\ncontent-length: 2\r\n\r\nhi"
            )
        );
        let get = RequestTemplate::new(&t, Method::GET, [], Bytes::new(), false);
        assert!(!String::from_utf8_lossy(get.http1_bytes()).contains("content-length"));
        assert!(
            RequestTemplate::new(&t, Method::GET, [], Bytes::new(), true)
                .http1_bytes()
                .is_empty()
        );
    }
}

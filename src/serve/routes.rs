//! The endpoints of the seeds' backend.

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::{HealthMode, State};
use crate::sign::{verify_stripe, DEFAULT_TOLERANCE_S};

type Resp = Response<Full<Bytes>>;

/// Webhook bodies larger than this are refused (413).
const MAX_WEBHOOK_BODY: usize = 1 << 20;

const CSP: &str = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'";

fn json(status: StatusCode, body: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

pub(crate) async fn handle(state: &State, req: Request<Incoming>) -> Resp {
    let n = state.count_request();
    if req.uri().path() == "/metrics" {
        return metrics(state);
    }
    if !state.opts.latency.is_zero() {
        tokio::time::sleep(state.opts.latency).await;
    }
    let resp = if state.inject_error(n) {
        state.errors_injected.fetch_add(1, Ordering::Relaxed);
        json(
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":"injected failure"}"#,
        )
    } else {
        route(state, req).await
    };
    if resp.status().is_server_error() {
        state.responses_5xx.fetch_add(1, Ordering::Relaxed);
    }
    resp
}

async fn route(state: &State, req: Request<Incoming>) -> Resp {
    match (req.method(), req.uri().path()) {
        (&Method::GET, "/health") => health(state.opts.health),
        (&Method::GET, "/") => root(state.opts.csp),
        (&Method::GET, "/health/live") => json(StatusCode::OK, r#"{"status":"alive"}"#),
        (&Method::GET, "/health/ready") => json(StatusCode::OK, r#"{"status":"ready"}"#),
        (&Method::GET, "/health/startup") => json(StatusCode::OK, r#"{"status":"started"}"#),
        (&Method::GET, "/api/auth/csrf") | (&Method::GET, "/api/security/csrf") => {
            json(StatusCode::OK, r#"{"csrf_token":"golive-demo-csrf-token"}"#)
        }
        (&Method::GET, "/api/notify/outbox") => json(
            StatusCode::OK,
            r#"[{"id":1,"to":"pilot@example.test","template":"welcome","status":"queued"}]"#,
        ),
        (&Method::POST, "/api/stripe/webhook") => stripe_webhook(state, req).await,
        _ => json(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#),
    }
}

fn health(mode: HealthMode) -> Resp {
    match mode {
        HealthMode::Ok => json(StatusCode::OK, r#"{"status":"ok"}"#),
        HealthMode::Degraded => json(StatusCode::OK, r#"{"status":"degraded"}"#),
        HealthMode::Fail => json(StatusCode::SERVICE_UNAVAILABLE, r#"{"status":"fail"}"#),
    }
}

fn root(csp: bool) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from_static(
        b"<!doctype html><html><head><title>golive target</title></head><body><h1>golive target</h1></body></html>\n",
    )));
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if csp {
        h.insert("content-security-policy", HeaderValue::from_static(CSP));
    }
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        "referrer-policy",
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    r
}

async fn stripe_webhook(state: &State, req: Request<Incoming>) -> Resp {
    let header = req
        .headers()
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match Limited::new(req.into_body(), MAX_WEBHOOK_BODY)
        .collect()
        .await
    {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return json(
                StatusCode::PAYLOAD_TOO_LARGE,
                r#"{"error":"body too large"}"#,
            )
        }
    };
    let Some(secret) = state.opts.signing_secret.as_deref() else {
        return json(
            StatusCode::BAD_REQUEST,
            r#"{"error":"signature cannot be verified: no signing secret configured"}"#,
        );
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    match verify_stripe(header.as_deref(), &body, secret, now, DEFAULT_TOLERANCE_S) {
        Ok(()) => json(StatusCode::OK, r#"{"received":true}"#),
        Err(_) => json(StatusCode::BAD_REQUEST, r#"{"error":"invalid signature"}"#),
    }
}

fn metrics(state: &State) -> Resp {
    let body = format!(
        "# HELP golive_serve_requests_total Requests received.\n\
         # TYPE golive_serve_requests_total counter\n\
         golive_serve_requests_total {}\n\
         # HELP golive_serve_responses_5xx_total Responses with a 5xx status.\n\
         # TYPE golive_serve_responses_5xx_total counter\n\
         golive_serve_responses_5xx_total {}\n\
         # HELP golive_serve_injected_errors_total 500s injected by --error-rate.\n\
         # TYPE golive_serve_injected_errors_total counter\n\
         golive_serve_injected_errors_total {}\n\
         # HELP golive_serve_uptime_seconds Seconds since the server started.\n\
         # TYPE golive_serve_uptime_seconds gauge\n\
         golive_serve_uptime_seconds {:.3}\n",
        state.requests.load(Ordering::Relaxed),
        state.responses_5xx.load(Ordering::Relaxed),
        state.errors_injected.load(Ordering::Relaxed),
        state.started.elapsed().as_secs_f64(),
    );
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

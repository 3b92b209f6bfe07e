//! The endpoints of the seeds' backend.

use std::sync::atomic::Ordering;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;

use super::{faults, HealthMode, State};
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

/// Every route the server answers, for `golive serve --help` and its tests.
pub const ROUTES: &[(&str, &str)] = &[
    (
        "GET /",
        "a page (with a Content-Security-Policy unless --no-csp)",
    ),
    (
        "GET /health",
        "{\"status\":\"ok\"} (or degraded, or 503 with --health)",
    ),
    (
        "GET /health/live, /health/ready, /health/startup",
        "Kubernetes-style probes",
    ),
    ("GET /api/auth/csrf, /api/security/csrf", "a CSRF token"),
    ("GET /api/notify/outbox", "the notification outbox (empty)"),
    ("GET /items?page=N", "a page of items (a workload's list)"),
    ("GET /items/{id}", "one item; 404 unless the id is a number"),
    (
        "POST /orders",
        "201 for a JSON object with a \"sku\", else 400",
    ),
    (
        "POST /api/stripe/webhook",
        "verifies Stripe-Signature with STRIPE_SIGNING_SECRET",
    ),
    (
        "GET /metrics",
        "Prometheus text: requests by status, latency histogram",
    ),
    (
        "GET|POST /admin/faults?error_rate=R&latency=D",
        "only with --admin, and the X-Golive-Admin token it prints",
    ),
    ("anything else", "404"),
];

pub(crate) async fn handle(state: &State, req: Request<Incoming>) -> Resp {
    let n = state.count_request();
    match req.uri().path() {
        "/metrics" => return metrics(state),
        "/admin/faults" => return admin_faults(state, &req),
        _ => {}
    }
    let started = Instant::now();
    let resp = faulty(state, req, n).await;
    state
        .metrics
        .record(resp.status().as_u16(), started.elapsed());
    resp
}

async fn faulty(state: &State, req: Request<Incoming>, n: u64) -> Resp {
    if let Some(w) = &state.workers {
        w.serve().await;
    }
    let latency = state.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
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
        (&Method::GET, "/items") => {
            json(StatusCode::OK, r#"{"items":[{"id":1},{"id":2},{"id":3}]}"#)
        }
        (&Method::GET, p) if p.starts_with("/items/") => {
            match p["/items/".len()..].parse::<u64>() {
                Ok(_) => json(StatusCode::OK, r#"{"id":"item","price":10}"#),
                Err(_) => json(StatusCode::NOT_FOUND, r#"{"error":"no such item"}"#),
            }
        }
        (&Method::POST, "/orders") => order(req).await,
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

/// A workload's write: a JSON object naming a `sku` makes an order.
async fn order(req: Request<Incoming>) -> Resp {
    let Ok(body) = Limited::new(req.into_body(), MAX_WEBHOOK_BODY)
        .collect()
        .await
    else {
        return json(
            StatusCode::PAYLOAD_TOO_LARGE,
            r#"{"error":"body too large"}"#,
        );
    };
    let parsed: Option<serde_json::Value> = serde_json::from_slice(&body.to_bytes()).ok();
    match parsed.as_ref().and_then(|v| v.get("sku")) {
        Some(serde_json::Value::String(_)) => json(StatusCode::CREATED, r#"{"status":"created"}"#),
        _ => json(
            StatusCode::BAD_REQUEST,
            r#"{"error":"expected {\"sku\": \"...\"}"}"#,
        ),
    }
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

/// `GET /admin/faults` shows the knobs; `POST /admin/faults?error_rate=0.2&latency=20ms`
/// sets them. Off unless `--admin`, and then only with its token: it exists for tests
/// and demos, and must not be reachable through a proxy.
fn admin_faults(state: &State, req: &Request<Incoming>) -> Resp {
    let Some(token) = &state.opts.admin_token else {
        return json(StatusCode::NOT_FOUND, r#"{"error":"not found"}"#);
    };
    let given = req
        .headers()
        .get(super::ADMIN_HEADER)
        .map(HeaderValue::as_bytes);
    if !given.is_some_and(|g| same_secret(g, token.as_bytes())) {
        return json(
            StatusCode::FORBIDDEN,
            r#"{"error":"the X-Golive-Admin header must carry the token golive serve --admin printed"}"#,
        );
    }
    match *req.method() {
        Method::GET => {}
        Method::POST | Method::PUT => {
            if let Err(why) = faults::apply_query(&state.faults, req.uri().query().unwrap_or("")) {
                let body = serde_json::json!({ "error": why }).to_string();
                return owned_json(StatusCode::BAD_REQUEST, body);
            }
        }
        _ => return json(StatusCode::METHOD_NOT_ALLOWED, r#"{"error":"GET or POST"}"#),
    }
    let body = serde_json::json!({
        "error_rate": state.faults.error_rate(),
        "latency_ms": state.faults.latency().as_secs_f64() * 1000.0,
    })
    .to_string();
    owned_json(StatusCode::OK, body)
}

/// Equal, in a time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn owned_json(status: StatusCode, body: String) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

fn metrics(state: &State) -> Resp {
    let mut body = format!(
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
    state.metrics.render(&mut body);
    let mut r = Response::new(Full::new(Bytes::from(body)));
    r.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    r
}

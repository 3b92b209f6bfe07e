//! Kubernetes-style probes: /health/live, /health/ready and /health/startup, where
//! any status from 200 to 399 succeeds, as the kubelet judges them.

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ms;
use crate::checks::probe;
use crate::http::{ClientOptions, Target};

pub const PROBES: [(&str, &str); 3] = [
    ("live", "/health/live"),
    ("ready", "/health/ready"),
    ("startup", "/health/startup"),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeResult {
    pub probe: String,
    pub url: String,
    pub status_code: Option<u16>,
    pub latency_ms: Option<f64>,
    pub ok: bool,
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ProbesResult {
    pub ok: bool,
    pub probes: Vec<ProbeResult>,
}

pub async fn run(base: &Target, client: &ClientOptions, timeout: Duration) -> ProbesResult {
    let mut probes = Vec::new();
    for (name, path) in PROBES {
        let (url, outcome) = match base.with_path(path) {
            Err(e) => (path.to_string(), Err(e.to_string())),
            Ok(t) => (
                t.uri.to_string(),
                probe::get(&t, client, timeout)
                    .await
                    .map_err(|e| e.to_string()),
            ),
        };
        let (status_code, latency_ms, error) = match outcome {
            Ok(p) if (200..400).contains(&p.status) => (Some(p.status), Some(ms(p.latency)), None),
            Ok(p) => (
                Some(p.status),
                Some(ms(p.latency)),
                Some(format!("HTTP {}", p.status)),
            ),
            Err(e) => (None, None, Some(e)),
        };
        probes.push(ProbeResult {
            probe: name.into(),
            url,
            status_code,
            latency_ms,
            ok: error.is_none(),
            error,
        });
    }
    ProbesResult {
        ok: probes.iter().all(|p| p.ok),
        probes,
    }
}

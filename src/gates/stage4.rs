//! Stage 4 – Production Go-Live Readiness: health contract, canary, root security
//! headers and provider configuration (optionally the probes), judged into the
//! seed's `summary.json` shape (the command writes it with `tests.txt`).

use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::canary::{self, CanaryPlan, CanaryResult};
use super::ms;
use super::probes::{self, ProbesResult};
use crate::checks::headers::{self, Finding};
use crate::checks::providers::{self, ProviderConfig};
use crate::checks::{health, probe};
use crate::http::{ClientOptions, Scheme, Target};
use crate::load::Control;
use crate::outcome::{upper, Outcome};
use crate::time::now;

pub const STAGE: &str = "Stage 4 – Production Go-Live Readiness";
pub const ARTIFACT_DIR: &str = "qa/stage4/v0.4.0";

#[derive(Clone, Debug)]
pub struct Stage4Plan {
    pub base: Target,
    pub health: Target,
    /// Per request (S4_TIMEOUT).
    pub timeout: Duration,
    pub canary: CanaryPlan,
    pub expect_live: bool,
    pub allow_mock: bool,
    /// Advisory header findings fail the gate.
    pub strict_headers: bool,
    /// Include /health/live, /health/ready, /health/startup.
    pub probes: bool,
    pub client: ClientOptions,
    /// Why the base URL is what it is, when it was not given (said in the results).
    pub base_note: Option<String>,
}

/// `checks.health`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct HealthCheck {
    pub ok: bool,
    pub status_code: Option<u16>,
    pub latency_ms: Option<f64>,
    pub payload: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// `checks.root_headers`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RootHeaders {
    pub ok: bool,
    pub status_code: Option<u16>,
    pub csp_present: bool,
    pub csp: Option<String>,
    pub csp_report_only: bool,
    /// Advisory unless `strict`.
    pub findings: Vec<Finding>,
    pub strict: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Checks {
    pub health: HealthCheck,
    pub canary: CanaryResult,
    pub root_headers: RootHeaders,
    pub provider_config: ProviderConfig,
    pub provider_issues: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probes: Option<ProbesResult>,
}

/// `summary.json`: the seed's fields (`stage`, `timestamp`, `base_url`, `health_url`,
/// `checks`, `status`) plus what golive adds (`failures`, settings, version).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Stage4Summary {
    pub stage: String,
    pub timestamp: String,
    pub base_url: String,
    pub health_url: String,
    pub checks: Checks,
    /// "PASS", "FAIL", or "INTERRUPTED" when Ctrl-C stopped the gate.
    #[serde(with = "upper")]
    #[schemars(schema_with = "upper::schema")]
    pub status: Outcome,
    /// Why the gate failed, one line per reason.
    pub failures: Vec<String>,
    pub expect_live: bool,
    pub allow_provider_mock: bool,
    /// Why the base URL is the one tested, when it was not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url_note: Option<String>,
}

impl Stage4Summary {
    pub fn passed(&self) -> bool {
        self.status.is_pass()
    }
}

/// A GET that Ctrl-C cuts short.
async fn get_unless_stopped(
    target: &Target,
    plan: &Stage4Plan,
    control: &Control,
) -> Result<probe::Probed, String> {
    tokio::select! {
        r = probe::get(target, &plan.client, plan.timeout) => r.map_err(|e| e.to_string()),
        _ = control.stopped() => Err("not run: interrupted".into()),
    }
}

async fn check_health(plan: &Stage4Plan, control: &Control) -> HealthCheck {
    match get_unless_stopped(&plan.health, plan, control).await {
        Ok(p) => {
            let v = health::judge_probe(&p);
            HealthCheck {
                ok: v.ok,
                status_code: Some(p.status),
                latency_ms: Some(ms(p.latency)),
                payload: v.payload,
                error: v.reason,
                note: v.note,
            }
        }
        Err(e) => HealthCheck {
            ok: false,
            status_code: None,
            latency_ms: None,
            payload: None,
            error: Some(e),
            note: None,
        },
    }
}

async fn check_root(plan: &Stage4Plan, control: &Control) -> RootHeaders {
    let root = plan
        .base
        .with_path("/")
        .unwrap_or_else(|_| plan.base.clone());
    match get_unless_stopped(&root, plan, control).await {
        Ok(p) => {
            let v = headers::judge(&p.headers, root.scheme == Scheme::Https);
            let ok = v.csp_present && (!plan.strict_headers || v.findings.is_empty());
            RootHeaders {
                ok,
                status_code: Some(p.status),
                csp_present: v.csp_present,
                csp: v.csp,
                csp_report_only: v.csp_report_only,
                findings: v.findings,
                strict: plan.strict_headers,
                error: None,
            }
        }
        Err(e) => RootHeaders {
            ok: false,
            status_code: None,
            csp_present: false,
            csp: None,
            csp_report_only: false,
            findings: Vec::new(),
            strict: plan.strict_headers,
            error: Some(e),
        },
    }
}

/// Runs the gate. Never fails: an unreachable target is a FAIL with its reasons.
pub async fn run(
    plan: &Stage4Plan,
    env: impl Fn(&str) -> Option<String>,
    control: &Control,
) -> Stage4Summary {
    let started = now();
    let health = check_health(plan, control).await;
    let canary = canary::run(&plan.health, &plan.client, &plan.canary, control, |_, _| {}).await;
    let root_headers = check_root(plan, control).await;
    let provider = providers::judge(env, plan.expect_live, plan.allow_mock);
    let probes = if plan.probes && !control.is_stopping() {
        Some(probes::run(&plan.base, &plan.client, plan.timeout).await)
    } else {
        None
    };

    let mut failures = Vec::new();
    if !health.ok {
        failures.push(format!(
            "health: {}",
            health.error.as_deref().unwrap_or("not ok")
        ));
    }
    if !canary.ok() && canary.verdict != Outcome::Interrupted {
        let mut why = format!("canary: {}/{} samples ok", canary.oks, canary.count);
        for v in canary.slos.iter().filter(|v| !v.pass) {
            why.push_str(&format!("; {} {}", v.slo, v.outcome.as_str()));
        }
        failures.push(why);
    }
    if !root_headers.ok {
        failures.push(match (&root_headers.error, root_headers.csp_present) {
            (Some(e), _) => format!("root_headers: {e}"),
            (None, false) => "root_headers: no Content-Security-Policy on /".into(),
            (None, true) => format!(
                "root_headers: {} finding(s) and --strict-headers",
                root_headers.findings.len()
            ),
        });
    }
    if provider.fails_gate {
        failures.push(format!(
            "provider_config: {} issue(s) and ALLOW_PROVIDER_MOCK is not 1",
            provider.issues.len()
        ));
    }
    if let Some(note) = plan.base_note.as_ref().filter(|_| !health.ok) {
        failures.push(format!("base URL: {note}"));
    }
    if let Some(p) = probes.as_ref().filter(|p| !p.ok) {
        let bad: Vec<_> = p
            .probes
            .iter()
            .filter(|x| !x.ok)
            .map(|x| x.probe.as_str())
            .collect();
        failures.push(format!("probes: {} failed", bad.join(", ")));
    }
    let interrupted = control.is_stopping();
    Stage4Summary {
        stage: STAGE.into(),
        timestamp: started,
        base_url: plan.base.uri.to_string().trim_end_matches('/').to_string(),
        health_url: plan.health.uri.to_string(),
        checks: Checks {
            health,
            canary,
            root_headers,
            provider_config: provider.config,
            provider_issues: provider.issues,
            probes,
        },
        status: Outcome::from_ok(failures.is_empty()).or_interrupted(interrupted),
        failures,
        expect_live: plan.expect_live,
        allow_provider_mock: plan.allow_mock,
        base_url_note: plan.base_note.clone(),
    }
}

//! Smoke runs: each check sent on a fresh connection (per role, twice for idempotency),
//! judged by status and JSON expectations, with a run-wide zero-5xx rule. Request
//! secrets (tokens, signing secrets, expanded header values) never reach the results.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION};
use http::Method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::ms;
use crate::checks::smoke::{json_field, CheckSpec, JsonExpectation, SignMode};
use crate::checks::{health, probe};
use crate::http::{expand_env, ClientOptions, Target};
use crate::load::Control;
use crate::outcome::{upper, Outcome};
use crate::sign::stripe_header;
use crate::time::now;

/// Response bodies kept in results, at most.
const BODY_KEEP: usize = 256;

#[derive(Clone, Debug)]
pub struct SmokePlan {
    pub base: Target,
    pub checks: Vec<CheckSpec>,
    pub zero_5xx: bool,
    pub timeout: Duration,
    pub client: ClientOptions,
}

/// One check's result, in the seed's shape (`check`, `status`, `status_code`, `body`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    pub check: String,
    /// "PASS" or "FAIL".
    #[serde(with = "upper")]
    #[schemars(schema_with = "upper::schema")]
    pub status: Outcome,
    pub status_code: Option<u16>,
    /// The start of the response body, request secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    pub expected: Vec<u16>,
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Idempotency checks: the second send's status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_status_code: Option<u16>,
}

impl CheckResult {
    pub fn passed(&self) -> bool {
        self.status.is_pass()
    }
}

/// `smoke_results.json`: the seed's `started`, `finished`, `status`, `checks`, plus counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct SmokeResults {
    pub started: String,
    pub finished: String,
    /// "PASS", "FAIL", or "INTERRUPTED" when Ctrl-C stopped the run.
    #[serde(with = "upper")]
    #[schemars(schema_with = "upper::schema")]
    pub status: Outcome,
    pub base_url: String,
    pub passed: u32,
    pub total: u32,
    pub zero_5xx: bool,
    /// 5xx responses anywhere in the run (repeats and roles included).
    pub five_xx_count: u64,
    pub checks: Vec<CheckResult>,
}

impl SmokeResults {
    pub fn ok(&self) -> bool {
        self.status.is_pass()
    }
}

/// One request to make: a check, or one role of it.
struct Run<'a> {
    name: String,
    spec: &'a CheckSpec,
    expect: Vec<u16>,
    token_env: Option<&'a str>,
}

fn runs(spec: &CheckSpec) -> Vec<Run<'_>> {
    if spec.roles.is_empty() {
        return vec![Run {
            name: spec.name.clone(),
            spec,
            expect: spec.expect_status.clone(),
            token_env: None,
        }];
    }
    spec.roles
        .iter()
        .map(|r| Run {
            name: format!("{} ({})", spec.name, r.name),
            spec,
            expect: r.expect_status.clone(),
            token_env: Some(&r.token_env),
        })
        .collect()
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

type Headers = Vec<(HeaderName, HeaderValue)>;

/// Headers for a run, and the secret values they carry (for redaction).
fn headers_for(
    run: &Run,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(Headers, Vec<String>), String> {
    let mut headers = Vec::new();
    let mut secrets = Vec::new();
    let header = |name: &str, value: &str| -> Result<(HeaderName, HeaderValue), String> {
        let n = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name '{name}'"))?;
        let v = HeaderValue::from_str(value)
            .map_err(|_| format!("header '{name}' has characters not allowed in a header"))?;
        Ok((n, v))
    };
    for (name, raw) in &run.spec.headers {
        let value = expand_env(name, raw, env).map_err(|e| e.to_string())?;
        if raw.contains("${") {
            secrets.push(value.clone());
        }
        headers.push(header(name, &value)?);
    }
    if let Some(var) = run.token_env {
        let token = env(var)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| format!("{var} is not set (the role's token)"))?;
        headers.push((
            AUTHORIZATION,
            HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| format!("{var} is not a valid token"))?,
        ));
        secrets.push(token);
    }
    if let Some(mode) = run.spec.sign {
        let body = run.spec.body.as_deref().unwrap_or("").as_bytes();
        let secret = env("STRIPE_SIGNING_SECRET").filter(|s| !s.is_empty());
        let value = match mode {
            SignMode::StripeMalformed => "t=not-a-time,v1=zz".to_string(),
            SignMode::StripeWrongSecret => {
                stripe_header(b"golive-deliberately-wrong-secret", unix_now(), body)
            }
            SignMode::Stripe | SignMode::StripeStale => {
                let secret = secret
                    .clone()
                    .ok_or("STRIPE_SIGNING_SECRET is not set (sign = \"stripe\")")?;
                let t = if mode == SignMode::StripeStale {
                    unix_now() - 600
                } else {
                    unix_now()
                };
                stripe_header(secret.as_bytes(), t, body)
            }
        };
        headers.push(header("stripe-signature", &value)?);
        secrets.extend(secret);
    }
    if run.spec.body.is_some()
        && !run
            .spec
            .headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"))
    {
        headers.push(header("content-type", "application/json")?);
    }
    Ok((headers, secrets))
}

/// The body as kept in results: request secrets redacted, then truncated.
fn keep_body(body: &[u8], secrets: &[String]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let mut text = String::from_utf8_lossy(body).into_owned();
    for s in secrets.iter().filter(|s| s.len() >= 4) {
        text = text.replace(s.as_str(), "[redacted]");
    }
    if text.len() > BODY_KEEP {
        let cut = (0..=BODY_KEEP)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        text.truncate(cut);
        text.push('…');
    }
    Some(text)
}

fn judge_json(expect: &JsonExpectation, status: u16, body: &[u8]) -> Option<String> {
    match expect {
        JsonExpectation::Contract(_) => health::judge(status, body).reason,
        JsonExpectation::Field { field, equals } => {
            let v: serde_json::Value = match serde_json::from_slice(body) {
                Ok(v) => v,
                Err(_) => return Some(format!("body is not JSON: {}", health::preview(body))),
            };
            match json_field(&v, field) {
                Some(found) if found == equals => None,
                Some(found) => Some(format!("{field} is {found}, expected {equals}")),
                None => Some(format!("no field {field} in the body")),
            }
        }
    }
}

async fn execute(
    plan: &SmokePlan,
    run: &Run<'_>,
    env: &dyn Fn(&str) -> Option<String>,
    five_xx: &mut u64,
) -> CheckResult {
    let mut result = CheckResult {
        check: run.name.clone(),
        status: Outcome::Fail,
        status_code: None,
        body: None,
        expected: run.expect.clone(),
        latency_ms: None,
        reason: None,
        repeat_status_code: None,
    };
    let target = match (&run.spec.url, &run.spec.path) {
        (Some(url), _) => Target::parse(url),
        (None, Some(path)) => plan.base.with_path(path),
        (None, None) => unreachable!("validated: path or url"),
    };
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            result.reason = Some(e.to_string());
            return result;
        }
    };
    let (mut headers, secrets) = match headers_for(run, env) {
        Ok(h) => h,
        Err(why) => {
            result.reason = Some(why);
            return result;
        }
    };
    if let Some(key) = &run.spec.idempotency_key {
        let key = if key == "auto" {
            format!("golive-{}-{}", unix_now(), run.name.replace(' ', "-"))
        } else {
            key.clone()
        };
        headers.push((
            HeaderName::from_static("idempotency-key"),
            HeaderValue::from_str(&key).unwrap_or(HeaderValue::from_static("golive")),
        ));
    }
    let method =
        Method::from_bytes(run.spec.method.to_ascii_uppercase().as_bytes()).unwrap_or(Method::GET);
    let body = Bytes::from(run.spec.body.clone().unwrap_or_default());
    let send = || {
        probe::send(
            &target,
            &plan.client,
            method.clone(),
            headers.clone(),
            body.clone(),
            plan.timeout,
        )
    };
    let first = match send().await {
        Ok(p) => p,
        Err(e) => {
            result.reason = Some(e.to_string());
            return result;
        }
    };
    *five_xx += u64::from(first.status >= 500);
    result.status_code = Some(first.status);
    result.latency_ms = Some(ms(first.latency));
    result.body = keep_body(&first.body, &secrets);
    let mut why = if run.expect.contains(&first.status) {
        run.spec
            .expect_json
            .as_ref()
            .and_then(|e| judge_json(e, first.status, &first.body))
    } else {
        Some(format!(
            "HTTP {}, expected {}",
            first.status,
            one_of(&run.expect)
        ))
    };
    if let (None, Some(repeat_expect)) = (&why, &run.spec.expect_repeat_status) {
        match send().await {
            Ok(second) => {
                *five_xx += u64::from(second.status >= 500);
                result.repeat_status_code = Some(second.status);
                if !repeat_expect.contains(&second.status) {
                    why = Some(format!(
                        "repeat with the same Idempotency-Key: HTTP {}, expected {}",
                        second.status,
                        one_of(repeat_expect)
                    ));
                }
            }
            Err(e) => why = Some(format!("repeat: {e}")),
        }
    }
    if why.is_none() {
        result.status = Outcome::Pass;
    }
    result.reason = why;
    result
}

/// Runs every check in order; `on_result` sees each result as it completes.
/// `control.stop()` ends the run between checks (the result is interrupted).
/// `200`, `200 or 201`, `200, 201 or 202`.
fn one_of(statuses: &[u16]) -> String {
    let all: Vec<String> = statuses.iter().map(u16::to_string).collect();
    match all.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => "nothing".into(),
    }
}

pub async fn run(
    plan: &SmokePlan,
    env: &dyn Fn(&str) -> Option<String>,
    control: &Control,
    mut on_result: impl FnMut(&CheckResult),
) -> SmokeResults {
    let started = now();
    let mut five_xx = 0u64;
    let mut checks = Vec::new();
    let mut interrupted = false;
    'all: for spec in &plan.checks {
        for r in runs(spec) {
            let result = tokio::select! {
                r = execute(plan, &r, env, &mut five_xx) => r,
                _ = control.stopped() => { interrupted = true; break 'all; }
            };
            on_result(&result);
            checks.push(result);
        }
    }
    let passed = checks.iter().filter(|c| c.passed()).count() as u32;
    let total = checks.len() as u32;
    let ok = passed == total && !(plan.zero_5xx && five_xx > 0);
    SmokeResults {
        started,
        finished: now(),
        status: Outcome::from_ok(ok).or_interrupted(interrupted),
        base_url: plan.base.uri.to_string().trim_end_matches('/').to_string(),
        passed,
        total,
        zero_5xx: plan.zero_5xx,
        five_xx_count: five_xx,
        checks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_bodies_are_redacted_then_truncated() {
        let secrets = vec!["tok-123456".to_string()];
        let kept = keep_body(b"{\"echo\":\"Bearer tok-123456\"}", &secrets).unwrap();
        assert_eq!(kept, "{\"echo\":\"Bearer [redacted]\"}");
        let long = "é".repeat(300);
        let kept = keep_body(long.as_bytes(), &[]).unwrap();
        assert!(kept.len() <= BODY_KEEP + '…'.len_utf8() && kept.ends_with('…'));
        assert_eq!(keep_body(b"", &[]), None);
    }
}

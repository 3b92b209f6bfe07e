//! Smoke check specifications: the seed's five default checks, or a TOML checks file
//! with per-check expectations, roles (a bearer token per role), Stripe-signed bodies
//! and idempotency replays. Parsing and validation are pure; errors name the line.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

/// How a check's body is signed (`sign = "..."`), to prove both sides of enforcement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignMode {
    /// A valid `Stripe-Signature` with STRIPE_SIGNING_SECRET, timestamped now.
    Stripe,
    /// Valid signature, but timestamped 10 minutes ago (beyond the 300 s tolerance).
    StripeStale,
    /// Signed with a secret that is not STRIPE_SIGNING_SECRET.
    StripeWrongSecret,
    /// A header that does not parse.
    StripeMalformed,
}

/// What a response body must say.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum JsonExpectation {
    /// `expect_json = "health"`: the health contract.
    Contract(String),
    /// `expect_json = { field = "data.status", equals = "ok" }`.
    Field { field: String, equals: Value },
}

/// A run of a check with a role's token (`Authorization: Bearer ${token_env}`).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleSpec {
    pub name: String,
    pub token_env: String,
    pub expect_status: Vec<u16>,
}

fn default_method() -> String {
    "GET".into()
}

fn default_status() -> Vec<u16> {
    vec![200]
}

fn yes() -> bool {
    true
}

/// One check.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckSpec {
    pub name: String,
    #[serde(default = "default_method")]
    pub method: String,
    /// Path on the base URL; or `url` for an absolute URL.
    pub path: Option<String>,
    pub url: Option<String>,
    /// Header values may reference the environment: `${NAME}`.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub body: Option<String>,
    #[serde(default = "default_status")]
    pub expect_status: Vec<u16>,
    pub expect_json: Option<JsonExpectation>,
    pub sign: Option<SignMode>,
    #[serde(default)]
    pub roles: Vec<RoleSpec>,
    /// Send the request twice with this `Idempotency-Key` ("auto": a fresh one).
    pub idempotency_key: Option<String>,
    /// Statuses acceptable for the second send (e.g. `[409]`).
    pub expect_repeat_status: Option<Vec<u16>>,
}

/// A checks file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksFile {
    /// Any 5xx anywhere fails the run.
    #[serde(default = "yes")]
    pub zero_5xx: bool,
    /// Per request, e.g. "5s".
    pub timeout: Option<String>,
    #[serde(rename = "check", default)]
    pub checks: Vec<CheckSpec>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{path}:{line}: {why}")]
pub struct ChecksError {
    pub path: String,
    pub line: usize,
    pub why: String,
}

fn line_of(text: &str, byte: usize) -> usize {
    text[..byte.min(text.len())].matches('\n').count() + 1
}

/// Parses and validates a checks file; every error names a line.
pub fn parse(path: &str, text: &str) -> Result<ChecksFile, ChecksError> {
    let file: ChecksFile = toml::from_str(text).map_err(|e| ChecksError {
        path: path.into(),
        line: e.span().map_or(1, |s| line_of(text, s.start)),
        why: e.message().trim().replace('\n', " "),
    })?;
    let err = |name: &str, why: String| {
        // Point at the check's `name = ...` line.
        let line = text
            .lines()
            .position(|l| {
                let l = l.trim();
                l.starts_with("name") && l.contains(&format!("\"{name}\""))
                    || l.contains(&format!("'{name}'"))
            })
            .map_or(1, |i| i + 1);
        ChecksError {
            path: path.into(),
            line,
            why: format!("check '{name}': {why}"),
        }
    };
    if file.checks.is_empty() {
        return Err(ChecksError {
            path: path.into(),
            line: 1,
            why: "no [[check]] entries".into(),
        });
    }
    if let Some(t) = &file.timeout {
        humantime::parse_duration(t).map_err(|e| ChecksError {
            path: path.into(),
            line: 1,
            why: format!("timeout '{t}': {e}"),
        })?;
    }
    let mut seen = std::collections::HashSet::new();
    for c in &file.checks {
        if c.name.trim().is_empty() {
            return Err(err(&c.name, "name is empty".into()));
        }
        if !seen.insert(c.name.clone()) {
            return Err(err(&c.name, "name is used twice".into()));
        }
        crate::http::target::path_or_url(c.path.as_deref(), c.url.as_deref())
            .map_err(|why| err(&c.name, why))?;
        if http::Method::from_bytes(c.method.to_ascii_uppercase().as_bytes()).is_err() {
            return Err(err(&c.name, format!("invalid method '{}'", c.method)));
        }
        let statuses = c
            .expect_status
            .iter()
            .chain(c.roles.iter().flat_map(|r| &r.expect_status));
        if c.expect_status.is_empty() || statuses.clone().any(|s| !(100..=599).contains(s)) {
            return Err(err(
                &c.name,
                "expect_status needs status codes between 100 and 599".into(),
            ));
        }
        if c.expect_repeat_status.is_some() != c.idempotency_key.is_some() {
            return Err(err(
                &c.name,
                "idempotency_key and expect_repeat_status go together".into(),
            ));
        }
        if let Some(JsonExpectation::Contract(k)) = &c.expect_json {
            if k != "health" {
                return Err(err(
                    &c.name,
                    format!("expect_json '{k}': use \"health\" or {{ field = ..., equals = ... }}"),
                ));
            }
        }
        if c.roles.iter().any(|r| r.expect_status.is_empty()) {
            return Err(err(&c.name, "every role needs expect_status".into()));
        }
    }
    Ok(file)
}

fn check(name: &str, method: &str, path: &str, status: &[u16]) -> CheckSpec {
    CheckSpec {
        name: name.into(),
        method: method.into(),
        path: Some(path.into()),
        url: None,
        headers: BTreeMap::new(),
        body: None,
        expect_status: status.to_vec(),
        expect_json: None,
        sign: None,
        roles: Vec::new(),
        idempotency_key: None,
        expect_repeat_status: None,
    }
}

/// The seed's five Stage 3 smoke checks; `health_url` is where the health check goes.
pub fn default_checks(health_url: &str) -> Vec<CheckSpec> {
    let mut health = check("health", "GET", "/health", &[200]);
    health.path = None;
    health.url = Some(health_url.into());
    health.expect_json = Some(JsonExpectation::Contract("health".into()));
    let mut webhook = check(
        "stripe_webhook_signature",
        "POST",
        "/api/stripe/webhook",
        &[400, 401, 403],
    );
    webhook
        .headers
        .insert("Content-Type".into(), "application/json".into());
    webhook.body = Some("{}".into());
    vec![
        health,
        check("auth_csrf", "GET", "/api/auth/csrf", &[200]),
        check("security_csrf", "GET", "/api/security/csrf", &[200]),
        webhook,
        check("notify_outbox", "GET", "/api/notify/outbox", &[200]),
    ]
}

/// Looks up a dotted path (`data.items.0.status`) in a JSON value.
pub fn json_field<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(v, |v, key| match v {
        Value::Array(a) => a.get(key.parse::<usize>().ok()?),
        _ => v.get(key),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
zero_5xx = true
timeout = "3s"

[[check]]
name = "health"
path = "/health"
expect_json = "health"

[[check]]
name = "suggestions"
path = "/v1/parts/suggestions"
roles = [
  { name = "HOD", token_env = "HOD_JWT", expect_status = [200] },
  { name = "CREW", token_env = "CREW_JWT", expect_status = [403] },
]

[[check]]
name = "receive_part"
method = "POST"
path = "/v1/parts/receive"
body = '{"part":"p-1"}'
idempotency_key = "auto"
expect_status = [201]
expect_repeat_status = [409]
expect_json = { field = "part.id", equals = "p-1" }

[[check]]
name = "webhook_signed"
method = "POST"
path = "/api/stripe/webhook"
body = "{}"
sign = "stripe"
"#;

    #[test]
    fn parses_a_complete_file() {
        let f = parse("checks.toml", FILE).unwrap();
        assert_eq!(f.checks.len(), 4);
        assert_eq!(f.checks[1].roles[1].expect_status, [403]);
        assert_eq!(f.checks[2].expect_repeat_status, Some(vec![409]));
        assert_eq!(f.checks[3].sign, Some(SignMode::Stripe));
        assert_eq!(f.checks[0].expect_status, [200], "default status");
    }

    #[test]
    fn errors_name_the_line() {
        let bad = "[[check]]\nname = \"x\"\npath = \"/x\"\nmethd = \"GET\"\n";
        let e = parse("c.toml", bad).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.to_string().starts_with("c.toml:4: "), "{e}");
        let e = parse(
            "c.toml",
            "[[check]]\nname = \"x\"\npath = \"/x\"\nexpect_status = \"200\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        let e = parse("c.toml", "[[check]]\nname = \"y\"\npath = \"nope\"\n").unwrap_err();
        assert_eq!(
            (e.line, e.why.as_str()),
            (2, "check 'y': path must start with /")
        );
        assert!(parse("c.toml", "zero_5xx = true\n").is_err());
        assert!(parse(
            "c.toml",
            "[[check]]\nname = \"z\"\npath = \"/\"\nsign = \"hmac\"\n"
        )
        .is_err());
    }

    #[test]
    fn the_default_list_is_the_seeds() {
        let names: Vec<_> = default_checks("http://h/health")
            .into_iter()
            .map(|c| c.name)
            .collect();
        assert_eq!(
            names,
            [
                "health",
                "auth_csrf",
                "security_csrf",
                "stripe_webhook_signature",
                "notify_outbox"
            ]
        );
    }

    #[test]
    fn json_fields_follow_dotted_paths() {
        let v: Value = serde_json::json!({"part": {"id": "p-1", "tags": ["a", "b"]}});
        assert_eq!(json_field(&v, "part.id"), Some(&Value::from("p-1")));
        assert_eq!(json_field(&v, "part.tags.1"), Some(&Value::from("b")));
        assert_eq!(json_field(&v, "part.nope"), None);
    }
}

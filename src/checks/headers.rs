//! Security headers on the root page: a Content-Security-Policy must be present (the
//! seed's gate); everything sharper is an advisory finding that fails the gate only
//! with `--strict-headers`. Each finding names the header and the fix.

use http::HeaderMap;
use serde::{Deserialize, Serialize};

/// Six months, the usual HSTS preload minimum.
const HSTS_MIN_AGE_S: u64 = 15_552_000;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Finding {
    pub header: String,
    pub issue: String,
    pub fix: String,
}

fn finding(header: &str, issue: impl Into<String>, fix: &str) -> Finding {
    Finding {
        header: header.into(),
        issue: issue.into(),
        fix: fix.into(),
    }
}

/// What the root page's headers say.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeaderVerdict {
    /// An enforced or report-only CSP is present (the seed's pass condition).
    pub csp_present: bool,
    /// The policy in force (enforced, else report-only).
    pub csp: Option<String>,
    pub csp_report_only: bool,
    pub findings: Vec<Finding>,
}

fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// Directive name → its sources, from a policy string.
fn directives(policy: &str) -> Vec<(String, Vec<String>)> {
    policy
        .split(';')
        .filter_map(|d| {
            let mut parts = d.split_whitespace();
            let name = parts.next()?.to_ascii_lowercase();
            Some((name, parts.map(str::to_ascii_lowercase).collect()))
        })
        .collect()
}

pub fn judge(headers: &HeaderMap, https: bool) -> HeaderVerdict {
    let enforced = get(headers, "content-security-policy");
    let report_only = get(headers, "content-security-policy-report-only");
    let csp = enforced.or(report_only);
    let mut findings = Vec::new();
    match (enforced, report_only) {
        (None, None) => findings.push(finding(
            "Content-Security-Policy",
            "missing",
            "send Content-Security-Policy: default-src 'self'; frame-ancestors 'none'",
        )),
        (None, Some(_)) => findings.push(finding(
            "Content-Security-Policy-Report-Only",
            "report-only, no enforced policy: violations are reported, not blocked",
            "once reports are clean, send the same policy as Content-Security-Policy",
        )),
        _ => {}
    }
    if let Some(policy) = csp {
        findings.extend(policy_findings(policy));
    }
    if !csp.is_some_and(|p| directives(p).iter().any(|(n, _)| n == "frame-ancestors"))
        && get(headers, "x-frame-options").is_none()
    {
        findings.push(finding(
            "X-Frame-Options",
            "no frame-ancestors directive and no X-Frame-Options: the page can be framed (clickjacking)",
            "add frame-ancestors 'none' (or 'self') to the CSP, or X-Frame-Options: DENY",
        ));
    }
    if !get(headers, "x-content-type-options").is_some_and(|v| v.eq_ignore_ascii_case("nosniff")) {
        findings.push(finding(
            "X-Content-Type-Options",
            "missing or not nosniff",
            "send X-Content-Type-Options: nosniff",
        ));
    }
    if https {
        findings.extend(hsts_finding(get(headers, "strict-transport-security")));
    }
    if get(headers, "referrer-policy").is_none() {
        findings.push(finding(
            "Referrer-Policy",
            "missing: full URLs may leak to other sites",
            "send Referrer-Policy: strict-origin-when-cross-origin",
        ));
    }
    HeaderVerdict {
        csp_present: csp.is_some(),
        csp: csp.map(str::to_string),
        csp_report_only: enforced.is_none() && report_only.is_some(),
        findings,
    }
}

fn policy_findings(policy: &str) -> Vec<Finding> {
    let dirs = directives(policy);
    let find = |name: &str| dirs.iter().find(|(n, _)| n == name).map(|(_, v)| v);
    let mut out = Vec::new();
    if find("default-src").is_none() {
        out.push(finding(
            "Content-Security-Policy",
            "no default-src: resource types without their own directive are unrestricted",
            "add default-src 'self'",
        ));
    }
    let (source, script) = match (find("script-src"), find("default-src")) {
        (Some(s), _) => ("script-src", Some(s)),
        (None, Some(d)) => ("default-src", Some(d)),
        (None, None) => ("script-src", None),
    };
    let Some(script) = script else {
        out.push(finding(
            "Content-Security-Policy",
            "no script-src or default-src: any script may run",
            "add script-src 'self'",
        ));
        return out;
    };
    let has_nonce_or_hash = script.iter().any(|s| {
        s.starts_with("'nonce-")
            || s.starts_with("'sha256-")
            || s.starts_with("'sha384-")
            || s.starts_with("'sha512-")
    });
    let risky = |issue: &str, fix: &str| {
        finding("Content-Security-Policy", format!("{source} {issue}"), fix)
    };
    if script.iter().any(|s| s == "'unsafe-inline'") && !has_nonce_or_hash {
        out.push(risky(
            "allows 'unsafe-inline' without a nonce or hash: injected inline scripts run",
            "use nonces or hashes for inline scripts and drop 'unsafe-inline'",
        ));
    }
    if script.iter().any(|s| s == "'unsafe-eval'") {
        out.push(risky(
            "allows 'unsafe-eval'",
            "remove 'unsafe-eval' (avoid eval/new Function)",
        ));
    }
    for (src, why) in [
        ("*", "allows scripts from any host"),
        ("http:", "allows scripts over plain http"),
        ("data:", "allows data: URLs as scripts"),
    ] {
        if script.iter().any(|s| s == src) {
            out.push(risky(why, "list the script origins explicitly"));
        }
    }
    out
}

fn hsts_finding(hsts: Option<&str>) -> Option<Finding> {
    let Some(value) = hsts else {
        return Some(finding(
            "Strict-Transport-Security",
            "missing on https",
            "send Strict-Transport-Security: max-age=31536000; includeSubDomains",
        ));
    };
    let max_age = value.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("max-age")
            .then(|| v.trim().trim_matches('"').parse::<u64>().ok())?
    });
    match max_age {
        Some(age) if age >= HSTS_MIN_AGE_S => None,
        _ => Some(finding(
            "Strict-Transport-Security",
            format!("max-age under six months ({value})"),
            "use max-age=31536000",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(k, v)| {
                (
                    http::HeaderName::from_static(k),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    fn issues(v: &HeaderVerdict) -> Vec<String> {
        v.findings
            .iter()
            .map(|f| format!("{}: {}", f.header, f.issue))
            .collect()
    }

    #[test]
    fn a_tight_policy_has_no_findings() {
        let h = headers(&[
            (
                "content-security-policy",
                "default-src 'self'; script-src 'self' 'nonce-abc'; frame-ancestors 'none'",
            ),
            ("x-content-type-options", "nosniff"),
            ("referrer-policy", "no-referrer"),
            (
                "strict-transport-security",
                "max-age=63072000; includeSubDomains",
            ),
        ]);
        let v = judge(&h, true);
        assert!(v.csp_present && !v.csp_report_only);
        assert!(v.findings.is_empty(), "{:?}", issues(&v));
    }

    #[test]
    fn the_seed_example_policy_gets_its_unsafe_inline_finding() {
        let v = judge(
            &headers(&[(
                "content-security-policy",
                "default-src 'self'; script-src 'self' 'unsafe-inline'",
            )]),
            false,
        );
        let all = issues(&v).join("\n");
        assert!(v.csp_present);
        assert!(all.contains("script-src allows 'unsafe-inline'"), "{all}");
        assert!(
            all.contains("X-Frame-Options")
                && all.contains("X-Content-Type-Options")
                && all.contains("Referrer-Policy"),
            "{all}"
        );
        assert!(
            !all.contains("Strict-Transport-Security"),
            "no HSTS check on http"
        );
    }

    #[test]
    fn effective_script_source_falls_back_to_default_src() {
        let v = judge(
            &headers(&[(
                "content-security-policy",
                "default-src * 'unsafe-eval' data:",
            )]),
            false,
        );
        let all = issues(&v).join("\n");
        assert!(all.contains("default-src allows 'unsafe-eval'"), "{all}");
        assert!(
            all.contains("default-src allows scripts from any host"),
            "{all}"
        );
        assert!(all.contains("default-src allows data: URLs"), "{all}");
        let v = judge(
            &headers(&[("content-security-policy", "img-src 'self'")]),
            false,
        );
        assert!(issues(&v).join("\n").contains("any script may run"));
    }

    #[test]
    fn report_only_and_missing_policies() {
        let v = judge(
            &headers(&[("content-security-policy-report-only", "default-src 'self'")]),
            false,
        );
        assert!(v.csp_present && v.csp_report_only);
        assert!(issues(&v)[0].contains("report-only"));
        let v = judge(&HeaderMap::new(), true);
        assert!(!v.csp_present);
        assert!(issues(&v)
            .join("\n")
            .contains("Strict-Transport-Security: missing on https"));
        let v = judge(
            &headers(&[("strict-transport-security", "max-age=300")]),
            true,
        );
        assert!(issues(&v).join("\n").contains("under six months"));
    }
}

//! The health contract: HTTP 200 and a JSON body that says the service is healthy.
//!
//! Accepted, as in the seeds: `{"status":"ok"}`, `{"healthy":true}`, `{"ok":true}`;
//! also the IETF health+json shape (`status` pass/ok/up, any case; `warn` passes with
//! a note) and Spring's `{"status":"UP"}`. A body that says fail/down while the HTTP
//! status is 2xx is flagged: a load balancer would keep routing to it.

use serde::Serialize;
use serde_json::Value;

/// The verdict on one health response.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthVerdict {
    pub ok: bool,
    /// Why it is not ok.
    pub reason: Option<String>,
    /// Passing, with a remark (e.g. IETF `warn`).
    pub note: Option<String>,
    /// The parsed body when it was JSON.
    pub payload: Option<Value>,
}

fn verdict(
    ok: bool,
    reason: Option<String>,
    note: Option<String>,
    payload: Option<Value>,
) -> HealthVerdict {
    HealthVerdict {
        ok,
        reason,
        note,
        payload,
    }
}

/// Judges a probed response; a body cut at the read limit is said to be too large
/// rather than judged as broken JSON.
pub fn judge_probe(p: &super::probe::Probed) -> HealthVerdict {
    if p.truncated {
        let why = format!(
            "body is larger than {} MiB, the most golive reads of a health body",
            super::probe::MAX_BODY >> 20
        );
        return verdict(false, Some(why), None, None);
    }
    judge(p.status, &p.body)
}

pub fn judge(status: u16, body: &[u8]) -> HealthVerdict {
    let payload: Option<Value> = serde_json::from_slice(body).ok();
    let Some(obj) = payload.as_ref().and_then(Value::as_object) else {
        let reason = if payload.is_some() {
            "body is JSON but not an object".to_string()
        } else {
            format!("body is not JSON: {}", preview(body))
        };
        let reason = if status == 200 {
            reason
        } else {
            format!("HTTP {status}; {reason}")
        };
        return verdict(false, Some(reason), None, payload);
    };
    let said = obj
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_ascii_lowercase);
    let flag = |k: &str| obj.get(k).and_then(Value::as_bool);
    let body_ok = match said.as_deref() {
        Some("ok" | "pass" | "up" | "healthy") => Ok(None),
        Some("warn") => Ok(Some("status 'warn': passing with a warning".to_string())),
        Some(other) => Err(format!("status '{other}' is not ok")),
        None => match (flag("healthy"), flag("ok")) {
            (Some(true), _) | (_, Some(true)) => Ok(None),
            (Some(false), _) | (_, Some(false)) => Err("body reports unhealthy".to_string()),
            _ => Err(r#"no "status", "healthy" or "ok" field"#.to_string()),
        },
    };
    let says_down = matches!(
        said.as_deref(),
        Some("fail" | "down" | "error" | "unhealthy")
    );
    match (status, body_ok) {
        (200, Ok(note)) => verdict(true, None, note, payload),
        (200, Err(why)) if says_down => verdict(
            false,
            Some(format!(
                "{why}, yet HTTP status is 200: load balancers will keep routing here"
            )),
            None,
            payload,
        ),
        (200, Err(why)) => verdict(false, Some(why), None, payload),
        (s @ 200..=299, _) if says_down => verdict(
            false,
            Some(format!("body says down, yet HTTP status is {s}")),
            None,
            payload,
        ),
        (s, _) => verdict(
            false,
            Some(format!("HTTP {s}, expected 200")),
            None,
            payload,
        ),
    }
}

/// The first bytes of a body, printable, for error messages.
pub fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(60)]);
    let mut s: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.len() > 60 {
        s.push('…');
    }
    format!("'{}'", s.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(status: u16, body: &str) -> bool {
        judge(status, body.as_bytes()).ok
    }

    #[test]
    fn accepts_the_seed_and_common_shapes() {
        for body in [
            r#"{"status":"ok"}"#,
            r#"{"healthy":true}"#,
            r#"{"ok":true}"#,
            r#"{"status":"UP"}"#,
            r#"{"status":"pass","checks":{}}"#,
        ] {
            assert!(ok(200, body), "{body}");
        }
        let warn = judge(200, br#"{"status":"warn"}"#);
        assert!(warn.ok && warn.note.is_some());
    }

    #[test]
    fn rejects_with_a_reason() {
        let degraded = judge(200, br#"{"status":"degraded"}"#);
        assert_eq!(
            degraded.reason.as_deref(),
            Some("status 'degraded' is not ok")
        );
        assert!(judge(200, b"<html>ok</html>")
            .reason
            .unwrap()
            .starts_with("body is not JSON"));
        assert!(judge(200, br#"{"healthy":false}"#)
            .reason
            .unwrap()
            .contains("unhealthy"));
        assert!(judge(200, br#"{"version":"1"}"#)
            .reason
            .unwrap()
            .contains("no \"status\""));
        assert!(judge(500, br#"{"status":"ok"}"#)
            .reason
            .unwrap()
            .contains("HTTP 500"));
        assert!(judge(200, br#"{"status":"fail"}"#)
            .reason
            .unwrap()
            .contains("load balancers"));
        assert!(judge(204, br#"{"status":"down"}"#)
            .reason
            .unwrap()
            .contains("HTTP status is 204"));
        assert!(!ok(200, "[]"));
    }
}

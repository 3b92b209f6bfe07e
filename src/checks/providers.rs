//! Provider configuration from the environment (Stage 4, check 4). Secret values are
//! never kept, only whether they are set.

use serde::{Deserialize, Serialize};

/// The seed's `provider_config` object, field for field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProviderConfig {
    /// STRIPE_TEST as given ("1": test mode, "0": live), default "1".
    #[serde(rename = "STRIPE_MODE")]
    pub stripe_mode: String,
    #[serde(rename = "STRIPE_SIGNING_SECRET_set")]
    pub stripe_signing_secret_set: bool,
    /// NOTIFY_MODE, default "mock".
    #[serde(rename = "NOTIFY_MODE")]
    pub notify_mode: String,
    #[serde(rename = "EMAIL_FROM_set")]
    pub email_from_set: bool,
}

/// The configuration and, when live providers are expected, what falls short.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderVerdict {
    pub config: ProviderConfig,
    pub issues: Vec<String>,
    /// Issues exist and mocks are not allowed.
    pub fails_gate: bool,
}

pub fn judge(
    env: impl Fn(&str) -> Option<String>,
    expect_live: bool,
    allow_mock: bool,
) -> ProviderVerdict {
    let set = |k: &str| env(k).is_some_and(|v| !v.is_empty());
    let config = ProviderConfig {
        stripe_mode: env("STRIPE_TEST").unwrap_or_else(|| "1".into()),
        stripe_signing_secret_set: set("STRIPE_SIGNING_SECRET"),
        notify_mode: env("NOTIFY_MODE").unwrap_or_else(|| "mock".into()),
        email_from_set: set("EMAIL_FROM"),
    };
    let mut issues = Vec::new();
    if expect_live {
        if config.stripe_mode.trim() != "0" {
            issues.push(format!(
                "STRIPE_TEST={} (test mode); live needs STRIPE_TEST=0",
                config.stripe_mode
            ));
        }
        if !config.stripe_signing_secret_set {
            issues.push("STRIPE_SIGNING_SECRET is not set: webhooks cannot be verified".into());
        }
        if config.notify_mode.trim().eq_ignore_ascii_case("mock") {
            issues.push(
                "NOTIFY_MODE=mock: no email would be sent; set the provider (e.g. resend)".into(),
            );
        }
        if !config.email_from_set {
            issues.push("EMAIL_FROM is not set".into());
        }
    }
    let fails_gate = !issues.is_empty() && !allow_mock;
    ProviderVerdict {
        config,
        issues,
        fails_gate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_are_the_seeds_and_advisory_without_expect_live() {
        let v = judge(env(&[]), false, false);
        assert_eq!(
            (v.config.stripe_mode.as_str(), v.config.notify_mode.as_str()),
            ("1", "mock")
        );
        assert!(v.issues.is_empty() && !v.fails_gate);
    }

    #[test]
    fn expect_live_lists_every_gap_and_fails_unless_mocks_are_allowed() {
        let v = judge(env(&[]), true, false);
        assert_eq!(v.issues.len(), 4);
        assert!(v.fails_gate);
        assert!(!judge(env(&[]), true, true).fails_gate);
        let live = judge(
            env(&[
                ("STRIPE_TEST", "0"),
                ("STRIPE_SIGNING_SECRET", "whsec_x"),
                ("NOTIFY_MODE", "resend"),
                ("EMAIL_FROM", "a@b.c"),
            ]),
            true,
            false,
        );
        assert!(live.issues.is_empty() && live.config.stripe_signing_secret_set);
    }
}

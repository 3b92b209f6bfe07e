//! `golive stage4` flags → [`Stage4Plan`].

use super::canary::LOCAL_BASE;
use super::{client_options, health_url, target, ConfigError, Env};
use crate::cli::Stage4Args;
use crate::gates::canary::{CanaryPlan, Spacing, DEFAULT_COUNT, DEFAULT_DELAY, DEFAULT_SLO};
use crate::gates::stage4::Stage4Plan;
use crate::slo::Slo;

impl Stage4Plan {
    /// `env` tells whether PROD_URL was set, so a defaulted base URL can be said.
    pub fn from_args(args: &Stage4Args, env: Env) -> Result<Stage4Plan, ConfigError> {
        let given = args
            .url
            .clone()
            .or_else(|| args.prod_url.clone())
            .filter(|u| !u.trim().is_empty());
        let base_url = given.clone().unwrap_or_else(|| LOCAL_BASE.to_string());
        let base_note = given.is_none().then(|| {
            let why = if env("PROD_URL").is_some() {
                "PROD_URL is empty"
            } else {
                "PROD_URL is not set"
            };
            format!("{why}, so golive tested the embedded target's default {LOCAL_BASE}; give the URL (or set PROD_URL)")
        });
        let base = target("PROD_URL", &base_url)?;
        let health = target(
            "HEALTH_URL",
            &health_url(&base_url, args.health_url.as_deref()),
        )?;
        let expect_live = args.expect_live.unwrap_or(false);
        Ok(Stage4Plan {
            base,
            health,
            timeout: args.timeout,
            canary: CanaryPlan {
                spacing: Spacing::Delay {
                    count: DEFAULT_COUNT,
                    delay: DEFAULT_DELAY,
                },
                timeout: args.timeout,
                slos: vec![Slo::parse(DEFAULT_SLO).expect("the default SLO parses")],
            },
            expect_live,
            // The readiness spec allows mocks by default; expecting live providers and
            // allowing mocks unless told otherwise would make EXPECT_LIVE=1 a no-op.
            allow_mock: args.allow_provider_mock.unwrap_or(!expect_live),
            strict_headers: args.strict_headers,
            probes: args.probes,
            client: client_options(&args.client),
            base_note,
        })
    }
}

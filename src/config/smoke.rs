//! `golive smoke` and `golive stage3` flags → [`SmokePlan`] and [`Stage3Plan`].

use std::time::Duration;

use super::{client_options, health_url, target, ConfigError};
use crate::checks::smoke::{self as spec, CheckSpec};
use crate::cli::{SmokeTargetArgs, Stage3Args};
use crate::gates::smoke::SmokePlan;
use crate::gates::stage3::Stage3Plan;

impl crate::cli::SmokeTargetArgs {
    /// The positional URL, else --base (or OI_BASE_URL), else the seed's local default.
    pub fn base_url(&self) -> String {
        self.url
            .clone()
            .or_else(|| self.base.clone())
            .filter(|u| !u.trim().is_empty())
            .unwrap_or_else(|| super::canary::LOCAL_BASE.to_string())
    }
}

impl SmokePlan {
    /// The plan and the health URL it checks.
    pub fn from_args(args: &SmokeTargetArgs) -> Result<(SmokePlan, String), ConfigError> {
        let base_url = args.base_url();
        let base = target("URL (--base, OI_BASE_URL)", &base_url)?;
        let health = health_url(&base_url, args.health_url.as_deref());
        target("HEALTH_URL", &health)?;
        let (checks, zero_5xx, timeout): (Vec<CheckSpec>, bool, Duration) = match &args.checks {
            None => (spec::default_checks(&health), true, args.timeout),
            Some(path) => {
                let shown = path.display().to_string();
                let text = crate::input::read_text(path, crate::input::TEXT).map_err(|e| {
                    ConfigError::File {
                        flag: "--checks",
                        path: shown.clone(),
                        why: e.to_string(),
                    }
                })?;
                let file =
                    spec::parse(&shown, &text).map_err(|e| ConfigError::Invalid(e.to_string()))?;
                let timeout = file
                    .timeout
                    .as_deref()
                    .and_then(|t| humantime::parse_duration(t).ok())
                    .unwrap_or(args.timeout);
                (file.checks, file.zero_5xx, timeout)
            }
        };
        let plan = SmokePlan {
            base,
            checks,
            zero_5xx: zero_5xx && !args.allow_5xx,
            timeout,
            client: client_options(&args.client),
        };
        Ok((plan, health))
    }
}

impl Stage3Plan {
    pub fn from_args(args: &Stage3Args) -> Result<Stage3Plan, ConfigError> {
        let (smoke, health_url) = SmokePlan::from_args(&args.target)?;
        Ok(Stage3Plan {
            smoke,
            health_url,
            gate_cmd: args.gate_cmd.clone(),
            gate_timeout: args.gate_timeout,
            home_api: args.home_api.clone(),
            root: args.root.clone(),
            out: args.out.clone(),
        })
    }
}

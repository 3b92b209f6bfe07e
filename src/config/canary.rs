//! `golive canary` and `golive probes` flags → plans.

use super::{parse_slos, target, ConfigError, Env};
use crate::cli::CanaryArgs;
use crate::gates::canary::{CanaryPlan, Spacing, DEFAULT_SLO};
use crate::http::Target;

/// The embedded target's address: the default when nothing names a target.
pub const LOCAL_BASE: &str = "http://127.0.0.1:8000";

impl CanaryPlan {
    pub fn from_args(args: &CanaryArgs) -> Result<CanaryPlan, ConfigError> {
        let spacing = match (args.interval, args.for_) {
            (Some(interval), Some(duration)) => Spacing::Every { interval, duration },
            _ => Spacing::Delay {
                count: args.count,
                delay: args.delay,
            },
        };
        Ok(CanaryPlan {
            spacing,
            timeout: args.timeout,
            slos: parse_slos(&args.slos, &[DEFAULT_SLO])?,
        })
    }
}

/// The URL a canary pings: the argument, else HEALTH_URL, else PROD_URL/health, else
/// the embedded target's.
pub fn canary_target(args: &CanaryArgs, env: Env) -> Result<Target, ConfigError> {
    let url = match &args.url {
        Some(u) => u.clone(),
        None => {
            let prod = env("PROD_URL").filter(|p| !p.trim().is_empty());
            let base = prod.as_deref().unwrap_or(LOCAL_BASE);
            super::health_url(base, env("HEALTH_URL").as_deref())
        }
    };
    target("URL", &url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn args(argv: &[&str]) -> CanaryArgs {
        let cli = Cli::try_parse_from(["golive", "canary"].iter().chain(argv)).unwrap();
        let Command::Canary(a) = cli.command else {
            unreachable!()
        };
        a
    }

    #[test]
    fn spacing_and_target_follow_the_flags_and_environment() {
        let plan = CanaryPlan::from_args(&args(&["--interval", "1s", "--for", "5s"])).unwrap();
        assert!(matches!(plan.spacing, Spacing::Every { .. }));
        let env = crate::config::env_of(&[("PROD_URL", "http://10.9.8.7:9")]);
        let t = canary_target(&args(&[]), &env).unwrap();
        assert_eq!(t.uri.to_string(), "http://10.9.8.7:9/health");
        let t = canary_target(&args(&[]), &|_| None).unwrap();
        assert_eq!(t.uri.to_string(), format!("{LOCAL_BASE}/health"));
        assert!(CanaryPlan::from_args(&args(&["--slo", "p95<"])).is_err());
    }
}

//! `golive smoke`: request checks with a line per check and smoke_results.json.

use std::time::Duration;

use crate::checks::smoke::{self as spec, CheckSpec};
use crate::cli::{SmokeArgs, SmokeTargetArgs};
use crate::config::client_options;
use crate::exit::{self, Exit, Failure};
use crate::gates::smoke::{self, SmokePlan};
use crate::http::Target;
use crate::report::{artifact, gates};

/// The plan and the health URL from the target flags (and the checks file, if any).
pub fn plan(args: &SmokeTargetArgs) -> exit::Result<(SmokePlan, String)> {
    let base = Target::parse(&args.base)
        .map_err(|e| Failure::usage(anyhow::anyhow!("--base / OI_BASE_URL: {e}")))?;
    let health_url = super::health_url(&args.base, args.health_url.as_deref());
    Target::parse(&health_url).map_err(|e| Failure::usage(anyhow::anyhow!("HEALTH_URL: {e}")))?;
    let (checks, zero_5xx, timeout): (Vec<CheckSpec>, bool, Duration) = match &args.checks {
        None => (spec::default_checks(&health_url), true, args.timeout),
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(anyhow::anyhow!("cannot read --checks {shown}: {e}"))
            })?;
            let file = spec::parse(&shown, &text).map_err(Failure::usage)?;
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
    Ok((plan, health_url))
}

pub fn run(args: &SmokeArgs) -> exit::Result<Exit> {
    let (plan, _) = plan(&args.target)?;
    println!(
        "golive smoke  {}  ({} check(s))",
        plan.base.uri,
        plan.checks.len()
    );
    let env = |k: &str| std::env::var(k).ok();
    let results = super::runtime()?.block_on(smoke::run(&plan, &env, |c| {
        println!("{}", gates::smoke_check(c))
    }));
    print!("{}", gates::smoke_summary(&results));
    if let Some(path) = &args.json {
        artifact::write_json(path, &results).map_err(Failure::runtime)?;
    }
    Ok(if results.ok() { Exit::Pass } else { Exit::Fail })
}

//! `golive canary`: health pings with a per-sample line and an SLO verdict.

use std::sync::Arc;

use crate::cli::CanaryArgs;
use crate::config::client_options;
use crate::exit::{self, Exit, Failure};
use crate::gates::canary::{self, CanaryPlan, Spacing, DEFAULT_SLO};
use crate::http::Target;
use crate::load::Control;
use crate::report::{artifact, gates};
use crate::slo::Slo;

/// HEALTH_URL, else PROD_URL + /health, else the embedded target's default.
pub fn default_health_url(env: impl Fn(&str) -> Option<String>) -> String {
    let prod = env("PROD_URL").filter(|p| !p.trim().is_empty());
    let base = prod.as_deref().unwrap_or("http://127.0.0.1:8000");
    super::health_url(base, env("HEALTH_URL").as_deref())
}

pub fn plan(args: &CanaryArgs) -> exit::Result<CanaryPlan> {
    let exprs = if args.slos.is_empty() {
        vec![DEFAULT_SLO.to_string()]
    } else {
        args.slos.clone()
    };
    let slos = exprs
        .iter()
        .map(|e| Slo::parse(e))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::usage)?;
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
        slos,
    })
}

pub fn run(args: &CanaryArgs) -> exit::Result<Exit> {
    let url = args
        .url
        .clone()
        .unwrap_or_else(|| default_health_url(|k| std::env::var(k).ok()));
    let target = Target::parse(&url).map_err(Failure::usage)?;
    let plan = plan(args)?;
    let client = client_options(&args.client);
    let result = super::runtime()?.block_on(async {
        let control = Arc::new(Control::default());
        super::stop_on_signal(control.clone())?;
        let how = match plan.spacing {
            Spacing::Delay { count, delay } => format!(
                "{count} samples, {} apart",
                humantime::format_duration(delay)
            ),
            Spacing::Every { interval, duration } => format!(
                "every {} for {}",
                humantime::format_duration(interval),
                humantime::format_duration(duration)
            ),
        };
        println!("golive canary  GET {}  ({how})", target.uri);
        let result = canary::run(&target, &client, &plan, &control, |i, s| {
            println!("{}", gates::canary_sample(i, s))
        })
        .await;
        Ok::<_, Failure>(result)
    })?;
    print!("{}", gates::canary_summary(&result));
    if let Some(path) = &args.json {
        artifact::write_json(path, &result).map_err(Failure::runtime)?;
    }
    Ok(match (result.interrupted, result.ok) {
        (true, _) => Exit::Interrupted,
        (false, true) => Exit::Pass,
        (false, false) => Exit::Fail,
    })
}

//! `golive capacity` flags → the search's [`CapacityPlan`]: the step's [`StressPlan`]
//! (its rate set per step) and the search's bounds.

use super::stress::{request, scoped_slos, workload};
use super::{client_options, parse_slos, ConfigError, Env};
use crate::capacity::{CapacityPlan, StepRules};
use crate::cli::CapacityArgs;
use crate::gates::stress::StressPlan;
use crate::load::{LoadPlan, Shard};

/// The SLOs a step holds when none are given.
pub const DEFAULT_SLOS: [&str; 2] = ["p99<1s", "errors<0.1%"];
/// Connections when -c is not given (doubled while they, not the target, are the limit).
pub const DEFAULT_CONNECTIONS: u32 = 100;

pub fn plan(args: &CapacityArgs, env: Env) -> Result<CapacityPlan, ConfigError> {
    let url = args.url.as_deref().filter(|u| !u.trim().is_empty());
    let (target, template, mut client, workload) = match &args.workload {
        None => {
            let url = url.ok_or(ConfigError::NoUrl)?;
            let (t, tpl, c) = request(url, &args.request, &args.client, env)?;
            (t, tpl, c, None)
        }
        Some(path) => {
            let c = client_options(&args.client);
            let (t, w) = workload(path, url, &args.request, (c.http2, 0), env)?;
            (t, w.requests.template(0).clone(), c, Some(w))
        }
    };
    client.connect_timeout = args.timeout;
    let slos = scoped_slos(parse_slos(&args.slos, &DEFAULT_SLOS)?, workload.as_ref())?;
    let invalid = |s: &str| Err(ConfigError::Invalid(s.into()));
    if let Some(s) = slos.iter().find(|s| s.metric == crate::slo::Metric::Rps) {
        return invalid(&format!(
            "--slo {s}: capacity sets each step's rate itself; judge latency and errors, and read the rate it finds"
        ));
    }
    if args.start_rate > args.max_rate {
        return invalid("--start-rate is above --max-rate");
    }
    if args.warmup + std::time::Duration::from_secs(1) > args.step {
        return invalid(&format!(
            "--step {} must be at least 1s longer than --warmup {}: the seconds after the warm-up are what is judged",
            humantime::format_duration(args.step),
            humantime::format_duration(args.warmup)
        ));
    }
    if args.max_duration < args.step {
        return invalid("--max-duration is shorter than one --step: no step could run");
    }
    if !(0.1..=50.0).contains(&args.precision) {
        return invalid("--precision is a percentage between 0.1 and 50");
    }
    let steps = &args.concurrency_steps;
    if !steps.is_empty() {
        let mut distinct = steps.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < crate::capacity::usl::MIN_POINTS {
            return invalid(&format!(
                "--concurrency-steps needs {} different connection counts or more for a USL fit, e.g. 1,2,4,8,16,32",
                crate::capacity::usl::MIN_POINTS
            ));
        }
        if distinct.first() == Some(&0) || distinct.last().is_some_and(|&n| n > 100_000) {
            return invalid("--concurrency-steps: connection counts from 1 to 100000");
        }
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    let concurrency = args.concurrency.unwrap_or(DEFAULT_CONNECTIONS);
    let stress = StressPlan {
        target,
        template,
        client,
        load: LoadPlan {
            concurrency,
            streams: 1,
            threads: args.threads.unwrap_or(cores).min(concurrency),
            requests: None,
            duration: Some(args.step),
            rate: Some(args.start_rate),
            timeout: args.timeout,
            inject_lag: None,
            shard: Shard::default(),
            start_at: None,
            retry_idle_close: true,
            stages: None,
            connection_stages: None,
        },
        slos,
        abort_on_fail: false,
        shard: None,
        workload,
    };
    Ok(CapacityPlan {
        stress,
        rules: StepRules {
            warmup_s: args.warmup.as_secs_f64(),
            step_s: args.step.as_secs_f64(),
            windows: 5,
            must_hold: 4,
        },
        start_rate: args.start_rate,
        max_rate: args.max_rate,
        precision: args.precision / 100.0,
        repeat: args.repeat,
        max_duration: args.max_duration,
        grow_connections: args.concurrency.is_none(),
        concurrency_steps: args.concurrency_steps.clone(),
    })
}

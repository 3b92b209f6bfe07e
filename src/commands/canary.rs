//! `golive canary`: health pings with a line per sample and an SLO verdict.

use std::time::SystemTime;

use super::Finished;
use crate::cli::CanaryArgs;
use crate::config::{self, canary_target, process_env};
use crate::exit::{self, Failure};
use crate::gates::canary::{self, CanaryPlan, Spacing};
use crate::outcome::Document;
use crate::report::{gates, Judged};

pub fn run(args: &CanaryArgs) -> exit::Result<Finished> {
    let target = canary_target(args, &process_env).map_err(Failure::usage)?;
    let plan = CanaryPlan::from_args(args).map_err(Failure::usage)?;
    let client = config::client_options(&args.client);
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    let started = SystemTime::now();
    human.line(&format!(
        "golive canary  GET {}  ({})",
        target.uri,
        describe(&plan)
    ));
    let (target, client, plan) = (&target, &client, &plan);
    let result = super::run_gate(|control| async move {
        canary::run(target, client, plan, &control, |i, s| {
            human.line(&gates::canary_sample(i, s))
        })
        .await
    })?;
    let text = gates::canary_summary(&result);
    let doc = Document::new("canary", started, result.verdict, result);
    Ok(Finished::new(doc.outcome(), human, text)
        .json(json, &doc)
        .evidence(&args.evidence, &Judged::Canary(doc)))
}

pub fn describe(plan: &CanaryPlan) -> String {
    match plan.spacing {
        Spacing::Delay { count, delay } => format!(
            "{count} samples, {} apart",
            humantime::format_duration(delay)
        ),
        Spacing::Every { interval, duration } => format!(
            "every {} for {}",
            humantime::format_duration(interval),
            humantime::format_duration(duration)
        ),
    }
}

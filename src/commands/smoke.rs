//! `golive smoke`: request checks with a line per check and smoke_results.json.

use std::time::SystemTime;

use super::Finished;
use crate::cli::SmokeArgs;
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::gates::smoke::{self, SmokePlan};
use crate::outcome::Document;
use crate::report::{gates, Judged};

pub fn run(args: &SmokeArgs) -> exit::Result<Finished> {
    let (plan, _) = SmokePlan::from_args(&args.target).map_err(Failure::usage)?;
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    let started = SystemTime::now();
    human.line(&format!(
        "golive smoke  {}  ({} check(s))",
        plan.base.uri,
        plan.checks.len()
    ));
    let plan = &plan;
    let results = super::run_gate(|control| async move {
        smoke::run(plan, &process_env, &control, |c| {
            human.line(&gates::smoke_check(c))
        })
        .await
    })?;
    let text = gates::smoke_summary(&results);
    let doc = Document::new("smoke", started, results.status, results);
    Ok(Finished::new(doc.outcome(), human, text)
        .json(json, &doc)
        .evidence(&args.evidence, &Judged::Smoke(doc)))
}

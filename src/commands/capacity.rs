//! `golive capacity`: the search of [`crate::capacity`], a line per step as each is
//! judged, then the maximum; Ctrl-C keeps what was found.

use std::time::SystemTime;

use super::Finished;
use crate::capacity::{self, CapacityReport, MAX_CONNECTIONS};
use crate::cli::CapacityArgs;
use crate::config::{self, process_env};
use crate::exit::{self, Failure};
use crate::outcome::Document;
use crate::output::console;
use crate::report::{text, Judged};

pub fn run(args: &CapacityArgs) -> exit::Result<Finished> {
    let plan = config::capacity::plan(args, &process_env).map_err(Failure::usage)?;
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    super::preflight_fds(
        MAX_CONNECTIONS.min(
            plan.stress
                .load
                .concurrency
                .max(config::capacity::DEFAULT_CONNECTIONS),
        ),
    )?;
    let started = SystemTime::now();
    let rt = super::runtime()?;
    let cancel = {
        let _in = rt.enter();
        crate::shutdown::Cancel::on_signals()
    };
    let slos = plan
        .stress
        .slos
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let search = if plan.concurrency_steps.is_empty() {
        format!(
            "within {}% · the maximum run {} more times",
            args.precision, args.repeat
        )
    } else {
        let counts: Vec<String> = plan
            .concurrency_steps
            .iter()
            .map(|n| n.to_string())
            .collect();
        format!(
            "closed loop at {} connections · a USL fit",
            counts.join(", ")
        )
    };
    human.text(&format!(
        "golive capacity  {}\n  steps of {} (the first {} left out) · SLOs {slos} · {search}\n",
        plan.stress.target.uri,
        humantime::format_duration(args.step),
        humantime::format_duration(args.warmup),
    ));
    let on_step =
        |step: &capacity::StepRecord| console::out(&format!("{}\n", text::capacity_step(step)));
    let (outcome, found) = rt
        .block_on(async {
            if plan.concurrency_steps.is_empty() {
                capacity::search(&plan, &cancel, on_step).await
            } else {
                capacity::sweep(&plan, &cancel, on_step).await
            }
        })
        .map_err(|e| match e {
            // The target refused every connection: golive could not run the search.
            capacity::CapacityError::Unreachable(_) => Failure::runtime(e),
            capacity::CapacityError::Setup(_) => Failure::usage(e),
        })?;
    let said = found.said.clone();
    let doc: CapacityReport = Document::new("capacity", started, outcome, found);
    Ok(Finished::new(
        outcome,
        human,
        format!("\n{said}\nverdict: {}\n", outcome.as_str()),
    )
    .json(json, &doc)
    .evidence(&args.evidence, &Judged::Capacity(Box::new(doc))))
}

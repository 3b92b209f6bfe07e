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
    human.text(&format!(
        "golive capacity  {}\n  steps of {} (the first {} left out) · SLOs {} · within {}% · the maximum run {} more times\n",
        plan.stress.target.uri,
        humantime::format_duration(args.step),
        humantime::format_duration(args.warmup),
        plan.stress.slos.iter().map(|s| s.to_string()).collect::<Vec<_>>().join(", "),
        args.precision,
        args.repeat
    ));
    let (outcome, found) = rt
        .block_on(capacity::search(&plan, &cancel, |step| {
            console::out(&format!("{}\n", text::capacity_step(step)))
        }))
        .map_err(Failure::usage)?;
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

//! `golive stress`: plan, run with live progress, judge, render, write.

use std::time::Duration;

use super::progress::Progress;
use super::Finished;
use crate::cli::StressArgs;
use crate::config::process_env;
use crate::exit::{self, Failure};
use crate::gates::stress::{self, StressPlan};
use crate::output::Dest;
use crate::report::{hdrlog, text, Judged};

/// How often the supervisor ticks: progress updates and the finish check.
const TICK: Duration = Duration::from_millis(100);

pub fn run(args: &StressArgs) -> exit::Result<Finished> {
    let plan = StressPlan::from_args(args, &process_env).map_err(Failure::usage)?;
    let (json, human) = super::outputs_with(
        args.json.as_deref(),
        &[args.hdr_log.as_deref()],
        &args.evidence,
    )?;
    let mut progress = Progress::new(!args.no_progress, args.status_interval, &plan.load);
    super::preflight_fds(plan.load.concurrency)?;
    let rt = super::runtime()?;
    let report = rt
        .block_on(async {
            let cancel = crate::shutdown::Cancel::on_signals();
            stress::run(&plan, TICK, &cancel, |t| progress.update(t)).await
        })
        .map_err(Failure::usage)?;
    progress.finish();
    let mut finished = Finished::new(
        report.outcome(),
        human,
        text::stress(&report, crate::output::console::width()),
    )
    .json(json, &report);
    if let Some(path) = &args.hdr_log {
        let log = hdrlog::interval_log(&report)
            .map_err(|e| Failure::runtime(anyhow::anyhow!("writing the HdrHistogram log: {e}")))?;
        finished = finished.file(Dest::parse(path), log);
    }
    Ok(finished.evidence(&args.evidence, &Judged::Stress(Box::new(report))))
}

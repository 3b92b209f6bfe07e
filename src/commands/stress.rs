//! `golive stress`: plan, run with live progress, judge, render, write.

use std::path::PathBuf;
use std::time::Duration;

use super::progress::Progress;
use super::Finished;
use crate::cli::StressArgs;
use crate::compare;
use crate::config::{self, process_env};
use crate::exit::{self, Failure};
use crate::gates::stress::{self, BaselineComparison, StressPlan, StressReport};
use crate::outcome::Outcome;
use crate::output::Dest;
use crate::report::{hdrlog, text, Judged};

/// How often the supervisor ticks: progress updates and the finish check.
const TICK: Duration = Duration::from_millis(100);

/// `--baseline`: the saved run, read and held to this plan before any traffic moves.
struct Baseline {
    path: PathBuf,
    report: StressReport,
    settings: compare::Settings,
    notes: Vec<String>,
}

fn baseline(args: &StressArgs, plan: &StressPlan) -> exit::Result<Option<Baseline>> {
    let Some(path) = &args.baseline else {
        return Ok(None);
    };
    let settings = config::compare::settings(&args.comparison)
        .map_err(|e| Failure::usage(anyhow::anyhow!(e)))?;
    let report = super::merge::read_report(path).map_err(Failure::usage)?;
    let notes = super::compare::check_plans(
        &report.body.settings,
        &stress::settings(plan),
        &args.comparison,
    )?;
    Ok(Some(Baseline {
        path: path.clone(),
        report,
        settings,
        notes,
    }))
}

/// Judges the run against its baseline as well: a regression fails it as an SLO would.
fn judge_against(report: &mut StressReport, b: Baseline) -> exit::Result<()> {
    let mut notes = b.notes;
    let comparison = super::compare::against(&b.report, &b.path, report, &b.settings, &mut notes)?;
    let file = b.path.display().to_string();
    if comparison.change.outcome() != Outcome::Pass {
        report
            .body
            .outcome_reasons
            .push(format!("against {file}: {}", comparison.said));
    }
    report.envelope.outcome =
        Outcome::combine([report.envelope.outcome, comparison.change.outcome()]);
    report.body.baseline = Some(BaselineComparison { file, comparison });
    Ok(())
}

pub fn run(args: &StressArgs) -> exit::Result<Finished> {
    let plan = StressPlan::from_args(args, &process_env).map_err(Failure::usage)?;
    let (json, human) = super::outputs_with(
        args.json.as_deref(),
        &[args.hdr_log.as_deref()],
        &args.evidence,
    )?;
    let baseline = baseline(args, &plan)?;
    if let Some(b) = &baseline {
        super::refuse_overwriting_inputs(
            std::slice::from_ref(&b.path),
            &[
                args.json.as_deref(),
                args.evidence.report.as_deref(),
                args.evidence.junit.as_deref(),
                args.hdr_log.as_deref(),
            ],
        )?;
    }
    let mut progress = Progress::new(!args.no_progress, args.status_interval, &plan.load);
    super::preflight_fds(plan.load.concurrency)?;
    let rt = super::runtime()?;
    let mut report = rt
        .block_on(async {
            let cancel = crate::shutdown::Cancel::on_signals();
            stress::run(&plan, TICK, &cancel, |t| progress.update(t)).await
        })
        .map_err(Failure::usage)?;
    progress.finish();
    if let Some(b) = baseline {
        judge_against(&mut report, b)?;
    }
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

//! `golive merge`: saved stress results (threads, machines, shards) into one, exactly.

use std::path::Path;

use anyhow::{anyhow, Context};

use super::Finished;
use crate::cli::MergeArgs;
use crate::config;
use crate::exit::{self, Failure};
use crate::gates::shards::{self, ShardRecord};
use crate::gates::stress::{self, StressReport};
use crate::report::{text, Judged};
use crate::slo::DEFAULT_STRESS_SLOS;

/// A saved stress or merge result, read as `golive report` reads any result, so that
/// another kind of result is named as what it is.
pub(super) fn read_report(path: &Path) -> anyhow::Result<StressReport> {
    let raw = crate::input::read(path, crate::input::RESULT)
        .with_context(|| format!("cannot read {}", path.display()))?;
    match Judged::read(&raw).map_err(|e| anyhow!("{} {e}", path.display()))? {
        Judged::Stress(report) => Ok(*report),
        other => Err(anyhow!(
            "{} holds '{}' results, not stress",
            path.display(),
            other.command()
        )),
    }
}

pub fn run(args: &MergeArgs) -> exit::Result<Finished> {
    let reports = args
        .files
        .iter()
        .map(|p| read_report(p))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(Failure::usage)?;
    let named: Vec<(String, Option<&ShardRecord>)> = args
        .files
        .iter()
        .map(|p| p.display().to_string())
        .zip(reports.iter().map(|r| r.body.shard.as_ref()))
        .collect();
    let shards = shards::check(&named, args.allow_partial).map_err(Failure::usage)?;
    let exprs: Vec<String> = if args.slos.is_empty() {
        reports[0].body.slos.iter().map(|v| v.slo.clone()).collect()
    } else {
        args.slos.clone()
    };
    let slos = config::parse_slos(&exprs, &DEFAULT_STRESS_SLOS).map_err(Failure::usage)?;
    let merged = stress::merge(&reports, &slos, shards.as_ref()).map_err(Failure::usage)?;
    let (json, human) = super::outputs(args.json.as_deref(), &args.evidence)?;
    super::refuse_overwriting_inputs(
        &args.files,
        &[
            args.json.as_deref(),
            args.evidence.report.as_deref(),
            args.evidence.junit.as_deref(),
        ],
    )?;
    Ok(Finished::new(
        merged.outcome(),
        human,
        text::stress(&merged, crate::output::console::width()),
    )
    .json(json, &merged)
    .evidence(&args.evidence, &Judged::Stress(Box::new(merged))))
}
